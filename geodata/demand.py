"""Expected Grade 1 and Grade 2 demand per demand node and shift.

No graded incident records exist offline, so the default demand is
**modelled**: annual volumes (named assumptions, below) spread over demand
nodes in proportion to 2011 census population (or households), and over
shifts by an hour-of-day profile, with night demand leaning toward dense
town centres. Demand nodes are finer than LSOAs: the postcodes of one LSOA
that fall in one square cell (500 m by default) form one node, placed at
their mean, so every node lies in exactly one LSOA and local authority.

From an incident file instead,
:func:`geodata.demand_incidents.demand_from_incidents` counts real incidents
per node, grade and shift (read by :func:`geodata.incidents.read_incidents`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geodata import embedded
from geodata.errors import InputDataError

#: Assumed Grade 1 incidents a year. Reasoning: Staffordshire received 173,676 emergency (999) calls in 2018 and
#: about half of incidents are resourced (attended in person): ~87,000; we assume half of those are graded
#: emergency. An assumption, not a published figure; coverage *shares* do not depend on it.
GRADE1_PER_YEAR = 43_000.0

#: Assumed Grade 2 incidents a year: 1.5 x Grade 1 (priority incidents come from 999 and 101 calls). An assumption.
GRADE2_PER_YEAR = 65_000.0

#: Share of daily demand starting in each hour 00..23. An assumed shape typical of UK police command-and-control
#: demand (lowest 04-07, rising through the day, highest in the late afternoon and evening); not Staffordshire data.
HOURLY_PROFILE = (
    5.0, 4.3, 3.6, 2.8, 2.1, 1.8, 2.0, 2.7, 3.4, 3.9, 4.2, 4.4,
    4.5, 4.6, 4.8, 5.2, 5.5, 5.6, 5.5, 5.3, 5.1, 5.0, 4.9, 5.0,
)  # fmt: skip

#: Share of weekly demand by day, Monday..Sunday. Assumed: busier Friday to Sunday.
WEEKDAY_PROFILE = (13.8, 13.6, 13.7, 14.0, 14.8, 15.3, 14.8)


@dataclass(frozen=True)
class Shift:
    """A shift: a name and its hours, ``start_hour`` inclusive to ``end_hour`` exclusive (may wrap midnight)."""

    name: str
    start_hour: int
    end_hour: int

    def __post_init__(self) -> None:
        if not (0 <= self.start_hour < 24 and 0 <= self.end_hour < 24) or self.start_hour == self.end_hour:
            raise InputDataError(
                f"hours must be distinct whole hours 0-23, got {self.start_hour}-{self.end_hour}",
                source=f"shift {self.name!r}",
            )

    @property
    def hours(self) -> tuple[int, ...]:
        """The hours of day the shift covers."""
        length = (self.end_hour - self.start_hour) % 24
        return tuple((self.start_hour + k) % 24 for k in range(length))


#: Census column behind each demand weighting.
WEIGHTING_COLUMNS = {"population": "persons", "households": "households"}

#: Default shifts: early 07-15, late 15-23, night 23-07.
DEFAULT_SHIFTS = (Shift("early", 7, 15), Shift("late", 15, 23), Shift("night", 23, 7))


@dataclass(frozen=True)
class DemandParams:
    """Assumptions of the modelled demand; every default is documented in the README.

    Attributes
    ----------
    grade1_per_year, grade2_per_year
        Annual incident volumes (see :data:`GRADE1_PER_YEAR`).
    weighting
        ``"population"`` (2011 census persons) or ``"households"``.
    cell_m
        Side of the square cells postcodes are grouped into (within each LSOA).
    shifts
        The shifts demand is split into; they must cover all 24 hours once.
    hourly_profile
        Relative demand starting in each hour 00..23.
    weekday_profile
        Relative demand by day, Monday..Sunday (used for synthetic incidents).
    night_centre_exponent
        Night-shift demand is multiplied by ``(density / median density) ** exponent``
        (postcode density within 1 km), then rescaled to the night total; 0 turns it off.
    """

    grade1_per_year: float = GRADE1_PER_YEAR
    grade2_per_year: float = GRADE2_PER_YEAR
    weighting: str = "population"
    cell_m: float = 500.0
    shifts: tuple[Shift, ...] = DEFAULT_SHIFTS
    hourly_profile: tuple[float, ...] = HOURLY_PROFILE
    weekday_profile: tuple[float, ...] = WEEKDAY_PROFILE
    night_centre_exponent: float = 0.5

    def __post_init__(self) -> None:
        problems = []
        if self.weighting not in WEIGHTING_COLUMNS:
            problems.append(f"weighting {self.weighting!r} is not one of {', '.join(WEIGHTING_COLUMNS)}")
        if not (self.grade1_per_year >= 0 and self.grade2_per_year >= 0):
            problems.append("annual volumes must be >= 0")
        if len(self.hourly_profile) != 24 or min(self.hourly_profile) < 0 or sum(self.hourly_profile) <= 0:
            problems.append("hourly_profile needs 24 non-negative values with a positive sum")
        if len(self.weekday_profile) != 7 or min(self.weekday_profile) < 0:
            problems.append("weekday_profile needs 7 non-negative values")
        covered = sorted(h for shift in self.shifts for h in shift.hours)
        if covered != list(range(24)):
            problems.append(f"shifts {[s.name for s in self.shifts]} must cover each hour 0-23 exactly once")
        if self.cell_m <= 0 or self.night_centre_exponent < 0:
            problems.append("cell_m must be > 0 and night_centre_exponent >= 0")
        if problems:
            raise InputDataError("are not valid", source="demand parameters", problems=problems)

    def shift_shares(self) -> np.ndarray:
        """Share of daily demand in each shift (sums to 1)."""
        profile = np.asarray(self.hourly_profile, dtype=float) / sum(self.hourly_profile)
        return np.array([profile[list(shift.hours)].sum() for shift in self.shifts])


@dataclass(frozen=True, eq=False)
class Demand:
    """Expected incidents a year per demand node, grade and shift.

    Attributes
    ----------
    nodes
        One row per node: ``node_id, x_m, y_m`` (BNG), ``lsoa_code, la_code,
        la_name, persons, households, density_per_km2``.
    grade1, grade2
        Expected incidents a year, shape ``(n_nodes, n_shifts)``.
    shifts
        The shifts, in column order.
    source
        How the demand was obtained (``"modelled: population"`` or an incident file).
    """

    nodes: pd.DataFrame
    grade1: np.ndarray
    grade2: np.ndarray
    shifts: tuple[Shift, ...]
    source: str
    params: DemandParams = field(default_factory=DemandParams)

    def __post_init__(self) -> None:
        shape = (len(self.nodes), len(self.shifts))
        for name in ("grade1", "grade2"):
            array = getattr(self, name)
            if array.shape != shape or not np.all(np.isfinite(array)) or array.min(initial=0) < 0:
                raise InputDataError(f"{name} must be finite, >= 0 and of shape {shape}", source="demand")

    @property
    def shift_names(self) -> tuple[str, ...]:
        """Names of the shifts, in column order."""
        return tuple(shift.name for shift in self.shifts)

    def for_shift(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Grade 1 and Grade 2 expected incidents a year in shift ``name``."""
        if name not in self.shift_names:
            raise InputDataError(f"unknown shift {name!r}; valid: {', '.join(self.shift_names)}", source="demand")
        column = self.shift_names.index(name)
        return self.grade1[:, column], self.grade2[:, column]


