"""Incident files as demand: counting by node, grade and shift, and every bad line reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata import embedded
from geodata.demand import DEFAULT_SHIFTS, demand_nodes
from geodata.demand_incidents import demand_from_incidents
from geodata.errors import InputDataError
from geodata.incidents import read_incidents

HEADER = "id,grade,timestamp,easting,northing\n"


def write(tmp_path, text: str):
    path = tmp_path / "incidents.csv"
    path.write_text(text)
    return path


def test_counts_land_on_the_nearest_node_by_grade_and_shift(tmp_path):
    nodes = demand_nodes()
    first, second = nodes.iloc[0], nodes.iloc[100]
    path = write(
        tmp_path,
        HEADER
        + f"a,1,2018-01-01T08:00:00,{first.x_m},{first.y_m}\n"
        + f"b,1,2018-06-01T23:30:00,{first.x_m + 20},{first.y_m}\n"
        + f"c,2,2018-12-31T16:00:00,{second.x_m},{second.y_m}\n"
        + f"d,3,2018-03-01T12:00:00,{second.x_m},{second.y_m}\n",
    )
    demand = demand_from_incidents(read_incidents(path), nodes, DEFAULT_SHIFTS, source="incidents.csv")
    years = (364 + 8 / 24) / 365.25  # 2018-01-01 08:00 to 2018-12-31 16:00
    early, late, night = range(3)
    assert demand.grade1[0, early] == pytest.approx(1 / years)
    assert demand.grade1[0, night] == pytest.approx(1 / years)
    assert demand.grade2[100, late] == pytest.approx(1 / years)
    assert demand.grade1.sum() == pytest.approx(2 / years) and demand.grade2.sum() == pytest.approx(1 / years)


def test_postcode_locations_are_accepted(tmp_path):
    path = tmp_path / "by_postcode.csv"
    pd.DataFrame({"id": ["x"], "grade": ["1"], "timestamp": ["2018-06-01 10:00"], "postcode": ["ST16 2DQ"]}).to_csv(
        path, index=False
    )
    incidents = read_incidents(path, postcode_lookup=embedded.lookup_postcodes)
    assert incidents.loc[0, "grade"] == 1 and np.isfinite(incidents.loc[0, "x_m"])


def test_every_bad_line_is_named(tmp_path):
    path = write(tmp_path, HEADER + "a,4,2018-01-01T08:00:00,390000,320000\n\nb,1,yesterday,390000,320000\n")
    with pytest.raises(InputDataError, match=r"has 2 bad row\(s\)") as caught:
        read_incidents(path)
    assert "line 2: grade '4'" in str(caught.value) and "line 4: timestamp 'yesterday'" in str(caught.value)


def test_missing_columns_are_named(tmp_path):
    path = write(tmp_path, "id,easting,northing\na,390000,320000\n")
    with pytest.raises(InputDataError, match="missing column 'grade'"):
        read_incidents(path)


def test_incidents_outside_the_force_are_named(tmp_path):
    path = write(tmp_path, HEADER + "far,1,2018-01-01T08:00:00,530000,180000\n")
    with pytest.raises(InputDataError, match="line 2: location .* km outside the force area"):
        read_incidents(path)
    far = pd.DataFrame(
        {"id": ["far"], "grade": [1], "timestamp": pd.to_datetime(["2018-01-01T08:00"]), "x_m": [530e3], "y_m": [180e3]}
    )
    with pytest.raises(InputDataError, match="from the force area") as caught:
        demand_from_incidents(far, demand_nodes(), DEFAULT_SHIFTS, source="incidents.csv")
    assert "'far'" in str(caught.value)
