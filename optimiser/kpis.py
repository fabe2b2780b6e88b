"""Key performance indicators of a plan: coverage by base, shift and local authority, and solver status.

Two kinds of figure, always labelled:

* **travel only**: the share of demand within target of an open site,
  assuming a car is free there. This is an upper bound on attendance.
* **availability-adjusted**: each car position is busy with probability
  ``q`` (MEXCLP, Daskin 1983), estimated per shift as the car-hours of work
  per hour (assumed job times x modelled incident rate) over the cars on duty,
  so a node within target of ``c`` open sites is covered with probability
  ``1 - q**c``. Only this, or a simulation with busy units, can be set beside
  the force's published attendance figures.

Both are given overall, by shift, by base (the demand each base's cars answer
first) and by local authority. The records are :mod:`models.kpis`; a share of
no demand is NaN there (``null`` in ``kpis.json``), see that module.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geodata.area_classes import AreaClassification
from models.evaluate import evaluate_plan
from models.kpis import (
    Assumptions,
    GradeKpis,
    OtherStandardKpis,
    PlanKpis,
    ShiftSolverKpis,
    SolverKpis,
    StandardKpis,
    demand_share,
)
from models.plan import SolveStatus
from models.response import expected_cover
from models.standards import AREA_CLASSES, ResponseStandard
from optimiser.prepare import PreparedScenario
from optimiser.solve import ShiftResult
from optimiser.standards import other_standard


def scenario_kpis(prepared: PreparedScenario, results: list[ShiftResult]) -> PlanKpis:
    """All KPIs of a solved scenario (written as ``kpis.json`` by :meth:`~models.kpis.PlanKpis.to_json`).

    The grades are measured against the scenario's standard, and again against the other shipped
    standard (``other_standard``), each overall and by area class.
    """
    busy = dict(prepared.response.busy_fraction_by_shift)
    own = prepared.response.standard
    other = other_standard(own)
    return PlanKpis(
        scenario=prepared.scenario.name,
        grade1=grade_kpis(prepared, results, grade=1, busy=busy),
        grade2=grade_kpis(prepared, results, grade=2, busy=busy),
        busy_fraction_by_shift={shift: round(q, 4) for shift, q in busy.items()},
        solver=solver_kpis(results),
        assumptions=assumptions(prepared),
        standard=standard_kpis(own, prepared.area_classes),
        other_standard=OtherStandardKpis(
            standard=standard_kpis(other, prepared.area_classes),
            grade1=grade_kpis(prepared, results, grade=1, busy=busy, standard=other),
            grade2=grade_kpis(prepared, results, grade=2, busy=busy, standard=other),
        ),
    )


def standard_kpis(standard: ResponseStandard, classification: AreaClassification) -> StandardKpis:
    """The ``standard`` section: which standard, its source, and where the urban/rural classes come from."""
    return StandardKpis(
        name=standard.name,
        title=standard.title,
        source=standard.source,
        clock_start=standard.clock_start,
        class_source=classification.source,
    )


@dataclass(frozen=True, eq=False)
class _GradeArrays:
    """One grade's figures per (demand node, shift), against one standard."""

    target_s: np.ndarray
    weight: np.ndarray
    response_s: np.ndarray
    expected: np.ndarray
    responding: np.ndarray
    local_authority: np.ndarray
    area_class: np.ndarray

    @property
    def covered(self) -> np.ndarray:
        return self.response_s <= self.target_s[:, None]


def grade_kpis(
    prepared: PreparedScenario,
    results: list[ShiftResult],
    *,
    grade: int,
    busy: dict[str, float],
    standard: ResponseStandard | None = None,
) -> GradeKpis:
    """Coverage of one grade overall, by shift, base, local authority and area class: travel only and with busy cars.

    Each node is measured against its own target: the standard's (default the plan's) for the node's area
    class. With busy cars, a node within target of ``c`` open sites in a shift whose cars are busy with
    probability ``q`` counts ``1 - q**c`` of its demand.
    """
    standard = standard or prepared.response.standard
    area_class = prepared.demand.nodes["area_class"].to_numpy(object)
    target_s = standard.targets_s(grade, area_class)
    counts = np.column_stack([_cover_count(r, grade, standard, prepared) for r in results])
    arrays = _GradeArrays(
        target_s=target_s,
        weight=np.column_stack([r.instance.demand(grade) for r in results]),
        response_s=np.column_stack([r.response_s for r in results]),
        expected=np.column_stack([expected_cover(busy[r.shift], counts[:, k]) for k, r in enumerate(results)]),
        responding=np.column_stack([r.responding_base for r in results]),
        local_authority=prepared.demand.nodes["la_name"].to_numpy(object),
        area_class=area_class,
    )
    names = ([b.name for b in prepared.scenario.bases], [r.shift for r in results])
    by_class = {
        name: _grade_kpis_of(arrays, arrays.area_class == name, names, {name: standard.targets_min[grade][name]})
        for name in AREA_CLASSES
    }
    whole = _grade_kpis_of(arrays, np.ones(area_class.size, dtype=bool), names, dict(standard.targets_min[grade]))
    return dataclasses.replace(whole, by_area_class=by_class)


