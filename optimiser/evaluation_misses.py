"""Where actual attendance differed from the model: the largest differences per grade, and the misses on a grid.

Both accumulate chunk by chunk in bounded memory, from the scored rows that
have an actual attendance time and a target (Grade 1 and 2):

* :class:`LargestDifferences` keeps, per grade, the incidents whose modelled
  and actual response differ most, in minutes (``largest_differences.csv``);
* :class:`MissCells` counts, per grade, shift and square grid cell, the
  incidents whose *actual* attendance missed the target, split by whether the
  model expected it in time (modelled within target: the miss is availability,
  queueing or call handling, which the static model does not see) or expected
  the miss too (no site within target). The map of the misses
  (:func:`maps.misses.build_misses_page`) draws these cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Incidents kept per grade for the largest-difference table.
LARGEST_PER_GRADE = 100
#: Side of the square grid cells the misses are counted in (metres, British National Grid).
MISS_CELL_M = 1_000.0
#: Columns of ``largest_differences.csv`` (times in minutes, one decimal).
LARGEST_COLUMNS = (
    "grade",
    "incident_id",
    "line",
    "timestamp",
    "shift",
    "local_authority",
    "responding_site",
    "responding_site_name",
    "responding_base",
    "modelled_response_min",
    "actual_response_min",
    "modelled_minus_actual_min",
    "within_target",
    "actual_within_target",
    "easting",
    "northing",
)
#: Counts per cell of :class:`MissCells`.
MISS_COUNTS = ("with_actual", "actual_missed", "missed_model_expected_in_time", "missed_model_expected_miss")


class LargestDifferences:
    """The :data:`LARGEST_PER_GRADE` incidents of each grade with the largest ``|modelled - actual|``."""

    def __init__(self, per_grade: int = LARGEST_PER_GRADE) -> None:
        self.per_grade = per_grade
        self._kept: dict[int, pd.DataFrame] = {}

    def add(self, part: pd.DataFrame) -> None:
        """Add scored rows that all have an actual time and a target."""
        part = part.assign(abs_difference_s=part["modelled_minus_actual_s"].abs())
        for grade, rows in part.groupby("grade", sort=True):
            key = int(grade)
            combined = rows if key not in self._kept else pd.concat([self._kept[key], rows])
            self._kept[key] = combined.nlargest(self.per_grade, "abs_difference_s")

    def table(self) -> pd.DataFrame:
        """Grade 1 first, then Grade 2, each by decreasing absolute difference; times in minutes."""
        if not self._kept:
            return pd.DataFrame(columns=list(LARGEST_COLUMNS))
        rows = pd.concat([self._kept[grade] for grade in sorted(self._kept)], ignore_index=True)
        frame = rows.assign(
            modelled_response_min=(rows["response_time_s"] / 60.0).round(1),
            actual_response_min=(rows["actual_response_s"] / 60.0).round(1),
            modelled_minus_actual_min=(rows["modelled_minus_actual_s"] / 60.0).round(1),
        )
        extra = [column for column in ("crime_type", "source") if column in frame.columns]
        return frame[[*LARGEST_COLUMNS, *extra]].reset_index(drop=True)


class MissCells:
    """Actual misses per grade, shift and :data:`MISS_CELL_M` grid cell, split by what the model expected."""

    def __init__(self, cell_m: float = MISS_CELL_M) -> None:
        self.cell_m = cell_m
        self._parts: list[pd.DataFrame] = []

    def add(self, part: pd.DataFrame) -> None:
        """Add scored rows that all have an actual time and a target."""
        missed = ~part["actual_within_target"].fillna(True).to_numpy(bool)
        modelled_in_time = part["within_target"].fillna(False).to_numpy(bool)
        counts = pd.DataFrame(
            {
                "grade": part["grade"].to_numpy(np.int8),
                "shift": part["shift"].to_numpy(object),
                "cell_x": np.floor(part["easting"].to_numpy(float) / self.cell_m).astype(np.int64),
                "cell_y": np.floor(part["northing"].to_numpy(float) / self.cell_m).astype(np.int64),
                "with_actual": 1,
                "actual_missed": missed.astype(np.int64),
                "missed_model_expected_in_time": (missed & modelled_in_time).astype(np.int64),
                "missed_model_expected_miss": (missed & ~modelled_in_time).astype(np.int64),
            }
        )
        self._parts.append(self._sum(counts))
        if len(self._parts) > 8:
            self._parts = [self._sum(pd.concat(self._parts, ignore_index=True))]

    @staticmethod
    def _sum(counts: pd.DataFrame) -> pd.DataFrame:
        return counts.groupby(["grade", "shift", "cell_x", "cell_y"], as_index=False, sort=True)[
            list(MISS_COUNTS)
        ].sum()

    def table(self) -> pd.DataFrame:
        """One row per grade, shift and cell with any actual time: counts and the cell centre (``x_m, y_m``)."""
        if not self._parts:
            return pd.DataFrame(columns=["grade", "shift", "cell_x", "cell_y", *MISS_COUNTS, "x_m", "y_m"])
        table = self._sum(pd.concat(self._parts, ignore_index=True))
        return table.assign(
            x_m=(table["cell_x"] + 0.5) * self.cell_m,
            y_m=(table["cell_y"] + 0.5) * self.cell_m,
        )
