"""``hubplan evaluate`` against a plan of the small test scenario."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from geodata.matrix import nearest_nodes
from optimiser.cli import main
from optimiser.evaluate import EvaluateRequest, evaluate
from optimiser.plan_input import read_plan
from optimiser.response_model import OUTSIDE, build_response_model, shift_lookup

SMALL = "tests/data/scenarios/small.toml"
INCIDENTS = "tests/data/incidents"

# Real places in the small scenario's area (BNG): Stafford town, Burton town, Stone, Uttoxeter, Rugeley, Lichfield.
PLACES = {
    "stafford": (392_176, 323_234),
    "burton": (424_700, 323_300),
    "stone": (390_200, 334_000),
    "uttoxeter": (409_300, 333_500),
    "rugeley": (404_300, 318_000),
    "lichfield": (411_700, 309_300),
}


@pytest.fixture(scope="module")
def plan_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluate")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(root / "cache"))
        assert main(["-q", "optimise", SMALL, "--out", str(root / "plan"), "--replications", "0"]) == 0
    return root / "plan" / "plan.gpkg"


@pytest.fixture(scope="module")
def model(plan_path):
    return build_response_model(read_plan(plan_path))


def incidents_csv(path, rows: list[tuple]) -> str:
    frame = pd.DataFrame(rows, columns=["id", "grade", "timestamp", "easting", "northing", "attendance_s"])
    frame.to_csv(path, index=False)
    return str(path)


@pytest.fixture
def places_file(tmp_path) -> str:
    rows = []
    for k, (name, (x, y)) in enumerate(PLACES.items()):
        for grade, hour, actual in ((1, 3, 600.0), (2, 10, 2400.0), (3, 18, np.nan)):
            rows.append((f"{name}-{grade}", grade, f"2018-06-{k + 1:02d}T{hour:02d}:15:00", x, y, actual))
    return incidents_csv(tmp_path / "places.csv", rows)


def run(plan_path, incidents: str, out, **options) -> pd.DataFrame:
    evaluate(EvaluateRequest(str(plan_path), incidents, **options), out)
    return pd.read_parquet(out / "incidents.parquet")


def test_every_incident_is_scored_with_the_fastest_open_site_of_its_shift(plan_path, model, places_file, tmp_path):
    scored = run(plan_path, places_file, tmp_path / "out")
    assert len(scored) == 3 * len(PLACES)
    assert (scored["shift"] == scored["hour"].map({3: "night", 10: "early", 18: "late"})).all()
    fast = model.network.with_speed_factor(model.response.speed_factor)
    node, snap_m = nearest_nodes(model.network, scored["easting"].to_numpy(), scored["northing"].to_numpy())
    np.testing.assert_allclose(scored["snapped_easting"], model.network.x_m[node], atol=0.05)
    np.testing.assert_allclose(scored["snapped_northing"], model.network.y_m[node], atol=0.05)
    gap_m = np.hypot(scored["snapped_easting"] - scored["easting"], scored["snapped_northing"] - scored["northing"])
    np.testing.assert_allclose(scored["snap_m"], gap_m, atol=0.2)
    sites = model.sites
    for row, incident_node in zip(scored.itertuples(), node, strict=True):
        open_sites = sites[(sites["shift"] == row.shift) | (sites["kind"] == "base")]
        times = dijkstra(fast.csgraph, indices=open_sites["node"].to_numpy())[:, incident_node]
        best = int(np.argmin(times))
        assert row.travel_time_s == pytest.approx(times[best], abs=0.06)
        assert row.response_time_s == pytest.approx(times[best] + model.response.mobilisation_s, abs=0.06)
        assert row.responding_site == open_sites["site_id"].iloc[best]


def test_targets_reasons_and_actuals(plan_path, places_file, tmp_path):
    scored = run(plan_path, places_file, tmp_path / "out")
    graded = scored[scored["grade"] < 3]
    target = np.where(graded["grade"] == 1, 900.0, 3600.0)
    assert (graded["within_target"] == (graded["response_time_s"] <= target)).all()
    assert (graded["missed_reason"] != "").to_numpy().tolist() == (~graded["within_target"]).to_numpy().tolist()
    assert scored.loc[scored["grade"] == 3, "within_target"].isna().all()
    assert scored.loc[scored["grade"] == 3, "missed_reason"].eq("").all()
    assert set(scored["missed_reason"]) <= {"", "no_site_within_target", "beyond_every_base_reach", "no_route"}
    with_actual = scored[scored["actual_response_s"].notna()]
    assert np.allclose(
        with_actual["modelled_minus_actual_s"],
        with_actual["response_time_s"] - with_actual["actual_response_s"],
        atol=0.1,
    )
    actual = pd.read_csv(tmp_path / "out" / "modelled_vs_actual.csv")
    assert actual["incidents_with_actual"].sum() == len(with_actual)


def test_summaries_count_every_incident(plan_path, places_file, tmp_path):
    out = tmp_path / "out"
    run(plan_path, places_file, out)
    for dimension in ("grade", "shift", "base", "local_authority", "hour", "weekday", "month"):
        table = pd.read_csv(out / f"summary_by_{dimension}.csv")
        assert table["incidents"].sum() == 3 * len(PLACES), dimension
    by_grade = pd.read_csv(out / "summary_by_grade.csv").set_index("grade")
    scored = pd.read_parquet(out / "incidents.parquet")
    grade1 = scored[scored["grade"] == 1]
    assert by_grade.loc[1, "share_within_target"] == pytest.approx(grade1["within_target"].mean(), abs=1e-4)
    assert by_grade.loc[1, "mean_response_min"] == pytest.approx(grade1["response_time_s"].mean() / 60, abs=1e-3)
    assert "## By grade" in (out / "summary.md").read_text()


def test_chunking_gives_the_same_result_as_one_pass(plan_path, places_file, tmp_path):
    whole = run(plan_path, places_file, tmp_path / "whole")
    pieces = run(plan_path, places_file, tmp_path / "pieces", chunk_rows=4)
    pd.testing.assert_frame_equal(whole, pieces)
    for name in ("summary_by_hour.csv", "summary_by_base.csv", "modelled_vs_actual.csv"):
        assert (tmp_path / "whole" / name).read_text() == (tmp_path / "pieces" / name).read_text()


def test_bad_rows_fail_by_default_with_their_lines_and_no_output(plan_path, tmp_path, capsys):
    path = incidents_csv(
        tmp_path / "bad.csv",
        [
            ("a", 1, "2018-06-01T10:00:00", *PLACES["stafford"], 500),
            ("b", 7, "2018-06-01T10:00:00", *PLACES["stafford"], 500),
            ("c", 1, "not a time", *PLACES["stafford"], 500),
            ("a", 1, "2018-06-01T11:00:00", *PLACES["burton"], 500),
            ("d", 1, "2018-06-01T11:00:00", 530_000, 180_000, 500),
        ],
    )
    out = tmp_path / "out"
    code = main(["-q", "evaluate", "--plan", str(plan_path), "--incidents", path, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "has 4 bad row(s)" in err and "--on-bad-rows skip" in err
    for reason, line in (("unknown_grade", 3), ("bad_timestamp", 4), ("duplicate_id", 5), ("outside_force_area", 6)):
        assert reason in err and f"line {line}" in err
    assert not out.exists() or not any(out.iterdir())


def test_skip_scores_the_rest_and_writes_the_rejects(plan_path, tmp_path):
    path = incidents_csv(
        tmp_path / "bad.csv",
        [
            ("a", 1, "2018-06-01T10:00:00", *PLACES["stafford"], 500),
            ("b", 7, "2018-06-01T10:00:00", *PLACES["stafford"], 500),
            ("c", 2, "2018-06-01T12:00:00", *PLACES["burton"], np.nan),
        ],
    )
    out = tmp_path / "out"
    scored = run(plan_path, path, out, on_bad_rows="skip")
    assert scored["incident_id"].tolist() == ["a", "c"]
    rejects = pd.read_csv(out / "rejects.csv")
    assert rejects[["line", "id", "reason"]].values.tolist() == [[3, "b", "unknown_grade"]]
    bad = pd.read_csv(out / "bad_rows.csv")
    assert bad[["reason", "rows"]].values.tolist() == [["unknown_grade", 1]]
    assert "line 3" in bad["examples"].iloc[0]


def test_police_uk_file_is_scored_in_the_untimed_shift_with_the_note(plan_path, tmp_path):
    out = tmp_path / "out"
    scored = run(plan_path, f"{INCIDENTS}/policeuk_2018-06.csv", out, on_bad_rows="skip", untimed_shift="night")
    assert len(scored) > 0 and (scored["shift"] == "night").all() and scored["hour"].isna().all()
    assert set(pd.read_csv(out / "summary_by_hour.csv")["hour"]) == {"unknown"}
    assert set(pd.read_csv(out / "summary_by_month.csv")["month"]) == {"2018-06"}
    report = (out / "summary.md").read_text()
    assert "no time of day" in report and "**night** shift" in report and "police.uk" in report
    assert "missing_location" in set(pd.read_csv(out / "rejects.csv")["reason"])


def test_unknown_untimed_shift_and_missing_plan_are_clear_errors(plan_path, tmp_path, capsys):
    args = ["-q", "evaluate", "--incidents", f"{INCIDENTS}/policeuk_2018-06.csv", "--out", str(tmp_path / "o")]
    assert main([*args, "--plan", str(plan_path), "--untimed-shift", "evening"]) == 2
    assert "--untimed-shift 'evening' is not a shift of the plan; valid: early, late, night" in capsys.readouterr().err
    assert main([*args, "--plan", str(tmp_path / "nope.gpkg")]) == 2
    assert "no such plan file or folder" in capsys.readouterr().err


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_moving_a_location_closer_never_lengthens_the_modelled_time(model, data):
    fast = model.network.with_speed_factor(1.2)
    site_nodes = model.sites["node"].to_numpy().copy()
    open_rows = np.flatnonzero((model.sites["shift"] == "early") | (model.sites["kind"] == "base"))
    incident = data.draw(st.integers(0, fast.n_nodes - 1), label="incident node")
    moved = data.draw(st.sampled_from(open_rows.tolist()), label="site moved")
    to_incident = dijkstra(fast.csgraph.T.tocsr(), indices=incident)  # time from every node to the incident
    closer = np.flatnonzero(to_incident <= to_incident[site_nodes[moved]])
    before = shift_lookup(fast, "early", site_nodes, open_rows, 780.0)
    site_nodes[moved] = data.draw(st.sampled_from(closer.tolist()), label="new node")
    after = shift_lookup(fast, "early", site_nodes, open_rows, 780.0)
    assert after.travel_s[incident] <= before.travel_s[incident] + 1e-9


def test_local_authorities_are_named_as_in_the_plan_kpis(model, plan_path):
    kpis = json.loads((plan_path.parent / "kpis.json").read_text())
    names = set(np.unique(model.local_authority))
    assert names - {OUTSIDE} == set(kpis["grade1"]["by_local_authority"])
    assert "Stoke-on-Trent" in names


def test_synthetic_incidents_end_to_end_are_labelled_in_every_output(plan_path, tmp_path, capsys):
    incidents = tmp_path / "synthetic.csv"
    assert main(["incidents", "synth", "--year", "2018", "--n", "300", "--seed", "3", "--out", str(incidents)]) == 0
    out = tmp_path / "out"
    assert main(["evaluate", "--plan", str(plan_path), "--incidents", str(incidents), "--out", str(out)]) == 0
    assert "300 incidents are labelled synthetic" in " ".join(capsys.readouterr().out.split())
    scored = pd.read_parquet(out / "incidents.parquet")
    assert len(scored) == 300 and set(scored["source"]) == {"synthetic"}
    summary = (out / "summary.md").read_text()
    assert "Rows by source label: synthetic 300." in summary
    assert "**300 incidents are SYNTHETIC**" in summary
