"""Write files so that a failure never leaves a half-written output behind: the one home of atomic writes.

Every output of hubplan is written to a temporary name in the folder it
belongs to and renamed into place only when complete (``os.replace`` is
atomic within one file system). Files get the permissions a plain ``open``
would give them (``0o666`` less the process umask), not the ``0o600`` of
:func:`tempfile.mkstemp`.

Commands that write several files (``optimise``, ``evaluate``, ``simulate``,
``compare``) stage them in a hidden folder inside ``--out`` and commit them
with :func:`move_into_place`, which keeps a run record (see :func:`check_run`):

1. the record ``.hubplan-run-<kind>.json`` is replaced by one in state
   ``committing`` naming the new run, its files and their SHA-256;
2. the files a command owns that this run did not write (a previous run's
   ``rejects.csv``, a report drawing an older plan) are removed, and logged;
3. the staged files are renamed into place;
4. the record is rewritten in state ``complete``.

A kill anywhere in 1-4 leaves either the old run complete or a record that
readers refuse; files from two runs never pass :func:`check_run` together.
Staging folders carry the process id and host of their owner, so the next
run in the same folder removes those a killed run left behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from geodata.errors import InputDataError

log = logging.getLogger(__name__)

#: Prefix of the staging folders that multi-file commands create inside their ``--out`` folder.
STAGING_PREFIX = ".hubplan-"
#: A staging folder's name: prefix, owner's process id ``@`` host, then :func:`tempfile.mkdtemp`'s random part.
_STAGING_NAME = re.compile(rf"^{re.escape(STAGING_PREFIX)}(?P<pid>\d+)@(?P<host>.+)-[^-]+$")
#: Staging folders of older hubplan versions name no owner; they are removed once older than this.
UNOWNED_STAGING_MAX_AGE_S = 24 * 3600.0
#: States of a run record: being committed (readers refuse it) or complete.
RUN_COMMITTING, RUN_COMPLETE = "committing", "complete"
_HASH_CHUNK_BYTES = 1 << 20


def normal_file_mode() -> int:
    """Permissions a newly created file gets from ``open``: ``0o666`` less the process umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The folder of ``path`` is created if needed. On any exception the
    temporary file is removed and ``path`` is left as it was.

    Examples
    --------
    >>> with atomic_path("out/times.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp, index=False)
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, normal_file_mode())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return ``path``."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)


