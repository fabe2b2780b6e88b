"""The gazetteer: the embedded places file, site descriptions, and the build step on a hand-made postcode table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata.build_data import Town, gazetteer
from geodata.crs import BNG, lonlat_to_crs
from geodata.modelled import load_strategic_roads
from geodata.places import MAIN_ROAD_NEAR_M, describe_sites, largest_towns, load_places, nearest_main_roads


def test_embedded_gazetteer_has_wards_and_towns_of_the_force_area():
    places = load_places()
    assert set(places["kind"]) == {"ward", "town"}
    towns = places[places["kind"] == "town"]
    assert {"Stafford", "Burton upon Trent", "Tamworth", "Leek", "Uttoxeter"} <= set(towns["name"])
    assert (towns["in_force"] == 1).all()
    force_wards = places[(places["kind"] == "ward") & (places["in_force"] == 1)]
    assert len(force_wards) > 150 and set(force_wards["la_name"]) >= {"Stafford", "Tamworth", "Cannock Chase"}


def test_largest_towns_come_largest_first():
    towns = largest_towns(5)
    assert len(towns) == 5
    assert towns["size"].is_monotonic_decreasing
    assert towns["size"].iloc[-1] >= largest_towns(23)["size"].iloc[5]


def test_a_site_is_named_by_its_town_or_its_distance_and_direction_from_it():
    stafford = largest_towns(23).set_index("name").loc["Stafford"]
    east, north = float(stafford["easting"]), float(stafford["northing"])
    described = describe_sites(np.array([east + 300.0, east - 9_000.0]), np.array([north, north + 200.0]))
    assert described["place"].tolist() == ["Stafford", "9.0 km W of Stafford"]
    assert described["town_km"].tolist() == [0.3, 9.0]
    assert all(ward.endswith(")") for ward in described["ward"])


def _postcodes() -> pd.DataFrame:
    rows = [
        ("AA1 1AA", 1000, 2000, "W1", "D1", 1),
        ("AA1 1AB", 3000, 2000, "W1", "D1", 1),
        ("AA1 1AC", 10000, 10000, "W2", "D1", 1),
        ("AA1 1AD", 50000, 50000, "W3", "D2", 0),
    ]
    return pd.DataFrame(rows, columns=["postcode", "easting", "northing", "ward_code", "district_code", "in_force"])


def test_gazetteer_places_wards_and_towns_at_the_mean_of_their_postcodes():
    names = {"W1": "Middle Ward", "W2": "Edge Ward", "W3": "Far Ward", "D1": "Home (B)", "D2": "Away District"}
    table = gazetteer(_postcodes(), names, towns=(Town("Midtown", "D1", ("Middle", "Edge")),))
    wards = table[table["kind"] == "ward"].set_index("name")
    assert wards.loc["Middle", ["easting", "northing", "size"]].tolist() == [2000, 2000, 2]
    assert wards.loc["Far", "la_name"] == "Away" and wards.loc["Middle", "la_name"] == "Home"
    town = table[table["kind"] == "town"].iloc[0]
    assert (town["name"], town["easting"], town["northing"], town["size"]) == ("Midtown", 4667, 4667, 3)


def test_gazetteer_refuses_a_town_with_an_unknown_ward():
    names = {"W1": "Middle Ward", "W2": "Edge Ward", "W3": "Far Ward", "D1": "Home", "D2": "Away"}
    with pytest.raises(SystemExit, match=r"town Midtown: no ward named \['Nowhere'\] in D1"):
        gazetteer(_postcodes(), names, towns=(Town("Midtown", "D1", ("Middle", "Nowhere")),))


def test_gazetteer_refuses_codes_without_a_name():
    with pytest.raises(SystemExit, match=r"codes with no name.*W3"):
        gazetteer(_postcodes(), {"W1": "Middle Ward", "W2": "Edge Ward", "D1": "Home", "D2": "Away"})


def test_nearest_main_road_is_named_within_the_limit_only():
    roads = load_strategic_roads()
    vertex = roads[roads["road"] == "A34"].iloc[len(roads[roads["road"] == "A34"]) // 2]
    x, y = lonlat_to_crs(np.array([vertex["lon"]]), np.array([vertex["lat"]]), BNG)
    found = nearest_main_roads(np.array([x[0], 0.0]), np.array([y[0], 0.0]))
    assert found["road"].tolist() == ["A34", ""]
    assert found["road_m"].iloc[0] == 0.0 and np.isnan(found["road_m"].iloc[1])
    assert MAIN_ROAD_NEAR_M == 1_000.0
