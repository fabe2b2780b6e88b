"""Tying sites to bases: can every base open exactly ``p_b`` locations, and completing a plan so it does.

The MIP opens *at most* ``p_b`` candidates per base (same optimum, because
cover never falls when a site opens, and it lets dominated candidates be
dropped). :func:`complete_assignment` then ties the chosen sites to bases and
fills every free slot, by a rectangular assignment (slots x candidates) that
must take every chosen site: by the Mendelsohn-Dulmage theorem such an
assignment exists whenever some assignment fills all slots and some
assignment takes all chosen sites.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import maximum_bipartite_matching

from models.errors import ModelInputError, raise_if_problems
from models.instance import CoverageInstance

#: Cost of a forbidden (base, candidate) edge in the assignment.
FORBIDDEN = 1e9


def _free_slots(instance: CoverageInstance, fixed: Mapping[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Return the base of each free slot and which candidates are not fixed."""
    fixed_per_base = np.bincount(np.fromiter(fixed.values(), dtype=np.int64), minlength=instance.n_bases)
    free = np.maximum(instance.locations_per_base - fixed_per_base[: instance.n_bases], 0)
    not_fixed = np.ones(instance.n_candidates, dtype=bool)
    not_fixed[list(fixed)] = False
    return np.repeat(np.arange(instance.n_bases), free), not_fixed


def _per_base_problems(instance: CoverageInstance, fixed: Mapping[int, int]) -> list[str]:
    eligibility = instance.eligibility()
    fixed_per_base = np.bincount(np.fromiter(fixed.values(), dtype=np.int64), minlength=instance.n_bases)
    not_fixed = np.ones(instance.n_candidates, dtype=bool)
    not_fixed[list(fixed)] = False
    problems = []
    for b, name in enumerate(instance.base_names):
        need = int(instance.locations_per_base[b] - fixed_per_base[b])
        have = int((eligibility[b] & not_fixed).sum())
        if need > have:
            problems.append(
                f"{name}: locations_per_base={instance.locations_per_base[b]} but only {have + fixed_per_base[b]} "
                f"candidates within max_base_travel_s={instance.max_base_travel_s[b]:g} s; lower locations_per_base, "
                "raise max_base_travel_s or add candidates"
            )
    return problems


def check_assignable(instance: CoverageInstance, fixed: Mapping[int, int]) -> None:
    """Raise unless every base can open exactly ``locations_per_base`` distinct eligible sites.

    Parameters
    ----------
    instance
        The problem.
    fixed
        ``{candidate: base}`` that must be open (already checked to be eligible).

    Raises
    ------
    ModelInputError
        Naming every base that cannot fill its locations (alone, or together with
        the bases it shares candidates with).
    """
    problems = _per_base_problems(instance, fixed)
    raise_if_problems(problems, "not enough candidate sites", setting="CoverageInstance.locations_per_base")
    slot_base, not_fixed = _free_slots(instance, fixed)
    if slot_base.size == 0:
        return
    graph = scipy.sparse.csr_matrix(instance.eligibility()[slot_base] & not_fixed[None, :])
    matched = maximum_bipartite_matching(graph, perm_type="column")
    short = sorted({instance.base_names[b] for b in slot_base[matched < 0]})
    if short:
        raise ModelInputError(
            f"bases {', '.join(short)} share too few candidates to open all their locations at once "
            "(each candidate serves one base); lower their locations_per_base or raise max_base_travel_s",
            setting="CoverageInstance.locations_per_base",
        )


def complete_assignment(
    instance: CoverageInstance,
    chosen: Mapping[int, int],
    *,
    fixed: Mapping[int, int],
    current: Mapping[int, int] | None = None,
) -> dict[int, int]:
    """Tie the chosen sites to bases and fill every free slot, so each base has exactly ``p_b``.

    Chosen sites keep their base where possible; free slots prefer current-plan
    pairs, then any eligible candidate (cover cannot fall).

    Parameters
    ----------
    instance
        The problem.
    chosen
        ``{candidate: base}`` opened by the solver (at most ``p_b`` per base), fixed sites included.
    fixed
        ``{candidate: base}`` that must be open as given.
    current
        ``{candidate: base}`` of the plan in use, if any.

    Returns
    -------
    dict
        ``{candidate: base}`` with exactly ``locations_per_base[b]`` candidates per base.
    """
    slot_base, not_fixed = _free_slots(instance, fixed)
    plan = dict(fixed)
    if slot_base.size == 0:
        return plan
    columns = np.flatnonzero(not_fixed)
    eligible = instance.eligibility()[slot_base][:, columns]
    cost = np.where(eligible, 0.0, FORBIDDEN)
    for position, j in enumerate(columns):
        j = int(j)
        if j in chosen:
            cost[:, position] -= 1000.0 + 10.0 * (slot_base == chosen[j])
        if current and j in current:
            cost[:, position] -= 1.0 * (slot_base == current[j])
    rows, cols = linear_sum_assignment(cost)
    if np.any(cost[rows, cols] >= FORBIDDEN / 2):
        raise ModelInputError(
            "no assignment fills every base's locations", setting="CoverageInstance.locations_per_base"
        )
    plan.update({int(columns[c]): int(slot_base[r]) for r, c in zip(rows, cols, strict=True)})
    missing = set(chosen) - set(plan)
    if missing:
        raise RuntimeError(f"assignment dropped chosen sites {sorted(missing)}; this is a bug")
    return plan
