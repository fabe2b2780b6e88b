"""Build the plan's map report as a ``folium.Map``: layers, shift selector, KPI panel, legend, chart.

:func:`build_report` does no I/O. The map comes from the page kit
(:func:`maps.page.new_page_map`), which references Leaflet and the stylesheet as
vendored assets that :func:`maps.offline.render_offline_html` inlines, so the
saved file works with no internet.
"""

from __future__ import annotations

from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np

from maps import layers, style
from maps.chart import Curve, cumulative_chart_svg
from maps.data import ReportData
from maps.elements import HtmlControl, RawHtml, ShiftSelector
from maps.handout import ReportTitle, locations_table_html, print_pages_html
from maps.page import PRINT_CSS, new_page_map
from maps.panel import kpi_panel_html, legend_html

#: Room kept for the KPI panel (left) and the layer control (right) when fitting the map to the force area.
PANEL_WIDTH_PX, LAYERS_WIDTH_PX = 370, 300


def build_report(
    data: ReportData,
    *,
    basemap: str | None = None,
    title: ReportTitle | None = None,
    shift_pngs: Mapping[str, bytes] | None = None,
    towns: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Build the map report of a plan (no I/O).

    Parameters
    ----------
    data
        The plan's frames (British National Grid) and KPIs.
    basemap
        ``None`` (default): no tiles, the network's main roads are drawn instead and
        the page needs no internet. ``"osm"``: OpenStreetMap tiles (fetched online).
    title, shift_pngs
        With a title, the page prints as a handout (:mod:`maps.handout`): the title
        block and every KPI section, then a page per shift with its static map
        (``shift_pngs``, from :func:`maps.handout.shift_map_png`) and its locations.
    towns
        Town names to label the map with (``name`` and points, British National Grid), or ``None``.

    Returns
    -------
    folium.Map
        Layers in a layer control, one entry a kind (bases; town names; deployment
        locations, Grade 1 reachable area, LSOA response times, Grade 1 and 2 demand and
        uncovered Grade 1, each a group of per-shift layers that the shift selector
        switches; boundaries; main roads), the KPI panel with the deployment locations
        table and a legend.
        Inline Leaflet with :func:`maps.offline.render_offline_html`.
    """
    fmap = _new_map(data)
    layers.add_panes(fmap)
    fmap.add_child(layers.bases_layer(data.bases))
    if towns is not None:
        fmap.add_child(layers.towns_layer(towns))
    groups = _add_shift_layers(fmap, data)
    if data.area_classes is not None:
        fmap.add_child(layers.area_class_layer(data.area_classes, class_source=data.class_source))
    fmap.add_child(layers.boundaries_layer(data.boundaries))
    fmap.add_child(layers.roads_layer(data.roads))
    if basemap is not None:
        fmap.add_child(layers.basemap_layer(basemap))
    _add_controls(fmap, data, groups)
    if title is not None:
        panel = kpi_panel_html(data.kpis, chart_svg=response_chart_svg(data))
        figure = fmap.get_root()
        figure.html.add_child(RawHtml(print_pages_html(data, title, panel, shift_pngs or {})), name="hubplan_print")
    return fmap


def _new_map(data: ReportData) -> folium.Map:
    return new_page_map(
        data.boundaries,
        padding_top_left=(PANEL_WIDTH_PX + 20, 10),
        padding_bottom_right=(LAYERS_WIDTH_PX, 10),
        stylesheets=[PRINT_CSS],
    )


def _add_shift_layers(fmap: folium.Map, data: ReportData) -> dict[str, dict[str, folium.map.Layer]]:
    """Add a group per kind of per-shift layer, holding the first shift's layer; return ``{kind: {shift: layer}}``.

    Each group is one entry of the layer control (on when the page opens if
    :data:`maps.layers.SHIFT_KINDS` says so); the shift selector swaps the
    shift's layers in and out of the groups.
    """
    target_min = _target_min(data, grade=1)
    largest = float(np.nanmax(data.demand[["grade1_per_year", "grade2_per_year"]].to_numpy(float), initial=0.0))
    groups: dict[str, dict[str, folium.map.Layer]] = {kind: {} for kind in layers.SHIFT_KINDS}
    parents = {kind: folium.FeatureGroup(name=kind, show=shown) for kind, shown in layers.SHIFT_KINDS.items()}
    for k, shift in enumerate(data.shifts):
        first = k == 0
        shift_layers = {
            layers.LOCATIONS: layers.locations_layer(data.locations, shift, data.base_names, show=first),
            layers.REACH: layers.reach_layer(data.reachable, shift, data.base_names, target_min=target_min, show=first),
            layers.LSOA_TIMES: layers.lsoa_layer(data.lsoa_times, shift, show=first),
            **layers.demand_layers(data.demand, shift, largest=largest, show=first),
        }
        for kind, layer in shift_layers.items():
            layer.show, layer.control = first, False
            parents[kind].add_child(layer)
            groups[kind][shift] = layer
    for parent in parents.values():
        fmap.add_child(parent)
    return groups


def _add_controls(fmap: folium.Map, data: ReportData, groups: dict[str, dict[str, folium.map.Layer]]) -> None:
    if len(data.shifts) > 1:
        fmap.add_child(ShiftSelector(groups, data.shifts))
    panel = kpi_panel_html(data.kpis, chart_svg=response_chart_svg(data)) + _locations_section(data)
    fmap.add_child(HtmlControl(panel, position="topleft", class_name="hubplan-control hubplan-panel"))
    legend = legend_html(
        data.base_names,
        target_min=_target_min(data, grade=1),
        standard=data.kpis.standard.name if data.kpis.standard is not None else "",
        class_source=data.class_source if data.area_classes is not None else "",
    )
    fmap.add_child(HtmlControl(legend, position="bottomright", class_name="hubplan-control hubplan-legend"))
    folium.LayerControl(position="topright", collapsed=False).add_to(fmap)


def _locations_section(data: ReportData) -> str:
    """The panel's folded section listing every shift's deployment locations."""
    count = len(data.locations)
    return (
        f"<details><summary>Deployment locations ({count})</summary>"
        f'<div class="hubplan-table-box">{locations_table_html(data)}</div></details>'
    )


def _target_min(data: ReportData, *, grade: int) -> float:
    """The grade's target, or its shortest (urban) one when the standard sets one per area class."""
    kpis = data.kpis.grade(grade)
    if np.isnan(kpis.target_min) and kpis.target_by_class_min:
        return float(min(kpis.target_by_class_min.values()))
    return float(kpis.target_min)


def response_chart_svg(data: ReportData) -> str:
    """The cumulative Grade 1 and Grade 2 demand against response time chart, as SVG text."""
    minutes = data.demand["response_time_s"].to_numpy(float) / 60.0
    curves = {
        f"grade{g}": Curve(
            label=f"Grade {g}",
            response_min=minutes,
            weight=data.demand[f"grade{g}_per_year"].to_numpy(float),
            target_min=_target_min(data, grade=g),
            colour=colour,
        )
        for g, colour in ((1, style.GRADE1_COLOUR), (2, style.GRADE2_COLOUR))
    }
    return cumulative_chart_svg(curves)
