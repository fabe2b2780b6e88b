"""Summarise replications the way the force reports attendance: share within target and mean, with intervals.

Each figure is computed per replication and then averaged; its 95 % interval
is the Student t interval across replications
(:func:`models.simulation.replication_interval`). A group with no incidents of
a grade in some replication is left out of that group's figure (its interval
then rests on fewer replications); a group with none in any is left out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from models.simulation import replication_interval
from optimiser.replications import Replication

#: The dimensions every grade is broken down by in ``simulation.json``.
DIMENSIONS = ("base_area", "shift", "local_authority")


def interval_json(values: np.ndarray | list[float], *, share: bool = False) -> dict[str, Any]:
    """``{"mean", "ci95": [lo, hi], "replications"}`` of per-replication values (``None`` where undefined).

    With ``share``, the interval is clipped to ``[0, 1]`` (a t interval can spill past a share's range).
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return {"mean": None, "ci95": [None, None], "replications": 0}
    interval = replication_interval(finite)
    bounds = np.clip([interval.low, interval.high], 0.0, 1.0) if share else [interval.low, interval.high]
    clean = [None if math.isnan(v) else round(float(v), 6) for v in bounds]
    return {"mean": round(interval.mean, 6), "ci95": clean, "replications": int(finite.size)}


def _grade_figures(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Within-target share and mean response (minutes) of one grade's incidents, per replication."""
    by_seed = frame.groupby("seed", sort=True)
    within = by_seed["within_target"].mean()
    mean_min = frame[frame["attended"]].groupby("seed", sort=True)["response_s"].mean() / 60.0
    return {
        "within_target": interval_json(within.to_numpy(), share=True),
        "mean_min": interval_json(mean_min.to_numpy()),
        "attended_share": interval_json(by_seed["attended"].mean().to_numpy(), share=True),
    }


def grade_summary(incidents: pd.DataFrame, grade: int, seeds: list[int]) -> dict[str, Any]:
    """The figures of one grade: overall, by base area, shift and local authority, and by area class.

    ``by_area_class`` holds, for urban and for rural incidents, the same figures as the force-wide ones
    (each incident against its own class's target).
    """
    mine = incidents[incidents["grade"] == grade]
    summary = _headline(mine, seeds)
    for dimension in DIMENSIONS:
        summary[f"by_{dimension}"] = {
            str(name): _grade_figures(group) for name, group in mine.groupby(dimension, sort=True) if str(name)
        }
    summary["by_area_class"] = {
        str(name): _headline(group, seeds) for name, group in mine.groupby("area_class", sort=True) if str(name)
    }
    return summary


def _headline(incidents: pd.DataFrame, seeds: list[int]) -> dict[str, Any]:
    """Incidents a replication, share within target, mean attendance, attended and waited shares."""
    summary: dict[str, Any] = {"incidents_per_replication": round(len(incidents) / max(len(seeds), 1), 1)}
    summary.update(_grade_figures(incidents))
    summary["waited_for_car_share"] = interval_json(
        incidents.groupby("seed")["waited_for_car"].mean().to_numpy(), share=True
    )
    return summary


def other_standard_summary(incidents: pd.DataFrame) -> dict[str, Any]:
    """Within target of the other standard, per grade: overall and by area class."""
    renamed = incidents.drop(columns="within_target").rename(columns={"within_other_target": "within_target"})
    out = {}
    for grade in (1, 2):
        mine = renamed[renamed["grade"] == grade]
        share = lambda frame: interval_json(frame.groupby("seed")["within_target"].mean().to_numpy(), share=True)  # noqa: E731
        out[f"grade{grade}"] = {
            "within_target": share(mine),
            "by_area_class": {str(c): {"within_target": share(g)} for c, g in mine.groupby("area_class") if str(c)},
        }
    return out


#: The four headline figures, per replication (the columns of :func:`per_seed_figures`).
HEADLINE = ("grade1_within_target", "grade1_mean_min", "grade2_within_target", "grade2_mean_min")


def per_seed_figures(replications: list[Replication]) -> pd.DataFrame:
    """Per replication: Grade 1 and 2 share within target and mean attendance (minutes); indexed by seed.

    Two runs on the same seeds face the same incidents, so the difference of
    these, seed by seed, is a paired comparison.
    """
    rows = []
    for replication in replications:
        frame = replication.incidents
        row = {"seed": replication.seed}
        for grade in (1, 2):
            mine = frame[frame["grade"] == grade]
            attended = mine[mine["attended"]]
            row[f"grade{grade}_within_target"] = float(mine["within_target"].mean()) if len(mine) else np.nan
            row[f"grade{grade}_mean_min"] = float(attended["response_s"].mean() / 60.0) if len(attended) else np.nan
        row.update(_grade1_by_standard(frame[frame["grade"] == 1]))
        rows.append(row)
    return pd.DataFrame(rows, columns=["seed", *HEADLINE, *BY_STANDARD]).set_index("seed")


#: Grade 1 within target under the plan's standard and the other one, by area class (columns of per_seed_figures).
BY_STANDARD = tuple(
    f"grade1_within_{which}_{area}" if area else f"grade1_within_{which}"
    for which in ("target", "other_target")
    for area in ("", "urban", "rural")
    if (which, area) != ("target", "")
)


def _grade1_by_standard(grade1: pd.DataFrame) -> dict[str, float]:
    out = {"grade1_within_other_target": float(grade1["within_other_target"].mean()) if len(grade1) else np.nan}
    for area in ("urban", "rural"):
        mine = grade1[grade1["area_class"] == area]
        for which in ("target", "other_target"):
            out[f"grade1_within_{which}_{area}"] = float(mine[f"within_{which}"].mean()) if len(mine) else np.nan
    return out


def simulation_summary(
    replications: list[Replication],
    *,
    seed: int,
    days: int,
    parameters: dict[str, Any],
    standards: tuple[dict[str, str], dict[str, str]],
) -> dict[str, Any]:
    """The ``simulation.json`` document: grades 1 and 2, utilisation, and the parameters of the run.

    ``standards`` is the ``{"name", "source", "class_source", ...}`` of the plan's standard (what
    ``grade1`` and ``grade2`` are measured against) and of the other shipped one (``other_standard``).
    """
    incidents = pd.concat([r.incidents for r in replications], ignore_index=True)
    seeds = [r.seed for r in replications]
    return {
        "replications": len(replications),
        "seed": seed,
        "days": days,
        "standard": standards[0],
        "grade1": grade_summary(incidents, 1, seeds),
        "grade2": grade_summary(incidents, 2, seeds),
        "other_standard": {"standard": standards[1], **other_standard_summary(incidents)},
        "utilisation": {
            "by_base": _utilisation([r.busy_by_base for r in replications]),
            "by_shift": _utilisation([r.busy_by_shift for r in replications]),
        },
        "events_per_replication": round(float(np.mean([r.events for r in replications])), 1),
        "parameters": parameters,
    }


def _utilisation(per_replication: list[dict[str, float]]) -> dict[str, Any]:
    names = sorted({name for shares in per_replication for name in shares})
    return {
        name: interval_json([shares.get(name, np.nan) for shares in per_replication]) for name in names
    }  # may pass 1: overruns
