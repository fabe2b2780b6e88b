"""Hand-checkable runs: one car, zero load, shift change, and the records adding up."""

from __future__ import annotations

import numpy as np
import pytest

from models.simulation import DispatchPolicy, simulate

from .builders import NO_DELAY, duties, incidents, places

TRAVEL = [[0, 300, 500], [300, 0, 400], [500, 400, 0]]


def test_second_of_two_simultaneous_incidents_waits_exactly_the_first_job():
    # one car at place 0; two Grade 1 calls at place 1 at t = 100 s, ready after 20 s of call handling
    policy = DispatchPolicy(mobilisation_parked_s=60.0, mobilisation_moving_s=15.0)
    calls = incidents(
        {"arrival_s": 100.0, "place": 1, "call_handling_s": 20.0, "on_scene_s": 900.0},
        {"arrival_s": 100.0, "place": 1, "call_handling_s": 20.0, "on_scene_s": 500.0},
    )
    result = simulate(places(TRAVEL), duties((0, 0, 0.0, 86400.0)), calls, policy)
    r = result.incidents
    first_job_s = 60.0 + 300.0 + 900.0  # mobilisation + travel + scene; the car is free again at the scene
    np.testing.assert_allclose(r.queue_wait_s, [0.0, first_job_s])
    np.testing.assert_allclose(r.mobilisation_s, [60.0, 15.0])  # the second leaves from the scene, already moving
    np.testing.assert_allclose(r.travel_s, [300.0, 0.0])
    np.testing.assert_allclose(r.response_s, [20 + 60 + 300, 20 + first_job_s + 15 + 0])
    assert r.waited_for_car.tolist() == [False, True]
    assert r.car.tolist() == [0, 0]
    assert result.duties.busy_s[0] == pytest.approx(first_job_s + 15 + 500)


def test_records_add_up_and_custody_leg_is_driven_at_normal_speed():
    # arrest at place 1: the car drives to custody suite 2 at 1.5 x the blue-light 400 s, stays 1000 s, returns
    calls = incidents({"arrival_s": 0.0, "place": 1, "custody": True, "custody_s": 1000.0, "on_scene_s": 600.0})
    result = simulate(
        places(TRAVEL, custody=[2, 2, 2], factor=1.5), duties((0, 0, 0.0, 86400.0)), calls, DispatchPolicy(**NO_DELAY)
    )
    r = result.incidents
    assert r.arrived_at_s[0] == 300.0
    assert r.cleared_at_s[0] == 300.0 + 600.0 + 1.5 * 400.0 + 1000.0
    assert result.duties.busy_s[0] == r.cleared_at_s[0]
    assert result.event_counts["custody_arrive"] == result.event_counts["custody_done"] == 1
    assert result.event_counts["back_at_post"] == 1


def test_zero_load_reproduces_the_static_response_from_the_nearest_post():
    rng = np.random.default_rng(7)
    travel = rng.uniform(100, 2000, size=(12, 12))
    np.fill_diagonal(travel, 0)
    posts = [3, 7, 10]
    calls = incidents(
        *[
            {"arrival_s": 100_000.0 * k, "place": int(p), "call_handling_s": float(h), "on_scene_s": 900.0}
            for k, (p, h) in enumerate(zip(rng.integers(0, 12, 40), rng.uniform(0, 300, 40), strict=True))
        ]
    )
    duty = duties(*[(p, 0, 0.0, 5e6) for p in posts])
    policy = DispatchPolicy(mobilisation_parked_s=90.0)
    r = simulate(places(travel), duty, calls, policy).incidents
    static = calls.call_handling_s + 90.0 + travel[posts][:, calls.place].astype(np.float32).min(axis=0)
    np.testing.assert_allclose(r.response_s, static, rtol=1e-6)
    assert not r.waited_for_car.any()


def test_shift_change_keeps_the_job_in_hand_and_the_queue_carries_over():
    # car 0 on duty 0-1000 s at place 0, car 1 on duty 1000-5000 s at place 2
    duty = duties((0, 0, 0.0, 1000.0), (2, 0, 1000.0, 5000.0))
    calls = incidents(
        {"arrival_s": 900.0, "place": 1, "on_scene_s": 500.0},  # car 0 takes it; done at 900 + 300 + 500 = 1700
        {"arrival_s": 950.0, "place": 1, "on_scene_s": 100.0},  # waits for the next shift's car
    )
    result = simulate(places(TRAVEL), duty, calls, DispatchPolicy(**NO_DELAY))
    r = result.incidents
    assert r.car.tolist() == [0, 1]
    assert r.cleared_at_s[0] == 1700.0
    assert result.duties.overrun_s.tolist() == [700.0, 0.0]
    assert r.queue_wait_s[1] == 50.0
    assert r.response_s[1] == 50.0 + 400.0
    assert result.duties.jobs.tolist() == [1, 1]


def test_a_free_car_leaves_at_the_end_of_duty_and_later_calls_go_unattended():
    calls = incidents({"arrival_s": 2000.0, "place": 1})
    result = simulate(places(TRAVEL), duties((0, 0, 0.0, 1000.0)), calls)
    assert not result.incidents.attended[0]
    assert result.incidents.car[0] == -1
    assert np.isnan(result.incidents.response_s[0])
    assert result.incidents.waited_for_car[0]


def test_horizon_stops_the_run_and_counts_busy_time_up_to_it():
    calls = incidents({"arrival_s": 0.0, "place": 1, "on_scene_s": 5000.0}, {"arrival_s": 10.0, "place": 2})
    result = simulate(places(TRAVEL), duties((0, 0, 0.0, 86400.0)), calls, DispatchPolicy(**NO_DELAY), horizon_s=2000.0)
    assert result.incidents.attended.tolist() == [True, False]
    assert result.duties.busy_s[0] == 2000.0
    assert result.horizon_s == 2000.0
