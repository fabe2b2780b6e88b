"""Map geometry of a plan on hand-built networks: reachable areas, LSOA response times, main roads."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from geodata.areas import lsoa_response_times, main_roads, reachable_areas
from geodata.network import RoadNetwork
from tests.geodata.networks import network_on_a_line

BNG = "EPSG:27700"


def line_network(road_class: tuple[str, ...] = ("local",) * 4) -> RoadNetwork:
    """Five nodes 1 km apart on a line, 60 s per edge both ways: 0 - 1 - 2 - 3 - 4."""
    source, target = [0, 1, 2, 3, 1, 2, 3, 4], [1, 2, 3, 4, 0, 1, 2, 3]
    return network_on_a_line(source, target, [60.0] * 8, road_class=list(road_class) * 2, name="line")


def points(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=[Point(r["easting"], r["northing"]) for r in rows], crs=BNG)


def test_reachable_area_goes_to_the_base_whose_cars_arrive_first():
    bases = points(
        [
            {"name": "A", "easting": 390_000.0, "northing": 320_000.0},
            {"name": "B", "easting": 394_000.0, "northing": 320_000.0},
        ]
    )
    locations = points(
        [{"location_id": "L1", "base": "A", "shift": "early", "easting": 391_000.0, "northing": 320_000.0}]
    )
    areas = reachable_areas(line_network(), locations, bases, shifts=("early",), budget_s=100.0)
    by_base = areas.set_index("base")
    # A's sites are nodes 0 and 1: nodes 0, 1, 2 within 100 s; B at node 4 reaches 3 and 4 (node 2 is 120 s away).
    assert by_base["reached_nodes"].to_dict() == {"A": 3, "B": 2}
    area_a, area_b = by_base.geometry["A"], by_base.geometry["B"]
    assert area_a.contains(Point(392_000, 320_000)) and not area_a.contains(Point(393_000, 320_000))
    assert area_b.contains(Point(393_000, 320_000)) and area_b.contains(Point(394_000, 320_000))


def test_lsoa_time_is_the_grade1_weighted_mean_of_reached_demand():
    demand = gpd.GeoDataFrame(
        {
            "shift": ["early"] * 4,
            "lsoa_code": ["E1", "E1", "E2", "E2"],
            "grade1_per_year": [1.0, 3.0, 2.0, 0.0],
            "response_time_s": [600.0, 1200.0, np.nan, np.nan],
        },
        geometry=[Point(0, 0)] * 4,
        crs=BNG,
    )
    lsoas = gpd.GeoDataFrame(
        {"lsoa_code": ["E1", "E2"], "lsoa_name": ["a", "b"], "la_name": ["x", "x"]},
        geometry=[Point(0, 0).buffer(10), Point(50, 0).buffer(10)],
        crs=BNG,
    )
    table = lsoa_response_times(demand, lsoas, target_s=900.0).set_index("lsoa_code")
    assert table.loc["E1", "grade1_response_min"] == pytest.approx((600 + 3 * 1200) / 4 / 60)
    assert table.loc["E1", "grade1_covered_share"] == pytest.approx(0.25)
    assert np.isnan(table.loc["E2", "grade1_response_min"]) and table.loc["E2", "grade1_covered_share"] == 0.0


def test_main_roads_keep_only_motorway_trunk_and_primary_merged_per_class():
    roads = main_roads(line_network(("motorway", "motorway_link", "local", "primary")))
    assert sorted(roads["road_class"]) == ["motorway", "primary"]
    motorway = roads.set_index("road_class").geometry["motorway"]
    assert motorway.length == pytest.approx(2000.0)  # edges 0-1 and 1-2, both directions counted once
