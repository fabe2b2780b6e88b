"""Hand freed heap memory back to the operating system between the phases of a long command.

``compare`` prepares, solves and simulates one configuration after another.
When one phase ends its arrays and tables are freed, but glibc's allocator
keeps most of the small and medium blocks (pandas and geopandas objects are
made of many) as free heap inside the process: measured on the README's
compare, the process stayed at 1.1 GB between configurations with nothing
of the last one referenced, and the forked simulation workers started from
there. ``malloc_trim(0)`` returns those free pages (``man 3 malloc_trim``),
bringing the process back to 0.5 GB (compare's peak 1.87 -> 1.56 GB in
``bench/bench_compare.py``). ``optimise`` trims once, after the solve and before
its simulation (hubs-2018 peak 1.63-1.67 -> 1.47-1.54 GB, two runs each). Elsewhere
than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable
from functools import lru_cache

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    """The C library's ``malloc_trim`` (glibc), or None where it has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def return_freed_memory() -> bool:
    """Collect garbage, then give the C heap's free pages back to the system.

    Returns
    -------
    bool
        True if memory was given back (glibc's ``malloc_trim`` said so), False otherwise or where
        there is no ``malloc_trim``.
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is None:
        return False
    returned = bool(trim(0))
    log.debug("returned freed heap memory to the system: %s", returned)
    return returned
