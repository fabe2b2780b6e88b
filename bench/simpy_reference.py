"""The response model written plainly in SimPy: the baseline of ``bench/bench_simulate.py`` and a cross-check.

The same model as :func:`models.simulation.simulate` (see its module
docstrings for the rules), written independently the way a SimPy model is
usually written: one process per incident that tells its story (call
handling, waiting for a car, mobilisation and travel, time on scene, custody),
a process for each return to post, a roster process for shift changes, and a
dispatcher object holding the queues and choosing cars in plain Python. It
shares no code with the engine except the input dataclasses.

Not modelled here: diversion of a car to a Grade 1 (``divert_for_grade1``);
:func:`simulate_simpy` refuses such a policy.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from models.simulation import DispatchPolicy, DutyPeriods, Incidents, Places

OFF, IDLE, RETURNING, BUSY = "off", "idle", "returning", "busy"


class Car:
    """One duty period's car and where it is."""

    def __init__(self, index: int, post: int, base: int, end_s: float) -> None:
        self.index, self.post, self.base, self.end_s = index, post, base, end_s
        self.state = OFF
        self.ending = False
        self.token = 0
        # the current leg: from place, offset (blue-light s), to place, speed factor, depart, arrive
        self.leg = (post, 0.0, post, 1.0, 0.0, 0.0)


class Dispatcher:
    """Queues by grade and the rule that picks the car that arrives first."""

    def __init__(self, env: simpy.Environment, places: Places, policy: DispatchPolicy, n_areas: int) -> None:
        self.env, self.policy = env, policy
        self.travel = places.travel_s
        self.area = places.area
        self.factor = float(places.return_time_factor)
        self.reserve = policy.reserve_per_area(n_areas)
        self.queues: list[list[int]] = [[], [], []]
        self.waiting: dict[int, simpy.Event] = {}
        self.on_duty: list[Car] = []
        self.free = [0] * n_areas
        self.places_of: np.ndarray | None = None
        self.grades: np.ndarray | None = None

    # -- where a car is
    def time_to(self, car: Car, x: int) -> float:
        if car.state == IDLE:
            return float(self.travel[car.post, x])
        start, offset, end, factor, depart, arrive = car.leg
        now = max(self.env.now, depart)
        back = offset + (now - depart) / factor
        ahead = (arrive - now) / factor
        return min(back + float(self.travel[start, x]), ahead + float(self.travel[end, x]))

    def mobilisation(self, car: Car) -> float:
        return self.policy.mobilisation_parked_s if car.state == IDLE else self.policy.mobilisation_moving_s

    # -- choosing a car
    def allowed(self, car: Car, grade: int, own_area: int | None) -> bool:
        if car.state not in (IDLE, RETURNING) or (own_area is not None and car.base != own_area):
            return False
        return grade == 1 or self.free[car.base] - 1 >= self.reserve[car.base]

    def nearest(self, i: int, own_area: int | None) -> Car | None:
        x, grade = int(self.places_of[i]), int(self.grades[i])
        best, best_eta = None, math.inf
        for car in self.on_duty:
            if self.allowed(car, grade, own_area):
                eta = self.mobilisation(car) + self.time_to(car, x)
                if eta < best_eta or (eta == best_eta and car.index < best.index):
                    best, best_eta = car, eta
        return best

    def choose(self, i: int) -> Car | None:
        if self.policy.scope == "force":
            return self.nearest(i, None)
        car = self.nearest(i, int(self.area[self.places_of[i]]))
        if car is None and int(self.grades[i]) in self.policy.fallback_grades:
            car = self.nearest(i, None)
        return car

    # -- the queue
    def ready(self, i: int) -> simpy.Event:
        event = self.env.event()
        self.waiting[i] = event
        self.queues[int(self.grades[i]) - 1].append(i)
        self.serve()
        return event

    def serve(self) -> None:
        for queue in self.queues:
            k = 0
            while k < len(queue) and sum(self.free) > 0:
                car = self.choose(queue[k])
                if car is None:
                    k += 1
                    continue
                self.send(queue.pop(k), car)

    def send(self, i: int, car: Car) -> None:
        x = int(self.places_of[i])
        mob, travel = self.mobilisation(car), self.time_to(car, x)
        self.free[car.base] -= 1
        car.state = BUSY
        car.token += 1
        self.waiting.pop(i).succeed((car, mob, travel))

    # -- after the job
    def job_done(self, car: Car, where: int) -> None:
        car.token += 1
        if car.ending:
            car.state = OFF
            self.on_duty.remove(car)
            return
        leg_s = self.factor * float(self.travel[where, car.post])
        car.state = RETURNING
        car.leg = (where, 0.0, car.post, self.factor, self.env.now, self.env.now + leg_s)
        self.free[car.base] += 1
        self.env.process(self.drive_back(car, car.token, leg_s))
        self.serve()

    def drive_back(self, car: Car, token: int, leg_s: float):
        yield self.env.timeout(leg_s)
        if car.token == token:
            car.state = IDLE

    # -- shifts
    def start_duty(self, car: Car) -> None:
        car.state = IDLE
        self.free[car.base] += 1
        self.on_duty.append(car)
        self.serve()

    def end_duty(self, car: Car) -> None:
        if car.state in (IDLE, RETURNING):
            self.free[car.base] -= 1
            car.token += 1
            car.state = OFF
            self.on_duty.remove(car)
        else:
            car.ending = True


