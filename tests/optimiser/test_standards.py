"""Every command speaks the response standard: the shipped files, --standard, and what each output says.

One plan of the small simulation scenario, optimised with ``--standard national``, is shared by the module.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.errors import InputDataError
from maps.report import build_report
from models.standards import AREA_CLASSES
from optimiser.cli import main
from optimiser.plan_input import read_plan
from optimiser.report import report_data
from optimiser.scenario import scenario_from_dict
from optimiser.standards import load_standard, shipped_standards
from tests.optimiser.plans import shared_cache

SIM = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "sim.toml"
INCIDENTS = Path(__file__).resolve().parents[1] / "data" / "incidents" / "hubplan_easting_northing.csv"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))


@pytest.fixture(scope="module")
def national_plan(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("national-plan")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))
        argv = ["-q", "optimise", str(SIM), "--out", str(out), "--workers", "1", "--standard", "national"]
        argv += ["--replications", "0"]
        assert main(argv) == 0
    return out


def test_the_shipped_standards_are_the_force_and_the_national_ones():
    assert set(shipped_standards()) == {"force-2018", "national"}
    force, national = load_standard("force-2018"), load_standard("national")
    assert force.describe(1) == "15 min" and force.describe(2) == "60 min" and force.clock_start == "call_received"
    assert national.describe(1) == "15 min urban, 20 min rural" and national.call_answer_target_s == 10.0
    assert "Home Office" in national.source and "Public Performance Meeting" in force.source


def test_an_unknown_standard_name_lists_the_shipped_ones():
    with pytest.raises(InputDataError, match="shipped standards: force-2018, national"):
        load_standard("regional")


def test_a_bad_standard_file_stops_optimise_with_the_file_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "bad"\ntitle = "t"\nsource = "s"\nclock_start = "call_received"\n'
        "[grade1]\ntarget_min = { urban = 15, town = 20 }\n[grade2]\ntarget_min = 60\n"
    )
    code = main(["-q", "optimise", str(SIM), "--out", str(tmp_path / "out"), "--standard", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{bad}: is not a valid response standard" in err
    assert "[grade1] target_min: unknown area class 'town'; valid classes: urban, rural" in err
    assert not (tmp_path / "out").exists()


def test_targets_in_the_response_table_are_refused_with_the_way_to_give_them():
    raw = {"bases": [{"name": "A", "easting": 1, "northing": 2, "shifts": {"early": {"units": 1, "locations": 0}}}]}
    raw["response"] = {"target_grade1_min": 15}
    with pytest.raises(InputDataError, match=r"\[response\] target_grade1_min: targets now come from the response"):
        scenario_from_dict(raw, source="old.toml")
    assert scenario_from_dict({**raw, "response": {}}).standard == "force-2018"


def test_optimise_reports_grade1_under_both_standards_by_area_class(national_plan):
    kpis = json.loads((national_plan / "kpis.json").read_text())
    assert kpis["standard"]["name"] == "national" and kpis["standard"]["class_source"] == "derived"
    assert kpis["other_standard"]["standard"]["name"] == "force-2018"
    for section in (kpis, kpis["other_standard"]):
        for grade in ("grade1", "grade2"):
            figures = section[grade]
            assert set(figures["by_area_class"]) == set(AREA_CLASSES)
            for area in AREA_CLASSES:  # the same fields as the force-wide figures
                assert set(figures["by_area_class"][area]) == set(figures)
    national, force = kpis["grade1"], kpis["other_standard"]["grade1"]
    assert national["target_by_class_min"] == {"urban": 15.0, "rural": 20.0} and national["target_min"] is None
    assert national["by_area_class"]["rural"]["target_min"] == 20.0
    assert national["by_area_class"]["urban"]["covered_share"] == force["by_area_class"]["urban"]["covered_share"]
    assert national["by_area_class"]["rural"]["covered_share"] >= force["by_area_class"]["rural"]["covered_share"]


def test_the_demand_layer_holds_each_nodes_class_and_target(national_plan):
    demand = read_plan(national_plan, demand=True).demand
    expected = np.where(demand["area_class"] == "urban", 900.0, 1200.0)
    np.testing.assert_array_equal(demand["target_grade1_s"], expected)
    covered = demand["response_time_s"].fillna(np.inf) <= demand["target_grade1_s"]
    np.testing.assert_array_equal(demand["covered_grade1"].astype(bool), covered)


def test_evaluate_scores_each_incident_against_its_class_and_the_standard_given(national_plan, tmp_path):
    for standard, rural_target in (("national", 1200.0), ("force-2018", 900.0)):
        out = tmp_path / standard
        argv = ["-q", "evaluate", "--plan", str(national_plan), "--incidents", str(INCIDENTS), "--out", str(out)]
        argv += ["--on-bad-rows", "skip"]
        assert main([*argv, "--standard", standard]) == 0
        scored = pd.read_parquet(out / "incidents.parquet")
        graded = scored[scored["grade"] == 1]
        assert set(graded["area_class"]) <= set(AREA_CLASSES)
        expected = np.where(graded["area_class"] == "urban", 900.0, rural_target)
        np.testing.assert_array_equal(graded["target_s"], expected)
        assert (out / "summary_by_area_class.csv").is_file()
        assert f"Standard: **{standard}**" in (out / "summary.md").read_text()


def test_simulation_reports_the_standard_and_each_class(national_plan, tmp_path):
    out = tmp_path / "sim"
    argv = ["-q", "simulate", str(national_plan), "--out", str(out), "--replications", "2", "--days", "20"]
    assert main([*argv, "--workers", "1"]) == 0
    summary = json.loads((out / "simulation.json").read_text())
    assert summary["standard"]["name"] == "national" and summary["standard"]["class_source"] == "derived"
    assert summary["other_standard"]["standard"]["name"] == "force-2018"
    grade1 = summary["grade1"]
    assert set(grade1["by_area_class"]) <= set(AREA_CLASSES) and grade1["by_area_class"]
    for figures in grade1["by_area_class"].values():
        assert {"within_target", "mean_min", "attended_share", "waited_for_car_share"} <= set(figures)
    incidents = pd.read_parquet(out / "incidents.parquet")
    one = incidents[incidents["grade"] == 1]
    np.testing.assert_array_equal(one["target_s"], np.where(one["area_class"] == "urban", 900.0, 1200.0))
    # the force's 15 minutes everywhere is never easier than the national 15 urban / 20 rural
    assert (one["within_other_target"] <= one["within_target"]).all()


def test_the_report_draws_the_classes_and_names_the_standard(national_plan):
    for standard, other in (("national", "force-2018"), ("force-2018", "national")):
        data = report_data(read_plan(national_plan, demand=True, kpis=True, standard=standard))
        assert data.kpis.standard.name == standard and data.kpis.other_standard.standard.name == other
        assert data.class_source == "derived" and set(data.area_classes["area_class"]) == set(AREA_CLASSES)
        rural = data.demand["area_class"] == "rural"
        assert set(data.demand.loc[rural, "target_grade1_s"]) == {1200.0 if standard == "national" else 900.0}
        names = {getattr(child, "layer_name", "") for child in build_report(data)._children.values()}
        assert "Urban and rural LSOAs (derived)" in names
