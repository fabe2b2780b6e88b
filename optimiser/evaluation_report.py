"""The short markdown report of ``hubplan evaluate``: headline tables and every assumption behind them."""

from __future__ import annotations

import math

import pandas as pd

from geodata.incidents import IncidentFileInfo
from geodata.synthetic import SOURCE_LABEL as SYNTHETIC_LABEL
from optimiser.markdown import markdown_frame
from optimiser.plan_input import WrittenPlan

GRADE_NAMES = {1: "Grade 1", 2: "Grade 2", 3: "Grade 3"}
#: Summary sections after the grade table: dimension and heading.
BY_SECTIONS = (
    ("base", "responding base"),
    ("local_authority", "local authority"),
    ("area_class", "area class (each incident against its own class's target)"),
    ("shift", "shift"),
    ("hour", "hour of day"),
    ("weekday", "weekday"),
    ("month", "month"),
)
#: Incidents per grade listed in summary.md from largest_differences.csv.
LARGEST_SHOWN = 10


def summary_markdown(
    tables: dict[str, pd.DataFrame],
    bad_rows: pd.DataFrame,
    *,
    plan: WrittenPlan,
    info: IncidentFileInfo,
    incidents: int,
    untimed_shift: str,
    notes: list[str],
    source_labels: dict[str, int] | None = None,
) -> str:
    """The report: what was scored against what, by grade, base, local authority and shift, bad rows, caveats."""
    settings = plan.settings
    lines = [
        f"# Evaluation of {info.path} against plan {settings.scenario}",
        "",
        f"- Plan: `{plan.path}` (network {settings.network.name}; blue-light speed factor "
        f"{settings.response.speed_factor:g}; mobilisation {settings.response.mobilisation_s:g} s)",
        f"- Standard: **{settings.standard.name}** ({settings.standard.title}); each incident against the target "
        f"of its grade and area class (urban/rural classes: {settings.area_classes.source}); static response time "
        "runs from dispatch, whatever the standard's clock start",
        f"- Incidents scored: {incidents:,}; bad rows not scored: {_bad_total(bad_rows):,}",
        f"- Input schema: {info.schema}; location from {info.location_form}; grades from {info.grade_source}",
    ]
    if not info.has_time_of_day:
        lines.append(
            f"- The file has no time of day: every incident is scored against the plan's **{untimed_shift}** shift "
            "(--untimed-shift), and hour and weekday summaries are 'unknown'."
        )
    lines += [f"- {note}" for note in (*source_label_notes(source_labels or {}), *notes)]
    lines += [
        "- Modelled, not measured: response time = mobilisation delay + blue-light road travel from the fastest "
        "open site of the incident's shift (a deployment location or a base), assuming a car is free there. "
        "'With busy cars' is the chance a free car is within the Grade 1 target given the shift's estimated busy "
        "fraction (MEXCLP), not a simulation.",
        "",
        "## By grade",
        "",
        markdown_frame(_grade_view(tables["summary_by_grade"])),
    ]
    for dimension, title in BY_SECTIONS:
        table = tables[f"summary_by_{dimension}"]
        if dimension in ("hour", "weekday") and set(table[dimension]) == {"unknown"}:
            continue
        lines += [f"## By {title}", "", markdown_frame(_by(table, dimension))]
    if "modelled_vs_actual" in tables:
        actual = markdown_frame(_actual_view(tables["modelled_vs_actual"]))
        lines += ["## Modelled against actual attendance, by responding base", "", actual]
        lines += _largest_sections(tables["largest_differences"])
        lines += [
            "misses.html maps where and when actual attendance missed its target, and whether the model expected "
            "it to.",
            "",
        ]
    lines += ["## Bad rows", ""]
    lines.append(markdown_frame(bad_rows) if len(bad_rows) else "None.\n")
    if len(bad_rows) and bad_rows["expected"].any():
        lines.append(
            "Rows marked expected (police.uk publishes some crimes with No Location) are counted, not scored, and "
            "never stop the job.\n"
        )
    return "\n".join(lines) + "\n"


