"""HTML of the KPI panel and the legend, from the plan's KPIs (:class:`models.kpis.PlanKpis`).

Every figure is labelled as modelled. "Travel only" assumes a free car at
every open site (an upper bound on attendance); "with busy cars" discounts
each car by the shift's estimated busy fraction. A share of no demand (NaN,
see :mod:`models.kpis`) is shown as "–".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape

from maps import style
from maps.page import shape_svg
from models.kpis import Assumptions, GradeKpis, PlanKpis, SolverKpis

MODELLED_NOTE = (
    "All figures are <b>modelled</b>: travel only assumes a free car at every open site (an upper bound on "
    "attendance); with busy cars discounts each car by the shift's estimated busy fraction. Neither is a "
    "simulation of queueing, so neither compares directly with published attendance. “–”: no demand in that group."
)


def pct(value: object) -> str:
    """A share as ``"64.0 %"``; a dash when missing or not finite (a share of no demand)."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "–"
    return f"{100.0 * value:.1f} %"


def number(value: object, fmt: str = "{:,.1f}") -> str:
    """A number with ``fmt``; a dash when missing or not finite."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "–"
    return fmt.format(value)


def kpi_panel_html(kpis: PlanKpis, *, chart_svg: str = "") -> str:
    """The whole KPI panel: headline, by shift, by base, by local authority, solver, assumptions, chart."""
    grade1, grade2 = kpis.grade1, kpis.grade2
    title = f"hubplan plan: {escape(kpis.scenario)}"
    sections = [f'<div class="hubplan-title">{title} <span class="hubplan-badge">modelled</span></div>']
    if kpis.simulated is not None:
        sections.append(_section("Simulated attendance", simulated_html(kpis.simulated), open_=True))
    sections += [
        _section(
            "Coverage (travel time; an upper bound)" if kpis.simulated is not None else "Coverage",
            _headline(grade1, grade2),
            open_=True,
        ),
        _section("By standard and area class", _by_standard(kpis), open_=True),
        _section("By shift", _by_shift(grade1, grade2, kpis.busy_fraction_by_shift), open_=True),
        _section("By base", _by_group(grade1, grade2, "base", "Base"), open_=False),
        _section("By local authority", _by_group(grade1, grade2, "local_authority", "Local authority"), open_=False),
        _section("Solver", _solver(kpis.solver), open_=False),
        _section("Assumptions", _assumptions(kpis.assumptions), open_=False),
    ]
    if chart_svg:
        sections.append(
            _section("Response-time chart", f'<div class="hubplan-chart-box">{chart_svg}</div>', open_=False)
        )
    sections.append(f'<p class="hubplan-note">{MODELLED_NOTE}</p>')
    return "".join(sections)


def simulated_html(simulated: Mapping[str, object]) -> str:
    """Simulated attendance from the call, per grade, with 95 % intervals, and by base area (Grade 1)."""
    rows = []
    for number_, key in ((1, "grade1"), (2, "grade2")):
        grade = simulated[key]
        rows.append(
            (
                f"Grade {number_}",
                f"{number(simulated['parameters'][f'target_grade{number_}_min'], '{:g}')} min",
                _with_interval(grade["within_target"], pct),
                _with_interval(grade["mean_min"], number),
            )
        )
    table = _table(("Grade", "Target", "Within target (95 % interval)", "Mean min (95 % interval)"), rows)
    areas = simulated["grade1"].get("by_base_area", {})
    area_rows = [(escape(str(name)), _with_interval(v["within_target"], pct)) for name, v in areas.items()]
    by_area = _table(("Base area", "Grade 1 within target"), area_rows) if area_rows else ""
    note = (
        f'<p class="hubplan-note">Simulated: {simulated["replications"]} replications of {simulated["days"]} days '
        "with busy cars, call handling and queues, from the call as the force measures it (assumed and fitted "
        "parameters; not force records).</p>"
    )
    return table + by_area + note


def _with_interval(figure: Mapping[str, object], fmt) -> str:
    low, high = figure["ci95"]
    return f"{fmt(figure['mean'])} <small>({fmt(low)}–{fmt(high)})</small>"


def _section(title: str, body: str, *, open_: bool) -> str:
    return f"<details{' open' if open_ else ''}><summary>{escape(title)}</summary>{body}</details>"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="hubplan-kpi"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _headline(grade1: GradeKpis, grade2: GradeKpis) -> str:
    rows = [
        (
            label,
            escape(grade.target_text),
            pct(grade.covered_share),
            pct(grade.expected_covered_share),
            number(grade.mean_response_min),
            number(grade.p90_response_min),
        )
        for label, grade in (("Grade 1", grade1), ("Grade 2", grade2))
    ]
    return _table(("", "target", "travel only", "with busy cars", "mean min", "p90 min"), rows)


def _by_standard(kpis: PlanKpis) -> str:
    """Grade 1 under the plan's standard and the other one, overall and by area class."""
    if kpis.standard is None:
        return '<p class="hubplan-note">This kpis.json names no standard (older hubplan); re-run optimise.</p>'
    pairs = [(kpis.standard.name, kpis.grade1)]
    if kpis.other_standard is not None:
        pairs.append((kpis.other_standard.standard.name, kpis.other_standard.grade1))
    rows = [
        (
            escape(name),
            escape(area),
            escape(item.target_text),
            pct(item.covered_share),
            pct(item.expected_covered_share),
        )
        for name, grade in pairs
        for area, item in (("all", grade), *grade.by_area_class.items())
    ]
    note = (
        f'<p class="hubplan-note">Measured against <b>{escape(kpis.standard.name)}</b>: '
        f"{escape(kpis.standard.title)}. Source: {escape(kpis.standard.source)}. Urban and rural classes: "
        f"{escape(kpis.standard.class_source)}.</p>"
    )
    return _table(("standard", "area", "G1 target", "G1 travel", "G1 busy cars"), rows) + note


