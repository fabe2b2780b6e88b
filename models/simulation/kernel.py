"""The event loop of the response simulation, compiled with numba.

Read :mod:`models.simulation.engine` first: it validates the inputs, builds the
state arrays below and calls :func:`run_events`. This module is the loop itself,
written as one small function per step of the story:

* :func:`on_call_ready` - an incident is graded and joins its grade's queue;
* :func:`serve_queue` / :func:`best_car` / :func:`dispatch` - waiting incidents
  (Grade 1, 2, 3; first come first served) are sent the car that arrives first;
* :func:`on_arrive_scene` - the car reaches the incident after mobilisation and travel;
* :func:`on_scene_done` - after the time on scene the car is free, or drives to custody;
* :func:`on_custody_arrive` / :func:`on_custody_done` - the custody leg;
* :func:`job_done` - the car is free and starts the **return** to its post;
* :func:`on_back_at_post` - the car is parked at its post again;
* :func:`on_duty_start` / :func:`on_duty_end` - shift changes.

Events are ``(time_s, kind, car, token)`` tuples on a binary heap (``heapq``).
Incidents do not go on the heap: they are read in order of their ready time,
and an incident becomes ready after every car event of the same second.
Each car carries a ``token`` that changes whenever its plans change (a new
job, a job done, going off duty); an event whose token no longer matches (a
return leg cut short by a new job, an arrival cancelled by a diversion) is
stale and skipped. Duty events carry token ``-1`` and are never stale. At equal
times car events run in the order of their kind (below), then car index.

Where a car is: a car that is not parked is on a *leg* from place ``leg_from``
to place ``leg_to``. It left at ``leg_depart`` (after its mobilisation) and
reaches ``leg_to`` at ``leg_arrive``; ``leg_factor`` is the leg's time per
second of blue-light time (1 on the way to an incident, the return factor on the
way back to post or to custody), and ``leg_offset`` is the blue-light time it
was already away from ``leg_from`` when the leg began (non-zero only when a
car was sent from the middle of a return leg). The blue-light time from the
car to place ``x`` is taken as the smaller of turning back through
``leg_from`` and carrying on through ``leg_to`` (see :func:`time_to`); with a
travel table obeying the triangle inequality this is an upper bound on the
true time from the car's position and exact at either end of the leg.

Every step takes the whole state ``w`` (a :class:`World` numba struct) and
reads or changes its fields by name: ``w.status[c]`` is car ``c``'s state,
``w.grade[i]`` incident ``i``'s grade, ``w.travel`` the table.
"""

from __future__ import annotations

import heapq
from typing import NamedTuple

import numba
import numpy as np
from numba.core import types
from numba.experimental import structref
from numba.typed import List

# Car states.
OFF = 0  # not (yet, or any more) on duty
IDLE = 1  # parked at its post, free
RETURNING = 2  # driving back to its post, free
TO_SCENE = 3  # mobilising or driving to an incident
ON_SCENE = 4
TO_CUSTODY = 5
AT_CUSTODY = 6

# Event kinds, in the order they run at equal times. READY is not on the heap.
ARRIVE_SCENE = 0
SCENE_DONE = 1
CUSTODY_ARRIVE = 2
CUSTODY_DONE = 3
BACK_AT_POST = 4
DUTY_END = 5
DUTY_START = 6
READY = 7
STALE = 8
#: Names of the event counters (index = kind), as reported in the result.
EVENT_NAMES = (
    "arrive_scene",
    "scene_done",
    "custody_arrive",
    "custody_done",
    "back_at_post",
    "duty_end",
    "duty_start",
    "call_ready",
    "stale_skipped",
)

NO_TOKEN = -1


class Tables(NamedTuple):
    """Places: travel table ``n x n``, area and custody suite per place, return-time factor."""

    travel: np.ndarray
    area: np.ndarray
    custody_place: np.ndarray
    return_factor: float


class Calls(NamedTuple):
    """Incidents (see :class:`models.simulation.inputs.Incidents`) and their ready times."""

    arrival_s: np.ndarray
    ready_s: np.ndarray
    place: np.ndarray
    grade: np.ndarray
    on_scene_s: np.ndarray
    custody: np.ndarray
    custody_s: np.ndarray


