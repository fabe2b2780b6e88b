"""Hand-checked optima on the tiny instances of conftest.py, with both solvers."""

from __future__ import annotations

import numpy as np
import pytest

from models.coverage import solve_double_standard, solve_single_standard
from models.errors import ModelInputError
from models.plan import SolveStatus

from .instances import five_node_instance, matrix, params, redundancy_instance, replace_fields

SOLVERS = ["scip", "cp-sat"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_ranked_one_location_breaks_grade1_tie_on_grade2(solver):
    plan = solve_double_standard(five_node_instance(), params(solver=solver))
    assert plan.sites == (2,)
    assert plan.site_bases == (0,)
    assert plan.objective_values["grade1"] == pytest.approx(12.0)
    assert plan.objective_values["grade2"] == pytest.approx(17.0)
    assert plan.report.status == SolveStatus.OPTIMAL
    assert [level.name for level in plan.report.levels] == ["grade1", "grade2"]
    assert plan.report.levels[1].objective == pytest.approx(17.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_weighted_picks_a_different_site_than_ranked(solver):
    plan = solve_double_standard(five_node_instance(), params(solver=solver, objective="weighted"))
    assert plan.sites == (1,)
    assert plan.objective_values["weighted"] == pytest.approx(37.0)
    assert plan.report.objective == pytest.approx(37.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_ranked_two_locations(solver):
    plan = solve_double_standard(five_node_instance(locations=2), params(solver=solver))
    assert plan.sites == (0, 2)
    assert plan.objective_values == {"grade1": pytest.approx(22.0), "grade2": pytest.approx(22.0)}
    np.testing.assert_array_equal(plan.covered_grade1, [True, False, True, True, True])
    np.testing.assert_array_equal(plan.covered_grade2, [True, False, True, True, True])


def test_zero_second_response_counts_as_cover():
    """c0 reaches node 0 in 0 s (an explicit zero entry): the equity floor on A forces it."""
    plan = solve_double_standard(five_node_instance(groups=True), params(equity_floor_share={"A": 0.5}))
    assert plan.sites == (0,)
    assert plan.covered_grade1[0]


@pytest.mark.parametrize("solver", SOLVERS)
def test_fixed_site_stays_open(solver):
    plan = solve_double_standard(five_node_instance(locations=2), params(solver=solver, fixed_sites={3: 0}))
    assert 3 in plan.sites
    assert len(plan.sites) == 2
    assert plan.objective_values["grade1"] == pytest.approx(12.0)
    assert plan.objective_values["grade2"] == pytest.approx(27.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_equity_floor_is_met_and_changes_the_plan(solver):
    instance = five_node_instance(groups=True)
    free = solve_double_standard(instance, params(solver=solver))
    floored = solve_double_standard(instance, params(solver=solver, equity_floor_share={"A": 0.5}))
    assert free.sites == (2,)
    assert floored.sites == (0,)
    shares = floored.coverage.grade1_share_by_group(instance.demand_group)
    assert shares["A"] >= 0.5
    assert floored.objective_values == {"grade1": pytest.approx(12.0), "grade2": pytest.approx(15.0)}


@pytest.mark.parametrize("solver", SOLVERS)
def test_unreachable_equity_floor_names_group_and_best_share(solver):
    with pytest.raises(ModelInputError, match=r"equity_floor_share.*'A'(.|\n)*best achievable share 55\.6%"):
        solve_double_standard(five_node_instance(groups=True), params(solver=solver, equity_floor_share={"A": 0.9}))


def test_floor_above_union_of_all_sites_is_rejected_before_solving():
    instance = five_node_instance(groups=True, c0_reachable=False)
    with pytest.raises(ModelInputError, match=r"group 'A': floor 50\.0% but at most 44\.4%"):
        solve_double_standard(instance, params(equity_floor_share={"A": 0.5}))


def test_floor_on_unknown_group_is_rejected():
    with pytest.raises(ModelInputError, match=r"group 'C' is not a demand_group label"):
        solve_double_standard(five_node_instance(groups=True), params(equity_floor_share={"C": 0.5}))


@pytest.mark.parametrize("solver", SOLVERS)
def test_backup_cover_prefers_doubly_covered_demand(solver):
    plain = solve_double_standard(redundancy_instance(), params(solver=solver))
    backup = solve_double_standard(redundancy_instance(), params(solver=solver, backup_weight=0.5))
    assert plain.sites == (0,)
    assert backup.sites == (1,)
    assert backup.objective_values["grade1"] == pytest.approx(20.0 + 0.5 * 10.0)
    assert backup.coverage.grade1_backup_demand == pytest.approx(10.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_expected_cover_with_busy_cars_prefers_redundancy(solver):
    calm = solve_double_standard(redundancy_instance(), params(solver=solver, busy_fraction=0.01))
    busy = solve_double_standard(redundancy_instance(), params(solver=solver, busy_fraction=0.5))
    assert calm.sites == (0,)
    assert busy.sites == (1,)
    assert busy.objective_values["grade1"] == pytest.approx(0.75 * 10 + 0.5 * 10)
    assert busy.objective_values["grade1"] == pytest.approx(busy.coverage.grade1_expected_demand(0.5, levels=3))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("current", [0, 2])
def test_min_change_keeps_current_plan_when_cover_ties(solver, current):
    """With Grade 2 weighted 0, c0 and c2 tie on Grade 1: the current one stays."""
    settings = params(solver=solver, objective="weighted", grade2_weight=0.0, current_plan={current: 0})
    plan = solve_double_standard(five_node_instance(), settings)
    assert plan.sites == (current,)
    assert plan.objective_values["kept"] == 1.0


@pytest.mark.parametrize("solver", SOLVERS)
def test_max_changes_zero_keeps_a_worse_current_plan(solver):
    instance = five_node_instance()
    kept = solve_double_standard(instance, params(solver=solver, current_plan={1: 0}, max_changes=0))
    free = solve_double_standard(instance, params(solver=solver, current_plan={1: 0}, max_changes=1))
    assert kept.sites == (1,)
    assert kept.objective_values["grade1"] == pytest.approx(10.0)
    assert free.sites == (2,)
    assert free.objective_values["kept"] == 0.0


def test_more_locations_than_eligible_candidates_names_the_base():
    with pytest.raises(ModelInputError, match=r"locations_per_base(.|\n)*Hanley: locations_per_base=5 but only 4"):
        solve_double_standard(five_node_instance(locations=5), params())


def test_locations_above_units_names_the_base():
    with pytest.raises(ModelInputError, match=r"Hanley: units_per_base=1 < locations_per_base=2"):
        replace_fields(five_node_instance(locations=2), units_per_base=np.array([1]))


def test_fixed_site_beyond_base_reach_is_rejected():
    instance = five_node_instance(c0_reachable=False)
    with pytest.raises(ModelInputError, match=r"fixed_sites: candidate 0 is inf s from Hanley"):
        solve_double_standard(instance, params(fixed_sites={0: 0}))


def test_single_standard_is_plain_max_cover():
    """MCLP on the five-node Grade 1 matrix, no bases: two sites, best is {c0, c2} = 10 + 6 + 4."""
    instance = five_node_instance()
    plan = solve_single_standard(instance.grade1_demand, instance.candidate_response_s, sites=2, params=params())
    assert plan.sites == (0, 2)
    assert plan.objective_values["weighted"] == pytest.approx(20.0)


@pytest.mark.parametrize("warm_start", [True, False])
def test_bases_covering_everything_still_open_every_location(warm_start):
    everything = matrix({(i, 0): 10.0 for i in range(5)}, (5, 1))
    instance = replace_fields(five_node_instance(locations=2), base_response_s=everything)
    plan = solve_double_standard(instance, params(warm_start=warm_start))
    assert len(plan.sites) == 2
    assert plan.objective_values == {"grade1": 30.0, "grade2": 27.0}
    assert plan.report.status == SolveStatus.OPTIMAL


def test_no_locations_leaves_the_bases_alone():
    instance = replace_fields(five_node_instance(), locations_per_base=np.array([0]))
    plan = solve_double_standard(instance, params())
    assert plan.sites == ()
    assert plan.objective_values == {"grade1": 2.0, "grade2": 10.0}
