"""A small hand-built report in British National Grid: two bases, two shifts, a few demand nodes.

Coordinates lie around Stafford (BNG 392,000 E, 323,000 N), so every layer's
bounds fall inside Staffordshire.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString, Point, box

from maps.data import ReportData
from models.kpis import Assumptions, GradeKpis, PlanKpis, ShiftSolverKpis, SolverKpis

BNG = "EPSG:27700"
X0, Y0 = 392_000.0, 323_000.0
SHIFTS = ("early", "night")


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=BNG)


def bases() -> gpd.GeoDataFrame:
    return _frame(
        [
            {"name": "Stafford", "postcode": "ST16 2DQ", "geometry": Point(X0, Y0)},
            {"name": "Burton", "postcode": "DE14 1PA", "geometry": Point(X0 + 33_000, Y0 + 400)},
        ]
    )


def locations() -> gpd.GeoDataFrame:
    rows = [
        ("J1", "Stafford", "early", 120.5, (X0 + 3_000, Y0 + 2_000)),
        ("J2", "Stafford", "early", 80.0, (X0 - 4_000, Y0 - 1_000)),
        ("J3", "Burton", "early", 60.25, (X0 + 30_000, Y0 - 2_000)),
        ("J1", "Stafford", "night", 150.0, (X0 + 3_000, Y0 + 2_000)),
        ("J4", "Burton", "night", 70.0, (X0 + 28_000, Y0 + 3_000)),
    ]
    return _frame(
        [
            {
                "location_id": lid,
                "base": base,
                "shift": shift,
                "name": f"junction near {lid}",
                "kind": "junction",
                "grade1_first_response_per_year": demand,
                "nearest_postcode": "ST16 1AA",
                "easting": x,
                "northing": y,
                "geometry": Point(x, y),
            }
            for lid, base, shift, demand, (x, y) in rows
        ]
    )


def demand() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for shift in SHIFTS:
        for k in range(12):
            x, y = X0 + 2_500.0 * k, Y0 + rng.uniform(-3_000, 3_000)
            seconds = 300.0 + 100.0 * k if k < 10 else np.nan
            rows.append(
                {
                    "node_id": f"n{k}",
                    "shift": shift,
                    "lsoa_code": f"E0100000{k % 2}",
                    "la_name": "Stafford",
                    "grade1_per_year": float(k + 1),
                    "grade2_per_year": 1.5 * (k + 1),
                    "response_time_s": seconds,
                    "covered_grade1": bool(seconds <= 900.0),
                    "covered_grade2": bool(np.isfinite(seconds)),
                    "geometry": Point(x, y),
                }
            )
    return _frame(rows)


def reachable() -> gpd.GeoDataFrame:
    return _frame(
        [
            {"shift": shift, "base": base, "geometry": Point(x, Y0).buffer(6_000)}
            for shift in SHIFTS
            for base, x in (("Stafford", X0), ("Burton", X0 + 30_000))
        ]
    )


def lsoa_times() -> gpd.GeoDataFrame:
    squares = {
        "E01000000": box(X0 - 5_000, Y0 - 5_000, X0 + 15_000, Y0 + 5_000),
        "E01000001": box(X0 + 15_000, Y0 - 5_000, X0 + 35_000, Y0 + 5_000),
    }
    return _frame(
        [
            {
                "shift": shift,
                "lsoa_code": code,
                "lsoa_name": f"Stafford {code[-1]}",
                "la_name": "Stafford",
                "grade1_per_year": 30.0,
                "grade1_response_min": minutes,
                "grade1_covered_share": share,
                "geometry": shape,
            }
            for shift in SHIFTS
            for (code, shape), minutes, share in zip(squares.items(), (9.5, np.nan), (1.0, 0.0), strict=True)
        ]
    )


def boundaries() -> gpd.GeoDataFrame:
    return _frame(
        [
            {
                "kind": "force",
                "name": "Force area",
                "geometry": box(X0 - 10_000, Y0 - 10_000, X0 + 40_000, Y0 + 10_000),
            },
            {
                "kind": "local_authority",
                "name": "Stafford",
                "geometry": box(X0 - 10_000, Y0 - 10_000, X0 + 15_000, Y0 + 10_000),
            },
        ]
    )


def roads() -> gpd.GeoDataFrame:
    return _frame(
        [
            {"road_class": "motorway", "geometry": LineString([(X0 - 8_000, Y0 - 8_000), (X0 + 30_000, Y0 + 8_000)])},
            {"road_class": "primary", "geometry": LineString([(X0, Y0), (X0 + 33_000, Y0 + 400)])},
            {"road_class": "local", "geometry": LineString([(X0, Y0), (X0, Y0 + 5_000)])},
        ]
    )


def grade_kpis(**overrides) -> GradeKpis:
    values = {
        "target_min": 15.0,
        "demand_per_year": 1000.0,
        "covered_share": 0.8,
        "expected_covered_share": 0.7,
        "mean_response_min": 9.0,
        "p90_response_min": 14.0,
        "by_shift": {"early": 0.8, "night": 0.85},
        "expected_by_shift": {"early": 0.7, "night": 0.75},
        "by_base": {"Stafford": 0.9, "Burton": 0.6},
        "expected_by_base": {"Stafford": 0.81, "Burton": 0.52},
        "by_local_authority": {"Stafford": 0.8},
        "expected_by_local_authority": {"Stafford": 0.66},
    }
    return GradeKpis(**{**values, **overrides})


def kpis(**overrides) -> PlanKpis:
    values = {
        "scenario": "tiny",
        "grade1": grade_kpis(),
        "grade2": grade_kpis(target_min=60.0),
        "busy_fraction_by_shift": {"early": 0.3, "night": 0.2},
        "solver": SolverKpis(
            status="optimal",
            objective=10.0,
            bound=10.0,
            gap=0.0,
            seconds=0.1,
            solver="scip",
            by_shift={"early": ShiftSolverKpis(status="optimal", objective=5.0, bound=5.0, gap=0.0, seconds=0.05)},
            objective_note="Grade 1 demand within target",
        ),
        "assumptions": Assumptions(
            scenario_path=None,
            network_source="default",
            network="modelled test network",
            network_nodes=5,
            speed_factor=1.2,
            mobilisation_s=120,
            max_base_travel_min={"Stafford": 30.0, "Burton": 30.0},
            job_time_grade1_min=75.0,
            job_time_grade2_min=60.0,
            demand_source="modelled: population",
            grade1_per_year=43_000.0,
            grade2_per_year=65_000.0,
            demand_nodes=4,
            candidates=3,
            label="modelled",
        ),
    }
    return PlanKpis(**{**values, **overrides})


def report_data(**overrides) -> ReportData:
    parts = {
        "bases": bases(),
        "locations": locations(),
        "demand": demand(),
        "reachable": reachable(),
        "lsoa_times": lsoa_times(),
        "boundaries": boundaries(),
        "roads": roads(),
        "kpis": kpis(),
        "shifts": SHIFTS,
    }
    parts.update(overrides)
    return ReportData(**parts)
