"""The ``hubplan optimise`` job: scenario file in, plan files out."""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geodata.errors import InputDataError
from geodata.matrix_cache import default_cache_dir
from models.kpis import PlanKpis
from optimiser.availability import settle_availability
from optimiser.improve import SearchSettings, improve_deployment
from optimiser.improve_plan import parked_deployment, plan_deployment, results_from_deployment, scenario_simulation
from optimiser.kpis import scenario_kpis
from optimiser.memory import return_freed_memory
from optimiser.options import whole_number_problems
from optimiser.plan_input import read_plan
from optimiser.plan_output import write_plan
from optimiser.prepare import PreparedScenario, prepare
from optimiser.progress import terminal_progress
from optimiser.scenario import Scenario, load_scenario
from optimiser.simulate import SimulateRequest, run_plan_simulation
from optimiser.solve import ShiftResult, solve_scenario

log = logging.getLogger(__name__)

#: First seed of the simulation search: far from the seeds plans are judged on (1 up), so none is shared.
SEARCH_SEED = 50_000


@dataclass(frozen=True)
class OptimiseResult:
    """What ``optimise`` wrote and the KPIs it computed."""

    files: list[Path]
    kpis: PlanKpis
    seconds: float


@dataclass(frozen=True, eq=False)
class SolvedScenario:
    """A scenario prepared, solved shift by shift, and its KPIs."""

    prepared: PreparedScenario
    results: list[ShiftResult]
    kpis: PlanKpis


@dataclass(frozen=True)
class JudgeOptions:
    """How ``optimise`` judges and improves its plan by simulation (both off by default).

    Parameters
    ----------
    improve
        Proposals of the simulation search started from the optimiser's plan
        (:mod:`optimiser.improve`); 0 = no search.
    replications
        Replications (simulated ``days`` each, seeds ``seed, seed + 1, ...``) of
        the written plan, whose summary becomes ``kpis.json``'s ``simulated``
        section; 0 = not simulated. The search never uses these seeds.
    seed, days
        First seed and days per replication of that simulation.
    """

    improve: int = 0
    replications: int = 0
    seed: int = 1
    days: int = 365

    def problems(self) -> list[str]:
        """Every out-of-range option, with its valid range."""
        return whole_number_problems(
            {
                "--improve": (self.improve, 0, 100_000),
                "--replications": (self.replications, 0, 1000),
                "--seed": (self.seed, 0, SEARCH_SEED - 1001),
                "--days": (self.days, 1, 3660),
            }
        )


def optimise(
    scenario: str | Path | Scenario,
    out_dir: str | Path,
    *,
    workers: int = 2,
    judge: JudgeOptions = JudgeOptions(),
) -> OptimiseResult:
    """Optimise every shift of a scenario (a file, or one already loaded) and write the plan files.

    With ``judge`` the plan is first improved by simulation and/or simulated on
    fresh seeds, and ``kpis.json`` carries the search and the simulated attendance.
    """
    problems = judge.problems()
    if problems:
        raise InputDataError("cannot optimise", source="hubplan optimise", problems=problems)
    started = time.perf_counter()
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    solved = solve_with_progress(loaded, workers=workers)
    return_freed_memory()  # the solve's transient heap, before simulation workers fork
    search, availability = None, solved.kpis.availability
    if judge.improve:
        solved, search = improve_solved(solved, proposals=judge.improve, workers=workers)
    kpis = dataclasses.replace(solved.kpis, search=search, availability=availability)
    if judge.replications:
        kpis = dataclasses.replace(kpis, simulated=simulate_solved(solved, kpis, judge, workers=workers))
    files = write_plan(solved.prepared, solved.results, kpis, out_dir)
    log.debug("wrote %s into %s", ", ".join(f.name for f in files), Path(out_dir))  # the CLI says where
    return OptimiseResult(files, kpis, time.perf_counter() - started)


