"""Incident files read in chunks: clean rows to score, and every rejected row with its reason.

Two schemas are accepted; column names match case-insensitively after stripping.

**hubplan incidents**: ``id``, ``grade`` (1, 2 or 3), ``timestamp`` (ISO 8601,
e.g. ``2018-06-01T14:32:00``, local clock time) and a location, one of:

* ``easting, northing``: British National Grid (EPSG:27700) metres;
* ``lon, lat`` (or ``longitude, latitude``): WGS84 degrees;
* ``postcode``: looked up in the embedded OS Code-Point Open extract (or with
  a caller's lookup).

When several forms are present the first in that order is used and
:class:`IncidentFileInfo` says so. Optional actual attendance: ``attendance_s``
(seconds from the timestamp to the first unit arriving) or ``arrived_at`` (a
timestamp); with both, ``attendance_s`` is used. An empty attendance cell means
no unit attended and is not an error. An optional ``source`` column labels
rows (``hubplan incidents synth`` writes ``synthetic``); its values are carried
through so that reports can say what the rows are.

**police.uk street-level crime**, as downloaded: ``Crime ID, Month, Reported
by, Falls within, Longitude, Latitude, Location, LSOA code, LSOA name, Crime
type, Last outcome category, Context``. Grades come from the crime type
(:mod:`geodata.policeuk`, an assumption), the date is the first instant of the
month, and rows without a Crime ID (anti-social behaviour) get the id
``line-<n>``; identical lines are separate incidents.

:func:`iter_incident_chunks` streams the file (CSV through pyarrow's streaming
reader, Parquet by record batches), so memory grows with ``chunk_rows``, not
with the file. File-level problems (unreadable file, missing columns) raise
:class:`~geodata.errors.InputDataError`; row-level problems never stop the read.
Each rejected row appears once in :attr:`IncidentChunk.rejects`: ``reason`` is
the first of its problems in :data:`REASONS` order and ``detail`` names every
problem, the field, the value and the fix. Lines are CSV file lines (the header
is line 1, blank lines count and are skipped, a quoted value spanning lines
counts every line) or, for Parquet, 1-based row numbers. Chunking never changes
the result: the chunks joined equal one pass over the file.

Duplicate ids are found across chunks with a 64-bit hash of each id (16 bytes
per distinct id); two different ids colliding is astronomically unlikely
(about 3 in a million for ten million ids).
"""

from __future__ import annotations

import csv
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import shapely
from shapely.geometry.base import BaseGeometry

from geodata import embedded
from geodata.crs import BNG, lonlat_to_crs
from geodata.errors import InputDataError
from geodata.points import (
    BNG_EASTING_M,
    BNG_NORTHING_M,
    GB_LAT,
    GB_LON,
    PostcodeLookup,
    call_postcode_lookup,
)
from geodata.policeuk import DEFAULT_CRIME_TYPE_GRADES, check_grade_map, normalise_crime_type

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)


HUBPLAN, POLICE_UK = "hubplan", "police.uk"
EASTING_NORTHING, LON_LAT, POSTCODE = "easting,northing", "lon,lat", "postcode"

#: Location columns of the hubplan schema, in order of preference.
LOCATION_PREFERENCE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (EASTING_NORTHING, ("easting", "northing")),
    (LON_LAT, ("lon", "lat")),
    (LON_LAT, ("longitude", "latitude")),
    (POSTCODE, ("postcode",)),
)
HUBPLAN_REQUIRED = ("id", "grade", "timestamp")
#: The police.uk street-level columns as published (lower case); the reader needs POLICE_UK_REQUIRED.
POLICE_UK_COLUMNS = (
    "crime id",
    "month",
    "reported by",
    "falls within",
    "longitude",
    "latitude",
    "location",
    "lsoa code",
    "lsoa name",
    "crime type",
    "last outcome category",
    "context",
)
POLICE_UK_REQUIRED = ("crime id", "month", "longitude", "latitude", "crime type")
ACCEPTED_SCHEMAS = (
    "hubplan incidents: id, grade (1, 2 or 3), timestamp (ISO 8601, e.g. 2018-06-01T14:32:00) and a location: "
    "easting,northing (British National Grid metres), lon,lat or longitude,latitude (WGS84 degrees), or postcode; "
    "optionally attendance_s (seconds to the first unit arriving) or arrived_at. "
    "Or police.uk street-level crime as downloaded: Crime ID, Month, Reported by, Falls within, Longitude, "
    "Latitude, Location, LSOA code, LSOA name, Crime type, Last outcome category, Context"
)
CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")

#: Row-level reject reasons; a row with several problems is filed under the first.
REASONS = (
    "malformed_row",
    "missing_id",
    "duplicate_id",
    "bad_timestamp",
    "unknown_grade",
    "missing_location",
    "bad_coordinates",
    "unknown_postcode",
    "outside_force_area",
    "bad_attendance",
)
VALID_COLUMNS = ("line", "id", "grade", "timestamp", "x_m", "y_m", "actual_response_s")
REJECT_COLUMNS = ("line", "id", "reason", "detail", "raw")

#: Timestamps outside these years are rejected as implausible.
TIMESTAMP_YEARS = (1900, 2100)
#: Bytes the CSV reader parses at a time.
CSV_BLOCK_BYTES = 1 << 20
NUMBER_PATTERN = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
#: A time of day followed by a UTC offset (``...T14:32:00Z``, ``...14:32+01:00``).
OFFSET_PATTERN = r"\d:\d\d(?::\d\d(?:[.,]\d*)?)?\s*(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"
LOCAL_TIMEZONE = "Europe/London"
ISO_EXAMPLE = "use ISO 8601 date and time, e.g. 2018-06-01T14:32:00"


@dataclass(frozen=True)
class IncidentFileInfo:
    """What an incident file holds, from its header alone.

    Attributes
    ----------
    path
        The file.
    file_format
        ``"csv"`` or ``"parquet"``.
    schema
        ``"hubplan"`` or ``"police.uk"``.
    columns
        The column names as written in the file, in order (a rejects file in
        the input's own format is this header followed by the ``raw`` texts).
    location_form
        ``"easting,northing"``, ``"lon,lat"`` or ``"postcode"``.
    location_columns
        The file's names of the location columns used.
    has_time_of_day
        False for police.uk (month only).
    has_attendance
        Whether rows can carry an actual attendance time.
    attendance_source
        ``"attendance_s column"``, ``"arrived_at - timestamp"`` or None.
    grade_source
        Where grades come from, for reports.
    grade_map
        police.uk: the crime type to grade mapping in use; hubplan: None.
    line_unit
        ``"line"`` (CSV file lines, header = 1) or ``"row"`` (Parquet, 1-based).
    notes
        Choices made that a reader should know (e.g. which location form won).
    has_source_labels
        Whether rows carry a ``source`` label (hubplan schema only).
    """

    path: Path
    file_format: str
    schema: str
    columns: tuple[str, ...]
    location_form: str
    location_columns: tuple[str, ...]
    has_time_of_day: bool
    has_attendance: bool
    attendance_source: str | None
    grade_source: str
    grade_map: Mapping[str, int] | None
    line_unit: str
    notes: tuple[str, ...] = ()
    has_source_labels: bool = False


