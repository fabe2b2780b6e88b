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

Road networks here carry no road names or numbers, so :func:`nearest_main_roads`
takes them from the hand-encoded strategic road layer the modelled network is
built on (``strategic_roads.csv``, approximate geometry): the nearest motorway
or A-road to each site, when one is within :data:`MAIN_ROAD_NEAR_M`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely

from geodata.crs import BNG, lonlat_to_crs
from geodata.embedded import DATA_DIR
from geodata.modelled import load_strategic_roads

PLACES_FILE = DATA_DIR / "places.csv"
#: A site this close to a town's centre (km) is described as in the town, not as a distance and direction from it.
IN_TOWN_KM = 2.0
#: A main road further than this (metres) from a site is not named as its road.
MAIN_ROAD_NEAR_M = 1_000.0
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


def nearest_main_roads(easting: np.ndarray, northing: np.ndarray) -> pd.DataFrame:
    """The nearest motorway or A-road of the strategic road layer to each site (BNG metres).

    Returns
    -------
    pandas.DataFrame
        One row per site: ``road`` (``"A34"``, or ``""`` when none lies within
        :data:`MAIN_ROAD_NEAR_M`) and ``road_m`` (distance to it, metres, rounded to 10 m;
        NaN when none is near).
    """
    names, lines = _main_road_lines()
    points = shapely.points(np.asarray(easting, float), np.asarray(northing, float))
    tree = shapely.STRtree(lines)
    index, distance = tree.query_nearest(points, return_distance=True, all_matches=False)
    road = np.full(len(points), "", dtype=object)
    road_m = np.full(len(points), np.nan)
    near = distance <= MAIN_ROAD_NEAR_M
    road[index[0][near]] = names[index[1][near]]
    road_m[index[0][near]] = np.round(distance[near], -1)
    return pd.DataFrame({"road": road, "road_m": road_m})


@lru_cache(maxsize=1)
def _main_road_lines() -> tuple[np.ndarray, np.ndarray]:
    """Names and BNG polylines of the strategic road layer, one per road segment."""
    names, lines = [], []
    for (road, _), line in load_strategic_roads().groupby(["road", "segment"], sort=True):
        x, y = lonlat_to_crs(line["lon"].to_numpy(float), line["lat"].to_numpy(float), BNG)
        names.append(str(road))
        lines.append(shapely.linestrings(np.column_stack([x, y])))
    return np.array(names, dtype=object), np.array(lines, dtype=object)


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
