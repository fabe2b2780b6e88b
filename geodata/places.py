"""The gazetteer: place names to describe where a site is and to label maps.

``geodata/data/places.csv`` (rebuilt by :mod:`geodata.build_data`) holds two
kinds of place, each with a position in British National Grid metres and a
``size`` (its number of Code-Point Open postcodes, a stand-in for how many
addresses it has):

- ``ward``: every electoral ward with a postcode in or within 20 km of the
  force area, named as in Code-Point Open's codelist, positioned at the mean of
  its postcodes;
- ``town``: the force area's towns, each the union of the wards that make up
  its built-up area (assigned by hand in :data:`geodata.build_data.TOWNS`).

No registry package ships settlement (town and village) names with
positions, so a village is known here by its ward, which in rural
Staffordshire is usually named after its villages ("Gnosall & Woodseaves").
:func:`describe_sites` names a site by its nearest ward centre and by where it
lies from the nearest town.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from geodata.embedded import DATA_DIR

PLACES_FILE = DATA_DIR / "places.csv"
#: A site this close to a town's centre (km) is described as in the town, not as a distance and direction from it.
IN_TOWN_KM = 2.0
#: Compass points for "3.2 km NE of Stafford", clockwise from north.
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def load_places() -> pd.DataFrame:
    """The gazetteer, one row a place.

    Columns: ``kind`` (``ward``/``town``), ``name``, ``la_name``, ``easting``,
    ``northing``, ``size`` and ``in_force`` (1 for places in the force area).
    """
    return _places().copy()


def largest_towns(count: int) -> pd.DataFrame:
    """The ``count`` towns with the most postcodes, largest first."""
    places = _places()
    towns = places[places["kind"] == "town"]
    return towns.sort_values(["size", "name"], ascending=[False, True]).head(count).reset_index(drop=True)


def describe_sites(easting: np.ndarray, northing: np.ndarray) -> pd.DataFrame:
    """Where each site (BNG metres) is: its nearest ward and the nearest town.

    Returns
    -------
    pandas.DataFrame
        One row per site: ``ward`` (``"Gnosall & Woodseaves (Stafford)"``: the ward
        whose centre is nearest, with its local authority), ``town``, ``town_km``
        (straight-line distance to the town's centre) and ``place`` (``"Stafford"``
        within :data:`IN_TOWN_KM` of the centre, else ``"9.8 km W of Stafford"``).
    """
    points = np.column_stack([np.asarray(easting, float), np.asarray(northing, float)])
    places = _places()
    wards = places[places["kind"] == "ward"].reset_index(drop=True)
    towns = places[places["kind"] == "town"].reset_index(drop=True)
    ward = _nearest(wards, points)
    town = _nearest(towns, points)
    dx = points[:, 0] - towns["easting"].to_numpy(float)[town]
    dy = points[:, 1] - towns["northing"].to_numpy(float)[town]
    town_km = np.hypot(dx, dy) / 1000.0
    town_names = towns["name"].to_numpy()[town]
    return pd.DataFrame(
        {
            "ward": [f"{w} ({la})" for w, la in zip(wards["name"][ward], wards["la_name"][ward], strict=True)],
            "town": town_names,
            "town_km": town_km.round(1),
            "place": [_place_text(name, km, x, y) for name, km, x, y in zip(town_names, town_km, dx, dy, strict=True)],
        }
    )


def _place_text(town: str, km: float, dx_m: float, dy_m: float) -> str:
    if km <= IN_TOWN_KM:
        return town
    bearing = math.degrees(math.atan2(dx_m, dy_m)) % 360.0
    return f"{km:.1f} km {COMPASS[int((bearing + 22.5) // 45.0) % 8]} of {town}"


def _nearest(places: pd.DataFrame, points: np.ndarray) -> np.ndarray:
    from scipy.spatial import cKDTree

    tree = cKDTree(places[["easting", "northing"]].to_numpy(float))
    _, index = tree.query(points)
    return np.asarray(index, dtype=int)


@lru_cache(maxsize=1)
def _places() -> pd.DataFrame:
    return pd.read_csv(PLACES_FILE, dtype={"kind": str, "name": str, "la_name": str})
