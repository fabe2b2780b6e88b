"""A plan's response model as per-node lookup tables, so millions of incidents cost array indexing.

For each shift, one multi-source Dijkstra from every open site (that shift's
deployment locations and every base) gives, for every road node, the
fastest blue-light travel time and which site it comes from. Response time =
the plan's mobilisation delay + that travel time, as in the optimiser. Also
per node: its area class (urban or rural, from its LSOA, as the plan
classified them) and so its targets under the plan's standard, how many open
sites are within its Grade 1 target (for the chance a free car is within
target when cars are busy, ``1 - q**count``), whether the node lies beyond
every base's reach (no deployment location may be placed near it), and its
local authority.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from geodata import embedded
from geodata.area_classes import AreaClassification
from geodata.crs import BNG
from geodata.matrix import nearest_nodes, nearest_origin
from geodata.network import RoadNetwork
from models.response import ResponseSettings
from optimiser.plan_input import WrittenPlan, load_plan_network

log = logging.getLogger(__name__)

#: Local authority label of nodes outside every Staffordshire local authority.
OUTSIDE = "outside the force area"


@dataclass(frozen=True, eq=False)
class ShiftLookup:
    """Per road node, for one shift.

    Attributes
    ----------
    travel_s
        Blue-light travel time from the nearest open site, seconds (``inf`` if none reaches).
    site
        Row of :attr:`ResponseModel.sites` of that site, -1 if none.
    grade1_site_count
        Open sites whose response time (mobilisation included) is within the node's Grade 1 target.
    """

    shift: str
    travel_s: np.ndarray
    site: np.ndarray
    grade1_site_count: np.ndarray


@dataclass(frozen=True, eq=False)
class ResponseModel:
    """Everything needed to score an incident at a road node in a shift.

    Attributes
    ----------
    sites
        ``site_id, kind ("location" or "base"), base, shift ("" for bases), node`` per open site.
    beyond_base_reach
        Per node: beyond every base's reach (normal driving), so no deployment location could serve it nearby.
    local_authority
        Per node: local authority name (:data:`OUTSIDE` when outside all).
    area_class
        Per node: ``"urban"`` or ``"rural"``, the class of the LSOA it lies in (or the nearest LSOA).
    """

    plan: WrittenPlan
    network: RoadNetwork
    sites: pd.DataFrame
    shifts: dict[str, ShiftLookup]
    beyond_base_reach: np.ndarray
    local_authority: np.ndarray
    area_class: np.ndarray

    @property
    def response(self) -> ResponseSettings:
        """The plan's response assumptions (targets, mobilisation, speed factor, busy fractions)."""
        return self.plan.response

    @property
    def busy_fraction(self) -> dict[str, float]:
        """Estimated busy fraction of each shift."""
        return dict(self.plan.response.busy_fraction_by_shift)


def build_response_model(plan: WrittenPlan) -> ResponseModel:
    """Load the plan's network (checking it is the one the plan was made with) and build every lookup."""
    response = plan.response
    network = load_plan_network(plan)
    fast = network.with_speed_factor(response.speed_factor)
    sites = _sites(plan, network)
    area_class = _area_class(network, plan.settings.area_classes)
    budget_s = response.travel_budgets_s(1, area_class)
    shifts = {}
    for shift in (s.name for s in response.shifts):
        open_rows = np.flatnonzero((sites["shift"] == shift) | (sites["kind"] == "base"))
        shifts[shift] = shift_lookup(fast, shift, sites["node"].to_numpy(), open_rows, budget_s)
    return ResponseModel(
        plan=plan,
        network=network,
        sites=sites,
        shifts=shifts,
        beyond_base_reach=_beyond_base_reach(plan, network),
        local_authority=_local_authority(network),
        area_class=area_class,
    )


