"""The exception family raised by ``geodata`` for bad input."""

from __future__ import annotations

from collections.abc import Sequence


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
