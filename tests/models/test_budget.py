"""Budget questions: cover for a total of locations, and the fewest locations for a Grade 1 target."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.budget import coverage_curve, greedy_coverage_curve, solve_location_budget, solve_min_locations
from models.errors import ModelInputError
from models.instance import CoverageInstance, CoverageParams
from models.plan import SolveStatus
from models.synthetic import random_instance

from .instances import five_node_instance, matrix, params, redundancy_instance, replace_fields
from .randoms import assignable, brute_force_budget, brute_force_min_locations, expected_share, tiny_instance

SOLVERS = ["scip", "cp-sat"]
EXACT = {"relative_gap": 0.0, "time_limit_s": 20.0}


def five_nodes_three_cars() -> CoverageInstance:
    """The five-node instance with 3 cars at Hanley (c3 covers no Grade 1 demand)."""
    return replace_fields(five_node_instance(), units_per_base=np.array([3]))


def two_base_instance(*, shared: bool = False) -> CoverageInstance:
    """Four nodes, each within Grade 1 target of one candidate only; bases "A" (1 car) and "B" (2 cars).

    w1 = [10, 9, 8, 1] (28 in all); c0, c1, c2 may serve A only (c1 also B when ``shared``),
    c3 only B. The bases cover nothing. A's single car makes c0 (10) the best single site
    and c0 + c3 (11) the best of any larger total; with ``shared``, c1 goes to B:
    c0@A, c1@B, c3@B = 20.
    """
    times = {(0, 0): 100.0, (1, 1): 100.0, (2, 2): 100.0, (3, 3): 100.0}
    travel = np.array([[0.0, 0.0, 0.0, np.inf], [np.inf, 0.0 if shared else np.inf, np.inf, 0.0]])
    return CoverageInstance(
        grade1_demand=np.array([10.0, 9.0, 8.0, 1.0]),
        grade2_demand=np.zeros(4),
        candidate_response_s=matrix(times, (4, 4)),
        base_response_s=matrix({}, (4, 2)),
        base_to_candidate_time_s=travel,
        max_base_travel_s=np.array([600.0, 600.0]),
        locations_per_base=np.array([1, 1]),
        units_per_base=np.array([1, 2]),
        base_names=("A", "B"),
    )


def _check_plan(instance: CoverageInstance, plan, total: int) -> None:
    """At most ``total`` sites, at most units_per_base per base, each tied to an eligible base."""
    assert len(plan.sites) <= total
    assert len(set(plan.sites)) == len(plan.sites)
    counts = np.bincount(np.asarray(plan.site_bases, dtype=int), minlength=instance.n_bases)
    assert np.all(counts <= instance.units_per_base)
    if plan.sites:
        assert instance.eligibility()[list(plan.site_bases), list(plan.sites)].all()


# --------------------------------------------------------------------------- hand-made: budget


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    ("total", "grade1", "grade2"), [(0, 2.0, 10.0), (1, 12.0, 17.0), (2, 22.0, 22.0), (3, 30.0, 27.0), (4, 30.0, 27.0)]
)
def test_budget_on_five_nodes(solver, total, grade1, grade2):
    """Worked by hand: c0/c2 tie on G1 (G2 breaks it for c2), then both, then c1 covers the rest."""
    instance = five_nodes_three_cars()
    plan = solve_location_budget(instance, total, params(solver=solver))
    _check_plan(instance, plan, total)
    assert plan.objective_values == {"grade1": pytest.approx(grade1), "grade2": pytest.approx(grade2)}
    assert plan.report.status == SolveStatus.OPTIMAL
    if total == 1:
        assert plan.sites == (2,)
    assert plan.objective_values["grade1"] == pytest.approx(plan.coverage.grade1_covered_demand)


@pytest.mark.parametrize("solver", SOLVERS)
def test_budget_zero_is_the_bases_alone(solver):
    plan = solve_location_budget(five_nodes_three_cars(), 0, params(solver=solver))
    assert plan.sites == ()
    assert plan.coverage.grade1_covered_share == pytest.approx(2 / 30)
    assert plan.report.levels[0].objective == pytest.approx(2.0)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("total", [1, 2, 3, 4])
def test_budget_respects_each_base_cap(solver, total):
    """A has one car: c0 (10) at A, then only c3 (1) at B."""
    instance = two_base_instance()
    plan = solve_location_budget(instance, total, params(solver=solver))
    _check_plan(instance, plan, total)
    expected = {1: 10.0, 2: 11.0, 3: 11.0, 4: 11.0}[total]
    assert plan.objective_values["grade1"] == pytest.approx(expected)
    assert plan.sites_of_base(0) == (0,)


@pytest.mark.parametrize("solver", SOLVERS)
def test_budget_moves_a_shared_site_to_the_base_with_cars(solver):
    instance = two_base_instance(shared=True)
    plan = solve_location_budget(instance, 3, params(solver=solver))
    _check_plan(instance, plan, 3)
    assert dict(zip(plan.sites, plan.site_bases, strict=True)) == {0: 0, 1: 1, 3: 1}
    assert plan.objective_values["grade1"] == pytest.approx(20.0)


def test_budget_keeps_fixed_sites_within_the_total():
    plan = solve_location_budget(five_nodes_three_cars(), 2, params(fixed_sites={3: 0}))
    assert 3 in plan.sites and len(plan.sites) == 2
    assert plan.objective_values["grade1"] == pytest.approx(12.0)


def test_warm_start_from_another_plan_gives_the_same_optimum():
    instance = five_nodes_three_cars()
    small = solve_location_budget(instance, 1, params())
    warm = solve_location_budget(instance, 2, params(), warm_start_sites=small.sites, warm_start_bases=small.site_bases)
    big = solve_location_budget(instance, 3, params())
    too_big = solve_location_budget(instance, 2, params(), warm_start_sites=big.sites, warm_start_bases=big.site_bases)
    assert warm.objective_values == too_big.objective_values == {"grade1": 22.0, "grade2": 22.0}


@pytest.mark.parametrize("solver", SOLVERS)
def test_curve_keeps_the_order_given(solver):
    instance = five_nodes_three_cars()
    plans = coverage_curve(instance, [3, 0, 2, 1, 2], params(solver=solver))
    assert [p.objective_values["grade1"] for p in plans] == pytest.approx([30.0, 2.0, 22.0, 12.0, 22.0])
    assert coverage_curve(instance, []) == []


def test_greedy_curve_on_five_nodes_adds_one_site_at_a_time_and_is_labelled_heuristic():
    """Greedy picks c2 (12, Grade 2 breaks the tie with c0), then c0 (22), then c1 (30): optimal here."""
    instance = five_nodes_three_cars()
    plans = greedy_coverage_curve(instance, [3, 0, 1, 2], params())
    assert [p.objective_values["grade1"] for p in plans] == pytest.approx([30.0, 2.0, 12.0, 22.0])
    assert plans[2].sites == (2,) and set(plans[2].sites) <= set(plans[3].sites) <= set(plans[0].sites)
    for plan in plans[:1] + plans[2:]:
        assert plan.report.status == SolveStatus.HEURISTIC and plan.report.solver == "greedy"
        assert plan.report.gap == float("inf")
    assert greedy_coverage_curve(instance, []) == []


def test_greedy_curve_respects_each_base_cap():
    instance = two_base_instance(shared=True)
    for total, plan in zip([1, 2, 3, 4], greedy_coverage_curve(instance, [1, 2, 3, 4], params()), strict=True):
        _check_plan(instance, plan, total)


# --------------------------------------------------------------------------- hand-made: fewest locations


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    ("target", "locations", "share"), [(0.05, 0, 2 / 30), (0.1, 1, 12 / 30), (0.5, 2, 22 / 30), (0.8, 3, 1.0)]
)
def test_min_locations_on_five_nodes(solver, target, locations, share):
    answer = solve_min_locations(five_nodes_three_cars(), target, params(solver=solver))
    assert (answer.locations, answer.reached, answer.measure) == (locations, True, "travel")
    assert answer.grade1_share == pytest.approx(share)
    assert answer.locations_bound == locations
    assert answer.plan.report.status == SolveStatus.OPTIMAL
    assert len(answer.plan.sites) == locations
    assert answer.plan.objective_values["locations"] == -locations
    assert [level.name for level in answer.plan.report.levels] == ["locations"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_exact_tie_break_picks_grade2_among_the_fewest(solver):
    """One site reaches 10 %: c0 and c2 tie on Grade 1 (12); Grade 2 picks c2 (17 against 15)."""
    answer = solve_min_locations(five_nodes_three_cars(), 0.1, params(solver=solver), exact_tie_break=True)
    assert answer.plan.sites == (2,)
    assert [level.name for level in answer.plan.report.levels] == ["locations", "grade1", "grade2"]
    assert [level.objective for level in answer.plan.report.levels] == pytest.approx([-1.0, 12.0, 17.0])
    assert answer.plan.objective_values == {"locations": -1.0, "grade1": 12.0, "grade2": 17.0}


@pytest.mark.parametrize("solver", SOLVERS)
def test_unreachable_target_gives_the_best_share_with_fewest_sites(solver):
    """A's single car: the best is c0 + c3 = 11 of 28 with two sites; c1 and c2 cannot be opened."""
    answer = solve_min_locations(two_base_instance(), 0.9, params(solver=solver))
    assert not answer.reached
    assert answer.grade1_share == pytest.approx(11 / 28)
    assert answer.locations == 2
    assert any("out of reach" in w for w in answer.plan.report.warnings)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("target", "locations", "reached"), [(0.4, 1, True), (0.5, 2, True), (0.6, 2, False)])