@dataclass(frozen=True)
class IncidentChunk:
    """One chunk of an incident file: rows to score and rows rejected.

    Attributes
    ----------
    valid
        ``line`` int64, ``id`` str, ``grade`` int8 (1, 2, 3), ``timestamp``
        datetime64[ns] (local clock time; police.uk: first instant of the
        month), ``x_m``, ``y_m`` float64 (British National Grid metres),
        ``actual_response_s`` float64 (NaN when absent), for police.uk
        ``crime_type`` str, and with a ``source`` column ``source`` str.
        File order.
    rejects
        ``line`` int64, ``id`` str (as given; ``""`` when missing), ``reason``
        (one of :data:`REASONS`), ``detail`` (every problem of the row, with
        field, value and fix), ``raw`` (the row as CSV text, in the file's
        column order). File order.
    """

    valid: pd.DataFrame
    rejects: pd.DataFrame


# --------------------------------------------------------------------------- public API


def inspect_incident_file(path: str | Path, *, grade_map: Mapping[str, int] | None = None) -> IncidentFileInfo:
    """Read the header of an incident file and say what it holds.

    Parameters
    ----------
    path
        A ``.csv`` or ``.parquet`` file in one of the two schemas (module docstring).
    grade_map
        police.uk only: crime type to grade (1, 2, 3), complete (e.g. from
        :func:`geodata.policeuk.read_grade_map`); default
        :data:`geodata.policeuk.DEFAULT_CRIME_TYPE_GRADES`. Ignored for hubplan files.

    Returns
    -------
    IncidentFileInfo

    Raises
    ------
    InputDataError
        Naming the file: missing, unreadable, unknown suffix, duplicated
        column names, missing required columns or no location columns, with
        the accepted schemas and the fix; or a grade map with grades other than 1-3.
    """
    return _inspect(Path(path), grade_map)[0]


def iter_incident_chunks(
    path: str | Path,
    *,
    chunk_rows: int = 250_000,
    postcode_lookup: PostcodeLookup | None = None,
    area: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    area_buffer_m: float = 2_000.0,
    grade_map: Mapping[str, int] | None = None,
) -> Iterator[IncidentChunk]:
    """Stream an incident file as validated chunks.

    Parameters
    ----------
    path
        A ``.csv`` or ``.parquet`` incident file (see :func:`inspect_incident_file`).
    chunk_rows
        Rows per chunk (the last may be shorter); bounds the memory used.
    postcode_lookup
        For postcode files: a function from a Series of postcodes to a frame of
        ``easting, northing`` aligned with it (NaN when unknown), called once per
        chunk on the distinct postcodes. None, or
        :func:`geodata.embedded.lookup_postcodes`, uses a vectorised lookup in the
        embedded Code-Point Open extract (same answers, much faster).
    area
        Where incidents may lie: a shapely geometry in British National Grid
        metres, or a GeoSeries/GeoDataFrame in EPSG:27700; None uses the
        embedded Staffordshire force area.
    area_buffer_m
        Rows up to this far outside ``area`` are kept (police.uk snap points of
        border LSOAs can lie just over the boundary); farther ones are
        ``outside_force_area``.
    grade_map
        police.uk only: crime type to grade; default
        :data:`geodata.policeuk.DEFAULT_CRIME_TYPE_GRADES`. Types it lacks are ``unknown_grade``.

    Returns
    -------
    Iterator[IncidentChunk]
        The chunks in file order; at least one (empty when the file has no
        rows). File-level checks run at the call, rows as the iterator is consumed.

    Raises
    ------
    InputDataError
        For file-level problems, before the first chunk (see
        :func:`inspect_incident_file`) or, for a file damaged part-way (text
        that is not UTF-8, broken CSV quoting), when the damage is reached.
    """
    info, layout = _inspect(Path(path), grade_map)
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int | np.integer) or chunk_rows < 1:
        raise InputDataError(f"must be a whole number of rows >= 1, got {chunk_rows!r}", source="chunk_rows")
    validator = _ChunkValidator(
        info,
        layout,
        postcodes=_postcode_finder(postcode_lookup),
        area=_AreaCheck.build(area, area_buffer_m),
    )
    batches = _csv_batches(info.path) if info.file_format == "csv" else _parquet_batches(info.path, int(chunk_rows))
    return _chunks(validator, _rechunk(batches, int(chunk_rows)))


def _chunks(validator: _ChunkValidator, batches: Iterable[_Batch]) -> Iterator[IncidentChunk]:
    """Validate each batch; log a summary at the end."""
    yielded = False
    for batch in batches:
        yielded = True
        chunk = validator(batch)
        del batch  # hold only the chunk while the caller works on it
        yield chunk
    if not yielded:
        yield validator(_Batch.empty(len(validator.info.columns)))
    validator.log_summary()


# --------------------------------------------------------------------------- header and schema


@dataclass(frozen=True)
class _Layout:
    """Which column (by position) plays which role."""

    role: dict[str, int]

    def has(self, role: str) -> bool:
        return role in self.role


def _inspect(path: Path, grade_map: Mapping[str, int] | None) -> tuple[IncidentFileInfo, _Layout]:
    columns, file_format = _read_header(path)
    names = [name.strip().lower() for name in columns]
    _check_distinct(names, str(path))
    schema = _detect_schema(names)
    location_form, location_names, notes = _choose_location(names, schema, str(path), columns)
    _check_required(names, schema, str(path), columns)
    role = {name: names.index(name) for name in names if name}
    layout = _Layout(_roles(role, schema, location_names))
    attendance = "attendance_s column" if layout.has("attendance_s") else None
    if attendance is None and layout.has("arrived_at"):
        attendance = "arrived_at - timestamp"
    if schema == POLICE_UK:
        grades = check_grade_map(grade_map if grade_map is not None else DEFAULT_CRIME_TYPE_GRADES)
        source = "crime type mapping (police.uk has no grades)"
        grade_source = source if grade_map is None else f"custom {source}"
    else:
        grades, grade_source = None, "grade column"
        if grade_map is not None:
            notes = (*notes, "the file has a grade column; the crime type grade map is not used")
    info = IncidentFileInfo(
        path=path,
        file_format=file_format,
        schema=schema,
        columns=tuple(columns),
        location_form=location_form,
        location_columns=tuple(columns[names.index(n)] for n in location_names),
        has_time_of_day=schema == HUBPLAN,
        has_attendance=attendance is not None,
        attendance_source=attendance,
        grade_source=grade_source,
        grade_map=grades,
        line_unit="line" if file_format == "csv" else "row",
        notes=notes,
        has_source_labels=layout.has("source"),
    )
    return info, layout


