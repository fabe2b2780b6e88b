"""GitHub-flavoured markdown tables for the reports (``comparison.md``, ``summary.md``)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def markdown_row(cells: Iterable[object]) -> str:
    """One table row; ``|`` in a cell is escaped and line breaks become spaces."""
    return "| " + " | ".join(_escape(str(cell)) for cell in cells) + " |"


def markdown_header(columns: Iterable[object]) -> list[str]:
    """The header row and the separator row."""
    names = list(columns)
    return [markdown_row(names), "|" + "---|" * len(names)]


def markdown_frame(table: pd.DataFrame) -> str:
    """The whole frame as a table (no index), ending with a line break."""
    lines = markdown_header(table.columns)
    lines += [markdown_row(row) for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
