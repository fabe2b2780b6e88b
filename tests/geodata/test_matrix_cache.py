"""The on-disk matrix cache: hits, misses on any change, and recovery from bad files."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import geodata.matrix_cache as matrix_cache
from geodata.crs import BNG
from geodata.matrix import SnappedPoints, TravelTimeMatrix, snap_points
from geodata.matrix_cache import cached_travel_time_matrix, default_cache_dir, matrix_cache_key
from geodata.network import RoadNetwork


def line_network() -> RoadNetwork:
    """Four nodes 1 km apart on a line, two-way, 60 s per link."""
    source = np.array([0, 1, 1, 2, 2, 3], dtype=np.int64)
    target = np.array([1, 0, 2, 1, 3, 2], dtype=np.int64)
    return RoadNetwork(
        node_id=np.arange(4, dtype=np.int64),
        x_m=400_000 + 1000.0 * np.arange(4),
        y_m=np.full(4, 300_000.0),
        edge_source=source,
        edge_target=target,
        length_m=np.full(6, 1000.0),
        travel_time_s=np.full(6, 60.0),
        road_class=np.full(6, "local", dtype=object),
        crs=BNG,
        name="line",
    )


def points(network: RoadNetwork, nodes: list[int], prefix: str) -> SnappedPoints:
    return snap_points(network, [f"{prefix}{n}" for n in range(len(nodes))], network.x_m[nodes], network.y_m[nodes])


class CountingCompute:
    """Stands in for ``travel_time_matrix`` in the cache module and counts the calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self._real = matrix_cache.travel_time_matrix
        monkeypatch.setattr(matrix_cache, "travel_time_matrix", self)

    def __call__(self, *args: object, **kwargs: object) -> TravelTimeMatrix:
        self.calls += 1
        return self._real(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def compute(monkeypatch: pytest.MonkeyPatch) -> CountingCompute:
    return CountingCompute(monkeypatch)


def assert_same_matrix(left: TravelTimeMatrix, right: TravelTimeMatrix) -> None:
    assert left.cutoff_s == right.cutoff_s
    assert left.origins.ids.tolist() == right.origins.ids.tolist()
    assert left.destinations.ids.tolist() == right.destinations.ids.tolist()
    np.testing.assert_array_equal(left.origin_index, right.origin_index)
    np.testing.assert_array_equal(left.destination_index, right.destination_index)
    np.testing.assert_array_equal(left.travel_time_s, right.travel_time_s)


def test_hit_returns_equal_matrix_without_recomputing(tmp_path: Path, compute: CountingCompute) -> None:
    network = line_network()
    origins, destinations = points(network, [0, 0, 3], "o"), points(network, [1, 2, 2], "d")
    first = cached_travel_time_matrix(network, origins, destinations, cutoff_s=120, cache_dir=tmp_path)
    second = cached_travel_time_matrix(network, origins, destinations, cutoff_s=120, cache_dir=tmp_path)
    assert compute.calls == 1
    assert_same_matrix(first, second)
    assert second.travel_time_s.dtype == np.float64 and second.origin_index.dtype == np.int64
    assert [p.name for p in tmp_path.iterdir()] == [
        f"matrix-{matrix_cache_key(network, origins, destinations, cutoff_s=120)}.npz"
    ]


def test_cached_file_loads_without_pickle(tmp_path: Path, compute: CountingCompute) -> None:
    network = line_network()
    cached_travel_time_matrix(
        network, points(network, [0], "o"), points(network, [1], "d"), cutoff_s=60, cache_dir=tmp_path
    )
    (path,) = tmp_path.glob("*.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert archive["origin_ids"].dtype.kind == "U"
        assert archive["travel_time_s"].tolist() == [60.0]
        assert archive["origin_index"].dtype == archive["destination_index"].dtype == np.int32  # read back as int64


def test_changed_travel_time_misses(tmp_path: Path, compute: CountingCompute) -> None:
    network = line_network()
    origins, destinations = points(network, [0], "o"), points(network, [3], "d")
    before = cached_travel_time_matrix(network, origins, destinations, cutoff_s=600, cache_dir=tmp_path)
    slower = replace(network, travel_time_s=np.where(np.arange(6) == 2, 90.0, network.travel_time_s))
    after = cached_travel_time_matrix(slower, origins, destinations, cutoff_s=600, cache_dir=tmp_path)
    assert compute.calls == 2
    assert before.travel_time_s.tolist() == [180.0]
    assert after.travel_time_s.tolist() == [210.0]


def test_changed_point_misses(tmp_path: Path, compute: CountingCompute) -> None:
    network = line_network()
    destinations = points(network, [3], "d")
    cached_travel_time_matrix(network, points(network, [0, 1], "o"), destinations, cutoff_s=600, cache_dir=tmp_path)
    moved = cached_travel_time_matrix(
        network, points(network, [0, 2], "o"), destinations, cutoff_s=600, cache_dir=tmp_path
    )
    renamed = snap_points(network, ["o0", "other"], network.x_m[[0, 1]], network.y_m[[0, 1]])
    cached_travel_time_matrix(network, renamed, destinations, cutoff_s=600, cache_dir=tmp_path)
    assert compute.calls == 3
    assert moved.to_dense().tolist() == [[180.0], [60.0]]


def test_changed_cutoff_misses(tmp_path: Path, compute: CountingCompute) -> None:
    network = line_network()
    origins, destinations = points(network, [0], "o"), points(network, [1, 3], "d")
    short = cached_travel_time_matrix(network, origins, destinations, cutoff_s=60, cache_dir=tmp_path)
    long = cached_travel_time_matrix(network, origins, destinations, cutoff_s=180, cache_dir=tmp_path)
    assert compute.calls == 2
    assert (short.n_pairs, long.n_pairs) == (1, 2)


def test_moving_a_point_within_its_node_hits_and_reports_the_new_snap(tmp_path: Path, compute: CountingCompute) -> None:
    network = line_network()
    destinations = points(network, [1], "d")
    cached_travel_time_matrix(network, points(network, [0], "o"), destinations, cutoff_s=60, cache_dir=tmp_path)
    nudged = snap_points(network, ["o0"], [400_030.0], [300_000.0])
    matrix = cached_travel_time_matrix(network, nudged, destinations, cutoff_s=60, cache_dir=tmp_path)
    assert compute.calls == 1
    assert matrix.to_frame()["origin_snap_m"].tolist() == [30.0]


def write_garbage(path: Path) -> None:
    path.write_bytes(b"not a zip file at all")


def truncate(path: Path) -> None:
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])


