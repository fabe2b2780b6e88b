"""Which deployment wins in the simulation? Parked cars, random sites, optimised plans and the simulation search.

For each scenario (the calibrated 2018 hubs and the 2022 local bases, each with
its own cars), in one run on this machine:

1. prepare the scenario and solve it twice: **the target-cover MIP** (SCIP,
   Grade 1 counted within the target, ``grade1_scoring = "target"``: the
   product before issue 13) and **optimise's banded plan** (the scenario's own
   solver and ``"bands"``: a nearer car scores more, :mod:`models.bands`);
2. build the simulation over every candidate site (:mod:`optimiser.improve_plan`);
3. **improve** by simulation (:mod:`optimiser.improve`): from the better of the
   banded plan and every car parked (on the search's first seeds), a budget of
   proposals, on seeds from 50,000 up;
4. simulate, on the same **fresh** seeds (1 up, never seen by the search) and
   equal cars: every car **parked** at its base; **10 random-site plans** with
   the banded plan's number of posted cars per base and shift (their per-seed
   mean); the two optimised plans; the improved plan.

The table gives each one's simulated Grade 1 within 15 min, Grade 1 mean and
Grade 2 within 60 min with 95 % intervals over the replications, the paired
difference in Grade 1 within target to the best baseline (parked, random,
the target-cover MIP) with its 95 % interval, and each method's wall time.

Goal (issue 13): the recommended (improved) plan beats the best baseline by a
margin whose interval excludes zero, in both scenarios; the whole run <= 15 min
on 2 cores.

Run: ``python -m bench.bench_plans [--replications 20] [--days 365] [--proposals 600]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy import stats

from optimiser.improve import SearchSettings, improve_deployment
from optimiser.improve_plan import (
    parked_deployment,
    plan_deployment,
    random_deployment,
    scenario_simulation,
)
from optimiser.prepare import prepare
from optimiser.scenario import load_scenario
from optimiser.solve import solve_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = (ROOT / "scenarios" / "hubs-2018.toml", ROOT / "scenarios" / "lpt-2022.toml")
TARGET = "MIP on target cover (before)"
BANDED = "optimise's banded plan"
SEARCHED = "simulation search from the better of optimise's plan and parked"
BASELINES = ("parked at bases", "random sites (mean of 10)", TARGET)


def _timed(run, *args, **kwargs):
    started = time.perf_counter()
    out = run(*args, **kwargs)
    return out, time.perf_counter() - started


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95 % t-interval over replications."""
    mean = float(values.mean())
    half = float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size))
    return mean, mean - half, mean + half


def _figures(per_seed: np.ndarray) -> dict[str, np.ndarray]:
    """Per seed: Grade 1 within share, Grade 1 mean minutes, Grade 2 within share."""
    return {
        "g1": per_seed[:, 0] / per_seed[:, 1],
        "g1_mean_min": per_seed[:, 4] / per_seed[:, 1] / 60.0,
        "g2": per_seed[:, 2] / per_seed[:, 3],
    }


