"""The inputs of a map report: frames in British National Grid plus the plan's KPIs.

:class:`ReportData` is what :func:`maps.report.build_report` draws. Every
frame arrives in a projected CRS (hubplan computes in EPSG:27700); only
``maps`` converts to WGS84, inside the layer builders. The checks here collect
every problem (missing column, missing CRS, unknown shift) before raising once.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from models.kpis import PlanKpis

#: Columns each frame must have (besides ``geometry``).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "bases": ("name",),
    "locations": ("location_id", "base", "shift", "name", "grade1_first_response_per_year", "nearest_postcode"),
    "demand": ("shift", "grade1_per_year", "grade2_per_year", "response_time_s", "covered_grade1"),
    "reachable": ("shift", "base"),
    "lsoa_times": (
        "shift",
        "lsoa_code",
        "lsoa_name",
        "la_name",
        "grade1_per_year",
        "grade1_response_min",
        "grade1_covered_share",
    ),
    "boundaries": ("kind", "name"),
    "roads": ("road_class",),
}


class ReportDataError(ValueError):
    """The frames given to a map report are incomplete or inconsistent.

    Parameters
    ----------
    problems
        One line per problem found (all of them, not just the first).
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("report data is not usable:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything a map report shows, in a projected CRS (metres).

    Parameters
    ----------
    bases
        One row per base: ``name`` and a point.
    locations
        One row per deployment location and shift: ``location_id, base, shift, name,
        grade1_first_response_per_year`` (Grade 1 incidents a year it answers first),
        ``nearest_postcode`` and a point.
    demand
        One row per demand node and shift: ``shift, grade1_per_year, grade2_per_year,
        response_time_s`` (NaN when beyond every site), ``covered_grade1`` and a point.
    reachable
        Area within the Grade 1 target of the open sites: ``shift, base`` and a polygon
        (the part each base's cars reach first).
    lsoa_times
        One row per LSOA and shift: ``shift, lsoa_code, lsoa_name, la_name, grade1_per_year,
        grade1_response_min`` (Grade 1 demand-weighted mean; NaN when unreached),
        ``grade1_covered_share`` (share of Grade 1 demand within target) and a polygon.
    boundaries
        ``kind`` (``"force"`` or ``"local_authority"``), ``name`` and a polygon.
    roads
        Main roads to draw without a basemap: ``road_class`` and a line.
    kpis
        The plan's KPIs (grades, solver, assumptions), as ``kpis.json`` holds them.
    shifts
        Shift names in display order; each must appear in ``locations``.
    area_classes
        One row per LSOA: ``lsoa_code, lsoa_name, area_class`` (urban, rural) and a polygon; ``None``: not drawn.
    class_source
        Where the classes come from (``"derived"`` or the ONS file), shown wherever they are.
    """

    bases: gpd.GeoDataFrame
    locations: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    reachable: gpd.GeoDataFrame
    lsoa_times: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    kpis: PlanKpis
    shifts: tuple[str, ...] = ()
    area_classes: gpd.GeoDataFrame | None = None
    class_source: str = ""

    def __post_init__(self) -> None:
        problems = [
            problem
            for name, required in REQUIRED_COLUMNS.items()
            for problem in frame_problems(name, getattr(self, name), required)
        ]
        if not isinstance(self.kpis, PlanKpis):
            problems.append(f"kpis: expected models.kpis.PlanKpis, got {type(self.kpis).__name__}")
        if not problems:
            problems += _shift_problems(self)
        if problems:
            raise ReportDataError(problems)

    @property
    def base_names(self) -> tuple[str, ...]:
        """Base names in the order of ``bases``."""
        return tuple(str(name) for name in self.bases["name"])


def frame_problems(name: str, frame: object, required: tuple[str, ...], *, points: bool = False) -> list[str]:
    """Problems of one input frame: not a GeoDataFrame, missing columns, no or geographic CRS, non-points.

    Parameters
    ----------
    name
        The frame's name in the messages.
    frame
        The frame given.
    required
        Columns it must have.
    points
        Whether every row must be one point (missing or other geometries are problems).

    Returns
    -------
    list of str
        One message per problem, each with the fix; empty when the frame is fine.
    """
    if not isinstance(frame, gpd.GeoDataFrame) or not _has_geometry(frame):
        return [f"{name}: expected a GeoDataFrame with a geometry column, got {type(frame).__name__}"]
    problems = []
    missing = [column for column in required if column not in frame.columns]
    if missing:
        problems.append(f"{name}: missing columns {missing}; it has {list(frame.columns)}")
    if frame.crs is None:
        problems.append(f"{name}: has no CRS; label it with .set_crs('EPSG:27700')")
    elif not frame.crs.is_projected:
        problems.append(f"{name}: CRS {frame.crs.to_string()} is not projected; pass British National Grid frames")
    if points and len(frame):
        kinds = sorted(set(frame.geom_type.dropna()) - {"Point"})
        if kinds or frame.geometry.isna().any():
            problems.append(f"{name}: expected one point per row, found {kinds or 'missing geometries'}")
    return problems


def _has_geometry(frame: gpd.GeoDataFrame) -> bool:
    try:
        frame.geometry  # noqa: B018 (raises when the frame has no active geometry column)
    except AttributeError:
        return False
    return True


def _shift_problems(data: ReportData) -> list[str]:
    if not data.shifts:
        return ["shifts: empty; give the shift names in display order"]
    problems = []
    for name in ("locations", "demand", "reachable", "lsoa_times"):
        unknown = sorted(set(getattr(data, name)["shift"].astype(str)) - set(data.shifts))
        if unknown:
            problems.append(f"{name}: shifts {unknown} are not in shifts {list(data.shifts)}")
    unknown_bases = sorted(set(data.locations["base"].astype(str)) - set(data.base_names))
    if unknown_bases:
        problems.append(f"locations: bases {unknown_bases} are not in bases {list(data.base_names)}")
    return problems
