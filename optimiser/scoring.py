"""Score incidents against a plan's response model: vectorised, one chunk at a time.

Each incident is snapped to its nearest road node and given the shift its
hour falls in. The responding site is the fastest open site of that shift
(a deployment location of the shift, or a base); the modelled response time
is the plan's mobilisation delay plus the blue-light travel time. Grade 1 and
2 incidents are within target or not, the target being the plan's
standard's for the incident's area class (urban or rural, from the LSOA it
lies in); when missed, the reason says why:

* ``beyond_every_base_reach``: the incident lies beyond every base's reach,
  so no deployment location may be placed near it;
* ``no_site_within_target``: the fastest open site is slower than the target;
* ``no_route``: no open site reaches it on the network.

Grade 3 incidents are scored for time but have no target. ``1 - q**count``
(``q`` the shift's estimated busy fraction, ``count`` the open sites within
the Grade 1 target) is the chance a *free* car is within the Grade 1 target,
under the same availability assumption as the optimiser (MEXCLP).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.matrix import nearest_nodes
from models.response import expected_cover, response_time_s
from optimiser.response_model import ResponseModel

REASONS = ("beyond_every_base_reach", "no_site_within_target", "no_route")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Value of the time-of-day columns when the file gives only a date (police.uk months).
UNKNOWN = "unknown"


#: Input columns copied to the per-incident output when the file has them.
PASSED_THROUGH = ("crime_type", "source")


def hour_to_shift(model: ResponseModel) -> np.ndarray:
    """Shift name of each hour 0..23."""
    return model.response.shift_of_hour()


def far_from_road(model: ResponseModel, valid: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest node and snap distance of each row, and which rows are farther than the plan's ``max_snap_m``."""
    node, snap_m = nearest_nodes(model.network, valid["x_m"].to_numpy(float), valid["y_m"].to_numpy(float))
    return node, snap_m, snap_m > model.plan.settings.network.max_snap_m


def score_chunk(
    model: ResponseModel,
    valid: pd.DataFrame,
    node: np.ndarray,
    snap_m: np.ndarray,
    *,
    timed: bool,
    untimed_shift: str,
) -> pd.DataFrame:
    """Score the rows of one chunk (``id, line, grade, timestamp, x_m, y_m, actual_response_s``).

    The chunk's ``crime_type`` (police.uk) and ``source`` (row label, e.g.
    ``synthetic``) columns, when present, are copied to the output.

    Parameters
    ----------
    timed
        Whether timestamps carry a time of day; if not, every row is scored in ``untimed_shift``.
    """
    n = len(valid)
    timestamp = pd.to_datetime(valid["timestamp"])
    shift = hour_to_shift(model)[timestamp.dt.hour.to_numpy()] if timed else np.full(n, untimed_shift, dtype=object)
    travel_s = np.full(n, np.inf)
    site = np.full(n, -1, dtype=np.int64)
    count = np.zeros(n, dtype=np.int16)
    busy = np.ones(n)
    for name, lookup in model.shifts.items():
        rows = shift == name
        travel_s[rows] = lookup.travel_s[node[rows]]
        site[rows] = lookup.site[node[rows]]
        count[rows] = lookup.grade1_site_count[node[rows]]
        busy[rows] = model.busy_fraction.get(name, np.nan)
    grade = valid["grade"].to_numpy(np.int8)
    response = model.response
    response_s = response_time_s(response.mobilisation_s, travel_s)
    area_class = model.area_class[node]
    target_s = np.select(
        [grade == 1, grade == 2], [response.targets_s(1, area_class), response.targets_s(2, area_class)], np.nan
    )
    within = pd.array(np.where(np.isnan(target_s), pd.NA, response_s <= target_s), dtype="boolean")
    sites = model.sites
    reached = site >= 0
    actual_s = valid["actual_response_s"].to_numpy(float)
    frame = pd.DataFrame(
        {
            "incident_id": valid["id"].to_numpy(object),
            "line": valid["line"].to_numpy(np.int64),
            "grade": grade,
            "timestamp": timestamp.to_numpy().astype("datetime64[s]"),
            "shift": shift,
            "hour": pd.array(timestamp.dt.hour.to_numpy() if timed else np.full(n, pd.NA), dtype="Int8"),
            "easting": valid["x_m"].to_numpy(float).round(1),
            "northing": valid["y_m"].to_numpy(float).round(1),
            "snapped_easting": model.network.x_m[node].round(1),
            "snapped_northing": model.network.y_m[node].round(1),
            "snap_m": snap_m.round(1),
            "local_authority": model.local_authority[node],
            "area_class": area_class,
            "responding_site": np.where(reached, sites["site_id"].to_numpy(object)[site], ""),
            "responding_site_name": np.where(reached, sites["name"].to_numpy(object)[site], ""),
            "responding_kind": np.where(reached, sites["kind"].to_numpy(object)[site], ""),
            "responding_base": np.where(reached, sites["base"].to_numpy(object)[site], ""),
            "travel_time_s": np.where(reached, travel_s, np.nan).round(1),
            "response_time_s": np.where(reached, response_s, np.nan).round(1),
            "target_s": target_s,
            "within_target": within,
            "grade1_sites_within_target": pd.array(np.where(grade == 1, count, pd.NA), dtype="Int16"),
            "grade1_chance_free_car_within_target": np.where(grade == 1, expected_cover(busy, count), np.nan),
            "missed_reason": _missed_reason(model, node, within, reached),
            "actual_response_s": actual_s,
            "actual_within_target": pd.array(
                np.where(np.isnan(target_s) | np.isnan(actual_s), pd.NA, actual_s <= target_s), dtype="boolean"
            ),
            "modelled_minus_actual_s": (np.where(reached, response_s, np.nan) - actual_s).round(1),
        }
    )
    for label in PASSED_THROUGH:
        if label in valid.columns:
            frame[label] = valid[label].to_numpy(object)
    return frame


def _missed_reason(
    model: ResponseModel, node: np.ndarray, within: pd.arrays.BooleanArray, reached: np.ndarray
) -> np.ndarray:
    missed = (~within).fillna(False).to_numpy(bool)
    reason = np.select(
        [~reached, model.beyond_base_reach[node]],
        ["no_route", "beyond_every_base_reach"],
        "no_site_within_target",
    )
    return np.where(missed, reason, "").astype(object)
