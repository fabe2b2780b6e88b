"""HTML of the KPI panel and the legend, from the plan's ``kpis.json`` dict.

Every figure is labelled as modelled. "Travel only" assumes a free car at
every open site (an upper bound on attendance); "with busy cars" discounts
each car by the shift's estimated busy fraction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape

from maps import style

MODELLED_NOTE = (
    "All figures are <b>modelled</b>: travel only assumes a free car at every open site (an upper bound on "
    "attendance); with busy cars discounts each car by the shift's estimated busy fraction. Neither is a "
    "simulation of queueing, so neither compares directly with published attendance."
)


def pct(value: object) -> str:
    """A share as ``"64.0 %"``; a dash when missing or not finite."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "–"
    return f"{100.0 * value:.1f} %"


def number(value: object, fmt: str = "{:,.1f}") -> str:
    """A number with ``fmt``; a dash when missing or not finite."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "–"
    return fmt.format(value)


def kpi_panel_html(kpis: Mapping, *, chart_svg: str = "") -> str:
    """The whole KPI panel: headline, by shift, by base, by local authority, solver, assumptions, chart."""
    grade1, grade2 = kpis.get("grade1", {}), kpis.get("grade2", {})
    title = f"hubplan plan: {escape(str(kpis.get('scenario', '')))}"
    sections = [
        f'<div class="hubplan-title">{title} <span class="hubplan-badge">modelled</span></div>',
        _section("Coverage", _headline(grade1, grade2), open_=True),
        _section("By shift", _by_shift(grade1, grade2, kpis.get("busy_fraction_by_shift", {})), open_=True),
        _section("By base", _by_group(grade1, grade2, "by_base", "expected_by_base", "Base"), open_=False),
        _section(
            "By local authority",
            _by_group(grade1, grade2, "by_local_authority", "expected_by_local_authority", "Local authority"),
            open_=False,
        ),
        _section("Solver", _solver(kpis.get("solver", {})), open_=False),
        _section("Assumptions", _assumptions(kpis.get("assumptions", {})), open_=False),
    ]
    if chart_svg:
        sections.append(
            _section("Response-time chart", f'<div class="hubplan-chart-box">{chart_svg}</div>', open_=False)
        )
    sections.append(f'<p class="hubplan-note">{MODELLED_NOTE}</p>')
    return "".join(sections)


def _section(title: str, body: str, *, open_: bool) -> str:
    return f"<details{' open' if open_ else ''}><summary>{escape(title)}</summary>{body}</details>"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="hubplan-kpi"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _target(grade: Mapping, default: float) -> str:
    return f"{number(grade.get('target_min', default), '{:g}')} min"


def _headline(grade1: Mapping, grade2: Mapping) -> str:
    rows = [
        (
            label,
            _target(grade, default),
            pct(grade.get("covered_share")),
            pct(grade.get("expected_covered_share")),
            number(grade.get("mean_response_min")),
            number(grade.get("p90_response_min")),
        )
        for label, grade, default in (("Grade 1", grade1, 15.0), ("Grade 2", grade2, 60.0))
    ]
    return _table(("", "target", "travel only", "with busy cars", "mean min", "p90 min"), rows)


def _by_shift(grade1: Mapping, grade2: Mapping, busy: Mapping) -> str:
    shifts = list(grade1.get("by_shift", {}))
    rows = [
        (
            escape(shift),
            pct(grade1.get("by_shift", {}).get(shift)),
            pct(grade1.get("expected_by_shift", {}).get(shift)),
            pct(grade2.get("by_shift", {}).get(shift)),
            pct(grade2.get("expected_by_shift", {}).get(shift)),
            pct(busy.get(shift)),
        )
        for shift in shifts
    ]
    header = ("shift", "G1 travel", "G1 busy cars", "G2 travel", "G2 busy cars", "cars busy")
    return _table(header, rows)


def _by_group(grade1: Mapping, grade2: Mapping, key: str, expected_key: str, label: str) -> str:
    names = list(grade1.get(key, {}))
    rows = [
        (
            escape(name),
            pct(grade1.get(key, {}).get(name)),
            pct(grade1.get(expected_key, {}).get(name)),
            pct(grade2.get(key, {}).get(name)),
            pct(grade2.get(expected_key, {}).get(name)),
        )
        for name in names
    ]
    note = (
        ""
        if expected_key in grade1
        else ('<p class="hubplan-note">"With busy cars" by this grouping is not in kpis.json (shown as –).</p>')
    )
    return _table((label, "G1 travel", "G1 busy cars", "G2 travel", "G2 busy cars"), rows) + note


def _solver(solver: Mapping) -> str:
    rows = [
        (
            "all shifts",
            escape(str(solver.get("status", "–"))),
            _gap(solver.get("gap")),
            number(solver.get("objective")),
            number(solver.get("bound")),
            number(solver.get("seconds")),
        )
    ]
    for shift, item in solver.get("by_shift", {}).items():
        rows.append(
            (
                escape(shift),
                escape(str(item.get("status", "–"))),
                _gap(item.get("gap")),
                number(item.get("objective")),
                number(item.get("bound")),
                number(item.get("seconds")),
            )
        )
    note = escape(str(solver.get("objective_note", "")))
    return _table(("", "status", "gap", "objective", "bound", "seconds"), rows) + f'<p class="hubplan-note">{note}</p>'


def _gap(value: object) -> str:
    return number(value * 100.0 if isinstance(value, int | float) else value, "{:.4f} %")


def _assumptions(assumptions: Mapping) -> str:
    rows = [
        ("Mobilisation delay", f"{number(assumptions.get('mobilisation_s'), '{:g}')} s"),
        ("Blue-light speed factor", number(assumptions.get("speed_factor"), "{:g}")),
        ("Demand source", escape(str(assumptions.get("demand_source", "–")))),
        (
            "Grade 1 / Grade 2 a year",
            f"{number(assumptions.get('grade1_per_year'), '{:,.0f}')} / "
            f"{number(assumptions.get('grade2_per_year'), '{:,.0f}')}",
        ),
        ("Job time G1 / G2", _job_times(assumptions.get("job_time_min", {}))),
        ("Network", escape(str(assumptions.get("network", "–")))),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    label = escape(str(assumptions.get("label", "")))
    return f'<table class="hubplan-kpi">{body}</table><p class="hubplan-note">{label}</p>'


def _job_times(job: object) -> str:
    if not isinstance(job, Mapping):
        return "–"
    return f"{number(job.get('grade1'), '{:g}')} / {number(job.get('grade2'), '{:g}')} min"


def legend_html(base_names: Sequence[str], *, target_min: float) -> str:
    """Legend: LSOA response-time classes in minutes, base and location symbols, demand symbols."""
    classes = "".join(
        f'<div><i class="hubplan-swatch" style="background:{colour}"></i>{escape(label)}</div>'
        for label, colour in style.time_classes()
    )
    bases = "".join(
        f'<div><i class="hubplan-swatch hubplan-round" style="background:{style.base_colour(k)}"></i>'
        f"{escape(name)}</div>"
        for k, name in enumerate(base_names)
    )
    symbols = (
        '<div><i class="hubplan-swatch hubplan-ring" '
        f'style="background:{style.GRADE1_COLOUR};border-color:{style.GRADE1_COLOUR}"></i>'
        "Grade 1 demand (area ∝ incidents)</div>"
        '<div><i class="hubplan-swatch hubplan-ring" '
        f'style="background:{style.GRADE2_COLOUR};border-color:{style.GRADE2_COLOUR}"></i>'
        "Grade 2 demand</div>"
        f'<div><i class="hubplan-swatch hubplan-ring" style="border-color:{style.UNCOVERED_COLOUR}"></i>'
        f"Grade 1 not reached in {target_min:g} min</div>"
        f'<div><i class="hubplan-swatch hubplan-area"></i>reached in {target_min:g} min (by base)</div>'
    )
    return (
        f"<b>Grade 1 response by LSOA</b><br><small>demand-weighted mean, modelled</small>{classes}"
        f"<b>Bases and their locations</b>{bases}<b>Demand and reach</b>{symbols}"
    )
