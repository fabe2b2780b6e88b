"""On-disk cache of travel-time matrices, keyed by everything the result depends on.

A matrix depends on the network (its :attr:`~geodata.network.RoadNetwork.fingerprint`
covers nodes, edges and travel times), the node each point snapped to, the
point ids and the cutoff. The key is a SHA-256 of those, so any change is a
miss. Files are ``.npz`` archives without pickles, written to a temporary file
in the cache folder and renamed into place, so a reader never sees half a
file. A file that cannot be read is logged and recomputed. A hit marks the
file as used and a store prunes the cache to its size cap, least recently used
first (:mod:`geodata.cache_files`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from geodata.atomic import atomic_path
from geodata.cache_files import mark_used, prune_after_store
from geodata.errors import InputDataError
from geodata.matrix import SnappedPoints, TravelTimeMatrix, travel_time_matrix
from geodata.network import RoadNetwork

log = logging.getLogger(__name__)

#: Bump when the stored layout or the meaning of a matrix changes; old files then miss.
FORMAT_VERSION = 1
CACHE_DIR_ENV = "HUBPLAN_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$HUBPLAN_CACHE_DIR`` if set, else ``~/.cache/hubplan``."""
    configured = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "hubplan"


def matrix_cache_key(
    network: RoadNetwork, origins: SnappedPoints, destinations: SnappedPoints, *, cutoff_s: float
) -> str:
    """SHA-256 hex digest of everything a travel-time matrix depends on.

    Parameters
    ----------
    network
        The network; its fingerprint covers nodes, edges and travel times.
    origins, destinations
        Only their ids and snapped node indices matter (not the exact
        coordinates, which do not change travel times).
    cutoff_s
        Travel-time cutoff, seconds.
    """
    digest = hashlib.sha256(f"hubplan travel-time matrix v{FORMAT_VERSION}\n".encode())
    digest.update(f"network {network.fingerprint}\ncutoff_s {float(cutoff_s)!r}\n".encode())
    for label, points in (("origins", origins), ("destinations", destinations)):
        digest.update(f"{label} {len(points)}\n".encode())
        digest.update(json.dumps(points.ids.tolist()).encode())
        digest.update(np.ascontiguousarray(points.node_index, dtype="<i8").tobytes())
    return digest.hexdigest()


def cached_travel_time_matrix(
    network: RoadNetwork,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    cutoff_s: float,
    cache_dir: Path,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> TravelTimeMatrix:
    """Return the travel-time matrix from the cache, computing and storing it on a miss.

    Parameters
    ----------
    network, origins, destinations, cutoff_s, workers, progress
        As for :func:`geodata.matrix.travel_time_matrix`.
    cache_dir
        Folder of cached matrices (see :func:`default_cache_dir`); created if missing.

    Returns
    -------
    TravelTimeMatrix
        Equal to what :func:`~geodata.matrix.travel_time_matrix` returns.
        The points in it are the ones passed in.
    """
    key = matrix_cache_key(network, origins, destinations, cutoff_s=cutoff_s)
    path = Path(cache_dir) / f"matrix-{key}.npz"
    cached = _load(path, key, origins, destinations, cutoff_s=cutoff_s)
    if cached is not None:
        log.debug("matrix: cache hit %s (%s pairs)", path.name, f"{cached.n_pairs:,}")
        mark_used(path)
        return cached
    matrix = travel_time_matrix(network, origins, destinations, cutoff_s=cutoff_s, workers=workers, progress=progress)
    _store(path, key, matrix)
    return matrix


def _load(
    path: Path, key: str, origins: SnappedPoints, destinations: SnappedPoints, *, cutoff_s: float
) -> TravelTimeMatrix | None:
    """Load the cached matrix at ``path``; None if it is absent, unreadable or not this key's."""
    if not path.exists():
        return None
    try:
        # Open the file ourselves: np.load leaks its own handle when the zip is truncated.
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
            _check_archive(archive, key, origins, destinations)
            return TravelTimeMatrix(
                origins,
                destinations,
                float(cutoff_s),
                archive["origin_index"].astype(np.int64, copy=False),
                archive["destination_index"].astype(np.int64, copy=False),
                archive["travel_time_s"].astype(np.float64, copy=False),
            )
    except Exception as error:  # noqa: BLE001 - any unreadable cache file (truncated zip, wrong arrays, bad
        # values that fail TravelTimeMatrix's checks, ...) must mean "recompute", never a crash.
        log.warning("matrix cache: ignoring unreadable %s (%s); recomputing", path, error)
        return None


def _check_archive(
    archive: np.lib.npyio.NpzFile, key: str, origins: SnappedPoints, destinations: SnappedPoints
) -> None:
    """Raise ValueError unless the archive was written for exactly this key and these points."""
    problems = []
    if str(archive["key"]) != key or int(archive["format_version"]) != FORMAT_VERSION:
        problems.append("key or format version differs")
    for label, points in (("origin", origins), ("destination", destinations)):
        if archive[f"{label}_ids"].tolist() != points.ids.tolist():
            problems.append(f"{label} ids differ")
        if not np.array_equal(archive[f"{label}_node_index"], points.node_index):
            problems.append(f"{label} node indices differ")
    if problems:
        raise InputDataError("does not match the requested matrix", source="matrix cache", problems=problems)


def _compact_index(index: np.ndarray, n_points: int) -> np.ndarray:
    """Point positions stored as int32 when they fit (a third off a matrix file; read back as int64)."""
    return index.astype(np.int32) if n_points < np.iinfo(np.int32).max else index


def _store(path: Path, key: str, matrix: TravelTimeMatrix) -> None:
    """Write ``matrix`` atomically; a failure to write is logged, never raised."""
    arrays = {
        "key": np.array(key),
        "format_version": np.array(FORMAT_VERSION),
        "cutoff_s": np.array(matrix.cutoff_s),
        "origin_index": _compact_index(matrix.origin_index, len(matrix.origins)),
        "destination_index": _compact_index(matrix.destination_index, len(matrix.destinations)),
        "travel_time_s": matrix.travel_time_s,
    }
    for label, points in (("origin", matrix.origins), ("destination", matrix.destinations)):
        arrays[f"{label}_ids"] = np.array(points.ids.tolist(), dtype=str)
        arrays[f"{label}_node_index"] = points.node_index
    try:
        with atomic_path(path) as temporary, temporary.open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds like allow_pickle
        log.debug("matrix cache: stored %s (%s pairs)", path.name, f"{matrix.n_pairs:,}")
    except OSError as error:
        log.warning("matrix cache: could not write %s (%s); continuing without caching", path, error)
        return
    prune_after_store(path.parent, path)
