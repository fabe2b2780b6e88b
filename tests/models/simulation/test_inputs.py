"""Input validation: every problem listed at once, with what arrived and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import ModelInputError
from models.simulation import DispatchPolicy, DutyPeriods, Incidents, Places, simulate

from .builders import duties, incidents, places


def test_places_problems_are_collected():
    with pytest.raises(ModelInputError, match="Places") as caught:
        Places(travel_s=np.array([[0.0, -1.0], [np.inf, 0.0]]), area=[0], custody_place=[0, 5], return_time_factor=0)
    for text in ("travel_s", "area: expected one entry per place", "custody_place", "return_time_factor"):
        assert text in str(caught.value)


def test_uint16_travel_table_is_used_without_a_copy():
    table = np.array([[0, 7], [7, 0]], dtype=np.uint16)
    assert Places(table, area=[0, 0], custody_place=[0, 0]).travel_s is table


def test_incident_problems_are_collected():
    with pytest.raises(ModelInputError, match="Incidents") as caught:
        Incidents(
            arrival_s=[5.0, 1.0],
            place=[0, -1],
            grade=[1, 4],
            call_handling_s=[0.0, np.nan],
            on_scene_s=[1.0, 1.0],
            custody=[False, False],
            custody_s=[0.0],
        )
    for text in ("sorted", "grade", "place", "call_handling_s", "lengths"):
        assert text in str(caught.value)


def test_duty_periods_must_end_after_they_start():
    with pytest.raises(ModelInputError, match="end after it starts"):
        DutyPeriods(post_place=[0], base=[0], start_s=[10.0], end_s=[10.0])


def test_policy_problems_are_collected():
    with pytest.raises(ModelInputError, match="DispatchPolicy") as caught:
        DispatchPolicy(scope="county", grade1_reserve=-1, mobilisation_parked_s=-5.0, fallback_grades=(4,))
    for text in ("scope", "grade1_reserve", "mobilisation_parked_s", "fallback_grades"):
        assert text in str(caught.value)


def test_indices_beyond_the_travel_table_are_rejected():
    with pytest.raises(ModelInputError, match="Incidents.place"):
        simulate(places([[0, 1], [1, 0]]), duties((0, 0, 0.0, 10.0)), incidents({"arrival_s": 0.0, "place": 2}))
    with pytest.raises(ModelInputError, match="post_place"):
        simulate(places([[0, 1], [1, 0]]), duties((3, 0, 0.0, 10.0)), incidents({"arrival_s": 0.0, "place": 1}))
