"""Command-line variants: each override changes exactly what it names; bad ones list the valid names."""

from __future__ import annotations

from dataclasses import replace

import pytest

from geodata.errors import InputDataError
from optimiser.overrides import Overrides, apply_overrides, load_variant, parse_value
from optimiser.scenario import ShiftStaffing, load_scenario, read_scenario_toml

HUBS = "scenarios/hubs-2018.toml"


@pytest.fixture(scope="module")
def hubs():
    return load_scenario(HUBS)


def bases_by_name(scenario):
    return {base.name: base for base in scenario.bases}


def test_set_changes_only_the_named_staffing(hubs):
    variant, notes = load_variant(HUBS, Overrides(sets=("bases.Burton.night.units=8",)))
    assert notes == []
    before, after = bases_by_name(hubs), bases_by_name(variant)
    assert after["Burton"].shifts["night"] == ShiftStaffing(units=8, locations=8)
    assert (
        replace(after["Burton"], shifts={**after["Burton"].shifts, "night": before["Burton"].shifts["night"]})
        == (before["Burton"])
    )
    for name in ("Hanley", "Cannock"):
        assert after[name] == before[name]
    assert (variant.network, variant.demand, variant.response, variant.solver) == (
        hubs.network,
        hubs.demand,
        hubs.response,
        hubs.solver,
    )
    assert variant.name == "hubs-2018 variant"
    assert "--set bases.Burton.night.units=8" in variant.description


def test_fewer_cars_than_locations_lowers_the_locations_and_says_so(hubs):
    variant, notes = load_variant(HUBS, Overrides(sets=("bases.Burton.night.units=3",)))
    assert bases_by_name(variant)["Burton"].shifts["night"] == ShiftStaffing(units=3, locations=3)
    before = bases_by_name(hubs)["Burton"].shifts["night"].locations
    assert notes == [
        f"bases.Burton.night: deployment locations lowered from {before} to 3 to match the 3 cars set (each "
        "location holds a car); --set bases.Burton.night.locations=N to choose"
    ]
    assert bases_by_name(variant)["Burton"].shifts["late"] == bases_by_name(hubs)["Burton"].shifts["late"]


def test_locations_set_with_the_units_are_kept_or_refused():
    variant, notes = load_variant(
        HUBS, Overrides(sets=("bases.Burton.night.units=3", "bases.Burton.night.locations=2"))
    )
    assert bases_by_name(variant)["Burton"].shifts["night"] == ShiftStaffing(units=3, locations=2) and notes == []
    with pytest.raises(InputDataError, match="got units=3, locations=5"):
        load_variant(HUBS, Overrides(sets=("bases.Burton.night.units=3", "bases.Burton.night.locations=5")))


def test_set_section_key_changes_only_that_key(hubs):
    variant, _ = load_variant(HUBS, Overrides(sets=("response.mobilisation_s=90", "solver.solver=cp-sat")))
    assert variant.response == replace(hubs.response, mobilisation_s=90)
    assert variant.solver == replace(hubs.solver, solver="cp-sat")
    assert variant.bases == hubs.bases


def test_drop_base_removes_only_that_base(hubs):
    variant, _ = load_variant(HUBS, Overrides(drop_bases=("Cannock",)), name="no Cannock")
    assert [b.name for b in variant.bases] == ["Hanley", "Burton"]
    assert bases_by_name(variant)["Hanley"] == bases_by_name(hubs)["Hanley"]
    assert variant.name == "no Cannock"


def test_add_base_by_postcode_is_staffed_like_the_smallest_base_and_says_so(hubs):
    variant, notes = load_variant(HUBS, Overrides(add_bases=("Stafford=ST16 2DQ",), add_cars=True))
    stafford = bases_by_name(variant)["Stafford"]
    assert stafford.postcode == "ST16 2DQ"
    # Burton is the smallest 2018 hub in every shift.
    assert stafford.shifts == bases_by_name(hubs)["Burton"].shifts
    assert len(notes) == 1 and "Stafford" in notes[0] and "smallest" in notes[0] and "extra cars" in notes[0]
    assert total_cars(variant) == total_cars(hubs) + total_cars_of(stafford)


def total_cars_of(base) -> int:
    """Cars on duty at one base over its shifts."""
    return sum(staffing.units for staffing in base.shifts.values())


def total_cars(scenario) -> int:
    """Cars on duty over every base and shift."""
    return sum(total_cars_of(base) for base in scenario.bases)


