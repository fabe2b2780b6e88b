"""Build the plan's map report as a ``folium.Map``: layers, shift selector, KPI panel, legend, chart.

:func:`build_report` does no I/O. The page references Leaflet as a
vendored asset (:data:`STATIC_PREFIX`), which :func:`maps.offline.render_offline_html`
inlines so the saved file works with no internet.
"""

from __future__ import annotations

import folium
import numpy as np
from branca.element import Element, Figure

from maps import layers, style
from maps.chart import Curve, cumulative_chart_svg
from maps.data import ReportData
from maps.elements import HtmlControl, ShiftSelector
from maps.panel import kpi_panel_html, legend_html

#: Prefix of asset paths in ``maps/static/`` that :func:`maps.offline.render_offline_html` inlines.
STATIC_PREFIX = "hubplan-static/"
#: The only scripts and styles the page loads (instead of folium's CDN defaults).
OFFLINE_JS = [("leaflet", STATIC_PREFIX + "leaflet/leaflet.js")]
OFFLINE_CSS = [("leaflet_css", STATIC_PREFIX + "leaflet/leaflet.css")]

#: Room kept for the KPI panel (left) and the layer control (right) when fitting the map to the force area.
PANEL_WIDTH_PX, LAYERS_WIDTH_PX = 370, 300

CSS = """
.folium-map.leaflet-container { background: #f3f3ef; font: 12px/1.35 system-ui, sans-serif; }
.leaflet-control-layers, .hubplan-control { font-size: 12px; }
.leaflet-control-layers label { margin: 0; line-height: 17px; }
.hubplan-control { background: rgba(255,255,255,0.95); padding: 6px 8px; border-radius: 5px;
  box-shadow: 0 1px 5px rgba(0,0,0,0.35); }
.hubplan-panel { width: 370px; max-height: calc(100vh - 230px); overflow-y: auto; }
.hubplan-title { font-weight: bold; font-size: 14px; margin-bottom: 4px; }
.hubplan-badge { background: #fde9a9; border: 1px solid #c9a227; border-radius: 3px; padding: 0 4px;
  font-size: 11px; font-weight: normal; }
.hubplan-panel summary { font-weight: bold; cursor: pointer; margin-top: 4px; }
table.hubplan-kpi { border-collapse: collapse; width: 100%; margin: 2px 0; }
table.hubplan-kpi th, table.hubplan-kpi td { padding: 1px 4px; border-bottom: 1px solid #eee; text-align: right; }
table.hubplan-kpi td:first-child, table.hubplan-kpi th:first-child { text-align: left; }
.hubplan-note { color: #555; font-size: 11px; margin: 3px 0; }
.hubplan-chart-box svg { width: 100%; height: auto; }
.hubplan-shifts label { display: block; cursor: pointer; }
.hubplan-legend { max-width: 210px; }
.hubplan-legend div { line-height: 17px; }
.hubplan-swatch { display: inline-block; width: 14px; height: 12px; margin-right: 6px; vertical-align: middle;
  border: 1px solid #999; box-sizing: border-box; }
.hubplan-round { border-radius: 50%; border: 2px solid #fff; box-shadow: 0 0 0 1px #333; }
.hubplan-ring { border-radius: 50%; border: 2px solid; background: transparent; }
.hubplan-area { border: 1.5px solid #555; background: rgba(80,80,80,0.12); }
.hubplan-dot { width: 10px; height: 10px; border-radius: 50%; border: 2px solid #fff; box-shadow: 0 0 0 1px #222; }
.hubplan-base-icon { width: 22px; height: 22px; border: 2px solid #fff; box-shadow: 0 0 0 1.5px #111;
  display: flex; align-items: center; justify-content: center; color: #fff; font-weight: bold; font-size: 11px; }
.hubplan-square { border-radius: 3px; }
.hubplan-circle { border-radius: 50%; }
.hubplan-diamond { transform: rotate(45deg); }
.hubplan-diamond span { transform: rotate(-45deg); }
table.hubplan-popup th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
"""


