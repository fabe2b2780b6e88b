"""What the response simulation is given: places, incidents, duty periods and the dispatch policy.

Every input is a frozen dataclass of numpy arrays, validated in
``__post_init__``: all problems are collected, then one
:class:`~models.errors.ModelInputError` lists them. Arrays are stored as
read-only copies (except the travel table, which is large and is only checked,
not copied, when it already has a usable dtype).

Time runs in seconds from the start of the simulation; ``0 s`` is midnight at
the start of day 0 (the sampler's ``start_weekday`` says which weekday that is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.errors import raise_if_problems
from models.simulation._checks import (
    check_finite_nonnegative,
    check_index_range,
    check_same_length,
    vector,
)

#: Normal-speed travel time per second of blue-light travel time. The optimiser's
#: default blue-light speed factor is 1.2 (``optimiser/scenario.py``), so a leg
#: driven at normal speed takes 1.2 times its blue-light time.
DEFAULT_RETURN_TIME_FACTOR = 1.2
#: Dispatch scopes of :class:`DispatchPolicy`.
SCOPES = ("force", "base_area")
#: Travel-table dtypes used without a copy.
TRAVEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.uint16))
#: Incident grades: 1 emergency, 2 priority, 3 workload only (no attendance target).
GRADES = (1, 2, 3)


@dataclass(frozen=True, eq=False)
class Places:
    """Places and the travel between them.

    Demand points, car posts (deployment locations and bases) and custody
    suites are all places: integer indices into ``travel_s``.

    Parameters
    ----------
    travel_s
        Blue-light travel time from place ``i`` (row) to place ``j`` (column),
        seconds, ``n x n``, float32, float64 or uint16 (kept without a copy when
        C-contiguous with one of these dtypes). Must be finite and ``>= 0``.
    area
        The base area of each place: the index of the base that answers it,
        ``(n,)`` int. Used by the ``"base_area"`` dispatch scope and by the
        Grade 1 reserve.
    custody_place
        The custody suite (a place index) a car takes an arrest made at each
        place to, ``(n,)`` int.
    return_time_factor
        Time of a leg driven at normal speed per second of blue-light time
        (``>= 1`` in practice; default :data:`DEFAULT_RETURN_TIME_FACTOR`). It
        applies to the return to post and to the drive to custody; the drive
        to an incident is at blue-light speed.
    """

    travel_s: np.ndarray
    area: np.ndarray
    custody_place: np.ndarray
    return_time_factor: float = DEFAULT_RETURN_TIME_FACTOR

    def __post_init__(self) -> None:
        problems: list[str] = []
        travel = _travel_table(self.travel_s, problems)
        object.__setattr__(self, "travel_s", travel)
        n = travel.shape[0]
        for name in ("area", "custody_place"):
            object.__setattr__(self, name, vector(getattr(self, name), name, np.int64, problems))
            if getattr(self, name).shape[0] != n:
                problems.append(f"{name}: expected one entry per place ({n}), got {getattr(self, name).shape[0]}")
        check_index_range(self.custody_place, "custody_place", n, "places", problems)
        if self.area.size and self.area.min() < 0:
            problems.append("area: base indices must be >= 0")
        if not (np.isfinite(self.return_time_factor) and self.return_time_factor > 0):
            problems.append(f"return_time_factor: expected a finite number > 0, got {self.return_time_factor}")
        raise_if_problems(problems, "the places are not usable; fix these fields", setting="Places")

    @property
    def n_places(self) -> int:
        """Number of places."""
        return int(self.travel_s.shape[0])

    @property
    def n_areas(self) -> int:
        """Number of base areas (largest area index + 1)."""
        return int(self.area.max()) + 1 if self.area.size else 0


def _travel_table(value: Any, problems: list[str]) -> np.ndarray:
    """The travel table as a C-contiguous array of a supported dtype (copied only when needed)."""
    table = np.asarray(value)
    if table.dtype not in TRAVEL_DTYPES:
        table = table.astype(np.float64)
    table = np.ascontiguousarray(table)
    if table.ndim != 2 or table.shape[0] != table.shape[1]:
        problems.append(f"travel_s: expected a square n x n table, got shape {table.shape}")
        return np.zeros((0, 0), dtype=np.float32)
    if table.dtype.kind == "f":
        check_finite_nonnegative(table, "travel_s", problems)
    return table


@dataclass(frozen=True, eq=False)
class Incidents:
    """Pre-drawn incidents of one replication (the engine draws nothing itself).

    Parameters
    ----------
    arrival_s
        Time of the call, seconds, sorted ascending, ``(k,)``.
    place
        Place index of each incident, ``(k,)``.
    grade
        1 (emergency), 2 (priority) or 3 (workload only), ``(k,)``.
    call_handling_s
        Call to ready-for-dispatch (answering, grading), seconds, ``(k,)``.
    on_scene_s
        Time the car spends at the scene, seconds, ``(k,)``.
    custody
        Whether the car takes an arrested person to custody after the scene, ``(k,)`` bool.
    custody_s
        Time spent at the custody suite when ``custody`` (ignored otherwise), seconds, ``(k,)``.
    """

    arrival_s: np.ndarray
    place: np.ndarray
    grade: np.ndarray
    call_handling_s: np.ndarray
    on_scene_s: np.ndarray
    custody: np.ndarray
    custody_s: np.ndarray

    def __post_init__(self) -> None:
        problems: list[str] = []
        kinds = {"place": np.int64, "grade": np.int64, "custody": bool}
        for name in ("arrival_s", "place", "grade", "call_handling_s", "on_scene_s", "custody", "custody_s"):
            object.__setattr__(self, name, vector(getattr(self, name), name, kinds.get(name, np.float64), problems))
        check_same_length({name: getattr(self, name) for name in self.__dataclass_fields__}, problems)
        for name in ("arrival_s", "call_handling_s", "on_scene_s", "custody_s"):
            check_finite_nonnegative(getattr(self, name), name, problems)
        if np.any(np.diff(self.arrival_s) < 0):
            problems.append("arrival_s: must be sorted ascending (sort all arrays by arrival_s)")
        if not np.isin(self.grade, GRADES).all():
            problems.append(f"grade: every grade must be one of {GRADES}, got {sorted(set(self.grade.tolist()))}")
        if self.place.size and self.place.min() < 0:
            problems.append("place: place indices must be >= 0")
        raise_if_problems(problems, "the incidents are not usable; fix these fields", setting="Incidents")

    @property
    def n(self) -> int:
        """Number of incidents."""
        return int(self.arrival_s.shape[0])

    @property
    def ready_s(self) -> np.ndarray:
        """Time each incident is ready for dispatch (call plus call handling), seconds."""
        return self.arrival_s + self.call_handling_s


@dataclass(frozen=True, eq=False)
class DutyPeriods:
    """Cars on duty: one row per car per shift (a duty period is one resource).

    A car comes on duty at its post at ``start_s`` and goes off duty at
    ``end_s``; a job in hand at ``end_s`` is finished first (the overrun is
    reported), and the car leaves when it is done. Incidents waiting at a shift
    change carry over to the next shift's cars.

    Parameters
    ----------
    post_place
        Place the car waits at and returns to (a deployment location or the base itself), ``(d,)``.
    base
        The base (area index) the car belongs to, ``(d,)``.
    start_s, end_s
        Start and end of the duty period, seconds, ``start_s < end_s``, ``(d,)``.
    """

    post_place: np.ndarray
    base: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name in ("post_place", "base"):
            object.__setattr__(self, name, vector(getattr(self, name), name, np.int64, problems))
        for name in ("start_s", "end_s"):
            object.__setattr__(self, name, vector(getattr(self, name), name, np.float64, problems))
        check_same_length({name: getattr(self, name) for name in self.__dataclass_fields__}, problems)
        if not problems:
            _check_duty_values(self, problems)
        raise_if_problems(problems, "the duty periods are not usable; fix these fields", setting="DutyPeriods")

    @property
    def n(self) -> int:
        """Number of duty periods."""
        return int(self.post_place.shape[0])


def _check_duty_values(duties: DutyPeriods, problems: list[str]) -> None:
    check_finite_nonnegative(duties.start_s, "start_s", problems)
    if np.any(~(duties.end_s > duties.start_s)):
        problems.append("end_s: every duty period must end after it starts")
    if duties.n and (duties.post_place.min() < 0 or duties.base.min() < 0):
        problems.append("post_place, base: indices must be >= 0")


@dataclass(frozen=True)
class Shift:
    """One shift of a daily shift table.

    Parameters
    ----------
    start_hour, end_hour
        Hours of the day the shift starts and ends (``end_hour <= start_hour``
        means it ends the next day, e.g. 22 to 7).
    cars
        ``(post_place, base)`` of each car on duty in this shift.
    """

    start_hour: float
    end_hour: float
    cars: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name in ("start_hour", "end_hour"):
            hour = getattr(self, name)
            if not (np.isfinite(hour) and 0 <= hour < 24):
                problems.append(f"{name}: expected an hour in [0, 24), got {hour}")
        if any(len(car) != 2 or min(car) < 0 for car in self.cars):
            problems.append("cars: each car is a (post_place, base) pair of indices >= 0")
        raise_if_problems(problems, "the shift is not usable", setting="Shift")

    @property
    def length_h(self) -> float:
        """Length of the shift, hours (a shift with equal start and end lasts 24 h)."""
        length = (self.end_hour - self.start_hour) % 24
        return length if length > 0 else 24.0


def duty_periods_from_shifts(shifts: Sequence[Shift], *, days: int) -> DutyPeriods:
    """Repeat a daily shift table over ``days`` days.

    Parameters
    ----------
    shifts
        The shifts of one day; each car of each shift gives one duty period per day.
    days
        Number of days, ``>= 1``; day ``d`` starts at ``d * 86400`` s.

    Returns
    -------
    DutyPeriods
        Ordered by day, then shift, then car within the shift.
    """
    if days < 1:
        raise_if_problems([f"days: expected >= 1, got {days}"], "cannot build duty periods", setting="days")
    rows = [
        (post, base, start, start + shift.length_h * 3600.0)
        for day in range(days)
        for shift in shifts
        for start in [day * 86400.0 + shift.start_hour * 3600.0]
        for post, base in shift.cars
    ]
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    return DutyPeriods(post_place=columns[0], base=columns[1], start_s=columns[2], end_s=columns[3])


@dataclass(frozen=True)
class DispatchPolicy:
    """How the control room sends cars.

    The rule: serve waiting incidents Grade 1, then Grade 2, then Grade 3, first
    come first served within a grade (in the order they became ready for
    dispatch). Each is sent the eligible car that would **arrive first**
    (mobilisation delay + travel time from where the car is now); with equal
    mobilisation delays this is the car with the shortest travel time. Ties go
    to the lowest duty index. Free cars are those parked at their post and those
    driving back to it (after a scene or from custody).

    Parameters
    ----------
    scope
        ``"force"``: any free car may be sent. ``"base_area"``: only cars whose
        base is the incident place's area; a grade listed in ``fallback_grades``
        takes the best car of any area when its own area has no eligible car
        free (otherwise it waits for a car of its own area).
    fallback_grades
        Grades that may cross area boundaries under ``"base_area"`` scope
        (default: Grade 1 only).
    grade1_reserve
        Free cars each area keeps back for Grade 1: a Grade 2 or 3 incident is
        not given a car of area ``a`` if that would leave fewer than
        ``grade1_reserve[a]`` free cars of area ``a`` (the car's own area, which
        under ``"base_area"`` scope is the incident's area). A scalar applies
        to every area. 0 (the default) keeps no reserve.
    divert_for_grade1
        A car driving to a Grade 2 or 3 incident (not yet on scene, and not
        past the end of its duty) may be diverted to a new Grade 1 when it would
        arrive first; the incident it leaves goes back to the front of its
        grade's queue and its ``diverted`` count rises by one.
    mobilisation_parked_s
        Delay before a car waiting at its post starts moving, seconds (default
        120 s, the optimiser's mobilisation delay).
    mobilisation_moving_s
        The same for a car already moving (returning to post, leaving custody,
        or diverted), seconds (default 30 s: the crew only has to accept the job).
    """

    scope: str = "force"
    fallback_grades: tuple[int, ...] = (1,)
    grade1_reserve: int | tuple[int, ...] = 0
    divert_for_grade1: bool = False
    mobilisation_parked_s: float = 120.0
    mobilisation_moving_s: float = 30.0
    _reserve: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.scope not in SCOPES:
            problems.append(f"scope: expected one of {SCOPES}, got {self.scope!r}")
        if not set(self.fallback_grades) <= set(GRADES):
            problems.append(f"fallback_grades: grades must be among {GRADES}, got {self.fallback_grades}")
        reserve = np.atleast_1d(np.asarray(self.grade1_reserve))
        if reserve.ndim != 1 or reserve.dtype.kind not in "iu" or (reserve.size and reserve.min() < 0):
            problems.append(f"grade1_reserve: expected an int >= 0 or one per area, got {self.grade1_reserve!r}")
        for name in ("mobilisation_parked_s", "mobilisation_moving_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                problems.append(f"{name}: expected finite seconds >= 0, got {value}")
        raise_if_problems(problems, "the dispatch policy is not usable", setting="DispatchPolicy")
        object.__setattr__(self, "_reserve", tuple(int(r) for r in reserve))

    def reserve_per_area(self, n_areas: int) -> np.ndarray:
        """The Grade 1 reserve of each of ``n_areas`` areas, ``(n_areas,)`` int64.

        Raises
        ------
        ModelInputError
            When a per-area reserve was given with the wrong number of areas.
        """
        if np.ndim(self.grade1_reserve) == 0:
            return np.full(n_areas, self._reserve[0], dtype=np.int64)
        if len(self._reserve) != n_areas:
            raise_if_problems(
                [f"grade1_reserve: one value per area expected ({n_areas}), got {len(self._reserve)}"],
                "the reserve does not match the areas",
                setting="DispatchPolicy",
            )
        return np.array(self._reserve, dtype=np.int64)