def incident(env: simpy.Environment, d: Dispatcher, inc: Incidents, places: Places, i: int, arrived: np.ndarray):
    """One incident's story: handling, wait for a car, travel, scene, custody, then the car is free."""
    yield env.timeout(float(inc.call_handling_s[i]))
    car, mob, travel = yield d.ready(i)
    x = int(inc.place[i])
    yield env.timeout(mob + travel)
    arrived[i] = env.now
    yield env.timeout(float(inc.on_scene_s[i]))
    where = x
    if inc.custody[i]:
        where = int(places.custody_place[x])
        yield env.timeout(float(places.return_time_factor) * float(places.travel_s[x, where]))
        yield env.timeout(float(inc.custody_s[i]))
    d.job_done(car, where)


def calls(env: simpy.Environment, d: Dispatcher, inc: Incidents, places: Places, arrived: np.ndarray):
    """Start each incident's process at its call time."""
    for i in range(inc.n):
        yield env.timeout(float(inc.arrival_s[i]) - env.now)
        env.process(incident(env, d, inc, places, i, arrived))


def roster(env: simpy.Environment, d: Dispatcher, cars: list[Car], duties: DutyPeriods):
    """Shift changes: at each time, cars going off duty first, then cars coming on (by index)."""
    changes = sorted(
        [(float(duties.end_s[c]), 0, c) for c in range(duties.n)]
        + [(float(duties.start_s[c]), 1, c) for c in range(duties.n)]
    )
    for time_s, starting, c in changes:
        if time_s > env.now:
            yield env.timeout(time_s - env.now)
        (d.start_duty if starting else d.end_duty)(cars[c])


def simulate_simpy(
    places: Places, duties: DutyPeriods, incidents: Incidents, policy: DispatchPolicy | None = None
) -> np.ndarray:
    """Run the SimPy model; return each incident's response time (call to arrival), seconds, NaN if unattended."""
    policy = policy or DispatchPolicy()
    if policy.divert_for_grade1:
        raise ValueError("the SimPy reference does not model diversion; use divert_for_grade1=False")
    env = simpy.Environment()
    n_areas = max(places.n_areas, int(duties.base.max()) + 1)
    d = Dispatcher(env, places, policy, n_areas)
    d.places_of, d.grades = incidents.place, incidents.grade
    cars = [Car(c, int(duties.post_place[c]), int(duties.base[c]), float(duties.end_s[c])) for c in range(duties.n)]
    arrived = np.full(incidents.n, np.nan)
    env.process(roster(env, d, cars, duties))
    env.process(calls(env, d, incidents, places, arrived))
    env.run()
    return arrived - incidents.arrival_s
