"""Scenario files: the shipped ones load; every kind of mistake is reported with the valid choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.errors import InputDataError
from optimiser.scenario import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[2]


def minimal(**changes) -> dict:
    raw = {
        "name": "t",
        "bases": [{"name": "Stafford", "postcode": "ST16 2DQ", "shifts": {"early": {"units": 2, "locations": 1}}}],
    }
    raw.update(changes)
    return raw


def test_shipped_scenarios_load():
    hubs = load_scenario(ROOT / "scenarios" / "hubs-2018.toml")
    assert [b.name for b in hubs.bases] == ["Hanley", "Cannock", "Burton"]
    assert hubs.shift_names == ("early", "late", "night")
    assert sum(b.shifts["early"].locations for b in hubs.bases) == 30
    lpt = load_scenario(ROOT / "scenarios" / "lpt-2022.toml")
    assert len(lpt.bases) == 10 and lpt.response.max_base_travel_min == 20


def test_unknown_keys_list_the_valid_ones():
    with pytest.raises(InputDataError, match=r"\[solver\]: unknown key 'solvr'; valid keys: objective"):
        scenario_from_dict(minimal(solver={"solvr": "scip"}))
    with pytest.raises(InputDataError, match="top level: unknown key 'base'"):
        scenario_from_dict(minimal(base=[]))


def test_bad_values_name_the_choices():
    with pytest.raises(InputDataError, match="objective = 'fastest': valid choices: ranked, weighted"):
        scenario_from_dict(minimal(solver={"objective": "fastest"}))
    with pytest.raises(InputDataError, match=r"speed_factor = 'fast': expected a number"):
        scenario_from_dict(minimal(network={"speed_factor": "fast"}))


def test_every_problem_is_reported_at_once():
    raw = minimal(solver={"solver": "gurobi"}, response={"mobilisation_s": -5.0})
    raw["bases"].append({"name": "Stafford", "shifts": {"early": {"units": 1, "locations": 3}}})
    with pytest.raises(InputDataError) as caught:
        scenario_from_dict(raw, source="bad.toml")
    message = str(caught.value)
    for expected in (
        "bad.toml",
        "gurobi",
        "mobilisation_s",
        "0 <= locations <= units",
        "give exactly one location",
        "repeated: Stafford",
    ):
        assert expected in message


def test_unknown_shift_lists_valid_shifts():
    raw = minimal()
    raw["bases"][0]["shifts"] = {"day": {"units": 1, "locations": 1}}
    with pytest.raises(InputDataError, match="unknown shift 'day'; valid shifts: early, late, night"):
        scenario_from_dict(raw)


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("name = \n")
    with pytest.raises(InputDataError, match="broken.toml: is not valid TOML"):
        load_scenario(path)


def test_bases_with_different_shifts_are_listed_but_a_bad_staffing_is_reported_once():
    raw = minimal()
    raw["bases"].append({"name": "Burton", "postcode": "DE14 1AA", "shifts": {"late": {"units": 1, "locations": 1}}})
    with pytest.raises(InputDataError, match="every base must list the same shifts; got Stafford: early; Burton: late"):
        scenario_from_dict(raw)
    raw["bases"][1]["shifts"] = {"early": {"units": 1, "locations": 3}}
    with pytest.raises(InputDataError) as caught:
        scenario_from_dict(raw)
    assert "0 <= locations <= units" in str(caught.value) and "same shifts" not in str(caught.value)
