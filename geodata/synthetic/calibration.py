"""Fit the synthetic attendance waits so that the draws meet the published 2018 figures."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from scipy.optimize import brentq

from geodata.errors import InputDataError
from geodata.synthetic.attendance import (
    PUBLISHED_2018,
    AttendanceParams,
    GradeAttendance,
    PublishedAttendance,
    attendance_draws,
    base_distance_m,
    mobilisation_and_travel_s,
)
from geodata.synthetic.draw import SyntheticIncidentParams, synthetic_incidents

log = logging.getLogger(__name__)

#: Rows drawn to calibrate the attendance model.
CALIBRATION_N = 1_000_000


def calibrate_attendance(
    params: SyntheticIncidentParams | None = None,
    *,
    targets: tuple[PublishedAttendance, ...] = PUBLISHED_2018,
    n: int = CALIBRATION_N,
) -> AttendanceParams:
    """Fit each grade's wait probability and mean wait so the synthetic attendance meets published figures.

    For each target grade, with mobilisation and travel fixed by
    ``params.attendance_model``: the mean wait follows from the published mean
    (``wait_mean = (published mean - mean(mobilisation + travel)) / share waiting``),
    and the wait probability is the root (Brent's method) of *share within target
    minus the published share*, on ``n`` incidents drawn with ``params.seed``
    and one fixed set of random numbers (common random numbers).

    Returns
    -------
    AttendanceParams
        ``params.attendance_model`` with the calibrated ``wait_probability`` and ``wait_mean_s``.

    Raises
    ------
    InputDataError
        If mobilisation and travel alone already miss a published mean or
        share, so no wait can meet it: the message says which assumption to change.
    """
    params = params or SyntheticIncidentParams()
    draw = dataclasses.replace(params, n=n, grade3_share=0.0, attendance=False)
    frame = synthetic_incidents(draw)
    draws = attendance_draws(np.random.default_rng(params.seed), len(frame))
    model = params.attendance_model
    distance_m = base_distance_m(frame["easting"].to_numpy(float), frame["northing"].to_numpy(float), model.bases)
    fitted: dict[int, GradeAttendance] = {}
    for target in targets:
        rows = np.flatnonzero(frame["grade"].to_numpy() == target.grade)
        before_wait = mobilisation_and_travel_s(distance_m[rows], draws.mobilisation_z[rows], model, target.grade)
        fitted[target.grade] = _fit_wait(
            before_wait, draws.wait_u[rows], draws.wait_e[rows], target, model.for_grade(target.grade)
        )
    calibrated = dataclasses.replace(model, grade1=fitted.get(1, model.grade1), grade2=fitted.get(2, model.grade2))
    log.info("calibrated synthetic attendance on %s incidents: %s", f"{len(frame):,}", calibrated)
    return calibrated


def _fit_wait(
    before_wait_s: np.ndarray,
    wait_u: np.ndarray,
    wait_e: np.ndarray,
    target: PublishedAttendance,
    assumptions: GradeAttendance,
) -> GradeAttendance:
    """The wait probability and mean meeting ``target``'s mean exactly and its share within target."""
    source = f"attendance calibration, Grade {target.grade}"
    gap_s = target.mean_s - before_wait_s.mean()
    if gap_s <= 0:
        raise InputDataError(
            f"mobilisation and travel alone average {before_wait_s.mean() / 60:.1f} min, above the published mean "
            f"{target.mean_s / 60:.1f} min; raise speed_kph or lower circuity",
            source=source,
        )

    def wait_mean_s(probability: float) -> float:
        return gap_s / max(float(np.mean((wait_u < probability) * wait_e)), 1e-12)

    def excess_share(probability: float) -> float:
        attendance = before_wait_s + (wait_u < probability) * wait_e * wait_mean_s(probability)
        return float(np.mean(attendance <= target.target_s)) - target.within_target_share

    low, high = 1e-4, 1.0
    if excess_share(low) < 0 or excess_share(high) > 0:
        raise InputDataError(
            f"no wait meets {target.within_target_share:.0%} within {target.target_s / 60:.0f} min: mobilisation and "
            f"travel alone give {np.mean(before_wait_s <= target.target_s):.1%}; change speed_kph or circuity",
            source=source,
        )
    probability = float(brentq(excess_share, low, high, xtol=1e-5))
    return dataclasses.replace(assumptions, wait_probability=probability, wait_mean_s=float(wait_mean_s(probability)))
