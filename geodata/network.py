"""The road network type shared by every network source.

A :class:`RoadNetwork` is a directed graph held as flat arrays (nodes with
coordinates in a projected metric CRS, edges with length and travel time), so
that travel-time matrices can be computed with :mod:`scipy.sparse.csgraph`
without touching Python objects per edge. :meth:`RoadNetwork.to_networkx`
and :meth:`RoadNetwork.from_networkx` convert to and from the osmnx-style
``networkx.MultiDiGraph`` (``x``/``y`` on nodes, ``length`` and
``travel_time_s`` on edges, ``graph["crs"]``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse

from geodata.crs import require_metric_crs
from geodata.errors import InputDataError

log = logging.getLogger(__name__)

#: Shortest edge travel time kept, seconds. csgraph treats a zero weight as "no edge".
MIN_EDGE_TIME_S = 0.01


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road network in a projected metric CRS.

    Parameters
    ----------
    node_id
        Identifier of each node (int64, unique), shape ``(n,)``.
    x_m, y_m
        Node coordinates in ``crs`` (metres), shape ``(n,)``.
    edge_source, edge_target
        Index (not id) of each edge's start and end node, shape ``(m,)``.
    length_m
        Edge length in metres, shape ``(m,)``.
    travel_time_s
        Edge travel time in seconds at normal driving speed, shape ``(m,)``.
    road_class
        Road class of each edge (``"motorway"``, ``"trunk"``, ``"primary"``,
        ``"local"``, ...), shape ``(m,)``; used for per-class speed factors.
    crs
        The projected CRS of the coordinates, e.g. ``"EPSG:27700"``.
    name
        Human-readable description of where the network came from.
    snappable
        Optional boolean mask, shape ``(n,)``: the nodes that points (incidents,
        sites) may be snapped to. ``None`` means every node. The modelled
        network excludes motorway nodes, which are reachable only at junctions.
    metadata
        Free-form provenance (parameters a network was built with).
    """

    node_id: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    edge_source: np.ndarray
    edge_target: np.ndarray
    length_m: np.ndarray
    travel_time_s: np.ndarray
    road_class: np.ndarray
    crs: str
    name: str = "road network"
    snappable: np.ndarray | None = None
    metadata: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_metric_crs(self.crs, what=f"network {self.name!r}")
        problems = _shape_problems(self)
        if problems:
            raise InputDataError("is not a valid road network", source=f"network {self.name!r}", problems=problems)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_id.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.edge_source.shape[0])

    def __repr__(self) -> str:
        return f"RoadNetwork({self.name!r}, {self.n_nodes:,} nodes, {self.n_edges:,} edges, {self.crs})"

    @cached_property
    def csgraph(self) -> scipy.sparse.csr_matrix:
        """Travel-time adjacency matrix (seconds); parallel edges keep their fastest time."""
        return _csr_min(self.edge_source, self.edge_target, self.travel_time_s, self.n_nodes)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the nodes, edges and travel times: changes whenever the network does."""
        digest = hashlib.sha256(self.crs.encode())
        for array in (self.node_id, self.x_m, self.y_m, self.edge_source, self.edge_target, self.travel_time_s):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def with_speed_factor(self, factor: float | Mapping[str, float]) -> RoadNetwork:
        """Return a copy whose travel times are divided by a speed factor.

        Parameters
        ----------
        factor
            One factor for every edge, or a mapping from road class to factor
            (classes not named keep factor 1). A factor of 1.2 means 20 % faster
            than normal driving, for example under blue lights.
        """
        per_edge = _factor_per_edge(factor, self.road_class)
        if np.all(per_edge == 1.0):
            return self
        return replace(self, travel_time_s=self.travel_time_s / per_edge)

    def to_networkx(self) -> nx.MultiDiGraph:
        """Convert to an osmnx-style ``MultiDiGraph`` keyed by ``node_id``."""
        graph = nx.MultiDiGraph(crs=self.crs, name=self.name)
        graph.add_nodes_from(
            (int(i), {"x": float(x), "y": float(y)}) for i, x, y in zip(self.node_id, self.x_m, self.y_m, strict=True)
        )
        ids = self.node_id
        graph.add_edges_from(
            (int(ids[u]), int(ids[v]), {"length": float(length), "travel_time_s": float(t), "highway": str(c)})
            for u, v, length, t, c in zip(
                self.edge_source, self.edge_target, self.length_m, self.travel_time_s, self.road_class, strict=True
            )
        )
        return graph

    @classmethod
    def from_networkx(cls, graph: nx.MultiDiGraph, *, name: str | None = None) -> RoadNetwork:
        """Build from an osmnx-style graph with ``x``, ``y``, ``length`` and ``travel_time_s``.

        Raises
        ------
        InputDataError
            If the graph has no CRS, is unprojected, or lacks an attribute.
        """
        label = name or str(graph.graph.get("name", "networkx graph"))
        crs = require_metric_crs(graph.graph.get("crs"), what=f"graph {label!r}")
        nodes = list(graph.nodes)
        index = {node: i for i, node in enumerate(nodes)}
        _check_attributes(graph, label)
        edges = list(graph.edges(data=True))
        return cls(
            node_id=np.array([int(n) for n in nodes], dtype=np.int64),
            x_m=np.array([graph.nodes[n]["x"] for n in nodes], dtype=float),
            y_m=np.array([graph.nodes[n]["y"] for n in nodes], dtype=float),
            edge_source=np.array([index[u] for u, _, _ in edges], dtype=np.int64),
            edge_target=np.array([index[v] for _, v, _ in edges], dtype=np.int64),
            length_m=np.array([float(d["length"]) for _, _, d in edges], dtype=float),
            travel_time_s=np.maximum([float(d["travel_time_s"]) for _, _, d in edges], MIN_EDGE_TIME_S),
            road_class=np.array([_highway_class(d.get("highway")) for _, _, d in edges], dtype=object),
            crs=crs.to_string(),
            name=label,
        )


def _highway_class(value: object) -> str:
    """Collapse an OSM ``highway`` tag (string, list or missing) to one class name."""
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else "unclassified"


def _check_attributes(graph: nx.MultiDiGraph, label: str) -> None:
    problems = []
    for node, data in graph.nodes(data=True):
        missing = [key for key in ("x", "y") if key not in data]
        if missing:
            problems.append(f"node {node} has no {', '.join(missing)}")
            break
    for u, v, data in graph.edges(data=True):
        missing = [key for key in ("length", "travel_time_s") if key not in data]
        if missing:
            problems.append(f"edge {u}->{v} has no {', '.join(missing)} (add travel times first)")
            break
    if problems:
        raise InputDataError("lacks required attributes", source=f"graph {label!r}", problems=problems)


def _shape_problems(network: RoadNetwork) -> list[str]:
    problems = _array_shape_problems(network)
    return problems or _value_problems(network)


def _array_shape_problems(network: RoadNetwork) -> list[str]:
    n = network.node_id.shape[0]
    m = network.edge_source.shape[0]
    expected = {"x_m": n, "y_m": n, "edge_target": m, "length_m": m, "travel_time_s": m, "road_class": m}
    problems = [
        f"{name} has shape {getattr(network, name).shape}, expected ({size},)"
        for name, size in expected.items()
        if getattr(network, name).shape != (size,)
    ]
    if network.snappable is not None and network.snappable.shape != (n,):
        problems.append(f"snappable has shape {network.snappable.shape}, expected ({n},)")
    return problems


def _value_problems(network: RoadNetwork) -> list[str]:
    n, m = network.n_nodes, network.n_edges
    checks = {
        "x_m and y_m must be finite": np.all(np.isfinite(network.x_m)) and np.all(np.isfinite(network.y_m)),
        "node_id has duplicates": len(np.unique(network.node_id)) == n,
        "edge endpoints index outside the node arrays": m == 0
        or (
            min(network.edge_source.min(), network.edge_target.min()) >= 0
            and max(network.edge_source.max(), network.edge_target.max()) < n
        ),
        "travel_time_s must be finite and positive on every edge": m == 0
        or bool(np.all(np.isfinite(network.travel_time_s)) and network.travel_time_s.min() > 0),
        "length_m must be finite and non-negative on every edge": m == 0
        or bool(np.all(np.isfinite(network.length_m)) and network.length_m.min() >= 0),
    }
    return [message for message, ok in checks.items() if not ok]


def _factor_per_edge(factor: float | Mapping[str, float], road_class: np.ndarray) -> np.ndarray:
    if isinstance(factor, Mapping):
        per_edge = np.ones(road_class.shape[0])
        for cls, value in factor.items():
            per_edge[road_class == cls] = value
    else:
        per_edge = np.full(road_class.shape[0], float(factor))
    if not (np.all(np.isfinite(per_edge)) and per_edge.min() > 0):
        raise InputDataError(
            f"must be positive and finite, got {factor!r}; use 1.0 for normal driving", source="speed factor"
        )
    return per_edge


def _csr_min(source: np.ndarray, target: np.ndarray, weight: np.ndarray, n: int) -> scipy.sparse.csr_matrix:
    """CSR adjacency keeping the smallest weight of parallel edges (csgraph would sum them)."""
    order = np.lexsort((weight, target, source))
    source, target, weight = source[order], target[order], weight[order]
    first = np.ones(source.shape[0], dtype=bool)
    first[1:] = (source[1:] != source[:-1]) | (target[1:] != target[:-1])
    keep = first & (source != target)
    return scipy.sparse.csr_matrix((weight[keep], (source[keep], target[keep])), shape=(n, n))
