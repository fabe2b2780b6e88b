"""The comparison page: layers and markers per scenario, the difference layer, the offline page, escaping, errors.

The browser test opens the saved page from disk in Debian's chromium with
the network off and keeps a full-page screenshot under pytest's tmp_path.
"""

from __future__ import annotations

import base64
from collections import Counter
from xml.etree import ElementTree

import folium
import pytest

from maps import layers, style
from maps.compare import (
    STATUS_COLOURS,
    ScenarioLayers,
    StatusPointLayer,
    build_comparison_page,
    shape_svg,
)
from maps.data import ReportDataError
from maps.elements import HtmlControl, HtmlPopup
from maps.offline import external_references, render_offline_html
from tests.browser import CHROMIUM, CHROMIUM_FLAGS, require_chromium, watch

from .compare_frames import (
    DIFFERENCE_ROWS,
    NOTES,
    A,
    B,
    bases,
    boundaries,
    chart_png,
    difference,
    locations_a,
    locations_b,
    page_data,
)
from .test_report import STAFFS_LAT, STAFFS_LON, layer_control_names

DIFFERENCE_LABEL = f"Grade 1 cover: {B} vs {A}"


@pytest.fixture(scope="module")
def page() -> folium.Map:
    return build_comparison_page(page_data())


@pytest.fixture(scope="module")
def html(page) -> str:
    return render_offline_html(page)


def overlay(fmap: folium.Map, name: str):
    return next(c for c in fmap._children.values() if getattr(c, "layer_name", None) == name)


def markers(group: folium.FeatureGroup, kind: str) -> list[folium.Marker]:
    """The group's markers whose icon class is ``hc-base`` or ``hc-location``."""
    return [
        c for c in group._children.values() if isinstance(c, folium.Marker) and kind in c.icon.options["class_name"]
    ]


def popup_html(marker: folium.Marker) -> str:
    return next(c.html for c in marker._children.values() if isinstance(c, HtmlPopup))


def test_layer_control_lists_each_scenario_then_the_difference_and_boundaries(page):
    assert layer_control_names(page) == [A, B, DIFFERENCE_LABEL, layers.BOUNDARIES]
    assert overlay(page, A).show and not overlay(page, B).show


def test_one_marker_per_base_and_per_site_over_all_shifts(page):
    for name, frame, n_bases in ((A, locations_a(), 3), (B, locations_b(), 2)):
        group = overlay(page, name)
        assert len(markers(group, "hc-base")) == n_bases
        assert len(markers(group, "hc-location")) == frame[["location_id", "base"]].drop_duplicates().shape[0]
    assert len(markers(overlay(page, A), "hc-location")) == 5  # 7 rows, H1 and C1 in two shifts each


def test_scenarios_have_distinct_symbols_and_popups_say_scenario_base_and_shifts(page):
    icon_a = markers(overlay(page, A), "hc-location")[0].icon.options["html"]
    icon_b = markers(overlay(page, B), "hc-location")[0].icon.options["html"]
    assert style.scenario_colour(0) in icon_a and style.scenario_colour(1) in icon_b
    assert "<circle" in icon_a and "<rect" in icon_b
    h1 = popup_html(markers(overlay(page, A), "hc-location")[0])
    assert "A-road junction H1" in h1 and "<td>hubs-2018</td>" in h1
    assert "<td>Hanley</td>" in h1 and "<th>Shifts</th><td>early, night</td>" in h1
    cannock = popup_html(markers(overlay(page, A), "hc-base")[1])
    assert "<b>Cannock</b> (base)" in cannock and "<td>hubs-2018</td>" in cannock


def test_difference_layer_counts_and_colours_by_status(page):
    layer = overlay(page, DIFFERENCE_LABEL)
    assert isinstance(layer, StatusPointLayer) and layer.show
    assert Counter(row[3] for row in layer.rows) == Counter(row[0] for row in DIFFERENCE_ROWS)
    assert Counter(row[3] for row in layer.rows) == {"gained": 3, "lost": 2, "mixed": 1}
    colours = {status: layer.styles[status]["fillColor"] for status in ("gained", "lost", "mixed")}
    assert colours == STATUS_COLOURS == {"gained": "#1a9641", "lost": "#d7191c", "mixed": "#7b3294"}


