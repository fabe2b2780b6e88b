"""What each extra deployment location buys: a sweep of the count, and the fewest locations for a target.

For a total of ``k`` deployment locations per shift, the solver chooses the
locations *and* how many each base gets (at most one per car on duty, each
within the base's reach), maximising the scenario's Grade 1 objective (then
Grade 2). Cover is pooled over shifts: Grade 1 demand within target in every
shift over all Grade 1 demand. The scenario as configured fixes the number
per base, so its point lies on or under the curve.

Each sweep point maximises the scenario's own objective; with
``grade1_scoring = "bands"`` (the shipped scenarios) that is the banded Grade 1
score, by the greedy and 1-swap heuristic, as ``optimise`` does. Otherwise, when that is
travel-only cover the points are exact MIP solves (about a second each on a
real shift). When it is expected cover with busy cars, the MIP costs 10-30 s
a point (a default sweep of two scenarios would take over ten minutes), so
the points come from the greedy and 1-swap heuristic of
:func:`models.budget.greedy_coverage_curve` instead: lower bounds on the best
plan at each count, without a proven gap, so the configured scenario (a MIP
optimum) can sit slightly above the curve. :attr:`Tradeoff.method` records
which. The target answer (``--target-grade1``) is always a MIP solve, measured like
the scenario's objective; with expected cover it counts enough cover levels
(:func:`target_cover_levels`) that the MIP's cap on expected cover does not
make a reachable target look out of reach, and it reports the share of the
plan it finds with every level counted, like the table.

"With busy cars" is the measure of the comparison table (``kpis.json``):
``1 - q**c`` for demand within target of ``c`` deployment locations or bases,
every level counted (the objective counts at most ``expected_cover_levels``).

Exact sweep solves stop at a 0.1 % gap (or the scenario's own gap if wider)
and at most :data:`SWEEP_TIME_LIMIT_S` each.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from models.bands import banded_instance
from models.budget import coverage_curve, greedy_coverage_curve, solve_min_locations
from models.evaluate import evaluate_plan
from models.instance import CoverageInstance, CoverageParams
from models.kpis import NO_DEMAND, demand_share
from models.plan import Plan
from optimiser.improve_plan import ranked_sites
from optimiser.optimise import SolvedScenario
from optimiser.prepare import PreparedScenario
from optimiser.solve import banded_params, coverage_params, scenario_delay, shift_instance, shift_result

log = logging.getLogger(__name__)

#: Time limit of each sweep solve, seconds.
SWEEP_TIME_LIMIT_S = 30.0
#: Relative gap of each sweep solve (unless the scenario asks for a wider one).
SWEEP_RELATIVE_GAP = 1e-3
#: Most cover levels counted when answering a Grade 1 target with expected cover (see :func:`target_cover_levels`).
MAX_TARGET_LEVELS = 8
#: The sweep runs up to this multiple of the configured number of locations (capped by the cars on duty).
SWEEP_HEADROOM = 1.5


#: Per shift, a plan's ``(candidate, base)`` pairs in the order the simulation posts cars.
Posts = tuple[tuple[tuple[int, int], ...], ...]


@dataclass(frozen=True, eq=False)
class Tradeoff:
    """The sweep and the target answer of one scenario.

    Attributes
    ----------
    locations
        Deployment locations per shift at each sweep point.
    grade1_share, grade1_expected_share
        Grade 1 demand within target over all shifts: travel only, and with busy cars.
    configured_locations, configured_share, configured_expected_share
        The scenario as configured: mean locations per shift, its travel-only Grade 1 share and its share
        with busy cars (both as in ``kpis.json`` and the comparison table).
    min_locations
        Per shift ``(locations, reached, grade1_share)`` for the target, or ``None`` without one.
    min_locations_total
        Locations per shift for every shift to reach the target; ``None`` if some shift cannot.
    measure
        Cover measure of the target: ``"travel"`` or ``"expected"`` (with busy cars).
    method
        How the sweep's plans were found (:func:`sweep_method`), ``""`` without a sweep.
    opened
        Mean deployment locations per shift the sweep's plans actually open at each point: the heuristic
        stops adding locations when no further one raises its objective, so it can open fewer than asked.
    posts
        Per sweep point and shift, the plan's ``(candidate, base)`` pairs, most Grade 1 demand answered
        first (the order the simulation posts cars in); ``configured_posts`` the same for the plan as
        configured. What :mod:`optimiser.tradeoff_simulation` simulates.
    grade1_simulated, configured_simulated
        Simulated Grade 1 within target at each sweep point and as configured: ``(mean, low, high)``
        across replications (95 %), or ``None`` when not simulated.
    """

    locations: np.ndarray
    grade1_share: np.ndarray
    grade1_expected_share: np.ndarray
    configured_locations: float
    configured_share: float
    min_locations: dict[str, tuple[int, bool, float]] | None = None
    min_locations_total: int | None = None
    measure: str = "travel"
    method: str = ""
    configured_expected_share: float = float("nan")
    opened: np.ndarray | None = None
    posts: tuple[Posts, ...] = ()
    configured_posts: Posts = ()
    grade1_simulated: np.ndarray | None = None
    configured_simulated: tuple[float, float, float] | None = None

    @property
    def heuristic(self) -> bool:
        """Whether the sweep's points are heuristic lower bounds (not proven optima)."""
        return "heuristic" in self.method


