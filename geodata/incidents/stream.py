"""Incident files streamed as validated chunks: :func:`iter_incident_chunks`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from shapely.geometry.base import BaseGeometry

from geodata.errors import InputDataError
from geodata.incidents.area import AreaCheck
from geodata.incidents.batches import Batch, csv_batches, parquet_batches, rechunk
from geodata.incidents.schema import IncidentChunk, inspect_with_layout
from geodata.incidents.validate import ChunkValidator
from geodata.locations import PostcodeLookup, postcode_finder

if TYPE_CHECKING:
    import geopandas as gpd


def iter_incident_chunks(
    path: str | Path,
    *,
    chunk_rows: int = 250_000,
    postcode_lookup: PostcodeLookup | None = None,
    area: BaseGeometry | gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    area_buffer_m: float = 2_000.0,
    grade_map: Mapping[str, int] | None = None,
) -> Iterator[IncidentChunk]:
    """Stream an incident file as validated chunks.

    Parameters
    ----------
    path
        A ``.csv`` or ``.parquet`` incident file (see :func:`inspect_incident_file`).
    chunk_rows
        Rows per chunk (the last may be shorter); bounds the memory used.
    postcode_lookup
        For postcode files: a function from a Series of postcodes to a frame of
        ``easting, northing`` aligned with it (NaN when unknown), called once per
        chunk on the distinct postcodes. None, or
        :func:`geodata.embedded.lookup_postcodes`, uses a vectorised lookup in the
        embedded Code-Point Open extract (same answers, much faster).
    area
        Where incidents may lie: a shapely geometry in British National Grid
        metres, or a GeoSeries/GeoDataFrame in EPSG:27700; None uses the
        embedded Staffordshire force area.
    area_buffer_m
        Rows up to this far outside ``area`` are kept (police.uk snap points of
        border LSOAs can lie just over the boundary); farther ones are
        ``outside_force_area``.
    grade_map
        police.uk only: crime type to grade; default
        :data:`geodata.policeuk.DEFAULT_CRIME_TYPE_GRADES`. Types it lacks are ``unknown_grade``.

    Returns
    -------
    Iterator[IncidentChunk]
        The chunks in file order; at least one (empty when the file has no
        rows). File-level checks run at the call, rows as the iterator is consumed.

    Raises
    ------
    InputDataError
        For file-level problems, before the first chunk (see
        :func:`inspect_incident_file`) or, for a file damaged part-way (text
        that is not UTF-8, broken CSV quoting), when the damage is reached.
    """
    info, layout = inspect_with_layout(Path(path), grade_map)
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int | np.integer) or chunk_rows < 1:
        raise InputDataError(f"must be a whole number of rows >= 1, got {chunk_rows!r}", source="chunk_rows")
    validator = ChunkValidator(
        info,
        layout,
        postcodes=postcode_finder(postcode_lookup),
        area=AreaCheck.build(area, area_buffer_m),
    )
    batches = csv_batches(info.path) if info.file_format == "csv" else parquet_batches(info.path, int(chunk_rows))
    return _chunks(validator, rechunk(batches, int(chunk_rows)))


def _chunks(validator: ChunkValidator, batches: Iterable[Batch]) -> Iterator[IncidentChunk]:
    """Validate each batch; log a summary at the end."""
    yielded = False
    for batch in batches:
        yielded = True
        chunk = validator(batch)
        del batch  # hold only the chunk while the caller works on it
        yield chunk
    if not yielded:
        yield validator(Batch.empty(len(validator.info.columns)))
    validator.log_summary()