def _read_header(path: Path) -> tuple[list[str], str]:
    """The column names as written, and ``"csv"`` or ``"parquet"``."""
    source = str(path)
    if not path.is_file():
        raise InputDataError("no such incident file; check the path", source=source)
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _csv_header(path), "csv"
    if suffix in PARQUET_SUFFIXES:
        try:
            return list(pq.read_schema(path).names), "parquet"
        except (pa.ArrowException, OSError) as error:
            raise InputDataError(f"is not a readable Parquet file ({error})", source=source) from error
    raise InputDataError(
        f"has suffix {path.suffix!r}; save it as CSV (.csv) or Parquet (.parquet). Accepted schemas: "
        + ACCEPTED_SCHEMAS,
        source=source,
    )


def _csv_header(path: Path) -> list[str]:
    source = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as error:
        raise InputDataError(f"is not UTF-8 text ({error.reason}); save it as UTF-8 CSV", source=source) from error
    except csv.Error as error:
        raise InputDataError(f"has a header line that is not valid CSV: {error}", source=source) from error
    if not header or not any(name.strip() for name in header):
        raise InputDataError("is empty; expected a header line. Accepted schemas: " + ACCEPTED_SCHEMAS, source=source)
    if any("\n" in name or "\r" in name for name in header):
        raise InputDataError("has a column name with a line break; put the header on one line", source=source)
    return header


def _check_distinct(names: list[str], source: str) -> None:
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise InputDataError(
            f"has columns that differ only in case or spaces: {', '.join(repeated)}; keep one of each",
            source=source,
        )


def _detect_schema(names: list[str]) -> str:
    """police.uk when the header looks more like police.uk than hubplan (ties go to hubplan)."""
    present = set(names)
    police = len(present & set(POLICE_UK_COLUMNS))
    hubplan = len(present & {*HUBPLAN_REQUIRED, "easting", "northing", "lon", "lat", "postcode", "attendance_s"})
    return POLICE_UK if police > hubplan else HUBPLAN


def _choose_location(
    names: list[str], schema: str, source: str, columns: list[str]
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The location form used, its (normalised) columns, and a note when several were present."""
    if schema == POLICE_UK:
        return LON_LAT, ("longitude", "latitude"), ()
    present = set(names)
    complete = [(form, cols) for form, cols in LOCATION_PREFERENCE if set(cols) <= present]
    if not complete:
        partial = [cols for _, cols in LOCATION_PREFERENCE if set(cols) & present]
        half = "".join(f"; {','.join(c)} is incomplete (missing {','.join(sorted(set(c) - present))})" for c in partial)
        raise InputDataError(
            f"has no location columns{half}. Give easting,northing, lon,lat (or longitude,latitude) or postcode "
            f"(found columns: {', '.join(columns)}). Accepted schemas: {ACCEPTED_SCHEMAS}",
            source=source,
        )
    form, cols = complete[0]
    notes: tuple[str, ...] = ()
    if len(complete) > 1:
        found = "; ".join(",".join(c) for _, c in complete)
        notes = (f"several location forms present ({found}); using {','.join(cols)}",)
    return form, cols, notes


def _check_required(names: list[str], schema: str, source: str, columns: list[str]) -> None:
    required = HUBPLAN_REQUIRED if schema == HUBPLAN else POLICE_UK_REQUIRED
    missing = [name for name in required if name not in names]
    if missing:
        what = "hubplan incident file" if schema == HUBPLAN else "police.uk street-level crime file"
        raise InputDataError(
            f"is missing column(s) {', '.join(missing)} needed in a {what} (found columns: {', '.join(columns)}); "
            f"add or rename them. Accepted schemas: {ACCEPTED_SCHEMAS}",
            source=source,
            problems=[f"missing column {name!r}" for name in missing],
        )


def _roles(position: dict[str, int], schema: str, location: tuple[str, ...]) -> dict[str, int]:
    """Role -> column position for the schema."""
    if schema == POLICE_UK:
        named = {"id": "crime id", "month": "month", "crime_type": "crime type", "x": "longitude", "y": "latitude"}
    else:
        named = {"id": "id", "grade": "grade", "timestamp": "timestamp"}
        named |= {"postcode": "postcode"} if location == ("postcode",) else dict(zip(("x", "y"), location, strict=True))
        named |= {role: role for role in ("attendance_s", "arrived_at", "source") if role in position}
    return {role: position[name] for role, name in named.items()}


# --------------------------------------------------------------------------- streaming


@dataclass
class _Batch:
    """Rows of the file (every column, in file order) with their lines, and malformed lines among them."""

    table: pa.Table
    line: np.ndarray
    bad_line: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    bad_text: list[str] = field(default_factory=list)

    @staticmethod
    def empty(n_columns: int) -> _Batch:
        names = [f"c{i}" for i in range(n_columns)]
        return _Batch(pa.table({name: pa.array([], pa.string()) for name in names}), np.empty(0, np.int64))


def _csv_batches(path: Path) -> Iterator[_Batch]:
    """Stream a CSV as string columns; malformed rows (wrong field count) are kept aside with their lines.

    pyarrow numbers records (header = 1) for rows it cannot parse; a record's
    file line is its number plus the line breaks inside quoted values before it.
    """
    n_columns = len(_csv_header(path))
    names = [f"c{i}" for i in range(n_columns)]
    tracker = _LineTracker()
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(
                use_threads=False, block_size=CSV_BLOCK_BYTES, column_names=names, skip_rows=1
            ),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=tracker.on_invalid
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for record_batch in reader:
            yield tracker.batch(pa.Table.from_batches([record_batch]))
    except pa.ArrowInvalid as error:
        raise InputDataError(
            f"cannot be read after line {tracker.last_line} ({error}; pyarrow counts the header as row 1); "
            "save it as UTF-8 CSV with every quoted value closed",
            source=str(path),
        ) from error
    yield tracker.finish(names)


class _LineTracker:
    """File line of every record the streaming CSV reader returns or rejects."""

    def __init__(self) -> None:
        self.next_record = 2  # the header is record 1
        self.extra_breaks = 0  # line breaks inside quoted values so far
        self.pending: list[tuple[int, str]] = []
        self.last_line = 1

    def on_invalid(self, row: pa_csv.InvalidRow) -> str:
        """Handle a row pyarrow cannot parse: remember it, skip it."""
        self.pending.append((int(row.number), row.text))
        return "skip"

    def batch(self, table: pa.Table) -> _Batch:
        """Lines of a batch of ``table.num_rows`` parsed rows and of the invalid rows among them."""
        k = table.num_rows
        numbers = np.array([number for number, _ in self.pending], dtype=np.int64)
        candidates = np.arange(self.next_record, self.next_record + k + len(numbers), dtype=np.int64)
        records = candidates[~np.isin(candidates, numbers)][:k]
        last = int(records[-1]) if k else self.next_record - 1
        taken = int(np.searchsorted(numbers, last, side="right"))
        bad, self.pending = self.pending[:taken], self.pending[taken:]
        breaks = _line_breaks(table)
        line, bad_line = self._lines(records, breaks, bad)
        self.next_record = last + 1
        return _Batch(table, line, bad_line, [text for _, text in bad])

    def finish(self, names: list[str]) -> _Batch:
        """The invalid rows after the last parsed row."""
        bad, self.pending = self.pending, []
        _, bad_line = self._lines(np.empty(0, np.int64), np.empty(0, np.int64), bad)
        table = pa.table({name: pa.array([], pa.string()) for name in names})
        return _Batch(table, np.empty(0, np.int64), bad_line, [text for _, text in bad])

    def _lines(
        self, records: np.ndarray, breaks: np.ndarray, bad: list[tuple[int, str]]
    ) -> tuple[np.ndarray, np.ndarray]:
        numbers = np.concatenate([records, np.array([n for n, _ in bad], dtype=np.int64)])
        extra = np.concatenate([breaks, np.array([text.count("\n") for _, text in bad], dtype=np.int64)])
        order = np.argsort(numbers, kind="stable")
        before = np.empty(len(order), np.int64)
        before[order] = self.extra_breaks + np.cumsum(extra[order]) - extra[order]
        self.extra_breaks += int(extra.sum())
        lines = numbers + before
        if len(lines):
            self.last_line = int(lines.max())
        return lines[: len(records)], lines[len(records) :]


def _line_breaks(table: pa.Table) -> np.ndarray:
    """Line breaks inside each row's values (quoted values may span lines)."""
    total = np.zeros(table.num_rows, np.int64)
    for column in table.columns:
        if any(_holds_any(chunk, (b"\n",)) for chunk in column.chunks):
            total += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False).astype(np.int64)
    return total


