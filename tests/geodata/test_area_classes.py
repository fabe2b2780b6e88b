"""Urban or rural per LSOA: the ONS file read as published, and the classification derived from postcodes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata import embedded
from geodata.area_classes import (
    AREA_CLASSES,
    DERIVED,
    DerivedClassParams,
    derive_area_classes,
    derived_classification,
    read_ons_classification,
)
from geodata.errors import InputDataError
from models.standards import AREA_CLASSES as STANDARD_CLASSES

DATA = Path(__file__).resolve().parents[1] / "data" / "area_classes"
FORCE_SUBSET = pd.Series(["E01014210", "E01014211", "E01014212", "E01014213"])


def test_the_standards_and_the_classification_name_the_same_classes():
    assert AREA_CLASSES == STANDARD_CLASSES


def test_an_official_format_file_is_read_as_published():
    classification = read_ons_classification(DATA / "ruc11_lsoa_format.csv", force_lsoas=FORCE_SUBSET)
    assert dict(classification.classes) == {
        "E01014210": "urban",
        "E01014211": "urban",
        "E01014212": "rural",
        "E01014213": "rural",
    }  # C1 urban, E1 and F2 rural; the City of London row is outside the force and left out
    assert classification.source == "ONS RUC 2011: ruc11_lsoa_format.csv"


def test_a_malformed_file_names_every_bad_row_and_column():
    with pytest.raises(InputDataError, match="is not a usable ONS Rural-Urban Classification 2011 file") as caught:
        read_ons_classification(DATA / "ruc11_malformed.csv", force_lsoas=FORCE_SUBSET)
    text = str(caught.value)
    assert "ruc11_malformed.csv" in text
    assert "line 3: LSOA11CD 'E0101421X' is not an LSOA code" in text
    assert "line 4: RUC11CD 'G1' is not an ONS 2011 class; valid: codes A1, B1, C1, C2, D1" in text
    assert "line 5: LSOA E01014210 is given twice" in text
    assert "3 force LSOAs are missing: E01014211, E01014212, E01014213" in text


def test_a_file_without_the_force_lsoas_or_the_columns_is_refused(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("LSOA11CD,RUC11CD\nE01000001,A1\n")
    with pytest.raises(InputDataError, match="none of the force's 4 LSOAs"):
        read_ons_classification(other, force_lsoas=FORCE_SUBSET)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("code,class\nE01014210,C1\n")
    with pytest.raises(InputDataError, match="has no column for the LSOA code; expected one of LSOA11CD"):
        read_ons_classification(wrong, force_lsoas=FORCE_SUBSET)


def _postcodes(points: list[tuple[float, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "easting": [p[0] for p in points],
            "northing": [p[1] for p in points],
            "in_force": 1,
            "lsoa_code": [p[2] for p in points],
        }
    )


def test_a_settlement_of_ten_thousand_is_urban_and_a_village_rural():
    """A town of 100 postcodes 100 m apart (12,000 people) and a village of 5 postcodes 5 km away."""
    town = [(1000.0 + 100.0 * (k % 10), 1000.0 + 100.0 * (k // 10), "TOWN") for k in range(100)]
    village = [(6000.0 + 100.0 * k, 6000.0, "VILLAGE") for k in range(5)]
    lsoas = pd.DataFrame({"lsoa_code": ["TOWN", "VILLAGE"], "persons": [12_000.0, 1_500.0]})
    classes = derive_area_classes(_postcodes(town + village), lsoas)
    assert classes.to_dict() == {"TOWN": "urban", "VILLAGE": "rural"}
    smaller = lsoas.assign(persons=[9_999.0, 1_500.0])
    assert derive_area_classes(_postcodes(town + village), smaller)["TOWN"] == "rural"


def test_two_villages_join_into_a_town_only_within_the_link_distance():
    """Two halves of 6,000 people each, 250 m apart: one town at a 300 m link, two villages at 200 m."""
    west = [(100.0 * k, 0.0, "WEST") for k in range(5)]
    east = [(650.0 + 100.0 * k, 0.0, "EAST") for k in range(5)]
    lsoas = pd.DataFrame({"lsoa_code": ["WEST", "EAST"], "persons": [6_000.0, 6_000.0]})
    joined = derive_area_classes(_postcodes(west + east), lsoas, DerivedClassParams(link_m=300.0))
    apart = derive_area_classes(_postcodes(west + east), lsoas, DerivedClassParams(link_m=200.0))
    assert set(joined) == {"urban"} and set(apart) == {"rural"}


def test_the_derived_classification_covers_every_force_lsoa_and_person():
    classification = derived_classification()
    lsoas = embedded.load_lsoas()
    counts = classification.counts(lsoas).set_index("area_class")
    assert classification.source == DERIVED
    assert set(classification.classes) == set(lsoas["lsoa_code"])
    assert counts["lsoas"].sum() == 687 and counts["persons"].sum() == lsoas["persons"].sum()
    assert np.isclose(counts["persons_share"].sum(), 1.0)
    # Stoke-on-Trent (a city of about 250,000) is urban throughout; the Moorlands are mostly rural
    stoke = lsoas["la_name"].str.startswith("Stoke")
    assert set(classification.class_of(lsoas.loc[stoke, "lsoa_code"])) == {"urban"}
    moorlands = classification.class_of(lsoas.loc[lsoas["la_name"] == "Staffordshire Moorlands", "lsoa_code"])
    assert (moorlands == "rural").sum() > 0
