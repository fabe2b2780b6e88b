"""Incident files read in chunks: clean rows to score, and every rejected row with its reason.

Two schemas are accepted; column names match case-insensitively after stripping.

**hubplan incidents**: ``id``, ``grade`` (1, 2 or 3), ``timestamp`` (ISO 8601,
e.g. ``2018-06-01T14:32:00``, local clock time) and a location, one of:

* ``easting, northing``: British National Grid (EPSG:27700) metres;
* ``lon, lat`` (or ``longitude, latitude``): WGS84 degrees;
* ``postcode``: looked up in the embedded OS Code-Point Open extract (or with
  a caller's lookup).

When several forms are present the first in that order is used and
:class:`IncidentFileInfo` says so. Optional actual attendance: ``attendance_s``
(seconds from the timestamp to the first unit arriving) or ``arrived_at`` (a
timestamp); with both, ``attendance_s`` is used. An empty attendance cell means
no unit attended and is not an error. An optional ``source`` column labels
rows (``hubplan incidents synth`` writes ``synthetic``); its values are carried
through so that reports can say what the rows are.

**police.uk street-level crime**, as downloaded: ``Crime ID, Month, Reported
by, Falls within, Longitude, Latitude, Location, LSOA code, LSOA name, Crime
type, Last outcome category, Context``. Grades come from the crime type
(:mod:`geodata.policeuk`, an assumption), the date is the first instant of the
month, and rows without a Crime ID (anti-social behaviour) get the id
``line-<n>``; identical lines are separate incidents.

:func:`iter_incident_chunks` streams the file (CSV through pyarrow's streaming
reader, Parquet by record batches), so memory grows with ``chunk_rows``, not
with the file. File-level problems (unreadable file, missing columns) raise
:class:`~geodata.errors.InputDataError`; row-level problems never stop the read.
Each rejected row appears once in :attr:`IncidentChunk.rejects`: ``reason`` is
the first of its problems in :data:`REASONS` order and ``detail`` names every
problem, the field, the value and the fix. Lines are CSV file lines (the header
is line 1, blank lines count and are skipped, a quoted value spanning lines
counts every line) or, for Parquet, 1-based row numbers. Chunking never changes
the result: the chunks joined equal one pass over the file.

Duplicate ids are found across chunks with a 64-bit hash of each id (16 bytes
per distinct id); two different ids colliding is astronomically unlikely
(about 3 in a million for ten million ids).
"""

from geodata.incidents.rejects import REASONS, REJECT_COLUMNS
from geodata.incidents.schema import (
    ACCEPTED_SCHEMAS,
    LOCATION_PREFERENCE,
    VALID_COLUMNS,
    IncidentChunk,
    IncidentFileInfo,
    inspect_incident_file,
)
from geodata.incidents.stream import iter_incident_chunks

__all__ = [
    "ACCEPTED_SCHEMAS",
    "LOCATION_PREFERENCE",
    "REASONS",
    "REJECT_COLUMNS",
    "VALID_COLUMNS",
    "IncidentChunk",
    "IncidentFileInfo",
    "inspect_incident_file",
    "iter_incident_chunks",
]