def test_difference_circles_scale_with_demand_and_popups_give_numbers_and_shifts(page):
    rows = overlay(page, DIFFERENCE_LABEL).rows
    radii = [row[2] for row in rows]
    assert radii == sorted(radii, reverse=True)  # largest drawn first, small ones stay clickable
    largest = rows[0]
    assert largest[3] == "lost" and "25.0 Grade 1 incidents a year (early, night)" in largest[4]
    mixed = next(row[4] for row in rows if row[3] == "mixed")
    assert "2.0 Grade 1 incidents a year (early)" in mixed and "1.5 Grade 1 incidents a year (night)" in mixed
    assert "Cannock Chase" in mixed and DIFFERENCE_LABEL in mixed


EXPECTED_LABEL = f"Grade 1 with busy cars: {B} vs {A}"


def test_expected_difference_is_a_second_layer_shown_when_travel_cover_does_not_change():
    both = build_comparison_page(page_data(expected_difference=difference()))
    travel, busy = overlay(both, DIFFERENCE_LABEL), overlay(both, EXPECTED_LABEL)
    assert travel.show and not busy.show
    assert len(busy.rows) == len(DIFFERENCE_ROWS)
    largest = busy.rows[0][4]
    assert "25.0 expected Grade 1 incidents a year (early, night)" in largest and "with busy cars" in largest
    legend = next(c for c in both._children.values() if isinstance(c, HtmlControl)).html
    assert EXPECTED_LABEL in legend
    unchanged = build_comparison_page(page_data(difference=difference().iloc[0:0], expected_difference=difference()))
    assert not overlay(unchanged, DIFFERENCE_LABEL).show and overlay(unchanged, EXPECTED_LABEL).show


def test_bad_expected_difference_is_named():
    with pytest.raises(ReportDataError, match="expected_difference: missing columns"):
        page_data(expected_difference=difference().drop(columns="status"))


def test_map_lies_in_staffordshire(page):
    (lat_min, lon_min), (lat_max, lon_max) = page.get_bounds()
    assert STAFFS_LAT[0] < lat_min < lat_max < STAFFS_LAT[1]
    assert STAFFS_LON[0] < lon_min < lon_max < STAFFS_LON[1]


def test_legend_shows_scenarios_and_difference_colours(page):
    legend = next(c for c in page._children.values() if isinstance(c, HtmlControl)).html
    assert A in legend and B in legend and DIFFERENCE_LABEL in legend
    assert all(colour in legend for colour in STATUS_COLOURS.values())


def test_offline_page_holds_table_chart_and_notes(html):
    assert external_references(html) == []
    assert "cdn." not in html and "1.9.4" in html  # Leaflet inlined
    for value in (
        "71.3%",
        "64.8%",
        "-6.5 pts",
        "+1.3 min",
        "within 15 min, with busy cars",
        "scenarios/<wbr>hubs-2018.toml",  # paths may wrap after a slash
    ):
        assert f">{value}<" in html
    assert f'src="data:image/png;base64,{base64.b64encode(chart_png()).decode()}"' in html
    assert all(note.replace("'", "&#x27;") in html for note in NOTES)
    assert html.index('class="hc-table"') < html.index('class="folium-map"')  # the table sits above the map


def test_page_without_chart_says_so():
    html = render_offline_html(build_comparison_page(page_data(chart_png=None)))
    assert "No trade-off sweep was run" in html and "data:image/png" not in html.split("leaflet")[0]


def test_user_text_is_escaped_everywhere():
    name = "<b>x</b>"
    data = page_data(
        title="<script>alert(1)</script> {{ 7*7 }}",
        scenarios=[
            ScenarioLayers(name, "a & b.toml", bases().assign(name=["<i>Hanley</i>", "Cannock", "Burton"]), _renamed()),
            ScenarioLayers(B, "b.toml", bases(("Hanley", "Burton")), locations_b()),
        ],
        notes=["<img src=x onerror=alert(1)>"],
    )
    fmap = build_comparison_page(data)
    html = render_offline_html(fmap)
    assert "<b>x</b>" not in html and "<i>Hanley</i>" not in html and "<img src=x" not in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "{{ 7*7 }}" in html and "a &amp; b.toml" in html
    assert layer_control_names(fmap)[0] == "&lt;b&gt;x&lt;/b&gt;"  # Leaflet shows layer names as HTML
    assert "<title>&lt;script&gt;" in html


