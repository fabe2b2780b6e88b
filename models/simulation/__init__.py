"""Discrete-event simulation of police response with busy cars (issue 12).

Arrays in, records out; no files. The public interface::

    from models.simulation import (
        Places, Incidents, DutyPeriods, Shift, DispatchPolicy, duty_periods_from_shifts,
        IncidentParams, sample_incidents, simulate, SimulationResult,
        grade_summary, busy_share_by_group, replication_interval,
    )

    incidents = sample_incidents(params, days=365, seed=1)
    result = simulate(places, duties, incidents, DispatchPolicy(scope="force"))
    grade_summary(result.incidents)[1].within_target_share

See ``models/simulation/README.md`` for the model, its assumptions and the measured speed.
"""

from models.simulation.engine import simulate
from models.simulation.inputs import (
    DEFAULT_RETURN_TIME_FACTOR,
    DispatchPolicy,
    DutyPeriods,
    Incidents,
    Places,
    Shift,
    duty_periods_from_shifts,
)
from models.simulation.results import DutyRecords, IncidentRecords, SimulationResult
from models.simulation.sampling import IncidentParams, draw_durations, sample_incidents
from models.simulation.summary import (
    DEFAULT_TARGETS_S,
    GradeSummary,
    Interval,
    busy_share_by_group,
    grade_summary,
    replication_interval,
)

__all__ = [
    "DEFAULT_RETURN_TIME_FACTOR",
    "DEFAULT_TARGETS_S",
    "DispatchPolicy",
    "DutyPeriods",
    "DutyRecords",
    "GradeSummary",
    "IncidentParams",
    "IncidentRecords",
    "Incidents",
    "Interval",
    "Places",
    "Shift",
    "SimulationResult",
    "busy_share_by_group",
    "draw_durations",
    "duty_periods_from_shifts",
    "grade_summary",
    "replication_interval",
    "sample_incidents",
    "simulate",
]
