"""Benchmark the response simulation on a county-size synthetic year against a plain SimPy model (``make bench``).

The instance is SYNTHETIC and built in memory (seed 0): 5,000 places in a
60 x 60 km square, clustered into towns; blue-light travel time = 60 s +
straight-line distance x 1.3 (road factor) / 64 km/h; 3 bases, each answering
the places nearest to it and holding the custody suite of its area; 12 cars
per base in each of 3 eight-hour shifts (07-15, 15-23, 23-07), at the base and
11 deployment locations in its area; one year of incidents with the sampler's
default durations (about 43,000 Grade 1 and 65,000 Grade 2 plus Grade 3
workload), a day/night profile and day-to-day overdispersion.

Timed: :func:`models.simulation.simulate` (numba, compiled before timing:
the first call in a fresh checkout compiles the kernel into numba's cache)
and ``bench/simpy_reference.py`` on the same incidents, whose per-incident
response times are checked against the engine's. Peak memory is
``tracemalloc``'s peak of allocations during a second, untimed run of each
(numpy arrays included; the travel table, built before, excluded).

Goal (issue 12): <= 2 s per simulated year on one core, >= 10x SimPy.

Run: ``python -m bench.bench_simulate [--days 365] [--simpy-days N]``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.table import Table

from models.simulation import (
    DispatchPolicy,
    DutyPeriods,
    IncidentParams,
    Incidents,
    Places,
    Shift,
    duty_periods_from_shifts,
    grade_summary,
    sample_incidents,
    simulate,
)

SIDE_M = 60_000.0
BLUE_LIGHT_MPS = 64 / 3.6
ROAD_FACTOR = 1.3
BASES_M = np.array([[15_000.0, 15_000.0], [45_000.0, 20_000.0], [30_000.0, 48_000.0]])
CARS_PER_BASE = 12
SHIFT_HOURS = ((7, 15), (15, 23), (23, 7))
ANNUAL_VOLUME = (43_000.0, 65_000.0, 8_000.0)


@dataclass(frozen=True)
class County:
    """A synthetic county: places, shift table and incident model."""

    places: Places
    shifts: tuple[Shift, ...]
    params: IncidentParams


def county(*, n_places: int = 5_000, seed: int = 0) -> County:
    """Build the synthetic county (see the module docstring)."""
    rng = np.random.default_rng(seed)
    xy = _town_points(rng, n_places)
    xy[: len(BASES_M)] = BASES_M  # places 0, 1, 2 are the bases
    distance_m = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    travel_s = (60.0 + distance_m * ROAD_FACTOR / BLUE_LIGHT_MPS).astype(np.float32)
    np.fill_diagonal(travel_s, 0.0)
    area = np.argmin(travel_s[:, : len(BASES_M)], axis=1)
    places = Places(travel_s=travel_s, area=area, custody_place=area)
    return County(places, _shifts(rng, area), _incident_params(rng, n_places))


def _town_points(rng: np.random.Generator, n: int) -> np.ndarray:
    towns = rng.uniform(5_000, SIDE_M - 5_000, size=(25, 2))
    town = rng.integers(0, len(towns), size=n)
    clustered = towns[town] + rng.normal(0, 2_500, size=(n, 2))
    rural = rng.uniform(0, SIDE_M, size=(n, 2))
    return np.clip(np.where(rng.random((n, 1)) < 0.7, clustered, rural), 0, SIDE_M)


def _shifts(rng: np.random.Generator, area: np.ndarray) -> tuple[Shift, ...]:
    cars = []
    for base in range(len(BASES_M)):
        mine = np.flatnonzero(area == base)
        posts = rng.choice(mine[mine >= len(BASES_M)], size=CARS_PER_BASE - 1, replace=False)
        cars += [(base, base)] + [(int(p), base) for p in posts]
    return tuple(Shift(start, end, tuple(cars)) for start, end in SHIFT_HOURS)


def _incident_params(rng: np.random.Generator, n: int) -> IncidentParams:
    weight = rng.gamma(0.8, 1.0, size=n)
    hour = np.arange(24)
    day_shape = 1.0 + 0.6 * np.sin((hour - 10) / 24 * 2 * np.pi)
    profile = np.tile(day_shape, (7, 1)) * np.array([1.0, 0.95, 0.95, 1.0, 1.15, 1.25, 1.15])[:, None]
    return IncidentParams(
        place_weight=np.vstack([weight, weight, weight]),
        annual_volume=ANNUAL_VOLUME,
        hour_weekday_profile=profile,
        daily_cv=0.12,
    )


def year_inputs(days: int, *, seed: int = 0) -> tuple[Places, DutyPeriods, Incidents]:
    """The county's places, ``days`` days of duty periods and incidents (incident seed ``seed + 1``)."""
    c = county(seed=seed)
    return c.places, duty_periods_from_shifts(c.shifts, days=days), sample_incidents(c.params, days=days, seed=seed + 1)


