"""The work behind the CLI subcommands, callable without the command line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geodata import embedded
from geodata.atomic import atomic_path
from geodata.errors import InputDataError
from geodata.matrix import SnappedPoints, snap_points, travel_time_matrix
from geodata.matrix_cache import cached_travel_time_matrix, default_cache_dir
from geodata.network import RoadNetwork
from geodata.osm import save_graphml
from geodata.points import read_points
from geodata.validation import ValidationReport, validate_network
from optimiser.progress import terminal_progress

log = logging.getLogger(__name__)

#: Road-time thresholds of the base-to-LSOA summary, minutes.
SUMMARY_THRESHOLDS_MIN = (15.0, 60.0)


def validate(network: RoadNetwork, *, seed: int = 0) -> ValidationReport:
    """Validate ``network`` against the reference times (see :mod:`geodata.validation`)."""
    return validate_network(network, seed=seed)


def save_network(network: RoadNetwork, out_path: str | Path) -> None:
    """Save ``network`` as GraphML (atomically)."""
    save_graphml(network, out_path)
    log.info("saved %r to %s", network, out_path)


def matrix_to_csv(
    network: RoadNetwork,
    *,
    origins_path: str | Path,
    destinations_path: str | Path,
    out_path: str | Path,
    cutoff_s: float,
    speed_factor: float = 1.0,
    max_snap_m: float = 2000.0,
    workers: int = 1,
    use_cache: bool = True,
) -> str:
    """Read two point files, compute the travel-time matrix and write it as CSV.

    Returns
    -------
    str
        A one-line summary of what was written.
    """
    network = network.with_speed_factor(speed_factor)
    origins = read_and_snap(network, origins_path, max_snap_m=max_snap_m)
    destinations = read_and_snap(network, destinations_path, max_snap_m=max_snap_m)
    started = time.perf_counter()
    with progress_bar("travel times", total=len(origins.ids)) as advance:
        if use_cache:
            matrix = cached_travel_time_matrix(
                network,
                origins,
                destinations,
                cutoff_s=cutoff_s,
                cache_dir=default_cache_dir(),
                workers=workers,
                progress=advance,
            )
        else:
            matrix = travel_time_matrix(
                network, origins, destinations, cutoff_s=cutoff_s, workers=workers, progress=advance
            )
    with atomic_path(out_path) as temporary:
        matrix.to_frame().to_csv(temporary, index=False, float_format="%.1f")
    largest_snap_m = max(origins.snap_distance_m.max(initial=0), destinations.snap_distance_m.max(initial=0))
    return (
        f"wrote {matrix.n_pairs:,} pairs ({len(origins.ids):,} origins x {len(destinations.ids):,} destinations "
        f"within {cutoff_s / 60:g} min) to {out_path} in {time.perf_counter() - started:.1f} s; "
        f"largest snap {largest_snap_m:,.0f} m"
    )


def read_and_snap(network: RoadNetwork, path: str | Path, *, max_snap_m: float) -> SnappedPoints:
    """Read a point file in the network's CRS and snap its points to the network."""
    points = read_points(path, crs=network.crs, postcode_lookup=embedded.lookup_postcodes)
    if points.empty:
        raise InputDataError("has no points; give at least 1 row with an id and a location", source=str(path))
    return snap_points(
        network,
        points["id"].to_numpy(),
        points["x_m"].to_numpy(float),
        points["y_m"].to_numpy(float),
        max_snap_m=max_snap_m,
        source=str(path),
    )


@contextmanager
def progress_bar(description: str, *, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr, silent when stderr is not a terminal; yields ``update(done)``."""
    progress = terminal_progress()
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.update(task, completed=done)


@dataclass(frozen=True)
class BaseSummary:
    """Road time from the nearest base to each LSOA, for one base configuration."""

    configuration: str
    bases: int
    population_share_within: dict[float, float]
    median_min: float
    p90_min: float


def base_to_lsoa_summary(network: RoadNetwork) -> list[BaseSummary]:
    """Road time (normal driving, no mobilisation) from the nearest base to each LSOA, per configuration.

    This is a travel-time summary of the matrix, not a response-time
    estimate: there is no blue-light factor, mobilisation delay or unit
    availability in it.
    """
    bases = embedded.load_bases()
    lsoas = embedded.load_lsoas()
    origins = snap_points(
        network,
        bases["name"].to_numpy(),
        bases["easting"].to_numpy(float),
        bases["northing"].to_numpy(float),
        source="bases.csv",
    )
    targets = snap_points(
        network,
        lsoas["lsoa_code"].to_numpy(),
        lsoas["pc_centroid_e"].to_numpy(float),
        lsoas["pc_centroid_n"].to_numpy(float),
        source="lsoas.geojson",
    )
    times_min = travel_time_matrix(network, origins, targets, cutoff_s=120 * 60.0).to_dense() / 60.0
    persons = lsoas["persons"].to_numpy(float)
    summaries = []
    for label, column in (("2018 hubs", "hub_2018"), ("2022 LPT bases", "lpt_2022")):
        nearest = times_min[bases[column].to_numpy(bool)].min(axis=0)
        shares = {t: float(persons[nearest <= t].sum() / persons.sum()) for t in SUMMARY_THRESHOLDS_MIN}
        summaries.append(
            BaseSummary(
                label, int(bases[column].sum()), shares, float(np.median(nearest)), float(np.percentile(nearest, 90))
            )
        )
    return summaries
