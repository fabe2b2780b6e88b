"""Simulate police response with busy cars: check the inputs, run the event loop, assemble the records.

The model in one paragraph: incidents are called in at ``arrival_s``; after
``call_handling_s`` they are ready for dispatch and join the queue of their
grade. Waiting incidents are served Grade 1, then 2, then 3, first come first
served within a grade, each by the eligible car that would arrive first
(:class:`~models.simulation.inputs.DispatchPolicy`). The car mobilises, drives
at blue-light speed from where it is, spends ``on_scene_s`` at the scene, and
with an arrest drives at normal speed to the place's custody suite and spends
``custody_s`` there. Then it is free and drives back to its post at normal
speed; it can be sent to a new incident from anywhere on the way. Cars come on
and go off duty with their duty periods; a car finishes its job in hand after
the end of its duty. The event loop itself is :mod:`models.simulation.kernel`.

Assumptions (each is a choice; change them there, not here):

* travel times are the table's, deterministic; the position of a moving car
  is bounded by its leg's two ends (:func:`models.simulation.kernel.time_to`);
* a car is busy from assignment to the end of its job; the return to post is
  free time, and time at post has no breaks or other duties;
* one car attends each incident (no back-up);
* incidents unattended at the horizon are reported, not dropped.
"""

from __future__ import annotations

import logging
import time
from types import MappingProxyType

import numpy as np

from models.errors import raise_if_problems
from models.simulation import kernel
from models.simulation.inputs import DispatchPolicy, DutyPeriods, Incidents, Places
from models.simulation.results import DutyRecords, IncidentRecords, SimulationResult

logger = logging.getLogger(__name__)


def simulate(
    places: Places,
    duties: DutyPeriods,
    incidents: Incidents,
    policy: DispatchPolicy | None = None,
    *,
    horizon_s: float = np.inf,
) -> SimulationResult:
    """Simulate one replication of response with busy cars.

    Parameters
    ----------
    places
        Travel table, base area and custody suite of every place.
    duties
        The cars' duty periods.
    incidents
        The incidents of the replication (pre-drawn, e.g. by
        :func:`models.simulation.sampling.sample_incidents`); the run draws no
        random numbers, so it is deterministic and common random numbers work
        across plans.
    policy
        Dispatch policy; default :class:`DispatchPolicy` ``()``.
    horizon_s
        Stop at this time, seconds; default: run until every incident is done
        or no car is left on duty.

    Returns
    -------
    SimulationResult
        Per-incident and per-duty records and the event counts.

    Raises
    ------
    ModelInputError
        When the inputs do not fit together (indices out of range, a reserve per
        area that does not match the areas, a bad horizon).
    """
    policy = policy or DispatchPolicy()
    n_areas = _check_together(places, duties, incidents, horizon_s)
    rules = _rules(policy, n_areas)
    cars = _cars(duties, n_areas)
    records = _blank_records(incidents.n)
    calls = _calls(incidents)
    order = np.lexsort((np.arange(incidents.n), incidents.grade, calls.ready_s)).astype(np.int64)
    tables = kernel.Tables(places.travel_s, places.area, places.custody_place, float(places.return_time_factor))
    counts = np.zeros(len(kernel.EVENT_NAMES), dtype=np.int64)
    started = time.perf_counter()
    kernel.run_events(tables, calls, order, rules, cars, records, duties.start_s, float(horizon_s), counts)
    logger.info(
        "simulated %d incidents, %d duty periods: %d events in %.2f s",
        incidents.n,
        duties.n,
        int(counts[: kernel.STALE].sum()),
        time.perf_counter() - started,
    )
    return SimulationResult(
        incidents=_incident_records(incidents, cars, records),
        duties=DutyRecords(busy_s=cars.busy_s, overrun_s=cars.overrun_s, jobs=cars.jobs),
        event_counts=MappingProxyType(dict(zip(kernel.EVENT_NAMES, counts.tolist(), strict=True))),
        horizon_s=float(horizon_s),
    )


