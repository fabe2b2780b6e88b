"""Benchmark of travel-time matrices: hubplan's chunked csgraph engine against a networkx loop.

Run as ``python -m bench.bench_matrix`` (``--help`` for options). Not a test:
it prints one table and asserts nothing. Timings depend on the machine; the
goals are stated in the table so a run shows whether they are met.

Example::

    python -m bench.bench_matrix --nodes 100000 --sources 2000 --destinations 3000
    python -m bench.bench_matrix --network default
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import networkx as nx
import numpy as np

from geodata.crs import BNG
from geodata.matrix import SnappedPoints, snap_points, travel_time_matrix
from geodata.network import RoadNetwork

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Speed (km/h) and share of grid lines for each synthetic road class, fastest first.
#: A grid line is the arterial of the first class whose spacing divides its index.
ARTERIAL_EVERY = {"motorway": (105.0, 97), "trunk": (80.0, 41), "primary": (65.0, 13), "secondary": (50.0, 5)}
#: Local roads: class, speed (km/h) and share of the remaining edges.
LOCAL_MIX = (("tertiary", 40.0, 0.25), ("residential", 30.0, 0.55), ("unclassified", 25.0, 0.20))
GRID_SPACING_M = 170.0
#: South-west corner of the synthetic grid, BNG metres (roughly south Staffordshire).
ORIGIN_BNG_M = (370_000.0, 290_000.0)

GOAL_SECONDS = 10.0
GOAL_SPEEDUP = 30.0
GOAL_TIME = f"<= {GOAL_SECONDS:g} s (2,000 sources, 100k nodes)"


# --------------------------------------------------------------------------- the synthetic network


def synthetic_road_network(n_nodes: int, seed: int) -> RoadNetwork:
    """Build a seeded road-like network of about ``n_nodes`` nodes in BNG coordinates.

    A jittered square grid ``GRID_SPACING_M`` apart; a fifth of the local grid
    edges are dropped (so blocks vary in size) and 3 % of the rest are one-way.
    Every few grid lines is an arterial (secondary, primary, trunk, motorway)
    that is never dropped; local edges take a seeded random class mix. Only the
    largest connected component is kept, so the node count is a little lower
    than asked.

    Parameters
    ----------
    n_nodes
        Approximate number of nodes (the grid side is ``ceil(sqrt(n_nodes))``).
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same network.
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_nodes)))
    row, col = np.divmod(np.arange(side * side), side)
    x_m = ORIGIN_BNG_M[0] + (col + rng.uniform(-0.3, 0.3, row.size)) * GRID_SPACING_M
    y_m = ORIGIN_BNG_M[1] + (row + rng.uniform(-0.3, 0.3, row.size)) * GRID_SPACING_M
    source, target, line = _grid_edges(side)
    road_class, speed_kph = _edge_classes(line, rng)
    keep = (road_class != "local") | (rng.random(source.size) >= 0.2)
    road_class[road_class == "local"], speed_kph[speed_kph == 0] = _local_mix(int((speed_kph == 0).sum()), rng)
    source, target, road_class, speed_kph = source[keep], target[keep], road_class[keep], speed_kph[keep]
    one_way = np.isin(road_class, [c for c, _, _ in LOCAL_MIX]) & (rng.random(source.size) < 0.03)
    both = ~one_way
    source, target = np.concatenate([source, target[both]]), np.concatenate([target, source[both]])
    road_class, speed_kph = np.concatenate([road_class, road_class[both]]), np.concatenate([speed_kph, speed_kph[both]])
    length_m = np.hypot(x_m[target] - x_m[source], y_m[target] - y_m[source])
    return _largest_component(
        RoadNetwork(
            node_id=np.arange(side * side, dtype=np.int64),
            x_m=x_m,
            y_m=y_m,
            edge_source=source,
            edge_target=target,
            length_m=length_m,
            travel_time_s=length_m / (speed_kph / 3.6),
            road_class=road_class,
            crs=BNG,
            name=f"synthetic grid {side}x{side}, seed {seed}",
        )
    )


