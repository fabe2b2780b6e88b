"""Benchmark ``hubplan simulate`` on the shipped (calibrated) 2018 hubs plan (``make bench``).

Steps, all in one run on this machine:

1. optimise ``scenarios/hubs-2018.toml`` into a temporary folder with an empty
   cache (not a simulation cost; reported for context);
2. **first run of a plan**: build the simulation model with a cold cache (the
   blue-light travel table among all places, on 2 processes) and simulate one
   replication; then the same **from the cache**;
3. **one core**: one simulated year of the plan (engine only, after a warm-up),
   its events per second and peak memory (tracemalloc), and the same year in
   the plain SimPy model (``bench/simpy_reference.py``) on the same incidents,
   both without diversion (the SimPy model has none), with the per-incident
   response times checked equal;
4. **20 replications on 2 cores** through the local process pool.

Goals (issue 12): <= 2 s per simulated year on one core and >= 10x SimPy; 20
replications <= 30 s on 2 cores; first run <= 60 s, travel table included.

Run: ``python -m bench.bench_simulate_plan [--replications 20] [--simpy-days 365]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from models.simulation import Incidents, sample_incidents, simulate
from optimiser.optimise import optimise
from optimiser.plan_input import read_plan
from optimiser.replications import run_replication, run_replications
from optimiser.simulation_model import build_simulation_model

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "hubs-2018.toml"


def _head(incidents: Incidents, days: int) -> Incidents:
    keep = incidents.arrival_s < days * 86400.0
    return Incidents(**{name: getattr(incidents, name)[keep] for name in incidents.__dataclass_fields__})


def _seconds(run, *args, **kwargs):
    started = time.perf_counter()
    out = run(*args, **kwargs)
    return out, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--simpy-days", type=int, default=365, help="days run in SimPy (default a year)")
    args = parser.parse_args(argv)
    from bench.simpy_reference import simulate_simpy

    rows = []
    with tempfile.TemporaryDirectory(prefix="hubplan-bench-") as scratch:
        cache, plan_dir = Path(scratch) / "cache", Path(scratch) / "plan"
        os.environ["HUBPLAN_CACHE_DIR"] = str(cache)
        _, optimise_s = _seconds(optimise, SCENARIO, plan_dir, workers=2)
        plan = read_plan(plan_dir, demand=True)
        model, cold_s = _seconds(build_simulation_model, plan, cache_dir=cache, workers=2)
        _, first_rep_s = _seconds(run_replication, model, 365, 1)  # includes compiling or loading the kernel
        model, warm_s = _seconds(build_simulation_model, plan, cache_dir=cache, workers=2)
        rows.append(("optimise the scenario (context, cold cache)", f"{optimise_s:.1f} s", "", ""))
        first = cold_s + first_rep_s
        rows.append(
            ("first run: model + travel table + 1 replication", f"{first:.1f} s", "", _goal(first <= 60, "<= 60 s"))
        )
        rows.append(("later run: model from the cache", f"{warm_s:.1f} s", "", ""))

        no_divert = dataclasses.replace(model.policy, divert_for_grade1=False)
        incidents = sample_incidents(model.incident_params, days=365, seed=1)
        duties = model.duties(365)
        simulate(model.places, duties, _head(incidents, 2), no_divert)  # warm
        result, engine_s = _seconds(simulate, model.places, duties, incidents, no_divert)
        tracemalloc.start()
        simulate(model.places, duties, incidents, no_divert)
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        simpy_duties = model.duties(args.simpy_days)
        simpy_incidents = _head(incidents, args.simpy_days)
        simpy_response, simpy_s = _seconds(simulate_simpy, model.places, simpy_duties, simpy_incidents, no_divert)
        check = simulate(model.places, simpy_duties, simpy_incidents, no_divert).incidents.response_s
        same = np.allclose(check, simpy_response, rtol=0, atol=1e-6, equal_nan=True)
        simpy_year_s = simpy_s * 365 / args.simpy_days
        ratio = simpy_year_s / engine_s
        rows.append(("SimPy reference, 1 year, 1 core", f"{simpy_year_s:.2f} s", "1.0x", f"same responses: {same}"))
        rows.append(
            (
                f"engine, 1 year, 1 core ({result.events_processed / engine_s:,.0f} events/s, peak {peak_mb:,.0f} MB)",
                f"{engine_s:.2f} s",
                f"{ratio:,.0f}x",
                _goal(engine_s <= 2 and ratio >= 10, "<= 2 s, >= 10x SimPy"),
            )
        )
        _, reps_s = _seconds(run_replications, model, replications=args.replications, seed=1, days=365, workers=2)
        rows.append(
            (f"{args.replications} replications, 2 cores", f"{reps_s:.1f} s", "", _goal(reps_s <= 30, "<= 30 s"))
        )
    _print(rows, incidents.n)
    return 0


def _goal(met: bool, text: str) -> str:
    return f"{text}: {'met' if met else 'MISSED'}"


def _print(rows, n_incidents: int) -> None:
    table = Table(title=f"hubplan simulate on the 2018 hubs plan ({n_incidents:,} incidents a simulated year)")
    for column in ("step", "time", "vs SimPy", "goal"):
        table.add_column(column, justify="left" if column in ("step", "goal") else "right")
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)


if __name__ == "__main__":
    raise SystemExit(main())
