"""Issue 15: every command owns the files it writes, commits them all or nothing, and refuses mixed runs."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from geodata.atomic import STAGING_PREFIX, run_record_path
from optimiser.cli import main
from tests.optimiser.plans import shared_cache

SIM = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "sim.toml"
INCIDENTS = Path(__file__).resolve().parents[1] / "data" / "incidents" / "hubplan_easting_northing.csv"
#: What an earlier run left in the plan folder before the fixture's optimise ran.
STALE = ("report.html", "report-chart.svg")


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture(scope="module")
def rerun_plan(tmp_path_factory) -> Path:
    """The sim scenario optimised into a folder holding an older report and a killed run's staging folder."""
    out = tmp_path_factory.mktemp("rerun")
    for name in STALE:
        (out / name).write_text("drawn from an older plan")
    killed = out / f"{STAGING_PREFIX}{_dead_pid()}@{socket.gethostname()}-x1y2z3"
    killed.mkdir()
    (killed / "plan.gpkg").write_bytes(b"half a plan")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))
        assert main(["-q", "optimise", str(SIM), "--out", str(out), "--workers", "1"]) == 0
    return out


def test_a_rerun_of_optimise_removes_the_report_of_the_older_plan(rerun_plan):
    """Issue 15.3: no report drawing a different plan is left beside the new one."""
    assert not any((rerun_plan / name).exists() for name in STALE)
    assert {"plan.gpkg", "plan.csv", "kpis.json"} <= {p.name for p in rerun_plan.iterdir()}


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(rerun_plan):
    """Issue 15.5."""
    assert sorted(p.name for p in rerun_plan.iterdir() if p.name.startswith(STAGING_PREFIX)) == [
        run_record_path(rerun_plan, "plan").name
    ]


def test_report_refuses_a_plan_whose_kpis_come_from_another_run(rerun_plan, tmp_path, capsys):
    """Issue 15.4: a kpis.json from another run beside plan.gpkg is refused, not drawn under the wrong figures."""
    plan = tmp_path / "plan"
    shutil.copytree(rerun_plan, plan)
    kpis = json.loads((plan / "kpis.json").read_text())
    kpis["scenario"] = "another run"
    (plan / "kpis.json").write_text(json.dumps(kpis))
    assert main(["report", str(plan), "--out", str(tmp_path / "report.html")]) == 2
    err = capsys.readouterr().err
    assert "holds files from different runs" in err and "kpis.json is not the file run" in err
    assert "Traceback" not in err and not (tmp_path / "report.html").exists()


def test_a_rerun_of_evaluate_removes_what_the_earlier_run_wrote_and_this_one_did_not(rerun_plan, tmp_path, capsys):
    """Issue 15.3: rejects.csv, incidents.csv and the modelled-vs-actual tables of an earlier run do not survive."""
    out = tmp_path / "eval"
    first = ["evaluate", "--plan", str(rerun_plan), "--incidents", str(INCIDENTS), "--out", str(out)]
    assert main([*first, "--on-bad-rows", "skip"]) == 0
    earlier = {p.name for p in out.iterdir()}
    assert {"rejects.csv", "incidents.csv", "modelled_vs_actual.csv", "largest_differences.csv"} <= earlier
    clean = tmp_path / "clean.csv"  # good rows, no attendance times
    clean.write_text("id,grade,timestamp,easting,northing\nA,1,2018-06-01T14:32:00,392176,323234\n")
    capsys.readouterr()
    assert main(["evaluate", "--plan", str(rerun_plan), "--incidents", str(clean), "--out", str(out), "--no-csv"]) == 0
    said = capsys.readouterr().err
    now = {p.name for p in out.iterdir()}
    for name in ("rejects.csv", "incidents.csv", "modelled_vs_actual.csv", "largest_differences.csv"):
        assert name not in now
        assert name in said
    assert "incidents.parquet" in now and "summary.md" in now
