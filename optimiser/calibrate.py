"""``hubplan calibrate``: fit at most four simulation parameters to a force's published attendance figures.

The scenario is optimised (its plan is what is simulated), then four unknown
parameters of ``[simulation]`` are fitted, each within declared plausible
bounds, so that the simulated Grade 1 and Grade 2 within-target shares and mean
attendance come closest to the published force-level figures. Nothing else is
fitted and nothing else is fitted to: the figures are force-wide, so the fit
says nothing about any one hub.

**The objective** is the sum over the four figures of the squared error in
units of its tolerance (:data:`TOLERANCES`: 3 points of share, 2 minutes of
Grade 1 mean, 15 minutes of Grade 2 mean). Every evaluation simulates the same
incidents (common random numbers: seeds ``seed .. seed + replications - 1``),
so the objective is a deterministic function of the parameters.

Day-to-day swing (``daily_cv``) is not fitted: it is the assumed 0.2 of the
scenario (with four figures, four parameters is the most that can be fitted).

**The search**: Nelder-Mead over the four parameters scaled to the unit cube
(clipped to the bounds), from the middle of the box with half the budget,
then restarted from the best point with the rest (a restart rebuilds the
simplex, which keeps the search from collapsing early). The fit is **not
unique**: cars, time on scene and volume trade off almost one for one, and
Grade 2 sits near saturation, where one car per shift moves its share by
many points. The result says which parameters sit on a bound.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from geodata.atomic import write_text_atomic
from geodata.errors import InputDataError
from geodata.matrix_cache import default_cache_dir
from geodata.pool import job_pool
from models.simulation import sample_incidents, simulate
from optimiser.optimise import optimise
from optimiser.options import whole_number_problems
from optimiser.plan_input import read_plan
from optimiser.published import PublishedFigures, read_published
from optimiser.scenario import SimulationSpec, load_scenario
from optimiser.scenario_toml import replace_tables
from optimiser.simulation_model import SimulationGeometry, SimulationModel, model_from_geometry, simulation_geometry

log = logging.getLogger(__name__)

FIGURES = ("grade1_within_target", "grade1_mean_min", "grade2_within_target", "grade2_mean_min")
#: Error of each figure that counts as one unit of the objective (the tolerances the fit is judged by).
TOLERANCES = {
    "grade1_within_target": 0.03,
    "grade1_mean_min": 2.0,
    "grade2_within_target": 0.03,
    "grade2_mean_min": 15.0,
}


@dataclass(frozen=True)
class FittedParameter:
    """A parameter the calibration fits, its plausible bounds and why."""

    name: str
    low: float
    high: float
    reason: str


#: The four parameters fitted, with their bounds and the reason for them.
FITTED = (
    FittedParameter(
        "cars_available_share",
        0.6,
        1.0,
        "share of the rostered cars free for response work (the rest are abstracted: training, court, "
        "vehicles off the road); it cannot exceed the roster",
    ),
    FittedParameter(
        "grade1_reserve_share",
        0.0,
        0.5,
        "share of a base area's cars kept free for Grade 1 (Grade 2 waits rather than take them): a share, not a "
        "count, so it carries from three hubs to ten bases; at most half",
    ),
    FittedParameter(
        "call_handling_grade1_median_s",
        60.0,
        600.0,
        "Grade 1 call to ready-for-dispatch (answer, grade, find the job), median: one to ten minutes",
    ),
    FittedParameter(
        "call_handling_grade1_log_sd",
        0.3,
        2.2,
        "tail of Grade 1 call handling before dispatch (log-normal spread around the median). The published mean "
        "(19 min 45 s) sits far above what 64 % within 15 minutes implies for a light-tailed delay, so a minority "
        "of Grade 1 calls must wait long before a car is sent (re-grading, call-backs, waiting for a unit type); "
        "2.2 puts one call in twenty at more than 37 times the median",
    ),
)


@dataclass(frozen=True)
class CalibrateRequest:
    """What to calibrate and how (see ``hubplan calibrate --help``)."""

    scenario: str
    published: str
    out: str
    replications: int = 6
    seed: int = 1
    days: int = 365
    max_evaluations: int = 120
    workers: int = 2

    def problems(self) -> list[str]:
        """Every out-of-range option, with its valid range."""
        checks = {
            "--replications": (self.replications, 1, 50),
            "--days": (self.days, 7, 3660),
            "--max-evaluations": (self.max_evaluations, 10, 5000),
            "--workers": (self.workers, 1, 256),
            "--seed": (self.seed, 0, 2**31),
        }
        out = whole_number_problems(checks)
        if not str(self.out).lower().endswith(".toml"):
            out.append(f"--out {self.out!r}: give the calibrated scenario file to write, ending in .toml")
        return out


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted values, the figures they give beside the published ones, and the search's record."""

    values: dict[str, float]
    simulated: dict[str, float]
    published: PublishedFigures
    objective: float
    on_bound: list[str]
    evaluations: int
    seconds: float
    path: Path


