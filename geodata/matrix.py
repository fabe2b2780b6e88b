"""Travel-time matrices between points on a :class:`~geodata.network.RoadNetwork`.

Points are first snapped to their nearest network node (:func:`snap_points`),
then :func:`travel_time_matrix` runs :func:`scipy.sparse.csgraph.dijkstra`
from every distinct origin node, a chunk of sources at a time, and keeps the
origin-destination pairs reachable within a cutoff as three flat arrays
(:class:`TravelTimeMatrix`). Memory is bounded by ``chunk_size x n_nodes``
distances per worker plus the kept pairs; ``workers > 1`` spreads the chunks
over processes, because scipy's Dijkstra holds the GIL and threads do not help.

Travel time is counted from origin node to destination node; the snap
distances are reported alongside (:meth:`TravelTimeMatrix.to_frame`) so callers
can add an access time if they need one.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geodata.crs import require_metric_crs
from geodata.errors import InputDataError
from geodata.network import RoadNetwork
from geodata.pool import map_chunks

log = logging.getLogger(__name__)


_KDTREES: weakref.WeakKeyDictionary[RoadNetwork, tuple[cKDTree, np.ndarray]] = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- snapping


@dataclass(frozen=True, eq=False)
class SnappedPoints:
    """Points attached to their nearest network node.

    Parameters
    ----------
    ids
        Unique identifier of each point (strings, object or unicode array), shape ``(n,)``.
    x_m, y_m
        Point coordinates in the network's CRS (metres), shape ``(n,)``.
    node_index
        Index (not id) of the network node each point snapped to, int64, shape ``(n,)``.
    snap_distance_m
        Straight-line distance from each point to its node (metres), shape ``(n,)``.
    """

    ids: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    node_index: np.ndarray
    snap_distance_m: np.ndarray

    def __post_init__(self) -> None:
        problems = _snapped_problems(self)
        if problems:
            raise InputDataError("are not valid snapped points", source="SnappedPoints", problems=problems)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def __repr__(self) -> str:
        return f"SnappedPoints({len(self):,} points, max snap {self.max_snap_distance_m:,.0f} m)"

    @property
    def max_snap_distance_m(self) -> float:
        """Largest snap distance (0 when there are no points)."""
        return float(self.snap_distance_m.max()) if len(self) else 0.0


def _snapped_problems(points: SnappedPoints) -> list[str]:
    if points.ids.ndim != 1:
        return [f"ids must be one-dimensional, got shape {points.ids.shape}"]
    n = points.ids.shape[0]
    problems = _shape_problems(points, n)
    if problems:
        return problems
    if points.node_index.dtype != np.int64:
        problems.append(f"node_index must be int64, got {points.node_index.dtype}")
    elif n and points.node_index.min() < 0:
        problems.append("node_index has negative entries")
    if n and points.snap_distance_m.min() < 0:
        problems.append("snap_distance_m has negative entries")
    if len(set(points.ids.tolist())) != n:
        problems.append("ids are not unique")
    return problems


def _shape_problems(points: SnappedPoints, n: int) -> list[str]:
    problems = []
    for name in ("x_m", "y_m", "node_index", "snap_distance_m"):
        array = getattr(points, name)
        if array.shape != (n,):
            problems.append(f"{name} has shape {array.shape}, expected ({n},) like ids")
        elif name != "node_index" and not np.all(np.isfinite(array)):
            problems.append(f"{name} has non-finite values")
    return problems


def snap_points(
    network: RoadNetwork,
    ids: Sequence[object] | np.ndarray,
    x_m: Sequence[float] | np.ndarray,
    y_m: Sequence[float] | np.ndarray,
    *,
    max_snap_m: float = 2000.0,
    crs: object | None = None,
    source: str = "points",
) -> SnappedPoints:
    """Snap points to their nearest network node.

    Parameters
    ----------
    network
        The network to snap to.
    ids
        Unique identifier of each point; converted to ``str``.
    x_m, y_m
        Point coordinates in the network's CRS (metres).
    max_snap_m
        Largest allowed distance from a point to its nearest node.
    crs
        CRS of ``x_m, y_m`` if known; it must match ``network.crs``.
    source
        Where the points came from (a file name), used in error messages.

    Returns
    -------
    SnappedPoints
        The points, in the order given, with their node and snap distance.

    Raises
    ------
    InputDataError
        If ids are empty or duplicated, coordinates are not finite, the CRS
        differs from the network's, or a point is farther than ``max_snap_m``
        from every node.
    """
    ids_array, x, y = _check_point_input(network, ids, x_m, y_m, max_snap_m=max_snap_m, crs=crs, source=source)
    if ids_array.shape[0] and network.n_nodes == 0:
        raise InputDataError("has no nodes to snap points to", source=f"network {network.name!r}")
    if ids_array.shape[0] == 0:
        empty = np.empty(0)
        return SnappedPoints(ids_array, empty, empty.copy(), np.empty(0, dtype=np.int64), empty.copy())
    tree, tree_nodes = _node_tree(network)
    distance_m, position = tree.query(np.column_stack([x, y]), k=1)
    _check_snap_distance(network, ids_array, distance_m, max_snap_m, source=source)
    node_index = tree_nodes[np.asarray(position, dtype=np.int64)]
    return SnappedPoints(ids_array, x, y, node_index, np.asarray(distance_m, dtype=float))


def _node_tree(network: RoadNetwork) -> tuple[cKDTree, np.ndarray]:
    """KD-tree of the snappable nodes and their node indices, built once per network object."""
    cached = _KDTREES.get(network)
    if cached is None:
        nodes = np.arange(network.n_nodes, dtype=np.int64)
        if network.snappable is not None:
            nodes = nodes[np.asarray(network.snappable, dtype=bool)]
        cached = (cKDTree(np.column_stack([network.x_m[nodes], network.y_m[nodes]])), nodes)
        _KDTREES[network] = cached
    return cached


def _check_point_input(
    network: RoadNetwork,
    ids: Sequence[object] | np.ndarray,
    x_m: Sequence[float] | np.ndarray,
    y_m: Sequence[float] | np.ndarray,
    *,
    max_snap_m: float,
    crs: object | None,
    source: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate the raw point arrays, collecting every problem before raising."""
    ids_array = np.array([str(i) for i in np.asarray(ids, dtype=object).ravel()], dtype=object)
    x = np.asarray(x_m, dtype=float)
    y = np.asarray(y_m, dtype=float)
    problems = []
    if crs is not None and require_metric_crs(crs, what="points") != require_metric_crs(
        network.crs, what=f"network {network.name!r}"
    ):
        problems.append(f"points are in {crs}, network {network.name!r} is in {network.crs}; reproject the points")
    if not (np.isfinite(max_snap_m) and max_snap_m >= 0):
        problems.append(f"max_snap_m must be a finite distance >= 0 in metres, got {max_snap_m!r}")
    if not (x.shape == y.shape == ids_array.shape):
        problems.append(f"ids, x_m and y_m must have the same length, got {ids_array.shape}, {x.shape}, {y.shape}")
        raise InputDataError("cannot be snapped", source=source, problems=problems)
    problems.extend(_id_problems(ids_array))
    bad = ~(np.isfinite(x) & np.isfinite(y))
    problems.extend(
        f"point {i!r} has non-finite coordinates ({xi}, {yi})"
        for i, xi, yi in zip(ids_array[bad], x[bad], y[bad], strict=True)
    )
    if problems:
        raise InputDataError("cannot be snapped", source=source, problems=problems)
    return ids_array, x, y


