"""The comparison's verdict and per-area table, on hand-built simulated incidents and demand layers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from optimiser.compare_verdict import (
    Change,
    Configuration,
    area_table,
    cost_sentence,
    grade1_by_seed,
    paired_change,
    spare_car_notes,
    split_area_table,
    verdict,
)
from optimiser.overrides import Overrides, load_variant
from optimiser.scenario import load_scenario

SIM = "tests/data/scenarios/sim.toml"


def incidents(within: dict[tuple[int, str], tuple[int, int]]) -> pd.DataFrame:
    """Grade 1 incidents: ``{(seed, area): (in time, late)}``, each attended in 10 min (in time) or 20 min (late)."""
    rows = []
    for (seed, area), (in_time, late) in within.items():
        for k in range(in_time + late):
            ok = k < in_time
            shift = "early" if k % 2 == 0 else "night"
            rows.append((seed, 1, shift, area, ok, True, 600.0 if ok else 1200.0))
        rows.append((seed, 2, "late", area, True, True, 1800.0))  # Grade 2: left out of every Grade 1 figure
    columns = ["seed", "grade", "shift", "local_authority", "within_target", "attended", "response_s"]
    return pd.DataFrame(rows, columns=columns)


def demand(covered: dict[str, bool]) -> pd.DataFrame:
    """One node per area and shift, 10 Grade 1 incidents a year each, covered in 8 min or not in 30 min."""
    rows = [
        (area, shift, 10.0, 480.0 if ok else 1800.0, ok) for area, ok in covered.items() for shift in ("early", "late")
    ]
    return pd.DataFrame(rows, columns=["la_name", "shift", "grade1_per_year", "response_time_s", "covered_grade1"])


@pytest.fixture(scope="module")
def pair():
    """Tamworth gains 4 to 6 incidents in time per 73-day replication in B; Stafford is the same in both."""
    scenario = load_scenario(SIM)
    a = incidents({(s, "Tamworth"): (4, 6) for s in (1, 2, 3)} | {(s, "Stafford"): (5, 5) for s in (1, 2, 3)})
    b_counts = {1: (8, 2), 2: (9, 1), 3: (10, 0)}
    b = incidents({(s, "Tamworth"): b_counts[s] for s in (1, 2, 3)} | {(s, "Stafford"): (5, 5) for s in (1, 2, 3)})
    first = Configuration("A", scenario, demand({"Tamworth": False, "Stafford": True}), a, days=73)
    other = Configuration("B", scenario, demand({"Tamworth": True, "Stafford": True}), b, days=73)
    return first, other


def test_paired_change_is_the_interval_of_the_seed_by_seed_difference():
    first = pd.Series([0.5, 0.6, 0.7], index=[1, 2, 3])
    change = paired_change(first, first + pd.Series([0.1, 0.1, 0.1], index=[1, 2, 3]))
    assert change.mean == pytest.approx(0.1) and change.low == pytest.approx(0.1) and change.differs
    assert not paired_change(first, first).differs
    single = paired_change(first.iloc[:1], first.iloc[:1] + 0.2)
    assert math.isnan(single.low) and single.differs
    assert not Change(0.5, -0.1, 1.1).differs


def test_grade1_by_seed_scales_to_a_year_and_counts_missing_groups_as_zero(pair):
    first, _ = pair
    whole = grade1_by_seed(first.incidents, first.days)
    # 9 in time per 73 days = 45 a year; 9 of 20 within target; mean (9 x 10 + 11 x 20) / 20 min.
    assert whole["within_per_year"].tolist() == [45.0] * 3
    assert whole["share"].tolist() == pytest.approx([0.45] * 3)
    assert whole["mean_min"].tolist() == pytest.approx([15.5] * 3)
    sparse = incidents({(1, "Tamworth"): (1, 0), (2, "Stafford"): (1, 0)})
    by_area = grade1_by_seed(sparse, 365, "local_authority")
    assert by_area.loc[(1, "Stafford"), "incidents"] == 0 and by_area.loc[(1, "Stafford"), "within_per_year"] == 0


def test_area_table_shows_the_area_that_differs_and_folds_the_rest(pair):
    table = area_table(*pair)
    shown, folded = split_area_table(table)
    assert shown["area"].tolist() == ["Tamworth"] and folded["area"].tolist() == ["Stafford"]
    tamworth = shown.iloc[0]
    # (8 + 9 + 10 - 3 x 4) / 3 = 5 more in time per 73 days: 25 a year.
    assert tamworth["Grade 1 in time a year, change (95 %)"].startswith("+25 (")
    assert tamworth["simulated within target, A"] == "40.0%" and tamworth["simulated within target, B"] == "90.0%"
    assert tamworth["travel-only cover, A"] == "0.0%" and tamworth["travel-only cover, B"] == "100.0%"
    assert tamworth["travel-only Grade 1 in time a year, change"] == "+20.0"
    assert tamworth["travel-only mean response, A"] == "30.0 min"
    assert "differs" not in shown.columns


def test_without_a_simulation_the_travel_only_change_decides_what_differs(pair):
    first, other = (Configuration(c.label, c.scenario, c.demand) for c in pair)
    shown, folded = split_area_table(area_table(first, other))
    assert shown["area"].tolist() == ["Tamworth"] and folded["area"].tolist() == ["Stafford"]
    text = verdict(first, other)
    assert text.startswith("Not simulated; by travel-time cover only")
    assert "**B reaches more**" in text and "Tamworth (+20.0 a year)" in text


def test_verdict_names_the_better_configuration_the_areas_the_shifts_and_the_cost(pair):
    text = verdict(*pair)
    assert "**B reaches more Grade 1 incidents in time than A**" in text
    assert "45.0% (A) against 70.0% (B)" in text and "+25.0 points (" in text
    assert "Areas gaining Tamworth (+25 a year)." in text
    assert "Shifts gaining" in text and "losing" not in text
    assert "cars on duty the same (early 7, late 7, night 6)" in text
    assert text.endswith(
        "Travel-time cover (secondary: a free car at every site, an upper bound): "
        "50.0% → 100.0% (+50.0 points, +20.0 a year)."
    )


def test_verdict_says_when_the_simulation_cannot_tell_them_apart(pair):
    first, _ = pair
    text = verdict(first, Configuration("C", first.scenario, first.demand, first.incidents, first.days))
    assert "**C and A cannot be told apart**" in text
    assert "Areas: no change the 95 % intervals separate from zero." in text


def test_cost_and_spare_cars_of_a_variant():
    scenario = load_scenario(SIM)
    moved, _ = load_variant(SIM, Overrides(sets=("bases.Stafford.early.units=2", "bases.Burton.night.units=5")))
    fewer_sites, _ = load_variant(SIM, Overrides(sets=("bases.Burton.late.locations=1",)))
    empty = pd.DataFrame(columns=["la_name", "grade1_per_year", "response_time_s", "covered_grade1"])
    first = Configuration("A", scenario, empty)
    cost = cost_sentence(first, Configuration("B", moved, empty))
    assert cost == (
        "Cost of B against A: cars on duty early 7 → 5, night 6 → 8; deployment locations the same "
        "(early 4, late 4, night 4); bases 2 → 2."
    )
    notes = spare_car_notes(first, Configuration("B", moved, empty))
    assert len(notes) == 1 and "(Stafford early 4 → 2, Burton night 3 → 5)" in notes[0]
    assert "travel-time cover cannot see this" in notes[0] and "only a simulation (--replications) sees it" in notes[0]
    assert spare_car_notes(first, Configuration("C", fewer_sites, empty)) == []


def test_groups_absent_from_one_configuration_still_get_a_row():
    scenario = load_scenario(SIM)
    a = incidents({(s, "Tamworth"): (2, 0) for s in (1, 2)})
    b = incidents({(s, "Tamworth"): (2, 0) for s in (1, 2)} | {(s, "Leek"): (1, 1) for s in (1, 2)})
    layer = demand({"Tamworth": True})
    table = area_table(Configuration("A", scenario, layer, a, 365), Configuration("B", scenario, layer, b, 365))
    assert set(table["area"]) == {"Tamworth", "Leek"}
    assert np.all(table.columns[:2] == ["area", "simulated within target, A"])
    leek = table.set_index("area").loc["Leek"]
    assert (
        leek["simulated within target, A"] == "–" and leek["Grade 1 in time a year, change (95 %)"] == "+1 (+1 to +1)"
    )
