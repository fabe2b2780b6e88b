"""One incident file, two commands: ``optimise`` (incident-file demand) and ``evaluate`` read it alike.

Each case pins a defect of the time when the two commands had separate readers:

* grade ``"1.0"``: ``optimise`` refused it, ``evaluate`` read it as 1;
* a timestamp with a UTC offset: ``optimise`` took the hour before converting
  to UK time, so the incident landed in another shift than in ``evaluate``;
* a file with both lon,lat and postcode columns: ``optimise`` refused it,
  ``evaluate`` used lon,lat;
* a bad row in a Parquet file: ``optimise`` named it "line <row + 1>",
  ``evaluate`` "line <row>"; both now say "row <row>".

The decided rules are in the docstring of :mod:`geodata.incidents`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from geodata import embedded
from geodata.demand import Demand
from geodata.errors import InputDataError
from geodata.incidents import read_incidents
from optimiser.cli import main
from optimiser.evaluate import EvaluateRequest, evaluate
from optimiser.prepare import scenario_demand
from optimiser.scenario import load_scenario

SMALL = "tests/data/scenarios/small.toml"
STAFFORD = (392_176.0, 323_234.0)
BURTON = (424_700.0, 323_300.0)
#: Stafford town centre in WGS84 degrees, and a postcode in Burton (a different place on purpose).
STAFFORD_LON, STAFFORD_LAT = -2.1170, 52.8069
BURTON_POSTCODE = "DE14 1AA"


@pytest.fixture(scope="module")
def plan_path(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("contract")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(root / "cache"))
        assert main(["-q", "optimise", SMALL, "--out", str(root / "plan"), "--replications", "0"]) == 0
    return root / "plan" / "plan.gpkg"


def optimise_demand(path: Path) -> Demand:
    """The demand ``hubplan optimise`` builds from ``[demand] source = path``."""
    scenario = load_scenario(SMALL)
    return scenario_demand(replace(scenario, demand=replace(scenario.demand, source=str(path))))


def evaluate_scored(plan_path: Path, path: Path, out: Path) -> pd.DataFrame:
    """The per-incident output of ``hubplan evaluate``."""
    evaluate(EvaluateRequest(str(plan_path), str(path)), out)
    return pd.read_parquet(out / "incidents.parquet")


def demand_of_scored(scored: pd.DataFrame, demand: Demand) -> dict[int, np.ndarray]:
    """Grade 1 and 2 incidents a year per node and shift, counted from evaluate's incidents (grade, place, shift)."""
    _, node = cKDTree(demand.nodes[["x_m", "y_m"]].to_numpy(float)).query(scored[["easting", "northing"]].to_numpy())
    shift = {s.name: k for k, s in enumerate(demand.shifts)}
    column = scored["shift"].map(shift).to_numpy()
    stamps = pd.to_datetime(scored["timestamp"])
    years = max((stamps.max() - stamps.min()).total_seconds() / 86_400.0, 1.0) / 365.25
    counts = {}
    for grade in (1, 2):
        rows = scored["grade"].to_numpy() == grade
        array = np.zeros(demand.grade1.shape)
        np.add.at(array, (node[rows], column[rows]), 1.0)
        counts[grade] = array / years
    return counts


def assert_same_incidents(plan_path: Path, path: Path, out: Path) -> pd.DataFrame:
    """Both commands place the same incidents, with the same grades, in the same nodes and shifts."""
    demand = optimise_demand(path)
    scored = evaluate_scored(plan_path, path, out)
    incidents = read_incidents(path, postcode_lookup=embedded.lookup_postcodes)  # what optimise's demand counts
    assert incidents["id"].tolist() == scored["incident_id"].tolist()
    assert incidents["grade"].tolist() == scored["grade"].tolist()
    np.testing.assert_allclose(
        incidents[["x_m", "y_m"]].to_numpy(), scored[["easting", "northing"]].to_numpy(), atol=0.05
    )
    assert (pd.to_datetime(incidents["timestamp"]) == pd.to_datetime(scored["timestamp"])).all()
    expected = demand_of_scored(scored, demand)
    np.testing.assert_allclose(demand.grade1, expected[1])
    np.testing.assert_allclose(demand.grade2, expected[2])
    return scored


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_grade_written_as_an_integral_float_is_that_grade_in_both(plan_path, tmp_path):
    path = write_csv(
        tmp_path / "grades.csv",
        "id,grade,timestamp,easting,northing\n"
        f"a,1.0,2018-06-01T10:00:00,{STAFFORD[0]},{STAFFORD[1]}\n"
        f"b,2.0,2018-06-02T16:00:00,{BURTON[0]},{BURTON[1]}\n"
        f"c,1,2018-06-03T01:00:00,{BURTON[0]},{BURTON[1]}\n",
    )
    scored = assert_same_incidents(plan_path, path, tmp_path / "out")
    assert scored["grade"].tolist() == [1, 2, 1]