def _id_problems(ids: np.ndarray) -> list[str]:
    problems = []
    positions: dict[str, list[int]] = {}
    for position, value in enumerate(ids.tolist()):
        positions.setdefault(value, []).append(position)
        if not value.strip():
            problems.append(f"point at position {position} has an empty id")
    problems.extend(
        f"id {value!r} is used {len(where)} times (positions {', '.join(map(str, where))}); ids must be unique"
        for value, where in positions.items()
        if len(where) > 1 and value.strip()
    )
    return problems


def _check_snap_distance(
    network: RoadNetwork, ids: np.ndarray, distance_m: np.ndarray, max_snap_m: float, *, source: str
) -> None:
    too_far = np.flatnonzero(distance_m > max_snap_m)
    if too_far.size == 0:
        return
    problems = [f"point {ids[i]!r} is {distance_m[i]:,.0f} m from the nearest node" for i in too_far]
    raise InputDataError(
        f"{too_far.size:,} point(s) are farther than max_snap_m={max_snap_m:,.0f} m from every node of "
        f"network {network.name!r}; check their coordinates first (a typo, easting and northing swapped); "
        "if they are right, use a network that covers them, or pass a larger max_snap_m to accept the walk "
        "from the point to the road",
        source=source,
        problems=problems,
    )


