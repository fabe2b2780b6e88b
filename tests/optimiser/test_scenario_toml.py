"""Tables written back into a scenario file read back as the same values; the rest of the file is kept."""

from __future__ import annotations

import math
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.scenario_toml import replace_tables, toml_value

TEXT = """# a scenario
name = "x"

[simulation]
daily_cv = 0.1  # old value

[calibration]
note = "old"

[calibration.extra]
a = 1

# the bases
[[bases]]
name = "Hanley"
shifts.early = { units = 3, locations = 1 }
"""


def test_tables_are_replaced_and_the_rest_kept():
    tables = {
        "simulation": {"daily_cv": 0.2, "grade1_reserve_share": 0.2},
        "calibration": {"fitted": ["a", "b"], "x": {"y": [1.0, 2.0]}},
    }
    text = replace_tables(TEXT, tables)
    data = tomllib.loads(text)
    assert data["simulation"] == {"daily_cv": 0.2, "grade1_reserve_share": 0.2}
    assert data["calibration"] == {"fitted": ["a", "b"], "x": {"y": [1.0, 2.0]}}
    assert data["bases"][0]["name"] == "Hanley" and data["name"] == "x"
    assert "# a scenario" in text and "# the bases\n[[bases]]" in text and "old" not in text


@given(
    st.recursive(
        st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
        max_leaves=8,
    )
)
def test_values_round_trip(value):
    parsed = tomllib.loads(f"v = {toml_value(value)}\n")["v"]
    assert parsed == value or (isinstance(value, float) and math.isclose(parsed, value))


def test_unwritable_values_are_refused():
    with pytest.raises(TypeError, match="cannot write set"):
        toml_value({1, 2})
