r"""Budget questions on one shift: cover for a total number of locations, and the fewest locations for a target.

Both problems free the number of deployment locations per base: every base
``b`` may tie *at most* ``units_per_base[b]`` locations to itself (each
location holds one of its cars), each within its reach
(``base_to_candidate_time_s <= max_base_travel_s``); ``locations_per_base``
is ignored. They reuse the reductions, the MIP of :mod:`models.formulation`
(with ``p_b = u_b``), the greedy warm start and the level-by-level solve of
:mod:`models.coverage`:

- :func:`solve_location_budget` adds :math:`\sum_{jb} x_{jb} \le T` and keeps
  the objective levels of :func:`~models.coverage.solve_double_standard`
  (ranked or weighted, backup or expected cover, fewest changes...).
  :func:`coverage_curve` solves it for several totals, reducing the instance
  once and warm-starting each total from the plan of the next smaller one,
  so the first level never falls as the total grows.
  :func:`greedy_coverage_curve` answers the same totals with the greedy and
  1-swap heuristic alone (no MIP, no bound), each total starting from the
  plan of the last, in well under a second a total where the expected-cover
  MIP of a real shift takes 10-30 s.
- :func:`solve_min_locations` is a partial set covering problem: the first
  level minimises :math:`\sum_{jb} x_{jb}` (maximises its negative) subject
  to a Grade 1 measure of at least ``target_share`` of all Grade 1 demand;
  among the fewest-site plans, 1-swap local search raises the measure (or,
  with ``exact_tie_break``, further lexicographic levels maximise it, then
  Grade 2 or the weighted objective). The measure is travel-only cover
  :math:`\sum_i w_i [c_i \ge 1]` without a busy fraction, else MEXCLP
  expected cover :math:`\sum_i w_i (1 - q^{\min(c_i, K)})`, linear in the
  cover-level variables (``backup_weight`` is not part of it). When the
  target is out of reach, the best share is found first (max cover with
  every base at its cap), then the fewest sites that keep it.

Neither problem fills slots the solver leaves empty: a plan's sites are the
ones the solver opened, so a budget plan may have fewer than ``T`` sites when
more would add nothing (for example once every base is at its cap).

Speed (measured figures in ``models/README.md``): the reductions drop
candidates beaten by ``K`` others also with expected or backup cover
(``ReductionRequest.multi_level_dominance``); when no base's cap can bind
(at most ``min(units_per_base)`` sites, no fixed or current-plan pairs) the
bases are pooled into one and sites are tied to bases afterwards by a
matching, which removes the ``x_jb`` choice from the MIP; a total of 0 is
answered without a solver; :func:`coverage_curve` reduces the instance once.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import maximum_bipartite_matching

from models.coverage import (
    GREEDY_TIME_SHARE,
    SiteLimits,
    Solved,
    assemble_plan,
    check_floors_reachable,
    chosen_sites,
    floor_shares,
    infeasible_error,
    mip_params,
    reduction_request,
    solve_model,
)
from models.errors import ModelInputError
from models.evaluate import Coverage, below_floor, evaluate_plan, score_plan
from models.formulation import CoverFloor, LinearModel
from models.greedy import WarmStart, greedy_plan
from models.instance import CoverageInstance, CoverageParams
from models.kpis import NO_DEMAND
from models.levels import LevelSpec, objective_levels
from models.plan import LevelReport, Plan, SolveStatus
from models.reduce import ReducedProblem, reduce_instance
from models.response import expected_cover_level_weights
from models.validate import validate_settings

log = logging.getLogger(__name__)

#: Cover measures of :func:`solve_min_locations`.
MEASURES = ("travel", "expected")
#: A plan reaches a target share when its share is at least ``target - SHARE_TOLERANCE``
#: (the solvers meet the cover row to a relative 1e-6).
SHARE_TOLERANCE = 1e-6


@dataclass(frozen=True, eq=False)
class MinLocations:
    """The fewest deployment locations that reach a Grade 1 target share.

    Parameters
    ----------
    plan
        The plan. Its report's first level is ``locations``, maximised as minus
        the number of sites (objective ``-locations``, bound ``-locations_bound``),
        then (with ``exact_tie_break``) the cover levels. ``plan.objective_values``
        holds ``locations`` (``-locations``) and the measure's levels
        (``grade1``, ``grade2`` or ``weighted``), recomputed independently.
    locations
        Number of sites of the plan (fixed sites included; bases not counted).
    target_share
        The target asked for.
    reached
        Whether the plan's share reaches the target (within ``SHARE_TOLERANCE``).
        When it cannot be reached, ``plan`` is the fewest sites attaining the
        best share achievable with every base at its cap.
    grade1_share
        Share of all Grade 1 demand the plan covers, by ``measure``.
    measure
        ``"travel"`` (covered within target by an open site or a base) or
        ``"expected"`` (MEXCLP expected cover with ``CoverageParams.busy_fraction``).
    locations_bound
        Proven lower bound on the number of sites needed for the share aimed at
        (equal to ``locations`` when the count is proved optimal).
    """

    plan: Plan
    locations: int
    target_share: float
    reached: bool
    grade1_share: float
    measure: str
    locations_bound: int


@dataclass(frozen=True, eq=False)
class _Setup:
    """The reduced problem (caps = cars on duty), its levels and equity floors, shared by a sweep."""

    problem: ReducedProblem
    levels: tuple[LevelSpec, ...]
    floors: np.ndarray


# --------------------------------------------------------------------------- checks and set-up


def _check_total(total: object, name: str = "total_locations") -> int:
    if isinstance(total, bool) or not isinstance(total, int | np.integer) or total < 0:
        raise ModelInputError(f"must be a whole number of locations >= 0, got {total!r}", setting=name)
    return int(total)


def _check_fixed_fit(params: CoverageParams, total: int) -> None:
    fixed = len(params.fixed_sites or {})
    if fixed > total:
        raise ModelInputError(
            f"{fixed} fixed sites but total_locations={total}; raise total_locations to at least {fixed} or unfix some",
            setting="total_locations",
        )


def _setup(
    instance: CoverageInstance, params: CoverageParams, levels: tuple[LevelSpec, ...], *, grade1_rows: bool = False
) -> _Setup:
    """Validate, reduce (keeping the Grade 1 rows when ``grade1_rows``) and cap every base at its cars on duty."""
    validate_settings(instance, params, caps_name="units_per_base")
    request = reduction_request(params, levels)
    request = dataclasses.replace(request, multi_level_dominance=True, use_grade1=request.use_grade1 or grade1_rows)
    reduced = reduce_instance(instance, request)
    problem = dataclasses.replace(reduced, locations=instance.units_per_base.copy())
    floors = floor_shares(problem, params)
    check_floors_reachable(problem, floors)
    return _Setup(problem, levels, floors)


def _start_pairs(
    problem: ReducedProblem, start: Mapping[int, int], *, pooled: bool = False
) -> tuple[tuple[int, int], ...]:
    """``{candidate: base}`` of a previous plan as reduced pairs (candidates dropped by the reductions are skipped)."""
    position = {int(j): i for i, j in enumerate(problem.candidates)}
    return tuple((position[j], 0 if pooled else b) for j, b in sorted(start.items()) if j in position)


def _pool(problem: ReducedProblem, most_sites: int) -> ReducedProblem | None:
    """One pseudo-base that may use every kept candidate, when no base's cap can bind; else ``None``.

    With at most ``most_sites`` sites and every base holding at least that
    many cars, any set of sites can be tied to eligible bases within their
    caps (Hall's condition holds for every group of bases), so the base of
    each site is decided afterwards by :func:`_tie_to_bases`. This removes
    the ``x_jb`` choice (and its symmetry) from the MIP. Not used with fixed
    or current-plan pairs, whose base matters.
    """
    if problem.n_bases < 2 or problem.fixed_pairs or problem.current_pairs or most_sites > problem.locations.min():
        return None
    return dataclasses.replace(
        problem,
        eligibility=np.asarray(problem.eligibility.any(axis=0, keepdims=True)),
        locations=np.array([most_sites]),
    )


def _tie_to_bases(instance: CoverageInstance, sites: Sequence[int]) -> dict[int, int]:
    """Tie each site to an eligible base, at most ``units_per_base[b]`` per base (a bipartite matching)."""
    slot_base = np.repeat(np.arange(instance.n_bases), instance.units_per_base)
    chosen = np.asarray(sorted(sites), dtype=np.int64)
    if chosen.size == 0:
        return {}
    graph = scipy.sparse.csr_matrix(instance.eligibility()[:, chosen].T[:, slot_base])
    slot = maximum_bipartite_matching(graph, perm_type="column")
    if np.any(slot < 0):
        raise RuntimeError("pooled sites could not be tied to their bases; this is a bug")
    return {int(j): int(slot_base[s]) for j, s in zip(chosen, slot, strict=True)}


def _finish(
    instance: CoverageInstance,
    pairs: dict[int, int],
    problem: ReducedProblem,
    solved: Solved,
    params: CoverageParams,
    started: float,
    extra: Mapping[str, float] | None = None,
) -> Plan:
    """Evaluate the pairs once, score every level of ``params`` (after ``extra``) and assemble the plan."""
    sites = sorted(pairs)
    coverage = evaluate_plan(instance, sites)
    values = {**(extra or {}), **score_plan(instance, sites, [pairs[j] for j in sites], params, coverage=coverage)}
    return assemble_plan(instance, pairs, problem, solved, values, started, coverage=coverage)


def _warm_start_map(
    instance: CoverageInstance, sites: Sequence[int] | None, bases: Sequence[int] | None
) -> dict[int, int]:
    """Check a warm start (distinct candidates, each eligible for its base) and return it as ``{candidate: base}``."""
    if sites is None and bases is None:
        return {}
    if sites is None or bases is None or len(sites) != len(bases):
        raise ModelInputError(
            "give warm_start_sites and warm_start_bases together, one base per site (a Plan's sites and site_bases)",
            setting="warm_start_sites",
        )
    pairs = {int(j): int(b) for j, b in zip(sites, bases, strict=True)}
    eligible = instance.eligibility()
    bad = [
        (j, b)
        for j, b in pairs.items()
        if not (0 <= j < instance.n_candidates and 0 <= b < instance.n_bases and eligible[b, j])
    ]
    if len(pairs) != len(sites):
        raise ModelInputError("a site appears twice; give each candidate once", setting="warm_start_sites")
    if bad:
        raise ModelInputError(
            f"expected candidates in [0, {instance.n_candidates}) each within its base's max_base_travel_s; "
            f"got (site, base) pairs {bad[:5]}",
            setting="warm_start_sites",
        )
    return pairs


# --------------------------------------------------------------------------- budget


def _bases_only(instance: CoverageInstance, setup: _Setup, params: CoverageParams, started: float) -> Plan:
    """The plan of total 0: no site, nothing to solve (after checking ``max_changes`` and the equity floors)."""
    coverage = evaluate_plan(instance, [])
    dropped = len(params.current_plan or {})
    problems = []
    if params.max_changes is not None and dropped > params.max_changes:
        problems.append(f"max_changes={params.max_changes} but all {dropped} current pairs go")
    if params.equity_floor_share:
        shares = coverage.grade1_share_by_group(instance.demand_group or ())
        problems += [
            f"group {g!r}: floor {f:.1%}, the bases cover {shares[g]:.1%}"
            for g, f in params.equity_floor_share.items()
            if below_floor(shares.get(g, NO_DEMAND), f)
        ]
    if problems:
        raise ModelInputError(
            "with no locations, some settings cannot be met; raise total_locations", setting="total_locations",
            problems=problems,
        )  # fmt: skip
    values = score_plan(instance, [], [], params, coverage=coverage)
    reports = tuple(LevelReport(name, SolveStatus.OPTIMAL, v, v, 0.0, 0.0) for name, v in values.items())
    solved = Solved(np.zeros(0), reports, "none", ())
    return assemble_plan(instance, {}, setup.problem, solved, values, started, coverage=coverage)


def _budget_plan(
    instance: CoverageInstance,
    setup: _Setup,
    total: int,
    params: CoverageParams,
    start: Mapping[int, int],
    started: float,
) -> Plan:
    """Solve the budget problem for ``total`` on a prepared set-up."""
    if total == 0:
        return _bases_only(instance, setup, params, started)
    pooled = _pool(setup.problem, total)
    problem = pooled if pooled is not None else setup.problem
    warm = None
    if params.warm_start:
        begin = _start_pairs(problem, start, pooled=pooled is not None) if len(start) <= total else ()
        warm = greedy_plan(
            problem, setup.levels, floors=setup.floors, deadline=started + GREEDY_TIME_SHARE * params.time_limit_s,
            total_sites=total, start=begin,
        )  # fmt: skip
    limits = SiteLimits(total_sites=total)
    model, solved = solve_model(problem, setup.levels, setup.floors, params, started, limits=limits, warm=warm)
    if solved is None:
        raise ModelInputError(
            f"no plan of at most {total} locations meets the equity floors / max_changes; "
            "raise total_locations or relax those settings",
            setting="total_locations",
        )
    pairs = chosen_sites(problem, model, solved)
    if pooled is not None:
        pairs = _tie_to_bases(instance, list(pairs))
    return _finish(instance, pairs, setup.problem, solved, params, started)


def solve_location_budget(
    instance: CoverageInstance,
    total_locations: int,
    params: CoverageParams | None = None,
    *,
    warm_start_sites: Sequence[int] | None = None,
    warm_start_bases: Sequence[int] | None = None,
) -> Plan:
    """Best cover with at most ``total_locations`` deployment locations in all, the solver sharing them among bases.

    Parameters
    ----------
    instance
        Demand, response times and bases; ``units_per_base`` caps the
        locations of each base, ``locations_per_base`` is ignored.
    total_locations
        Most locations in all (fixed sites included); 0 leaves the bases alone.
    params
        Objective, options, solver and limits, as for
        :func:`~models.coverage.solve_double_standard`.
    warm_start_sites, warm_start_bases
        A previous plan (``plan.sites``, ``plan.site_bases``), for example the
        plan of a smaller total: the greedy warm start opens it first. Ignored
        when it has more sites than ``total_locations``.

    Returns
    -------
    Plan
        At most ``total_locations`` sites, at most ``units_per_base[b]`` tied to
        each base ``b``, each within its base's reach, with the independent
        evaluation and the solve report (status, gap, seconds).

    Raises
    ------
    ModelInputError
        For a negative or fractional total, a bad warm start, more fixed sites
        than the total or than a base's cars, or constraints (equity floors,
        ``max_changes``) no plan of that size meets.
    """
    params = mip_params(params if params is not None else CoverageParams())
    started = time.perf_counter()
    total = _check_total(total_locations)
    _check_fixed_fit(params, total)
    start = _warm_start_map(instance, warm_start_sites, warm_start_bases)
    setup = _setup(instance, params, objective_levels(params))
    return _budget_plan(instance, setup, total, params, start, started)


def coverage_curve(
    instance: CoverageInstance, totals: Sequence[int], params: CoverageParams | None = None
) -> list[Plan]:
    """:func:`solve_location_budget` for each total, reducing once and warm-starting from the next smaller total.

    Parameters
    ----------
    instance
        As for :func:`solve_location_budget`.
    totals
        Totals of locations, in any order (repeats are solved once).
    params
        As for :func:`solve_location_budget`; ``time_limit_s`` applies to each total.

    Returns
    -------
    list of Plan
        One plan per total, in the order given. Each total starts from the
        plan of the next smaller one, so the first objective level (Grade 1
        cover, or the weighted objective) never falls as the total grows.
    """
    params = mip_params(params if params is not None else CoverageParams())
    checked = [_check_total(t, "totals") for t in totals]
    if not checked:
        return []
    _check_fixed_fit(params, min(checked))
    started = time.perf_counter()
    setup = _setup(instance, params, objective_levels(params))
    plans: dict[int, Plan] = {}
    previous: dict[int, int] = {}
    for total in sorted(set(checked)):
        plan = _budget_plan(instance, setup, total, params, previous, started)
        plans[total] = plan
        previous = dict(zip(plan.sites, plan.site_bases, strict=True))
        log.info("curve: at most %d locations, %d sites", total, len(plan.sites))
        started = time.perf_counter()
    return [plans[t] for t in checked]


def greedy_coverage_curve(
    instance: CoverageInstance, totals: Sequence[int], params: CoverageParams | None = None
) -> list[Plan]:
    """Heuristic :func:`coverage_curve`: greedy then 1-swap search for each total, no MIP and no bound.

    Each total opens the plan of the next smaller total first, then adds the
    site (and base) that raises the objective levels most, one at a time, then
    swaps sites while a swap improves them, so the first level never falls as
    the total grows and each step answers "what does the next location buy".
    Every plan reports ``SolveStatus.HEURISTIC`` with
    an infinite bound and gap: it is a lower bound on the best cover at its
    total, not a proven optimum.

    Parameters
    ----------
    instance
        As for :func:`solve_location_budget`.
    totals
        Totals of locations, in any order (repeats are answered once).
    params
        As for :func:`solve_location_budget`; ``time_limit_s`` caps the swap
        search of each total; ``solver``, ``relative_gap`` and ``warm_start``
        are not used.

    Returns
    -------
    list of Plan
        One plan per total, in the order given.
    """
    params = params if params is not None else CoverageParams()
    checked = [_check_total(t, "totals") for t in totals]
    if not checked:
        return []
    _check_fixed_fit(params, min(checked))
    setup = _setup(instance, params, objective_levels(params))
    plans: dict[int, Plan] = {}
    previous: dict[int, int] = {}
    for total in sorted(set(checked)):
        started = time.perf_counter()
        if total == 0:
            plan = _bases_only(instance, setup, params, started)
        else:
            plan = _greedy_budget_plan(instance, setup, total, params, previous, started)
        plans[total] = plan
        previous = dict(zip(plan.sites, plan.site_bases, strict=True))
    return [plans[t] for t in checked]


def _greedy_budget_plan(
    instance: CoverageInstance,
    setup: _Setup,
    total: int,
    params: CoverageParams,
    start: Mapping[int, int],
    started: float,
) -> Plan:
    pooled = _pool(setup.problem, total)
    problem = pooled if pooled is not None else setup.problem
    begin = _start_pairs(problem, start, pooled=pooled is not None) if len(start) <= total else ()
    warm = greedy_plan(
        problem, setup.levels, floors=setup.floors, deadline=started + params.time_limit_s,
        total_sites=total, start=begin,
    )  # fmt: skip
    pairs = {int(problem.candidates[j]): int(b) for j, b in warm.pairs}
    if pooled is not None:
        pairs = _tie_to_bases(instance, list(pairs))
    sites = sorted(pairs)
    coverage = evaluate_plan(instance, sites)
    values = score_plan(instance, sites, [pairs[j] for j in sites], params, coverage=coverage)
    seconds = time.perf_counter() - started
    reports = tuple(
        LevelReport(name, SolveStatus.HEURISTIC, value, math.inf, math.inf, seconds) for name, value in values.items()
    )
    warnings = () if warm.floors_met else ("the greedy plan does not meet every equity floor",)
    solved = Solved(np.zeros(0), reports, "greedy", warnings)
    log.info("greedy curve: at most %d locations, %d sites in %.2f s", total, len(sites), seconds)
    return assemble_plan(instance, pairs, setup.problem, solved, values, started, coverage=coverage)


# --------------------------------------------------------------------------- fewest locations


def _measure(params: CoverageParams) -> tuple[str, np.ndarray]:
    """The cover measure and its per-level weights (travel ``[1]``, expected ``(1 - q) q**(k-1)``)."""
    if params.busy_fraction is None:
        return "travel", np.ones(1)
    if params.busy_per_node:
        raise ModelInputError(
            "the fewest-locations problems measure expected cover with one busy fraction; give one number, "
            "not one per demand node",
            setting="busy_fraction",
        )
    return "expected", expected_cover_level_weights(params.busy_fraction, params.expected_cover_levels)


def _min_levels(params: CoverageParams, weights: np.ndarray, *, exact_tie_break: bool) -> tuple[LevelSpec, ...]:
    """``locations`` (fewest sites), then (``exact_tie_break``) the measure and Grade 2 (or weighted), then ``kept``."""
    zero = np.zeros_like(weights)
    levels = [LevelSpec("locations", zero, 0.0, 0.0, sites=-1.0)]
    if not exact_tie_break:
        return tuple(levels)
    if params.objective == "ranked":
        levels += [LevelSpec("grade1", weights, 0.0, 0.0), LevelSpec("grade2", zero, 1.0, 0.0)]
    else:
        levels.append(LevelSpec("weighted", params.grade1_weight * weights, params.grade2_weight, 0.0))
    if params.current_plan is not None:
        levels.append(LevelSpec("kept", zero, 0.0, 1.0))
    return tuple(levels)


def _measure_value(coverage: Coverage, measure: str, params: CoverageParams) -> float:
    if measure == "travel":
        return coverage.grade1_covered_demand
    return coverage.grade1_expected_demand(params.busy_fraction or 0.0, levels=params.expected_cover_levels)


def _greedy_to(
    setup: _Setup, weights: np.ndarray, params: CoverageParams, started: float, need: float, start: tuple = ()
) -> WarmStart | None:
    """Greedy on the measure alone, stopping once it reaches ``need``, then dropping the sites it does not need."""
    if not params.warm_start:
        return None
    return greedy_plan(
        setup.problem, (LevelSpec("grade1", weights, 0.0, 0.0),), floors=setup.floors,
        deadline=started + GREEDY_TIME_SHARE * params.time_limit_s, start=start, stop_at=need,
    )  # fmt: skip


def _best_measure(
    setup: _Setup, weights: np.ndarray, params: CoverageParams, started: float
) -> tuple[float, dict[int, int], SolveStatus]:
    """Largest measure with every base at its cap: (value, its plan, status)."""
    best_levels = (LevelSpec("grade1", weights, 0.0, 0.0),)
    warm = None
    if params.warm_start:
        deadline = started + GREEDY_TIME_SHARE * params.time_limit_s
        warm = greedy_plan(setup.problem, best_levels, floors=setup.floors, deadline=deadline)
    model, solved = solve_model(setup.problem, best_levels, setup.floors, params, started, warm=warm)
    if solved is None:
        raise infeasible_error(setup.problem, setup.floors, params, best_levels)
    pairs = chosen_sites(setup.problem, model, solved)
    return solved.levels[0].objective, pairs, solved.levels[0].status


def _open_pairs(model: LinearModel, solved: Solved) -> tuple[tuple[int, int], ...]:
    """The ``(reduced candidate, base)`` pairs the solve opened."""
    opened = np.flatnonzero(solved.values[: model.pair_candidate.size] > 0.5)
    return tuple((int(model.pair_candidate[p]), int(model.pair_base[p])) for p in opened)


def _improve(
    problem: ReducedProblem, setup: _Setup, pairs: tuple[tuple[int, int], ...], params: CoverageParams, started: float
) -> dict[int, int]:
    """1-swap local search on the measure among plans of the same size (cover never falls)."""
    measure = (LevelSpec("grade1", _measure(params)[1], 0.0, 0.0),)
    better = greedy_plan(
        problem, measure, floors=setup.floors, deadline=started + params.time_limit_s,
        total_sites=len(pairs), start=pairs,
    )  # fmt: skip
    return {int(problem.candidates[j]): b for j, b in better.pairs}


def _fewest(
    setup: _Setup, params: CoverageParams, need: float, warm: WarmStart | None, started: float, *, exact: bool
) -> tuple[dict[int, int], Solved, bool] | None:
    """Fewest sites with the measure at least ``need``: (pairs, solve, pooled), or ``None`` when none reaches it."""
    weights = _measure(params)[1]
    most = len(warm.pairs) if warm is not None and warm.values[0] >= need else None
    pooled = _pool(setup.problem, most) if most is not None else None
    problem = setup.problem
    if pooled is not None and warm is not None:
        problem = pooled
        warm = dataclasses.replace(warm, pairs=tuple((j, 0) for j, _ in warm.pairs))
    limits = SiteLimits(total_sites=most if pooled is not None else None, cover_floor=CoverFloor(weights, need))
    model, solved = solve_model(problem, setup.levels, setup.floors, params, started, limits=limits, warm=warm)
    if solved is None:
        return None
    if exact:
        return chosen_sites(problem, model, solved), solved, pooled is not None
    return _improve(problem, setup, _open_pairs(model, solved), params, started), solved, pooled is not None


def _lower_bound(solved: Solved, locations: int) -> int:
    bound = solved.levels[0].bound
    return min(locations, max(0, math.ceil(-bound - 1e-6))) if math.isfinite(bound) else 0


def _check_target(target_share: object, instance: CoverageInstance) -> float:
    try:
        target = float(target_share)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        target = math.nan
    if not (math.isfinite(target) and 0 < target <= 1):
        raise ModelInputError(f"must be a share in (0, 1], got {target_share!r}", setting="target_share")
    if not instance.grade1_demand.sum() > 0:
        raise ModelInputError("a Grade 1 share needs some Grade 1 demand; all of it is 0", setting="grade1_demand")
    return target


def _reach(
    instance: CoverageInstance, setup: _Setup, params: CoverageParams, need: float, started: float, *, exact: bool
) -> tuple[dict[int, int], Solved, list[str], SolveStatus]:
    """Fewest sites reaching ``need``, or (out of reach) the best measure.

    Returns the plan's pairs, its solve, notes for the report and the status
    of the best-measure solve (``OPTIMAL`` when none was needed).
    """
    weights = _measure(params)[1]
    warm = _greedy_to(setup, weights, params, started, need)
    notes: list[str] = []
    status = SolveStatus.OPTIMAL
    if warm is None or warm.values[0] < need:
        best, best_pairs, status = _best_measure(setup, weights, params, started)
        if best < need:
            share = best / float(instance.grade1_demand.sum())
            notes.append(f"target out of reach: the best Grade 1 share with every base at its cap is {share:.6f}")
            need = best - SHARE_TOLERANCE * float(instance.grade1_demand.sum())
        warm = _greedy_to(setup, weights, params, started, need, _start_pairs(setup.problem, best_pairs))
    found = _fewest(setup, params, need, warm, started, exact=exact)
    if found is None:
        raise infeasible_error(setup.problem, setup.floors, params, setup.levels)
    pairs, solved, pooled = found
    return (_tie_to_bases(instance, list(pairs)) if pooled else pairs), solved, notes, status


def solve_min_locations(
    instance: CoverageInstance,
    target_share: float,
    params: CoverageParams | None = None,
    *,
    exact_tie_break: bool = False,
) -> MinLocations:
    """Fewest deployment locations (each tied to an eligible base, at most its cars) reaching a Grade 1 share.

    Parameters
    ----------
    instance
        Demand, response times and bases; ``units_per_base`` caps the
        locations of each base, ``locations_per_base`` is ignored.
    target_share
        Share of all Grade 1 demand to reach, in ``(0, 1]``, by travel-only
        cover, or by expected cover when ``params.busy_fraction`` is set
        (which can never exceed ``1 - busy_fraction**expected_cover_levels``).
    params
        Measure (``busy_fraction``, ``expected_cover_levels``), fixed sites,
        equity floors, solver and limits (and, with ``exact_tie_break``, the
        tie-break levels: ``objective``, ``current_plan``). ``backup_weight``
        is not part of the measure. The time limit covers the whole call (both
        solves when the target is out of reach).
    exact_tie_break
        Among the fewest-site plans, *prove* the best measure, then Grade 2 (or
        the weighted objective), then the most current-plan pairs, as further
        lexicographic levels. Off by default: on a real shift these levels
        cost as much as the count itself, so the count's plan is only improved
        by 1-swap local search on the measure (same number of sites).

    Returns
    -------
    MinLocations
        The plan, its number of sites and share, and whether it reaches the
        target; out of reach, ``reached=False`` with the fewest sites that
        attain the best share achievable.

    Raises
    ------
    ModelInputError
        For a target outside ``(0, 1]``, no Grade 1 demand, bad fixed sites
        (more than a base's cars), or constraints no plan meets.
    """
    params = mip_params(params if params is not None else CoverageParams())
    started = time.perf_counter()
    target = _check_target(target_share, instance)
    measure, weights = _measure(params)
    setup = _setup(instance, params, _min_levels(params, weights, exact_tie_break=exact_tie_break), grade1_rows=True)
    total = float(instance.grade1_demand.sum())
    pairs, solved, notes, best_status = _reach(instance, setup, params, target * total, started, exact=exact_tie_break)
    if notes:
        solved = dataclasses.replace(solved, warnings=solved.warnings + tuple(notes))
    sites = sorted(pairs)
    measure_params = dataclasses.replace(params, backup_weight=0.0)
    plan = _finish(instance, pairs, setup.problem, solved, measure_params, started, {"locations": -float(len(sites))})
    if best_status != SolveStatus.OPTIMAL and plan.report is not None:
        status = SolveStatus.worst([plan.report.status, best_status])
        plan = dataclasses.replace(plan, report=dataclasses.replace(plan.report, status=status))
    share = _measure_value(plan.coverage, measure, params) / total
    log.info("fewest locations for %.4g (%s): %d, share %.6f", target, measure, len(sites), share)
    return MinLocations(
        plan=plan,
        locations=len(sites),
        target_share=target,
        reached=share >= target - SHARE_TOLERANCE,
        grade1_share=share,
        measure=measure,
        locations_bound=_lower_bound(solved, len(sites)),
    )
