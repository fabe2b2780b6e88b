"""Incident times: ISO 8601 date-times as UK clock time, and the years a timestamp may fall in.

Naive values are UK local time (Europe/London) as written. Values with a UTC
offset (``Z``, ``+01:00``) are converted to UK local time, so the hour, and
with it the shift, is the hour on a UK clock. Parquet timestamp columns with a
time zone are converted the same way; without one they are UK local time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geodata.cells import cell_text, is_empty

#: Timestamps outside these years are rejected as implausible.
TIMESTAMP_YEARS = (1900, 2100)
#: A time of day followed by a UTC offset (``...T14:32:00Z``, ``...14:32+01:00``).
OFFSET_PATTERN = r"\d:\d\d(?::\d\d(?:[.,]\d*)?)?\s*(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"
#: The clock incident times are read on.
LOCAL_TIMEZONE = "Europe/London"
ISO_EXAMPLE = "use ISO 8601 date and time, e.g. 2018-06-01T14:32:00"


@dataclass(frozen=True)
class Times:
    """A column parsed as timestamps (NaT when not usable) and why each bad cell is bad."""

    values: np.ndarray
    empty: np.ndarray
    no_time: np.ndarray
    bad: np.ndarray
    text: pa.Array


def timestamps(array: pa.ChunkedArray) -> Times:
    """Parse local date-times; UTC offsets are converted to UK clock time; date-only cells lack a time."""
    text = cell_text(array)
    n = len(text)
    if pa.types.is_timestamp(array.type):
        values = _typed_timestamps(array)
        empty = np.isnat(values) & is_empty(text)
        return Times(values, empty, np.zeros(n, bool), np.isnat(values) & ~empty, text)
    empty = is_empty(text)
    no_time = ~empty & ~pc.match_substring(text, ":").to_numpy(zero_copy_only=False)
    candidates = ~empty & ~no_time
    if candidates.all():
        values = _parse_iso(text.to_numpy(zero_copy_only=False))
    else:
        values = np.full(n, np.datetime64("NaT"), "datetime64[ns]")
        rows = np.flatnonzero(candidates)
        values[rows] = _parse_iso(text.take(pa.array(rows)).to_numpy(zero_copy_only=False))
    return Times(values, empty, no_time, candidates & np.isnat(values), text)


def _parse_iso(text: np.ndarray) -> np.ndarray:
    """ISO 8601 strings to datetime64[ns] local clock time, NaT when unparseable or implausible.

    Values with a UTC offset are converted to UK clock time; pandas refuses a
    mix of offsets (or of offsets and none) in one call, so such a mix is
    split first. Each value's result is the same whichever way it is parsed.
    """
    try:
        parsed = pd.to_datetime(pd.Series(text, dtype=object), format="ISO8601", errors="coerce")
    except (ValueError, TypeError):
        return _parse_mixed_offsets(text)
    if parsed.dtype == object:  # older pandas: mixed offsets as objects
        return _parse_mixed_offsets(text)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_convert(LOCAL_TIMEZONE).dt.tz_localize(None)
    return plausible(parsed.to_numpy())


def _parse_mixed_offsets(text: np.ndarray) -> np.ndarray:
    """Parse values with and without UTC offsets separately (offsets to UK clock time)."""
    aware = pd.Series(text, dtype=object).str.contains(OFFSET_PATTERN, regex=True, na=False).to_numpy(bool)
    values = np.full(len(text), np.datetime64("NaT"), "datetime64[ns]")
    for offsets in (False, True):
        rows = np.flatnonzero(aware == offsets)
        try:
            parsed = pd.to_datetime(pd.Series(text[rows], dtype=object), format="ISO8601", errors="coerce", utc=offsets)
        except (ValueError, TypeError):  # an offset in a form the pattern missed: one by one
            values[rows] = [_parse_one(t) for t in text[rows]]
            continue
        if offsets:
            parsed = parsed.dt.tz_convert(LOCAL_TIMEZONE).dt.tz_localize(None)
        values[rows] = plausible(parsed.to_numpy())
    return values


def _parse_one(text: str) -> np.datetime64:
    """One ISO 8601 string as local clock time, NaT when it is not one."""
    try:
        stamp = pd.Timestamp(pd.to_datetime(text, format="ISO8601"))
    except (ValueError, TypeError, OverflowError):
        return np.datetime64("NaT")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(LOCAL_TIMEZONE).tz_localize(None)
    return plausible(np.array([stamp.to_datetime64()]))[0]


def _typed_timestamps(array: pa.ChunkedArray) -> np.ndarray:
    """A Parquet timestamp column as local clock time (zone-aware values converted to UK time)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type.tz is not None:
        array = pc.local_timestamp(pc.cast(array, pa.timestamp(array.type.unit, LOCAL_TIMEZONE)))
    values = array.to_numpy(zero_copy_only=False)
    return plausible(values.astype(f"datetime64[{array.type.unit}]"))


def plausible(values: np.ndarray) -> np.ndarray:
    """Datetimes as datetime64[ns], NaT outside :data:`TIMESTAMP_YEARS`."""
    low, high = (np.datetime64(f"{year}-01-01", "us") for year in TIMESTAMP_YEARS)
    micro = values.astype("datetime64[us]")
    micro[(micro < low) | (micro >= high)] = np.datetime64("NaT")
    return micro.astype("datetime64[ns]")