def test_min_locations_by_expected_cover(solver, target, locations, reached):
    """q = 0.5: base only 5/30.5; b alone 12.5 (0.41); a + b 17.75 (0.58) is the best with two cars."""
    instance = redundancy_instance()
    answer = solve_min_locations(instance, target, params(solver=solver, busy_fraction=0.5))
    assert answer.measure == "expected"
    assert (answer.locations, answer.reached) == (locations, reached)
    expected = {1: 12.5, 2: 17.75}[locations] / 30.5
    assert answer.grade1_share == pytest.approx(expected)
    if locations == 1:
        assert answer.plan.sites == (1,)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("total", [-1, 2.5, True, "3"])
def test_bad_total_is_rejected(total):
    with pytest.raises(ModelInputError, match=r"total_locations: must be a whole number of locations >= 0"):
        solve_location_budget(five_nodes_three_cars(), total)


def test_bad_total_in_a_curve_is_rejected():
    with pytest.raises(ModelInputError, match=r"totals: must be a whole number of locations >= 0, got -2"):
        coverage_curve(five_nodes_three_cars(), [0, -2])


@pytest.mark.parametrize("target", [0.0, -0.1, 1.5, float("nan"), "high"])
def test_bad_target_is_rejected(target):
    with pytest.raises(ModelInputError, match=r"target_share: must be a share in \(0, 1\]"):
        solve_min_locations(five_nodes_three_cars(), target)


