"""Seeded synthetic instances shaped like a county, for tests and benchmarks.

Demand nodes and candidates lie in a unit square, mostly around a few towns,
some scattered; bases sit in towns. Response time grows with straight-line
distance times a per-pair detour factor, mapped piecewise linearly so that on
average a demand node has ``grade1_density`` of the candidates within the
Grade 1 target and ``grade2_density`` within the Grade 2 target (the 15/60 min
densities measured on the county are about 2 % and 22 %).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from models.instance import GRADE1_TARGET_S, GRADE2_TARGET_S, CoverageInstance, response_matrix_from_pairs

#: Detour factors (road distance / straight distance) are drawn from this range.
DETOUR_RANGE = (1.1, 1.5)


def _points(rng: np.random.Generator, n: int, towns: np.ndarray, clustered_share: float) -> np.ndarray:
    clustered = rng.random(n) < clustered_share
    centre = towns[rng.integers(0, towns.shape[0], size=n)]
    spread = rng.uniform(0.01, 0.05, size=(n, 1))
    near = np.clip(centre + rng.normal(size=(n, 2)) * spread, 0.0, 1.0)
    return np.where(clustered[:, None], near, rng.random((n, 2)))


def _radii(
    rng: np.random.Generator, demand: np.ndarray, sites: np.ndarray, densities: tuple[float, float]
) -> np.ndarray:
    """Road distances whose empirical cover shares are ``densities``."""
    i = rng.integers(0, demand.shape[0], size=20000)
    j = rng.integers(0, sites.shape[0], size=20000)
    road = np.linalg.norm(demand[i] - sites[j], axis=1) * rng.uniform(*DETOUR_RANGE, size=i.size)
    return np.quantile(road, densities)


def _times(
    rng: np.random.Generator, origins: np.ndarray, destinations: np.ndarray, radii: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin index, destination index, seconds) of pairs within the Grade 2 target."""
    pairs = cKDTree(origins).query_ball_tree(cKDTree(destinations), r=float(radii[1]))
    rows = np.repeat(np.arange(origins.shape[0]), [len(p) for p in pairs])
    cols = np.fromiter((c for p in pairs for c in p), dtype=np.int64, count=rows.size)
    road = np.linalg.norm(origins[rows] - destinations[cols], axis=1) * rng.uniform(*DETOUR_RANGE, size=rows.size)
    seconds = np.where(
        road <= radii[0],
        GRADE1_TARGET_S * road / radii[0],
        GRADE1_TARGET_S + (GRADE2_TARGET_S - GRADE1_TARGET_S) * (road - radii[0]) / (radii[1] - radii[0]),
    )
    keep = seconds <= GRADE2_TARGET_S
    return rows[keep], cols[keep], np.round(seconds[keep])


def random_instance(
    rng: np.random.Generator,
    *,
    n_demand: int,
    n_candidates: int,
    n_bases: int,
    locations: int | list[int],
    grade1_density: float = 0.02,
    grade2_density: float = 0.22,
    max_base_travel_s: float = 1800.0,
    n_groups: int = 0,
    n_towns: int = 12,
) -> CoverageInstance:
    """Draw a random county-like instance.

    Parameters
    ----------
    rng
        Seeded generator (``np.random.default_rng(seed)``).
    n_demand, n_candidates, n_bases
        Sizes.
    locations
        Locations per base (one number for every base, or one per base).
    grade1_density, grade2_density
        Mean share of candidates within the Grade 1 / Grade 2 target of a demand node.
    max_base_travel_s
        Largest base-to-location time, seconds.
    n_groups
        Number of demand groups (local authorities, Voronoi cells of random points); 0 = none.
    n_towns
        Number of towns demand clusters around.

    Returns
    -------
    CoverageInstance
    """
    towns = rng.random((n_towns, 2)) * 0.8 + 0.1
    demand_xy = _points(rng, n_demand, towns, 0.7)
    candidate_xy = _points(rng, n_candidates, towns, 0.6)
    base_xy = towns[rng.choice(n_towns, size=n_bases, replace=n_bases > n_towns)]
    radii = _radii(rng, demand_xy, candidate_xy, (grade1_density, grade2_density))
    weight1 = rng.lognormal(0.0, 1.0, size=n_demand) * np.where(_near_town(demand_xy, towns), 3.0, 1.0)
    weight2 = weight1 * rng.uniform(2.0, 4.0, size=n_demand)
    cand = _times(rng, demand_xy, candidate_xy, radii)
    base = _times(rng, demand_xy, base_xy, radii)
    travel = np.full((n_bases, n_candidates), np.inf)
    b, j, t = _times(rng, base_xy, candidate_xy, radii)
    travel[b, j] = t
    per_base = np.broadcast_to(np.asarray(locations), (n_bases,)).astype(np.int64)
    groups = None
    if n_groups:
        seeds = rng.random((n_groups, 2))
        groups = tuple(f"LA{k}" for k in cKDTree(seeds).query(demand_xy)[1])
    return CoverageInstance(
        grade1_demand=weight1,
        grade2_demand=weight2,
        candidate_response_s=response_matrix_from_pairs(*cand, shape=(n_demand, n_candidates)),
        base_response_s=response_matrix_from_pairs(*base, shape=(n_demand, n_bases)),
        base_to_candidate_time_s=travel,
        max_base_travel_s=np.full(n_bases, max_base_travel_s),
        locations_per_base=per_base,
        units_per_base=per_base + 2,
        demand_group=groups,
    )


def _near_town(points: np.ndarray, towns: np.ndarray) -> np.ndarray:
    return cKDTree(towns).query(points)[0] < 0.05
