"""Reading point files (stations, candidate sites, demand points): I/O at the edge.

A point file is a CSV (or Parquet, if ``pyarrow`` is installed) with an ``id``
column and exactly one way of giving the location:

* ``lon, lat`` (or ``longitude, latitude``): WGS84 degrees;
* ``easting, northing``: British National Grid (EPSG:27700) metres;
* ``postcode``: looked up with a caller-supplied function, for example
  :func:`geodata.embedded.lookup_postcodes` (Code-Point Open).

Column names are matched case-insensitively after stripping whitespace. Every
problem in the file is collected and reported at once, with CSV line numbers
(the header is line 1), so a user can fix the whole file in one pass.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj

from geodata.cells import Finding, cell_text
from geodata.crs import BNG, require_metric_crs
from geodata.errors import InputDataError, refuse_other_delimiter, require_file
from geodata.locations import (
    LOCATION_PREFERENCE,
    POSTCODE,
    PostcodeLookup,
    bng_to,
    coordinate_locations,
    postcode_finder,
    postcode_locations,
)

log = logging.getLogger(__name__)

ACCEPTED_FORMS = (
    "easting,northing in British National Grid (EPSG:27700) metres; lon,lat (or longitude,latitude) "
    "in WGS84 degrees; or postcode"
)
SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class _Table:
    """A point file read as text, with the file line (or Parquet row) of each row."""

    frame: pd.DataFrame
    source: str
    line: np.ndarray
    unit: str

    def where(self, i: int | np.integer) -> str:
        return f"{self.unit} {int(self.line[i])}"

    def wheres(self, rows: np.ndarray) -> str:
        return f"{self.unit}s " + ", ".join(str(int(self.line[i])) for i in rows)


def read_points(path: str | Path, *, crs: object = BNG, postcode_lookup: PostcodeLookup | None = None) -> pd.DataFrame:
    """Read a point file into ``id, x_m, y_m`` in ``crs``.

    Parameters
    ----------
    path
        A ``.csv`` or ``.parquet`` file with an ``id`` column and one location form
        (see the module docstring).
    crs
        Projected metric CRS of the returned coordinates (British National Grid by default).
    postcode_lookup
        Needed only for files with a ``postcode`` column: takes a Series of
        postcodes and returns a DataFrame with ``easting, northing`` (BNG metres)
        aligned with it, NaN for unknown postcodes.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (str), ``x_m``, ``y_m`` (float, metres in ``crs``), one row per
        point in file order; ``attrs["crs"]`` names the CRS.

    Raises
    ------
    InputDataError
        Naming the file and listing every problem found: missing file, no ``id``
        column, missing or ambiguous location columns, empty or duplicate ids,
        unparseable or out-of-range coordinates, unknown postcodes.
    """
    target = require_metric_crs(crs, what="read_points(crs=...)")
    table = _read_table(Path(path))
    problems: list[str] = []
    ids = _ids(table, problems)
    form, columns = _location_form(table, problems)
    x_m, y_m = _locate(table, form, columns, target, postcode_lookup, problems) if form else (None, None)
    if problems or x_m is None or y_m is None:
        raise InputDataError(
            f"has {len(problems)} problem(s) in its points; fix them and read it again",
            source=table.source,
            problems=problems,
        )
    log.info("read %s points from %s (%s)", f"{len(ids):,}", table.source, form)
    points = pd.DataFrame({"id": ids, "x_m": x_m, "y_m": y_m})
    points.attrs["crs"] = target.to_string()
    return points


# --------------------------------------------------------------------------- reading


def _read_table(path: Path) -> _Table:
    """Read the file as strings with normalised column names; structural errors raise at once."""
    source = str(path)
    require_file(path, what="points file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputDataError(f"has suffix {path.suffix!r}; save it as one of {', '.join(SUFFIXES)}", source=source)
    frame, unit, first = _read_parquet(path) if suffix == ".parquet" else _read_csv(path)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise InputDataError(
            f"has columns that differ only in case or spaces: {', '.join(duplicated)}; keep one of each",
            source=source,
        )
    blank = (frame.apply(lambda column: column.str.strip()) == "").all(axis=1).to_numpy()
    line = np.arange(first, first + len(frame))[~blank]
    return _Table(frame.loc[~blank].reset_index(drop=True), source, line, unit)


def _read_csv(path: Path) -> tuple[pd.DataFrame, str, int]:
    """All cells as strings; blank lines kept (and dropped later) so line numbers stay true."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as error:
        message = "is empty; expected a header line with id and location columns"
        raise InputDataError(message, source=str(path)) from error
    except UnicodeDecodeError as error:
        raise InputDataError(f"is not UTF-8 text ({error.reason}); save it as UTF-8 CSV", source=str(path)) from error
    except pd.errors.ParserError as error:
        raise InputDataError(f"is not valid CSV: {error}", source=str(path)) from error
    refuse_other_delimiter(list(frame.columns), source=str(path))
    return frame, "line", 2


