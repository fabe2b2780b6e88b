"""Rows of an incident file checked and parsed: the valid rows of a batch, and every problem of the rest.

Every check is vectorised over the batch and collected as a
:class:`~geodata.cells.Finding`; :func:`geodata.incidents.rejects.reject_frame`
turns the findings into one reject row per bad line.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geodata.cells import Finding, cell_text, flag, is_empty, numbers, quoted
from geodata.incidents.area import AreaCheck
from geodata.incidents.batches import Batch
from geodata.incidents.rejects import reject_frame
from geodata.incidents.schema import POLICE_UK, IncidentChunk, IncidentFileInfo, Layout
from geodata.incidents.times import ISO_EXAMPLE, TIMESTAMP_YEARS, plausible, timestamps
from geodata.locations import POSTCODE, coordinate_locations, postcode_locations
from geodata.policeuk import normalise_crime_type

log = logging.getLogger(__name__)

#: The grades of a hubplan incident file: 1 emergency, 2 priority, 3 scheduled.
GRADES = (1, 2, 3)


class _SeenIds:
    """Hashes of every id seen so far (sorted) and the line that first used each."""

    def __init__(self) -> None:
        self.hashes = np.empty(0, np.uint64)
        self.lines = np.empty(0, np.int64)

    def repeats(self, ids: np.ndarray, line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which ids were used earlier (in this chunk or before), and the first line that used each."""
        if not len(ids):
            return np.zeros(0, bool), np.zeros(0, np.int64)
        hashes = pd.util.hash_array(ids, categorize=False)
        codes, distinct = pd.factorize(hashes)
        running = np.maximum.accumulate(codes) if len(codes) else codes
        first_time = codes > np.concatenate([[-1], running[:-1]])
        first_row = np.flatnonzero(first_time)  # first row of each distinct hash, in code order
        order = np.argsort(distinct)  # sorted queries keep the binary searches cache-friendly
        ordered = distinct[order]
        pos = np.searchsorted(self.hashes, ordered)
        known_ordered = np.zeros(len(ordered), bool)
        earlier_ordered = line[first_row[order]]
        if len(self.hashes):
            clipped = np.minimum(pos, len(self.hashes) - 1)
            known_ordered = (pos < len(self.hashes)) & (self.hashes[clipped] == ordered)
            earlier_ordered = np.where(known_ordered, self.lines[clipped], earlier_ordered)
        self.hashes = np.insert(self.hashes, pos[~known_ordered], ordered[~known_ordered])
        self.lines = np.insert(self.lines, pos[~known_ordered], earlier_ordered[~known_ordered])
        known, earlier = np.empty_like(known_ordered), np.empty_like(earlier_ordered)
        known[order], earlier[order] = known_ordered, earlier_ordered
        return known[codes] | ~first_time, earlier[codes]


