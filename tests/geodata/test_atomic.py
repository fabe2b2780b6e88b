"""The one atomic-write helper: all or nothing, with the permissions a plain open() gives."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geodata.atomic import (
    STAGING_PREFIX,
    UNOWNED_STAGING_MAX_AGE_S,
    atomic_path,
    check_run,
    move_into_place,
    normal_file_mode,
    run_record_path,
    staging_folder,
    write_text_atomic,
)
from geodata.errors import InputDataError


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


def _commit(out, files: dict[str, str], **kwargs):
    with staging_folder(out) as staging:
        for name, text in files.items():
            (staging / name).write_text(text)
        return move_into_place(staging, out, list(files), kind="plan", **kwargs)


def test_a_commit_removes_the_files_it_owns_that_it_did_not_write(tmp_path, caplog):
    """Issue 15.3: owned names and the previous run's names not written again are removed, and logged."""
    out = tmp_path / "out"
    _commit(out, {"a.csv": "1", "rejects.csv": "old"})
    (out / "report.html").write_text("an older plan's report")
    (out / "mine.txt").write_text("the user's own file")
    with caplog.at_level("INFO", logger="geodata.atomic"):
        _commit(out, {"a.csv": "2"}, owns=["report.html"])
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.csv", "mine.txt"]
    assert "rejects.csv, report.html" in caplog.text
    assert check_run(out, "plan", ["a.csv"], fix="rerun") is not None


def test_a_reader_refuses_files_from_two_runs(tmp_path):
    """Issue 15.4: a file replaced by another run's is caught by its checksum."""
    out = tmp_path / "out"
    _commit(out, {"plan.gpkg": "plan 1", "kpis.json": "kpis 1"})
    (out / "kpis.json").write_text("kpis 2")
    with pytest.raises(InputDataError, match=r"files from different runs; rerun(.|\n)*kpis.json is not the file"):
        check_run(out, "plan", ["plan.gpkg", "kpis.json"], fix="rerun")


def test_a_kill_between_renames_leaves_a_record_readers_refuse(tmp_path, monkeypatch):
    """Issue 15.4: killed after the first rename, the folder holds one new and one old file and is refused."""
    out = tmp_path / "out"
    _commit(out, {"plan.gpkg": "plan 1", "kpis.json": "kpis 1"})
    real_replace, calls = os.replace, []

    def killed_after_one_rename(source, target):
        if not Path(target).name.startswith(STAGING_PREFIX):  # the run record's own atomic writes go through
            calls.append(target)
            if len(calls) == 2:
                raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr("geodata.atomic.os.replace", killed_after_one_rename)
    with pytest.raises(KeyboardInterrupt):
        _commit(out, {"plan.gpkg": "plan 2", "kpis.json": "kpis 2"})
    assert (out / "plan.gpkg").read_text() == "plan 2" and (out / "kpis.json").read_text() == "kpis 1"
    with pytest.raises(InputDataError, match="did not finish committing its files"):
        check_run(out, "plan", ["plan.gpkg", "kpis.json"], fix="rerun")


def test_a_folder_without_a_run_record_passes_unchecked(tmp_path):
    (tmp_path / "plan.gpkg").write_text("hand-made")
    assert check_run(tmp_path, "plan", ["plan.gpkg"], fix="rerun") is None


def test_a_hostile_run_record_cannot_remove_files_outside_the_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "keep.txt").write_text("keep")
    run_record_path(out, "plan").write_text(json.dumps({"files": {"..": {}, "../keep.txt": {}}, "state": "complete"}))
    _commit(out, {"a.csv": "1"})
    assert (tmp_path / "keep.txt").read_text() == "keep"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_staging_folders_of_gone_processes_are_removed_by_the_next_run(tmp_path):
    """Issue 15.5: a killed run's staging folder is cleaned; a live one's and another host's are kept."""
    out = tmp_path / "out"
    host = socket.gethostname()
    dead = out / f"{STAGING_PREFIX}{_dead_pid()}@{host}-abc123"
    live = out / f"{STAGING_PREFIX}{os.getppid()}@{host}-def456"
    other_host = out / f"{STAGING_PREFIX}{_dead_pid()}@not-{host}-ghi789"
    old_unowned, new_unowned = out / f"{STAGING_PREFIX}k2j3h4g5", out / f"{STAGING_PREFIX}z9y8x7w6"
    for folder in (dead, live, other_host, old_unowned, new_unowned):
        (folder / "plan.gpkg").parent.mkdir(parents=True)
        (folder / "plan.gpkg").write_text("half")
    os.utime(old_unowned, (time.time() - UNOWNED_STAGING_MAX_AGE_S - 60,) * 2)
    with staging_folder(out) as staging:
        assert staging.name.startswith(f"{STAGING_PREFIX}{os.getpid()}@{host}-")
        left = {p.name for p in out.iterdir()}
    assert left == {staging.name, live.name, other_host.name, new_unowned.name}
