"""Checks of command-line options shared by the commands: one wording for an out-of-range number or a bad ``--out``.

The ``--out`` checks run before any work, so a run is not refused after
minutes of solving because its output cannot be written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def whole_number_problems(checks: Mapping[str, tuple[object, int, int]]) -> list[str]:
    """A message for each ``option: (value, low, high)`` whose value is not a whole number in ``[low, high]``."""
    return [
        f"{option} {value}: give a whole number from {low} to {high}"
        for option, (value, low, high) in checks.items()
        if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high)
    ]


def out_folder_problems(path: str | Path, *, option: str = "--out") -> list[str]:
    """Why ``path`` cannot be an output folder (an existing file, a folder that cannot be written), if it cannot."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        return [f"{option} {out}: is a file; give a folder (the outputs are written into it)"]
    return _writable_problems(out, option)


def out_file_problems(path: str | Path, *, option: str = "--out", example: str = "out.csv") -> list[str]:
    """Why ``path`` cannot be an output file (an existing folder, a folder that cannot be written), if it cannot."""
    out = Path(path)
    if out.is_dir():
        return [f"{option} {out}: is a folder; give a file name, e.g. {out / example}"]
    return _writable_problems(out.parent, option)


def _writable_problems(folder: Path, option: str) -> list[str]:
    """The nearest existing folder at or above ``folder`` must be a folder this process can write into."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return [f"{option} {folder}: {existing} is a file, so no folder can be made there"]
    if not os.access(existing, os.W_OK | os.X_OK):
        return [f"{option} {folder}: cannot write into {existing} (permission denied); choose a folder you can write"]
    return []
