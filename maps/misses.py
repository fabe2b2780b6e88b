"""The map of actual misses from ``hubplan evaluate``: where and when actual attendance missed its target.

Input is the grid of :class:`optimiser.evaluation_misses.MissCells` (one row
per grade, shift and square cell, British National Grid). Per grade two
layers: the misses the model expected in time (the modelled response was
within target, so the miss came from what the static model does not see:
cars busy, queueing, call handling) and the misses the model expected too (no
open site within target). Circle area grows with the misses of the cell; its
popup gives them by shift. A panel sums them by shift. :func:`build_misses_page`
does no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import folium
import geopandas as gpd
import pandas as pd

from maps import layers, style
from maps.elements import HtmlControl, PointLayer
from maps.page import COORD_DECIMALS, new_page_map, popup_table, to_wgs84

#: Columns the cell frame must have.
CELL_COLUMNS = (
    "grade",
    "shift",
    "x_m",
    "y_m",
    "with_actual",
    "actual_missed",
    "missed_model_expected_in_time",
    "missed_model_expected_miss",
)
#: The two kinds of miss: count column, layer label, colour, drawn as a ring.
KINDS = (
    ("missed_model_expected_in_time", "missed, model expected in time", "#d95f02", False),
    ("missed_model_expected_miss", "missed, model expected the miss", "#7570b3", True),
)
GRADE_TARGET_MIN = {1: 15, 2: 60}


def build_misses_page(cells: pd.DataFrame, boundaries: gpd.GeoDataFrame, *, title: str) -> folium.Map:
    """The misses map: one layer per grade and kind of miss, boundaries, and a panel of misses by shift.

    Parameters
    ----------
    cells
        :data:`CELL_COLUMNS`, cell centres in British National Grid.
    boundaries
        ``kind`` and polygons of the force and local authorities (projected CRS).
    title
        Page title and the panel's heading (plain text).

    Returns
    -------
    folium.Map
        Inline Leaflet with :func:`maps.offline.render_offline_html`.
    """
    missing = [column for column in CELL_COLUMNS if column not in cells.columns]
    if missing:
        raise ValueError(f"cells lack column(s) {', '.join(missing)}; give the MissCells table")
    fmap = new_page_map(boundaries, title=title, padding_top_left=(360, 10), padding_bottom_right=(260, 10))
    layers.add_panes(fmap)
    fmap.add_child(layers.boundaries_layer(boundaries))
    per_cell = _per_cell(cells)
    largest = float(per_cell[[kind for kind, *_ in KINDS]].to_numpy().max(initial=0.0))
    for grade in sorted(per_cell["grade"].unique()):
        for kind, label, colour, ring in KINDS:
            rows = per_cell[(per_cell["grade"] == grade) & (per_cell[kind] > 0)]
            fmap.add_child(
                PointLayer(
                    _rows(rows, kind, largest),
                    name=escape(f"Grade {grade} {label}"),
                    styles={"cell": _style(colour, ring=ring)},
                    tooltips={"cell": f"Grade {grade} {label}: click for the shifts"},
                    pane=layers.PANE_DEMAND[0],
                    show=bool(grade == 1),
                )
            )
    panel = misses_panel_html(cells, title=title)
    fmap.add_child(HtmlControl(panel, position="topleft", class_name="hubplan-control hubplan-panel"))
    folium.LayerControl(position="topright", collapsed=False).add_to(fmap)
    return fmap


def _per_cell(cells: pd.DataFrame) -> gpd.GeoDataFrame:
    """Counts per grade and cell over every shift, with the misses of each shift as text for the popup."""
    counts = [c for c in CELL_COLUMNS if c not in ("grade", "shift", "x_m", "y_m")]
    keys = ["grade", "x_m", "y_m"]
    total = cells.groupby(keys, sort=True)[counts].sum()
    shifts = list(dict.fromkeys(cells["shift"]))
    by_shift = cells.pivot_table(index=keys, columns="shift", values="actual_missed", aggfunc="sum", fill_value=0)
    by_shift = by_shift.reindex(index=total.index, columns=shifts, fill_value=0)
    total["shifts"] = [
        ", ".join(f"{shift} {int(n):,}" for shift, n in zip(shifts, row, strict=True) if n > 0)
        for row in by_shift.to_numpy()
    ]
    total = total.reset_index()
    frame = gpd.GeoDataFrame(total, geometry=gpd.points_from_xy(total["x_m"], total["y_m"]), crs="EPSG:27700")
    return to_wgs84(frame)


def _rows(frame: gpd.GeoDataFrame, kind: str, largest: float) -> list[list[object]]:
    return [
        [
            round(row.geometry.y, COORD_DECIMALS),
            round(row.geometry.x, COORD_DECIMALS),
            style.radius_px(float(getattr(row, kind)), largest=largest, max_px=12.0, min_px=2.0),
            "cell",
            _popup(row),
        ]
        for row in frame.itertuples()
    ]


def _popup(row: object) -> str:
    grade = int(row.grade)  # type: ignore[attr-defined]
    with_actual = int(row.with_actual)  # type: ignore[attr-defined]
    missed = int(row.actual_missed)  # type: ignore[attr-defined]
    fields: Sequence[tuple[str, object]] = [
        ("Incidents with an actual time", f"{with_actual:,}"),
        (f"Actual over {GRADE_TARGET_MIN.get(grade, '?')} min", f"{missed:,} ({missed / with_actual:.0%})"),
        ("of which the model expected in time", f"{int(row.missed_model_expected_in_time):,}"),  # type: ignore[attr-defined]
        ("of which the model expected the miss", f"{int(row.missed_model_expected_miss):,}"),  # type: ignore[attr-defined]
        ("Misses by shift", row.shifts or "–"),  # type: ignore[attr-defined]
    ]
    return f"<b>Grade {grade}, 1 km square</b>{popup_table(fields)}"


def _style(colour: str, *, ring: bool) -> dict[str, object]:
    if ring:
        return {"color": colour, "weight": 2.0, "fill": False, "opacity": 0.95}
    return {"color": colour, "weight": 0.5, "fillColor": colour, "fillOpacity": 0.45, "opacity": 0.8}


def misses_panel_html(cells: pd.DataFrame, *, title: str) -> str:
    """Panel: per grade and shift, incidents with an actual time, actual misses, and what the model expected."""
    counts = cells.groupby(["grade", "shift"], sort=True)[list(CELL_COLUMNS[4:])].sum()
    body = "".join(
        f"<tr><td>Grade {grade}</td><td>{escape(str(shift))}</td><td>{int(r.with_actual):,}</td>"
        f"<td>{int(r.actual_missed):,}</td><td>{int(r.missed_model_expected_in_time):,}</td>"
        f"<td>{int(r.missed_model_expected_miss):,}</td></tr>"
        for (grade, shift), r in counts.iterrows()
    )
    swatches = "".join(
        f'<div><i class="hubplan-swatch{" hubplan-ring" if ring else ""}" style="border-color:{colour};'
        f'{"" if ring else f"background:{colour}"}"></i>{escape(label)}</div>'
        for _, label, colour, ring in KINDS
    )
    return (
        f'<div class="hubplan-title">{escape(title)} <span class="hubplan-badge">actual</span></div>'
        "<table><tr><th>grade</th><th>shift</th><th>with actual</th><th>missed</th>"
        "<th>model: in time</th><th>model: miss</th></tr>"
        f"{body}</table>{swatches}"
        '<p class="hubplan-note">Where actual attendance missed its target (1 km squares, circle area ∝ misses). '
        "<b>Model expected in time</b>: a deployment location or base was within target, so the miss came from "
        "what the static model does not see (cars busy, queueing, call handling). <b>Model expected the miss</b>: "
        "no open site within target.</p>"
    )
