"""Small hand-built comparison inputs in British National Grid: the 2018 hubs against the same without Cannock.

Bases sit at the real hub towns (Hanley, Cannock, Burton, about 500 m out);
deployment locations and demand nodes lie a few km around them, so every
layer falls inside Staffordshire.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from maps.compare import AreaTable, ComparisonPageData, ScenarioLayers
from maps.tradeoff import TradeoffCurve, tradeoff_chart_png

BNG = "EPSG:27700"
HANLEY, CANNOCK, BURTON = (388_400.0, 347_700.0), (397_900.0, 310_300.0), (424_800.0, 323_200.0)
A, B = "hubs-2018", "hubs-2018 without Cannock"


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=BNG)


def bases(names: tuple[str, ...] = ("Hanley", "Cannock", "Burton")) -> gpd.GeoDataFrame:
    where = {"Hanley": HANLEY, "Cannock": CANNOCK, "Burton": BURTON}
    return _frame([{"name": name, "postcode": "ST1 1AA", "geometry": Point(where[name])} for name in names])


def _locations(rows: list[tuple[str, str, str, tuple[float, float]]]) -> gpd.GeoDataFrame:
    """``(location_id, base, shift, (dx, dy))`` rows: each site lies ``(dx, dy)`` metres from its base."""
    where = {"Hanley": HANLEY, "Cannock": CANNOCK, "Burton": BURTON}
    return _frame(
        [
            {
                "location_id": lid,
                "base": base,
                "shift": shift,
                "name": f"A-road junction {lid}",
                "geometry": Point(where[base][0] + dx, where[base][1] + dy),
            }
            for lid, base, shift, (dx, dy) in rows
        ]
    )


def locations_a() -> gpd.GeoDataFrame:
    """Seven rows, five sites: H1 and C1 are used in two shifts each."""
    return _locations(
        [
            ("H1", "Hanley", "early", (3_000.0, 2_000.0)),
            ("H1", "Hanley", "night", (3_000.0, 2_000.0)),
            ("H2", "Hanley", "early", (-4_000.0, -3_000.0)),
            ("C1", "Cannock", "early", (2_500.0, 4_000.0)),
            ("C1", "Cannock", "night", (2_500.0, 4_000.0)),
            ("C2", "Cannock", "night", (-3_000.0, -2_000.0)),
            ("B1", "Burton", "early", (-2_000.0, 3_000.0)),
        ]
    )


def locations_b() -> gpd.GeoDataFrame:
    """Four rows, four sites (no Cannock)."""
    return _locations(
        [
            ("H1", "Hanley", "early", (3_000.0, 2_000.0)),
            ("H3", "Hanley", "night", (1_000.0, -9_000.0)),
            ("B1", "Burton", "early", (-2_000.0, 3_000.0)),
            ("B2", "Burton", "night", (-9_000.0, -3_000.0)),
        ]
    )


#: (status, Grade 1 a year gained, lost, shifts gained, shifts lost) of each difference node.
DIFFERENCE_ROWS = (
    ("gained", 12.5, 0.0, "early", ""),
    ("gained", 3.0, 0.0, "early, night", ""),
    ("gained", 0.4, 0.0, "night", ""),
    ("lost", 0.0, 25.0, "", "early, night"),
    ("lost", 0.0, 7.25, "", "night"),
    ("mixed", 2.0, 1.5, "early", "night"),
)


def difference() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for k, (status, gained, lost, shifts_gained, shifts_lost) in enumerate(DIFFERENCE_ROWS):
        x, y = CANNOCK if status != "gained" else HANLEY
        rows.append(
            {
                "node_id": f"n{k}",
                "status": status,
                "grade1_gained_per_year": gained,
                "grade1_lost_per_year": lost,
                "shifts_gained": shifts_gained,
                "shifts_lost": shifts_lost,
                "la_name": "Cannock Chase" if status != "gained" else "Stoke-on-Trent UA",
                "geometry": Point(x + rng.uniform(-6_000, 6_000), y + rng.uniform(-6_000, 6_000)),
            }
        )
    return _frame(rows)


def boundaries() -> gpd.GeoDataFrame:
    return _frame(
        [
            {
                "kind": "force",
                "name": "Staffordshire Police force area",
                "geometry": box(382_000, 300_000, 432_000, 362_000),
            },
            {
                "kind": "local_authority",
                "name": "Stoke-on-Trent UA",
                "geometry": box(382_000, 338_000, 398_000, 355_000),
            },
            {"kind": "local_authority", "name": "Cannock Chase", "geometry": box(392_000, 305_000, 405_000, 318_000)},
        ]
    )


def table(names: tuple[str, str] = (A, B)) -> pd.DataFrame:
    a, b = names
    rows = [
        ("scenario", "definition", "scenarios/hubs-2018.toml", "hubs-2018 with --drop-base Cannock", ""),
        ("scenario", "bases", "3", "2", "-1"),
        ("Grade 1", "within 15 min, travel only", "71.3%", "64.8%", "-6.5 pts"),
        ("Grade 1", "within 15 min, with busy cars", "58.2%", "52.9%", "-5.3 pts"),
        ("Grade 1", "mean response time", "9.4 min", "10.7 min", "+1.3 min"),
        ("Grade 2", "within 60 min, travel only", "99.6%", "99.1%", "-0.5 pts"),
        ("solver", "status", "optimal", "optimal", ""),
    ]
    return pd.DataFrame(rows, columns=["section", "metric", a, b, f"change {b} vs {a}"])


@lru_cache(maxsize=1)
def chart_png() -> bytes:
    return tradeoff_chart_png(curves(), target_share=0.7)


def curves() -> list[TradeoffCurve]:
    counts = np.array([0, 3, 6, 9, 12, 15])
    return [
        TradeoffCurve(A, counts, np.array([0.40, 0.55, 0.63, 0.68, 0.72, 0.74]), 9.0, 0.66, None, 11),
        TradeoffCurve(B, counts, np.array([0.33, 0.47, 0.57, 0.63, 0.67, 0.70]), 9.0, 0.61, None, 15),
    ]


NOTES = (
    "Modelled: 'travel only' assumes a free car at every open site and is an upper bound on attendance.",
    "Staffing numbers are assumptions for illustration, not force data.",
)


VERDICT = (
    f"By simulated attendance, **{A} reaches more Grade 1 incidents in time than {B}**. Areas losing "
    "Cannock Chase (-120 a year) <script>.",
)


def area_tables() -> list[AreaTable]:
    """One per-area table: Cannock Chase differs, two areas are folded away."""
    columns = ["area", f"simulated within target, {A}", f"simulated within target, {B}", "change (95 %)"]
    shown = pd.DataFrame([["Cannock Chase", "66.0%", "52.0%", "-120 (-150 to -90)"]], columns=columns)
    folded = pd.DataFrame(
        [["Tamworth", "70.0%", "70.5%", "+3 (-10 to +16)"], ["Stafford", "64.0%", "63.0%", "-5 (-20 to +10)"]],
        columns=columns,
    )
    return [AreaTable(f"Grade 1 by local authority: {B} against {A}", shown, folded)]


def page_data(**overrides) -> ComparisonPageData:
    parts = {
        "title": f"hubplan: {A} vs {B}",
        "scenarios": [
            ScenarioLayers(A, "scenarios/hubs-2018.toml", bases(), locations_a()),
            ScenarioLayers(B, "hubs-2018 with --drop-base Cannock", bases(("Hanley", "Burton")), locations_b()),
        ],
        "difference": difference(),
        "boundaries": boundaries(),
        "table": table(),
        "chart_png": chart_png(),
        "notes": NOTES,
        "verdict": VERDICT,
        "area_tables": area_tables(),
    }
    parts.update(overrides)
    return ComparisonPageData(**parts)
