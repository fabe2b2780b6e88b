"""hubplan optimise end to end on a small scenario: files, KPIs, evaluator agreement, bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geodata.atomic import run_record_path
from maps.panel import group_shares, kpi_panel_html
from models.bands import DEFAULT_BANDS, PreTravelDelay, grade1_bands
from models.kpis import PlanKpis
from optimiser.cli import main
from optimiser.plan_input import read_plan
from optimiser.plan_settings import PLAN_FORMAT_VERSION
from tests.optimiser.plans import optimised_plan, shared_cache

SMALL = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "small.toml"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory) -> Path:
    return optimised_plan(tmp_path_factory, SMALL, "plan")


def test_optimise_writes_the_three_files(small_plan):
    record = run_record_path(small_plan, "plan")
    assert sorted(p.name for p in small_plan.iterdir()) == sorted([record.name, "kpis.json", "plan.csv", "plan.gpkg"])
    assert json.loads(record.read_text())["state"] == "complete"
    layers = {name for name, _ in pyogrio.list_layers(small_plan / "plan.gpkg")}
    assert layers == {"bases", "deployment_locations", "demand", "candidates", "settings"}


def test_plan_records_the_settings_evaluate_needs(small_plan):
    settings = pyogrio.read_dataframe(small_plan / "plan.gpkg", layer="settings")
    plan = json.loads(settings.loc[settings["key"] == "plan", "value"].iloc[0])
    assert plan["format_version"] == PLAN_FORMAT_VERSION == 3
    response = plan["response"]
    standard = response["standard"]
    assert standard["name"] == "force-2018" and standard["clock_start"] == "call_received"
    assert standard["targets_min"] == {
        "grade1": {"urban": 15.0, "rural": 15.0},
        "grade2": {"urban": 60.0, "rural": 60.0},
    }
    assert plan["area_classes"]["source"] == "derived" and len(plan["area_classes"]["classes"]) == 687
    assert response["mobilisation_s"] == 60.0 and response["speed_factor"] == 1.0
    assert set(response["max_base_travel_s"]) == {"Stafford", "Burton"}
    assert [s["name"] for s in response["shifts"]] == ["early", "late", "night"]
    assert len(plan["network"]["fingerprint"]) > 0


def test_busy_fractions_are_computed_once_and_agree_everywhere(small_plan):
    """kpis.json, the settings layer and the demand layer's expected cover use the same busy fractions."""
    plan = read_plan(small_plan, demand=True, kpis=True)
    busy = dict(plan.response.busy_fraction_by_shift)
    assert dict(plan.kpis.busy_fraction_by_shift) == {k: round(v, 4) for k, v in busy.items()}
    demand = plan.demand
    q = demand["shift"].map(busy).to_numpy(float)
    np.testing.assert_allclose(
        demand["grade1_expected_cover"], 1.0 - q ** demand["grade1_sites_within_target"].to_numpy(float)
    )


def test_incidents_at_the_demand_nodes_score_as_the_plan_says(small_plan, tmp_path):
    """The contract between optimise and evaluate: the same response model gives the same times and counts."""
    plan = read_plan(small_plan, demand=True)
    demand = plan.demand
    start_hour = {s.name: s.start_hour for s in plan.response.shifts}
    incidents = pd.DataFrame(
        {
            "id": [f"n{k}" for k in range(len(demand))],
            "grade": 1,
            "timestamp": [f"2018-06-04T{(start_hour[s] + 1) % 24:02d}:30:00" for s in demand["shift"]],
            "easting": demand["x_m"],
            "northing": demand["y_m"],
        }
    )
    incidents.to_csv(tmp_path / "incidents.csv", index=False)
    out = tmp_path / "eval"
    args = ["-q", "evaluate", "--plan", str(small_plan / "plan.gpkg"), "--incidents", str(tmp_path / "incidents.csv")]
    assert main([*args, "--out", str(out)]) == 0
    scored = pd.read_parquet(out / "incidents.parquet").set_index("incident_id").loc[incidents["id"]]
    assert scored["shift"].tolist() == demand["shift"].tolist()
    reached = demand["response_time_s"].notna().to_numpy()
    np.testing.assert_allclose(
        scored["response_time_s"].to_numpy(float)[reached],
        demand["response_time_s"].to_numpy(float)[reached],
        atol=0.06,
    )
    assert (scored["response_time_s"].to_numpy(float)[~reached] > 3600.0).all()
    np.testing.assert_array_equal(
        scored["grade1_sites_within_target"].to_numpy(int), demand["grade1_sites_within_target"].to_numpy(int)
    )
    np.testing.assert_allclose(
        scored["grade1_chance_free_car_within_target"].to_numpy(float), demand["grade1_expected_cover"], atol=1e-9
    )


