"""hubplan calibrate on a small scenario: the written scenario loads, its values sit within the declared bounds,
the recorded figures are those the fitted values give, and bad published files are refused with every problem."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from geodata.errors import InputDataError
from optimiser.calibrate import FITTED, TOLERANCES, on_bounds
from optimiser.cli import main
from optimiser.published import read_published
from optimiser.scenario import load_scenario
from tests.optimiser.plans import shared_cache

SIM = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "sim.toml"
PUBLISHED = Path(__file__).resolve().parents[2] / "scenarios" / "published" / "staffordshire-2018.toml"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))


def test_calibrated_scenario_records_values_bounds_and_fit(tmp_path, capsys):
    out = tmp_path / "calibrated.toml"
    argv = ["-q", "calibrate", str(SIM), "--published", str(PUBLISHED), "--out", str(out)]
    assert main([*argv, "--days", "20", "--replications", "1", "--max-evaluations", "10", "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "grade1_within_target" in printed and "not unique" in printed
    scenario = load_scenario(out)
    raw = tomllib.loads(out.read_text())
    calibration = raw["calibration"]
    assert calibration["fitted"] == [p.name for p in FITTED]
    for p in FITTED:
        value = getattr(scenario.simulation, p.name)
        assert p.low <= value <= p.high
        assert calibration["bounds"][p.name] == [p.low, p.high]
        assert calibration["values"][p.name] == value
    assert calibration["on_bound"] == on_bounds(calibration["values"])
    target, simulated = calibration["target"], calibration["simulated"]
    objective = sum(((simulated[k] - target[k]) / TOLERANCES[k]) ** 2 for k in TOLERANCES)
    assert objective == pytest.approx(calibration["objective"], rel=1e-3)
    assert Path(scenario.calibration["published"]).resolve() == PUBLISHED.resolve()
    assert [b.name for b in scenario.bases] == ["Stafford", "Burton"]  # the rest of the file is kept
    assert "# fitted by hubplan calibrate" in out.read_text()


def test_bound_flags():
    inside = {p.name: (p.low + p.high) / 2 for p in FITTED}
    assert on_bounds(inside) == []
    assert on_bounds({**inside, "call_handling_grade1_median_s": 600.0, "grade1_reserve_share": 0.0}) == [
        "grade1_reserve_share",
        "call_handling_grade1_median_s",
    ]


def test_bad_published_file_lists_every_problem(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "x"\nsource = ""\ncolour = 1\n[grade1]\ntarget_min = 15\nwithin_target = 64\nmean_min = 19.75\n'
    )
    with pytest.raises(
        InputDataError,
        match=r"(?s)unknown key 'colour'.*within_target = 64.0: give a share.*"
        r"\[grade2\] is missing.*source is missing",
    ):
        read_published(bad)


def test_published_figures_read():
    figures = read_published(PUBLISHED)
    assert (figures.grade1.within_target, figures.grade1.mean_min) == (0.64, 19.75)
    assert (figures.grade2.within_target, figures.grade2.mean_min) == (0.53, 136.0)
    assert "12 February 2019" in figures.source


def test_a_calibration_is_carried_to_another_scenario(tmp_path, capsys):
    calibrated = tmp_path / "calibrated.toml"
    calibrated.write_text(
        SIM.read_text().replace(
            "[[bases]]",
            '[calibration]\npublished = "x.toml"\nvalues = { cars_available_share = '
            "0.7, grade1_reserve_share = 0.25 }\n\n[[bases]]",
            1,
        )
    )
    out = tmp_path / "carried.toml"
    assert main(["calibrate", str(SIM), "--apply-from", str(calibrated), "--out", str(out)]) == 0
    scenario = load_scenario(out)
    assert (scenario.simulation.cars_available_share, scenario.simulation.grade1_reserve_share) == (0.7, 0.25)
    assert scenario.simulation.daily_cv == load_scenario(SIM).simulation.daily_cv  # the rest is the target's own
    assert scenario.calibration["carried_from"] == "calibrated.toml"
    assert main(["calibrate", str(SIM), "--apply-from", str(SIM), "--out", str(out)]) == 2
    assert "has no [calibration] values; run hubplan calibrate on it first" in capsys.readouterr().err
