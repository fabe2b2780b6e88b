"""The map report of a written plan: read it, rebuild what the map needs, save.

The plan is read by :func:`optimiser.plan_input.read_plan`, the reader every
command shares, and its network is rebuilt and checked against the plan's
fingerprint by :func:`optimiser.plan_input.load_plan_network`. Per shift the
report draws the Grade 1 reachable area (:func:`geodata.areas.reachable_areas`,
within the plan's shortest Grade 1 travel budget at its blue-light speed factor),
the LSOA response times (:func:`geodata.areas.lsoa_response_times`, from the plan's
own ``demand`` layer, each node against its standard's target for its area
class) and the urban and rural LSOAs. :func:`write_report` hands these to
:func:`maps.report.build_report` and saves the page (and the response-time
chart beside it) atomically.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import logging
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata import embedded
from geodata.areas import lsoa_response_times, main_roads, reachable_areas
from geodata.atomic import atomic_path, write_text_atomic
from geodata.crs import BNG
from geodata.errors import InputDataError
from geodata.places import describe_sites, largest_towns, nearest_main_roads
from maps.data import ReportData, ReportDataError
from maps.handout import ReportTitle, shift_map_png
from maps.report import build_report, response_chart_svg
from models.kpis import OtherStandardKpis, PlanKpis
from models.response import ResponseSettings
from optimiser.pages import save_page
from optimiser.plan_input import WrittenPlan, load_plan_network, read_plan

log = logging.getLogger(__name__)

#: How many towns (the largest of the gazetteer) are named on the report's maps.
TOWN_LABELS = 10


def write_report(
    plan_dir: str | Path, out_html: str | Path, *, basemap: str | None = None, standard: str | None = None
) -> Path:
    """Write the self-contained HTML map report of a plan, and its response-time chart beside it.

    Parameters
    ----------
    plan_dir
        Folder written by ``hubplan optimise`` (``plan.gpkg`` and ``kpis.json``).
    out_html
        HTML file to write; the chart goes to ``<stem>-chart.svg`` and a static map per shift to
        ``<stem>-<shift>.png`` in the same folder.
    basemap
        ``None`` (default, works offline) or ``"osm"`` for OpenStreetMap tiles (needs internet).
    standard
        Draw the plan against this shipped standard instead of its own (``kpis.json`` holds the figures
        under both shipped standards).

    Returns
    -------
    pathlib.Path
        ``out_html``.

    Raises
    ------
    InputDataError
        If a plan file or layer is missing or unreadable, the plan was written by
        another hubplan version, or its network is not the one it was made on.
    """
    started = time.perf_counter()
    plan = read_plan(plan_dir, demand=True, kpis=True, standard=standard)
    data = report_data(plan)
    title = report_title(plan)
    towns = town_labels()
    pngs = {
        shift: shift_map_png(data, shift, title=f"{title.scenario}, {shift} shift", towns=towns)
        for shift in data.shifts
    }
    fmap = build_report(data, basemap=basemap, title=title, shift_pngs=pngs, towns=towns)
    out = Path(out_html)
    chart = write_text_atomic(chart_path(out), response_chart_svg(data) + "\n")
    for shift, png in pngs.items():
        with atomic_path(shift_png_path(out, shift)) as temporary:
            temporary.write_bytes(png)
    save_page(fmap, out)
    log.info(
        "report written: %s (%.1f MB) and %s in %.1f s",
        out,
        out.stat().st_size / 1e6,
        chart.name,
        time.perf_counter() - started,
    )
    return out


def shift_png_path(out_html: Path, shift: str) -> Path:
    """Where the static map of ``shift`` is written: ``report.html`` -> ``report-early.png``."""
    return out_html.with_name(f"{out_html.stem}-{shift}.png")


def report_title(plan: WrittenPlan) -> ReportTitle:
    """The title block: the plan's scenario and its description, today's date and this hubplan's version."""
    try:
        version = importlib.metadata.version("hubplan")
    except importlib.metadata.PackageNotFoundError:
        version = "(not installed)"
    return ReportTitle(
        scenario=plan.settings.scenario,
        written_on=datetime.date.today().isoformat(),
        version=version,
        description=plan.settings.description,
    )


def chart_path(out_html: Path) -> Path:
    """Where the chart of ``out_html`` is written: ``report.html`` -> ``report-chart.svg``."""
    return out_html.with_name(f"{out_html.stem}-chart.svg")


