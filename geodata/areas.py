"""Areas and lines drawn on the map of a plan: reachable areas, LSOA response times, main roads.

* :func:`reachable_areas`: road nodes reached within a travel budget from a
  shift's deployment locations and bases, split by the base whose cars get
  there first, each node buffered by :data:`NODE_BUFFER_M` and unioned, then
  drawn at display resolution (gaps under 800 m closed, 50 m simplification,
  holes under 1 km² filled);
* :func:`lsoa_response_times`: the Grade 1 demand-weighted mean response time
  and covered share of each LSOA, from a plan's ``demand`` layer;
* :func:`main_roads`: the motorway, trunk and primary roads, merged per class.

Everything is in the network's CRS (British National Grid for the embedded network).
"""

from __future__ import annotations

import logging
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.matrix import nearest_travel_time_s, snap_points
from geodata.network import RoadNetwork

log = logging.getLogger(__name__)

#: Radius drawn around each reached road node (metres); the modelled network's nodes are about 200 m apart.
NODE_BUFFER_M = 300.0
#: Gaps narrower than twice this between reached nodes are closed (morphological closing, metres).
REACH_CLOSE_M = 400.0
#: Simplification of the reachable-area polygons (metres).
REACH_SIMPLIFY_M = 50.0
#: Unreached holes smaller than this inside a reachable area are filled (square metres).
REACH_MIN_HOLE_M2 = 1.0e6
#: Road classes drawn when there is no basemap (OSM ``*_link`` roads count as their class).
MAIN_ROAD_CLASSES = ("motorway", "trunk", "primary")
#: Largest distance from a site to the network node it is snapped to again (sites came from the network).
SITE_SNAP_M = 5000.0


def reachable_areas(
    network: RoadNetwork,
    locations: gpd.GeoDataFrame,
    bases: gpd.GeoDataFrame,
    *,
    shifts: tuple[str, ...],
    budget_s: float,
    buffer_m: float = NODE_BUFFER_M,
) -> gpd.GeoDataFrame:
    """Area reached within ``budget_s`` of travel, per shift and base (the part its cars reach first).

    Parameters
    ----------
    network
        The response network (blue-light speed factor applied).
    locations
        Deployment locations: ``shift, base, location_id, easting, northing``.
    bases
        Bases: ``name, easting, northing``; a base's own site counts for its cars in every shift.
    shifts
        The shifts to compute.
    budget_s
        Travel time allowed (Grade 1 target minus mobilisation delay), seconds.
    buffer_m
        Radius drawn around each reached (snappable) road node.

    Returns
    -------
    geopandas.GeoDataFrame
        ``shift, base, reached_nodes`` and a (multi)polygon, in the network's CRS.
    """
    started = time.perf_counter()
    snappable = network.snappable if network.snappable is not None else np.ones(network.n_nodes, dtype=bool)
    base_names = [str(name) for name in bases["name"]]
    rows = []
    for shift in shifts:
        times = np.vstack([_base_times(network, locations, bases, shift, base, budget_s) for base in base_names])
        first = np.argmin(times, axis=0)
        reached = snappable & (times.min(axis=0) <= budget_s)
        for k, base in enumerate(base_names):
            nodes = reached & (first == k)
            rows.append(
                {
                    "shift": shift,
                    "base": base,
                    "reached_nodes": int(nodes.sum()),
                    "geometry": _node_area(network, nodes, buffer_m),
                }
            )
    areas = gpd.GeoDataFrame(rows, geometry="geometry", crs=network.crs)
    log.info(
        "reachable areas: %d shifts x %d bases within %.0f s of travel in %.1f s",
        len(shifts),
        len(base_names),
        budget_s,
        time.perf_counter() - started,
    )
    return areas


def _base_times(
    network: RoadNetwork,
    locations: gpd.GeoDataFrame,
    bases: gpd.GeoDataFrame,
    shift: str,
    base: str,
    budget_s: float,
) -> np.ndarray:
    """Travel time from the nearest of a base's open sites (its locations in ``shift`` and the base) to every node."""
    own = locations[(locations["shift"].astype(str) == shift) & (locations["base"].astype(str) == base)]
    home = bases[bases["name"].astype(str) == base]
    ids = [f"location:{i}" for i in own["location_id"]] + [f"base:{base}"]
    x_m = np.concatenate([own["easting"].to_numpy(float), home["easting"].to_numpy(float)])
    y_m = np.concatenate([own["northing"].to_numpy(float), home["northing"].to_numpy(float)])
    sites = snap_points(
        network,
        np.array(ids, dtype=object),
        x_m,
        y_m,
        max_snap_m=SITE_SNAP_M,
        source=f"deployment locations of {base} ({shift})",
    )
    return nearest_travel_time_s(network, sites, cutoff_s=budget_s)


