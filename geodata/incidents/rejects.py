"""Rejected rows: one row per bad line with its first reason, every problem, and the row as the file gave it."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geodata.cells import Finding, as_string, holds_any
from geodata.incidents.batches import Batch

#: Row-level reject reasons; a row with several problems is filed under the first.
REASONS = (
    "malformed_row",
    "missing_id",
    "duplicate_id",
    "bad_timestamp",
    "unknown_grade",
    "missing_location",
    "bad_coordinates",
    "unknown_postcode",
    "outside_force_area",
    "bad_attendance",
)
REJECT_COLUMNS = ("line", "id", "reason", "detail", "raw")


def reject_messages(rejects: pd.DataFrame, *, line_unit: str) -> list[str]:
    """One message per rejected row, as both ``hubplan optimise`` and ``hubplan evaluate`` show it.

    Parameters
    ----------
    rejects
        Reject rows (at least ``line`` and ``detail``), e.g. :attr:`IncidentChunk.rejects`.
    line_unit
        ``"line"`` (CSV) or ``"row"`` (Parquet): :attr:`IncidentFileInfo.line_unit`.

    Returns
    -------
    list[str]
        ``"<line_unit> <n>: <detail>"``, e.g. ``"row 3: grade '7' is not 1, 2 or 3 (...)"``.
    """
    return [f"{line_unit} {line}: {detail}" for line, detail in zip(rejects["line"], rejects["detail"], strict=True)]


def reject_frame(
    table: pa.Table,
    line: np.ndarray,
    ids: pa.Array,
    findings: list[Finding],
    rejected: np.ndarray,
    batch: Batch,
) -> pd.DataFrame:
    """One row per rejected line, in line order: first reason, every problem, and the raw row."""
    rows = np.flatnonzero(rejected)
    order = {reason: k for k, reason in enumerate(REASONS)}
    reason = np.full(len(rows), len(REASONS) - 1, dtype=np.int64)
    details: list[pa.Array] = []
    for finding in sorted(findings, key=lambda f: order[f.reason]):
        at = np.searchsorted(rows, finding.rows)
        reason[at] = np.minimum(reason[at], order[finding.reason])
        source = pa.array([finding.detail]) if isinstance(finding.detail, str) else finding.detail
        index = np.full(len(rows), -1, np.int64)
        index[at] = 0 if isinstance(finding.detail, str) else np.arange(len(at))
        details.append(source.take(pa.array(index, mask=index < 0)))
    detail = pc.binary_join_element_wise(*details, "; ", null_handling="skip") if details else pa.array([], pa.string())
    taken = pa.array(rows, pa.int64())
    frame = pd.DataFrame(
        {
            "line": line[rows],
            "id": ids.take(taken).to_pandas(),
            "reason": pa.array(REASONS).take(pa.array(reason)).to_pandas(),
            "detail": detail.to_pandas(),
            "raw": _raw_rows(table, rows).to_pandas(),
        }
    )
    if len(batch.bad_line):
        n_fields = table.num_columns
        malformed = pd.DataFrame(
            {
                "line": batch.bad_line,
                "id": "",
                "reason": "malformed_row",
                "detail": [
                    f"has {_field_count(text)} field(s) but the header has {n_fields}; quote values that contain "
                    "commas, or fix the line"
                    for text in batch.bad_text
                ],
                "raw": batch.bad_text,
            }
        )
        malformed = malformed[[bool(text.strip()) for text in batch.bad_text]]  # spaces-only lines are blank
        frame = pd.concat([frame, malformed], ignore_index=True).sort_values("line", kind="stable")
    frame = frame.reset_index(drop=True).astype({"line": np.int64})
    return frame.astype({name: "str" for name in ("id", "reason", "detail", "raw")})


def _field_count(text: str) -> int:
    return len(next(csv.reader([text.replace("\r", "").replace("\n", " ")]), []))


def _raw_rows(table: pa.Table, rows: np.ndarray) -> pa.Array:
    """The rows as CSV text in the file's column order (quoted where needed)."""
    if not len(rows):
        return pa.array([], pa.string())
    taken = table.take(pa.array(rows, pa.int64()))
    cells = []
    for column in taken.columns:
        text = pc.fill_null(as_string(column.combine_chunks()), "")
        if holds_any(text, (b'"', b",", b"\r", b"\n")):
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
            text = pc.if_else(pc.match_substring_regex(text, '[",\r\n]'), quoted, text)
        cells.append(text)
    return pc.binary_join_element_wise(*cells, ",")
