"""Write synthetic incidents as an incident file, labelled synthetic on every row, with a README beside it."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pandas as pd

from geodata.atomic import atomic_path
from geodata.errors import InputDataError
from geodata.synthetic.attendance import attendance_summary
from geodata.synthetic.draw import SyntheticIncidentParams

log = logging.getLogger(__name__)

#: Value of the ``source`` column on every written row.
SOURCE_LABEL = "synthetic"

#: Location forms the writer can give (one only: :func:`geodata.points.read_points` rejects a file with two).
LOCATION_COLUMNS = {"easting,northing": ("easting", "northing"), "postcode": ("postcode",)}

#: File suffixes the writer accepts.
SUFFIXES = (".csv", ".parquet")

#: How CSV timestamps are written: ISO 8601, ``2018-06-01T14:32:00``.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S"


def write_synthetic_incidents(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    location: str = "easting,northing",
    params: SyntheticIncidentParams | None = None,
) -> Path:
    """Write synthetic incidents as an incident file, labelled synthetic, and a README beside it.

    The file (CSV, or Parquet when ``path`` ends in ``.parquet``) has
    ``id, grade, timestamp``, the location columns, ``attendance_s`` when
    present and ``source`` (``"synthetic"`` on every row): a comment line would
    break CSV readers, so the label travels with every row instead.
    :func:`geodata.incidents.read_incidents` reads it as it is. In CSV the
    timestamp is ISO 8601 (``2018-06-01T14:32:00``); Parquet keeps it as a
    timestamp. ``<path>.README.txt`` says the data are synthetic and gives the
    parameters and seed. Both files are written to temporary files in the same
    folder and renamed, so a failure leaves neither half-written.

    Parameters
    ----------
    frame
        From :func:`synthetic_incidents`.
    path
        Output file, ``.csv`` or ``.parquet``.
    location
        ``"easting,northing"`` (default: exact, no lookup needed) or ``"postcode"``
        (read back with ``postcode_lookup=geodata.embedded.lookup_postcodes``).
        One form only, because a file with two location forms is ambiguous to
        :func:`geodata.points.read_points`.
    params
        The parameters for the README; default ``frame.attrs["synthetic_params"]``.

    Returns
    -------
    pathlib.Path
        The README written beside the file.
    """
    path = Path(path)
    _check_writable(frame, path, location)
    recorded = params.to_dict() if params is not None else frame.attrs.get("synthetic_params")
    table = _output_table(frame, location)
    readme = path.with_name(f"{path.name}.README.txt")
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with atomic_path(path) as staged_data, atomic_path(readme) as staged_readme:
        if path.suffix.lower() == ".parquet":
            table.to_parquet(staged_data, index=False)
        else:
            table.to_csv(staged_data, index=False, date_format=ISO_FORMAT)
        staged_readme.write_text(_readme_text(frame, path, location, recorded), encoding="utf-8")
    log.info("wrote %s synthetic incidents to %s in %.2f s", f"{len(table):,}", path, time.perf_counter() - started)
    return readme


def _check_writable(frame: pd.DataFrame, path: Path, location: str) -> None:
    problems = []
    if path.suffix.lower() not in SUFFIXES:
        problems.append(f"suffix {path.suffix!r} is not one of {', '.join(SUFFIXES)}")
    if location not in LOCATION_COLUMNS:
        problems.append(f"location {location!r} is not one of {', '.join(LOCATION_COLUMNS)}")
    needed = ("id", "grade", "timestamp", *LOCATION_COLUMNS.get(location, ()))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        problems.append(f"the frame lacks column(s) {', '.join(missing)}; make it with synthetic_incidents()")
    elif not pd.api.types.is_datetime64_any_dtype(frame["timestamp"]):
        problems.append(f"timestamp has dtype {frame['timestamp'].dtype}, expected datetime64")
    if problems:
        raise InputDataError("cannot be written as synthetic incidents", source=str(path), problems=problems)


def _output_table(frame: pd.DataFrame, location: str) -> pd.DataFrame:
    """The columns written, in order, labelled synthetic on every row."""
    columns = ["id", "grade", "timestamp", *LOCATION_COLUMNS[location]]
    columns += [c for c in ("attendance_s",) if c in frame.columns]
    table = frame[columns].copy()
    table["source"] = SOURCE_LABEL
    return table


def _readme_text(frame: pd.DataFrame, path: Path, location: str, params: dict | None) -> str:
    """The sidecar README: what the file is, how it was drawn, and with which parameters."""
    counts = frame["grade"].value_counts().sort_index()
    extra = ", attendance_s" if "attendance_s" in frame.columns else ""
    stamp = "a Parquet timestamp" if path.suffix.lower() == ".parquet" else "ISO 8601 text"
    lines = [
        f"{path.name}: SYNTHETIC INCIDENTS - NOT REAL DATA",
        "",
        "Every row was drawn at random by hubplan (geodata.synthetic) from the MODELLED demand",
        "(assumed annual volumes, hour-of-day and weekday profiles, 2011 census weighting, night lean",
        "toward town centres). No row is a record of a real incident; every row has source = synthetic.",
        "Locations are OS Code-Point Open postcode coordinates (postcode level, BNG metres).",
        "",
        f"Rows: {len(frame):,} (" + ", ".join(f"Grade {g}: {c:,}" for g, c in counts.items()) + ")",
        f"From {frame['timestamp'].min()} to {frame['timestamp'].max()}",
        f"Columns: id, grade, timestamp ({stamp}), {location}{extra}, source",
    ]
    if "attendance_s" in frame.columns:
        lines += [
            "",
            "attendance_s is SYNTHETIC: mobilisation + travel from the nearest base + a wait for a free car,",
            "with the wait calibrated so that the means and shares within target match the force's published",
            "2018 figures. These numbers are shaped to published means; they are not measurements.",
            attendance_summary(frame).round(3).to_string(index=False),
        ]
    lines += ["", "Parameters (the same values and seed draw the same file):"]
    lines += [f"  {key} = {value}" for key, value in _flatten(params)] if params else ["  not recorded"]
    return "\n".join(lines) + "\n"


def _flatten(values: dict, prefix: str = "") -> list[tuple[str, str]]:
    """``{"a": {"b": 1}}`` as ``[("a.b", "1")]``; lists are written as compact JSON."""
    flat = []
    for key, value in values.items():
        if isinstance(value, dict):
            flat += _flatten(value, f"{prefix}{key}.")
        else:
            flat.append((f"{prefix}{key}", json.dumps(value)))
    return flat
