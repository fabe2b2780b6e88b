"""Independent evaluation of a plan, straight from the response-time matrices.

Nothing here uses the reductions, the greedy or the solver: cover counts are
recomputed from ``CoverageInstance.candidate_response_s`` and
``base_response_s`` (stored entries = reachable pairs, zeros included), so
tests can check the solver's objective against it, as the OR-Tools samples
re-evaluate their solutions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from models.errors import ModelInputError
from models.instance import CoverageInstance, CoverageParams, stored_targets_s
from models.kpis import demand_share, is_no_demand
from models.response import expected_cover

#: Slack when checking an equity floor against a share (rounding in the solver's constraint).
FLOOR_TOLERANCE = 1e-12


@dataclass(frozen=True, eq=False)
class Coverage:
    """Cover of every demand node by one set of open sites (the bases are always open).

    Parameters
    ----------
    cover_count_grade1, cover_count_grade2
        Number of open sites (chosen candidates and bases) within the Grade 1 /
        Grade 2 target of each node, shape ``(n,)``.
    grade1_demand, grade2_demand
        The instance's demand per node (for the totals below).
    """

    cover_count_grade1: np.ndarray
    cover_count_grade2: np.ndarray
    grade1_demand: np.ndarray
    grade2_demand: np.ndarray

    @property
    def covered_grade1(self) -> np.ndarray:
        """Whether each node is within the Grade 1 target of an open site."""
        return self.cover_count_grade1 >= 1

    @property
    def covered_grade2(self) -> np.ndarray:
        """Whether each node is within the Grade 2 target of an open site."""
        return self.cover_count_grade2 >= 1

    @property
    def grade1_covered_demand(self) -> float:
        """Grade 1 demand within target."""
        return float(self.grade1_demand[self.covered_grade1].sum())

    @property
    def grade2_covered_demand(self) -> float:
        """Grade 2 demand within target."""
        return float(self.grade2_demand[self.covered_grade2].sum())

    @property
    def grade1_backup_demand(self) -> float:
        """Grade 1 demand within target of at least two open sites."""
        return float(self.grade1_demand[self.cover_count_grade1 >= 2].sum())

    @property
    def grade1_covered_share(self) -> float:
        """Share of Grade 1 demand within target (NaN when there is no demand, see :mod:`models.kpis`)."""
        return demand_share(self.grade1_covered_demand, float(self.grade1_demand.sum()))

    @property
    def grade2_covered_share(self) -> float:
        """Share of Grade 2 demand within target (NaN when there is no demand, see :mod:`models.kpis`)."""
        return demand_share(self.grade2_covered_demand, float(self.grade2_demand.sum()))

    def grade1_expected_demand(self, busy_fraction: float | np.ndarray, *, levels: int | None) -> float:
        """MEXCLP expected Grade 1 cover, ``sum_i w1_i (1 - q_i**min(c_i, levels))``.

        Parameters
        ----------
        busy_fraction
            Probability ``q`` that a car position is busy: one number, or one ``q_i`` per demand node.
        levels
            Largest number of cover levels counted (the objective's ``K``), or
            ``None`` to count every level (the measure of the plan's KPIs).

        Returns
        -------
        float
        """
        counts = self.cover_count_grade1
        counted = counts if levels is None else np.minimum(counts, levels)
        return float((self.grade1_demand * expected_cover(busy_fraction, counted)).sum())

    def grade1_share_by_group(self, groups: Iterable[str]) -> dict[str, float]:
        """Covered share of Grade 1 demand per group label (NaN for a group without demand, see :mod:`models.kpis`).

        Parameters
        ----------
        groups
            One label per demand node.

        Returns
        -------
        dict
            ``{label: covered share}``.
        """
        labels = np.asarray(list(groups), dtype=object)
        shares = {}
        for label in dict.fromkeys(labels.tolist()):
            members = labels == label
            total = float(self.grade1_demand[members].sum())
            covered = float(self.grade1_demand[members & self.covered_grade1].sum())
            shares[str(label)] = demand_share(covered, total)
        return shares


def below_floor(share: float, floor: float) -> bool:
    """Whether a group's covered share misses its equity floor; a group without demand (NaN) meets every floor."""
    return not is_no_demand(share) and share < floor - FLOOR_TOLERANCE


def _count_cover(response: scipy.sparse.csr_matrix, columns: np.ndarray, target_s: np.ndarray) -> np.ndarray:
    """Per row, how many of ``columns`` have a stored response time <= the row's target (``target_s``, one per row)."""
    is_open = np.zeros(response.shape[1], dtype=bool)
    is_open[columns] = True
    hit = is_open[response.indices] & (response.data <= stored_targets_s(response, target_s))
    running = np.concatenate(([0], np.cumsum(hit, dtype=np.int64)))
    return np.diff(running[response.indptr])


def _checked_sites(instance: CoverageInstance, sites: Iterable[int]) -> np.ndarray:
    chosen = np.asarray(list(sites), dtype=np.int64)
    bad = chosen[(chosen < 0) | (chosen >= instance.n_candidates)]
    if bad.size or np.unique(chosen).size != chosen.size:
        raise ModelInputError(
            f"sites must be distinct candidate indices in [0, {instance.n_candidates}); got {chosen.tolist()}",
            setting="sites",
        )
    return chosen


def evaluate_plan(instance: CoverageInstance, sites: Iterable[int]) -> Coverage:
    """Recompute cover of every demand node when ``sites`` (and every base) are open.

    Parameters
    ----------
    instance
        The problem.
    sites
        Indices of the open candidate sites.

    Returns
    -------
    Coverage
    """
    chosen = _checked_sites(instance, sites)
    all_bases = np.arange(instance.n_bases)
    counts = []
    for grade in (1, 2):
        target = instance.target_s(grade)
        counts.append(
            _count_cover(instance.candidate_response_s, chosen, target)
            + _count_cover(instance.base_response_s, all_bases, target)
        )
    return Coverage(counts[0], counts[1], instance.grade1_demand, instance.grade2_demand)


def grade1_term(coverage: Coverage, params: CoverageParams) -> float:
    """Compute the Grade 1 term of the objective (cover, plus backup or expected cover when switched on).

    Parameters
    ----------
    coverage
        From :func:`evaluate_plan`.
    params
        The settings that define the term (``backup_weight``, ``busy_fraction``,
        one number or one per demand node).

    Returns
    -------
    float
    """
    table = params.grade1_level_table()
    _, classes = params.busy_classes()
    n = coverage.grade1_demand.size
    if classes is not None and classes.size != n:
        raise ModelInputError(
            f"busy_fraction has {classes.size} values for {n} demand nodes; give one per node", setting="busy_fraction"
        )
    weights = table[np.zeros(n, dtype=np.int64) if classes is None else classes]
    levels = np.arange(1, table.shape[1] + 1)
    reached = coverage.cover_count_grade1[:, None] >= levels[None, :]
    return float((coverage.grade1_demand[:, None] * reached * weights).sum())


def kept_pairs(sites: Iterable[int], site_bases: Iterable[int], current_plan: Mapping[int, int] | None) -> int:
    """How many (site, base) pairs of ``current_plan`` the plan keeps.

    Parameters
    ----------
    sites, site_bases
        The plan's open candidates and the base each is tied to.
    current_plan
        ``{candidate: base}`` of the plan in use (``None`` counts 0).

    Returns
    -------
    int
    """
    if not current_plan:
        return 0
    return sum(1 for j, b in zip(sites, site_bases, strict=True) if current_plan.get(int(j)) == int(b))


def score_plan(
    instance: CoverageInstance,
    sites: Iterable[int],
    site_bases: Iterable[int],
    params: CoverageParams,
    *,
    coverage: Coverage | None = None,
) -> dict[str, float]:
    """Recompute, independently, the value of every objective level of ``params`` for a plan.

    Parameters
    ----------
    instance
        The problem.
    sites, site_bases
        Open candidates and their bases.
    params
        Objective mode and options.
    coverage
        :func:`evaluate_plan` of these sites, when already computed.

    Returns
    -------
    dict
        ``{level name: value}`` in the order of :meth:`CoverageParams.level_names`.
    """
    site_list = [int(j) for j in sites]
    base_list = [int(b) for b in site_bases]
    coverage = coverage if coverage is not None else evaluate_plan(instance, site_list)
    g1 = grade1_term(coverage, params)
    g2 = coverage.grade2_covered_demand
    values = {
        "grade1": g1,
        "grade2": g2,
        "weighted": params.grade1_weight * g1 + params.grade2_weight * g2,
        "kept": float(kept_pairs(site_list, base_list, params.current_plan)),
    }
    return {name: values[name] for name in params.level_names()}
