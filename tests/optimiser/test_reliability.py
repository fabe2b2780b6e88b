"""Issue 15: every command owns the files it writes, commits them all or nothing, and refuses mixed runs."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from geodata.atomic import STAGING_PREFIX, run_record_path
from geodata.errors import InputDataError
from geodata.incidents import read_incidents
from geodata.points import read_points
from optimiser.cli import build_parser, main
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
    said = _Said()
    logging.getLogger("optimiser.prepare").addHandler(said)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))
            assert main(["optimise", str(SIM), "--out", str(out), "--workers", "1", "--replications", "0"]) == 0
    finally:
        logging.getLogger("optimiser.prepare").removeHandler(said)
    (out.parent / f"{out.name}-log.txt").write_text("\n".join(said.lines))
    return out


class _Said(logging.Handler):
    """The messages logged to one logger."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_bases_and_candidates_snap_distances_are_reported(rerun_plan):
    """Issue 15.2: how far every base (and the farthest candidate) was moved onto the roads is said."""
    said = (rerun_plan.parent / f"{rerun_plan.name}-log.txt").read_text()
    assert re.search(r"bases snapped to the road network: Stafford \d+ m, Burton \d+ m", said), said
    assert re.search(r"candidates snapped to the road network: median \d+ m, farthest \S+ at \d+ m", said), said


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


# --------------------------------------------------------------------------- issue 15.6: no tracebacks


