"""Incident files as demand: real incidents counted per demand node, grade and shift.

An incident file is a CSV (or Parquet) with ``id``, ``grade`` (1, 2 or 3),
``timestamp`` (ISO 8601, e.g. ``2018-06-01T14:32:00``) and a location in one
of the forms :mod:`geodata.points` accepts (``lon,lat``, ``easting,northing``
or ``postcode``). Grade 3 incidents are not response demand and are counted
but not placed. Every problem is reported at once, by file line.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geodata.crs import BNG
from geodata.demand import Demand, Shift
from geodata.errors import InputDataError
from geodata.points import PostcodeLookup, read_points

log = logging.getLogger(__name__)

GRADES = ("1", "2", "3")

#: Incidents farther than this from every demand node are outside the force area.
MAX_NODE_DISTANCE_M = 2_000.0


def read_incidents(path: str | Path, *, postcode_lookup: PostcodeLookup | None = None) -> pd.DataFrame:
    """Read an incident file into ``id, grade, timestamp, x_m, y_m`` (BNG metres).

    Raises
    ------
    InputDataError
        Naming the file and every bad line: missing ``grade`` or ``timestamp``
        column, a grade other than 1, 2 or 3, an unparseable timestamp, and any
        location problem :func:`geodata.points.read_points` finds.
    """
    points = read_points(path, crs=BNG, postcode_lookup=postcode_lookup)
    raw = _read_text_columns(Path(path))
    problems = [f"missing column {c!r}" for c in ("grade", "timestamp") if c not in raw.columns]
    if problems:
        raise InputDataError("needs id, grade (1/2/3) and timestamp columns", source=str(path), problems=problems)
    grade = raw["grade"].str.strip()
    timestamp = pd.to_datetime(raw["timestamp"].str.strip(), errors="coerce", format="ISO8601")
    line = raw.index.to_numpy() + 2
    problems += [f"line {n}: grade {g!r} is not 1, 2 or 3" for n, g in zip(line, grade, strict=True) if g not in GRADES]
    problems += [
        f"line {n}: timestamp {t!r} is not a date and time (use ISO 8601, e.g. 2018-06-01T14:32:00)"
        for n, t, parsed in zip(line, raw["timestamp"], timestamp, strict=True)
        if pd.isna(parsed)
    ]
    if problems:
        raise InputDataError(f"has {len(problems)} bad line(s)", source=str(path), problems=problems)
    details = pd.DataFrame({"id": raw["id"].str.strip(), "grade": grade.astype(int), "timestamp": timestamp})
    return points.merge(details, on="id", how="left", validate="one_to_one")[["id", "grade", "timestamp", "x_m", "y_m"]]


def demand_from_incidents(
    incidents: pd.DataFrame,
    nodes: pd.DataFrame,
    shifts: tuple[Shift, ...],
    *,
    source: str,
    max_node_distance_m: float = MAX_NODE_DISTANCE_M,
) -> Demand:
    """Count Grade 1 and Grade 2 incidents per demand node and shift, as incidents a year.

    Parameters
    ----------
    incidents
        From :func:`read_incidents`.
    nodes
        Demand nodes (``node_id, x_m, y_m``, ...), e.g. :func:`geodata.demand.demand_nodes`.
    shifts
        The shifts; an incident belongs to the shift its hour of day falls in.
    source
        The file name, for messages and the demand's provenance.
    max_node_distance_m
        Incidents farther from every node are outside the force area: an error naming them.
    """
    distance, nearest = cKDTree(nodes[["x_m", "y_m"]].to_numpy(float)).query(incidents[["x_m", "y_m"]].to_numpy(float))
    outside = distance > max_node_distance_m
    if outside.any():
        ids = incidents.loc[outside, "id"].tolist()
        raise InputDataError(
            f"has {outside.sum():,} incident(s) more than {max_node_distance_m:,.0f} m from the force area; "
            "remove them or check their coordinates",
            source=source,
            problems=[f"incident {i!r}" for i in ids],
        )
    years = _years_spanned(incidents["timestamp"])
    shift_of_hour = {hour: k for k, shift in enumerate(shifts) for hour in shift.hours}
    column = incidents["timestamp"].dt.hour.map(shift_of_hour).to_numpy()
    counts = {}
    for grade in (1, 2):
        selected = incidents["grade"].to_numpy() == grade
        array = np.zeros((len(nodes), len(shifts)))
        np.add.at(array, (nearest[selected], column[selected]), 1.0)
        counts[grade] = array / years
    log.info(
        "incident demand from %s: %s Grade 1, %s Grade 2 (%s Grade 3 not placed) over %.2f years",
        source,
        f"{int((incidents['grade'] == 1).sum()):,}",
        f"{int((incidents['grade'] == 2).sum()):,}",
        f"{int((incidents['grade'] == 3).sum()):,}",
        years,
    )
    return Demand(nodes=nodes, grade1=counts[1], grade2=counts[2], shifts=shifts, source=f"incidents: {source}")


def _years_spanned(timestamps: pd.Series) -> float:
    """Length of the period the file covers, in years (at least one day)."""
    days = (timestamps.max() - timestamps.min()).total_seconds() / 86_400.0
    return max(days, 1.0) / 365.25


def _read_text_columns(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path).astype(str)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    blank = (frame.apply(lambda column: column.str.strip()) == "").all(axis=1)
    return frame.loc[~blank]