class ChunkValidator:
    """Turns raw batches into :class:`IncidentChunk` objects; remembers ids across chunks."""

    def __init__(
        self,
        info: IncidentFileInfo,
        layout: Layout,
        *,
        postcodes: Callable[[pa.Array], tuple[np.ndarray, np.ndarray]],
        area: AreaCheck,
    ) -> None:
        self.info = info
        self.layout = layout
        self.postcodes = postcodes
        self.area = area
        self.seen = _SeenIds()
        self.grades = {normalise_crime_type(k): v for k, v in (info.grade_map or {}).items()}
        self.counts: Counter[str] = Counter()
        self.valid_rows = 0

    def name(self, role: str) -> str:
        """The file's name of the column playing ``role``."""
        return self.info.columns[self.layout.role[role]]

    def column(self, table: pa.Table, role: str) -> pa.ChunkedArray:
        """The column playing ``role``."""
        return table.column(self.layout.role[role])

    def __call__(self, batch: Batch) -> IncidentChunk:
        """Validate one batch: its valid rows, and one reject per bad line."""
        table, line = _drop_blank_rows(batch.table, batch.line)
        ids, findings = self._ids(table, line)
        timestamp, found = self._times(table)
        findings += found
        grade, found = self._grades(table)
        findings += found
        x, y, found = self._location(table)
        findings += found
        actual, found = self._attendance(table, timestamp)
        findings += found
        rejected = np.zeros(table.num_rows, bool)
        for finding in findings:
            rejected[finding.rows] = True
        keep = ~rejected
        valid = {
            "line": line[keep],
            "id": ids.filter(pa.array(keep)).to_pandas(),
            "grade": grade[keep].astype(np.int8),
            "timestamp": timestamp[keep],
            "x_m": x[keep],
            "y_m": y[keep],
            "actual_response_s": actual[keep],
        }
        labels = [role for role in ("crime_type", "source") if self.layout.has(role)]
        for role in labels:
            valid[role] = cell_text(self.column(table, role)).filter(pa.array(keep)).to_pandas()
        rejects = reject_frame(table, line, ids, findings, rejected, batch)
        self.counts.update(rejects["reason"].value_counts().to_dict())
        self.valid_rows += int(keep.sum())
        frame = pd.DataFrame(valid).astype(dict.fromkeys(["id", *labels], "str"))
        return IncidentChunk(frame, rejects)

    def log_summary(self) -> None:
        """One line: rows read, valid, rejected by reason."""
        rejected = sum(self.counts.values())
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in self.counts.most_common()) or "none"
        log.info(
            "read %s incident rows from %s (%s, %s): %s valid, %s rejected (%s)",
            f"{self.valid_rows + rejected:,}",
            self.info.path,
            self.info.schema,
            self.info.location_form,
            f"{self.valid_rows:,}",
            f"{rejected:,}",
            reasons,
        )
        for note in self.info.notes:
            log.info("%s: %s", self.info.path, note)

    # ---- ids

    def _ids(self, table: pa.Table, line: np.ndarray) -> tuple[pa.Array, list[Finding]]:
        text = cell_text(self.column(table, "id"))
        empty = is_empty(text)
        name = self.name("id")
        findings: list[Finding] = []
        if self.info.schema == POLICE_UK:  # anti-social behaviour has no Crime ID: the line stands in
            synthetic = pc.binary_join_element_wise("line-", pc.cast(pa.array(line), pa.string()), "")
            text = pc.if_else(pa.array(empty), synthetic, text)
            empty = np.zeros(len(text), bool)
        else:
            findings += flag("missing_id", empty, lambda _: f"{name} is empty; give every incident a unique id")
        present = np.flatnonzero(~empty)
        ids = text.take(pa.array(present)).to_numpy(zero_copy_only=False).astype(object)
        repeat, earlier = self.seen.repeats(ids, line[present])
        mask = np.zeros(len(text), bool)
        mask[present[repeat]] = True
        findings += flag(
            "duplicate_id",
            mask,
            lambda r: (
                f"{name} "
                + quoted(text, r)
                + " was already used on line "
                + earlier[repeat]
                + "; ids must be unique (the first row with an id is kept)"
            ),
        )
        return text, findings

    # ---- time and grade

    def _times(self, table: pa.Table) -> tuple[np.ndarray, list[Finding]]:
        if self.info.schema == POLICE_UK:
            return self._months(table)
        times = timestamps(self.column(table, "timestamp"))
        name = self.name("timestamp")
        return times.values, [
            *flag("bad_timestamp", times.empty, lambda _: f"{name} is empty; {ISO_EXAMPLE}"),
            *flag(
                "bad_timestamp",
                times.no_time,
                lambda r: f"{name} " + quoted(times.text, r) + f" has no time of day; {ISO_EXAMPLE}",
            ),
            *flag(
                "bad_timestamp",
                times.bad,
                lambda r: (
                    f"{name} " + quoted(times.text, r) + f" is not a date and time in "
                    f"{TIMESTAMP_YEARS[0]}-{TIMESTAMP_YEARS[1] - 1}; {ISO_EXAMPLE}"
                ),
            ),
        ]

    def _months(self, table: pa.Table) -> tuple[np.ndarray, list[Finding]]:
        """police.uk Month (``2018-06``) as its first instant."""
        text = cell_text(self.column(table, "month"))
        encoded = pc.dictionary_encode(text)
        distinct = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
        parsed = pd.to_datetime(pd.Series(distinct, dtype=object), format="%Y-%m", errors="coerce").to_numpy()
        values = plausible(parsed)[encoded.indices.to_numpy(zero_copy_only=False)]
        name = self.name("month")
        return values, flag(
            "bad_timestamp",
            np.isnat(values),
            lambda r: f"{name} " + quoted(text, r) + " is not a month like 2018-06 (police.uk gives year-month)",
        )

    def _grades(self, table: pa.Table) -> tuple[np.ndarray, list[Finding]]:
        if self.info.schema == POLICE_UK:
            return self._crime_type_grades(table)
        cells = numbers(self.column(table, "grade"))
        known = np.isin(cells.values, GRADES)  # integral numbers only: "1.0" is 1, "1.5" is no grade
        grade = np.where(known, np.nan_to_num(cells.values), 0).astype(np.int8)
        name = self.name("grade")
        return grade, flag(
            "unknown_grade",
            ~known,
            lambda r: f"{name} " + quoted(cells.text, r) + " is not 1, 2 or 3 (1 emergency, 2 priority, 3 scheduled)",
        )

    def _crime_type_grades(self, table: pa.Table) -> tuple[np.ndarray, list[Finding]]:
        text = cell_text(self.column(table, "crime_type"))
        encoded = pc.dictionary_encode(text)
        distinct = encoded.dictionary.to_pylist()
        mapped = np.array([self.grades.get(normalise_crime_type(t), 0) for t in distinct], dtype=np.int8)
        grade = mapped[encoded.indices.to_numpy(zero_copy_only=False)] if len(text) else np.empty(0, np.int8)
        name = self.name("crime_type")
        return grade, flag(
            "unknown_grade",
            grade == 0,
            lambda r: (
                f"{name} " + quoted(text, r) + " has no grade in the crime type mapping; add it to a grade "
                "map file (crime_type,grade)"
            ),
        )

    # ---- location

    def _location(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray, list[Finding]]:
        if self.info.location_form == POSTCODE:
            x, y, findings = postcode_locations(
                cell_text(self.column(table, "postcode")), self.name("postcode"), self.postcodes
            )
        else:
            x, y, findings = coordinate_locations(
                self.column(table, "x"),
                self.column(table, "y"),
                (self.name("x"), self.name("y")),
                form=self.info.location_form,
                police_uk=self.info.schema == POLICE_UK,
            )
        outside = self.area.outside(x, y)
        findings += flag("outside_force_area", outside, lambda r: self.area.outside_message(x[r], y[r]))
        return x, y, findings

    # ---- attendance

    def _attendance(self, table: pa.Table, timestamp: np.ndarray) -> tuple[np.ndarray, list[Finding]]:
        n = table.num_rows
        if self.layout.has("attendance_s"):
            seconds = numbers(self.column(table, "attendance_s"))
            name = self.name("attendance_s")
            negative = np.nan_to_num(seconds.values, nan=0.0) < 0
            hint = "give seconds from the timestamp to the first unit arriving, or leave it empty if none attended"
            return np.where(negative, np.nan, seconds.values), flag(
                "bad_attendance",
                seconds.bad | negative,
                lambda r: (
                    f"{name} "
                    + quoted(seconds.text, r)
                    + np.where(negative[r], " is negative; ", " is not a number of seconds; ").astype(object)
                    + hint
                ),
            )
        if self.layout.has("arrived_at"):
            return self._arrived_at(table, timestamp)
        return np.full(n, np.nan), []

    def _arrived_at(self, table: pa.Table, timestamp: np.ndarray) -> tuple[np.ndarray, list[Finding]]:
        arrived = timestamps(self.column(table, "arrived_at"))
        seconds = (arrived.values - timestamp) / np.timedelta64(1, "s")
        before = np.nan_to_num(seconds, nan=0.0) < 0
        name = self.name("arrived_at")
        return np.where(before, np.nan, seconds), flag(
            "bad_attendance",
            arrived.no_time | arrived.bad | before,
            lambda r: (
                f"{name} "
                + quoted(arrived.text, r)
                + np.where(
                    before[r],
                    f" is before the {self.name('timestamp')}; check both times",
                    f" is not a date and time; {ISO_EXAMPLE}, or leave it empty if no unit attended",
                ).astype(object)
            ),
        )


def _drop_blank_rows(table: pa.Table, line: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Rows whose every cell is empty or spaces are skipped (they are not incidents)."""
    if not table.num_rows:
        return table, line
    blank = np.ones(table.num_rows, bool)
    for column in table.columns:
        blank &= is_empty(cell_text(column))
        if not blank.any():
            return table, line
    return table.filter(pa.array(~blank)), line[~blank]
