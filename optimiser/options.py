"""Checks of command-line options shared by the commands: one wording for an out-of-range number."""

from __future__ import annotations

from collections.abc import Mapping


def whole_number_problems(checks: Mapping[str, tuple[object, int, int]]) -> list[str]:
    """A message for each ``option: (value, low, high)`` whose value is not a whole number in ``[low, high]``."""
    return [
        f"{option} {value}: give a whole number from {low} to {high}"
        for option, (value, low, high) in checks.items()
        if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high)
    ]
