"""Dispatch policy: grade priority, area scope and fallback, the Grade 1 reserve, diversion."""

from __future__ import annotations

import numpy as np

from models.simulation import DispatchPolicy, simulate

from .builders import NO_DELAY, duties, incidents, places

# places 0 and 1 are posts of areas 0 and 1; place 2 lies in area 1 but close to post 0
SCOPE_TRAVEL = [[0, 900, 50], [900, 0, 500], [50, 500, 0]]
SCOPE_AREAS = [0, 1, 1]
TWO_AREAS = duties((0, 0, 0.0, 86400.0), (1, 1, 0.0, 86400.0))


def test_force_scope_sends_the_nearest_car_of_any_area():
    calls = incidents({"arrival_s": 0.0, "place": 2, "grade": 2})
    r = simulate(places(SCOPE_TRAVEL, area=SCOPE_AREAS), TWO_AREAS, calls, DispatchPolicy(**NO_DELAY)).incidents
    assert r.car[0] == 0
    assert r.base[0] == 0


def test_base_area_scope_sends_the_areas_own_car():
    calls = incidents({"arrival_s": 0.0, "place": 2, "grade": 2})
    policy = DispatchPolicy(scope="base_area", **NO_DELAY)
    r = simulate(places(SCOPE_TRAVEL, area=SCOPE_AREAS), TWO_AREAS, calls, policy).incidents
    assert r.car[0] == 1
    assert r.travel_s[0] == 500.0


def test_base_area_fallback_lets_grade1_cross_but_grade2_waits_for_its_own_area():
    # area 1's car is busy at place 1 until 600 s; then a Grade 2 and a Grade 1 arrive at place 2
    calls = incidents(
        {"arrival_s": 0.0, "place": 1, "grade": 3, "on_scene_s": 600.0},
        {"arrival_s": 10.0, "place": 2, "grade": 2},
        {"arrival_s": 20.0, "place": 2, "grade": 1},
    )
    policy = DispatchPolicy(scope="base_area", **NO_DELAY)
    r = simulate(places(SCOPE_TRAVEL, area=SCOPE_AREAS), TWO_AREAS, calls, policy).incidents
    assert r.car.tolist() == [1, 1, 0]
    assert r.queue_wait_s[1] == 600.0 - 10.0
    assert r.queue_wait_s[2] == 0.0
    without_fallback = DispatchPolicy(scope="base_area", fallback_grades=(), **NO_DELAY)
    r = simulate(places(SCOPE_TRAVEL, area=SCOPE_AREAS), TWO_AREAS, calls, without_fallback).incidents
    assert r.car[2] == 1  # the Grade 1 now waits for area 1's car too, and is served before the Grade 2
    assert r.dispatched_at_s[2] == 600.0 and r.dispatched_at_s[1] > 600.0


def test_grade1_reserve_holds_back_the_last_free_car():
    one_area = duties((0, 0, 0.0, 86400.0), (0, 0, 0.0, 86400.0))
    calls = incidents(
        {"arrival_s": 0.0, "place": 1, "grade": 2, "on_scene_s": 1000.0},
        {"arrival_s": 10.0, "place": 1, "grade": 2, "on_scene_s": 1000.0},  # would leave no free car: waits
        {"arrival_s": 20.0, "place": 1, "grade": 1, "on_scene_s": 1000.0},  # takes the reserved car
    )
    travel = [[0, 100], [100, 0]]
    reserved = simulate(places(travel), one_area, calls, DispatchPolicy(grade1_reserve=1, **NO_DELAY)).incidents
    # the Grade 2 waits until both cars are free again (car 1 clears at 20 + 100 + 1000 s)
    assert reserved.queue_wait_s.tolist() == [0.0, 1120.0 - 10.0, 0.0]
    plain = simulate(places(travel), one_area, calls, DispatchPolicy(**NO_DELAY)).incidents
    assert plain.queue_wait_s.tolist() == [0.0, 0.0, 1100.0 - 20.0]


def test_grade1_reserve_per_area_must_match_the_areas():
    import pytest

    from models.errors import ModelInputError

    calls = incidents({"arrival_s": 0.0, "place": 1})
    with pytest.raises(ModelInputError, match="one value per area"):
        simulate(places([[0, 1], [1, 0]]), duties((0, 0, 0.0, 10.0)), calls, DispatchPolicy(grade1_reserve=(1, 1)))


def test_diversion_takes_the_car_from_a_grade2_and_requeues_it_at_the_front():
    # the only car leaves post 0 for a Grade 2 at place 1 (1000 s away); 300 s later a Grade 1 at place 2
    travel = [[0, 1000, 100], [1000, 0, 1000], [100, 1000, 0]]
    calls = incidents(
        {"arrival_s": 0.0, "place": 1, "grade": 2, "on_scene_s": 100.0},
        {"arrival_s": 300.0, "place": 2, "grade": 1, "on_scene_s": 600.0},
    )
    policy = DispatchPolicy(divert_for_grade1=True, mobilisation_parked_s=120.0, mobilisation_moving_s=30.0)
    result = simulate(places(travel), duties((0, 0, 0.0, 86400.0)), calls, policy)
    r = result.incidents
    # at 300 s the car has driven 180 s of its leg: turning back via post 0 takes 180 + 100 s
    assert r.dispatched_at_s[1] == 300.0 and r.travel_s[1] == 280.0 and r.mobilisation_s[1] == 30.0
    assert r.response_s[1] == 310.0
    assert r.diverted.tolist() == [1, 0]
    assert r.waited_for_car.tolist() == [True, False]
    # the Grade 2 gets the car back when the Grade 1 is done (610 + 600 s), from place 2
    assert r.dispatched_at_s[0] == 1210.0 and r.travel_s[0] == 1000.0 and r.car[0] == 0
    assert result.event_counts["stale_skipped"] >= 1  # the cancelled arrival at the Grade 2
    no_divert = simulate(places(travel), duties((0, 0, 0.0, 86400.0)), calls, DispatchPolicy()).incidents
    assert no_divert.diverted.tolist() == [0, 0]
    assert no_divert.queue_wait_s[1] > 0


def test_grade1_is_served_before_an_earlier_grade2_when_a_car_frees():
    calls = incidents(
        {"arrival_s": 0.0, "place": 1, "grade": 3, "on_scene_s": 500.0},
        {"arrival_s": 10.0, "place": 1, "grade": 2},
        {"arrival_s": 20.0, "place": 1, "grade": 1},
    )
    r = simulate(places([[0, 100], [100, 0]]), duties((0, 0, 0.0, 86400.0)), calls, DispatchPolicy(**NO_DELAY))
    assert r.incidents.dispatched_at_s[2] == 600.0
    assert r.incidents.dispatched_at_s[1] == 600.0 + 0.0 + 600.0
    assert np.all(r.incidents.attended)
