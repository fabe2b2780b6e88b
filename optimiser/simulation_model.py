"""Turn a written plan into the inputs of the response simulation: places, travel, cars, incidents, dispatch.

* **Places** are the plan's demand nodes and its posts (deployment locations
  and bases), each snapped to its road node; the travel table among them is
  blue-light time at the plan's speed factor (:mod:`geodata.travel_table`,
  cached). A car driving back to post or to custody drives at normal speed:
  ``speed_factor`` times the blue-light time.
* **Base areas**: a base's area is the local authorities the scenario
  declares for it (``[[bases]] areas``); every other local authority belongs to
  the base whose cars reach its Grade 1 demand fastest on average
  (demand-weighted blue-light time from the base), an assumption where the
  force's own boundaries are not published. Places outside every local
  authority go to the nearest base.
* **Custody**: an arrest is taken to the nearest base (assumed: every hub or
  base has a custody suite or one close by).
* **Grade 1 reserve**: each base area keeps ``grade1_reserve_share`` of its
  cars on duty (the mean over shifts, rounded) free for Grade 1: a Grade 2 is
  not given a car that would leave fewer.
* **Cars on duty** per base and shift are the plan's units times
  ``cars_available_share`` (rounded so that the force total is the rounded
  product, largest remainders first). With ``posts="plan"`` one car waits at
  each of the base's deployment locations (those answering most Grade 1
  demand first, when there are fewer cars than locations) and the rest at the
  base; with ``posts="bases"`` every car waits at its base.
* **Incidents** follow the plan's ``demand`` layer: per shift, each node's
  Grade 1 and Grade 2 incidents a year give the place weights of that shift's
  hours, and the demand model's hour-of-day profile the timing within a shift.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.demand import HOURLY_PROFILE
from geodata.matrix import nearest_nodes
from geodata.travel_table import cached_node_travel_table
from models.simulation import (
    DispatchPolicy,
    DutyPeriods,
    IncidentParams,
    Places,
    Shift,
    duty_periods_from_shifts,
)
from models.standards import ResponseStandard
from optimiser.plan_input import WrittenPlan, load_plan_network
from optimiser.scenario import SimulationSpec
from optimiser.standards import other_standard

log = logging.getLogger(__name__)

POSTS = ("plan", "bases")
#: Per shift, every car's ``(post place, base index)``.
CarPosts = tuple[tuple[tuple[int, int], ...], ...]
#: Local authority of places outside every local authority (posts beyond the boundary).
OUTSIDE = "outside the force area"


@dataclass(frozen=True, eq=False)
class SimulationModel:
    """Everything a replication needs; picklable, sent once to each worker.

    Attributes
    ----------
    places
        Travel table, base area and custody suite of every place.
    incident_params
        The incident model (volumes, place weights per shift, durations).
    shifts
        One :class:`models.simulation.Shift` per plan shift, with its cars' ``(post place, base)``.
    shift_names
        Names of ``shifts``, in order.
    policy
        The dispatch policy.
    base_names
        Base of each base (area) index.
    place_local_authority
        Local authority of each place.
    place_area_class
        Area class (``"urban"``, ``"rural"``) of each demand place (``""`` for other places).
    standard, other_standard
        The plan's response standard (targets by grade and area class, clock start) and the other shipped
        standard every incident is also measured against.
    posts
        ``"plan"`` (cars at the plan's deployment locations), ``"bases"`` (parked at
        their bases) or ``"deployment"`` (cars posted as given to :func:`model_from_geometry`).
    demand_place_xy
        ``place, x_m, y_m`` of every place that is a demand node (where replayed incidents are placed).
    """

    places: Places
    incident_params: IncidentParams
    shifts: tuple[Shift, ...]
    shift_names: tuple[str, ...]
    policy: DispatchPolicy
    base_names: tuple[str, ...]
    place_local_authority: np.ndarray
    place_area_class: np.ndarray
    standard: ResponseStandard
    other_standard: ResponseStandard
    posts: str
    demand_place_xy: np.ndarray

    def duties(self, days: int) -> DutyPeriods:
        """The cars' duty periods over ``days`` days, from midnight of day 0.

        A shift that runs past midnight (the night shift) also has its cars on
        duty from 00:00 of day 0 to its end: they started the evening before.
        """
        repeated = duty_periods_from_shifts(self.shifts, days=days)
        early = [(p, b, h) for s in self.shifts if s.end_hour <= s.start_hour for p, b in s.cars for h in [s.end_hour]]
        return DutyPeriods(
            post_place=np.concatenate([[p for p, _, _ in early], repeated.post_place]).astype(np.int64),
            base=np.concatenate([[b for _, b, _ in early], repeated.base]).astype(np.int64),
            start_s=np.concatenate([np.zeros(len(early)), repeated.start_s]),
            end_s=np.concatenate([[3600.0 * h for _, _, h in early], repeated.end_s]),
        )

    def duty_shift(self, days: int) -> np.ndarray:
        """Shift index of each duty period of :meth:`duties`."""
        early = [np.full(len(s.cars), k) for k, s in enumerate(self.shifts) if s.end_hour <= s.start_hour]
        per_day = np.concatenate([np.full(len(s.cars), k) for k, s in enumerate(self.shifts)])
        return np.concatenate([*early, np.tile(per_day, days)]).astype(np.int64)

    def cars_by_shift(self) -> dict[str, dict[str, int]]:
        """Cars on duty per shift and base."""
        return {
            name: {base: sum(1 for _, b in shift.cars if self.base_names[b] == base) for base in self.base_names}
            for name, shift in zip(self.shift_names, self.shifts, strict=True)
        }


@dataclass(frozen=True, eq=False)
class SimulationGeometry:
    """The part of a simulation model that does not depend on the simulation assumptions (costly to build once).

    Attributes
    ----------
    plan
        The plan (with its ``demand`` layer).
    nodes
        One row per demand node, base and (location, shift), see :func:`_node_table`.
    node_places
        Place index of each row of ``nodes``.
    travel_s
        Blue-light travel table among the places, seconds (``uint16``).
    demand
        Incidents a year per grade (1, 2), shift and place.
    area, local_authority, area_class
        Base area, local authority and area class (``""`` off the demand nodes) of each place.
    custody_place
        Custody suite (nearest base) of each place.
    site_places
        Place of each extra site given to :func:`simulation_geometry` (candidate
        sites a search may post cars at); empty when none were given.
    """

    plan: WrittenPlan
    nodes: pd.DataFrame
    node_places: np.ndarray
    travel_s: np.ndarray
    demand: np.ndarray
    area: np.ndarray
    local_authority: np.ndarray
    custody_place: np.ndarray
    site_places: np.ndarray
    area_class: np.ndarray

    @property
    def base_places(self) -> np.ndarray:
        """Place of each base, in the plan's base order."""
        return self.node_places[self.nodes["kind"].to_numpy() == "base"]


