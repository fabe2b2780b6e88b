"""The embedded Staffordshire data: counts that the sources publish, and internal consistency."""

from __future__ import annotations

import hashlib
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata import embedded

# Totals stated for the sources in MISSION.md (2011 census; crime-sim-toolkit force lookup).
STAFFORDSHIRE_LSOAS = 687
STAFFORDSHIRE_PERSONS_2011 = 1_097_497
STAFFORDSHIRE_HOUSEHOLDS_2011 = 462_838
LSOAS_PER_DISTRICT = {
    "Stoke-on-Trent": 159,
    "Newcastle-under-Lyme": 80,
    "Stafford": 80,
    "East Staffordshire": 72,
    "South Staffordshire": 68,
    "Cannock Chase": 60,
    "Staffordshire Moorlands": 59,
    "Lichfield": 58,
    "Tamworth": 51,
}


def test_lsoas_match_the_published_totals():
    lsoas = embedded.load_lsoas()
    assert len(lsoas) == STAFFORDSHIRE_LSOAS
    assert lsoas["persons"].sum() == STAFFORDSHIRE_PERSONS_2011
    assert lsoas["households"].sum() == STAFFORDSHIRE_HOUSEHOLDS_2011
    counts = lsoas.groupby("la_name").size()
    assert {name.removesuffix(" UA"): n for name, n in counts.items()} == LSOAS_PER_DISTRICT
    assert lsoas.crs.to_epsg() == 27700


def test_postcode_centroids_lie_inside_or_near_their_lsoa():
    lsoas = embedded.load_lsoas()
    points = gpd.GeoSeries(gpd.points_from_xy(lsoas["pc_centroid_e"], lsoas["pc_centroid_n"]), crs=lsoas.crs)
    distance = lsoas.geometry.distance(points)
    assert (lsoas["n_postcodes"] > 0).all()
    assert np.percentile(distance, 95) < 300.0


def test_force_area_is_the_dissolved_lsoas():
    boundaries = embedded.load_boundaries()
    assert sorted(boundaries["kind"].value_counts().items()) == [("force", 1), ("local_authority", 9)]
    force = embedded.force_area().iloc[0]
    assert force.area == pytest.approx(embedded.load_lsoas().geometry.area.sum(), rel=1e-3)
    assert 2_600e6 < force.area < 2_800e6  # 2,718 km² published


def test_postcodes_cover_the_force_and_its_surroundings():
    postcodes = embedded.load_postcodes()
    inside = postcodes[postcodes["in_force"] == 1]
    assert 29_000 < len(inside) < 30_000
    assert (inside["lsoa_code"] != "").all()
    assert set(inside["lsoa_code"]) == set(embedded.load_lsoas()["lsoa_code"])
    assert postcodes["postcode"].is_unique


def test_lookup_postcodes_normalises_and_marks_unknown():
    found = embedded.lookup_postcodes(pd.Series(["st4 6qg", "ST46QG", "ZZ99 9ZZ"]))
    assert found.loc[0, "easting"] == found.loc[1, "easting"]
    assert np.isnan(found.loc[2, "easting"])


def test_bases_are_the_2018_hubs_and_the_2022_lpt_bases():
    bases = embedded.load_bases()
    assert set(bases.loc[bases["hub_2018"] == 1, "name"]) == {"Hanley", "Cannock", "Burton"}
    assert len(bases[bases["lpt_2022"] == 1]) == 10
    assert bases["source"].str.len().min() > 40
    districts = embedded.load_postcodes().set_index("postcode").loc[bases["postcode"], "in_force"]
    assert (districts == 1).all()


def test_reference_blocks_cover_every_lsoa_and_hospital():
    reference = embedded.load_reference_lsoa_times()
    assert len(reference) == STAFFORDSHIRE_LSOAS * 9
    hanley = reference[(reference["lsoa_name"] == "Stoke-on-Trent 015D") & (reference["hospital"] == "ST46QG")]
    assert hanley["reference_min"].item() == pytest.approx(11.2)
    assert (reference["reference_min"] >= 5.8).all()
    roles = embedded.load_hospitals()["role"].value_counts().to_dict()
    assert roles == {"calibration": 5, "held_out": 4}
    assert len(embedded.load_reference_inter_hospital_times()) == 9 * 8


def test_manifest_matches_the_committed_files():
    manifest = json.loads((embedded.DATA_DIR / "manifest.json").read_text())
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((embedded.DATA_DIR / name).read_bytes()).hexdigest() == digest, name
