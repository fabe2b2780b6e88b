"""Locations in table cells: lon/lat degrees, British National Grid easting/northing, postcodes.

The one place where a location cell is parsed and checked, for point files
(:func:`geodata.points.read_points`) and incident files
(:mod:`geodata.incidents`) alike: the same cell gives the same coordinates
and the same message in both.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj

from geodata import embedded
from geodata.cells import Finding, Message, Numbers, flag, is_empty, numbers, quoted
from geodata.crs import BNG, lonlat_to_crs
from geodata.errors import InputDataError

PostcodeLookup = Callable[[pd.Series], pd.DataFrame]

EASTING_NORTHING, LON_LAT, POSTCODE = "easting,northing", "lon,lat", "postcode"
#: Location columns each form and its column names, in order of preference (incident files use the first
#: complete one; point files refuse more than one).
LOCATION_PREFERENCE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (EASTING_NORTHING, ("easting", "northing")),
    (LON_LAT, ("lon", "lat")),
    (LON_LAT, ("longitude", "latitude")),
    (POSTCODE, ("postcode",)),
)
#: Rough bounds of Great Britain, used to catch swapped or foreign coordinates.
GB_LON = (-9.0, 2.5)
GB_LAT = (49.0, 61.0)
BNG_EASTING_M = (0.0, 700_000.0)
BNG_NORTHING_M = (0.0, 1_300_000.0)


def call_postcode_lookup(postcode_lookup: PostcodeLookup, postcodes: pd.Series) -> pd.DataFrame:
    """Call a caller's postcode lookup and check it returned ``easting, northing`` aligned with ``postcodes``.

    Raises
    ------
    InputDataError
        When the answer is not a frame with ``easting, northing`` and one row per postcode.
    """
    found = postcode_lookup(postcodes)
    missing = {"easting", "northing"} - set(getattr(found, "columns", ()))
    if missing or len(found) != len(postcodes):
        raise InputDataError(
            f"must return a DataFrame with easting, northing and one row per postcode; got "
            f"{type(found).__name__} with {len(found)} rows and columns {list(getattr(found, 'columns', []))}",
            source="postcode_lookup",
        )
    if found.index.is_unique and found.index.isin(postcodes.index).all():
        return found.reindex(postcodes.index)  # aligned by label, as the lookup promises
    return found.set_axis(postcodes.index)  # a lookup that lost the index: aligned by position


@lru_cache(maxsize=1)
def _embedded_postcodes() -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Code-Point Open postcodes without spaces, and their easting and northing."""
    table = embedded.load_postcodes()
    keys = pa.array(table["postcode"].str.replace(" ", "", regex=False).str.upper().to_numpy(object), pa.string())
    return keys, table["easting"].to_numpy(float), table["northing"].to_numpy(float)


def postcode_finder(lookup: PostcodeLookup | None) -> Callable[[pa.Array], tuple[np.ndarray, np.ndarray]]:
    """A function from stripped postcodes to easting, northing arrays (NaN when unknown)."""
    if lookup is None or lookup is embedded.lookup_postcodes:
        return _embedded_postcode_coordinates
    return lambda text: _lookup_distinct(lookup, text)