def _check_together(places: Places, duties: DutyPeriods, incidents: Incidents, horizon_s: float) -> int:
    """Check the inputs against each other; return the number of areas."""
    problems: list[str] = []
    n = places.n_places
    if incidents.n and incidents.place.max() >= n:
        problems.append(f"Incidents.place: indices must be < {n} (the places), got up to {incidents.place.max()}")
    if duties.n and duties.post_place.max() >= n:
        problems.append(f"DutyPeriods.post_place: indices must be < {n} (the places), got {duties.post_place.max()}")
    if np.isnan(horizon_s) or horizon_s < 0:
        problems.append(f"horizon_s: expected seconds >= 0 or inf, got {horizon_s}")
    raise_if_problems(problems, "the inputs do not fit together", setting="simulate")
    return max(places.n_areas, int(duties.base.max()) + 1 if duties.n else 0)


def _rules(policy: DispatchPolicy, n_areas: int) -> kernel.Rules:
    fallback = np.zeros(4, dtype=np.bool_)
    fallback[list(policy.fallback_grades)] = True
    return kernel.Rules(
        by_area=policy.scope == "base_area",
        fallback=fallback,
        reserve=policy.reserve_per_area(n_areas),
        divert=bool(policy.divert_for_grade1),
        mob_parked_s=float(policy.mobilisation_parked_s),
        mob_moving_s=float(policy.mobilisation_moving_s),
    )


def _cars(duties: DutyPeriods, n_areas: int) -> kernel.Cars:
    d = duties.n
    return kernel.Cars(
        status=np.full(d, kernel.OFF, dtype=np.int8),
        post=duties.post_place.copy(),
        base=duties.base.copy(),
        end_s=duties.end_s.copy(),
        leg_from=duties.post_place.copy(),
        leg_to=duties.post_place.copy(),
        leg_offset=np.zeros(d),
        leg_factor=np.ones(d),
        leg_depart=np.zeros(d),
        leg_arrive=np.zeros(d),
        job=np.full(d, -1, dtype=np.int64),
        token=np.zeros(d, dtype=np.int64),
        ending=np.zeros(d, dtype=np.bool_),
        busy_since=np.zeros(d),
        busy_s=np.zeros(d),
        overrun_s=np.zeros(d),
        jobs=np.zeros(d, dtype=np.int64),
        free_in_area=np.zeros(n_areas, dtype=np.int64),
    )


def _blank_records(k: int) -> kernel.Records:
    return kernel.Records(
        dispatched_at=np.full(k, np.nan),
        arrived_at=np.full(k, np.nan),
        cleared_at=np.full(k, np.nan),
        mobilisation_s=np.full(k, np.nan),
        travel_s=np.full(k, np.nan),
        car=np.full(k, -1, dtype=np.int64),
        waited=np.zeros(k, dtype=np.bool_),
        diverted=np.zeros(k, dtype=np.int64),
    )


def _calls(incidents: Incidents) -> kernel.Calls:
    return kernel.Calls(
        arrival_s=incidents.arrival_s,
        ready_s=incidents.ready_s,
        place=incidents.place,
        grade=incidents.grade,
        on_scene_s=incidents.on_scene_s,
        custody=incidents.custody,
        custody_s=incidents.custody_s,
    )


def _incident_records(incidents: Incidents, cars: kernel.Cars, records: kernel.Records) -> IncidentRecords:
    attended = ~np.isnan(records.arrived_at)
    base = np.where(records.car >= 0, cars.base[np.maximum(records.car, 0)], -1)
    return IncidentRecords(
        grade=incidents.grade,
        call_handling_s=incidents.call_handling_s,
        queue_wait_s=records.dispatched_at - incidents.ready_s,
        mobilisation_s=records.mobilisation_s,
        travel_s=records.travel_s,
        response_s=records.arrived_at - incidents.arrival_s,
        dispatched_at_s=records.dispatched_at,
        arrived_at_s=records.arrived_at,
        cleared_at_s=records.cleared_at,
        car=records.car,
        base=base,
        waited_for_car=records.waited,
        attended=attended,
        diverted=records.diverted,
    )
