"""Published attendance figures: what a force reported, to set simulated attendance beside and to fit to.

A small TOML file (see ``scenarios/published/staffordshire-2018.toml``): a
name, a source, and per grade the target in minutes, the share attended within
it and the mean attendance in minutes, measured from the call.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from geodata.errors import InputDataError, require_file

GRADE_KEYS = ("target_min", "within_target", "mean_min")


@dataclass(frozen=True)
class PublishedGrade:
    """One grade's published figures."""

    target_min: float
    within_target: float
    mean_min: float


@dataclass(frozen=True)
class PublishedFigures:
    """A force's published attendance figures, with their source."""

    name: str
    source: str
    grade1: PublishedGrade
    grade2: PublishedGrade
    path: str

    def grade(self, grade: int) -> PublishedGrade:
        """The figures of Grade 1 or 2."""
        return self.grade1 if grade == 1 else self.grade2


def read_published(path: str | Path) -> PublishedFigures:
    """Read and check a published-figures file; every problem is listed at once."""
    path = Path(path)
    require_file(path, what="published-figures file", fix="check the path (see scenarios/published/)")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputDataError(f"is not valid UTF-8 TOML: {error}", source=str(path)) from None
    problems = [f"unknown key {key!r}; valid: name, source, grade1, grade2" for key in raw if key not in _TOP]
    grades = [_grade(raw.get(f"grade{g}"), g, problems) for g in (1, 2)]
    problems += [f"{key} is missing" for key in ("name", "source") if not str(raw.get(key, "")).strip()]
    if problems:
        raise InputDataError("is not a valid published-figures file", source=str(path), problems=problems)
    return PublishedFigures(str(raw["name"]), str(raw["source"]), grades[0], grades[1], str(path))


_TOP = ("name", "source", "grade1", "grade2")


def _grade(table: object, grade: int, problems: list[str]) -> PublishedGrade:
    if not isinstance(table, dict):
        problems.append(f"[grade{grade}] is missing: give {', '.join(GRADE_KEYS)}")
        return PublishedGrade(1.0, 0.0, 0.0)
    problems += [
        f"[grade{grade}] unknown key {k!r}; valid: {', '.join(GRADE_KEYS)}" for k in table if k not in GRADE_KEYS
    ]
    values = {}
    for key in GRADE_KEYS:
        value = table.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            problems.append(f"[grade{grade}] {key} = {value!r}: expected a number >= 0")
            value = 0.0
        values[key] = float(value)
    if values["within_target"] > 1:
        problems.append(f"[grade{grade}] within_target = {values['within_target']}: give a share in [0, 1], e.g. 0.64")
    return PublishedGrade(**values)
