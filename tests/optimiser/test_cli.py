"""The hubplan command line: outputs, JSON shape, and bad input as exit code 2 without a traceback."""

from __future__ import annotations

import json
import os
import stat

import pandas as pd
import pytest

from optimiser.cli import main
from tests.offline import sockets_blocked


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path / "cache"))


def write_csv(path, rows: dict) -> str:
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


@pytest.fixture
def bases_csv(tmp_path) -> str:
    # Hanley and Burton town centres by postcode; Stafford by BNG coordinates in the other file.
    return write_csv(tmp_path / "bases.csv", {"id": ["hanley", "burton"], "postcode": ["ST1 1AF", "de14 1pa"]})


@pytest.fixture
def places_csv(tmp_path) -> str:
    return write_csv(
        tmp_path / "places.csv",
        {
            "id": ["royal-stoke", "stafford", "leek"],
            "lon": [-2.2149, -2.1180, -2.0250],
            "lat": [53.0040, 52.8050, 53.1050],
        },
    )


def test_matrix_writes_times_for_postcode_and_lonlat_files(tmp_path, bases_csv, places_csv):
    out = tmp_path / "out" / "times.csv"
    old_umask = os.umask(0o022)
    try:
        code = main(["-q", "matrix", "--origins", bases_csv, "--destinations", places_csv, "--out", str(out)])
    finally:
        os.umask(old_umask)
    assert code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # as a report's, not mkstemp's 0600
    times = pd.read_csv(out)
    assert list(times.columns) == [
        "origin_id",
        "destination_id",
        "travel_time_s",
        "origin_snap_m",
        "destination_snap_m",
    ]
    pairs = times.set_index(["origin_id", "destination_id"])["travel_time_s"]
    # Hanley centre to Royal Stoke (about 4 km) is closer in time than Hanley to Stafford (about 25 km)
    assert pairs[("hanley", "royal-stoke")] < pairs[("hanley", "stafford")]
    assert (times["travel_time_s"] <= 3600).all()
    assert (times[["origin_snap_m", "destination_snap_m"]] < 300).all().all()


def test_matrix_cutoff_and_speed_factor(tmp_path, bases_csv, places_csv):
    normal, fast = tmp_path / "normal.csv", tmp_path / "fast.csv"
    args = ["-q", "matrix", "--origins", bases_csv, "--destinations", places_csv, "--cutoff-min", "120"]
    assert main([*args, "--out", str(normal)]) == 0
    assert main([*args, "--out", str(fast), "--speed-factor", "1.25"]) == 0
    ratio = pd.read_csv(normal)["travel_time_s"].sum() / pd.read_csv(fast)["travel_time_s"].sum()
    assert ratio == pytest.approx(1.25, rel=0.01)
    short = tmp_path / "short.csv"
    assert (
        main(
            [
                "-q",
                "matrix",
                "--origins",
                bases_csv,
                "--destinations",
                places_csv,
                "--cutoff-min",
                "10",
                "--out",
                str(short),
            ]
        )
        == 0
    )
    assert (pd.read_csv(short)["travel_time_s"] <= 600).all()


def test_bad_points_file_exits_2_and_writes_nothing(tmp_path, capsys, places_csv):
    bad = write_csv(tmp_path / "bad.csv", {"id": ["a", "b"], "postcode": ["ST1 1AF", "XX9 9XX"]})
    out = tmp_path / "times.csv"
    code = main(["matrix", "--origins", bad, "--destinations", places_csv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.csv" in err and "XX9 9XX" in err and "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.glob(".times.csv*")) == []


def test_points_outside_the_network_are_named(tmp_path, capsys, bases_csv):
    far = write_csv(tmp_path / "far.csv", {"id": ["london"], "easting": [530_000], "northing": [180_000]})
    code = main(["matrix", "--origins", bases_csv, "--destinations", far, "--out", str(tmp_path / "t.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "far.csv" in err and "london" in err and "max_snap_m" in err


def test_missing_network_file_exits_2(tmp_path, capsys, bases_csv, places_csv):
    code = main(
        [
            "matrix",
            "--network",
            str(tmp_path / "nope.osm.pbf"),
            "--origins",
            bases_csv,
            "--destinations",
            places_csv,
            "--out",
            str(tmp_path / "t.csv"),
        ]
    )
    assert code == 2 and "nope.osm.pbf" in capsys.readouterr().err


def test_validate_json_has_the_documented_shape(capsys):
    assert main(["-q", "network", "validate", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["network"]["nodes"] > 30_000
    assert set(report["reference"]) == {"offset_min", "scale"}
    for group in ("held_out", "calibration"):
        for band in ("le30", "le60"):
            assert set(report[group][band]) >= {"mae_min", "bias_min", "p90_abs_min", "n"}
    assert set(report["straight_line"]["held_out"]) == {"le30", "le60"}
    assert {(trip["town"], trip["km"]) for trip in report["short_trips"]} >= {("Hanley", 1.0), ("Burton", 10.0)}


def test_demo_prints_validation_and_matrix_summary(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the demo must write only where it is told
    demo = ["-q", "demo", "--out", str(tmp_path / "demo"), "--replications", "2", "--days", "14", "--improve", "4"]
    with sockets_blocked() as attempts:  # and needs no network (issue 15.10)
        assert main(demo) == 0
    assert attempts == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "demo"]  # the matrix cache and --out only
    assert {"plan.gpkg", "kpis.json", "report.html"} <= {p.name for p in (tmp_path / "demo").iterdir()}
    kpis = json.loads((tmp_path / "demo" / "kpis.json").read_text())
    assert kpis["simulated"]["replications"] == 2 and kpis["search"]["proposals"] == 4
    assert (tmp_path / "demo" / "simulation-parked" / "simulation.json").is_file()
    out = capsys.readouterr().out
    assert "held-out" in out and "Short trips" in out and "≤60 min" in out
    assert "2018 hubs" in out and "2022 LPT bases" in out
    flat = " ".join(out.split())  # rich wraps table cells to the terminal width
    assert "Simulated attendance" in flat and "Grade 1 within" in flat
    assert "recommended plan" in flat and "cars parked at" in flat


@pytest.mark.parametrize("command", [["demo"], ["network", "validate"], ["network", "save"], ["matrix"]])
def test_every_subcommand_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit, match="0"):
        main([*command, "--help"])
    assert "example:" in capsys.readouterr().out
