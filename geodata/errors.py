"""The exception family raised by ``geodata`` for bad input."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class InputDataError(ValueError):
    """Input that cannot be used, with where it came from and how to fix it.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    source
        The file, table or parameter the problem was found in.
    problems
        Further individual problems (one per row or field) when a validator
        collected several before raising.
    """

    def __init__(self, message: str, *, source: str | None = None, problems: Sequence[str] = ()) -> None:
        self.source = source
        self.problems = tuple(problems)
        text = f"{source}: {message}" if source else message
        if self.problems:
            shown = "\n".join(f"  - {p}" for p in self.problems[:20])
            more = len(self.problems) - 20
            text = f"{text}\n{shown}" + (f"\n  ... and {more} more" if more > 0 else "")
        super().__init__(text)


class NetworkSourceError(InputDataError):
    """A road network could not be obtained from the requested source."""


def require_file(path: Path, *, what: str, fix: str = "check the path") -> None:
    """Raise :class:`InputDataError` unless ``path`` is an existing file.

    A folder where a file is expected is named as a folder, not reported as
    missing. ``what`` names the file ("scenario file"); ``fix`` says what to do.
    """
    if path.is_file():
        return
    if path.is_dir():
        raise InputDataError(f"is a folder, not a {what}; give the {what} inside it", source=str(path))
    raise InputDataError(f"no such {what}; {fix}", source=str(path))


def refuse_other_delimiter(header: Sequence[str], *, source: str) -> None:
    """Raise :class:`InputDataError` if a CSV header read with commas looks separated by semicolons or tabs.

    Spreadsheets in many locales save "CSV" with semicolons; read with
    commas, the whole header becomes one column, which would otherwise be
    reported as missing columns.
    """
    if len(header) != 1:
        return
    for name, delimiter in (("semicolon", ";"), ("tab", "\t")):
        if delimiter in header[0]:
            raise InputDataError(
                f"is {name}-separated (header {header[0][:80]!r}); hubplan reads comma-separated CSV: save it "
                "again as CSV with commas (in Excel: CSV UTF-8 (Comma delimited))",
                source=source,
            )
