"""Incident files as demand: real incidents counted per demand node, grade and shift.

The incidents come from :func:`geodata.incidents.read_incidents`, the same
reader (same rules, same messages) that ``hubplan evaluate`` streams. Grade 3
incidents are not response demand and are counted but not placed.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geodata.demand import Demand, Shift
from geodata.errors import InputDataError

log = logging.getLogger(__name__)

#: Incidents farther than this from every demand node are outside the force area.
MAX_NODE_DISTANCE_M = 2_000.0


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
        From :func:`geodata.incidents.read_incidents`.
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