def _node_area(network: RoadNetwork, nodes: np.ndarray, buffer_m: float) -> shapely.Geometry:
    if not nodes.any():
        return shapely.Polygon()
    discs = shapely.buffer(shapely.points(network.x_m[nodes], network.y_m[nodes]), buffer_m, quad_segs=3)
    area = shapely.union_all(discs).buffer(REACH_CLOSE_M, quad_segs=2).buffer(-REACH_CLOSE_M, quad_segs=2)
    return fill_small_holes(area.simplify(REACH_SIMPLIFY_M), min_area_m2=REACH_MIN_HOLE_M2)


def fill_small_holes(area: shapely.Geometry, *, min_area_m2: float) -> shapely.Geometry:
    """``area`` with interior rings (holes) smaller than ``min_area_m2`` removed."""
    polygons = [
        shapely.Polygon(part.exterior, [ring for ring in part.interiors if shapely.Polygon(ring).area >= min_area_m2])
        for part in shapely.get_parts(area)
        if isinstance(part, shapely.Polygon) and not part.is_empty
    ]
    return shapely.MultiPolygon(polygons) if polygons else shapely.Polygon()


def lsoa_response_times(
    demand: gpd.GeoDataFrame, lsoas: gpd.GeoDataFrame, *, target_s: float | np.ndarray
) -> gpd.GeoDataFrame:
    """Grade 1 demand-weighted mean response time (minutes) and share within target, per LSOA and shift.

    ``target_s`` is the Grade 1 target: one number, or one per row of ``demand`` (a standard whose
    target depends on the area class).

    Unreached demand (no site within the Grade 2 target) is left out of the mean and counted
    as not covered; an LSOA none of whose demand is reached gets NaN minutes. An LSOA whose
    Grade 1 demand is zero in a shift gets the plain mean of its nodes.
    """
    table = pd.DataFrame(demand.drop(columns="geometry"))
    seconds = table["response_time_s"].to_numpy(float)
    reached = np.isfinite(seconds)
    weight = table["grade1_per_year"].to_numpy(float)
    table = table.assign(
        w_reached=np.where(reached, weight, 0.0),
        wt=np.where(reached, weight * seconds, 0.0),
        w_covered=np.where(reached & (seconds <= target_s), weight, 0.0),
        n_reached=reached.astype(float),
        t_reached=np.where(reached, seconds, 0.0),
    )
    sums = (
        table.groupby(["shift", "lsoa_code"], sort=False)[
            ["grade1_per_year", "w_reached", "wt", "w_covered", "n_reached", "t_reached"]
        ]
        .sum()
        .reset_index()
    )
    weighted = sums["wt"] / sums["w_reached"].where(sums["w_reached"] > 0)
    plain = sums["t_reached"] / sums["n_reached"].where(sums["n_reached"] > 0)
    sums["grade1_response_min"] = weighted.fillna(plain) / 60.0
    sums["grade1_covered_share"] = sums["w_covered"] / sums["grade1_per_year"].where(sums["grade1_per_year"] > 0)
    columns = ["shift", "lsoa_code", "grade1_per_year", "grade1_response_min", "grade1_covered_share"]
    shapes = lsoas[["lsoa_code", "lsoa_name", "la_name", "geometry"]]
    return gpd.GeoDataFrame(shapes.merge(sums[columns], on="lsoa_code", how="inner"), crs=lsoas.crs)


def main_roads(network: RoadNetwork) -> gpd.GeoDataFrame:
    """The network's motorway, trunk and primary edges merged into one (multi)line per class."""
    road_class = pd.Series(network.road_class.astype(str)).str.removesuffix("_link").to_numpy()
    keep = np.isin(road_class, MAIN_ROAD_CLASSES)
    source, target = network.edge_source[keep], network.edge_target[keep]
    pairs = np.unique(
        np.column_stack([np.minimum(source, target), np.maximum(source, target), pd.factorize(road_class[keep])[0]]),
        axis=0,
    )
    classes = pd.factorize(road_class[keep])[1]
    rows = []
    for code, name in enumerate(classes):
        chosen = pairs[pairs[:, 2] == code]
        coords = np.stack(
            [np.column_stack([network.x_m[chosen[:, j]], network.y_m[chosen[:, j]]]) for j in (0, 1)], axis=1
        )
        rows.append(
            {"road_class": str(name), "geometry": shapely.line_merge(shapely.union_all(shapely.linestrings(coords)))}
        )
    return gpd.GeoDataFrame(rows, columns=["road_class", "geometry"], geometry="geometry", crs=network.crs)
