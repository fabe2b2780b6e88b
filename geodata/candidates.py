"""Candidate deployment locations: junction-like nodes on faster roads, and user-listed sites.

In 2018 Staffordshire's response cars were "parked up at out-of-station
locations" at key road junctions, retail parks and laybys. Without a list of
real sites, hubplan generates candidates at network nodes where faster roads
meet the local network (on the modelled network, the local nodes linked to an
A-road vertex or a motorway junction; on OpenStreetMap networks, nodes on
primary, trunk or secondary roads and their links), thinned to a minimum
spacing. Users can list real sites in a CSV (``id, name`` and a location) and
mix them with the generated ones.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geodata import embedded
from geodata.network import RoadNetwork

log = logging.getLogger(__name__)

#: Edge classes that make a node "junction-like on a faster road".
FAST_ROAD_CLASSES = frozenset(
    {
        "access", "junction",  # modelled network: local node linked to an A-road or motorway junction
        "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link",
    }
)  # fmt: skip

CANDIDATE_COLUMNS = ["candidate_id", "name", "kind", "x_m", "y_m"]


def junction_candidates(
    network: RoadNetwork,
    *,
    min_spacing_m: float = 600.0,
    area: shapely.Geometry | None = None,
) -> pd.DataFrame:
    """Junction-like snappable nodes on faster roads, at least ``min_spacing_m`` apart.

    Nodes are ranked by how many fast-road edges meet there (then by node
    index, for determinism) and accepted greedily unless an accepted node lies
    within ``min_spacing_m``.

    Parameters
    ----------
    network
        The road network (projected metres).
    min_spacing_m
        Smallest distance between two generated candidates.
    area
        Keep only nodes inside this polygon (same CRS), e.g. the force area buffered.

    Returns
    -------
    pandas.DataFrame
        ``candidate_id, name, kind, x_m, y_m``; names give the nearest postcode.
    """
    score = _fast_edge_count(network)
    nodes = np.flatnonzero(score > 0)
    if network.snappable is not None:
        nodes = nodes[network.snappable[nodes]]
    if area is not None:
        nodes = nodes[shapely.contains_xy(area, network.x_m[nodes], network.y_m[nodes])]
    order = nodes[np.lexsort((nodes, -score[nodes]))]
    chosen = _thin(network.x_m[order], network.y_m[order], min_spacing_m)
    picked = order[chosen]
    x_m, y_m = network.x_m[picked], network.y_m[picked]
    postcodes = embedded.nearest_postcode(x_m, y_m)
    log.info("generated %s junction candidates (spacing %.0f m)", f"{picked.size:,}", min_spacing_m)
    return pd.DataFrame(
        {
            "candidate_id": [f"J{i:05d}" for i in range(picked.size)],
            "name": [f"junction near {p}" for p in postcodes],
            "kind": "junction",
            "x_m": x_m,
            "y_m": y_m,
        }
    )


def hotspot_candidates(
    x_m: np.ndarray,
    y_m: np.ndarray,
    weight: np.ndarray,
    *,
    count: int,
    min_spacing_m: float = 600.0,
    avoid_x_m: np.ndarray | None = None,
    avoid_y_m: np.ndarray | None = None,
) -> pd.DataFrame:
    """Up to ``count`` demand hotspots as candidates (town centres, where retail parks and car parks are).

    Demand points are ranked by ``weight`` and accepted greedily at least
    ``min_spacing_m`` from each other and from the points to avoid (for
    example the junction candidates). The site type is unknown: the name says
    only which postcode it is near.
    """
    order = np.lexsort((np.arange(x_m.size), -np.asarray(weight, dtype=float)))
    avoid = np.column_stack([avoid_x_m, avoid_y_m]) if avoid_x_m is not None else np.zeros((0, 2))
    blocked = np.zeros(x_m.size, dtype=bool)
    if avoid.shape[0]:
        distance, _ = cKDTree(avoid).query(np.column_stack([x_m, y_m]))
        blocked = distance < min_spacing_m
    free = order[~blocked[order]]
    kept = free[_thin(x_m[free], y_m[free], min_spacing_m)][:count]
    postcodes = embedded.nearest_postcode(x_m[kept], y_m[kept])
    return pd.DataFrame(
        {
            "candidate_id": [f"H{i:05d}" for i in range(kept.size)],
            "name": [f"demand hotspot near {p}" for p in postcodes],
            "kind": "hotspot",
            "x_m": x_m[kept],
            "y_m": y_m[kept],
        }
    )


def sites_from_points(points: pd.DataFrame, names: pd.Series | None = None) -> pd.DataFrame:
    """User-listed candidate sites (``id, x_m, y_m`` from :func:`geodata.points.read_points`)."""
    return pd.DataFrame(
        {
            "candidate_id": points["id"].astype(str).to_numpy(),
            "name": (names if names is not None else points["id"]).astype(str).to_numpy(),
            "kind": "listed",
            "x_m": points["x_m"].to_numpy(float),
            "y_m": points["y_m"].to_numpy(float),
        }
    )


def _fast_edge_count(network: RoadNetwork) -> np.ndarray:
    fast = np.isin(network.road_class, list(FAST_ROAD_CLASSES))
    ends = np.concatenate([network.edge_source[fast], network.edge_target[fast]])
    return np.bincount(ends, minlength=network.n_nodes)


def _thin(x_m: np.ndarray, y_m: np.ndarray, spacing_m: float) -> np.ndarray:
    """Indices of points kept, in priority order, so that no two kept points are closer than ``spacing_m``."""
    if x_m.size == 0:
        return np.zeros(0, dtype=np.int64)
    tree = cKDTree(np.column_stack([x_m, y_m]))
    blocked = np.zeros(x_m.size, dtype=bool)
    kept = []
    for i in range(x_m.size):
        if blocked[i]:
            continue
        kept.append(i)
        blocked[tree.query_ball_point([x_m[i], y_m[i]], r=spacing_m)] = True
    return np.asarray(kept, dtype=np.int64)
