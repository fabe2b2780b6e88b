"""Draw the incidents of one replication: where, when, which grade, and how long each job takes.

The engine draws nothing, so that two plans can be run on the same incidents
(common random numbers); this module is the one place incidents are drawn.

The model, per grade ``g``:

* a day factor ``F_d ~ Gamma(shape = 1/cv^2, scale = cv^2)`` per day (mean 1,
  coefficient of variation ``daily_cv``; 1 when ``daily_cv = 0``), shared by all
  grades: busy days are busy for everything;
* counts per hour ``N ~ Poisson(annual_volume[g] / 8760 * profile[weekday, hour] * F_d)``
  with the hour-of-day x weekday profile scaled to mean 1 (so the expected
  yearly volume is ``annual_volume[g]`` over 365 days when ``daily_cv = 0``);
  calls are spread uniformly within their hour (a gamma-Poisson mixture per
  day, Poisson within the day);
* the place by ``place_weight[g]`` (normalised), or, when weights are given per
  period of the day (``3 x n_periods x n_places`` with ``hour_period`` naming
  the period of each hour, e.g. the shifts), by the weights of the period the
  call's hour falls in: night-time demand can lean to town centres;
* call handling, time on scene and time in custody lognormal, given by their
  median and the standard deviation of their logarithm (the tail: a larger
  value gives a longer right tail, mean = median * exp(sd^2 / 2));
* an arrest (custody) with probability ``custody_probability[g]``.

The default durations and probabilities are assumptions of this model, not
fitted to force data; fit them, or override them, before reading the output
as the force's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.errors import raise_if_problems
from models.simulation._checks import readonly
from models.simulation.inputs import GRADES, Incidents

HOURS_PER_YEAR = 365 * 24


@dataclass(frozen=True, eq=False)
class IncidentParams:
    """What incidents look like; every per-grade tuple is ``(Grade 1, Grade 2, Grade 3)``.

    Parameters
    ----------
    place_weight
        Relative incident rate of each place per grade, ``3 x n_places``, ``>= 0``;
        or per grade and period of the day, ``3 x n_periods x n_places``.
    hour_period
        With per-period weights: the period (``0 .. n_periods - 1``) of each hour of the day, ``(24,)``.
    annual_volume
        Expected incidents per 365 days per grade.
    hour_weekday_profile
        Relative rate by weekday (row 0 = Monday) and hour of day, ``7 x 24``,
        ``>= 0``; scaled to mean 1. ``None`` (default): flat.
    daily_cv
        Coefficient of variation of the day factor (0: plain Poisson).
    start_weekday
        Weekday of day 0 (0 = Monday).
    call_handling_median_s, call_handling_log_sd
        Lognormal call handling (call to ready for dispatch) per grade.
    on_scene_median_s, on_scene_log_sd
        Lognormal time on scene per grade.
    custody_probability
        Probability of an arrest taken to custody per grade.
    custody_median_s, custody_log_sd
        Lognormal time spent at the custody suite (all grades).
    """

    place_weight: np.ndarray
    annual_volume: tuple[float, float, float]
    hour_weekday_profile: np.ndarray | None = None
    hour_period: np.ndarray | None = None
    daily_cv: float = 0.0
    start_weekday: int = 0
    call_handling_median_s: tuple[float, float, float] = (90.0, 240.0, 600.0)
    call_handling_log_sd: tuple[float, float, float] = (0.5, 0.9, 1.0)
    on_scene_median_s: tuple[float, float, float] = (2700.0, 2400.0, 3600.0)
    on_scene_log_sd: tuple[float, float, float] = (0.7, 0.7, 0.7)
    custody_probability: tuple[float, float, float] = (0.15, 0.08, 0.02)
    custody_median_s: float = 9000.0
    custody_log_sd: float = 0.5

    def __post_init__(self) -> None:
        problems: list[str] = []
        self._set_weights(problems)
        self._set_profile(problems)
        _check_per_grade(self, problems)
        if not (np.isfinite(self.daily_cv) and self.daily_cv >= 0):
            problems.append(f"daily_cv: expected a finite number >= 0, got {self.daily_cv}")
        if self.start_weekday not in range(7):
            problems.append(f"start_weekday: expected 0 (Monday) .. 6, got {self.start_weekday}")
        if not (self.custody_median_s > 0 and self.custody_log_sd >= 0):
            problems.append("custody_median_s must be > 0 and custody_log_sd >= 0")
        raise_if_problems(problems, "the incident parameters are not usable", setting="IncidentParams")

    def _set_weights(self, problems: list[str]) -> None:
        weights = np.array(self.place_weight, dtype=float, copy=True)
        if weights.ndim == 2:
            weights = weights[:, None, :]
        if weights.ndim != 3 or weights.shape[0] != len(GRADES):
            problems.append(
                f"place_weight: expected shape (3, n_places) or (3, n_periods, n_places), got {weights.shape}"
            )
            weights = np.ones((len(GRADES), 1, 1))
        elif not (np.isfinite(weights).all() and weights.min() >= 0):
            problems.append("place_weight: weights must be finite and >= 0")
        elif np.any((weights.sum(axis=2) == 0) & (np.asarray(self.annual_volume, dtype=float) > 0)[:, None]):
            problems.append("place_weight: a grade with a volume > 0 needs some place with weight > 0 in every period")
        object.__setattr__(self, "place_weight", readonly(weights))
        periods = np.zeros(24, dtype=np.int64) if self.hour_period is None else np.asarray(self.hour_period)
        if (
            periods.shape != (24,)
            or periods.dtype.kind not in "iu"
            or not np.isin(periods, range(weights.shape[1])).all()
        ):
            problems.append(
                f"hour_period: expected 24 period indices below {weights.shape[1]}, got {self.hour_period!r}"
            )
            periods = np.zeros(24, dtype=np.int64)
        object.__setattr__(self, "hour_period", readonly(periods.astype(np.int64)))

    def _set_profile(self, problems: list[str]) -> None:
        profile = np.ones((7, 24)) if self.hour_weekday_profile is None else np.array(self.hour_weekday_profile, float)
        if profile.shape != (7, 24) or not (np.isfinite(profile).all() and profile.min() >= 0 and profile.sum() > 0):
            problems.append(f"hour_weekday_profile: expected 7 x 24 finite values >= 0, not all 0, got {profile.shape}")
            profile = np.ones((7, 24))
        object.__setattr__(self, "hour_weekday_profile", readonly(profile / profile.mean()))

    @property
    def n_places(self) -> int:
        """Number of places."""
        return int(self.place_weight.shape[2])


def _check_per_grade(params: IncidentParams, problems: list[str]) -> None:
    limits: dict[str, tuple[float, float]] = {
        "annual_volume": (0.0, np.inf),
        "call_handling_median_s": (0.0, np.inf),
        "call_handling_log_sd": (0.0, np.inf),
        "on_scene_median_s": (0.0, np.inf),
        "on_scene_log_sd": (0.0, np.inf),
        "custody_probability": (0.0, 1.0),
    }
    for name, (low, high) in limits.items():
        values: Any = getattr(params, name)
        array = np.asarray(values, dtype=float)
        in_range = np.isfinite(array).all() and array.min() >= low and array.max() <= high
        if array.shape != (len(GRADES),) or not in_range:
            problems.append(f"{name}: expected 3 values (Grade 1, 2, 3) in [{low}, {high}], got {values!r}")


def sample_incidents(params: IncidentParams, *, days: int, seed: int) -> Incidents:
    """Draw the incidents of ``days`` days.

    Parameters
    ----------
    params
        The incident model.
    days
        Length of the replication, days (day 0 starts at 0 s).
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same incidents.

    Returns
    -------
    Incidents
        Sorted by call time (ties keep grade order).
    """
    if days < 1:
        raise_if_problems([f"days: expected >= 1, got {days}"], "cannot sample incidents", setting="sample_incidents")
    rng = np.random.default_rng(seed)
    day_factor = _day_factors(rng, params.daily_cv, days)
    weekday = (params.start_weekday + np.arange(days)) % 7
    hourly = params.hour_weekday_profile[weekday] * day_factor[:, None]
    parts = [_sample_grade(rng, params, g, hourly) for g in GRADES]
    arrival_s, place, grade = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.argsort(arrival_s, kind="stable")
    return _with_durations(rng, params, arrival_s[order], place[order], grade[order])


def _day_factors(rng: np.random.Generator, cv: float, days: int) -> np.ndarray:
    """Mean-1 gamma day factors with coefficient of variation ``cv`` (all 1 when ``cv == 0``)."""
    if cv == 0:
        return np.ones(days)
    return rng.gamma(shape=1.0 / cv**2, scale=cv**2, size=days)


def _sample_grade(
    rng: np.random.Generator, params: IncidentParams, grade: int, hourly: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Call times (unsorted), places and grades of one grade."""
    rate = params.annual_volume[grade - 1] / HOURS_PER_YEAR * hourly.reshape(-1)
    counts = rng.poisson(rate)
    hour = np.repeat(np.arange(rate.size), counts)
    arrival_s = (hour + rng.random(hour.size)) * 3600.0
    period = params.hour_period[hour % 24]
    place = np.zeros(hour.size, dtype=np.int64)
    for p, weights in enumerate(params.place_weight[grade - 1]):
        rows = np.flatnonzero(period == p)
        if rows.size:
            place[rows] = rng.choice(weights.size, size=rows.size, p=weights / weights.sum())
    return arrival_s, place, np.full(hour.size, grade)


