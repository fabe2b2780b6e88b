"""One function per map layer: BNG frames in, folium layers (WGS84) out.

Every layer is drawn in its own pane so the stacking stays the same however
the layers are switched: LSOA fill, reachable area, lines (roads, boundaries),
demand points, then the markers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from html import escape

import folium
import geopandas as gpd

from maps import style
from maps.elements import HtmlPopup, HtmlTooltip, PointLayer
from maps.page import COORD_DECIMALS, base_marker, popup_table, to_wgs84

#: Simplification tolerance (metres, in BNG) of polygons and lines before they are drawn.
SIMPLIFY_M = 40.0

# Layer names, as shown in the layer control; per-shift layers get " (shift)" appended.
BASES = "Bases"
LOCATIONS = "Deployment locations"
REACH = "Grade 1 reachable area"
LSOA_TIMES = "Grade 1 response time by LSOA"
GRADE1 = "Grade 1 demand"
GRADE2 = "Grade 2 demand"
UNCOVERED = "Uncovered Grade 1 demand"
BOUNDARIES = "Force and local authority boundaries"
AREA_CLASSES = "Urban and rural LSOAs"
#: Fill of each area class on the map.
AREA_CLASS_COLOURS = {"urban": "#8c6bb1", "rural": "#74c476"}
ROADS = "Main roads"
BASEMAP = "OpenStreetMap basemap"
TOWNS = "Town names"

#: Per-shift layer kinds in layer-control order, and whether each is on when the page opens.
SHIFT_KINDS = {LOCATIONS: True, REACH: False, LSOA_TIMES: True, GRADE1: False, GRADE2: False, UNCOVERED: True}

# Panes (name, z-index, takes pointer events). Leaflet's overlay pane is 400 and markers 600.
PANE_LSOA = ("hubplan-lsoa", 405, True)
PANE_REACH = ("hubplan-reach", 410, False)
PANE_LINES = ("hubplan-lines", 415, False)
PANE_DEMAND = ("hubplan-demand", 420, True)
PANE_LABELS = ("hubplan-labels", 450, False)
PANES = (PANE_LSOA, PANE_REACH, PANE_LINES, PANE_DEMAND, PANE_LABELS)

MAIN_ROAD_CLASSES = ("motorway", "trunk", "primary")


def shift_layer_name(kind: str, shift: str) -> str:
    """Layer-control name of a per-shift layer, e.g. ``"Deployment locations (early)"``."""
    return f"{kind} ({shift})"


def add_panes(fmap: folium.Map) -> None:
    """Create the report's panes on ``fmap``."""
    for name, z_index, interactive in PANES:
        folium.map.CustomPane(name, z_index=z_index, pointer_events=interactive).add_to(fmap)


