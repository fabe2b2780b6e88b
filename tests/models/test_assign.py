"""Exactly p_b sites per base: the feasibility check and the completion of a plan."""

from __future__ import annotations

import numpy as np
import pytest

from models.assign import check_assignable, complete_assignment
from models.errors import ModelInputError
from models.instance import CoverageInstance

from .instances import matrix


def two_bases(locations=(2, 2), travel=None) -> CoverageInstance:
    """Two bases ("North", "South") and four candidates; by default North may use 0-2, South 1-3."""
    if travel is None:
        travel = np.array([[100.0, 100.0, 100.0, np.inf], [np.inf, 100.0, 100.0, 100.0]])
    return CoverageInstance(
        grade1_demand=np.ones(2),
        grade2_demand=np.ones(2),
        candidate_response_s=matrix({(0, 0): 10.0, (1, 3): 10.0}, (2, 4)),
        base_response_s=matrix({}, (2, 2)),
        base_to_candidate_time_s=travel,
        max_base_travel_s=np.array([500.0, 500.0]),
        locations_per_base=np.array(locations),
        units_per_base=np.array(locations),
        base_names=("North", "South"),
    )


def test_feasible_split_passes():
    check_assignable(two_bases(), {})


def test_base_with_too_few_candidates_is_named():
    with pytest.raises(ModelInputError, match=r"South: locations_per_base=4 but only 3 candidates"):
        check_assignable(two_bases(locations=(1, 4)), {})


def test_bases_sharing_too_few_candidates_are_named():
    travel = np.array([[100.0, 100.0, 100.0, np.inf], [100.0, 100.0, 100.0, np.inf]])
    with pytest.raises(ModelInputError, match=r"bases (North, South|South|North) share too few candidates"):
        check_assignable(two_bases(locations=(2, 2), travel=travel), {})


def test_completion_keeps_chosen_sites_and_fills_every_slot():
    instance = two_bases()
    plan = complete_assignment(instance, {0: 0, 3: 1}, fixed={})
    assert set(plan) >= {0, 3}
    assert sorted(plan.values()) == [0, 0, 1, 1]
    assert all(instance.eligibility()[b, j] for j, b in plan.items())


def test_completion_reties_a_chosen_site_when_needed():
    """Candidate 1 chosen for North, but North must take 0..2 and South needs 1 or 2: still completes."""
    instance = two_bases(locations=(2, 2))
    plan = complete_assignment(instance, {1: 0, 2: 0}, fixed={})
    assert set(plan) == {0, 1, 2, 3}
    assert sorted(plan.values()) == [0, 0, 1, 1]


def test_completion_prefers_current_plan_for_free_slots():
    plan = complete_assignment(two_bases(locations=(1, 1)), {}, fixed={}, current={2: 1, 0: 0})
    assert plan == {0: 0, 2: 1}


def test_fixed_pairs_are_kept_as_given():
    plan = complete_assignment(two_bases(locations=(1, 1)), {}, fixed={1: 1})
    assert plan[1] == 1
    assert len(plan) == 2


def test_fixed_sites_use_up_shared_candidates():
    """North must open 2 of 0-2 and South 2 of 1-3; fixing 1 and 2 at North leaves South only 3."""
    with pytest.raises(ModelInputError, match=r"South: locations_per_base=2 but only 1 candidates"):
        check_assignable(two_bases(), {1: 0, 2: 0})
