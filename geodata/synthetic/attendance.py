"""The SYNTHETIC attendance model: mobilisation, travel from the nearest base and a wait for a free car.

Its numbers are shaped to the force's published 2018 means
(:data:`PUBLISHED_2018`); they are not measurements. The waits are fitted by
:func:`geodata.synthetic.calibration.calibrate_attendance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from geodata import embedded
from geodata.errors import InputDataError

#: Columns of ``geodata/data/bases.csv`` that mark a set of bases.
BASE_SETS = ("hub_2018", "lpt_2022")


@dataclass(frozen=True)
class PublishedAttendance:
    """A published attendance figure that the synthetic attendance is shaped to.

    Attributes
    ----------
    grade
        1 or 2.
    mean_s
        Mean attendance time, seconds.
    target_s
        The attendance target, seconds.
    within_target_share
        Share of incidents attended within the target.
    """

    grade: int
    mean_s: float
    target_s: float
    within_target_share: float


#: Staffordshire Police, Public Performance Meeting of 12 February 2019, 12 months to December 2018:
#: Grade 1 mean 19 min 45 s and 64 % within 15 min; Grade 2 mean 2 h 16 min and 53 % within 60 min.
PUBLISHED_2018 = (
    PublishedAttendance(grade=1, mean_s=19 * 60 + 45, target_s=15 * 60, within_target_share=0.64),
    PublishedAttendance(grade=2, mean_s=136 * 60, target_s=60 * 60, within_target_share=0.53),
)


@dataclass(frozen=True)
class GradeAttendance:
    """Attendance assumptions for one grade.

    Attributes
    ----------
    speed_kph
        Average speed along the circuity-adjusted straight line from the base.
    wait_probability
        Probability that the incident waits for a free car (calibrated).
    wait_mean_s
        Mean of that wait, exponentially distributed (calibrated).
    """

    speed_kph: float
    wait_probability: float
    wait_mean_s: float

    def __post_init__(self) -> None:
        problems = []
        if not (np.isfinite(self.speed_kph) and self.speed_kph > 0):
            problems.append(f"speed_kph must be > 0, got {self.speed_kph}")
        if not 0.0 <= self.wait_probability <= 1.0:
            problems.append(f"wait_probability must be in 0..1, got {self.wait_probability}")
        if not (np.isfinite(self.wait_mean_s) and self.wait_mean_s >= 0):
            problems.append(f"wait_mean_s must be >= 0, got {self.wait_mean_s}")
        if problems:
            raise InputDataError("are not valid", source="grade attendance parameters", problems=problems)


@dataclass(frozen=True)
class AttendanceParams:
    """A SYNTHETIC attendance model, shaped to the published 2018 means; not measurements.

    ``attendance = mobilisation + travel + wait``, per incident:

    * mobilisation: lognormal with median ``mobilisation_median_s`` (the
      scenarios' assumed 120 s) and log-sd ``mobilisation_sigma``;
    * travel: ``circuity`` x the straight-line distance from the nearest base
      of ``bases``, at the grade's ``speed_kph``;
    * wait for a free car: 0 with probability ``1 - wait_probability``, else
      exponential with mean ``wait_mean_s``.

    The two wait parameters of each grade are **calibrated** by
    :func:`~geodata.synthetic.calibration.calibrate_attendance` so that the synthetic mean and share within
    target equal the published 2018 figures (:data:`PUBLISHED_2018`) on
    1,000,000 draws (seed 0). The result, recorded as the defaults, and what
    one year drawn with them (108,000 incidents, seed 0) then shows:

    =====  ==========  ==================  ===========================  ================
    grade  wait prob.  mean wait           synthetic mean / in target   published
    =====  ==========  ==================  ===========================  ================
    1      0.119       4,391 s (73.2 min)  20.0 min / 63.8 % (15 min)   19.75 min / 64 %
    2      0.588       12,543 s (209 min)  135.6 min / 52.9 % (60 min)  136 min / 53 %
    =====  ==========  ==================  ===========================  ================

    At 1,000,000 incidents the means are 19.8 min and 136.1 min. Other seeds
    calibrate to wait probabilities within about 0.003 of these.

    A heavy tail is not an artefact: a mean of 19 min 45 s with 64 % within
    15 min needs a few long waits, and the force attributes Grade 2 misses
    mostly to queueing for a free car.

    Attributes
    ----------
    bases
        ``"hub_2018"`` (Hanley, Cannock, Burton) or ``"lpt_2022"``: travel starts at the nearest.
        The defaults are calibrated for ``"hub_2018"``; recalibrate after changing it.
    circuity
        Road distance over straight-line distance; 1.3 is a common figure for British roads. Assumed.
    mobilisation_median_s, mobilisation_sigma
        Dispatch to wheels rolling. Assumed.
    grade1
        Grade 1 speed 80 km/h: faster than blue-light averages, because it stands in for cars waiting at
        deployment locations rather than at the hub (travel from the hub overstates the distance). At 60 km/h
        from the hubs, travel alone reaches only about 60 % within 15 min, below the published 64 %. Assumed.
    grade2
        Grade 2 speed 65 km/h, about 80 km/h / 1.2 (no blue lights; the scenarios' speed factor). Assumed.
    """

    bases: str = "hub_2018"
    circuity: float = 1.3
    mobilisation_median_s: float = 120.0
    mobilisation_sigma: float = 0.5
    grade1: GradeAttendance = GradeAttendance(speed_kph=80.0, wait_probability=0.119, wait_mean_s=4_391.0)
    grade2: GradeAttendance = GradeAttendance(speed_kph=65.0, wait_probability=0.588, wait_mean_s=12_543.0)

    def __post_init__(self) -> None:
        problems = []
        if self.bases not in BASE_SETS:
            problems.append(f"bases {self.bases!r} is not one of {', '.join(BASE_SETS)}")
        if not (np.isfinite(self.circuity) and self.circuity >= 1.0):
            problems.append(f"circuity must be >= 1 (road distance over straight line), got {self.circuity}")
        if not (np.isfinite(self.mobilisation_median_s) and self.mobilisation_median_s > 0):
            problems.append(f"mobilisation_median_s must be > 0, got {self.mobilisation_median_s}")
        if not (np.isfinite(self.mobilisation_sigma) and self.mobilisation_sigma >= 0):
            problems.append(f"mobilisation_sigma must be >= 0, got {self.mobilisation_sigma}")
        if problems:
            raise InputDataError("are not valid", source="attendance parameters", problems=problems)

    def for_grade(self, grade: int) -> GradeAttendance:
        """The assumptions of Grade 1 or 2."""
        if grade not in (1, 2):
            raise InputDataError(f"has no model for grade {grade!r}; valid: 1, 2", source="attendance parameters")
        return self.grade1 if grade == 1 else self.grade2


class AttendanceDraws(NamedTuple):
    """The random numbers behind attendance, drawn once so calibration can reuse them."""

    mobilisation_z: np.ndarray  # standard normal
    wait_u: np.ndarray  # uniform 0..1: waits if below the wait probability
    wait_e: np.ndarray  # standard exponential: the wait in units of its mean


def attendance_draws(rng: np.random.Generator, n: int) -> AttendanceDraws:
    """The random numbers behind ``n`` incidents' attendance, in the order the draw has always taken them."""
    return AttendanceDraws(rng.standard_normal(n), rng.random(n), rng.standard_exponential(n))


def draw_attendance_s(rng: np.random.Generator, frame: pd.DataFrame, model: AttendanceParams) -> np.ndarray:
    """Synthetic attendance, seconds, per incident (NaN for Grade 3), rounded to whole seconds."""
    draws = attendance_draws(rng, len(frame))
    distance_m = base_distance_m(frame["easting"].to_numpy(float), frame["northing"].to_numpy(float), model.bases)
    grade = frame["grade"].to_numpy()
    attendance = np.full(len(frame), np.nan)
    for g in (1, 2):
        rows = np.flatnonzero(grade == g)
        before_wait = mobilisation_and_travel_s(distance_m[rows], draws.mobilisation_z[rows], model, g)
        assumptions = model.for_grade(g)
        waits = draws.wait_u[rows] < assumptions.wait_probability
        attendance[rows] = before_wait + waits * draws.wait_e[rows] * assumptions.wait_mean_s
    return np.round(attendance)


def base_distance_m(easting: np.ndarray, northing: np.ndarray, bases: str) -> np.ndarray:
    """Straight-line distance (m) from each point to the nearest base of the set ``bases``."""
    table = embedded.load_bases()
    chosen = table[table[bases] == 1]
    nearest = np.full(len(easting), np.inf)
    for x, y in chosen[["easting", "northing"]].to_numpy(float):
        nearest = np.minimum(nearest, np.hypot(easting - x, northing - y))
    return nearest


def mobilisation_and_travel_s(
    distance_m: np.ndarray, mobilisation_z: np.ndarray, model: AttendanceParams, grade: int
) -> np.ndarray:
    """Mobilisation plus travel from the nearest base, seconds: attendance before any wait for a free car."""
    mobilisation_s = model.mobilisation_median_s * np.exp(model.mobilisation_sigma * mobilisation_z)
    travel_s = model.circuity * distance_m / (model.for_grade(grade).speed_kph / 3.6)
    return mobilisation_s + travel_s


def attendance_summary(
    frame: pd.DataFrame, *, targets: tuple[PublishedAttendance, ...] = PUBLISHED_2018
) -> pd.DataFrame:
    """Mean attendance and share within target per grade, beside the published figures.

    Returns
    -------
    pandas.DataFrame
        One row per target grade: ``grade, n, mean_s, within_target_share,
        published_mean_s, published_within_target_share``.
    """
    if "attendance_s" not in frame.columns:
        raise InputDataError("has no attendance_s column; draw with attendance=True", source="incident frame")
    rows = []
    for target in targets:
        values = frame.loc[frame["grade"] == target.grade, "attendance_s"].to_numpy(float)
        rows.append(
            {
                "grade": target.grade,
                "n": len(values),
                "mean_s": float(values.mean()) if len(values) else np.nan,
                "within_target_share": float(np.mean(values <= target.target_s)) if len(values) else np.nan,
                "published_mean_s": target.mean_s,
                "published_within_target_share": target.within_target_share,
            }
        )
    return pd.DataFrame(rows)
