"""The KPIs of a plan as typed records: what ``kpis.json`` holds, and what the pages and tables read.

``optimiser.kpis`` builds a :class:`PlanKpis`; ``hubplan optimise`` writes
:meth:`PlanKpis.to_json` as ``kpis.json``; ``hubplan report`` reads it back with
:meth:`PlanKpis.from_json`; the map's KPI panel, the comparison table and the
terminal tables take the record, never the dict. This module is a leaf: it
imports nothing of hubplan's and does no I/O, so ``optimiser`` and ``maps`` may
both import it.

Two kinds of coverage figure, always labelled:

* **travel only** (``covered_share``, ``by_shift``, ``by_base``, ...): the share
  of demand within target of an open site, assuming a car is free there; an
  upper bound on attendance.
* **with busy cars** (``expected_covered_share``, ``expected_by_shift``,
  ``expected_by_base``, ...): each car position is busy with the shift's
  estimated probability ``q``, so a node within target of ``c`` open sites is
  covered with probability ``1 - q**c`` (MEXCLP, Daskin 1983).

Shares of zero demand
---------------------
A share of no demand (a base whose cars answer no node first, a local authority
without Grade 2 demand, a shift with no demand) is *undefined*: it is neither
0 % nor 100 %. hubplan has one convention for it, applied wherever a share is
computed (:func:`demand_share`):

* in memory it is NaN (:data:`NO_DEMAND`); the records below turn every NaN
  they are given into that one object, so records compare equal field by field;
* in JSON it is ``null``;
* pages and terminal tables show it as "–".

Other non-finite numbers are written as ``null`` too, since JSON has no
infinity: a 90th-percentile response time beyond every modelled time (``inf``
in memory) is ``null`` in ``kpis.json`` and reads back as NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

#: The value of a share of zero demand in memory (``null`` in JSON, "–" on pages).
NO_DEMAND: float = math.nan


class KpisFormatError(ValueError):
    """A ``kpis.json`` dict that is not what :meth:`PlanKpis.to_json` writes (a key missing, a wrong type)."""


def demand_share(part: float, total: float) -> float:
    """``part / total``, or :data:`NO_DEMAND` when ``total`` is not positive (the zero-demand convention).

    Parameters
    ----------
    part
        Demand meeting the condition (covered, expected covered, within target).
    total
        All the demand of the group.

    Returns
    -------
    float
        The share, or NaN when there is no demand.
    """
    return float(part) / float(total) if total > 0 else NO_DEMAND


def is_no_demand(value: object) -> bool:
    """Whether ``value`` is the zero-demand marker (NaN) or missing (``None``)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _canonical(value: Any) -> Any:
    """``value`` with a NaN replaced by :data:`NO_DEMAND` (so ``==`` on records holds for NaN fields)."""
    return NO_DEMAND if isinstance(value, float) and math.isnan(value) else value


def _canonical_map(values: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key): _canonical(value) for key, value in values.items()}


def _json_number(value: Any) -> Any:
    """A number as JSON allows it: NaN and infinities become ``None``."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _json_map(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _json_number(value) for key, value in values.items()}


def _from_json_number(value: Any) -> Any:
    return NO_DEMAND if value is None else value


class _Reader:
    """Reads one JSON object, naming the full key path in every error."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            raise KpisFormatError(f"{where or 'kpis'}: expected a JSON object, got {type(data).__name__}")
        self.data, self.where = data, where

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str) -> Any:
        if key not in self.data:
            raise KpisFormatError(f"{self.path(key)}: missing; it has {sorted(self.data)}")
        return self.data[key]

    def number(self, key: str) -> Any:
        value = self.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise KpisFormatError(f"{self.path(key)}: expected a number or null, got {value!r}")
        return _from_json_number(value)

    def text(self, key: str, *, optional: bool = False) -> Any:
        value = self.data.get(key) if optional else self.get(key)
        if not (isinstance(value, str) or (optional and value is None)):
            raise KpisFormatError(f"{self.path(key)}: expected text, got {value!r}")
        return value

    def numbers(self, key: str, *, optional: bool = False) -> dict[str, Any]:
        value = self.data.get(key, {}) if optional else self.get(key)
        item = _Reader(value, self.path(key))
        return {str(name): item.number(name) for name in value}

    def child(self, key: str) -> _Reader:
        return _Reader(self.get(key), self.path(key))


