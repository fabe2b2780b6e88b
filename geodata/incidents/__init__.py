"""Incident files: the one reader behind ``hubplan optimise`` (incident demand) and ``hubplan evaluate``.

Both commands read an incident file through :func:`iter_incident_chunks`:
``evaluate`` streams it, ``optimise`` takes it whole with
:func:`read_incidents` (any bad row is an error there, as demand needs every
row). So the same file gives the same incidents, shifts and messages in both.

Two schemas are accepted; column names match case-insensitively after stripping.

**hubplan incidents**: ``id``, ``grade``, ``timestamp`` and a location, one of:

* ``easting, northing``: British National Grid (EPSG:27700) metres;
* ``lon, lat`` (or ``longitude, latitude``): WGS84 degrees;
* ``postcode``: looked up in the embedded OS Code-Point Open extract (or with
  a caller's lookup).

Optional actual attendance: ``attendance_s`` (seconds from the timestamp to
the first unit arriving) or ``arrived_at`` (a timestamp); with both,
``attendance_s`` is used. An empty attendance cell means no unit attended and
is not an error. An optional ``source`` column labels rows (``hubplan
incidents synth`` writes ``synthetic``); its values are carried through so
that reports can say what the rows are.

**police.uk street-level crime**, as downloaded: ``Crime ID, Month, Reported
by, Falls within, Longitude, Latitude, Location, LSOA code, LSOA name, Crime
type, Last outcome category, Context``. Grades come from the crime type
(:mod:`geodata.policeuk`, an assumption), the date is the first instant of the
month, and rows without a Crime ID (anti-social behaviour) get the id
``line-<n>``; identical lines are separate incidents. ``evaluate`` scores
them in one shift; ``optimise`` refuses them for demand (no time of day).

**The rules** (the same in both commands):

* **Grade** is a whole number 1, 2 or 3 however written: ``1``, ``1.0``,
  ``" 2.00 "``, ``1e0`` and a Parquet float ``2.0`` are grades; ``1.5``, ``0``,
  ``4`` and text are ``unknown_grade``.
* **Timestamps** are ISO 8601 date and time (e.g. ``2018-06-01T14:32:00``).
  Without a UTC offset they are UK local time (Europe/London) as written. With
  one (``Z``, ``+01:00``) they are converted to UK local time *before* the
  hour and the shift are taken: ``2018-07-01T06:30:00Z`` is 07:30 BST, early
  shift. Parquet timestamp columns with a time zone are converted the same way.
* **Several location forms** in one file (e.g. lon,lat and a postcode column):
  the first complete form in the order above is used (easting,northing, then
  lon,lat, then longitude,latitude, then postcode); the other columns are
  ignored, :attr:`IncidentFileInfo.notes` says which form won, and the read
  logs it. A row whose chosen form is empty is ``missing_location`` even if
  another form's columns are filled.
* **Row numbers**: for CSV the line a user sees in an editor (the header is
  line 1, blank lines count and are skipped, a quoted value spanning lines
  counts every line); for Parquet the 1-based row number. Messages say
  ``line <n>`` or ``row <n>`` accordingly (:attr:`IncidentFileInfo.line_unit`,
  :func:`reject_messages`).
* **Every bad row** gets one message naming the column, the value and the fix
  (:attr:`IncidentChunk.rejects` ``detail``); errors name the file.

:func:`iter_incident_chunks` streams the file (CSV through pyarrow's streaming
reader, Parquet by record batches), so memory grows with ``chunk_rows``, not
with the file. File-level problems (unreadable file, missing columns) raise
:class:`~geodata.errors.InputDataError`; row-level problems never stop the read.
Each rejected row appears once in :attr:`IncidentChunk.rejects`: ``reason`` is
the first of its problems in :data:`REASONS` order and ``detail`` names every
problem. Chunking never changes the result: the chunks joined equal one pass
over the file.

Duplicate ids are found across chunks with a 64-bit hash of each id (16 bytes
per distinct id); two different ids colliding is astronomically unlikely
(about 3 in a million for ten million ids).

Modules: :mod:`~geodata.incidents.schema` (header, schema, location form),
:mod:`~geodata.incidents.batches` (streaming rows with their lines),
:mod:`~geodata.incidents.times` (timestamps to UK time),
:mod:`~geodata.incidents.area` (the force area),
:mod:`~geodata.incidents.validate` (row checks),
:mod:`~geodata.incidents.rejects` (reject rows and messages),
:mod:`~geodata.incidents.stream` and :mod:`~geodata.incidents.read`.
Cells and locations are parsed by :mod:`geodata.cells` and
:mod:`geodata.locations`, shared with :mod:`geodata.points`.
"""

from geodata.incidents.read import read_incidents
from geodata.incidents.rejects import REASONS, REJECT_COLUMNS, reject_messages
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
    "read_incidents",
    "reject_messages",
]
