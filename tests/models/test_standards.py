"""Response standards: the TOML schema refuses what it cannot use, and targets follow each node's area class."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given
from hypothesis import strategies as st

from models.errors import ModelInputError
from models.evaluate import evaluate_plan
from models.instance import CoverageInstance
from models.standards import ResponseStandard, standard_from_dict

NATIONAL = {
    "name": "national",
    "title": "15 urban, 20 rural",
    "source": "test",
    "clock_start": "call_received",
    "call_answer_target_s": 10,
    "grade1": {"target_min": {"urban": 15, "rural": 20}},
    "grade2": {"target_min": 60},
}
FORCE = {**NATIONAL, "name": "force", "grade1": {"target_min": 15}, "call_answer_target_s": None}
del FORCE["call_answer_target_s"]


def test_a_standard_file_gives_a_target_per_grade_and_class():
    standard = standard_from_dict(NATIONAL, source="national.toml")
    classes = np.array(["urban", "rural", "rural"], dtype=object)
    np.testing.assert_array_equal(standard.targets_s(1, classes), [900.0, 1200.0, 1200.0])
    np.testing.assert_array_equal(standard.targets_s(2, classes), [3600.0] * 3)
    assert standard.describe(1) == "15 min urban, 20 min rural" and standard.describe(2) == "60 min"
    assert standard.call_answer_target_s == 10.0 and standard.clock_start == "call_received"
    assert ResponseStandard.from_json(standard.to_json()) == standard


def test_unknown_grades_classes_and_keys_are_refused_with_the_valid_names():
    bad = {
        **NATIONAL,
        "grade3": {"target_min": 1440},
        "grade1": {"target_min": {"urban": 15, "suburban": 18}},
        "clock_start": "arrival",
        "colour": "blue",
    }
    with pytest.raises(ModelInputError, match="bad.toml: is not a valid response standard") as caught:
        standard_from_dict(bad, source="bad.toml")
    text = str(caught.value)
    assert "unknown key 'grade3'; valid keys: name, title, source, clock_start" in text
    assert "unknown key 'colour'" in text
    assert "[grade1] target_min: unknown area class 'suburban'; valid classes: urban, rural" in text
    assert "grade1: no target for rural; every class needs one" in text
    assert "clock_start: 'arrival' is not one of call_received, dispatched" in text


def test_unknown_class_values_are_refused_when_targets_are_asked_for():
    standard = standard_from_dict(NATIONAL, source="national.toml")
    with pytest.raises(ModelInputError, match="area class 'town' is not one of urban, rural"):
        standard.targets_s(1, np.array(["urban", "town"], dtype=object))


def _two_nodes(targets_s: np.ndarray) -> CoverageInstance:
    """One site 1,000 s from an urban node and from a rural node, either side of the class boundary."""
    return CoverageInstance(
        grade1_demand=np.array([1.0, 1.0]),
        grade2_demand=np.array([1.0, 1.0]),
        candidate_response_s=scipy.sparse.csr_matrix(np.array([[1000.0], [1000.0]])),
        base_response_s=np.full((2, 1), np.inf),
        base_to_candidate_time_s=np.zeros((1, 1)),
        max_base_travel_s=np.array([600.0]),
        locations_per_base=np.array([1]),
        units_per_base=np.array([1]),
        target_grade1_s=targets_s,
    )


def test_a_node_on_either_side_of_the_class_boundary_gets_its_own_target():
    classes = np.array(["urban", "rural"], dtype=object)
    national = standard_from_dict(NATIONAL, source="national.toml")
    force = standard_from_dict(FORCE, source="force.toml")
    under_national = evaluate_plan(_two_nodes(national.targets_s(1, classes)), [0])
    under_force = evaluate_plan(_two_nodes(force.targets_s(1, classes)), [0])
    np.testing.assert_array_equal(under_national.cover_count_grade1, [0, 1])  # 1,000 s: > 15 min, <= 20 min
    np.testing.assert_array_equal(under_force.cover_count_grade1, [0, 0])


@given(st.lists(st.sampled_from(["urban", "rural"]), min_size=2, max_size=30))
def test_switching_standard_changes_the_targets_and_nothing_else(classes):
    area_class = np.array(classes, dtype=object)
    national = standard_from_dict(NATIONAL, source="national.toml")
    force = standard_from_dict(FORCE, source="force.toml")
    n = area_class.size
    base = dict(
        grade1_demand=np.ones(n),
        grade2_demand=np.ones(n),
        candidate_response_s=scipy.sparse.csr_matrix(np.full((n, 2), 1000.0)),
        base_response_s=np.full((n, 1), np.inf),
        base_to_candidate_time_s=np.zeros((1, 2)),
        max_base_travel_s=np.array([600.0]),
        locations_per_base=np.array([1]),
        units_per_base=np.array([1]),
    )
    one, two = (
        CoverageInstance(**base, target_grade1_s=s.targets_s(1, area_class), target_grade2_s=s.targets_s(2, area_class))
        for s in (force, national)
    )
    changed = {
        f.name for f in dataclasses.fields(CoverageInstance) if not _same(getattr(one, f.name), getattr(two, f.name))
    }
    assert changed <= {"target_grade1_s"}
    assert (changed == {"target_grade1_s"}) == bool((area_class == "rural").any())
    np.testing.assert_array_equal(two.target_s(1)[area_class == "urban"], 900.0)
    np.testing.assert_array_equal(two.target_s(1)[area_class == "rural"], 1200.0)


def _same(a: object, b: object) -> bool:
    if scipy.sparse.issparse(a):
        return (a != b).nnz == 0
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b
