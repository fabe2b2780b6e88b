"""KPI arithmetic on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pytest

from optimiser import kpis


def test_weighted_percentile_by_hand():
    response_s = np.array([60.0, 120.0, 600.0, np.inf])
    weight = np.array([1.0, 1.0, 7.0, 1.0])
    assert kpis._weighted_percentile(response_s, weight, 50.0) == pytest.approx(10.0)
    assert kpis._weighted_percentile(response_s, weight, 10.0) == pytest.approx(1.0)
    assert kpis._weighted_percentile(response_s, weight, 95.0) == float("inf")


def test_weighted_mean_ignores_unreached_demand():
    assert kpis._weighted_mean(np.array([60.0, 180.0, np.inf]), np.array([1.0, 1.0, 5.0])) == pytest.approx(2.0)


def test_share_is_demand_weighted():
    assert kpis._share(np.array([3.0, 1.0]), np.array([True, False])) == pytest.approx(0.75)
    assert np.isnan(kpis._share(np.zeros(2), np.array([True, False])))
