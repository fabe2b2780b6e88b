"""All-pairs travel times among a set of road nodes, as a dense table, cached on disk.

The response simulation needs the travel time from wherever a car is (its
post, a scene, a custody suite) to any incident place, so it needs every pair
among a few thousand places: a dense ``n x n`` table rather than the sparse,
cut-off pairs of :func:`geodata.matrix.travel_time_matrix`. Times are whole
seconds in ``uint16`` (up to 18 h; 6,700 places take 90 MB), computed by
Dijkstra from each node with no cutoff, in chunks, on one or more processes.

Unreachable pairs (a one-way dead end in an OSM extract, say) get
:data:`UNREACHABLE_S`, and their count is logged: a car is then never sent
along them unless nothing else is free.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import dijkstra

from geodata.atomic import atomic_path
from geodata.cache_files import mark_used, prune_after_store
from geodata.errors import InputDataError
from geodata.network import RoadNetwork
from geodata.pool import map_chunks

log = logging.getLogger(__name__)

#: Travel time given to pairs no route joins, seconds (the largest ``uint16``: about 18 h).
UNREACHABLE_S = np.iinfo(np.uint16).max
#: Version of the cached table layout; part of the cache key.
TABLE_CACHE_VERSION = 1


@dataclass(frozen=True, eq=False)
class _TableJob:
    """What one chunk of Dijkstra runs needs; sent to each worker process once."""

    graph: scipy.sparse.csr_matrix
    nodes: np.ndarray

    def solve(self, chunk: np.ndarray) -> np.ndarray:
        """Rows of the table for the node positions ``chunk``: seconds, rounded, ``uint16``."""
        distance = dijkstra(self.graph, directed=True, indices=self.nodes[chunk])[:, self.nodes]
        distance = np.where(np.isfinite(distance), np.rint(distance), UNREACHABLE_S)
        return np.minimum(distance, UNREACHABLE_S).astype(np.uint16)


def node_travel_table(
    network: RoadNetwork,
    nodes: np.ndarray,
    *,
    workers: int = 1,
    chunk_size: int = 128,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Travel time from every node of ``nodes`` to every other, seconds, dense ``uint16``.

    Parameters
    ----------
    network
        The network (with the speed factor wanted, e.g. blue-light).
    nodes
        Road node indices; row and column ``i`` of the table are ``nodes[i]``.
    workers
        Worker processes; the result does not depend on it.
    chunk_size
        Sources per Dijkstra call (each holds ``chunk_size x n_nodes`` float64 distances).
    progress
        Called after each chunk with the number of rows done.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` ``uint16`` seconds, rounded; :data:`UNREACHABLE_S` where no route joins the pair.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    _check_table_args(network, nodes, workers=workers, chunk_size=chunk_size)
    started = time.perf_counter()
    job = _TableJob(network.csgraph, nodes)
    chunks = [np.arange(s, min(s + chunk_size, nodes.size)) for s in range(0, nodes.size, chunk_size)]
    table = np.empty((nodes.size, nodes.size), dtype=np.uint16)
    for chunk, rows in zip(chunks, map_chunks(job, chunks, workers=workers), strict=True):
        table[chunk] = rows
        if progress is not None:
            progress(int(chunk[-1]) + 1)
    unreachable = int((table == UNREACHABLE_S).sum())
    log.info(
        "travel table: %s x %s places in %.1f s%s",
        f"{nodes.size:,}",
        f"{nodes.size:,}",
        time.perf_counter() - started,
        f"; {unreachable:,} pairs have no route" if unreachable else "",
    )
    return table


def _check_table_args(network: RoadNetwork, nodes: np.ndarray, *, workers: int, chunk_size: int) -> None:
    problems = []
    if nodes.ndim != 1 or (nodes.size and (nodes.min() < 0 or nodes.max() >= network.n_nodes)):
        problems.append(f"nodes must be a list of node indices below {network.n_nodes:,}")
    if not (isinstance(workers, int | np.integer) and workers >= 1):
        problems.append(f"workers must be a whole number >= 1, got {workers!r}")
    if not (isinstance(chunk_size, int | np.integer) and chunk_size >= 1):
        problems.append(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")
    if problems:
        raise InputDataError("cannot compute a travel table", source="node_travel_table", problems=problems)


def travel_table_key(network: RoadNetwork, nodes: np.ndarray) -> str:
    """Cache key of the table of ``nodes`` on ``network`` (its fingerprint covers the edge times)."""
    digest = hashlib.sha256()
    digest.update(f"v{TABLE_CACHE_VERSION}|{network.fingerprint}|".encode())
    digest.update(np.ascontiguousarray(nodes, dtype=np.int64).tobytes())
    return digest.hexdigest()[:32]


def cached_node_travel_table(
    network: RoadNetwork,
    nodes: np.ndarray,
    *,
    cache_dir: Path | None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """:func:`node_travel_table`, read from ``cache_dir`` when computed before (``None``: no cache).

    A cached file that cannot be read, or has the wrong shape, is recomputed and replaced.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    path = None if cache_dir is None else Path(cache_dir) / f"table-{travel_table_key(network, nodes)}.npy"
    if path is not None and path.is_file():
        try:
            table = np.load(path, mmap_mode=None, allow_pickle=False)
            if table.shape == (nodes.size, nodes.size) and table.dtype == np.uint16:
                log.info("travel table: %s x %s places from the cache", f"{nodes.size:,}", f"{nodes.size:,}")
                mark_used(path)
                return table
        except (OSError, ValueError) as error:
            log.warning("travel table cache: %s is unreadable (%s); recomputing", path.name, error)
    table = node_travel_table(network, nodes, workers=workers, progress=progress)
    if path is not None:
        try:
            with atomic_path(path) as temporary, temporary.open("wb") as handle:
                np.save(handle, table, allow_pickle=False)
        except OSError as error:
            log.warning("travel table cache: could not write %s (%s); continuing without caching", path, error)
        else:
            prune_after_store(path.parent, path)
    return table
