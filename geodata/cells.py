"""Table cells as arrow arrays: stripped text, numbers, and per-row messages for the rows that are wrong.

Shared by every reader of tabular input (:mod:`geodata.incidents`,
:mod:`geodata.points`): a cell is read one way wherever it is read, and a
problem is described one way wherever it is found. Everything is vectorised
over a column; nothing loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NUMBER_PATTERN = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


def cell_text(array: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Cells as stripped strings, null as empty."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = as_string(array)
    if array.null_count:
        array = pc.fill_null(array, "")
    return pc.ascii_trim_whitespace(array)


def is_empty(text: pa.Array) -> np.ndarray:
    """Which cells of stripped text are empty."""
    return pc.equal(pc.binary_length(text), 0).to_numpy(zero_copy_only=False)


class Message:
    """Per-row messages built with ``+`` from strings and string columns, joined by arrow in one pass.

    ``"grade " + quoted(text, rows) + " is not 1, 2 or 3"`` gives one message
    per row of ``rows`` without a Python loop over the rows.
    """

    __array_ufunc__ = None  # numpy arrays on the left defer to __radd__

    def __init__(self, parts: list[str | pa.Array]) -> None:
        self.parts = parts

    def __add__(self, other: object) -> Message:
        return Message([*self.parts, *_message_parts(other)])

    def __radd__(self, other: object) -> Message:
        return Message([*_message_parts(other), *self.parts])

    def array(self) -> pa.Array:
        """The messages as an arrow string array."""
        return pc.binary_join_element_wise(*self.parts, "")


def _message_parts(value: object) -> list[str | pa.Array]:
    if isinstance(value, Message):
        return value.parts
    if isinstance(value, np.ndarray):
        return [pc.cast(pa.array(value), pa.string())]
    if isinstance(value, str | pa.Array):
        return [value]
    raise TypeError(f"cannot add {type(value).__name__} to a message")


def quoted(text: pa.Array, rows: np.ndarray) -> Message:
    """The cells of ``rows`` quoted for messages, e.g. ``'abc'``."""
    return Message(["'", text.take(pa.array(rows, pa.int64())), "'"])


@dataclass(frozen=True)
class Numbers:
    """A column parsed as numbers: values (NaN when empty or bad) and which cells were empty or bad."""

    values: np.ndarray
    empty: np.ndarray
    bad: np.ndarray
    text: pa.Array


def numbers(array: pa.ChunkedArray) -> Numbers:
    """Parse a column of decimal numbers; infinities and NaN written as text are bad, not empty."""
    text = cell_text(array)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        values = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False).astype(float, copy=True)
        empty, bad = np.isnan(values), np.isinf(values)
        values[bad] = np.nan
        return Numbers(values, empty, bad, text)
    empty = is_empty(text)
    ok = pc.match_substring_regex(text, NUMBER_PATTERN)
    parsed = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    values = parsed.to_numpy(zero_copy_only=False).astype(float, copy=True)
    bad = ~empty & ~np.isfinite(values)  # unparseable, or too large to be a number (1e999)
    values[bad] = np.nan
    return Numbers(values, empty, bad, text)


@dataclass
class Finding:
    """Rows (indices into the chunk) with one kind of problem, and a message for each (or one for all)."""

    reason: str
    rows: np.ndarray
    detail: pa.Array | str


def flag(reason: str, mask: np.ndarray, detail: Callable[[np.ndarray], Message | str]) -> list[Finding]:
    """The rows of ``mask`` as a finding, with ``detail(rows)`` as their messages (none when no row is set)."""
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    text = detail(rows)
    return [Finding(reason, rows, text if isinstance(text, str) else text.array())]


def as_string(array: pa.Array) -> pa.Array:
    """Any column as text (Parquet lists and structs through Python's ``str``)."""
    if pa.types.is_string(array.type):
        return array
    try:
        return pc.cast(array, pa.string())
    except pa.ArrowNotImplementedError:
        return pa.array([None if value is None else str(value) for value in array.to_pylist()], pa.string())


def holds_any(array: pa.Array, needles: tuple[bytes, ...]) -> bool:
    """Whether the bytes behind a string array contain any of ``needles`` (a fast scan of the data buffer)."""
    data = array.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return any(needle in raw for needle in needles)
