"""Reading point files: every location form, and every kind of bad input reported with its line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.crs import lonlat_to_crs
from geodata.errors import InputDataError
from geodata.points import read_points

# Stafford, roughly: WGS84 and its British National Grid coordinates.
STAFFORD_LON, STAFFORD_LAT = -2.1175, 52.8066
STAFFORD_E, STAFFORD_N = 392_000.0, 323_000.0


def write(tmp_path: Path, text: str, name: str = "points.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def fake_lookup(postcodes: pd.Series) -> pd.DataFrame:
    """Two known postcodes; NaN for the rest, aligned with the input like the real lookup."""
    known = {"ST16 2DQ": (392_100.0, 323_400.0), "WS13 6EF": (411_900.0, 309_700.0)}
    rows = [known.get(p, (np.nan, np.nan)) for p in postcodes]
    return pd.DataFrame(rows, columns=["easting", "northing"], index=postcodes.index)


# --------------------------------------------------------------------------- location forms


def test_lon_lat_is_projected_to_bng(tmp_path: Path) -> None:
    points = read_points(write(tmp_path, f"id,lon,lat\nA,{STAFFORD_LON},{STAFFORD_LAT}\nB,-1.8,52.7\n"))
    assert list(points.columns) == ["id", "x_m", "y_m"]
    assert points["id"].tolist() == ["A", "B"]
    assert abs(points.x_m[0] - STAFFORD_E) < 1_000 and abs(points.y_m[0] - STAFFORD_N) < 1_000
    x, y = lonlat_to_crs(np.array([-1.8]), np.array([52.7]))
    assert points.x_m[1] == pytest.approx(x[0]) and points.y_m[1] == pytest.approx(y[0])
    assert points.attrs["crs"] == "EPSG:27700"


def test_longitude_latitude_with_odd_case_and_spaces(tmp_path: Path) -> None:
    points = read_points(write(tmp_path, f" ID , Longitude ,LATITUDE\n s1 ,{STAFFORD_LON}, {STAFFORD_LAT} \n"))
    assert points["id"].tolist() == ["s1"]
    assert abs(points.x_m[0] - STAFFORD_E) < 1_000


def test_easting_northing_pass_through(tmp_path: Path) -> None:
    points = read_points(write(tmp_path, "id,Easting,Northing\n1,392000,323000.5\n2,411900,309700\n"))
    assert points.to_dict("list") == {"id": ["1", "2"], "x_m": [392000.0, 411900.0], "y_m": [323000.5, 309700.0]}


def test_postcode_uses_lookup(tmp_path: Path) -> None:
    points = read_points(write(tmp_path, "id,postcode\nx,ST16 2DQ\ny, WS13 6EF \n"), postcode_lookup=fake_lookup)
    assert points.x_m.tolist() == [392_100.0, 411_900.0]
    assert points.y_m.tolist() == [323_400.0, 309_700.0]


def test_other_metric_crs(tmp_path: Path) -> None:
    points = read_points(write(tmp_path, "id,easting,northing\n1,392000,323000\n"), crs="EPSG:32630")
    assert points.attrs["crs"] == "EPSG:32630"
    assert abs(points.x_m[0] - 392_000) > 1_000  # UTM zone 30 differs from BNG
    assert 5_800_000 < points.y_m[0] < 5_900_000


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    points = read_points(write(tmp_path, "id,easting,northing\n1,392000,323000\n\n2,392100,323100\n"))
    assert points["id"].tolist() == ["1", "2"]


def test_geographic_output_crs_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"read_points\(crs=...\).*computes in metres"):
        read_points(write(tmp_path, "id,easting,northing\n1,392000,323000\n"), crs="EPSG:4326")


# --------------------------------------------------------------------------- bad files


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"nope\.csv: no such points file; check the path"):
        read_points(tmp_path / "nope.csv")


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"suffix '\.xlsx'; save it as one of \.csv, \.parquet"):
        read_points(write(tmp_path, "id\n", name="points.xlsx"))


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="is empty; expected a header line"):
        read_points(write(tmp_path, ""))


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None, reason="pyarrow is installed")
def test_parquet_without_pyarrow_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"needs the pyarrow package; install it \(pip install pyarrow\)"):
        read_points(write(tmp_path, "not really parquet", name="points.parquet"))


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is None, reason="needs pyarrow")
def test_parquet_with_pyarrow(tmp_path: Path) -> None:
    path = tmp_path / "points.parquet"
    pd.DataFrame({"id": ["a"], "easting": [392_000.0], "northing": [323_000.0]}).to_parquet(path)
    assert read_points(path).x_m.tolist() == [392_000.0]


def test_columns_differing_only_in_case(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="differ only in case or spaces: id"):
        read_points(write(tmp_path, "id,ID,easting,northing\n1,2,392000,323000\n"))


def test_no_id_column(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no 'id' column; found columns: name, easting, northing"):
        read_points(write(tmp_path, "name,easting,northing\nA,392000,323000\n"))


def test_no_location_columns_lists_accepted_forms(tmp_path: Path) -> None:
    with pytest.raises(
        InputDataError, match=r"no location columns; expected exactly one of: easting,northing in British National Grid"
    ):
        read_points(write(tmp_path, "id,x,y\nA,1,2\n"))


def test_incomplete_location_columns(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"lon,lat is incomplete \(missing lat\)"):
        read_points(write(tmp_path, "id,lon\nA,-2.1\n"))


def test_ambiguous_location_columns(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="ambiguous location: found easting,northing; lon,lat; keep exactly one"):
        read_points(write(tmp_path, "id,lon,lat,easting,northing\nA,-2.1,52.8,392000,323000\n"))


def test_empty_id_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="line 3: empty id"):
        read_points(write(tmp_path, "id,easting,northing\nA,392000,323000\n  ,392000,323000\n"))


def test_duplicate_ids_list_id_and_lines(tmp_path: Path) -> None:
    text = "id,easting,northing\nA,392000,323000\nB,392000,323000\nA,392100,323000\n"
    with pytest.raises(InputDataError, match="duplicate id 'A' on lines 2, 4; ids must be unique"):
        read_points(write(tmp_path, text))


def test_unparseable_numbers_name_line_column_and_value(tmp_path: Path) -> None:
    text = "id,easting,northing\nA,392000,323000\nB,39x000,323000\nC,392000,\n"
    with pytest.raises(
        InputDataError, match=r"(?s)line 3: easting '39x000' is not a number.*line 4: northing is empty"
    ):
        read_points(write(tmp_path, text))


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="line 4: easting 'oops' is not a number"):
        read_points(write(tmp_path, "id,easting,northing\nA,392000,323000\n\nB,oops,323000\n"))


def test_lon_lat_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(
        InputDataError, match=r"line 2: lon='-2.1', lat='152.8' is out of range; lon must be in -180..180"
    ):
        read_points(write(tmp_path, "id,lon,lat\nA,-2.1,152.8\n"))


def test_lon_lat_swapped(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"line 2: longitude='52.8', latitude='-2.1' look swapped"):
        read_points(write(tmp_path, "id,longitude,latitude\nA,52.8,-2.1\n"))


def test_lon_lat_outside_great_britain(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"line 2: lon='-74.0', lat='40.7' is outside Great Britain \(lat 49..61"):
        read_points(write(tmp_path, "id,lon,lat\nNYC,-74.0,40.7\n"))


def test_lon_lat_outside_great_britain_allowed_for_other_crs(tmp_path: Path) -> None:
    points = read_points(write(tmp_path, "id,lon,lat\nNYC,-74.0,40.7\n"), crs="EPSG:32618")
    assert len(points) == 1


def test_easting_outside_bng_hints_at_degrees(tmp_path: Path) -> None:
    with pytest.raises(
        InputDataError, match="line 2: easting='-2.1', northing='52.8' is outside the British National Grid"
    ):
        read_points(write(tmp_path, "id,easting,northing\nA,-2.1,52.8\n"))


def test_unknown_and_empty_postcodes(tmp_path: Path) -> None:
    text = "id,postcode\nA,ST16 2DQ\nB,ZZ1 1ZZ\nC,\n"
    with pytest.raises(
        InputDataError, match=r"(?s)line 4: postcode is empty.*line 3: postcode 'ZZ1 1ZZ' is not a known postcode"
    ):
        read_points(write(tmp_path, text), postcode_lookup=fake_lookup)


def test_postcode_without_lookup(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="postcode column but no postcode lookup was given"):
        read_points(write(tmp_path, "id,postcode\nA,ST16 2DQ\n"))


def test_broken_lookup_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="postcode_lookup: must return a DataFrame with easting, northing"):
        read_points(write(tmp_path, "id,postcode\nA,ST16 2DQ\n"), postcode_lookup=lambda s: pd.DataFrame({"x": s}))


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    text = "id,lon,lat\nA,-2.1,52.8\n,-2.1,52.8\nA,abc,52.8\nD,52.8,-2.1\n"
    with pytest.raises(InputDataError, match="has 4 problem") as error:
        read_points(write(tmp_path, text))
    message = str(error.value)
    assert str(tmp_path / "points.csv") in message
    for expected in ("line 3: empty id", "duplicate id 'A' on lines 2, 4", "line 4: lon 'abc'", "line 5: lon='52.8'"):
        assert expected in message
    assert error.value.source == str(tmp_path / "points.csv")
