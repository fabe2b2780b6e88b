"""Coordinate reference systems: hubplan computes in metres, in British National Grid."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyproj

from geodata.errors import InputDataError

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"


def require_metric_crs(crs: object, *, what: str) -> pyproj.CRS:
    """Return ``crs`` as a :class:`pyproj.CRS` after checking it is projected in metres.

    Parameters
    ----------
    crs
        Anything :meth:`pyproj.CRS.from_user_input` accepts.
    what
        Name of the object the CRS belongs to, used in the error message.

    Raises
    ------
    InputDataError
        If the CRS is missing, geographic, or not in metres.
    """
    if crs is None:
        raise InputDataError(
            "has no CRS; label it with .set_crs('EPSG:27700') if the coordinates are British National Grid metres",
            source=what,
        )
    parsed = pyproj.CRS.from_user_input(crs)
    units = {axis.unit_name for axis in parsed.axis_info}
    if not parsed.is_projected or units - {"metre"}:
        raise InputDataError(
            f"has CRS {parsed.to_string()} in {sorted(units)}, but hubplan computes in metres; "
            "reproject with .to_crs('EPSG:27700') (British National Grid) first",
            source=what,
        )
    return parsed


@lru_cache(maxsize=16)
def _transformer(source: str, target: str) -> pyproj.Transformer:
    """A cached transformer: building one costs about 20 ms, more than transforming a million points."""
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def _crs_key(crs: object) -> str:
    return crs if isinstance(crs, str) else pyproj.CRS.from_user_input(crs).to_wkt()


def lonlat_to_crs(lon: np.ndarray, lat: np.ndarray, crs: object = BNG) -> tuple[np.ndarray, np.ndarray]:
    """Transform WGS84 longitude/latitude arrays to ``x, y`` in ``crs`` (metres)."""
    transformer = _transformer(WGS84, _crs_key(crs))
    x, y = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def crs_to_lonlat(x: np.ndarray, y: np.ndarray, crs: object = BNG) -> tuple[np.ndarray, np.ndarray]:
    """Transform ``x, y`` in ``crs`` (metres) to WGS84 longitude/latitude arrays."""
    transformer = _transformer(_crs_key(crs), WGS84)
    lon, lat = transformer.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)
