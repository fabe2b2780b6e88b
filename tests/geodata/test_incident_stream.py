"""The chunked incident reader: schemas, every reject reason with its line, and chunking that changes nothing."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geodata import embedded
from geodata.crs import lonlat_to_crs
from geodata.errors import InputDataError
from geodata.incidents import (
    REASONS,
    REJECT_COLUMNS,
    VALID_COLUMNS,
    inspect_incident_file,
    iter_incident_chunks,
)
from geodata.policeuk import DEFAULT_CRIME_TYPE_GRADES

DATA = Path(__file__).resolve().parent.parent / "data" / "incidents"
LONLAT = DATA / "hubplan_lonlat.csv"
EASTING_NORTHING = DATA / "hubplan_easting_northing.csv"
POSTCODES = DATA / "hubplan_postcode.csv"
POLICE_UK = DATA / "policeuk_2018-06.csv"
FIXTURES = (LONLAT, EASTING_NORTHING, POSTCODES, POLICE_UK)

# Stafford: inside the force area.
STAFFORD_E, STAFFORD_N = 392_176.0, 323_234.0


def read_all(path: Path, **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every chunk joined: (valid, rejects)."""
    chunks = list(iter_incident_chunks(path, **options))
    valid = pd.concat([c.valid for c in chunks], ignore_index=True)
    rejects = pd.concat([c.rejects for c in chunks], ignore_index=True)
    return valid, rejects


def reasons(rejects: pd.DataFrame) -> list[tuple[int, str, str]]:
    return list(zip(rejects["line"].tolist(), rejects["id"].tolist(), rejects["reason"].tolist(), strict=True))


def write(tmp_path: Path, text: str, name: str = "incidents.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- inspecting the header


@pytest.mark.parametrize(
    ("path", "form", "attendance"),
    [
        (LONLAT, "lon,lat", "attendance_s column"),
        (EASTING_NORTHING, "easting,northing", "arrived_at - timestamp"),
        (POSTCODES, "postcode", None),
    ],
)
def test_inspect_hubplan_files(path: Path, form: str, attendance: str | None) -> None:
    info = inspect_incident_file(path)
    assert (info.schema, info.file_format, info.location_form) == ("hubplan", "csv", form)
    assert info.has_time_of_day and info.grade_source == "grade column" and info.grade_map is None
    assert (info.has_attendance, info.attendance_source) == (attendance is not None, attendance)
    assert info.line_unit == "line" and info.columns[:3] == ("id", "grade", "timestamp")


def test_inspect_police_uk_file() -> None:
    info = inspect_incident_file(POLICE_UK)
    assert (info.schema, info.location_form, info.location_columns) == (
        "police.uk",
        "lon,lat",
        ("Longitude", "Latitude"),
    )
    assert not info.has_time_of_day and not info.has_attendance
    assert info.grade_source == "crime type mapping (police.uk has no grades)"
    assert info.grade_map == dict(DEFAULT_CRIME_TYPE_GRADES)
    custom = inspect_incident_file(POLICE_UK, grade_map={**DEFAULT_CRIME_TYPE_GRADES, "Drugs": 2})
    assert custom.grade_source.startswith("custom") and custom.grade_map["Drugs"] == 2


def test_several_location_forms_prefer_easting_northing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        " ID ,Grade,TimeStamp,Postcode,Lon,Lat,Easting,Northing\n"
        f"A,1,2018-06-01T10:00,ZZ9 9ZZ,0,0,{STAFFORD_E},{STAFFORD_N}\n",
    )
    info = inspect_incident_file(path)
    assert info.location_form == "easting,northing" and info.location_columns == ("Easting", "Northing")
    assert info.notes == (
        "several location forms present (easting,northing; lon,lat; postcode); using easting,northing",
    )
    valid, rejects = read_all(path)
    assert rejects.empty and valid[["x_m", "y_m"]].iloc[0].tolist() == [STAFFORD_E, STAFFORD_N]


