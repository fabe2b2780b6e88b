"""Small validators shared by the simulation inputs: each records problems, none raises."""

from __future__ import annotations

from typing import Any

import numpy as np


def readonly(array: np.ndarray) -> np.ndarray:
    """Mark ``array`` read-only and return it."""
    array.flags.writeable = False
    return array


def vector(value: Any, name: str, dtype: type | np.dtype, problems: list[str]) -> np.ndarray:
    """A read-only 1-D copy of ``value`` as ``dtype``; an empty array (and a problem) if it will not convert.

    Parameters
    ----------
    value
        Anything :func:`numpy.asarray` accepts.
    name
        Field name used in the problem text.
    dtype
        Target dtype.
    problems
        Collected problems; appended to, never raised.

    Returns
    -------
    numpy.ndarray
        The converted copy (flattened from any shape with one axis).
    """
    try:
        array = np.array(value, dtype=dtype, copy=True)
    except (TypeError, ValueError) as error:
        problems.append(f"{name}: cannot be read as {np.dtype(dtype).name} ({error})")
        return readonly(np.zeros(0, dtype=dtype))
    if array.ndim != 1:
        problems.append(f"{name}: expected a 1-D array, got shape {array.shape}")
        return readonly(np.zeros(0, dtype=dtype))
    return readonly(array)


def check_finite_nonnegative(array: np.ndarray, name: str, problems: list[str]) -> None:
    """Record a problem naming the first bad entry when ``array`` has a non-finite or negative value."""
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        first = int(np.flatnonzero(bad.reshape(-1))[0])
        problems.append(
            f"{name}: {int(bad.sum())} values are negative or not finite "
            f"(first at index {first}: {array.reshape(-1)[first]}); expected finite seconds >= 0"
        )


def check_index_range(array: np.ndarray, name: str, size: int, what: str, problems: list[str]) -> None:
    """Record a problem when an index of ``array`` falls outside ``0 .. size-1``."""
    if array.size and (array.min() < 0 or array.max() >= size):
        problems.append(f"{name}: indices must lie in 0..{size - 1} ({what}), got {array.min()}..{array.max()}")


def check_same_length(arrays: dict[str, np.ndarray], problems: list[str]) -> int:
    """Record a problem when the named 1-D arrays differ in length; return the first length."""
    lengths = {name: array.shape[0] for name, array in arrays.items()}
    first = next(iter(lengths.values()), 0)
    if len(set(lengths.values())) > 1:
        problems.append(
            "arrays must have one entry per row, got lengths " + ", ".join(f"{k}={v}" for k, v in lengths.items())
        )
    return first
