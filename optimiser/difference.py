"""Where Grade 1 cover differs between two plans: demand gained and lost, node by node.

Both plans' demand layers (see :func:`optimiser.plan_output.demand_layer`)
are matched on ``node_id`` and ``shift``. For each node and shift, the Grade 1
incidents a year reached within target are ``demand x cover``, where cover is
0 or 1 travel only (``covered_grade1``) or, with busy cars, the chance a free
car is within target (``grade1_expected_cover``). A node is *gained* when
plan B reaches more than plan A in some shift and less in none; *lost* is the
reverse; *mixed* when both happen in different shifts. Unchanged nodes and
shifts are left out.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.crs import BNG
from maps.compare import REQUIRED_COLUMNS as COMPARISON_COLUMNS

log = logging.getLogger(__name__)

KEYS = ["node_id", "shift"]
#: Cover column of the demand layer for each measure.
MEASURE_COLUMNS = {"travel": "covered_grade1", "expected": "grade1_expected_cover"}
#: Changes smaller than this (Grade 1 incidents a year) are rounding, not a difference.
CHANGE_TOLERANCE = 1e-6
#: Columns of the difference layer, as the comparison page expects them.
DIFFERENCE_COLUMNS = COMPARISON_COLUMNS["difference"]


def cover_difference(first: pd.DataFrame, second: pd.DataFrame, *, measure: str = "travel") -> gpd.GeoDataFrame:
    """Demand nodes whose Grade 1 cover differs from ``first`` to ``second``.

    Parameters
    ----------
    first, second
        Demand layers with ``node_id, shift, la_name, grade1_per_year, x_m, y_m``
        (BNG) and the measure's cover column, one row per node and shift.
    measure
        ``"travel"`` (a free car at every site) or ``"expected"`` (with busy cars).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per changed node (:data:`DIFFERENCE_COLUMNS`): Grade 1
        incidents a year reached within target gained and lost, and the
        shifts in which each happens. Points in BNG.
    """
    if measure not in MEASURE_COLUMNS:
        raise ValueError(f"measure must be one of {', '.join(MEASURE_COLUMNS)}, got {measure!r}")
    cover = MEASURE_COLUMNS[measure]
    columns = [*KEYS, "grade1_per_year", cover]
    merged = first[[*columns, "la_name", "x_m", "y_m"]].merge(
        second[columns], on=KEYS, how="inner", suffixes=("_a", "_b"), validate="one_to_one"
    )
    _log_unmatched(first, second, len(merged))
    reached_a = merged["grade1_per_year_a"].to_numpy(float) * merged[f"{cover}_a"].to_numpy(float)
    reached_b = merged["grade1_per_year_b"].to_numpy(float) * merged[f"{cover}_b"].to_numpy(float)
    change = reached_b - reached_a
    merged["gained"] = np.where(change > CHANGE_TOLERANCE, change, 0.0)
    merged["lost"] = np.where(change < -CHANGE_TOLERANCE, -change, 0.0)
    changed = merged[(merged["gained"] > 0) | (merged["lost"] > 0)]
    nodes = changed.groupby("node_id", sort=True).agg(
        grade1_gained_per_year=("gained", "sum"),
        grade1_lost_per_year=("lost", "sum"),
        shifts_gained=("shift", lambda s: _shift_list(s, changed.loc[s.index, "gained"] > 0)),
        shifts_lost=("shift", lambda s: _shift_list(s, changed.loc[s.index, "lost"] > 0)),
        la_name=("la_name", "first"),
        x_m=("x_m", "first"),
        y_m=("y_m", "first"),
    )
    nodes = nodes.reset_index()
    gained, lost = nodes["grade1_gained_per_year"] > 0, nodes["grade1_lost_per_year"] > 0
    nodes["status"] = np.select([gained & lost, gained], ["mixed", "gained"], default="lost")
    frame = nodes[[*DIFFERENCE_COLUMNS, "x_m", "y_m"]]
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["x_m"], frame["y_m"]), crs=BNG)


def _shift_list(shifts: pd.Series, selected: pd.Series) -> str:
    return ", ".join(shifts[selected.to_numpy()].tolist())


def _log_unmatched(first: pd.DataFrame, second: pd.DataFrame, matched: int) -> None:
    unmatched = max(len(first), len(second)) - matched
    if unmatched:
        log.warning(
            "%d demand rows (node and shift) are in only one of the two plans (different demand settings); "
            "the difference covers the %d rows they share",
            unmatched,
            matched,
        )


def difference_totals(difference: pd.DataFrame) -> dict[str, float]:
    """Grade 1 demand a year gained and lost, and the number of nodes of each status."""
    counts = difference["status"].value_counts()
    return {
        "grade1_gained_per_year": float(difference["grade1_gained_per_year"].sum()),
        "grade1_lost_per_year": float(difference["grade1_lost_per_year"].sum()),
        **{f"nodes_{status}": int(counts.get(status, 0)) for status in ("gained", "lost", "mixed")},
    }