def test_source_labels_are_carried_with_the_valid_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,grade,timestamp,easting,northing,Source\n"
        f"A,1,2018-06-01T10:00,{STAFFORD_E},{STAFFORD_N},synthetic\n"
        f"B,2,2018-06-01T11:00,{STAFFORD_E},{STAFFORD_N},\n"
        f"C,9,2018-06-01T12:00,{STAFFORD_E},{STAFFORD_N},synthetic\n",
    )
    assert inspect_incident_file(path).has_source_labels
    valid, rejects = read_all(path, chunk_rows=2)
    assert valid[["id", "source"]].values.tolist() == [["A", "synthetic"], ["B", ""]]
    assert rejects["id"].tolist() == ["C"]
    assert not inspect_incident_file(EASTING_NORTHING).has_source_labels
    assert "source" not in read_all(EASTING_NORTHING)[0].columns


def test_longitude_latitude_names_are_lon_lat(tmp_path: Path) -> None:
    path = write(tmp_path, "id,grade,timestamp,longitude,latitude,postcode\nA,1,2018-06-01T10:00,-2.1175,52.8066,\n")
    assert inspect_incident_file(path).location_form == "lon,lat"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,timestamp,easting,northing\n", r"missing column\(s\) grade needed in a hubplan incident file"),
        ("id,grade,timestamp,easting\n", r"no location columns; easting,northing is incomplete \(missing northing\)"),
        (
            "Crime ID,Month,Falls within,Longitude,Latitude,LSOA code\n",
            r"missing column\(s\) crime type needed in a police\.uk",
        ),
        ("id,grade,Grade,timestamp,postcode\n", "columns that differ only in case or spaces: grade"),
        ("", "is empty; expected a header line"),
    ],
)
def test_file_level_problems_name_the_file_the_columns_and_the_schemas(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputDataError, match=message) as caught:
        inspect_incident_file(path)
    assert str(path) in str(caught.value)
    if "missing" in message or "location" in message:
        assert "Accepted schemas: hubplan incidents: id, grade" in str(caught.value)
        assert "police.uk street-level crime as downloaded: Crime ID, Month" in str(caught.value)


def test_missing_column_stops_before_any_row(tmp_path: Path) -> None:
    path = write(tmp_path, "id,grade,easting,northing\nA,1,392176,323234\n")
    with pytest.raises(InputDataError, match="missing column.*timestamp") as caught:
        iter_incident_chunks(path)
    assert caught.value.problems == ("missing column 'timestamp'",)


def test_unknown_suffix_missing_file_and_unreadable_parquet(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"has suffix '\.xlsx'; save it as CSV \(\.csv\) or Parquet"):
        inspect_incident_file(write(tmp_path, "id\n", "incidents.xlsx"))
    with pytest.raises(InputDataError, match="no such incident file"):
        inspect_incident_file(tmp_path / "nowhere.csv")
    with pytest.raises(InputDataError, match="is not a readable Parquet file"):
        inspect_incident_file(write(tmp_path, "not parquet", "incidents.parquet"))


def test_not_utf8_is_a_file_level_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    good = "".join(f"A{i},1,2018-06-01T10:00,392176,323234\n" for i in range(1_000))  # past the header's block
    path.write_bytes(f"id,grade,timestamp,easting,northing\n{good}".encode() + "B\xe9,1,x,1,1\n".encode("latin-1"))
    with pytest.raises(
        InputDataError,
        match=r"latin1.csv: cannot be read after line 1 \(.*Row #1002: .*invalid UTF8 data; .*save it as UTF-8",
    ):
        read_all(path)
    path.write_bytes("id,grade,timestamp,postcode\nB\xe9,1,x,1\n".encode("latin-1"))
    with pytest.raises(InputDataError, match=r"latin1.csv: is not UTF-8 text \(invalid continuation byte\)"):
        inspect_incident_file(path)


# --------------------------------------------------------------------------- hubplan files, row by row