class Rules(NamedTuple):
    """The dispatch policy as arrays: ``fallback[g]`` for grade ``g`` (index 0 unused)."""

    by_area: bool
    fallback: np.ndarray
    reserve: np.ndarray
    divert: bool
    mob_parked_s: float
    mob_moving_s: float


class Cars(NamedTuple):
    """State of every duty period (leg fields: see the module docstring); ``free_in_area``: free cars per area."""

    status: np.ndarray
    post: np.ndarray
    base: np.ndarray
    end_s: np.ndarray
    leg_from: np.ndarray
    leg_to: np.ndarray
    leg_offset: np.ndarray
    leg_factor: np.ndarray
    leg_depart: np.ndarray
    leg_arrive: np.ndarray
    job: np.ndarray
    token: np.ndarray
    ending: np.ndarray
    busy_since: np.ndarray
    busy_s: np.ndarray
    overrun_s: np.ndarray
    jobs: np.ndarray
    free_in_area: np.ndarray


class Records(NamedTuple):
    """What happened to each incident (NaN / -1 where it did not happen)."""

    dispatched_at: np.ndarray
    arrived_at: np.ndarray
    cleared_at: np.ndarray
    mobilisation_s: np.ndarray
    travel_s: np.ndarray
    car: np.ndarray
    waited: np.ndarray
    diverted: np.ndarray


STATE_FIELDS = ("heap", "on_duty", "queues", "counts")
WORLD_FIELDS = Tables._fields + Calls._fields + Rules._fields + Cars._fields + Records._fields + STATE_FIELDS


@structref.register
class WorldType(types.StructRef):
    """Numba type of :class:`World`."""

    def preprocess_fields(self, fields):  # noqa: D102 - numba hook
        return tuple((name, types.unliteral(kind)) for name, kind in fields)


class World(structref.StructRefProxy):
    """Everything a step reads or changes, passed to each step as one argument.

    A numba struct (one reference-counted object) holding the fields of
    :class:`Tables`, :class:`Calls`, :class:`Rules`, :class:`Cars` and
    :class:`Records` by their names (no two share a name), the event ``heap``,
    the duty periods ``on_duty``, the three grade ``queues`` and the event
    ``counts``. A struct rather than a tuple of arrays because passing a
    tuple of 45 arrays to each step costs 90 atomic reference-count
    operations per call, which made the loop 5x slower.
    """


structref.define_proxy(World, WorldType, list(WORLD_FIELDS))


jit = numba.njit(cache=True)


# --------------------------------------------------------------------------- where cars are


@jit
def is_free(w: World, c: int) -> bool:
    """A car parked at its post or driving back to it."""
    return w.status[c] == IDLE or w.status[c] == RETURNING


@jit
def time_to(w: World, c: int, x: int, now: float) -> tuple[float, int, float]:
    """Blue-light time from car ``c`` to place ``x`` at ``now``, the place it goes through, and its offset.

    A parked car goes from its post. A car on a leg either turns back through
    ``leg_from`` or carries on through ``leg_to``, whichever is quicker; its
    distance from either end is converted to blue-light seconds with the leg's
    factor. Returns ``(time_s, via_place, offset_s)`` with ``time_s = offset_s
    + travel[via_place, x]``.
    """
    travel = w.travel
    if w.status[c] == IDLE:
        post = w.post[c]
        return float(travel[post, x]), post, 0.0
    start = max(now, w.leg_depart[c])
    back = w.leg_offset[c] + (start - w.leg_depart[c]) / w.leg_factor[c]
    ahead = (w.leg_arrive[c] - start) / w.leg_factor[c]
    via_from = back + float(travel[w.leg_from[c], x])
    via_to = ahead + float(travel[w.leg_to[c], x])
    if via_to < via_from:
        return via_to, w.leg_to[c], ahead
    return via_from, w.leg_from[c], back


@jit
def mobilisation(w: World, c: int) -> float:
    """Mobilisation delay of car ``c``: parked cars take longer than moving ones."""
    return w.mob_parked_s if w.status[c] == IDLE else w.mob_moving_s


@jit
def set_leg(w: World, c: int, start: int, offset: float, end: int, factor: float, depart: float, arrive: float) -> None:
    """Put car ``c`` on a leg from ``start`` to ``end`` (see the module docstring)."""
    w.leg_from[c] = start
    w.leg_offset[c] = offset
    w.leg_to[c] = end
    w.leg_factor[c] = factor
    w.leg_depart[c] = depart
    w.leg_arrive[c] = arrive