def _rewrite_settings(plan_dir: Path, change) -> None:
    """Edit the settings layer and drop the run record, as a plan assembled by hand (no record) would be."""
    run_record_path(plan_dir, "plan").unlink()
    gpkg = plan_dir / "plan.gpkg"
    table = pyogrio.read_dataframe(gpkg, layer="settings")
    settings = json.loads(table["value"].iloc[0])
    change(settings)
    table["value"] = [json.dumps(settings)]
    pyogrio.write_dataframe(table, gpkg, layer="settings", driver="GPKG")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(format_version=1), r"is plan format 1; this hubplan reads format 3; re-optimise it"),
        (lambda s: s["response"].pop("mobilisation_s"), r"unreadable plan settings.*mobilisation_s is missing"),
        (lambda s: s["network"].update(fingerprint="0" * 16), r"different road network.*re-run hubplan optimise"),
    ],
    ids=["older-version", "missing-key", "other-network"],
)
@pytest.mark.parametrize("command", ["report", "evaluate"])
def test_report_and_evaluate_refuse_the_same_bad_plans(small_plan, tmp_path, capsys, change, message, command):
    """Both commands read plans through one reader: nothing defaulted, the network fingerprint checked."""
    plan_dir = tmp_path / "plan"
    shutil.copytree(small_plan, plan_dir)
    _rewrite_settings(plan_dir, change)
    incidents = Path(__file__).resolve().parents[1] / "data" / "incidents" / "hubplan_easting_northing.csv"
    if command == "report":
        argv = ["report", str(plan_dir), "--out", str(tmp_path / "report.html")]
    else:
        argv = ["evaluate", "--plan", str(plan_dir / "plan.gpkg"), "--incidents", str(incidents)]
        argv += ["--out", str(tmp_path / "eval")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(message, err, flags=re.DOTALL), err
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "eval" / "summary.md").exists()


def test_each_base_gets_its_locations_in_every_shift(small_plan):
    locations = gpd.read_file(small_plan / "plan.gpkg", layer="deployment_locations")
    counts = locations.groupby(["shift", "base"]).size().to_dict()
    assert counts == {(s, b): 2 for s in ("early", "late", "night") for b in ("Stafford", "Burton")}
    assert locations["nearest_postcode"].str.match(r"^[A-Z]{1,2}\d").all()
    assert locations.crs.to_epsg() == 27700


def test_kpis_have_the_documented_shape(small_plan):
    kpis = json.loads((small_plan / "kpis.json").read_text())
    for grade in ("grade1", "grade2"):
        assert 0.0 <= kpis[grade]["covered_share"] <= 1.0
        assert set(kpis[grade]["by_base"]) == {"Stafford", "Burton"}
        assert set(kpis[grade]["by_shift"]) == {"early", "late", "night"}
        assert len(kpis[grade]["by_local_authority"]) == 9
        assert kpis[grade]["expected_covered_share"] <= kpis[grade]["covered_share"] + 1e-9
    assert set(kpis["solver"]) >= {"status", "objective", "bound", "gap", "seconds"}
    assert kpis["solver"]["status"] == "optimal"


def test_solver_objective_agrees_with_the_demand_layer(small_plan):
    """Independent check: the banded Grade 1 score of plan.gpkg's response times is the solver's objective,
    and the demand flagged covered gives the covered share."""
    kpis = json.loads((small_plan / "kpis.json").read_text())
    demand = gpd.read_file(small_plan / "plan.gpkg", layer="demand")
    settings = read_plan(small_plan).settings
    delay = PreTravelDelay(
        settings.simulation.call_handling_grade1_median_s, settings.simulation.call_handling_grade1_log_sd
    )
    bands = grade1_bands(900.0, settings.response.mobilisation_s, delay, n_bands=DEFAULT_BANDS)
    banded = (demand["grade1_per_year"] * bands.score(demand["response_time_s"].to_numpy(float))).sum()
    assert banded == pytest.approx(kpis["solver"]["objective"], rel=1e-6)
    covered = demand.loc[demand["covered_grade1"], "grade1_per_year"].sum()
    by_time = demand.loc[demand["response_time_s"] <= 900.0, "grade1_per_year"].sum()
    assert by_time == pytest.approx(covered)
    assert kpis["grade1"]["covered_share"] == pytest.approx(covered / demand["grade1_per_year"].sum(), abs=1e-6)


