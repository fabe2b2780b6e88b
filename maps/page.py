"""The page kit shared by the map report and the comparison page: offline map, stylesheets, symbols, popups.

:func:`new_page_map` is the one constructor of a hubplan page: a ``folium.Map``
without tiles that loads only vendored assets (Leaflet and the stylesheets in
``maps/static/``, referenced under :data:`STATIC_PREFIX`, which
:func:`maps.offline.render_offline_html` inlines) and opens fitted to the force
area. :func:`shape_svg` draws the symbols (bases, deployment locations),
:func:`base_marker` draws a base the same way on every page, and
:func:`popup_table` lays out every popup's fields. It does no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Figure

from maps.elements import HtmlPopup, HtmlTooltip

#: Prefix of asset paths in ``maps/static/`` that :func:`maps.offline.render_offline_html` inlines.
STATIC_PREFIX = "hubplan-static/"
#: The only scripts the page loads (instead of folium's CDN defaults).
OFFLINE_JS = [("leaflet", STATIC_PREFIX + "leaflet/leaflet.js")]
#: Stylesheets of every page: Leaflet's, then hubplan's controls, panel, legend, symbols and popups.
OFFLINE_CSS = [("leaflet_css", STATIC_PREFIX + "leaflet/leaflet.css"), ("hubplan_css", STATIC_PREFIX + "hubplan.css")]
#: The map report's print stylesheet (A4 landscape print pages), loaded after :data:`OFFLINE_CSS`.
PRINT_CSS = ("print_css", STATIC_PREFIX + "print.css")
#: The comparison page's own stylesheet (header, table, chart, notes), loaded after :data:`OFFLINE_CSS`.
COMPARE_CSS = ("compare_css", STATIC_PREFIX + "compare.css")

WGS84 = "EPSG:4326"
#: Decimal places of WGS84 coordinates written to the page (1e-5 degrees is about 1 m).
COORD_DECIMALS = 5

#: Icon size (pixels) of a base on every page.
BASE_ICON_PX = 26

#: Corners of the polygon symbols on a unit circle (y down, as in SVG).
POLYGON_CORNERS: dict[str, tuple[tuple[float, float], ...]] = {
    "diamond": ((0.0, -1.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 0.0)),
    "triangle": ((0.0, -1.0), (0.95, 0.75), (-0.95, 0.75)),
    "triangle-down": ((0.0, 1.0), (0.95, -0.75), (-0.95, -0.75)),
    "hexagon": tuple(
        (math.cos(math.pi / 3 * k + math.pi / 6), math.sin(math.pi / 3 * k + math.pi / 6)) for k in range(6)
    ),
}


def to_wgs84(frame: gpd.GeoDataFrame, *, simplify_m: float = 0.0) -> gpd.GeoDataFrame:
    """``frame`` in WGS84 with coordinates rounded to :data:`COORD_DECIMALS` (optionally simplified first)."""
    geometry = frame.geometry.simplify(simplify_m) if simplify_m > 0 else frame.geometry
    moved = frame.set_geometry(geometry).to_crs(WGS84)
    rounded = shapely.transform(moved.geometry.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
    return moved.set_geometry(gpd.GeoSeries(rounded, index=moved.index, crs=WGS84))


def new_page_map(
    boundaries: gpd.GeoDataFrame,
    *,
    title: str | None = None,
    height: str = "100%",
    padding_top_left: tuple[int, int] = (10, 10),
    padding_bottom_right: tuple[int, int] = (10, 10),
    stylesheets: Sequence[tuple[str, str]] = (),
) -> folium.Map:
    """An offline hubplan map opening on the force area (no tiles, vendored assets only).

    Parameters
    ----------
    boundaries
        ``kind`` and polygons (projected CRS); the map fits the ``"force"`` rows (all rows if none).
    title
        Page title (plain text; escaped here), or ``None`` for folium's default.
    height
        CSS height of the map.
    padding_top_left, padding_bottom_right
        Room (pixels) kept for controls when fitting the force area.
    stylesheets
        Further ``(name, STATIC_PREFIX + path)`` stylesheets after :data:`OFFLINE_CSS`.

    Returns
    -------
    folium.Map
    """
    force = boundaries[boundaries["kind"] == "force"]
    extent = to_wgs84(force if len(force) else boundaries).total_bounds
    centre = [float((extent[1] + extent[3]) / 2), float((extent[0] + extent[2]) / 2)]
    fmap = folium.Map(
        location=centre, tiles=None, width="100%", height=height, control_scale=True, zoom_start=9, zoom_snap=0.25
    )
    fmap.default_js = list(OFFLINE_JS)
    fmap.default_css = [*OFFLINE_CSS, *stylesheets]
    if title is not None:
        figure = fmap.get_root()
        assert isinstance(figure, Figure)  # a new Map is always placed in a Figure
        figure.title = escape(title)
    fit = folium.map.FitBounds(
        [[extent[1], extent[0]], [extent[3], extent[2]]],
        padding_top_left=padding_top_left,
        padding_bottom_right=padding_bottom_right,
    )
    fit.options["animate"] = False  # open at the final view (no zoom animation to catch mid-way)
    fmap.add_child(fit)
    return fmap


def popup_table(fields: Sequence[tuple[str, object]]) -> str:
    """A popup's fields as a two-column table; every name and value is escaped here."""
    body = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in fields)
    return f'<table class="hubplan-popup">{body}</table>'