def _parquet_batches(path: Path, chunk_rows: int) -> Iterator[_Batch]:
    try:
        parquet = pq.ParquetFile(path)
        start = 1
        for record_batch in parquet.iter_batches(batch_size=min(chunk_rows, 65_536)):
            table = pa.Table.from_batches([record_batch])
            table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
            yield _Batch(table, np.arange(start, start + table.num_rows, dtype=np.int64))
            start += table.num_rows
    except (pa.ArrowException, OSError) as error:
        raise InputDataError(f"is not a readable Parquet file ({error})", source=str(path)) from error


def _rechunk(batches: Iterable[_Batch], chunk_rows: int) -> Iterator[_Batch]:
    """Regroup batches into chunks of exactly ``chunk_rows`` rows (the last may be shorter).

    Malformed lines go with the chunk whose lines they fall among.
    """
    held: list[_Batch] = []
    rows = 0
    for batch in batches:
        held.append(batch)
        rows += batch.table.num_rows
        del batch
        while rows >= chunk_rows:
            head, rest = _split(_merge(held), chunk_rows)
            held, rows = [rest], rows - chunk_rows
            yield head
    if held:
        last = _merge(held)
        if last.table.num_rows or len(last.bad_line):
            yield last


def _split(batch: _Batch, cut: int) -> tuple[_Batch, _Batch]:
    """The first ``cut`` rows (with the malformed lines before the next row) and the rest."""
    boundary = batch.line[cut] if len(batch.line) > cut else np.iinfo(np.int64).max
    first = batch.bad_line < boundary
    head = _Batch(
        batch.table.slice(0, cut),
        batch.line[:cut],
        batch.bad_line[first],
        [text for text, f in zip(batch.bad_text, first, strict=True) if f],
    )
    rest = _Batch(
        batch.table.slice(cut),
        batch.line[cut:],
        batch.bad_line[~first],
        [text for text, f in zip(batch.bad_text, first, strict=True) if not f],
    )
    return head, rest


def _merge(batches: list[_Batch]) -> _Batch:
    if len(batches) == 1:
        return batches[0]
    return _Batch(
        pa.concat_tables([b.table for b in batches]),
        np.concatenate([b.line for b in batches]),
        np.concatenate([b.bad_line for b in batches]),
        [text for b in batches for text in b.bad_text],
    )


# --------------------------------------------------------------------------- parsing cells


def _text(array: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Cells as stripped strings, null as empty."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = _as_string(array)
    if array.null_count:
        array = pc.fill_null(array, "")
    return pc.ascii_trim_whitespace(array)


def _is_empty(text: pa.Array) -> np.ndarray:
    return pc.equal(pc.binary_length(text), 0).to_numpy(zero_copy_only=False)


class _Message:
    """Per-row messages built with ``+`` from strings and string columns, joined by arrow in one pass.

    ``"grade " + _values(text, rows) + " is not 1, 2 or 3"`` gives one message
    per row of ``rows`` without a Python loop over the rows.
    """

    __array_ufunc__ = None  # numpy arrays on the left defer to __radd__

    def __init__(self, parts: list[str | pa.Array]) -> None:
        self.parts = parts

    def __add__(self, other: object) -> _Message:
        return _Message([*self.parts, *_message_parts(other)])

    def __radd__(self, other: object) -> _Message:
        return _Message([*_message_parts(other), *self.parts])

    def array(self) -> pa.Array:
        """The messages as an arrow string array."""
        return pc.binary_join_element_wise(*self.parts, "")


def _message_parts(value: object) -> list[str | pa.Array]:
    if isinstance(value, _Message):
        return value.parts
    if isinstance(value, np.ndarray):
        return [pc.cast(pa.array(value), pa.string())]
    if isinstance(value, str | pa.Array):
        return [value]
    raise TypeError(f"cannot add {type(value).__name__} to a message")


def _values(text: pa.Array, rows: np.ndarray) -> _Message:
    """The cells of ``rows`` quoted for messages, e.g. ``'abc'``."""
    return _Message(["'", text.take(pa.array(rows, pa.int64())), "'"])


@dataclass(frozen=True)
class _Numbers:
    """A column parsed as numbers: values (NaN when empty or bad) and which cells were empty or bad."""

    values: np.ndarray
    empty: np.ndarray
    bad: np.ndarray
    text: pa.Array


def _numbers(array: pa.ChunkedArray) -> _Numbers:
    """Parse a column of decimal numbers; infinities and NaN written as text are bad, not empty."""
    text = _text(array)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        values = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False).astype(float, copy=True)
        empty, bad = np.isnan(values), np.isinf(values)
        values[bad] = np.nan
        return _Numbers(values, empty, bad, text)
    empty = _is_empty(text)
    ok = pc.match_substring_regex(text, NUMBER_PATTERN)
    parsed = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    values = parsed.to_numpy(zero_copy_only=False).astype(float, copy=True)
    bad = ~empty & ~np.isfinite(values)  # unparseable, or too large to be a number (1e999)
    values[bad] = np.nan
    return _Numbers(values, empty, bad, text)


@dataclass(frozen=True)
class _Times:
    """A column parsed as timestamps (NaT when not usable) and why each bad cell is bad."""

    values: np.ndarray
    empty: np.ndarray
    no_time: np.ndarray
    bad: np.ndarray
    text: pa.Array


