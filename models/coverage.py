"""Double-standard maximal covering with bases: :func:`solve_double_standard`.

The steps read check -> reduce -> warm start -> model -> solve level by level
-> complete -> evaluate:

1. :func:`models.validate.validate_settings` and
   :func:`models.assign.check_assignable` raise :class:`~models.errors.ModelInputError`
   naming the setting (a base with too few eligible candidates, a bad fixed
   site, an unknown group...).
2. :func:`models.reduce.reduce_instance` applies the exact reductions; an
   equity floor above the best share reachable with *every* eligible
   candidate open is rejected here.
3. :func:`models.greedy.greedy_plan` gives the warm start (solver hint, and
   the fallback plan if the solver has nothing by its time limit).
4. :func:`models.formulation.build_model` writes the MIP (maths in its
   docstring), solved by SCIP or CP-SAT (:mod:`models.solvers`). Levels are
   lexicographic: each level is solved with the earlier levels fixed at the
   values reached (two solves beat a big-M weighting, whose ``M`` would have
   to exceed total Grade 2 demand over the smallest Grade 1 difference, which
   is arbitrarily small with real-valued demand and wrecks the LP numerics).
   The time limit covers all levels; a level that more levels follow gets
   ``LEVEL_TIME_SHARE`` of the time left (all of it when the later levels
   have nothing to optimise, for example no Grade 2 row left after the
   reductions).
5. :func:`models.assign.complete_assignment` ties sites to bases so each base
   has exactly ``p_b``; :func:`models.evaluate.evaluate_plan` re-evaluates the
   plan independently.

:func:`solve_model` (steps 3-4, with the optional rows of :class:`SiteLimits`),
:func:`chosen_sites` and :func:`assemble_plan` are shared with :mod:`models.budget`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from models.assign import check_assignable, complete_assignment
from models.errors import ModelInputError, raise_if_problems
from models.evaluate import Coverage, evaluate_plan, score_plan
from models.formulation import CoverFloor, LinearModel, build_model, pairs_mask, plan_values
from models.greedy import WarmStart, greedy_plan, submodular_bounds
from models.instance import CoverageInstance, CoverageParams, single_standard_instance
from models.levels import LevelSpec, objective_levels
from models.plan import LevelReport, Plan, SolveReport, SolveStatus, relative_gap
from models.reduce import ReducedProblem, ReductionRequest, reduce_instance
from models.solvers import CpSatBackend, LevelOutcome, ScipBackend, classify, make_backend
from models.validate import validate_settings

log = logging.getLogger(__name__)

#: Share of the remaining time a level gets when more levels follow it.
LEVEL_TIME_SHARE = 0.6
#: Share of the time limit the greedy's local search may use.
GREEDY_TIME_SHARE = 0.1
#: Share of the time limit kept for completing and evaluating the plan after the solver (at most 5 s).
FINISH_TIME_SHARE = 0.05
#: The solver name that keeps the greedy + swap plan (no MIP), see :func:`models.greedy.submodular_bounds`.
GREEDY = "greedy"
#: Warning when the greedy plan breaks a constraint of the model.
GREEDY_INFEASIBLE = "the greedy plan does not meet every constraint (equity floor, max_changes, cover target)"
#: Feasibility tolerance when checking a warm start against the model.
HINT_TOLERANCE = 1e-6


@dataclass(frozen=True, eq=False)
class Solved:
    """The result of the level-by-level solve.

    Parameters
    ----------
    values
        Variable values of the kept plan (its ``y`` polished to its true cover).
    levels
        One report per level.
    solver
        The back end's name, or ``"greedy"`` when the plan is the warm start.
    warnings
        Anything the caller should know.
    """

    values: np.ndarray
    levels: tuple[LevelReport, ...]
    solver: str
    warnings: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class SiteLimits:
    """Extra rows of the budget problems (:mod:`models.budget`); the default adds none.

    Parameters
    ----------
    total_sites
        Most open sites in all (fixed ones included), or ``None``.
    cover_floor
        Least value of a Grade 1 cover measure, or ``None``.
    """

    total_sites: int | None = None
    cover_floor: CoverFloor | None = None


# --------------------------------------------------------------------------- set-up


def floor_shares(problem: ReducedProblem, params: CoverageParams) -> np.ndarray:
    """Floor share per group code (0 where the group has no floor)."""
    floors = np.zeros(len(problem.group_labels))
    for g, label in enumerate(problem.group_labels):
        floors[g] = params.equity_floor_share.get(label, 0.0)
    return floors


def reduction_request(params: CoverageParams, levels: tuple[LevelSpec, ...]) -> ReductionRequest:
    """What the reductions must keep for ``params`` and these objective levels."""
    fixed = tuple((params.fixed_sites or {}).items())
    current = tuple((params.current_plan or {}).items())
    return ReductionRequest(
        grade1_levels=int(levels[0].grade1.shape[-1]),
        use_grade1=any(np.any(level.grade1) for level in levels) or bool(params.equity_floor_share),
        use_grade2=any(level.grade2 for level in levels),
        protected=tuple({j for j, _ in fixed} | {j for j, _ in current}),
        fixed_pairs=fixed,
        current_pairs=current,
        by_group=bool(params.equity_floor_share),
        reduce=params.reduce,
        grade1_class=params.busy_classes()[1],
    )


def _floor_upper_bounds(problem: ReducedProblem) -> np.ndarray:
    """Covered Grade 1 share per group with every kept candidate open (an upper bound)."""
    block = problem.grade1
    reachable = (block.fixed_levels == 0) & (np.diff(block.matrix.indptr) > 0) & (block.group >= 0)
    covered = np.bincount(block.group[reachable], weights=block.weight[reachable], minlength=problem.group_total.size)
    total = np.maximum(problem.group_total, 1e-300)
    return np.where(problem.group_total > 0, (problem.group_base_covered + covered) / total, 1.0)


def check_floors_reachable(problem: ReducedProblem, floors: np.ndarray) -> None:
    """Reject a floor above its group's share with every kept candidate open, naming the group."""
    if not np.any(floors > 0):
        return
    upper = _floor_upper_bounds(problem)
    problems = [
        f"group {problem.group_labels[g]!r}: floor {floors[g]:.1%} but at most {upper[g]:.1%} of its Grade 1 demand "
        "is within target even with every eligible candidate open; lower the floor"
        for g in np.flatnonzero(floors > upper + 1e-12)
    ]
    raise_if_problems(problems, "equity floors cannot be met", setting="CoverageParams.equity_floor_share")


