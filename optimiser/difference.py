"""Where Grade 1 cover differs between two plans: demand gained and lost, node by node.

Both plans' demand layers (see :func:`optimiser.plan_output.demand_layer`)
are matched on ``node_id`` and ``shift``. A node is *gained* when plan B
covers it within the Grade 1 target in some shift where plan A does not, and
never the other way round; *lost* is the reverse; *mixed* when both happen
in different shifts. Nodes and shifts with no Grade 1 demand are left out.
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
#: Columns of the difference layer, as the comparison page expects them.
DIFFERENCE_COLUMNS = COMPARISON_COLUMNS["difference"]


def cover_difference(first: pd.DataFrame, second: pd.DataFrame) -> gpd.GeoDataFrame:
    """Demand nodes whose Grade 1 cover differs from ``first`` to ``second``.

    Parameters
    ----------
    first, second
        Demand layers with ``node_id, shift, la_name, grade1_per_year,
        covered_grade1, x_m, y_m`` (BNG), one row per node and shift.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per changed node (:data:`DIFFERENCE_COLUMNS`): Grade 1 demand a
        year newly covered (``second``'s demand) and no longer covered
        (``first``'s), and the shifts in which each happens. Points in BNG.
    """
    columns = [*KEYS, "grade1_per_year", "covered_grade1"]
    merged = first[[*columns, "la_name", "x_m", "y_m"]].merge(
        second[columns], on=KEYS, how="inner", suffixes=("_a", "_b"), validate="one_to_one"
    )
    _log_unmatched(first, second, len(merged))
    covered_a = merged["covered_grade1_a"].to_numpy(bool)
    covered_b = merged["covered_grade1_b"].to_numpy(bool)
    merged["gained"] = np.where(covered_b & ~covered_a, merged["grade1_per_year_b"], 0.0)
    merged["lost"] = np.where(covered_a & ~covered_b, merged["grade1_per_year_a"], 0.0)
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
