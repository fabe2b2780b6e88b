"""Layer helpers: popups, colour classes, WGS84 conversion."""

from __future__ import annotations

import json
import math
import re
from html import escape

import folium
import geopandas as gpd
import pytest
from shapely.geometry import Point

from maps import style
from maps.layers import bases_layer, location_popup, locations_layer, to_wgs84


def test_location_popup_names_every_field_and_escapes_text():
    row = {
        "name": "junction <A34>",
        "base": "Stafford",
        "shift": "early",
        "grade1_first_response_per_year": 120.46,
        "nearest_postcode": "ST16 2DQ",
        "location_id": "J00004",
    }
    html = location_popup(row)
    for text in ("junction &lt;A34&gt;", "Stafford", "early", "120.5", "ST16 2DQ", "J00004"):
        assert text in html


@pytest.mark.parametrize(
    ("minutes", "colour"),
    [
        (0.0, style.TIME_COLOURS[0]),
        (4.99, style.TIME_COLOURS[0]),
        (5.0, style.TIME_COLOURS[1]),
        (14.9, style.TIME_COLOURS[4]),
        (15.0, style.TIME_COLOURS[5]),
        (45.0, style.TIME_COLOURS[-1]),
        (math.nan, style.UNREACHED_COLOUR),
    ],
)
def test_time_classes_break_at_the_grade1_target(minutes, colour):
    assert style.time_colour(minutes) == colour


def test_legend_has_one_row_per_class():
    assert len(style.time_classes()) == len(style.TIME_COLOURS) + 1


def test_to_wgs84_converts_and_rounds():
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(392_000, 323_000)], crs="EPSG:27700")
    point = to_wgs84(frame).geometry.iloc[0]
    assert point.x == pytest.approx(-2.12, abs=0.02) and point.y == pytest.approx(52.80, abs=0.02)
    assert point.x == round(point.x, 5)


def test_to_wgs84_needs_a_crs():
    frame = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(392_000, 323_000)])
    with pytest.raises(ValueError, match="Cannot transform naive geometries"):
        to_wgs84(frame)


def test_base_and_location_tooltips_are_json_strings_not_template_literals():
    awkward = "Burton `${alert(1)}` <b>"
    bases = gpd.GeoDataFrame({"name": [awkward]}, geometry=[Point(424_000, 323_000)], crs="EPSG:27700")
    locations = gpd.GeoDataFrame(
        {
            "name": [awkward],
            "base": [awkward],
            "shift": ["early"],
            "grade1_first_response_per_year": [1.0],
            "nearest_postcode": ["DE14 1AA"],
            "location_id": ["J1"],
        },
        geometry=[Point(425_000, 323_000)],
        crs="EPSG:27700",
    )
    folium_map = folium.Map()
    bases_layer(bases).add_to(folium_map)
    locations_layer(locations, "early", [awkward], show=True).add_to(folium_map)
    html = folium_map.get_root().render()
    openings = re.findall(r"\.bindTooltip\(\s*(\S)", html)
    assert openings == ['"', '"'], "tooltips must be JSON strings, not JavaScript template literals"
    texts = [json.loads(text) for text in re.findall(r'\.bindTooltip\(("(?:[^"\\]|\\.)*")\)', html)]
    assert texts == [f"Base: {escape(awkward)}", escape(awkward)]
