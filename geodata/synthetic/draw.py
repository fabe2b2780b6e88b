"""Draw synthetic graded incidents from the modelled demand: time, grade, location and, if asked, attendance.

The parameters (:class:`SyntheticIncidentParams`) and the draw
(:func:`synthetic_incidents`); the steps are in the docstring of
:mod:`geodata.synthetic`. Attendance comes from :mod:`geodata.synthetic.attendance`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from geodata import embedded
from geodata.demand import DemandParams, modelled_demand
from geodata.errors import InputDataError
from geodata.incidents.times import TIMESTAMP_YEARS
from geodata.synthetic.attendance import AttendanceParams, draw_attendance_s

log = logging.getLogger(__name__)

#: Prefix of the incident ids: ``SYN-2018-0000001``.
ID_PREFIX = "SYN"


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
        first, last = TIMESTAMP_YEARS[0], TIMESTAMP_YEARS[1] - 1
        if not _is_int(self.year) or not first <= self.year <= last:  # the years hubplan reads back
            problems.append(f"year must be a whole year from {first} to {last}, got {self.year!r}")
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


def synthetic_incidents(params: SyntheticIncidentParams | None = None) -> pd.DataFrame:
    """Draw synthetic graded incidents from the modelled demand (the steps are in :mod:`geodata.synthetic`).

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
        frame["attendance_s"] = draw_attendance_s(rng, frame, params.attendance_model)
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


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)
