"""Small seeded random instances and a brute-force oracle for them."""

from __future__ import annotations

import itertools
import math

import numpy as np

from models.evaluate import score_plan
from models.instance import CoverageInstance, CoverageParams, response_matrix_from_pairs


def _sparse_times(rng: np.random.Generator, shape: tuple[int, int], zero_share: float = 0.05):
    times = rng.uniform(0.0, 6000.0, size=shape)
    times[rng.random(shape) < zero_share] = 0.0
    rows, cols = np.nonzero(times <= 3600.0)
    return response_matrix_from_pairs(rows, cols, times[rows, cols], shape=shape)


def tiny_instance(
    rng: np.random.Generator,
    *,
    n_demand: int = 12,
    n_candidates: int = 7,
    locations: tuple[int, ...] = (2, 1),
    groups: int = 0,
) -> CoverageInstance:
    """Random demand and times (with some 0 s entries); each base may use a random ~70 % of candidates."""
    n_bases = len(locations)
    while True:
        travel = rng.uniform(0.0, 1000.0, size=(n_bases, n_candidates))
        travel[rng.random(travel.shape) < 0.3] = np.inf
        if all((np.isfinite(travel[b]).sum() >= locations[b]) for b in range(n_bases)):
            break
    labels = tuple(f"G{k}" for k in rng.integers(0, groups, size=n_demand)) if groups else None
    return CoverageInstance(
        grade1_demand=np.round(rng.exponential(5.0, size=n_demand), 3),
        grade2_demand=np.round(rng.exponential(5.0, size=n_demand), 3),
        candidate_response_s=_sparse_times(rng, (n_demand, n_candidates)),
        base_response_s=_sparse_times(rng, (n_demand, n_bases)),
        base_to_candidate_time_s=travel,
        max_base_travel_s=np.full(n_bases, 1000.0),
        locations_per_base=np.array(locations),
        units_per_base=np.array(locations) + 1,
        demand_group=labels,
    )


def _assignments(instance: CoverageInstance, fixed: dict[int, int]):
    """Every {candidate: base} with exactly p_b eligible candidates per base and the fixed pairs."""
    eligible = instance.eligibility()
    bases = list(range(instance.n_bases))

    def extend(b: int, used: frozenset[int], plan: dict[int, int]):
        if b == len(bases):
            yield dict(plan)
            return
        own = [j for j, base in fixed.items() if base == b]
        pool = [j for j in np.flatnonzero(eligible[b]) if j not in used and j not in fixed]
        for extra in itertools.combinations(pool, int(instance.locations_per_base[b]) - len(own)):
            chosen = own + list(extra)
            yield from extend(b + 1, used | set(chosen), {**plan, **{j: b for j in chosen}})

    yield from extend(0, frozenset(fixed), {})


def brute_force(instance: CoverageInstance, params: CoverageParams) -> tuple[float, ...]:
    """Lexicographically best level values over every feasible plan (floors and max_changes respected)."""
    best: tuple[float, ...] | None = None
    for plan in _assignments(instance, dict(params.fixed_sites or {})):
        sites, bases = list(plan), list(plan.values())
        if not _meets_settings(instance, params, sites, bases):
            continue
        values = tuple(score_plan(instance, sites, bases, params).values())
        key = tuple(round(v, 7) for v in values)
        if best is None or key > tuple(round(v, 7) for v in best):
            best = values
    if best is None:
        raise ValueError("no feasible plan")
    return best


def _meets_settings(instance: CoverageInstance, params: CoverageParams, sites: list[int], bases: list[int]) -> bool:
    from models.evaluate import below_floor, evaluate_plan, kept_pairs

    if params.max_changes is not None:
        dropped = len(params.current_plan or {}) - kept_pairs(sites, bases, params.current_plan)
        if dropped > params.max_changes:
            return False
    if params.equity_floor_share:
        shares = evaluate_plan(instance, sites).grade1_share_by_group(instance.demand_group)
        return not any(below_floor(shares.get(g, math.nan), f) for g, f in params.equity_floor_share.items())
    return True


def best_group_share(instance: CoverageInstance, group: str) -> float:
    """Largest covered Grade 1 share of ``group`` over every feasible plan."""
    from models.evaluate import evaluate_plan

    return max(
        evaluate_plan(instance, list(plan)).grade1_share_by_group(instance.demand_group)[group]
        for plan in _assignments(instance, {})
    )


def eligible_current_plan(instance: CoverageInstance, rng: np.random.Generator) -> dict[int, int]:
    """A random current plan: each base keeps up to p_b distinct eligible candidates."""
    plan: dict[int, int] = {}
    for b in range(instance.n_bases):
        pool = [j for j in np.flatnonzero(instance.eligibility()[b]) if j not in plan]
        for j in rng.permutation(pool)[: instance.locations_per_base[b]]:
            plan[int(j)] = b
    return plan


# --------------------------------------------------------------------------- budget problems (models.budget)


def assignable(instance: CoverageInstance, sites: tuple[int, ...]) -> bool:
    """Whether the sites can each be tied to an eligible base, at most units_per_base[b] per base (by search)."""
    eligible = instance.eligibility()
    room = [int(u) for u in instance.units_per_base]

    def place(k: int) -> bool:
        if k == len(sites):
            return True
        for b in np.flatnonzero(eligible[:, sites[k]]):
            if room[b] > 0:
                room[b] -= 1
                if place(k + 1):
                    return True
                room[b] += 1
        return False

    return place(0)


def _site_sets(instance: CoverageInstance, most: int):
    """Every assignable set of at most ``most`` candidates (bases ignored: any valid tie scores the same)."""
    usable = [j for j in range(instance.n_candidates) if instance.eligibility()[:, j].any()]
    for size in range(min(most, len(usable)) + 1):
        for sites in itertools.combinations(usable, size):
            if assignable(instance, sites):
                yield sites


def brute_force_budget(instance: CoverageInstance, params: CoverageParams, total: int) -> tuple[float, ...]:
    """Lexicographically best level values over every assignable set of at most ``total`` sites (no pair settings)."""
    best: tuple[float, ...] | None = None
    for sites in _site_sets(instance, total):
        values = tuple(score_plan(instance, list(sites), [0] * len(sites), params).values())
        if best is None or tuple(round(v, 7) for v in values) > tuple(round(v, 7) for v in best):
            best = values
    assert best is not None
    return best


def expected_share(instance: CoverageInstance, sites, busy_fraction: float | None, levels: int = 3) -> float:
    """Travel-only (``busy_fraction=None``) or MEXCLP expected Grade 1 share of a set of sites."""
    from models.evaluate import evaluate_plan

    coverage = evaluate_plan(instance, list(sites))
    if busy_fraction is None:
        return coverage.grade1_covered_share
    return coverage.grade1_expected_demand(busy_fraction, levels=levels) / float(instance.grade1_demand.sum())


def brute_force_min_locations(
    instance: CoverageInstance, target: float, busy_fraction: float | None
) -> tuple[int, bool, float]:
    """(fewest sites, reached, share): fewest assignable sites reaching ``target``, else fewest at the best share."""
    by_size: dict[int, float] = {}
    for sites in _site_sets(instance, instance.n_candidates):
        share = expected_share(instance, sites, busy_fraction)
        by_size[len(sites)] = max(by_size.get(len(sites), -1.0), share)
    for size in sorted(by_size):
        if by_size[size] >= target - 1e-12:
            return size, True, by_size[size]
    best = max(by_size.values())
    size = min(k for k, share in by_size.items() if share >= best - 1e-12)
    return size, False, best
