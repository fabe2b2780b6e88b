"""Run replications of a simulation model and record every incident; one replication per seed.

Replication ``r`` of a run with seed ``s`` draws its incidents with seed
``s + r`` (:func:`models.simulation.sample_incidents`), so two plans run with
the same seed see the same incidents (common random numbers), and the result
does not depend on how replications are shared among workers.

With a :class:`Replay` (incidents from a file, :func:`replay_from_frame`) every
replication has the file's incidents, times and grades; only their durations
(call handling, time on scene, arrests) are drawn with the replication's seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from models.simulation import busy_share_by_group, draw_durations, sample_incidents, simulate
from models.standards import ResponseStandard
from optimiser.executor import chunked, run_chunks
from optimiser.simulation_model import SimulationModel


@dataclass(frozen=True, eq=False)
class Replication:
    """One replication: every incident's record, and the busy share of cars by base and shift.

    Attributes
    ----------
    incidents
        One row per incident (see :func:`incident_frame`).
    busy_by_base, busy_by_shift
        Share of on-duty time the cars were committed to jobs.
    events
        Events the engine processed.
    """

    seed: int
    incidents: pd.DataFrame
    busy_by_base: dict[str, float]
    busy_by_shift: dict[str, float]
    events: int


@dataclass(frozen=True, eq=False)
class Replay:
    """Incidents taken from a file: call time (seconds from midnight of its first day), place and grade, sorted."""

    arrival_s: np.ndarray
    place: np.ndarray
    grade: np.ndarray
    first_day: str
    snap_m: np.ndarray

    @property
    def days(self) -> int:
        """Days the incidents span (whole days from the first day's midnight)."""
        return int(self.arrival_s.max() // 86400) + 1 if self.arrival_s.size else 1


def replay_from_frame(model: SimulationModel, frame: pd.DataFrame) -> Replay:
    """Place each incident of ``frame`` (``grade, timestamp, x_m, y_m``) at the nearest demand place.

    Times are UK clock time as the incident reader gives them; day 0 starts at
    midnight of the earliest incident's day.
    """
    timestamp = pd.to_datetime(frame["timestamp"])
    start = timestamp.min().normalize()
    arrival_s = (timestamp - start).dt.total_seconds().to_numpy(float)
    distance, nearest = cKDTree(model.demand_place_xy[:, 1:]).query(frame[["x_m", "y_m"]].to_numpy(float))
    order = np.argsort(arrival_s, kind="stable")
    return Replay(
        arrival_s=arrival_s[order],
        place=model.demand_place_xy[nearest, 0].astype(np.int64)[order],
        grade=frame["grade"].to_numpy(np.int64)[order],
        first_day=str(start.date()),
        snap_m=distance[order],
    )


@dataclass(frozen=True, eq=False)
class ReplicationJob:
    """What a worker needs: the model, the run length and any replayed incidents (sent to each worker once)."""

    model: SimulationModel
    days: int
    replay: Replay | None = None

    def solve(self, seeds: Sequence[int]) -> list[Replication]:
        """Run the replications of ``seeds``, in order."""
        return [run_replication(self.model, self.days, int(seed), replay=self.replay) for seed in seeds]


def run_replication(model: SimulationModel, days: int, seed: int, *, replay: Replay | None = None) -> Replication:
    """Draw the incidents of ``seed`` (or the durations of the replayed ones) and simulate ``days`` days."""
    if replay is None:
        incidents = sample_incidents(model.incident_params, days=days, seed=seed)
    else:
        incidents = draw_durations(model.incident_params, replay.arrival_s, replay.place, replay.grade, seed=seed)
    duties = model.duties(days)
    result = simulate(model.places, duties, incidents, model.policy)
    by_base = busy_share_by_group(duties, result, duties.base)
    by_shift = busy_share_by_group(duties, result, model.duty_shift(days))
    return Replication(
        seed=seed,
        incidents=incident_frame(model, incidents, result.incidents, seed),
        busy_by_base={model.base_names[b]: share for b, share in by_base.items()},
        busy_by_shift={model.shift_names[k]: share for k, share in by_shift.items()},
        events=result.events_processed,
    )


def incident_frame(model: SimulationModel, incidents: Any, records: Any, seed: int) -> pd.DataFrame:
    """Per incident: when, where, grade, each part of the response, who attended, within target or not.

    Response runs from the call to the car's arrival: call handling + queue
    wait + mobilisation + travel. Each incident is measured against the plan's
    standard (``target_s`` for its grade and area class, on the standard's
    clock: from the call, or from dispatch, which leaves out call handling and
    the wait for a car) and against the other shipped standard
    (``within_other_target``). An incident unattended at the end of the run
    counts as not within target.
    """
    hour = (incidents.arrival_s // 3600 % 24).astype(np.int64)
    area = model.places.area[incidents.place]
    area_class = model.place_area_class[incidents.place]
    target_s = standard_targets_s(model.standard, incidents.grade, area_class)
    other_s = standard_targets_s(model.other_standard, incidents.grade, area_class)
    base_names = np.array([*model.base_names, ""], dtype=object)
    return pd.DataFrame(
        {
            "seed": np.full(incidents.n, seed, dtype=np.int64),
            "arrival_s": incidents.arrival_s.round(1),
            "day": (incidents.arrival_s // 86400).astype(np.int64),
            "grade": incidents.grade.astype(np.int8),
            "shift": np.array(model.shift_names, dtype=object)[model.incident_params.hour_period[hour]],
            "base_area": base_names[area],
            "local_authority": model.place_local_authority[incidents.place],
            "area_class": area_class,
            "call_handling_s": records.call_handling_s.round(1),
            "queue_wait_s": records.queue_wait_s.round(1),
            "mobilisation_s": records.mobilisation_s.round(1),
            "travel_s": records.travel_s.round(1),
            "response_s": records.response_s.round(1),
            "attending_base": base_names[records.base],
            "waited_for_car": records.waited_for_car,
            "attended": records.attended,
            "target_s": target_s,
            "within_target": within_standard(model.standard, records, target_s),
            "within_other_target": within_standard(model.other_standard, records, other_s),
        }
    )


def standard_targets_s(standard: ResponseStandard, grade: np.ndarray, area_class: np.ndarray) -> np.ndarray:
    """The target of each incident (its grade and area class) under ``standard``, seconds (NaN for Grade 3)."""
    target_s = np.full(grade.size, np.nan)
    for number in (1, 2):
        mine = grade == number
        target_s[mine] = standard.targets_s(number, area_class[mine])
    return target_s


def within_standard(standard: ResponseStandard, records: Any, target_s: np.ndarray) -> np.ndarray:
    """Attended within ``target_s`` on the standard's clock: from the call, or from dispatch."""
    clock_s = records.response_s
    if standard.clock_start == "dispatched":
        clock_s = records.mobilisation_s + records.travel_s
    return records.attended & (clock_s <= target_s)


def run_replications(
    model: SimulationModel,
    *,
    replications: int,
    seed: int,
    days: int,
    workers: int = 1,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
    replay: Replay | None = None,
) -> list[Replication]:
    """Replications ``seed, seed + 1, ...`` on local processes or a Dask cluster, in seed order."""
    seeds = list(range(seed, seed + replications))
    chunks = chunked(seeds, workers=workers)
    done_after = np.cumsum([len(c) for c in chunks])

    def on_chunk(done: int) -> None:
        if progress is not None:
            progress(int(done_after[done - 1]))

    parts = run_chunks(
        ReplicationJob(model, days, replay), chunks, workers=workers, scheduler=scheduler, progress=on_chunk
    )
    return [replication for part in parts for replication in part]
