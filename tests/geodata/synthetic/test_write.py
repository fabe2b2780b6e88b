"""Synthetic incidents on disk: incident files labelled synthetic on every row, with a README, written atomically."""

from __future__ import annotations

import pandas as pd
import pytest

from geodata import embedded
from geodata.errors import InputDataError
from geodata.incidents import read_incidents
from geodata.synthetic import SyntheticIncidentParams, synthetic_incidents, write_synthetic_incidents

ISO_MINUTE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00$"


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return synthetic_incidents(SyntheticIncidentParams(n=500, seed=5, attendance=True))


def test_csv_round_trips_with_iso_timestamps_and_is_labelled_synthetic(tmp_path, small):
    path = tmp_path / "incidents.csv"
    readme = write_synthetic_incidents(small, path)
    text = pd.read_csv(path, dtype=str)
    assert list(text.columns) == ["id", "grade", "timestamp", "easting", "northing", "attendance_s", "source"]
    assert text["timestamp"].str.match(ISO_MINUTE).all()
    assert (pd.to_datetime(text["timestamp"], format="ISO8601") == small["timestamp"]).all()
    assert (text["id"] == small["id"]).all() and (text["source"] == "synthetic").all()
    assert text["attendance_s"].astype(float).to_numpy() == pytest.approx(small["attendance_s"].to_numpy())
    assert readme == tmp_path / "incidents.csv.README.txt"
    notes = readme.read_text()
    assert "SYNTHETIC INCIDENTS - NOT REAL DATA" in notes and "seed = 5" in notes and "n = 500" in notes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incidents.csv", "incidents.csv.README.txt"]


def test_written_files_are_incident_files(tmp_path, small):
    by_coordinates, by_postcode = tmp_path / "xy.csv", tmp_path / "pc.csv"
    write_synthetic_incidents(small, by_coordinates)
    write_synthetic_incidents(small, by_postcode, location="postcode")
    assert "easting" not in pd.read_csv(by_postcode, nrows=1).columns
    lookup = embedded.lookup_postcodes
    for incidents in (read_incidents(by_coordinates), read_incidents(by_postcode, postcode_lookup=lookup)):
        assert (incidents["id"] == small["id"]).all() and (incidents["grade"] == small["grade"]).all()
        assert (incidents["timestamp"] == small["timestamp"]).all()
        assert (incidents["x_m"] == small["easting"]).all() and (incidents["y_m"] == small["northing"]).all()


def test_parquet_keeps_types_and_the_label(tmp_path, small):
    path = tmp_path / "incidents.parquet"
    write_synthetic_incidents(small, path)
    back = pd.read_parquet(path)
    assert (back["timestamp"] == small["timestamp"]).all() and (back["source"] == "synthetic").all()
    assert (read_incidents(path)["x_m"] == small["easting"]).all()
    assert (tmp_path / "incidents.parquet.README.txt").is_file()


def test_bad_writes_name_the_problem(tmp_path, small):
    with pytest.raises(InputDataError, match=r"(?s)suffix '\.txt' is not one of \.csv, \.parquet.*location 'lonlat'"):
        write_synthetic_incidents(small, tmp_path / "incidents.txt", location="lonlat")
    with pytest.raises(InputDataError, match="lacks column.*postcode"):
        write_synthetic_incidents(small.drop(columns="postcode"), tmp_path / "x.csv", location="postcode")


def test_a_failed_write_leaves_the_old_files_untouched(tmp_path, small, monkeypatch):
    path = tmp_path / "incidents.csv"
    path.write_text("old\n")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    with pytest.raises(OSError, match="disk full"):
        write_synthetic_incidents(small, path)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["incidents.csv"]