def _renamed():
    return locations_a().assign(base=lambda f: f["base"].replace({"Hanley": "<i>Hanley</i>"}))


def test_missing_columns_are_listed_with_the_scenario():
    with pytest.raises(
        ReportDataError,
        match=r"(?s)scenario 'hubs-2018': bases: has no CRS.*"
        r"scenario 'hubs-2018': locations: missing columns \['shift', 'name'\]",
    ):
        ScenarioLayers(
            A,
            "a.toml",
            bases().set_crs(None, allow_override=True),
            locations_a().drop(columns=["shift", "name"]),
        )


def test_page_problems_are_reported_together():
    with pytest.raises(ReportDataError) as caught:
        page_data(
            difference=difference().drop(columns=["la_name"]).assign(status="moved"),
            table=page_data().table.drop(columns=["metric"]),
            boundaries=boundaries().to_crs("EPSG:4326"),
            chart_png=b"GIF89a",
        )
    assert caught.value.problems == (
        "difference: missing columns ['la_name']; it has ['node_id', 'status', 'grade1_gained_per_year', "
        "'grade1_lost_per_year', 'shifts_gained', 'shifts_lost', 'geometry']",
        "boundaries: CRS EPSG:4326 is not projected; pass British National Grid frames",
        "difference: status ['moved'] not in ['gained', 'lost', 'mixed']",
        "table: missing columns ['metric']; it has ['section', 'hubs-2018', 'hubs-2018 without Cannock', "
        "'change hubs-2018 without Cannock vs hubs-2018']",
        "chart_png: not a PNG image; pass tradeoff_chart_png(...) or None",
    )


def test_a_comparison_needs_two_uniquely_named_scenarios():
    one = ScenarioLayers(A, "a.toml", bases(), locations_a())
    with pytest.raises(ReportDataError, match="scenarios: got 1; a comparison needs at least two"):
        page_data(scenarios=[one])
    with pytest.raises(ReportDataError, match=r"names must be unique .*repeated: \['hubs-2018'\]"):
        page_data(scenarios=[one, one])


def test_locations_of_unknown_bases_are_refused():
    with pytest.raises(
        ReportDataError, match=r"locations: bases \['Cannock'\] are not in bases \['Hanley', 'Burton'\]"
    ):
        ScenarioLayers(A, "a.toml", bases(("Hanley", "Burton")), locations_a())


def test_verdict_comes_first_escaped_with_its_bold_and_unchanged_areas_are_folded(html):
    verdict = html.index('id="hc-verdict"')
    assert verdict < html.index('id="hc-table"') < html.index("Grade 1 by local authority")
    assert f"<b>{A} reaches more Grade 1 incidents in time than {B}</b>" in html
    assert "&lt;script&gt;" in html and "(-120 a year) <script>" not in html
    folded = html[html.index('<details class="hc-folded">') :]
    assert folded.startswith('<details class="hc-folded"><summary>2 areas that do not differ</summary>')
    assert folded.index("Tamworth") < folded.index("</details>")
    shown = html[html.index("Grade 1 by local authority") : html.index('<details class="hc-folded">')]
    assert "Cannock Chase" in shown and "Tamworth" not in shown


def test_rows_with_the_same_value_are_folded_below_the_table():
    full = page_data().table
    html = render_offline_html(build_comparison_page(page_data(table=full.iloc[:3], folded_table=full.iloc[3:])))
    folded = html[html.index('<details class="hc-folded hc-same">') :]
    assert folded.startswith(f'<details class="hc-folded hc-same"><summary>{len(full) - 3} rows with the same')
    assert html.index('id="hc-table"') < html.index('<details class="hc-folded hc-same">')


def test_a_page_without_a_verdict_has_no_verdict_card():
    html = render_offline_html(build_comparison_page(page_data(verdict=(), area_tables=())))
    assert 'id="hc-verdict"' not in html and '<details class="hc-folded">' not in html


def test_page_is_self_contained():
    assert external_references(render_offline_html(build_comparison_page(page_data()))) == []


# --------------------------------------------------------------------------------------------- in a browser


