"""Write a solved scenario: ``plan.gpkg``, ``plan.csv`` and ``kpis.json``, all or nothing.

Files are written into a temporary folder inside the output folder and
committed together only when every one of them was written (see
:mod:`geodata.atomic`), so a failure never leaves a half-written plan, and a
report or simulation of an earlier plan in the folder is removed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geodata import embedded
from geodata.atomic import move_into_place, staging_folder
from geodata.crs import BNG, crs_to_lonlat
from models.kpis import PlanKpis
from models.response import expected_cover
from optimiser.plan_input import CANDIDATES_LAYER, KPIS_FILE, PLAN_FILE, PLAN_RUN, SETTINGS_LAYER
from optimiser.plan_settings import NetworkIdentity, PlanSettings, declared_base_areas
from optimiser.prepare import PreparedScenario
from optimiser.site_checks import nearest_other_base, outside_force_area_m, site_checks
from optimiser.solve import ShiftResult

PLAN_FILES = (PLAN_FILE, "plan.csv", KPIS_FILE)
#: What hubplan draws from a plan into its folder (``optimise --report``, ``demo``, ``compare``): a new plan
#: removes them, so no report or simulation of an older plan is left beside it.
PLAN_DERIVED = ("report.html", "report-chart.svg", "simulation")


@dataclass(frozen=True)
class PlanLayers:
    """The plan's map layers, as written into ``plan.gpkg`` (and kept by ``compare`` for its page)."""

    bases: gpd.GeoDataFrame
    locations: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame


def plan_layers(prepared: PreparedScenario, results: list[ShiftResult]) -> PlanLayers:
    """The bases, deployment locations and demand layers of a solved scenario."""
    return PlanLayers(bases_layer(prepared), deployment_locations(prepared, results), demand_layer(prepared, results))


def write_plan(
    prepared: PreparedScenario,
    results: list[ShiftResult],
    kpis: PlanKpis,
    out_dir: str | Path,
    *,
    layers: PlanLayers | None = None,
) -> list[Path]:
    """Write the plan files into ``out_dir`` (created if needed) and return their paths.

    ``layers``: the :func:`plan_layers` of ``prepared`` and ``results`` if the caller has them already.
    """
    layers = layers if layers is not None else plan_layers(prepared, results)
    with staging_folder(out_dir) as staging:
        _write_geopackage(staging / PLAN_FILE, prepared, layers)
        layers.locations.drop(columns="geometry").to_csv(staging / "plan.csv", index=False, float_format="%.6f")
        document = kpis.to_json()
        area_buffer_m = prepared.scenario.candidates.area_buffer_m
        document["site_checks"] = site_checks(layers.locations, area_buffer_m=area_buffer_m)
        (staging / KPIS_FILE).write_text(json.dumps(document, indent=2) + "\n")
        return move_into_place(staging, out_dir, PLAN_FILES, kind=PLAN_RUN, owns=PLAN_DERIVED)


def deployment_locations(prepared: PreparedScenario, results: list[ShiftResult]) -> gpd.GeoDataFrame:
    """One row per chosen location and shift: id, base, shift, name, nearest postcode, demand it serves.

    ``outside_force_area_m`` is how far the location lies outside the force area (0 inside);
    ``nearest_other_base_m`` and ``nearest_other_base_location`` name the nearest location of another
    base in the same shift (see :mod:`optimiser.site_checks`).
    """
    rows = []
    base_names = [b.name for b in prepared.scenario.bases]
    for result in results:
        grade1 = result.instance.grade1_demand
        for site, base in zip(result.plan.sites, result.plan.site_bases, strict=True):
            candidate = prepared.candidates.iloc[site]
            serves = result.responding_site == site
            rows.append(
                {
                    "location_id": candidate["candidate_id"],
                    "base": base_names[base],
                    "shift": result.shift,
                    "name": candidate["name"],
                    "kind": candidate["kind"],
                    "easting": round(float(candidate["x_m"]), 1),
                    "northing": round(float(candidate["y_m"]), 1),
                    "grade1_first_response_per_year": round(float(grade1[serves].sum()), 2),
                }
            )
    columns = ["location_id", "base", "shift", "name", "kind", "easting", "northing", "grade1_first_response_per_year"]
    table = pd.DataFrame(rows, columns=columns)  # no rows when every base's locations are 0: a bases-only plan
    table["nearest_postcode"] = embedded.nearest_postcode(table["easting"].to_numpy(), table["northing"].to_numpy())
    table["outside_force_area_m"] = outside_force_area_m(table["easting"].to_numpy(), table["northing"].to_numpy())
    table = table.join(nearest_other_base(table))
    lon, lat = crs_to_lonlat(table["easting"].to_numpy(), table["northing"].to_numpy())
    table["lon"], table["lat"] = np.round(lon, 6), np.round(lat, 6)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["easting"], table["northing"]), crs=BNG)


