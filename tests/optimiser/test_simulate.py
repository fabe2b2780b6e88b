"""hubplan simulate on a small scenario: the model follows the plan, zero load gives the plan's static times,
outputs and their shape, determinism across executors (local processes and a Dask LocalCluster), bad options."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.atomic import run_record_path
from optimiser.cli import main
from optimiser.plan_input import read_plan
from optimiser.replications import run_replications
from optimiser.simulation_model import _cars_available, model_from_geometry, simulation_geometry
from tests.optimiser.plans import optimised_plan, shared_cache

SIM = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "sim.toml"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))


@pytest.fixture(scope="module")
def sim_plan(tmp_path_factory) -> Path:
    return optimised_plan(tmp_path_factory, SIM, "sim-plan")


@pytest.fixture(scope="module")
def geometry(sim_plan, tmp_path_factory):
    return simulation_geometry(read_plan(sim_plan, demand=True), cache_dir=shared_cache(tmp_path_factory))


def test_cars_follow_the_plan_and_its_staffing(geometry):
    plan = geometry.plan
    spec = plan.settings.simulation
    base_place = dict(zip(plan.bases["name"], geometry.node_places[geometry.nodes["kind"] == "base"], strict=True))
    for posts in ("plan", "bases"):
        model = model_from_geometry(geometry, spec, posts=posts)
        for shift, name in zip(model.shifts, model.shift_names, strict=True):
            for b, base in enumerate(model.base_names):
                units = int(plan.bases.loc[plan.bases["name"] == base, f"{name}_units"].iloc[0])
                mine = plan.locations[(plan.locations["shift"] == name) & (plan.locations["base"] == base)]
                cars = [p for p, owner in shift.cars if owner == b]
                assert len(cars) == units
                at_base = sum(p == base_place[base] for p in cars)
                assert at_base == (units - len(mine) if posts == "plan" else units)


def test_available_share_keeps_the_force_total():
    np.testing.assert_array_equal(_cars_available(np.array([15, 11, 10]), 0.84), [13, 9, 8])  # 30.24 -> 30
    assert _cars_available(np.array([4, 3]), 1.0).tolist() == [4, 3]


def test_zero_load_response_is_the_plans_static_response(geometry):
    """With a free car at every post, mobilisation + travel from the nearest post is the plan's response time."""
    model = model_from_geometry(geometry, geometry.plan.settings.simulation)
    demand = geometry.plan.demand
    early = demand[demand["shift"] == "early"]
    nodes = geometry.nodes
    demand_rows = np.flatnonzero(nodes["kind"].to_numpy() == "demand")
    place_of = pd.Series(geometry.node_places[demand_rows], index=nodes["key"].to_numpy()[demand_rows])
    places = place_of.loc[early["node_id"].astype(str)].to_numpy()
    posts = np.unique([p for p, _ in model.shifts[model.shift_names.index("early")].cars])
    static = model.policy.mobilisation_parked_s + geometry.travel_s[posts][:, places].min(axis=0)
    reached = early["response_time_s"].notna().to_numpy()
    assert reached.mean() > 0.9
    np.testing.assert_allclose(static[reached], early["response_time_s"].to_numpy(float)[reached], atol=1.0)


def _simulate(plan: Path, out: Path, *extra: str) -> dict:
    argv = ["-q", "simulate", str(plan), "--out", str(out), "--replications", "3", "--days", "20", *extra]
    assert main(argv) == 0
    return json.loads((out / "simulation.json").read_text())


def test_outputs_have_the_documented_shape(sim_plan, tmp_path):
    summary = _simulate(sim_plan, tmp_path / "a", "--workers", "1")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        run_record_path(tmp_path / "a", "simulation").name,
        "incidents.parquet",
        "simulation.json",
        "summary.md",
    ]
    assert (summary["replications"], summary["seed"], summary["days"]) == (3, 1, 20)
    for grade in ("grade1", "grade2"):
        figures = summary[grade]
        assert 0 <= figures["within_target"]["mean"] <= 1 and figures["within_target"]["replications"] == 3
        low, high = figures["within_target"]["ci95"]
        assert low <= figures["within_target"]["mean"] <= high
        assert figures["mean_min"]["mean"] > 0
        assert set(figures["by_base_area"]) <= {"Stafford", "Burton"} and figures["by_base_area"]
        assert set(figures["by_shift"]) == {"early", "late", "night"}
        assert figures["by_local_authority"]
    assert set(summary["utilisation"]["by_base"]) == {"Stafford", "Burton"}
    assert set(summary["utilisation"]["by_shift"]) == {"early", "late", "night"}
    assert summary["parameters"]["posts"] == "plan"
    incidents = pd.read_parquet(tmp_path / "a" / "incidents.parquet")
    assert sorted(incidents["seed"].unique()) == [1, 2, 3]
    parts = incidents[["call_handling_s", "queue_wait_s", "mobilisation_s", "travel_s"]].sum(axis=1)
    attended = incidents["attended"]
    np.testing.assert_allclose(parts[attended], incidents.loc[attended, "response_s"], atol=0.3)
    assert "Simulated attendance: sim" in (tmp_path / "a" / "summary.md").read_text()


