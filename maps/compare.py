"""The comparison page: hub configurations side by side on one self-contained offline HTML page.

:func:`build_comparison_page` draws :class:`ComparisonPageData` (frames in
British National Grid, the comparison table already formatted as text, the
trade-off chart as PNG bytes) as a ``folium.Map`` whose page also carries a
header with each scenario's definition, the table, the chart and the notes,
above the map. The map has one layer per scenario (its bases and deployment
locations over every shift), the demand nodes whose Grade 1 cover differs
between the first two scenarios (green gained, red lost, purple mixed), and
the force and local authority boundaries. It does no I/O:
:func:`maps.offline.render_offline_html` makes it self-contained,
which inlines the vendored Leaflet so the file opens with no internet.

Every text that comes from a user's files (scenario, base and location names,
definitions, table cells, notes) is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import base64
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from maps import layers, style
from maps.data import ReportDataError, frame_problems
from maps.elements import HtmlControl, HtmlPopup, HtmlTooltip, PointLayer, RawHtml
from maps.page import COMPARE_CSS, base_marker, new_page_map, popup_table, shape_svg, svg_icon

#: ``**text**`` in a verdict paragraph (after escaping), shown bold.
BOLD = re.compile(r"[*][*](.+?)[*][*]")
#: The difference layers' class under its earlier name (it is the page kit's one point layer).
StatusPointLayer = PointLayer

#: Columns each frame must have (besides ``geometry``), and the table's leading columns.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "bases": ("name",),
    "locations": ("location_id", "base", "shift", "name"),
    "difference": (
        "node_id",
        "status",
        "grade1_gained_per_year",
        "grade1_lost_per_year",
        "shifts_gained",
        "shifts_lost",
        "la_name",
    ),
    "boundaries": ("kind", "name"),
    "roads": ("road_class",),
}
TABLE_COLUMNS = ("section", "metric")
#: Frames that must hold points only.
POINT_FRAMES = ("bases", "locations", "difference")

STATUSES = ("gained", "lost", "mixed")
STATUS_COLOURS = {"gained": style.GAINED_COLOUR, "lost": style.LOST_COLOUR, "mixed": style.MIXED_COLOUR}
STATUS_TITLES = {
    "gained": "Grade 1 cover gained",
    "lost": "Grade 1 cover lost",
    "mixed": "Grade 1 cover gained in one shift, lost in another",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Height of the map on the page, and room kept for the layer control when fitting it to the force area.
MAP_HEIGHT = "70vh"
LAYERS_WIDTH_PX = 290
#: Icon size (pixels) of deployment locations (bases are drawn by :func:`maps.page.base_marker`).
LOCATION_ICON_PX = 16
#: Radius range (pixels) of the difference circles; area is proportional to Grade 1 incidents gained + lost.
DIFFERENCE_MIN_PX, DIFFERENCE_MAX_PX = 3.0, 12.0


@dataclass(frozen=True, eq=False)
class ScenarioLayers:
    """What the map shows of one scenario.

    Parameters
    ----------
    name
        Scenario label: layer name, table column and legend entry (must be unique on a page).
    definition
        Where it came from, e.g. ``"scenarios/hubs-2018.toml"`` or ``"hubs-2018 with --drop-base Cannock"``.
    bases
        One row per base: ``name`` and a point (projected CRS, e.g. EPSG:27700).
    locations
        One row per deployment location and shift: ``location_id, base, shift, name`` and a point.

    Raises
    ------
    maps.data.ReportDataError
        Listing every missing column, missing or geographic CRS, non-point geometry and unknown base.
    """

    name: str
    definition: str
    bases: gpd.GeoDataFrame
    locations: gpd.GeoDataFrame

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append(f"name: expected a non-empty scenario label, got {self.name!r}")
        for frame_name in ("bases", "locations"):
            problems += _frame_problems(frame_name, getattr(self, frame_name))
        if not problems:
            unknown = sorted(set(self.locations["base"].astype(str)) - set(self.bases["name"].astype(str)))
            if unknown:
                problems.append(f"locations: bases {unknown} are not in bases {self.bases['name'].tolist()}")
        if problems:
            raise ReportDataError([f"scenario {self.name!r}: {problem}" for problem in problems])


@dataclass(frozen=True, eq=False)
class AreaTable:
    """A per-area table of the page: the rows that differ, and those folded away in a ``<details>``.

    Parameters
    ----------
    title
        Heading (plain text), e.g. ``"By local authority: B against A"``.
    shown, folded
        Text tables with the same columns (the first names the area); either may be empty.
    """

    title: str
    shown: pd.DataFrame
    folded: pd.DataFrame


@dataclass(frozen=True, eq=False)
class ComparisonPageData:
    """Everything the comparison page shows.

    Parameters
    ----------
    title
        Page title (plain text).
    scenarios
        At least two scenarios, in column order; the first is the reference ("A").
    difference
        One row per demand node whose Grade 1 cover differs between the first two
        scenarios: ``node_id``, ``status`` (``"gained"``: covered within target under
        the second but not the first in some shift and lost in none; ``"lost"``; ``"mixed"``),
        ``grade1_gained_per_year``, ``grade1_lost_per_year``, ``shifts_gained``,
        ``shifts_lost`` (text, e.g. ``"early, night"``), ``la_name`` and a point.
    boundaries
        ``kind`` (``"force"`` or ``"local_authority"``), ``name`` and a polygon.
    table
        The comparison table as text: ``section, metric``, then one column per scenario
        and optionally change columns (any column whose name starts with ``"change"``).
    chart_png
        The trade-off chart (:func:`maps.tradeoff.tradeoff_chart_png`), or ``None``.
    notes
        Assumptions and caveats, one sentence or paragraph each (plain text).
    roads
        Optional main roads (``road_class`` and a line) drawn as a light layer.
    expected_difference
        Optional: the same columns as ``difference`` for the cover with busy
        cars (expected Grade 1 incidents a year reached within target), drawn
        as a second layer. When the travel-only difference is empty, this
        layer is the one shown when the page opens.
    folded_table
        Rows of ``table`` left out of it because every scenario has the same value, shown in a closed
        ``<details>`` below it; ``None`` or empty for none.
    verdict
        Paragraphs at the top of the page (plain text; ``**bold**`` is kept as bold).
    area_tables
        Per-area tables (:class:`AreaTable`) below the side-by-side table.

    Raises
    ------
    maps.data.ReportDataError
        Listing every problem found (columns, CRS, statuses, names, chart bytes).
    """

    title: str
    scenarios: Sequence[ScenarioLayers]
    difference: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    table: pd.DataFrame
    chart_png: bytes | None = None
    notes: Sequence[str] = ()
    roads: gpd.GeoDataFrame | None = None
    expected_difference: gpd.GeoDataFrame | None = None
    verdict: Sequence[str] = ()
    area_tables: Sequence[AreaTable] = ()
    folded_table: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "scenarios", tuple(self.scenarios))
        object.__setattr__(self, "verdict", tuple(str(paragraph) for paragraph in self.verdict))
        object.__setattr__(self, "area_tables", tuple(self.area_tables))
        object.__setattr__(self, "notes", tuple(str(note) for note in self.notes))
        problems = _scenario_problems(tuple(self.scenarios))
        for frame_name in ("difference", "boundaries"):
            problems += _frame_problems(frame_name, getattr(self, frame_name))
        if self.roads is not None:
            problems += _frame_problems("roads", self.roads)
        if self.expected_difference is not None:
            name = "expected_difference"
            problems += frame_problems(name, self.expected_difference, REQUIRED_COLUMNS["difference"], points=True)
            problems += _status_problems(self.expected_difference, name)
        problems += _status_problems(self.difference) + _table_problems(self.table)
        if self.chart_png is not None and bytes(self.chart_png[:8]) != PNG_SIGNATURE:
            problems.append("chart_png: not a PNG image; pass tradeoff_chart_png(...) or None")
        if problems:
            raise ReportDataError(problems)

    @property
    def difference_label(self) -> str:
        """Layer name of the difference (plain text), e.g. ``"Grade 1 cover: B vs A"``."""
        return f"Grade 1 cover: {self.scenarios[1].name} vs {self.scenarios[0].name}"

    @property
    def expected_difference_label(self) -> str:
        """Layer name of the difference with busy cars, e.g. ``"Grade 1 with busy cars: B vs A"``."""
        return f"Grade 1 with busy cars: {self.scenarios[1].name} vs {self.scenarios[0].name}"


def _frame_problems(name: str, frame: object) -> list[str]:
    return frame_problems(name, frame, REQUIRED_COLUMNS[name], points=name in POINT_FRAMES)


def _scenario_problems(scenarios: tuple[ScenarioLayers, ...]) -> list[str]:
    wrong = [type(item).__name__ for item in scenarios if not isinstance(item, ScenarioLayers)]
    if wrong:
        return [f"scenarios: expected ScenarioLayers items, got {wrong}"]
    if len(scenarios) < 2:
        return [f"scenarios: got {len(scenarios)}; a comparison needs at least two"]
    names = [item.name for item in scenarios]
    repeated = sorted({name for name in names if names.count(name) > 1})
    return [f"scenarios: names must be unique (they name layers and columns); repeated: {repeated}"] if repeated else []


def _status_problems(difference: object, name: str = "difference") -> list[str]:
    if not isinstance(difference, pd.DataFrame) or "status" not in difference.columns:
        return []
    unknown = sorted(set(difference["status"].astype(str)) - set(STATUSES))
    return [f"{name}: status {unknown} not in {list(STATUSES)}"] if unknown else []


def _table_problems(table: object) -> list[str]:
    if not isinstance(table, pd.DataFrame):
        return [f"table: expected a pandas DataFrame, got {type(table).__name__}"]
    missing = [column for column in TABLE_COLUMNS if column not in table.columns]
    if missing:
        return [f"table: missing columns {missing}; it has {list(table.columns)}"]
    if len(table.columns) <= len(TABLE_COLUMNS):
        return ["table: has no scenario columns; give one column per scenario after 'section' and 'metric'"]
    return []


# --------------------------------------------------------------------------------------------------- the page


def build_comparison_page(data: ComparisonPageData, *, basemap: str | None = None) -> folium.Map:
    """Build the comparison page (no I/O).

    Parameters
    ----------
    data
        Scenarios, difference, boundaries, table, chart and notes.
    basemap
        ``None`` (default): no tiles, the page needs no internet. ``"osm"``:
        OpenStreetMap tiles (fetched online).

    Returns
    -------
    folium.Map
        The map (overlays: one per scenario, the first shown; the Grade 1 cover
        difference; boundaries; main roads when given), whose root figure also holds
        the header, table, chart and notes above it. Turn it into
        offline HTML with :func:`maps.offline.render_offline_html`.
    """
    fmap = _new_map(data)
    layers.add_panes(fmap)
    for k, scenario in enumerate(data.scenarios):
        fmap.add_child(scenario_layer(scenario, k, show=k == 0))
    travel_shown = len(data.difference) > 0 or data.expected_difference is None
    fmap.add_child(difference_layer(data.difference, label=data.difference_label, show=travel_shown))
    if data.expected_difference is not None:
        fmap.add_child(
            difference_layer(
                data.expected_difference, label=data.expected_difference_label, show=not travel_shown, busy_cars=True
            )
        )
    fmap.add_child(layers.boundaries_layer(data.boundaries))
    if data.roads is not None:
        fmap.add_child(layers.roads_layer(data.roads))
    if basemap is not None:
        fmap.add_child(layers.basemap_layer(basemap))
    legend = legend_html(
        [s.name for s in data.scenarios],
        difference_label=data.difference_label,
        expected_label=data.expected_difference_label if data.expected_difference is not None else None,
    )
    fmap.add_child(HtmlControl(legend, position="bottomright", class_name="hubplan-control hubplan-legend hc-legend"))
    folium.LayerControl(position="topright", collapsed=False).add_to(fmap)
    return fmap


def _new_map(data: ComparisonPageData) -> folium.Map:
    fmap = new_page_map(
        data.boundaries,
        title=data.title,
        height=MAP_HEIGHT,
        padding_bottom_right=(LAYERS_WIDTH_PX, 10),
        stylesheets=[COMPARE_CSS],
    )
    figure = fmap.get_root()
    assert isinstance(figure, Figure)  # a new Map is always placed in a Figure
    figure.html.add_child(RawHtml(page_html(data)), name="hubplan_page")
    return fmap


def page_html(data: ComparisonPageData) -> str:
    """The page above the map: header, scenario definitions, table, trade-off chart, notes and the map title."""
    scenarios = "".join(
        f"<li>{shape_svg(style.scenario_shape(k), style.scenario_colour(k), 16)}<b>{escape(s.name)}</b>"
        f'<span class="hc-definition">{escape(s.definition)}</span></li>'
        for k, s in enumerate(data.scenarios)
    )
    first, second = (escape(s.name) for s in data.scenarios[:2])
    return (
        '<div class="hc-page"><header class="hc-header">'
        f'<h1>{escape(data.title)}</h1><span class="hubplan-badge">modelled</span>'
        '<nav><a href="#hc-table">Table</a><a href="#hc-chart">Trade-off chart</a><a href="#hc-map">Map</a></nav>'
        f'</header><ol class="hc-scenarios">{scenarios}</ol>{verdict_html(data.verdict)}<div class="hc-grid">'
        '<section class="hc-card hc-table-card" id="hc-table"><h2>Side by side</h2>'
        f'<div class="hc-scroll">{comparison_table_html(data.table, [s.name for s in data.scenarios])}</div>'
        f"{_folded_rows_html(data)}{''.join(area_table_html(table) for table in data.area_tables)}"
        f'</section><div class="hc-side">{_chart_html(data.chart_png)}{_notes_html(data.notes)}</div></div>'
        f'<h2 class="hc-map-title" id="hc-map">Map: deployment locations, and where Grade 1 cover changes '
        f"from {first} to {second} <small>(layers on the right; click a symbol for details)</small></h2></div>"
    )


def verdict_html(paragraphs: Sequence[str]) -> str:
    """The verdict card: escaped paragraphs, ``**text**`` shown bold; empty without a verdict."""
    if not paragraphs:
        return ""
    body = "".join(f"<p>{_bold(escape(text))}</p>" for text in paragraphs)
    return f'<section class="hc-card hc-verdict" id="hc-verdict"><h2>Verdict</h2>{body}</section>'


def _folded_rows_html(data: ComparisonPageData) -> str:
    folded = data.folded_table
    if folded is None or folded.empty:
        return ""
    table = comparison_table_html(folded, [s.name for s in data.scenarios])
    return (
        f'<details class="hc-folded hc-same"><summary>{len(folded)} rows with the same value in every '
        f'scenario</summary><div class="hc-scroll">{table}</div></details>'
    )


def _bold(html: str) -> str:
    return BOLD.sub(r"<b>\1</b>", html)


def area_table_html(table: AreaTable) -> str:
    """The rows that differ as a table, the rest in a closed ``<details>`` (opened when printed)."""
    html = f"<h3>{escape(table.title)}</h3>"
    if table.shown.empty:
        html += '<p class="hc-empty">No area differs.</p>'
    else:
        html += f'<div class="hc-scroll">{_plain_table_html(table.shown)}</div>'
    if not table.folded.empty:
        html += (
            f'<details class="hc-folded"><summary>{len(table.folded)} areas that do not differ</summary>'
            f'<div class="hc-scroll">{_plain_table_html(table.folded)}</div></details>'
        )
    return html


def _plain_table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{escape(str(column))}</th>" for column in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(value))}</td>" for value in record) + "</tr>"
        for record in frame.itertuples(index=False)
    )
    return f'<table class="hc-area-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _chart_html(chart_png: bytes | None) -> str:
    if chart_png is None:
        body = '<p class="hc-empty">No trade-off sweep was run for these scenarios.</p>'
    else:
        encoded = base64.b64encode(bytes(chart_png)).decode("ascii")
        body = (
            f'<img class="hc-chart" src="data:image/png;base64,{encoded}" '
            'alt="Grade 1 cover against the number of deployment locations, per scenario">'
        )
    return f'<section class="hc-card" id="hc-chart"><h2>What each extra deployment location buys</h2>{body}</section>'


def _notes_html(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{escape(note)}</li>" for note in notes)
    return f'<section class="hc-card hc-notes" id="hc-notes"><h2>Assumptions and caveats</h2><ul>{items}</ul></section>'


def comparison_table_html(table: pd.DataFrame, scenario_names: Sequence[str] = ()) -> str:
    """The formatted comparison table as an HTML table, one group row per section.

    Parameters
    ----------
    table
        ``section, metric`` and value columns, already formatted as text (missing values
        become empty cells). Columns whose name starts with ``"change"`` are shaded.
    scenario_names
        Scenario labels in order; their column headings get the scenario's symbol.
    """
    columns = [column for column in table.columns if column != "section"]
    symbols = {
        name: shape_svg(style.scenario_shape(k), style.scenario_colour(k), 13) for k, name in enumerate(scenario_names)
    }
    head = "".join(
        f'<th class="{_column_class(c)}">{symbols.get(str(c), "")}{"" if c == "metric" else escape(str(c))}</th>'
        for c in columns
    )
    rows, section = [], None
    for record in table.to_dict("records"):
        if record["section"] != section:
            section = record["section"]
            rows.append(f'<tr class="hc-section"><th colspan="{len(columns)}">{escape(_cell(section))}</th></tr>')
        cells = "".join(f'<td class="{_column_class(c)}">{_breakable(record[c])}</td>' for c in columns)
        rows.append(f"<tr>{cells}</tr>")
    return f'<table class="hc-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _breakable(value: object) -> str:
    """Escaped cell text that may wrap after a slash (file paths in the definition row)."""
    return escape(_cell(value)).replace("/", "/<wbr>")


def _column_class(column: object) -> str:
    if column == "metric":
        return "hc-metric"
    return "hc-change" if str(column).startswith("change") else "hc-value"


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


# ------------------------------------------------------------------------------------------------- the layers


def scenario_layer(scenario: ScenarioLayers, index: int, *, show: bool) -> folium.FeatureGroup:
    """One scenario's bases and deployment locations (one marker per site, every shift it is used in).

    The group is named after the scenario (escaped, as Leaflet shows layer names as HTML).
    Bases are drawn as on every page (:func:`maps.page.base_marker`), locations as small
    symbols; both in the scenario's colour and shape.
    """
    group = folium.FeatureGroup(name=escape(scenario.name), show=show)
    colour, shape = style.scenario_colour(index), style.scenario_shape(index)
    for row in layers.to_wgs84(scenario.bases).to_dict("records"):
        group.add_child(
            base_marker(
                row, colour=colour, shape=shape, scenario=scenario.name, class_name=f"hc-base hc-scenario-{index}"
            )
        )
    for site in location_sites(scenario.locations):
        icon = svg_icon(
            shape_svg(shape, colour, LOCATION_ICON_PX), LOCATION_ICON_PX, f"hc-location hc-scenario-{index}"
        )
        marker = folium.Marker([site["geometry"].y, site["geometry"].x], icon=icon)
        marker.add_child(HtmlTooltip(f"{escape(str(site['name']))} ({escape(scenario.name)})"))
        marker.add_child(HtmlPopup(site_popup(site, scenario.name)))
        group.add_child(marker)
    return group


def location_sites(locations: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """One record per deployment site (``location_id`` and ``base``) with the shifts it is used in, in WGS84.

    Records ``location_id, base, name, shifts`` (e.g. ``"early, night"``) and ``geometry`` (a point),
    in order of first appearance.
    """
    sites: dict[tuple[str, str], dict[str, Any]] = {}
    for row in layers.to_wgs84(locations).to_dict("records"):
        site = sites.setdefault((str(row["location_id"]), str(row["base"])), {**row, "shifts": []})
        if str(row["shift"]) not in site["shifts"]:
            site["shifts"].append(str(row["shift"]))
    return [{**site, "shifts": ", ".join(site["shifts"])} for site in sites.values()]


def site_popup(site: Mapping[str, object], scenario: str) -> str:
    """Popup HTML of a deployment location: scenario, base, shifts, location id."""
    fields = [
        ("Scenario", scenario),
        ("Base", site["base"]),
        ("Shift" if "," not in str(site["shifts"]) else "Shifts", site["shifts"]),
        ("Location id", site["location_id"]),
    ]
    return f"<b>{escape(str(site['name']))}</b>{popup_table(fields)}"


def difference_layer(
    difference: gpd.GeoDataFrame, *, label: str, show: bool = True, busy_cars: bool = False
) -> PointLayer:
    """Demand nodes whose Grade 1 cover changes: green gained, red lost, purple mixed.

    Circle area is proportional to the Grade 1 incidents a year gained plus lost
    (expected incidents with ``busy_cars``); larger circles are drawn first so
    small ones stay clickable.
    """
    moved = layers.to_wgs84(difference)
    values = (moved["grade1_gained_per_year"].astype(float) + moved["grade1_lost_per_year"].astype(float)).fillna(0.0)
    largest = float(values.max()) if len(values) else 0.0
    rows = []
    for record, value in zip(moved.to_dict("records"), values, strict=True):
        radius = style.radius_px(value, largest=largest, max_px=DIFFERENCE_MAX_PX, min_px=DIFFERENCE_MIN_PX)
        point = record["geometry"]
        popup = difference_popup(record, label, busy_cars=busy_cars)
        rows.append([point.y, point.x, radius, str(record["status"]), popup])
    rows.sort(key=lambda row: -float(row[2]))
    styles = {
        status: {"color": colour, "weight": 1.2, "fillColor": colour, "fillOpacity": 0.55, "opacity": 0.95}
        for status, colour in STATUS_COLOURS.items()
    }
    return PointLayer(
        rows, styles=styles, tooltips=STATUS_TITLES, name=escape(label), pane=layers.PANE_DEMAND[0], show=show
    )


def difference_popup(record: Mapping[str, object], label: str, *, busy_cars: bool = False) -> str:
    """Popup HTML of one demand node of a difference layer (travel only, or with busy cars)."""
    unit = "expected Grade 1 incidents a year" if busy_cars else "Grade 1 incidents a year"
    fields = [
        ("Gained", _change_text(record["grade1_gained_per_year"], record["shifts_gained"], unit)),
        ("Lost", _change_text(record["grade1_lost_per_year"], record["shifts_lost"], unit)),
        ("Local authority", record["la_name"]),
        ("Demand node", record["node_id"]),
    ]
    title = STATUS_TITLES.get(str(record["status"]), str(record["status"]))
    measure = "with busy cars" if busy_cars else "travel only"
    return f"<b>{escape(title)}</b><br><small>{escape(label)} (modelled, {measure})</small>{popup_table(fields)}"


def _change_text(per_year: object, shifts: object, unit: str) -> str:
    if not isinstance(per_year, numbers.Real) or not math.isfinite(per_year) or per_year <= 0:
        return "–"
    return f"{float(per_year):,.1f} {unit} ({_cell(shifts) or 'no shift named'})"


def legend_html(scenario_names: Sequence[str], *, difference_label: str, expected_label: str | None = None) -> str:
    """Legend: each scenario's base and location symbols, and the difference colours (B = second, A = first)."""
    scenarios = "".join(
        f"<div>{shape_svg(style.scenario_shape(k), style.scenario_colour(k), 18, label='Ab')}"
        f"{shape_svg(style.scenario_shape(k), style.scenario_colour(k), 13)}{escape(name)}</div>"
        for k, name in enumerate(scenario_names)
    )
    first, second = (escape(name) for name in scenario_names[:2])
    statuses = "".join(
        f'<div><i class="hc-dot" style="background:{STATUS_COLOURS[status]}"></i>{text}</div>'
        for status, text in (
            ("gained", f"gained: within target under {second}, not {first}"),
            ("lost", f"lost: within target under {first}, not {second}"),
            ("mixed", "gained in one shift, lost in another"),
        )
    )
    expected = (
        f"<br><small><b>{escape(expected_label)}</b>: the same colours, for the expected Grade 1 incidents a year "
        "reached with busy cars; circle area ∝ expected incidents gained + lost</small>"
        if expected_label is not None
        else ""
    )
    return (
        "<b>Scenarios</b><br><small>large symbol: base (first letters); small: deployment location</small>"
        f"{scenarios}<b>{escape(difference_label)}</b>{statuses}"
        "<small>circle area ∝ Grade 1 incidents a year gained + lost (modelled, travel only)</small>"
        f"{expected}"
    )