def _timestamps(array: pa.ChunkedArray) -> _Times:
    """Parse local date-times; UTC offsets are converted to UK clock time; date-only cells lack a time."""
    text = _text(array)
    n = len(text)
    if pa.types.is_timestamp(array.type):
        values = _typed_timestamps(array)
        empty = np.isnat(values) & _is_empty(text)
        return _Times(values, empty, np.zeros(n, bool), np.isnat(values) & ~empty, text)
    empty = _is_empty(text)
    no_time = ~empty & ~pc.match_substring(text, ":").to_numpy(zero_copy_only=False)
    candidates = ~empty & ~no_time
    if candidates.all():
        values = _parse_iso(text.to_numpy(zero_copy_only=False))
    else:
        values = np.full(n, np.datetime64("NaT"), "datetime64[ns]")
        rows = np.flatnonzero(candidates)
        values[rows] = _parse_iso(text.take(pa.array(rows)).to_numpy(zero_copy_only=False))
    return _Times(values, empty, no_time, candidates & np.isnat(values), text)


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
    return _plausible(parsed.to_numpy())


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
        values[rows] = _plausible(parsed.to_numpy())
    return values


def _parse_one(text: str) -> np.datetime64:
    """One ISO 8601 string as local clock time, NaT when it is not one."""
    try:
        stamp = pd.Timestamp(pd.to_datetime(text, format="ISO8601"))
    except (ValueError, TypeError, OverflowError):
        return np.datetime64("NaT")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(LOCAL_TIMEZONE).tz_localize(None)
    return _plausible(np.array([stamp.to_datetime64()]))[0]