# --------------------------------------------------------------------------- the matrix


@dataclass(frozen=True, eq=False)
class TravelTimeMatrix:
    """Origin-destination travel times within a cutoff, as flat arrays of reachable pairs.

    Pairs beyond the cutoff are absent. A pair with zero travel time (both
    points snapped to the same node) is present, which is why this is not a
    scipy sparse matrix (those treat zero as "no entry").

    Parameters
    ----------
    origins, destinations
        The snapped points the matrix runs between.
    cutoff_s
        Largest travel time kept, seconds.
    origin_index, destination_index
        Position of each pair's origin in ``origins`` and destination in
        ``destinations``, int64, shape ``(n_pairs,)``.
    travel_time_s
        Travel time of each pair from origin node to destination node,
        seconds, float64, shape ``(n_pairs,)``.
    """

    origins: SnappedPoints
    destinations: SnappedPoints
    cutoff_s: float
    origin_index: np.ndarray
    destination_index: np.ndarray
    travel_time_s: np.ndarray

    def __post_init__(self) -> None:
        problems = _matrix_problems(self)
        if problems:
            raise InputDataError("is not a valid travel-time matrix", source="TravelTimeMatrix", problems=problems)

    def __repr__(self) -> str:
        return (
            f"TravelTimeMatrix({len(self.origins):,} origins x {len(self.destinations):,} destinations, "
            f"{self.n_pairs:,} pairs within {_format_duration(self.cutoff_s)})"
        )

    @property
    def n_pairs(self) -> int:
        """Number of reachable origin-destination pairs."""
        return int(self.travel_time_s.shape[0])

    def to_dense(self, fill: float = np.inf) -> np.ndarray:
        """Return the full ``(n_origins, n_destinations)`` matrix, ``fill`` where unreachable."""
        dense = np.full((len(self.origins), len(self.destinations)), fill, dtype=float)
        dense[self.origin_index, self.destination_index] = self.travel_time_s
        return dense

    def to_frame(self) -> pd.DataFrame:
        """Return one row per reachable pair.

        Returns
        -------
        pandas.DataFrame
            Columns ``origin_id, destination_id, travel_time_s, origin_snap_m,
            destination_snap_m``.
        """
        return pd.DataFrame(
            {
                "origin_id": self.origins.ids[self.origin_index],
                "destination_id": self.destinations.ids[self.destination_index],
                "travel_time_s": self.travel_time_s,
                "origin_snap_m": self.origins.snap_distance_m[self.origin_index],
                "destination_snap_m": self.destinations.snap_distance_m[self.destination_index],
            }
        )


def _matrix_problems(matrix: TravelTimeMatrix) -> list[str]:
    n = matrix.travel_time_s.shape
    problems = [
        f"{name} has shape {getattr(matrix, name).shape}, expected {n} like travel_time_s"
        for name in ("origin_index", "destination_index")
        if getattr(matrix, name).shape != n
    ]
    if matrix.travel_time_s.ndim != 1 or problems:
        return problems or [f"travel_time_s must be one-dimensional, got shape {n}"]
    if not (np.isfinite(matrix.cutoff_s) and matrix.cutoff_s >= 0):
        problems.append(f"cutoff_s must be finite and >= 0, got {matrix.cutoff_s!r}")
    for name, points in (("origin_index", matrix.origins), ("destination_index", matrix.destinations)):
        index = getattr(matrix, name)
        if index.size and (index.min() < 0 or index.max() >= len(points)):
            problems.append(f"{name} points outside the {len(points):,} points")
    times = matrix.travel_time_s
    if times.size and not (np.all(np.isfinite(times)) and times.min() >= 0 and times.max() <= matrix.cutoff_s):
        problems.append(f"travel_time_s must be finite and within 0..cutoff_s={matrix.cutoff_s}")
    return problems


def _format_duration(seconds: float) -> str:
    return f"{seconds / 60:,.4g} min" if seconds >= 60 else f"{seconds:,.4g} s"