def test_lon_lat_file_every_reject_with_its_line() -> None:
    valid, rejects = read_all(LONLAT)
    assert valid["id"].tolist() == ["INC-0001", "INC-0002", "INC-0003", "INC-0010"]
    assert valid["line"].tolist() == [2, 3, 4, 14]
    x, y = lonlat_to_crs(np.array([-2.1175, -1.956353]), np.array([52.8066, 52.769055]))
    np.testing.assert_allclose(valid[["x_m", "y_m"]].iloc[:2].to_numpy(), np.column_stack([x, y]))
    expected = ["2018-06-01 14:32", "2018-06-01 15:05:10", "2018-06-02 09:00", "2018-06-02 17:45"]
    assert valid["timestamp"].tolist() == [pd.Timestamp(t) for t in expected]
    np.testing.assert_array_equal(valid["actual_response_s"], [540.0, np.nan, 3600.0, 1200.0])
    assert reasons(rejects) == [
        (5, "INC-0004", "bad_timestamp"),
        (6, "INC-0005", "unknown_grade"),
        (7, "INC-0006", "outside_force_area"),
        (8, "INC-0002", "duplicate_id"),
        (9, "INC-0007", "missing_location"),
        (10, "INC-0008", "bad_attendance"),
        (12, "INC-0009", "bad_coordinates"),  # line 11 is blank: skipped, still counted
        (13, "", "missing_id"),
        (15, "INC-0011", "bad_attendance"),
    ]
    detail = dict(zip(rejects["line"], rejects["detail"], strict=True))
    assert detail[5].startswith("timestamp 'yesterday 14:00' is not a date and time")
    assert detail[6].startswith("grade '4' is not 1, 2 or 3")
    assert "33.6 km outside the force area, more than the 2 km allowed" in detail[7]
    assert detail[8].startswith("id 'INC-0002' was already used on line 3")
    assert detail[10].startswith("attendance_s '-30' is negative")
    assert "look swapped; lon is the longitude" in detail[12]
    assert detail[15].startswith("attendance_s 'abc' is not a number of seconds")


def test_easting_northing_file_with_arrival_times() -> None:
    valid, rejects = read_all(EASTING_NORTHING)
    assert valid["id"].tolist() == ["E1", "E2", "E3", "E10", "E11"]
    np.testing.assert_array_equal(valid["actual_response_s"], [540.0, 1800.0, np.nan, 600.0, 900.0])
    # an offset is converted to UK clock time: 13:05Z is 14:05 in British Summer Time
    assert valid["timestamp"].iloc[-2:].tolist() == pd.to_datetime(["2018-06-03 14:00", "2018-06-03 14:05"]).tolist()
    assert reasons(rejects) == [
        (5, "E4", "bad_coordinates"),
        (6, "E5", "bad_attendance"),
        (7, "E6", "bad_timestamp"),
        (8, "E7", "outside_force_area"),
        (9, "E8", "bad_coordinates"),
        (10, "E9", "bad_coordinates"),
    ]
    detail = dict(zip(rejects["line"], rejects["detail"], strict=True))
    assert "outside the British National Grid" in detail[5] and "name the columns lon,lat" in detail[5]
    assert detail[6] == "arrived_at '2018-06-03T09:50:00' is before the timestamp; check both times"
    assert detail[7].startswith("timestamp '2018-06-03' has no time of day")
    assert detail[9] == "easting 'abc' is not a number"
    assert detail[10] == "northing is empty but easting is not; give both"


def test_postcode_file_uses_the_embedded_code_point_coordinates() -> None:
    valid, rejects = read_all(POSTCODES)
    table = embedded.load_postcodes().set_index("postcode")
    expected = table.loc[["ST1 1AF", "WS11 1AW", "DE14 1PA", "ST16 2DQ"], ["easting", "northing"]].to_numpy(float)
    np.testing.assert_array_equal(valid[["x_m", "y_m"]].to_numpy(), expected)  # any case and spacing
    assert reasons(rejects) == [
        (6, "P5", "unknown_postcode"),
        (7, "P6", "missing_location"),
        (8, "P7", "outside_force_area"),
    ]
    assert rejects["detail"].iloc[0].startswith("postcode 'ZZ9 9ZZ' is not a known postcode")