@pytest.mark.browser
def test_comparison_page_opens_offline_in_headless_chromium(tmp_path, record_property):
    require_chromium()
    from playwright.sync_api import sync_playwright

    path = tmp_path / "comparison.html"
    path.write_text(render_offline_html(build_comparison_page(page_data())), encoding="utf-8")
    screenshot = tmp_path / "comparison.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            seen = _look_at_page(browser, path, screenshot)
        finally:
            browser.close()
    record_property("screenshot", str(screenshot))
    assert seen["errors"] == [] and seen["outside_requests"] == []
    assert seen["overlays"] == [A, B, DIFFERENCE_LABEL, layers.BOUNDARIES]
    assert seen["table_visible"] and "-6.5 pts" in seen["table_text"]
    assert seen["chart"] == {"visible": True, "width": 900}
    assert seen["locations"] == {"first only": 5, "both": 5 + 4}
    assert seen["circles"] == len(DIFFERENCE_ROWS)
    assert "early, night" in seen["popup"] and A in seen["popup"]
    assert screenshot.stat().st_size > 50_000
    assert seen["verdict"]["visible"] and seen["verdict"]["top"] < seen["table_top"]
    assert f"{A} reaches more Grade 1 incidents in time than {B}" in seen["verdict"]["text"]
    assert seen["folded"] == {"before": False, "after": True}


def _look_at_page(browser, path, screenshot) -> dict:
    """Open the page with the network off, read what an ops lead sees, click around, take a screenshot."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
    page = context.new_page()
    seen = watch(page)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-container .hc-location", timeout=20_000)
    seen["overlays"] = [
        text.strip() for text in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    ]
    table = page.locator("table.hc-table").first
    seen["table_visible"], seen["table_text"] = table.is_visible(), table.inner_text()
    chart = page.locator("img.hc-chart")
    seen["chart"] = {"visible": chart.is_visible(), "width": chart.evaluate("img => img.complete && img.naturalWidth")}
    seen["circles"] = page.evaluate(
        """() => { let n = 0;
            Object.keys(window).filter(k => k.startsWith("map_") && window[k] instanceof L.Map).forEach(k =>
                window[k].eachLayer(layer => { if (layer instanceof L.CircleMarker) { n += 1; } }));
            return n; }"""
    )
    verdict = page.locator("#hc-verdict")
    box = verdict.bounding_box()
    seen["verdict"] = {"visible": verdict.is_visible(), "top": box["y"], "text": verdict.inner_text()}
    seen["table_top"] = table.bounding_box()["y"]
    folded_row = page.locator("details.hc-folded td", has_text="Tamworth")
    before = folded_row.is_visible()
    page.locator("details.hc-folded summary").click()
    seen["folded"] = {"before": before, "after": folded_row.is_visible()}
    page.screenshot(path=str(screenshot), full_page=True)
    first_only = page.locator(".hc-location").count()
    page.get_by_role("checkbox", name=B, exact=True).check()
    seen["locations"] = {"first only": first_only, "both": page.locator(".hc-location").count()}
    page.locator(".hc-location.hc-scenario-0").first.dispatch_event("click")
    seen["popup"] = page.locator(".leaflet-popup-content").inner_text()
    context.close()
    return seen


@pytest.mark.parametrize("shape", style.SCENARIO_SHAPES)
def test_every_scenario_shape_is_valid_svg(shape):
    svg = ElementTree.fromstring(shape_svg(shape, "#1f62b4", 26, label="<&>"))
    assert svg.get("width") == "26" and len(svg.find("{http://www.w3.org/2000/svg}g")) == 2
    assert svg.find("{http://www.w3.org/2000/svg}text").text == "<&>"  # escaped in the markup, read back as text


def test_identical_plans_and_a_scenario_without_locations_still_draw():
    empty = ScenarioLayers(A, "a.toml", bases(), locations_a().iloc[:0])
    fmap = build_comparison_page(
        page_data(scenarios=[empty, page_data().scenarios[1]], difference=difference().iloc[:0])
    )
    assert markers(overlay(fmap, A), "hc-location") == [] and len(markers(overlay(fmap, A), "hc-base")) == 3
    assert len(overlay(fmap, DIFFERENCE_LABEL)) == 0
    assert external_references(render_offline_html(fmap)) == []