def test_cars_from_moves_the_new_bases_cars_and_keeps_the_total(hubs):
    variant, notes = load_variant(HUBS, Overrides(add_bases=("Stafford=ST16 2DQ",), cars_from=("Hanley", "Cannock")))
    before, after = bases_by_name(hubs), bases_by_name(variant)
    assert after["Stafford"].shifts == before["Burton"].shifts
    assert total_cars(variant) == total_cars(hubs)
    assert after["Burton"] == before["Burton"]  # not named: untouched
    for shift, staffing in after["Stafford"].shifts.items():
        taken = sum(
            before[name].shifts[shift].units - after[name].shifts[shift].units for name in ("Hanley", "Cannock")
        )
        assert taken == staffing.units
        for name in ("Hanley", "Cannock"):
            assert after[name].shifts[shift].locations <= after[name].shifts[shift].units
    assert "cars moved from Hanley, Cannock" in notes[0] and "total on duty is unchanged" in notes[0]
    assert "--cars-from 'Hanley,Cannock'" in variant.description


def test_added_base_can_be_staffed_with_set_and_by_coordinates():
    overrides = Overrides(
        add_bases=("Stafford=392450,323195",),
        add_cars=True,
        sets=("bases.Stafford.night.units=4", "bases.Stafford.night.locations=2"),
    )
    variant, _ = load_variant(HUBS, overrides)
    stafford = bases_by_name(variant)["Stafford"]
    assert (stafford.easting, stafford.northing, stafford.postcode) == (392450.0, 323195.0, None)
    assert stafford.shifts["night"] == ShiftStaffing(units=4, locations=2)


def test_overrides_do_not_touch_the_parsed_file():
    raw = read_scenario_toml(HUBS)
    before = repr(raw)
    apply_overrides(raw, Overrides(sets=("bases.Burton.night.units=3",), drop_bases=("Cannock",)))
    assert repr(raw) == before


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (Overrides(sets=("bases.Stoke.night.units=3",)), "no base named 'Stoke'; bases: Hanley, Cannock, Burton"),
        (Overrides(drop_bases=("Stoke",)), "--drop-base 'Stoke': no base named 'Stoke'; bases: Hanley, Cannock"),
        (Overrides(sets=("bases.Burton.nite.units=3",)), "SHIFT one of early, late, night"),
        (Overrides(sets=("response.speed=3",)), "[response] has no key 'speed'; valid keys: mobilisation_s"),
        (Overrides(sets=("nonsense=3",)), "unknown setting 'nonsense'; valid: bases.NAME.SHIFT.units"),
        (Overrides(sets=("bases.Burton.night.units",)), "give KEY=VALUE"),
        (Overrides(add_bases=("Burton=DE14 1PA",), add_cars=True), "there is already a base named 'Burton'"),
        (Overrides(add_bases=("Stafford",), add_cars=True), "give NAME=POSTCODE or NAME=EASTING,NORTHING"),
        (Overrides(add_bases=("Stafford=ST16 2DQ",)), "say where the new base's cars come from: --add-cars"),
        (Overrides(add_bases=("Stafford=ST16 2DQ",), cars_from=("Leek",)), "--cars-from: no base named 'Leek'"),
        (Overrides(add_cars=True), "give --add-base too"),
    ],
)
def test_bad_overrides_name_the_option_and_the_valid_choices(overrides, expected):
    with pytest.raises(InputDataError) as caught:
        load_variant(HUBS, overrides)
    assert expected in str(caught.value)
    assert "command-line overrides" in str(caught.value)


def test_bad_values_get_the_scenario_checks_message():
    with pytest.raises(InputDataError) as caught:
        load_variant(HUBS, Overrides(sets=("bases.Burton.night.units=three",)))
    message = str(caught.value)
    assert "with --set bases.Burton.night.units=three" in message
    assert "units and locations must be whole numbers" in message and "units='three'" in message
    with pytest.raises(InputDataError, match=r"speed_factor = 5.0: must be in \(0, 2\]"):
        load_variant(HUBS, Overrides(sets=("network.speed_factor=5.0",)))


def test_every_problem_is_reported_at_once():
    overrides = Overrides(sets=("bases.Stoke.night.units=3", "response.speed=1"), drop_bases=("Leek",))
    with pytest.raises(InputDataError) as caught:
        load_variant(HUBS, overrides)
    assert len(caught.value.problems) == 3


def test_parse_value_reads_toml_or_keeps_text():
    assert parse_value("3") == 3 and isinstance(parse_value("3"), int)
    assert parse_value("1.5") == 1.5
    assert parse_value("true") is True
    assert parse_value("cp-sat") == "cp-sat"
    assert parse_value('"ST16 2DQ"') == "ST16 2DQ"
    assert parse_value(" ST16 2DQ ") == "ST16 2DQ"


def test_describe_lists_the_options_in_the_order_applied():
    overrides = Overrides(add_bases=("Stafford=ST16 2DQ",), sets=("bases.Burton.night.units=3",), drop_bases=("X",))
    assert overrides.describe() == "--add-base 'Stafford=ST16 2DQ' --set bases.Burton.night.units=3 --drop-base 'X'"
    assert Overrides().empty and not overrides.empty
