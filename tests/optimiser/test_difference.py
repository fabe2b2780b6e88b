"""The difference layer of ``hubplan compare`` on a hand-made pair of demand layers."""

from __future__ import annotations

import pandas as pd
import pytest

from optimiser.difference import DIFFERENCE_COLUMNS, cover_difference, difference_totals


def layer(rows: list[tuple[str, str, float, bool]]) -> pd.DataFrame:
    """Demand layer rows ``(node_id, shift, grade1_per_year, covered_grade1)`` at made-up BNG points."""
    frame = pd.DataFrame(rows, columns=["node_id", "shift", "grade1_per_year", "covered_grade1"])
    frame["la_name"] = "Stafford"
    frame["x_m"] = 392_000.0 + 500.0 * frame["node_id"].str[1:].astype(int)
    frame["y_m"] = 323_000.0
    return frame


# Node n1: covered in both plans. n2: gained at night. n3: lost early. n4: gained early, lost night (mixed).
# n5: cover changes but it has no Grade 1 demand in that shift, so it does not count.
FIRST = layer(
    [
        ("n1", "early", 2.0, True),
        ("n1", "night", 1.0, True),
        ("n2", "early", 3.0, True),
        ("n2", "night", 4.0, False),
        ("n3", "early", 5.0, True),
        ("n3", "night", 1.5, False),
        ("n4", "early", 6.0, False),
        ("n4", "night", 7.0, True),
        ("n5", "early", 0.0, False),
        ("n5", "night", 0.0, True),
    ]
)
SECOND = layer(
    [
        ("n1", "early", 2.0, True),
        ("n1", "night", 1.0, True),
        ("n2", "early", 3.0, True),
        ("n2", "night", 4.0, True),
        ("n3", "early", 5.0, False),
        ("n3", "night", 1.5, False),
        ("n4", "early", 6.0, True),
        ("n4", "night", 7.0, False),
        ("n5", "early", 0.0, True),
        ("n5", "night", 0.0, False),
    ]
)


def test_gained_lost_and_mixed_nodes_with_their_demand_and_shifts():
    difference = cover_difference(FIRST, SECOND).set_index("node_id")
    assert list(difference.index) == ["n2", "n3", "n4"]
    assert difference.loc["n2", ["status", "shifts_gained", "shifts_lost"]].tolist() == ["gained", "night", ""]
    assert difference.loc["n3", ["status", "shifts_gained", "shifts_lost"]].tolist() == ["lost", "", "early"]
    assert difference.loc["n4", ["status", "shifts_gained", "shifts_lost"]].tolist() == ["mixed", "early", "night"]
    assert difference["grade1_gained_per_year"].tolist() == [4.0, 0.0, 6.0]
    assert difference["grade1_lost_per_year"].tolist() == [0.0, 5.0, 7.0]
    assert difference.crs.to_epsg() == 27700
    assert difference.geometry.x.tolist() == [393_000.0, 393_500.0, 394_000.0]


def test_swapping_the_plans_swaps_gained_and_lost():
    forward = cover_difference(FIRST, SECOND).set_index("node_id")
    backward = cover_difference(SECOND, FIRST).set_index("node_id")
    assert forward["grade1_gained_per_year"].tolist() == backward["grade1_lost_per_year"].tolist()
    assert backward["status"].tolist() == ["lost", "gained", "mixed"]


def test_identical_plans_have_no_difference():
    difference = cover_difference(FIRST, FIRST)
    assert difference.empty
    assert list(difference.columns[: len(DIFFERENCE_COLUMNS)]) == list(DIFFERENCE_COLUMNS)


def test_totals():
    assert difference_totals(cover_difference(FIRST, SECOND)) == {
        "grade1_gained_per_year": 10.0,
        "grade1_lost_per_year": 12.0,
        "nodes_gained": 1,
        "nodes_lost": 1,
        "nodes_mixed": 1,
    }


def test_rows_in_only_one_plan_are_left_out_with_a_warning(caplog):
    difference = cover_difference(FIRST, SECOND[SECOND["node_id"] != "n2"])
    assert "n2" not in set(difference["node_id"])
    assert "in only one of the two plans" in caplog.text


@pytest.mark.parametrize("column", ["covered_grade1", "node_id"])
def test_missing_columns_fail_loudly(column):
    with pytest.raises(KeyError):
        cover_difference(FIRST.drop(columns=column), SECOND)


def test_expected_cover_difference_is_the_change_in_incidents_reached_with_busy_cars():
    """Travel-only cover is the same everywhere; the chance of a free car changes.

    n1 early: 10 a year, 0.5 -> 0.75: +2.5. n1 night: 4 a year, 0.9 -> 0.8: -0.4 (mixed).
    n2 early: 2 a year, unchanged 0.6. n2 night: 8 a year, 0.5 -> 0.875: +3.0 (gained).
    """
    rows = [("n1", "early", 10.0), ("n1", "night", 4.0), ("n2", "early", 2.0), ("n2", "night", 8.0)]
    first, second = layer([(*r, True) for r in rows]), layer([(*r, True) for r in rows])
    first["grade1_expected_cover"] = [0.5, 0.9, 0.6, 0.5]
    second["grade1_expected_cover"] = [0.75, 0.8, 0.6, 0.875]
    assert cover_difference(first, second).empty
    difference = cover_difference(first, second, measure="expected").set_index("node_id")
    assert difference["status"].tolist() == ["mixed", "gained"]
    assert difference["grade1_gained_per_year"].tolist() == pytest.approx([2.5, 3.0])
    assert difference["grade1_lost_per_year"].tolist() == pytest.approx([0.4, 0.0])
    assert difference.loc["n1", ["shifts_gained", "shifts_lost"]].tolist() == ["early", "night"]
    with pytest.raises(ValueError, match="measure must be one of travel, expected"):
        cover_difference(first, second, measure="busy")
