"""Issue 15.10: guarantees that hold today, pinned: every offline command opens no network socket, and
optimise, evaluate, synth and simulate give the same outputs for the same inputs and seed."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from optimiser.cli import main
from tests.offline import sockets_blocked
from tests.optimiser.plans import shared_cache

DATA = Path(__file__).resolve().parents[1] / "data"
SIM = DATA / "scenarios" / "sim.toml"
INCIDENTS = DATA / "incidents" / "hubplan_easting_northing.csv"
OSM = DATA / "osm" / "stafford_small.osm"
CALIBRATED = Path(__file__).resolve().parents[2] / "scenarios" / "hubs-2018.toml"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))


def _offline(argv: list[str]) -> None:
    """Run ``hubplan argv`` with network sockets blocked: it must succeed without trying one."""
    with sockets_blocked() as attempts:
        assert main(["-q", *argv]) == 0
    assert attempts == []


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> tuple[Path, Path]:
    """The sim scenario optimised twice (the first with sockets blocked), into two folders."""
    root = tmp_path_factory.mktemp("twice")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))
        for name in ("a", "b"):
            simulated = ["--replications", "2", "--days", "14"]
            _offline(["optimise", str(SIM), "--out", str(root / name), "--workers", "1", *simulated])
    return root / "a", root / "b"


@pytest.fixture
def points(tmp_path) -> Path:
    path = tmp_path / "points.csv"
    path.write_text("id,easting,northing\nstafford,392176,323234\nburton,424700,323300\n")
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["network", "validate", "--format", "json"],
        ["network", "save", "--network", str(OSM), "--out", "{tmp}/s.graphml"],
        ["matrix", "--origins", "{points}", "--destinations", "{points}", "--out", "{tmp}/m.csv", "--workers", "1"],
        ["report", "{plan}", "--out", "{tmp}/report.html"],
        ["evaluate", "--plan", "{plan}", "--incidents", str(INCIDENTS), "--out", "{tmp}/e", "--on-bad-rows", "skip"],
        ["simulate", "{plan}", "--out", "{tmp}/s", "--replications", "2", "--days", "7", "--workers", "1"],
        ["compare", str(SIM), "--set", "response.mobilisation_s=90", "--out", "{tmp}/c", "--workers", "1"]
        + ["--replications", "0", "--sweep-points", "0"],
        ["incidents", "synth", "--year", "2018", "--n", "50", "--out", "{tmp}/i.csv"],
        ["calibrate", str(SIM), "--apply-from", str(CALIBRATED), "--out", "{tmp}/cal.toml"],
    ],
    ids=["validate", "save", "matrix", "report", "evaluate", "simulate", "compare", "synth", "calibrate"],
)
def test_offline_commands_open_no_network_socket(plans, points, tmp_path, argv):
    """optimise is covered by the ``plans`` fixture; demo by tests/optimiser/test_cli.py."""
    _offline([arg.format(tmp=tmp_path, points=points, plan=plans[0]) for arg in argv])


def test_the_blocker_catches_a_connection():
    """The guarantee above can fail: an outgoing connection is seen and refused."""
    import urllib.request

    with sockets_blocked() as attempts, pytest.raises(OSError, match="network access in an offline test"):
        urllib.request.urlopen("http://192.0.2.1/", timeout=1)  # TEST-NET-1: never routed
    assert attempts


def _solver_free(kpis: dict) -> dict:
    """kpis.json without the solver's wall-clock seconds."""
    kpis = json.loads(json.dumps(kpis))
    kpis["solver"].pop("seconds")
    for shift in kpis["solver"]["by_shift"].values():
        shift.pop("seconds")
    return kpis


def test_optimise_is_deterministic(plans):
    a, b = plans
    assert filecmp.cmp(a / "plan.csv", b / "plan.csv", shallow=False)
    kpis = [_solver_free(json.loads((folder / "kpis.json").read_text())) for folder in plans]
    assert kpis[0] == kpis[1]
    for layer in ("bases", "deployment_locations", "demand", "settings"):
        frames = [pyogrio.read_dataframe(folder / "plan.gpkg", layer=layer) for folder in plans]
        pd.testing.assert_frame_equal(frames[0], frames[1])


def test_evaluate_is_deterministic(plans, tmp_path):
    for name in ("a", "b"):
        argv = ["evaluate", "--plan", str(plans[0]), "--incidents", str(INCIDENTS), "--out", str(tmp_path / name)]
        assert main(["-q", *argv, "--on-bad-rows", "skip"]) == 0
    for name in ("incidents.csv", "summary_by_grade.csv", "summary_by_base.csv", "rejects.csv", "bad_rows.csv"):
        assert filecmp.cmp(tmp_path / "a" / name, tmp_path / "b" / name, shallow=False), name
    frames = [pd.read_parquet(tmp_path / name / "incidents.parquet") for name in ("a", "b")]
    pd.testing.assert_frame_equal(*frames)


def test_synth_is_deterministic_and_the_seed_matters(tmp_path):
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        argv = ["incidents", "synth", "--year", "2018", "--n", "200", "--seed", seed, "--attendance"]
        assert main(["-q", *argv, "--out", str(tmp_path / f"{name}.csv")]) == 0
    assert filecmp.cmp(tmp_path / "a.csv", tmp_path / "b.csv", shallow=False)
    assert not filecmp.cmp(tmp_path / "a.csv", tmp_path / "c.csv", shallow=False)


def test_simulate_is_deterministic(plans, tmp_path):
    for name in ("a", "b"):
        argv = ["simulate", str(plans[0]), "--out", str(tmp_path / name), "--replications", "2", "--days", "7"]
        assert main(["-q", *argv, "--seed", "5", "--workers", "1"]) == 0
    frames = [pd.read_parquet(tmp_path / name / "incidents.parquet") for name in ("a", "b")]
    pd.testing.assert_frame_equal(*frames)
    summaries = [json.loads((tmp_path / name / "simulation.json").read_text()) for name in ("a", "b")]
    assert summaries[0] == summaries[1]