def sweep_counts(configured: int, most: int, points: int) -> np.ndarray:
    """``points`` location counts from 0 to ``SWEEP_HEADROOM x configured`` (at most ``most``), distinct."""
    top = min(most, max(int(np.ceil(SWEEP_HEADROOM * configured)), 1))
    return np.unique(np.round(np.linspace(0, top, max(points, 2))).astype(int))


def scenario_tradeoff(solved: SolvedScenario, *, points: int, target_grade1: float | None) -> Tradeoff | None:
    """Sweep the number of locations (``points`` counts; none when 0) and answer the target, if any."""
    if points <= 0 and target_grade1 is None:
        return None
    prepared = solved.prepared
    instances = {shift: shift_instance(prepared, shift) for shift in prepared.scenario.shift_names}
    configured = {shift: int(inst.locations_per_base.sum()) for shift, inst in instances.items()}
    most = min(int(inst.units_per_base.sum()) for inst in instances.values())
    counts = sweep_counts(max(configured.values()), most, points) if points > 0 else np.array([], dtype=int)
    covered = np.zeros(counts.size)
    expected = np.zeros(counts.size)
    opened = np.zeros(counts.size)
    total = 0.0
    targets: dict[str, tuple[int, bool, float]] = {}
    measure = "travel"
    methods: set[str] = set()
    posts: list[list[tuple[tuple[int, int], ...]]] = [[] for _ in counts]
    for shift, instance in instances.items():
        params = coverage_params(prepared, instance, shift)
        busy = prepared.response.busy_fraction_by_shift[shift]  # as kpis.json, whatever the objective's q
        total += float(instance.grade1_demand.sum())
        if counts.size:
            plans = _sweep(prepared, instance, [int(k) for k in counts], params)
            methods.add(sweep_method(params, banded=scenario_delay(prepared) is not None))
            covered += [plan.coverage.grade1_covered_demand for plan in plans]
            expected += [plan.coverage.grade1_expected_demand(busy, levels=None) for plan in plans]
            opened += [len(plan.sites) / len(instances) for plan in plans]
            for point, plan in zip(posts, plans, strict=True):
                point.append(tuple(ranked_sites(shift_result(shift, instance, plan))))
            log.debug("%s, shift %s: swept %d location counts", prepared.scenario.name, shift, counts.size)
        if target_grade1 is not None:
            target_params = _target_params(params, target_grade1)
            answer = solve_min_locations(instance, target_grade1, target_params)
            share = answer.grade1_share
            if answer.measure == "expected":
                expected_demand = answer.plan.coverage.grade1_expected_demand(busy, levels=None)
                share = demand_share(expected_demand, float(instance.grade1_demand.sum()))
            targets[shift] = (answer.locations, answer.reached, share)
            measure = answer.measure
    return Tradeoff(
        locations=counts,
        grade1_share=_shares(covered, total),
        grade1_expected_share=_shares(expected, total),
        configured_locations=float(np.mean(list(configured.values()))),
        configured_share=float(solved.kpis.grade1.covered_share),
        configured_expected_share=float(solved.kpis.grade1.expected_covered_share),
        opened=opened,
        min_locations=targets or None,
        min_locations_total=_all_shifts(targets),
        measure=measure,
        method=" / ".join(sorted(methods)),
        posts=tuple(tuple(point) for point in posts),
        configured_posts=tuple(tuple(ranked_sites(result)) for result in solved.results),
    )


def _shares(demand: np.ndarray, total: float) -> np.ndarray:
    """``demand / total`` per sweep point; NaN (no demand, see :mod:`models.kpis`) when ``total`` is 0."""
    return demand / total if total > 0 else np.full(demand.shape, NO_DEMAND)


def _sweep(
    prepared: PreparedScenario, instance: CoverageInstance, counts: list[int], params: CoverageParams
) -> list[Plan]:
    """The sweep's plans: exact for travel-only cover, the greedy heuristic for expected cover or the banded score.

    With ``grade1_scoring = "bands"`` the greedy maximises the banded Grade 1 score, as ``optimise`` does
    (:func:`optimiser.solve.solve_shift`), and each plan's cover is then evaluated on ``instance``.
    """
    params = replace(
        params,
        relative_gap=max(params.relative_gap, SWEEP_RELATIVE_GAP),
        time_limit_s=min(params.time_limit_s, SWEEP_TIME_LIMIT_S),
    )
    delay = scenario_delay(prepared)
    if delay is not None:
        n_bands = prepared.scenario.solver.grade1_bands
        banded = banded_instance(instance, delay, mobilisation_s=prepared.response.mobilisation_s, n_bands=n_bands)
        plans = greedy_coverage_curve(banded, counts, banded_params(params, n_bands))
        return [replace(plan, coverage=evaluate_plan(instance, list(plan.sites))) for plan in plans]
    if params.busy_fraction is None:
        return coverage_curve(instance, counts, params)
    return greedy_coverage_curve(instance, counts, params)


