"""Write files so that a failure never leaves a half-written output behind: the one home of atomic writes.

Every output of hubplan is written to a temporary name in the folder it
belongs to and renamed into place only when complete (``os.replace`` is
atomic within one file system). Files get the permissions a plain ``open``
would give them (``0o666`` less the process umask), not the ``0o600`` of
:func:`tempfile.mkstemp`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: Prefix of the staging folders that multi-file commands create inside their ``--out`` folder.
STAGING_PREFIX = ".hubplan-"


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
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def move_into_place(staging: Path, out_dir: str | Path, names: Iterable[str]) -> list[Path]:
    """Rename each of ``names`` (files or folders) from ``staging`` into ``out_dir``, replacing what is there.

    Staged files get normal permissions (see :func:`normal_file_mode`).
    Returns the paths in ``out_dir``.
    """
    out = Path(out_dir)
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
    return moved
