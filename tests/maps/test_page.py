"""The page kit shared by the report and the comparison page: stylesheets, bases, popups, one point layer."""

from __future__ import annotations

import folium

from maps import layers
from maps.compare import build_comparison_page
from maps.elements import PointLayer
from maps.offline import external_references, render_offline_html, static_text
from maps.page import STATIC_PREFIX, popup_table
from maps.report import build_report

from .compare_frames import A, page_data


def base_icons(group: folium.FeatureGroup) -> list[str]:
    return [c.icon.options["class_name"] for c in group._children.values() if isinstance(c, folium.Marker)]


def test_both_pages_load_the_shared_stylesheet_and_inline_it(data):
    for fmap, sheets in (
        (build_report(data), ["hubplan.css", "print.css"]),
        (build_comparison_page(page_data()), ["hubplan.css", "compare.css"]),
    ):
        linked = [href for _, href in fmap.default_css if href.startswith(STATIC_PREFIX)]
        assert linked == [STATIC_PREFIX + "leaflet/leaflet.css", *(STATIC_PREFIX + name for name in sheets)]
        html = render_offline_html(fmap)
        assert external_references(html) == []
        assert "table.hubplan-popup th" in html  # hubplan.css inlined from maps/static
    assert ".hc-header" in static_text("compare.css")


def test_bases_are_drawn_the_same_way_on_both_pages(data):
    report_bases = next(
        c for c in build_report(data)._children.values() if getattr(c, "layer_name", "") == layers.BASES
    )
    compare_bases = next(
        c for c in build_comparison_page(page_data())._children.values() if getattr(c, "layer_name", "") == A
    )
    for group in (report_bases, compare_bases):
        markers = [
            c
            for c in group._children.values()
            if isinstance(c, folium.Marker) and "base" in c.icon.options["class_name"]
        ]
        assert markers and all(m.icon.options["html"].startswith("<svg") for m in markers)
        assert all(m.icon.options["icon_size"] == (26, 26) for m in markers)


def test_popup_table_escapes_names_and_values():
    html = popup_table([("Base <b>", "Burton & Co")])
    assert html == '<table class="hubplan-popup"><tr><th>Base &lt;b&gt;</th><td>Burton &amp; Co</td></tr></table>'


def test_demand_and_difference_layers_are_the_one_point_layer(data):
    uncovered = layers.shift_layer_name(layers.UNCOVERED, "early")
    difference = f"Grade 1 cover: {page_data().scenarios[1].name} vs {A}"
    for fmap, name in ((build_report(data), uncovered), (build_comparison_page(page_data()), difference)):
        candidates = [*fmap._children.values()]
        candidates += [c for group in fmap._children.values() for c in getattr(group, "_children", {}).values()]
        layer = next(c for c in candidates if getattr(c, "layer_name", None) == name)
        assert type(layer) is PointLayer and len(layer) > 0
