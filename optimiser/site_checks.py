"""Plausibility of a plan's deployment locations: outside the force area, or answering almost nothing.

Candidate sites further than ``[candidates] area_buffer_m`` outside the force
area are refused before the solve (:mod:`optimiser.prepare`); sites within
that buffer but outside the area (a junction just over the county line) may
be chosen, and every output flags them: the ``outside_force_area_m`` column
of ``plan.csv`` and the ``deployment_locations`` layer, ``kpis.json``'s
``site_checks`` section and the terminal. A location that is the first
response for fewer than ``LITTLE_GRADE1_PER_YEAR`` (1, in :mod:`maps.handout`) Grade 1 incidents a
year (travel only) is reported too: the car would do as much at another site.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geodata import embedded
from maps.handout import LITTLE_GRADE1_PER_YEAR  # one threshold for kpis.json, the terminal and the report's table

#: Columns of a flagged site in ``kpis.json``.
SITE_COLUMNS = ("location_id", "shift", "base", "name", "nearest_postcode")


def outside_force_area_m(easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
    """Distance of each point outside the force area, metres to 0.1 (0 inside); BNG coordinates."""
    area = embedded.force_area().iloc[0]
    points = shapely.points(np.asarray(easting, float), np.asarray(northing, float))
    return np.round(shapely.distance(area, points), 1) if len(points) else np.zeros(0)


def site_checks(locations: pd.DataFrame, *, area_buffer_m: float) -> dict[str, Any]:
    """The ``site_checks`` section of ``kpis.json`` for a ``deployment_locations`` table.

    Parameters
    ----------
    locations
        :func:`optimiser.plan_output.deployment_locations` (with ``outside_force_area_m``).
    area_buffer_m
        The scenario's ``[candidates] area_buffer_m``: how far outside the area a site may be.
    """
    outside = locations[locations["outside_force_area_m"] > 0].sort_values("outside_force_area_m", ascending=False)
    little = locations[locations["grade1_first_response_per_year"] < LITTLE_GRADE1_PER_YEAR]
    little = little.sort_values("grade1_first_response_per_year")
    return {
        "area_buffer_m": float(area_buffer_m),
        "little_grade1_per_year": LITTLE_GRADE1_PER_YEAR,
        "outside_force_area": _records(outside, "outside_force_area_m"),
        "answer_little": _records(little, "grade1_first_response_per_year"),
        "note": (
            "outside_force_area: deployment locations outside the force area (allowed up to [candidates] "
            "area_buffer_m); answer_little: locations that are the first response for fewer than "
            f"{LITTLE_GRADE1_PER_YEAR:g} Grade 1 incidents a year (travel only)"
        ),
    }


def _records(frame: pd.DataFrame, value: str) -> list[dict[str, Any]]:
    columns = [c for c in (*SITE_COLUMNS, value) if c in frame.columns]
    return [
        {key: (float(v) if isinstance(v, np.floating | float) else str(v)) for key, v in row.items()}
        for row in frame[columns].to_dict("records")
    ]


def site_check_lines(checks: dict[str, Any], *, total: int) -> list[str]:
    """Terminal lines for the flagged sites (none when nothing is flagged); ``total``: location-shifts in all."""
    lines = []
    outside = checks.get("outside_force_area", [])
    if outside:
        worst = ", ".join(
            f"{s['location_id']} ({s['shift']}, {s.get('nearest_postcode', '')}) {s['outside_force_area_m']:,.0f} m"
            for s in outside[:5]
        )
        lines.append(
            f"{len(outside)} of {total} deployment location-shifts lie outside the force area (allowed up to "
            f"[candidates] area_buffer_m = {checks['area_buffer_m']:,.0f} m): {worst}"
            + (", ..." if len(outside) > 5 else "")
            + "; see outside_force_area_m in plan.csv"
        )
    little = checks.get("answer_little", [])
    if little:
        names = ", ".join(
            f"{s['location_id']} ({s['shift']}) {s['grade1_first_response_per_year']:.1f}" for s in little[:5]
        )
        lines.append(
            f"{len(little)} of {total} deployment location-shifts answer first fewer than "
            f"{checks['little_grade1_per_year']:g} Grade 1 incidents a year: {names}"
            + (", ..." if len(little) > 5 else "")
        )
    return lines