@dataclass(frozen=True, eq=False)
class _Groups:
    """Points grouped by the node they snapped to: ``members[starts[g]:starts[g]+counts[g]]``."""

    nodes: np.ndarray
    counts: np.ndarray
    starts: np.ndarray
    members: np.ndarray

    @classmethod
    def of(cls, node_index: np.ndarray) -> _Groups:
        nodes, inverse, counts = np.unique(node_index, return_inverse=True, return_counts=True)
        starts = np.zeros(nodes.shape[0], dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        members = np.argsort(inverse, kind="stable").astype(np.int64)
        return cls(nodes, counts.astype(np.int64), starts, members)

    def expand(self, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For entries in ``groups``, return (entry repeated per member, member position)."""
        counts = self.counts[groups]
        if np.all(counts == 1):
            return np.arange(groups.shape[0]), self.members[self.starts[groups]]
        entry = np.repeat(np.arange(groups.shape[0]), counts)
        offset = np.arange(entry.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
        return entry, self.members[self.starts[groups][entry] + offset]


@dataclass(frozen=True, eq=False)
class _MatrixJob:
    """Everything one chunk of Dijkstra runs needs; sent to each worker process once."""

    graph: scipy.sparse.csr_matrix
    origins: _Groups
    destinations: _Groups
    cutoff_s: float

    def solve(self, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs for the origin groups ``chunk`` (positions in ``origins.nodes``).

        Holds at most ``len(chunk) x n_nodes`` distances at once.
        """
        distance = dijkstra(self.graph, directed=True, indices=self.origins.nodes[chunk], limit=self.cutoff_s)
        distance = distance[:, self.destinations.nodes]
        row, column = np.nonzero(distance <= self.cutoff_s)
        seconds = distance[row, column]
        del distance
        entry, destination_index = self.destinations.expand(column)
        entry_o, origin_index = self.origins.expand(chunk[row[entry]])
        return origin_index, destination_index[entry_o], seconds[entry][entry_o]


def travel_time_matrix(
    network: RoadNetwork,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    cutoff_s: float,
    chunk_size: int = 64,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> TravelTimeMatrix:
    """Compute travel times from every origin to every destination within a cutoff.

    Parameters
    ----------
    network
        The network the points were snapped to.
    origins, destinations
        Snapped points (see :func:`snap_points`).
    cutoff_s
        Largest travel time kept, seconds; Dijkstra stops searching beyond it.
    chunk_size
        Distinct origin nodes per Dijkstra call. Each worker holds at most
        ``chunk_size x network.n_nodes`` float64 distances at once.
    workers
        Worker processes; 1 computes in this process. A pool costs 0.1-1.3 s
        to start (see :func:`geodata.pool.start_method`), so it pays off for matrices that
        take several seconds. The result does not depend on ``workers`` or
        ``chunk_size``.
    progress
        Called after each chunk with the number of origins done so far.

    Returns
    -------
    TravelTimeMatrix
        Pairs ordered by origin node, then destination node, then point order.

    Raises
    ------
    InputDataError
        If a parameter is out of range or the points were not snapped to a
        network of this size.
    """
    _check_matrix_args(network, origins, destinations, cutoff_s=cutoff_s, chunk_size=chunk_size, workers=workers)
    started = time.perf_counter()
    job = _MatrixJob(network.csgraph, _Groups.of(origins.node_index), _Groups.of(destinations.node_index), cutoff_s)
    parts = list(_run_chunks(job, chunk_size=chunk_size, workers=workers, progress=progress))
    origin_index, destination_index, seconds = (
        _concat([part[k] for part in parts], np.dtype(dtype)) for k, dtype in enumerate(("int64", "int64", "float64"))
    )
    matrix = TravelTimeMatrix(origins, destinations, float(cutoff_s), origin_index, destination_index, seconds)
    log.info(
        "matrix: %s origins x %s destinations, %s pairs within %s in %.1f s",
        f"{len(origins):,}",
        f"{len(destinations):,}",
        f"{matrix.n_pairs:,}",
        _format_duration(cutoff_s),
        time.perf_counter() - started,
    )
    return matrix


def _concat(arrays: list[np.ndarray], dtype: np.dtype) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype=dtype)


def _run_chunks(
    job: _MatrixJob, *, chunk_size: int, workers: int, progress: Callable[[int], None] | None
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield each chunk's pairs in chunk order, reporting progress as they arrive."""
    n_groups = job.origins.nodes.shape[0]
    chunks = [np.arange(start, min(start + chunk_size, n_groups)) for start in range(0, n_groups, chunk_size)]
    done_after = np.cumsum([int(job.origins.counts[chunk].sum()) for chunk in chunks])
    for done, part in zip(done_after, map_chunks(job, chunks, workers=workers), strict=True):
        if progress is not None:
            progress(int(done))
        yield part


def _check_matrix_args(
    network: RoadNetwork,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    cutoff_s: float,
    chunk_size: int,
    workers: int,
) -> None:
    problems = []
    if not (np.isfinite(cutoff_s) and cutoff_s >= 0):
        problems.append(f"cutoff_s must be a finite time >= 0 in seconds, got {cutoff_s!r}")
    if not (isinstance(chunk_size, int | np.integer) and chunk_size >= 1):
        problems.append(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")
    if not (isinstance(workers, int | np.integer) and workers >= 1):
        problems.append(f"workers must be a whole number >= 1, got {workers!r}")
    for label, points in (("origins", origins), ("destinations", destinations)):
        if len(points) and points.node_index.max() >= network.n_nodes:
            problems.append(
                f"{label} refer to node {points.node_index.max()} but network {network.name!r} has "
                f"{network.n_nodes:,} nodes; snap them to this network with snap_points"
            )
    if problems:
        raise InputDataError("cannot compute a travel-time matrix", source="travel_time_matrix", problems=problems)


def nearest_travel_time_s(network: RoadNetwork, origins: SnappedPoints, *, cutoff_s: float) -> np.ndarray:
    """Travel time from the nearest origin to every network node (multi-source Dijkstra).

    Parameters
    ----------
    network
        The network the origins were snapped to.
    origins
        Snapped origin points, e.g. stations.
    cutoff_s
        Largest travel time computed, seconds; nodes farther are ``inf``.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(network.n_nodes,)``, seconds; ``inf`` where no origin
        is within ``cutoff_s`` (everywhere if there are no origins).
    """
    _check_matrix_args(network, origins, origins, cutoff_s=cutoff_s, chunk_size=1, workers=1)
    sources = np.unique(origins.node_index)
    if sources.size == 0:
        return np.full(network.n_nodes, np.inf)
    seconds = dijkstra(network.csgraph, directed=True, indices=sources, limit=cutoff_s, min_only=True)
    return np.asarray(seconds, dtype=float)


def nearest_nodes(network: RoadNetwork, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest snappable node of each point and its distance, with no checks (for millions of rows).

    Unlike :func:`snap_points`, nothing is raised: the caller decides what a
    long snap distance means for each row.

    Returns
    -------
    tuple of numpy.ndarray
        Node index (int64) and distance in metres (float64), shape ``(len(x_m),)``.
    """
    if network.n_nodes == 0:
        raise InputDataError("has no nodes to snap points to", source=f"network {network.name!r}")
    tree, tree_nodes = _node_tree(network)
    distance_m, position = tree.query(np.column_stack([x_m, y_m]), k=1, workers=-1)
    return tree_nodes[np.asarray(position, dtype=np.int64)], np.asarray(distance_m, dtype=float)


def nearest_origin(network: RoadNetwork, origin_nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Travel time from the nearest origin to every node, and which origin that is (multi-source Dijkstra).

    Parameters
    ----------
    network
        The network; times are its edge times.
    origin_nodes
        Node index of each origin (repeats allowed: the first origin at a node wins).

    Returns
    -------
    tuple of numpy.ndarray
        Seconds (float64, ``inf`` where no origin reaches) and the position in
        ``origin_nodes`` of the nearest origin (int64, -1 where none), shape ``(n_nodes,)``.
    """
    origin_nodes = np.asarray(origin_nodes, dtype=np.int64)
    if origin_nodes.size == 0:
        return np.full(network.n_nodes, np.inf), np.full(network.n_nodes, -1, dtype=np.int64)
    unique_nodes, first = np.unique(origin_nodes, return_index=True)
    seconds, _, source_node = dijkstra(
        network.csgraph, directed=True, indices=unique_nodes, min_only=True, return_predecessors=True
    )
    position_of_node = np.full(network.n_nodes, -1, dtype=np.int64)
    position_of_node[unique_nodes] = first
    origin = np.where(source_node >= 0, position_of_node[np.maximum(source_node, 0)], -1)
    return np.asarray(seconds, dtype=float), origin
