"""The exception family raised by ``models`` for unusable input or settings."""

from __future__ import annotations

from collections.abc import Sequence

#: Largest number of individual problems spelled out in one message.
MAX_PROBLEMS_SHOWN = 20


class ModelInputError(ValueError):
    """An instance or a setting the optimiser cannot use, naming what to fix.

    Validators collect every problem first and raise once, so one message
    lists all of them.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    setting
        The field or setting the problem was found in, for example
        ``"CoverageParams.equity_floor_share"`` or ``"CoverageInstance.locations_per_base"``.
    problems
        Individual problems (one per base, group, node...) when several were found.
    """

    def __init__(self, message: str, *, setting: str | None = None, problems: Sequence[str] = ()) -> None:
        self.setting = setting
        self.problems = tuple(problems)
        text = f"{setting}: {message}" if setting else message
        if self.problems:
            shown = "\n".join(f"  - {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN])
            more = len(self.problems) - MAX_PROBLEMS_SHOWN
            text = f"{text}\n{shown}" + (f"\n  ... and {more} more" if more > 0 else "")
        super().__init__(text)


def raise_if_problems(problems: Sequence[str], message: str, *, setting: str | None = None) -> None:
    """Raise one :class:`ModelInputError` listing ``problems``, if there are any.

    Parameters
    ----------
    problems
        The problems a validator collected; nothing happens when empty.
    message
        The headline of the error.
    setting
        The field or setting at fault.

    Raises
    ------
    ModelInputError
        When ``problems`` is not empty.
    """
    if problems:
        raise ModelInputError(message, setting=setting, problems=problems)
