"""What each extra deployment location buys in simulated attendance: the trade-off sweep, simulated.

Travel-only cover and cover with busy cars saturate (99-100 % on the shipped
scenarios at every count), so the static sweep says an extra location buys
nothing. This module simulates each sweep point's plan as ``hubplan
simulate`` would, on the same seeds as the plan as configured:

1. read the configured plan from its folder (written by ``compare``), whose
   simulation places include every candidate site, so each sweep plan is a
   posting of the same cars on the same travel table;
2. post each base's cars at the point's locations, most Grade 1 demand first,
   the rest at the base (:func:`optimiser.improve.deployment_from_sites`);
3. simulate every point on the seeds ``seed .. seed + replications - 1``.

It runs after the scenario's prepared data is released (``compare`` holds one
configuration at a time), from the plan folder, so it adds no matrix to memory.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from geodata.matrix_cache import default_cache_dir
from geodata.pool import job_pool
from models.simulation import replication_interval
from optimiser.improve import DeploymentJob, deployment_from_sites
from optimiser.plan_input import read_plan
from optimiser.simulation_model import available_cars, model_from_geometry, simulation_geometry
from optimiser.tradeoff import Posts, Tradeoff

log = logging.getLogger(__name__)


def simulate_tradeoff(
    tradeoff: Tradeoff, plan_dir: Path, *, replications: int, seed: int, days: int, workers: int
) -> Tradeoff:
    """``tradeoff`` with each sweep point's and the configured plan's simulated Grade 1 within target.

    Parameters
    ----------
    tradeoff
        The sweep, with its points' posts (:attr:`Tradeoff.posts`).
    plan_dir
        The folder of the plan as configured (its candidates layer gives the sites the posts index).
    replications, seed, days
        Simulated years per point and the first seed (the comparison's own).
    workers
        Processes.
    """
    if replications <= 0 or not tradeoff.posts:
        return tradeoff
    plan = read_plan(plan_dir, demand=True)
    geometry = simulation_geometry(plan, cache_dir=default_cache_dir(), workers=workers)
    spec = plan.settings.simulation
    model = model_from_geometry(geometry, spec, posts="bases")
    cars = available_cars(geometry, spec)
    points: list[Posts] = [*tradeoff.posts, tradeoff.configured_posts]
    postings = [deployment_from_sites(posts, cars).cars(geometry.site_places, geometry.base_places) for posts in points]
    seeds = list(range(seed, seed + replications))
    with job_pool(DeploymentJob(model, spec, days), workers=workers) as run:
        figures = run([(posting, seeds) for posting in postings])
    intervals = np.array([_grade1_interval(per_seed) for per_seed in figures])
    log.info("simulated %d trade-off points x %d replications", len(points), replications)
    return replace(tradeoff, grade1_simulated=intervals[:-1], configured_simulated=tuple(intervals[-1].tolist()))


def _grade1_interval(per_seed: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95 % interval of Grade 1 within target across seeds (``DeploymentJob`` columns 0 and 1)."""
    interval = replication_interval(per_seed[:, 0] / np.maximum(per_seed[:, 1], 1.0))
    return interval.mean, interval.low, interval.high
