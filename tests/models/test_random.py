"""Seeded random instances: optimum against brute force, solvers against each other and the evaluator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.coverage import solve_double_standard
from models.evaluate import score_plan
from models.instance import CoverageParams

from .instances import replace_fields
from .randoms import best_group_share, brute_force, eligible_current_plan, tiny_instance

EXACT = {"relative_gap": 0.0, "time_limit_s": 20.0}
OPTIONS = [
    {},
    {"objective": "weighted", "grade1_weight": 2.0, "grade2_weight": 0.5},
    {"backup_weight": 0.4},
    {"busy_fraction": 0.3, "expected_cover_levels": 3},
    {"current_plan": "random"},
    {"current_plan": "random", "max_changes": 1},
]


def _params(instance, seed, **settings):
    """CoverageParams, drawing an eligible current plan where asked."""
    if settings.get("current_plan") == "random":
        settings["current_plan"] = eligible_current_plan(instance, np.random.default_rng(seed))
    return CoverageParams(**EXACT, **settings)


def _check_against_oracle(instance, params):
    plan = solve_double_standard(instance, params)
    expected = brute_force(instance, params)
    got = tuple(plan.objective_values.values())
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-7)
    # the solver's objective per level agrees with the independent evaluator
    reported = tuple(level.objective for level in plan.report.levels)
    np.testing.assert_allclose(reported, got, rtol=1e-7, atol=1e-7)
    assert tuple(score_plan(instance, plan.sites, plan.site_bases, params).values()) == pytest.approx(got)
    for b, p in enumerate(instance.locations_per_base):
        assert len(plan.sites_of_base(b)) == p
    assert instance.eligibility()[list(plan.site_bases), list(plan.sites)].all()
    return plan


@pytest.mark.parametrize("solver", ["scip", "cp-sat"])
@pytest.mark.parametrize("option", range(len(OPTIONS)))
@pytest.mark.parametrize("seed", range(4))
def test_matches_brute_force(solver, option, seed):
    instance = tiny_instance(np.random.default_rng(seed))
    _check_against_oracle(instance, _params(instance, seed, solver=solver, **OPTIONS[option]))


@pytest.mark.parametrize("seed", range(6))
def test_equity_floors_match_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    instance = tiny_instance(rng, n_demand=24, n_candidates=8, locations=(1, 1), groups=3)
    free = solve_double_standard(instance, CoverageParams(**EXACT))
    shares = free.coverage.grade1_share_by_group(instance.demand_group)
    gains = {g: best_group_share(instance, g) - s for g, s in shares.items()}
    group = max(gains, key=gains.get)
    if gains[group] <= 1e-9:
        pytest.skip("the free optimum already gives every group its best share")
    floor = {group: shares[group] + gains[group] / 2}
    expected = brute_force(instance, CoverageParams(**EXACT, equity_floor_share=floor))
    plan = solve_double_standard(instance, CoverageParams(**EXACT, equity_floor_share=floor))
    np.testing.assert_allclose(tuple(plan.objective_values.values()), expected, rtol=1e-7)
    assert plan.coverage.grade1_share_by_group(instance.demand_group)[group] >= floor[group] - 1e-9


@pytest.mark.parametrize("option", range(len(OPTIONS)))
@pytest.mark.parametrize("seed", range(5))
def test_reductions_do_not_change_the_optimum(seed, option):
    instance = tiny_instance(np.random.default_rng(200 + seed), n_demand=40, n_candidates=12, locations=(3, 2))
    reduced = solve_double_standard(instance, _params(instance, seed, **OPTIONS[option]))
    plain = solve_double_standard(instance, _params(instance, seed, **OPTIONS[option], reduce=False))
    np.testing.assert_allclose(
        tuple(reduced.objective_values.values()), tuple(plain.objective_values.values()), rtol=1e-9
    )
    assert reduced.report.reduction.candidates_kept <= plain.report.reduction.candidates_kept


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), base=st.integers(0, 1))
def test_more_locations_never_lowers_optimal_cover(seed, base):
    rng = np.random.default_rng(seed)
    instance = tiny_instance(rng, n_demand=15, n_candidates=8, locations=(1, 1))
    if instance.eligibility().sum(axis=1).min() < 3 or instance.eligibility().any(axis=0).sum() < 3:
        return
    more = np.array([1, 1]) + np.eye(2, dtype=int)[base]
    bigger = replace_fields(instance, locations_per_base=more, units_per_base=more)
    try:
        high = solve_double_standard(bigger, CoverageParams(**EXACT, objective="weighted"))
    except ValueError:
        return  # the bases cannot open 3 distinct sites on this draw
    low = solve_double_standard(instance, CoverageParams(**EXACT, objective="weighted"))
    assert high.objective_values["weighted"] >= low.objective_values["weighted"] - 1e-9


@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), objective=st.sampled_from(["ranked", "weighted"]))
def test_both_solvers_reach_the_same_optimum(seed, objective):
    instance = tiny_instance(np.random.default_rng(seed), n_demand=25, n_candidates=10, locations=(2, 2))
    try:
        scip = solve_double_standard(instance, CoverageParams(**EXACT, objective=objective, solver="scip"))
    except ValueError:
        return  # not enough candidates on this draw
    cpsat = solve_double_standard(instance, CoverageParams(**EXACT, objective=objective, solver="cp-sat"))
    np.testing.assert_allclose(
        tuple(scip.objective_values.values()), tuple(cpsat.objective_values.values()), rtol=1e-7, atol=1e-9
    )


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), option=st.integers(0, len(OPTIONS) - 1))
def test_the_greedy_solver_bounds_the_optimum(seed, option):
    """``solver = "greedy"``: a valid plan scored like any other, each level's bound at least the best plan's value.

    A plan that breaks ``max_changes`` (the greedy ignores it) is handed to SCIP instead.
    """
    instance = tiny_instance(np.random.default_rng(seed))
    params = _params(instance, seed, solver="greedy", **OPTIONS[option])
    plan = solve_double_standard(instance, params)
    best = brute_force(instance, params)
    got = tuple(plan.objective_values.values())
    assert tuple(score_plan(instance, plan.sites, plan.site_bases, params).values()) == pytest.approx(got)
    assert got[0] <= best[0] + 1e-7
    for level, value in zip(plan.report.levels, best, strict=True):
        assert level.objective == pytest.approx(got[plan.report.levels.index(level)], rel=1e-9, abs=1e-9)
        assert level.bound >= value - 1e-7 * max(1.0, abs(value))
        assert level.status in ("optimal", "feasible", "heuristic")
    if plan.report.solver == "greedy":
        assert math.isinf(plan.report.levels[-1].bound) == bool(params.current_plan)  # kept pairs: no bound
    for b, p in enumerate(instance.locations_per_base):
        assert len(plan.sites_of_base(b)) == p
