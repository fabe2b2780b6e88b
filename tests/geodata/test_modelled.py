"""The modelled network: structure on hand-made postcodes and roads, and the embedded default."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse.csgraph

from geodata import modelled
from geodata.crs import crs_to_lonlat
from geodata.errors import InputDataError
from geodata.modelled import ModelledGeometryParams, ModelledSpeeds

ROAD_COLUMNS = ["road", "segment", "seq", "road_class", "lat", "lon", "junction", "note"]


def grid_postcodes(x0: float, y0: float, nx: int, ny: int, step_m: float) -> pd.DataFrame:
    xs, ys = np.meshgrid(x0 + step_m * np.arange(nx), y0 + step_m * np.arange(ny))
    return pd.DataFrame({"easting": xs.ravel(), "northing": ys.ravel()})


def road(name: str, road_class: str, points_bng: list[tuple[float, float]], junctions: list[str]) -> pd.DataFrame:
    x, y = np.array(points_bng, dtype=float).T
    lon, lat = crs_to_lonlat(x, y)
    return pd.DataFrame(
        {
            "road": name,
            "segment": 1,
            "seq": np.arange(1, len(x) + 1),
            "road_class": road_class,
            "lat": lat,
            "lon": lon,
            "junction": junctions,
            "note": "",
        }
    )


@pytest.fixture(scope="module")
def corridor() -> modelled.ModelledGeometry:
    """A 20 km x 2 km strip of postcodes every 200 m with a motorway along it, junctions only at the ends."""
    postcodes = grid_postcodes(390_000, 320_000, 101, 11, 200.0)
    motorway = road(
        "M0", "motorway", [(390_000, 321_000), (400_000, 321_000), (410_000, 321_000)], ["M0 J1", "", "M0 J2"]
    )
    return modelled.build_modelled_geometry(postcodes, motorway)


def test_motorway_is_entered_only_at_junctions(corridor):
    g = corridor
    touches_road = ~g.is_local[g.edge_u] | ~g.is_local[g.edge_v]
    mixed = touches_road & (g.is_local[g.edge_u] | g.is_local[g.edge_v])
    assert set(g.edge_kind[mixed]) == {"junction"}
    road_end = np.where(g.is_local[g.edge_u], g.edge_v, g.edge_u)[mixed]
    road_x = g.x_m[road_end]
    assert set(np.round(road_x, -2)) == {390_000.0, 410_000.0}  # only J1 and J2


def test_travel_time_uses_the_motorway_between_junctions(corridor):
    speeds = ModelledSpeeds(motorway_kph=100.0, local_rural_kph=50.0, local_urban_kph=50.0, junction_s=60.0)
    network = modelled.network_from_geometry(corridor, speeds)
    local = np.flatnonzero(corridor.is_local)
    start = local[np.argmin(np.hypot(corridor.x_m[local] - 390_000, corridor.y_m[local] - 321_000))]
    end = local[np.argmin(np.hypot(corridor.x_m[local] - 410_000, corridor.y_m[local] - 321_000))]
    time_s = scipy.sparse.csgraph.dijkstra(network.csgraph, indices=[start])[0, end]
    by_motorway_s = 20_000 / (100 / 3.6) + 2 * 60.0
    by_local_s = 20_000 * speeds.circuity / (50 / 3.6)
    assert time_s == pytest.approx(by_motorway_s, rel=0.02)
    assert time_s < by_local_s


def test_local_edge_time_is_length_times_circuity_over_speed():
    postcodes = pd.DataFrame(
        {"easting": [390_000.0, 391_000.0, 390_000.0], "northing": [320_000.0, 320_000.0, 321_000.0]}
    )
    geometry = modelled.build_modelled_geometry(postcodes, pd.DataFrame(columns=ROAD_COLUMNS))
    speeds = ModelledSpeeds(local_rural_kph=60.0, circuity=1.3)
    network = modelled.network_from_geometry(geometry, speeds)
    # three postcodes 1 km apart: density far below the rural threshold, so the rural speed applies
    straight_m = np.hypot(
        network.x_m[network.edge_source] - network.x_m[network.edge_target],
        network.y_m[network.edge_source] - network.y_m[network.edge_target],
    )
    assert network.n_edges == 6
    assert network.travel_time_s == pytest.approx(straight_m * 1.3 / (60 / 3.6))


def test_spanning_tree_keeps_distant_clusters_connected():
    postcodes = pd.concat(
        [grid_postcodes(390_000, 320_000, 5, 5, 200.0), grid_postcodes(396_000, 320_000, 5, 5, 200.0)]
    )
    params = ModelledGeometryParams(max_local_edge_m=1_000.0)
    geometry = modelled.build_modelled_geometry(postcodes, pd.DataFrame(columns=ROAD_COLUMNS), params=params)
    network = modelled.network_from_geometry(geometry, ModelledSpeeds())
    n_components, _ = scipy.sparse.csgraph.connected_components(network.csgraph, directed=True, connection="strong")
    assert n_components == 1
    longest = geometry.edge_length_m.max()
    assert longest > 4_000.0 and (geometry.edge_length_m > 1_000.0).sum() == 1


def test_densify_keeps_vertices_and_limits_spacing():
    x, y, source = modelled._densify(np.array([0.0, 1_200.0, 1_300.0]), np.array([0.0, 0.0, 0.0]), 500.0)
    assert np.max(np.hypot(np.diff(x), np.diff(y))) <= 500.0 + 1e-9
    assert {0.0, 1_200.0, 1_300.0} <= set(np.round(x, 6))
    assert source[-1] == 2 and source[0] == 0


def test_speeds_outside_physical_limits_are_rejected():
    with pytest.raises(InputDataError, match="70 mph"):
        ModelledSpeeds(motorway_kph=130.0)
    with pytest.raises(InputDataError, match="rural_density_per_km2 must be below"):
        ModelledSpeeds(rural_density_per_km2=100.0, urban_density_per_km2=50.0)


def test_bad_road_class_names_the_line(tmp_path):
    path = tmp_path / "roads.csv"
    path.write_text(
        "road,segment,seq,road_class,lat,lon,junction,note\nM6,1,1,motorway,52.8,-2.1,M6 J14,\n"
        "A34,1,1,footpath,52.8,-2.1,,\n"
    )
    with pytest.raises(InputDataError, match="line 3: road_class 'footpath'"):
        modelled.load_strategic_roads(path)


@pytest.fixture(scope="module")
def default_network():
    return modelled.build_default_network()


def test_default_network_is_connected_and_plausible(default_network):
    network = default_network
    assert 30_000 < network.n_nodes < 80_000
    n_components, _ = scipy.sparse.csgraph.connected_components(network.csgraph, directed=True, connection="strong")
    assert n_components == 1
    speed_kph = network.length_m / network.travel_time_s * 3.6
    motorway = network.road_class == "motorway"
    assert motorway.any() and speed_kph[motorway].max() <= 113.0
    assert 15.0 <= np.median(speed_kph[~motorway]) <= 80.0
    assert network.snappable is not None and network.snappable.sum() < network.n_nodes


def test_default_network_speeds_stay_inside_their_bounds():
    speeds = modelled.load_calibrated_speeds()
    for name, (low, high) in modelled.SPEED_BOUNDS.items():
        assert low <= getattr(speeds, name) <= high, name
