"""The lexicographic objective levels, and their value on a :class:`~models.reduce.ReducedProblem`.

A level is a linear function of "row ``r`` has at least ``k`` open sites
within target" indicators (per grade), of "current pair ``(j, b)`` is kept"
indicators and of the number of open sites. ``"ranked"`` has the levels
``grade1`` then ``grade2``; ``"weighted"`` has one level ``weighted``; a
current plan adds a last level ``kept``. :func:`models.budget.solve_min_locations`
puts a ``locations`` level (minus the number of open sites) first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.instance import CoverageParams
from models.reduce import CoverBlock, ReducedProblem


@dataclass(frozen=True, eq=False)
class LevelSpec:
    """One objective level.

    Parameters
    ----------
    name
        Level name (see :meth:`CoverageParams.level_names`).
    grade1
        Weight of the k-th Grade 1 cover of one unit of demand, non-increasing
        in ``k``: ``(K,)`` for every row, or ``(C, K)``, one row per busy class
        (:meth:`~models.instance.CoverageParams.grade1_level_table`).
    grade2
        Weight of one unit of covered Grade 2 demand.
    kept
        Weight of each kept current-plan pair.
    sites
        Weight of each open site (``-1`` in the "fewest sites" level of
        :func:`models.budget.solve_min_locations`; 0 elsewhere).
    """

    name: str
    grade1: np.ndarray
    grade2: float
    kept: float
    sites: float = 0.0


def objective_levels(params: CoverageParams) -> tuple[LevelSpec, ...]:
    """List the levels of ``params``, most important first.

    Parameters
    ----------
    params
        Objective mode and options.

    Returns
    -------
    tuple of LevelSpec
    """
    g1 = params.grade1_level_table()
    zero = np.zeros_like(g1)
    if params.objective == "ranked":
        levels = [LevelSpec("grade1", g1, 0.0, 0.0), LevelSpec("grade2", zero, 1.0, 0.0)]
    else:
        levels = [LevelSpec("weighted", params.grade1_weight * g1, params.grade2_weight, 0.0)]
    if params.current_plan is not None:
        levels.append(LevelSpec("kept", zero, 0.0, 1.0))
    return tuple(levels)


def block_value(block: CoverBlock, extra_count: np.ndarray, level_weights: np.ndarray) -> float:
    """Variable (non-constant) part of a block's value when rows have ``extra_count`` open candidates.

    Parameters
    ----------
    block
        The rows.
    extra_count
        Open candidates within target of each row, ``(R,)`` (bases not included).
    level_weights
        Weight per cover level, ``(K,)``, or per busy class and level, ``(C, K)``.

    Returns
    -------
    float
    """
    table = block.level_table(level_weights)
    cumulative = np.concatenate((np.zeros((table.shape[0], 1)), np.cumsum(table, axis=1)), axis=1)
    reached = np.minimum(block.base_count + extra_count, block.levels)
    gained = cumulative[block.weight_class, reached] - cumulative[block.weight_class, block.fixed_levels]
    return float((block.weight * gained).sum())


def block_marginal(block: CoverBlock, extra_count: np.ndarray, level_weights: np.ndarray) -> np.ndarray:
    """Value of one more open candidate within target, per row, ``(R,)``."""
    table = block.level_table(level_weights)
    padded = np.concatenate((table, np.zeros((table.shape[0], 1))), axis=1)
    reached = np.minimum(block.base_count + extra_count, block.levels)
    return block.weight * padded[block.weight_class, reached]


def level_constant(problem: ReducedProblem, level: LevelSpec) -> float:
    """Return the part of a level fixed by the bases (taken out of the model)."""
    return problem.grade1.constant(level.grade1) + level.grade2 * problem.grade2.constant(np.ones(1))


def level_value(
    problem: ReducedProblem,
    level: LevelSpec,
    counts: tuple[np.ndarray, np.ndarray],
    kept: int,
    opened: int = 0,
) -> float:
    """Full value of a level (constants included) from row counts, kept pairs and open sites.

    Parameters
    ----------
    problem
        The reduced problem.
    level
        The level.
    counts
        Open candidates within target of each Grade 1 row and each Grade 2 row.
    kept
        Kept current-plan pairs.
    opened
        Open sites (counted by ``level.sites``).

    Returns
    -------
    float
    """
    value = level_constant(problem, level) + level.kept * kept + level.sites * opened
    if problem.grade1.n_rows:
        value += block_value(problem.grade1, counts[0], level.grade1)
    if problem.grade2.n_rows and level.grade2:
        value += level.grade2 * block_value(problem.grade2, counts[1], np.ones(1))
    return value
