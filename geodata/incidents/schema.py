"""What an incident file holds, from its header: format, schema, the columns playing each role, the location form.

Column names match case-insensitively after stripping spaces. A file that
cannot be read at all (missing, unknown suffix, a bad header, required columns
missing) raises :class:`~geodata.errors.InputDataError` here, before any row is read.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geodata.errors import InputDataError, refuse_other_delimiter, require_file
from geodata.locations import LOCATION_PREFERENCE, LON_LAT
from geodata.policeuk import DEFAULT_CRIME_TYPE_GRADES, check_grade_map

HUBPLAN, POLICE_UK = "hubplan", "police.uk"

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
VALID_COLUMNS = ("line", "id", "grade", "timestamp", "x_m", "y_m", "actual_response_s")


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
    return inspect_with_layout(Path(path), grade_map)[0]


@dataclass(frozen=True)
class Layout:
    """Which column (by position) plays which role."""

    role: dict[str, int]

    def has(self, role: str) -> bool:
        """Whether a column plays ``role``."""
        return role in self.role


def inspect_with_layout(path: Path, grade_map: Mapping[str, int] | None) -> tuple[IncidentFileInfo, Layout]:
    """What the file holds (see :func:`inspect_incident_file`) and which column plays each role."""
    columns, file_format = _read_header(path)
    names = [name.strip().lower() for name in columns]
    _check_distinct(names, str(path))
    schema = _detect_schema(names)
    location_form, location_names, notes = _choose_location(names, schema, str(path), columns)
    _check_required(names, schema, str(path), columns)
    role = {name: names.index(name) for name in names if name}
    layout = Layout(_roles(role, schema, location_names))
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
    require_file(path, what="incident file")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return csv_header(path), "csv"
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


def csv_header(path: Path) -> list[str]:
    """The header line of a CSV file, checked: UTF-8, valid CSV, not empty, one line."""
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
    refuse_other_delimiter(header, source=source)
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
