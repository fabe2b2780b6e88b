"""Where replications run: a local process pool by default, a Dask distributed cluster when one is named.

Both take a *job* (a picklable object with ``solve(chunk)``) and a list of
chunks (each a few replication seeds), and return the chunks' results in
order. The job, with its large travel table, travels to each worker once: as
the pool initialiser's argument locally, through ``Client.scatter`` on Dask.
Results depend only on the seeds, never on which executor ran them.

The scheduler is named by ``--scheduler ADDRESS`` or the environment variable
:data:`SCHEDULER_ENV` (e.g. ``tcp://10.0.0.5:8786``); ``distributed`` is then
imported, so it is needed only by those who use it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from geodata.errors import InputDataError
from geodata.pool import ChunkJob, map_chunks

log = logging.getLogger(__name__)

#: Environment variable naming a Dask scheduler address when ``--scheduler`` is not given.
SCHEDULER_ENV = "HUBPLAN_SCHEDULER"


def scheduler_address(given: str | None) -> str | None:
    """The Dask scheduler to use: ``given``, else :data:`SCHEDULER_ENV`, else ``None`` (local processes)."""
    return given or os.environ.get(SCHEDULER_ENV) or None


def chunked(items: Sequence[Any], *, workers: int, per_worker: int = 2) -> list[list[Any]]:
    """Split ``items`` into about ``workers * per_worker`` chunks of consecutive items, in order."""
    n_chunks = max(1, min(len(items), workers * per_worker))
    size = -(-len(items) // n_chunks)
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def run_chunks(
    job: ChunkJob,
    chunks: Sequence[Any],
    *,
    workers: int = 1,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
) -> list[Any]:
    """``job.solve`` of every chunk, in chunk order.

    Parameters
    ----------
    job
        The job, sent to each worker once.
    chunks
        The chunks.
    workers
        Local worker processes (ignored with a scheduler).
    scheduler
        ``None`` for local processes, or a Dask scheduler address (or a ``distributed`` cluster object).
    progress
        Called with the number of chunks done after each one.
    """
    if scheduler is not None:
        return _run_on_dask(job, chunks, scheduler, progress)
    results = []
    for done, result in enumerate(map_chunks(job, list(chunks), workers=workers), start=1):
        results.append(result)
        if progress is not None:
            progress(done)
    return results


def _solve_chunk(chunk: Any, job: ChunkJob) -> Any:
    return job.solve(chunk)


def _run_on_dask(job: ChunkJob, chunks: Sequence[Any], scheduler: Any, progress: Callable[[int], None] | None) -> list:
    try:
        from distributed import Client, as_completed
    except ImportError as error:
        raise InputDataError(
            "needs the 'distributed' package to use a Dask scheduler; pip install distributed, or drop --scheduler",
            source=f"scheduler {scheduler}",
        ) from error
    try:
        client = Client(scheduler, timeout="20s")
    except OSError as error:
        raise InputDataError(
            f"cannot be reached ({error}); start it (dask scheduler) or drop --scheduler to run locally",
            source=f"scheduler {scheduler}",
        ) from error
    with client:
        log.info("running %d tasks on Dask scheduler %s", len(chunks), client.scheduler.address)
        remote = client.scatter(job, broadcast=True)
        futures = client.map(_solve_chunk, list(chunks), job=remote, pure=False)
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done)
        return client.gather(futures)
