"""A solved scenario as deployments the simulation can judge: the plan's, parked, random, improved.

:func:`scenario_simulation` writes the solved plan to a temporary folder,
reads it back and builds its simulation geometry with **every candidate site**
as a place, so any deployment over the scenario's candidates (the plan's, one
drawn at random, one a search found) is simulated on the same places, travel
table and incidents.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.evaluate import evaluate_plan, score_plan
from models.plan import Plan
from optimiser.improve import AT_BASE, Deployment, DeploymentJob, SearchSpace, deployment_from_sites, search_space
from optimiser.kpis import scenario_kpis
from optimiser.plan_input import read_plan
from optimiser.plan_output import write_plan
from optimiser.prepare import PreparedScenario
from optimiser.scenario import SimulationSpec
from optimiser.simulation_model import (
    SimulationGeometry,
    SimulationModel,
    available_cars,
    model_from_geometry,
    simulation_geometry,
)
from optimiser.solve import ShiftResult, coverage_params, shift_result


@dataclass(frozen=True, eq=False)
class ScenarioSimulation:
    """A scenario's simulation over all its candidate sites.

    Attributes
    ----------
    geometry
        Places (demand nodes, bases, the plan's locations, every candidate), travel, demand.
    spec
        The scenario's simulation assumptions.
    cars
        Cars on duty per shift and base, ``(n_shifts, n_bases)``.
    model
        The model with every car at its base (the template deployments are posted into).
    space
        The moves a search may make.
    """

    geometry: SimulationGeometry
    spec: SimulationSpec
    cars: np.ndarray
    model: SimulationModel
    space: SearchSpace

    def job(self, days: int) -> DeploymentJob:
        """A job simulating deployments for ``days`` days."""
        return DeploymentJob(self.model, self.spec, days)


def eligible_sites(prepared: PreparedScenario) -> np.ndarray:
    """``(n_bases, n_candidates)``: candidates within each base's reach (normal driving)."""
    return np.asarray(prepared.base_to_candidate_s <= prepared.max_base_travel_s[:, None])


def scenario_simulation(
    prepared: PreparedScenario,
    results: list[ShiftResult],
    *,
    cache_dir: Path | None = None,
    workers: int = 1,
) -> ScenarioSimulation:
    """The simulation of a solved scenario over all its candidate sites (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="hubplan-improve-") as folder:
        write_plan(prepared, results, scenario_kpis(prepared, results), folder)
        plan = read_plan(folder, demand=True)
    sites_xy = prepared.candidates[["x_m", "y_m"]].to_numpy(float)
    geometry = simulation_geometry(plan, cache_dir=cache_dir, workers=workers, extra_sites_xy=sites_xy)
    # the same sites as the plan's candidates layer, so this table is the one `simulate` of the plan uses
    spec = prepared.scenario.simulation
    model = model_from_geometry(geometry, spec, posts="bases")
    space = search_space(
        geometry.travel_s, geometry.site_places, geometry.base_places, eligible_sites(prepared), geometry.demand[0]
    )
    return ScenarioSimulation(geometry, spec, available_cars(geometry, spec), model, space)


def ranked_sites(result: ShiftResult) -> list[tuple[int, int]]:
    """The shift's ``(candidate, base)`` pairs, most Grade 1 demand answered first (as the simulation posts them)."""
    demand = result.instance.grade1_demand
    answered = np.bincount(
        result.responding_site[result.responding_site >= 0],
        weights=demand[result.responding_site >= 0],
        minlength=result.instance.n_candidates + result.instance.n_bases,
    )
    pairs = list(zip(result.plan.sites, result.plan.site_bases, strict=True))
    return sorted(pairs, key=lambda pair: (-answered[pair[0]], pair[0]))


def plan_deployment(results: list[ShiftResult], cars: np.ndarray) -> Deployment:
    """The plan's deployment: each base's cars at its locations (most Grade 1 demand first), the rest at base."""
    return deployment_from_sites([ranked_sites(r) for r in results], cars)


def parked_deployment(cars: np.ndarray) -> Deployment:
    """Every car at its base."""
    return deployment_from_sites([[] for _ in range(cars.shape[0])], cars)


def random_deployment(like: Deployment, space: SearchSpace, rng: np.random.Generator) -> Deployment:
    """As many posted cars per shift and base as ``like``, at distinct random sites within each base's reach."""
    site, base = [], []
    for sites, bases in zip(like.site, like.base, strict=True):
        used: set[int] = set()
        shift_sites = []
        for j, b in zip(sites, bases, strict=True):
            if j == AT_BASE:
                shift_sites.append(AT_BASE)
                continue
            options = np.flatnonzero(space.eligible[b])
            options = options[~np.isin(options, list(used))]
            drawn = int(rng.choice(options)) if options.size else AT_BASE
            used.add(drawn)
            shift_sites.append(drawn)
        site.append(tuple(shift_sites))
        base.append(tuple(bases))
    return Deployment(tuple(site), tuple(base))


def results_from_deployment(
    prepared: PreparedScenario, results: list[ShiftResult], deployment: Deployment
) -> list[ShiftResult]:
    """Shift results whose locations are the deployment's posted cars (cover recomputed; the solve report kept)."""
    updated = []
    for result, pairs in zip(results, deployment.sites_by_shift(), strict=True):
        sites = sorted(pairs)
        instance = result.instance
        params = coverage_params(prepared, instance, result.shift)
        coverage = evaluate_plan(instance, sites)
        values = score_plan(instance, sites, [pairs[j] for j in sites], params, coverage=coverage)
        plan = Plan(tuple(sites), tuple(pairs[j] for j in sites), coverage, values, result.plan.report)
        updated.append(shift_result(result.shift, instance, plan))
    return updated