@dataclass(frozen=True, eq=False)
class FiguresJob:
    """One replication's four figures for given parameter values (sent to each worker once)."""

    geometry: SimulationGeometry
    base: SimulationSpec
    days: int
    published: PublishedFigures

    def solve(self, task: tuple[dict[str, float], int]) -> dict[str, float]:
        """The figures of ``(values, seed)``."""
        values, seed = task
        model = model_from_geometry(self.geometry, dataclasses.replace(self.base, **_typed(values)))
        return _four_figures(model, self.days, seed, self.published)


class Objective:
    """The calibration objective: the four figures of a parameter set on fixed seeds, against the published ones.

    ``run`` maps ``(values, seed)`` tasks to figures (a :func:`geodata.pool.job_pool` round), so the
    replications of one evaluation run in parallel.
    """

    def __init__(
        self,
        run: Callable[[list[tuple[dict[str, float], int]]], list[dict[str, float]]],
        published: PublishedFigures,
        request: CalibrateRequest,
    ) -> None:
        self.run, self.published, self.request = run, published, request
        self.seeds = list(range(request.seed, request.seed + request.replications))
        self.evaluations = 0
        self.best: tuple[float, dict[str, float], dict[str, float]] = (math.inf, {}, {})

    def figures(self, values: dict[str, float]) -> dict[str, float]:
        """The four simulated figures (means over the seeds) of ``values``."""
        runs = self.run([(dict(values), seed) for seed in self.seeds])
        return {name: float(np.mean([run[name] for run in runs])) for name in FIGURES}

    def __call__(self, values: dict[str, float]) -> float:
        """Sum of squared errors in units of :data:`TOLERANCES`; remembers the best point seen."""
        figures = self.figures(values)
        target = _published_figures(self.published)
        score = float(sum(((figures[k] - target[k]) / TOLERANCES[k]) ** 2 for k in FIGURES))
        self.evaluations += 1
        if score < self.best[0]:
            self.best = (score, dict(values), figures)
        log.info("calibration %d: %s -> %s (objective %.3f)", self.evaluations, _short(values), _short(figures), score)
        return score


def _four_figures(model: SimulationModel, days: int, seed: int, published: PublishedFigures) -> dict[str, float]:
    """The four published figures as simulated: within the published targets (from the call) and means."""
    incidents = sample_incidents(model.incident_params, days=days, seed=seed)
    records = simulate(model.places, model.duties(days), incidents, model.policy).incidents
    out = {}
    for grade in (1, 2):
        mine = records.grade == grade
        target_s = 60.0 * (published.grade1 if grade == 1 else published.grade2).target_min
        within = records.attended[mine] & (records.response_s[mine] <= target_s)
        attended = mine & records.attended
        out[f"grade{grade}_within_target"] = float(within.mean()) if mine.any() else math.nan
        out[f"grade{grade}_mean_min"] = float(records.response_s[attended].mean() / 60.0) if attended.any() else 1e4
    return out


def _published_figures(published: PublishedFigures) -> dict[str, float]:
    return {
        "grade1_within_target": published.grade1.within_target,
        "grade1_mean_min": published.grade1.mean_min,
        "grade2_within_target": published.grade2.within_target,
        "grade2_mean_min": published.grade2.mean_min,
    }


def _typed(values: dict[str, float]) -> dict[str, Any]:
    return {k: float(v) for k, v in values.items()}


def _short(values: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in values.items())