# --------------------------------------------------------------------------- solving levels


def _feasible(model: LinearModel, values: np.ndarray) -> bool:
    """Whether ``values`` meets every bound and row of ``model`` (within ``HINT_TOLERANCE``)."""
    activity = model.matrix @ values
    return bool(
        np.all(values >= model.lower - HINT_TOLERANCE)
        and np.all(values <= model.upper + HINT_TOLERANCE)
        and np.all(activity >= model.row_lower - HINT_TOLERANCE * np.maximum(1.0, np.abs(model.row_lower)))
        and np.all(activity <= model.row_upper + HINT_TOLERANCE * np.maximum(1.0, np.abs(model.row_upper)))
    )


def _absolute_gap(model: LinearModel, level: int, hint: np.ndarray | None, relative: float) -> float:
    """Turn ``relative`` into an absolute gap on the level's full objective (estimated from the hint)."""
    estimate = model.constants[level] + (float(model.objectives[level] @ hint) if hint is not None else 0.0)
    return relative * max(abs(estimate), 1e-9)


def _pick(
    model: LinearModel, problem: ReducedProblem, level: int, outcome: LevelOutcome, hint: np.ndarray | None
) -> np.ndarray | None:
    """Keep the solver's plan (its ``y`` polished to the plan's true cover), or the hint when that is better."""
    if outcome.values is None:
        return hint
    values = plan_values(model, problem, outcome.values[: model.pair_candidate.size] > 0.5)
    c = model.objectives[level]
    if hint is not None and float(c @ hint) > float(c @ values) + 1e-9 * max(1.0, abs(float(c @ hint))):
        return hint
    return values


