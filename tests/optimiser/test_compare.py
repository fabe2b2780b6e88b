"""``hubplan compare`` on the small test scenario and a variant of it."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geodata.atomic import run_record_path
from optimiser.cli import main
from optimiser.compare import CompareRequest, compare
from optimiser.compare_table import ALWAYS_SHOWN
from optimiser.overrides import Overrides

SMALL = "tests/data/scenarios/small.toml"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """The small scenario against itself without Burton, with a 3-point sweep and a 90 % target."""
    root = tmp_path_factory.mktemp("compare")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(root / "cache"))
        request = CompareRequest(
            scenario_paths=(SMALL,),
            overrides=Overrides(drop_bases=("Burton",)),
            variant_name="no Burton",
            target_grade1=0.9,
            sweep_points=3,
            replications=0,  # simulated attendance is tested on the simulation scenario below
        )
        result = compare(request, root / "out")
    return result, root / "out"


def value(table: pd.DataFrame, metric: str, column: str) -> object:
    """A cell of the comparison table; numbers as float (the CSV mixes text and numbers in a column)."""
    cell = table.loc[table["metric"] == metric, column].iloc[0]
    try:
        return float(cell)
    except (TypeError, ValueError):
        return cell


def test_writes_every_file_and_a_plan_folder_per_scenario(compared):
    _, out = compared
    for name in ("comparison.csv", "comparison.md", "comparison.html", "tradeoff.png", "tradeoff.csv"):
        assert (out / name).stat().st_size > 0
    for folder in ("small", "no-Burton"):
        record = run_record_path(out / folder, "plan").name
        assert {p.name for p in (out / folder).iterdir()} == {"plan.gpkg", "plan.csv", "kpis.json", record}
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [run_record_path(out, "comparison").name]
    # small.toml scores Grade 1 in bands (the default), so its sweep is the greedy on the banded score.
    method = "heuristic (greedy and swaps on the banded Grade 1 score, no proven gap)"
    for name in ("comparison.md", "comparison.html"):
        assert f"Sweep method: small {method}; no Burton {method}." in (out / name).read_text()


def test_comparison_opens_with_a_verdict_and_folds_the_areas_that_do_not_differ(compared):
    result, out = compared
    markdown = (out / "comparison.md").read_text()
    assert markdown.index("## Verdict") < markdown.index("## Side by side") < markdown.index("## Grade 1 by local")
    verdict = markdown.split("## Verdict\n\n")[1].split("\n")[0]
    # Not simulated here: travel-time cover decides, and dropping Burton loses Grade 1 cover.
    assert verdict.startswith("Not simulated; by travel-time cover only") and "**small reaches more**" in verdict
    lost = result.difference["grade1_lost_per_year"] - result.difference["grade1_gained_per_year"]
    assert f"{-lost:+,.1f} a year" in verdict
    assert "bases 2 → 1" in verdict and "cars on duty early 5 → 3" in verdict
    areas = markdown.split("## Grade 1 by local authority: no Burton against small\n\n")[1].split("## Notes")[0]
    shown, _, folded = areas.partition("### Areas that do not differ")
    assert "East Staffordshire" in shown  # Burton's own area
    for line in [line for line in folded.splitlines() if line.startswith("| ")][1:]:
        assert abs(float(line.rstrip(" |").rsplit("| ", 1)[1].replace(",", ""))) < 0.5  # travel-only change a year
    side_by_side = markdown.split("## Side by side\n\n")[1].split("## Grade 1 by local")[0]
    main_rows, _, same_rows = side_by_side.partition("### Rows with the same value in every scenario")
    assert "by local authority" not in main_rows  # the per-area table has them (comparison.csv too)
    folded_rows = [line.split(" | ") for line in same_rows.splitlines() if line.startswith("| ") and "**" not in line]
    assert folded_rows[1:] and all(cells[1] == cells[2] for cells in folded_rows[1:])  # small == no Burton
    section = None
    for line in main_rows.splitlines()[2:]:  # after the header and separator rows
        cells = line.split(" | ")
        if "**" in line:
            section = cells[0].strip("| *")
        elif line.startswith("| ") and section not in ALWAYS_SHOWN:
            assert cells[1] != cells[2], line
    page = (out / "comparison.html").read_text()
    assert 'id="hc-verdict"' in page and "<b>small reaches more</b>" in page
    assert '<details class="hc-folded hc-same">' in page
    assert "Grade 1 by local authority: no Burton against small" in page


def test_tradeoff_csv_holds_the_sweep_and_agrees_with_the_table_at_the_configured_point(compared):
    _, out = compared
    sweep = pd.read_csv(out / "tradeoff.csv")
    table = pd.read_csv(out / "comparison.csv")
    assert list(sweep["scenario"].unique()) == ["small", "no Burton"]
    for column in ("small", "no Burton"):
        mine = sweep[sweep["scenario"] == column]
        configured = mine[mine["point"] == "as configured"].iloc[0]
        assert configured["grade1_share_travel_only"] == pytest.approx(
            value(table, "within 15 min, travel only", column)
        )
        assert configured["grade1_share_with_busy_cars"] == pytest.approx(
            value(table, "within 15 min, with busy cars", column)
        )
        points = mine[mine["point"] == "sweep"]
        assert len(points) == 3 and points["method"].str.contains("banded Grade 1 score").all()
        assert points["locations_per_shift"].is_monotonic_increasing
        assert (points["locations_opened_per_shift"] <= points["locations_per_shift"] + 1e-9).all()


def test_plans_flag_sites_outside_the_force_area_and_those_answering_little(compared):
    _, out = compared
    for folder in ("small", "no-Burton"):
        plan = pd.read_csv(out / folder / "plan.csv")
        checks = json.loads((out / folder / "kpis.json").read_text())["site_checks"]
        assert (plan["outside_force_area_m"] >= 0).all()
        outside = plan[plan["outside_force_area_m"] > 0]
        assert len(checks["outside_force_area"]) == len(outside)
        assert (outside["outside_force_area_m"] <= checks["area_buffer_m"]).all()  # farther is refused
        little = plan[plan["grade1_first_response_per_year"] < checks["little_grade1_per_year"]]
        assert sorted(s["location_id"] for s in checks["answer_little"]) == sorted(little["location_id"])


def test_table_has_a_column_per_scenario_and_the_variant_definition(compared):
    _, out = compared
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == ["section", "metric", "unit", "small", "no Burton"]
    assert value(table, "definition", "small") == SMALL
    assert value(table, "definition", "no Burton") == f"{SMALL} with --drop-base 'Burton'"
    assert (value(table, "bases", "small"), value(table, "bases", "no Burton")) == (2, 1)
    # Stafford 3 + Burton 2 cars early; Stafford alone 3.
    assert (value(table, "cars on duty, early", "small"), value(table, "cars on duty, early", "no Burton")) == (5, 3)
    kpis = json.loads((out / "no-Burton" / "kpis.json").read_text())
    assert kpis["definition"] == f"{SMALL} with --drop-base 'Burton'"


def test_coverage_rows_match_each_plans_kpis(compared):
    _, out = compared
    table = pd.read_csv(out / "comparison.csv")
    for folder, column in (("small", "small"), ("no-Burton", "no Burton")):
        kpis = json.loads((out / folder / "kpis.json").read_text())
        assert value(table, "within 15 min, travel only", column) == pytest.approx(kpis["grade1"]["covered_share"])
        assert value(table, "within 60 min, with busy cars", column) == pytest.approx(
            kpis["grade2"]["expected_covered_share"]
        )
        assert value(table, "mean response time", column) == pytest.approx(kpis["grade1"]["mean_response_min"])


def test_difference_layer_accounts_for_the_change_in_covered_demand(compared):
    result, out = compared
    first = json.loads((out / "small" / "kpis.json").read_text())["grade1"]
    second = json.loads((out / "no-Burton" / "kpis.json").read_text())["grade1"]
    change = (second["covered_share"] - first["covered_share"]) * first["demand_per_year"]
    totals = result.difference
    assert totals["grade1_gained_per_year"] - totals["grade1_lost_per_year"] == pytest.approx(change, abs=0.05)
    assert totals["nodes_lost"] > 0  # dropping a base loses cover around Burton
    expected_change = (second["expected_covered_share"] - first["expected_covered_share"]) * first["demand_per_year"]
    busy = result.expected_difference
    assert busy["grade1_gained_per_year"] - busy["grade1_lost_per_year"] == pytest.approx(expected_change, abs=0.05)


def test_target_rows_are_consistent_with_the_sweep(compared):
    result, _ = compared
    table = result.table
    for shift in ("early", "late", "night"):
        needed = value(table, f"locations needed, {shift}", "small")
        reached = value(table, f"target reached, {shift}", "small")
        share = value(table, f"Grade 1 share at that count, {shift}", "small")
        assert reached in ("yes", "no")
        assert (share >= 0.9) == (reached == "yes")
        assert 0 <= needed <= 5


def test_cli_compare_and_bad_overrides(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    code = main(
        ["-q", "compare", SMALL, "--drop-base", "Stoke", "--set", "bases.Stafford.nite.units=1", "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "no base named 'Stoke'; bases: Stafford, Burton" in err
    assert "SHIFT one of early, late, night" in err
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_cli_needs_two_scenarios(tmp_path, capsys):
    assert main(["-q", "compare", SMALL, "--out", str(tmp_path / "out")]) == 2
    assert "needs at least two scenarios" in capsys.readouterr().err


def test_cli_rejects_a_target_outside_zero_one(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["compare", SMALL, SMALL, "--target-grade1", "95", "--out", str(tmp_path)])
    assert caught.value.code == 2
    assert "is not a share in (0, 1]; for 95 % give 0.95" in capsys.readouterr().err


SIM = "tests/data/scenarios/sim.toml"


def test_cli_refuses_an_added_base_without_saying_where_its_cars_come_from(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["-q", "compare", SMALL, "--add-base", "Lichfield=WS13 6HQ", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "say where the new base's cars come from: --add-cars" in err and "--cars-from BASE" in err
    assert not out.exists() or not any(out.iterdir())
    with pytest.raises(SystemExit):
        main(["compare", SMALL, "--add-base", "L=WS13 6HQ", "--add-cars", "--cars-from", "Burton", "--out", str(out)])
    assert "not allowed with argument" in capsys.readouterr().err


def test_simulated_attendance_leads_with_paired_changes(tmp_path, monkeypatch, capsys):
    """Both configurations are simulated on the same seeds; the table reports means, intervals and paired changes."""
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    argv = ["-q", "compare", SIM, "--set", "bases.Stafford.early.units=2", "--variant-name", "fewer cars"]
    assert main([*argv, "--sweep-points", "0", "--replications", "3", "--days", "20", "--out", str(out)]) == 0
    table = pd.read_csv(out / "comparison.csv")
    simulated = table[table["section"] == "simulated attendance (call to arrival, busy cars)"]
    assert simulated["metric"].tolist()[:3] == [
        "Grade 1 within target",
        "Grade 1 within target, 95 % interval",
        "Grade 1 within target, paired change vs first (95 %)",
    ]
    assert (
        table.index[table["section"] == "simulated attendance (call to arrival, busy cars)"][0]
        < table.index[table["section"] == "Grade 1"][0]
    )  # simulated attendance comes before the static cover rows
    first = json.loads((out / "sim" / "simulation" / "simulation.json").read_text())
    variant = json.loads((out / "fewer-cars" / "simulation" / "simulation.json").read_text())
    assert first["seed"] == variant["seed"] == 1 and first["replications"] == variant["replications"] == 3
    mean_first = value(table, "Grade 1 within target", "sim")
    assert mean_first == pytest.approx(first["grade1"]["within_target"]["mean"], abs=1e-6)
    change = value(table, "Grade 1 within target, paired change vs first (95 %)", "fewer cars")
    expected = 100 * (value(table, "Grade 1 within target", "fewer cars") - mean_first)
    assert change.startswith(f"{expected:+.1f} pts (")
    markdown = (out / "comparison.md").read_text()
    assert "paired replication by replication" in markdown
    verdict = markdown.split("## Verdict\n\n")[1].split("\n")[0]
    assert verdict.startswith("By simulated attendance, 3 replications of 20 days on the same incidents")
    assert "cars on duty early 7 → 5; deployment locations the same" in verdict
    # Two spare cars fewer at Stafford, early: flagged, with which measure sees it.
    assert "Spare cars changed with no change in deployment locations (Stafford early 4 → 2)" in markdown
    assert "the travel-time cover cannot see this" in markdown and "the simulation sees it." in markdown
    terminal = " ".join(capsys.readouterr().out.split())
    assert "Verdict: By simulated attendance, 3 replications of 20 days" in terminal
    assert "Verdict: Spare cars changed with no change in deployment locations" in terminal
    assert markdown.index("Spare cars changed") < markdown.index("## Side by side")  # beside the verdict


def test_the_terminal_leads_with_the_verdict_and_shows_only_the_rows_that_differ(compared):
    from rich.console import Console

    from optimiser.compare_table import fold_same_rows, formatted_table
    from optimiser.console import print_comparison

    result, _ = compared
    console = Console(record=True, width=160)
    print_comparison(result, console)
    text = console.export_text()
    assert text.startswith("Verdict: ")
    assert text.index("Verdict: ") < text.index("Rows that differ")
    _, same = fold_same_rows(formatted_table(result.table))
    assert len(same) and f"{len(same)} rows with the same value in every configuration" in text
    for metric in same["metric"]:
        assert f"│ {metric} " not in text.replace("  ", " ")


def test_the_sweep_is_simulated_on_the_tables_seeds(tmp_path, monkeypatch):
    """Each sweep point's plan is simulated; the configured plan, simulated the same way, is the table's figure."""
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    argv = ["-q", "compare", SIM, "--drop-base", "Stafford", "--variant-name", "no Stafford", "--out", str(out)]
    assert main([*argv, "--sweep-points", "3", "--replications", "3", "--days", "20"]) == 0
    sweep = pd.read_csv(out / "tradeoff.csv")
    table = pd.read_csv(out / "comparison.csv")
    for label in ("sim", "no Stafford"):
        mine = sweep[sweep["scenario"] == label]
        points = mine[mine["point"] == "sweep"]
        assert len(points) >= 2 and points["grade1_simulated_within_target"].between(0, 1).all()
        assert (points["grade1_simulated_low"] <= points["grade1_simulated_within_target"]).all()
        assert (points["grade1_simulated_within_target"] <= points["grade1_simulated_high"]).all()
        configured = mine[mine["point"] == "as configured"]["grade1_simulated_within_target"].iloc[0]
        assert configured == pytest.approx(value(table, "Grade 1 within target", label), abs=1e-6)
    # no locations at all (every car at its base) attends fewer Grade 1 incidents in time than the most swept
    points = sweep[(sweep["scenario"] == "sim") & (sweep["point"] == "sweep")]
    assert points["grade1_simulated_within_target"].iloc[0] < points["grade1_simulated_within_target"].iloc[-1]
    assert "dotted with squares: each sweep point's plan simulated" in (out / "comparison.md").read_text()


def test_without_replications_the_sweep_has_no_simulated_values(compared):
    _, out = compared
    sweep = pd.read_csv(out / "tradeoff.csv")
    assert sweep["grade1_simulated_within_target"].isna().all()
