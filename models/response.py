"""The response model: the one home of hubplan's response assumptions and of the formulas built on them.

Every command (``optimise``, ``evaluate``, ``report``, ``compare`` and the
simulation) reads the same :class:`ResponseSettings`, written once per
scenario into the plan's ``settings`` layer, and the same three formulas:

* **response time** = mobilisation delay + blue-light travel time
  (:func:`response_time_s`); the targets come from the plan's response
  standard (:class:`models.standards.ResponseStandard`), by grade and area
  class; the travel budget is the target less the mobilisation delay
  (:meth:`ResponseSettings.travel_budget_s`);
* **busy fraction** ``q`` of a shift = car-hours of work per hour (volume x
  assumed job time) over the cars on duty, capped at :data:`MAX_BUSY_FRACTION`
  (:func:`estimated_busy_fraction`);
* **expected cover** (MEXCLP, Daskin 1983): demand within target of ``c``
  open sites, each busy with probability ``q`` independently, has a free car
  within target with probability ``1 - q**c`` (:func:`expected_cover`), which
  is the sum of the level weights ``(1 - q) q**(k-1)``, ``k = 1..c``
  (:func:`expected_cover_level_weights`).

Pure: arrays and numbers in, arrays and numbers out; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from models.errors import raise_if_problems
from models.standards import ResponseStandard

#: Largest busy fraction used: a saturated shift would otherwise give ``q = 1`` and no cover at all.
MAX_BUSY_FRACTION = 0.95
#: Version of the :class:`ResponseSettings` JSON layout; readers refuse other versions.
RESPONSE_SETTINGS_VERSION = 3
GRADES = (1, 2)


def response_time_s(mobilisation_s: float, travel_s: np.ndarray | float) -> np.ndarray:
    """Response time: mobilisation delay plus blue-light travel time, seconds (``inf`` stays ``inf``)."""
    return np.asarray(travel_s, dtype=float) + float(mobilisation_s)


def estimated_busy_fraction(job_hours_per_hour: float, cars_on_duty: float) -> float:
    """Share of time a car is busy: car-hours of work per hour over the cars on duty, capped.

    Parameters
    ----------
    job_hours_per_hour
        Car-hours of work arriving per hour (incidents per hour x hours a car is committed per incident).
    cars_on_duty
        Cars on duty in the shift.

    Returns
    -------
    float
        In ``[0, MAX_BUSY_FRACTION]``; :data:`MAX_BUSY_FRACTION` when no car is on duty.
    """
    if cars_on_duty <= 0:
        return MAX_BUSY_FRACTION
    return float(min(MAX_BUSY_FRACTION, max(0.0, job_hours_per_hour) / cars_on_duty))


def expected_cover(busy_fraction: float | np.ndarray, sites_within_target: np.ndarray) -> np.ndarray:
    """Chance that at least one of ``sites_within_target`` car positions is free: ``1 - q**c``.

    Parameters
    ----------
    busy_fraction
        ``q`` in ``[0, 1]``: a scalar, or one value per element of ``sites_within_target``.
    sites_within_target
        ``c``: open sites (deployment locations and bases) within the target, per demand point.
    """
    counts = np.asarray(sites_within_target, dtype=float)
    return 1.0 - np.asarray(busy_fraction, dtype=float) ** counts


def expected_cover_level_weights(busy_fraction: float, levels: int) -> np.ndarray:
    """Weight of the k-th cover (``k = 1..levels``) in expected cover: ``(1 - q) q**(k-1)``.

    Summed over the first ``c`` levels they give :func:`expected_cover` ``1 - q**c``.
    """
    q = float(busy_fraction)
    return (1.0 - q) * q ** np.arange(int(levels), dtype=float)


@dataclass(frozen=True)
class ShiftHours:
    """A shift and the hours of the day it covers: ``start_hour`` to ``end_hour`` (wrapping past midnight)."""

    name: str
    start_hour: int
    end_hour: int

    @property
    def hours(self) -> tuple[int, ...]:
        """Hours of the day (0..23) in the shift."""
        length = (self.end_hour - self.start_hour) % 24 or 24
        return tuple((self.start_hour + k) % 24 for k in range(length))


@dataclass(frozen=True)
class ResponseSettings:
    """The response assumptions of a plan: what every command needs to re-run its response model.

    Attributes
    ----------
    speed_factor
        Blue-light speed relative to normal driving (assumed).
    mobilisation_s
        Dispatch-to-wheels-rolling delay, seconds (assumed).
    standard
        The response standard: targets by grade and area class, and where its clock starts. The static
        response time (mobilisation + travel) runs from dispatch whatever the standard's clock start; the
        simulation adds call handling when the clock starts at the call.
    max_base_travel_s
        Per base: largest normal-driving time from the base to one of its deployment locations.
    shifts
        The shifts and their hours.
    busy_fraction_by_shift
        Estimated busy fraction ``q`` per shift (:func:`estimated_busy_fraction`).
    """

    speed_factor: float
    mobilisation_s: float
    standard: ResponseStandard
    max_base_travel_s: Mapping[str, float]
    shifts: tuple[ShiftHours, ...]
    busy_fraction_by_shift: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        reach = {str(k): float(v) for k, v in dict(self.max_base_travel_s).items()}
        busy = {str(k): float(v) for k, v in dict(self.busy_fraction_by_shift).items()}
        object.__setattr__(self, "max_base_travel_s", MappingProxyType(reach))
        object.__setattr__(self, "busy_fraction_by_shift", MappingProxyType(busy))
        object.__setattr__(self, "shifts", tuple(self.shifts))
        raise_if_problems(self._problems(), "invalid response settings; fix these fields", setting="ResponseSettings")

    def _problems(self) -> list[str]:
        problems = []
        if not (math.isfinite(self.speed_factor) and self.speed_factor > 0):
            problems.append(f"speed_factor: {self.speed_factor!r} must be a positive number")
        if not 0 <= self.mobilisation_s < self.standard.min_target_s(1):
            problems.append(
                f"mobilisation_s: {self.mobilisation_s!r} must be >= 0 and below every Grade 1 target of "
                f"standard {self.standard.name!r} ({self.standard.describe(1)})"
            )
        problems += [
            f"max_base_travel_s: {k!r} is {v!r}, must be > 0" for k, v in self.max_base_travel_s.items() if v <= 0
        ]
        names = [s.name for s in self.shifts]
        if not names or len(set(names)) != len(names):
            problems.append(f"shifts: {names} must be one or more distinct names")
        problems += [
            f"busy_fraction_by_shift: {k!r} is {v!r}, must be in [0, 1]"
            for k, v in self.busy_fraction_by_shift.items()
            if not 0 <= v <= 1
        ]
        return problems

    def targets_s(self, grade: int, area_class: np.ndarray) -> np.ndarray:
        """Response target of Grade 1 or 2 for each area class given (one per node or incident), seconds."""
        if grade not in GRADES:
            raise ValueError(f"grade {grade!r} has no target; grades with targets are {GRADES}")
        return self.standard.targets_s(grade, area_class)

    def travel_budgets_s(self, grade: int, area_class: np.ndarray) -> np.ndarray:
        """Blue-light travel time allowed within each target: the target less the mobilisation delay."""
        return self.targets_s(grade, area_class) - self.mobilisation_s

    def max_travel_budget_s(self, grade: int) -> float:
        """The largest travel budget of ``grade`` over the area classes (matrix cutoffs, reachable areas)."""
        return self.standard.max_target_s(grade) - self.mobilisation_s

    def shift_of_hour(self) -> np.ndarray:
        """Shift name of each hour 0..23 (``""`` for an hour no shift covers)."""
        table = np.full(24, "", dtype=object)
        for shift in self.shifts:
            table[list(shift.hours)] = shift.name
        return table

    def with_busy_fractions(self, busy_fraction_by_shift: Mapping[str, float]) -> ResponseSettings:
        """A copy with the given busy fractions."""
        return ResponseSettings(
            speed_factor=self.speed_factor,
            mobilisation_s=self.mobilisation_s,
            standard=self.standard,
            max_base_travel_s=self.max_base_travel_s,
            shifts=self.shifts,
            busy_fraction_by_shift=busy_fraction_by_shift,
        )

    def with_standard(self, standard: ResponseStandard) -> ResponseSettings:
        """A copy measured against another standard (everything else unchanged)."""
        return replace(self, standard=standard)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see :meth:`from_json`)."""
        return {
            "version": RESPONSE_SETTINGS_VERSION,
            "speed_factor": self.speed_factor,
            "mobilisation_s": self.mobilisation_s,
            "standard": self.standard.to_json(),
            "max_base_travel_s": dict(self.max_base_travel_s),
            "shifts": [{"name": s.name, "start_hour": s.start_hour, "end_hour": s.end_hour} for s in self.shifts],
            "busy_fraction_by_shift": dict(self.busy_fraction_by_shift),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResponseSettings:
        """Read what :meth:`to_json` wrote.

        Raises
        ------
        ModelInputError
            If the version differs or a field is missing (nothing is defaulted).
        """
        version = data.get("version")
        if version != RESPONSE_SETTINGS_VERSION:
            raise_if_problems(
                [f"version is {version!r}; this hubplan reads version {RESPONSE_SETTINGS_VERSION}"],
                "response settings written by another hubplan version",
                setting="ResponseSettings",
            )
        fields = ("speed_factor", "mobilisation_s", "standard", "max_base_travel_s", "shifts")
        missing = [name for name in (*fields, "busy_fraction_by_shift") if name not in data]
        raise_if_problems(
            [f"{name} is missing" for name in missing], "incomplete response settings", setting="ResponseSettings"
        )
        return cls(
            speed_factor=float(data["speed_factor"]),
            mobilisation_s=float(data["mobilisation_s"]),
            standard=ResponseStandard.from_json(data["standard"]),
            max_base_travel_s=data["max_base_travel_s"],
            shifts=tuple(ShiftHours(str(s["name"]), int(s["start_hour"]), int(s["end_hour"])) for s in data["shifts"]),
            busy_fraction_by_shift=data["busy_fraction_by_shift"],
        )