def shift_lookup(
    network: RoadNetwork, shift: str, site_nodes: np.ndarray, open_rows: np.ndarray, budget_s: np.ndarray
) -> ShiftLookup:
    """The lookup of one shift: nearest open site of every node, and open sites within ``budget_s`` of it.

    Parameters
    ----------
    network
        The network with blue-light times.
    site_nodes
        Road node of every site (all shifts).
    open_rows
        The sites open in this shift (rows of ``site_nodes``).
    budget_s
        Per road node: its Grade 1 target minus the mobilisation delay, seconds.
    """
    travel_s, position = nearest_origin(network, site_nodes[open_rows])
    site = np.where(position >= 0, open_rows[np.maximum(position, 0)], -1)
    budget_s = np.broadcast_to(np.asarray(budget_s, dtype=float), (network.n_nodes,))
    count = np.zeros(network.n_nodes, dtype=np.int16)
    for budget in np.unique(budget_s):
        nodes = budget_s == budget
        count[nodes] = _count_within(network, site_nodes[open_rows], float(budget))[nodes]
    return ShiftLookup(shift, travel_s, site, count)


def _sites(plan: WrittenPlan, network: RoadNetwork) -> pd.DataFrame:
    locations = pd.DataFrame(
        {
            "site_id": plan.locations["location_id"].astype(str),
            "name": plan.locations["name"].astype(str),
            "kind": "location",
            "base": plan.locations["base"].astype(str),
            "shift": plan.locations["shift"].astype(str),
            "x_m": plan.locations["easting"].to_numpy(float),
            "y_m": plan.locations["northing"].to_numpy(float),
        }
    )
    bases = pd.DataFrame(
        {
            "site_id": plan.bases["name"].astype(str),
            "name": plan.bases["name"].astype(str),
            "kind": "base",
            "base": plan.bases["name"].astype(str),
            "shift": "",
            "x_m": plan.bases["easting"].to_numpy(float),
            "y_m": plan.bases["northing"].to_numpy(float),
        }
    )
    sites = pd.concat([locations, bases], ignore_index=True)
    sites["node"], _ = nearest_nodes(network, sites["x_m"].to_numpy(float), sites["y_m"].to_numpy(float))
    return sites


def _count_within(network: RoadNetwork, nodes: np.ndarray, budget_s: float) -> np.ndarray:
    """Number of ``nodes`` (sites) within ``budget_s`` of every road node."""
    if nodes.size == 0 or budget_s < 0:
        return np.zeros(network.n_nodes, dtype=np.int16)
    times = dijkstra(network.csgraph, directed=True, indices=nodes, limit=budget_s)
    return (np.atleast_2d(times) <= budget_s).sum(axis=0).astype(np.int16)


def _beyond_base_reach(plan: WrittenPlan, network: RoadNetwork) -> np.ndarray:
    reach_s = plan.response.max_base_travel_s
    nodes, _ = nearest_nodes(network, plan.bases["easting"].to_numpy(float), plan.bases["northing"].to_numpy(float))
    limits = np.array([float(reach_s.get(str(name), np.inf)) for name in plan.bases["name"]])
    times = np.atleast_2d(dijkstra(network.csgraph, directed=True, indices=nodes, limit=float(limits.max())))
    return ~(times <= limits[:, None]).any(axis=0)


def _area_class(network: RoadNetwork, classification: AreaClassification) -> np.ndarray:
    """The area class of each road node: that of the LSOA it lies in, or the nearest one outside the force area."""
    lsoas = embedded.load_lsoas()[["lsoa_code", "geometry"]].to_crs(BNG)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(network.x_m, network.y_m), crs=network.crs).to_crs(BNG)
    joined = gpd.sjoin_nearest(points, lsoas, how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    return classification.class_of(joined["lsoa_code"].to_numpy(object))


def _local_authority(network: RoadNetwork) -> np.ndarray:
    areas = embedded.load_boundaries()
    areas = areas[areas["kind"] != "force"][["name", "geometry"]].to_crs(BNG)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(network.x_m, network.y_m), crs=network.crs).to_crs(BNG)
    joined = gpd.sjoin(points, areas, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return embedded.local_authority_names(joined["name"]).fillna(OUTSIDE).to_numpy(object)