def _timed(run, *args):
    """Result, seconds and peak MB of ``run(*args)``: timed, then run again under tracemalloc (which slows it)."""
    started = time.perf_counter()
    out = run(*args)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, seconds, peak / 2**20


def _head(incidents: Incidents, days: int) -> Incidents:
    keep = incidents.arrival_s < days * 86400.0
    return Incidents(**{name: getattr(incidents, name)[keep] for name in incidents.__dataclass_fields__})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="simulated days (default one year)")
    parser.add_argument("--simpy-days", type=int, default=None, help="days run in SimPy (default: --days)")
    args = parser.parse_args(argv)
    from bench.simpy_reference import simulate_simpy

    places, duties, incidents = year_inputs(args.days)
    policy = DispatchPolicy()
    simulate(places, duties, _head(incidents, 2), policy)  # compile (or load the numba cache) before timing
    result, engine_s, engine_mb = _timed(simulate, places, duties, incidents, policy)
    simpy_days = args.simpy_days or args.days
    simpy_duties = duty_periods_from_shifts(county().shifts, days=simpy_days)
    simpy_incidents = _head(incidents, simpy_days)
    simpy_response, simpy_s, simpy_mb = _timed(simulate_simpy, places, simpy_duties, simpy_incidents, policy)
    check = simulate(places, simpy_duties, simpy_incidents, policy).incidents.response_s
    same = np.allclose(check, simpy_response, rtol=0, atol=1e-6, equal_nan=True)
    _print(args.days, simpy_days, incidents, duties, result, (engine_s, engine_mb), (simpy_s, simpy_mb), same)
    return 0


def _print(days, simpy_days, incidents, duties, result, engine, simpy, same) -> None:
    console = Console(width=150)
    events = result.events_processed
    per_year = 365 / days
    simpy_per_year = simpy[0] * 365 / simpy_days
    table = Table(title=f"response simulation: synthetic county, {days} days, {incidents.n:,} incidents, 1 core")
    for column in ("method", "s per simulated year", "events/s", "peak memory", "speed-up vs SimPy", "goal"):
        table.add_column(column, justify="left" if column in ("method", "goal") else "right")
    table.add_row(
        f"SimPy reference ({simpy_days} days, scaled)", f"{simpy_per_year:.2f}", "", f"{simpy[1]:,.0f} MB", "1.0x", ""
    )
    met = "met" if engine[0] * per_year <= 2 and simpy_per_year / (engine[0] * per_year) >= 10 else "MISSED"
    table.add_row(
        "hubplan models.simulation (numba)",
        f"{engine[0] * per_year:.3f}",
        f"{events / engine[0]:,.0f}",
        f"{engine[1]:,.0f} MB",
        f"{simpy_per_year / (engine[0] * per_year):,.0f}x",
        f"<= 2 s/year, >= 10x SimPy: {met}",
    )
    console.print(table)
    summary = grade_summary(result.incidents)
    busy = result.duties.busy_s.sum() / (duties.end_s - duties.start_s).sum()
    console.print(
        f"events processed {events:,} ({dict(result.event_counts)}); cars busy {busy:.0%}; "
        f"Grade 1 within 15 min {summary[1].within_target_share:.1%} (mean {summary[1].mean_response_s / 60:.1f} min); "
        f"Grade 2 within 60 min {summary[2].within_target_share:.1%} (mean {summary[2].mean_response_s / 60:.1f} min); "
        f"SimPy response times equal to the engine's: {same}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
