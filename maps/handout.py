"""The printable part of the map report: a title block, a static map per shift and the deployment locations.

On screen the report is the interactive map. Printed (A4 landscape, see
``maps/static/print.css``) the interactive map and its controls are hidden
and the print pages show instead: the title block and every KPI section
expanded, then one page per shift with its static map and its deployment
locations. The static maps (:func:`shift_map_png`, matplotlib, no browser)
are also written beside the page as PNG files for slides. Nothing here does I/O.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first
import pandas as pd  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from maps import style  # noqa: E402
from maps.data import ReportData  # noqa: E402

#: Size of a static shift map (inches) and its resolution: 1,500 x 1,000 pixels, a 3:2 slide.
PNG_SIZE_IN = (10.0, 6.67)
PNG_DPI = 150
#: Room around the force area on a static map (metres).
FRAME_MARGIN_M = 3_000.0


@dataclass(frozen=True)
class ReportTitle:
    """What the title block says: the scenario, when the report was written and by which hubplan."""

    scenario: str
    written_on: str
    version: str
    description: str = ""


def shift_map_png(data: ReportData, shift: str, *, title: str, towns: gpd.GeoDataFrame | None = None) -> bytes:
    """A static map of one shift (PNG bytes): boundaries, main roads, Grade 1 reach, locations and bases.

    Parameters
    ----------
    data
        The report's frames (British National Grid).
    shift
        One of ``data.shifts``.
    title
        Heading drawn above the map.
    towns
        Town names to write on the map (``name`` and points, British National Grid), or ``None``.
    """
    figure, ax = plt.subplots(figsize=PNG_SIZE_IN)
    try:
        colours = {name: style.base_colour(k) for k, name in enumerate(data.base_names)}
        reach = data.reachable[data.reachable["shift"] == shift]
        for base, part in reach.groupby("base"):
            part.plot(ax=ax, color=colours.get(str(base), "#888888"), alpha=0.12, linewidth=0)
        data.roads.plot(ax=ax, color="#b9b9b9", linewidth=0.6)
        local = data.boundaries[data.boundaries["kind"] != "force"]
        local.boundary.plot(ax=ax, color="#555555", linewidth=0.6, linestyle="--")
        data.boundaries[data.boundaries["kind"] == "force"].boundary.plot(ax=ax, color="#111111", linewidth=1.4)
        locations = data.locations[data.locations["shift"] == shift]
        for base, part in locations.groupby("base"):
            part.plot(ax=ax, color=colours.get(str(base), "#888888"), markersize=22, edgecolor="white", linewidth=0.6)
        _draw_bases(ax, data, colours)
        if towns is not None:
            _draw_towns(ax, towns)
        _frame_force_area(ax, data)
        ax.set_title(title, fontsize=12, loc="left")
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.legend(handles=_legend_handles(data, colours), loc="lower left", fontsize=8, frameon=True)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=PNG_DPI)
    finally:
        plt.close(figure)
    return buffer.getvalue()


def _frame_force_area(ax, data: ReportData) -> None:
    force = data.boundaries[data.boundaries["kind"] == "force"]
    x0, y0, x1, y1 = (force if len(force) else data.boundaries).total_bounds
    margin_m = FRAME_MARGIN_M
    ax.set_xlim(x0 - margin_m, x1 + margin_m)
    ax.set_ylim(y0 - margin_m, y1 + margin_m)


def _draw_bases(ax, data: ReportData, colours: Mapping[str, str]) -> None:
    for name, point in zip(data.bases["name"], data.bases.geometry, strict=True):
        ax.scatter(point.x, point.y, s=90, marker="s", color=colours[str(name)], edgecolor="black", zorder=5)
        ax.annotate(str(name), (point.x, point.y), xytext=(6, 6), textcoords="offset points", fontsize=9, zorder=6)


def _draw_towns(ax, towns: gpd.GeoDataFrame) -> None:
    """Town names just below their centres (a base in the town keeps its own label above it)."""
    for name, point in zip(towns["name"], towns.geometry, strict=True):
        ax.annotate(
            str(name),
            (point.x, point.y),
            xytext=(0, -7),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8,
            fontstyle="italic",
            color="#333333",
            zorder=4,
            path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")],
        )


def _legend_handles(data: ReportData, colours: Mapping[str, str]) -> list[Line2D]:
    handles = [
        Line2D([], [], marker="s", linestyle="", color=colours[str(name)], markeredgecolor="black", label=str(name))
        for name in data.base_names
    ]
    handles.append(Line2D([], [], marker="o", linestyle="", color="#666666", label="deployment location"))
    return handles


def png_data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` of ``png`` (so the page stays one self-contained file)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def title_block_html(title: ReportTitle) -> str:
    """The title block of the printed report."""
    description = f"<p>{escape(title.description)}</p>" if title.description else ""
    return (
        f'<div class="hubplan-titleblock"><h1>Deployment plan: {escape(title.scenario)}</h1>{description}'
        f"<p>Written {escape(title.written_on)} by hubplan {escape(title.version)}. All figures are modelled; "
        "see the assumptions below.</p></div>"
    )


def expanded(panel_html: str) -> str:
    """``panel_html`` with every ``<details>`` section open (for print)."""
    return re.sub(r"<details(?![^>]*\bopen\b)", "<details open", panel_html)


#: Columns of the deployment locations table: (heading, column of ``data.locations``); a column the frame lacks
#: is left out (``place``, ``ward`` and ``road`` come from :mod:`geodata.places`, added by
#: :func:`optimiser.report.report_data`).
LOCATION_COLUMNS = (
    ("deployment location", "name"),
    ("place", "place"),
    ("ward (local authority)", "ward"),
    ("main road", "road"),
    ("base", "base"),
    ("postcode", "nearest_postcode"),
    ("Grade 1 a year answered first", "grade1_first_response_per_year"),
    ("outside force area", "outside_force_area_m"),
    ("another base's location nearby", "nearest_other_base_m"),
)
#: A location answering first fewer Grade 1 incidents a year than this is marked in the table (and reported in
#: ``kpis.json``'s ``site_checks`` and on the terminal, see :mod:`optimiser.site_checks`).
LITTLE_GRADE1_PER_YEAR = 1.0
#: A location this close (metres, straight line) to another base's location in the same shift is marked in the
#: table (and reported like the above).
NEAR_OTHER_BASE_M = 500.0
#: How to read the flags, shown when some location has one.
OUTSIDE_NOTE = (
    "Outside force area: how far the location lies outside the force area (candidate sites may lie up to the "
    "scenario's [candidates] area_buffer_m outside it); check such a site is one the force can use."
)
NEAR_NOTE = (
    f"Another base's location nearby: a location of another base within {NEAR_OTHER_BASE_M:,.0f} m in the same "
    "shift; two bases' cars would wait side by side, so check whether one would do more elsewhere."
)
LITTLE_NOTE = (
    f"'almost none': the location answers first fewer than {LITTLE_GRADE1_PER_YEAR:g} Grade 1 incident a year."
)
#: How to read the table's columns.
TABLE_NOTE = (
    "Place: the nearest town of the gazetteer (within 2 km: the town itself, else distance and direction from its "
    "centre); ward: the electoral ward whose centre is nearest. Grade 1 a year answered first: modelled incidents "
    "a year this location is nearest to."
)
#: Where the main road comes from, or why there is none.
ROAD_NOTE = (
    "Main road: the nearest motorway or A-road within 1 km (blank if none), with its distance, from hubplan's "
    "hand-encoded strategic road layer (approximate geometry): the road network itself carries no road names."
)
NO_ROAD_NOTE = "Road: not shown, as the road network carries no road names or numbers."


def locations_table_html(data: ReportData, shift: str | None = None) -> str:
    """The deployment locations (of one shift, or all with a shift column) as an HTML table with a note.

    Columns: name, place, ward and main road (when the frame has them), base, nearest postcode and
    Grade 1 incidents a year answered first, sorted by base, then most answered first.
    """
    rows = data.locations if shift is None else data.locations[data.locations["shift"] == shift]
    rows = rows.sort_values(["base", "grade1_first_response_per_year"], ascending=[True, False])
    columns = [(heading, column) for heading, column in LOCATION_COLUMNS if column in rows.columns]
    outside = "outside_force_area_m" in rows.columns and bool((rows["outside_force_area_m"] > 0).any())
    near = "nearest_other_base_m" in rows.columns and bool((rows["nearest_other_base_m"] <= NEAR_OTHER_BASE_M).any())
    unflagged = {"outside_force_area_m": not outside, "nearest_other_base_m": not near}
    columns = [(heading, column) for heading, column in columns if not unflagged.get(column, False)]
    little = bool((rows["grade1_first_response_per_year"] < LITTLE_GRADE1_PER_YEAR).any())
    flags = ((OUTSIDE_NOTE, outside), (NEAR_NOTE, near), (LITTLE_NOTE, little))
    notes = [note for note, shown in flags if shown]
    if shift is None:
        columns.insert(1, ("shift", "shift"))
    head = "".join(f"<th>{escape(heading)}</th>" for heading, _ in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row, column)}</td>" for _, column in columns) + "</tr>"
        for _, row in rows.iterrows()
    )
    return (
        f'<table class="hubplan-locations"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        f'<p class="hubplan-note">{escape(ROAD_NOTE if "road" in rows.columns else NO_ROAD_NOTE)} '
        f"{escape(' '.join([TABLE_NOTE, *notes]))}</p>"
    )


def _cell(row: pd.Series, column: str) -> str:
    value = row[column]
    if column == "nearest_other_base_m":
        metres = float(value) if isinstance(value, int | float) else math.nan
        near = metres <= NEAR_OTHER_BASE_M  # False for NaN: no other base in the shift
        return f"<b>{escape(str(row['nearest_other_base_location']))}, {metres:,.0f} m</b>" if near else ""
    if column == "outside_force_area_m":
        metres = float(value) if isinstance(value, int | float) else math.nan
        return f"<b>{metres:,.0f} m outside</b>" if metres > 0 else ""
    if column == "grade1_first_response_per_year":
        text = _number(value)
        little = isinstance(value, int | float) and value < LITTLE_GRADE1_PER_YEAR
        return f"{text} <b>(almost none)</b>" if little else text
    return escape(str(value))


def _number(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return f"{number:,.1f}" if math.isfinite(number) else "–"


def print_pages_html(data: ReportData, title: ReportTitle, panel_html: str, pngs: Mapping[str, bytes]) -> str:
    """Every print page: the title block and expanded KPIs, then per shift its static map and locations."""
    pages = [f'<section class="hubplan-print-page">{title_block_html(title)}{expanded(panel_html)}</section>']
    for shift in data.shifts:
        count = int((data.locations["shift"] == shift).sum())
        image = (
            f'<img alt="map of the {escape(shift)} shift" src="{png_data_uri(pngs[shift])}">' if shift in pngs else ""
        )
        pages.append(
            f'<section class="hubplan-print-page hubplan-shift-page"><h2>{escape(title.scenario)}, {escape(shift)} '
            f'shift: {count} deployment locations</h2>{image}<div class="hubplan-shift-table">'
            f"{locations_table_html(data, shift)}</div></section>"
        )
    return f'<div class="hubplan-print">{"".join(pages)}</div>'
