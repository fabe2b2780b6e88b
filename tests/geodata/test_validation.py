"""Validation against the reference: the fits and statistics, and the default network's measured error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata import validation
from geodata.modelled import build_default_network


def synthetic_pairs(rng: np.random.Generator, offset: float, scale: float, n: int = 400) -> pd.DataFrame:
    road_min = rng.uniform(2.0, 55.0, n)
    return pd.DataFrame(
        {
            "group": rng.choice(["calibration", "held_out"], n),
            "road_min": road_min,
            "km": road_min * 0.8,
            "reference_min": offset + scale * road_min,
        }
    )


def test_fit_reference_recovers_offset_and_scale():
    pairs = synthetic_pairs(np.random.default_rng(3), offset=6.5, scale=1.1)
    fit = validation.fit_reference(pairs[pairs["reference_min"] <= 60])
    assert fit.intercept == pytest.approx(6.5, abs=1e-3)
    assert fit.slope == pytest.approx(1.1, abs=1e-3)


def test_fit_uses_only_calibration_pairs():
    pairs = synthetic_pairs(np.random.default_rng(4), offset=5.0, scale=1.0)
    pairs.loc[pairs["group"] == "held_out", "reference_min"] += 30.0
    assert validation.fit_reference(pairs).intercept == pytest.approx(5.0, abs=1e-3)


def test_error_stats_by_hand():
    stats = validation.error_stats(np.array([-2.0, 1.0, 1.0, 4.0]))
    assert (stats.mae_min, stats.median_abs_min, stats.bias_min, stats.n) == (2.0, 1.5, 1.0, 4)
    assert stats.p90_abs_min == pytest.approx(np.percentile([2, 1, 1, 4], 90))


def test_error_table_bands_by_reference_time():
    pairs = pd.DataFrame(
        {"group": ["held_out"] * 3, "reference_min": [10.0, 40.0, 70.0], "road_min": [0.0] * 3, "km": [0.0] * 3}
    )
    table = validation.error_table(pairs, np.array([11.0, 43.0, 0.0]))
    assert table["held_out"]["le30"].n == 1 and table["held_out"]["le30"].mae_min == 1.0
    assert table["held_out"]["le60"].n == 2 and table["held_out"]["le60"].mae_min == 2.0


@pytest.fixture(scope="module")
def report() -> validation.ValidationReport:
    return validation.validate_network(build_default_network())


def test_default_network_meets_the_held_out_targets(report):
    """Targets set in the foundation issue: held-out MAE <= 2.0 (<= 30 min) and <= 3.0 (<= 60 min), beating the line."""
    held_out, line = report.network_errors["held_out"], report.straight_line_errors["held_out"]
    assert held_out["le30"].mae_min <= 2.0
    assert held_out["le60"].mae_min <= 3.0
    assert held_out["le30"].mae_min < line["le30"].mae_min
    assert held_out["le60"].mae_min < line["le60"].mae_min


def test_reference_offset_stays_out_of_the_network(report):
    """The fitted offset is minutes of non-driving time; the scale of road time stays near 1."""
    assert 3.0 <= report.reference.intercept <= 10.0
    assert 0.8 <= report.reference.slope <= 1.25


def test_short_trips_are_physically_plausible(report):
    by_km = {}
    for trip in report.short_trips:
        by_km.setdefault(trip.km, []).append(trip.implied_kph)
        assert trip.n_pairs > 50
    # the foundation issue's plausible range: roughly 20-40 km/h in towns; faster over 10 km as A-roads take over
    assert all(15.0 <= kph <= 40.0 for kph in by_km[1.0])
    assert all(25.0 <= kph <= 70.0 for kph in by_km[10.0])
    assert all(slow < fast for slow, fast in zip(by_km[1.0], by_km[10.0], strict=True))


def test_report_json_has_the_documented_keys(report):
    data = report.to_dict()
    assert set(data) >= {"network", "reference", "held_out", "calibration", "straight_line", "short_trips"}
    assert set(data["held_out"]["le30"]) >= {"mae_min", "bias_min", "p90_abs_min", "n"}
    assert set(data["straight_line"]["held_out"]) == {"le30", "le60"}
    assert {"town", "km", "median_min"} <= set(data["short_trips"][0])