def source_label_notes(labels: dict[str, int]) -> list[str]:
    """Say what the rows are when the file labels them (``source`` column); loudest for synthetic rows."""
    if not labels:
        return []
    counts = ", ".join(f"{name or '(empty)'} {count:,}" for name, count in sorted(labels.items()))
    notes = [f"Rows by source label: {counts}."]
    synthetic = labels.get(SYNTHETIC_LABEL, 0)
    if synthetic:
        notes.append(
            f"**{synthetic:,} incidents are SYNTHETIC** (made by `hubplan incidents synth`), not police records: "
            "their times, places, grades and any 'actual' attendance times are generated, so nothing here is a "
            "measured result."
        )
    return notes


def _bad_total(bad_rows: pd.DataFrame) -> int:
    return int(bad_rows["rows"].sum()) if len(bad_rows) else 0


def _pct(value: float) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1%}"


def _minutes(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "beyond 8 h" if math.isinf(value) else f"{value:.1f}"


def _grade_view(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "grade": table["grade"].map(GRADE_NAMES),
            "incidents": table["incidents"].map("{:,}".format),
            "within target (travel only)": table["share_within_target"].map(_pct),
            "with busy cars": table["grade1_expected_share_with_busy_cars"].map(_pct),
            "mean min": table["mean_response_min"].map(_minutes),
            "median min": table["median_response_min"].map(_minutes),
            "p90 min": table["p90_response_min"].map(_minutes),
            "missed: no site within target": table["missed_no_site_within_target"].map("{:,}".format),
            "missed: beyond every base's reach": table["missed_beyond_every_base_reach"].map("{:,}".format),
            **_actual_columns(table),
        }
    )


def _actual_columns(table: pd.DataFrame) -> dict[str, pd.Series]:
    """Actual attendance beside the modelled figures, when the file gives it."""
    if "actual_share_within_target" not in table.columns:
        return {}
    return {
        "actual within target": table["actual_share_within_target"].map(_pct),
        "actual mean min": table["actual_mean_min"].map(_minutes),
        "actual p90 min": table["actual_p90_min"].map(_minutes),
    }


def _by(table: pd.DataFrame, column: str) -> pd.DataFrame:
    scored = table[table["grade"].isin([1, 2])]
    actual = "actual_share_within_target" in scored.columns
    values = ["incidents", "share_within_target", *(["actual_share_within_target"] if actual else [])]
    wide = scored.pivot_table(index=column, columns="grade", values=values, aggfunc="first", dropna=False)
    view = pd.DataFrame(index=wide.index)
    for grade in (1, 2):
        if ("incidents", grade) in wide.columns:
            view[f"Grade {grade} incidents"] = wide[("incidents", grade)].fillna(0).astype(int).map("{:,}".format)
            label = "modelled within target" if actual else "within target"
            view[f"Grade {grade} {label}"] = wide[("share_within_target", grade)].map(_pct)
            if actual:
                view[f"Grade {grade} actual within target"] = wide[("actual_share_within_target", grade)].map(_pct)
    return view.reset_index()


def _largest_sections(largest: pd.DataFrame) -> list[str]:
    """One table per grade: the incidents whose modelled and actual response differ most, in minutes."""
    lines = []
    for grade, rows in largest.groupby("grade", sort=True):
        view = rows.head(LARGEST_SHOWN)[
            [
                "incident_id",
                "timestamp",
                "local_authority",
                "responding_site_name",
                "modelled_response_min",
                "actual_response_min",
                "modelled_minus_actual_min",
            ]
        ].rename(
            columns={
                "incident_id": "incident",
                "local_authority": "local authority",
                "responding_site_name": "responding site",
                "modelled_response_min": "modelled min",
                "actual_response_min": "actual min",
                "modelled_minus_actual_min": "modelled - actual min",
            }
        )
        lines += [
            f"## {GRADE_NAMES.get(int(grade), grade)}: largest differences, modelled against actual (minutes)",
            "",
            markdown_frame(view),
            f"The first {LARGEST_SHOWN} of largest_differences.csv for this grade.",
            "",
        ]
    return lines


def _actual_view(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "base": table["base"],
            "grade": table["grade"].map(GRADE_NAMES),
            "incidents": table["incidents_with_actual"].map("{:,}".format),
            "modelled mean min": table["modelled_mean_min"].map(_minutes),
            "actual mean min": table["actual_mean_min"].map(_minutes),
            "modelled within": table["modelled_share_within_target"].map(_pct),
            "actual within": table["actual_share_within_target"].map(_pct),
            "median modelled - actual min": table["median_difference_min"].map(_minutes),
        }
    )