def _lognormal(rng: np.random.Generator, median: np.ndarray, log_sd: np.ndarray) -> np.ndarray:
    return median * np.exp(log_sd * rng.standard_normal(median.size))


def draw_durations(
    params: IncidentParams, arrival_s: np.ndarray, place: np.ndarray, grade: np.ndarray, *, seed: int
) -> Incidents:
    """Incidents at given times, places and grades (e.g. replayed from a file), with durations drawn.

    Call handling, time on scene, arrests and custody time are drawn as
    :func:`sample_incidents` draws them; ``arrival_s`` must be sorted.
    """
    rng = np.random.default_rng(seed)
    return _with_durations(rng, params, np.asarray(arrival_s, float), np.asarray(place), np.asarray(grade))


def _with_durations(
    rng: np.random.Generator, params: IncidentParams, arrival_s: np.ndarray, place: np.ndarray, grade: np.ndarray
) -> Incidents:
    """Draw call handling, time on scene, arrests and custody time for sorted incidents."""
    g = grade - 1
    call_handling_s = _lognormal(
        rng, np.asarray(params.call_handling_median_s)[g], np.asarray(params.call_handling_log_sd)[g]
    )
    on_scene_s = _lognormal(rng, np.asarray(params.on_scene_median_s)[g], np.asarray(params.on_scene_log_sd)[g])
    custody = rng.random(grade.size) < np.asarray(params.custody_probability)[g]
    custody_s = np.where(
        custody,
        _lognormal(rng, np.full(grade.size, params.custody_median_s), np.full(grade.size, params.custody_log_sd)),
        0.0,
    )
    return Incidents(
        arrival_s=arrival_s,
        place=place,
        grade=grade,
        call_handling_s=call_handling_s,
        on_scene_s=on_scene_s,
        custody=custody,
        custody_s=custody_s,
    )
