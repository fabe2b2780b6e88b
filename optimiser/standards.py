"""Response standard files: the shipped ones by name, or any file, read into :class:`models.standards.ResponseStandard`.

hubplan ships two standards in ``optimiser/standards/``: ``force-2018`` (the
force's 15 and 60 minutes everywhere) and ``national`` (the Home Office's
Grade 1 15 minutes urban, 20 rural). A scenario names one
(``standard = "force-2018"``, the default); ``--standard NAME|FILE`` overrides
it on every command. :func:`other_standard` is the shipped standard a figure
is also reported under, so every output carries both.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from geodata.errors import InputDataError
from models.standards import ResponseStandard, standard_from_dict

#: Folder of the shipped standard files (package data).
SHIPPED_DIR = Path(__file__).resolve().parent / "standards"
#: The standard a scenario uses when it names none.
DEFAULT_STANDARD = "force-2018"
#: The standard every figure is also reported under when the plan's own is the default.
NATIONAL_STANDARD = "national"


def shipped_standards() -> dict[str, Path]:
    """``{name: file}`` of the standards shipped with hubplan."""
    return {path.stem: path for path in sorted(SHIPPED_DIR.glob("*.toml"))}


def load_standard(name_or_path: str, *, folder: Path | None = None) -> ResponseStandard:
    """Read a shipped standard by name, or a standard file (relative paths resolve from ``folder``).

    Raises
    ------
    InputDataError
        When the name is neither shipped nor a file (listing the shipped names), or the file is not TOML.
    ModelInputError
        When the file is not a valid standard (naming the file and each field).
    """
    shipped = shipped_standards()
    if name_or_path in shipped:
        return read_standard_file(shipped[name_or_path])
    path = Path(name_or_path)
    if folder is not None and not path.is_absolute() and not path.is_file():
        path = folder / path
    if not path.is_file():
        raise InputDataError(
            f"is neither a shipped response standard nor a file; shipped standards: {', '.join(shipped)} "
            "(or give the path of a standard TOML file, see optimiser/standards/)",
            source=f"standard {name_or_path!r}",
        )
    return read_standard_file(path)


def read_standard_file(path: Path) -> ResponseStandard:
    """Parse one standard TOML file (schema in :mod:`models.standards`)."""
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise InputDataError(f"is not valid TOML: {error}", source=str(path)) from None
    return standard_from_dict(raw, source=str(path))


def other_standard(standard: ResponseStandard) -> ResponseStandard:
    """The shipped standard a plan is also reported under: ``national`` for any other, ``force-2018`` for it."""
    other = DEFAULT_STANDARD if standard.name == NATIONAL_STANDARD else NATIONAL_STANDARD
    return load_standard(other)