def test_more_fixed_sites_than_the_total_is_rejected():
    with pytest.raises(ModelInputError, match=r"total_locations: 2 fixed sites but total_locations=1"):
        solve_location_budget(five_nodes_three_cars(), 1, params(fixed_sites={0: 0, 3: 0}))


def test_more_fixed_sites_than_cars_names_units_per_base():
    instance = replace_fields(five_node_instance(locations=2), units_per_base=np.array([2]))
    with pytest.raises(ModelInputError, match=r"Hanley has 3 fixed sites but units_per_base=2"):
        solve_location_budget(instance, 3, params(fixed_sites={0: 0, 1: 0, 2: 0}))


@pytest.mark.parametrize(
    ("sites", "bases", "message"),
    [
        ((0,), None, r"give warm_start_sites and warm_start_bases together"),
        ((0, 9), (0, 0), r"got \(site, base\) pairs \[\(9, 0\)\]"),
        ((2, 2), (0, 0), r"a site appears twice"),
    ],
)
def test_bad_warm_start_is_rejected(sites, bases, message):
    with pytest.raises(ModelInputError, match=r"warm_start_sites: .*" + message):
        solve_location_budget(five_nodes_three_cars(), 2, warm_start_sites=sites, warm_start_bases=bases)


def test_equity_floor_unmet_without_locations_names_the_total():
    instance = replace_fields(five_nodes_three_cars(), demand_group=("A", "A", "B", "B", "B"))
    with pytest.raises(ModelInputError, match=r"total_locations: with no locations(.|\n)*group 'A': floor 50\.0%"):
        solve_location_budget(instance, 0, params(equity_floor_share={"A": 0.5}))
    plan = solve_location_budget(instance, 1, params(equity_floor_share={"A": 0.5}))
    assert plan.sites == (0,)


