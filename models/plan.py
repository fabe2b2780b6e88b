"""What a solve returns: the plan, its cover and how the solve went."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from models.evaluate import Coverage


class SolveStatus(enum.StrEnum):
    """How a solve (or one level of it) ended.

    ``OPTIMAL``: proved optimal. ``FEASIBLE``: stopped at the requested
    relative gap. ``TIME_LIMIT``: stopped by the time limit with a plan (the
    solver's incumbent, or the greedy warm start if the solver had none).
    ``HEURISTIC``: a heuristic plan (greedy and swap search), no MIP solver; its
    bound, when finite, is the greedy's submodular bound
    (:func:`models.greedy.submodular_bounds`). ``INFEASIBLE``: no plan meets the
    constraints.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    TIME_LIMIT = "time_limit"
    HEURISTIC = "heuristic"
    INFEASIBLE = "infeasible"

    @classmethod
    def worst(cls, statuses: list[SolveStatus]) -> SolveStatus:
        """Return the least conclusive of ``statuses`` (``OPTIMAL`` if empty)."""
        order = [cls.OPTIMAL, cls.FEASIBLE, cls.TIME_LIMIT, cls.HEURISTIC, cls.INFEASIBLE]
        return max(statuses, key=order.index, default=cls.OPTIMAL)


def relative_gap(objective: float, bound: float) -> float:
    """``(bound - objective) / |objective|`` of a maximisation, 0 when equal, ``inf`` without a bound."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    difference = max(bound - objective, 0.0)
    if difference <= 1e-12 * max(1.0, abs(bound)):
        return 0.0
    return difference / abs(objective) if objective else math.inf


@dataclass(frozen=True)
class LevelReport:
    """One lexicographic level of a solve (objective and bound include base-covered demand).

    Parameters
    ----------
    name
        ``"grade1"``, ``"grade2"``, ``"weighted"`` or ``"kept"``.
    status
        How the level ended.
    objective
        Value of the level's objective for the kept plan.
    bound
        Best proven upper bound of the level (``inf`` when none).
    gap
        :func:`relative_gap` of the two.
    seconds
        Wall-clock time of the level.
    """

    name: str
    status: SolveStatus
    objective: float
    bound: float
    gap: float
    seconds: float


@dataclass(frozen=True)
class ReductionStats:
    """Sizes before and after :mod:`models.reduce`.

    Parameters
    ----------
    demand_nodes, candidates
        Sizes of the original instance.
    grade1_rows, grade2_rows
        Covering rows left in the model (after dropping base-covered and merging identical nodes).
    candidates_kept
        Candidate sites left (after dropping dominated and unusable ones).
    seconds
        Time spent reducing.
    """

    demand_nodes: int
    candidates: int
    grade1_rows: int
    grade2_rows: int
    candidates_kept: int
    seconds: float


@dataclass(frozen=True)
class SolveReport:
    """How a solve went; ``objective``, ``bound`` and ``gap`` are those of the first level.

    Parameters
    ----------
    status
        The least conclusive status over the levels.
    objective, bound, gap
        The first (most important) level's values.
    seconds
        Wall-clock time of the whole solve.
    solver
        ``"cp-sat"``, ``"scip"`` or ``"greedy"`` (when the solver found no plan in time).
    levels
        Every level, most important first.
    warnings
        Anything the caller should know (for example a fallback to the greedy plan).
    reduction
        Sizes before and after the reductions.
    """

    status: SolveStatus
    objective: float
    bound: float
    gap: float
    seconds: float
    solver: str
    levels: tuple[LevelReport, ...] = ()
    warnings: tuple[str, ...] = ()
    reduction: ReductionStats | None = None


@dataclass(frozen=True, eq=False)
class Plan:
    """Deployment locations for one shift, their cover and how they were found.

    Parameters
    ----------
    sites
        Opened candidate indices, ascending.
    site_bases
        Base each opened candidate is tied to (same order as ``sites``).
    coverage
        Independent evaluation of the plan (:func:`models.evaluate.evaluate_plan`).
    objective_values
        ``{level name: value}`` recomputed by :func:`models.evaluate.score_plan`.
    report
        Status, objective, bound, gap and time of the solve.
    """

    sites: tuple[int, ...]
    site_bases: tuple[int, ...]
    coverage: Coverage
    objective_values: Mapping[str, float] = field(default_factory=dict)
    report: SolveReport | None = None

    def __post_init__(self) -> None:
        if len(self.sites) != len(self.site_bases):
            raise ValueError("sites and site_bases must have the same length")
        object.__setattr__(self, "objective_values", MappingProxyType(dict(self.objective_values)))

    @property
    def covered_grade1(self) -> np.ndarray:
        """Whether each demand node is within the Grade 1 target of an open site."""
        return self.coverage.covered_grade1

    @property
    def covered_grade2(self) -> np.ndarray:
        """Whether each demand node is within the Grade 2 target of an open site."""
        return self.coverage.covered_grade2

    def sites_of_base(self, base: int) -> tuple[int, ...]:
        """Return the candidates tied to ``base``."""
        return tuple(j for j, b in zip(self.sites, self.site_bases, strict=True) if b == base)
