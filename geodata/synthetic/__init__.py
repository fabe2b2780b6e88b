"""Synthetic graded incidents drawn from the modelled demand, for trying ``hubplan evaluate`` offline.

No Grade 1 or Grade 2 incident records exist offline, so this package makes
**synthetic** ones. Nothing in them is a record of a real incident: they are
random draws from the *modelled* demand of :mod:`geodata.demand`, so they carry
its assumptions (annual volumes, hour-of-day and weekday profiles, census
weighting, the night lean toward town centres) and nothing more.

How one incident is drawn (all vectorised, one seeded
:class:`numpy.random.Generator`):

1. **Time.** The day of the year with probability proportional to its
   weekday's share (:data:`geodata.demand.WEEKDAY_PROFILE`), the hour by
   :data:`geodata.demand.HOURLY_PROFILE`, the minute uniformly; seconds are 0.
2. **Grade.** 1 or 2 in the ratio ``grade1_per_year : grade2_per_year``, and 3
   with probability ``grade3_share``. Grade is independent of time, as in the
   demand model, where both grades share one shift profile.
3. **Location.** The hour gives the shift; the demand node is drawn in
   proportion to the modelled demand of that grade and shift
   (``modelled_demand(...).grade1[:, shift]``), so the night lean applies to
   night incidents only. Grade 3, which the demand model does not place, is
   placed like Grades 1 and 2 together. Then one postcode of the node is drawn
   uniformly: a node is the postcodes of one LSOA within one square cell
   (:func:`geodata.demand.demand_nodes`) and the model gives every postcode of
   an LSOA the same census share, so uniform *is* proportional to the model's
   weight. The incident lies at the postcode's OS Code-Point Open coordinates.
4. **Attendance** (optional, :class:`AttendanceParams`): SYNTHETIC numbers
   shaped to the force's published 2018 means, not measurements.

:func:`write_synthetic_incidents` writes the frame as an incident file that
:func:`geodata.incidents.read_incidents` reads, labels every row
``source = "synthetic"`` and writes a README beside it.

Modules: :mod:`~geodata.synthetic.draw` (the parameters and the draw),
:mod:`~geodata.synthetic.attendance` (the synthetic attendance model),
:mod:`~geodata.synthetic.calibration` (its fit to the published means) and
:mod:`~geodata.synthetic.write` (the file and its README).
"""

from geodata.synthetic.attendance import (
    BASE_SETS,
    PUBLISHED_2018,
    AttendanceParams,
    GradeAttendance,
    PublishedAttendance,
    attendance_summary,
)
from geodata.synthetic.calibration import CALIBRATION_N, calibrate_attendance
from geodata.synthetic.draw import ID_PREFIX, SyntheticIncidentParams, synthetic_incidents
from geodata.synthetic.write import ISO_FORMAT, LOCATION_COLUMNS, SOURCE_LABEL, SUFFIXES, write_synthetic_incidents

__all__ = [
    "BASE_SETS",
    "CALIBRATION_N",
    "ID_PREFIX",
    "ISO_FORMAT",
    "LOCATION_COLUMNS",
    "PUBLISHED_2018",
    "SOURCE_LABEL",
    "SUFFIXES",
    "AttendanceParams",
    "GradeAttendance",
    "PublishedAttendance",
    "SyntheticIncidentParams",
    "attendance_summary",
    "calibrate_attendance",
    "synthetic_incidents",
    "write_synthetic_incidents",
]
