"""The map report of a plan: hand-built geometry checks, bad plan folders, and the small scenario end to end.

The browser test opens the saved page from disk in a real headless Chromium
with the network disabled and saves a screenshot under pytest's temporary folder.
"""

from __future__ import annotations

import json
import shutil
from html import escape
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point

from geodata.atomic import run_record_path
from geodata.errors import InputDataError
from maps import layers
from optimiser.cli import main
from optimiser.plan_settings import PlanSettings
from optimiser.report import TOWN_LABELS, chart_path, with_place_names, write_report
from tests.browser import CHROMIUM, CHROMIUM_FLAGS, offline_page, require_chromium, watch

SMALL = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "small.toml"
BNG = "EPSG:27700"


def points(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=[Point(r["easting"], r["northing"]) for r in rows], crs=BNG)


def test_missing_files_are_all_named(tmp_path):
    with pytest.raises(
        InputDataError,
        match=r"(?s)not a complete plan.*hubplan optimise.*"
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
        assert main(["-q", "optimise", str(SMALL), "--out", str(out), "--workers", "1", "--replications", "0"]) == 0
    write_report(out, out / "report.html")
    return out / "report.html"


def test_report_and_chart_are_written(small_report):
    assert small_report.stat().st_size > 100_000
    assert "<!DOCTYPE html>" in small_report.read_text(encoding="utf-8")[:100]
    chart = ElementTree.parse(chart_path(small_report)).getroot()
    assert chart.tag == "{http://www.w3.org/2000/svg}svg"
    assert sorted(p.name for p in small_report.parent.iterdir()) == [
        run_record_path(small_report.parent, "plan").name,
        "kpis.json",
        "plan.csv",
        "plan.gpkg",
        "report-chart.svg",
        "report-early.png",
        "report-late.png",
        "report-night.png",
        "report.html",
    ]
    for shift in ("early", "late", "night"):
        assert (small_report.parent / f"report-{shift}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_title_block_carries_the_scenario_description(small_report):
    """The description travels scenario -> plan settings -> title block; older plans without it still read."""
    settings = pyogrio.read_dataframe(small_report.parent / "plan.gpkg", layer="settings")
    stored = json.loads(settings["value"].iloc[0])
    description = "Test scenario: Stafford and Burton, two locations each"
    assert PlanSettings.from_json(stored, source="plan.gpkg").description == description
    stored.pop("description")
    assert PlanSettings.from_json(stored, source="plan.gpkg").description == ""
    assert f"<p>{description}</p>" in small_report.read_text(encoding="utf-8")


def test_locations_are_named_from_the_gazetteer(small_report):
    plan = gpd.read_file(small_report.parent / "plan.gpkg", layer="deployment_locations")
    named = with_place_names(plan)
    assert (named["place"].str.len() > 0).all() and named["ward"].str.endswith(")").all()
    assert named["road"].str.fullmatch(r"((A|M)[0-9()A-Z ]+ \([0-9,]+ m\))?").all()
    page = small_report.read_text(encoding="utf-8")
    assert "<th>ward (local authority)</th>" in page
    assert all(f"<td>{escape(ward)}</td>" in page for ward in named["ward"])


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
    # bases, towns, a group per kind of layer, the urban/rural classes, boundaries and roads
    assert seen["overlays"] == 2 + len(layers.SHIFT_KINDS) + 3
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


@pytest.mark.browser
def test_report_fits_a_1280x720_screen(small_report, tmp_path_factory, record_property):
    """At 1280 x 720 the legend does not cover the layer list, and the towns are labelled."""
    screenshot = tmp_path_factory.mktemp("screenshots") / "small-report-1280x720.png"
    with offline_page(small_report) as (page, seen):
        page.wait_for_selector(".leaflet-container .hubplan-location", timeout=20_000)
        boxes = {
            name: page.locator(selector).first.bounding_box()
            for name, selector in (("legend", ".hubplan-legend"), ("layers", ".leaflet-control-layers"))
        }
        towns = page.locator(".hubplan-town").count()
        page.screenshot(path=str(screenshot))
    record_property("screenshot", str(screenshot))
    print(f"1280x720 screenshot: {screenshot}; boxes {boxes}")
    assert seen["errors"] == [] and seen["outside_requests"] == []
    legend, control = boxes["legend"], boxes["layers"]
    assert legend is not None and control is not None
    assert all(0 <= box["y"] and box["y"] + box["height"] <= 720 for box in (legend, control))
    apart_vertically = control["y"] + control["height"] <= legend["y"] or legend["y"] + legend["height"] <= control["y"]
    apart_sideways = control["x"] + control["width"] <= legend["x"] or legend["x"] + legend["width"] <= control["x"]
    assert apart_vertically or apart_sideways
    assert towns == TOWN_LABELS


@pytest.mark.browser
def test_report_prints_as_a_handout(small_report, tmp_path_factory, record_property):
    """Printed (A4 landscape): map and controls hidden, a title block, every KPI section open, a page a shift."""
    shifts = list(json.loads((small_report.parent / "kpis.json").read_text())["grade1"]["by_shift"])
    folder = tmp_path_factory.mktemp("screenshots")
    screenshot, pdf = folder / "small-report-printed.png", folder / "small-report.pdf"
    with offline_page(small_report) as (page, seen):
        page.emulate_media(media="print")
        page.screenshot(path=str(screenshot), full_page=True)
        visible = {
            name: page.locator(selector).first.is_visible()
            for name, selector in (
                ("map", ".leaflet-container"),
                ("layers", ".leaflet-control-layers"),
                ("title", ".hubplan-titleblock"),
            )
        }
        closed = page.locator(".hubplan-print details:not([open])").count()
        shift_pages = page.locator(".hubplan-shift-page").count()
        images = page.locator(".hubplan-shift-page img").evaluate_all("els => els.map(e => e.naturalWidth)")
        page.pdf(path=str(pdf), format="A4", landscape=True, prefer_css_page_size=True)
    record_property("screenshot", str(screenshot))
    print(f"printed screenshot: {screenshot}; pdf: {pdf}")
    assert seen["errors"] == [] and seen["outside_requests"] == []
    assert visible == {"map": False, "layers": False, "title": True}
    assert closed == 0 and shift_pages == len(shifts)
    assert len(images) == len(shifts) and min(images) > 0
    pages = pdf.read_bytes().count(b"/Type /Page") - pdf.read_bytes().count(b"/Type /Pages")
    assert len(shifts) + 1 <= pages <= len(shifts) + 2  # the title page (KPIs may run over), then a page a shift