def build_report(data: ReportData, *, basemap: str | None = None) -> folium.Map:
    """Build the map report of a plan (no I/O).

    Parameters
    ----------
    data
        The plan's frames (British National Grid) and KPIs.
    basemap
        ``None`` (default): no tiles, the network's main roads are drawn instead and
        the page needs no internet. ``"osm"``: OpenStreetMap tiles (fetched online).

    Returns
    -------
    folium.Map
        Layers in a layer control (bases; per shift: deployment locations, Grade 1
        reachable area, LSOA response times, Grade 1 and 2 demand, uncovered Grade 1;
        boundaries; main roads), a shift selector, the KPI panel and a legend.
        Inline Leaflet with :func:`maps.offline.render_offline_html`.
    """
    fmap = _new_map(data)
    layers.add_panes(fmap)
    fmap.add_child(layers.bases_layer(data.bases))
    groups = _add_shift_layers(fmap, data)
    fmap.add_child(layers.boundaries_layer(data.boundaries))
    fmap.add_child(layers.roads_layer(data.roads))
    if basemap is not None:
        fmap.add_child(layers.basemap_layer(basemap))
    _add_controls(fmap, data, groups)
    return fmap


def _new_map(data: ReportData) -> folium.Map:
    fmap = folium.Map(tiles=None, control_scale=True, zoom_start=9, location=_centre(data), zoom_snap=0.25)
    fmap.default_js = list(OFFLINE_JS)
    fmap.default_css = list(OFFLINE_CSS)
    figure = fmap.get_root()
    assert isinstance(figure, Figure)  # a new Map is always placed in a Figure
    figure.header.add_child(Element(f"<style>{CSS}</style>"), name="hubplan_css")
    force = data.boundaries[data.boundaries["kind"] == "force"]
    extent = layers.to_wgs84(force if len(force) else data.boundaries).total_bounds
    fit = folium.map.FitBounds(
        [[extent[1], extent[0]], [extent[3], extent[2]]],
        padding_top_left=(PANEL_WIDTH_PX + 20, 10),
        padding_bottom_right=(LAYERS_WIDTH_PX, 10),
    )
    fit.options["animate"] = False  # open at the final view (no zoom animation to catch mid-way)
    fmap.add_child(fit)
    return fmap


def _centre(data: ReportData) -> list[float]:
    centre = layers.to_wgs84(data.boundaries).total_bounds
    return [float((centre[1] + centre[3]) / 2), float((centre[0] + centre[2]) / 2)]


def _add_shift_layers(fmap: folium.Map, data: ReportData) -> dict[str, dict[str, folium.map.Layer]]:
    """Add every per-shift layer (only the first shift's are on) and return them as ``{kind: {shift: layer}}``."""
    target_min = _target_min(data, grade=1)
    largest = float(np.nanmax(data.demand[["grade1_per_year", "grade2_per_year"]].to_numpy(float), initial=0.0))
    groups: dict[str, dict[str, folium.map.Layer]] = {kind: {} for kind in layers.SHIFT_KINDS}
    for k, shift in enumerate(data.shifts):
        first = k == 0
        shift_layers = {
            layers.LOCATIONS: layers.locations_layer(data.locations, shift, data.base_names, show=first),
            layers.REACH: layers.reach_layer(data.reachable, shift, data.base_names, target_min=target_min, show=first),
            layers.LSOA_TIMES: layers.lsoa_layer(data.lsoa_times, shift, show=first),
            **layers.demand_layers(data.demand, shift, largest=largest, show=first),
        }
        for kind, layer in shift_layers.items():
            layer.show = first and layers.SHIFT_KINDS[kind]
            fmap.add_child(layer)
            groups[kind][shift] = layer
    return groups


def _add_controls(fmap: folium.Map, data: ReportData, groups: dict[str, dict[str, folium.map.Layer]]) -> None:
    if len(data.shifts) > 1:
        fmap.add_child(ShiftSelector(groups, data.shifts))
    panel = kpi_panel_html(data.kpis, chart_svg=response_chart_svg(data))
    fmap.add_child(HtmlControl(panel, position="topleft", class_name="hubplan-control hubplan-panel"))
    legend = legend_html(data.base_names, target_min=_target_min(data, grade=1))
    fmap.add_child(HtmlControl(legend, position="bottomright", class_name="hubplan-control hubplan-legend"))
    folium.LayerControl(position="topright", collapsed=False).add_to(fmap)


def _target_min(data: ReportData, *, grade: int) -> float:
    return float(data.kpis.grade(grade).target_min)


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
