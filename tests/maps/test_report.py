"""build_report: layers in the layer control, marker counts, bounds, offline page (on the folium objects)."""

from __future__ import annotations

import folium
import geopandas as gpd
import pytest
from shapely.geometry import Point

from maps import layers
from maps.data import ReportDataError
from maps.elements import HtmlControl, PointLayer, ShiftSelector
from maps.offline import external_references, render_offline_html
from maps.report import build_report

from .frames import SHIFTS, locations, report_data

# Staffordshire with a margin (WGS84): the force area spans about 52.42-53.23 N, 2.47-1.59 W.
STAFFS_LAT = (52.3, 53.35)
STAFFS_LON = (-2.6, -1.45)


def layer_control_names(fmap: folium.Map) -> list[str]:
    """Overlay names as the rendered LayerControl lists them."""
    fmap.get_root().render()
    control = next(c for c in fmap._children.values() if isinstance(c, folium.LayerControl))
    return list(control.overlays)


def kind_group(fmap: folium.Map, kind: str) -> folium.FeatureGroup:
    """The layer-control group of one kind of per-shift layer."""
    return next(c for c in fmap._children.values() if getattr(c, "layer_name", None) == kind)


def shift_layers(fmap: folium.Map, kind: str) -> dict[str, folium.map.Layer]:
    children = kind_group(fmap, kind)._children.values()
    return {
        shift: next(c for c in children if getattr(c, "layer_name", None) == layers.shift_layer_name(kind, shift))
        for shift in SHIFTS
    }


def test_layer_control_lists_each_kind_once_not_each_shift(data):
    names = layer_control_names(build_report(data))
    assert names == [layers.BASES, *layers.SHIFT_KINDS, layers.BOUNDARIES, layers.ROADS]


def test_town_names_are_a_layer_of_labels(data):
    towns = gpd.GeoDataFrame(
        {"name": ["Stafford", "Burton upon Trent"]},
        geometry=[Point(392_491, 322_733), Point(424_941, 323_297)],
        crs="EPSG:27700",
    )
    fmap = build_report(data, towns=towns)
    assert layer_control_names(fmap)[:2] == [layers.BASES, layers.TOWNS]
    labels = [c for c in kind_group(fmap, layers.TOWNS)._children.values() if isinstance(c, folium.Marker)]
    assert [m.icon.options["html"] for m in labels] == ["<span>Stafford</span>", "<span>Burton upon Trent</span>"]
    lat, lon = labels[0].location
    assert 52.75 < lat < 52.85 and -2.15 < lon < -2.05  # Stafford


def test_kinds_are_on_as_configured_and_shift_layers_sit_in_their_kind(data):
    fmap = build_report(data)
    for kind, shown in layers.SHIFT_KINDS.items():
        group = kind_group(fmap, kind)
        assert group.show is shown and group.control
        assert all(not layer.control and layer._parent is group for layer in shift_layers(fmap, kind).values())


def test_basemap_is_off_by_default_and_osm_adds_it(data):
    assert layers.BASEMAP not in layer_control_names(build_report(data))
    assert layers.BASEMAP in layer_control_names(build_report(data, basemap="osm"))


def test_unknown_basemap_is_rejected(data):
    with pytest.raises(ValueError, match="unknown basemap 'google'; valid: 'osm'"):
        build_report(data, basemap="google")


def test_one_marker_per_deployment_location_and_shift(data):
    groups = shift_layers(build_report(data), layers.LOCATIONS)
    counts = {
        shift: sum(isinstance(c, folium.Marker) for c in group._children.values()) for shift, group in groups.items()
    }
    assert counts == locations().groupby("shift").size().to_dict() == {"early": 3, "night": 2}


def test_each_base_has_its_own_icon(data):
    group = next(c for c in build_report(data)._children.values() if getattr(c, "layer_name", "") == layers.BASES)
    markers = [c for c in group._children.values() if isinstance(c, folium.Marker)]
    icons = {m.icon.options["html"] for m in markers}
    assert len(markers) == len(icons) == 2


def test_only_the_first_shift_is_shown_and_the_selector_switches_all_kinds(data):
    fmap = build_report(data)
    for kind in (layers.LOCATIONS, layers.LSOA_TIMES, layers.UNCOVERED):
        shown = {shift: layer.show for shift, layer in shift_layers(fmap, kind).items()}
        assert shown == {"early": True, "night": False}
    selector = next(c for c in fmap._children.values() if isinstance(c, ShiftSelector))
    assert set(selector.groups) == set(layers.SHIFT_KINDS)
    assert all(set(by_shift) == set(SHIFTS) for by_shift in selector.groups.values())


def test_uncovered_demand_layer_has_the_uncovered_nodes(data):
    uncovered = shift_layers(build_report(data), layers.UNCOVERED)
    expected = data.demand[~data.demand["covered_grade1"]].groupby("shift").size().to_dict()
    assert {shift: len(layer) for shift, layer in uncovered.items()} == expected
    assert all(isinstance(layer, PointLayer) for layer in uncovered.values())


def test_demand_circles_grow_with_demand(data):
    grade1 = shift_layers(build_report(data), layers.GRADE1)["early"]
    radius_by_value = sorted((row[3], row[2]) for row in grade1.rows)
    radii = [radius for _, radius in radius_by_value]
    assert radii == sorted(radii) and radii[-1] > radii[0]


def test_bounds_lie_in_staffordshire(data):
    (lat_min, lon_min), (lat_max, lon_max) = build_report(data).get_bounds()
    assert STAFFS_LAT[0] < lat_min < lat_max < STAFFS_LAT[1]
    assert STAFFS_LON[0] < lon_min < lon_max < STAFFS_LON[1]


def test_page_loads_nothing_from_outside_when_basemap_is_off(data):
    html = render_offline_html(build_report(data))
    assert external_references(html) == []
    assert "cdn." not in html and "code.jquery.com" not in html
    assert "1.9.4" in html  # Leaflet inlined from maps/static


def test_kpi_panel_and_legend_are_on_the_map(data):
    controls = [c for c in build_report(data)._children.values() if isinstance(c, HtmlControl)]
    panel = next(c for c in controls if "hubplan-panel" in c.class_name)
    legend = next(c for c in controls if "hubplan-legend" in c.class_name)
    assert "modelled" in panel.html and "optimal" in panel.html and "<svg" in panel.html
    assert "80.0 %" in panel.html  # Grade 1 travel-only share from the KPIs
    assert "15–20 min" in legend.html and "Stafford" in legend.html


def test_panel_lists_every_deployment_location(data):
    controls = [c for c in build_report(data)._children.values() if isinstance(c, HtmlControl)]
    panel = next(c for c in controls if "hubplan-panel" in c.class_name)
    section = panel.html[panel.html.index("Deployment locations (") :]
    assert section.count("<tr>") == len(locations()) + 1  # a header row, then a row a location and shift
    assert "Road: not shown" in section


def test_missing_columns_and_crs_are_reported_together():
    no_crs = locations().drop(columns="nearest_postcode").set_crs(None, allow_override=True)
    with pytest.raises(ReportDataError, match=r"(?s)missing columns \['nearest_postcode'\].*locations: has no CRS"):
        report_data(locations=no_crs)


def test_unknown_shift_is_reported():
    with pytest.raises(ReportDataError, match=r"locations: shifts \['late'\] are not in shifts"):
        report_data(locations=locations().assign(shift="late"))
