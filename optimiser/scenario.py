"""Scenario files: a hub configuration and every assumption of one optimisation, in TOML.

A scenario names its network, demand and candidate sources, the bases with
their cars and deployment locations per shift, the response assumptions
(speed factor, mobilisation delay), the response standard its targets come
from (``standard``, default ``force-2018``), the urban/rural classification
(``area_classes``, default ``derived``) and the solver settings. Unknown
keys and bad values are rejected with the valid choices listed; every
problem in the file is reported at once. See ``scenarios/hubs-2018.toml``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from geodata.area_classes import DERIVED
from geodata.demand import DemandParams
from geodata.errors import InputDataError, require_file
from models.bands import DEFAULT_BANDS

#: The response standard of a scenario that names none (see :mod:`optimiser.standards`).
DEFAULT_STANDARD = "force-2018"

SHIFT_NAMES = ("early", "late", "night")
OBJECTIVES = ("ranked", "weighted")
SOLVERS = ("scip", "cp-sat", "greedy")


@dataclass(frozen=True)
class ShiftStaffing:
    """Cars on duty at a base in one shift, and how many deployment locations it uses."""

    units: int
    locations: int


@dataclass(frozen=True)
class BaseSpec:
    """A base: where it is and its staffing per shift.

    Exactly one of ``postcode``, ``easting/northing`` or ``lon/lat`` gives the location.
    ``areas`` optionally names the local authorities whose incidents are this
    base's (its base area in the simulation); undeclared ones go to the base
    that reaches them fastest.
    """

    name: str
    shifts: dict[str, ShiftStaffing]
    postcode: str | None = None
    easting: float | None = None
    northing: float | None = None
    lon: float | None = None
    lat: float | None = None
    max_travel_min: float | None = None
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkSpec:
    """Which network, and the blue-light speed factor applied to response journeys."""

    source: str = "default"
    speed_factor: float = 1.2
    max_snap_m: float = 2_000.0


@dataclass(frozen=True)
class DemandSpec:
    """Demand source and its assumptions (see :class:`geodata.demand.DemandParams`)."""

    source: str = "modelled"
    weighting: str = "population"
    grade1_per_year: float = 43_000.0
    grade2_per_year: float = 65_000.0
    cell_m: float = 500.0
    night_centre_exponent: float = 0.5


@dataclass(frozen=True)
class CandidateSpec:
    """How candidate deployment locations are produced."""

    junctions: bool = True
    junction_spacing_m: float = 400.0
    hotspots: int = 1_000
    hotspot_spacing_m: float = 400.0
    file: str | None = None
    area_buffer_m: float = 2_000.0


@dataclass(frozen=True)
class ResponseSpec:
    """Response assumptions: mobilisation delay, base tie, job time for the availability estimate.

    The targets are not here: they come from the scenario's response standard (``standard = NAME|FILE``).
    """

    mobilisation_s: float = 120.0
    max_base_travel_min: float = 30.0
    job_time_grade1_min: float = 75.0
    job_time_grade2_min: float = 60.0


#: How the Grade 1 term scores a response: by band (chance to meet the target) or by the target alone.
GRADE1_SCORING = ("bands", "target")


@dataclass(frozen=True)
class SolverSpec:
    """Objective and solver settings (see :class:`models.instance.CoverageParams`).

    ``busy_fraction = "auto"`` turns on expected cover (MEXCLP) with each shift's
    busy fraction estimated from its workload (see :mod:`optimiser.kpis`).
    ``busy_fraction = "simulated"`` starts from that estimate, then simulates
    the plan and re-solves with each demand node's busy fraction taken from the
    simulated busy share of its base area's cars in that shift, until no site
    changes or after ``busy_iterations`` re-solves (:mod:`optimiser.availability`;
    ``hubplan optimise`` only).

    ``grade1_scoring = "bands"`` (the default) scores Grade 1 by the chance
    that a response meets the target after call handling, in
    ``grade1_bands`` bands of response time (:mod:`models.bands`; the call
    handling is the ``[simulation]`` section's), so a nearer car always scores
    more; ``"target"`` counts cover within the target alone.
    """

    objective: str = "ranked"
    grade1_scoring: str = "bands"
    grade1_bands: int = DEFAULT_BANDS
    grade1_weight: float = 1.0
    grade2_weight: float = 1.0
    backup_weight: float = 0.0
    busy_fraction: float | str | None = None
    busy_iterations: int = 3
    solver: str = "scip"
    time_limit_s: float = 60.0
    relative_gap: float = 1e-4
    seed: int = 0
    equity_floor_share: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SimulationSpec:
    """Assumptions of the response simulation (:mod:`models.simulation`); see the README's assumptions table.

    Durations are lognormal: a median (call handling) or mean (on scene,
    custody) and the standard deviation of the logarithm (the tail). Values a
    calibration fitted are listed, with their bounds and fit, in the scenario's
    ``[calibration]`` table.
    """

    call_handling_grade1_median_s: float = 180.0
    call_handling_grade1_log_sd: float = 0.8
    call_handling_grade2_median_s: float = 360.0
    call_handling_grade2_log_sd: float = 0.9
    on_scene_grade1_mean_min: float = 60.0
    on_scene_grade2_mean_min: float = 45.0
    on_scene_log_sd: float = 0.7
    arrest_share_grade1: float = 0.15
    arrest_share_grade2: float = 0.08
    custody_mean_min: float = 90.0
    custody_log_sd: float = 0.5
    daily_cv: float = 0.0
    cars_available_share: float = 1.0
    grade1_reserve_share: float = 0.0
    dispatch_scope: str = "force"
    divert_for_grade1: bool = True
    mobilisation_moving_s: float = 30.0
    grade3_per_year: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """A whole scenario file."""

    name: str
    description: str
    bases: tuple[BaseSpec, ...]
    network: NetworkSpec = NetworkSpec()
    demand: DemandSpec = DemandSpec()
    candidates: CandidateSpec = CandidateSpec()
    response: ResponseSpec = ResponseSpec()
    solver: SolverSpec = SolverSpec()
    simulation: SimulationSpec = SimulationSpec()
    calibration: dict[str, Any] = field(default_factory=dict)
    path: str = "<memory>"
    standard: str = DEFAULT_STANDARD
    area_classes: str = DERIVED

    @property
    def shift_names(self) -> tuple[str, ...]:
        """Shifts the bases are staffed for, in canonical order."""
        named = {shift for base in self.bases for shift in base.shifts}
        return tuple(s for s in SHIFT_NAMES if s in named)


SECTIONS = {
    "network": NetworkSpec,
    "demand": DemandSpec,
    "candidates": CandidateSpec,
    "response": ResponseSpec,
    "solver": SolverSpec,
    "simulation": SimulationSpec,
}
TOP_LEVEL = ("name", "description", "standard", "area_classes", "bases", *SECTIONS, "calibration")
#: ``[response]`` keys of older scenarios, now given by the response standard.
MOVED_TO_STANDARD = ("target_grade1_min", "target_grade2_min")
#: Dispatch scopes of ``[simulation] dispatch_scope`` (see :class:`models.simulation.DispatchPolicy`).
DISPATCH_SCOPES = ("force", "base_area")


def with_standard(scenario: Scenario, standard: str | None, area_classes: str | None = None) -> Scenario:
    """``scenario`` measured against another standard and/or classification (``--standard``, ``--area-classes``).

    ``None`` keeps the scenario's own. Names and paths are checked when the scenario is prepared.
    """
    changes = {key: value for key, value in (("standard", standard), ("area_classes", area_classes)) if value}
    return replace(scenario, **changes) if changes else scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario TOML file; relative file paths inside it resolve from its folder."""
    path = Path(path)
    return scenario_from_dict(read_scenario_toml(path), source=str(path), folder=path.parent)


def read_scenario_toml(path: str | Path) -> dict[str, Any]:
    """The parsed TOML of a scenario file, unchecked (see :func:`scenario_from_dict`)."""
    path = Path(path)
    require_file(path, what="scenario file", fix="check the path (examples are in scenarios/)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise InputDataError(
            f"is not UTF-8 text (byte {error.object[error.start : error.start + 1]!r} on line {line}); save it "
            "as UTF-8 (in Notepad: Save As, Encoding UTF-8)",
            source=str(path),
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputDataError(f"is not valid TOML: {error}", source=str(path)) from None


def scenario_from_dict(raw: dict[str, Any], *, source: str = "<memory>", folder: Path | None = None) -> Scenario:
    """Build a :class:`Scenario` from parsed TOML, collecting every problem before raising."""
    problems: list[str] = []
    _unknown(raw, TOP_LEVEL, "top level", problems)
    raw = _without_moved_targets(raw, problems)
    sections = {key: _section(raw.get(key, {}), cls, key, problems) for key, cls in SECTIONS.items()}
    bases = tuple(_base(item, i, problems) for i, item in enumerate(raw.get("bases", [])))
    if not bases:
        problems.append("bases: at least one [[bases]] entry is needed")
    _check_same_shifts(raw.get("bases", []), problems)
    if not isinstance(raw.get("calibration", {}), dict):
        problems.append("[calibration] must be a table (written by hubplan calibrate)")
    _check_values(sections, bases, problems)
    if problems:
        raise InputDataError("is not a valid scenario", source=source, problems=problems)
    sections = _resolve_paths(sections, folder)
    return Scenario(
        name=str(raw.get("name", Path(source).stem)),
        description=str(raw.get("description", "")),
        bases=bases,
        calibration=_resolved_calibration(raw.get("calibration", {}), folder),
        path=source,
        standard=_resolved_file(str(raw.get("standard", DEFAULT_STANDARD)), folder, keep=_shipped_name),
        area_classes=_resolved_file(str(raw.get("area_classes", DERIVED)), folder, keep=lambda v: v == DERIVED),
        **sections,
    )


def _without_moved_targets(raw: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """``raw`` without targets in ``[response]`` (older scenarios), each refused with the way to say it now."""
    response = raw.get("response")
    moved = [key for key in MOVED_TO_STANDARD if isinstance(response, dict) and key in response]
    if moved:
        raw = {**raw, "response": {k: v for k, v in response.items() if k not in moved}}
    for key in moved:
        problems.append(
            f"[response] {key}: targets now come from the response standard; remove it and name one at the "
            f'top level (standard = "{DEFAULT_STANDARD}" is 15 and 60 minutes everywhere, "national" '
            "15 urban and 20 rural for Grade 1), or give a standard file (see optimiser/standards/)"
        )
    for key in ("standard", "area_classes"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            problems.append(f"{key} = {raw[key]!r}: give a name or a file path as text")
    return raw


def _shipped_name(value: str) -> bool:
    return "/" not in value and not value.endswith(".toml")


def _resolved_file(value: str, folder: Path | None, *, keep: Any) -> str:
    """``value`` unchanged if ``keep(value)`` (a name), else a path resolved from the scenario's folder."""
    if folder is None or keep(value) or Path(value).is_absolute():
        return value
    return str(folder / value)


def _unknown(table: dict[str, Any], valid: tuple[str, ...], where: str, problems: list[str]) -> None:
    for key in table:
        if key not in valid:
            problems.append(f"{where}: unknown key {key!r}; valid keys: {', '.join(valid)}")


def _section(table: Any, cls: type, where: str, problems: list[str]) -> Any:
    if not isinstance(table, dict):
        problems.append(f"[{where}] must be a table")
        return cls()
    valid = tuple(f.name for f in fields(cls))
    _unknown(table, valid, f"[{where}]", problems)
    known = {key: value for key, value in table.items() if key in valid}
    defaults = cls()
    for key, value in known.items():
        expected = getattr(defaults, key)
        if not _same_kind(value, expected):
            problems.append(f"[{where}] {key} = {value!r}: expected {_kind_name(expected)}")
    return cls(**{k: v for k, v in known.items() if _same_kind(v, getattr(defaults, k))})


def _same_kind(value: Any, expected: Any) -> bool:
    if expected is None:
        return isinstance(value, int | float | str) and not isinstance(value, bool)
    if isinstance(expected, bool):
        return isinstance(value, bool)
    if isinstance(expected, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(expected, int):
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, type(expected))


def _kind_name(expected: Any) -> str:
    if expected is None or isinstance(expected, float):
        return "a number"
    return {bool: "true or false", int: "a whole number", str: "a string", dict: "a table"}[type(expected)]


def _base(item: Any, index: int, problems: list[str]) -> BaseSpec:
    where = f"bases[{index}]"
    if not isinstance(item, dict):
        problems.append(f"{where}: must be a table")
        return BaseSpec(name=f"base {index}", shifts={})
    valid = ("name", "postcode", "easting", "northing", "lon", "lat", "max_travel_min", "shifts", "areas")
    _unknown(item, valid, where, problems)
    name = str(item.get("name", "")).strip()
    if not name:
        problems.append(f"{where}: needs a name")
    where = f"base {name or index!r}"
    given = [
        form
        for form, keys in (
            ("postcode", ("postcode",)),
            ("easting/northing", ("easting", "northing")),
            ("lon/lat", ("lon", "lat")),
        )
        if all(k in item for k in keys)
    ]
    if len(given) != 1:
        problems.append(
            f"{where}: give exactly one location: postcode, easting/northing or lon/lat (got {given or 'none'})"
        )
    shifts = _shifts(item.get("shifts", {}), where, problems)
    location = {k: item[k] for k in ("postcode", "easting", "northing", "lon", "lat") if k in item}
    areas = item.get("areas", [])
    if not (isinstance(areas, list) and all(isinstance(a, str) and a.strip() for a in areas)):
        problems.append(f'{where}: areas must be a list of local authority names, e.g. areas = ["Stafford"]')
        areas = []
    return BaseSpec(
        name=name or f"base {index}",
        shifts=shifts,
        max_travel_min=item.get("max_travel_min"),
        areas=tuple(a.strip() for a in areas),
        **location,
    )


def _shifts(table: Any, where: str, problems: list[str]) -> dict[str, ShiftStaffing]:
    if not isinstance(table, dict) or not table:
        problems.append(f"{where}: needs [shifts] with units and locations for each of {', '.join(SHIFT_NAMES)}")
        return {}
    shifts = {}
    for shift, staffing in table.items():
        if shift not in SHIFT_NAMES:
            problems.append(f"{where}: unknown shift {shift!r}; valid shifts: {', '.join(SHIFT_NAMES)}")
            continue
        if not isinstance(staffing, dict):
            problems.append(f"{where}.shifts.{shift}: must be a table with units and locations")
            continue
        _unknown(staffing, ("units", "locations"), f"{where}.shifts.{shift}", problems)
        units, locations = staffing.get("units"), staffing.get("locations")
        if not (isinstance(units, int) and isinstance(locations, int) and 0 <= locations <= units):
            problems.append(
                f"{where}.shifts.{shift}: units and locations must be whole numbers with 0 <= locations <= units "
                f"(every deployment location holds a car); got units={units!r}, locations={locations!r}"
            )
            continue
        shifts[shift] = ShiftStaffing(units=units, locations=locations)
    return shifts


def _check_values(sections: dict[str, Any], bases: tuple[BaseSpec, ...], problems: list[str]) -> None:
    _check_solver(sections["solver"], problems)
    _check_response(sections["response"], sections["network"], problems)
    _check_demand(sections["demand"], problems)
    _check_candidates(sections["candidates"], problems)
    _check_bases(bases, problems)
    _check_simulation(sections["simulation"], problems)


def _check_solver(solver: SolverSpec, problems: list[str]) -> None:
    if solver.objective not in OBJECTIVES:
        problems.append(f"[solver] objective = {solver.objective!r}: valid choices: {', '.join(OBJECTIVES)}")
    if isinstance(solver.busy_fraction, str) and solver.busy_fraction not in ("auto", "simulated"):
        problems.append(
            f'[solver] busy_fraction = {solver.busy_fraction!r}: give a number in [0, 1), "auto" or "simulated"'
        )
    if not (isinstance(solver.busy_iterations, int) and 1 <= solver.busy_iterations <= 20):
        problems.append(f"[solver] busy_iterations = {solver.busy_iterations!r}: give a whole number from 1 to 20")
    if solver.solver not in SOLVERS:
        problems.append(f"[solver] solver = {solver.solver!r}: valid choices: {', '.join(SOLVERS)}")
    if solver.grade1_scoring not in GRADE1_SCORING:
        problems.append(
            f"[solver] grade1_scoring = {solver.grade1_scoring!r}: valid choices: {', '.join(GRADE1_SCORING)}"
        )
    if not (isinstance(solver.grade1_bands, int) and 1 <= solver.grade1_bands <= 30):
        problems.append(f"[solver] grade1_bands = {solver.grade1_bands!r}: give a whole number from 1 to 30")
    if solver.grade1_scoring == "bands" and solver.equity_floor_share:
        problems.append(
            '[solver] equity_floor_share needs grade1_scoring = "target" (a floor is a share of Grade 1 demand '
            "within target; the banded score is not one)"
        )


def _check_response(response: ResponseSpec, network: NetworkSpec, problems: list[str]) -> None:
    if not 0 < network.speed_factor <= 2.0:
        problems.append(f"[network] speed_factor = {network.speed_factor}: must be in (0, 2]")
    if not 0 < network.max_snap_m < math.inf:
        problems.append(f"[network] max_snap_m = {network.max_snap_m}: must be a distance > 0 in metres")
    for key in ("max_base_travel_min", "job_time_grade1_min", "job_time_grade2_min"):
        if not 0 < getattr(response, key) < math.inf:
            problems.append(f"[response] {key} = {getattr(response, key)}: must be > 0 minutes")
    if response.mobilisation_s < 0:
        problems.append("[response] mobilisation_s must be >= 0 (and shorter than the Grade 1 target)")


def _check_simulation(spec: SimulationSpec, problems: list[str]) -> None:
    positive = ("call_handling_grade1_median_s", "call_handling_grade2_median_s", "on_scene_grade1_mean_min")
    positive += ("on_scene_grade2_mean_min", "custody_mean_min", "cars_available_share")
    at_least_zero = ("call_handling_grade1_log_sd", "call_handling_grade2_log_sd", "on_scene_log_sd")
    at_least_zero += ("custody_log_sd", "daily_cv", "mobilisation_moving_s", "grade3_per_year")
    problems += [f"[simulation] {k} = {getattr(spec, k)}: must be > 0" for k in positive if not getattr(spec, k) > 0]
    problems += [f"[simulation] {k} = {getattr(spec, k)}: must be >= 0" for k in at_least_zero if getattr(spec, k) < 0]
    for key in ("arrest_share_grade1", "arrest_share_grade2", "grade1_reserve_share"):
        if not 0 <= getattr(spec, key) <= 1:
            problems.append(f"[simulation] {key} = {getattr(spec, key)}: must be a share in [0, 1]")
    if spec.cars_available_share > 1.5:
        problems.append(f"[simulation] cars_available_share = {spec.cars_available_share}: must be at most 1.5")
    if spec.dispatch_scope not in DISPATCH_SCOPES:
        problems.append(
            f"[simulation] dispatch_scope = {spec.dispatch_scope!r}: valid choices: {', '.join(DISPATCH_SCOPES)}"
        )


def _check_demand(spec: DemandSpec, problems: list[str]) -> None:
    """The ``[demand]`` values, by the rules of :class:`geodata.demand.DemandParams` (one home for them)."""
    try:
        DemandParams(
            grade1_per_year=spec.grade1_per_year,
            grade2_per_year=spec.grade2_per_year,
            weighting=spec.weighting,
            cell_m=spec.cell_m,
            night_centre_exponent=spec.night_centre_exponent,
        )
    except InputDataError as error:
        problems += [f"[demand] {problem}" for problem in error.problems]


def _check_candidates(spec: CandidateSpec, problems: list[str]) -> None:
    for key in ("junction_spacing_m", "hotspot_spacing_m", "area_buffer_m"):
        if not 0 <= getattr(spec, key) < math.inf:
            problems.append(f"[candidates] {key} = {getattr(spec, key)}: must be a distance >= 0 in metres")
    if spec.hotspots < 0:
        problems.append(f"[candidates] hotspots = {spec.hotspots}: must be a count >= 0 (0 turns hotspots off)")
    if not (spec.junctions or spec.hotspots > 0 or spec.file):
        problems.append("[candidates] produces no candidates; set junctions = true, hotspots > 0 or give a file")


def _check_bases(bases: tuple[BaseSpec, ...], problems: list[str]) -> None:
    for base in bases:
        _check_base_values(base, problems)
    names = [base.name for base in bases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"bases: names must be unique; repeated: {', '.join(duplicates)}")


def _check_base_values(base: BaseSpec, problems: list[str]) -> None:
    """The numbers of one ``[[bases]]`` entry, named by the scenario's keys."""
    where = f"base {base.name!r}"
    if base.max_travel_min is not None and not (_is_number(base.max_travel_min) and 0 < base.max_travel_min < math.inf):
        problems.append(
            f"{where}: max_travel_min = {base.max_travel_min!r}: must be a number of minutes > 0 (the largest "
            "travel time from the base to its deployment locations; leave it out to use [response] "
            "max_base_travel_min)"
        )
    ranges = {"easting": (0, 700_000), "northing": (0, 1_300_000), "lon": (-180, 180), "lat": (-90, 90)}
    for key, (low, high) in ranges.items():
        value = getattr(base, key)
        if value is not None and not (_is_number(value) and low <= value <= high):
            problems.append(f"{where}: {key} = {value!r}: must be a number in [{low:,}, {high:,}]")
    if base.postcode is not None and not isinstance(base.postcode, str):
        problems.append(f'{where}: postcode = {base.postcode!r}: must be a string, e.g. "ST16 2DQ"')


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_same_shifts(items: Any, problems: list[str]) -> None:
    """Every base names the same shifts (as written, so a bad staffing value is not reported twice)."""
    declared = {
        str(item.get("name", index)): sorted(item["shifts"])
        for index, item in enumerate(items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("shifts"), dict) and item["shifts"]
    }
    if len({tuple(names) for names in declared.values()}) > 1:
        listing = "; ".join(f"{name}: {', '.join(names)}" for name, names in declared.items())
        problems.append(f"bases: every base must list the same shifts; got {listing}")


def _resolved_calibration(table: dict[str, Any], folder: Path | None) -> dict[str, Any]:
    """The ``[calibration]`` provenance, its ``published`` file resolved from the scenario's folder."""
    calibration = dict(table)
    published = calibration.get("published")
    if folder is not None and isinstance(published, str) and not Path(published).is_absolute():
        calibration["published"] = str(folder / published)
    return calibration


def _resolve_paths(sections: dict[str, Any], folder: Path | None) -> dict[str, Any]:
    if folder is None:
        return sections

    def resolve(value: str | None) -> str | None:
        if value is None or value in ("default", "modelled") or value.startswith("place:"):
            return value
        candidate = Path(value)
        return str(candidate if candidate.is_absolute() else (folder / candidate))

    sections = dict(sections)
    sections["network"] = replace(sections["network"], source=resolve(sections["network"].source))
    sections["demand"] = replace(sections["demand"], source=resolve(sections["demand"].source))
    sections["candidates"] = replace(sections["candidates"], file=resolve(sections["candidates"].file))
    return sections
