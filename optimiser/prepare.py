"""Turn a scenario into matrices: network, demand, candidates, bases and response times.

Response time = mobilisation delay + travel time on the network with the
scenario's blue-light speed factor. The tie between a base and its
deployment locations uses normal driving (repositioning is not a blue-light
journey).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse

from geodata import embedded
from geodata.area_classes import AreaClassification, load_area_classification
from geodata.candidates import hotspot_candidates, junction_candidates, sites_from_points
from geodata.crs import lonlat_to_crs
from geodata.demand import Demand, DemandParams, demand_nodes, modelled_demand
from geodata.demand_incidents import demand_from_incidents
from geodata.errors import InputDataError
from geodata.incidents import read_incidents
from geodata.incidents.area import AreaCheck
from geodata.matrix import SnappedPoints, TravelTimeMatrix, snap_points
from geodata.matrix_cache import cached_travel_time_matrix, default_cache_dir
from geodata.network import RoadNetwork
from geodata.points import read_points
from models.instance import frozen_response, response_matrix_from_pairs
from models.response import ResponseSettings, response_time_s
from models.standards import ResponseStandard
from optimiser.networks import load_network
from optimiser.plan_settings import declared_base_areas, scenario_response_settings
from optimiser.scenario import BaseSpec, Scenario
from optimiser.standards import load_standard

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, eq=False)
class PreparedScenario:
    """Everything the models need for every shift of a scenario.

    Attributes
    ----------
    candidate_response_s, base_response_s
        Response time (mobilisation + blue-light travel), seconds, demand x site,
        within the Grade 2 target (absent = beyond).
    base_to_candidate_s
        Normal-driving time base -> candidate, seconds, dense; ``inf`` beyond the base's reach.
    response
        The response assumptions, with each shift's busy fraction, computed once for the scenario, and the
        response standard its targets come from.
    area_classes
        Urban or rural per LSOA; ``demand.nodes["area_class"]`` is each demand node's.
    """

    scenario: Scenario
    network: RoadNetwork
    demand: Demand
    candidates: pd.DataFrame
    bases: pd.DataFrame
    candidate_response_s: scipy.sparse.csr_matrix
    base_response_s: scipy.sparse.csr_matrix
    base_to_candidate_s: np.ndarray
    max_base_travel_s: np.ndarray
    response: ResponseSettings
    area_classes: AreaClassification

    def targets_s(self, grade: int, standard: ResponseStandard | None = None) -> np.ndarray:
        """The target of ``grade`` at each demand node under ``standard`` (default the plan's), seconds."""
        standard = standard or self.response.standard
        return standard.targets_s(grade, self.demand.nodes["area_class"].to_numpy(object))


def prepare(scenario: Scenario, *, progress: Progress | None = None, workers: int = 1) -> PreparedScenario:
    """Build the network, demand, candidates and response matrices of ``scenario``."""
    standard = load_standard(scenario.standard)
    classification = load_area_classification(scenario.area_classes)
    bases = scenario_bases(scenario)
    network = load_network(scenario.network.source)
    demand = with_area_classes(scenario_demand(scenario), classification)
    candidates = scenario_candidates(scenario, network, demand)
    area = AreaCheck.build(None, scenario.candidates.area_buffer_m)
    _refuse_outside(area, candidates, "candidate_id", what="candidate site", source=scenario.path)
    max_snap_m = scenario.network.max_snap_m
    demand_points = snap_points(
        network,
        demand.nodes["node_id"].to_numpy(),
        demand.nodes["x_m"].to_numpy(float),
        demand.nodes["y_m"].to_numpy(float),
        max_snap_m=max_snap_m,
        source="demand nodes",
    )
    base_points = snap_points(
        network,
        bases["name"].to_numpy(),
        bases["x_m"].to_numpy(float),
        bases["y_m"].to_numpy(float),
        max_snap_m=max_snap_m,
        source=f"{scenario.path} bases",
    )
    _log_base_snaps(base_points)
    candidate_points = _snap_candidates(network, candidates, base_points, max_snap_m)
    _log_candidate_snaps(candidate_points)
    candidates = candidates.iloc[_positions(candidates, candidate_points)].reset_index(drop=True)
    sites = _concat_points(candidate_points, base_points)
    declared_base_areas(scenario, sorted(set(demand.nodes["la_name"])))  # refuse bad areas before any routing
    max_base_travel_s = np.array(
        [60.0 * (b.max_travel_min or scenario.response.max_base_travel_min) for b in scenario.bases]
    )
    response = scenario_response_settings(scenario, demand, max_base_travel_s, standard)
    travel = _matrix(
        network.with_speed_factor(response.speed_factor),
        sites,
        demand_points,
        cutoff_s=response.max_travel_budget_s(2),
        progress=progress,
        label="response times",
        workers=workers,
    )
    response_s = response_matrix_from_pairs(
        travel.destination_index,
        travel.origin_index,
        response_time_s(response.mobilisation_s, travel.travel_time_s),
        shape=(len(demand_points), len(sites)),
    )
    del travel  # 24 bytes a pair (14.9 million pairs on the shipped scenarios): free it before the slices below
    n_candidates = len(candidate_points)
    tie = _matrix(
        network,
        base_points,
        candidate_points,
        cutoff_s=float(max_base_travel_s.max()),
        progress=progress,
        label="base reach",
        workers=1,
    )
    return PreparedScenario(
        scenario=scenario,
        network=network,
        demand=demand,
        candidates=candidates.assign(node_index=candidate_points.node_index),
        bases=bases.assign(node_index=base_points.node_index),
        candidate_response_s=frozen_response(response_s[:, :n_candidates].tocsr()),
        base_response_s=frozen_response(response_s[:, n_candidates:].tocsr()),
        base_to_candidate_s=tie.to_dense(fill=np.inf),
        max_base_travel_s=max_base_travel_s,
        response=response,
        area_classes=classification,
    )


def with_area_classes(demand: Demand, classification: AreaClassification) -> Demand:
    """``demand`` with each node's area class (its LSOA's) in ``nodes["area_class"]``."""
    nodes = demand.nodes.assign(area_class=classification.class_of(demand.nodes["lsoa_code"]))
    return dataclasses.replace(demand, nodes=nodes)


def scenario_demand(scenario: Scenario) -> Demand:
    """The scenario's demand: modelled from the census, or counted from an incident file."""
    spec = scenario.demand
    params = DemandParams(
        grade1_per_year=spec.grade1_per_year,
        grade2_per_year=spec.grade2_per_year,
        weighting=spec.weighting,
        cell_m=spec.cell_m,
        night_centre_exponent=spec.night_centre_exponent,
    )
    if spec.source == "modelled":
        return modelled_demand(params)
    incidents = read_incidents(spec.source, postcode_lookup=embedded.lookup_postcodes)
    return demand_from_incidents(incidents, demand_nodes(spec.cell_m), params.shifts, source=spec.source)


def scenario_bases(scenario: Scenario, *, source: str | None = None) -> pd.DataFrame:
    """The located bases of ``scenario``, refused if any lies beyond ``[candidates] area_buffer_m`` of the force area.

    Needs no network, so callers check every configuration before the first solve.
    """
    source = source or scenario.path
    bases = locate_bases(scenario.bases, source=source)
    area = AreaCheck.build(None, scenario.candidates.area_buffer_m)
    _refuse_outside(area, bases, "name", what="base", source=source)
    return bases


def locate_bases(bases: tuple[BaseSpec, ...], *, source: str) -> pd.DataFrame:
    """Coordinates (BNG) of each base from its postcode, easting/northing or lon/lat."""
    rows, problems = [], []
    for base in bases:
        x_m, y_m, postcode = _base_location(base)
        if not np.isfinite(x_m):
            problems.append(
                f"base {base.name!r}: postcode {base.postcode!r} is not in the embedded Code-Point "
                f"Open extract (Staffordshire and 20 km around); {_postcode_hint(base.postcode)}"
                "or give easting/northing instead"
            )
        rows.append({"name": base.name, "x_m": x_m, "y_m": y_m, "postcode": postcode})
    if problems:
        raise InputDataError("has bases that cannot be located", source=source, problems=problems)
    table = pd.DataFrame(rows)
    table["postcode"] = embedded.nearest_postcode(table["x_m"].to_numpy(), table["y_m"].to_numpy())
    return table


def _refuse_outside(area: AreaCheck, points: pd.DataFrame, id_column: str, *, what: str, source: str) -> None:
    """Refuse points more than ``[candidates] area_buffer_m`` outside the force area, whatever ``max_snap_m`` says.

    A larger ``max_snap_m`` would snap such a point to the nearest Staffordshire
    road, many kilometres away, and give a plan for a place that is not there.
    """
    ids, x, y = points[id_column], points["x_m"].to_numpy(float), points["y_m"].to_numpy(float)
    outside = np.flatnonzero(area.outside(x, y))
    if outside.size == 0:
        return
    km = area.distance_km(x[outside], y[outside])
    problems = [
        f"{what} {ids.iloc[i]!r} at easting {x[i]:,.0f}, northing {y[i]:,.0f} (near {postcode}) is {d:,.1f} km "
        "outside the force area"
        for i, d, postcode in zip(outside, km, embedded.nearest_postcode(x[outside], y[outside]), strict=True)
    ]
    raise InputDataError(
        f"has {what}s more than [candidates] area_buffer_m = {area.buffer_m:,.0f} m outside the force area; check "
        "their location (a postcode typo, easting and northing swapped, or lon/lat given as easting/northing). "
        "A larger max_snap_m would not help: it would move them onto the nearest road in the area",
        source=source,
        problems=problems,
    )


def _log_base_snaps(bases: SnappedPoints) -> None:
    """Say how far each base was moved onto the road network."""
    moved = ", ".join(f"{name} {d:,.0f} m" for name, d in zip(bases.ids, bases.snap_distance_m, strict=True))
    log.info("bases snapped to the road network: %s", moved)


def _log_candidate_snaps(candidates: SnappedPoints) -> None:
    """Say how far candidates were moved onto the road network: the median and the farthest."""
    if len(candidates.ids) == 0:
        return
    far = int(np.argmax(candidates.snap_distance_m))
    log.info(
        "candidates snapped to the road network: median %.0f m, farthest %s at %.0f m",
        float(np.median(candidates.snap_distance_m)),
        candidates.ids[far],
        float(candidates.snap_distance_m[far]),
    )


def _postcode_hint(postcode: str | None) -> str:
    """Postcodes of the same sector that do exist, as a suggestion (empty when there are none)."""
    if not postcode:
        return ""
    normalised = embedded.normalise_postcode(postcode)
    known = embedded.load_postcodes()["postcode"]
    nearby: list[str] = []
    for length in (len(normalised) - 1, len(normalised) - 2):
        if length > 0 and not nearby:
            nearby = known[known.str.startswith(normalised[:length])].head(8).tolist()
    return f"postcodes near it that exist: {', '.join(nearby)}; " if nearby else ""


def _base_location(base: BaseSpec) -> tuple[float, float, str | None]:
    if base.postcode is not None:
        found = embedded.lookup_postcodes(pd.Series([base.postcode]))
        return float(found["easting"].iloc[0]), float(found["northing"].iloc[0]), base.postcode
    if base.easting is not None and base.northing is not None:
        return float(base.easting), float(base.northing), None
    x, y = lonlat_to_crs(np.array([base.lon], dtype=float), np.array([base.lat], dtype=float))
    return float(x[0]), float(y[0]), None


def scenario_candidates(scenario: Scenario, network: RoadNetwork, demand: Demand) -> pd.DataFrame:
    """Generated junction and hotspot candidates inside the (buffered) force area, plus any listed sites."""
    spec = scenario.candidates
    area = embedded.force_area().iloc[0].buffer(spec.area_buffer_m)
    parts = []
    if spec.junctions:
        parts.append(junction_candidates(network, min_spacing_m=spec.junction_spacing_m, area=area))
    if spec.hotspots > 0:
        avoid = pd.concat(parts) if parts else pd.DataFrame({"x_m": [], "y_m": []})
        weight = demand.grade1.sum(axis=1)
        parts.append(
            hotspot_candidates(
                demand.nodes["x_m"].to_numpy(float),
                demand.nodes["y_m"].to_numpy(float),
                weight,
                count=spec.hotspots,
                min_spacing_m=spec.hotspot_spacing_m,
                avoid_x_m=avoid["x_m"].to_numpy(float),
                avoid_y_m=avoid["y_m"].to_numpy(float),
            )
        )
    if spec.file:
        listed = read_points(spec.file, crs=network.crs, postcode_lookup=embedded.lookup_postcodes)
        parts.append(sites_from_points(listed))
    if not parts:
        raise InputDataError(
            "[candidates] produces no candidates; enable junctions or hotspots, or give a file", source=scenario.path
        )
    return pd.concat(parts, ignore_index=True)


def _snap_candidates(
    network: RoadNetwork, candidates: pd.DataFrame, bases: SnappedPoints, max_snap_m: float
) -> SnappedPoints:
    """Snap candidates and drop those sharing a node with a base or an earlier candidate."""
    snapped = snap_points(
        network,
        candidates["candidate_id"].to_numpy(),
        candidates["x_m"].to_numpy(float),
        candidates["y_m"].to_numpy(float),
        max_snap_m=max_snap_m,
        source="candidates",
    )
    _, first = np.unique(snapped.node_index, return_index=True)
    keep = np.sort(first)
    keep = keep[~np.isin(snapped.node_index[keep], bases.node_index)]
    if keep.size < len(snapped):
        log.debug(
            "dropped %d candidates that share a road node with a base or another candidate", len(snapped) - keep.size
        )
    return SnappedPoints(
        snapped.ids[keep], snapped.x_m[keep], snapped.y_m[keep], snapped.node_index[keep], snapped.snap_distance_m[keep]
    )


def _positions(candidates: pd.DataFrame, kept: SnappedPoints) -> np.ndarray:
    index = pd.Index(candidates["candidate_id"].astype(str))
    return index.get_indexer(kept.ids)


def _concat_points(first: SnappedPoints, second: SnappedPoints) -> SnappedPoints:
    return SnappedPoints(
        np.concatenate([first.ids, second.ids]),
        np.concatenate([first.x_m, second.x_m]),
        np.concatenate([first.y_m, second.y_m]),
        np.concatenate([first.node_index, second.node_index]),
        np.concatenate([first.snap_distance_m, second.snap_distance_m]),
    )


def _matrix(
    network: RoadNetwork,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    *,
    cutoff_s: float,
    progress: Progress | None,
    label: str,
    workers: int,
) -> TravelTimeMatrix:
    def report(done: int) -> None:
        if progress is not None:
            progress(label, done, len(origins))

    return cached_travel_time_matrix(
        network,
        origins,
        destinations,
        cutoff_s=cutoff_s,
        cache_dir=default_cache_dir(),
        workers=workers,
        progress=report,
    )
