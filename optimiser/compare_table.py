"""The comparison table: one column per scenario, one row per figure an operations lead weighs.

Values stay numbers in :func:`comparison_table` (shares as fractions, times in
minutes) for ``comparison.csv``; :func:`formatted_table` turns them into text
with a change column against the first scenario, for ``comparison.md`` and the
HTML page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from models.kpis import GradeKpis, PlanKpis
from models.simulation import replication_interval
from models.standards import AREA_CLASSES
from optimiser.markdown import markdown_header, markdown_row
from optimiser.scenario import Scenario

SHARE, MINUTES, COUNT, TEXT, FRACTION = "share", "min", "count", "text", "fraction"


@dataclass(frozen=True)
class ScenarioColumn:
    """What the table needs of one solved scenario.

    Attributes
    ----------
    label
        Column heading (unique).
    definition
        Where it came from: the file, and any command-line overrides.
    scenario
        The checked scenario (staffing per base and shift).
    kpis
        Its KPIs (see :func:`optimiser.kpis.scenario_kpis`).
    min_locations
        Per shift, the fewest deployment locations reaching the Grade 1 target
        (``None`` when no target was asked), and whether it was reached.
    simulated
        Simulated attendance per replication (:func:`optimiser.simulation_summary.per_seed_figures`),
        on the same seeds for every column; ``None`` when not simulated.
    """

    label: str
    definition: str
    scenario: Scenario
    kpis: PlanKpis
    min_locations: dict[str, tuple[int, bool, float]] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    simulated: pd.DataFrame | None = None


def comparison_table(columns: Sequence[ScenarioColumn], *, target_grade1: float | None = None) -> pd.DataFrame:
    """Rows ``section, metric, unit`` and one value column per scenario."""
    rows: list[dict] = []
    labels = [column.label for column in columns]

    def add(section: str, metric: str, unit: str, values: Sequence[object]) -> None:
        rows.append({"section": section, "metric": metric, "unit": unit, **dict(zip(labels, values, strict=True))})

    add("scenario", "definition", TEXT, [c.definition for c in columns])
    add("scenario", "response standard", TEXT, [_standard_name(c.kpis) for c in columns])
    add("scenario", "urban/rural classes", TEXT, [_class_source(c.kpis) for c in columns])
    add("scenario", "bases", COUNT, [len(c.scenario.bases) for c in columns])
    shifts = _shifts(columns)
    for shift in shifts:
        add("resources", f"cars on duty, {shift}", COUNT, [_staffing(c, shift, "units") for c in columns])
    for shift in shifts:
        add("resources", f"deployment locations, {shift}", COUNT, [_staffing(c, shift, "locations") for c in columns])
    if all(c.simulated is not None for c in columns):
        _simulated_rows(add, columns)
        _simulated_standard_rows(add, columns)
    _standard_rows(add, columns)
    for grade in (1, 2):
        _grade_rows(add, columns, grade, shifts)
    add("Grade 1", "mean response time", MINUTES, [c.kpis.grade1.mean_response_min for c in columns])
    add("Grade 1", "90th percentile response time", MINUTES, [c.kpis.grade1.p90_response_min for c in columns])
    if target_grade1 is not None:
        _target_rows(add, columns, target_grade1, shifts)
    for shift in shifts:
        busy = [c.kpis.busy_fraction_by_shift.get(shift) for c in columns]
        add("solver", f"busy fraction, {shift}", FRACTION, busy)
    add("solver", "status", TEXT, [c.kpis.solver.status for c in columns])
    add("solver", "gap", SHARE, [c.kpis.solver.gap for c in columns])
    add("solver", "seconds", COUNT, [c.kpis.solver.seconds for c in columns])
    return pd.DataFrame(rows)


SIMULATED = "simulated attendance (call to arrival, busy cars)"
SIMULATED_BY_STANDARD = "simulated Grade 1 by standard and area class"
BY_STANDARD = "Grade 1 by standard and area class (static cover: upper bounds)"
#: The simulated figures, their labels and units.
SIMULATED_FIGURES = (
    ("grade1_within_target", "Grade 1 within target", SHARE),
    ("grade1_mean_min", "Grade 1 mean attendance", MINUTES),
    ("grade2_within_target", "Grade 2 within target", SHARE),
    ("grade2_mean_min", "Grade 2 mean attendance", MINUTES),
)


def _simulated_rows(add, columns: Sequence[ScenarioColumn]) -> None:
    """Per figure: the mean over replications, its 95 % interval, and the paired change from the first column."""
    first = columns[0].simulated
    for key, label, unit in SIMULATED_FIGURES:
        add(SIMULATED, label, unit, [float(c.simulated[key].mean()) for c in columns])
        add(SIMULATED, f"{label}, 95 % interval", TEXT, [_interval_text(c.simulated[key], unit) for c in columns])
        changes = [""] + [_interval_text(c.simulated[key] - first[key], unit, signed=True) for c in columns[1:]]
        add(SIMULATED, f"{label}, paired change vs first (95 %)", TEXT, changes)


def _simulated_standard_rows(add, columns: Sequence[ScenarioColumn]) -> None:
    """Simulated Grade 1 within target under both standards, overall and by area class (mean, 95 % interval)."""
    names = (_standard_name(columns[0].kpis), _other_name(columns[0].kpis))
    for key, standard in (("grade1_within_target", names[0]), ("grade1_within_other_target", names[1])):
        for area in ("", *AREA_CLASSES):
            column = f"{key}_{area}" if area else key
            if not all(column in c.simulated for c in columns):
                continue
            label = f"Grade 1 within target, {standard}" + (f", {area}" if area else "")
            add(SIMULATED_BY_STANDARD, label, SHARE, [float(c.simulated[column].mean()) for c in columns])
            add(
                SIMULATED_BY_STANDARD,
                f"{label}, 95 % interval",
                TEXT,
                [_interval_text(c.simulated[column], SHARE) for c in columns],
            )


def _standard_rows(add, columns: Sequence[ScenarioColumn]) -> None:
    """Static Grade 1 cover under the plan's standard and the other one, overall and by area class."""
    for which in ("own", "other"):
        for area in ("all", *AREA_CLASSES):
            grades = [_grade1_under(c.kpis, which, area) for c in columns]
            name = _standard_name(columns[0].kpis) if which == "own" else _other_name(columns[0].kpis)
            label = f"{name}, {area}" + (f" ({grades[0].target_text})" if grades[0] is not None else "")
            add(BY_STANDARD, f"{label}, travel only", SHARE, [g.covered_share if g else None for g in grades])
            add(
                BY_STANDARD,
                f"{label}, with busy cars",
                SHARE,
                [g.expected_covered_share if g else None for g in grades],
            )
    add(BY_STANDARD, "Grade 1 demand share, urban", SHARE, [_urban_share(c.kpis) for c in columns])


