"""Deployment locations outside the force area or answering almost nothing are flagged."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from optimiser.console import print_site_checks
from optimiser.site_checks import (
    LITTLE_GRADE1_PER_YEAR,
    nearest_other_base,
    outside_force_area_m,
    site_check_lines,
    site_checks,
)

#: Stafford police station (inside), a point in Coventry (22.9 km outside, as the area check reports it).
STAFFORD = (392450.0, 323195.0)
COVENTRY = (433000.0, 279000.0)


def locations() -> pd.DataFrame:
    rows = [
        ("J1", "early", "Hanley", "J1 junction", "ST16 2DQ", *STAFFORD, 12.5),
        ("J2", "early", "Burton", "J2 junction", "CV6 2BJ", *COVENTRY, 3.0),
        ("J3", "night", "Burton", "J3 junction", "ST16 2DQ", *STAFFORD, 0.4),
    ]
    columns = ["location_id", "shift", "base", "name", "nearest_postcode", "easting", "northing"]
    frame = pd.DataFrame(rows, columns=[*columns, "grade1_first_response_per_year"])
    frame["outside_force_area_m"] = outside_force_area_m(frame["easting"].to_numpy(), frame["northing"].to_numpy())
    return frame


def test_distance_outside_is_zero_inside_and_metres_outside():
    distance = outside_force_area_m([STAFFORD[0], COVENTRY[0]], [STAFFORD[1], COVENTRY[1]])
    assert distance[0] == 0.0
    assert distance[1] == pytest.approx(22_900, abs=100)
    assert outside_force_area_m([], []).size == 0


def test_checks_list_the_sites_outside_and_those_answering_little():
    checks = site_checks(locations(), area_buffer_m=2000.0)
    assert [s["location_id"] for s in checks["outside_force_area"]] == ["J2"]
    assert checks["outside_force_area"][0]["outside_force_area_m"] > 20_000
    assert [s["location_id"] for s in checks["answer_little"]] == ["J3"]
    assert checks["little_grade1_per_year"] == LITTLE_GRADE1_PER_YEAR and checks["area_buffer_m"] == 2000.0
    lines = site_check_lines(checks, total=3)
    assert lines[0].startswith("1 of 3 deployment location-shifts lie outside the force area (allowed up to ")
    assert "J2 (early, CV6 2BJ) 22," in lines[0]
    assert (
        lines[1]
        == "1 of 3 deployment location-shifts answer first fewer than 1 Grade 1 incidents a year: J3 (night) 0.4"
    )


def test_nothing_to_flag_prints_nothing(tmp_path):
    clean = locations().iloc[:1]
    assert site_check_lines(site_checks(clean, area_buffer_m=0.0), total=1) == []
    console = Console(record=True, width=200)
    print_site_checks(tmp_path, console)  # no plan here: nothing
    assert console.export_text() == ""


def test_terminal_prints_what_kpis_json_flags(tmp_path):
    frame = locations()
    frame.to_csv(tmp_path / "plan.csv", index=False)
    (tmp_path / "kpis.json").write_text(json.dumps({"site_checks": site_checks(frame, area_buffer_m=2000.0)}))
    console = Console(record=True, width=400)
    print_site_checks(tmp_path, console)
    lines = console.export_text().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"check {tmp_path.name}: 1 of 3 deployment location-shifts lie outside the force area")
    assert lines[1].endswith("answer first fewer than 1 Grade 1 incidents a year: J3 (night) 0.4")


def crowded() -> pd.DataFrame:
    """Early: Hanley's H1 and H2 sit 300 m and 2 km from Burton's B1; night: Burton alone."""
    rows = [
        ("H1", "early", "Hanley", STAFFORD[0] + 300.0, STAFFORD[1]),
        ("H2", "early", "Hanley", STAFFORD[0], STAFFORD[1] + 2000.0),
        ("B1", "early", "Burton", *STAFFORD),
        ("B2", "night", "Burton", *STAFFORD),
        ("B3", "night", "Burton", STAFFORD[0] + 100.0, STAFFORD[1]),
    ]
    frame = pd.DataFrame(rows, columns=["location_id", "shift", "base", "easting", "northing"])
    return frame.assign(name=frame["location_id"], nearest_postcode="ST16 2DQ", grade1_first_response_per_year=5.0)


def test_nearest_other_base_looks_only_at_other_bases_in_the_same_shift():
    near = nearest_other_base(crowded())
    assert near["nearest_other_base_m"].iloc[:3].tolist() == [300.0, 2000.0, 300.0]
    assert near["nearest_other_base_location"].tolist() == ["Burton B1", "Burton B1", "Hanley H1", "", ""]
    assert near["nearest_other_base_m"].iloc[3:].isna().all()  # a base's own locations are not "another base"


def test_checks_list_locations_beside_another_bases_location():
    frame = crowded().assign(outside_force_area_m=0.0)
    checks = site_checks(frame, area_buffer_m=0.0)
    assert [(s["location_id"], s["nearest_other_base_location"]) for s in checks["near_other_base"]] == [
        ("H1", "Burton B1"),
        ("B1", "Hanley H1"),
    ]
    (line,) = site_check_lines(checks, total=5)
    assert line == (
        "2 of 5 deployment location-shifts lie within 500 m of another base's location in the same shift: "
        "H1 (Hanley, early) 300 m from Burton B1, B1 (Burton, early) 300 m from Hanley H1"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["early", "late"]), st.integers(0, 3000)),
        min_size=1,
        max_size=12,
    )
)
def test_nearest_other_base_is_the_minimum_over_other_bases(rows):
    frame = pd.DataFrame(rows, columns=["base", "shift", "easting"]).assign(northing=0.0)
    frame["location_id"] = [f"L{i}" for i in range(len(frame))]
    near = nearest_other_base(frame)
    for i, row in frame.iterrows():
        others = frame[(frame["shift"] == row["shift"]) & (frame["base"] != row["base"])]
        expected = (others["easting"] - row["easting"]).abs().min() if len(others) else np.nan
        assert near.loc[i, "nearest_other_base_m"] == pytest.approx(expected, nan_ok=True)
        named_base = near.loc[i, "nearest_other_base_location"].split(" ")[0] if len(others) else ""
        assert named_base != row["base"]