def demand_layer(prepared: PreparedScenario, results: list[ShiftResult]) -> gpd.GeoDataFrame:
    """Per demand node and shift: Grade 1/2 demand, response time from the plan, covered flags.

    ``grade1_sites_within_target`` counts the open sites (deployment locations
    and bases) within the Grade 1 target; ``grade1_expected_cover`` is the
    chance one of them has a free car, ``1 - q**count`` with the shift's
    estimated busy fraction ``q`` (the "with busy cars" measure of ``kpis.json``).
    """
    nodes = prepared.demand.nodes
    base_names = np.array([b.name for b in prepared.scenario.bases] + [""], dtype=object)
    site_ids = np.concatenate([prepared.candidates["candidate_id"].to_numpy(object), base_names[:-1], [""]])
    frames = []
    for result in results:
        instance = result.instance
        busy = prepared.response.busy_fraction_by_shift[result.shift]
        sites_within = result.plan.coverage.cover_count_grade1
        frames.append(
            pd.DataFrame(
                {
                    "node_id": nodes["node_id"],
                    "shift": result.shift,
                    "lsoa_code": nodes["lsoa_code"],
                    "la_name": nodes["la_name"],
                    "area_class": nodes["area_class"],
                    "target_grade1_s": instance.target_grade1_s,
                    "target_grade2_s": instance.target_grade2_s,
                    "grade1_per_year": instance.grade1_demand,
                    "grade2_per_year": instance.grade2_demand,
                    "response_time_s": np.where(np.isfinite(result.response_s), result.response_s, np.nan),
                    "covered_grade1": result.response_s <= instance.target_grade1_s,
                    "covered_grade2": result.response_s <= instance.target_grade2_s,
                    "grade1_sites_within_target": sites_within,
                    "grade1_expected_cover": expected_cover(busy, sites_within),
                    "responding_site": site_ids[result.responding_site],
                    "responding_base": base_names[result.responding_base],
                    "x_m": nodes["x_m"],
                    "y_m": nodes["y_m"],
                }
            )
        )
    table = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["x_m"], table["y_m"]), crs=BNG)


def bases_layer(prepared: PreparedScenario) -> gpd.GeoDataFrame:
    """The scenario's bases with their staffing per shift."""
    rows = []
    for base, located in zip(prepared.scenario.bases, prepared.bases.itertuples(), strict=True):
        row = {"name": base.name, "postcode": located.postcode, "easting": located.x_m, "northing": located.y_m}
        for shift, staffing in base.shifts.items():
            row[f"{shift}_units"], row[f"{shift}_locations"] = staffing.units, staffing.locations
        rows.append(row)
    table = pd.DataFrame(rows)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["easting"], table["northing"]), crs=BNG)


def candidates_layer(prepared: PreparedScenario) -> gpd.GeoDataFrame:
    """Every candidate site of the scenario (id, kind, BNG): where a simulation search may post cars."""
    candidates = prepared.candidates
    table = pd.DataFrame(
        {
            "candidate_id": candidates["candidate_id"].astype(str),
            "kind": candidates["kind"].astype(str),
            "easting": candidates["x_m"].to_numpy(float).round(1),
            "northing": candidates["y_m"].to_numpy(float).round(1),
        }
    )
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["easting"], table["northing"]), crs=BNG)


def plan_settings(prepared: PreparedScenario) -> PlanSettings:
    """What every command needs to re-run the plan's response model: the network's identity and the assumptions."""
    scenario = prepared.scenario
    path = None if scenario.path == "<memory>" else str(Path(scenario.path).resolve())
    network = NetworkIdentity(
        source=scenario.network.source,
        name=prepared.network.name,
        fingerprint=prepared.network.fingerprint,
        max_snap_m=scenario.network.max_snap_m,
    )
    return PlanSettings(
        scenario=scenario.name,
        scenario_path=path,
        network=network,
        response=prepared.response,
        simulation=scenario.simulation,
        area_classes=prepared.area_classes,
        calibration=scenario.calibration,
        base_areas=declared_base_areas(scenario, sorted(set(prepared.demand.nodes["la_name"]))),
        description=scenario.description,
    )


def _write_geopackage(path: Path, prepared: PreparedScenario, layers: PlanLayers) -> None:
    layers.bases.to_file(path, layer="bases", driver="GPKG")
    layers.locations.to_file(path, layer="deployment_locations", driver="GPKG")
    layers.demand.to_file(path, layer="demand", driver="GPKG")
    candidates_layer(prepared).to_file(path, layer=CANDIDATES_LAYER, driver="GPKG")
    settings = pd.DataFrame({"key": ["plan"], "value": [json.dumps(_json_safe(plan_settings(prepared).to_json()))]})
    pyogrio.write_dataframe(settings, path, layer=SETTINGS_LAYER, driver="GPKG")


def _json_safe(value: object) -> object:
    """Replace non-finite floats (not valid JSON) with None, recursively."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
