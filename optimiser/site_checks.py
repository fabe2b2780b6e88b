"""Plausibility of a plan's deployment locations: outside the force area, answering little, or crowded.

Candidate sites further than ``[candidates] area_buffer_m`` outside the force
area are refused before the solve (:mod:`optimiser.prepare`); sites within
that buffer but outside the area (a junction just over the county line) may
be chosen, and every output flags them: the ``outside_force_area_m`` column
of ``plan.csv`` and the ``deployment_locations`` layer, ``kpis.json``'s
``site_checks`` section and the terminal. A location that is the first
response for fewer than ``LITTLE_GRADE1_PER_YEAR`` (1, in :mod:`maps.handout`)
Grade 1 incidents a year (travel only) is reported too: the car would do as
much at another site. So is a location within ``NEAR_OTHER_BASE_M`` (500 m
straight line, in :mod:`maps.handout`) of another base's location in the same
shift: two bases' cars waiting side by side, which the planner may want to
share out or move (the optimiser counts both, as each base's cars answer only
from their own sites, but it is worth a look).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from geodata import embedded
from maps.handout import LITTLE_GRADE1_PER_YEAR, NEAR_OTHER_BASE_M  # one threshold each for every output

#: Columns of a flagged site in ``kpis.json``.
SITE_COLUMNS = ("location_id", "shift", "base", "name", "nearest_postcode")


def outside_force_area_m(easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
    """Distance of each point outside the force area, metres to 0.1 (0 inside); BNG coordinates."""
    area = embedded.force_area().iloc[0]
    points = shapely.points(np.asarray(easting, float), np.asarray(northing, float))
    return np.round(shapely.distance(area, points), 1) if len(points) else np.zeros(0)


def nearest_other_base(locations: pd.DataFrame) -> pd.DataFrame:
    """For each location, the nearest location of another base in the same shift.

    Parameters
    ----------
    locations
        One row per location and shift with ``location_id``, ``shift``, ``base``, ``easting``, ``northing``
        (BNG metres).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``locations``: ``nearest_other_base_m`` (straight line, metres to 0.1; NaN when no other
        base has a location in that shift) and ``nearest_other_base_location`` (``"BASE LOCATION_ID"``, blank
        when none).
    """
    distance_m = np.full(len(locations), np.nan)
    nearest = np.full(len(locations), "", dtype=object)
    for _, rows in locations.groupby("shift", sort=False):
        where = locations.index.get_indexer(rows.index)
        xy = rows[["easting", "northing"]].to_numpy(float)
        delta_m = xy[:, None, :] - xy[None, :, :]
        pairwise_m = np.hypot(delta_m[..., 0], delta_m[..., 1])
        bases = rows["base"].to_numpy(object)
        pairwise_m[bases[:, None] == bases[None, :]] = np.inf  # a base's own locations, and itself
        closest = pairwise_m.argmin(axis=1)
        found = np.isfinite(pairwise_m[np.arange(len(rows)), closest])
        labels = bases[closest] + " " + rows["location_id"].to_numpy(object)[closest]
        distance_m[where[found]] = np.round(pairwise_m[np.arange(len(rows)), closest][found], 1)
        nearest[where[found]] = labels[found]
    return pd.DataFrame(
        {"nearest_other_base_m": distance_m, "nearest_other_base_location": nearest}, index=locations.index
    )


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
    if "nearest_other_base_m" not in locations.columns:
        locations = locations.join(nearest_other_base(locations))
    near = locations[locations["nearest_other_base_m"] <= NEAR_OTHER_BASE_M].sort_values("nearest_other_base_m")
    return {
        "area_buffer_m": float(area_buffer_m),
        "little_grade1_per_year": LITTLE_GRADE1_PER_YEAR,
        "near_other_base_m": NEAR_OTHER_BASE_M,
        "outside_force_area": _records(outside, "outside_force_area_m"),
        "answer_little": _records(little, "grade1_first_response_per_year"),
        "near_other_base": _records(near, "nearest_other_base_location", "nearest_other_base_m"),
        "note": (
            "outside_force_area: deployment locations outside the force area (allowed up to [candidates] "
            "area_buffer_m); answer_little: locations that are the first response for fewer than "
            f"{LITTLE_GRADE1_PER_YEAR:g} Grade 1 incidents a year (travel only); near_other_base: locations "
            f"within {NEAR_OTHER_BASE_M:g} m (straight line) of another base's location in the same shift"
        ),
    }


def _records(frame: pd.DataFrame, *values: str) -> list[dict[str, Any]]:
    columns = [c for c in (*SITE_COLUMNS, *values) if c in frame.columns]
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
    near = checks.get("near_other_base", [])
    if near:
        pairs = ", ".join(
            f"{s['location_id']} ({s['base']}, {s['shift']}) {s['nearest_other_base_m']:,.0f} m from "
            f"{s['nearest_other_base_location']}"
            for s in near[:5]
        )
        lines.append(
            f"{len(near)} of {total} deployment location-shifts lie within {checks['near_other_base_m']:,.0f} m of "
            f"another base's location in the same shift: {pairs}" + (", ..." if len(near) > 5 else "")
        )
    return lines