def test_a_callers_postcode_lookup_gives_the_same_rows() -> None:
    calls = []

    def slow_lookup(postcodes: pd.Series) -> pd.DataFrame:
        calls.append(len(postcodes))
        return embedded.lookup_postcodes(postcodes)

    expected = read_all(POSTCODES)
    for lookup in (embedded.lookup_postcodes, slow_lookup):
        got = read_all(POSTCODES, postcode_lookup=lookup)
        pd.testing.assert_frame_equal(got[0], expected[0])
        pd.testing.assert_frame_equal(got[1], expected[1])
    assert calls == [6]  # once per chunk, on the distinct non-empty postcodes


def test_valid_and_reject_columns_and_dtypes() -> None:
    chunk = next(iter_incident_chunks(LONLAT))
    assert tuple(chunk.valid.columns) == VALID_COLUMNS
    assert chunk.valid.dtypes.astype(str).to_dict() == {
        "line": "int64",
        "id": "str",
        "grade": "int8",
        "timestamp": "datetime64[ns]",
        "x_m": "float64",
        "y_m": "float64",
        "actual_response_s": "float64",
    }
    assert tuple(chunk.rejects.columns) == REJECT_COLUMNS and chunk.rejects["line"].dtype == np.int64
    assert set(chunk.rejects["reason"]) <= set(REASONS)


def test_raw_text_reproduces_the_rejected_lines() -> None:
    _, rejects = read_all(LONLAT)
    lines = LONLAT.read_text().splitlines()
    assert rejects["raw"].tolist() == [lines[n - 1] for n in rejects["line"]]


def test_a_row_with_several_problems_lists_them_all(tmp_path: Path) -> None:
    path = write(tmp_path, "id,grade,timestamp,easting,northing,attendance_s\nA,7,soon,abc,,-1\n")
    _, rejects = read_all(path)
    assert rejects["reason"].tolist() == ["bad_timestamp"]  # the first in REASONS order
    detail = rejects["detail"].iloc[0]
    for problem in (
        "timestamp 'soon' has no time of day",
        "grade '7' is not 1, 2 or 3",
        "easting 'abc' is not a number",
        "northing is empty but easting is not",
        "attendance_s '-1' is negative",
    ):
        assert problem in detail
    assert detail.index("timestamp") < detail.index("grade") < detail.index("easting") < detail.index("attendance")


def test_lines_count_blank_lines_quoted_line_breaks_and_malformed_rows(tmp_path: Path) -> None:
    text = (
        "id,grade,timestamp,easting,northing,note\r\n"
        f'A,1,2018-06-01T10:00,{STAFFORD_E},{STAFFORD_N},"two\r\nlines"\r\n'  # lines 2-3
        "\r\n"  # 4: blank
        f"B,1,2018-06-01T10:00,{STAFFORD_E},{STAFFORD_N},x,extra\r\n"  # 5: too many fields
        "   \r\n"  # 6: spaces only, blank
        f'C,2,2018-06-01T10:00,{STAFFORD_E},{STAFFORD_N},"a ""quoted"", value"\r\n'  # 7
        ",,,,,\r\n"  # 8: every cell empty, blank
        f'D,9,2018-06-01T10:00,{STAFFORD_E},{STAFFORD_N},"three\nline\nnote"\r\n'  # 9-11
        f"E,1,2018-06-01T10:00,{STAFFORD_E},{STAFFORD_N},ok"  # 12, no final line break
    )
    valid, rejects = read_all(write(tmp_path, text))
    assert valid[["line", "id"]].values.tolist() == [[2, "A"], [7, "C"], [12, "E"]]
    assert reasons(rejects) == [(5, "", "malformed_row"), (9, "D", "unknown_grade")]
    assert rejects["detail"].iloc[0].startswith("has 7 field(s) but the header has 6")
    assert rejects["raw"].tolist() == [
        f"B,1,2018-06-01T10:00,{STAFFORD_E},{STAFFORD_N},x,extra",
        f'D,9,2018-06-01T10:00,{STAFFORD_E},{STAFFORD_N},"three\nline\nnote"',
    ]


