"""Travel-time matrices: a hand-built 5-node graph with known answers, and networkx as an independent check."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geodata.matrix
import geodata.pool
from geodata.crs import BNG
from geodata.errors import InputDataError
from geodata.matrix import (
    SnappedPoints,
    TravelTimeMatrix,
    nearest_travel_time_s,
    snap_points,
    travel_time_matrix,
)
from geodata.network import RoadNetwork

# The 5-node graph, coordinates in metres:
#
#        3 (1000, 1000)
#      ^/  \ (one-way 3 -> 2, 50 s)
#  100 /    v
#    0 --60-- 1 --120-- 2 --30--> 4 (one-way 2 -> 4)
# (0,0)    (1000,0)  (2000,0)   (3000,0)
#
# Two-way: 0-1 60 s, 1-2 120 s (plus a slower parallel 1->2 of 200 s), 0-3 100 s.
NODE_XY_M = np.array([[0, 0], [1000, 0], [2000, 0], [1000, 1000], [3000, 0]], dtype=float)
EDGES_S = [
    (0, 1, 60),
    (1, 0, 60),
    (1, 2, 120),
    (2, 1, 120),
    (1, 2, 200),
    (0, 3, 100),
    (3, 0, 100),
    (3, 2, 50),
    (2, 4, 30),
]
INF = np.inf
# KNOWN_S[i, j]: fastest time from node i to node j, worked out by hand.
KNOWN_S = np.array(
    [
        [0, 60, 150, 100, 180],  # 0->2 via 3 (100 + 50) beats via 1 (180)
        [60, 0, 120, 160, 150],
        [180, 120, 0, 280, 30],  # 2->3 must go round 2->1->0->3: the 3->2 edge is one-way
        [100, 160, 50, 0, 80],
        [INF, INF, INF, INF, 0],  # nothing leaves node 4
    ]
)


def five_node_network(*, scale: float = 1.0) -> RoadNetwork:
    source, target, seconds = (np.array(column) for column in zip(*EDGES_S, strict=True))
    return RoadNetwork(
        node_id=np.arange(10, 15, dtype=np.int64),
        x_m=NODE_XY_M[:, 0] + 380_000,
        y_m=NODE_XY_M[:, 1] + 310_000,
        edge_source=source.astype(np.int64),
        edge_target=target.astype(np.int64),
        length_m=seconds * 10.0,
        travel_time_s=seconds * scale,
        road_class=np.full(len(EDGES_S), "local", dtype=object),
        crs=BNG,
        name="five nodes",
    )


def points_at(network: RoadNetwork, nodes: list[int], prefix: str, *, offset_m: float = 0.0) -> SnappedPoints:
    """Points ``offset_m`` east of the given nodes."""
    ids = [f"{prefix}{k}" for k in range(len(nodes))]
    return snap_points(network, ids, network.x_m[nodes] + offset_m, network.y_m[nodes])


def assert_same_matrix(left: TravelTimeMatrix, right: TravelTimeMatrix) -> None:
    assert left.cutoff_s == right.cutoff_s
    np.testing.assert_array_equal(left.origin_index, right.origin_index)
    np.testing.assert_array_equal(left.destination_index, right.destination_index)
    np.testing.assert_array_equal(left.travel_time_s, right.travel_time_s)


# --------------------------------------------------------------------------- snapping


def test_snap_points_finds_nearest_node_and_distance() -> None:
    network = five_node_network()
    points = snap_points(
        network, ["a", "b", "c"], [380_000 + 1030, 380_000 + 2990, 380_000 - 3], [310_040, 310_000, 310_004]
    )
    np.testing.assert_array_equal(points.node_index, [1, 4, 0])
    np.testing.assert_allclose(points.snap_distance_m, [50.0, 10.0, 5.0])
    assert points.ids.tolist() == ["a", "b", "c"]
    assert points.node_index.dtype == np.int64


def test_snap_points_converts_ids_to_strings() -> None:
    points = snap_points(five_node_network(), [7, 8], [380_000, 381_000], [310_000, 310_000])
    assert points.ids.tolist() == ["7", "8"]


def test_snap_points_rejects_points_too_far_naming_them() -> None:
    network = five_node_network()
    with pytest.raises(
        InputDataError, match=r"(?s)max_snap_m=2,000 m.*'far' is 7,000 m.*'farther' is 12,000 m"
    ) as error:
        snap_points(network, ["near", "far", "farther"], [380_000, 390_000, 395_000], [310_000, 310_000, 310_000])
    assert "'near'" not in str(error.value)


def test_snap_points_larger_max_snap_accepts_far_point() -> None:
    points = snap_points(five_node_network(), ["far"], [390_000], [310_000], max_snap_m=10_000)
    assert points.node_index.tolist() == [4]


def test_snap_points_collects_duplicate_ids_and_non_finite_coordinates() -> None:
    with pytest.raises(InputDataError, match=r"(?s)id 'a' is used 2 times.*point 'b' has non-finite"):
        snap_points(five_node_network(), ["a", "a", "b"], [380_000, 380_000, np.nan], [310_000, 310_000, 310_000])


def test_snap_points_rejects_mismatched_lengths_and_crs() -> None:
    network = five_node_network()
    with pytest.raises(InputDataError, match="same length"):
        snap_points(network, ["a", "b"], [380_000], [310_000])
    with pytest.raises(InputDataError, match="reproject the points"):
        snap_points(network, ["a"], [380_000], [310_000], crs="EPSG:32630")


def test_snapped_points_check_shapes() -> None:
    with pytest.raises(InputDataError, match="node_index must be int64"):
        SnappedPoints(np.array(["a"], dtype=object), np.zeros(1), np.zeros(1), np.zeros(1, dtype=np.int32), np.zeros(1))
    with pytest.raises(InputDataError, match=r"x_m has shape \(2,\), expected \(1,\)"):
        SnappedPoints(np.array(["a"], dtype=object), np.zeros(2), np.zeros(1), np.zeros(1, dtype=np.int64), np.zeros(1))


# --------------------------------------------------------------------------- the 5-node graph


def test_matrix_equals_known_times() -> None:
    network = five_node_network()
    nodes = [0, 1, 2, 3, 4]
    matrix = travel_time_matrix(network, points_at(network, nodes, "o"), points_at(network, nodes, "d"), cutoff_s=1000)
    np.testing.assert_array_equal(matrix.to_dense(), KNOWN_S)
    assert matrix.n_pairs == int(np.isfinite(KNOWN_S).sum())


def test_cutoff_removes_pairs_beyond_it_and_keeps_pairs_at_it() -> None:
    network = five_node_network()
    nodes = [0, 1, 2, 3, 4]
    matrix = travel_time_matrix(network, points_at(network, nodes, "o"), points_at(network, nodes, "d"), cutoff_s=100)
    expected = np.where(KNOWN_S <= 100, KNOWN_S, np.inf)
    np.testing.assert_array_equal(matrix.to_dense(), expected)
    assert matrix.to_dense()[0, 3] == 100  # exactly at the cutoff: kept
    assert matrix.travel_time_s.max() <= 100


def test_zero_time_pair_for_same_node_is_kept() -> None:
    network = five_node_network()
    origins = points_at(network, [2], "o")
    destinations = points_at(network, [2], "d", offset_m=25)
    matrix = travel_time_matrix(network, origins, destinations, cutoff_s=10)
    assert matrix.n_pairs == 1
    frame = matrix.to_frame()
    assert frame.to_dict("records") == [
        {
            "origin_id": "o0",
            "destination_id": "d0",
            "travel_time_s": 0.0,
            "origin_snap_m": 0.0,
            "destination_snap_m": 25.0,
        }
    ]
    assert matrix.to_dense(fill=-1.0).tolist() == [[0.0]]


def test_one_way_edge_is_respected() -> None:
    network = five_node_network()
    matrix = travel_time_matrix(network, points_at(network, [3, 2], "o"), points_at(network, [2, 3], "d"), cutoff_s=500)
    dense = matrix.to_dense()
    assert dense[0, 0] == 50  # 3 -> 2 along the one-way edge
    assert dense[1, 1] == 280  # 2 -> 3 the long way round


def test_points_sharing_a_node_are_all_present() -> None:
    network = five_node_network()
    origins = snap_points(network, ["o1", "o2", "o3"], [380_000, 380_010, 383_000], [310_000, 310_000, 310_000])
    destinations = snap_points(network, ["d1", "d2"], [381_000, 381_000], [310_000, 310_005])
    assert origins.node_index.tolist() == [0, 0, 4]
    matrix = travel_time_matrix(network, origins, destinations, cutoff_s=1000)
    frame = matrix.to_frame().sort_values(["origin_id", "destination_id"])
    assert list(zip(frame.origin_id, frame.destination_id, frame.travel_time_s, strict=True)) == [
        ("o1", "d1", 60.0),
        ("o1", "d2", 60.0),
        ("o2", "d1", 60.0),
        ("o2", "d2", 60.0),
    ]
    np.testing.assert_array_equal(matrix.to_dense(), [[60, 60], [60, 60], [INF, INF]])


def test_to_frame_has_documented_columns() -> None:
    network = five_node_network()
    matrix = travel_time_matrix(
        network, points_at(network, [0], "o"), points_at(network, [1], "d", offset_m=7), cutoff_s=100
    )
    frame = matrix.to_frame()
    assert list(frame.columns) == [
        "origin_id",
        "destination_id",
        "travel_time_s",
        "origin_snap_m",
        "destination_snap_m",
    ]
    assert frame.iloc[0].tolist() == ["o0", "d0", 60.0, 0.0, 7.0]


def many_points(network: RoadNetwork, n: int, prefix: str, seed: int) -> SnappedPoints:
    """``n`` points near random nodes (several per node)."""
    rng = np.random.default_rng(seed)
    nodes = rng.integers(0, network.n_nodes, n)
    ids = [f"{prefix}{k}" for k in range(n)]
    return snap_points(network, ids, network.x_m[nodes] + rng.uniform(-20, 20, n), network.y_m[nodes])


def test_workers_two_give_identical_result_to_one() -> None:
    network = five_node_network()
    origins, destinations = many_points(network, 23, "o", seed=1), many_points(network, 17, "d", seed=2)
    single = travel_time_matrix(network, origins, destinations, cutoff_s=200, chunk_size=2)
    pooled = travel_time_matrix(network, origins, destinations, cutoff_s=200, chunk_size=2, workers=2)
    assert_same_matrix(single, pooled)


def test_spawned_workers_give_identical_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geodata.pool, "MP_START_METHOD", "spawn")
    network = five_node_network()
    origins, destinations = many_points(network, 9, "o", seed=5), many_points(network, 8, "d", seed=6)
    assert_same_matrix(
        travel_time_matrix(network, origins, destinations, cutoff_s=200, chunk_size=1),
        travel_time_matrix(network, origins, destinations, cutoff_s=200, chunk_size=1, workers=2),
    )


def test_chunk_size_one_gives_identical_result_to_large_chunk() -> None:
    network = five_node_network()
    origins, destinations = many_points(network, 23, "o", seed=3), many_points(network, 17, "d", seed=4)
    assert_same_matrix(
        travel_time_matrix(network, origins, destinations, cutoff_s=200, chunk_size=1),
        travel_time_matrix(network, origins, destinations, cutoff_s=200, chunk_size=1000),
    )


def test_progress_reports_origins_done_after_each_chunk() -> None:
    network = five_node_network()
    origins = snap_points(network, ["a", "b", "c", "d"], [380_000, 380_001, 381_000, 382_000], [310_000] * 4)
    reported: list[int] = []
    travel_time_matrix(network, origins, origins, cutoff_s=100, chunk_size=2, progress=reported.append)
    # Distinct origin nodes 0 (2 points), 1, 2: chunks {0, 1} and {2}.
    assert reported == [3, 4]


def test_empty_points_give_empty_matrix() -> None:
    network = five_node_network()
    none = snap_points(network, [], [], [])
    matrix = travel_time_matrix(network, none, points_at(network, [0], "d"), cutoff_s=100, workers=2)
    assert matrix.n_pairs == 0
    assert matrix.to_dense().shape == (0, 1)
    assert matrix.origin_index.dtype == np.int64
    assert list(matrix.to_frame().columns)[0] == "origin_id"


def test_matrix_rejects_bad_arguments_collecting_all() -> None:
    network = five_node_network()
    points = points_at(network, [0], "p")
    with pytest.raises(InputDataError, match=r"(?s)cutoff_s must be a finite time.*chunk_size.*workers"):
        travel_time_matrix(network, points, points, cutoff_s=np.nan, chunk_size=0, workers=0)


def test_matrix_rejects_points_snapped_to_a_bigger_network() -> None:
    network = five_node_network()
    stray = SnappedPoints(np.array(["x"], dtype=object), np.zeros(1), np.zeros(1), np.array([9]), np.zeros(1))
    with pytest.raises(InputDataError, match="refer to node 9 but network 'five nodes' has 5 nodes"):
        travel_time_matrix(network, stray, stray, cutoff_s=10)


def test_travel_time_matrix_checks_its_arrays() -> None:
    network = five_node_network()
    points = points_at(network, [0], "p")
    with pytest.raises(InputDataError, match="within 0..cutoff_s=10"):
        TravelTimeMatrix(points, points, 10.0, np.array([0]), np.array([0]), np.array([11.0]))
    with pytest.raises(InputDataError, match="destination_index points outside the 1 points"):
        TravelTimeMatrix(points, points, 10.0, np.array([0]), np.array([1]), np.array([1.0]))


def test_matrix_follows_speed_factor() -> None:
    network = five_node_network()
    faster = network.with_speed_factor(2.0)
    origins, destinations = points_at(network, [0, 1], "o"), points_at(network, [2, 3], "d")
    slow = travel_time_matrix(network, origins, destinations, cutoff_s=1000).to_dense()
    fast = travel_time_matrix(faster, origins, destinations, cutoff_s=1000).to_dense()
    np.testing.assert_allclose(fast, slow / 2)


def test_nearest_travel_time_takes_the_nearest_origin() -> None:
    network = five_node_network()
    stations = points_at(network, [0, 4], "s")
    np.testing.assert_array_equal(nearest_travel_time_s(network, stations, cutoff_s=1000), [0, 60, 150, 100, 0])
    np.testing.assert_array_equal(nearest_travel_time_s(network, stations, cutoff_s=120), [0, 60, INF, 100, 0])
    none = snap_points(network, [], [], [])
    assert np.isinf(nearest_travel_time_s(network, none, cutoff_s=100)).all()


# --------------------------------------------------------------------------- independent check


def random_geometric_network(seed: int, n_nodes: int = 300) -> RoadNetwork:
    """Nodes in a 6 km square joined within 600 m; a tenth of the links one-way, speeds 20-100 km/h."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 6000, (n_nodes, 2))
    graph = nx.random_geometric_graph(n_nodes, 600, pos={i: tuple(p) for i, p in enumerate(xy)})
    links = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    u, v = links[:, 0], links[:, 1]
    one_way = rng.random(len(u)) < 0.1
    source = np.concatenate([u, v[~one_way]])
    target = np.concatenate([v, u[~one_way]])
    length_m = np.hypot(*(xy[target] - xy[source]).T)
    speed_ms = rng.uniform(20, 100, source.size) / 3.6
    return RoadNetwork(
        node_id=np.arange(n_nodes, dtype=np.int64),
        x_m=xy[:, 0] + 400_000,
        y_m=xy[:, 1] + 300_000,
        edge_source=source,
        edge_target=target,
        length_m=length_m,
        travel_time_s=np.maximum(length_m / speed_ms, 0.01),
        road_class=np.full(source.size, "local", dtype=object),
        crs=BNG,
        name=f"random geometric {seed}",
    )