def _grade1_under(kpis: PlanKpis, which: str, area: str) -> GradeKpis | None:
    grade = kpis.grade1 if which == "own" else (kpis.other_standard.grade1 if kpis.other_standard else None)
    if grade is None or area == "all":
        return grade
    return grade.by_area_class.get(area)


def _urban_share(kpis: PlanKpis) -> float | None:
    urban = kpis.grade1.by_area_class.get("urban")
    return urban.demand_per_year / kpis.grade1.demand_per_year if urban and kpis.grade1.demand_per_year else None


def _standard_name(kpis: PlanKpis) -> str:
    return kpis.standard.name if kpis.standard is not None else "–"


def _other_name(kpis: PlanKpis) -> str:
    return kpis.other_standard.standard.name if kpis.other_standard is not None else "–"


def _class_source(kpis: PlanKpis) -> str:
    return kpis.standard.class_source if kpis.standard is not None else "–"


def _interval_text(values: pd.Series, unit: str, *, signed: bool = False) -> str:
    """``62.9–63.3 %`` (or ``+1.2 pts (0.8–1.6)`` for a change) from per-replication values."""
    finite = values.dropna().to_numpy(float)
    if finite.size < 2:
        return "–"
    interval = replication_interval(finite)
    scale, suffix = (100.0, " %" if not signed else " pts") if unit == SHARE else (1.0, " min")
    low, mean, high = (scale * v for v in (interval.low, interval.mean, interval.high))
    if signed:
        return f"{mean:+.1f}{suffix} ({low:+.1f} to {high:+.1f})"
    return f"{low:.1f}–{high:.1f}{suffix}"


def _shifts(columns: Sequence[ScenarioColumn]) -> list[str]:
    seen: list[str] = []
    for column in columns:
        seen += [shift for shift in column.scenario.shift_names if shift not in seen]
    return seen


def _staffing(column: ScenarioColumn, shift: str, key: str) -> int | None:
    if shift not in column.scenario.shift_names:
        return None
    return sum(getattr(base.shifts[shift], key) for base in column.scenario.bases)