# --------------------------------------------------------------------------- against brute force


OPTIONS = [{}, {"objective": "weighted", "grade1_weight": 2.0, "grade2_weight": 0.5}, {"busy_fraction": 0.3}]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("option", range(len(OPTIONS)))
@pytest.mark.parametrize("seed", range(3))
def test_budget_matches_brute_force(solver, option, seed):
    instance = tiny_instance(np.random.default_rng(300 + seed), locations=(1, 1))
    settings_ = CoverageParams(**EXACT, solver=solver, **OPTIONS[option])
    for total in (1, 2, 4):
        plan = solve_location_budget(instance, total, settings_)
        _check_plan(instance, plan, total)
        expected = brute_force_budget(instance, settings_, total)
        np.testing.assert_allclose(tuple(plan.objective_values.values()), expected, rtol=1e-7, atol=1e-7)
        reported = tuple(level.objective for level in plan.report.levels)
        np.testing.assert_allclose(reported, expected, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("busy", [None, 0.3])
@pytest.mark.parametrize("seed", range(3))
def test_min_locations_matches_brute_force(solver, busy, seed):
    instance = tiny_instance(np.random.default_rng(400 + seed), locations=(1, 1))
    best = brute_force_min_locations(instance, 1.0, busy)[2]
    base = expected_share(instance, (), busy)
    for target, exact in ((base + 0.5 * (best - base), False), (best, True), (min(best + 0.05, 1.0), False)):
        if target <= 0:
            continue
        settings_ = CoverageParams(**EXACT, solver=solver, busy_fraction=busy)
        answer = solve_min_locations(instance, target, settings_, exact_tie_break=exact)
        locations, reached, share = brute_force_min_locations(instance, target, busy)
        assert (answer.locations, answer.reached) == (locations, reached)
        assert answer.grade1_share == pytest.approx(expected_share(instance, answer.plan.sites, busy))
        if exact or not reached:  # the best share at that size (proved, or the best of all when out of reach)
            assert answer.grade1_share == pytest.approx(share, abs=2e-6)
        else:
            assert target - 1e-9 <= answer.grade1_share <= share + 1e-9
        _check_plan(instance, answer.plan, instance.n_candidates)


@pytest.mark.parametrize("option", range(len(OPTIONS)))
def test_reductions_do_not_change_the_budget_optimum(option):
    """Multi-level dominance and pooled bases against no reductions at all."""
    instance = tiny_instance(np.random.default_rng(500 + option), n_demand=40, n_candidates=12, locations=(2, 2))
    for total in (2, 3, 5):
        reduced = solve_location_budget(instance, total, CoverageParams(**EXACT, **OPTIONS[option]))
        plain = solve_location_budget(instance, total, CoverageParams(**EXACT, **OPTIONS[option], reduce=False))
        np.testing.assert_allclose(
            tuple(reduced.objective_values.values()), tuple(plain.objective_values.values()), rtol=1e-9
        )


def test_curve_on_a_county_like_instance_is_monotone_and_warm_started():
    instance = random_instance(
        np.random.default_rng(7), n_demand=600, n_candidates=300, n_bases=3, locations=2, max_base_travel_s=1200.0
    )
    settings_ = CoverageParams(busy_fraction=0.3, relative_gap=1e-6, time_limit_s=20.0)
    plans = coverage_curve(instance, [0, 2, 4, 6, 8], settings_)
    grade1 = [p.objective_values["grade1"] for p in plans]
    assert grade1 == sorted(grade1)
    for total, plan in zip([0, 2, 4, 6, 8], plans, strict=True):
        _check_plan(instance, plan, total)
        assert plan.report.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


# --------------------------------------------------------------------------- properties


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), busy=st.sampled_from([None, 0.4]))
def test_greedy_curve_is_feasible_monotone_and_never_beats_the_optimum(seed, busy):
    instance = tiny_instance(np.random.default_rng(seed), n_demand=15, n_candidates=8, locations=(1, 2))
    totals = [0, 1, 2, 3, 4, 6]
    heuristic = greedy_coverage_curve(instance, totals, CoverageParams(busy_fraction=busy))
    exact = coverage_curve(instance, totals, CoverageParams(**EXACT, busy_fraction=busy))
    for total, greedy, optimum in zip(totals, heuristic, exact, strict=True):
        _check_plan(instance, greedy, total)
        assert expected_share(instance, greedy.sites, busy) <= expected_share(instance, optimum.sites, busy) + 1e-9
    first_level = [plan.report.levels[0].objective for plan in heuristic]
    assert all(b >= a - 1e-9 for a, b in zip(first_level, first_level[1:], strict=False))


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), busy=st.sampled_from([None, 0.4]))
def test_cover_never_falls_as_the_total_grows(seed, busy):
    instance = tiny_instance(np.random.default_rng(seed), n_demand=15, n_candidates=8, locations=(1, 2))
    plans = coverage_curve(instance, [0, 1, 2, 3, 4, 6], CoverageParams(**EXACT, busy_fraction=busy))
    shares = [expected_share(instance, p.sites, busy) for p in plans]
    assert all(b >= a - 1e-12 for a, b in zip(shares, shares[1:], strict=False))
    for total, plan in zip([0, 1, 2, 3, 4, 6], plans, strict=True):
        _check_plan(instance, plan, total)
        assert assignable(instance, plan.sites)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), target=st.floats(0.05, 1.0), busy=st.sampled_from([None, 0.4]))
