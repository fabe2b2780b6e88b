"""Synthetic incidents are drawn seeded, shaped like the modelled demand, at real postcodes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from scipy.stats import chisquare

from geodata import embedded
from geodata.demand import DemandParams, modelled_demand
from geodata.errors import InputDataError
from geodata.synthetic import AttendanceParams, GradeAttendance, SyntheticIncidentParams, synthetic_incidents

from .samples import N_LARGE


@pytest.fixture(scope="module")
def force_postcodes() -> pd.DataFrame:
    postcodes = embedded.load_postcodes()
    return postcodes[postcodes["in_force"] == 1].reset_index(drop=True)


# --------------------------------------------------------------------------- seeds and shape


def test_same_seed_gives_the_same_frame_and_another_seed_differs():
    first, again, other = (
        synthetic_incidents(SyntheticIncidentParams(n=2_000, seed=seed, attendance=True)) for seed in (3, 3, 4)
    )
    pd.testing.assert_frame_equal(first, again)
    assert not first["postcode"].equals(other["postcode"])
    assert not first["timestamp"].equals(other["timestamp"])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1), year=st.integers(2000, 2030))
def test_any_n_and_seed_gives_n_valid_incidents(n, seed, year):
    frame = synthetic_incidents(SyntheticIncidentParams(year=year, n=n, seed=seed))
    assert len(frame) == n and frame["id"].is_unique
    assert set(frame["grade"]) <= {1, 2}
    assert frame["timestamp"].dt.year.eq(year).all() and frame["timestamp"].is_monotonic_increasing


def test_ids_count_up_in_time_order(large):
    assert large["id"].iloc[0] == "SYN-2018-0000001" and large["id"].iloc[-1] == f"SYN-2018-{N_LARGE:07d}"
    assert large["timestamp"].is_monotonic_increasing


def test_default_n_is_one_year_of_grade_1_and_2():
    assert SyntheticIncidentParams().n_incidents == 43_000 + 65_000
    assert SyntheticIncidentParams(grade3_share=0.1).n_incidents == 120_000  # Grade 3 comes on top
    assert SyntheticIncidentParams(n=5).n_incidents == 5


def test_bad_parameters_are_reported_together():
    with pytest.raises(
        InputDataError, match=r"(?s)whole year from 1900 to 2099, got 99.*n must be.*grade3_share.*seed must"
    ):
        SyntheticIncidentParams(year=99, n=0, grade3_share=1.0, seed=-1)
    with pytest.raises(InputDataError, match="bases 'hub_2030' is not one of hub_2018, lpt_2022"):
        AttendanceParams(bases="hub_2030")
    with pytest.raises(InputDataError, match="wait_probability must be in 0..1"):
        GradeAttendance(speed_kph=50.0, wait_probability=1.5, wait_mean_s=60.0)


# --------------------------------------------------------------------------- time


def test_timestamps_are_whole_minutes_within_the_year(large):
    stamps = large["timestamp"]
    assert stamps.min() >= pd.Timestamp("2018-01-01") and stamps.max() < pd.Timestamp("2019-01-01")
    assert (stamps.dt.second == 0).all()
    assert stamps.dt.minute.nunique() == 60


def test_leap_years_include_29_february():
    stamps = synthetic_incidents(SyntheticIncidentParams(year=2020, n=20_000, seed=1))["timestamp"]
    assert ((stamps.dt.month == 2) & (stamps.dt.day == 29)).any() and stamps.dt.year.eq(2020).all()


def test_hour_of_day_follows_the_hourly_profile(large):
    profile = np.asarray(DemandParams().hourly_profile) / sum(DemandParams().hourly_profile)
    observed = np.bincount(large["timestamp"].dt.hour, minlength=24)
    assert np.abs(observed / N_LARGE - profile).max() < 0.003  # about 6 standard errors
    assert chisquare(observed, profile * N_LARGE).pvalue > 1e-4


def test_weekday_follows_the_weekday_profile(large):
    days = pd.date_range("2018-01-01", "2018-12-31", freq="D")
    per_day = np.asarray(DemandParams().weekday_profile)[days.day_of_week]  # 2018 has 53 Mondays
    expected = np.bincount(days.day_of_week, weights=per_day, minlength=7) / per_day.sum()
    observed = np.bincount(large["timestamp"].dt.day_of_week, minlength=7)
    assert np.abs(observed / N_LARGE - expected).max() < 0.005
    assert chisquare(observed, expected * N_LARGE).pvalue > 1e-4


# --------------------------------------------------------------------------- grades


def test_grade_shares_follow_the_annual_volumes(large):
    assert (large["grade"] == 1).mean() == pytest.approx(43 / 108, abs=0.006)
    mixed = synthetic_incidents(SyntheticIncidentParams(n=50_000, grade3_share=0.2, seed=2))["grade"]
    assert (mixed == 3).mean() == pytest.approx(0.2, abs=0.01)
    assert (mixed == 1).sum() / (mixed != 3).sum() == pytest.approx(43 / 108, abs=0.01)


# --------------------------------------------------------------------------- places


def test_every_incident_is_at_a_real_force_postcode_with_its_coordinates(large, force_postcodes):
    joined = large.merge(force_postcodes, on="postcode", how="left", suffixes=("", "_cpo"), validate="many_to_one")
    assert joined["in_force"].eq(1).all()
    assert (joined["easting"] == joined["easting_cpo"]).all() and (joined["northing"] == joined["northing_cpo"]).all()
    unique = joined.drop_duplicates("postcode")
    points = gpd.GeoSeries(gpd.points_from_xy(unique["easting"], unique["northing"]))
    # the force area is dissolved from generalised LSOA boundaries: a few edge postcodes lie up to ~120 m outside
    assert points.distance(embedded.force_area().iloc[0]).max() < 200


def test_local_authority_shares_follow_the_modelled_demand(large, force_postcodes):
    lsoa_la = embedded.load_lsoas().set_index("lsoa_code")["la_name"]
    la_of_postcode = force_postcodes.set_index("postcode")["lsoa_code"].map(lsoa_la)
    grade1 = large[large["grade"] == 1]
    observed = grade1["postcode"].map(la_of_postcode).value_counts(normalize=True)
    demand = modelled_demand()
    modelled = pd.Series(demand.grade1.sum(axis=1)).groupby(demand.nodes["la_name"].to_numpy()).sum()
    modelled = (modelled / modelled.sum()).rename(lambda name: name + " UA" if name == "Stoke-on-Trent" else name)
    assert observed.sort_index().to_numpy() == pytest.approx(modelled.sort_index().to_numpy(), abs=0.01)


def _density_per_km2(frame: pd.DataFrame, force_postcodes: pd.DataFrame) -> np.ndarray:
    """Postcodes within 1 km of each incident per km2: recomputed here, not taken from the demand model."""
    tree = cKDTree(force_postcodes[["easting", "northing"]].to_numpy(float))
    counts = tree.query_ball_point(frame[["easting", "northing"]].to_numpy(float), r=1_000.0, return_length=True)
    return np.asarray(counts) / np.pi


@pytest.mark.parametrize("exponent", [0.5, 0.0])
def test_night_incidents_lean_to_dense_places_only_with_the_night_lean(force_postcodes, exponent):
    params = SyntheticIncidentParams(n=60_000, seed=5, demand=DemandParams(night_centre_exponent=exponent))
    frame = synthetic_incidents(params)
    hour = frame["timestamp"].dt.hour
    density = _density_per_km2(frame, force_postcodes)
    night, early = density[(hour >= 23) | (hour < 7)].mean(), density[(hour >= 7) & (hour < 15)].mean()
    if exponent > 0:
        assert night > 1.1 * early
    else:
        assert night == pytest.approx(early, rel=0.03)
