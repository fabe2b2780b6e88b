"""The one atomic-write helper: all or nothing, with the permissions a plain open() gives."""

from __future__ import annotations

import os
import stat

import pytest

from geodata.atomic import atomic_path, move_into_place, normal_file_mode, staging_folder, write_text_atomic


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_written_file_has_normal_permissions(tmp_path, umask_022):
    path = write_text_atomic(tmp_path / "sub" / "a.txt", "hello")
    assert path.read_text() == "hello"
    assert mode(path) == 0o644 == normal_file_mode()


def test_a_failed_block_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_staged_files_and_folders_replace_the_old_ones(tmp_path, umask_022):
    out = tmp_path / "out"
    (out / "plan").mkdir(parents=True)
    (out / "plan" / "stale.txt").write_text("old")
    with staging_folder(out) as staging:
        (staging / "kpis.json").write_text("{}")
        (staging / "plan").mkdir()
        (staging / "plan" / "new.txt").write_text("new")
        moved = move_into_place(staging, out, ["kpis.json", "plan"])
    assert moved == [out / "kpis.json", out / "plan"]
    assert sorted(p.name for p in out.iterdir()) == ["kpis.json", "plan"]
    assert [p.name for p in (out / "plan").iterdir()] == ["new.txt"]
    assert mode(out / "kpis.json") == 0o644


def test_a_failure_before_the_move_leaves_out_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "kpis.json").write_text("old")
    with pytest.raises(ValueError, match="solver failed"), staging_folder(out) as staging:
        (staging / "kpis.json").write_text("new")
        raise ValueError("solver failed")
    assert [p.name for p in out.iterdir()] == ["kpis.json"]
    assert (out / "kpis.json").read_text() == "old"