def test_timestamps_with_offsets_become_uk_clock_time(tmp_path: Path) -> None:
    text = (
        "id,grade,timestamp,easting,northing\n"
        f"A,1,2018-01-15T10:00:00Z,{STAFFORD_E},{STAFFORD_N}\n"  # GMT in winter
        f"B,1,2018-07-15T10:00:00+00:00,{STAFFORD_E},{STAFFORD_N}\n"  # 11:00 BST
        f"C,1,2018-07-15T10:00:00.250,{STAFFORD_E},{STAFFORD_N}\n"
        f"D,1,1850-07-15T10:00:00,{STAFFORD_E},{STAFFORD_N}\n"
        f"E,1,2018-02-30T10:00:00,{STAFFORD_E},{STAFFORD_N}\n"
    )
    valid, rejects = read_all(write(tmp_path, text))
    expected = ["2018-01-15 10:00", "2018-07-15 11:00", "2018-07-15 10:00:00.250"]
    assert valid["timestamp"].tolist() == [pd.Timestamp(t) for t in expected]
    assert reasons(rejects) == [(5, "D", "bad_timestamp"), (6, "E", "bad_timestamp")]


def test_header_only_file_gives_one_empty_chunk(tmp_path: Path) -> None:
    chunks = list(iter_incident_chunks(write(tmp_path, "id,grade,timestamp,postcode\n")))
    assert len(chunks) == 1 and chunks[0].valid.empty and chunks[0].rejects.empty
    assert tuple(chunks[0].valid.columns) == VALID_COLUMNS and chunks[0].valid["grade"].dtype == np.int8


# --------------------------------------------------------------------------- police.uk


def test_police_uk_quirks() -> None:
    valid, rejects = read_all(POLICE_UK)
    # anti-social behaviour has no Crime ID: the line stands in; identical lines are separate incidents
    assert valid["id"].tolist()[:4] == ["line-2", valid["id"].iloc[1], "line-4", "line-5"]
    assert valid.iloc[2][["x_m", "y_m"]].tolist() == valid.iloc[3][["x_m", "y_m"]].tolist()
    assert valid["line"].tolist() == [2, 3, 4, 5, 6, 9, 13]  # line 6 lies 600 m over the border, inside the buffer
    assert (valid["timestamp"] == pd.Timestamp("2018-06-01")).all()
    assert valid["crime_type"].tolist() == [
        "Anti-social behaviour",
        "Drugs",
        "Anti-social behaviour",
        "Anti-social behaviour",
        "Burglary",
        "Violence and sexual offences",
        "Shoplifting",
    ]
    assert valid["grade"].tolist() == [2, 3, 2, 2, 2, 1, 3]
    assert valid["actual_response_s"].isna().all()
    assert [(line, reason) for line, _, reason in reasons(rejects)] == [
        (7, "outside_force_area"),
        (8, "missing_location"),
        (10, "unknown_grade"),
        (11, "bad_timestamp"),
        (12, "duplicate_id"),
    ]
    detail = dict(zip(rejects["line"], rejects["detail"], strict=True))
    assert detail[8].startswith("No Location: Longitude and Latitude are empty")
    assert detail[10].startswith("Crime type 'Fraud' has no grade in the crime type mapping")
    assert detail[11].startswith("Month '2018/06' is not a month like 2018-06")
    assert "was already used on line 6" in detail[12]


def test_police_uk_border_row_falls_outside_without_the_buffer() -> None:
    _, rejects = read_all(POLICE_UK, area_buffer_m=0.0)
    assert 6 in rejects.loc[rejects["reason"] == "outside_force_area", "line"].tolist()


def test_police_uk_grade_map_override() -> None:
    grade_map = {**DEFAULT_CRIME_TYPE_GRADES, "Fraud": 3, "Shoplifting": 2}
    valid, rejects = read_all(POLICE_UK, grade_map=grade_map)
    assert valid.loc[valid["crime_type"] == "Fraud", "grade"].tolist() == [3]
    assert valid.loc[valid["crime_type"] == "Shoplifting", "grade"].tolist() == [2]
    assert "unknown_grade" not in set(rejects["reason"])
    with pytest.raises(InputDataError, match="has grade 5; use 1, 2 or 3"):
        iter_incident_chunks(POLICE_UK, grade_map={"Drugs": 5})


