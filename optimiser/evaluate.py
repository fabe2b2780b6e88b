"""The ``hubplan evaluate`` job: score every historic incident against a plan, in chunks.

Writes into ``--out`` (all or nothing: a temporary folder, moved into place
at the end):

* ``incidents.parquet`` and ``incidents.csv``: one row per incident (see
  :func:`optimiser.scoring.score_chunk` for the columns);
* ``summary_by_<grade|shift|base|local_authority|area_class|hour|weekday|month>.csv``
  and ``summary.md``;
* ``bad_rows.csv``: rows not scored, counted by reason with examples; with
  ``--on-bad-rows skip`` also ``rejects.csv``, every skipped row and why
  (with ``fail``, the default, any bad row stops the job with that list);
* when the file has actual attendance times: actual columns beside the
  modelled ones in every summary, ``modelled_vs_actual.csv``,
  ``largest_differences.csv`` (per grade, in minutes) and ``misses.html`` (a map
  of where and when actual attendance missed its target, and whether the model
  expected it to).

police.uk files: rows published without a location ("No Location",
``missing_location``) are expected, counted in ``bad_rows.csv`` and
``summary.md`` and never stop the job; every other bad row follows
``--on-bad-rows``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from geodata import embedded
from geodata.atomic import move_into_place, staging_folder
from geodata.errors import InputDataError
from geodata.incidents import IncidentFileInfo, inspect_incident_file, iter_incident_chunks, reject_messages
from geodata.policeuk import POLICE_UK_NOTE, read_grade_map
from maps.misses import build_misses_page
from maps.offline import render_offline_html
from optimiser.evaluation_report import summary_markdown
from optimiser.evaluation_summary import DIMENSIONS, SummaryAccumulator
from optimiser.plan_input import read_plan
from optimiser.progress import terminal_progress
from optimiser.response_model import ResponseModel, build_response_model
from optimiser.scoring import far_from_road, score_chunk

log = logging.getLogger(__name__)

BAD_ROW_POLICIES = ("fail", "skip")
#: Examples of each bad-row reason kept for the summary and the error message.
EXAMPLES_PER_REASON = 5
FAR_FROM_ROAD = "far_from_road"
#: police.uk publishes some crimes without a location: expected, counted, never fatal.
POLICE_UK_EXPECTED = ("missing_location",)
#: Every file ``evaluate`` may write into ``--out``: a run removes those it did not write this time
#: (an earlier run's rejects.csv or modelled_vs_actual.csv), so nothing stale is left beside the new results.
EVALUATION_FILES = (
    "incidents.parquet",
    "incidents.csv",
    "rejects.csv",
    *(f"summary_by_{dimension}.csv" for dimension in DIMENSIONS),
    "modelled_vs_actual.csv",
    "largest_differences.csv",
    "bad_rows.csv",
    "misses.html",
    "summary.md",
)


@dataclass(frozen=True)
class EvaluateRequest:
    """What to evaluate and how.

    Attributes
    ----------
    untimed_shift
        The shift rows without a time of day (police.uk months) are scored in;
        ``None``: the plan's shift with the most hours of peak demand, "late" when present.
    """

    plan_path: str
    incidents_path: str
    on_bad_rows: str = "fail"
    chunk_rows: int = 250_000
    grade_map_path: str | None = None
    untimed_shift: str | None = None
    area_buffer_m: float = 2_000.0
    csv: bool = True
    standard: str | None = None


@dataclass
class BadRows:
    """Rows not scored: counts by reason and the first examples of each."""

    line_unit: str = "line"
    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    #: Reasons that are expected in this file (police.uk "No Location") and never stop the job.
    expected: tuple[str, ...] = ()

    def add(self, rejects: pd.DataFrame) -> None:
        """Count the rejects of one chunk."""
        for reason, group in rejects.groupby("reason", sort=False):
            self.counts[reason] += len(group)
            kept = self.examples.setdefault(str(reason), [])
            kept.extend(reject_messages(group.head(EXAMPLES_PER_REASON - len(kept)), line_unit=self.line_unit))

    @property
    def total(self) -> int:
        """Number of bad rows."""
        return int(sum(self.counts.values()))

    @property
    def unexpected(self) -> int:
        """Number of bad rows whose reason is not expected in this file (these follow ``--on-bad-rows``)."""
        return int(sum(count for reason, count in self.counts.items() if reason not in self.expected))

    def table(self) -> pd.DataFrame:
        """One row per reason: count and examples."""
        return pd.DataFrame(
            [
                {
                    "reason": reason,
                    "rows": count,
                    "expected": reason in self.expected,
                    "examples": " | ".join(self.examples.get(reason, [])),
                }
                for reason, count in self.counts.most_common()
            ],
            columns=["reason", "rows", "expected", "examples"],
        )

    def problems(self) -> list[str]:
        """Readable lines for an error message (the unexpected reasons only)."""
        return [
            f"{count:,} row(s) {reason}, e.g. {'; '.join(self.examples.get(reason, [])[:3])}"
            for reason, count in self.counts.most_common()
            if reason not in self.expected
        ]


@dataclass(frozen=True)
class EvaluateResult:
    """What the job wrote and its headline numbers."""

    files: list[Path]
    incidents: int
    bad_rows: int
    tables: dict[str, pd.DataFrame]
    seconds: float
    source_labels: dict[str, int] = field(default_factory=dict)
    #: What a reader must know before trusting the numbers (police.uk grades and times, expected bad rows).
    caveats: tuple[str, ...] = ()


def evaluate(request: EvaluateRequest, out_dir: str | Path) -> EvaluateResult:
    """Score the incidents of ``request`` against its plan and write the outputs into ``out_dir``."""
    started = time.perf_counter()
    if request.on_bad_rows not in BAD_ROW_POLICIES:
        raise InputDataError(f"--on-bad-rows must be one of {', '.join(BAD_ROW_POLICIES)}", source="hubplan evaluate")
    plan = read_plan(request.plan_path, standard=request.standard)
    grade_map = read_grade_map(request.grade_map_path) if request.grade_map_path else None
    info = inspect_incident_file(request.incidents_path, grade_map=grade_map)
    model = build_response_model(plan)
    untimed_shift = _untimed_shift(model, request.untimed_shift)
    out = Path(out_dir)
    with staging_folder(out) as staging:
        writer = _Writers(staging, csv=request.csv, keep_rejects=request.on_bad_rows == "skip")
        summary = SummaryAccumulator(timed=info.has_time_of_day)
        police_uk = info.schema == "police.uk"
        bad = BadRows(line_unit=info.line_unit, expected=POLICE_UK_EXPECTED if police_uk else ())
        labels: Counter = Counter()
        scored_rows = _run(request, info, model, untimed_shift, writer, summary, bad, labels)
        if bad.unexpected and request.on_bad_rows == "fail":
            raise InputDataError(
                f"has {bad.unexpected:,} bad row(s); fix them, or pass --on-bad-rows skip to score the rest and "
                "list them in rejects.csv",
                source=request.incidents_path,
                problems=bad.problems(),
            )
        writer.close()
        tables = summary.tables()
        names = _write_tables(staging, tables, bad)
        if "largest_differences" in tables:
            title = f"Actual misses: {Path(request.incidents_path).name} against {plan.settings.scenario}"
            page = build_misses_page(summary.misses.table(), embedded.load_boundaries(), title=title)
            (staging / "misses.html").write_text(render_offline_html(page))
            names.append("misses.html")
        caveats = _caveats(info, bad, untimed_shift)
        markdown = summary_markdown(
            tables,
            bad.table(),
            plan=plan,
            info=info,
            incidents=scored_rows,
            untimed_shift=untimed_shift,
            notes=[POLICE_UK_NOTE] if police_uk else [],
            source_labels=dict(labels),
        )
        (staging / "summary.md").write_text(markdown)
        names = writer.names + names + ["summary.md"]
        move_into_place(staging, out, names, kind="evaluation", owns=EVALUATION_FILES)
    seconds = time.perf_counter() - started
    log.info("scored %s incidents (%s bad rows) in %.1f s", f"{scored_rows:,}", f"{bad.total:,}", seconds)
    return EvaluateResult([out / n for n in names], scored_rows, bad.total, tables, seconds, dict(labels), caveats)


def _caveats(info: IncidentFileInfo, bad: BadRows, untimed_shift: str) -> tuple[str, ...]:
    """Short caveats for the terminal; ``summary.md`` has them in full."""
    caveats = []
    if info.schema == "police.uk":
        caveats.append(
            "police.uk records have no grades: each grade comes from an ASSUMED crime-type mapping (violence, "
            "robbery, weapons = Grade 1; burglary, damage, public order, theft from the person, anti-social "
            "behaviour = Grade 2; the rest Grade 3, not scored); override it with --grade-map."
        )
        no_location = sum(bad.counts.get(reason, 0) for reason in POLICE_UK_EXPECTED)
        if no_location:
            caveats.append(
                f"{no_location:,} police.uk rows have No Location (published without one); counted in "
                "bad_rows.csv, not scored."
            )
    if not info.has_time_of_day:
        caveats.append(
            f"The file has no time of day: every incident is scored in the {untimed_shift} shift "
            "(--untimed-shift); hour and weekday are unknown."
        )
    return tuple(caveats)


def _untimed_shift(model: ResponseModel, asked: str | None) -> str:
    names = list(model.shifts)
    if asked is None:
        return "late" if "late" in names else names[0]
    if asked not in names:
        raise InputDataError(
            f"--untimed-shift {asked!r} is not a shift of the plan; valid: {', '.join(names)}",
            source=str(model.plan.path),
        )
    return asked


def _run(
    request: EvaluateRequest,
    info: IncidentFileInfo,
    model: ResponseModel,
    untimed_shift: str,
    writer: _Writers,
    summary: SummaryAccumulator,
    bad: BadRows,
    labels: Counter,
) -> int:
    """Score every chunk, writing as it goes; counts rows per ``source`` label into ``labels``."""
    scored_rows = 0
    chunks = iter_incident_chunks(
        request.incidents_path,
        chunk_rows=request.chunk_rows,
        postcode_lookup=embedded.lookup_postcodes,
        area=embedded.force_area().iloc[0],
        area_buffer_m=request.area_buffer_m,
        grade_map=dict(info.grade_map) if info.grade_map is not None else None,
    )
    with terminal_progress() as progress:
        task = progress.add_task("scoring incidents", total=None)
        for chunk in chunks:
            valid = chunk.valid
            node, snap_m, far = far_from_road(model, valid)
            rejects = pd.concat([chunk.rejects, _far_rejects(valid[far], snap_m[far], model)], ignore_index=True)
            keep = ~far
            scored = score_chunk(
                model,
                valid[keep],
                node[keep],
                snap_m[keep],
                timed=info.has_time_of_day,
                untimed_shift=untimed_shift,
            )
            bad.add(rejects)
            if "source" in scored.columns:
                labels.update(scored["source"].value_counts().to_dict())
            writer.write(scored, rejects)
            summary.add(scored)
            scored_rows += len(scored)
            progress.update(task, advance=len(scored) + len(rejects))
    return scored_rows


def _far_rejects(rows: pd.DataFrame, snap_m, model: ResponseModel) -> pd.DataFrame:
    limit = model.plan.settings.network.max_snap_m
    return pd.DataFrame(
        {
            "line": rows["line"].to_numpy(),
            "id": rows["id"].to_numpy(),
            "reason": FAR_FROM_ROAD,
            "detail": [f"{d:,.0f} m from the nearest road node (more than the plan's {limit:,.0f} m)" for d in snap_m],
        }
    )


class _Writers:
    """Append chunks to ``incidents.parquet``, ``incidents.csv`` and ``rejects.csv`` in the staging folder."""

    def __init__(self, folder: Path, *, csv: bool, keep_rejects: bool) -> None:
        self.folder, self.csv, self.keep_rejects = folder, csv, keep_rejects
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pa_csv.CSVWriter | None = None
        self._schema: pa.Schema | None = None
        self._rejects_started = False
        self.names = ["incidents.parquet", *(["incidents.csv"] if csv else [])]

    def write(self, scored: pd.DataFrame, rejects: pd.DataFrame) -> None:
        if self.keep_rejects and not rejects.empty:
            rejects.to_csv(self.folder / "rejects.csv", mode="a", header=not self._rejects_started, index=False)
            self._rejects_started = True
        if scored.empty:
            return
        table = pa.Table.from_pandas(scored, schema=self._schema, preserve_index=False)
        if self._parquet is None:
            self._schema = table.schema
            self._parquet = pq.ParquetWriter(self.folder / "incidents.parquet", self._schema, compression="zstd")
            if self.csv:
                self._csv = pa_csv.CSVWriter(self.folder / "incidents.csv", self._schema)
        self._parquet.write_table(table)
        if self._csv is not None:
            self._csv.write_table(table)

    def close(self) -> None:
        for handle in (self._parquet, self._csv):
            if handle is not None:
                handle.close()
        if self._parquet is None:
            raise InputDataError("has no incidents to score", source="hubplan evaluate")
        if self.keep_rejects:
            if not self._rejects_started:
                pd.DataFrame(columns=["line", "id", "reason", "detail"]).to_csv(
                    self.folder / "rejects.csv", index=False
                )
            self.names.append("rejects.csv")


def _write_tables(folder: Path, tables: dict[str, pd.DataFrame], bad: BadRows) -> list[str]:
    names = []
    for name, table in tables.items():
        rounded = name == "largest_differences"  # minutes to one decimal already
        table.to_csv(folder / f"{name}.csv", index=False, float_format=None if rounded else "%.4f")
        names.append(f"{name}.csv")
    bad.table().to_csv(folder / "bad_rows.csv", index=False)
    return [*names, "bad_rows.csv"]
