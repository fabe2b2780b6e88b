"""police.uk street-level crime: the crime type to grade mapping, an ASSUMPTION.

police.uk publishes recorded crime and anti-social behaviour with a crime
type, a month and an anonymised "snap point" location. It publishes **no
grades and no times**: nobody outside the force knows which records were
Grade 1 (emergency, attended within 15 minutes), Grade 2 (priority, within
60 minutes) or Grade 3 (scheduled). To score police.uk records against a plan,
hubplan gives every crime type a grade. :data:`DEFAULT_CRIME_TYPE_GRADES` is
that assumption, made explicit and overridable with :func:`read_grade_map`:

* **Grade 1**: Violence and sexual offences, Robbery, Possession of weapons.
  Offences against the person, or with a weapon, are the calls most likely to
  involve a threat to life or injury while the offender is present: the
  definition of an emergency response.
* **Grade 2**: Burglary, Criminal damage and arson, Public order, Theft from
  the person, Anti-social behaviour. Often reported in progress or just after,
  with a victim or offender at the scene, but usually without immediate
  danger to life: priority attendance.
* **Grade 3**: Bicycle theft, Drugs, Other crime, Other theft, Shoplifting,
  Vehicle crime. Mostly reported after the event (or found by officers, as
  drug offences usually are) and dealt with by appointment. Grade 3 is
  scheduled work and is not scored against the 15 and 60 minute targets.

Real incidents of one crime type span every grade (a shoplifter detained by
store staff can be an emergency; most violence reports are not), so figures
from police.uk data show where recorded crime falls, not how the force's
graded demand performs. :data:`POLICE_UK_NOTE` says so for outputs.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from geodata.errors import InputDataError, require_file

log = logging.getLogger(__name__)

#: Grades a crime type can map to.
GRADES = (1, 2, 3)

#: The assumed grade of every police.uk crime type (see the module docstring for the reasoning).
DEFAULT_CRIME_TYPE_GRADES: Mapping[str, int] = MappingProxyType(
    {
        "Anti-social behaviour": 2,
        "Bicycle theft": 3,
        "Burglary": 2,
        "Criminal damage and arson": 2,
        "Drugs": 3,
        "Other crime": 3,
        "Other theft": 3,
        "Possession of weapons": 1,
        "Public order": 2,
        "Robbery": 1,
        "Shoplifting": 3,
        "Theft from the person": 2,
        "Vehicle crime": 3,
        "Violence and sexual offences": 1,
    }
)

#: A statement to print with any result computed from police.uk records.
POLICE_UK_NOTE = (
    "police.uk records are not incidents as the force graded them: they carry no grades and no times, only "
    "the month, which is used as the date (every record is placed at the first instant of its month, so hour "
    "and weekday are unknown); locations are anonymised to the nearest of a fixed set of snap points (street "
    "centres and public places), so they are not where the crime happened; and the grade of each record comes "
    "from a crime type to grade mapping, an assumption (violence, robbery and weapons as Grade 1; burglary, "
    "criminal damage, public order, theft from the person and anti-social behaviour as Grade 2; the rest as "
    "Grade 3, which is not scored against a target), which a grade map file can override."
)

#: Columns a grade map file must have.
GRADE_MAP_COLUMNS = ("crime_type", "grade")


def normalise_crime_type(text: str) -> str:
    """Case- and spacing-insensitive key of a crime type (``" Public  Order "`` -> ``"public order"``)."""
    return " ".join(str(text).split()).casefold()


def check_grade_map(grade_map: Mapping[str, int], *, source: str = "grade_map") -> dict[str, int]:
    """Return ``grade_map`` as a plain dict after checking every grade is 1, 2 or 3 and no type repeats.

    Parameters
    ----------
    grade_map
        Crime type (any case and spacing) to grade.
    source
        Where the mapping came from, for messages.

    Raises
    ------
    InputDataError
        Listing every crime type with a grade other than 1, 2 or 3, every empty
        crime type and every type given twice (ignoring case and spacing).
    """
    problems = []
    seen: dict[str, str] = {}
    for crime_type, grade in grade_map.items():
        key = normalise_crime_type(crime_type)
        if not key:
            problems.append("an empty crime type; name the police.uk crime type")
        elif key in seen:
            problems.append(f"crime type {crime_type!r} is given twice (also as {seen[key]!r}); keep one")
        seen.setdefault(key, crime_type)
        if isinstance(grade, bool) or grade not in GRADES:
            problems.append(f"crime type {crime_type!r} has grade {grade!r}; use 1, 2 or 3")
    if problems:
        raise InputDataError("is not a valid crime type to grade mapping", source=source, problems=problems)
    return {str(crime_type): int(grade) for crime_type, grade in grade_map.items()}


def read_grade_map(path: str | Path) -> dict[str, int]:
    """Read a ``crime_type,grade`` override file and merge it over :data:`DEFAULT_CRIME_TYPE_GRADES`.

    Parameters
    ----------
    path
        A UTF-8 CSV file with a header naming ``crime_type`` and ``grade``
        (any case; other columns, such as a note, are ignored). Each line gives
        one police.uk crime type and its grade, 1, 2 or 3. Types match the
        police.uk names ignoring case and spacing; types police.uk does not use
        today (older files had "Violent crime", for example) are added.

    Returns
    -------
    dict[str, int]
        Every default crime type, with the file's grades where it gives one,
        plus any type the file adds; default types keep their police.uk spelling.

    Raises
    ------
    InputDataError
        Naming the file and every bad line: a missing column, an empty crime
        type, a grade other than 1, 2 or 3, a crime type given twice.
    """
    source = str(path)
    rows = _grade_map_rows(Path(path))
    problems: list[str] = []
    overrides: dict[str, tuple[str, int]] = {}
    first_line: dict[str, int] = {}
    for line, crime_type, grade_text in rows:
        key = normalise_crime_type(crime_type)
        grade = _grade_of(grade_text)
        if not key:
            problems.append(f"line {line}: crime_type is empty; name a police.uk crime type")
        elif key in first_line:
            problems.append(f"line {line}: crime type {crime_type.strip()!r} is already on line {first_line[key]}")
        if grade is None:
            problems.append(f"line {line}: grade {grade_text.strip()!r} is not 1, 2 or 3")
        if key and key not in first_line:
            first_line[key] = line
            if grade is not None:
                overrides[key] = (" ".join(crime_type.split()), grade)
    if problems:
        raise InputDataError(f"has {len(problems)} problem(s); fix them and rerun", source=source, problems=problems)
    return _merge_over_default(overrides, source)


def _grade_map_rows(path: Path) -> list[tuple[int, str, str]]:
    """``(line, crime_type, grade)`` of every non-blank line; a missing file or column raises."""
    source = str(path)
    require_file(path, what="grade map file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lower() for name in next(reader, [])]
            missing = [name for name in GRADE_MAP_COLUMNS if name not in header]
            if missing:
                raise InputDataError(
                    f"line 1: missing column(s) {', '.join(missing)}; a grade map file has the header "
                    f"'crime_type,grade' and one line per crime type, e.g. 'Shoplifting,2' "
                    f"(found columns: {', '.join(header) or 'none'})",
                    source=source,
                )
            type_at, grade_at = (header.index(name) for name in GRADE_MAP_COLUMNS)
            return [
                (reader.line_num, _field(fields, type_at), _field(fields, grade_at))
                for fields in reader
                if any(field.strip() for field in fields)
            ]
    except UnicodeDecodeError as error:
        raise InputDataError(f"is not UTF-8 text ({error.reason}); save it as UTF-8 CSV", source=source) from error
    except csv.Error as error:
        raise InputDataError(f"is not valid CSV: {error}", source=source) from error


def _field(fields: list[str], at: int) -> str:
    return fields[at] if at < len(fields) else ""


def _grade_of(text: str) -> int | None:
    stripped = text.strip()
    return int(stripped) if stripped in {"1", "2", "3"} else None


def _merge_over_default(overrides: dict[str, tuple[str, int]], source: str) -> dict[str, int]:
    merged = {normalise_crime_type(name): (name, grade) for name, grade in DEFAULT_CRIME_TYPE_GRADES.items()}
    added = sorted(name for key, (name, _) in overrides.items() if key not in merged)
    for key, (name, grade) in overrides.items():
        merged[key] = (merged[key][0] if key in merged else name, grade)
    if added:
        log.info("grade map %s adds crime types police.uk does not use today: %s", source, ", ".join(added))
    log.info("read grade map %s: %d crime type(s) set, %d in all", source, len(overrides), len(merged))
    return dict(merged.values())
