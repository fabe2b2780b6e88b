"""Expected cover with one busy fraction per demand node (availability by place)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.budget import solve_min_locations
from models.coverage import reduction_request, solve_double_standard
from models.errors import ModelInputError
from models.evaluate import score_plan
from models.instance import CoverageInstance, CoverageParams
from models.levels import objective_levels
from models.reduce import reduce_instance

from .randoms import brute_force, tiny_instance

EXACT = {"relative_gap": 0.0, "time_limit_s": 20.0}


def _per_node(instance: CoverageInstance, rng: np.random.Generator, choices=(0.1, 0.35, 0.6)) -> np.ndarray:
    """A few distinct busy fractions, so equal cover sets with equal q can still merge."""
    return rng.choice(np.asarray(choices), size=instance.n_demand)


@pytest.mark.parametrize("solver", ["scip", "cp-sat"])
@pytest.mark.parametrize("seed", range(3))
def test_equal_per_node_values_give_the_single_q_plan(solver, seed):
    instance = tiny_instance(np.random.default_rng(300 + seed), n_demand=30, n_candidates=10, locations=(2, 2))
    single = solve_double_standard(instance, CoverageParams(**EXACT, solver=solver, busy_fraction=0.4))
    same = np.full(instance.n_demand, 0.4)
    per_node = solve_double_standard(instance, CoverageParams(**EXACT, solver=solver, busy_fraction=same))
    assert per_node.objective_values == pytest.approx(single.objective_values, rel=1e-12)
    assert sorted(zip(per_node.sites, per_node.site_bases, strict=True)) == sorted(
        zip(single.sites, single.site_bases, strict=True)
    )


@pytest.mark.parametrize("option", [{}, {"backup_weight": 0.1}, {"objective": "weighted", "grade2_weight": 0.3}])
@pytest.mark.parametrize("seed", range(4))
def test_per_node_optimum_matches_brute_force_with_and_without_reductions(seed, option):
    rng = np.random.default_rng(400 + seed)
    instance = tiny_instance(rng, n_demand=40, n_candidates=9, locations=(2, 1))
    params = CoverageParams(**EXACT, busy_fraction=_per_node(instance, rng), expected_cover_levels=3, **option)
    expected = brute_force(instance, params)
    for reduce in (True, False):
        plan = solve_double_standard(instance, dataclasses.replace(params, reduce=reduce))
        np.testing.assert_allclose(tuple(plan.objective_values.values()), expected, rtol=1e-7, atol=1e-7)
        reported = tuple(level.objective for level in plan.report.levels)
        np.testing.assert_allclose(reported, expected, rtol=1e-7, atol=1e-7)


def _dense_instance(g1: np.ndarray, cand: np.ndarray, base: np.ndarray) -> CoverageInstance:
    n_candidates = cand.shape[1]
    return CoverageInstance(
        grade1_demand=g1,
        grade2_demand=np.zeros_like(g1),
        candidate_response_s=cand,
        base_response_s=base,
        base_to_candidate_time_s=np.zeros((base.shape[1], n_candidates)),
        max_base_travel_s=np.full(base.shape[1], 1.0),
        locations_per_base=np.zeros(base.shape[1], dtype=int),
        units_per_base=np.ones(base.shape[1], dtype=int),
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    levels=st.integers(1, 4),
    backup=st.sampled_from([0.0, 0.05]),
)
def test_score_plan_is_the_brute_force_sum(seed, levels, backup):
    rng = np.random.default_rng(seed)
    n, m, b = int(rng.integers(1, 12)), int(rng.integers(1, 6)), int(rng.integers(1, 3))
    cand = np.where(rng.random((n, m)) < 0.6, rng.uniform(0, 1800, (n, m)), np.inf)
    base = np.where(rng.random((n, b)) < 0.4, rng.uniform(0, 1800, (n, b)), np.inf)
    g1 = rng.exponential(3.0, n)
    q = rng.uniform(0.0, 0.8, n)
    instance = _dense_instance(g1, cand, base)
    sites = [int(j) for j in np.flatnonzero(rng.random(m) < 0.5)]
    params = CoverageParams(busy_fraction=q, expected_cover_levels=levels, backup_weight=backup * (1 - q.max()) ** 2)
    total = 0.0
    for i in range(n):
        count = int((cand[i, sites] <= 900.0).sum() + (base[i] <= 900.0).sum())
        value = sum((1 - q[i]) * q[i] ** (k - 1) for k in range(1, min(count, levels) + 1))
        if count >= 2:
            value += params.backup_weight
        total += g1[i] * value
    assert score_plan(instance, sites, [0] * len(sites), params)["grade1"] == pytest.approx(total, rel=1e-12, abs=1e-12)


def test_rows_merge_only_with_the_same_busy_fraction():
    # nodes 0-2 have the same cover set {candidate 0}; node 2 is busier
    cand = np.array([[100.0, np.inf], [200.0, np.inf], [300.0, np.inf], [np.inf, 50.0]])
    instance = _dense_instance(np.ones(4), cand, np.full((4, 1), np.inf))
    params = CoverageParams(busy_fraction=np.array([0.2, 0.2, 0.5, 0.2]))
    problem = reduce_instance(instance, reduction_request(params, objective_levels(params)))
    rows = problem.grade1.node_row
    assert rows[0] == rows[1] != rows[2]
    assert problem.grade1.n_rows == 3
    assert problem.grade1.n_classes == 2


def test_a_wrong_number_of_busy_fractions_is_named():
    instance = tiny_instance(np.random.default_rng(1))
    params = CoverageParams(busy_fraction=np.full(instance.n_demand + 1, 0.3))
    with pytest.raises(ModelInputError, match="busy_fraction: 13 values but the instance has 12 demand nodes"):
        solve_double_standard(instance, params)


@pytest.mark.parametrize("bad", [np.array([0.2, 1.0]), np.zeros((2, 2)), np.array([])])
def test_bad_per_node_values_are_rejected(bad):
    with pytest.raises(ModelInputError, match="busy_fraction: per-node values must be a non-empty 1-D array"):
        CoverageParams(busy_fraction=bad)


def test_backup_cap_uses_the_busiest_node():
    with pytest.raises(ModelInputError, match=r"backup_weight: 0\.3 must be in \[0, 0\.25\]"):
        CoverageParams(busy_fraction=np.array([0.1, 0.5]), backup_weight=0.3)


def test_the_fewest_locations_problem_takes_one_busy_fraction():
    instance = tiny_instance(np.random.default_rng(2))
    params = CoverageParams(busy_fraction=np.full(instance.n_demand, 0.3))
    with pytest.raises(ModelInputError, match="fewest-locations problems measure expected cover with one busy"):
        solve_min_locations(instance, 0.5, params)
