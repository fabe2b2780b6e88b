"""Modelled demand: volumes preserved, census shares respected, shifts and the night lean."""

from __future__ import annotations

import numpy as np
import pytest

from geodata import demand, embedded
from geodata.errors import InputDataError


@pytest.fixture(scope="module")
def modelled() -> demand.Demand:
    return demand.modelled_demand()


def test_annual_volumes_are_preserved_per_grade(modelled):
    assert modelled.grade1.sum() == pytest.approx(demand.GRADE1_PER_YEAR)
    assert modelled.grade2.sum() == pytest.approx(demand.GRADE2_PER_YEAR)
    shares = demand.DemandParams().shift_shares()
    assert modelled.grade1.sum(axis=0) == pytest.approx(shares * demand.GRADE1_PER_YEAR)


def test_nodes_share_out_each_lsoa_census_counts(modelled):
    nodes = modelled.nodes
    lsoas = embedded.load_lsoas().set_index("lsoa_code")
    per_lsoa = nodes.groupby("lsoa_code")["persons"].sum()
    assert per_lsoa.to_numpy() == pytest.approx(lsoas.loc[per_lsoa.index, "persons"].to_numpy())
    assert nodes["persons"].sum() == pytest.approx(1_097_497)
    assert nodes["node_id"].is_unique and nodes["la_name"].nunique() == 9


def test_day_demand_follows_population_and_night_leans_to_centres(modelled):
    persons = modelled.nodes["persons"].to_numpy()
    early = modelled.grade1[:, modelled.shift_names.index("early")]
    night = modelled.grade1[:, modelled.shift_names.index("night")]
    assert early / early.sum() == pytest.approx(persons / persons.sum())
    dense = modelled.nodes["density_per_km2"].to_numpy() > np.percentile(modelled.nodes["density_per_km2"], 90)
    assert night[dense].sum() / night.sum() > early[dense].sum() / early.sum()


def test_shifts_wrap_midnight():
    assert demand.Shift("night", 23, 7).hours == (23, 0, 1, 2, 3, 4, 5, 6)


def test_shifts_must_cover_the_day_once():
    with pytest.raises(InputDataError, match="must cover each hour 0-23 exactly once"):
        demand.DemandParams(shifts=(demand.Shift("day", 7, 19), demand.Shift("night", 18, 7)))


def test_unknown_weighting_lists_the_choices():
    with pytest.raises(InputDataError, match="population, households"):
        demand.DemandParams(weighting="crime")


def test_unknown_shift_lists_the_valid_ones(modelled):
    with pytest.raises(InputDataError, match="valid: early, late, night"):
        modelled.for_shift("afternoon")