def test_a_non_integral_grade_is_the_same_error_in_both(plan_path, tmp_path):
    path = write_csv(
        tmp_path / "grades.csv",
        f"id,grade,timestamp,easting,northing\na,1.5,2018-06-01T10:00:00,{STAFFORD[0]},{STAFFORD[1]}\n",
    )
    message = "line 2: grade '1.5' is not 1, 2 or 3"
    assert_same_error(plan_path, path, tmp_path / "out", message)


def test_utc_times_near_a_shift_boundary_land_in_the_uk_shift_in_both(plan_path, tmp_path):
    path = write_csv(
        tmp_path / "utc.csv",
        "id,grade,timestamp,easting,northing\n"
        # 06:30 UTC is 07:30 BST: early shift (the hour before conversion, 6, is night).
        f"z,1,2018-07-01T06:30:00Z,{STAFFORD[0]},{STAFFORD[1]}\n"
        # 22:30 UTC is 23:30 BST: night shift (not late).
        f"y,2,2018-07-01T22:30:00Z,{BURTON[0]},{BURTON[1]}\n",
    )
    scored = assert_same_incidents(plan_path, path, tmp_path / "out")
    assert scored["shift"].tolist() == ["early", "night"]
    assert scored["hour"].tolist() == [7, 23]


def test_mixed_offsets_and_naive_times_are_uk_clock_time_in_both(plan_path, tmp_path):
    path = write_csv(
        tmp_path / "offsets.csv",
        "id,grade,timestamp,easting,northing\n"
        # 15:30 at +02:00 is 13:30 UTC, 14:30 BST: early shift, not late.
        f"p,2,2018-07-02T15:30:00+02:00,{BURTON[0]},{BURTON[1]}\n"
        # 22:30 at +01:00 in winter is 21:30 GMT: late.
        f"w,1,2018-12-01T22:30:00+01:00,{BURTON[0]},{BURTON[1]}\n"
        # A naive time is UK clock time as written: night.
        f"n,1,2018-07-03T06:30:00,{STAFFORD[0]},{STAFFORD[1]}\n",
    )
    scored = assert_same_incidents(plan_path, path, tmp_path / "out")
    assert scored["shift"].tolist() == ["early", "late", "night"]
    assert scored["hour"].tolist() == [14, 21, 6]


def test_lonlat_wins_over_a_postcode_column_in_both(plan_path, tmp_path):
    path = write_csv(
        tmp_path / "two_forms.csv",
        "id,grade,timestamp,lon,lat,postcode\n"
        f"a,1,2018-06-01T10:00:00,{STAFFORD_LON},{STAFFORD_LAT},{BURTON_POSTCODE}\n"
        f"b,2,2018-06-02T10:00:00,{STAFFORD_LON},{STAFFORD_LAT},\n",
    )
    scored = assert_same_incidents(plan_path, path, tmp_path / "out")
    assert np.hypot(scored["easting"] - STAFFORD[0], scored["northing"] - STAFFORD[1]).max() < 500


def assert_same_error(plan_path: Path, path: Path, out: Path, message: str) -> None:
    """Both commands refuse the file, naming it and giving ``message`` for the bad row."""
    with pytest.raises(InputDataError, match="bad row") as optimise_error:
        optimise_demand(path)
    with pytest.raises(InputDataError, match="bad row") as evaluate_error:
        evaluate(EvaluateRequest(str(plan_path), str(path)), out)
    for caught in (optimise_error, evaluate_error):
        assert caught.value.source == str(path)
        assert any(problem.startswith(message) or f"e.g. {message}" in problem for problem in caught.value.problems)
    assert [p for p in optimise_error.value.problems if p.startswith(message)] == [
        p.split("e.g. ", 1)[1] for p in evaluate_error.value.problems if f"e.g. {message}" in p
    ]


def test_a_bad_parquet_row_is_named_by_the_same_row_number_in_both(plan_path, tmp_path):
    path = tmp_path / "incidents.parquet"
    pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "grade": ["1", "2", "7"],
            "timestamp": ["2018-06-01T10:00:00"] * 3,
            "easting": [STAFFORD[0]] * 3,
            "northing": [STAFFORD[1]] * 3,
        }
    ).to_parquet(path, index=False)
    assert_same_error(plan_path, path, tmp_path / "out", "row 3: grade '7' is not 1, 2 or 3")
