"""The police.uk crime type to grade mapping: the named default and override files."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata import policeuk
from geodata.errors import InputDataError
from geodata.policeuk import DEFAULT_CRIME_TYPE_GRADES, POLICE_UK_NOTE, check_grade_map, read_grade_map

DATA = Path(__file__).resolve().parent.parent / "data" / "incidents"

#: Every crime type police.uk publishes in street-level files (since 2013).
POLICE_UK_CRIME_TYPES = {
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
}


def test_default_grades_every_police_uk_crime_type_with_1_2_or_3() -> None:
    assert set(DEFAULT_CRIME_TYPE_GRADES) == POLICE_UK_CRIME_TYPES
    assert set(DEFAULT_CRIME_TYPE_GRADES.values()) == {1, 2, 3}
    grade1 = {t for t, g in DEFAULT_CRIME_TYPE_GRADES.items() if g == 1}
    assert grade1 == {"Violence and sexual offences", "Robbery", "Possession of weapons"}


def test_default_is_read_only() -> None:
    with pytest.raises(TypeError, match="does not support item assignment"):
        DEFAULT_CRIME_TYPE_GRADES["Drugs"] = 1  # type: ignore[index]


def test_the_assumption_is_stated() -> None:
    assert "ASSUMPTION" in (policeuk.__doc__ or "")
    for words in ("no grades", "no times", "month", "snap points", "assumption"):
        assert words in POLICE_UK_NOTE


def test_override_file_merges_over_the_default() -> None:
    grades = read_grade_map(DATA / "grade_map_override.csv")
    assert grades["Shoplifting"] == 2  # "shoplifting" in the file, police.uk spelling kept
    assert grades["Anti-social behaviour"] == 3  # extra spaces and case ignored
    assert grades["Violent crime"] == 1  # a type police.uk used before 2013 is added
    assert grades["Robbery"] == 1 and grades["Drugs"] == 3  # the rest stay at the default
    assert len(grades) == len(DEFAULT_CRIME_TYPE_GRADES) + 1


def test_bad_override_file_names_every_bad_line() -> None:
    with pytest.raises(InputDataError, match="grade_map_bad.csv: has 3 problem") as caught:
        read_grade_map(DATA / "grade_map_bad.csv")
    assert caught.value.problems == (
        "line 3: grade '4' is not 1, 2 or 3",
        "line 4: crime type 'shoplifting' is already on line 2",
        "line 6: crime_type is empty; name a police.uk crime type",
    )


def test_override_file_without_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "grades.csv"
    path.write_text("type,priority\nShoplifting,2\n")
    with pytest.raises(InputDataError, match=r"line 1: missing column\(s\) crime_type, grade"):
        read_grade_map(path)


def test_missing_override_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no such grade map file"):
        read_grade_map(tmp_path / "nowhere.csv")


def test_check_grade_map_rejects_bad_grades_and_repeats() -> None:
    assert check_grade_map({"Drugs": 1}) == {"Drugs": 1}
    with pytest.raises(InputDataError, match="not a valid crime type") as caught:
        check_grade_map({"Drugs": 4, "drugs ": 1, "Robbery": True})
    assert caught.value.problems == (
        "crime type 'Drugs' has grade 4; use 1, 2 or 3",
        "crime type 'drugs ' is given twice (also as 'Drugs'); keep one",
        "crime type 'Robbery' has grade True; use 1, 2 or 3",
    )