def _level_report(
    name: str, model: LinearModel, level: int, values: np.ndarray, outcome: LevelOutcome | None, params: CoverageParams
) -> LevelReport:
    objective = model.constants[level] + float(model.objectives[level] @ values)
    if outcome is None or outcome.values is None:
        bound = max(model.constants[level] + outcome.bound, objective) if outcome is not None else math.inf
        gap = relative_gap(objective, bound)
        return LevelReport(name, SolveStatus.TIME_LIMIT, objective, bound, gap, outcome.seconds if outcome else 0.0)
    bound = max(model.constants[level] + outcome.bound, objective)
    gap = relative_gap(objective, bound)
    return LevelReport(name, classify(outcome, gap, params.relative_gap), objective, bound, gap, outcome.seconds)


def _level_warning(name: str, outcome: LevelOutcome | None) -> list[str]:
    if outcome is None:
        return [f"level {name}: no time left, not optimised (raise time_limit_s)"]
    if outcome.values is None:
        return [f"level {name}: the solver found no plan in time; kept the previous plan (warm start)"]
    if not math.isfinite(outcome.bound):
        return [f"level {name}: the solver proved no bound in time, so the gap is unknown (raise time_limit_s)"]
    return []


def _solve_levels(
    backend: ScipBackend | CpSatBackend,
    model: LinearModel,
    problem: ReducedProblem,
    names: tuple[str, ...],
    hint: np.ndarray | None,
    params: CoverageParams,
    deadline: float,
) -> tuple[np.ndarray | None, tuple[LevelReport, ...], tuple[str, ...], bool]:
    """Solve every level in turn; returns (values, reports, warnings, proved infeasible)."""
    reports: list[LevelReport] = []
    warnings: list[str] = []
    values = hint
    for level, name in enumerate(names):
        remaining = deadline - time.perf_counter()
        later = any(np.any(model.objectives[k]) for k in range(level + 1, len(names)))
        share = LEVEL_TIME_SHARE if later else 1.0
        outcome = None
        if values is not None and not np.any(model.objectives[level]):
            outcome = LevelOutcome(values, False, 0.0, 0.0, True, 0.0)
        elif remaining > 0:
            gaps = (params.relative_gap, _absolute_gap(model, level, values, params.relative_gap))
            outcome = backend.solve(level, hint=values, time_limit_s=remaining * share, gaps=gaps)
            if outcome.infeasible and level == 0:
                return None, (), (), True
            values = _pick(model, problem, level, outcome, values)
        if values is None:
            return None, tuple(reports), tuple(warnings), False
        warnings += _level_warning(name, outcome)
        reports.append(_level_report(name, model, level, values, outcome, params))
        log.info(
            "level %s: %s, objective %.6g, gap %.3g", name, reports[-1].status, reports[-1].objective, reports[-1].gap
        )
        if level < len(names) - 1:
            backend.fix_level(level, values)
    return values, tuple(reports), tuple(warnings), False


# --------------------------------------------------------------------------- infeasibility


def _best_group_shares(
    problem: ReducedProblem, model: LinearModel, floors: np.ndarray, params: CoverageParams
) -> dict[int, tuple[float, float]]:
    """Best Grade 1 share of each floored group on its own: ``{code: (share found, share bound)}``."""
    block = problem.grade1
    out = {}
    groups = np.flatnonzero(floors > 0)
    budget = max(1.0, min(10.0, params.time_limit_s / (2 * max(groups.size, 1))))
    for g in groups:
        members = np.flatnonzero((block.group == g) & (block.fixed_levels == 0))
        c = np.zeros(model.n_vars)
        c[model.grade1_vars[members, 0]] = block.weight[members]
        alone = dataclasses.replace(model, objectives=(c,), constants=(problem.group_base_covered[g],))
        solver = "scip" if params.solver == GREEDY else params.solver  # the greedy proves nothing; a MIP can
        backend = make_backend(solver, alone, seed=params.seed, num_workers=params.num_workers, tolerance=0.0)
        outcome = backend.solve(0, hint=None, time_limit_s=budget, gaps=(0.0, 0.0))
        total = max(problem.group_total[g], 1e-300)
        found = (alone.constants[0] + outcome.objective) / total if outcome.values is not None else 0.0
        out[int(g)] = (found, min((alone.constants[0] + outcome.bound) / total, 1.0))
    return out


