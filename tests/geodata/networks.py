"""Tiny hand-built road networks with known answers, shared by the geodata tests."""

from __future__ import annotations

import numpy as np

from geodata.network import RoadNetwork


def network_on_a_line(
    source: list[int], target: list[int], seconds: list[float], *, road_class: list[str] | None = None, name: str
) -> RoadNetwork:
    """Five nodes 1 km apart on an east-west line near Stafford (BNG), joined by the given directed edges."""
    n_edges = len(source)
    return RoadNetwork(
        node_id=np.arange(5, dtype=np.int64),
        x_m=1000.0 * np.arange(5) + 390_000.0,
        y_m=np.full(5, 320_000.0),
        edge_source=np.array(source),
        edge_target=np.array(target),
        length_m=np.full(n_edges, 1000.0),
        travel_time_s=np.array(seconds, dtype=float),
        road_class=np.array(road_class or ["local"] * n_edges, dtype=object),
        crs="EPSG:27700",
        name=name,
    )
