"""The area incidents may lie in: the force area (or a caller's), with a buffer for snapped border points."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geodata import embedded
from geodata.cells import Message
from geodata.crs import BNG
from geodata.errors import InputDataError


class AreaCheck:
    """Points more than a buffer outside an area (British National Grid)."""

    def __init__(self, area: BaseGeometry, buffer_m: float) -> None:
        self.area = area
        self.buffer_m = buffer_m
        self.buffered = shapely.buffer(area, buffer_m)
        shapely.prepare(self.buffered)

    @classmethod
    def build(cls, area: object, buffer_m: float) -> AreaCheck:
        """Check the area's CRS and the buffer, and prepare the buffered geometry."""
        if not (isinstance(buffer_m, int | float) and math.isfinite(buffer_m) and buffer_m >= 0):
            raise InputDataError(f"must be a distance in metres >= 0, got {buffer_m!r}", source="area_buffer_m")
        return cls(_area_geometry(area), float(buffer_m))

    def outside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """True where (x, y) is finite and beyond the buffer."""
        rows = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        result = np.zeros(len(x), bool)
        result[rows] = ~shapely.intersects_xy(self.buffered, x[rows], y[rows])
        return result

    def distance_km(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Distance of each point from the area (not the buffer), km."""
        return shapely.distance(self.area, shapely.points(x, y)) / 1000.0

    def outside_message(self, x: np.ndarray, y: np.ndarray) -> Message:
        """For each point outside: where it is, how far outside, and the fix."""
        km = np.round(self.distance_km(x, y), 1)
        return (
            Message(["location (easting "])
            + np.round(x).astype(np.int64)
            + ", northing "
            + np.round(y).astype(np.int64)
            + ") is "
            + km
            + f" km outside the force area, more than the {self.buffer_m / 1000:g} km allowed; "
            "check the coordinates, or leave incidents of other areas out"
        )


def _area_geometry(area: object) -> BaseGeometry:
    """The area as one shapely geometry in BNG metres (default: the embedded force area)."""
    if area is None:
        return embedded.force_area().iloc[0]
    if hasattr(area, "crs") and hasattr(area, "geometry"):
        crs = getattr(area, "crs", None)
        if crs is None or not crs.equals(BNG):
            raise InputDataError(
                f"has CRS {crs}; give the area in British National Grid: .to_crs('EPSG:27700')", source="area"
            )
        area = area.geometry.union_all()
    if not isinstance(area, BaseGeometry) or area.is_empty:
        raise InputDataError(
            f"must be a shapely polygon in British National Grid, got {type(area).__name__}", source="area"
        )
    minx, miny, maxx, maxy = area.bounds
    if maxx <= 180 and maxy <= 90:
        raise InputDataError(
            "looks like longitude/latitude degrees; give the area in British National Grid metres", source="area"
        )
    return area