def infeasible_error(
    problem: ReducedProblem, floors: np.ndarray, params: CoverageParams, levels: tuple[LevelSpec, ...]
) -> ModelInputError:
    """Explain why no plan meets the constraints, naming the settings."""
    if not np.any(floors > 0):
        return ModelInputError(
            f"no plan keeps {len(problem.current_pairs)} - {params.max_changes} current pairs with these fixed sites "
            "and locations; raise max_changes",
            setting="CoverageParams.max_changes",
        )
    model = build_model(problem, levels[:1], floors=None, max_changes=params.max_changes)
    best = _best_group_shares(problem, model, floors, params)
    lines = [
        f"group {problem.group_labels[g]!r}: floor {floors[g]:.1%}, best achievable share {found:.1%}"
        + (f" (proved at most {bound:.1%})" if bound > found + 1e-9 else " (optimal)")
        for g, (found, bound) in best.items()
    ]
    alone = [g for g, (_, bound) in best.items() if floors[g] > bound + 1e-9]
    headline = (
        f"equity floors of {', '.join(repr(problem.group_labels[g]) for g in alone)} cannot be met; lower them"
        if alone
        else "each equity floor can be met alone but not all together; lower some"
    )
    return ModelInputError(headline, setting="CoverageParams.equity_floor_share", problems=lines)


# --------------------------------------------------------------------------- assembling the plan


def chosen_sites(problem: ReducedProblem, model: LinearModel, solved: Solved) -> dict[int, int]:
    """The ``{original candidate: base}`` pairs the kept solution opens."""
    chosen_pairs = np.flatnonzero(solved.values[: model.pair_candidate.size] > 0.5)
    return {int(problem.candidates[model.pair_candidate[p]]): int(model.pair_base[p]) for p in chosen_pairs}


def assemble_plan(
    instance: CoverageInstance,
    pairs: dict[int, int],
    problem: ReducedProblem,
    solved: Solved,
    values: dict[str, float],
    started: float,
    *,
    coverage: Coverage | None = None,
) -> Plan:
    """Plan of the ``{candidate: base}`` pairs, with its independent evaluation and the solve report.

    Parameters
    ----------
    instance
        The problem.
    pairs
        Open ``{candidate: base}``.
    problem
        The reduced problem (for the reduction sizes).
    solved
        The level-by-level solve.
    values
        ``{level name: value}`` recomputed independently.
    started
        ``time.perf_counter()`` at the start of the solve.
    coverage
        :func:`~models.evaluate.evaluate_plan` of the pairs' sites, when already computed.

    Returns
    -------
    Plan
    """
    sites = tuple(sorted(pairs))
    bases = tuple(pairs[j] for j in sites)
    first = solved.levels[0]
    report = SolveReport(
        status=SolveStatus.worst([level.status for level in solved.levels]),
        objective=first.objective,
        bound=first.bound,
        gap=first.gap,
        seconds=time.perf_counter() - started,
        solver=solved.solver,
        levels=solved.levels,
        warnings=solved.warnings,
        reduction=problem.stats,
    )
    log.info(
        "plan: %d sites, %s in %.2f s (%s), levels %s",
        len(sites), report.status, report.seconds, report.solver, {k: round(v, 6) for k, v in values.items()},
    )  # fmt: skip
    coverage = coverage if coverage is not None else evaluate_plan(instance, sites)
    return Plan(sites, bases, coverage, values, report)


def _to_plan(
    instance: CoverageInstance,
    problem: ReducedProblem,
    model: LinearModel,
    solved: Solved,
    params: CoverageParams,
    started: float,
) -> Plan:
    chosen = chosen_sites(problem, model, solved)
    full = complete_assignment(instance, chosen, fixed=params.fixed_sites or {}, current=params.current_plan)
    sites = sorted(full)
    coverage = evaluate_plan(instance, sites)
    values = score_plan(instance, sites, [full[j] for j in sites], params, coverage=coverage)
    return assemble_plan(instance, full, problem, solved, values, started, coverage=coverage)