def run_scenario(path: Path, args: argparse.Namespace, console: Console) -> list[dict]:
    """Every method's figures for one scenario (see the module docstring)."""
    scenario = load_scenario(path)
    prepared, prepare_s = _timed(prepare, scenario, workers=args.workers)
    target_scenario = dataclasses.replace(
        scenario, solver=dataclasses.replace(scenario.solver, grade1_scoring="target", solver="scip")
    )
    target_results, target_s = _timed(solve_scenario, dataclasses.replace(prepared, scenario=target_scenario))
    band_results, band_s = _timed(solve_scenario, prepared)
    simulation, geometry_s = _timed(scenario_simulation, prepared, band_results, cache_dir=args.cache, workers=2)
    console.print(
        f"{scenario.name}: prepared in {prepare_s:.0f} s, target-cover MIP {target_s:.0f} s, banded plan "
        f"({scenario.solver.solver}) {band_s:.0f} s, "
        f"simulation over {simulation.space.site_places.size:,} candidate sites in {geometry_s:.0f} s"
    )
    banded = plan_deployment(band_results, simulation.cars)
    settings = SearchSettings(
        max_proposals=args.proposals, budget_s=args.search_s, workers=args.workers, share_cars=args.share_cars
    )
    parked = parked_deployment(simulation.cars)
    starts = (banded, parked)
    searched, search_s = _timed(improve_deployment, simulation.job(settings.days), simulation.space, starts, settings)
    console.print(
        f"{scenario.name}: search {searched.proposals} proposals, {len(searched.steps)} accepted, "
        f"{searched.blocks} seed blocks, {search_s:.0f} s (stopped by {searched.stopped_by}; started from "
        f"{('the banded plan', 'cars parked at bases')[searched.start]})"
    )
    rng = np.random.default_rng(args.random_seed)
    deployments = {
        "parked at bases": parked,
        **{f"random {k}": random_deployment(banded, simulation.space, rng) for k in range(args.random_plans)},
        TARGET: plan_deployment(target_results, simulation.cars),
        BANDED: banded,
        SEARCHED: searched.deployment,
    }
    seeds = list(range(1, 1 + args.replications))
    per_seed, evaluate_s = _timed(_simulate_all, simulation, deployments, seeds, args)
    console.print(f"{scenario.name}: {len(deployments)} deployments x {len(seeds)} replications in {evaluate_s:.0f} s")
    random_keys = [k for k in per_seed if k.startswith("random ")]
    figures = {k: _figures(v) for k, v in per_seed.items() if k not in random_keys}
    random_figures = [_figures(per_seed[k]) for k in random_keys]
    figures["random sites (mean of 10)"] = {
        name: np.mean([f[name] for f in random_figures], axis=0) for name in ("g1", "g1_mean_min", "g2")
    }
    wall = {
        "parked at bases": 0.0,
        "random sites (mean of 10)": 0.0,
        TARGET: target_s,
        BANDED: band_s,
        SEARCHED: band_s + search_s,
    }
    best = max(BASELINES, key=lambda name: figures[name]["g1"].mean())
    rows = []
    for name in (*BASELINES, BANDED, SEARCHED):
        row = {"scenario": scenario.name, "method": name, "wall_s": wall[name], "best_baseline": best}
        for key in ("g1", "g1_mean_min", "g2"):
            row[key] = _interval(figures[name][key])
        row["vs_best"] = None if name == best else _interval(figures[name]["g1"] - figures[best]["g1"])
        rows.append(row)
    return rows


def _simulate_all(simulation, deployments, seeds, args) -> dict[str, np.ndarray]:
    from geodata.pool import job_pool

    job = simulation.job(args.days)
    names = list(deployments)
    halves = [seeds[: len(seeds) // 2], seeds[len(seeds) // 2 :]]
    chunks = [
        (deployments[name].cars(simulation.space.site_places, simulation.space.base_places), half)
        for name in names
        for half in halves
    ]
    with job_pool(job, workers=args.workers) as run:
        parts = run(chunks)
    return {name: np.vstack(parts[2 * k : 2 * k + 2]) for k, name in enumerate(names)}


def _pct(interval: tuple[float, float, float]) -> str:
    mean, low, high = interval
    return f"{100 * mean:.1f} ({100 * low:.1f}-{100 * high:.1f})"


def _minutes(interval: tuple[float, float, float]) -> str:
    mean, low, high = interval
    return f"{mean:.1f} ({low:.1f}-{high:.1f})"


def _difference(interval: tuple[float, float, float] | None) -> str:
    if interval is None:
        return "best baseline"
    mean, low, high = interval
    return f"{100 * mean:+.2f} ({100 * low:+.2f} to {100 * high:+.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20, help="fresh seeds per deployment (default 20)")
    parser.add_argument("--days", type=int, default=365, help="days per replication (default a year)")
    parser.add_argument("--proposals", type=int, default=600, help="simulation search proposals per scenario")
    parser.add_argument("--search-s", type=float, default=240.0, help="wall-clock cap of each search, s")
    parser.add_argument("--random-plans", type=int, default=10)
    parser.add_argument("--random-seed", type=int, default=7)
    parser.add_argument("--share-cars", action="store_true", help="let the search move cars between bases")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("HUBPLAN_CACHE_DIR", "/tmp/hubplan-bench")))
    args = parser.parse_args(argv)
    console = Console(width=200)
    started = time.perf_counter()
    rows = [row for path in SCENARIOS for row in run_scenario(path, args, console)]
    table = Table(title=f"Simulated attendance, {args.replications} fresh replications of {args.days} days, equal cars")
    for column in ("scenario", "method", "Grade 1 within 15 min %", "Grade 1 mean min", "Grade 2 within 60 min %"):
        table.add_column(column)
    table.add_column("Grade 1 vs best baseline, points")
    table.add_column("wall s", justify="right")
    for row in rows:
        table.add_row(
            row["scenario"],
            row["method"],
            _pct(row["g1"]),
            _minutes(row["g1_mean_min"]),
            _pct(row["g2"]),
            _difference(row["vs_best"]),
            f"{row['wall_s']:.0f}",
        )
    console.print(table)
    console.print(f"whole run {time.perf_counter() - started:.0f} s on {args.workers} workers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
