"""The simulation search and the deployments it compares, on the small two-base scenario."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from optimiser.improve import AT_BASE, SearchSettings, improve_deployment, paired_t, seed_score
from optimiser.improve_plan import (
    eligible_sites,
    parked_deployment,
    plan_deployment,
    random_deployment,
    results_from_deployment,
    scenario_simulation,
)
from optimiser.prepare import prepare
from optimiser.scenario import load_scenario
from optimiser.simulation_model import model_from_geometry
from optimiser.solve import solve_scenario
from tests.optimiser.plans import shared_cache

SIM = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "sim.toml"
FAST = SearchSettings(max_proposals=40, replications=4, days=21, rotate_every=20, workers=1)


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    prepared = prepare(load_scenario(SIM))
    results = solve_scenario(prepared)
    simulation = scenario_simulation(prepared, results, cache_dir=shared_cache(tmp_path_factory))
    return prepared, results, simulation


def test_the_plan_deployment_posts_each_bases_available_cars_at_its_locations(solved):
    prepared, results, simulation = solved
    deployment = plan_deployment(results, simulation.cars)
    assert deployment.cars_per_base(len(prepared.scenario.bases)).tolist() == simulation.cars.tolist()
    for result, sites, bases in zip(results, deployment.site, deployment.base, strict=True):
        posted = [(j, b) for j, b in zip(sites, bases, strict=True) if j != AT_BASE]
        assert set(posted) <= set(zip(result.plan.sites, result.plan.site_bases, strict=True))
        assert len({j for j, _ in posted}) == len(posted)


def test_the_plan_deployment_simulates_the_cars_the_plan_model_has(solved):
    _, results, simulation = solved
    cars = plan_deployment(results, simulation.cars).cars(simulation.space.site_places, simulation.space.base_places)
    from_plan = model_from_geometry(simulation.geometry, simulation.spec, posts="plan")
    given = model_from_geometry(simulation.geometry, simulation.spec, cars=cars)
    assert given.posts == "deployment"
    for mine, theirs in zip(given.shifts, from_plan.shifts, strict=True):
        assert Counter(mine.cars) == Counter(theirs.cars)


def test_random_deployments_keep_the_counts_and_the_reach(solved):
    prepared, results, simulation = solved
    like = plan_deployment(results, simulation.cars)
    eligible = eligible_sites(prepared)
    drawn = random_deployment(like, simulation.space, np.random.default_rng(3))
    assert drawn.base == like.base
    for sites, bases, like_sites in zip(drawn.site, drawn.base, like.site, strict=True):
        assert [j == AT_BASE for j in sites] == [j == AT_BASE for j in like_sites]
        posted = [(j, b) for j, b in zip(sites, bases, strict=True) if j != AT_BASE]
        assert all(eligible[b, j] for j, b in posted)
        assert len({j for j, _ in posted}) == len(posted)


def test_the_search_is_deterministic_and_accepts_only_significant_gains(solved):
    _, _, simulation = solved
    start = parked_deployment(simulation.cars)
    first = improve_deployment(simulation.job(FAST.days), simulation.space, start, FAST)
    again = improve_deployment(
        simulation.job(FAST.days), simulation.space, start, SearchSettings(**{**FAST.__dict__, "workers": 2})
    )
    assert first.deployment == again.deployment
    assert first.stopped_by == "proposals" and first.proposals == FAST.max_proposals
    assert first.steps, "from cars all parked, some move must pay"
    assert all(step.gain > 0 and step.t >= FAST.z_accept for step in first.steps)


def test_the_search_beats_its_start_on_fresh_seeds(solved):
    """From every car parked, the searched deployment does better on seeds the search never saw."""
    _, _, simulation = solved
    start = parked_deployment(simulation.cars)
    found = improve_deployment(simulation.job(FAST.days), simulation.space, start, FAST).deployment
    job = simulation.job(60)
    fresh = list(range(1, 9))
    space = simulation.space
    before = seed_score(job.solve((start.cars(space.site_places, space.base_places), fresh)), FAST.grade2_weight)
    after = seed_score(job.solve((found.cars(space.site_places, space.base_places), fresh)), FAST.grade2_weight)
    assert paired_t(after - before) > 2.0


def test_results_from_a_deployment_hold_its_posted_sites(solved):
    prepared, results, simulation = solved
    like = plan_deployment(results, simulation.cars)
    deployment = random_deployment(like, simulation.space, np.random.default_rng(0))
    updated = results_from_deployment(prepared, results, deployment)
    for result, pairs in zip(updated, deployment.sites_by_shift(), strict=True):
        assert dict(zip(result.plan.sites, result.plan.site_bases, strict=True)) == pairs
        assert result.response_s.shape == (result.instance.n_demand,)


def test_paired_t_of_constant_gains():
    assert paired_t(np.array([0.1, 0.1, 0.1])) == np.inf
    assert paired_t(np.zeros(4)) == 0.0
    assert paired_t(np.array([1.0, -1.0, 1.0, -1.0])) == 0.0


def test_optimise_improves_by_simulation_and_writes_the_simulated_section(tmp_path, tmp_path_factory, monkeypatch):
    """``optimise --improve N --replications R``: kpis.json carries the search and the fresh-seed simulation,
    and the report leads with simulated attendance."""
    import json

    from optimiser.cli import main
    from optimiser.report import write_report

    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))
    out = tmp_path / "plan"
    argv = ["-q", "optimise", str(SIM), "--out", str(out), "--workers", "1"]
    assert main([*argv, "--improve", "8", "--replications", "3", "--days", "30"]) == 0
    kpis = json.loads((out / "kpis.json").read_text())
    simulated = kpis["simulated"]
    assert simulated["replications"] == 3 and simulated["days"] == 30 and simulated["seed"] == 1
    low, high = simulated["grade1"]["within_target"]["ci95"]
    assert 0 < low <= simulated["grade1"]["within_target"]["mean"] <= high <= 1
    assert kpis["search"]["proposals"] == 8 and kpis["search"]["stopped_by"] == "proposals"
    html = Path(write_report(out, tmp_path / "report.html")).read_text()
    assert html.index("Simulated attendance") < html.index("Coverage (travel time; an upper bound)")


def test_optimise_refuses_bad_simulation_options(tmp_path, capsys):
    from optimiser.cli import main

    out = tmp_path / "plan"
    assert main(["optimise", str(SIM), "--out", str(out), "--replications", "-1", "--improve", "-2"]) == 2
    err = capsys.readouterr().err
    assert "--replications" in err and "--improve" in err and not out.exists()


def test_the_search_keeps_the_better_start(solved):
    """Given the plan and every car parked, the search starts from the one scoring best on its first seeds."""
    _, results, simulation = solved
    plan, parked = plan_deployment(results, simulation.cars), parked_deployment(simulation.cars)
    settings = SearchSettings(**{**FAST.__dict__, "max_proposals": 0})
    first = improve_deployment(simulation.job(settings.days), simulation.space, [parked, plan], settings)
    second = improve_deployment(simulation.job(settings.days), simulation.space, [plan, parked], settings)
    assert first.deployment == second.deployment == plan
    assert (first.start, second.start) == (1, 0) and first.proposals == 0