def simulation_geometry(
    plan: WrittenPlan,
    *,
    cache_dir: Path | None = None,
    workers: int = 1,
    extra_sites_xy: np.ndarray | None = None,
) -> SimulationGeometry:
    """Places, travel table, demand weights, base areas and custody suites of a plan read with ``demand=True``.

    Parameters
    ----------
    plan
        The plan.
    cache_dir
        Where the travel table is cached (``None``: no cache).
    workers
        Processes for the travel table.
    extra_sites_xy
        ``(k, 2)`` easting and northing of further sites cars may be posted at;
        they become places too. Default: the plan's candidate sites (its
        ``candidates`` layer), so that every plan of a scenario shares one
        travel table and a search can post cars anywhere a plan could.
    """
    if plan.demand is None:
        raise ValueError("the simulation needs a plan read with read_plan(..., demand=True)")
    network = load_plan_network(plan).with_speed_factor(plan.response.speed_factor)
    if extra_sites_xy is None and plan.candidates is not None:
        extra_sites_xy = plan.candidates[["easting", "northing"]].to_numpy(float)
    nodes = _node_table(plan, extra_sites_xy)
    node_places, unique_nodes = _places_of(network, nodes)
    travel = cached_node_travel_table(network, unique_nodes, cache_dir=cache_dir, workers=workers)
    base_place = node_places[nodes["kind"].to_numpy() == "base"]
    demand = _demand_weights(plan, nodes, node_places, unique_nodes.size)
    declared = {la: base for base, las in plan.settings.base_areas.items() for la in las}
    area, local_authority = _areas(travel, base_place, demand, nodes, node_places, declared)
    custody = base_place[np.argmin(travel[:, base_place], axis=1)]
    site_places = node_places[nodes["kind"].to_numpy() == "site"]
    area_class = np.full(unique_nodes.size, "", dtype=object)
    rows = np.flatnonzero(nodes["kind"].to_numpy() == "demand")
    area_class[node_places[rows]] = nodes["area_class"].to_numpy(object)[rows]
    return SimulationGeometry(
        plan, nodes, node_places, travel, demand, area, local_authority, custody, site_places, area_class
    )


