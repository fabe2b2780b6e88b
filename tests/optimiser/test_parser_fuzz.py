"""Issue 15.10: every parser of user input gives a correct result or a clean InputDataError, never a traceback.

Hypothesis feeds the scenario reader (TOML text and parsed tables), the
overrides of ``compare``, point files and incident files with arbitrary and
near-valid content. Anything other than a result or :class:`InputDataError`
(a ``KeyError``, ``TypeError``, ``UnicodeDecodeError`` ...) fails the test.
"""

from __future__ import annotations

import copy
import tempfile
import tomllib
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata import embedded
from geodata.errors import InputDataError
from geodata.incidents import read_incidents
from geodata.points import read_points
from optimiser.overrides import Overrides, apply_overrides
from optimiser.scenario import SECTIONS, Scenario, load_scenario, scenario_from_dict

SIM = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "sim.toml"
SIM_RAW = tomllib.loads(SIM.read_text(encoding="utf-8"))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Any value TOML can hold, small.
toml_values = st.recursive(
    st.none().filter(lambda _: False)
    | st.booleans()
    | st.integers(-(10**9), 10**9)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
cells = st.one_of(
    st.text(max_size=10),
    st.integers(-(10**7), 10**7).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " ", "NaN", "ST16 2DQ", "2018-06-01T14:32:00", "392176", "52.8", "-2.1", '"', "1e400"]),
)


def _clean_or_result(call, *args, **kwargs):
    """The result of ``call``, or None when it refused the input with an InputDataError."""
    try:
        return call(*args, **kwargs)
    except InputDataError as error:
        assert str(error)  # a message a person can read
        return None


@FUZZ
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_any_scenario_text_is_read_or_refused_cleanly(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.toml"
        path.write_bytes(text.encode("utf-8", "surrogatepass") if text.isascii() else text.encode("latin-1", "replace"))
        result = _clean_or_result(load_scenario, path)
    assert result is None or isinstance(result, Scenario)


@FUZZ
@given(
    section=st.sampled_from([*SECTIONS, "top", "base", "shift"]),
    key=st.text(max_size=25) | st.sampled_from(["cell_m", "junction_spacing_m", "max_travel_min", "units", "x"]),
    value=toml_values,
)
def test_sim_with_one_value_changed_is_read_or_refused_cleanly(section, key, value):
    raw = copy.deepcopy(SIM_RAW)
    if section == "top":
        raw[key] = value
    elif section == "base":
        raw["bases"][1][key] = value
    elif section == "shift":
        raw["bases"][0]["shifts"]["early"][key] = value
    else:
        raw.setdefault(section, {})[key] = value
    result = _clean_or_result(scenario_from_dict, raw, source="fuzz")
    assert result is None or isinstance(result, Scenario)


@FUZZ
@given(
    add_bases=st.lists(st.text(max_size=30) | st.sampled_from(["X=ST16 2DQ", "Y=392176,323234", "Z=1,2"]), max_size=2),
    sets=st.lists(
        st.text(max_size=30)
        | st.builds(
            "{}={}".format,
            st.sampled_from(["response.mobilisation_s", "bases.Burton.night.units", "solver.seed", "x.y"]),
            st.text(max_size=8) | st.integers(-5, 50).map(str),
        ),
        max_size=2,
    ),
    drop_bases=st.lists(st.text(max_size=10) | st.just("Burton"), max_size=2),
)
def test_any_overrides_are_applied_or_refused_cleanly(add_bases, sets, drop_bases):
    overrides = Overrides(add_bases=tuple(add_bases), sets=tuple(sets), drop_bases=tuple(drop_bases))
    applied = _clean_or_result(apply_overrides, SIM_RAW, overrides)
    if applied is not None:
        result = _clean_or_result(scenario_from_dict, applied[0], source="fuzz")
        assert result is None or isinstance(result, Scenario)


def _filled(rows: list[list[str]]) -> int:
    """Rows with any non-blank cell (blank lines are skipped by design)."""
    return sum(any(cell.strip() for cell in row) for row in rows)


def _write_rows(header: list[str], rows: list[list[str]]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="hubplan-fuzz-"))
    path = folder / "file.csv"
    pd.DataFrame(rows, columns=header).to_csv(path, index=False) if rows else path.write_text(",".join(header) + "\n")
    return path


point_headers = st.sampled_from(
    [["id", "easting", "northing"], ["id", "lon", "lat"], ["id", "postcode"], ["id", "x"], ["easting", "northing"]]
)


@FUZZ
@given(header=point_headers, data=st.data())
def test_any_point_file_is_read_or_refused_cleanly(header, data):
    rows = data.draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=4))
    path = _write_rows(header, rows)
    frame = _clean_or_result(read_points, path, postcode_lookup=embedded.lookup_postcodes)
    if frame is not None:
        assert len(frame) == _filled(rows) and frame["id"].is_unique
        assert frame[["x_m", "y_m"]].notna().all().all()


incident_headers = st.sampled_from(
    [
        ["id", "grade", "timestamp", "easting", "northing"],
        ["id", "grade", "timestamp", "lon", "lat", "attendance_s"],
        ["id", "grade", "timestamp", "postcode"],
        ["id", "grade", "easting", "northing"],
    ]
)


@FUZZ
@given(header=incident_headers, data=st.data())
def test_any_incident_file_is_read_or_refused_cleanly(header, data):
    rows = data.draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=4))
    path = _write_rows(header, rows)
    frame = _clean_or_result(read_incidents, path, postcode_lookup=embedded.lookup_postcodes)
    if frame is not None:
        assert len(frame) == _filled(rows)
        assert frame["grade"].isin([1, 2, 3]).all()


@FUZZ
@given(content=st.binary(max_size=300))
def test_any_bytes_as_a_point_or_incident_file_are_refused_cleanly(content):
    path = Path(tempfile.mkdtemp(prefix="hubplan-fuzz-")) / "file.csv"
    path.write_bytes(content)
    for reader in (read_points, read_incidents):
        _clean_or_result(reader, path, postcode_lookup=embedded.lookup_postcodes)
