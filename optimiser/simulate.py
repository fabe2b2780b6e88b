"""``hubplan simulate``: attendance of a plan with busy cars, as the force measures it, from calibrated replications.

The target is a plan folder written by ``hubplan optimise`` (cars wait at its
deployment locations and bases) or a scenario file with ``posts="bases"``
(every car parked at its base; the scenario is prepared with no deployment
locations, so nothing is solved). Writes into ``--out``, all or nothing:

* ``incidents.parquet``: every incident of every replication with the parts of
  its response (call handling, queue wait, mobilisation, travel), who attended
  and whether it was within target;
* ``simulation.json``: Grade 1 and 2 within target and mean attendance with 95 %
  intervals across replications, overall and by base area, shift and local
  authority; utilisation by base and shift; every parameter of the run;
* ``summary.md``: the same for people, beside the published figures when the
  plan's scenario was calibrated to them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geodata import embedded
from geodata.atomic import move_into_place, staging_folder
from geodata.errors import InputDataError
from geodata.incidents import read_incidents
from geodata.matrix_cache import default_cache_dir
from optimiser.kpis import standard_kpis
from optimiser.options import whole_number_problems
from optimiser.plan_input import WrittenPlan, read_plan
from optimiser.progress import terminal_progress
from optimiser.published import PublishedFigures, read_published
from optimiser.replications import Replay, replay_from_frame, run_replications
from optimiser.scenario import Scenario, ShiftStaffing, load_scenario, with_standard
from optimiser.simulation_model import POSTS, SimulationModel, build_simulation_model
from optimiser.simulation_report import simulation_markdown
from optimiser.simulation_summary import per_seed_figures, simulation_summary

log = logging.getLogger(__name__)

SIMULATION_FILES = ("incidents.parquet", "simulation.json", "summary.md")


@dataclass(frozen=True)
class SimulateRequest:
    """What to simulate and how (see ``hubplan simulate --help``)."""

    target: str
    posts: str = "plan"
    replications: int = 20
    seed: int = 1
    days: int = 365
    workers: int = 2
    scheduler: Any = None
    incidents: str | None = None
    standard: str | None = None

    def problems(self) -> list[str]:
        """Every out-of-range option, with its valid range."""
        checks = {
            "--replications": (self.replications, 1, 1000),
            "--days": (self.days, 1, 3660),
            "--workers": (self.workers, 1, 256),
            "--seed": (self.seed, 0, 2**31),
        }
        out = whole_number_problems(checks)
        if self.posts not in POSTS:
            out.append(f"--posts {self.posts!r}: valid choices: {', '.join(POSTS)}")
        return out


@dataclass(frozen=True, eq=False)
class SimulateResult:
    """What ``simulate`` wrote and found."""

    files: list[Path]
    summary: dict[str, Any]
    published: PublishedFigures | None
    seconds: float
    per_seed: pd.DataFrame


def simulate_plan(request: SimulateRequest, out_dir: str | Path) -> SimulateResult:
    """Simulate ``request.target`` and write the outputs into ``out_dir`` (all or nothing)."""
    problems = request.problems()
    if problems:
        raise InputDataError("cannot simulate", source="hubplan simulate", problems=problems)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hubplan-simulate-") as scratch:
        run = run_plan_simulation(_plan_of(request, Path(scratch)), request)
    with staging_folder(out_dir) as staging:
        incidents = pd.concat([r.incidents for r in run.replications], ignore_index=True)
        incidents.to_parquet(staging / "incidents.parquet", index=False)
        (staging / "simulation.json").write_text(json.dumps(run.summary, indent=2) + "\n", encoding="utf-8")
        (staging / "summary.md").write_text(simulation_markdown(run.summary, run.published), encoding="utf-8")
        files = move_into_place(staging, out_dir, SIMULATION_FILES, kind="simulation", owns=SIMULATION_FILES)
    seconds = time.perf_counter() - started
    log.info("simulated %d replications of %d days in %.1f s", request.replications, run.days, seconds)
    return SimulateResult(files, run.summary, run.published, seconds, per_seed_figures(run.replications))


@dataclass(frozen=True, eq=False)
class PlanSimulation:
    """The replications of one plan and their summary (the ``simulation.json`` dict)."""

    replications: list
    days: int
    summary: dict[str, Any]
    published: PublishedFigures | None


def run_plan_simulation(plan: WrittenPlan, request: SimulateRequest) -> PlanSimulation:
    """Simulate a plan read with ``demand=True`` as ``request`` asks (its ``target`` is only a label here)."""
    model = build_simulation_model(plan, posts=request.posts, cache_dir=default_cache_dir(), workers=request.workers)
    replay = _replay(model, request.incidents)
    days = replay.days if replay is not None else request.days
    replications = _run(model, request, days, replay)
    parameters = _parameters(plan, model, request)
    if replay is not None:
        parameters["incidents_file"] = {
            "path": str(request.incidents),
            "incidents": int(replay.grade.size),
            "first_day": replay.first_day,
            "largest_snap_m": round(float(replay.snap_m.max(initial=0.0)), 1),
            "note": "times, places and grades from the file; durations drawn per replication",
        }
    standards = tuple(
        standard_kpis(standard, plan.settings.area_classes).to_json()
        for standard in (model.standard, model.other_standard)
    )
    summary = simulation_summary(replications, seed=request.seed, days=days, parameters=parameters, standards=standards)
    return PlanSimulation(replications, days, summary, _published(plan))


def _plan_of(request: SimulateRequest, scratch: Path) -> WrittenPlan:
    target = Path(request.target)
    if target.suffix.lower() != ".toml":
        return read_plan(target, demand=True, standard=request.standard)
    if request.posts != "bases":
        raise InputDataError(
            "is a scenario; simulate its optimised plan (hubplan optimise it, then pass the plan folder) "
            "or give --posts bases to park every car at its base",
            source=str(target),
        )
    from optimiser.optimise import optimise  # here: optimise simulates its plans with this module

    optimise(with_standard(bases_only(load_scenario(target)), request.standard), scratch, workers=request.workers)
    return read_plan(scratch, demand=True)


def bases_only(scenario: Scenario) -> Scenario:
    """``scenario`` with no deployment locations: every car waits at its base, nothing to solve."""
    bases = tuple(
        dataclasses.replace(
            base, shifts={name: ShiftStaffing(units=s.units, locations=0) for name, s in base.shifts.items()}
        )
        for base in scenario.bases
    )
    return dataclasses.replace(scenario, bases=bases)


def _replay(model: SimulationModel, path: str | None) -> Replay | None:
    """The incidents of a file, placed at the nearest demand place; ``None`` without a file."""
    if path is None:
        return None
    frame = read_incidents(path, postcode_lookup=embedded.lookup_postcodes)
    if frame.empty:
        raise InputDataError("has no incidents to simulate", source=str(path))
    return replay_from_frame(model, frame)


def _run(model: SimulationModel, request: SimulateRequest, days: int, replay: Replay | None) -> list:
    with terminal_progress() as progress:
        task = progress.add_task(f"simulating {days} days", total=request.replications)
        advance: Callable[[int], None] = lambda done: progress.update(task, completed=done)  # noqa: E731
        return run_replications(
            model,
            replications=request.replications,
            seed=request.seed,
            days=days,
            workers=request.workers,
            scheduler=request.scheduler,
            progress=advance,
            replay=replay,
        )


def _published(plan: WrittenPlan) -> PublishedFigures | None:
    return published_figures(plan.settings.calibration)


def published_figures(calibration: dict[str, Any]) -> PublishedFigures | None:
    """The published figures a calibration was fitted to (``None`` when uncalibrated or unreadable)."""
    path = calibration.get("published")
    if not path:
        return None
    try:
        return read_published(path)
    except InputDataError as error:
        log.warning("the published figures the plan was calibrated to cannot be read (%s)", error)
        return None


def _parameters(plan: WrittenPlan, model: SimulationModel, request: SimulateRequest) -> dict[str, Any]:
    response = plan.response
    return {
        "plan": str(plan.path),
        "scenario": plan.settings.scenario,
        "posts": model.posts,
        "cars_by_shift": model.cars_by_shift(),
        "simulation": dataclasses.asdict(plan.settings.simulation),
        "calibration": dict(plan.settings.calibration),
        "speed_factor": response.speed_factor,
        "mobilisation_parked_s": response.mobilisation_s,
        "target_min": {f"grade{g}": dict(response.standard.targets_min[g]) for g in (1, 2)},
        "clock_start": response.standard.clock_start,
        "seeds": [request.seed, request.seed + request.replications - 1],
        "base_areas_declared": {base: list(areas) for base, areas in plan.settings.base_areas.items()},
        "base_area_rule": "declared local authorities belong to their base; every other local authority goes to "
        "the base whose cars reach its Grade 1 demand fastest on average (assumed: the force's area boundaries "
        "are not published)",
        "custody_rule": "nearest base (assumed)",
        "label": "modelled: simulated attendance from the call, with assumed and fitted parameters; not force records",
    }