def test_same_seed_same_numbers_on_one_or_two_workers(sim_plan, tmp_path):
    one = _simulate(sim_plan, tmp_path / "one", "--workers", "1")
    two = _simulate(sim_plan, tmp_path / "two", "--workers", "2")
    other = _simulate(sim_plan, tmp_path / "other", "--workers", "1", "--seed", "7")
    assert one["grade1"] == two["grade1"] and one["grade2"] == two["grade2"]
    assert one["grade1"]["within_target"] != other["grade1"]["within_target"]
    frames = [pd.read_parquet(tmp_path / name / "incidents.parquet") for name in ("one", "two")]
    pd.testing.assert_frame_equal(*frames)


def test_a_dask_local_cluster_gives_the_same_replications(geometry):
    distributed = pytest.importorskip("distributed")
    model = model_from_geometry(geometry, geometry.plan.settings.simulation)
    local = run_replications(model, replications=3, seed=4, days=10, workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = run_replications(model, replications=3, seed=4, days=10, scheduler=cluster.scheduler_address)
    assert [r.seed for r in remote] == [4, 5, 6]
    for a, b in zip(local, remote, strict=True):
        pd.testing.assert_frame_equal(a.incidents, b.incidents)
        assert a.busy_by_base == b.busy_by_base


def test_cars_parked_at_bases_from_a_scenario(tmp_path):
    """--posts bases prepares the scenario with no deployment locations (a bases-only plan) and parks every car."""
    summary = _simulate(SIM, tmp_path / "parked", "--posts", "bases", "--workers", "1")
    assert summary["parameters"]["posts"] == "bases"
    assert summary["parameters"]["cars_by_shift"]["early"] == {"Stafford": 4, "Burton": 3}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--replications", "0"], "--replications 0: give a whole number from 1 to 1000"),
        (["--days", "0"], "--days 0: give a whole number from 1 to 3660"),
    ],
)
def test_bad_options_exit_2_with_the_valid_range(sim_plan, tmp_path, capsys, extra, message):
    assert main(["simulate", str(sim_plan), "--out", str(tmp_path / "o"), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_scenario_needs_posts_bases(tmp_path, capsys):
    assert main(["simulate", str(SIM), "--out", str(tmp_path / "o")]) == 2
    assert "give --posts bases to park every car at its base" in capsys.readouterr().err


def test_incidents_from_a_file_are_replayed_with_their_times_and_grades(sim_plan, tmp_path):
    rows = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "grade": [1, 2, 1, 2],
            "timestamp": ["2018-06-01T14:32:00", "2018-06-01T23:50:00", "2018-06-02T08:00:00", "2018-06-02T08:00:30"],
            "easting": [392176, 403042, 392500, 424900],
            "northing": [323234, 319052, 323100, 323400],
        }
    )
    rows.to_csv(tmp_path / "incidents.csv", index=False)
    summary = _simulate(sim_plan, tmp_path / "replay", "--workers", "1", "--incidents", str(tmp_path / "incidents.csv"))
    assert summary["days"] == 2 and summary["parameters"]["incidents_file"]["incidents"] == 4
    assert summary["parameters"]["incidents_file"]["first_day"] == "2018-06-01"
    incidents = pd.read_parquet(tmp_path / "replay" / "incidents.parquet")
    for _, one in incidents.groupby("seed"):
        assert one["grade"].tolist() == [1, 2, 1, 2]
        np.testing.assert_allclose(one["arrival_s"], [52320.0, 85800.0, 115200.0, 115230.0])
        assert one["attended"].all()  # four incidents, seven cars: every one is attended
    assert incidents.groupby("seed")["call_handling_s"].sum().nunique() == 3  # durations drawn per replication


def test_declared_base_areas_are_used_and_bad_ones_refused(tmp_path, capsys):
    text = SIM.read_text().replace('name = "Stafford"\n', 'name = "Stafford"\nareas = ["East Staffordshire"]\n')
    scenario = tmp_path / "declared.toml"
    scenario.write_text(text)
    summary = _simulate(scenario, tmp_path / "declared", "--posts", "bases", "--workers", "1")
    assert summary["parameters"]["base_areas_declared"] == {"Stafford": ["East Staffordshire"]}
    incidents = pd.read_parquet(tmp_path / "declared" / "incidents.parquet")
    east = incidents[incidents["local_authority"] == "East Staffordshire"]
    assert len(east) > 0 and (east["base_area"] == "Stafford").all()  # Burton is nearer, but the scenario says so
    scenario.write_text(text.replace('areas = ["East Staffordshire"]', 'areas = ["Staffs Moorlands"]'))
    assert main(["simulate", str(scenario), "--posts", "bases", "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "unknown local authority 'Staffs Moorlands'; valid: Cannock Chase, East Staffordshire" in err


def test_grade1_reserve_is_a_share_of_each_areas_cars():
    from models.simulation import Shift
    from optimiser.simulation_model import grade1_reserve

    shifts = (Shift(7, 15, ((0, 0),) * 12 + ((5, 1),) * 4), Shift(15, 7, ((0, 0),) * 10 + ((5, 1),) * 4))
    assert grade1_reserve(0.25, shifts, 3) == (3, 1, 0)  # 11 and 4 cars on average: 2.75 -> 3, 1.0 -> 1, none
    assert grade1_reserve(0.0, shifts, 3) == (0, 0, 0)