@pytest.mark.parametrize(
    ("key", "column"), [("expected_by_base", "responding_base"), ("expected_by_local_authority", "la_name")]
)
def test_busy_cars_by_base_and_local_authority_agree_with_the_demand_layer(small_plan, key, column):
    """Independent check: the expected cover of plan.gpkg's demand layer, grouped, gives the KPI per group."""
    kpis = json.loads((small_plan / "kpis.json").read_text())
    demand = gpd.read_file(small_plan / "plan.gpkg", layer="demand")
    demand = demand[demand[column] != ""]
    weight = demand["grade1_per_year"]
    expected = (weight * demand["grade1_expected_cover"]).groupby(demand[column]).sum() / weight.groupby(
        demand[column]
    ).sum()
    shares = kpis["grade1"][key]
    assert set(shares) == set(kpis["grade1"][key.removeprefix("expected_")])
    assert shares == pytest.approx(expected.to_dict(), abs=1e-6)
    assert all(shares[name] <= kpis["grade1"][key.removeprefix("expected_")][name] + 1e-9 for name in shares)


def test_the_panel_shows_busy_cars_by_base_and_local_authority(small_plan):
    kpis = PlanKpis.from_json(json.loads((small_plan / "kpis.json").read_text()))
    for grouping in ("base", "local_authority"):
        travel, busy = group_shares(kpis.grade1, grouping)
        assert set(busy) == set(travel) and all(0.0 < share < 1.0 for share in busy.values())
    assert "not in this plan" not in kpi_panel_html(kpis)


def test_a_base_with_too_few_reachable_candidates_is_named(tmp_path, capsys):
    scenario = tmp_path / "tight.toml"
    text = SMALL.read_text().replace("max_base_travel_min = 40", "max_base_travel_min = 1")
    scenario.write_text(text)
    code = main(["optimise", str(scenario), "--out", str(tmp_path / "out"), "--workers", "1", "--replications", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "Stafford" in err or "Burton" in err
    assert not (tmp_path / "out" / "kpis.json").exists()


def test_bad_scenario_exits_2(tmp_path, capsys):
    scenario = tmp_path / "bad.toml"
    scenario.write_text(SMALL.read_text().replace('objective = "ranked"', 'objective = "best"'))
    assert main(["optimise", str(scenario), "--out", str(tmp_path / "out"), "--replications", "0"]) == 2
    assert "valid choices: ranked, weighted" in capsys.readouterr().err


def test_failed_write_leaves_no_files(tmp_path, monkeypatch, small_plan):
    out = tmp_path / "out"

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", broken)
    assert main(["-q", "optimise", str(SMALL), "--out", str(out), "--workers", "1", "--replications", "0"]) == 2
    assert list(out.iterdir()) == []
    shutil.rmtree(out)


def test_demand_from_an_incident_file(tmp_path):
    rng = np.random.default_rng(7)
    stafford, burton = (392_450.0, 323_195.0), (425_030.0, 323_432.0)
    rows = []
    for k in range(40):
        x, y = stafford if k % 2 else burton
        rows.append(
            {
                "id": f"i{k}",
                "grade": 1 + k % 3,
                "timestamp": f"2018-{1 + k % 12:02d}-15T{k % 24:02d}:10:00",
                "easting": x + rng.normal(0, 800),
                "northing": y + rng.normal(0, 800),
            }
        )
    pd.DataFrame(rows).to_csv(tmp_path / "incidents.csv", index=False)
    scenario = tmp_path / "from_incidents.toml"
    scenario.write_text(SMALL.read_text().replace("[network]", '[demand]\nsource = "incidents.csv"\n\n[network]'))
    out = tmp_path / "out"
    assert main(["-q", "optimise", str(scenario), "--out", str(out), "--workers", "1", "--replications", "0"]) == 0
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["assumptions"]["demand_source"].startswith("incidents:")
    grade1_incidents = sum(1 for r in rows if r["grade"] == 1)
    assert kpis["grade1"]["demand_per_year"] > grade1_incidents  # counts over less than a year, scaled to a year


def test_a_bases_only_plan_is_written_and_drawn(tmp_path):
    """Issue 15.1: every shift with locations = 0 (the hubs alone) used to die writing the plan (KeyError 'easting')."""
    scenario = tmp_path / "bases_only.toml"
    scenario.write_text(re.sub(r"locations = \d+", "locations = 0", SMALL.read_text()))
    out = tmp_path / "out"
    assert main(["-q", "optimise", str(scenario), "--out", str(out), "--workers", "1", "--replications", "0"]) == 0
    assert pd.read_csv(out / "plan.csv").empty
    assert gpd.read_file(out / "plan.gpkg", layer="deployment_locations").empty
    kpis = json.loads((out / "kpis.json").read_text())
    assert 0 < kpis["grade1"]["covered_share"] <= 1  # the bases still cover
    assert main(["-q", "report", str(out), "--out", str(out / "report.html")]) == 0