def _embedded_postcode_coordinates(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Code-Point Open coordinates of each postcode, in any case and spacing; NaN when unknown.

    The same answers as :func:`geodata.embedded.lookup_postcodes`, found for
    the distinct postcodes of the chunk with arrow's hash lookup: 0.07 s for a million rows, against
    about 1 s for the per-row normalisation of ``lookup_postcodes``.
    """
    keys, easting, northing = _embedded_postcodes()
    encoded = pc.dictionary_encode(text)
    compact = pc.ascii_upper(pc.replace_substring_regex(encoded.dictionary, r"\s+", ""))
    index = pc.fill_null(pc.index_in(compact, value_set=keys), -1).to_numpy(zero_copy_only=False)
    index = index[encoded.indices.to_numpy(zero_copy_only=False)] if len(text) else index[:0]
    found = index >= 0
    x = np.where(found, easting[np.where(found, index, 0)], np.nan)
    y = np.where(found, northing[np.where(found, index, 0)], np.nan)
    return x, y


def _lookup_distinct(lookup: PostcodeLookup, text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Call a caller's lookup once per distinct postcode and spread the answers back."""
    encoded = pc.dictionary_encode(text)
    every = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    distinct = pd.Series(every[every != ""])  # empty cells are missing locations, not postcodes to look up
    found = call_postcode_lookup(lookup, distinct)
    codes = np.cumsum(every != "")[encoded.indices.to_numpy(zero_copy_only=False)] - 1  # position in distinct
    codes[np.asarray(every == "", bool)[encoded.indices.to_numpy(zero_copy_only=False)]] = -1
    easting, northing = (np.append(found[c].to_numpy(float), np.nan)[codes] for c in ("easting", "northing"))
    return easting, northing


def coordinate_locations(
    first_column: pa.ChunkedArray | pa.Array,
    second_column: pa.ChunkedArray | pa.Array,
    names: tuple[str, str],
    *,
    form: str,
    police_uk: bool = False,
    crs: object = BNG,
) -> tuple[np.ndarray, np.ndarray, list[Finding]]:
    """Coordinates in ``crs`` from two coordinate columns, and the problems of the bad rows.

    Parameters
    ----------
    first_column, second_column
        Easting and northing (``form`` ``"easting,northing"``) or longitude and latitude (``"lon,lat"``).
    names
        The two columns' names as the file writes them, for messages.
    form
        ``"easting,northing"`` or ``"lon,lat"``.
    police_uk
        Word the message for empty cells as police.uk's "No Location".
    crs
        The projected CRS of the result, British National Grid by default. Only
        then are lon/lat checked against Great Britain (swapped, foreign);
        otherwise against the globe.

    Returns
    -------
    tuple
        ``x_m``, ``y_m`` (NaN where the row is bad) and the findings.
    """
    first, second = numbers(first_column), numbers(second_column)
    target = pyproj.CRS(crs)
    gb = target == pyproj.CRS(BNG)
    findings = missing_or_unparseable(first, second, names, police_uk=police_uk)
    usable = np.isfinite(first.values) & np.isfinite(second.values)
    if form == EASTING_NORTHING:
        out = usable & ~inside_bng(first.values, second.values)
        findings += flag("bad_coordinates", out, lambda r: bng_message(first, second, names, r))
        x, y = bng_to(np.where(usable & ~out, first.values, np.nan), np.where(usable, second.values, np.nan), target)
    else:
        found, out = lonlat_problems(first, second, names, usable, gb=gb)
        findings += found
        lon, lat = np.where(usable & ~out, first.values, np.nan), np.where(usable, second.values, np.nan)
        x, y = lonlat_to_crs(lon, lat, target)
    x, y = np.array(x, float), np.array(y, float)
    x[~usable | out], y[~usable | out] = np.nan, np.nan
    return x, y, findings


def bng_to(easting: np.ndarray, northing: np.ndarray, target: pyproj.CRS) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid coordinates in ``target`` (unchanged when it is British National Grid)."""
    if target == pyproj.CRS(BNG):
        return easting, northing
    x, y = pyproj.Transformer.from_crs(BNG, target, always_xy=True).transform(easting, northing)
    return np.asarray(x), np.asarray(y)


def postcode_locations(
    postcodes: pa.Array, name: str, find: Callable[[pa.Array], tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray, list[Finding]]:
    """British National Grid coordinates of stripped postcodes, and the problems of empty and unknown ones.

    Parameters
    ----------
    postcodes
        Stripped postcode cells (:func:`geodata.cells.text`).
    name
        The column's name as the file writes it, for messages.
    find
        From :func:`postcode_finder`.

    Returns
    -------
    tuple
        ``x_m``, ``y_m`` (NaN where the row is bad) and the findings.
    """
    empty = is_empty(postcodes)
    x, y = find(postcodes)
    x, y = np.asarray(x, float).copy(), np.asarray(y, float).copy()
    unknown = ~empty & ~(np.isfinite(x) & np.isfinite(y))
    x[unknown | empty], y[unknown | empty] = np.nan, np.nan
    findings = flag("missing_location", empty, lambda _: f"{name} is empty; give the location")
    findings += flag(
        "unknown_postcode",
        unknown,
        lambda r: (
            f"{name} " + quoted(postcodes, r) + " is not a known postcode (OS Code-Point Open, "
            "Staffordshire and 20 km around); correct it or give easting,northing or lon,lat"
        ),
    )
    return x, y, findings


def missing_or_unparseable(
    first: Numbers, second: Numbers, names: tuple[str, str], *, police_uk: bool
) -> list[Finding]:
    """Both coordinates empty, one empty, or either not a number."""
    both_empty = first.empty & second.empty
    missing = (
        f"No Location: {names[0]} and {names[1]} are empty (police.uk publishes some crimes without a location); "
        "the row cannot be placed"
        if police_uk
        else f"{names[0]} and {names[1]} are empty; give the location"
    )
    findings = flag("missing_location", both_empty, lambda _: missing)
    for this, other, name, other_name in ((first, second, *names), (second, first, *names[::-1])):
        findings += _half_or_unparseable(this, other, name, other_name)
    return findings


def _half_or_unparseable(this: Numbers, other: Numbers, name: str, other_name: str) -> list[Finding]:
    """One coordinate empty while the other is given, or not a number."""
    return [
        *flag(
            "bad_coordinates",
            this.empty & ~other.empty,
            lambda _: f"{name} is empty but {other_name} is not; give both",
        ),
        *flag("bad_coordinates", this.bad, lambda r: f"{name} " + quoted(this.text, r) + " is not a number"),
    ]


def inside_bng(easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
    """Which points lie inside the British National Grid's bounds."""
    return (
        (BNG_EASTING_M[0] <= easting)
        & (easting <= BNG_EASTING_M[1])
        & (BNG_NORTHING_M[0] <= northing)
        & (northing <= BNG_NORTHING_M[1])
    )


def bng_message(first: Numbers, second: Numbers, names: tuple[str, str], rows: np.ndarray) -> Message:
    """For each row: the easting/northing outside the grid, and the hint that they may be degrees."""
    return (
        f"{names[0]}="
        + quoted(first.text, rows)
        + f", {names[1]}="
        + quoted(second.text, rows)
        + f" is outside the British National Grid (0..{BNG_EASTING_M[1]:,.0f}, 0..{BNG_NORTHING_M[1]:,.0f} m); "
        "if these are degrees, name the columns lon,lat"
    )


def lonlat_problems(
    lon: Numbers, lat: Numbers, names: tuple[str, str], usable: np.ndarray, *, gb: bool = True
) -> tuple[list[Finding], np.ndarray]:
    """Out-of-range and, when ``gb``, swapped or outside-Great-Britain longitude/latitude; findings and bad rows."""
    lo, la = lon.values, lat.values
    out_of_range = usable & ~((-180 <= lo) & (lo <= 180) & (-90 <= la) & (la <= 90))
    in_gb = (GB_LON[0] <= lo) & (lo <= GB_LON[1]) & (GB_LAT[0] <= la) & (la <= GB_LAT[1])
    swapped = gb & usable & (GB_LAT[0] <= lo) & (lo <= GB_LAT[1]) & (GB_LON[0] <= la) & (la <= GB_LON[1])
    outside = gb & usable & ~in_gb & ~swapped & ~out_of_range

    def shown(rows: np.ndarray) -> Message:
        return f"{names[0]}=" + quoted(lon.text, rows) + f", {names[1]}=" + quoted(lat.text, rows)

    findings = flag(
        "bad_coordinates",
        out_of_range,
        lambda r: shown(r) + f" is out of range; {names[0]} must be in -180..180 and {names[1]} in -90..90",
    )
    findings += flag(
        "bad_coordinates",
        swapped,
        lambda r: shown(r) + f" look swapped; {names[0]} is the longitude (-9..2.5 in Great Britain)",
    )
    findings += flag(
        "bad_coordinates",
        outside,
        lambda r: (
            shown(r) + f" is outside Great Britain ({names[1]} {GB_LAT[0]:g}..{GB_LAT[1]:g}, "
            f"{names[0]} {GB_LON[0]:g}..{GB_LON[1]:g}); check the coordinates and their order"
        ),
    )
    return findings, out_of_range | swapped | outside
