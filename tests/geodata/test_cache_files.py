"""The cache folder: sizes per kind, least-recently-used pruning to a cap, clearing, ``hubplan cache``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geodata.cache_files import (
    CAP_ENV,
    GB,
    cache_cap_bytes,
    cache_files,
    cache_usage,
    clear_cache,
    mark_used,
    prune_cache,
)
from geodata.errors import InputDataError
from geodata.matrix import snap_points
from geodata.matrix_cache import cached_travel_time_matrix
from optimiser.cli import main
from tests.geodata.networks import network_on_a_line


def _file(folder: Path, name: str, size: int, used_s: float) -> Path:
    path = folder / name
    path.write_bytes(b"x" * size)
    os.utime(path, (used_s, used_s))
    return path


@pytest.fixture
def cache(tmp_path) -> Path:
    """Three matrices and a travel table, used at times 1000, 2000, 3000 and 4000, and a file that is not ours."""
    _file(tmp_path, "matrix-a.npz", 300, 1000)
    _file(tmp_path, "table-b.npy", 500, 2000)
    _file(tmp_path, "matrix-c.npz", 200, 3000)
    _file(tmp_path, "matrix-d.npz", 100, 4000)
    _file(tmp_path, "notes.txt", 10_000, 0)
    return tmp_path


def test_usage_counts_each_kind_and_ignores_other_files(cache):
    assert cache_usage(cache) == {"matrices": (3, 600), "travel tables": (1, 500)}
    assert cache_usage(cache / "absent") == {"matrices": (0, 0), "travel tables": (0, 0)}


def test_prune_removes_least_recently_used_first_until_under_the_cap(cache):
    removed = prune_cache(cache, 400)
    assert [f.path.name for f in removed] == ["matrix-a.npz", "table-b.npy"]
    assert sorted(f.path.name for f in cache_files(cache)) == ["matrix-c.npz", "matrix-d.npz"]
    assert (cache / "notes.txt").exists()
    assert prune_cache(cache, 400) == []


def test_a_cache_hit_makes_a_file_recent_so_it_survives(cache):
    mark_used(cache / "matrix-a.npz")
    removed = prune_cache(cache, 500)
    assert [f.path.name for f in removed] == ["table-b.npy", "matrix-c.npz"]


def test_the_file_just_written_is_kept_even_over_the_cap(cache):
    removed = prune_cache(cache, 0, keep=cache / "matrix-a.npz")
    assert {f.path.name for f in removed} == {"table-b.npy", "matrix-c.npz", "matrix-d.npz"}
    assert (cache / "matrix-a.npz").exists()


def test_clear_removes_one_kind_or_all(cache):
    assert {f.path.name for f in clear_cache(cache, ("travel tables",))} == {"table-b.npy"}
    assert len(clear_cache(cache)) == 3
    assert cache_files(cache) == [] and (cache / "notes.txt").exists()
    with pytest.raises(InputDataError, match="unknown cache kind"):
        clear_cache(cache, ("pictures",))


def test_the_cap_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(CAP_ENV, "0.5")
    assert cache_cap_bytes() == GB // 2
    monkeypatch.setenv(CAP_ENV, "lots")
    with pytest.raises(InputDataError, match="not a positive number of gigabytes"):
        cache_cap_bytes()


def test_storing_a_matrix_prunes_the_cache_to_the_cap(cache, monkeypatch):
    monkeypatch.setenv(CAP_ENV, str(250 / GB))  # room for little more than the new matrix
    network = network_on_a_line([0, 1, 2, 3], [1, 2, 3, 4], [60.0, 60.0, 60.0, 60.0], name="line")
    points = snap_points(network, [f"p{k}" for k in range(5)], network.x_m, network.y_m)
    cached_travel_time_matrix(network, points, points, cutoff_s=3600.0, cache_dir=cache)
    names = {f.path.name for f in cache_files(cache)}
    assert len(names) == 1 and next(iter(names)).startswith("matrix-")  # only the new one fits


def test_cache_command_shows_prunes_and_clears(cache, monkeypatch, capsys):
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(cache))
    assert main(["cache"]) == 0
    shown = capsys.readouterr().out
    assert "matrices" in shown and "travel tables" in shown and "cap 4.00 GB" in shown
    assert main(["cache", "prune", "--max-gb", str(700 / GB)]) == 0
    assert "removed 2 file(s)" in capsys.readouterr().out
    assert main(["cache", "clear", "--kind", "matrices"]) == 0  # the two recent matrices were left
    assert "removed 2 file(s)" in capsys.readouterr().out
    assert cache_files(cache) == []
    assert main(["cache", "prune", "--max-gb", "-1"]) == 2
    assert "--max-gb -1 is not a size" in capsys.readouterr().err
