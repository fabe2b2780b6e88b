"""Availability by place: simulation <-> expected-cover iterations, on the small two-base scenario."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from geodata.errors import InputDataError
from models.instance import CoverageParams
from models.kpis import PlanKpis
from models.response import MAX_BUSY_FRACTION
from optimiser.availability import (
    demand_node_areas,
    in_scenario_order,
    measure_busy,
    resolve_with_busy,
    site_changes,
)
from optimiser.cli import main
from optimiser.console import availability_line
from optimiser.improve import with_cars
from optimiser.improve_plan import plan_deployment, scenario_simulation
from optimiser.prepare import prepare
from optimiser.replications import run_replication
from optimiser.scenario import load_scenario
from optimiser.solve import banded_params, solve_scenario
from tests.optimiser.plans import shared_cache

SIM = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "sim.toml"


def _simulated_scenario(folder: Path, iterations: int = 2) -> Path:
    text = SIM.read_text().replace(
        "[solver]\n", f'[solver]\nbusy_fraction = "simulated"\nbusy_iterations = {iterations}\n'
    )
    path = folder / "sim-simulated.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    prepared = prepare(load_scenario(_simulated_scenario(tmp_path_factory.mktemp("scenario"))))
    results = solve_scenario(prepared)
    simulation = scenario_simulation(prepared, results, cache_dir=shared_cache(tmp_path_factory))
    return prepared, results, simulation


@pytest.fixture(scope="module")
def optimised(tmp_path_factory):
    scenario = _simulated_scenario(tmp_path_factory.mktemp("scenario-cli"))
    out = tmp_path_factory.mktemp("plan")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(tmp_path_factory)))
        assert main(["-q", "optimise", str(scenario), "--out", str(out), "--workers", "1", "--replications", "0"]) == 0
    return json.loads((out / "kpis.json").read_text())


def test_kpis_record_every_iteration(optimised):
    record = optimised["availability"]
    steps = record["iterations"]
    assert 1 <= len(steps) <= record["max_iterations"] == 2
    assert record["settled"] == (steps[-1]["site_changes"] == 0)
    if not record["settled"]:
        assert len(steps) == record["max_iterations"]
    assert all(step["site_changes"] > 0 for step in steps[:-1])
    for step in steps:
        assert set(step["busy_fraction"]) == {"Stafford", "Burton"}
        for by_shift in step["busy_fraction"].values():
            assert set(by_shift) == {"early", "late", "night"}
            assert all(0.0 < q <= MAX_BUSY_FRACTION for q in by_shift.values())
        assert step["site_changes"] == sum(step["site_changes_by_shift"].values())
        assert 0.0 < step["simulated_grade1_within_target_share"] <= 1.0
    assert PlanKpis.from_json(optimised).availability == record
    assert availability_line(record).startswith(f"availability by place: {len(steps)} iteration")


def test_busy_by_area_and_shift_agrees_with_the_replications_busy_by_base(solved):
    prepared, results, simulation = solved
    cars = plan_deployment(results, simulation.cars).cars(simulation.space.site_places, simulation.space.base_places)
    model = with_cars(simulation.model, cars, simulation.spec)
    days, seed = 14, 90_000
    measured = measure_busy(model, replications=1, days=days, seed=seed)
    replication = run_replication(model, days, seed)
    duties = model.duties(days)
    on_duty = np.zeros_like(measured.busy)
    np.add.at(on_duty, (duties.base, model.duty_shift(days)), duties.end_s - duties.start_s)
    for b, name in enumerate(model.base_names):
        pooled = float((measured.busy[b] * on_duty[b]).sum() / on_duty[b].sum())
        assert pooled == pytest.approx(replication.busy_by_base[name], rel=1e-9)
    ordered = in_scenario_order(measured.busy, model, prepared)
    assert ordered.shape == (len(prepared.scenario.bases), len(prepared.scenario.shift_names))


def test_demand_nodes_map_to_base_areas(solved):
    prepared, _, simulation = solved
    areas = demand_node_areas(prepared, simulation)
    assert areas.shape == (len(prepared.demand.nodes),)
    assert set(areas.tolist()) == {0, 1}


def test_equal_busy_fractions_reproduce_the_first_plan(solved):
    prepared, results, _ = solved
    shifts = list(prepared.scenario.shift_names)
    auto = np.array([[prepared.response.busy_fraction_by_shift[s] for s in shifts]] * len(prepared.scenario.bases))
    again = resolve_with_busy(prepared, results, auto, np.zeros(len(prepared.demand.nodes), dtype=np.int64))
    assert site_changes(results, again) == dict.fromkeys(shifts, 0)
    for first, second in zip(results, again, strict=True):
        assert second.plan.objective_values == pytest.approx(first.plan.objective_values, rel=1e-9)


def test_banded_params_repeat_each_nodes_busy_fraction_per_band():
    q = np.array([0.1, 0.2, 0.3])
    tiled = banded_params(CoverageParams(busy_fraction=q), 3).busy_fraction
    np.testing.assert_array_equal(tiled, np.tile(q, 4))
    single = CoverageParams(busy_fraction=0.2)
    assert banded_params(single, 3) is single


@pytest.mark.parametrize(
    ("solver", "message"),
    [
        (
            {"busy_fraction": "simulate"},
            r'busy_fraction = \'simulate\': give a number in \[0, 1\), "auto" or "simulated"',
        ),
        ({"busy_iterations": 0}, r"busy_iterations = 0: give a whole number from 1 to 20"),
    ],
)
def test_bad_solver_keys_are_named(tmp_path, solver, message):
    text = SIM.read_text().replace(
        "[solver]\n", "[solver]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in solver.items())
    )
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputDataError, match=message):
        load_scenario(path)


def test_site_changes_count_moved_sites(solved):
    _, results, _ = solved
    first = results[0]
    moved_plan = dataclasses.replace(first.plan, sites=(*first.plan.sites[:-1], -5))
    moved = dataclasses.replace(first, plan=moved_plan)
    assert site_changes([first], [moved]) == {first.shift: 1}
    assert site_changes([first], [first]) == {first.shift: 0}
