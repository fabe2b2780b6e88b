"""Synthetic graded incidents drawn from the modelled demand, for trying ``hubplan evaluate`` offline.

No Grade 1 or Grade 2 incident records exist offline, so this module makes
**synthetic** ones. Nothing in them is a record of a real incident: they are
random draws from the *modelled* demand of :mod:`geodata.demand`, so they carry
its assumptions (annual volumes, hour-of-day and weekday profiles, census
weighting, the night lean toward town centres) and nothing more.

How one incident is drawn (all vectorised, one seeded
:class:`numpy.random.Generator`):

1. **Time.** The day of the year with probability proportional to its
   weekday's share (:data:`geodata.demand.WEEKDAY_PROFILE`), the hour by
   :data:`geodata.demand.HOURLY_PROFILE`, the minute uniformly; seconds are 0.
2. **Grade.** 1 or 2 in the ratio ``grade1_per_year : grade2_per_year``, and 3
   with probability ``grade3_share``. Grade is independent of time, as in the
   demand model, where both grades share one shift profile.
3. **Location.** The hour gives the shift; the demand node is drawn in
   proportion to the modelled demand of that grade and shift
   (``modelled_demand(...).grade1[:, shift]``), so the night lean applies to
   night incidents only. Grade 3, which the demand model does not place, is
   placed like Grades 1 and 2 together. Then one postcode of the node is drawn
   uniformly: a node is the postcodes of one LSOA within one square cell
   (:func:`geodata.demand.demand_nodes`) and the model gives every postcode of
   an LSOA the same census share, so uniform *is* proportional to the model's
   weight. The incident lies at the postcode's OS Code-Point Open coordinates.
4. **Attendance** (optional, :class:`AttendanceParams`): SYNTHETIC numbers
   shaped to the force's published 2018 means, not measurements.

:func:`write_synthetic_incidents` writes the frame as an incident file that
:func:`geodata.incidents.read_incidents` reads, labels every row
``source = "synthetic"`` and writes a README beside it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from geodata import embedded
from geodata.atomic import atomic_path
from geodata.demand import DemandParams, modelled_demand
from geodata.errors import InputDataError

log = logging.getLogger(__name__)

#: Prefix of the incident ids: ``SYN-2018-0000001``.
ID_PREFIX = "SYN"

#: Value of the ``source`` column on every written row.
SOURCE_LABEL = "synthetic"

#: Location forms the writer can give (one only: :func:`geodata.points.read_points` rejects a file with two).
LOCATION_COLUMNS = {"easting,northing": ("easting", "northing"), "postcode": ("postcode",)}

#: Columns of ``geodata/data/bases.csv`` that mark a set of bases.
BASE_SETS = ("hub_2018", "lpt_2022")

#: File suffixes the writer accepts.
SUFFIXES = (".csv", ".parquet")

#: How CSV timestamps are written: ISO 8601, ``2018-06-01T14:32:00``.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S"

#: Rows drawn to calibrate the attendance model.
CALIBRATION_N = 1_000_000


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
    :func:`calibrate_attendance` so that the synthetic mean and share within
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


@dataclass(frozen=True)
class SyntheticIncidentParams:
    """What a synthetic incident file is drawn from; every field is a named assumption.

    Attributes
    ----------
    year
        Calendar year of the timestamps.
    n
        Number of incidents. ``None`` (default): one synthetic year, i.e.
        ``grade1_per_year + grade2_per_year`` of ``demand`` Grade 1 and 2
        incidents (108,000 by default), plus Grade 3 on top if ``grade3_share > 0``.
    grade3_share
        Share of Grade 3 incidents (default 0: none). Grades 1 and 2 share
        the rest in the ratio of their annual volumes.
    demand
        The modelled demand the incidents are drawn from (volumes, profiles, shifts, night lean).
    attendance
        Add an ``attendance_s`` column (synthetic; see :class:`AttendanceParams`).
    attendance_model
        The attendance model's assumptions and calibrated parameters.
    seed
        Seed of the random generator: the same parameters give the same incidents.
    """

    year: int = 2018
    n: int | None = None
    grade3_share: float = 0.0
    demand: DemandParams = field(default_factory=DemandParams)
    attendance: bool = False
    attendance_model: AttendanceParams = field(default_factory=AttendanceParams)
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not _is_int(self.year) or not 1000 <= self.year <= 9999:
            problems.append(f"year must be a four-digit whole year, got {self.year!r}")
        if self.n is not None and (not _is_int(self.n) or self.n < 1):
            problems.append(f"n must be a whole number >= 1 (or None for one year), got {self.n!r}")
        if not 0.0 <= self.grade3_share < 1.0:
            problems.append(f"grade3_share must be in 0..1 (1 excluded), got {self.grade3_share!r}")
        if not self.demand.grade1_per_year + self.demand.grade2_per_year > 0:
            problems.append("demand needs grade1_per_year + grade2_per_year > 0 to share out grades")
        if not sum(self.demand.weekday_profile) > 0:
            problems.append("demand.weekday_profile needs a positive sum")
        if not _is_int(self.seed) or self.seed < 0:
            problems.append(f"seed must be a whole number >= 0, got {self.seed!r}")
        if problems:
            raise InputDataError("are not valid", source="synthetic incident parameters", problems=problems)

    @property
    def n_incidents(self) -> int:
        """The number of incidents drawn (``n``, or one year's worth)."""
        if self.n is not None:
            return int(self.n)
        per_year = self.demand.grade1_per_year + self.demand.grade2_per_year
        return max(1, round(per_year / (1.0 - self.grade3_share)))

    def grade_shares(self) -> np.ndarray:
        """Probabilities of Grade 1, 2 and 3 (sum to 1)."""
        g1, g2 = self.demand.grade1_per_year, self.demand.grade2_per_year
        rest = 1.0 - self.grade3_share
        return np.array([rest * g1 / (g1 + g2), rest * g2 / (g1 + g2), self.grade3_share])

    def to_dict(self) -> dict:
        """The parameters as plain JSON-ready values, with ``n`` resolved."""
        values = dataclasses.asdict(self)
        values["n"] = self.n_incidents
        return values


# --------------------------------------------------------------------------- drawing


def synthetic_incidents(params: SyntheticIncidentParams | None = None) -> pd.DataFrame:
    """Draw synthetic graded incidents from the modelled demand (see the module docstring).

    Parameters
    ----------
    params
        What to draw; the defaults give one synthetic 2018 of Grade 1 and 2 incidents, seed 0.

    Returns
    -------
    pandas.DataFrame
        One row per incident, in time order: ``id`` (``SYN-2018-0000001``),
        ``grade`` (int), ``timestamp`` (datetime64, whole minutes),
        ``postcode``, ``easting``, ``northing`` (the postcode's Code-Point Open
        coordinates, BNG metres) and, with ``params.attendance``,
        ``attendance_s`` (float seconds; NaN for Grade 3).
        ``attrs["synthetic_params"]`` holds ``params.to_dict()`` (Parquet files
        keep it). The same ``params`` always give the same frame.
    """
    params = params or SyntheticIncidentParams()
    started = time.perf_counter()
    n = params.n_incidents
    rng = np.random.default_rng(params.seed)
    minutes, hour = _draw_minutes(rng, params.year, params.demand, n)
    grade = rng.choice(np.array([1, 2, 3], dtype=np.int64), size=n, p=params.grade_shares())
    table = _node_table(params.demand)
    node = _draw_nodes(rng, grade, table.shift_of_hour[hour], table)
    postcode = _draw_postcodes(rng, node, table)
    order = np.argsort(minutes, kind="stable")
    minutes, grade, postcode = minutes[order], grade[order], postcode[order]
    frame = _assemble(params.year, minutes, grade, postcode, table)
    if params.attendance:
        frame["attendance_s"] = _attendance_s(rng, frame, params.attendance_model)
    frame.attrs["synthetic_params"] = params.to_dict()
    counts = np.bincount(grade, minlength=4)
    log.info(
        "synthetic incidents: %s (Grade 1 %s, Grade 2 %s, Grade 3 %s) in %d, seed %d, in %.2f s",
        f"{n:,}",
        f"{counts[1]:,}",
        f"{counts[2]:,}",
        f"{counts[3]:,}",
        params.year,
        params.seed,
        time.perf_counter() - started,
    )
    return frame


class _NodeTable(NamedTuple):
    """The demand model's weights per node, and its postcodes grouped by node (read-only arrays)."""

    weights: tuple[np.ndarray, np.ndarray]  # Grade 1, Grade 2: (n_nodes, n_shifts) incidents a year
    shift_of_hour: np.ndarray  # (24,) column of each hour's shift
    start: np.ndarray  # (n_nodes,) first row of the node's postcodes in the arrays below
    n_postcodes: np.ndarray  # (n_nodes,) number of the node's postcodes
    postcode: pd.Series  # postcodes, sorted by node
    easting: np.ndarray
    northing: np.ndarray


@lru_cache(maxsize=4)
def _node_table(demand_params: DemandParams) -> _NodeTable:
    """Group the force area's postcodes exactly as :func:`geodata.demand.demand_nodes` does, and check it."""
    demand = modelled_demand(demand_params)
    postcodes = embedded.load_postcodes()
    postcodes = postcodes[postcodes["in_force"] == 1].reset_index(drop=True)
    postcodes["cell_x"] = np.floor(postcodes["easting"] / demand_params.cell_m).astype(np.int64)
    postcodes["cell_y"] = np.floor(postcodes["northing"] / demand_params.cell_m).astype(np.int64)
    node = postcodes.groupby(["lsoa_code", "cell_x", "cell_y"], sort=True).ngroup().to_numpy()
    order = np.argsort(node, kind="stable")
    count = np.bincount(node, minlength=len(demand.nodes))
    first_rows = postcodes.iloc[order].groupby(node[order], sort=True)["lsoa_code"].first().to_numpy()
    if len(count) != len(demand.nodes) or not (
        np.array_equal(count, demand.nodes["n_postcodes"].to_numpy())
        and np.array_equal(first_rows, demand.nodes["lsoa_code"].to_numpy())
    ):
        raise RuntimeError("postcodes no longer group into demand_nodes(); keep _node_table in step with it")
    shift_of_hour = np.empty(24, dtype=np.int64)
    for column, shift in enumerate(demand_params.shifts):
        shift_of_hour[list(shift.hours)] = column
    arrays = (
        demand.grade1,
        demand.grade2,
        shift_of_hour,
        np.concatenate([[0], np.cumsum(count)[:-1]]),
        count,
        postcodes["easting"].to_numpy()[order],
        postcodes["northing"].to_numpy()[order],
    )
    for array in arrays:
        array.setflags(write=False)
    return _NodeTable(
        weights=(arrays[0], arrays[1]),
        shift_of_hour=arrays[2],
        start=arrays[3],
        n_postcodes=arrays[4],
        postcode=postcodes["postcode"].iloc[order].reset_index(drop=True),
        easting=arrays[5],
        northing=arrays[6],
    )


def _draw_minutes(rng: np.random.Generator, year: int, demand: DemandParams, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Minutes since the year's start and the hour of day: weekday-weighted day, hourly profile, uniform minute."""
    first = np.datetime64(f"{year:04d}-01-01", "D")
    days = (np.datetime64(f"{year + 1:04d}-01-01", "D") - first).astype(np.int64)
    weekday = (first.astype(np.int64) + np.arange(days) + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    day_weight = np.asarray(demand.weekday_profile, dtype=float)[weekday]
    day = rng.choice(days, size=n, p=day_weight / day_weight.sum())
    hourly = np.asarray(demand.hourly_profile, dtype=float)
    hour = rng.choice(24, size=n, p=hourly / hourly.sum())
    minute = rng.integers(0, 60, size=n)
    return day * 1_440 + hour * 60 + minute, hour


def _draw_nodes(rng: np.random.Generator, grade: np.ndarray, shift: np.ndarray, table: _NodeTable) -> np.ndarray:
    """A demand node per incident, in proportion to its grade's modelled demand in its shift."""
    node = np.empty(len(grade), dtype=np.int64)
    n_shifts = table.weights[0].shape[1]
    for g in (1, 2, 3):
        weights = table.weights[g - 1] if g < 3 else table.weights[0] + table.weights[1]
        for column in range(n_shifts):
            rows = np.flatnonzero((grade == g) & (shift == column))
            cumulative = np.cumsum(weights[:, column])
            picked = np.searchsorted(cumulative, rng.random(len(rows)) * cumulative[-1], side="right")
            node[rows] = np.minimum(picked, len(cumulative) - 1)
    return node


def _draw_postcodes(rng: np.random.Generator, node: np.ndarray, table: _NodeTable) -> np.ndarray:
    """Row (in ``table``'s postcode arrays) of a postcode drawn uniformly within each incident's node."""
    n_postcodes = table.n_postcodes[node]
    offset = np.floor(rng.random(len(node)) * n_postcodes).astype(np.int64)
    return table.start[node] + np.minimum(offset, n_postcodes - 1)


def _assemble(
    year: int, minutes: np.ndarray, grade: np.ndarray, postcode_row: np.ndarray, table: _NodeTable
) -> pd.DataFrame:
    """The incident frame from drawn minutes, grades and postcode rows (already in time order)."""
    width = max(7, len(str(len(minutes))))
    numbers = pd.Series(np.arange(1, len(minutes) + 1)).astype(str).str.zfill(width)
    timestamp = (np.datetime64(f"{year:04d}-01-01T00:00", "m") + minutes).astype("datetime64[s]")
    return pd.DataFrame(
        {
            "id": f"{ID_PREFIX}-{year:04d}-" + numbers,
            "grade": grade,
            "timestamp": timestamp,
            "postcode": table.postcode.take(postcode_row).reset_index(drop=True),
            "easting": table.easting[postcode_row],
            "northing": table.northing[postcode_row],
        }
    )


# --------------------------------------------------------------------------- attendance


class _AttendanceDraws(NamedTuple):
    """The random numbers behind attendance, drawn once so calibration can reuse them."""

    mobilisation_z: np.ndarray  # standard normal
    wait_u: np.ndarray  # uniform 0..1: waits if below the wait probability
    wait_e: np.ndarray  # standard exponential: the wait in units of its mean


def _attendance_draws(rng: np.random.Generator, n: int) -> _AttendanceDraws:
    return _AttendanceDraws(rng.standard_normal(n), rng.random(n), rng.standard_exponential(n))


def _attendance_s(rng: np.random.Generator, frame: pd.DataFrame, model: AttendanceParams) -> np.ndarray:
    """Synthetic attendance, seconds, per incident (NaN for Grade 3), rounded to whole seconds."""
    draws = _attendance_draws(rng, len(frame))
    distance_m = _base_distance_m(frame["easting"].to_numpy(float), frame["northing"].to_numpy(float), model.bases)
    grade = frame["grade"].to_numpy()
    attendance = np.full(len(frame), np.nan)
    for g in (1, 2):
        rows = np.flatnonzero(grade == g)
        before_wait = _mobilisation_and_travel_s(distance_m[rows], draws.mobilisation_z[rows], model, g)
        assumptions = model.for_grade(g)
        waits = draws.wait_u[rows] < assumptions.wait_probability
        attendance[rows] = before_wait + waits * draws.wait_e[rows] * assumptions.wait_mean_s
    return np.round(attendance)


def _base_distance_m(easting: np.ndarray, northing: np.ndarray, bases: str) -> np.ndarray:
    """Straight-line distance (m) from each point to the nearest base of the set ``bases``."""
    table = embedded.load_bases()
    chosen = table[table[bases] == 1]
    nearest = np.full(len(easting), np.inf)
    for x, y in chosen[["easting", "northing"]].to_numpy(float):
        nearest = np.minimum(nearest, np.hypot(easting - x, northing - y))
    return nearest


def _mobilisation_and_travel_s(
    distance_m: np.ndarray, mobilisation_z: np.ndarray, model: AttendanceParams, grade: int
) -> np.ndarray:
    mobilisation_s = model.mobilisation_median_s * np.exp(model.mobilisation_sigma * mobilisation_z)
    travel_s = model.circuity * distance_m / (model.for_grade(grade).speed_kph / 3.6)
    return mobilisation_s + travel_s


def calibrate_attendance(
    params: SyntheticIncidentParams | None = None,
    *,
    targets: tuple[PublishedAttendance, ...] = PUBLISHED_2018,
    n: int = CALIBRATION_N,
) -> AttendanceParams:
    """Fit each grade's wait probability and mean wait so the synthetic attendance meets published figures.

    For each target grade, with mobilisation and travel fixed by
    ``params.attendance_model``: the mean wait follows from the published mean
    (``wait_mean = (published mean - mean(mobilisation + travel)) / share waiting``),
    and the wait probability is the root (Brent's method) of *share within target
    minus the published share*, on ``n`` incidents drawn with ``params.seed``
    and one fixed set of random numbers (common random numbers).

    Returns
    -------
    AttendanceParams
        ``params.attendance_model`` with the calibrated ``wait_probability`` and ``wait_mean_s``.

    Raises
    ------
    InputDataError
        If mobilisation and travel alone already miss a published mean or
        share, so no wait can meet it: the message says which assumption to change.
    """
    params = params or SyntheticIncidentParams()
    draw = dataclasses.replace(params, n=n, grade3_share=0.0, attendance=False)
    frame = synthetic_incidents(draw)
    draws = _attendance_draws(np.random.default_rng(params.seed), len(frame))
    model = params.attendance_model
    distance_m = _base_distance_m(frame["easting"].to_numpy(float), frame["northing"].to_numpy(float), model.bases)
    fitted: dict[int, GradeAttendance] = {}
    for target in targets:
        rows = np.flatnonzero(frame["grade"].to_numpy() == target.grade)
        before_wait = _mobilisation_and_travel_s(distance_m[rows], draws.mobilisation_z[rows], model, target.grade)
        fitted[target.grade] = _fit_wait(
            before_wait, draws.wait_u[rows], draws.wait_e[rows], target, model.for_grade(target.grade)
        )
    calibrated = dataclasses.replace(model, grade1=fitted.get(1, model.grade1), grade2=fitted.get(2, model.grade2))
    log.info("calibrated synthetic attendance on %s incidents: %s", f"{len(frame):,}", calibrated)
    return calibrated


def _fit_wait(
    before_wait_s: np.ndarray,
    wait_u: np.ndarray,
    wait_e: np.ndarray,
    target: PublishedAttendance,
    assumptions: GradeAttendance,
) -> GradeAttendance:
    """The wait probability and mean meeting ``target``'s mean exactly and its share within target."""
    source = f"attendance calibration, Grade {target.grade}"
    gap_s = target.mean_s - before_wait_s.mean()
    if gap_s <= 0:
        raise InputDataError(
            f"mobilisation and travel alone average {before_wait_s.mean() / 60:.1f} min, above the published mean "
            f"{target.mean_s / 60:.1f} min; raise speed_kph or lower circuity",
            source=source,
        )

    def wait_mean_s(probability: float) -> float:
        return gap_s / max(float(np.mean((wait_u < probability) * wait_e)), 1e-12)

    def excess_share(probability: float) -> float:
        attendance = before_wait_s + (wait_u < probability) * wait_e * wait_mean_s(probability)
        return float(np.mean(attendance <= target.target_s)) - target.within_target_share

    low, high = 1e-4, 1.0
    if excess_share(low) < 0 or excess_share(high) > 0:
        raise InputDataError(
            f"no wait meets {target.within_target_share:.0%} within {target.target_s / 60:.0f} min: mobilisation and "
            f"travel alone give {np.mean(before_wait_s <= target.target_s):.1%}; change speed_kph or circuity",
            source=source,
        )
    probability = float(brentq(excess_share, low, high, xtol=1e-5))
    return dataclasses.replace(assumptions, wait_probability=probability, wait_mean_s=float(wait_mean_s(probability)))


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


# --------------------------------------------------------------------------- writing


def write_synthetic_incidents(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    location: str = "easting,northing",
    params: SyntheticIncidentParams | None = None,
) -> Path:
    """Write synthetic incidents as an incident file, labelled synthetic, and a README beside it.

    The file (CSV, or Parquet when ``path`` ends in ``.parquet``) has
    ``id, grade, timestamp``, the location columns, ``attendance_s`` when
    present and ``source`` (``"synthetic"`` on every row): a comment line would
    break CSV readers, so the label travels with every row instead.
    :func:`geodata.incidents.read_incidents` reads it as it is. In CSV the
    timestamp is ISO 8601 (``2018-06-01T14:32:00``); Parquet keeps it as a
    timestamp. ``<path>.README.txt`` says the data are synthetic and gives the
    parameters and seed. Both files are written to temporary files in the same
    folder and renamed, so a failure leaves neither half-written.

    Parameters
    ----------
    frame
        From :func:`synthetic_incidents`.
    path
        Output file, ``.csv`` or ``.parquet``.
    location
        ``"easting,northing"`` (default: exact, no lookup needed) or ``"postcode"``
        (read back with ``postcode_lookup=geodata.embedded.lookup_postcodes``).
        One form only, because a file with two location forms is ambiguous to
        :func:`geodata.points.read_points`.
    params
        The parameters for the README; default ``frame.attrs["synthetic_params"]``.

    Returns
    -------
    pathlib.Path
        The README written beside the file.
    """
    path = Path(path)
    _check_writable(frame, path, location)
    recorded = params.to_dict() if params is not None else frame.attrs.get("synthetic_params")
    table = _output_table(frame, location)
    readme = path.with_name(f"{path.name}.README.txt")
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with atomic_path(path) as staged_data, atomic_path(readme) as staged_readme:
        if path.suffix.lower() == ".parquet":
            table.to_parquet(staged_data, index=False)
        else:
            table.to_csv(staged_data, index=False, date_format=ISO_FORMAT)
        staged_readme.write_text(_readme_text(frame, path, location, recorded), encoding="utf-8")
    log.info("wrote %s synthetic incidents to %s in %.2f s", f"{len(table):,}", path, time.perf_counter() - started)
    return readme


def _check_writable(frame: pd.DataFrame, path: Path, location: str) -> None:
    problems = []
    if path.suffix.lower() not in SUFFIXES:
        problems.append(f"suffix {path.suffix!r} is not one of {', '.join(SUFFIXES)}")
    if location not in LOCATION_COLUMNS:
        problems.append(f"location {location!r} is not one of {', '.join(LOCATION_COLUMNS)}")
    needed = ("id", "grade", "timestamp", *LOCATION_COLUMNS.get(location, ()))
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        problems.append(f"the frame lacks column(s) {', '.join(missing)}; make it with synthetic_incidents()")
    elif not pd.api.types.is_datetime64_any_dtype(frame["timestamp"]):
        problems.append(f"timestamp has dtype {frame['timestamp'].dtype}, expected datetime64")
    if problems:
        raise InputDataError("cannot be written as synthetic incidents", source=str(path), problems=problems)


def _output_table(frame: pd.DataFrame, location: str) -> pd.DataFrame:
    """The columns written, in order, labelled synthetic on every row."""
    columns = ["id", "grade", "timestamp", *LOCATION_COLUMNS[location]]
    columns += [c for c in ("attendance_s",) if c in frame.columns]
    table = frame[columns].copy()
    table["source"] = SOURCE_LABEL
    return table


def _readme_text(frame: pd.DataFrame, path: Path, location: str, params: dict | None) -> str:
    """The sidecar README: what the file is, how it was drawn, and with which parameters."""
    counts = frame["grade"].value_counts().sort_index()
    extra = ", attendance_s" if "attendance_s" in frame.columns else ""
    stamp = "a Parquet timestamp" if path.suffix.lower() == ".parquet" else "ISO 8601 text"
    lines = [
        f"{path.name}: SYNTHETIC INCIDENTS - NOT REAL DATA",
        "",
        "Every row was drawn at random by hubplan (geodata.synthetic_incidents) from the MODELLED demand",
        "(assumed annual volumes, hour-of-day and weekday profiles, 2011 census weighting, night lean",
        "toward town centres). No row is a record of a real incident; every row has source = synthetic.",
        "Locations are OS Code-Point Open postcode coordinates (postcode level, BNG metres).",
        "",
        f"Rows: {len(frame):,} (" + ", ".join(f"Grade {g}: {c:,}" for g, c in counts.items()) + ")",
        f"From {frame['timestamp'].min()} to {frame['timestamp'].max()}",
        f"Columns: id, grade, timestamp ({stamp}), {location}{extra}, source",
    ]
    if "attendance_s" in frame.columns:
        lines += [
            "",
            "attendance_s is SYNTHETIC: mobilisation + travel from the nearest base + a wait for a free car,",
            "with the wait calibrated so that the means and shares within target match the force's published",
            "2018 figures. These numbers are shaped to published means; they are not measurements.",
            attendance_summary(frame).round(3).to_string(index=False),
        ]
    lines += ["", "Parameters (the same values and seed draw the same file):"]
    lines += [f"  {key} = {value}" for key, value in _flatten(params)] if params else ["  not recorded"]
    return "\n".join(lines) + "\n"


def _flatten(values: dict, prefix: str = "") -> list[tuple[str, str]]:
    """``{"a": {"b": 1}}`` as ``[("a.b", "1")]``; lists are written as compact JSON."""
    flat = []
    for key, value in values.items():
        if isinstance(value, dict):
            flat += _flatten(value, f"{prefix}{key}.")
        else:
            flat.append((f"{prefix}{key}", json.dumps(value)))
    return flat


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)
