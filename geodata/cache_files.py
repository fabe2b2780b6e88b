"""The files of hubplan's on-disk cache: what is there, how big, last use, pruning to a size cap.

Two kinds of file live in the cache folder (:func:`geodata.matrix_cache.default_cache_dir`):

* ``matrix-<key>.npz``: travel-time matrices (:mod:`geodata.matrix_cache`);
* ``table-<key>.npy``: dense travel tables among places for the simulation
  (:mod:`geodata.travel_table`).

A file's modification time is its *last use*: a cache hit touches it
(:func:`mark_used`), so pruning removes the least recently used files first.
After every store the cache is pruned to :func:`cache_cap_bytes`
(``$HUBPLAN_CACHE_MAX_GB``, default :data:`DEFAULT_CAP_GB`); the file just
written is never removed. Other files in the folder are left alone.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from geodata.errors import InputDataError

log = logging.getLogger(__name__)

#: Kind of cache file by name prefix, and its suffix.
KINDS = {"matrices": ("matrix-", ".npz"), "travel tables": ("table-", ".npy")}
CAP_ENV = "HUBPLAN_CACHE_MAX_GB"
#: Default size cap of the cache: the shipped scenarios' matrices and tables take about 1.5 GB.
DEFAULT_CAP_GB = 4.0
GB = 1024**3


@dataclass(frozen=True)
class CacheFile:
    """One cache file: path, kind, size and last use (seconds since the epoch)."""

    path: Path
    kind: str
    size_bytes: int
    last_used_s: float


def kind_of(path: Path) -> str | None:
    """The kind of a cache file from its name, or None for a file that is not hubplan's."""
    for kind, (prefix, suffix) in KINDS.items():
        if path.name.startswith(prefix) and path.name.endswith(suffix):
            return kind
    return None


def cache_files(cache_dir: Path) -> list[CacheFile]:
    """Every hubplan cache file in ``cache_dir``, least recently used first (none if the folder is absent)."""
    folder = Path(cache_dir)
    if not folder.is_dir():
        return []
    files = []
    for path in folder.iterdir():
        kind = kind_of(path)
        if kind is None or not path.is_file():
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        files.append(CacheFile(path, kind, stat.st_size, stat.st_mtime))
    return sorted(files, key=lambda f: (f.last_used_s, f.path.name))


def cache_usage(cache_dir: Path) -> dict[str, tuple[int, int]]:
    """``{kind: (files, bytes)}`` for every kind, zero when there are none."""
    usage = dict.fromkeys(KINDS, (0, 0))
    for file in cache_files(cache_dir):
        count, size = usage[file.kind]
        usage[file.kind] = (count + 1, size + file.size_bytes)
    return usage


def mark_used(path: Path) -> None:
    """Record a cache hit on ``path`` (its modification time becomes now); a failure is ignored."""
    try:
        os.utime(path)
    except OSError as error:
        log.debug("cache: could not mark %s as used (%s)", path.name, error)


def cache_cap_bytes() -> int:
    """The cache's size cap: ``$HUBPLAN_CACHE_MAX_GB`` gigabytes (default :data:`DEFAULT_CAP_GB`).

    Raises
    ------
    InputDataError
        If the variable is not a positive number.
    """
    text = os.environ.get(CAP_ENV, "").strip()
    if not text:
        return int(DEFAULT_CAP_GB * GB)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise InputDataError(f"{CAP_ENV}={text!r} is not a positive number of gigabytes, e.g. 4", source=CAP_ENV)
    return int(value * GB)


def prune_cache(cache_dir: Path, max_bytes: int, *, keep: Path | None = None) -> list[CacheFile]:
    """Remove the least recently used cache files until the rest fit in ``max_bytes``.

    Parameters
    ----------
    cache_dir
        The cache folder.
    max_bytes
        Largest total size of the cache files kept.
    keep
        A file never removed (the one just written), even if it alone exceeds the cap.

    Returns
    -------
    list of CacheFile
        The files removed, oldest first.
    """
    files = cache_files(cache_dir)
    total = sum(f.size_bytes for f in files)
    removed = []
    for file in files:
        if total <= max_bytes:
            break
        if keep is not None and file.path == Path(keep):
            continue
        try:
            file.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("cache: could not remove %s (%s)", file.path, error)
            continue
        total -= file.size_bytes
        removed.append(file)
    if removed:
        freed = sum(f.size_bytes for f in removed)
        log.info(
            "cache: removed %d least recently used file(s), %.1f GB, to stay under %.1f GB",
            len(removed),
            freed / GB,
            max_bytes / GB,
        )
    return removed


def prune_after_store(cache_dir: Path, stored: Path) -> None:
    """Prune the cache to :func:`cache_cap_bytes` after storing ``stored`` (kept)."""
    prune_cache(cache_dir, cache_cap_bytes(), keep=stored)


def clear_cache(cache_dir: Path, kinds: tuple[str, ...] = tuple(KINDS)) -> list[CacheFile]:
    """Remove every cache file of ``kinds``; returns the files removed."""
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise InputDataError(f"unknown cache kind(s) {', '.join(unknown)}; valid: {', '.join(KINDS)}", source="cache")
    removed = []
    for file in cache_files(cache_dir):
        if file.kind in kinds:
            file.path.unlink(missing_ok=True)
            removed.append(file)
    return removed