def build_simulation_model(
    plan: WrittenPlan,
    *,
    posts: str = "plan",
    spec: SimulationSpec | None = None,
    cache_dir: Path | None = None,
    workers: int = 1,
) -> SimulationModel:
    """The simulation inputs of a plan read with ``read_plan(..., demand=True)``.

    Parameters
    ----------
    plan
        The plan (its ``demand`` layer is needed).
    posts
        ``"plan"`` or ``"bases"`` (see the module docstring).
    spec
        Simulation assumptions; default: those recorded in the plan.
    cache_dir
        Where the travel table is cached (``None``: no cache).
    workers
        Processes for the travel table.
    """
    geometry = simulation_geometry(plan, cache_dir=cache_dir, workers=workers)
    return model_from_geometry(geometry, spec or plan.settings.simulation, posts=posts)


def model_from_geometry(
    geometry: SimulationGeometry, spec: SimulationSpec, *, posts: str = "plan", cars: CarPosts | None = None
) -> SimulationModel:
    """The model of ``geometry`` under the assumptions ``spec`` (cheap: nothing is routed).

    Parameters
    ----------
    geometry
        Places, travel, demand.
    spec
        Simulation assumptions.
    posts
        ``"plan"`` or ``"bases"`` (see the module docstring); ignored when ``cars`` is given.
    cars
        Per shift, every car's ``(post place, base index)``: a deployment other
        than the plan's (from a search, or a random one); ``posts`` is then
        ``"deployment"``. Use :func:`available_cars` for the counts.
    """
    plan, response = geometry.plan, geometry.plan.response
    shift_names = tuple(s.name for s in response.shifts)
    if cars is None:
        if posts not in POSTS:
            raise ValueError(f"posts must be one of {POSTS}, got {posts!r}")
        shifts = _shifts(plan, geometry.nodes, geometry.node_places, spec, posts, shift_names)
    else:
        if len(cars) != len(response.shifts):
            raise ValueError(f"cars: one tuple per shift ({len(response.shifts)}), got {len(cars)}")
        shifts = tuple(Shift(s.start_hour, s.end_hour, tuple(c)) for s, c in zip(response.shifts, cars, strict=True))
        posts = "deployment"
    places = Places(
        travel_s=geometry.travel_s,
        area=geometry.area,
        custody_place=geometry.custody_place,
        return_time_factor=response.speed_factor,
    )
    model = SimulationModel(
        places=places,
        incident_params=_incident_params(spec, geometry.demand, response.shift_of_hour(), shift_names),
        shifts=shifts,
        shift_names=shift_names,
        policy=_policy(spec, response.mobilisation_s, shifts, len(plan.bases)),
        base_names=tuple(str(b) for b in plan.bases["name"]),
        place_local_authority=geometry.local_authority,
        place_area_class=geometry.area_class,
        standard=response.standard,
        other_standard=other_standard(response.standard),
        posts=posts,
        demand_place_xy=_demand_place_xy(geometry),
    )
    log.debug(
        "simulation model: %s places, %s cars a day over %d shifts (%s)",
        f"{places.n_places:,}",
        f"{sum(len(s.cars) for s in model.shifts):,}",
        len(shift_names),
        "cars at the plan's deployment locations" if posts == "plan" else "cars parked at their bases",
    )
    return model


def _demand_place_xy(geometry: SimulationGeometry) -> np.ndarray:
    rows = np.flatnonzero(geometry.nodes["kind"].to_numpy() == "demand")
    places, first = np.unique(geometry.node_places[rows], return_index=True)
    xy = geometry.nodes[["x_m", "y_m"]].to_numpy(float)[rows[first]]
    return np.column_stack([places, xy])


def available_cars(geometry: SimulationGeometry, spec: SimulationSpec) -> np.ndarray:
    """Cars on duty per shift and base, ``(n_shifts, n_bases)``: the plan's units times ``cars_available_share``."""
    plan = geometry.plan
    return np.array(
        [
            _cars_available(np.array([int(u) for u in plan.bases[f"{shift.name}_units"]]), spec.cars_available_share)
            for shift in plan.response.shifts
        ]
    )