def _typed_timestamps(array: pa.ChunkedArray) -> np.ndarray:
    """A Parquet timestamp column as local clock time (zone-aware values converted to UK time)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type.tz is not None:
        array = pc.local_timestamp(pc.cast(array, pa.timestamp(array.type.unit, LOCAL_TIMEZONE)))
    values = array.to_numpy(zero_copy_only=False)
    return _plausible(values.astype(f"datetime64[{array.type.unit}]"))


def _plausible(values: np.ndarray) -> np.ndarray:
    low, high = (np.datetime64(f"{year}-01-01", "us") for year in TIMESTAMP_YEARS)
    micro = values.astype("datetime64[us]")
    micro[(micro < low) | (micro >= high)] = np.datetime64("NaT")
    return micro.astype("datetime64[ns]")


# --------------------------------------------------------------------------- places


class _AreaCheck:
    """Points more than a buffer outside an area (British National Grid)."""

    def __init__(self, area: BaseGeometry, buffer_m: float) -> None:
        self.area = area
        self.buffer_m = buffer_m
        self.buffered = shapely.buffer(area, buffer_m)
        shapely.prepare(self.buffered)

    @classmethod
    def build(cls, area: object, buffer_m: float) -> _AreaCheck:
        """Check the area's CRS and the buffer, and prepare the buffered geometry."""
        if not (isinstance(buffer_m, int | float) and math.isfinite(buffer_m) and buffer_m >= 0):
            raise InputDataError(f"must be a distance in metres >= 0, got {buffer_m!r}", source="area_buffer_m")
        return cls(_area_geometry(area), float(buffer_m))

    def outside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """True where (x, y) is finite and beyond the buffer."""
        rows = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        result = np.zeros(len(x), bool)
        result[rows] = ~shapely.intersects_xy(self.buffered, x[rows], y[rows])
        return result

    def distance_km(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return shapely.distance(self.area, shapely.points(x, y)) / 1000.0


def _area_geometry(area: object) -> BaseGeometry:
    """The area as one shapely geometry in BNG metres (default: the embedded force area)."""
    if area is None:
        return embedded.force_area().iloc[0]
    if hasattr(area, "crs") and hasattr(area, "geometry"):
        crs = getattr(area, "crs", None)
        if crs is None or not crs.equals(BNG):
            raise InputDataError(
                f"has CRS {crs}; give the area in British National Grid: .to_crs('EPSG:27700')", source="area"
            )
        area = area.geometry.union_all()
    if not isinstance(area, BaseGeometry) or area.is_empty:
        raise InputDataError(
            f"must be a shapely polygon in British National Grid, got {type(area).__name__}", source="area"
        )
    minx, miny, maxx, maxy = area.bounds
    if maxx <= 180 and maxy <= 90:
        raise InputDataError(
            "looks like longitude/latitude degrees; give the area in British National Grid metres", source="area"
        )
    return area


@lru_cache(maxsize=1)
def _embedded_postcodes() -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Code-Point Open postcodes without spaces, and their easting and northing."""
    table = embedded.load_postcodes()
    keys = pa.array(table["postcode"].str.replace(" ", "", regex=False).str.upper().to_numpy(object), pa.string())
    return keys, table["easting"].to_numpy(float), table["northing"].to_numpy(float)


def _postcode_finder(lookup: PostcodeLookup | None) -> Callable[[pa.Array], tuple[np.ndarray, np.ndarray]]:
    """A function from stripped postcodes to easting, northing arrays (NaN when unknown)."""
    if lookup is None or lookup is embedded.lookup_postcodes:
        return _embedded_postcode_coordinates
    return lambda text: _lookup_distinct(lookup, text)


def _embedded_postcode_coordinates(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Code-Point Open coordinates of each postcode, in any case and spacing; NaN when unknown.

    The same answers as :func:`geodata.embedded.lookup_postcodes`, found for
    the distinct postcodes of the chunk with arrow's hash lookup: 0.07 s for a million rows, against
    about 1 s for the per-row normalisation of ``lookup_postcodes``.
    """
    keys, easting, northing = _embedded_postcodes()
    encoded = pc.dictionary_encode(text)
    compact = pc.ascii_upper(pc.replace_substring_regex(encoded.dictionary, r"\s+", ""))
    index = pc.fill_null(pc.index_in(compact, value_set=keys), -1).to_numpy(zero_copy_only=False)
    index = index[encoded.indices.to_numpy(zero_copy_only=False)] if len(text) else index[:0]
    found = index >= 0
    x = np.where(found, easting[np.where(found, index, 0)], np.nan)
    y = np.where(found, northing[np.where(found, index, 0)], np.nan)
    return x, y


def _lookup_distinct(lookup: PostcodeLookup, text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Call a caller's lookup once per distinct postcode and spread the answers back."""
    encoded = pc.dictionary_encode(text)
    every = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    distinct = pd.Series(every[every != ""])  # empty cells are missing locations, not postcodes to look up
    found = call_postcode_lookup(lookup, distinct)
    codes = np.cumsum(every != "")[encoded.indices.to_numpy(zero_copy_only=False)] - 1  # position in distinct
    codes[np.asarray(every == "", bool)[encoded.indices.to_numpy(zero_copy_only=False)]] = -1
    easting, northing = (np.append(found[c].to_numpy(float), np.nan)[codes] for c in ("easting", "northing"))
    return easting, northing


# --------------------------------------------------------------------------- validating


@dataclass
class _Finding:
    """Rows (indices into the chunk) with one kind of problem, and a message for each (or one for all)."""

    reason: str
    rows: np.ndarray
    detail: pa.Array | str


def _finding(reason: str, mask: np.ndarray, detail: Callable[[np.ndarray], _Message | str]) -> list[_Finding]:
    """The rows of ``mask`` as a finding, with ``detail(rows)`` as their messages (none when no row is set)."""
    rows = np.flatnonzero(mask)
    if not len(rows):
        return []
    text = detail(rows)
    return [_Finding(reason, rows, text if isinstance(text, str) else text.array())]


class _SeenIds:
    """Hashes of every id seen so far (sorted) and the line that first used each."""

    def __init__(self) -> None:
        self.hashes = np.empty(0, np.uint64)
        self.lines = np.empty(0, np.int64)

    def repeats(self, ids: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which ids were used earlier (in this chunk or before), and the first line that used each."""
        if not len(ids):
            return np.zeros(0, bool), np.zeros(0, np.int64)
        hashes = pd.util.hash_array(ids, categorize=False)
        codes, distinct = pd.factorize(hashes)
        running = np.maximum.accumulate(codes) if len(codes) else codes
        first_time = codes > np.concatenate([[-1], running[:-1]])
        first_row = np.flatnonzero(first_time)  # first row of each distinct hash, in code order
        order = np.argsort(distinct)  # sorted queries keep the binary searches cache-friendly
        ordered = distinct[order]
        pos = np.searchsorted(self.hashes, ordered)
        known_ordered = np.zeros(len(ordered), bool)
        earlier_ordered = line[first_row[order]]
        if len(self.hashes):
            clipped = np.minimum(pos, len(self.hashes) - 1)
            known_ordered = (pos < len(self.hashes)) & (self.hashes[clipped] == ordered)
            earlier_ordered = np.where(known_ordered, self.lines[clipped], earlier_ordered)
        self.hashes = np.insert(self.hashes, pos[~known_ordered], ordered[~known_ordered])
        self.lines = np.insert(self.lines, pos[~known_ordered], earlier_ordered[~known_ordered])
        known, earlier = np.empty_like(known_ordered), np.empty_like(earlier_ordered)
        known[order], earlier[order] = known_ordered, earlier_ordered
        return known[codes] | ~first_time, earlier[codes]


class _ChunkValidator:
    """Turns raw batches into :class:`IncidentChunk` objects; remembers ids across chunks."""

    def __init__(
        self,
        info: IncidentFileInfo,
        layout: _Layout,
        *,
        postcodes: Callable[[pa.Array], tuple[np.ndarray, np.ndarray]],
        area: _AreaCheck,
    ) -> None:
        self.info = info
        self.layout = layout
        self.postcodes = postcodes
        self.area = area
        self.seen = _SeenIds()
        self.grades = {normalise_crime_type(k): v for k, v in (info.grade_map or {}).items()}
        self.counts: Counter[str] = Counter()
        self.valid_rows = 0

    def name(self, role: str) -> str:
        return self.info.columns[self.layout.role[role]]

    def column(self, table: pa.Table, role: str) -> pa.ChunkedArray:
        return table.column(self.layout.role[role])

    def __call__(self, batch: _Batch) -> IncidentChunk:
        table, line = _drop_blank_rows(batch.table, batch.line)
        ids, findings = self._ids(table, line)
        timestamp, found = self._times(table)
        findings += found
        grade, found = self._grades(table)
        findings += found
        x, y, found = self._location(table)
        findings += found
        actual, found = self._attendance(table, timestamp)
        findings += found
        rejected = np.zeros(table.num_rows, bool)
        for finding in findings:
            rejected[finding.rows] = True
        keep = ~rejected
        valid = {
            "line": line[keep],
            "id": ids.filter(pa.array(keep)).to_pandas(),
            "grade": grade[keep].astype(np.int8),
            "timestamp": timestamp[keep],
            "x_m": x[keep],
            "y_m": y[keep],
            "actual_response_s": actual[keep],
        }
        labels = [role for role in ("crime_type", "source") if self.layout.has(role)]
        for role in labels:
            valid[role] = _text(self.column(table, role)).filter(pa.array(keep)).to_pandas()
        rejects = _rejects(table, line, ids, findings, rejected, batch)
        self.counts.update(rejects["reason"].value_counts().to_dict())
        self.valid_rows += int(keep.sum())
        frame = pd.DataFrame(valid).astype(dict.fromkeys(["id", *labels], "str"))
        return IncidentChunk(frame, rejects)

    def log_summary(self) -> None:
        """One line: rows read, valid, rejected by reason."""
        rejected = sum(self.counts.values())
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in self.counts.most_common()) or "none"
        log.info(
            "read %s incident rows from %s (%s, %s): %s valid, %s rejected (%s)",
            f"{self.valid_rows + rejected:,}",
            self.info.path,
            self.info.schema,
            self.info.location_form,
            f"{self.valid_rows:,}",
            f"{rejected:,}",
            reasons,
        )

    # ---- ids

    def _ids(self, table: pa.Table, line: np.ndarray) -> tuple[pa.Array, list[_Finding]]:
        text = _text(self.column(table, "id"))
        empty = _is_empty(text)
        name = self.name("id")
        findings: list[_Finding] = []
        if self.info.schema == POLICE_UK:  # anti-social behaviour has no Crime ID: the line stands in
            synthetic = pc.binary_join_element_wise("line-", pc.cast(pa.array(line), pa.string()), "")
            text = pc.if_else(pa.array(empty), synthetic, text)
            empty = np.zeros(len(text), bool)
        else:
            findings += _finding("missing_id", empty, lambda _: f"{name} is empty; give every incident a unique id")
        present = np.flatnonzero(~empty)
        ids = text.take(pa.array(present)).to_numpy(zero_copy_only=False).astype(object)
        repeat, earlier = self.seen.repeats(ids, line[present])
        mask = np.zeros(len(text), bool)
        mask[present[repeat]] = True
        findings += _finding(
            "duplicate_id",
            mask,
            lambda r: (
                f"{name} "
                + _values(text, r)
                + " was already used on line "
                + earlier[repeat]
                + "; ids must be unique (the first row with an id is kept)"
            ),
        )
        return text, findings

    # ---- time and grade

    def _times(self, table: pa.Table) -> tuple[np.ndarray, list[_Finding]]:
        if self.info.schema == POLICE_UK:
            return self._months(table)
        times = _timestamps(self.column(table, "timestamp"))
        name = self.name("timestamp")
        return times.values, [
            *_finding("bad_timestamp", times.empty, lambda _: f"{name} is empty; {ISO_EXAMPLE}"),
            *_finding(
                "bad_timestamp",
                times.no_time,
                lambda r: f"{name} " + _values(times.text, r) + f" has no time of day; {ISO_EXAMPLE}",
            ),
            *_finding(
                "bad_timestamp",
                times.bad,
                lambda r: (
                    f"{name} " + _values(times.text, r) + f" is not a date and time in "
                    f"{TIMESTAMP_YEARS[0]}-{TIMESTAMP_YEARS[1] - 1}; {ISO_EXAMPLE}"
                ),
            ),
        ]

    def _months(self, table: pa.Table) -> tuple[np.ndarray, list[_Finding]]:
        """police.uk Month (``2018-06``) as its first instant."""
        text = _text(self.column(table, "month"))
        encoded = pc.dictionary_encode(text)
        distinct = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
        parsed = pd.to_datetime(pd.Series(distinct, dtype=object), format="%Y-%m", errors="coerce").to_numpy()
        values = _plausible(parsed)[encoded.indices.to_numpy(zero_copy_only=False)]
        name = self.name("month")
        return values, _finding(
            "bad_timestamp",
            np.isnat(values),
            lambda r: f"{name} " + _values(text, r) + " is not a month like 2018-06 (police.uk gives year-month)",
        )

    def _grades(self, table: pa.Table) -> tuple[np.ndarray, list[_Finding]]:
        if self.info.schema == POLICE_UK:
            return self._crime_type_grades(table)
        text = _text(self.column(table, "grade"))
        index = pc.fill_null(pc.index_in(text, value_set=pa.array(["1", "2", "3", "1.0", "2.0", "3.0"])), -1)
        index = index.to_numpy(zero_copy_only=False)
        grade = np.where(index >= 0, index % 3 + 1, 0).astype(np.int8)
        name = self.name("grade")
        return grade, _finding(
            "unknown_grade",
            index < 0,
            lambda r: f"{name} " + _values(text, r) + " is not 1, 2 or 3 (1 emergency, 2 priority, 3 scheduled)",
        )

    def _crime_type_grades(self, table: pa.Table) -> tuple[np.ndarray, list[_Finding]]:
        text = _text(self.column(table, "crime_type"))
        encoded = pc.dictionary_encode(text)
        distinct = encoded.dictionary.to_pylist()
        mapped = np.array([self.grades.get(normalise_crime_type(t), 0) for t in distinct], dtype=np.int8)
        grade = mapped[encoded.indices.to_numpy(zero_copy_only=False)] if len(text) else np.empty(0, np.int8)
        name = self.name("crime_type")
        return grade, _finding(
            "unknown_grade",
            grade == 0,
            lambda r: (
                f"{name} " + _values(text, r) + " has no grade in the crime type mapping; add it to a grade "
                "map file (crime_type,grade)"
            ),
        )

    # ---- location

    def _location(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray, list[_Finding]]:
        if self.info.location_form == POSTCODE:
            x, y, findings = self._postcodes(table)
        else:
            x, y, findings = self._coordinates(table)
        outside = self.area.outside(x, y)
        findings += _finding("outside_force_area", outside, lambda r: self._outside_message(x[r], y[r]))
        return x, y, findings

    def _outside_message(self, x: np.ndarray, y: np.ndarray) -> _Message:
        km = np.round(self.area.distance_km(x, y), 1)
        return (
            _Message(["location (easting "])
            + np.round(x).astype(np.int64)
            + ", northing "
            + np.round(y).astype(np.int64)
            + ") is "
            + km
            + f" km outside the force area, more than the {self.area.buffer_m / 1000:g} km allowed; "
            "check the coordinates, or leave incidents of other areas out"
        )

    def _coordinates(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray, list[_Finding]]:
        first, second = _numbers(self.column(table, "x")), _numbers(self.column(table, "y"))
        names = self.name("x"), self.name("y")
        findings = _missing_or_unparseable(first, second, names, police_uk=self.info.schema == POLICE_UK)
        usable = np.isfinite(first.values) & np.isfinite(second.values)
        if self.info.location_form == EASTING_NORTHING:
            out = usable & ~_inside_bng(first.values, second.values)
            findings += _finding("bad_coordinates", out, lambda r: _bng_message(first, second, names, r))
            x, y = first.values.copy(), second.values.copy()
        else:
            found, out = _lonlat_problems(first, second, names, usable)
            findings += found
            x, y = lonlat_to_crs(np.where(usable & ~out, first.values, np.nan), np.where(usable, second.values, np.nan))
        x[~usable | out], y[~usable | out] = np.nan, np.nan
        return x, y, findings

    def _postcodes(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray, list[_Finding]]:
        text = _text(self.column(table, "postcode"))
        empty = _is_empty(text)
        x, y = self.postcodes(text)
        x, y = np.asarray(x, float).copy(), np.asarray(y, float).copy()
        unknown = ~empty & ~(np.isfinite(x) & np.isfinite(y))
        x[unknown | empty], y[unknown | empty] = np.nan, np.nan
        name = self.name("postcode")
        return (
            x,
            y,
            [
                *_finding("missing_location", empty, lambda _: f"{name} is empty; give the incident's location"),
                *_finding(
                    "unknown_postcode",
                    unknown,
                    lambda r: (
                        f"{name} " + _values(text, r) + " is not a known postcode (OS Code-Point Open, "
                        "Staffordshire and 20 km around); correct it or give easting,northing or lon,lat"
                    ),
                ),
            ],
        )

    # ---- attendance

    def _attendance(self, table: pa.Table, timestamp: np.ndarray) -> tuple[np.ndarray, list[_Finding]]:
        n = table.num_rows
        if self.layout.has("attendance_s"):
            seconds = _numbers(self.column(table, "attendance_s"))
            name = self.name("attendance_s")
            negative = np.nan_to_num(seconds.values, nan=0.0) < 0
            hint = "give seconds from the timestamp to the first unit arriving, or leave it empty if none attended"
            return np.where(negative, np.nan, seconds.values), _finding(
                "bad_attendance",
                seconds.bad | negative,
                lambda r: (
                    f"{name} "
                    + _values(seconds.text, r)
                    + np.where(negative[r], " is negative; ", " is not a number of seconds; ").astype(object)
                    + hint
                ),
            )
        if self.layout.has("arrived_at"):
            return self._arrived_at(table, timestamp)
        return np.full(n, np.nan), []

    def _arrived_at(self, table: pa.Table, timestamp: np.ndarray) -> tuple[np.ndarray, list[_Finding]]:
        arrived = _timestamps(self.column(table, "arrived_at"))
        seconds = (arrived.values - timestamp) / np.timedelta64(1, "s")
        before = np.nan_to_num(seconds, nan=0.0) < 0
        name = self.name("arrived_at")
        return np.where(before, np.nan, seconds), _finding(
            "bad_attendance",
            arrived.no_time | arrived.bad | before,
            lambda r: (
                f"{name} "
                + _values(arrived.text, r)
                + np.where(
                    before[r],
                    f" is before the {self.name('timestamp')}; check both times",
                    f" is not a date and time; {ISO_EXAMPLE}, or leave it empty if no unit attended",
                ).astype(object)
            ),
        )


def _drop_blank_rows(table: pa.Table, line: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Rows whose every cell is empty or spaces are skipped (they are not incidents)."""
    if not table.num_rows:
        return table, line
    blank = np.ones(table.num_rows, bool)
    for column in table.columns:
        blank &= _is_empty(_text(column))
        if not blank.any():
            return table, line
    return table.filter(pa.array(~blank)), line[~blank]


def _missing_or_unparseable(
    first: _Numbers, second: _Numbers, names: tuple[str, str], *, police_uk: bool
) -> list[_Finding]:
    both_empty = first.empty & second.empty
    missing = (
        f"No Location: {names[0]} and {names[1]} are empty (police.uk publishes some crimes without a location); "
        "the row cannot be placed"
        if police_uk
        else f"{names[0]} and {names[1]} are empty; give the incident's location"
    )
    findings = _finding("missing_location", both_empty, lambda _: missing)
    for this, other, name, other_name in ((first, second, *names), (second, first, *names[::-1])):
        findings += _half_or_unparseable(this, other, name, other_name)
    return findings


def _half_or_unparseable(this: _Numbers, other: _Numbers, name: str, other_name: str) -> list[_Finding]:
    """One coordinate empty while the other is given, or not a number."""
    return [
        *_finding(
            "bad_coordinates",
            this.empty & ~other.empty,
            lambda _: f"{name} is empty but {other_name} is not; give both",
        ),
        *_finding("bad_coordinates", this.bad, lambda r: f"{name} " + _values(this.text, r) + " is not a number"),
    ]


def _inside_bng(easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
    return (
        (BNG_EASTING_M[0] <= easting)
        & (easting <= BNG_EASTING_M[1])
        & (BNG_NORTHING_M[0] <= northing)
        & (northing <= BNG_NORTHING_M[1])
    )


def _bng_message(first: _Numbers, second: _Numbers, names: tuple[str, str], rows: np.ndarray) -> _Message:
    return (
        f"{names[0]}="
        + _values(first.text, rows)
        + f", {names[1]}="
        + _values(second.text, rows)
        + f" is outside the British National Grid (0..{BNG_EASTING_M[1]:,.0f}, 0..{BNG_NORTHING_M[1]:,.0f} m); "
        "if these are degrees, name the columns lon,lat"
    )


def _lonlat_problems(
    lon: _Numbers, lat: _Numbers, names: tuple[str, str], usable: np.ndarray
) -> tuple[list[_Finding], np.ndarray]:
    """Swapped, out-of-range and outside-Great-Britain longitude/latitude; returns findings and the bad rows."""
    lo, la = lon.values, lat.values
    in_gb = (GB_LON[0] <= lo) & (lo <= GB_LON[1]) & (GB_LAT[0] <= la) & (la <= GB_LAT[1])
    swapped = usable & (GB_LAT[0] <= lo) & (lo <= GB_LAT[1]) & (GB_LON[0] <= la) & (la <= GB_LON[1])
    outside = usable & ~in_gb & ~swapped

    def shown(rows: np.ndarray) -> _Message:
        return f"{names[0]}=" + _values(lon.text, rows) + f", {names[1]}=" + _values(lat.text, rows)

    findings = _finding(
        "bad_coordinates",
        swapped,
        lambda r: shown(r) + f" look swapped; {names[0]} is the longitude (-9..2.5 in Great Britain)",
    )
    findings += _finding(
        "bad_coordinates",
        outside,
        lambda r: (
            shown(r) + f" is outside Great Britain ({names[1]} {GB_LAT[0]:g}..{GB_LAT[1]:g}, "
            f"{names[0]} {GB_LON[0]:g}..{GB_LON[1]:g}); check the coordinates and their order"
        ),
    )
    return findings, swapped | outside


def _rejects(
    table: pa.Table,
    line: np.ndarray,
    ids: pa.Array,
    findings: list[_Finding],
    rejected: np.ndarray,
    batch: _Batch,
) -> pd.DataFrame:
    """One row per rejected line, in line order: first reason, every problem, and the raw row."""
    rows = np.flatnonzero(rejected)
    order = {reason: k for k, reason in enumerate(REASONS)}
    reason = np.full(len(rows), len(REASONS) - 1, dtype=np.int64)
    details: list[pa.Array] = []
    for finding in sorted(findings, key=lambda f: order[f.reason]):
        at = np.searchsorted(rows, finding.rows)
        reason[at] = np.minimum(reason[at], order[finding.reason])
        source = pa.array([finding.detail]) if isinstance(finding.detail, str) else finding.detail
        index = np.full(len(rows), -1, np.int64)
        index[at] = 0 if isinstance(finding.detail, str) else np.arange(len(at))
        details.append(source.take(pa.array(index, mask=index < 0)))
    detail = pc.binary_join_element_wise(*details, "; ", null_handling="skip") if details else pa.array([], pa.string())
    taken = pa.array(rows, pa.int64())
    frame = pd.DataFrame(
        {
            "line": line[rows],
            "id": ids.take(taken).to_pandas(),
            "reason": pa.array(REASONS).take(pa.array(reason)).to_pandas(),
            "detail": detail.to_pandas(),
            "raw": _raw_rows(table, rows).to_pandas(),
        }
    )
    if len(batch.bad_line):
        n_fields = table.num_columns
        malformed = pd.DataFrame(
            {
                "line": batch.bad_line,
                "id": "",
                "reason": "malformed_row",
                "detail": [
                    f"has {_field_count(text)} field(s) but the header has {n_fields}; quote values that contain "
                    "commas, or fix the line"
                    for text in batch.bad_text
                ],
                "raw": batch.bad_text,
            }
        )
        malformed = malformed[[bool(text.strip()) for text in batch.bad_text]]  # spaces-only lines are blank
        frame = pd.concat([frame, malformed], ignore_index=True).sort_values("line", kind="stable")
    frame = frame.reset_index(drop=True).astype({"line": np.int64})
    return frame.astype({name: "str" for name in ("id", "reason", "detail", "raw")})


def _field_count(text: str) -> int:
    return len(next(csv.reader([text.replace("\r", "").replace("\n", " ")]), []))


def _raw_rows(table: pa.Table, rows: np.ndarray) -> pa.Array:
    """The rows as CSV text in the file's column order (quoted where needed)."""
    if not len(rows):
        return pa.array([], pa.string())
    taken = table.take(pa.array(rows, pa.int64()))
    cells = []
    for column in taken.columns:
        text = pc.fill_null(_as_string(column.combine_chunks()), "")
        if _holds_any(text, (b'"', b",", b"\r", b"\n")):
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
            text = pc.if_else(pc.match_substring_regex(text, '[",\r\n]'), quoted, text)
        cells.append(text)
    return pc.binary_join_element_wise(*cells, ",")


def _as_string(array: pa.Array) -> pa.Array:
    """Any column as text (Parquet lists and structs through Python's ``str``)."""
    if pa.types.is_string(array.type):
        return array
    try:
        return pc.cast(array, pa.string())
    except pa.ArrowNotImplementedError:
        return pa.array([None if value is None else str(value) for value in array.to_pylist()], pa.string())


def _holds_any(array: pa.Array, needles: tuple[bytes, ...]) -> bool:
    """Whether the bytes behind a string array contain any of ``needles`` (a fast scan of the data buffer)."""
    data = array.buffers()[2]
    if data is None:
        return False
    raw = data.to_pybytes()
    return any(needle in raw for needle in needles)
