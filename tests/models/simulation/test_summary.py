"""Attendance per grade, busy share, and replication intervals."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from models.errors import ModelInputError
from models.simulation import DispatchPolicy, busy_share_by_group, grade_summary, replication_interval, simulate

from .builders import NO_DELAY, duties, incidents, places


def test_grade_summary_counts_unattended_as_misses():
    calls = incidents(
        {"arrival_s": 0.0, "place": 1, "grade": 1, "on_scene_s": 100.0},  # 500 s: within 900 s
        {"arrival_s": 0.0, "place": 1, "grade": 1, "on_scene_s": 100.0},  # waits 600 s, car already there: 600 s
        {"arrival_s": 0.0, "place": 1, "grade": 2},
        {"arrival_s": 90_000.0, "place": 1, "grade": 1},  # after the only duty ends: unattended
    )
    duty = duties((0, 0, 0.0, 86400.0))
    result = simulate(places([[0, 500], [500, 0]]), duty, calls, DispatchPolicy(**NO_DELAY))
    summary = grade_summary(result.incidents)
    assert summary[1].incidents == 3 and summary[1].attended == 2
    assert summary[1].within_target_share == pytest.approx(2 / 3)
    assert summary[1].mean_response_s == pytest.approx((500 + 600) / 2)
    assert summary[1].waited_share == pytest.approx(2 / 3)
    assert summary[2].incidents == 1 and summary[2].within_target_share == 1.0
    share = busy_share_by_group(duty, result, duty.base)
    assert share[0] == pytest.approx(result.duties.busy_s[0] / 86400.0)


def test_replication_interval_is_student_t():
    values = [1.0, 2.0, 4.0, 7.0]
    interval = replication_interval(values)
    half = scipy.stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert interval.mean == 3.5
    assert interval.low == pytest.approx(3.5 - half) and interval.high == pytest.approx(3.5 + half)
    assert not interval.contains(10.0)
    single = replication_interval([2.0])
    assert single.mean == 2.0 and np.isnan(single.low)


def test_replication_interval_rejects_bad_input():
    with pytest.raises(ModelInputError, match="confidence"):
        replication_interval([1.0, 2.0], confidence=1.5)