def report_data(plan: WrittenPlan) -> ReportData:
    """Rebuild the plan's network and compute everything the map shows, as :class:`maps.data.ReportData`."""
    response = plan.response
    network = load_plan_network(plan)
    fast = network.with_speed_factor(response.speed_factor)
    shifts = shift_order(plan)
    if plan.demand is None or plan.kpis is None:
        raise ValueError("report_data needs a plan read with read_plan(..., demand=True, kpis=True)")
    demand = demand_against_standard(plan.demand, response)
    lsoas = embedded.load_lsoas()
    classes = plan.settings.area_classes
    try:
        return ReportData(
            bases=plan.bases,
            locations=with_place_names(plan.locations),
            demand=demand,
            reachable=reachable_areas(
                fast,
                plan.locations,
                plan.bases,
                shifts=shifts,
                budget_s=response.standard.min_target_s(1) - response.mobilisation_s,
            ),
            lsoa_times=lsoa_response_times(demand, lsoas, target_s=demand["target_grade1_s"].to_numpy(float)),
            boundaries=embedded.load_boundaries(),
            roads=main_roads(network),
            kpis=kpis_under(plan.kpis, response.standard.name, source=str(plan.path)),
            shifts=shifts,
            area_classes=lsoas[["lsoa_code", "lsoa_name", "geometry"]].assign(
                area_class=classes.class_of(lsoas["lsoa_code"])
            ),
            class_source=classes.source,
        )
    except ReportDataError as error:
        raise InputDataError(
            "cannot be drawn; re-run hubplan optimise to rewrite it",
            source=str(plan.path),
            problems=error.problems,
        ) from error


def demand_against_standard(demand: gpd.GeoDataFrame, response: ResponseSettings) -> gpd.GeoDataFrame:
    """The demand layer with each node's targets and covered flags under ``response``'s standard."""
    area_class = demand["area_class"].to_numpy(object)
    seconds = demand["response_time_s"].to_numpy(float)
    out = demand.copy()
    for grade in (1, 2):
        target_s = response.targets_s(grade, area_class)
        out[f"target_grade{grade}_s"] = target_s
        out[f"covered_grade{grade}"] = np.isfinite(seconds) & (seconds <= target_s)
    return out


def kpis_under(kpis: PlanKpis, standard: str, *, source: str) -> PlanKpis:
    """``kpis`` with the figures of ``standard`` as its grades: as written, or its ``other_standard`` swapped in.

    Raises
    ------
    InputDataError
        When ``kpis.json`` has no figures under ``standard`` (re-optimise with ``--standard``).
    """
    if kpis.standard is None or kpis.standard.name == standard:
        return kpis
    other = kpis.other_standard
    if other is None or other.standard.name != standard:
        raise InputDataError(
            f"kpis.json has no figures under standard {standard!r}; re-optimise with hubplan optimise SCENARIO "
            f"--standard {standard}",
            source=source,
        )
    swapped = OtherStandardKpis(standard=kpis.standard, grade1=kpis.grade1, grade2=kpis.grade2)
    return dataclasses.replace(
        kpis, grade1=other.grade1, grade2=other.grade2, standard=other.standard, other_standard=swapped
    )


def town_labels(count: int = TOWN_LABELS) -> gpd.GeoDataFrame:
    """The ``count`` largest towns of the gazetteer as ``name`` and points (British National Grid)."""
    towns = largest_towns(count)
    return gpd.GeoDataFrame(towns[["name"]], geometry=gpd.points_from_xy(towns["easting"], towns["northing"]), crs=BNG)


def with_place_names(locations: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``locations`` with ``place`` (nearest town), ``ward`` and ``road`` (nearest main road): :mod:`geodata.places`."""
    if locations.empty:
        return locations.assign(**{column: pd.Series(dtype=str) for column in ("place", "ward", "road")})
    x, y = locations.geometry.x.to_numpy(), locations.geometry.y.to_numpy()
    described, roads = describe_sites(x, y), nearest_main_roads(x, y)
    road = [
        f"{name} ({metres:,.0f} m)" if name else "" for name, metres in zip(roads["road"], roads["road_m"], strict=True)
    ]
    return locations.assign(place=described["place"].to_numpy(), ward=described["ward"].to_numpy(), road=road)


def shift_order(plan: WrittenPlan) -> tuple[str, ...]:
    """Shift names in the plan's order, then any others found in its layers."""
    listed = [s.name for s in plan.response.shifts]
    layers = [plan.locations["shift"]] + ([plan.demand["shift"]] if plan.demand is not None else [])
    found = pd.unique(pd.concat(layers).astype(str))
    return tuple(dict.fromkeys([*listed, *found]))
