"""The response model: formulas with known answers, settings that round-trip and refuse what they cannot use."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import ModelInputError
from models.response import (
    MAX_BUSY_FRACTION,
    ResponseSettings,
    ShiftHours,
    estimated_busy_fraction,
    expected_cover,
    expected_cover_level_weights,
    response_time_s,
)
from models.standards import ResponseStandard

SHIFTS = (ShiftHours("early", 7, 15), ShiftHours("late", 15, 23), ShiftHours("night", 23, 7))
STANDARD = ResponseStandard(
    name="test",
    title="Grade 1 15 min urban, 20 rural",
    source="a test",
    clock_start="call_received",
    targets_min={1: {"urban": 15.0, "rural": 20.0}, 2: {"urban": 60.0, "rural": 60.0}},
)


def settings(**changes) -> ResponseSettings:
    values = {
        "speed_factor": 1.2,
        "mobilisation_s": 120.0,
        "standard": STANDARD,
        "max_base_travel_s": {"Hanley": 1800.0, "Burton": 1800.0},
        "shifts": SHIFTS,
        "busy_fraction_by_shift": {"early": 0.3, "late": 0.4, "night": 0.25},
    }
    return ResponseSettings(**{**values, **changes})


def test_response_time_adds_mobilisation_and_keeps_unreached_infinite():
    np.testing.assert_array_equal(response_time_s(120.0, np.array([0.0, 60.0, np.inf])), [120.0, 180.0, np.inf])


def test_busy_fraction_is_work_over_cars_capped():
    assert estimated_busy_fraction(12.0, 40.0) == pytest.approx(0.3)
    assert estimated_busy_fraction(100.0, 40.0) == MAX_BUSY_FRACTION
    assert estimated_busy_fraction(5.0, 0.0) == MAX_BUSY_FRACTION


def test_expected_cover_by_hand():
    np.testing.assert_allclose(expected_cover(0.5, np.array([0, 1, 2, 3])), [0.0, 0.5, 0.75, 0.875])
    np.testing.assert_allclose(expected_cover(np.array([0.2, 0.9]), np.array([1, 1])), [0.8, 0.1])


@given(st.floats(0.0, 0.99), st.integers(1, 8))
def test_level_weights_sum_to_expected_cover(q, levels):
    weights = expected_cover_level_weights(q, levels)
    assert np.all(np.diff(weights) <= 1e-12)  # non-increasing: a first cover never counts less than a second
    np.testing.assert_allclose(np.cumsum(weights), expected_cover(q, np.arange(1, levels + 1)), atol=1e-12)


def test_budget_target_and_shift_of_hour():
    response = settings()
    classes = np.array(["urban", "rural", "urban"], dtype=object)
    np.testing.assert_array_equal(response.travel_budgets_s(1, classes), [780.0, 1080.0, 780.0])
    np.testing.assert_array_equal(response.targets_s(2, classes), [3600.0] * 3)
    assert response.max_travel_budget_s(1) == 1080.0
    hours = response.shift_of_hour()
    assert hours[6] == "night" and hours[7] == "early" and hours[15] == "late" and hours[23] == "night"
    with pytest.raises(ValueError, match=r"grade 3 has no target; grades with targets are \(1, 2\)"):
        response.targets_s(3, classes)


@given(
    speed=st.floats(0.5, 2.0),
    mobilisation=st.floats(0.0, 600.0),
    busy=st.dictionaries(st.sampled_from(["early", "late", "night"]), st.floats(0.0, 1.0)),
)
def test_settings_round_trip_through_json(speed, mobilisation, busy):
    response = settings(speed_factor=speed, mobilisation_s=mobilisation, busy_fraction_by_shift=busy)
    assert ResponseSettings.from_json(json.loads(json.dumps(response.to_json()))) == response


def test_every_bad_field_is_named_at_once():
    with pytest.raises(ModelInputError, match=r"(?s)speed_factor: 0.0.*mobilisation_s: 900.0.*'night' is 1.5"):
        settings(speed_factor=0.0, mobilisation_s=900.0, busy_fraction_by_shift={"night": 1.5})


def test_nothing_is_defaulted_when_read():
    data = settings().to_json()
    del data["mobilisation_s"]
    with pytest.raises(ModelInputError, match="mobilisation_s is missing"):
        ResponseSettings.from_json(data)
    with pytest.raises(ModelInputError, match="version is 1; this hubplan reads version 3"):
        ResponseSettings.from_json({**settings().to_json(), "version": 1})
