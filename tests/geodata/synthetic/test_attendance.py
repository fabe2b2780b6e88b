"""Synthetic attendance is shaped to the published 2018 figures, and its calibration recovers the defaults."""

from __future__ import annotations

import dataclasses

import pytest

from geodata.errors import InputDataError
from geodata.synthetic import (
    PUBLISHED_2018,
    AttendanceParams,
    SyntheticIncidentParams,
    attendance_summary,
    calibrate_attendance,
    synthetic_incidents,
)

from .samples import N_LARGE


def test_attendance_is_shaped_to_the_published_2018_figures(large):
    graded = large[large["grade"] <= 2]
    assert (graded["attendance_s"] > 0).all() and graded["attendance_s"].notna().all()
    summary = attendance_summary(large).set_index("grade")
    assert summary.loc[1, "mean_s"] == pytest.approx(19.75 * 60, abs=60)
    assert summary.loc[2, "mean_s"] == pytest.approx(136 * 60, abs=600)
    assert summary.loc[1, "within_target_share"] == pytest.approx(0.64, abs=0.01)
    assert summary.loc[2, "within_target_share"] == pytest.approx(0.53, abs=0.01)


def test_attendance_is_absent_unless_asked_and_empty_for_grade_3():
    assert "attendance_s" not in synthetic_incidents(SyntheticIncidentParams(n=100)).columns
    frame = synthetic_incidents(SyntheticIncidentParams(n=2_000, grade3_share=0.3, attendance=True))
    assert frame.loc[frame["grade"] == 3, "attendance_s"].isna().all()
    assert frame.loc[frame["grade"] != 3, "attendance_s"].notna().all()


def test_calibration_recovers_the_recorded_defaults():
    calibrated = calibrate_attendance(n=N_LARGE)
    defaults = AttendanceParams()
    for grade in (calibrated.grade1, calibrated.grade2):
        recorded = defaults.grade1 if grade.speed_kph == defaults.grade1.speed_kph else defaults.grade2
        assert grade.wait_probability == pytest.approx(recorded.wait_probability, abs=0.005)
        assert grade.wait_mean_s == pytest.approx(recorded.wait_mean_s, rel=0.03)


def test_calibration_says_which_assumption_to_change():
    slow = AttendanceParams(grade1=dataclasses.replace(AttendanceParams().grade1, speed_kph=20.0))
    with pytest.raises(InputDataError, match="above the published mean 19.8 min; raise speed_kph"):
        calibrate_attendance(SyntheticIncidentParams(attendance_model=slow), n=20_000)
    modest = AttendanceParams(grade1=dataclasses.replace(AttendanceParams().grade1, speed_kph=50.0))
    with pytest.raises(InputDataError, match="no wait meets 64% within 15 min"):
        calibrate_attendance(SyntheticIncidentParams(attendance_model=modest), n=20_000, targets=PUBLISHED_2018[:1])
