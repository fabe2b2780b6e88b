"""The trade-off helpers: sweep counts and the cover levels counted for a target."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.tradeoff import MAX_TARGET_LEVELS, sweep_counts, target_cover_levels


@pytest.mark.parametrize(
    ("busy", "target", "levels"),
    [
        (0.434, 0.95, 5),  # the 2018 late shift: K = 3 caps expected cover at 0.918, below the target
        (0.324, 0.95, 4),
        (0.1, 0.95, 3),  # the scenario's K = 3 already leaves room
        (0.434, 1.0, MAX_TARGET_LEVELS),
        (0.0, 0.95, 3),
    ],
)
def test_target_cover_levels_lift_the_cap_above_the_target(busy, target, levels):
    assert target_cover_levels(busy, target, 3) == levels


@given(busy=st.floats(0.01, 0.7), target=st.floats(0.05, 0.99), at_least=st.integers(1, 4))
def test_the_cap_leaves_half_the_shortfall_unless_the_levels_run_out(busy, target, at_least):
    levels = target_cover_levels(busy, target, at_least)
    assert at_least <= levels <= max(at_least, MAX_TARGET_LEVELS)
    if levels < MAX_TARGET_LEVELS:
        assert 1.0 - busy**levels >= target + (1.0 - target) / 2.0 - 1e-12


def test_sweep_counts_run_from_zero_to_half_again_the_configured_number_within_the_cars():
    assert sweep_counts(30, 100, 8).tolist() == [0, 6, 13, 19, 26, 32, 39, 45]
    assert sweep_counts(30, 36, 8).tolist() == [0, 5, 10, 15, 21, 26, 31, 36]  # capped by the cars on duty
    assert sweep_counts(2, 1, 8).tolist() == [0, 1]  # distinct counts only


@pytest.mark.parametrize(
    ("scoring", "method"),
    [
        ("target", "exact (MIP)"),
        ("bands", "heuristic (greedy and swaps on the banded Grade 1 score, no proven gap)"),
    ],
)
def test_the_sweep_maximises_the_scenarios_own_grade1_score(scoring, method, tmp_path, monkeypatch):
    """Target cover: exact MIP points. Banded score: the greedy on it, as optimise; cover evaluated plainly."""
    import dataclasses

    from optimiser.optimise import solve_with_progress
    from optimiser.scenario import load_scenario
    from optimiser.tradeoff import scenario_tradeoff

    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path / "cache"))
    scenario = load_scenario("tests/data/scenarios/small.toml")
    scenario = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, grade1_scoring=scoring))
    tradeoff = scenario_tradeoff(solve_with_progress(scenario, workers=1), points=3, target_grade1=None)
    assert tradeoff.method == method
    assert ((0 <= tradeoff.grade1_share) & (tradeoff.grade1_share <= 1)).all()
    assert tradeoff.grade1_share[-1] >= tradeoff.grade1_share[0]  # more locations never lose travel cover here
    assert len(tradeoff.posts) == tradeoff.locations.size
    assert all(len(shifts) == len(scenario.shift_names) for shifts in tradeoff.posts)
    assert [sum(len(pairs) for pairs in shifts) for shifts in tradeoff.posts][0] == 0  # no locations at 0
