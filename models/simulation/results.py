"""What a simulation run returns: one record per incident, one per duty period, and the event counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from models.simulation._checks import readonly


@dataclass(frozen=True, eq=False)
class IncidentRecords:
    """What happened to each incident, in the order of the input incidents (read-only arrays).

    Times are seconds. Where a step did not happen before the horizon the time
    is NaN and the car and base are -1. For an attended incident
    ``response_s == call_handling_s + queue_wait_s + mobilisation_s + travel_s``
    (to rounding).

    Parameters
    ----------
    grade
        Grade of the incident (copied from the input).
    call_handling_s
        Call to ready for dispatch (copied from the input).
    queue_wait_s
        Ready for dispatch to the (final) assignment of a car; 0 when a car was free.
    mobilisation_s
        Assignment until the car starts moving (the final car's delay).
    travel_s
        Blue-light travel of the final car from where it was when assigned.
    response_s
        Call to arrival at the scene.
    dispatched_at_s, arrived_at_s, cleared_at_s
        Absolute times of the final assignment, the arrival and the end of the
        job (scene, or custody when there was an arrest).
    car
        Duty-period index of the car that attended.
    base
        Base of that car.
    waited_for_car
        True when the incident spent any time in the queue without a car
        (none eligible when it became ready, or its car was diverted).
    attended
        True when a car reached it before the horizon.
    diverted
        How many times a car on its way was diverted to a Grade 1.
    """

    grade: np.ndarray
    call_handling_s: np.ndarray
    queue_wait_s: np.ndarray
    mobilisation_s: np.ndarray
    travel_s: np.ndarray
    response_s: np.ndarray
    dispatched_at_s: np.ndarray
    arrived_at_s: np.ndarray
    cleared_at_s: np.ndarray
    car: np.ndarray
    base: np.ndarray
    waited_for_car: np.ndarray
    attended: np.ndarray
    diverted: np.ndarray

    def __post_init__(self) -> None:
        for item in fields(self):
            readonly(np.asarray(getattr(self, item.name)))


@dataclass(frozen=True, eq=False)
class DutyRecords:
    """Per duty period (in the order of the input duty periods): workload and overrun.

    Parameters
    ----------
    busy_s
        Seconds committed to incidents: from each assignment until the job is
        done (scene, or custody). Returns to post are not counted (the car is free).
    overrun_s
        Seconds past the end of duty spent finishing the job in hand (0 if none).
    jobs
        Jobs finished.
    """

    busy_s: np.ndarray
    overrun_s: np.ndarray
    jobs: np.ndarray

    def __post_init__(self) -> None:
        for item in fields(self):
            readonly(np.asarray(getattr(self, item.name)))


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """One replication.

    Parameters
    ----------
    incidents
        Per-incident records.
    duties
        Per-duty-period records.
    event_counts
        Events processed, by kind (``call_ready``, ``arrive_scene``, ...,
        and ``stale_skipped`` for cancelled events popped and skipped).
    horizon_s
        The time the run stopped (``inf`` when it ran until nothing was left to happen).
    """

    incidents: IncidentRecords
    duties: DutyRecords
    event_counts: Mapping[str, int]
    horizon_s: float

    @property
    def events_processed(self) -> int:
        """Events handled (cancelled events skipped are not counted)."""
        return int(sum(n for name, n in self.event_counts.items() if name != "stale_skipped"))
