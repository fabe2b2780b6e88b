"""Checks of settings against an instance, collected and raised once."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from models.errors import raise_if_problems
from models.instance import CoverageInstance, CoverageParams


def _pair_problems(instance: CoverageInstance, pairs: Mapping[int, int], name: str) -> list[str]:
    problems = []
    eligibility = instance.eligibility()
    for j, b in pairs.items():
        if not (0 <= j < instance.n_candidates and 0 <= b < instance.n_bases):
            problems.append(
                f"{name}: candidate {j} / base {b} out of range "
                f"({instance.n_candidates} candidates, {instance.n_bases} bases)"
            )
        elif not eligibility[b, j]:
            problems.append(
                f"{name}: candidate {j} is {instance.base_to_candidate_time_s[b, j]:g} s from "
                f"{instance.base_names[b]}, beyond its max_base_travel_s={instance.max_base_travel_s[b]:g} s; "
                "tie it to another base or raise max_base_travel_s"
            )
    return problems


def _fixed_count_problems(
    instance: CoverageInstance, fixed: Mapping[int, int], caps: np.ndarray, cap_name: str
) -> list[str]:
    counts = np.bincount(
        np.fromiter((b for b in fixed.values() if 0 <= b < instance.n_bases), dtype=np.int64),
        minlength=instance.n_bases,
    )
    return [
        f"fixed_sites: {instance.base_names[b]} has {counts[b]} fixed sites but {cap_name}="
        f"{caps[b]}; unfix some or raise {cap_name}"
        for b in range(instance.n_bases)
        if counts[b] > caps[b]
    ]


def _floor_problems(instance: CoverageInstance, floors: Mapping[str, float]) -> list[str]:
    if not floors:
        return []
    if instance.demand_group is None:
        return ["equity_floor_share: needs CoverageInstance.demand_group (a group label per demand node)"]
    known = set(instance.demand_group)
    return [
        f"equity_floor_share: group {g!r} is not a demand_group label (known: {sorted(known)[:10]})"
        for g in floors
        if g not in known
    ]


def validate_settings(
    instance: CoverageInstance, params: CoverageParams, *, caps_name: str = "locations_per_base"
) -> None:
    """Check that ``params`` can be applied to ``instance``; raise once listing every problem.

    Parameters
    ----------
    instance
        The problem.
    params
        The settings.
    caps_name
        The instance field that caps the sites per base: ``"locations_per_base"``
        (exactly that many) or ``"units_per_base"`` (the budget problems, at most one per car).

    Raises
    ------
    ModelInputError
        Naming each bad setting (``fixed_sites``, ``current_plan``, ``equity_floor_share``,
        ``busy_fraction``) and how to fix it.
    """
    fixed = params.fixed_sites or {}
    problems = _pair_problems(instance, fixed, "fixed_sites")
    problems += _fixed_count_problems(instance, fixed, getattr(instance, caps_name), caps_name)
    problems += _pair_problems(instance, params.current_plan or {}, "current_plan")
    problems += _floor_problems(instance, params.equity_floor_share)
    if params.busy_per_node and params.busy_fraction.size != instance.n_demand:
        problems.append(
            f"busy_fraction: {params.busy_fraction.size} values but the instance has {instance.n_demand} demand "
            "nodes; give one busy fraction per demand node (or one number)"
        )
    raise_if_problems(problems, "settings do not fit the instance", setting="CoverageParams")
