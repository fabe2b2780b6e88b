"""The ``hubplan optimise`` job: scenario file in, plan files out."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from models.kpis import PlanKpis
from optimiser.kpis import scenario_kpis
from optimiser.plan_output import write_plan
from optimiser.prepare import PreparedScenario, prepare
from optimiser.progress import terminal_progress
from optimiser.scenario import Scenario, load_scenario
from optimiser.solve import ShiftResult, solve_scenario

log = logging.getLogger(__name__)


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


def optimise(scenario: str | Path | Scenario, out_dir: str | Path, *, workers: int = 2) -> OptimiseResult:
    """Optimise every shift of a scenario (a file, or one already loaded) and write the plan files."""
    started = time.perf_counter()
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    solved = solve_with_progress(loaded, workers=workers)
    files = write_plan(solved.prepared, solved.results, solved.kpis, out_dir)
    log.info("wrote %s into %s", ", ".join(f.name for f in files), Path(out_dir))
    return OptimiseResult(files, solved.kpis, time.perf_counter() - started)


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
    return SolvedScenario(prepared, results, scenario_kpis(prepared, results))