# --------------------------------------------------------------------------- dispatch


@jit
def may_take(w: World, c: int, grade: int) -> bool:
    """Whether car ``c`` may be sent to an incident of ``grade`` (area scope aside).

    A free car may, unless the incident is Grade 2 or 3 and taking the car
    would leave its area below the Grade 1 reserve; a car on its way to a Grade
    2 or 3 may be diverted to a Grade 1 when the policy allows it.
    """
    if is_free(w, c):
        area = w.base[c]
        return grade == 1 or w.free_in_area[area] - 1 >= w.reserve[area]
    return w.divert and grade == 1 and w.status[c] == TO_SCENE and w.grade[w.job[c]] >= 2 and not w.ending[c]


@jit
def scan_cars(w: World, i: int, now: float, own_area_only: bool) -> int:
    """The eligible on-duty car that would reach incident ``i`` first (ties: lowest index), or -1.

    The hot loop of the engine.
    """
    x = w.place[i]
    grade = w.grade[i]
    area = w.area[x]
    best, best_eta = -1, np.inf
    for c in w.on_duty:
        if (own_area_only and w.base[c] != area) or not may_take(w, c, grade):
            continue
        eta = mobilisation(w, c) + time_to(w, c, x, now)[0]
        if eta < best_eta or (eta == best_eta and c < best):
            best, best_eta = c, eta
    return best


@jit
def best_car(w: World, i: int, now: float) -> int:
    """The car to send to incident ``i`` now, or -1: own area first under base-area scope, then the fallback."""
    c = scan_cars(w, i, now, w.by_area)
    if c < 0 and w.by_area and w.fallback[w.grade[i]]:
        c = scan_cars(w, i, now, False)
    return c


@jit
def take_back(w: World, c: int) -> None:
    """Divert car ``c``: its incident loses the car and goes back to the front of its grade's queue."""
    j = w.job[c]
    w.car[j] = -1
    w.dispatched_at[j] = np.nan
    w.mobilisation_s[j] = np.nan
    w.travel_s[j] = np.nan
    w.diverted[j] += 1
    w.waited[j] = True
    w.queues[w.grade[j] - 1].insert(0, j)


@jit
def dispatch(w: World, i: int, c: int, now: float) -> None:
    """Send car ``c`` to incident ``i``: it mobilises, then drives at blue-light speed."""
    mob = mobilisation(w, c)
    x = w.place[i]
    travel, via, offset = time_to(w, c, x, now)
    if w.status[c] == TO_SCENE:
        take_back(w, c)
    else:
        w.free_in_area[w.base[c]] -= 1
        w.busy_since[c] = now
    w.status[c] = TO_SCENE
    w.job[c] = i
    w.token[c] += 1
    arrive = now + (mob + travel)
    set_leg(w, c, via, offset, x, 1.0, now + mob, arrive)
    w.car[i] = c
    w.dispatched_at[i] = now
    w.mobilisation_s[i] = mob
    w.travel_s[i] = travel
    heapq.heappush(w.heap, (arrive, ARRIVE_SCENE, c, w.token[c]))


@jit
def reserve_allows(w: World, i: int) -> bool:
    """Whether Grade 2 or 3 incident ``i`` could get a free car now without breaking a Grade 1 reserve.

    Its own area must have a free car above the reserve under base-area scope
    (unless its grade may fall back to any area); any area will do otherwise.
    A cheap test that spares :func:`best_car` a scan of every car for every
    queued incident when cars are short (the queue can hold thousands).
    """
    if w.by_area and not w.fallback[w.grade[i]]:
        area = w.area[w.place[i]]
        return w.free_in_area[area] - 1 >= w.reserve[area]
    return bool(np.any(w.free_in_area - 1 >= w.reserve))


