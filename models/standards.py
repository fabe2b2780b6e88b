"""Response standards as data: which target applies to an incident, by grade and area class.

A :class:`ResponseStandard` says, for Grade 1 and Grade 2, the attendance
target in minutes in each area class (``urban``, ``rural``), where the clock
starts (the call received, or the car dispatched) and, optionally, how fast a
999 call must be answered. Two standards ship with hubplan (see
``optimiser/standards/``): the force's own of 2018 (15 and 60 minutes
everywhere) and the national one announced by the Home Office (Grade 1 15
minutes urban, 20 rural).

:meth:`ResponseStandard.targets_s` is the one place that turns a standard and
the area class of each demand node (or incident) into a target per node;
every command calls it. :func:`standard_from_dict` is the pure parser of the
TOML schema (the file is read in :mod:`optimiser.standards`)::

    name = "national"
    title = "..."
    source = "..."
    clock_start = "call_received"     # or "dispatched"
    call_answer_target_s = 10         # optional

    [grade1]
    target_min = { urban = 15, rural = 20 }

    [grade2]
    target_min = 60                   # one number: the same in every class

Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from models.errors import raise_if_problems

#: Area classes a target may depend on (the same names as ``geodata.area_classes.AREA_CLASSES``; a test checks).
AREA_CLASSES = ("urban", "rural")
#: Where the attendance clock starts.
CLOCK_STARTS = ("call_received", "dispatched")
#: Grades with targets.
GRADES = (1, 2)
#: Top-level keys of a standard file.
TOP_LEVEL_KEYS = ("name", "title", "source", "clock_start", "call_answer_target_s", "grade1", "grade2")
#: Version of :meth:`ResponseStandard.to_json`; readers refuse other versions.
STANDARD_JSON_VERSION = 1


@dataclass(frozen=True)
class ResponseStandard:
    """A response standard: targets per grade and area class, the clock start, the call-answer target.

    Parameters
    ----------
    name
        Short name (``"force-2018"``, ``"national"``).
    title
        A line saying what it is.
    source
        Where the figures come from (publication, date).
    clock_start
        ``"call_received"`` or ``"dispatched"``: the event the attendance time is measured from.
    targets_min
        ``{grade: {area class: minutes}}`` for grades 1 and 2 and every class of :data:`AREA_CLASSES`.
    call_answer_target_s
        999 calls answered within this many seconds, or ``None`` when the standard sets none.

    Raises
    ------
    ModelInputError
        Naming every unknown or missing grade or class, and every target that is not a positive number.
    """

    name: str
    title: str
    source: str
    clock_start: str
    targets_min: Mapping[int, Mapping[str, float]]
    call_answer_target_s: float | None = None

    def __post_init__(self) -> None:
        problems = _target_problems(self.targets_min)
        if self.clock_start not in CLOCK_STARTS:
            problems.append(f"clock_start: {self.clock_start!r} is not one of {', '.join(CLOCK_STARTS)}")
        answer = self.call_answer_target_s
        if answer is not None and not (math.isfinite(answer) and answer > 0):
            problems.append(f"call_answer_target_s: {answer!r} must be a positive number of seconds")
        if not self.name.strip():
            problems.append("name: must not be empty")
        raise_if_problems(problems, "invalid response standard; fix these fields", setting=f"standard {self.name!r}")
        frozen = {g: MappingProxyType({c: float(v) for c, v in self.targets_min[g].items()}) for g in GRADES}
        object.__setattr__(self, "targets_min", MappingProxyType(frozen))

    def target_s(self, grade: int, area_class: str) -> float:
        """Target of ``grade`` in ``area_class``, seconds."""
        _check_grade(grade)
        if area_class not in AREA_CLASSES:
            raise_if_problems(
                [f"area class {area_class!r} is not one of {', '.join(AREA_CLASSES)}"],
                "unknown area class",
                setting=f"standard {self.name!r}",
            )
        return 60.0 * self.targets_min[grade][area_class]

    def targets_s(self, grade: int, area_class: np.ndarray) -> np.ndarray:
        """Target of ``grade`` for each element of ``area_class`` (one class name per node or incident), seconds.

        Raises
        ------
        ModelInputError
            Naming the unknown class values, with the valid ones.
        """
        _check_grade(grade)
        classes = np.asarray(area_class, dtype=object)
        unknown = sorted({str(c) for c in np.unique(classes)} - set(AREA_CLASSES))
        raise_if_problems(
            [f"area class {c!r} is not one of {', '.join(AREA_CLASSES)}" for c in unknown],
            "unknown area classes",
            setting=f"standard {self.name!r}",
        )
        out = np.empty(classes.shape, dtype=float)
        for name in AREA_CLASSES:
            out[classes == name] = 60.0 * self.targets_min[grade][name]
        return out

    def max_target_s(self, grade: int) -> float:
        """The longest target of ``grade`` over the area classes, seconds (for matrix cutoffs and reach)."""
        _check_grade(grade)
        return 60.0 * max(self.targets_min[grade].values())

    def min_target_s(self, grade: int) -> float:
        """The shortest target of ``grade`` over the area classes, seconds."""
        _check_grade(grade)
        return 60.0 * min(self.targets_min[grade].values())

    def describe(self, grade: int) -> str:
        """The grade's targets in words: ``"15 min"`` or ``"15 min urban, 20 min rural"``."""
        targets = self.targets_min[grade]
        if len(set(targets.values())) == 1:
            return f"{targets[AREA_CLASSES[0]]:g} min"
        return ", ".join(f"{targets[c]:g} min {c}" for c in AREA_CLASSES)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see :meth:`from_json`)."""
        return {
            "version": STANDARD_JSON_VERSION,
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "clock_start": self.clock_start,
            "call_answer_target_s": self.call_answer_target_s,
            "targets_min": {f"grade{g}": dict(self.targets_min[g]) for g in GRADES},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResponseStandard:
        """Read what :meth:`to_json` wrote.

        Raises
        ------
        ModelInputError
            If the version differs or a field is missing.
        """
        if data.get("version") != STANDARD_JSON_VERSION:
            raise_if_problems(
                [f"version is {data.get('version')!r}; this hubplan reads version {STANDARD_JSON_VERSION}"],
                "response standard written by another hubplan version",
                setting="ResponseStandard",
            )
        keys = ("name", "title", "source", "clock_start", "call_answer_target_s", "targets_min")
        raise_if_problems(
            [f"{k} is missing" for k in keys if k not in data], "incomplete response standard", setting="standard"
        )
        answer = data["call_answer_target_s"]
        return cls(
            name=str(data["name"]),
            title=str(data["title"]),
            source=str(data["source"]),
            clock_start=str(data["clock_start"]),
            targets_min={g: dict(data["targets_min"][f"grade{g}"]) for g in GRADES},
            call_answer_target_s=None if answer is None else float(answer),
        )


def standard_from_dict(raw: Mapping[str, Any], *, source: str) -> ResponseStandard:
    """Build a :class:`ResponseStandard` from a parsed standard file, collecting every problem first.

    Parameters
    ----------
    raw
        The parsed TOML (schema in the module docstring).
    source
        The file it came from, named in every message.

    Raises
    ------
    ModelInputError
        Naming the file and each field at fault: unknown keys, grades or classes (with the valid
        names), missing fields, targets that are not positive numbers.
    """
    problems = [
        f"unknown key {key!r}; valid keys: {', '.join(TOP_LEVEL_KEYS)} (grades with targets: grade1, grade2)"
        for key in raw
        if key not in TOP_LEVEL_KEYS
    ]
    for key in ("name", "title", "source", "clock_start"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(f"{key}: missing; give it as text")
    answer = raw.get("call_answer_target_s")
    if answer is not None and (isinstance(answer, bool) or not isinstance(answer, int | float)):
        problems.append(f"call_answer_target_s = {answer!r}: give a number of seconds, or leave it out")
        answer = None
    targets = {g: _grade_targets(raw.get(f"grade{g}"), g, problems) for g in GRADES}
    problems += [p for p in _target_problems(targets) if all(targets.values()) or "no target for" in p]
    clock = raw.get("clock_start")
    if isinstance(clock, str) and clock not in CLOCK_STARTS:
        problems.append(f"clock_start: {clock!r} is not one of {', '.join(CLOCK_STARTS)}")
    raise_if_problems(problems, "is not a valid response standard", setting=source)
    try:
        return ResponseStandard(
            name=raw["name"].strip(),
            title=raw["title"].strip(),
            source=raw["source"].strip(),
            clock_start=raw["clock_start"],
            targets_min=targets,
            call_answer_target_s=None if answer is None else float(answer),
        )
    except ValueError as error:
        raise_if_problems([str(error)], "is not a valid response standard", setting=source)
        raise


def _grade_targets(table: Any, grade: int, problems: list[str]) -> dict[str, float]:
    """``{class: minutes}`` from a ``[gradeN]`` table, recording problems instead of raising."""
    where = f"[grade{grade}]"
    if not isinstance(table, Mapping):
        problems.append(f"{where}: missing; give target_min = MINUTES or target_min = {{ urban = .., rural = .. }}")
        return {}
    problems += [f"{where}: unknown key {key!r}; valid keys: target_min" for key in table if key != "target_min"]
    value = table.get("target_min")
    if _is_number(value):
        return dict.fromkeys(AREA_CLASSES, float(value))
    if not isinstance(value, Mapping):
        problems.append(f"{where} target_min = {value!r}: give minutes, or a table with {', '.join(AREA_CLASSES)}")
        return {}
    problems += [
        f"{where} target_min: unknown area class {name!r}; valid classes: {', '.join(AREA_CLASSES)}"
        for name in value
        if name not in AREA_CLASSES
    ]
    problems += [
        f"{where} target_min.{name}: {value[name]!r} is not a number of minutes"
        for name in AREA_CLASSES
        if name in value and not _is_number(value[name])
    ]
    return {name: float(v) for name, v in value.items() if name in AREA_CLASSES and _is_number(v)}


def _target_problems(targets: Mapping[int, Mapping[str, float]]) -> list[str]:
    problems = [f"grade {g!r}: unknown grade; valid grades: {GRADES}" for g in targets if g not in GRADES]
    for grade in GRADES:
        given = targets.get(grade)
        if given is None:
            problems.append(f"grade{grade}: missing targets")
            continue
        missing = [c for c in AREA_CLASSES if c not in given]
        if missing:
            problems.append(f"grade{grade}: no target for {', '.join(missing)}; every class needs one")
        problems += [
            f"grade{grade}: unknown area class {c!r}; valid classes: {', '.join(AREA_CLASSES)}"
            for c in given
            if c not in AREA_CLASSES
        ]
        problems += [
            f"grade{grade} {c}: {v!r} min must be a positive number"
            for c, v in given.items()
            if not (_is_number(v) and math.isfinite(v) and v > 0)
        ]
    if not problems and any(targets[1][c] > targets[2][c] for c in AREA_CLASSES):
        problems.append("grade1: a Grade 1 target is longer than the Grade 2 target of the same class")
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_grade(grade: int) -> None:
    if grade not in GRADES:
        raise_if_problems([f"grade {grade!r} has no target; valid grades: {GRADES}"], "unknown grade", setting="grade")