def shape_svg(shape: str, colour: str, size_px: int, *, label: str = "") -> str:
    """An inline SVG symbol: ``shape`` filled with ``colour``, a white ring and a dark edge, optional label.

    ``label`` must be plain text; it is escaped here.
    """
    r = size_px / 2.0 - 2.0
    c = size_px / 2.0
    outline = _shape_element(shape, c, r)
    text = (
        f'<text x="{c:g}" y="{c:g}" dy="0.36em" text-anchor="middle" font-size="{size_px * 0.42:.1f}" '
        f'font-weight="bold" font-family="sans-serif" fill="#fff">{escape(label)}</text>'
        if label
        else ""
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
        f'viewBox="0 0 {size_px} {size_px}">'
        f'<g stroke-linejoin="round">{outline.format(fill=colour, stroke="#1a1a1a", width=3.2)}'
        f"{outline.format(fill=colour, stroke='#ffffff', width=1.4)}</g>{text}</svg>"
    )


def _shape_element(shape: str, c: float, r: float) -> str:
    """SVG element of ``shape`` centred at ``(c, c)``, radius ``r``; ``{fill}``, ``{stroke}``, ``{width}`` left open."""
    paint = 'fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
    if shape == "circle":
        return f'<circle cx="{c:g}" cy="{c:g}" r="{r:.2f}" {paint}/>'
    if shape == "square":
        side = r * 1.7
        return f'<rect x="{c - side / 2:.2f}" y="{c - side / 2:.2f}" width="{side:.2f}" height="{side:.2f}" {paint}/>'
    corners = POLYGON_CORNERS[shape]
    points = " ".join(f"{c + r * x:.2f},{c + r * y:.2f}" for x, y in corners)
    return f'<polygon points="{points}" {paint}/>'


def svg_icon(svg: str, size_px: int, class_name: str) -> folium.DivIcon:
    """A marker icon showing ``svg``, centred on the point."""
    half = size_px // 2
    return folium.DivIcon(
        html=svg, icon_size=(size_px, size_px), icon_anchor=(half, half), class_name=f"hubplan-icon {class_name}"
    )


def base_marker(
    row: dict, *, colour: str, shape: str, scenario: str | None = None, class_name: str = "hubplan-base"
) -> folium.Marker:
    """A base as every page draws it: a symbol labelled with its first two letters, a tooltip and a popup.

    Parameters
    ----------
    row
        The base in WGS84: ``name``, ``geometry`` (a point) and optionally ``postcode``.
    colour, shape
        Fill colour and :func:`shape_svg` shape (per base on the report, per scenario on the comparison page).
    scenario
        Scenario name shown in the tooltip and popup, when the page has several.
    class_name
        Extra CSS class of the icon.
    """
    name = str(row["name"])
    icon = svg_icon(shape_svg(shape, colour, BASE_ICON_PX, label=name[:2]), BASE_ICON_PX, class_name)
    marker = folium.Marker([row["geometry"].y, row["geometry"].x], icon=icon)
    suffix = f" ({escape(scenario)})" if scenario is not None else ""
    marker.add_child(HtmlTooltip(f"Base: {escape(name)}{suffix}"))
    fields: list[tuple[str, object]] = [("Scenario", scenario)] if scenario is not None else []
    if row.get("postcode"):
        fields.append(("Postcode", row["postcode"]))
    marker.add_child(HtmlPopup(f"<b>{escape(name)}</b> (base){popup_table(fields)}"))
    return marker
