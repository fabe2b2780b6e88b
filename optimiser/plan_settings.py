"""A plan's settings: the scenario's response assumptions and the network it was made on, computed once.

:func:`scenario_response_settings` turns a scenario (and its demand) into the
:class:`models.response.ResponseSettings` every command uses; the
:class:`PlanSettings` around it is written as the ``settings`` layer of
``plan.gpkg`` and read back by ``evaluate``, ``report`` and ``compare``.
Nothing that changes a result is defaulted on reading: a plan written by
another version of hubplan is refused with the advice to re-optimise it. The
scenario's ``description`` (text for the report's title block) is the one
optional field: plans written before it existed read with an empty one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from geodata.area_classes import AreaClassification
from geodata.demand import Demand
from geodata.errors import InputDataError
from models.errors import ModelInputError
from models.response import ResponseSettings, ShiftHours, estimated_busy_fraction
from models.standards import ResponseStandard
from optimiser.scenario import Scenario, SimulationSpec

#: Version of the plan.gpkg layout; readers refuse other versions.
PLAN_FORMAT_VERSION = 3
#: Days a year, for turning annual volumes into hourly rates.
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class NetworkIdentity:
    """Which road network a plan was made on: the ``--network`` value, its name and fingerprint."""

    source: str
    name: str
    fingerprint: str
    max_snap_m: float


@dataclass(frozen=True)
class PlanSettings:
    """Everything a command needs to re-run a plan's response model (the ``settings`` layer of ``plan.gpkg``).

    ``simulation`` holds the assumptions ``hubplan simulate`` uses (call handling,
    time on scene, arrests, dispatch policy, fitted availability), as the scenario gave them;
    ``calibration`` the scenario's ``[calibration]`` provenance of fitted values (empty if none);
    ``area_classes`` urban or rural for every LSOA, as the plan was measured (the response standard,
    inside ``response``, may set a target per class).
    ``description`` the scenario's description, for the report's title block (empty if none).
    """

    scenario: str
    scenario_path: str | None
    network: NetworkIdentity
    response: ResponseSettings
    simulation: SimulationSpec
    area_classes: AreaClassification
    calibration: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    base_areas: Mapping[str, list[str]] = dataclasses.field(default_factory=dict)
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see :meth:`from_json`)."""
        return {
            "format_version": PLAN_FORMAT_VERSION,
            "scenario": self.scenario,
            "scenario_path": self.scenario_path,
            "network": {
                "source": self.network.source,
                "name": self.network.name,
                "fingerprint": self.network.fingerprint,
                "max_snap_m": self.network.max_snap_m,
            },
            "response": self.response.to_json(),
            "simulation": dataclasses.asdict(self.simulation),
            "area_classes": self.area_classes.to_json(),
            "calibration": dict(self.calibration),
            "base_areas": {base: list(areas) for base, areas in self.base_areas.items()},
            "description": self.description,
        }

    @property
    def standard(self) -> ResponseStandard:
        """The response standard the plan is measured against."""
        return self.response.standard

    def with_standard(self, standard: ResponseStandard) -> PlanSettings:
        """The same plan measured against another standard (``--standard`` on a command reading a plan)."""
        return dataclasses.replace(self, response=self.response.with_standard(standard))

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: str) -> PlanSettings:
        """Read what :meth:`to_json` wrote; ``source`` names the file in errors.

        Raises
        ------
        InputDataError
            If the plan was written by another version of hubplan or a field is missing.
        """
        fix = "re-optimise it with this hubplan: hubplan optimise SCENARIO.toml --out FOLDER"
        version = data.get("format_version")
        if version != PLAN_FORMAT_VERSION:
            raise InputDataError(
                f"is plan format {version!r}; this hubplan reads format {PLAN_FORMAT_VERSION}; {fix}", source=source
            )
        try:
            network = data["network"]
            return cls(
                scenario=str(data["scenario"]),
                scenario_path=data["scenario_path"],
                network=NetworkIdentity(
                    str(network["source"]),
                    str(network["name"]),
                    str(network["fingerprint"]),
                    float(network["max_snap_m"]),
                ),
                response=ResponseSettings.from_json(data["response"]),
                simulation=SimulationSpec(**data["simulation"]),
                area_classes=AreaClassification.from_json(data["area_classes"]),
                calibration=dict(data["calibration"]),
                base_areas={str(k): [str(a) for a in v] for k, v in data["base_areas"].items()},
                description=str(data.get("description", "")),
            )
        except (KeyError, TypeError, ValueError, ModelInputError) as error:
            raise InputDataError(f"has unreadable plan settings ({error}); {fix}", source=source) from error


def declared_base_areas(scenario: Scenario, local_authorities: list[str]) -> dict[str, list[str]]:
    """The local authorities each base declares as its area, checked against ``local_authorities``.

    Raises
    ------
    InputDataError
        Naming every unknown local authority (with the valid names) and every one claimed by two bases.
    """
    problems, owner = [], {}
    for base in scenario.bases:
        for name in base.areas:
            if name not in local_authorities:
                problems.append(
                    f"base {base.name!r}: unknown local authority {name!r}; valid: {', '.join(local_authorities)}"
                )
            elif name in owner:
                problems.append(f"local authority {name!r} is declared by both {owner[name]!r} and {base.name!r}")
            owner.setdefault(name, base.name)
    if problems:
        raise InputDataError("declares base areas that cannot be used", source=scenario.path, problems=problems)
    return {base.name: list(base.areas) for base in scenario.bases if base.areas}


def scenario_response_settings(
    scenario: Scenario, demand: Demand, max_base_travel_s: np.ndarray, standard: ResponseStandard
) -> ResponseSettings:
    """The response assumptions of ``scenario`` against ``standard``, each shift's busy fraction estimated once.

    The busy fraction of a shift is the car-hours of work per hour (the shift's
    modelled Grade 1 and 2 incidents a year x the assumed job times, spread over
    the shift's hours of the year) over the cars on duty
    (:func:`models.response.estimated_busy_fraction`).
    """
    response = scenario.response
    shifts = [s for s in demand.shifts if s.name in scenario.shift_names]
    busy = {}
    for shift in shifts:
        grade1, grade2 = demand.for_shift(shift.name)
        job_hours_per_year = (
            float(grade1.sum()) * response.job_time_grade1_min + float(grade2.sum()) * response.job_time_grade2_min
        ) / 60.0
        cars = float(sum(base.shifts[shift.name].units for base in scenario.bases))
        busy[shift.name] = estimated_busy_fraction(job_hours_per_year / (DAYS_PER_YEAR * len(shift.hours)), cars)
    return ResponseSettings(
        speed_factor=scenario.network.speed_factor,
        mobilisation_s=response.mobilisation_s,
        standard=standard,
        max_base_travel_s={b.name: float(s) for b, s in zip(scenario.bases, max_base_travel_s, strict=True)},
        shifts=tuple(ShiftHours(s.name, s.start_hour, s.end_hour) for s in shifts),
        busy_fraction_by_shift=busy,
    )