@jit
def serve_queue(w: World, now: float) -> None:
    """Send cars to waiting incidents: Grade 1, then 2, then 3; first come first served within a grade.

    An incident no eligible car can take stays in its place and the next one
    is tried (under base-area scope or a reserve, a later incident may be
    servable when an earlier one is not).
    """
    for g in range(3):
        queue = w.queues[g]
        k = 0
        while k < len(queue):
            if w.free_in_area.sum() == 0 and not (g == 0 and w.divert):
                return
            if g > 0 and not reserve_allows(w, queue[k]):
                if not w.by_area or w.fallback[g + 1]:
                    break  # no area has a car above its reserve: no incident of this grade can be served now
                k += 1
                continue
            c = best_car(w, queue[k], now)
            if c < 0:
                k += 1
                continue
            dispatch(w, queue.pop(k), c, now)


@jit
def on_call_ready(w: World, i: int, now: float) -> None:
    """Incident ``i`` is graded: it joins the back of its grade's queue, then the queue is served."""
    w.queues[w.grade[i] - 1].append(i)
    serve_queue(w, now)
    if w.car[i] < 0:
        w.waited[i] = True


# --------------------------------------------------------------------------- the job


@jit
def on_arrive_scene(w: World, c: int, now: float) -> None:
    """The car reaches its incident and stays for the incident's time on scene."""
    i = w.job[c]
    w.status[c] = ON_SCENE
    w.arrived_at[i] = now
    heapq.heappush(w.heap, (now + w.on_scene_s[i], SCENE_DONE, c, w.token[c]))


@jit
def on_scene_done(w: World, c: int, now: float) -> None:
    """The scene is cleared: with an arrest the car drives (normal speed) to custody, else it is free."""
    i = w.job[c]
    x = w.place[i]
    if w.custody[i]:
        w.status[c] = TO_CUSTODY
        leg_s = w.return_factor * float(w.travel[x, w.custody_place[x]])
        heapq.heappush(w.heap, (now + leg_s, CUSTODY_ARRIVE, c, w.token[c]))
    else:
        job_done(w, c, x, now)


@jit
def on_custody_arrive(w: World, c: int, now: float) -> None:
    """The car reaches the custody suite and stays for the incident's custody time."""
    w.status[c] = AT_CUSTODY
    heapq.heappush(w.heap, (now + w.custody_s[w.job[c]], CUSTODY_DONE, c, w.token[c]))


@jit
def on_custody_done(w: World, c: int, now: float) -> None:
    """Custody is done; the car is free at the custody suite."""
    x = w.place[w.job[c]]
    job_done(w, c, w.custody_place[x], now)


@jit
def job_done(w: World, c: int, where: int, now: float) -> None:
    """Car ``c`` finishes its job at place ``where``: it goes off duty if its shift is over, else returns."""
    w.cleared_at[w.job[c]] = now
    w.busy_s[c] += now - w.busy_since[c]
    w.jobs[c] += 1
    w.job[c] = -1
    w.token[c] += 1
    if w.ending[c]:
        w.overrun_s[c] = now - w.end_s[c]
        go_off(w, c)
        return
    start_return(w, c, where, now)
    serve_queue(w, now)


@jit
def start_return(w: World, c: int, where: int, now: float) -> None:
    """Car ``c`` is free at ``where`` and drives back to its post at normal speed."""
    post = w.post[c]
    factor = w.return_factor
    arrive = now + factor * float(w.travel[where, post])
    w.status[c] = RETURNING
    w.free_in_area[w.base[c]] += 1
    set_leg(w, c, where, 0.0, post, factor, now, arrive)
    heapq.heappush(w.heap, (arrive, BACK_AT_POST, c, w.token[c]))


@jit
def on_back_at_post(w: World, c: int, now: float) -> None:
    """The returning car is parked at its post again."""
    w.status[c] = IDLE


# --------------------------------------------------------------------------- shifts


@jit
def on_duty_start(w: World, c: int, now: float) -> None:
    """Car ``c`` comes on duty, parked at its post, and takes waiting incidents."""
    w.status[c] = IDLE
    w.free_in_area[w.base[c]] += 1
    w.on_duty.append(c)
    serve_queue(w, now)


@jit
def on_duty_end(w: World, c: int, now: float) -> None:
    """Car ``c``'s shift ends: a free car leaves now, a busy one finishes its job first."""
    if is_free(w, c):
        w.free_in_area[w.base[c]] -= 1
        w.token[c] += 1
        go_off(w, c)
    else:
        w.ending[c] = True