@contextmanager
def staging_folder(out_dir: str | Path) -> Iterator[Path]:
    """Yield a fresh hidden folder inside ``out_dir`` (created if needed); remove it and what is left in it on exit.

    Multi-file commands write every output there and then call
    :func:`move_into_place`, so a failure part-way leaves ``out_dir`` as it was.
    Staging folders left in ``out_dir`` by processes that are gone (a killed
    run) are removed first (:func:`remove_stale_staging`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}@{socket.gethostname()}-", dir=out))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Remove the staging folders in ``out_dir`` whose owner process is gone; return them.

    A folder is stale when its owner ran on this host and no longer runs, or
    when it names no owner (older hubplan versions) and is older than
    :data:`UNOWNED_STAGING_MAX_AGE_S`. Folders of live processes and of other
    hosts are left alone.
    """
    removed = []
    for path in out_dir.glob(f"{STAGING_PREFIX}*"):
        if path.is_dir() and not path.is_symlink() and _is_stale_staging(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if removed:
        log.info("removed %d staging folder(s) left in %s by a run that was killed", len(removed), out_dir)
    return removed


def _is_stale_staging(path: Path) -> bool:
    match = _STAGING_NAME.match(path.name)
    if match is None:
        try:
            return time.time() - path.stat().st_mtime > UNOWNED_STAGING_MAX_AGE_S
        except FileNotFoundError:
            return False
    if match["host"] != socket.gethostname():
        return False
    return not _process_alive(int(match["pid"]))


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def run_record_path(out_dir: str | Path, kind: str) -> Path:
    """Where the run record of a ``kind`` of output (``plan``, ``evaluation``, ...) lives in ``out_dir``."""
    return Path(out_dir) / f"{STAGING_PREFIX}run-{kind}.json"


def move_into_place(
    staging: Path, out_dir: str | Path, names: Iterable[str], *, kind: str | None = None, owns: Iterable[str] = ()
) -> list[Path]:
    """Rename each of ``names`` (files or folders) from ``staging`` into ``out_dir``, replacing what is there.

    Staged files get normal permissions (see :func:`normal_file_mode`).
    With ``kind``, the move is one commit (see the module docstring): a run
    record lists the files and their SHA-256, and every name in ``owns`` or
    in the previous run record of this ``kind`` that this run did not write
    is removed from ``out_dir`` (logged), so no stale file is left beside
    the new ones. Returns the paths in ``out_dir``.
    """
    out = Path(out_dir)
    names = list(names)
    record = None
    if kind is not None:
        record = _new_record(staging, kind, names)
        stale = (set(owns) | set(_previous_names(out, kind))) - set(names)
        _write_record(out, kind, {**record, "state": RUN_COMMITTING})
        _remove_stale(out, sorted(stale))
    mode = normal_file_mode()
    moved = []
    for name in names:
        source, target = staging / name, out / name
        if source.is_file():
            os.chmod(source, mode)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(source, target)
        moved.append(target)
    if kind is not None and record is not None:
        _write_record(out, kind, {**record, "state": RUN_COMPLETE})
    return moved


def check_run(out_dir: str | Path, kind: str, names: Iterable[str], *, fix: str) -> str | None:
    """Check that ``names`` in ``out_dir`` are the files of one complete run; return its id.

    Folders without a run record (written by hubplan before run records, or
    assembled by hand) pass unchecked and give ``None``.

    Raises
    ------
    InputDataError
        If the last run was interrupted (or is still being committed), or a
        file differs from the one its run wrote (files from different runs),
        naming the files and ``fix``.
    """
    out = Path(out_dir)
    record = _read_record(out, kind, fix=fix)
    if record is None:
        return None
    if record.get("state") != RUN_COMPLETE:
        raise InputDataError(
            f"holds a run that did not finish committing its files (run {record.get('run_id')}, process "
            f"{record.get('pid')}): it was interrupted or is still being written; {fix}",
            source=str(out),
        )
    files = record.get("files", {})
    problems = [
        f"{name} is not the file run {record.get('run_id')} wrote (it comes from another run or was edited)"
        for name in names
        if name in files and "sha256" in files[name] and _sha256(out / name) != files[name]["sha256"]
    ]
    problems += [f"{name} is not a file of run {record.get('run_id')}" for name in names if name not in files]
    if problems:
        raise InputDataError(f"holds files from different runs; {fix}", source=str(out), problems=problems)
    return str(record.get("run_id"))


def _new_record(staging: Path, kind: str, names: list[str]) -> dict:
    files = {}
    for name in names:
        path = staging / name
        files[name] = {"sha256": _sha256(path), "bytes": path.stat().st_size} if path.is_file() else {"folder": True}
    return {
        "kind": kind,
        "run_id": uuid.uuid4().hex,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "written_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": files,
    }


def _write_record(out: Path, kind: str, record: dict) -> None:
    write_text_atomic(run_record_path(out, kind), json.dumps(record, indent=2) + "\n")


def _read_record(out: Path, kind: str, *, fix: str) -> dict | None:
    path = run_record_path(out, kind)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise InputDataError(f"is not a readable run record ({error}); {fix}", source=str(path)) from error
    if not isinstance(record, dict) or not isinstance(record.get("files"), dict):
        raise InputDataError(f"is not a run record written by hubplan; {fix}", source=str(path))
    return record


def _previous_names(out: Path, kind: str) -> list[str]:
    try:
        record = _read_record(out, kind, fix="")
    except InputDataError:
        return []
    names = (record or {}).get("files", {})
    return [name for name in names if isinstance(name, str) and name not in {"", ".", ".."} and Path(name).name == name]


def _remove_stale(out: Path, names: list[str]) -> None:
    removed = []
    for name in names:
        path = out / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(name)
    if removed:
        log.info("removed from %s what an earlier run wrote and this one did not: %s", out, ", ".join(removed))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