def replace_with_other_archive(path: Path) -> None:
    with path.open("wb") as handle:
        np.savez(handle, key=np.array("wrong"), travel_time_s=np.array([-1.0]))


def break_values(path: Path) -> None:
    """A well-formed archive for this key whose times exceed the cutoff."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = dict(archive)
    arrays["travel_time_s"] = arrays["travel_time_s"] + 1e6
    with path.open("wb") as handle:
        np.savez(handle, **arrays)


@pytest.mark.parametrize("damage", [write_garbage, truncate, replace_with_other_archive, break_values])
def test_corrupt_file_is_logged_and_recomputed(
    tmp_path: Path, compute: CountingCompute, caplog: pytest.LogCaptureFixture, damage: Callable[[Path], None]
) -> None:
    network = line_network()
    origins, destinations = points(network, [0, 1], "o"), points(network, [2], "d")
    first = cached_travel_time_matrix(network, origins, destinations, cutoff_s=600, cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.npz")
    damage(path)
    with caplog.at_level(logging.WARNING, logger="geodata.matrix_cache"):
        again = cached_travel_time_matrix(network, origins, destinations, cutoff_s=600, cache_dir=tmp_path)
    assert compute.calls == 2
    assert_same_matrix(first, again)
    assert "ignoring unreadable" in caplog.text
    third = cached_travel_time_matrix(network, origins, destinations, cutoff_s=600, cache_dir=tmp_path)
    assert compute.calls == 2  # the recomputed matrix was stored again
    assert_same_matrix(first, third)


def test_unwritable_cache_is_logged_not_raised(
    tmp_path: Path, compute: CountingCompute, caplog: pytest.LogCaptureFixture
) -> None:
    network = line_network()
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with caplog.at_level(logging.WARNING, logger="geodata.matrix_cache"):
        matrix = cached_travel_time_matrix(
            network, points(network, [0], "o"), points(network, [1], "d"), cutoff_s=60, cache_dir=not_a_folder
        )
    assert matrix.travel_time_s.tolist() == [60.0]
    assert "could not write" in caplog.text


def test_no_temporary_files_left_behind(tmp_path: Path, compute: CountingCompute) -> None:
    network = line_network()
    cached_travel_time_matrix(
        network, points(network, [0], "o"), points(network, [1], "d"), cutoff_s=60, cache_dir=tmp_path
    )
    assert [p.suffix for p in tmp_path.iterdir()] == [".npz"]
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.iterdir())


def test_key_ignores_workers_but_not_ids_order(tmp_path: Path) -> None:
    network = line_network()
    origins = points(network, [0, 1], "o")
    swapped = snap_points(network, ["o1", "o0"], network.x_m[[0, 1]], network.y_m[[0, 1]])
    destinations = points(network, [2], "d")
    key = matrix_cache_key(network, origins, destinations, cutoff_s=60)
    assert key == matrix_cache_key(network, origins, destinations, cutoff_s=60.0)
    assert key != matrix_cache_key(network, swapped, destinations, cutoff_s=60)
    assert key != matrix_cache_key(network, destinations, origins, cutoff_s=60)


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv("HUBPLAN_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "hubplan"
