"""Tiny hand-built instances with optima worked out by hand (see each docstring)."""

from __future__ import annotations

import dataclasses

import numpy as np

from models.instance import CoverageInstance, CoverageParams, response_matrix_from_pairs

INF = np.inf

#: Solver settings for exact answers on tiny instances.
EXACT = {"relative_gap": 0.0, "time_limit_s": 20.0}


def params(**overrides) -> CoverageParams:
    return CoverageParams(**{**EXACT, **overrides})


def matrix(times: dict[tuple[int, int], float], shape: tuple[int, int]):
    """Response CSR from {(node, site): seconds}; 0 s entries are kept."""
    rows, cols = zip(*times, strict=True) if times else ((), ())
    return response_matrix_from_pairs(list(rows), list(cols), list(times.values()), shape=shape)


def five_node_instance(*, locations: int = 1, groups: bool = False, c0_reachable: bool = True) -> CoverageInstance:
    """Five nodes, four candidates, one base ("Hanley").

    Grade 1 (<= 900 s) and Grade 2 (<= 3600 s) cover sets::

        base : G1 {4}      G2 {3, 4}
        c0   : G1 {0} (0 s, same node)   G2 {0}
        c1   : G1 {1}      G2 {0, 1, 2}
        c2   : G1 {2, 3}   G2 {2, 3}
        c3   : G1 {}       G2 {0, 1, 2}

    w1 = [10, 8, 6, 4, 2], w2 = [5, 5, 7, 5, 5].

    p = 1, ranked: c0 and c2 tie on G1 (10 + base 2 = 12); G2 picks c2 (17 against 15).
    p = 1, weighted (1, 1): c1 wins (10 + 27 = 37 against 29 for c2).
    p = 2, ranked: {c0, c2}, G1 = 22, G2 = 22.
    Groups (``groups=True``): nodes 0, 1 -> "A" (G1 demand 18), nodes 2, 3, 4 -> "B".
    """
    times = {
        (0, 0): 0.0,
        (1, 1): 600.0, (0, 1): 2000.0, (2, 1): 3000.0,
        (2, 2): 500.0, (3, 2): 900.0,
        (0, 3): 1000.0, (1, 3): 1800.0, (2, 3): 3600.0,
    }  # fmt: skip
    travel = np.array([[600.0 if c0_reachable else INF, 600.0, 600.0, 600.0]])
    return CoverageInstance(
        grade1_demand=np.array([10.0, 8.0, 6.0, 4.0, 2.0]),
        grade2_demand=np.array([5.0, 5.0, 7.0, 5.0, 5.0]),
        candidate_response_s=matrix(times, (5, 4)),
        base_response_s=matrix({(4, 0): 300.0, (3, 0): 1200.0}, (5, 1)),
        base_to_candidate_time_s=travel,
        max_base_travel_s=np.array([1200.0]),
        locations_per_base=np.array([locations]),
        units_per_base=np.array([locations + 1]),
        demand_group=("A", "A", "B", "B", "B") if groups else None,
        base_names=("Hanley",),
    )


def redundancy_instance() -> CoverageInstance:
    """Three nodes, two candidates, one base, Grade 1 only.

    The base covers node 0. Candidate a covers {1}; candidate b covers {0, 2}.
    w1 = [10, 10.5, 10]. Plain cover: a (20.5) beats b (20). Backup cover
    (weight 0.5) or expected cover with a high busy fraction prefer b, which
    covers node 0 twice.
    """
    return CoverageInstance(
        grade1_demand=np.array([10.0, 10.5, 10.0]),
        grade2_demand=np.zeros(3),
        candidate_response_s=matrix({(1, 0): 100.0, (0, 1): 100.0, (2, 1): 100.0}, (3, 2)),
        base_response_s=matrix({(0, 0): 100.0}, (3, 1)),
        base_to_candidate_time_s=np.zeros((1, 2)),
        max_base_travel_s=np.array([1800.0]),
        locations_per_base=np.array([1]),
        units_per_base=np.array([2]),
    )


def replace_fields(instance: CoverageInstance, **changes) -> CoverageInstance:
    """A copy of ``instance`` with some fields changed (validated again)."""
    return dataclasses.replace(instance, **changes)
