"""Small hand-built and seeded random simulation instances."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.simulation import DutyPeriods, Incidents, Places

#: A policy without mobilisation delays, so hand-computed times are travel and scene only.
NO_DELAY = {"mobilisation_parked_s": 0.0, "mobilisation_moving_s": 0.0}


def places(travel: Sequence[Sequence[float]], *, area: Sequence[int] | None = None, custody=None, factor=1.0) -> Places:
    n = len(travel)
    return Places(
        travel_s=np.asarray(travel, dtype=np.float32),
        area=np.zeros(n, dtype=int) if area is None else area,
        custody_place=np.zeros(n, dtype=int) if custody is None else custody,
        return_time_factor=factor,
    )


def duties(*rows: tuple[int, int, float, float]) -> DutyPeriods:
    """Rows of (post_place, base, start_s, end_s)."""
    post, base, start, end = zip(*rows, strict=True)
    return DutyPeriods(post_place=post, base=base, start_s=start, end_s=end)


def incidents(*rows: dict) -> Incidents:
    """Rows with keys arrival_s and place; grade 1, no call handling, 600 s on scene, no custody by default."""
    defaults = {"grade": 1, "call_handling_s": 0.0, "on_scene_s": 600.0, "custody": False, "custody_s": 0.0}
    full = [{**defaults, **row} for row in rows]
    return Incidents(**{key: [row[key] for row in full] for key in ("arrival_s", "place", *defaults)})


def random_instance(rng: np.random.Generator, *, n_places: int, n_areas: int, n_duties: int, n_incidents: int):
    """Random symmetric integer travel times, duty periods covering part of the day, incidents of all grades."""
    xy = rng.uniform(0, 3000, size=(n_places, 2))
    travel = np.round(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=2)))
    area = rng.integers(0, n_areas, size=n_places)
    area[:n_areas] = np.arange(n_areas)
    start = rng.uniform(0, 4000, size=n_duties).round(1)
    duty = DutyPeriods(
        post_place=rng.integers(0, n_places, size=n_duties),
        base=rng.integers(0, n_areas, size=n_duties),
        start_s=start,
        end_s=start + rng.uniform(2000, 12000, size=n_duties).round(1),
    )
    incident = Incidents(
        arrival_s=np.sort(rng.uniform(0, 14000, size=n_incidents)).round(2),
        place=rng.integers(0, n_places, size=n_incidents),
        grade=rng.integers(1, 4, size=n_incidents),
        call_handling_s=rng.exponential(60, size=n_incidents).round(2),
        on_scene_s=rng.exponential(900, size=n_incidents).round(2),
        custody=rng.random(n_incidents) < 0.2,
        custody_s=rng.exponential(1200, size=n_incidents).round(2),
    )
    return Places(travel, area=area, custody_place=rng.integers(0, n_places, size=n_places)), duty, incident