# --------------------------------------------------------------------------- Parquet


def test_parquet_rows_with_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "incidents.parquet"
    table = pa.table(
        {
            "id": ["A", "B", None, "D", "E", None],
            "grade": pa.array([1, 2, 2, 3, 1, None], pa.int64()),
            "timestamp": pa.array(pd.to_datetime(["2018-06-01 10:00"] * 5 + [None]), pa.timestamp("us")),
            "easting": [STAFFORD_E, STAFFORD_E, STAFFORD_E, None, STAFFORD_E, None],
            "northing": [STAFFORD_N, STAFFORD_N, STAFFORD_N, None, STAFFORD_N, None],
            "attendance_s": [300.0, None, 60.0, 60.0, -5.0, None],
        }
    )
    pq.write_table(table, path, row_group_size=2)
    info = inspect_incident_file(path)
    assert (info.file_format, info.line_unit, info.location_form) == ("parquet", "row", "easting,northing")
    valid, rejects = read_all(path)
    assert valid[["line", "id", "grade"]].values.tolist() == [[1, "A", 1], [2, "B", 2]]
    np.testing.assert_array_equal(valid["actual_response_s"], [300.0, np.nan])
    assert reasons(rejects) == [(3, "", "missing_id"), (4, "D", "missing_location"), (5, "E", "bad_attendance")]
    assert rejects["raw"].iloc[1] == "D,3,2018-06-01 10:00:00.000000,,,60"  # row 6 is empty: skipped


def test_parquet_zone_aware_timestamps_become_uk_clock_time(tmp_path: Path) -> None:
    path = tmp_path / "aware.parquet"
    stamps = pd.to_datetime(["2018-07-15 10:00", "2018-01-15 10:00"]).tz_localize("UTC")
    pq.write_table(
        pa.table({"id": ["A", "B"], "grade": ["1", "2"], "timestamp": stamps, "postcode": ["ST1 1AF", "st16 2dq"]}),
        path,
    )
    valid, rejects = read_all(path)
    assert rejects.empty
    assert valid["timestamp"].tolist() == pd.to_datetime(["2018-07-15 11:00", "2018-01-15 10:00"]).tolist()


# --------------------------------------------------------------------------- area


def test_area_can_be_a_geoseries_in_bng_and_is_checked() -> None:
    square = box(STAFFORD_E - 1_000, STAFFORD_N - 1_000, STAFFORD_E + 1_000, STAFFORD_N + 1_000)
    valid, rejects = read_all(EASTING_NORTHING, area=gpd.GeoSeries([square], crs="EPSG:27700"), area_buffer_m=0)
    assert valid["id"].tolist() == ["E1", "E10", "E11"]
    assert {"E2", "E3"} <= set(rejects.loc[rejects["reason"] == "outside_force_area", "id"])
    with pytest.raises(InputDataError, match="give the area in British National Grid"):
        iter_incident_chunks(EASTING_NORTHING, area=gpd.GeoSeries([square], crs="EPSG:4326"))
    with pytest.raises(InputDataError, match="looks like longitude/latitude degrees"):
        iter_incident_chunks(EASTING_NORTHING, area=box(-3, 52, -1, 53))
    with pytest.raises(InputDataError, match="must be a distance in metres >= 0"):
        iter_incident_chunks(EASTING_NORTHING, area_buffer_m=-1.0)
    with pytest.raises(InputDataError, match="must be a whole number of rows >= 1"):
        iter_incident_chunks(EASTING_NORTHING, chunk_rows=0)


# --------------------------------------------------------------------------- chunking changes nothing


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
@pytest.mark.parametrize("chunk_rows", [1, 2, 7])
def test_chunks_joined_equal_one_pass(path: Path, chunk_rows: int) -> None:
    whole = read_all(path, chunk_rows=10**9)
    chunked = read_all(path, chunk_rows=chunk_rows)
    pd.testing.assert_frame_equal(chunked[0], whole[0])
    pd.testing.assert_frame_equal(chunked[1], whole[1])