def _grade_rows(add, columns: Sequence[ScenarioColumn], grade: int, shifts: list[str]) -> None:
    section = f"Grade {grade}"
    kpis = [c.kpis.grade(grade) for c in columns]
    within = f"within {kpis[0].target_text}"
    add(section, f"{within}, travel only", SHARE, [k.covered_share for k in kpis])
    add(section, f"{within}, with busy cars", SHARE, [k.expected_covered_share for k in kpis])
    for shift in shifts:
        add(section, f"{within}, {shift}, travel only", SHARE, [k.by_shift.get(shift) for k in kpis])
        add(section, f"{within}, {shift}, with busy cars", SHARE, [k.expected_by_shift.get(shift) for k in kpis])
    areas = sorted({name for k in kpis for name in k.by_local_authority})
    for area in areas:
        add(
            f"{section} by local authority",
            f"{area}, {within}, travel only",
            SHARE,
            [k.by_local_authority.get(area) for k in kpis],
        )


def _target_rows(add, columns: Sequence[ScenarioColumn], target: float, shifts: list[str]) -> None:
    section = f"fewest locations for Grade 1 >= {target:.0%}"
    for shift in shifts:
        add(section, f"locations needed, {shift}", COUNT, [_needed(c, shift, 0) for c in columns])
        add(section, f"target reached, {shift}", TEXT, [_needed(c, shift, 1) for c in columns])
        add(section, f"Grade 1 share at that count, {shift}", SHARE, [_needed(c, shift, 2) for c in columns])


def _needed(column: ScenarioColumn, shift: str, index: int) -> object:
    if not column.min_locations or shift not in column.min_locations:
        return None
    value = column.min_locations[shift][index]
    return ("yes" if value else "no") if index == 1 else value


def formatted_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as text: percentages, minutes, counts, and ``change vs FIRST`` columns for numeric rows."""
    labels = [c for c in table.columns if c not in ("section", "metric", "unit")]
    text = table[["section", "metric"]].copy()
    for label in labels:
        text[label] = [_format(value, unit) for value, unit in zip(table[label], table["unit"], strict=True)]
    for label in labels[1:]:
        text[f"change {label} vs {labels[0]}"] = [
            _change(row[labels[0]], row[label], row["unit"]) for _, row in table.iterrows()
        ]
    return text


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _format(value: object, unit: str) -> str:
    if _missing(value):
        return "–"
    if unit == SHARE:
        return f"{float(value):.1%}"
    if unit == MINUTES:
        return "beyond 60" if math.isinf(float(value)) else f"{float(value):.1f} min"
    if unit == FRACTION:
        return f"{float(value):.3f}"
    if unit == COUNT:
        return f"{value:,.0f}" if float(value) == int(value) else f"{float(value):,.1f}"
    return str(value)


def _change(first: object, other: object, unit: str) -> str:
    if unit in (TEXT,) or _missing(first) or _missing(other):
        return ""
    difference = float(other) - float(first)
    if math.isnan(difference) or math.isinf(difference):
        return ""
    if unit == SHARE:
        return f"{100 * difference:+.1f} pts"
    if unit == MINUTES:
        return f"{difference:+.1f} min"
    if unit == FRACTION:
        return f"{difference:+.3f}"
    return f"{difference:+,.0f}" if difference == int(difference) else f"{difference:+,.1f}"


def markdown_table(text: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table of :func:`formatted_table`, one header row per section."""
    columns = [c for c in text.columns if c != "section"]
    lines = markdown_header(columns)
    for section, group in text.groupby("section", sort=False):
        lines.append(markdown_row([f"**{section}**", *[""] * (len(columns) - 1)]))
        lines += [markdown_row(row) for row in group[columns].itertuples(index=False)]
    return "\n".join(lines) + "\n"


#: Sections of the formatted table always shown, even where every scenario has the same value (the cost).
ALWAYS_SHOWN = ("scenario", "resources")


def fold_same_rows(text: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The formatted table split into the rows that differ between scenarios and the rest (folded away).

    The local-authority rows are left out (the per-area table has them; ``comparison.csv`` keeps them).
    """
    text = text[~text["section"].str.endswith("by local authority")]
    labels = [c for c in text.columns if c not in ("section", "metric") and not str(c).startswith("change ")]
    same = text[labels].nunique(axis=1, dropna=False).eq(1) & ~text["section"].isin(ALWAYS_SHOWN)
    return text[~same].reset_index(drop=True), text[same].reset_index(drop=True)
