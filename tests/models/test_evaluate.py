"""The independent evaluator on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import ModelInputError
from models.evaluate import evaluate_plan, grade1_term, kept_pairs, score_plan
from models.instance import CoverageParams

from .instances import five_node_instance, redundancy_instance


def test_counts_include_bases_and_zero_second_entries(five_nodes):
    coverage = evaluate_plan(five_nodes, [0, 2])
    np.testing.assert_array_equal(coverage.cover_count_grade1, [1, 0, 1, 1, 1])
    np.testing.assert_array_equal(coverage.cover_count_grade2, [1, 0, 1, 2, 1])
    assert coverage.grade1_covered_demand == 22.0
    assert coverage.grade2_covered_demand == 22.0
    assert coverage.grade1_covered_share == pytest.approx(22 / 30)


def test_bases_alone(five_nodes):
    coverage = evaluate_plan(five_nodes, [])
    assert coverage.grade1_covered_demand == 2.0
    assert coverage.grade2_covered_demand == 10.0


def test_backup_and_expected_cover():
    coverage = evaluate_plan(redundancy_instance(), [1])
    np.testing.assert_array_equal(coverage.cover_count_grade1, [2, 0, 1])
    assert coverage.grade1_backup_demand == 10.0
    assert coverage.grade1_expected_demand(0.5, levels=3) == pytest.approx(10 * 0.75 + 10 * 0.5)
    assert coverage.grade1_expected_demand(0.5, levels=1) == pytest.approx(10 * 0.5 + 10 * 0.5)


def test_grade1_term_follows_the_options():
    coverage = evaluate_plan(redundancy_instance(), [1])
    assert grade1_term(coverage, CoverageParams()) == 20.0
    assert grade1_term(coverage, CoverageParams(backup_weight=0.5)) == 25.0
    assert grade1_term(coverage, CoverageParams(busy_fraction=0.5)) == pytest.approx(12.5)


def test_group_shares():
    instance = five_node_instance(groups=True)
    shares = evaluate_plan(instance, [0]).grade1_share_by_group(instance.demand_group)
    assert shares == {"A": pytest.approx(10 / 18), "B": pytest.approx(2 / 12)}


def test_score_plan_levels(five_nodes):
    params = CoverageParams(current_plan={0: 0, 1: 0})
    assert score_plan(five_nodes, [0], [0], params) == {"grade1": 12.0, "grade2": 15.0, "kept": 1.0}
    assert kept_pairs([0, 1], [0, 0], None) == 0


@pytest.mark.parametrize("sites", [[4], [-1], [1, 1]])
def test_bad_site_indices(five_nodes, sites):
    with pytest.raises(ModelInputError, match="sites must be distinct candidate indices"):
        evaluate_plan(five_nodes, sites)