def test_duplicates_are_found_across_chunks(tmp_path: Path) -> None:
    rows = [f"{i % 9},1,2018-06-01T10:00,{STAFFORD_E},{STAFFORD_N}" for i in range(20)]
    path = write(tmp_path, "id,grade,timestamp,easting,northing\n" + "\n".join(rows) + "\n")
    chunks = list(iter_incident_chunks(path, chunk_rows=7))
    assert [len(c.valid) for c in chunks] == [7, 2, 0]
    rejects = pd.concat([c.rejects for c in chunks])
    assert rejects["line"].tolist() == list(range(11, 22))
    assert rejects["detail"].iloc[0].startswith("id '0' was already used on line 2;")
    assert rejects["detail"].iloc[-1].startswith("id '1' was already used on line 3;")


ROW_KINDS = {
    "valid": "{id},2,2018-06-01T10:00:00,{e},{n},60,",
    "bad_time": "{id},2,not a time,{e},{n},60,",
    "bad_grade": "{id},5,2018-06-01T10:00:00,{e},{n},60,",
    "outside": "{id},1,2018-06-01T10:00:00,300000,300000,60,",
    "no_location": "{id},1,2018-06-01T10:00:00,,,,",
    "bad_attendance": "{id},1,2018-06-01T10:00:00,{e},{n},-60,",
    "no_id": ",1,2018-06-01T10:00:00,{e},{n},60,",
    "blank": "",
    "malformed": "{id},1,2018-06-01T10:00:00",
    "two_lines": '{id},1,"2018-06-01T10:00:00",{e},{n},60,"a note\non two lines"',
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chunking")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(sorted(ROW_KINDS)), st.sampled_from(["a", "b", "c", "d", "e", "f"])), max_size=40
    ),
    chunk_rows=st.integers(min_value=1, max_value=15),
)
def test_any_chunk_size_gives_the_one_pass_result(scratch: Path, rows: list[tuple[str, str]], chunk_rows: int) -> None:
    lines = [ROW_KINDS[kind].format(id=i, e=STAFFORD_E, n=STAFFORD_N) for kind, i in rows]
    path = write(scratch, "id,grade,timestamp,easting,northing,attendance_s,note\n" + "\n".join(lines) + "\n")
    whole = read_all(path, chunk_rows=10**9)
    chunked = read_all(path, chunk_rows=chunk_rows)
    pd.testing.assert_frame_equal(chunked[0], whole[0])
    pd.testing.assert_frame_equal(chunked[1], whole[1])
    kept = [i for kind, i in rows if kind in {"valid", "two_lines"}]
    assert len(whole[0]) + len(whole[1]) == sum(kind != "blank" for kind, _ in rows)
    assert whole[0]["id"].is_unique and set(whole[0]["id"]) <= set(kept)


# --------------------------------------------------------------------------- the decided rules


def test_grades_are_whole_numbers_1_to_3_however_written(tmp_path: Path) -> None:
    rows = ["1", "2.0", " 3.00 ", "1e0", "1.5", "0", "4.0", "two"]
    text = "id,grade,timestamp,easting,northing\n" + "".join(
        f"g{k},{grade},2018-06-01T10:00:00,{STAFFORD_E},{STAFFORD_N}\n" for k, grade in enumerate(rows)
    )
    valid, rejects = read_all(write(tmp_path, text))
    assert valid["grade"].tolist() == [1, 2, 3, 1]
    assert reasons(rejects) == [(n, f"g{n - 2}", "unknown_grade") for n in range(6, 10)]
    assert rejects["detail"].iloc[0] == "grade '1.5' is not 1, 2 or 3 (1 emergency, 2 priority, 3 scheduled)"


def test_parquet_float_grades_and_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "incidents.parquet"
    pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "grade": [1.0, 2.0, 2.5],
            "timestamp": ["2018-06-01T10:00:00"] * 3,
            "easting": [STAFFORD_E] * 3,
            "northing": [STAFFORD_N] * 3,
        }
    ).to_parquet(path, index=False)
    valid, rejects = read_all(path)
    assert valid["grade"].tolist() == [1, 2]
    assert reasons(rejects) == [(3, "c", "unknown_grade")]  # the 1-based row, not row + 1
