"""Run a chunked job on worker processes: the one process pool behind the travel-time matrix and table.

A *job* is a picklable object with a ``solve(chunk) -> result`` method; it is
sent to each worker once (as the pool initialiser's argument), and only the
small chunks travel per task. Results come back in chunk order, so they do not
depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Protocol

#: Start method of worker processes; None chooses per call (see :func:`start_method`).
MP_START_METHOD: str | None = None


class ChunkJob(Protocol):
    """Anything with a ``solve(chunk)`` method."""

    def solve(self, chunk: Any) -> Any:
        """The result of one chunk."""
        ...


_WORKER_JOB: ChunkJob | None = None


def _init_worker(job: ChunkJob) -> None:
    global _WORKER_JOB
    _WORKER_JOB = job


def _solve_in_worker(chunk: Any) -> Any:
    if _WORKER_JOB is None:
        raise RuntimeError("worker process was not initialised with a job")
    return _WORKER_JOB.solve(chunk)


def map_chunks(job: ChunkJob, chunks: Sequence[Any], *, workers: int) -> Iterable[Any]:
    """``job.solve`` of each chunk, in order; in this process when ``workers == 1`` or there is one chunk."""
    if workers == 1 or len(chunks) <= 1:
        yield from map(job.solve, chunks)
        return
    context = multiprocessing.get_context(start_method())
    with ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)), mp_context=context, initializer=_init_worker, initargs=(job,)
    ) as pool:
        yield from pool.map(_solve_in_worker, chunks)


@contextmanager
def job_pool(job: ChunkJob, *, workers: int) -> Iterator[Callable[[Sequence[Any]], list[Any]]]:
    """A pool kept open for many rounds: yields ``run(chunks) -> [job.solve(chunk), ...]`` (in order).

    The job is sent to each worker once, when the pool starts; each round then
    costs only its chunks. With ``workers == 1`` the chunks run in this process.
    """
    if workers == 1:
        yield lambda chunks: [job.solve(chunk) for chunk in chunks]
        return
    context = multiprocessing.get_context(start_method())
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(job,)
    ) as pool:
        yield lambda chunks: list(pool.map(_solve_in_worker, chunks))


def start_method() -> str:
    """Choose "fork" if this process runs one thread, else "spawn".

    Forking is fast (about 0.1 s for two workers; nothing is re-imported and
    the graph is inherited) but can deadlock a child if another thread, such
    as a progress bar's, held a lock at the time. Spawning costs about 1.3 s
    of imports per pool and pickles the job once per worker.
    """
    if MP_START_METHOD is not None:
        return MP_START_METHOD
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"