def target_cover_levels(busy_fraction: float, target_share: float, at_least: int) -> int:
    """Cover levels ``K`` for a target with expected cover: enough that the cap ``1 - q**K`` is not what binds.

    The expected-cover MIP counts at most ``K`` sites within target of each
    node, so no plan can score above ``1 - q**K`` (0.918 for ``q = 0.434``
    and ``K = 3``) although the uncounted levels are real cover. ``K`` is the
    smallest with ``q**K <= (1 - target) / 2`` (half the allowed shortfall),
    at least ``at_least`` and at most :data:`MAX_TARGET_LEVELS`.
    """
    if not 0.0 < busy_fraction < 1.0:
        return at_least
    headroom = (1.0 - target_share) / 2.0
    if headroom <= 0.0:
        return max(at_least, MAX_TARGET_LEVELS)
    needed = math.ceil(math.log(headroom) / math.log(busy_fraction))
    return max(at_least, min(needed, MAX_TARGET_LEVELS))


def _target_params(params: CoverageParams, target_share: float) -> CoverageParams:
    if params.busy_fraction is None:
        return params
    levels = target_cover_levels(params.busy_fraction, target_share, params.expected_cover_levels)
    return replace(params, expected_cover_levels=levels)


def sweep_method(params: CoverageParams, *, banded: bool = False) -> str:
    """How :func:`scenario_tradeoff` finds the sweep's plans for these parameters (and Grade 1 scoring)."""
    if banded:
        return "heuristic (greedy and swaps on the banded Grade 1 score, no proven gap)"
    return "exact (MIP)" if params.busy_fraction is None else "heuristic (greedy and swaps, no proven gap)"


def _all_shifts(targets: dict[str, tuple[int, bool, float]]) -> int | None:
    if not targets or not all(reached for _, reached, _ in targets.values()):
        return None
    return max(locations for locations, _, _ in targets.values())


#: Columns of ``tradeoff.csv``.
TRADEOFF_COLUMNS = (
    "scenario",
    "point",
    "locations_per_shift",
    "locations_opened_per_shift",
    "grade1_share_travel_only",
    "grade1_share_with_busy_cars",
    "grade1_simulated_within_target",
    "grade1_simulated_low",
    "grade1_simulated_high",
    "method",
)


def tradeoff_table(label: str, tradeoff: Tradeoff) -> pd.DataFrame:
    """The sweep's points and the scenario as configured, as the rows of ``tradeoff.csv`` (shares as fractions).

    ``point`` is ``"sweep"`` or ``"as configured"`` (its shares are those of ``kpis.json`` and the comparison
    table); ``method`` says whether a sweep point is an exact optimum or a heuristic lower bound. The
    simulated columns (mean and 95 % interval of Grade 1 within target, the comparison's seeds) are empty
    when the comparison simulated nothing.
    """
    opened = tradeoff.opened if tradeoff.opened is not None else np.full(tradeoff.locations.size, np.nan)
    simulated = tradeoff.grade1_simulated
    if simulated is None:
        simulated = np.full((tradeoff.locations.size, 3), np.nan)
    configured_simulated = tradeoff.configured_simulated or (np.nan, np.nan, np.nan)
    sweep = pd.DataFrame(
        {
            "scenario": label,
            "point": "sweep",
            "locations_per_shift": tradeoff.locations.astype(float),
            "locations_opened_per_shift": np.round(opened, 2),
            "grade1_share_travel_only": np.round(tradeoff.grade1_share, 6),
            "grade1_share_with_busy_cars": np.round(tradeoff.grade1_expected_share, 6),
            **_simulated_columns(np.asarray(simulated, dtype=float).reshape(-1, 3)),
            "method": tradeoff.method,
        }
    )
    configured = pd.DataFrame(
        {
            "scenario": [label],
            "point": ["as configured"],
            "locations_per_shift": [tradeoff.configured_locations],
            "locations_opened_per_shift": [tradeoff.configured_locations],
            "grade1_share_travel_only": [round(tradeoff.configured_share, 6)],
            "grade1_share_with_busy_cars": [round(tradeoff.configured_expected_share, 6)],
            **_simulated_columns(np.array([configured_simulated], dtype=float)),
            "method": ["the optimised plan (kpis.json)"],
        }
    )
    frames = [frame for frame in (sweep, configured) if not frame.empty]
    return pd.concat(frames, ignore_index=True)[list(TRADEOFF_COLUMNS)]


def _simulated_columns(intervals: np.ndarray) -> dict[str, np.ndarray]:
    """``tradeoff.csv``'s simulated columns from ``(points, 3)`` rows of (mean, low, high); NaN when not simulated."""
    names = ("grade1_simulated_within_target", "grade1_simulated_low", "grade1_simulated_high")
    return {name: np.round(intervals[:, k], 6) for k, name in enumerate(names)}