def _refused(argv: list[str], capsys, *expected: str) -> str:
    """Run ``argv``; it must exit 2 with every ``expected`` text in the message and no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
    return err


def test_a_scenario_saved_in_a_windows_encoding_is_refused_with_the_fix(tmp_path, capsys):
    scenario = tmp_path / "cafe.toml"
    text = SIM.read_text(encoding="utf-8").replace('description = "', 'description = "Café: ')
    scenario.write_bytes(text.encode("cp1252"))
    _refused(["optimise", str(scenario), "--out", str(tmp_path / "out")], capsys, "is not UTF-8 text", "line 4")


def test_an_osm_file_whose_only_roads_form_a_ring_is_refused(capsys):
    ring = Path(__file__).resolve().parents[1] / "data" / "osm" / "ring_only.osm"
    _refused(["network", "validate", "--network", str(ring)], capsys, "closed loops that meet no other road")


def test_ctrl_c_prints_interrupted_and_exits_130(monkeypatch, capsys):
    def interrupted(source):
        raise KeyboardInterrupt

    monkeypatch.setattr("optimiser.cli.load_network", interrupted)
    assert main(["network", "validate"]) == 130
    err = capsys.readouterr().err
    assert "hubplan: interrupted" in err and "Traceback" not in err


# --------------------------------------------------------------------------- issue 15.7: checks before any work


@pytest.fixture
def no_network_work(monkeypatch):
    """Fail the test if a command starts building a network (its checks must come first)."""

    def refuse(source):
        raise AssertionError("network work started before the input was checked")

    for module in ("optimiser.prepare", "optimiser.cli"):
        monkeypatch.setattr(f"{module}.load_network", refuse)


def _sim_with(tmp_path: Path, *changes: tuple[str, str]) -> str:
    """sim.toml with each ``(old, new)`` text replaced once, written into ``tmp_path``."""
    text = SIM.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "edited.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("junction_spacing_m = 6000", "junction_spacing_m = -400", "[candidates] junction_spacing_m = -400"),
        ("hotspots = 0", "hotspots = -3", "[candidates] hotspots = -3: must be a count >= 0"),
        ("junctions = true", "junctions = false", "[candidates] produces no candidates"),
        ("cell_m = 3000", 'cell_m = 3000\nweighting = "crime"', "[demand] weighting 'crime' is not one of"),
        ("grade1_per_year = 3000", "grade1_per_year = -1", "[demand] annual volumes must be >= 0"),
        ('name = "Burton"', 'name = "Burton"\nmax_travel_min = -5', "base 'Burton': max_travel_min = -5: must be"),
        ('name = "Burton"', 'name = "Burton"\nmax_travel_min = 0', "base 'Burton': max_travel_min = 0: must be"),
        ("northing = 323432", "northing = -323432", "base 'Burton': northing = -323432: must be a number in"),
        ("max_base_travel_min = 40", "max_base_travel_min = -40", "[response] max_base_travel_min = -40"),
        ("speed_factor = 1.2", "speed_factor = 1.2\nmax_snap_m = -1", "[network] max_snap_m = -1"),
    ],
)
def test_scenario_values_are_refused_before_any_network_work(tmp_path, capsys, no_network_work, old, new, expected):
    scenario = _sim_with(tmp_path, (old, new))
    _refused(["optimise", scenario, "--out", str(tmp_path / "out")], capsys, "is not a valid scenario", expected)


def _read_only(folder: Path, monkeypatch) -> None:
    folder.mkdir()
    folder.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere; make the check see what an ordinary user would
        monkeypatch.setattr("optimiser.options.os.access", lambda path, mode: Path(path) != folder)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["optimise", str(SIM), "--out", "{file}"], "--out {file}: is a file; give a folder"),
        (["optimise", str(SIM), "--out", "{file}/sub"], "{file} is a file, so no folder can be made there"),
        (["optimise", str(SIM), "--out", "{read_only}/plan"], "cannot write into {read_only} (permission denied)"),
        (["optimise", str(SIM), "--out", "{tmp}/o", "--workers", "0"], "--workers 0: give a whole number from 1"),
        (["report", "{tmp}", "--out", "{tmp}"], "--out {tmp}: is a folder; give a file name, e.g. {tmp}/report.html"),
        (["matrix", "--origins", "a.csv", "--destinations", "b.csv", "--out", "{tmp}"], "--out {tmp}: is a folder"),
        (["evaluate", "--plan", "p", "--incidents", "i.csv", "--out", "{file}"], "--out {file}: is a file"),
        (["compare", str(SIM), str(SIM), "--out", "{tmp}/c", "--sweep-points", "-1"], "from 0 to 100"),
        (["incidents", "synth", "--year", "1800", "--out", "{tmp}/i.csv"], "whole year from 1900 to 2099, got 1800"),
    ],
    ids=["file", "under-a-file", "read-only", "workers", "report", "matrix", "evaluate", "sweep", "synth-year"],
)
def test_bad_options_are_refused_before_any_work_naming_the_option(
    tmp_path, capsys, monkeypatch, no_network_work, argv, expected
):
    (tmp_path / "afile").write_text("not a folder")
    _read_only(tmp_path / "locked", monkeypatch)
    names = {"tmp": tmp_path, "file": tmp_path / "afile", "read_only": tmp_path / "locked"}
    _refused([arg.format(**names) for arg in argv], capsys, expected.format(**names))


def test_matrix_with_no_points_is_refused(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("id,easting,northing\n")
    argv = ["matrix", "--origins", str(empty), "--destinations", str(empty), "--out", str(tmp_path / "m.csv")]
    _refused(argv, capsys, "has no points; give at least 1 row")


# --------------------------------------------------------------------------- issue 15.8: messages


@pytest.mark.parametrize(
    "argv",
    [
        ["optimise", "{folder}", "--out", "{tmp}/o"],
        ["matrix", "--origins", "{folder}", "--destinations", "{folder}", "--out", "{tmp}/m.csv"],
        ["evaluate", "--plan", "{tmp}/plan", "--incidents", "{folder}", "--out", "{tmp}/e"],
    ],
    ids=["scenario", "points", "incidents"],
)
def test_a_folder_given_for_a_file_is_named_as_a_folder(tmp_path, capsys, monkeypatch, argv):
    folder = tmp_path / "data.csv"
    folder.mkdir()
    monkeypatch.setattr("optimiser.evaluate.read_plan", lambda path, **_: None)  # the incident file is what is tested
    err = _refused([a.format(folder=folder, tmp=tmp_path) for a in argv], capsys, f"{folder}: is a folder, not a")
    assert "no such" not in err


def test_a_semicolon_separated_file_is_named_as_such(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("id;grade;timestamp;easting;northing\nA;1;2018-06-01T14:32:00;392176;323234\n")
    with pytest.raises(InputDataError, match="is semicolon-separated"):
        read_incidents(path)
    with pytest.raises(InputDataError, match="is semicolon-separated"):
        read_points(path)


def test_a_field_of_several_mb_gets_a_readable_message(tmp_path):
    path = tmp_path / "big.csv"
    big = "x" * 3_000_000
    path.write_text(f'id,grade,timestamp,easting,northing\nA,1,2018-06-01T14:32:00,392176,"{big}"\n')
    with pytest.raises(InputDataError, match=r"has a value longer than 1 MB after line \d+: a quote left open") as info:
        read_incidents(path)
    assert "straddl" not in str(info.value)


@pytest.mark.parametrize("flag", ["-q", "--quiet", "-v", "--verbose"])
def test_global_flags_work_after_the_subcommand(flag):
    parser = build_parser()
    dest = "quiet" if flag in ("-q", "--quiet") else "verbose"
    after = parser.parse_args(["optimise", "x.toml", "--out", "o", flag])
    before = parser.parse_args([flag, "optimise", "x.toml", "--out", "o"])
    neither = parser.parse_args(["incidents", "synth", "--year", "2018", "--out", "o.csv"])
    assert getattr(after, dest) is True and getattr(before, dest) is True and getattr(neither, dest) is False
    assert parser.parse_args(["network", "validate", flag]).__dict__[dest] is True


# --------------------------------------------------------------------------- issue 15.2: the area, whatever max_snap_m


def test_a_base_far_outside_the_area_is_refused_even_with_a_large_max_snap_m(tmp_path, capsys, no_network_work):
    """Following the old advice (a larger max_snap_m) must not give a plan for a base 23 km outside the area."""
    scenario = _sim_with(
        tmp_path,
        ("easting = 425030\nnorthing = 323432", "easting = 433000\nnorthing = 279000"),
        ("speed_factor = 1.2", "speed_factor = 1.2\nmax_snap_m = 100000"),
    )
    _refused(
        ["optimise", scenario, "--out", str(tmp_path / "out")],
        capsys,
        "has bases more than [candidates] area_buffer_m = 2,000 m outside the force area",
        "base 'Burton' at easting 433,000, northing 279,000 (near CV6",
        "A larger max_snap_m would not help",
    )
    assert not (tmp_path / "out").exists()


def test_compare_refuses_an_added_base_outside_the_area_before_any_solve(tmp_path, capsys, no_network_work):
    argv = ["compare", str(SIM), "--add-base", "Coventry=433000,279000", "--add-cars", "--out", str(tmp_path / "c")]
    _refused(argv, capsys, "--add-base 'Coventry=433000,279000' --add-cars: has bases more than", "is 22.9 km outside")


def test_a_listed_candidate_site_outside_the_area_is_refused(tmp_path, capsys):
    sites = tmp_path / "sites.csv"
    sites.write_text("id,easting,northing\nstafford-station,391900,323100\ncoventry,433000,279000\n")
    scenario = _sim_with(tmp_path, ("hotspots = 0", f'hotspots = 0\nfile = "{sites}"'))
    _refused(
        ["optimise", scenario, "--out", str(tmp_path / "out")],
        capsys,
        "has candidate sites more than [candidates] area_buffer_m",
        "candidate site 'coventry' at easting 433,000",
    )