def _warm_start(
    problem: ReducedProblem,
    levels: tuple[LevelSpec, ...],
    floors: np.ndarray,
    params: CoverageParams,
    started: float,
    limits: SiteLimits,
    deadline: float,
) -> WarmStart | None:
    """The greedy plan: the whole time for ``solver = "greedy"``, else a share of it (``None`` without a warm start)."""
    if params.solver != GREEDY and not params.warm_start:
        return None
    if params.solver != GREEDY:
        deadline = started + GREEDY_TIME_SHARE * params.time_limit_s
    return greedy_plan(problem, levels, floors=floors, deadline=deadline, total_sites=limits.total_sites)


def mip_params(params: CoverageParams) -> CoverageParams:
    """``params`` for a question only a MIP answers (a budget, the fewest sites): ``"greedy"`` becomes SCIP."""
    return dataclasses.replace(params, solver="scip") if params.solver == GREEDY else params


def _greedy_solved(
    problem: ReducedProblem,
    levels: tuple[LevelSpec, ...],
    model: LinearModel,
    warm: WarmStart,
    params: CoverageParams,
    limits: SiteLimits,
) -> Solved | None:
    """The greedy + swap plan as the solve (``solver = "greedy"``), each level with its submodular bound.

    ``None`` when the plan breaks a constraint the greedy does not enforce (``max_changes``, or an
    equity floor it could not reach): the caller then solves the MIP.
    """
    values = plan_values(model, problem, pairs_mask(model, warm.pairs))
    if not _feasible(model, values):
        return None
    most_sites = int(problem.locations.sum())
    if limits.total_sites is not None:
        most_sites = min(most_sites, limits.total_sites)
    bounds = submodular_bounds(problem, levels, warm.pairs, most_sites)
    reports = []
    for i, (level, bound) in enumerate(zip(levels, bounds, strict=True)):
        objective = model.constants[i] + float(model.objectives[i] @ values)
        bound = max(bound, objective)
        gap = relative_gap(objective, bound)
        status = SolveStatus.OPTIMAL if gap <= 1e-9 else SolveStatus.HEURISTIC
        status = SolveStatus.FEASIBLE if status is SolveStatus.HEURISTIC and gap <= params.relative_gap else status
        reports.append(LevelReport(level.name, status, objective, bound, gap, warm.seconds if i == 0 else 0.0))
    return Solved(values, tuple(reports), GREEDY, ())


def _fallback(
    problem: ReducedProblem,
    levels: tuple[LevelSpec, ...],
    model: LinearModel,
    warm: WarmStart | None,
    floors: np.ndarray,
    params: CoverageParams,
    limits: SiteLimits,
) -> Solved:
    """Fall back on the greedy plan when the solver found nothing in time (computed now if needed)."""
    if warm is None:
        warm = greedy_plan(problem, levels, floors=floors, deadline=time.perf_counter(), total_sites=limits.total_sites)
    values = plan_values(model, problem, pairs_mask(model, warm.pairs))
    reports = tuple(_level_report(level.name, model, i, values, None, params) for i, level in enumerate(levels))
    warnings = ["the solver found no plan within time_limit_s; this is the greedy plan"]
    if not _feasible(model, values):
        warnings.append(GREEDY_INFEASIBLE)
    for text in warnings:
        log.warning(text)
    return Solved(values, reports, "greedy", tuple(warnings))


