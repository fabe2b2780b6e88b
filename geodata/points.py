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
import pyproj

from geodata.crs import BNG, lonlat_to_crs, require_metric_crs
from geodata.errors import InputDataError
from geodata.locations import BNG_EASTING_M, BNG_NORTHING_M, GB_LAT, GB_LON, PostcodeLookup, call_postcode_lookup

log = logging.getLogger(__name__)

#: Each accepted location form and the column sets that give it (alternatives in order).
LOCATION_FORMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "lon,lat": (("lon", "lat"), ("longitude", "latitude")),
    "easting,northing": (("easting", "northing"),),
    "postcode": (("postcode",),),
}
ACCEPTED_FORMS = (
    "lon,lat (or longitude,latitude) in WGS84 degrees; easting,northing in British National Grid "
    "(EPSG:27700) metres; or postcode"
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
    if not path.is_file():
        raise InputDataError("no such file; check the path", source=source)
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
    options = [(form, cols) for form, alternatives in LOCATION_FORMS.items() for cols in alternatives]
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


def _numbers(table: _Table, column: str, problems: list[str]) -> np.ndarray:
    """Parse a column as float; records empty and unparseable cells (NaN there)."""
    text = table.frame[column].str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
    for i in np.flatnonzero(~np.isfinite(values)):
        cell = text.iat[i]
        what = f"{cell!r} is not a number" if cell else "is empty"
        problems.append(f"{table.where(i)}: {column} {what}")
    values[~np.isfinite(values)] = np.nan
    return values


def _locate(
    table: _Table,
    form: str,
    columns: tuple[str, ...],
    target: pyproj.CRS,
    postcode_lookup: PostcodeLookup | None,
    problems: list[str],
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Coordinates in ``target`` for the given location form; records per-row problems."""
    if form == "lon,lat":
        lon, lat = (_numbers(table, c, problems) for c in columns)
        _check_lonlat(table, columns, lon, lat, gb=target == pyproj.CRS(BNG), problems=problems)
        return lonlat_to_crs(lon, lat, target)
    if form == "easting,northing":
        easting, northing = (_numbers(table, c, problems) for c in columns)
        _check_bng(table, easting, northing, problems)
        return _bng_to(easting, northing, target)
    found = _postcode_coordinates(table, postcode_lookup, problems)
    return (None, None) if found is None else _bng_to(*found, target)


def _check_lonlat(
    table: _Table, columns: tuple[str, ...], lon: np.ndarray, lat: np.ndarray, *, gb: bool, problems: list[str]
) -> None:
    """Record out-of-range and (for British data) swapped or foreign longitude/latitude."""
    lon_name, lat_name = columns
    for i in np.flatnonzero(np.isfinite(lon) & np.isfinite(lat)):
        here = f"{table.where(i)}: {lon_name}={lon[i]:g}, {lat_name}={lat[i]:g}"
        if gb and GB_LAT[0] <= lon[i] <= GB_LAT[1] and GB_LON[0] <= lat[i] <= GB_LON[1]:
            problems.append(f"{here} look swapped; {lon_name} is the longitude (-9..2.5 in Great Britain)")
        elif not (-180 <= lon[i] <= 180 and -90 <= lat[i] <= 90):
            problems.append(f"{here} out of range; {lon_name} must be in -180..180 and {lat_name} in -90..90")
        elif gb and not (GB_LAT[0] <= lat[i] <= GB_LAT[1] and GB_LON[0] <= lon[i] <= GB_LON[1]):
            problems.append(
                f"{here} is outside Great Britain ({lat_name} {GB_LAT[0]:g}..{GB_LAT[1]:g}, "
                f"{lon_name} {GB_LON[0]:g}..{GB_LON[1]:g}); check the coordinates and their order"
            )


def _check_bng(table: _Table, easting: np.ndarray, northing: np.ndarray, problems: list[str]) -> None:
    """Record eastings/northings outside the British National Grid (often lon/lat in the wrong columns)."""
    inside = (
        (BNG_EASTING_M[0] <= easting)
        & (easting <= BNG_EASTING_M[1])
        & (BNG_NORTHING_M[0] <= northing)
        & (northing <= BNG_NORTHING_M[1])
    )
    for i in np.flatnonzero(np.isfinite(easting) & np.isfinite(northing) & ~inside):
        problems.append(
            f"{table.where(i)}: easting={easting[i]:g}, northing={northing[i]:g} is outside the British National "
            f"Grid (0..{BNG_EASTING_M[1]:,.0f}, 0..{BNG_NORTHING_M[1]:,.0f} m); if these are degrees, "
            "name the columns lon,lat"
        )


def _postcode_coordinates(
    table: _Table, postcode_lookup: PostcodeLookup | None, problems: list[str]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Return BNG coordinates of each row's postcode (None without a lookup); record empty and unknown ones."""
    postcodes = table.frame["postcode"].str.strip()
    problems.extend(f"{table.where(i)}: empty postcode" for i in np.flatnonzero(postcodes.to_numpy() == ""))
    if postcode_lookup is None:
        problems.append(
            "has a postcode column but no postcode lookup was given; pass "
            "postcode_lookup=geodata.embedded.lookup_postcodes, or give lon,lat or easting,northing columns"
        )
        return None
    found = call_postcode_lookup(postcode_lookup, postcodes)
    easting, northing = (found[c].to_numpy(dtype=float) for c in ("easting", "northing"))
    unknown = (postcodes.to_numpy() != "") & ~(np.isfinite(easting) & np.isfinite(northing))
    problems.extend(
        f"{table.where(i)}: unknown postcode {postcodes.iat[i]!r}; correct it or give this point's "
        "lon,lat or easting,northing"
        for i in np.flatnonzero(unknown)
    )
    return easting, northing


def _bng_to(easting: np.ndarray, northing: np.ndarray, target: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    if target == pyproj.CRS(BNG):
        return easting, northing
    x, y = pyproj.Transformer.from_crs(BNG, target, always_xy=True).transform(easting, northing)
    return np.asarray(x), np.asarray(y)
