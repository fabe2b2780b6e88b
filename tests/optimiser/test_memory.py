"""Freed heap goes back to the system between compare's phases (glibc only)."""

from __future__ import annotations

import os

import pytest

from optimiser.memory import _malloc_trim, return_freed_memory

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_BYTES


@pytest.mark.skipif(_malloc_trim() is None or not os.path.exists("/proc/self/statm"), reason="needs glibc and /proc")
def test_freed_blocks_held_by_the_heap_are_returned():
    # 2 KB blocks come from malloc, not Python's small-object arenas; keeping every 64th alive leaves the
    # freed ones in the middle of the heap, where free() alone does not give them back.
    blocks = [bytes(2048) for _ in range(100_000)]
    kept = blocks[::64]
    del blocks
    held = _resident_bytes()
    assert return_freed_memory()
    assert held - _resident_bytes() > 100 * 2**20  # most of the ~200 MB freed
    assert len(kept) == 1563