def feature_collection(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> dict:
    """A GeoJSON FeatureCollection of ``frame`` (WGS84) with only ``columns`` as properties, NaN as null."""
    properties = frame[list(columns)].astype(object).where(frame[list(columns)].notna(), None)
    subset = gpd.GeoDataFrame(properties, geometry=frame.geometry, crs=frame.crs)
    return json.loads(subset.to_json(drop_id=True))


def roads_layer(roads: gpd.GeoDataFrame) -> folium.GeoJson:
    """The network's motorways, trunk and primary roads as light grey lines."""
    main = roads[roads["road_class"].isin(MAIN_ROAD_CLASSES)]
    data = feature_collection(to_wgs84(main, simplify_m=SIMPLIFY_M), ["road_class"])
    return folium.GeoJson(
        data,
        name=ROADS,
        style_function=_road_style,
        interactive=False,
        pane=PANE_LINES[0],
        show=True,
    )


def _road_style(feature: dict) -> dict:
    base = style.ROAD_STYLES.get(feature["properties"]["road_class"], style.DEFAULT_ROAD_STYLE)
    return {**base, "opacity": 0.9}


def boundaries_layer(boundaries: gpd.GeoDataFrame) -> folium.GeoJson:
    """The force outline (solid) and local authority outlines (dashed)."""
    data = feature_collection(to_wgs84(boundaries, simplify_m=SIMPLIFY_M), ["kind", "name"])
    return folium.GeoJson(
        data,
        name=BOUNDARIES,
        style_function=_boundary_style,
        interactive=False,
        pane=PANE_LINES[0],
        show=True,
    )


def area_class_layer(area_classes: gpd.GeoDataFrame, *, class_source: str) -> folium.GeoJson:
    """LSOAs filled by area class (urban, rural), named with where the classes come from ("derived" or ONS)."""
    subset = to_wgs84(area_classes, simplify_m=SIMPLIFY_M)
    data = feature_collection(subset, ["lsoa_code", "lsoa_name", "area_class"])
    return folium.GeoJson(
        data,
        name=f"{AREA_CLASSES} ({class_source})",
        style_function=_area_class_style,
        tooltip=folium.GeoJsonTooltip(
            fields=["lsoa_name", "area_class"], aliases=["LSOA", f"Area class ({class_source})"]
        ),
        pane=PANE_LSOA[0],
        show=False,
    )


def _area_class_style(feature: dict) -> dict:
    fill = AREA_CLASS_COLOURS.get(feature["properties"]["area_class"], "#cccccc")
    return {"fillColor": fill, "fillOpacity": 0.45, "color": "#ffffff", "weight": 0.4}


def _boundary_style(feature: dict) -> dict:
    if feature["properties"]["kind"] == "force":
        return {"color": "#111111", "weight": 2.5, "fill": False}
    return {"color": "#333333", "weight": 1.2, "dashArray": "5 4", "fill": False}


def bases_layer(bases: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """One distinct symbol per base (colour, shape, first two letters), drawn by :func:`maps.page.base_marker`."""
    group = folium.FeatureGroup(name=BASES, show=True)
    for index, row in enumerate(to_wgs84(bases).to_dict("records")):
        group.add_child(base_marker(row, colour=style.base_colour(index), shape=style.base_shape(index)))
    return group


def towns_layer(towns: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Town names as map labels just below their centres (under the markers, not clickable): ``name`` and points."""
    group = folium.FeatureGroup(name=TOWNS, show=True)
    for row in to_wgs84(towns).to_dict("records"):
        icon = folium.DivIcon(
            html=f"<span>{escape(str(row['name']))}</span>", icon_size=(0, 0), class_name="hubplan-town"
        )
        group.add_child(folium.Marker([row["geometry"].y, row["geometry"].x], icon=icon, pane=PANE_LABELS[0]))
    return group


def locations_layer(
    locations: gpd.GeoDataFrame, shift: str, base_names: Sequence[str], *, show: bool
) -> folium.FeatureGroup:
    """The shift's deployment locations as dots coloured by base, with popups."""
    group = folium.FeatureGroup(name=shift_layer_name(LOCATIONS, shift), show=show)
    colour = {name: style.base_colour(k) for k, name in enumerate(base_names)}
    rows = to_wgs84(locations[locations["shift"] == shift])
    for row in rows.to_dict("records"):
        icon = folium.DivIcon(
            html=f'<div class="hubplan-dot" style="background:{colour[row["base"]]}"></div>',
            icon_size=(14, 14),
            icon_anchor=(7, 7),
            class_name="hubplan-location",
        )
        marker = folium.Marker([row["geometry"].y, row["geometry"].x], icon=icon)
        marker.add_child(HtmlTooltip(escape(str(row["name"]))))
        marker.add_child(HtmlPopup(location_popup(row)))
        group.add_child(marker)
    return group


def location_popup(row: dict) -> str:
    """Popup HTML of one deployment location: name, place and ward (if known), base, shift, demand, postcode."""
    demand = row.get("grade1_first_response_per_year")
    demand_text = f"{float(demand):,.1f}" if demand is not None and math.isfinite(float(demand)) else "–"
    fields = [
        *[
            (label, row[key])
            for label, key in (("Place", "place"), ("Ward", "ward"), ("Main road", "road"))
            if row.get(key)
        ],
        ("Base", row["base"]),
        ("Shift", row["shift"]),
        ("Grade 1 answered first", f"{demand_text} incidents a year (modelled)"),
        ("Nearest postcode", row["nearest_postcode"]),
        ("Location id", row["location_id"]),
    ]
    return f"<b>{escape(str(row['name']))}</b>{popup_table(fields)}"


def reach_layer(
    reachable: gpd.GeoDataFrame, shift: str, base_names: Sequence[str], *, target_min: float, show: bool
) -> folium.GeoJson:
    """Area reached within the Grade 1 target, per base (the part its cars reach first)."""
    subset = reachable[reachable["shift"] == shift]
    data = feature_collection(to_wgs84(subset, simplify_m=SIMPLIFY_M), ["base"])
    colour = {name: style.base_colour(k) for k, name in enumerate(base_names)}
    return folium.GeoJson(
        data,
        name=shift_layer_name(REACH, shift),
        style_function=lambda f: {
            "color": colour.get(f["properties"]["base"], "#333333"),
            "weight": 1.5,
            "opacity": 0.8,
            "fillColor": colour.get(f["properties"]["base"], "#333333"),
            "fillOpacity": 0.12,
        },
        interactive=False,
        pane=PANE_REACH[0],
        show=show,
    )


def lsoa_layer(lsoa_times: gpd.GeoDataFrame, shift: str, *, show: bool) -> folium.GeoJson:
    """Choropleth of the Grade 1 demand-weighted mean response time per LSOA (minutes)."""
    subset = to_wgs84(lsoa_times[lsoa_times["shift"] == shift], simplify_m=SIMPLIFY_M)
    subset = subset.assign(
        minutes=subset["grade1_response_min"].round(1),
        grade1=subset["grade1_per_year"].round(1),
        covered=(100.0 * subset["grade1_covered_share"]).round(1),
    )
    data = feature_collection(subset, ["lsoa_code", "lsoa_name", "la_name", "minutes", "grade1", "covered"])
    return folium.GeoJson(
        data,
        name=shift_layer_name(LSOA_TIMES, shift),
        style_function=_lsoa_style,
        tooltip=folium.GeoJsonTooltip(
            fields=["lsoa_name", "la_name", "minutes", "covered", "grade1"],
            aliases=[
                "LSOA",
                "Local authority",
                "Grade 1 mean response, min (modelled)",
                "Grade 1 within target, %",
                "Grade 1 incidents a year",
            ],
        ),
        pane=PANE_LSOA[0],
        show=show,
    )


def _lsoa_style(feature: dict) -> dict:
    minutes = feature["properties"]["minutes"]
    fill = style.time_colour(float("nan") if minutes is None else float(minutes))
    return {"fillColor": fill, "fillOpacity": 0.7, "color": "#ffffff", "weight": 0.4}


def demand_layers(demand: gpd.GeoDataFrame, shift: str, *, largest: float, show: bool) -> dict[str, PointLayer]:
    """Grade 1 and Grade 2 demand as graduated circles, and uncovered Grade 1 demand as red rings.

    Circle area is proportional to incidents a year; ``largest`` (the largest value over every
    shift and grade) gets the largest circle, so sizes compare across layers.
    """
    subset = to_wgs84(demand[demand["shift"] == shift])
    subset = subset.assign(minutes=(subset["response_time_s"] / 60.0).round(1))
    uncovered = subset[~subset["covered_grade1"].astype(bool)]
    specs = (
        (GRADE1, subset, "grade1_per_year", "Grade 1", style.GRADE1_COLOUR),
        (GRADE2, subset, "grade2_per_year", "Grade 2", style.GRADE2_COLOUR),
        (UNCOVERED, uncovered, "grade1_per_year", "Uncovered Grade 1", style.UNCOVERED_COLOUR),
    )
    return {
        kind: PointLayer(
            point_rows(frame, column, largest=largest, min_px=3.0 if kind == UNCOVERED else 1.5),
            name=shift_layer_name(kind, shift),
            label=label,
            styles={"": _point_style(colour, ring=kind == UNCOVERED)},
            pane=PANE_DEMAND[0],
            show=show and kind == UNCOVERED,
        )
        for kind, frame, column, label, colour in specs
    }


def point_rows(
    frame: gpd.GeoDataFrame, column: str, *, largest: float, min_px: float
) -> list[tuple[float, float, float, float, float | None]]:
    """``(lat, lon, radius_px, value, minutes)`` per point of ``frame`` (WGS84) with ``column > 0``."""
    frame = frame[frame[column] > 0]
    return [
        (
            round(point.y, COORD_DECIMALS),
            round(point.x, COORD_DECIMALS),
            style.radius_px(value, largest=largest, min_px=min_px),
            round(float(value), 2),
            float(minutes) if math.isfinite(minutes) else None,
        )
        for point, value, minutes in zip(
            frame.geometry, frame[column].astype(float), frame["minutes"].astype(float), strict=True
        )
    ]


def _point_style(colour: str, *, ring: bool) -> dict[str, object]:
    if ring:
        return {"color": colour, "weight": 2.0, "fill": False, "opacity": 0.95}
    return {"color": colour, "weight": 0.5, "fillColor": colour, "fillOpacity": 0.35, "opacity": 0.6}


def basemap_layer(basemap: str) -> folium.TileLayer:
    """An online tile basemap (needs internet); only ``"osm"`` is known."""
    if basemap != "osm":
        raise ValueError(f"unknown basemap {basemap!r}; valid: 'osm' or None (offline, no basemap)")
    return folium.TileLayer("OpenStreetMap", name=BASEMAP, overlay=True, control=True, show=True)