def improve_solved(solved: SolvedScenario, *, proposals: int, workers: int) -> tuple[SolvedScenario, dict[str, Any]]:
    """The solved scenario after the simulation search, and what the search did (for ``kpis.json``)."""
    prepared = solved.prepared
    settings = SearchSettings(max_proposals=proposals, seed=SEARCH_SEED, workers=workers)
    with terminal_progress() as progress:
        task = progress.add_task(f"{prepared.scenario.name}: simulation over every candidate site", total=None)
        simulation = scenario_simulation(prepared, solved.results, cache_dir=default_cache_dir(), workers=workers)
        progress.update(task, description=f"{prepared.scenario.name}: improving by simulation", total=proposals)
        starts = (plan_deployment(solved.results, simulation.cars), parked_deployment(simulation.cars))
        found = improve_deployment(
            simulation.job(settings.days),
            simulation.space,
            starts,
            settings,
            progress=lambda done: progress.update(task, completed=done),
        )
    results = results_from_deployment(prepared, solved.results, found.deployment)
    summary = {
        "started_from": ("the optimiser's plan", "every car parked at its base")[found.start],
        "proposals": found.proposals,
        "accepted": len(found.steps),
        "accepted_by_move": dict(Counter(step.move for step in found.steps)),
        "gain_in_search": round(sum(step.gain for step in found.steps), 6),
        "stopped_by": found.stopped_by,
        "seconds": round(found.seconds, 1),
        "seeds_from": settings.seed,
        "replications_per_comparison": settings.replications,
        "days_per_replication": settings.days,
        "z_accept": settings.z_accept,
        "grade2_weight": settings.grade2_weight,
        "note": "moves of single cars judged by paired simulations on common random numbers; accepted only when "
        "the paired t-statistic of the gain reached z_accept; gain_in_search is in-sample (the seeds the search "
        "used), the simulated section is on fresh seeds",
    }
    log.info(
        "simulation search: %d of %d proposals accepted in %.0f s", len(found.steps), found.proposals, found.seconds
    )
    return SolvedScenario(prepared, results, scenario_kpis(prepared, results)), summary


def simulate_solved(solved: SolvedScenario, kpis: PlanKpis, judge: JudgeOptions, *, workers: int) -> dict[str, Any]:
    """The ``simulation.json`` summary of the solved plan (written to a scratch folder and read back)."""
    with tempfile.TemporaryDirectory(prefix="hubplan-optimise-") as scratch:
        write_plan(solved.prepared, solved.results, kpis, scratch)
        plan = read_plan(scratch, demand=True)
        request = SimulateRequest(
            target=str(scratch), replications=judge.replications, seed=judge.seed, days=judge.days, workers=workers
        )
        summary = run_plan_simulation(plan, request).summary
    summary["parameters"]["plan"] = "this plan"
    return summary


def solve_with_progress(scenario: Scenario, *, workers: int = 2) -> SolvedScenario:
    """Prepare and solve ``scenario`` with progress bars on a terminal, and compute its KPIs."""
    with terminal_progress() as progress:
        tasks: dict[str, int] = {}

        def on_matrix(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(f"{scenario.name}: {label}", total=total)
            progress.update(tasks[label], completed=done)

        prepared = prepare(scenario, progress=on_matrix, workers=workers)
        solving = progress.add_task(f"{scenario.name}: solving", total=len(scenario.shift_names))

        def on_shift(shift: str) -> None:
            progress.update(solving, description=f"{scenario.name}: solving shift {shift}", advance=0)

        results = solve_scenario(prepared, on_shift=on_shift)
        progress.update(solving, completed=len(scenario.shift_names))
        availability = None
        if scenario.solver.busy_fraction == "simulated":
            results, availability = settle_with_progress(prepared, results, progress, workers=workers)
    kpis = dataclasses.replace(scenario_kpis(prepared, results), availability=availability)
    return SolvedScenario(prepared, results, kpis)


def settle_with_progress(
    prepared: PreparedScenario, results: list[ShiftResult], progress: Any, *, workers: int
) -> tuple[list[ShiftResult], dict[str, Any]]:
    """:func:`optimiser.availability.settle_availability` with a progress line per iteration."""
    most = prepared.scenario.solver.busy_iterations
    task = progress.add_task(f"{prepared.scenario.name}: availability by place", total=most)

    def on_step(step: int) -> None:
        progress.update(task, description=f"{prepared.scenario.name}: availability, iteration {step} of {most}",
                        completed=step - 1)  # fmt: skip

    settled = settle_availability(prepared, results, cache_dir=default_cache_dir(), workers=workers, on_step=on_step)
    progress.update(task, completed=most)
    return settled
