"""Solve a prepared scenario shift by shift, and recompute each plan's response times."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from models.bands import PreTravelDelay, banded_instance
from models.coverage import solve_double_standard
from models.evaluate import evaluate_plan, grade1_term, score_plan
from models.instance import CoverageInstance, CoverageParams
from models.plan import Plan
from optimiser.prepare import PreparedScenario

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class ShiftResult:
    """One shift's plan and, per demand node, the fastest open site and its response time.

    Attributes
    ----------
    response_s
        Fastest response time from any open site (chosen locations and bases), seconds; ``inf`` beyond 60 min.
    responding_site
        Index of that site: ``0..m-1`` a candidate, ``m..m+B-1`` a base; -1 when none reaches the node.
    responding_base
        Base index whose car responds (a location's own base), -1 when none.
    """

    shift: str
    instance: CoverageInstance
    plan: Plan
    response_s: np.ndarray
    responding_site: np.ndarray
    responding_base: np.ndarray


def coverage_params(
    prepared: PreparedScenario,
    instance: CoverageInstance,
    shift: str,
    *,
    busy_by_node: np.ndarray | None = None,
) -> CoverageParams:
    """The models' parameters from the scenario's ``[solver]`` section, for one shift.

    ``busy_fraction = "auto"`` takes the shift's estimated busy fraction;
    ``"simulated"`` takes ``busy_by_node`` (one ``q_i`` per demand node, from
    :mod:`optimiser.availability`) when given, else the shift's estimate (the
    first solve of the iterations).
    """
    spec = prepared.scenario.solver
    busy = spec.busy_fraction
    if busy == "simulated" and busy_by_node is not None:
        busy = busy_by_node
    elif busy in ("auto", "simulated"):
        busy = prepared.response.busy_fraction_by_shift[shift]
    return CoverageParams(
        objective=spec.objective,
        grade1_weight=spec.grade1_weight,
        grade2_weight=spec.grade2_weight,
        backup_weight=spec.backup_weight,
        busy_fraction=busy,
        solver=spec.solver,
        time_limit_s=spec.time_limit_s,
        relative_gap=spec.relative_gap,
        seed=spec.seed,
        equity_floor_share=dict(spec.equity_floor_share),
    )


def shift_instance(prepared: PreparedScenario, shift: str) -> CoverageInstance:
    """The covering instance of one shift."""
    grade1, grade2 = prepared.demand.for_shift(shift)
    bases = prepared.scenario.bases
    return CoverageInstance(
        grade1_demand=grade1,
        grade2_demand=grade2,
        candidate_response_s=prepared.candidate_response_s,
        base_response_s=prepared.base_response_s,
        base_to_candidate_time_s=prepared.base_to_candidate_s,
        max_base_travel_s=prepared.max_base_travel_s,
        locations_per_base=np.array([b.shifts[shift].locations for b in bases]),
        units_per_base=np.array([b.shifts[shift].units for b in bases]),
        target_grade1_s=prepared.targets_s(1),
        target_grade2_s=prepared.targets_s(2),
        demand_group=tuple(prepared.demand.nodes["la_name"]),
        base_names=tuple(b.name for b in bases),
    )


def solve_scenario(prepared: PreparedScenario, *, on_shift: Callable[[str], None] | None = None) -> list[ShiftResult]:
    """Solve every shift of the scenario in turn."""
    results = []
    for shift in prepared.scenario.shift_names:
        if on_shift is not None:
            on_shift(shift)
        instance = shift_instance(prepared, shift)
        plan = solve_shift(prepared, instance, coverage_params(prepared, instance, shift))
        report = plan.report
        if report is not None:
            log.debug(
                "shift %s: %s, objective %.1f, bound %.1f, gap %.4f%%, %.1f s",
                shift,
                report.status,
                report.objective,
                report.bound,
                100 * report.gap,
                report.seconds,
            )
        results.append(shift_result(shift, instance, plan))
    return results


def scenario_delay(prepared: PreparedScenario) -> PreTravelDelay | None:
    """The Grade 1 pre-travel delay of the banded score (``None`` with ``grade1_scoring = "target"``).

    It is the simulation's Grade 1 call handling, so the optimiser and the
    simulation share one assumption.
    """
    if prepared.scenario.solver.grade1_scoring != "bands":
        return None
    simulation = prepared.scenario.simulation
    return PreTravelDelay(simulation.call_handling_grade1_median_s, simulation.call_handling_grade1_log_sd)


def solve_shift(prepared: PreparedScenario, instance: CoverageInstance, params: CoverageParams) -> Plan:
    """Solve one shift with the scenario's Grade 1 scoring; the plan's cover is that of ``instance``.

    With bands the solver sees :func:`models.bands.banded_instance`; the
    plan's coverage and objective values are then recomputed on ``instance``
    (cover within target), and ``grade1_bands`` adds the banded score.
    """
    delay = scenario_delay(prepared)
    if delay is None:
        return solve_double_standard(instance, params)
    n_bands = prepared.scenario.solver.grade1_bands
    banded = banded_instance(instance, delay, mobilisation_s=prepared.response.mobilisation_s, n_bands=n_bands)
    stacked = banded_params(params, n_bands)
    solved = solve_double_standard(banded, stacked)
    sites = list(solved.sites)
    coverage = evaluate_plan(instance, sites)
    values = dict(score_plan(instance, sites, list(solved.site_bases), params, coverage=coverage))
    values["grade1_bands"] = float(grade1_term(solved.coverage, stacked))
    return Plan(solved.sites, solved.site_bases, coverage, values, solved.report)


def banded_params(params: CoverageParams, n_bands: int) -> CoverageParams:
    """``params`` for :func:`models.bands.banded_instance`: a per-node busy fraction repeated for every band.

    The banded instance's rows are ``L`` copies of the demand nodes, band by
    band, then the Grade 2 copy, so node ``i``'s ``q_i`` goes to rows
    ``l * n + i`` for every ``l`` (the Grade 2 copy has no Grade 1 demand; it
    gets the same ``q_i``, which then weighs nothing).
    """
    if not params.busy_per_node:
        return params
    return dataclasses.replace(params, busy_fraction=np.tile(params.busy_fraction, n_bands + 1))


def shift_result(shift: str, instance: CoverageInstance, plan: Plan) -> ShiftResult:
    """The shift's result: the plan and, per demand node, its fastest open site and response time."""
    sites = np.asarray(plan.sites, dtype=np.int64)
    open_response = scipy.sparse.hstack(
        [instance.candidate_response_s[:, sites], instance.base_response_s], format="csr"
    )
    dense = _dense_with_inf(open_response)
    best = np.argmin(dense, axis=1)
    response_s = dense[np.arange(dense.shape[0]), best]
    reached = np.isfinite(response_s)
    site_base = np.concatenate([np.asarray(plan.site_bases, dtype=np.int64), np.arange(instance.n_bases)])
    site_index = np.concatenate([sites, instance.n_candidates + np.arange(instance.n_bases)])
    return ShiftResult(
        shift=shift,
        instance=instance,
        plan=plan,
        response_s=response_s,
        responding_site=np.where(reached, site_index[best], -1),
        responding_base=np.where(reached, site_base[best], -1),
    )


def _dense_with_inf(matrix: scipy.sparse.csr_matrix) -> np.ndarray:
    """Dense copy where absent entries are ``inf`` (explicit zeros stay 0)."""
    shifted = matrix.copy()
    shifted.data = shifted.data + 1.0
    dense = shifted.toarray()
    dense[dense == 0.0] = np.inf
    return dense - 1.0
