"""Summaries of scored incidents, accumulated chunk by chunk in bounded memory.

Counts and sums are added per group; medians and 90th percentiles come from
histograms of 10-second bins (exact to 10 s), so nothing grows with the
number of incidents. When the file gives actual attendance times, every
summary has the actual figures beside the modelled ones (on the rows that
have an actual time); the largest differences and the map of the misses are
accumulated by :mod:`optimiser.evaluation_misses`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimiser.evaluation_misses import LargestDifferences, MissCells
from optimiser.scoring import REASONS, UNKNOWN, WEEKDAYS

BIN_S = 10.0
#: Histogram range: 0 to 8 hours; slower or unreached responses fall in the last (overflow) bin.
BINS = int(8 * 3600 / BIN_S)
#: Differences (modelled - actual) are binned from -8 h to +8 h.
DIFF_OFFSET_S = 8 * 3600.0
DIMENSIONS = ("grade", "shift", "base", "local_authority", "area_class", "hour", "weekday", "month")


@dataclass
class _Groups:
    """Per group (a dimension value and a grade): sums and a response-time histogram."""

    n_bins: int
    sums: dict[tuple, np.ndarray] = field(default_factory=dict)
    histograms: dict[tuple, np.ndarray] = field(default_factory=dict)

    def add(self, values_of_rows: np.ndarray, grade: np.ndarray, sums_of_rows: np.ndarray, binned: np.ndarray) -> None:
        """Add rows grouped by ``(value, grade)``; ``binned`` is each row's histogram bin."""
        codes, uniques = pd.factorize(values_of_rows, use_na_sentinel=False)
        group = codes.astype(np.int64) * GRADE_SLOTS + grade.astype(np.int64)
        n_groups = len(uniques) * GRADE_SLOTS
        n_bins = self.n_bins
        counts = np.bincount(group, minlength=n_groups)
        sums = np.column_stack(
            [np.bincount(group, weights=sums_of_rows[:, k], minlength=n_groups) for k in range(sums_of_rows.shape[1])]
        )
        histogram = np.bincount(group * n_bins + binned, minlength=n_groups * n_bins).reshape(n_groups, n_bins)
        for g in np.flatnonzero(counts):
            key = (uniques[g // GRADE_SLOTS], int(g % GRADE_SLOTS))
            self._add(key, sums[g], histogram[g])

    def _add(self, key: tuple, sums: np.ndarray, histogram: np.ndarray) -> None:
        if key in self.sums:
            self.sums[key] += sums
            self.histograms[key] += histogram
        else:
            self.sums[key], self.histograms[key] = sums.copy(), histogram.copy()


#: Grades 0..3 share one group code (value code x 4 + grade).
GRADE_SLOTS = 4


VALUE_COLUMNS = (
    "incidents",
    "scored",
    "within_target",
    "reached",
    "response_s_sum",
    "grade1_chance_sum",
    *(f"missed_{reason}" for reason in REASONS),
)
ACTUAL_COLUMNS = ("with_actual", "modelled_s_sum", "actual_s_sum", "modelled_within", "actual_within", "abs_diff_sum")
#: Sums per summary group over the rows with an actual attendance time.
ACTUAL_SUMS = ("with_actual", "actual_scored", "actual_within", "actual_s_sum")
#: Columns added to every summary when the file gives actual attendance times.
ACTUAL_SUMMARY_COLUMNS = (
    "incidents_with_actual",
    "actual_share_within_target",
    "actual_mean_min",
    "actual_median_min",
    "actual_p90_min",
)


class SummaryAccumulator:
    """Add scored chunks with :meth:`add`; read the tables with :meth:`tables`.

    Parameters
    ----------
    timed
        Whether the incidents have a time of day (otherwise hour and weekday are ``unknown``).
    """

    def __init__(self, *, timed: bool) -> None:
        self.timed = timed
        self._groups = {dimension: _Groups(BINS + 1) for dimension in DIMENSIONS}
        self._actual_groups = {dimension: _Groups(BINS + 1) for dimension in DIMENSIONS}
        self._actual = _Groups(2 * BINS + 1)
        self.largest = LargestDifferences()
        self.misses = MissCells()

    def add(self, scored: pd.DataFrame) -> None:
        """Add one chunk of :func:`optimiser.scoring.score_chunk` output."""
        if scored.empty:
            return
        values = self._values(scored)
        binned = _bins(scored["response_time_s"].to_numpy(float), 0.0)
        grade = scored["grade"].to_numpy()
        for dimension in DIMENSIONS:
            self._groups[dimension].add(self._dimension(scored, dimension), grade, values, binned)
        self._add_actual(scored)

    def _values(self, scored: pd.DataFrame) -> np.ndarray:
        within = scored["within_target"]
        response = scored["response_time_s"].to_numpy(float)
        columns = [
            np.ones(len(scored)),
            within.notna().to_numpy(float),
            within.fillna(False).to_numpy(float),
            np.isfinite(response).astype(float),
            np.nan_to_num(response, nan=0.0),
            np.nan_to_num(scored["grade1_chance_free_car_within_target"].to_numpy(float), nan=0.0),
            *((scored["missed_reason"] == reason).to_numpy(float) for reason in REASONS),
        ]
        return np.column_stack(columns)

    def _dimension(self, scored: pd.DataFrame, dimension: str) -> np.ndarray:
        """Group value of each row: text for names, integers for time (labelled in :meth:`tables`)."""
        if dimension == "grade":
            return np.zeros(len(scored), dtype=np.int64)
        if dimension == "base":
            return scored["responding_base"].to_numpy(object)
        if dimension == "month":
            timestamp = scored["timestamp"].dt
            return (timestamp.year * 100 + timestamp.month).to_numpy(np.int64)
        if dimension in ("hour", "weekday") and not self.timed:
            return np.full(len(scored), -1, dtype=np.int64)
        if dimension == "hour":
            return scored["hour"].to_numpy(np.int64)
        if dimension == "weekday":
            return scored["timestamp"].dt.day_of_week.to_numpy(np.int64)
        return scored[dimension].to_numpy(object)

    def _add_actual(self, scored: pd.DataFrame) -> None:
        self._add_actual_groups(scored)
        difference = scored["modelled_minus_actual_s"].to_numpy(float)
        rows = np.isfinite(difference) & scored["within_target"].notna().to_numpy()
        if not rows.any():
            return
        part = scored[rows]
        values = np.column_stack(
            [
                np.ones(len(part)),
                part["response_time_s"].to_numpy(float),
                part["actual_response_s"].to_numpy(float),
                part["within_target"].to_numpy(float),
                part["actual_within_target"].to_numpy(float),
                np.abs(difference[rows]),
            ]
        )
        binned = _bins(difference[rows], DIFF_OFFSET_S, doubled=True)
        self._actual.add(part["responding_base"].to_numpy(object), part["grade"].to_numpy(), values, binned)
        self.largest.add(part)
        self.misses.add(part)

    def _add_actual_groups(self, scored: pd.DataFrame) -> None:
        """Actual attendance of every summary group, on the rows that give one."""
        actual_s = scored["actual_response_s"].to_numpy(float)
        rows = np.isfinite(actual_s)
        if not rows.any():
            return
        part = scored[rows]
        actual_within = part["actual_within_target"]
        values = np.column_stack(
            [
                np.ones(len(part)),
                actual_within.notna().to_numpy(float),
                actual_within.fillna(False).to_numpy(float),
                actual_s[rows],
            ]
        )
        binned = _bins(actual_s[rows], 0.0)
        grade = part["grade"].to_numpy()
        for dimension in DIMENSIONS:
            self._actual_groups[dimension].add(self._dimension(part, dimension), grade, values, binned)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``summary_by_<dimension>`` tables, and ``modelled_vs_actual`` / ``largest_differences`` if any actuals."""
        tables = {f"summary_by_{d}": _summary(self._groups[d], d, self._actual_groups[d]) for d in DIMENSIONS}
        tables["summary_by_grade"] = tables["summary_by_grade"].drop(columns="grade_value")
        for dimension in ("hour", "weekday", "month"):
            table = tables[f"summary_by_{dimension}"]
            table[dimension] = table[dimension].map(lambda v, d=dimension: _time_label(d, int(v)))
        if self._actual.sums:
            tables["modelled_vs_actual"] = _actual_summary(self._actual)
            tables["largest_differences"] = self.largest.table()
        return tables


def _time_label(dimension: str, value: int) -> str:
    if value < 0:
        return UNKNOWN
    if dimension == "hour":
        return f"{value:02d}"
    if dimension == "weekday":
        return WEEKDAYS[value]
    return f"{value // 100}-{value % 100:02d}"


def _bins(seconds: np.ndarray, offset_s: float, *, doubled: bool = False) -> np.ndarray:
    n_bins = 2 * BINS if doubled else BINS
    position = np.floor((seconds + offset_s) / BIN_S)
    position = np.where(np.isfinite(position), position, n_bins)
    return np.clip(position, 0, n_bins).astype(np.int64)


def _percentile_min(histogram: np.ndarray, percent: float, offset_s: float = 0.0) -> float:
    total = histogram.sum()
    if total == 0:
        return float("nan")
    position = int(np.searchsorted(np.cumsum(histogram), percent / 100.0 * total))
    if position >= histogram.size - 1:
        return float("inf")
    return round(((position + 1) * BIN_S - offset_s) / 60.0, 2)


def _order(item: tuple) -> tuple:
    (value, grade), _ = item
    return (0, value, grade) if isinstance(value, int | np.integer) else (1, str(value), grade)


def _summary(groups: _Groups, dimension: str, actual: _Groups) -> pd.DataFrame:
    rows = []
    for (value, grade), sums in sorted(groups.sums.items(), key=_order):
        s = dict(zip(VALUE_COLUMNS, sums, strict=True))
        histogram = groups.histograms[(value, grade)]
        extra = _actual_cells(actual, (value, grade)) if actual.sums else {}
        rows.append(
            {
                f"{dimension}_value": value,
                "grade": int(grade),
                "incidents": int(s["incidents"]),
                "within_target": int(s["within_target"]),
                "share_within_target": s["within_target"] / s["scored"] if s["scored"] else np.nan,
                "grade1_expected_share_with_busy_cars": s["grade1_chance_sum"] / s["incidents"]
                if grade == 1
                else np.nan,
                "mean_response_min": s["response_s_sum"] / s["reached"] / 60.0 if s["reached"] else np.nan,
                "median_response_min": _percentile_min(histogram, 50.0),
                "p90_response_min": _percentile_min(histogram, 90.0),
                **{f"missed_{reason}": int(s[f"missed_{reason}"]) for reason in REASONS},
                **extra,
            }
        )
    table = pd.DataFrame(rows)
    return table.rename(columns={f"{dimension}_value": dimension}) if dimension != "grade" else table


def _actual_cells(actual: _Groups, key: tuple) -> dict[str, float | int]:
    """The actual-attendance columns of one summary group (blank where it has no actual time)."""
    if key not in actual.sums:
        return {"incidents_with_actual": 0, **dict.fromkeys(ACTUAL_SUMMARY_COLUMNS[1:], np.nan)}
    s = dict(zip(ACTUAL_SUMS, actual.sums[key], strict=True))
    histogram = actual.histograms[key]
    return {
        "incidents_with_actual": int(s["with_actual"]),
        "actual_share_within_target": s["actual_within"] / s["actual_scored"] if s["actual_scored"] else np.nan,
        "actual_mean_min": s["actual_s_sum"] / s["with_actual"] / 60.0,
        "actual_median_min": _percentile_min(histogram, 50.0),
        "actual_p90_min": _percentile_min(histogram, 90.0),
    }


def _actual_summary(groups: _Groups) -> pd.DataFrame:
    rows = []
    for (base, grade), sums in sorted(groups.sums.items(), key=_order):
        s = dict(zip(ACTUAL_COLUMNS, sums, strict=True))
        n = s["with_actual"]
        rows.append(
            {
                "base": base,
                "grade": int(grade),
                "incidents_with_actual": int(n),
                "modelled_mean_min": s["modelled_s_sum"] / n / 60.0,
                "actual_mean_min": s["actual_s_sum"] / n / 60.0,
                "modelled_share_within_target": s["modelled_within"] / n,
                "actual_share_within_target": s["actual_within"] / n,
                "mean_abs_difference_min": s["abs_diff_sum"] / n / 60.0,
                "median_difference_min": _percentile_min(groups.histograms[(base, grade)], 50.0, DIFF_OFFSET_S),
            }
        )
    return pd.DataFrame(rows)