def _grid_edges(side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected grid edges once each, with the index of the grid line they lie on."""
    node = np.arange(side * side).reshape(side, side)
    east = (node[:, :-1].ravel(), node[:, 1:].ravel(), np.repeat(np.arange(side), side - 1))
    north = (node[:-1, :].ravel(), node[1:, :].ravel(), np.tile(np.arange(side), side - 1))
    return tuple(np.concatenate(pair) for pair in zip(east, north, strict=True))  # type: ignore[return-value]


def _edge_classes(line: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Arterial class and speed by grid line; "local" with speed 0 for the rest."""
    road_class = np.full(line.size, "local", dtype=object)
    speed_kph = np.zeros(line.size)
    offset = int(rng.integers(0, 5))
    for cls, (speed, every) in ARTERIAL_EVERY.items():
        on_line = ((line + offset) % every == 0) & (speed_kph == 0)
        road_class[on_line], speed_kph[on_line] = cls, speed
    return road_class, speed_kph


def _local_mix(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    classes = np.array([c for c, _, _ in LOCAL_MIX], dtype=object)
    speeds = np.array([s for _, s, _ in LOCAL_MIX])
    pick = rng.choice(len(LOCAL_MIX), size=n, p=[p for _, _, p in LOCAL_MIX])
    return classes[pick], speeds[pick] * rng.uniform(0.85, 1.15, n)


def _largest_component(network: RoadNetwork) -> RoadNetwork:
    """Keep the largest strongly connected component, renumbering node indices."""
    from scipy.sparse.csgraph import connected_components

    _, label = connected_components(network.csgraph, directed=True, connection="strong")
    keep_node = label == np.bincount(label).argmax()
    new_index = np.cumsum(keep_node) - 1
    keep_edge = keep_node[network.edge_source] & keep_node[network.edge_target]
    return RoadNetwork(
        node_id=network.node_id[keep_node],
        x_m=network.x_m[keep_node],
        y_m=network.y_m[keep_node],
        edge_source=new_index[network.edge_source[keep_edge]],
        edge_target=new_index[network.edge_target[keep_edge]],
        length_m=network.length_m[keep_edge],
        travel_time_s=network.travel_time_s[keep_edge],
        road_class=network.road_class[keep_edge],
        crs=network.crs,
        name=network.name,
    )


def load_network(spec: str, *, n_nodes: int, seed: int) -> RoadNetwork:
    """The network to benchmark: ``"synthetic"`` or ``"default"`` (the embedded modelled network)."""
    if spec == "default":
        return build_default_network_hook()
    if spec == "synthetic":
        return synthetic_road_network(n_nodes, seed)
    raise SystemExit(f"--network must be 'synthetic' or 'default', got {spec!r}")


def build_default_network_hook() -> RoadNetwork:
    """Hook for ``--network default``: the embedded modelled network, once ``geodata.modelled`` exists."""
    from geodata.modelled import build_default_network  # type: ignore[import-not-found]

    return build_default_network()  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    what: str
    value: str
    goal: str = ""


def timed(function: Callable[[], T]) -> tuple[T, float]:
    """Call ``function`` and return its result and wall-clock seconds."""
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (``ru_maxrss``; KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_rss_mib() -> float:
    """Largest peak resident memory of any finished worker process."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def random_points(network: RoadNetwork, n: int, prefix: str, rng: np.random.Generator) -> SnappedPoints:
    """``n`` points scattered within 100 m of random snappable nodes, snapped back to the network."""
    nodes = np.arange(network.n_nodes) if network.snappable is None else np.flatnonzero(network.snappable)
    at = rng.choice(nodes, size=min(n, nodes.size), replace=False)
    x_m = network.x_m[at] + rng.uniform(-100, 100, at.size)
    y_m = network.y_m[at] + rng.uniform(-100, 100, at.size)
    return snap_points(network, [f"{prefix}{i}" for i in range(at.size)], x_m, y_m)


def networkx_matrix_s(
    network: RoadNetwork, origins: SnappedPoints, destinations: SnappedPoints, cutoff_s: float
) -> float:
    """Seconds for a networkx ``single_source_dijkstra`` loop with cutoff, picking the destination nodes."""
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(
        zip(network.edge_source.tolist(), network.edge_target.tolist(), network.travel_time_s.tolist(), strict=True),
        weight="travel_time_s",
    )
    wanted = set(destinations.node_index.tolist())
    started = time.perf_counter()
    for node in origins.node_index.tolist():
        times, _ = nx.single_source_dijkstra(graph, node, cutoff=cutoff_s, weight="travel_time_s")
        _ = {d: times[d] for d in wanted if d in times}
    return time.perf_counter() - started


def measure(args: argparse.Namespace) -> list[Row]:
    """Run every measurement and return the table rows."""
    network, build_s = timed(lambda: load_network(args.network, n_nodes=args.nodes, seed=args.seed))
    rng = np.random.default_rng(args.seed + 1)
    origins = random_points(network, args.sources, "o", rng)
    destinations = random_points(network, args.destinations, "d", rng)
    cutoff_s = args.cutoff_min * 60.0
    _ = network.csgraph
    rows = [
        Row("machine", f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before the run"),
        Row("network", f"{network.name}: {network.n_nodes:,} nodes, {network.n_edges:,} edges"),
        Row("network build", f"{build_s:.1f} s"),
        Row("matrix", f"{len(origins):,} sources x {len(destinations):,} destinations, cutoff {args.cutoff_min:g} min"),
    ]
    rows.extend(compare_workers(network, origins, destinations, cutoff_s))
    rows.append(Row("peak memory, main process", f"{peak_rss_mib():,.0f} MiB (ru_maxrss, before networkx)"))
    rows.append(Row("peak memory, largest worker", f"{children_peak_rss_mib():,.0f} MiB (ru_maxrss)"))
    rows.extend(compare_networkx(network, origins, destinations, cutoff_s, n_subset=args.subset))
    return rows


def compare_workers(
    network: RoadNetwork, origins: SnappedPoints, destinations: SnappedPoints, cutoff_s: float
) -> list[Row]:
    """Time the full matrix with one and two worker processes, and check they agree."""
    single, single_s = timed(lambda: travel_time_matrix(network, origins, destinations, cutoff_s=cutoff_s))
    pooled, pooled_s = timed(lambda: travel_time_matrix(network, origins, destinations, cutoff_s=cutoff_s, workers=2))
    same = all(
        np.array_equal(getattr(single, name), getattr(pooled, name))
        for name in ("origin_index", "destination_index", "travel_time_s")
    )
    share = single.n_pairs / max(len(origins) * len(destinations), 1)
    return [
        Row("hubplan, workers=1", f"{single_s:.1f} s, {single.n_pairs:,} pairs ({share:.1%} of all)", GOAL_TIME),
        Row("hubplan, workers=2", f"{pooled_s:.1f} s ({single_s / pooled_s:.2f}x workers=1)", GOAL_TIME),
        Row("workers=2 identical to workers=1", str(same)),
    ]


def compare_networkx(
    network: RoadNetwork, origins: SnappedPoints, destinations: SnappedPoints, cutoff_s: float, *, n_subset: int
) -> list[Row]:
    """Time networkx and hubplan on the same first ``n_subset`` sources, in this run."""
    fields = ("ids", "x_m", "y_m", "node_index", "snap_distance_m")
    subset = SnappedPoints(*(getattr(origins, name)[:n_subset] for name in fields))
    nx_s = networkx_matrix_s(network, subset, destinations, cutoff_s)
    _, hub_s = timed(lambda: travel_time_matrix(network, subset, destinations, cutoff_s=cutoff_s))
    return [
        Row(f"networkx loop, {len(subset)} sources", f"{nx_s:.2f} s"),
        Row(f"hubplan, {len(subset)} sources", f"{hub_s:.2f} s"),
        Row("speed-up networkx / hubplan", f"{nx_s / hub_s:.1f}x", f">= {GOAL_SPEEDUP:g}x"),
    ]


def print_table(rows: Sequence[Row]) -> None:
    """Print the rows as an aligned plain-text table (this is a script: printing is its output)."""
    header = Row("measure", "result", "goal")
    widths = [max(len(getattr(r, f)) for r in (header, *rows)) for f in ("what", "value", "goal")]
    line = "  ".join("-" * w for w in widths)
    for i, row in enumerate((header, *rows)):
        print(
            "  ".join(getattr(row, f).ljust(w) for f, w in zip(("what", "value", "goal"), widths, strict=True)).rstrip()
        )
        if i == 0:
            print(line)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_matrix",
        description=__doc__.split("\n\n")[0],
        epilog="example: python -m bench.bench_matrix --nodes 20000 --sources 200",
    )
    parser.add_argument("--network", default="synthetic", help="'synthetic' (default) or 'default' (embedded network)")
    parser.add_argument("--nodes", type=int, default=100_000, help="synthetic network size (default 100,000)")
    parser.add_argument("--sources", type=int, default=2_000, help="origins (default 2,000)")
    parser.add_argument("--destinations", type=int, default=3_000, help="destination points (default 3,000)")
    parser.add_argument("--cutoff-min", type=float, default=60.0, help="cutoff in minutes (default 60)")
    parser.add_argument("--subset", type=int, default=20, help="sources for the networkx comparison (default 20)")
    parser.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    print_table(measure(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
