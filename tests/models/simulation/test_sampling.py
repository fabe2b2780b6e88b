"""The incident sampler, duty periods from a shift table, and seeds."""

from __future__ import annotations

import numpy as np
import pytest

from models.errors import ModelInputError
from models.simulation import (
    IncidentParams,
    Shift,
    draw_durations,
    duty_periods_from_shifts,
    sample_incidents,
    simulate,
)

from .builders import places


def _params(**overrides) -> IncidentParams:
    weights = np.array([[1.0, 0.0, 3.0], [1.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    return IncidentParams(place_weight=weights, annual_volume=(3650.0, 7300.0, 365.0), **overrides)


def test_same_seed_same_incidents_different_seed_different():
    a, b, c = (sample_incidents(_params(daily_cv=0.2), days=30, seed=s) for s in (5, 5, 6))
    for name in ("arrival_s", "place", "grade", "call_handling_s", "on_scene_s", "custody", "custody_s"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.n != c.n or not np.array_equal(a.arrival_s, c.arrival_s)


def test_same_seed_same_simulation_different_seed_different():
    travel = [[0, 400, 900], [400, 0, 600], [900, 600, 0]]
    shifts = [Shift(7, 19, ((0, 0),)), Shift(19, 7, ((1, 0),))]
    duty = duty_periods_from_shifts(shifts, days=30)
    runs = [simulate(places(travel), duty, sample_incidents(_params(), days=30, seed=s)) for s in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0].incidents.response_s, runs[1].incidents.response_s)
    assert not np.array_equal(runs[0].duties.busy_s, runs[2].duties.busy_s)


def test_volumes_places_and_sorting_follow_the_parameters():
    incidents = sample_incidents(_params(), days=365, seed=0)
    counts = np.bincount(incidents.grade, minlength=4)[1:]
    np.testing.assert_allclose(counts, [3650, 7300, 365], rtol=0.06)
    assert np.all(np.diff(incidents.arrival_s) >= 0)
    assert not np.any((incidents.grade == 1) & (incidents.place == 1))  # weight 0
    assert np.all(incidents.place[incidents.grade == 3] == 2)
    np.testing.assert_allclose(np.median(incidents.call_handling_s[incidents.grade == 1]), 90.0, rtol=0.1)
    assert np.all(incidents.custody_s[~incidents.custody] == 0)


def test_daily_overdispersion_raises_the_spread_of_daily_counts():
    def daily_cv(cv: float) -> float:
        day = (sample_incidents(_params(daily_cv=cv), days=400, seed=3).arrival_s // 86400).astype(int)
        counts = np.bincount(day, minlength=400)
        return counts.std() / counts.mean()

    poisson_cv = 1 / np.sqrt(11315 / 365)
    assert daily_cv(0.0) == pytest.approx(poisson_cv, rel=0.2)
    assert daily_cv(0.3) == pytest.approx(np.sqrt(poisson_cv**2 + 0.3**2), rel=0.2)


def test_weekday_profile_moves_calls_to_busy_hours():
    profile = np.zeros((7, 24))
    profile[:, 20:23] = 1.0
    incidents = sample_incidents(_params(hour_weekday_profile=profile), days=14, seed=1)
    hours = (incidents.arrival_s % 86400) // 3600
    assert set(np.unique(hours)) <= {20, 21, 22}


def test_bad_parameters_are_listed_together():
    with pytest.raises(ModelInputError, match="IncidentParams") as caught:
        IncidentParams(
            place_weight=np.ones((2, 3)), annual_volume=(1.0, -1.0, 0.0), daily_cv=-0.1, custody_probability=(2, 0, 0)
        )
    for text in ("place_weight", "annual_volume", "daily_cv", "custody_probability"):
        assert text in str(caught.value)


def test_shift_table_repeats_over_days_and_wraps_midnight():
    shifts = [Shift(7, 15, ((4, 0), (5, 1))), Shift(22, 7, ((6, 2),))]
    duty = duty_periods_from_shifts(shifts, days=2)
    assert duty.n == 6
    assert duty.post_place.tolist() == [4, 5, 6, 4, 5, 6]
    assert duty.start_s.tolist() == [25200.0, 25200.0, 79200.0, 111600.0, 111600.0, 165600.0]
    assert duty.end_s[2] - duty.start_s[2] == 9 * 3600.0


def test_shift_hours_are_checked():
    with pytest.raises(ModelInputError, match="start_hour"):
        Shift(25, 7, ((0, 0),))


def test_place_weights_per_period_of_the_day():
    """Morning calls come only from place 0 and afternoon calls only from place 1."""
    weights = np.zeros((3, 2, 3))
    weights[:, 0, 0] = 1.0
    weights[:, 1, 1] = 1.0
    periods = np.repeat([0, 1], 12)
    params = IncidentParams(place_weight=weights, annual_volume=(3650.0, 3650.0, 0.0), hour_period=periods)
    incidents = sample_incidents(params, days=30, seed=4)
    hour = (incidents.arrival_s // 3600 % 24).astype(int)
    assert incidents.n > 300
    np.testing.assert_array_equal(incidents.place, np.where(hour < 12, 0, 1))


def test_a_bad_hour_period_is_refused():
    with pytest.raises(ModelInputError, match=r"hour_period: expected 24 period indices below 2"):
        IncidentParams(place_weight=np.ones((3, 2, 4)), annual_volume=(1.0, 1.0, 0.0), hour_period=np.full(24, 2))


def test_durations_drawn_for_given_incidents_are_seeded():
    arrival, place, grade = np.array([10.0, 20.0, 30.0]), np.array([0, 2, 1]), np.array([1, 2, 3])
    a, b, c = (draw_durations(_params(), arrival, place, grade, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.arrival_s, arrival)
    np.testing.assert_array_equal(a.place, place)
    np.testing.assert_array_equal(a.on_scene_s, b.on_scene_s)
    assert not np.array_equal(a.on_scene_s, c.on_scene_s)