def _grade_kpis_of(
    arrays: _GradeArrays, rows: np.ndarray, names: tuple[list[str], list[str]], targets_min: dict[str, float]
) -> GradeKpis:
    """The figures of the demand nodes ``rows`` (every shift)."""
    base_names, shifts = names
    weight, covered, expected = arrays.weight[rows], arrays.covered[rows], arrays.expected[rows]
    response, responding = arrays.response_s[rows], arrays.responding[rows]
    la = np.repeat(arrays.local_authority[rows][:, None], len(shifts), axis=1)
    bases = {name: responding == b for b, name in enumerate(base_names)}
    areas = {str(name): la == name for name in sorted(set(arrays.local_authority))}
    uniform = len(set(targets_min.values())) == 1
    return GradeKpis(
        target_min=next(iter(targets_min.values())) if uniform else float("nan"),
        demand_per_year=round(float(weight.sum()), 1),
        covered_share=_share(weight, covered),
        expected_covered_share=_share(weight, expected),
        mean_response_min=_weighted_mean(response, weight),
        p90_response_min=_weighted_percentile(response, weight, 90.0),
        by_shift={shift: _share(weight[:, k], covered[:, k]) for k, shift in enumerate(shifts)},
        expected_by_shift={shift: _share(weight[:, k], expected[:, k]) for k, shift in enumerate(shifts)},
        by_base=_shares_by(bases, weight, covered),
        expected_by_base=_shares_by(bases, weight, expected),
        by_local_authority=_shares_by(areas, weight, covered),
        expected_by_local_authority=_shares_by(areas, weight, expected),
        target_by_class_min=targets_min,
    )


def _shares_by(groups: dict[str, np.ndarray], weight: np.ndarray, covered: np.ndarray) -> dict[str, float]:
    """``{group: share of its demand covered}`` for boolean masks over (node, shift)."""
    return {name: _share(weight[mask], covered[mask]) for name, mask in groups.items()}


def _cover_count(result: ShiftResult, grade: int, standard: ResponseStandard, prepared: PreparedScenario) -> np.ndarray:
    """Open sites within the node's target of ``standard``: the plan's own count, or recounted for another."""
    coverage = result.plan.coverage
    if standard != prepared.response.standard:
        instance = dataclasses.replace(
            result.instance,
            target_grade1_s=prepared.targets_s(1, standard),
            target_grade2_s=prepared.targets_s(2, standard),
        )
        coverage = evaluate_plan(instance, result.plan.sites)
    return coverage.cover_count_grade1 if grade == 1 else coverage.cover_count_grade2


def _share(weight: np.ndarray, covered: np.ndarray) -> float:
    """Demand-weighted share of ``covered`` (0/1 or a probability), to 6 places; NaN without demand."""
    return round(demand_share(float((weight * covered).sum()), float(weight.sum())), 6)


def _weighted_mean(response_s: np.ndarray, weight: np.ndarray) -> float:
    reached = np.isfinite(response_s)
    total = float(weight[reached].sum())
    return round(float((response_s[reached] * weight[reached]).sum()) / total / 60.0, 3) if total > 0 else float("nan")


def _weighted_percentile(response_s: np.ndarray, weight: np.ndarray, percent: float) -> float:
    """Weighted percentile in minutes; unreached demand counts as beyond every time (inf)."""
    values, weights = response_s.ravel(), weight.ravel()
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    if cumulative.size == 0 or cumulative[-1] <= 0:
        return float("nan")
    position = np.searchsorted(cumulative, percent / 100.0 * cumulative[-1])
    value = values[order][min(position, values.size - 1)]
    return round(float(value) / 60.0, 3) if np.isfinite(value) else float("inf")


def solver_kpis(results: list[ShiftResult]) -> SolverKpis:
    """Status, objective, bound, gap and time: summed over shifts, and per shift."""
    reports = [r.plan.report for r in results if r.plan.report is not None]
    objective = float(sum(rep.objective for rep in reports))
    bound = float(sum(rep.bound for rep in reports))
    return SolverKpis(
        status=str(SolveStatus.worst([rep.status for rep in reports])),
        objective=round(objective, 4),
        bound=round(bound, 4),
        gap=(round((bound - objective) / bound, 8) if bound > 0 else 0.0) if math.isfinite(bound) else math.inf,
        seconds=round(float(sum(rep.seconds for rep in reports)), 2),
        solver=",".join(sorted({rep.solver for rep in reports})),
        by_shift={
            r.shift: ShiftSolverKpis(
                status=str(r.plan.report.status),
                objective=round(r.plan.report.objective, 4),
                bound=round(r.plan.report.bound, 4),
                gap=r.plan.report.gap,
                seconds=round(r.plan.report.seconds, 2),
                warnings=tuple(r.plan.report.warnings),
            )
            for r in results
            if r.plan.report is not None
        },
        objective_note="first objective level, summed over shifts: with grade1_scoring = 'bands' (the default) "
        "Grade 1 incidents a year weighted by the chance that call handling and the response meet the target "
        "(models/bands.py), otherwise Grade 1 demand within target; its expected cover when [solver] "
        "busy_fraction is set. A bound of null: the solver proved none in its time limit",
    )


def assumptions(prepared: PreparedScenario) -> Assumptions:
    """Every modelled assumption behind the figures, for the report and the audit trail."""
    scenario = prepared.scenario
    return Assumptions(
        scenario_path=str(Path(scenario.path).resolve()) if scenario.path != "<memory>" else None,
        network_source=scenario.network.source,
        network=prepared.network.name,
        network_nodes=prepared.network.n_nodes,
        speed_factor=scenario.network.speed_factor,
        mobilisation_s=scenario.response.mobilisation_s,
        max_base_travel_min={b.name: b.max_travel_min or scenario.response.max_base_travel_min for b in scenario.bases},
        job_time_grade1_min=scenario.response.job_time_grade1_min,
        job_time_grade2_min=scenario.response.job_time_grade2_min,
        demand_source=prepared.demand.source,
        grade1_per_year=scenario.demand.grade1_per_year,
        grade2_per_year=scenario.demand.grade2_per_year,
        demand_nodes=len(prepared.demand.nodes),
        candidates=int(len(prepared.candidates)),
        label="modelled: travel-only figures are upper bounds on attendance; availability-adjusted figures "
        "use an estimated busy fraction, not a simulation",
    )
