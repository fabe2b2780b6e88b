"""Availability by place: busy fractions per base area and shift, from simulation, fed back into expected cover.

With ``[solver] busy_fraction = "simulated"`` the scenario is first solved with
each shift's estimated busy fraction (``"auto"``). Then, up to
``[solver] busy_iterations`` times:

1. **Simulate** the plan briefly (:data:`REPLICATIONS` replications of
   :data:`DAYS` days, seeds from :data:`FIRST_SEED`, far from the seeds plans
   are judged on and from the simulation search's), its cars posted as the
   written plan posts them (:func:`optimiser.improve_plan.plan_deployment`).
   Every iteration uses the same seeds, so the plans differ, not the incidents.
2. **Measure** the busy share of each base's cars in each shift (time committed
   to jobs over time on duty, the mean over the replications). A base's cars
   are its area's cars (:mod:`optimiser.simulation_model`: every demand place
   belongs to one base area), so that share is the area's busy fraction.
3. **Re-solve** every shift with one busy fraction per demand node: the share
   of its base area's cars in that shift, capped at
   :data:`models.response.MAX_BUSY_FRACTION`. A base with no car on duty in a
   shift takes the simulated share of all the shift's cars (assumed: its area
   is then answered by its neighbours).
4. **Stop** when no (shift, site) changed, or after ``busy_iterations`` re-solves.

The record (:func:`availability_record`) goes into ``kpis.json`` as
``availability``: per iteration, the busy fractions by area and shift that were
fed in, the simulated Grade 1 attendance of the plan they came from, and the
number of (shift, site) changes the re-solve made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.response import MAX_BUSY_FRACTION
from models.simulation import busy_share_by_group, sample_incidents, simulate
from optimiser.executor import chunked, run_chunks
from optimiser.improve import with_cars
from optimiser.improve_plan import ScenarioSimulation, plan_deployment, scenario_simulation
from optimiser.prepare import PreparedScenario
from optimiser.replications import standard_targets_s, within_standard
from optimiser.simulation_model import SimulationModel
from optimiser.solve import ShiftResult, coverage_params, shift_result, solve_shift

log = logging.getLogger(__name__)

#: Replications of each simulation between two solves.
REPLICATIONS = 4
#: Simulated days per replication (a quarter of a year).
DAYS = 91
#: First seed of these simulations: far from the seeds plans are judged on (1 up) and the search's (50,000 up).
FIRST_SEED = 90_000


@dataclass(frozen=True, eq=False)
class BusyJob:
    """Simulate one deployment on given seeds; per seed, the busy share of each base's cars in each shift."""

    model: SimulationModel
    days: int

    def solve(self, seeds: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per seed: busy share ``(n_bases, n_shifts)`` (NaN where no car is on duty), and Grade 1 (within, all)."""
        duties = self.model.duties(self.days)
        n_bases, n_shifts = len(self.model.base_names), len(self.model.shift_names)
        shift = self.model.duty_shift(self.days)
        out = []
        for seed in seeds:
            incidents = sample_incidents(self.model.incident_params, days=self.days, seed=int(seed))
            result = simulate(self.model.places, duties, incidents, self.model.policy)
            busy = np.full((n_bases, n_shifts), np.nan)
            for key, share in busy_share_by_group(duties, result, duties.base * n_shifts + shift).items():
                busy[key // n_shifts, key % n_shifts] = share
            overall = busy_share_by_group(duties, result, shift)
            for k, share in overall.items():
                busy[np.isnan(busy[:, k]), k] = share
            records = result.incidents
            grade1 = incidents.grade == 1
            area_class = self.model.place_area_class[incidents.place]
            target_s = standard_targets_s(self.model.standard, incidents.grade, area_class)
            within = within_standard(self.model.standard, records, target_s)
            out.append((busy, np.array([float(within[grade1].sum()), float(grade1.sum())])))
        return out


@dataclass(frozen=True)
class BusyMeasure:
    """What one simulation of a plan measured.

    Attributes
    ----------
    busy
        Busy share of each base area's cars per shift, ``(n_bases, n_shifts)`` in the model's
        base and shift order, capped.
    grade1_within_target_share
        Simulated Grade 1 incidents attended within target (the plan's response
        standard, as :mod:`optimiser.replications` counts them), over all replications.
    """

    busy: np.ndarray
    grade1_within_target_share: float


def measure_busy(model: SimulationModel, *, replications: int, days: int, seed: int, workers: int = 1) -> BusyMeasure:
    """Simulate ``model`` on seeds ``seed, seed + 1, ...`` and average the busy shares over the replications."""
    seeds = list(range(seed, seed + replications))
    parts = run_chunks(BusyJob(model, days), chunked(seeds, workers=workers), workers=workers)
    runs = [run for part in parts for run in part]
    busy = np.mean([b for b, _ in runs], axis=0)
    grade1 = np.sum([g for _, g in runs], axis=0)
    share = float(grade1[0] / grade1[1]) if grade1[1] > 0 else float("nan")
    return BusyMeasure(np.minimum(busy, MAX_BUSY_FRACTION), share)


def in_scenario_order(busy: np.ndarray, model: SimulationModel, prepared: PreparedScenario) -> np.ndarray:
    """``busy`` (the model's base and shift order) in the scenario's base and shift order."""
    bases = [model.base_names.index(b.name) for b in prepared.scenario.bases]
    shifts = [model.shift_names.index(name) for name in prepared.scenario.shift_names]
    return busy[np.ix_(bases, shifts)]


def demand_node_areas(prepared: PreparedScenario, simulation: ScenarioSimulation) -> np.ndarray:
    """Base-area index of each demand node of the prepared scenario (the instance's rows), ``(n,)``."""
    geometry = simulation.geometry
    rows = np.flatnonzero(geometry.nodes["kind"].to_numpy() == "demand")
    area_of = pd.Series(geometry.area[geometry.node_places[rows]], index=geometry.nodes["key"].to_numpy()[rows])
    return area_of.loc[prepared.demand.nodes["node_id"].astype(str).to_numpy()].to_numpy(np.int64)


def site_changes(before: list[ShiftResult], after: list[ShiftResult]) -> dict[str, int]:
    """Per shift, the sites of ``after`` that ``before`` did not open (one per moved site)."""
    return {
        new.shift: len(set(map(int, new.plan.sites)) - set(map(int, old.plan.sites)))
        for old, new in zip(before, after, strict=True)
    }


def resolve_with_busy(
    prepared: PreparedScenario, results: list[ShiftResult], busy: np.ndarray, node_area: np.ndarray
) -> list[ShiftResult]:
    """Re-solve every shift with each demand node's busy fraction: its area's in that shift (``busy[area, shift]``)."""
    shifts = list(prepared.scenario.shift_names)
    resolved = []
    for result in results:
        q = busy[node_area, shifts.index(result.shift)]
        params = coverage_params(prepared, result.instance, result.shift, busy_by_node=q)
        plan = solve_shift(prepared, result.instance, params)
        resolved.append(shift_result(result.shift, result.instance, plan))
    return resolved


@dataclass(frozen=True)
class Iteration:
    """One simulate-and-re-solve step.

    Attributes
    ----------
    busy
        Busy fraction fed in, ``(n_bases, n_shifts)``.
    grade1_within_target_share
        Simulated Grade 1 attendance within target of the plan the busy fractions came from.
    changes
        ``{shift: sites the re-solve opened that the plan before did not}``.
    seconds
        Wall time of the step (simulation and solves).
    """

    busy: np.ndarray
    grade1_within_target_share: float
    changes: dict[str, int]
    seconds: float


def settle_availability(
    prepared: PreparedScenario,
    results: list[ShiftResult],
    *,
    cache_dir: Path | None = None,
    workers: int = 1,
    on_step: Callable[[int], None] | None = None,
) -> tuple[list[ShiftResult], dict[str, Any]]:
    """Iterate simulation and expected cover until the plan settles (see the module docstring).

    Parameters
    ----------
    prepared
        The prepared scenario (``[solver] busy_iterations`` bounds the re-solves).
    results
        Its shifts solved with the estimated busy fractions.
    cache_dir
        Travel-table cache.
    workers
        Processes for the simulations.
    on_step
        Called with the iteration number before each one.

    Returns
    -------
    tuple
        The final shift results and the ``availability`` record of ``kpis.json``.
    """
    simulation = scenario_simulation(prepared, results, cache_dir=cache_dir, workers=workers)
    node_area = demand_node_areas(prepared, simulation)
    first, current = results, results
    iterations: list[Iteration] = []
    for step in range(1, prepared.scenario.solver.busy_iterations + 1):
        if on_step is not None:
            on_step(step)
        started = time.perf_counter()
        cars = plan_deployment(current, simulation.cars).cars(
            simulation.geometry.site_places, simulation.geometry.base_places
        )
        model = with_cars(simulation.model, cars, simulation.spec)
        measured = measure_busy(model, replications=REPLICATIONS, days=DAYS, seed=FIRST_SEED, workers=workers)
        busy = in_scenario_order(measured.busy, model, prepared)
        resolved = resolve_with_busy(prepared, current, busy, node_area)
        changes = site_changes(current, resolved)
        iterations.append(Iteration(busy, measured.grade1_within_target_share, changes, time.perf_counter() - started))
        log.info(
            "availability iteration %d: busy %.2f-%.2f by area and shift, %d site changes, %.0f s",
            step, float(busy.min()), float(busy.max()), sum(changes.values()),
            iterations[-1].seconds,
        )  # fmt: skip
        current = resolved
        if not any(changes.values()):
            break
    return current, availability_record(prepared, iterations, site_changes(first, current))


def availability_record(
    prepared: PreparedScenario, iterations: list[Iteration], from_first: dict[str, int]
) -> dict[str, Any]:
    """The ``availability`` section of ``kpis.json``."""
    areas = [b.name for b in prepared.scenario.bases]
    shifts = list(prepared.scenario.shift_names)
    return {
        "method": "simulation <-> expected cover (MEXCLP) iterations, busy fraction per base area and shift",
        "replications": REPLICATIONS,
        "days": DAYS,
        "first_seed": FIRST_SEED,
        "max_iterations": prepared.scenario.solver.busy_iterations,
        "settled": bool(iterations) and not any(iterations[-1].changes.values()),
        "iterations": [
            {
                "iteration": k,
                "busy_fraction": {
                    area: {shift: round(float(step.busy[a, s]), 4) for s, shift in enumerate(shifts)}
                    for a, area in enumerate(areas)
                },
                "simulated_grade1_within_target_share": round(step.grade1_within_target_share, 4),
                "site_changes": sum(step.changes.values()),
                "site_changes_by_shift": dict(step.changes),
                "seconds": round(step.seconds, 1),
            }
            for k, step in enumerate(iterations, start=1)
        ],
        "site_changes_from_first_plan": sum(from_first.values()),
        "note": "busy_fraction: share of on-duty time each base area's cars were committed, fed into the re-solve "
        "of that iteration; simulated Grade 1 share: the plan before that re-solve, on the iterations' short runs "
        "(not the seeds plans are judged on); site_changes: (shift, site) pairs the re-solve opened that the plan "
        "before it did not",
    }