@jit
def go_off(w: World, c: int) -> None:
    """Car ``c`` leaves duty."""
    w.status[c] = OFF
    w.on_duty.remove(c)


# --------------------------------------------------------------------------- the loop


@jit
def handle(w: World, kind: int, c: int, now: float) -> None:
    """Run the step of one car event."""
    if kind == ARRIVE_SCENE:
        on_arrive_scene(w, c, now)
    elif kind == SCENE_DONE:
        on_scene_done(w, c, now)
    elif kind == CUSTODY_ARRIVE:
        on_custody_arrive(w, c, now)
    elif kind == CUSTODY_DONE:
        on_custody_done(w, c, now)
    elif kind == BACK_AT_POST:
        on_back_at_post(w, c, now)
    elif kind == DUTY_END:
        on_duty_end(w, c, now)
    else:
        on_duty_start(w, c, now)


@jit
def new_world(
    tables: Tables, calls: Calls, rules: Rules, cars: Cars, records: Records, start_s: np.ndarray, counts: np.ndarray
) -> World:
    """The loop's state: empty queues, no car on duty, every duty start and end on the heap."""
    heap = [(0.0, 0, 0, 0)]
    heap.pop()
    for c in range(start_s.shape[0]):
        heap.append((start_s[c], DUTY_START, c, NO_TOKEN))
        heap.append((cars.end_s[c], DUTY_END, c, NO_TOKEN))
    heapq.heapify(heap)
    queues = (List.empty_list(types.int64), List.empty_list(types.int64), List.empty_list(types.int64))
    on_duty = List.empty_list(types.int64)
    return World(
        tables.travel,
        tables.area,
        tables.custody_place,
        tables.return_factor,
        calls.arrival_s,
        calls.ready_s,
        calls.place,
        calls.grade,
        calls.on_scene_s,
        calls.custody,
        calls.custody_s,
        rules.by_area,
        rules.fallback,
        rules.reserve,
        rules.divert,
        rules.mob_parked_s,
        rules.mob_moving_s,
        cars.status,
        cars.post,
        cars.base,
        cars.end_s,
        cars.leg_from,
        cars.leg_to,
        cars.leg_offset,
        cars.leg_factor,
        cars.leg_depart,
        cars.leg_arrive,
        cars.job,
        cars.token,
        cars.ending,
        cars.busy_since,
        cars.busy_s,
        cars.overrun_s,
        cars.jobs,
        cars.free_in_area,
        records.dispatched_at,
        records.arrived_at,
        records.cleared_at,
        records.mobilisation_s,
        records.travel_s,
        records.car,
        records.waited,
        records.diverted,
        heap,
        on_duty,
        queues,
        counts,
    )


@jit
def close_books(w: World, horizon_s: float) -> None:
    """Count busy time up to the horizon for cars still on a job when the loop stopped."""
    for c in range(w.status.shape[0]):
        if w.job[c] >= 0:
            w.busy_s[c] += horizon_s - w.busy_since[c]


@jit
def run_events(
    tables: Tables,
    calls: Calls,
    ready_order: np.ndarray,
    rules: Rules,
    cars: Cars,
    records: Records,
    start_s: np.ndarray,
    horizon_s: float,
    counts: np.ndarray,
) -> None:
    """Run the simulation to ``horizon_s`` (or until nothing is left to happen), filling ``cars`` and ``records``.

    ``ready_order`` lists the incidents by ready time (ties: grade, then index).
    ``counts[kind]`` counts the events processed of each kind (:data:`EVENT_NAMES`).
    """
    w = new_world(tables, calls, rules, cars, records, start_s, counts)
    next_call = 0
    n_calls = ready_order.shape[0]
    while True:
        t_call = w.ready_s[ready_order[next_call]] if next_call < n_calls else np.inf
        t_event = w.heap[0][0] if len(w.heap) > 0 else np.inf
        now = min(t_call, t_event)
        if now == np.inf or now > horizon_s:
            break
        if t_event <= t_call:
            _, kind, c, token = heapq.heappop(w.heap)
            if token != NO_TOKEN and token != w.token[c]:
                counts[STALE] += 1
                continue
            counts[kind] += 1
            handle(w, kind, c, now)
        else:
            counts[READY] += 1
            on_call_ready(w, ready_order[next_call], now)
            next_call += 1
    close_books(w, horizon_s)
