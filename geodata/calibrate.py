"""Calibrate the modelled network's speeds against the reference times.

Only the calibration hospitals (Royal Stoke, New Cross, Royal Derby,
Leighton and Sandwell) are used; the held-out hospitals and inter-hospital
times are never seen here. The objective is the mean absolute error of
``offset + road time`` against the reference for LSOA pairs up to 60 min,
with the offset (the reference's fixed, non-driving part) set to the median
residual. The scale is held at 1 during calibration, because the reference
is normal car driving like the network; ``validate`` then fits offset and
scale freely and reports both, so a scale far from 1 would expose a
mis-calibrated network. Every speed stays inside :data:`SPEED_BOUNDS`.

Run with ``python -m geodata.calibrate`` (part of ``make data``); it writes
``geodata/data/modelled_network_params.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import scipy.optimize
import scipy.sparse.csgraph

from geodata import embedded
from geodata.matrix import snap_points
from geodata.modelled import (
    PARAMS_FILE,
    SPEED_BOUNDS,
    ModelledGeometry,
    ModelledSpeeds,
    build_modelled_geometry,
    network_from_geometry,
)

log = logging.getLogger(__name__)

#: Largest reference time of the pairs calibrated on, minutes.
CALIBRATION_MAX_REFERENCE_MIN = 60.0


@dataclass(frozen=True)
class CalibrationPairs:
    """Calibration pairs as node indices of the modelled geometry."""

    hospital_node: np.ndarray  # (h,) node of each calibration hospital
    pair_hospital: np.ndarray  # (p,) position in hospital_node
    pair_node: np.ndarray  # (p,) node of the LSOA point
    reference_min: np.ndarray  # (p,)


@dataclass(frozen=True)
class CalibrationResult:
    """Calibrated speeds with the objective before and after."""

    speeds: ModelledSpeeds
    offset_min: float
    mae_before_min: float
    mae_after_min: float
    evaluations: int


def calibration_pairs(geometry: ModelledGeometry) -> CalibrationPairs:
    """LSOA-to-calibration-hospital pairs up to 60 min, snapped to the geometry's local nodes."""
    network = network_from_geometry(geometry, ModelledSpeeds())
    hospitals = embedded.load_hospitals()
    hospitals = hospitals[hospitals["role"] == "calibration"].reset_index(drop=True)
    lsoas = embedded.load_lsoas()
    pairs = embedded.load_reference_lsoa_times()
    pairs = pairs[pairs["hospital"].isin(hospitals["postcode"])]
    pairs = pairs[pairs["reference_min"] <= CALIBRATION_MAX_REFERENCE_MIN]
    hospital_points = snap_points(
        network,
        hospitals["postcode"].to_numpy(),
        hospitals["easting"].to_numpy(float),
        hospitals["northing"].to_numpy(float),
    )
    lsoa_points = snap_points(
        network,
        lsoas["lsoa_code"].to_numpy(),
        lsoas["pc_centroid_e"].to_numpy(float),
        lsoas["pc_centroid_n"].to_numpy(float),
    )
    lsoa_node = dict(zip(lsoa_points.ids, lsoa_points.node_index, strict=True))
    hospital_position = {code: i for i, code in enumerate(hospitals["postcode"])}
    return CalibrationPairs(
        hospital_node=hospital_points.node_index,
        pair_hospital=pairs["hospital"].map(hospital_position).to_numpy(np.int64),
        pair_node=pairs["lsoa_code"].map(lsoa_node).to_numpy(np.int64),
        reference_min=pairs["reference_min"].to_numpy(float),
    )


def calibration_error(
    geometry: ModelledGeometry, pairs: CalibrationPairs, speeds: ModelledSpeeds
) -> tuple[float, float]:
    """Mean absolute error (minutes) of ``offset + road time`` and the fitted offset."""
    network = network_from_geometry(geometry, speeds)
    times_s = scipy.sparse.csgraph.dijkstra(network.csgraph, directed=True, indices=pairs.hospital_node)
    road_min = times_s[pairs.pair_hospital, pairs.pair_node] / 60.0
    residual = pairs.reference_min - road_min
    offset = float(np.median(residual))
    return float(np.mean(np.abs(residual - offset))), offset


def calibrate(
    geometry: ModelledGeometry, *, start: ModelledSpeeds | None = None, max_evaluations: int = 400
) -> CalibrationResult:
    """Fit the speeds in :data:`SPEED_BOUNDS` to the calibration pairs (bounded Powell search).

    Parameters
    ----------
    geometry
        The modelled geometry to calibrate.
    start
        Speeds the search starts from; parameters not in :data:`SPEED_BOUNDS`
        (the density thresholds) are kept as given.
    max_evaluations
        Largest number of objective evaluations.
    """
    start = start if start is not None else ModelledSpeeds()
    pairs = calibration_pairs(geometry)
    names = list(SPEED_BOUNDS)
    evaluations = 0

    def objective(vector: np.ndarray) -> float:
        nonlocal evaluations
        evaluations += 1
        return calibration_error(geometry, pairs, _speeds_from(start, names, vector))[0]

    before = calibration_error(geometry, pairs, start)[0]
    found = scipy.optimize.minimize(
        objective,
        x0=np.array([getattr(start, name) for name in names]),
        method="Powell",
        bounds=[SPEED_BOUNDS[name] for name in names],
        options={"maxfev": max_evaluations, "xtol": 0.05, "ftol": 1e-4},
    )
    best = _speeds_from(start, names, found.x)
    after, offset = calibration_error(geometry, pairs, best)
    log.info("calibration: MAE %.3f -> %.3f min in %d evaluations; offset %.2f min", before, after, evaluations, offset)
    return CalibrationResult(best, round(offset, 3), round(before, 4), round(after, 4), evaluations)


def _speeds_from(start: ModelledSpeeds, names: list[str], vector: np.ndarray) -> ModelledSpeeds:
    values = {name: round(float(np.clip(v, *SPEED_BOUNDS[name])), 3) for name, v in zip(names, vector, strict=True)}
    return replace(start, **values)


def write_params(result: CalibrationResult, path: Path = PARAMS_FILE) -> None:
    """Store the calibrated speeds and how they were obtained."""
    payload = {
        "speeds": asdict(result.speeds),
        "calibration": {
            "hospitals": "calibration role in hospitals.csv (5 hospitals); held-out hospitals never used",
            "max_reference_min": CALIBRATION_MAX_REFERENCE_MIN,
            "objective": "MAE of (median offset + road time) vs reference, LSOA pairs",
            "offset_min": result.offset_min,
            "mae_before_min": result.mae_before_min,
            "mae_after_min": result.mae_after_min,
            "evaluations": result.evaluations,
            "bounds": SPEED_BOUNDS,
        },
    }
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (part of ``make data``)."""
    parser = argparse.ArgumentParser(description="Calibrate the modelled network's speeds.")
    parser.add_argument("--max-evaluations", type=int, default=400)
    parser.add_argument("--out", type=Path, default=PARAMS_FILE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = calibrate(build_modelled_geometry(), max_evaluations=args.max_evaluations)
    write_params(result, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