def _share_problems(name: str, values: Mapping[str, Any]) -> list[str]:
    bad = {key: value for key, value in values.items() if not _is_share(value)}
    return [f"{name}: shares must be NaN (no demand) or in [0, 1]; got {bad}"] if bad else []


def _is_share(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isnan(value) or 0.0 <= value <= 1.0


@dataclass(frozen=True)
class GradeKpis:
    """Coverage of one grade: overall, by shift, by base and by local authority.

    Every share is a fraction of the grade's demand in that group, or NaN when
    the group has no demand (see the module docstring).

    Parameters
    ----------
    target_min
        The grade's response target, minutes; NaN (``null``) when the standard sets one per area class.
    demand_per_year
        The grade's incidents a year, summed over shifts.
    covered_share, expected_covered_share
        Share within target: travel only, and with busy cars.
    mean_response_min, p90_response_min
        Demand-weighted mean and 90th percentile response time, minutes (the
        percentile is ``inf`` when beyond every modelled time).
    by_shift, expected_by_shift
        ``{shift: share}``, travel only and with busy cars.
    by_base, expected_by_base
        ``{base: share}`` of the demand each base's cars answer first.
    by_local_authority, expected_by_local_authority
        ``{local authority: share}``.
    target_by_class_min
        ``{area class: minutes}``: the standard's target in each class.
    by_area_class
        ``{area class: GradeKpis}``: the same figures for the demand of each class (urban, rural),
        each against its own target (their own ``by_area_class`` is empty).

    Raises
    ------
    ValueError
        Naming every share outside [0, 1].
    """

    target_min: float
    demand_per_year: float
    covered_share: float
    expected_covered_share: float
    mean_response_min: float
    p90_response_min: float
    by_shift: Mapping[str, float]
    expected_by_shift: Mapping[str, float]
    by_base: Mapping[str, float]
    expected_by_base: Mapping[str, float]
    by_local_authority: Mapping[str, float]
    expected_by_local_authority: Mapping[str, float]
    target_by_class_min: Mapping[str, float] = field(default_factory=dict)
    by_area_class: Mapping[str, GradeKpis] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "by_area_class":
                value = dict(value)
            elif item.name == "target_by_class_min":
                value = _canonical_map(value)
            elif isinstance(value, Mapping):
                value = _canonical_map(value)
                problems += _share_problems(item.name, value)
            else:
                value = _canonical(value)
            object.__setattr__(self, item.name, value)
        problems += _share_problems("covered_share", {"all": self.covered_share})
        problems += _share_problems("expected_covered_share", {"all": self.expected_covered_share})
        if problems:
            raise ValueError("GradeKpis: " + "; ".join(problems))

    @property
    def target_text(self) -> str:
        """The target in words: ``"15 min"``, or ``"15 min urban, 20 min rural"`` when it depends on the class."""
        if not math.isnan(self.target_min) or not self.target_by_class_min:
            return f"{self.target_min:g} min"
        return ", ".join(f"{minutes:g} min {name}" for name, minutes in self.target_by_class_min.items())

    def to_json(self) -> dict[str, Any]:
        """The grade's section of ``kpis.json`` (NaN and infinities as ``null``)."""
        values = {item.name: getattr(self, item.name) for item in fields(self) if item.name != "by_area_class"}
        data = {
            name: _json_map(value) if isinstance(value, Mapping) else _json_number(value)
            for name, value in values.items()
        }
        data["by_area_class"] = {name: item.to_json() for name, item in self.by_area_class.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str = "grade") -> GradeKpis:
        """Read a grade's section of ``kpis.json``.

        ``expected_by_base``, ``expected_by_local_authority``, ``target_by_class_min`` and
        ``by_area_class`` may be missing (plans written before they were computed): they read as empty.

        Raises
        ------
        KpisFormatError
            Naming the key that is missing or of the wrong type.
        """
        reader = _Reader(data, where)
        optional = ("expected_by_base", "expected_by_local_authority", "target_by_class_min")
        values = {
            item.name: reader.numbers(item.name, optional=item.name in optional)
            if item.name.startswith(("by_", "expected_by_", "target_by_"))
            else reader.number(item.name)
            for item in fields(cls)
            if item.name != "by_area_class"
        }
        classes = _Reader(data.get("by_area_class", {}), reader.path("by_area_class"))
        values["by_area_class"] = {
            str(name): cls.from_json(classes.get(name), where=classes.path(name)) for name in classes.data
        }
        return cls(**values)


@dataclass(frozen=True)
class ShiftSolverKpis:
    """The solve of one shift: status, first-level objective and bound, relative gap, time, warnings."""

    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("objective", "bound", "gap", "seconds"):
            object.__setattr__(self, name, _canonical(getattr(self, name)))
        object.__setattr__(self, "warnings", tuple(str(w) for w in self.warnings))

    def to_json(self) -> dict[str, Any]:
        """The shift's entry of ``solver.by_shift``."""
        return {
            "status": self.status,
            "objective": _json_number(self.objective),
            "bound": _json_number(self.bound),
            "gap": _json_number(self.gap),
            "seconds": _json_number(self.seconds),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str = "solver.by_shift") -> ShiftSolverKpis:
        """Read one entry of ``solver.by_shift``."""
        reader = _Reader(data, where)
        warnings = reader.get("warnings")
        if not isinstance(warnings, list):
            raise KpisFormatError(f"{reader.path('warnings')}: expected a list of text, got {warnings!r}")
        numbers = {name: reader.number(name) for name in ("objective", "bound", "gap", "seconds")}
        return cls(status=reader.text("status"), warnings=tuple(warnings), **numbers)


@dataclass(frozen=True)
class SolverKpis:
    """Solver status over every shift: worst status, summed objective and bound, gap, time, per shift.

    Parameters
    ----------
    status
        The worst status over the shifts (``"optimal"``, ``"feasible"``, ...).
    objective, bound
        First objective level, summed over shifts.
    gap
        ``(bound - objective) / bound``.
    seconds
        Solve time summed over shifts.
    solver
        Solver names used, comma-separated.
    by_shift
        Each shift's solve.
    objective_note
        What the objective measures, in words.
    """

    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    solver: str
    by_shift: Mapping[str, ShiftSolverKpis]
    objective_note: str

    def __post_init__(self) -> None:
        for name in ("objective", "bound", "gap", "seconds"):
            object.__setattr__(self, name, _canonical(getattr(self, name)))
        object.__setattr__(self, "by_shift", dict(self.by_shift))

    def to_json(self) -> dict[str, Any]:
        """The ``solver`` section of ``kpis.json``."""
        return {
            "status": self.status,
            "objective": _json_number(self.objective),
            "bound": _json_number(self.bound),
            "gap": _json_number(self.gap),
            "seconds": _json_number(self.seconds),
            "solver": self.solver,
            "by_shift": {shift: item.to_json() for shift, item in self.by_shift.items()},
            "objective_note": self.objective_note,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str = "solver") -> SolverKpis:
        """Read the ``solver`` section of ``kpis.json``."""
        reader = _Reader(data, where)
        shifts = reader.child("by_shift")
        return cls(
            status=reader.text("status"),
            objective=reader.number("objective"),
            bound=reader.number("bound"),
            gap=reader.number("gap"),
            seconds=reader.number("seconds"),
            solver=reader.text("solver"),
            by_shift={
                str(shift): ShiftSolverKpis.from_json(shifts.get(shift), where=shifts.path(shift))
                for shift in shifts.data
            },
            objective_note=reader.text("objective_note"),
        )


@dataclass(frozen=True)
class Assumptions:
    """Every modelled assumption behind the figures, for the report and the audit trail.

    Parameters
    ----------
    scenario_path
        Absolute path of the scenario file, or ``None`` for a scenario built in memory.
    network_source
        The ``--network`` value of the plan (``None`` in plans written before it was recorded).
    network, network_nodes
        The road network's name and node count.
    speed_factor
        Blue-light speed factor over the network's travel times.
    mobilisation_s
        Delay before a car moves, seconds.
    max_base_travel_min
        ``{base: minutes}``: how far each base's cars may be sent.
    job_time_grade1_min, job_time_grade2_min
        Assumed time a car is busy per incident, minutes (``job_time_min`` in JSON).
    demand_source, grade1_per_year, grade2_per_year, demand_nodes
        Where demand came from, the assumed annual volumes, and the number of demand nodes.
    candidates
        Number of candidate deployment locations.
    label
        What kind of figures these are, in words.
    """

    scenario_path: str | None
    network_source: str | None
    network: str
    network_nodes: int
    speed_factor: float
    mobilisation_s: float
    max_base_travel_min: Mapping[str, float]
    job_time_grade1_min: float
    job_time_grade2_min: float
    demand_source: str
    grade1_per_year: float
    grade2_per_year: float
    demand_nodes: int
    candidates: int
    label: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_base_travel_min", _canonical_map(self.max_base_travel_min))

    def to_json(self) -> dict[str, Any]:
        """The ``assumptions`` section of ``kpis.json``."""
        return {
            "scenario_path": self.scenario_path,
            "network_source": self.network_source,
            "network": self.network,
            "network_nodes": self.network_nodes,
            "speed_factor": self.speed_factor,
            "mobilisation_s": self.mobilisation_s,
            "max_base_travel_min": _json_map(self.max_base_travel_min),
            "job_time_min": {"grade1": self.job_time_grade1_min, "grade2": self.job_time_grade2_min},
            "demand_source": self.demand_source,
            "grade1_per_year": self.grade1_per_year,
            "grade2_per_year": self.grade2_per_year,
            "demand_nodes": self.demand_nodes,
            "candidates": self.candidates,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str = "assumptions") -> Assumptions:
        """Read the ``assumptions`` of ``kpis.json``; ``scenario_path`` and ``network_source`` may be missing."""
        reader = _Reader(data, where)
        job = reader.child("job_time_min")
        return cls(
            scenario_path=reader.text("scenario_path", optional=True),
            network_source=reader.text("network_source", optional=True),
            network=reader.text("network"),
            network_nodes=reader.number("network_nodes"),
            speed_factor=reader.number("speed_factor"),
            mobilisation_s=reader.number("mobilisation_s"),
            max_base_travel_min=reader.numbers("max_base_travel_min"),
            job_time_grade1_min=job.number("grade1"),
            job_time_grade2_min=job.number("grade2"),
            demand_source=reader.text("demand_source"),
            grade1_per_year=reader.number("grade1_per_year"),
            grade2_per_year=reader.number("grade2_per_year"),
            demand_nodes=reader.number("demand_nodes"),
            candidates=reader.number("candidates"),
            label=reader.text("label"),
        )


@dataclass(frozen=True)
class StandardKpis:
    """Which response standard figures are measured against, and where the urban/rural classes come from.

    Parameters
    ----------
    name, title, source
        The standard's name, one-line title and source.
    clock_start
        ``"call_received"`` or ``"dispatched"`` (static cover always runs from dispatch).
    class_source
        ``"derived"`` or the ONS file the urban/rural classes were read from.
    """

    name: str
    title: str
    source: str
    clock_start: str
    class_source: str

    def to_json(self) -> dict[str, Any]:
        """The ``standard`` section of ``kpis.json`` and ``simulation.json``."""
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "clock_start": self.clock_start,
            "class_source": self.class_source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str = "standard") -> StandardKpis:
        """Read the ``standard`` section."""
        reader = _Reader(data, where)
        return cls(**{item.name: reader.text(item.name) for item in fields(cls)})