def fit(objective: Objective, *, max_evaluations: int) -> tuple[dict[str, float], float]:
    """Search the parameters (see the module docstring); returns the best values and objective seen."""

    def scaled(x: np.ndarray) -> float:
        x = np.clip(x, 0.0, 1.0)
        return objective({p.name: p.low + float(v) * (p.high - p.low) for p, v in zip(FITTED, x, strict=True)})

    def search(start: np.ndarray, budget: int) -> None:
        options = {"maxfev": budget, "xatol": 0.01, "fatol": 0.05, "initial_simplex": _simplex(start)}
        minimize(scaled, start, method="Nelder-Mead", options=options)

    search(np.full(len(FITTED), 0.5), max_evaluations // 2)
    best = objective.best[1]
    start = np.array([(best[p.name] - p.low) / (p.high - p.low) for p in FITTED])
    search(start, max(max_evaluations - objective.evaluations, len(FITTED) + 1))
    return objective.best[1], objective.best[0]


def _simplex(start: np.ndarray) -> np.ndarray:
    step = 0.25
    points = [start] + [
        np.clip(start + step * np.eye(start.size)[k] * (1 if start[k] < 0.5 else -1), 0, 1) for k in range(start.size)
    ]
    return np.array(points)


def on_bounds(values: dict[str, float]) -> list[str]:
    """Fitted parameters within 1 % of the width of their range from a bound."""
    out = []
    for p in FITTED:
        margin = 0.01 * (p.high - p.low)
        if values[p.name] <= p.low + margin or values[p.name] >= p.high - margin:
            out.append(p.name)
    return out


def calibrate(request: CalibrateRequest, *, progress: Callable[[int], None] | None = None) -> CalibrationResult:
    """Optimise the scenario, fit :data:`FITTED` to the published figures and write the calibrated scenario."""
    problems = request.problems()
    if problems:
        raise InputDataError("cannot calibrate", source="hubplan calibrate", problems=problems)
    started = time.perf_counter()
    published = read_published(request.published)
    scenario = load_scenario(request.scenario)
    with tempfile.TemporaryDirectory(prefix="hubplan-calibrate-") as scratch:
        optimise(scenario, scratch, workers=request.workers)
        geometry = simulation_geometry(
            read_plan(scratch, demand=True), cache_dir=default_cache_dir(), workers=request.workers
        )
    job = FiguresJob(geometry, scenario.simulation, request.days, published)
    job.solve(({}, request.seed))  # compile the simulation kernel once, before the workers fork
    with job_pool(job, workers=request.workers) as run:
        objective = Objective(run, published, request)
        values, score = fit(objective, max_evaluations=request.max_evaluations)
    values = _typed(values)
    simulated = objective.best[2]
    bound = on_bounds(values)
    seconds = time.perf_counter() - started
    text = Path(request.scenario).read_text(encoding="utf-8")
    tables = {
        "simulation": {**dataclasses.asdict(scenario.simulation), **values},
        "calibration": _provenance(request, published, values, simulated, score, bound, objective.evaluations),
    }
    notes = {p.name: f"fitted by hubplan calibrate, bounds [{p.low:g}, {p.high:g}]" for p in FITTED}
    notes.update({p.name: notes[p.name] + ", ON A BOUND" for p in FITTED if p.name in bound})
    assumed = {name: "assumed" for name in tables["simulation"] if name not in notes}
    path = write_text_atomic(request.out, replace_tables(text, tables, {"simulation": {**assumed, **notes}}))
    log.info("calibrated in %.0f s (%d evaluations): %s", seconds, objective.evaluations, _short(values))
    return CalibrationResult(values, simulated, published, score, bound, objective.evaluations, seconds, path)


def _provenance(
    request: CalibrateRequest,
    published: PublishedFigures,
    values: dict[str, Any],
    simulated: dict[str, float],
    score: float,
    bound: list[str],
    evaluations: int,
) -> dict[str, Any]:
    return {
        "published": _relative(Path(published.path), Path(request.out).resolve().parent),
        "published_source": published.source,
        "fitted": [p.name for p in FITTED],
        "bounds": {p.name: [p.low, p.high] for p in FITTED},
        "reasons": {p.name: p.reason for p in FITTED},
        "on_bound": bound,
        "simulated": {k: round(v, 4) for k, v in simulated.items()},
        "target": {k: round(v, 4) for k, v in _published_figures(published).items()},
        "tolerance": dict(TOLERANCES),
        "objective": round(score, 4),
        "evaluations": evaluations,
        "seeds": [request.seed, request.seed + request.replications - 1],
        "days": request.days,
        "method": "Nelder-Mead with one restart, on common random numbers (hubplan calibrate)",
        "note": "fitted to the four force-level 2018 figures only; the fit is not unique (cars, time on scene and "
        "volume trade off), and the hubs are not fitted separately",
        "values": json.loads(json.dumps(values)),
    }


def carry_calibration(scenario_path: str | Path, calibrated_path: str | Path, out: str | Path) -> Path:
    """Write ``scenario_path`` again with the fitted values and provenance of an already calibrated scenario.

    For a configuration with no published figures of its own (the 2022 bases): the
    values fitted on another configuration of the same force are carried over
    unchanged, and ``[calibration]`` says so (``carried_from``), an assumption to
    read beside every figure simulated with them.

    Raises
    ------
    InputDataError
        If the calibrated scenario has no ``[calibration]`` written by ``hubplan calibrate``.
    """
    source = load_scenario(calibrated_path)
    values = source.calibration.get("values")
    if not isinstance(values, dict) or not values:
        raise InputDataError(
            "has no [calibration] values; run hubplan calibrate on it first", source=str(calibrated_path)
        )
    target = load_scenario(scenario_path)
    out_folder = Path(out).resolve().parent
    provenance = {
        **source.calibration,
        "published": _relative(Path(source.calibration["published"]), out_folder),
        "carried_from": _relative(Path(calibrated_path), out_folder),
        "note": f"fitted on scenario {source.name!r} to its published figures and carried over unchanged: an "
        "assumption that the same cars available, reserve and call handling hold for this configuration",
    }
    tables = {"simulation": {**dataclasses.asdict(target.simulation), **values}, "calibration": provenance}
    notes = {name: f"fitted on {source.name} (hubplan calibrate), carried over" for name in values}
    assumed = {name: "assumed" for name in tables["simulation"] if name not in notes}
    text = Path(scenario_path).read_text(encoding="utf-8")
    path = write_text_atomic(out, replace_tables(text, tables, {"simulation": {**assumed, **notes}}))
    log.info("carried the calibration of %s into %s", calibrated_path, path)
    return path


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` when it lies below it, else absolute."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(folder))
    except ValueError:
        return str(resolved)