def _read_parquet(path: Path) -> tuple[pd.DataFrame, str, int]:
    if importlib.util.find_spec("pyarrow") is None:
        raise InputDataError(
            "is Parquet, which needs the pyarrow package; install it (pip install pyarrow) or save the file as CSV",
            source=str(path),
        )
    frame = pd.read_parquet(path)
    text = frame.astype(object).where(frame.notna(), "").map(str)
    return text, "row", 1


# --------------------------------------------------------------------------- validating


def _ids(table: _Table, problems: list[str]) -> np.ndarray:
    """Return the stripped ids, recording a missing column, empty and duplicate ids."""
    if "id" not in table.frame.columns:
        problems.append(f"no 'id' column; found columns: {', '.join(table.frame.columns) or 'none'}")
        return np.array([], dtype=object)
    ids = table.frame["id"].str.strip().to_numpy(dtype=object)
    problems.extend(f"{table.where(i)}: empty id" for i in np.flatnonzero(ids == ""))
    rows_of: dict[str, list[int]] = {}
    for i, value in enumerate(ids.tolist()):
        if value:
            rows_of.setdefault(value, []).append(i)
    problems.extend(
        f"duplicate id {value!r} on {table.wheres(np.array(rows))}; ids must be unique"
        for value, rows in rows_of.items()
        if len(rows) > 1
    )
    return ids


def _location_form(table: _Table, problems: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """Return the one location form the columns give, recording none, partial or several."""
    present = set(table.frame.columns)
    options = list(LOCATION_PREFERENCE)
    complete = [(form, cols) for form, cols in options if set(cols) <= present]
    partial = [cols for _, cols in options if set(cols) & present and not set(cols) <= present]
    if len(complete) == 1:
        return complete[0]
    if len(complete) > 1:
        found = "; ".join(",".join(cols) for _, cols in complete)
        problems.append(f"ambiguous location: found {found}; keep exactly one of: {ACCEPTED_FORMS}")
    else:
        half = "".join(f"; {','.join(c)} is incomplete (missing {','.join(sorted(set(c) - present))})" for c in partial)
        problems.append(
            f"no location columns{half}; expected exactly one of: {ACCEPTED_FORMS} "
            f"(found columns: {', '.join(table.frame.columns) or 'none'})"
        )
    return None, ()


def _locate(
    table: _Table,
    form: str,
    columns: tuple[str, ...],
    target: pyproj.CRS,
    postcode_lookup: PostcodeLookup | None,
    problems: list[str],
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Coordinates in ``target`` for the given location form (:mod:`geodata.locations`); records per-row problems."""
    cells = [pa.array(table.frame[c].to_numpy(object), pa.string()) for c in columns]
    if form == POSTCODE:
        if postcode_lookup is None:
            problems.append(
                "has a postcode column but no postcode lookup was given; pass "
                "postcode_lookup=geodata.embedded.lookup_postcodes, or give lon,lat or easting,northing columns"
            )
            return None, None
        x, y, findings = postcode_locations(cell_text(cells[0]), columns[0], postcode_finder(postcode_lookup))
        x, y = bng_to(x, y, target)
    else:
        x, y, findings = coordinate_locations(cells[0], cells[1], (columns[0], columns[1]), form=form, crs=target)
    problems.extend(_row_problems(table, findings))
    return x, y


def _row_problems(table: _Table, findings: list[Finding]) -> list[str]:
    """``"line <n>: <detail>"`` for each row of each finding, in finding order."""
    messages = []
    for found in findings:
        details = [found.detail] * len(found.rows) if isinstance(found.detail, str) else found.detail.to_pylist()
        messages += [f"{table.where(i)}: {detail}" for i, detail in zip(found.rows, details, strict=True)]
    return messages
