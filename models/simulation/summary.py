"""Summaries of simulation runs: attendance per grade, busy share, and confidence intervals across replications."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import scipy.stats

from models.errors import raise_if_problems
from models.simulation.inputs import DutyPeriods
from models.simulation.results import IncidentRecords, SimulationResult

#: The force's attendance targets (call to arrival), seconds: Grade 1 15 min, Grade 2 60 min.
DEFAULT_TARGETS_S: Mapping[int, float] = MappingProxyType({1: 900.0, 2: 3600.0})


@dataclass(frozen=True)
class GradeSummary:
    """Attendance of one grade in one run.

    Parameters
    ----------
    grade
        The grade.
    incidents
        Incidents of the grade.
    attended
        Of which a car reached before the horizon.
    target_s
        The attendance target, seconds (call to arrival).
    within_target_share
        Share of **all** incidents of the grade attended within the target
        (unattended ones count as misses); NaN when there are none.
    mean_response_s
        Mean call-to-arrival time of the attended ones, seconds; NaN when none.
    waited_share
        Share of the grade's incidents that waited for a car.
    """

    grade: int
    incidents: int
    attended: int
    target_s: float
    within_target_share: float
    mean_response_s: float
    waited_share: float


def grade_summary(
    records: IncidentRecords, targets_s: Mapping[int, float] = DEFAULT_TARGETS_S
) -> dict[int, GradeSummary]:
    """Within-target share and mean response per grade.

    Parameters
    ----------
    records
        Per-incident records of one run.
    targets_s
        Target per grade, seconds; only the grades listed are summarised.

    Returns
    -------
    dict[int, GradeSummary]
        One summary per grade of ``targets_s``.
    """
    out = {}
    for grade, target in targets_s.items():
        mine = records.grade == grade
        attended = mine & records.attended
        n = int(mine.sum())
        within = attended & (records.response_s <= target)
        out[grade] = GradeSummary(
            grade=int(grade),
            incidents=n,
            attended=int(attended.sum()),
            target_s=float(target),
            within_target_share=float(within.sum() / n) if n else float("nan"),
            mean_response_s=float(records.response_s[attended].mean()) if attended.any() else float("nan"),
            waited_share=float(records.waited_for_car[mine].mean()) if n else float("nan"),
        )
    return out


def busy_share_by_group(duties: DutyPeriods, result: SimulationResult, group: np.ndarray) -> dict[int, float]:
    """Busy share (seconds committed to jobs / seconds on duty) per group of duty periods.

    Parameters
    ----------
    duties
        The duty periods of the run.
    result
        The run.
    group
        A group label per duty period, for example ``duties.base`` or a shift index, ``(d,)`` int.

    Returns
    -------
    dict[int, float]
        Group label to busy share; time on duty is ``end_s - start_s`` (overruns
        are busy time, so a share can exceed 1 only through overruns).
    """
    group = np.asarray(group)
    if group.shape != (duties.n,):
        raise_if_problems([f"group: expected one label per duty period ({duties.n}), got {group.shape}"], "bad group")
    on_duty_s = duties.end_s - duties.start_s
    return {
        int(label): float(result.duties.busy_s[group == label].sum() / on_duty_s[group == label].sum())
        for label in np.unique(group)
    }


@dataclass(frozen=True)
class Interval:
    """A mean across replications and its two-sided Student t confidence interval.

    Parameters
    ----------
    mean
        Mean of the replication values.
    low, high
        Bounds of the interval (NaN with fewer than two replications).
    n
        Number of replications.
    confidence
        Confidence level, e.g. 0.95.
    """

    mean: float
    low: float
    high: float
    n: int
    confidence: float

    @property
    def half_width(self) -> float:
        """Half the width of the interval."""
        return (self.high - self.low) / 2.0

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (bounds included)."""
        return bool(self.low <= value <= self.high)


def replication_interval(values: Sequence[float] | np.ndarray, *, confidence: float = 0.95) -> Interval:
    """Mean and Student t confidence interval of one statistic across independent replications.

    Parameters
    ----------
    values
        The statistic of each replication (for example each run's Grade 1 within-target share).
    confidence
        Two-sided confidence level in (0, 1).

    Returns
    -------
    Interval
        ``mean +- t_{n-1, (1+confidence)/2} * s / sqrt(n)``.
    """
    x = np.asarray(values, dtype=float).reshape(-1)
    problems = []
    if not 0 < confidence < 1:
        problems.append(f"confidence: expected a level in (0, 1), got {confidence}")
    if x.size == 0 or not np.isfinite(x).all():
        problems.append("values: expected at least one finite value per replication")
    raise_if_problems(problems, "cannot compute a replication interval", setting="replication_interval")
    mean = float(x.mean())
    if x.size < 2:
        return Interval(mean, float("nan"), float("nan"), int(x.size), confidence)
    half = float(scipy.stats.t.ppf((1 + confidence) / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return Interval(mean, mean - half, mean + half, int(x.size), confidence)