def test_fewest_locations_is_where_the_budget_first_reaches_the_target(seed, target, busy):
    instance = tiny_instance(np.random.default_rng(seed), n_demand=15, n_candidates=8, locations=(1, 2))
    settings_ = CoverageParams(**EXACT, busy_fraction=busy)
    answer = solve_min_locations(instance, target, settings_)
    if not answer.reached:
        return
    at_k = solve_location_budget(instance, answer.locations, settings_)
    assert expected_share(instance, at_k.sites, busy) >= target - 1e-9
    if answer.locations > 0:
        below = solve_location_budget(instance, answer.locations - 1, settings_)
        assert expected_share(instance, below.sites, busy) < target


def test_multi_level_dominance_drops_candidates_beaten_k_times():
    """K = 3: c0..c3 cover {0, 1}, c4 only {0}. c3 is beaten by c0, c1, c2 (identical, lower index), c4 by all four."""
    times = {(i, j): 100.0 for i in (0, 1) for j in range(4)} | {(0, 4): 100.0}
    instance = CoverageInstance(
        grade1_demand=np.array([1.0, 1.0]),
        grade2_demand=np.zeros(2),
        candidate_response_s=matrix(times, (2, 5)),
        base_response_s=matrix({}, (2, 1)),
        base_to_candidate_time_s=np.zeros((1, 5)),
        max_base_travel_s=np.array([600.0]),
        locations_per_base=np.array([1]),
        units_per_base=np.array([5]),
    )
    for total in (1, 3, 5):
        reduced = solve_location_budget(instance, total, params(busy_fraction=0.5))
        plain = solve_location_budget(instance, total, params(busy_fraction=0.5, reduce=False))
        assert reduced.objective_values["grade1"] == pytest.approx(plain.objective_values["grade1"])
        assert reduced.report.reduction.candidates_kept == 3
        assert set(reduced.sites) <= {0, 1, 2}
    assert reduced.objective_values["grade1"] == pytest.approx(2 * (1 - 0.5**3))