@dataclass(frozen=True)
class OtherStandardKpis:
    """The same plan measured against a second standard: its Grade 1 and Grade 2 cover."""

    standard: StandardKpis
    grade1: GradeKpis
    grade2: GradeKpis

    def to_json(self) -> dict[str, Any]:
        """The ``other_standard`` section of ``kpis.json``."""
        return {"standard": self.standard.to_json(), "grade1": self.grade1.to_json(), "grade2": self.grade2.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, where: str = "other_standard") -> OtherStandardKpis:
        """Read the ``other_standard`` section."""
        reader = _Reader(data, where)
        return cls(
            standard=StandardKpis.from_json(reader.get("standard"), where=reader.path("standard")),
            grade1=GradeKpis.from_json(reader.get("grade1"), where=reader.path("grade1")),
            grade2=GradeKpis.from_json(reader.get("grade2"), where=reader.path("grade2")),
        )


@dataclass(frozen=True)
class PlanKpis:
    """All KPIs of a solved scenario: the ``kpis.json`` schema.

    Parameters
    ----------
    scenario
        The scenario's name.
    grade1, grade2
        Coverage of each grade.
    busy_fraction_by_shift
        ``{shift: q}``: the estimated probability a car position is busy.
    solver
        Solver status, objective, bound and gap.
    assumptions
        The modelled assumptions behind the figures.
    definition
        ``hubplan compare`` only: where the scenario came from (file and overrides).
    variant_notes
        ``hubplan compare`` only: what the overrides changed (empty for a file as given).
    simulated
        Simulated attendance of the plan, the same shape as ``simulation.json``
        (``hubplan simulate``); ``None`` when the plan was not simulated.
    search
        How the simulation search changed the plan (``optimise --improve``); ``None`` when it did not run.
    availability
        The simulation <-> expected-cover iterations (``[solver] busy_fraction = "simulated"``):
        per iteration the busy fraction by base area and shift and the (shift, site) changes;
        ``None`` when they did not run.
    standard
        The response standard ``grade1`` and ``grade2`` are measured against (``None`` in older files).
    other_standard
        The same plan against the other shipped standard (``None`` in older files).
    """

    scenario: str
    grade1: GradeKpis
    grade2: GradeKpis
    busy_fraction_by_shift: Mapping[str, float]
    solver: SolverKpis
    assumptions: Assumptions
    definition: str | None = None
    variant_notes: tuple[str, ...] | None = field(default=None)
    simulated: Mapping[str, Any] | None = None
    search: Mapping[str, Any] | None = None
    availability: Mapping[str, Any] | None = None
    standard: StandardKpis | None = None
    other_standard: OtherStandardKpis | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "busy_fraction_by_shift", _canonical_map(self.busy_fraction_by_shift))
        if self.variant_notes is not None:
            object.__setattr__(self, "variant_notes", tuple(str(note) for note in self.variant_notes))

    def grade(self, number: int) -> GradeKpis:
        """The KPIs of Grade ``number`` (1 or 2)."""
        if number not in (1, 2):
            raise ValueError(f"grade must be 1 or 2, got {number!r}")
        return self.grade1 if number == 1 else self.grade2

    @property
    def shifts(self) -> tuple[str, ...]:
        """Shift names in the plan's order."""
        return tuple(self.grade1.by_shift)

    def to_json(self) -> dict[str, Any]:
        """The ``kpis.json`` dict: JSON-ready (no NaN or infinity), keys in the file's order."""
        data: dict[str, Any] = {
            "scenario": self.scenario,
            **({"standard": self.standard.to_json()} if self.standard is not None else {}),
            "grade1": self.grade1.to_json(),
            "grade2": self.grade2.to_json(),
            "busy_fraction_by_shift": _json_map(self.busy_fraction_by_shift),
            "solver": self.solver.to_json(),
            "assumptions": self.assumptions.to_json(),
        }
        if self.other_standard is not None:
            data["other_standard"] = self.other_standard.to_json()
        if self.definition is not None:
            data["definition"] = self.definition
        if self.variant_notes is not None:
            data["variant_notes"] = list(self.variant_notes)
        data["simulated"] = None if self.simulated is None else dict(self.simulated)
        data["search"] = None if self.search is None else dict(self.search)
        data["availability"] = None if self.availability is None else dict(self.availability)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanKpis:
        """Read a ``kpis.json`` dict.

        Raises
        ------
        KpisFormatError
            Naming the key that is missing or of the wrong type.
        """
        reader = _Reader(data, "")
        notes = data.get("variant_notes")
        if notes is not None and not _is_text_list(notes):
            raise KpisFormatError(f"variant_notes: expected a list of text, got {notes!r}")
        for key in ("simulated", "search", "availability"):
            if data.get(key) is not None and not isinstance(data[key], Mapping):
                raise KpisFormatError(f"{key}: expected an object or null, got {data[key]!r}")
        return cls(
            scenario=reader.text("scenario"),
            grade1=GradeKpis.from_json(reader.get("grade1"), where="grade1"),
            grade2=GradeKpis.from_json(reader.get("grade2"), where="grade2"),
            busy_fraction_by_shift=reader.numbers("busy_fraction_by_shift"),
            solver=SolverKpis.from_json(reader.get("solver")),
            assumptions=Assumptions.from_json(reader.get("assumptions")),
            definition=reader.text("definition", optional=True),
            variant_notes=tuple(notes) if notes is not None else None,
            simulated=data.get("simulated"),
            search=data.get("search"),
            availability=data.get("availability"),
            standard=StandardKpis.from_json(data["standard"]) if "standard" in data else None,
            other_standard=OtherStandardKpis.from_json(data["other_standard"]) if "other_standard" in data else None,
        )


def _is_text_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str) and all(isinstance(v, str) for v in value)