def _node_table(plan: WrittenPlan, extra_sites_xy: np.ndarray | None = None) -> pd.DataFrame:
    """One row per demand node, base, (location, shift) and extra site: kind, key, shift, base, x_m, y_m, la_name."""
    demand = plan.demand.drop_duplicates("node_id")
    frames = [
        pd.DataFrame(
            {
                "kind": "demand",
                "key": demand["node_id"].astype(str),
                "shift": "",
                "base": "",
                "rank": 0.0,
                "x_m": demand["x_m"].to_numpy(float),
                "y_m": demand["y_m"].to_numpy(float),
                "la_name": demand["la_name"].astype(str),
                "area_class": demand["area_class"].astype(str),
            }
        ),
        pd.DataFrame(
            {
                "kind": "base",
                "key": plan.bases["name"].astype(str),
                "shift": "",
                "base": plan.bases["name"].astype(str),
                "rank": 0.0,
                "x_m": plan.bases["easting"].to_numpy(float),
                "y_m": plan.bases["northing"].to_numpy(float),
                "la_name": "",
                "area_class": "",
            }
        ),
        pd.DataFrame(
            {
                "kind": "location",
                "key": plan.locations["location_id"].astype(str),
                "shift": plan.locations["shift"].astype(str),
                "base": plan.locations["base"].astype(str),
                "rank": -plan.locations["grade1_first_response_per_year"].to_numpy(float),
                "x_m": plan.locations["easting"].to_numpy(float),
                "y_m": plan.locations["northing"].to_numpy(float),
                "la_name": "",
                "area_class": "",
            }
        ),
    ]
    if extra_sites_xy is not None and len(extra_sites_xy):
        xy = np.asarray(extra_sites_xy, dtype=float)
        frames.append(
            pd.DataFrame(
                {
                    "kind": "site",
                    "key": [str(k) for k in range(len(xy))],
                    "shift": "",
                    "base": "",
                    "rank": 0.0,
                    "x_m": xy[:, 0],
                    "y_m": xy[:, 1],
                    "la_name": "",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _places_of(network, nodes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Place index of every row of ``nodes``, and the road node of every place (distinct nodes, ascending).

    Ascending road nodes: two plans of one scenario (whose posts are among its
    candidate sites) then have the same places in the same order, hence one
    cached travel table.
    """
    road_node, _ = nearest_nodes(network, nodes["x_m"].to_numpy(float), nodes["y_m"].to_numpy(float))
    unique, inverse = np.unique(road_node, return_inverse=True)
    return inverse.astype(np.int64), unique.astype(np.int64)


def _demand_weights(plan: WrittenPlan, nodes: pd.DataFrame, node_places: np.ndarray, n_places: int) -> np.ndarray:
    """Incidents a year per grade (1, 2), shift and place: ``(2, n_shifts, n_places)``."""
    shifts = [s.name for s in plan.response.shifts]
    demand_rows = np.flatnonzero(nodes["kind"].to_numpy() == "demand")
    place_of_node = pd.Series(node_places[demand_rows], index=nodes["key"].to_numpy()[demand_rows])
    layer = plan.demand
    place = place_of_node.loc[layer["node_id"].astype(str)].to_numpy()
    shift = pd.Categorical(layer["shift"].astype(str), categories=shifts).codes
    weights = np.zeros((2, len(shifts), n_places))
    for g, column in enumerate(("grade1_per_year", "grade2_per_year")):
        np.add.at(weights[g], (shift, place), layer[column].to_numpy(float))
    return weights


def _areas(
    travel: np.ndarray,
    base_place: np.ndarray,
    demand: np.ndarray,
    nodes: pd.DataFrame,
    node_places: np.ndarray,
    declared: dict[str, str],
) -> tuple[np.ndarray, np.ndarray]:
    """Base area and local authority of every place (see the module docstring)."""
    n_places = travel.shape[0]
    local_authority = np.full(n_places, OUTSIDE, dtype=object)
    rows = np.flatnonzero(nodes["kind"].to_numpy() == "demand")
    local_authority[node_places[rows]] = nodes["la_name"].to_numpy(object)[rows]
    area = np.argmin(travel[base_place].astype(float), axis=0).astype(np.int64)
    grade1 = demand[0].sum(axis=0)
    from_base = travel[base_place].astype(float)
    for name in sorted(set(local_authority) - {OUTSIDE}):
        inside = local_authority == name
        weight = grade1[inside] if grade1[inside].sum() > 0 else np.ones(int(inside.sum()))
        base_names = nodes.loc[nodes["kind"] == "base", "key"].tolist()
        fastest = int(np.argmin(from_base[:, inside] @ weight))
        area[inside] = base_names.index(declared[name]) if name in declared else fastest
    return area, local_authority


def _cars_available(units: np.ndarray, share: float) -> np.ndarray:
    """``units * share`` rounded per base so that the total is the rounded total (largest remainders first)."""
    exact = units.astype(float) * share
    cars = np.floor(exact).astype(np.int64)
    short = int(round(exact.sum())) - int(cars.sum())
    if short > 0:
        cars[np.argsort(-(exact - cars), kind="stable")[:short]] += 1
    return cars


def _shifts(
    plan: WrittenPlan,
    nodes: pd.DataFrame,
    node_places: np.ndarray,
    spec: SimulationSpec,
    posts: str,
    shift_names: tuple[str, ...],
) -> tuple[Shift, ...]:
    base_names = [str(b) for b in plan.bases["name"]]
    base_place = dict(zip(base_names, node_places[nodes["kind"].to_numpy() == "base"], strict=True))
    locations = nodes.assign(place=node_places)[nodes["kind"] == "location"].sort_values(["rank", "key"])
    shifts = []
    for shift in plan.response.shifts:
        units = np.array([int(u) for u in plan.bases[f"{shift.name}_units"]])
        cars = []
        for b, (base, count) in enumerate(
            zip(base_names, _cars_available(units, spec.cars_available_share), strict=True)
        ):
            own = locations[(locations["shift"] == shift.name) & (locations["base"] == base)]["place"].to_numpy()
            at_locations = own[:count] if posts == "plan" else own[:0]
            cars += [(int(p), b) for p in at_locations] + [(int(base_place[base]), b)] * (count - at_locations.size)
        shifts.append(Shift(shift.start_hour, shift.end_hour, tuple(cars)))
    return tuple(shifts)


def _incident_params(
    spec: SimulationSpec, demand: np.ndarray, shift_of_hour: np.ndarray, shift_names: tuple[str, ...]
) -> IncidentParams:
    hour_period = np.array([shift_names.index(name) for name in shift_of_hour], dtype=np.int64)
    weights = np.stack([demand[0], demand[1], demand[1]])  # Grade 3 workload where Grade 2 demand is
    per_shift = demand.sum(axis=(0, 2))
    profile = np.asarray(HOURLY_PROFILE, dtype=float)
    within = np.array([profile[hour_period == k].sum() for k in range(len(shift_names))])
    hourly = profile * (per_shift / within)[hour_period]
    log_sd = np.array([spec.call_handling_grade1_log_sd, spec.call_handling_grade2_log_sd])
    return IncidentParams(
        place_weight=weights,
        hour_period=hour_period,
        annual_volume=(float(demand[0].sum()), float(demand[1].sum()), float(spec.grade3_per_year)),
        hour_weekday_profile=np.tile(hourly, (7, 1)),
        daily_cv=spec.daily_cv,
        call_handling_median_s=(
            spec.call_handling_grade1_median_s,
            spec.call_handling_grade2_median_s,
            spec.call_handling_grade2_median_s,
        ),
        call_handling_log_sd=(float(log_sd[0]), float(log_sd[1]), float(log_sd[1])),
        on_scene_median_s=tuple(
            _median_s(m, spec.on_scene_log_sd)
            for m in (spec.on_scene_grade1_mean_min, spec.on_scene_grade2_mean_min, spec.on_scene_grade2_mean_min)
        ),
        on_scene_log_sd=(spec.on_scene_log_sd,) * 3,
        custody_probability=(spec.arrest_share_grade1, spec.arrest_share_grade2, 0.0),
        custody_median_s=_median_s(spec.custody_mean_min, spec.custody_log_sd),
        custody_log_sd=spec.custody_log_sd,
    )


def _median_s(mean_min: float, log_sd: float) -> float:
    """Median (seconds) of a lognormal with mean ``mean_min`` minutes: ``mean / exp(sd**2 / 2)``."""
    return 60.0 * mean_min / float(np.exp(log_sd**2 / 2.0))


def grade1_reserve(share: float, shifts: tuple[Shift, ...], n_bases: int) -> tuple[int, ...]:
    """Free cars each base area keeps for Grade 1: ``share`` of its cars on duty (mean over shifts), rounded.

    A share, not a count, so that it means the same for three hubs and for ten bases.
    """
    cars = np.zeros(n_bases)
    for shift in shifts:
        for _, base in shift.cars:
            cars[base] += 1.0 / len(shifts)
    return tuple(int(r) for r in np.rint(share * cars))


def _policy(spec: SimulationSpec, mobilisation_s: float, shifts: tuple[Shift, ...], n_bases: int) -> DispatchPolicy:
    return DispatchPolicy(
        scope=spec.dispatch_scope,
        grade1_reserve=grade1_reserve(spec.grade1_reserve_share, shifts, n_bases),
        divert_for_grade1=spec.divert_for_grade1,
        mobilisation_parked_s=mobilisation_s,
        mobilisation_moving_s=spec.mobilisation_moving_s,
    )
