"""The typed KPI records: JSON round trip, the zero-demand convention, and readable format errors."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.evaluate import below_floor, evaluate_plan
from models.kpis import (
    NO_DEMAND,
    Assumptions,
    GradeKpis,
    KpisFormatError,
    PlanKpis,
    ShiftSolverKpis,
    SolverKpis,
    demand_share,
)
from tests.models.instances import five_node_instance

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
shares = st.one_of(st.floats(0.0, 1.0), st.just(math.nan))
finite = st.floats(-1e9, 1e9)
numbers = st.one_of(finite, st.integers(-10_000, 10_000))
share_maps = st.dictionaries(names, shares, max_size=4)


def grades() -> st.SearchStrategy[GradeKpis]:
    return st.builds(
        GradeKpis,
        target_min=st.floats(1.0, 120.0),
        demand_per_year=st.floats(0.0, 1e6),
        covered_share=shares,
        expected_covered_share=shares,
        mean_response_min=st.one_of(st.floats(0.0, 60.0), st.just(math.nan)),
        p90_response_min=st.one_of(st.floats(0.0, 60.0), st.just(math.nan)),
        by_shift=share_maps,
        expected_by_shift=share_maps,
        by_base=share_maps,
        expected_by_base=share_maps,
        by_local_authority=share_maps,
        expected_by_local_authority=share_maps,
    )


def solvers() -> st.SearchStrategy[SolverKpis]:
    shift = st.builds(
        ShiftSolverKpis,
        status=names,
        objective=finite,
        bound=finite,
        gap=st.one_of(finite, st.just(math.nan)),
        seconds=st.floats(0.0, 1e4),
        warnings=st.lists(names, max_size=2).map(tuple),
    )
    return st.builds(
        SolverKpis,
        status=names,
        objective=finite,
        bound=finite,
        gap=finite,
        seconds=st.floats(0.0, 1e4),
        solver=names,
        by_shift=st.dictionaries(names, shift, max_size=3),
        objective_note=names,
    )


def assumptions() -> st.SearchStrategy[Assumptions]:
    return st.builds(
        Assumptions,
        scenario_path=st.one_of(st.none(), names),
        network_source=st.one_of(st.none(), names),
        network=names,
        network_nodes=st.integers(0, 10**6),
        speed_factor=numbers,
        mobilisation_s=numbers,
        max_base_travel_min=st.dictionaries(names, numbers, max_size=3),
        job_time_grade1_min=numbers,
        job_time_grade2_min=numbers,
        demand_source=names,
        grade1_per_year=numbers,
        grade2_per_year=numbers,
        demand_nodes=st.integers(0, 10**6),
        candidates=st.integers(0, 10**4),
        label=names,
    )


plans = st.builds(
    PlanKpis,
    scenario=names,
    grade1=grades(),
    grade2=grades(),
    busy_fraction_by_shift=share_maps,
    solver=solvers(),
    assumptions=assumptions(),
    definition=st.one_of(st.none(), names),
    variant_notes=st.one_of(st.none(), st.lists(names, max_size=2).map(tuple)),
)


@settings(max_examples=150, deadline=None)
@given(plans)
def test_json_round_trip_gives_the_same_record(kpis):
    text = json.dumps(kpis.to_json(), allow_nan=False)  # strict JSON: no NaN or Infinity tokens
    assert PlanKpis.from_json(json.loads(text)) == kpis


def small_grade(**overrides) -> GradeKpis:
    values = {
        "target_min": 15.0,
        "demand_per_year": 10.0,
        "covered_share": 0.5,
        "expected_covered_share": 0.4,
        "mean_response_min": 9.0,
        "p90_response_min": 14.0,
        "by_shift": {"early": 0.5},
        "expected_by_shift": {"early": 0.4},
        "by_base": {"A": 0.5, "B": math.nan},
        "expected_by_base": {"A": 0.4, "B": math.nan},
        "by_local_authority": {"X": 0.5},
        "expected_by_local_authority": {"X": 0.4},
    }
    return GradeKpis(**{**values, **overrides})


def test_a_share_of_no_demand_is_nan_in_memory_and_null_in_json():
    assert math.isnan(demand_share(0.0, 0.0)) and demand_share(1.0, 4.0) == 0.25
    grade = small_grade()
    assert grade.by_base["B"] is NO_DEMAND  # any NaN given becomes the one marker, so records compare equal
    assert grade.to_json()["by_base"] == {"A": 0.5, "B": None}
    assert GradeKpis.from_json(json.loads(json.dumps(grade.to_json()))) == grade


def test_coverage_shares_of_no_demand_are_nan():
    instance = dataclasses.replace(
        five_node_instance(groups=True), grade1_demand=np.array([0.0, 0.0, 6.0, 4.0, 2.0]), grade2_demand=np.zeros(5)
    )
    coverage = evaluate_plan(instance, [0])
    shares = coverage.grade1_share_by_group(instance.demand_group)
    assert math.isnan(shares["A"])  # was 1.0: a group without demand is not "all covered"
    assert shares["B"] == pytest.approx(2 / 12)
    assert math.isnan(coverage.grade2_covered_share)  # was 0.0
    assert not below_floor(shares["A"], 0.9) and below_floor(shares["B"], 0.9)


def test_shares_outside_zero_to_one_are_refused():
    with pytest.raises(
        ValueError, match=r"by_base: shares must be NaN \(no demand\) or in \[0, 1\]; got \{'A': 64.0\}"
    ):
        small_grade(by_base={"A": 64.0})


def test_a_plan_written_before_busy_cars_by_group_reads_with_them_empty():
    data = small_grade().to_json()
    del data["expected_by_base"], data["expected_by_local_authority"]
    grade = GradeKpis.from_json(data)
    assert grade.expected_by_base == {} and grade.expected_by_local_authority == {}


def test_a_missing_key_is_named_with_its_path():
    data = small_grade().to_json()
    del data["by_shift"]
    with pytest.raises(KpisFormatError, match=r"grade1\.by_shift: missing"):
        GradeKpis.from_json(data, where="grade1")
    with pytest.raises(KpisFormatError, match=r"grade1: missing; it has \['scenario'\]"):
        PlanKpis.from_json({"scenario": "x"})


def test_infinite_p90_is_written_as_null():
    grade = small_grade(p90_response_min=math.inf)
    assert grade.to_json()["p90_response_min"] is None
    assert math.isnan(GradeKpis.from_json(grade.to_json()).p90_response_min)