def _by_shift(grade1: GradeKpis, grade2: GradeKpis, busy: Mapping[str, float]) -> str:
    rows = [
        (
            escape(shift),
            pct(grade1.by_shift.get(shift)),
            pct(grade1.expected_by_shift.get(shift)),
            pct(grade2.by_shift.get(shift)),
            pct(grade2.expected_by_shift.get(shift)),
            pct(busy.get(shift)),
        )
        for shift in grade1.by_shift
    ]
    header = ("shift", "G1 travel", "G1 busy cars", "G2 travel", "G2 busy cars", "cars busy")
    return _table(header, rows)


def group_shares(grade: GradeKpis, grouping: str) -> tuple[Mapping[str, float], Mapping[str, float]]:
    """``(travel only, with busy cars)`` shares of a grade by ``"base"`` or ``"local_authority"``."""
    if grouping == "base":
        return grade.by_base, grade.expected_by_base
    if grouping == "local_authority":
        return grade.by_local_authority, grade.expected_by_local_authority
    raise ValueError(f"unknown grouping {grouping!r}; valid: 'base', 'local_authority'")


def _by_group(grade1: GradeKpis, grade2: GradeKpis, grouping: str, label: str) -> str:
    travel1, busy1 = group_shares(grade1, grouping)
    travel2, busy2 = group_shares(grade2, grouping)
    rows = [
        (escape(name), pct(travel1.get(name)), pct(busy1.get(name)), pct(travel2.get(name)), pct(busy2.get(name)))
        for name in travel1
    ]
    note = (
        '<p class="hubplan-note">"With busy cars" by this grouping is not in this plan\'s kpis.json (written by an '
        "older hubplan; shown as –); re-run hubplan optimise to fill it.</p>"
        if travel1 and not busy1
        else ""
    )
    return _table((label, "G1 travel", "G1 busy cars", "G2 travel", "G2 busy cars"), rows) + note


def _solver(solver: SolverKpis) -> str:
    rows = [
        (
            "all shifts",
            escape(solver.status),
            _gap(solver.gap),
            number(solver.objective),
            number(solver.bound),
            number(solver.seconds),
        )
    ]
    rows += [
        (
            escape(shift),
            escape(item.status),
            _gap(item.gap),
            number(item.objective),
            number(item.bound),
            number(item.seconds),
        )
        for shift, item in solver.by_shift.items()
    ]
    note = escape(solver.objective_note)
    return _table(("", "status", "gap", "objective", "bound", "seconds"), rows) + f'<p class="hubplan-note">{note}</p>'


def _gap(value: object) -> str:
    return number(value * 100.0 if isinstance(value, int | float) else value, "{:.4f} %")


def _assumptions(assumptions: Assumptions) -> str:
    rows = [
        ("Mobilisation delay", f"{number(assumptions.mobilisation_s, '{:g}')} s"),
        ("Blue-light speed factor", number(assumptions.speed_factor, "{:g}")),
        ("Demand source", escape(assumptions.demand_source)),
        (
            "Grade 1 / Grade 2 a year",
            f"{number(assumptions.grade1_per_year, '{:,.0f}')} / {number(assumptions.grade2_per_year, '{:,.0f}')}",
        ),
        (
            "Job time G1 / G2",
            f"{number(assumptions.job_time_grade1_min, '{:g}')} / "
            f"{number(assumptions.job_time_grade2_min, '{:g}')} min",
        ),
        ("Network", escape(assumptions.network)),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="hubplan-kpi">{body}</table><p class="hubplan-note">{escape(assumptions.label)}</p>'


def legend_html(base_names: Sequence[str], *, target_min: float, standard: str = "", class_source: str = "") -> str:
    """Legend: LSOA response-time classes in minutes, base and location symbols, demand symbols, standard, classes.

    ``target_min`` is the Grade 1 target the reach and uncovered layers are drawn for (the shortest one when
    the standard sets one per area class); ``standard`` names the standard; ``class_source`` (when the class
    layer is drawn) says where the urban and rural classes come from.
    """
    classes = "".join(
        f'<div><i class="hubplan-swatch" style="background:{colour}"></i>{escape(label)}</div>'
        for label, colour in style.time_classes()
    )
    bases = "".join(
        f"<div>{shape_svg(style.base_shape(k), style.base_colour(k), 14)}{escape(name)}</div>"
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
    standard_text = f"<b>Standard</b><div>{escape(standard)}</div>" if standard else ""
    area_text = (
        "".join(
            f'<div><i class="hubplan-swatch" style="background:{colour}"></i>{escape(name)}</div>'
            for name, colour in AREA_CLASS_SWATCHES.items()
        )
        if class_source
        else ""
    )
    area_title = f"<b>Area class</b><br><small>{escape(class_source)}</small>" if class_source else ""
    return (
        f"<b>Grade 1 response by LSOA</b><br><small>demand-weighted mean, modelled</small>{classes}"
        f"<b>Bases and their locations</b>{bases}<b>Demand and reach</b>{symbols}{standard_text}"
        f"{area_title}{area_text}"
    )


#: Fill of each area class (the same as ``maps.layers.AREA_CLASS_COLOURS``).
AREA_CLASS_SWATCHES = {"urban": "#8c6bb1", "rural": "#74c476"}