def networkx_times(
    network: RoadNetwork, origins: SnappedPoints, destinations: SnappedPoints, cutoff_s: float
) -> np.ndarray:
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.n_nodes))
    for u, v, t in zip(
        network.edge_source.tolist(), network.edge_target.tolist(), network.travel_time_s.tolist(), strict=True
    ):
        if not graph.has_edge(u, v) or graph[u][v]["t"] > t:
            graph.add_edge(u, v, t=t)
    expected = np.full((len(origins), len(destinations)), np.inf)
    for i, node in enumerate(origins.node_index.tolist()):
        lengths = nx.single_source_dijkstra_path_length(graph, node, cutoff=cutoff_s, weight="t")
        for j, target in enumerate(destinations.node_index.tolist()):
            expected[i, j] = lengths.get(target, np.inf)
    return expected


def assert_agrees_with_networkx(seed: int, cutoff_s: float, *, chunk_size: int = 64) -> None:
    network = random_geometric_network(seed)
    origins, destinations = many_points(network, 40, "o", seed + 1), many_points(network, 60, "d", seed + 2)
    got = travel_time_matrix(network, origins, destinations, cutoff_s=cutoff_s, chunk_size=chunk_size).to_dense()
    expected = networkx_times(network, origins, destinations, cutoff_s)
    near_cutoff = np.abs(np.where(np.isfinite(expected), expected, got) - cutoff_s) < 1e-6
    finite = np.isfinite(expected) & ~near_cutoff
    assert np.array_equal(np.isinf(got) & ~near_cutoff, np.isinf(expected) & ~near_cutoff)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-9)


def test_agrees_with_networkx_on_random_geometric_graph() -> None:
    assert_agrees_with_networkx(seed=7, cutoff_s=300)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cutoff_s=st.floats(0, 1200), chunk_size=st.integers(1, 50))
def test_agrees_with_networkx_property(seed: int, cutoff_s: float, chunk_size: int) -> None:
    assert_agrees_with_networkx(seed, cutoff_s, chunk_size=chunk_size)
