"""A whole incident file as one frame, for demand: every row valid, or one error listing every bad row."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from geodata.errors import InputDataError
from geodata.incidents.rejects import reject_messages
from geodata.incidents.schema import inspect_incident_file
from geodata.incidents.stream import iter_incident_chunks
from geodata.locations import PostcodeLookup

log = logging.getLogger(__name__)

#: The columns :func:`read_incidents` returns.
INCIDENT_COLUMNS = ("id", "grade", "timestamp", "x_m", "y_m")


def read_incidents(
    path: str | Path, *, postcode_lookup: PostcodeLookup | None = None, chunk_rows: int = 250_000
) -> pd.DataFrame:
    """Read a hubplan incident file whole, through the streaming reader, refusing it if any row is bad.

    The rows are parsed and checked exactly as :func:`iter_incident_chunks`
    does for ``hubplan evaluate`` (same rules, same messages); where evaluate
    can skip bad rows, demand needs every row, so any bad row is an error.

    Parameters
    ----------
    path
        A ``.csv`` or ``.parquet`` hubplan incident file (see :mod:`geodata.incidents`).
    postcode_lookup
        For postcode files; see :func:`iter_incident_chunks`.
    chunk_rows
        Rows read at a time.

    Returns
    -------
    pandas.DataFrame
        ``id`` str, ``grade`` int8, ``timestamp`` (UK clock time), ``x_m``,
        ``y_m`` (British National Grid metres), in file order.

    Raises
    ------
    InputDataError
        For the file-level problems of :func:`inspect_incident_file`; for a
        police.uk file (month only, so no shift); and naming the file and every
        bad row (line or Parquet row, column, value and fix).
    """
    info = inspect_incident_file(path)
    if not info.has_time_of_day:
        raise InputDataError(
            "is a police.uk file, which gives the month but no time of day, so its incidents cannot be given "
            "shifts; give a hubplan incident file (id, grade, timestamp and a location) for demand",
            source=str(path),
        )
    valid, rejects = [], []
    for chunk in iter_incident_chunks(path, postcode_lookup=postcode_lookup, chunk_rows=chunk_rows):
        valid.append(chunk.valid[list(INCIDENT_COLUMNS)])
        rejects.append(chunk.rejects)
    bad = pd.concat(rejects, ignore_index=True)
    if len(bad):
        raise InputDataError(
            f"has {len(bad):,} bad row(s); fix them and run again",
            source=str(path),
            problems=reject_messages(bad, line_unit=info.line_unit),
        )
    return pd.concat(valid, ignore_index=True)
