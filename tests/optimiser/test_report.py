"""The map report of a plan: hand-built geometry checks, bad plan folders, and the small scenario end to end.

The browser test opens the saved page from disk in a real headless Chromium
with the network disabled and saves a screenshot under pytest's temporary folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from geodata.errors import InputDataError
from geodata.network import RoadNetwork
from maps import layers
from optimiser.cli import main
from optimiser.report import chart_path, lsoa_response_times, main_roads, reachable_areas, write_report
from tests.browser import CHROMIUM, CHROMIUM_FLAGS, require_chromium, watch

SMALL = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "small.toml"
BNG = "EPSG:27700"


def line_network(road_class: tuple[str, ...] = ("local",) * 4) -> RoadNetwork:
    """Five nodes 1 km apart on a line, 60 s per edge both ways: 0 - 1 - 2 - 3 - 4."""
    source = np.array([0, 1, 2, 3, 1, 2, 3, 4])
    target = np.array([1, 2, 3, 4, 0, 1, 2, 3])
    return RoadNetwork(
        node_id=np.arange(5, dtype=np.int64),
        x_m=1000.0 * np.arange(5) + 390_000.0,
        y_m=np.full(5, 320_000.0),
        edge_source=source,
        edge_target=target,
        length_m=np.full(8, 1000.0),
        travel_time_s=np.full(8, 60.0),
        road_class=np.array(list(road_class) * 2, dtype=object),
        crs=BNG,
        name="line",
    )


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


def test_missing_files_are_all_named(tmp_path):
    with pytest.raises(
        InputDataError,
        match=r"(?s)not a complete plan folder.*hubplan optimise.*"
        r"plan.gpkg is missing.*kpis.json is missing",
    ):
        write_report(tmp_path, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_missing_layer_is_named(tmp_path):
    points([{"name": "A", "easting": 390_000.0, "northing": 320_000.0}]).to_file(tmp_path / "plan.gpkg", layer="bases")
    (tmp_path / "kpis.json").write_text("{}")
    with pytest.raises(InputDataError, match=r"plan.gpkg has no layer 'deployment_locations' \(it has \['bases'\]\)"):
        write_report(tmp_path, tmp_path / "report.html")


# --------------------------------------------------------------------------- the small scenario end to end


@pytest.fixture(scope="module")
def small_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "matrix-cache"))
        assert main(["-q", "optimise", str(SMALL), "--out", str(out), "--workers", "1"]) == 0
    write_report(out, out / "report.html")
    return out / "report.html"


def test_report_and_chart_are_written(small_report):
    assert small_report.stat().st_size > 100_000
    assert "<!DOCTYPE html>" in small_report.read_text(encoding="utf-8")[:100]
    chart = ElementTree.parse(chart_path(small_report)).getroot()
    assert chart.tag == "{http://www.w3.org/2000/svg}svg"
    assert sorted(p.name for p in small_report.parent.iterdir()) == [
        "kpis.json",
        "plan.csv",
        "plan.gpkg",
        "report-chart.svg",
        "report.html",
    ]


def test_report_refuses_a_plan_without_kpis(small_report, tmp_path):
    shutil.copy(small_report.parent / "plan.gpkg", tmp_path / "plan.gpkg")
    with pytest.raises(InputDataError, match="kpis.json is missing"):
        write_report(tmp_path, tmp_path / "report.html")


@pytest.mark.browser
def test_report_opens_offline_in_headless_chromium(small_report, tmp_path_factory, record_property):
    require_chromium()
    from playwright.sync_api import sync_playwright

    plan = gpd.read_file(small_report.parent / "plan.gpkg", layer="deployment_locations")
    shifts = list(json.loads((small_report.parent / "kpis.json").read_text())["grade1"]["by_shift"])
    screenshot = tmp_path_factory.mktemp("screenshots") / "small-report.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            seen = _open_offline(browser, small_report, shifts, screenshot)
        finally:
            browser.close()
    record_property("screenshot", str(screenshot))
    print(f"screenshot: {screenshot}")
    assert seen["errors"] == [] and seen["outside_requests"] == []
    assert seen["containers"] == 1
    assert seen["markers"] == plan.groupby("shift").size().reindex(shifts).tolist()
    assert sum(seen["markers"]) == len(plan)
    assert seen["overlays"] == 1 + len(shifts) * len(layers.SHIFT_KINDS) + 2
    assert screenshot.stat().st_size > 10_000


def _open_offline(browser, page_path: Path, shifts: list[str], screenshot: Path) -> dict:
    """Open the report with the network off, count location markers per shift, screenshot the first shift."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
    page = context.new_page()
    seen = watch(page)
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-container .hubplan-location", timeout=20_000)
    seen["containers"] = page.locator(".leaflet-container").count()
    seen["overlays"] = page.locator(".leaflet-control-layers-overlays label").count()
    page.screenshot(path=str(screenshot))
    seen["markers"] = []
    for shift in shifts:
        page.check(f'input[name="hubplan-shift"][value="{shift}"]')
        seen["markers"].append(page.locator(".hubplan-location").count())
    context.close()
    return seen
