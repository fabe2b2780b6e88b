"""Exact reductions and the greedy warm start on hand-built cases."""

from __future__ import annotations

import numpy as np
import pytest

from models.greedy import greedy_plan
from models.instance import CoverageInstance, CoverageParams
from models.levels import objective_levels
from models.reduce import ReductionRequest, reduce_instance

from .instances import five_node_instance, matrix


def test_base_covered_nodes_leave_the_model(five_nodes):
    problem = reduce_instance(five_nodes, ReductionRequest())
    assert problem.grade1.node_row[4] == -1
    assert problem.grade1.constant(np.ones(1)) == 2.0
    assert (problem.grade2.node_row[[3, 4]] == -1).all()
    assert problem.grade2.constant(np.ones(1)) == 10.0


def test_without_reduction_every_node_and_candidate_stays(five_nodes):
    problem = reduce_instance(five_nodes, ReductionRequest(reduce=False))
    assert problem.grade1.n_rows == 5
    assert problem.n_candidates == 4
    assert problem.grade1.base_count[4] == 1
    assert problem.grade1.constant(np.ones(1)) == 0.0


def grid_instance(travel: np.ndarray, *, groups=None) -> CoverageInstance:
    """Four nodes, three candidates: c0 covers {0, 1}, c1 covers {0, 1, 2}, c2 covers {0, 1} (same as c0)."""
    times = {(0, 0): 5.0, (1, 0): 5.0, (0, 1): 5.0, (1, 1): 5.0, (2, 1): 5.0, (0, 2): 5.0, (1, 2): 5.0}
    n_bases = travel.shape[0]
    return CoverageInstance(
        grade1_demand=np.array([1.0, 2.0, 3.0, 4.0]),
        grade2_demand=np.zeros(4),
        candidate_response_s=matrix(times, (4, 3)),
        base_response_s=matrix({}, (4, n_bases)),
        base_to_candidate_time_s=travel,
        max_base_travel_s=np.full(n_bases, 100.0),
        locations_per_base=np.ones(n_bases, dtype=int),
        units_per_base=np.ones(n_bases, dtype=int),
        demand_group=groups,
    )


def test_dominated_candidates_are_dropped_and_identical_nodes_merge():
    problem = reduce_instance(grid_instance(np.zeros((1, 3))), ReductionRequest(use_grade2=False))
    np.testing.assert_array_equal(problem.candidates, [1])
    # with only c1 left, nodes 0, 1 and 2 all have the cover set {c1}: one row of weight 6; node 3 is uncoverable
    assert problem.grade1.n_rows == 1
    np.testing.assert_array_equal(problem.grade1.weight, [6.0])
    np.testing.assert_array_equal(problem.grade1.node_row, [0, 0, 0, -1])
    assert problem.grade1.node_row[3] == -1


def test_dominance_respects_base_eligibility():
    """c0 may only serve base 1, which c1 cannot: c0 survives; c2 (base 0 only) is dominated by c1."""
    travel = np.array([[np.inf, 0.0, 0.0], [0.0, np.inf, np.inf]])
    problem = reduce_instance(grid_instance(travel), ReductionRequest(use_grade2=False))
    np.testing.assert_array_equal(problem.candidates, [0, 1])


def test_identical_candidates_keep_the_lowest_index_unless_protected():
    travel = np.array([[0.0, np.inf, 0.0]])
    plain = reduce_instance(grid_instance(travel), ReductionRequest(use_grade2=False))
    np.testing.assert_array_equal(plain.candidates, [0])
    kept = reduce_instance(grid_instance(travel), ReductionRequest(use_grade2=False, protected=(2,)))
    np.testing.assert_array_equal(kept.candidates, [0, 2])


def test_no_dominance_with_several_cover_levels():
    problem = reduce_instance(grid_instance(np.zeros((1, 3))), ReductionRequest(grade1_levels=2, use_grade2=False))
    np.testing.assert_array_equal(problem.candidates, [0, 1, 2])


def test_groups_stay_apart_when_merging_for_a_floor():
    instance = grid_instance(np.zeros((1, 3)), groups=("A", "B", "A", "A"))
    merged = reduce_instance(instance, ReductionRequest(use_grade2=False))
    apart = reduce_instance(instance, ReductionRequest(use_grade2=False, by_group=True))
    assert merged.grade1.n_rows == 1
    assert apart.grade1.n_rows == 2
    np.testing.assert_allclose(apart.group_total, [8.0, 2.0])


def swap_instance() -> CoverageInstance:
    """Greedy trap for p = 2: c0 covers {1, 2} (12), c1 {0, 1} (11), c2 {2, 3} (11).

    Greedy opens c0 then c1 (17); one swap (c0 -> c2) reaches the optimum {c1, c2} = 22.
    """
    times = {(1, 0): 1.0, (2, 0): 1.0, (0, 1): 1.0, (1, 1): 1.0, (2, 2): 1.0, (3, 2): 1.0}
    return CoverageInstance(
        grade1_demand=np.array([5.0, 6.0, 6.0, 5.0]),
        grade2_demand=np.zeros(4),
        candidate_response_s=matrix(times, (4, 3)),
        base_response_s=matrix({}, (4, 1)),
        base_to_candidate_time_s=np.zeros((1, 3)),
        max_base_travel_s=np.array([10.0]),
        locations_per_base=np.array([2]),
        units_per_base=np.array([2]),
    )


def test_one_swap_escapes_the_greedy_trap():
    params = CoverageParams(objective="weighted", grade2_weight=0.0)
    problem = reduce_instance(swap_instance(), ReductionRequest(use_grade2=False, reduce=False))
    warm = greedy_plan(problem, objective_levels(params))
    assert sorted(j for j, _ in warm.pairs) == [1, 2]
    assert warm.values == (pytest.approx(22.0),)


def test_greedy_meets_an_equity_floor_first():
    instance = five_node_instance(groups=True)
    params = CoverageParams(equity_floor_share={"A": 0.5})
    problem = reduce_instance(instance, ReductionRequest(by_group=True))
    floors = np.array([0.5 if label == "A" else 0.0 for label in problem.group_labels])
    warm = greedy_plan(problem, objective_levels(params), floors=floors)
    assert warm.floors_met
    assert [problem.candidates[j] for j, _ in warm.pairs] == [0]
