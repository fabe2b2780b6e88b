"""Raw rows of an incident file in batches, each row with the line (CSV) or row (Parquet) a user sees.

CSV goes through pyarrow's streaming reader and Parquet by record batches, so
memory grows with the batch, not with the file. CSV lines count as in an
editor: the header is line 1, blank lines count, and a quoted value spanning
lines counts every line. Parquet rows are numbered from 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from geodata.cells import holds_any
from geodata.errors import InputDataError
from geodata.incidents.schema import csv_header

#: Bytes the CSV reader parses at a time.
CSV_BLOCK_BYTES = 1 << 20


@dataclass
class Batch:
    """Rows of the file (every column, in file order) with their lines, and malformed lines among them."""

    table: pa.Table
    line: np.ndarray
    bad_line: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    bad_text: list[str] = field(default_factory=list)

    @staticmethod
    def empty(n_columns: int) -> Batch:
        """A batch without rows."""
        names = [f"c{i}" for i in range(n_columns)]
        return Batch(pa.table({name: pa.array([], pa.string()) for name in names}), np.empty(0, np.int64))


def csv_batches(path: Path) -> Iterator[Batch]:
    """Stream a CSV as string columns; malformed rows (wrong field count) are kept aside with their lines.

    pyarrow numbers records (header = 1) for rows it cannot parse; a record's
    file line is its number plus the line breaks inside quoted values before it.
    """
    n_columns = len(csv_header(path))
    names = [f"c{i}" for i in range(n_columns)]
    tracker = _LineTracker()
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(
                use_threads=False, block_size=CSV_BLOCK_BYTES, column_names=names, skip_rows=1
            ),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=tracker.on_invalid
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for record_batch in reader:
            yield tracker.batch(pa.Table.from_batches([record_batch]))
    except pa.ArrowInvalid as error:
        if "straddl" in str(error):  # pyarrow's words for a value longer than a block
            raise InputDataError(
                f"has a value longer than {CSV_BLOCK_BYTES // (1 << 20)} MB after line {tracker.last_line}: a "
                "quote left open (everything after it becomes one value) or a very large field; incident "
                "values are short, so close the quote or remove the value",
                source=str(path),
            ) from error
        raise InputDataError(
            f"cannot be read after line {tracker.last_line} ({error}; pyarrow counts the header as row 1); "
            "save it as UTF-8 CSV with every quoted value closed",
            source=str(path),
        ) from error
    yield tracker.finish(names)


class _LineTracker:
    """File line of every record the streaming CSV reader returns or rejects."""

    def __init__(self) -> None:
        self.next_record = 2  # the header is record 1
        self.extra_breaks = 0  # line breaks inside quoted values so far
        self.pending: list[tuple[int, str]] = []
        self.last_line = 1

    def on_invalid(self, row: pa_csv.InvalidRow) -> str:
        """Handle a row pyarrow cannot parse: remember it, skip it."""
        self.pending.append((int(row.number), row.text))
        return "skip"

    def batch(self, table: pa.Table) -> Batch:
        """Lines of a batch of ``table.num_rows`` parsed rows and of the invalid rows among them."""
        k = table.num_rows
        numbers = np.array([number for number, _ in self.pending], dtype=np.int64)
        candidates = np.arange(self.next_record, self.next_record + k + len(numbers), dtype=np.int64)
        records = candidates[~np.isin(candidates, numbers)][:k]
        last = int(records[-1]) if k else self.next_record - 1
        taken = int(np.searchsorted(numbers, last, side="right"))
        bad, self.pending = self.pending[:taken], self.pending[taken:]
        breaks = _line_breaks(table)
        line, bad_line = self._lines(records, breaks, bad)
        self.next_record = last + 1
        return Batch(table, line, bad_line, [text for _, text in bad])

    def finish(self, names: list[str]) -> Batch:
        """The invalid rows after the last parsed row."""
        bad, self.pending = self.pending, []
        _, bad_line = self._lines(np.empty(0, np.int64), np.empty(0, np.int64), bad)
        table = pa.table({name: pa.array([], pa.string()) for name in names})
        return Batch(table, np.empty(0, np.int64), bad_line, [text for _, text in bad])

    def _lines(
        self, records: np.ndarray, breaks: np.ndarray, bad: list[tuple[int, str]]
    ) -> tuple[np.ndarray, np.ndarray]:
        numbers = np.concatenate([records, np.array([n for n, _ in bad], dtype=np.int64)])
        extra = np.concatenate([breaks, np.array([text.count("\n") for _, text in bad], dtype=np.int64)])
        order = np.argsort(numbers, kind="stable")
        before = np.empty(len(order), np.int64)
        before[order] = self.extra_breaks + np.cumsum(extra[order]) - extra[order]
        self.extra_breaks += int(extra.sum())
        lines = numbers + before
        if len(lines):
            self.last_line = int(lines.max())
        return lines[: len(records)], lines[len(records) :]


def _line_breaks(table: pa.Table) -> np.ndarray:
    """Line breaks inside each row's values (quoted values may span lines)."""
    total = np.zeros(table.num_rows, np.int64)
    for column in table.columns:
        if any(holds_any(chunk, (b"\n",)) for chunk in column.chunks):
            total += pc.count_substring(column, "\n").to_numpy(zero_copy_only=False).astype(np.int64)
    return total


def parquet_batches(path: Path, chunk_rows: int) -> Iterator[Batch]:
    """Stream a Parquet file by record batches; rows are numbered from 1."""
    try:
        parquet = pq.ParquetFile(path)
        start = 1
        for record_batch in parquet.iter_batches(batch_size=min(chunk_rows, 65_536)):
            table = pa.Table.from_batches([record_batch])
            table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
            yield Batch(table, np.arange(start, start + table.num_rows, dtype=np.int64))
            start += table.num_rows
    except (pa.ArrowException, OSError) as error:
        raise InputDataError(f"is not a readable Parquet file ({error})", source=str(path)) from error


def rechunk(batches: Iterable[Batch], chunk_rows: int) -> Iterator[Batch]:
    """Regroup batches into chunks of exactly ``chunk_rows`` rows (the last may be shorter).

    Malformed lines go with the chunk whose lines they fall among.
    """
    held: list[Batch] = []
    rows = 0
    for batch in batches:
        held.append(batch)
        rows += batch.table.num_rows
        del batch
        while rows >= chunk_rows:
            head, rest = _split(_merge(held), chunk_rows)
            held, rows = [rest], rows - chunk_rows
            yield head
    if held:
        last = _merge(held)
        if last.table.num_rows or len(last.bad_line):
            yield last


def _split(batch: Batch, cut: int) -> tuple[Batch, Batch]:
    """The first ``cut`` rows (with the malformed lines before the next row) and the rest."""
    boundary = batch.line[cut] if len(batch.line) > cut else np.iinfo(np.int64).max
    first = batch.bad_line < boundary
    head = Batch(
        batch.table.slice(0, cut),
        batch.line[:cut],
        batch.bad_line[first],
        [text for text, f in zip(batch.bad_text, first, strict=True) if f],
    )
    rest = Batch(
        batch.table.slice(cut),
        batch.line[cut:],
        batch.bad_line[~first],
        [text for text, f in zip(batch.bad_text, first, strict=True) if not f],
    )
    return head, rest


def _merge(batches: list[Batch]) -> Batch:
    if len(batches) == 1:
        return batches[0]
    return Batch(
        pa.concat_tables([b.table for b in batches]),
        np.concatenate([b.line for b in batches]),
        np.concatenate([b.bad_line for b in batches]),
        [text for b in batches for text in b.bad_text],
    )
