"""The dense travel table among places: known answers on a hand-built graph, cache, unreachable pairs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from geodata.errors import InputDataError
from geodata.network import RoadNetwork
from geodata.travel_table import UNREACHABLE_S, cached_node_travel_table, node_travel_table
from tests.geodata.networks import network_on_a_line


def five_nodes() -> RoadNetwork:
    """0 -60s- 1 -60s- 2 -60s- 3 both ways, and a one-way 3 -> 4 (90 s): nothing leaves 4."""
    return network_on_a_line([0, 1, 1, 2, 2, 3, 3], [1, 0, 2, 1, 3, 2, 4], [60.0] * 6 + [90.0], name="five")


def test_known_answers_and_unreachable_pairs():
    table = node_travel_table(five_nodes(), np.array([4, 0, 3]))
    expected = np.array([[0, UNREACHABLE_S, UNREACHABLE_S], [270, 0, 180], [90, 180, 0]])
    np.testing.assert_array_equal(table, expected)
    assert table.dtype == np.uint16


def test_agrees_with_networkx_on_a_random_grid():
    rng = np.random.default_rng(3)
    graph = nx.grid_2d_graph(6, 6).to_directed()
    nodes = {node: k for k, node in enumerate(graph.nodes)}
    edges = np.array([(nodes[a], nodes[b]) for a, b in graph.edges])
    seconds = rng.uniform(20, 200, size=len(edges)).round()
    network = RoadNetwork(
        node_id=np.arange(36, dtype=np.int64),
        x_m=np.array([100.0 * a for a, _ in graph.nodes]) + 390_000.0,
        y_m=np.array([100.0 * b for _, b in graph.nodes]) + 320_000.0,
        edge_source=edges[:, 0],
        edge_target=edges[:, 1],
        length_m=np.full(len(edges), 100.0),
        travel_time_s=seconds,
        road_class=np.array(["local"] * len(edges), dtype=object),
        crs="EPSG:27700",
        name="grid",
    )
    chosen = rng.choice(36, size=9, replace=False)
    weighted = nx.DiGraph()
    weighted.add_weighted_edges_from((int(a), int(b), float(s)) for (a, b), s in zip(edges, seconds, strict=True))
    table = node_travel_table(network, chosen, chunk_size=4)
    for i, a in enumerate(chosen):
        lengths = nx.single_source_dijkstra_path_length(weighted, int(a))
        np.testing.assert_array_equal(table[i], [round(lengths[int(b)]) for b in chosen])
    np.testing.assert_array_equal(node_travel_table(network, chosen, workers=2, chunk_size=2), table)


def test_cache_returns_the_same_table_and_recovers_from_a_broken_file(tmp_path, caplog):
    network, nodes = five_nodes(), np.array([0, 1, 2, 3])
    first = cached_node_travel_table(network, nodes, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("table-*.npy")
    np.testing.assert_array_equal(cached_node_travel_table(network, nodes, cache_dir=tmp_path), first)
    cached.write_bytes(b"not numpy")
    with caplog.at_level("WARNING"):
        again = cached_node_travel_table(network, nodes, cache_dir=tmp_path)
    np.testing.assert_array_equal(again, first)
    assert "unreadable" in caplog.text
    assert np.load(cached).shape == (4, 4)


def test_bad_nodes_are_refused():
    with pytest.raises(InputDataError, match="nodes must be a list of node indices below 5"):
        node_travel_table(five_nodes(), np.array([0, 7]))
