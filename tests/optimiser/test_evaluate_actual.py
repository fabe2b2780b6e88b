"""``hubplan evaluate`` with actual attendance times and police.uk files: what happened beside what was modelled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from maps.misses import build_misses_page
from optimiser.cli import main
from optimiser.evaluate import EvaluateRequest, evaluate
from optimiser.evaluation_misses import MissCells
from optimiser.evaluation_summary import ACTUAL_SUMMARY_COLUMNS, DIMENSIONS
from tests.optimiser.test_evaluate import PLACES, SMALL, incidents_csv

POLICE_UK_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
    "Last outcome category,Context"
)
#: Stafford and Burton town centres (WGS84), real places in the small scenario's area.
POLICE_UK_ROWS = (
    "a1,2018-06,Staffordshire Police,Staffordshire Police,-2.1175,52.8066,On or near Market Square,E01029640,"
    "Stafford 008A,Violence and sexual offences,Under investigation,",
    ",2018-06,Staffordshire Police,Staffordshire Police,-1.6313,52.8027,On or near Station Street,E01032897,"
    "East Staffordshire 011B,Anti-social behaviour,,",
    "a3,2018-06,Staffordshire Police,Staffordshire Police,,,No Location,,,Criminal damage and arson,"
    "Unable to prosecute suspect,",
    "a4,2018-06,Staffordshire Police,Staffordshire Police,,,No Location,,,Burglary,Under investigation,",
)


@pytest.fixture(scope="module")
def plan_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate-actual")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(root / "cache"))
        assert main(["-q", "optimise", SMALL, "--out", str(root / "plan"), "--replications", "0"]) == 0
    return root / "plan" / "plan.gpkg"


@pytest.fixture
def actual_file(tmp_path) -> str:
    """Every place at two hours with Grade 1 and 2: some actual times within target, some far over it."""
    rows = []
    for k, (name, (x, y)) in enumerate(PLACES.items()):
        for grade, actual in ((1, 600.0 + 300.0 * k), (2, 1800.0 + 900.0 * k)):
            for hour in (3, 18):
                rows.append((f"{name}-{grade}-{hour}", grade, f"2018-06-{k + 1:02d}T{hour:02d}:15:00", x, y, actual))
    rows.append(("no-actual", 1, "2018-06-09T12:00:00", *PLACES["stafford"], np.nan))
    return incidents_csv(tmp_path / "actual.csv", rows)


def test_every_summary_has_actual_beside_modelled(plan_path, actual_file, tmp_path):
    out = tmp_path / "out"
    evaluate(EvaluateRequest(str(plan_path), actual_file), out)
    scored = pd.read_parquet(out / "incidents.parquet")
    with_actual = scored[scored["actual_response_s"].notna()]
    for dimension in DIMENSIONS:
        table = pd.read_csv(out / f"summary_by_{dimension}.csv")
        assert set(ACTUAL_SUMMARY_COLUMNS) <= set(table.columns), dimension
        assert table["incidents_with_actual"].sum() == len(with_actual), dimension
    by_shift = pd.read_csv(out / "summary_by_shift.csv").set_index(["shift", "grade"])
    for (shift, grade), rows in with_actual.groupby(["shift", "grade"]):
        expected_share = (rows["actual_response_s"] <= (900.0 if grade == 1 else 3600.0)).mean()
        assert by_shift.loc[(shift, grade), "actual_share_within_target"] == pytest.approx(expected_share, abs=1e-4)
        expected_mean = rows["actual_response_s"].mean() / 60.0
        assert by_shift.loc[(shift, grade), "actual_mean_min"] == pytest.approx(expected_mean, abs=1e-3)
    report = (out / "summary.md").read_text()
    assert "Grade 1 actual within target" in report and "## By month" in report


def test_largest_differences_are_minutes_per_grade_with_site_names(plan_path, actual_file, tmp_path):
    out = tmp_path / "out"
    evaluate(EvaluateRequest(str(plan_path), actual_file), out)
    scored = pd.read_parquet(out / "incidents.parquet").set_index("incident_id")
    largest = pd.read_csv(out / "largest_differences.csv")
    assert largest["grade"].tolist() == sorted(largest["grade"])  # Grade 1 first
    for _, rows in largest.groupby("grade"):
        assert rows["modelled_minus_actual_min"].abs().is_monotonic_decreasing
    row = largest.iloc[0]
    source = scored.loc[row["incident_id"]]
    assert row["modelled_minus_actual_min"] == pytest.approx(round(source["modelled_minus_actual_s"] / 60, 1))
    assert row["actual_response_min"] == pytest.approx(round(source["actual_response_s"] / 60, 1))
    assert (largest["responding_site_name"].str.len() > 0).all()
    report = (out / "summary.md").read_text()
    assert "## Grade 1: largest differences" in report and "## Grade 2: largest differences" in report


def test_not_applicable_cells_are_blank_not_minus_one(plan_path, actual_file, tmp_path):
    out = tmp_path / "out"
    evaluate(EvaluateRequest(str(plan_path), actual_file), out)
    scored = pd.read_csv(out / "incidents.csv")
    grade2 = scored[scored["grade"] == 2]
    assert grade2["grade1_sites_within_target"].isna().all()
    assert (scored.loc[scored["grade"] == 1, "grade1_sites_within_target"] >= 0).all()
    assert not (scored.select_dtypes("number") == -1).any().any()
    named = scored[scored["responding_kind"] == "location"]
    assert len(named) and (named["responding_site_name"] != named["responding_site"]).all()


def test_miss_cells_count_every_actual_miss_and_what_the_model_expected(plan_path, actual_file, tmp_path):
    out = tmp_path / "out"
    evaluate(EvaluateRequest(str(plan_path), actual_file), out)
    scored = pd.read_parquet(out / "incidents.parquet")
    cells = MissCells()
    for chunk in np.array_split(np.arange(len(scored)), 3):  # chunked adds give the same totals
        part = scored.iloc[chunk]
        cells.add(part[part["actual_response_s"].notna()])
    table = cells.table()
    graded = scored[scored["actual_within_target"].notna()]
    missed = graded[~graded["actual_within_target"].astype(bool)]
    assert len(missed) > 0
    assert table["actual_missed"].sum() == len(missed)
    assert table["missed_model_expected_in_time"].sum() == int(missed["within_target"].astype(bool).sum())
    assert table["with_actual"].sum() == len(graded)
    assert (
        table["missed_model_expected_in_time"] + table["missed_model_expected_miss"] == table["actual_missed"]
    ).all()
    page = (out / "misses.html").read_text()
    assert "Grade 1 missed, model expected in time" in page and "unpkg" not in page


def test_misses_page_has_a_layer_per_grade_and_kind():
    import geopandas as gpd
    from shapely.geometry import box

    cells = pd.DataFrame(
        {
            "grade": [1, 1, 2],
            "shift": ["early", "night", "late"],
            "x_m": [392_500.0, 392_500.0, 424_500.0],
            "y_m": [323_500.0, 323_500.0, 323_500.0],
            "with_actual": [4, 2, 5],
            "actual_missed": [3, 1, 2],
            "missed_model_expected_in_time": [3, 0, 2],
            "missed_model_expected_miss": [0, 1, 0],
        }
    )
    boundaries = gpd.GeoDataFrame(
        {"kind": ["force"], "name": ["force"]}, geometry=[box(380_000, 300_000, 440_000, 350_000)], crs=27700
    )
    fmap = build_misses_page(cells, boundaries, title="misses")
    names = [child.layer_name for child in fmap._children.values() if hasattr(child, "rows")]
    assert names == [
        "Grade 1 missed, model expected in time",
        "Grade 1 missed, model expected the miss",
        "Grade 2 missed, model expected in time",
        "Grade 2 missed, model expected the miss",
    ]
    rows = [child.rows for child in fmap._children.values() if hasattr(child, "rows")]
    assert [len(r) for r in rows] == [1, 1, 1, 0]
    assert "early 3, night 1" in rows[0][0][4]
    with pytest.raises(ValueError, match="lack column"):
        build_misses_page(cells.drop(columns="shift"), boundaries, title="misses")


def test_police_uk_no_location_rows_are_counted_not_fatal(plan_path, tmp_path, capsys):
    path = tmp_path / "policeuk.csv"
    path.write_text("\n".join([POLICE_UK_HEADER, *POLICE_UK_ROWS]) + "\n")
    out = tmp_path / "out"
    assert main(["evaluate", "--plan", str(plan_path), "--incidents", str(path), "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "2 police.uk rows have No Location" in printed
    assert "ASSUMED crime-type mapping" in printed and "scored in the late shift" in printed
    assert len(pd.read_parquet(out / "incidents.parquet")) == 2
    bad = pd.read_csv(out / "bad_rows.csv")
    assert bad[["reason", "rows", "expected"]].values.tolist() == [["missing_location", 2, True]]
    assert "No Location" in (out / "summary.md").read_text()


def test_police_uk_other_bad_rows_still_follow_on_bad_rows(plan_path, tmp_path, capsys):
    bad_month = POLICE_UK_ROWS[0].replace("a1,2018-06", "a9,June 2018")
    path = tmp_path / "policeuk.csv"
    path.write_text("\n".join([POLICE_UK_HEADER, *POLICE_UK_ROWS, bad_month]) + "\n")
    out = tmp_path / "out"
    assert main(["-q", "evaluate", "--plan", str(plan_path), "--incidents", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "has 1 bad row(s)" in err and "line 6" in err and "missing_location" not in err


def test_terminal_headline_prints_actual_beside_modelled(plan_path, actual_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["evaluate", "--plan", str(plan_path), "--incidents", actual_file, "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    by_grade = pd.read_csv(out / "summary_by_grade.csv").set_index("grade")
    assert "actual" in printed and "modelled" in printed
    assert f"{by_grade.loc[1, 'actual_share_within_target']:.1%}" in printed