def demand_nodes(cell_m: float = 500.0) -> pd.DataFrame:
    """Group the force area's postcodes into nodes: one per (cell, LSOA), with census counts shared out.

    Each LSOA's 2011 persons and households are shared equally among its
    postcodes (Code-Point Open has no address counts), then summed per node.
    """
    postcodes = embedded.load_postcodes()
    postcodes = postcodes[postcodes["in_force"] == 1].copy()
    lsoas = embedded.load_lsoas().set_index("lsoa_code")
    per_lsoa = postcodes.groupby("lsoa_code")["postcode"].transform("size")
    postcodes["persons"] = lsoas.loc[postcodes["lsoa_code"], "persons"].to_numpy() / per_lsoa
    postcodes["households"] = lsoas.loc[postcodes["lsoa_code"], "households"].to_numpy() / per_lsoa
    postcodes["cell_x"] = np.floor(postcodes["easting"] / cell_m).astype(np.int64)
    postcodes["cell_y"] = np.floor(postcodes["northing"] / cell_m).astype(np.int64)
    nodes = (
        postcodes.groupby(["lsoa_code", "cell_x", "cell_y"], sort=True)
        .agg(
            x_m=("easting", "mean"),
            y_m=("northing", "mean"),
            persons=("persons", "sum"),
            households=("households", "sum"),
            n_postcodes=("postcode", "size"),
        )
        .reset_index()
    )
    nodes["x_m"], nodes["y_m"] = nodes["x_m"].round(1), nodes["y_m"].round(1)
    nodes["la_code"] = lsoas.loc[nodes["lsoa_code"], "la_code"].to_numpy()
    nodes["la_name"] = embedded.local_authority_names(lsoas.loc[nodes["lsoa_code"], "la_name"]).to_numpy()
    nodes["density_per_km2"] = _postcode_density(postcodes, nodes)
    nodes.insert(0, "node_id", [f"D{i:05d}" for i in range(len(nodes))])
    columns = [
        "node_id",
        "x_m",
        "y_m",
        "lsoa_code",
        "la_code",
        "la_name",
        "persons",
        "households",
        "n_postcodes",
        "density_per_km2",
    ]
    return nodes[columns]


def modelled_demand(params: DemandParams = DemandParams()) -> Demand:
    """Modelled demand: annual volumes shared by population (or households), shift profile and night lean."""
    nodes = demand_nodes(params.cell_m)
    weight = nodes[WEIGHTING_COLUMNS[params.weighting]].to_numpy(float)
    weight = weight / weight.sum()
    shares = params.shift_shares()
    per_shift = np.outer(weight, shares)
    for column, shift in enumerate(params.shifts):
        if shift.name == "night" and params.night_centre_exponent > 0:
            per_shift[:, column] = _lean_to_centres(per_shift[:, column], nodes, params.night_centre_exponent)
    return Demand(
        nodes=nodes,
        grade1=per_shift * params.grade1_per_year,
        grade2=per_shift * params.grade2_per_year,
        shifts=params.shifts,
        source=f"modelled: {params.weighting} (2011 census), assumed volumes and shift profile",
        params=params,
    )


def _lean_to_centres(column: np.ndarray, nodes: pd.DataFrame, exponent: float) -> np.ndarray:
    density = nodes["density_per_km2"].to_numpy(float)
    leaned = column * (density / np.median(density)) ** exponent
    return leaned * column.sum() / leaned.sum()


def _postcode_density(postcodes: pd.DataFrame, nodes: pd.DataFrame, radius_m: float = 1_000.0) -> np.ndarray:
    tree = cKDTree(postcodes[["easting", "northing"]].to_numpy(float))
    counts = tree.query_ball_point(nodes[["x_m", "y_m"]].to_numpy(float), r=radius_m, return_length=True)
    return np.round(np.asarray(counts, dtype=float) / (np.pi * (radius_m / 1_000.0) ** 2), 2)