def solve_model(
    problem: ReducedProblem,
    levels: tuple[LevelSpec, ...],
    floors: np.ndarray,
    params: CoverageParams,
    started: float,
    *,
    limits: SiteLimits | None = None,
    warm: WarmStart | None = None,
) -> tuple[LinearModel, Solved | None]:
    """Build the MIP, warm-start it and solve it level by level.

    Parameters
    ----------
    problem
        The reduced problem (``locations`` are the per-base caps).
    levels
        Objective levels, most important first.
    floors
        Equity floor share per group code.
    params
        Solver and limits.
    started
        ``time.perf_counter()`` at the start of the solve (the time limit counts from it).
    limits
        Extra rows (total sites, cover floor); none by default.
    warm
        A warm start computed by the caller; by default the greedy of
        :mod:`models.greedy` when ``params.warm_start``.

    Returns
    -------
    tuple
        The model and the solve, or ``(model, None)`` when the solver proved
        that no plan meets the constraints.
    """
    limits = limits if limits is not None else SiteLimits()
    deadline = started + params.time_limit_s - min(FINISH_TIME_SHARE * params.time_limit_s, 5.0)
    if warm is None:
        warm = _warm_start(problem, levels, floors, params, started, limits, deadline)
    model = build_model(
        problem, levels, floors=floors, max_changes=params.max_changes,
        total_sites=limits.total_sites, cover_floor=limits.cover_floor,
    )  # fmt: skip
    log.info("model: %d variables, %d rows, %d nonzeros", model.n_vars, model.matrix.shape[0], model.matrix.nnz)
    if params.solver == GREEDY and warm is not None:
        greedy = _greedy_solved(problem, levels, model, warm, params, limits)
        if greedy is not None:
            return model, greedy
        log.warning("%s; solving the MIP with SCIP from it instead", GREEDY_INFEASIBLE)
        params = dataclasses.replace(params, solver="scip")
    hint = plan_values(model, problem, pairs_mask(model, warm.pairs)) if warm is not None else None
    if hint is not None and not _feasible(model, hint):
        hint = None
    backend = make_backend(
        params.solver, model, seed=params.seed, num_workers=params.num_workers, tolerance=params.lexicographic_tolerance
    )
    names = tuple(level.name for level in levels)
    values, reports, warnings, infeasible = _solve_levels(backend, model, problem, names, hint, params, deadline)
    if infeasible:
        return model, None
    if values is None:
        return model, _fallback(problem, levels, model, warm, floors, params, limits)
    for text in warnings:
        log.warning(text)
    return model, Solved(values, reports, backend.name, warnings)


def solve_double_standard(instance: CoverageInstance, params: CoverageParams | None = None) -> Plan:
    """Choose each base's deployment locations for one shift (double-standard maximal covering).

    Parameters
    ----------
    instance
        Demand, response times, bases and their locations.
    params
        Objective, options, solver and limits; defaults to ``CoverageParams()``
        (ranked Grade 1 then Grade 2, SCIP, 60 s).

    Returns
    -------
    Plan
        Sites with their bases (exactly ``locations_per_base`` per base), an
        independent evaluation of their cover and the solve report (status,
        objective, bound, gap, seconds per level). A time limit returns the best
        plan found with its gap.

    Raises
    ------
    ModelInputError
        When a setting cannot be met, naming it: a base with fewer eligible
        candidates than its locations, a fixed site beyond its base's reach, an
        unreachable equity floor (with each group's best achievable share)...
    """
    params = params if params is not None else CoverageParams()
    started = time.perf_counter()
    validate_settings(instance, params)
    check_assignable(instance, params.fixed_sites or {})
    levels = objective_levels(params)
    problem = reduce_instance(instance, reduction_request(params, levels))
    floors = floor_shares(problem, params)
    check_floors_reachable(problem, floors)
    model, solved = solve_model(problem, levels, floors, params, started)
    if solved is None:
        raise infeasible_error(problem, floors, params, levels)
    return _to_plan(instance, problem, model, solved, params, started)


def solve_single_standard(
    demand: np.ndarray,
    response_s: scipy.sparse.csr_matrix | np.ndarray,
    *,
    sites: int,
    target_s: float = 900.0,
    params: CoverageParams | None = None,
) -> Plan:
    """Classic maximal covering (MCLP): open ``sites`` candidates to cover most demand within ``target_s``.

    Same model as :func:`solve_double_standard` on
    :func:`models.instance.single_standard_instance` (no bases, Grade 2
    weight 0), for benchmarks against spopt's ``MCLP``.

    Parameters
    ----------
    demand
        Demand weight per node.
    response_s
        Response time from each candidate to each node, seconds (sparse: stored entries are the reachable pairs).
    sites
        Number of sites to open.
    target_s
        Coverage radius, seconds.
    params
        Solver settings; the objective is forced to ``weighted`` with Grade 2 weight 0.

    Returns
    -------
    Plan
    """
    base = params if params is not None else CoverageParams()
    single = dataclasses.replace(base, objective="weighted", grade1_weight=1.0, grade2_weight=0.0)
    return solve_double_standard(single_standard_instance(demand, response_s, sites=sites, target_s=target_s), single)
