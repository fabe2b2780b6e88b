"""Candidate generation: fast-road junctions, hotspots, and the minimum spacing."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import pdist

from geodata import candidates
from geodata.network import RoadNetwork


def star_network() -> RoadNetwork:
    """Node 0 meets an A-road by an access link; nodes 2 and 4 lie on a primary road; node 3 is a motorway node."""
    x = np.array([390_000.0, 390_100.0, 395_000.0, 390_050.0, 392_000.0])
    y = np.array([320_000.0, 320_000.0, 320_000.0, 320_050.0, 320_000.0])
    source = np.array([0, 1, 0, 3, 4, 2])
    target = np.array([1, 2, 3, 4, 2, 4])
    road_class = np.array(["local", "local", "access", "motorway", "primary", "local"], dtype=object)
    return RoadNetwork(
        node_id=np.arange(5),
        x_m=x,
        y_m=y,
        edge_source=source,
        edge_target=target,
        length_m=np.full(6, 100.0),
        travel_time_s=np.full(6, 10.0),
        road_class=road_class,
        crs="EPSG:27700",
        snappable=np.array([True, True, True, False, True]),
    )


def test_junction_candidates_are_snappable_fast_road_nodes():
    found = candidates.junction_candidates(star_network(), min_spacing_m=10.0)
    xy = set(zip(found["x_m"], found["y_m"], strict=True))
    assert xy == {(390_000.0, 320_000.0), (395_000.0, 320_000.0), (392_000.0, 320_000.0)}  # nodes 0, 2, 4
    assert (found["kind"] == "junction").all() and found["name"].str.startswith("junction near ").all()


def test_spacing_drops_the_lower_ranked_of_two_close_junctions():
    found = candidates.junction_candidates(star_network(), min_spacing_m=2_500.0)
    assert list(found["x_m"]) == [390_000.0, 395_000.0]  # node 4 lies 2 km from node 0, which ranks first


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(50.0, 2_000.0))
def test_thinning_keeps_points_apart_and_leaves_no_point_uncovered(seed, spacing_m):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10_000, size=(200, 2))
    kept = candidates._thin(xy[:, 0], xy[:, 1], spacing_m)
    if kept.size > 1:
        assert pdist(xy[kept]).min() >= spacing_m
    nearest = np.hypot(*(xy[:, None, :] - xy[kept][None, :, :]).transpose(2, 0, 1)).min(axis=1)
    assert (nearest <= spacing_m).all()  # every dropped point has a kept point within the spacing
    assert kept[0] == 0  # the highest-priority point is always kept


def test_hotspots_take_the_heaviest_points_away_from_junctions():
    x = np.array([0.0, 100.0, 5_000.0, 10_000.0])
    y = np.zeros(4)
    weight = np.array([10.0, 9.0, 5.0, 1.0])
    found = candidates.hotspot_candidates(
        x + 390_000,
        y + 320_000,
        weight,
        count=2,
        min_spacing_m=500.0,
        avoid_x_m=np.array([395_000.0]),
        avoid_y_m=np.array([320_000.0]),
    )
    assert list(found["x_m"]) == [390_000.0, 400_000.0]
