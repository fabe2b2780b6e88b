"""Greedy + 1-swap local search on a :class:`~models.reduce.ReducedProblem`.

Used as the MIP's warm start (a hint) and as the fallback plan when the
solver has nothing by its time limit.

1. Fixed pairs are opened first, then the ``start`` pairs (a previous plan;
   these may be swapped out later).
2. **Equity phase** (only with floors): while a group is below its floor,
   open the candidate that adds most covered share to the groups below their
   floor.
3. **Greedy**: repeatedly open the candidate with the best marginal gain,
   compared level by level (lexicographically), among candidates that some
   base with a free slot may use; it is tied to the base whose free slots are
   scarcest relative to its remaining eligible candidates (or to its
   current-plan base). Stops when nothing gains, when ``total_sites`` are
   open, or (with ``stop_at``) as soon as the first level reaches ``stop_at``.
4. **1-swap**: for every open, non-fixed site, close it and reopen the best
   candidate of the same base; keep the swap when the level vector improves
   (and no met floor breaks). Repeat until a pass finds nothing or the
   deadline passes.
5. **Drop** (only with ``stop_at``): close every site whose closing keeps the
   first level at ``stop_at`` or above.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from models.levels import LevelSpec, block_marginal, level_constant, level_value
from models.reduce import ReducedProblem

log = logging.getLogger(__name__)

#: Relative tolerance when comparing gains (times the level's total weight).
GAIN_TOLERANCE = 1e-10
#: Most 1-swap passes.
MAX_SWAP_PASSES = 20


@dataclass(frozen=True, eq=False)
class WarmStart:
    """A greedy plan on the reduced problem.

    Parameters
    ----------
    pairs
        Open ``(reduced candidate, base)`` pairs.
    counts
        Open candidates within target of each Grade 1 row and each Grade 2 row.
    kept
        Kept current-plan pairs.
    values
        Full value of each level.
    floors_met
        Whether every equity floor is met.
    seconds
        Time taken.
    """

    pairs: tuple[tuple[int, int], ...]
    counts: tuple[np.ndarray, np.ndarray]
    kept: int
    values: tuple[float, ...]
    floors_met: bool
    seconds: float


class _State:
    """Mutable greedy state: open sites, free slots and row counts."""

    def __init__(
        self, problem: ReducedProblem, levels: tuple[LevelSpec, ...], floors: np.ndarray, total: int | None = None
    ) -> None:
        self.problem = problem
        self.total = total
        self.levels = levels
        self.floors = floors
        self.blocks = (problem.grade1, problem.grade2)
        self.columns = tuple(b.matrix.tocsc() for b in self.blocks)
        self.transposed = tuple(b.matrix.T.tocsr().astype(float) for b in self.blocks)
        self.counts = [np.zeros(b.n_rows, dtype=np.int64) for b in self.blocks]
        self.base_of = np.full(problem.n_candidates, -1, dtype=np.int64)
        self.slots = problem.locations.astype(np.int64).copy()
        self.current = np.full(problem.n_candidates, -1, dtype=np.int64)
        for j, b in problem.current_pairs:
            self.current[j] = b
        self.fixed = np.zeros(problem.n_candidates, dtype=bool)
        self.scale = np.array([_level_scale(problem, level) for level in levels])

    # -- moves

    def open(self, j: int, b: int) -> None:
        self.base_of[j] = b
        self.slots[b] -= 1
        for counts, column in zip(self.counts, self.columns, strict=True):
            counts[column.indices[column.indptr[j] : column.indptr[j + 1]]] += 1

    def close(self, j: int) -> None:
        self.slots[self.base_of[j]] += 1
        self.base_of[j] = -1
        for counts, column in zip(self.counts, self.columns, strict=True):
            counts[column.indices[column.indptr[j] : column.indptr[j + 1]]] -= 1

    # -- evaluation

    def gains(self) -> np.ndarray:
        """Cover gain of opening each candidate, per level, ``(L, m')`` (kept gains excluded)."""
        out = np.zeros((len(self.levels), self.problem.n_candidates))
        for i, level in enumerate(self.levels):
            weights = (level.grade1, np.array([level.grade2]))
            for block, counts, transposed, w in zip(self.blocks, self.counts, self.transposed, weights, strict=True):
                if block.n_rows and np.any(w):
                    out[i] += transposed @ block_marginal(block, counts, w)
        return out

    def kept(self) -> int:
        return int(np.sum((self.current >= 0) & (self.base_of == self.current)))

    def opened(self) -> int:
        return int(np.sum(self.base_of >= 0))

    def values(self) -> tuple[float, ...]:
        counts = (self.counts[0], self.counts[1])
        return tuple(level_value(self.problem, level, counts, self.kept(), self.opened()) for level in self.levels)

    def group_shares(self) -> np.ndarray:
        """Covered share of Grade 1 demand per group."""
        block = self.problem.grade1
        first = (block.fixed_levels == 0) & (block.base_count + self.counts[0] >= 1) & (block.group >= 0)
        covered = np.bincount(block.group[first], weights=block.weight[first], minlength=self.floors.size)
        total = np.maximum(self.problem.group_total, 1e-300)
        return np.where(self.problem.group_total > 0, (self.problem.group_base_covered + covered) / total, 1.0)

    def floors_met(self) -> bool:
        return bool(np.all(self.group_shares() >= self.floors - 1e-12)) if self.floors.size else True

    # -- choices

    def usable_bases(self) -> np.ndarray:
        """Bool ``m'``: candidate is closed and some base with a free slot may use it (none once ``total`` are open)."""
        if self.total is not None and self.opened() >= self.total:
            return np.zeros(self.problem.n_candidates, dtype=bool)
        free = self.slots > 0
        return (self.base_of < 0) & self.problem.eligibility[free].any(axis=0)

    def kept_gain(self, base: int | None = None) -> np.ndarray:
        """1 where opening the candidate at its current-plan base (or at ``base``) keeps a pair."""
        if base is not None:
            return (self.current == base).astype(float)
        has = self.current >= 0
        free = np.zeros_like(has)
        free[has] = self.slots[self.current[has]] > 0
        return (has & free).astype(float)

    def choose_base(self, j: int) -> int:
        current = self.current[j]
        if current >= 0 and self.slots[current] > 0:
            return int(current)
        bases = np.flatnonzero(self.problem.eligibility[:, j] & (self.slots > 0))
        available = self.problem.eligibility[bases][:, self.base_of < 0].sum(axis=1)
        return int(bases[np.argmax(self.slots[bases] / np.maximum(available, 1))])


def _level_scale(problem: ReducedProblem, level: LevelSpec) -> float:
    return float(
        np.abs(np.atleast_2d(level.grade1)).sum(axis=1).max() * problem.grade1.weight.sum()
        + abs(level.grade2) * problem.grade2.weight.sum()
        + abs(level.kept) * max(len(problem.current_pairs), 1)
        + 1e-300
    )


def _lex_best(gains: np.ndarray, allowed: np.ndarray, scale: np.ndarray) -> int:
    """Index of the lexicographically best allowed column of ``gains`` (``L x m``), -1 if none."""
    pool = np.flatnonzero(allowed)
    for row, s in zip(gains, scale, strict=True):
        if pool.size <= 1:
            break
        values = row[pool]
        pool = pool[values >= values.max() - GAIN_TOLERANCE * s]
    return int(pool[0]) if pool.size else -1


def _better(a: np.ndarray, b: np.ndarray, scale: np.ndarray) -> bool:
    """Whether gain vector ``a`` beats ``b`` lexicographically (beyond the tolerance)."""
    for x, y, s in zip(a, b, scale, strict=True):
        if x > y + GAIN_TOLERANCE * s:
            return True
        if x < y - GAIN_TOLERANCE * s:
            return False
    return False


def _level_gains(state: _State, *, base: int | None = None) -> np.ndarray:
    gains = state.gains()
    kept_row = np.array([level.kept for level in state.levels])[:, None]
    sites_row = np.array([level.sites for level in state.levels])[:, None]
    return gains + kept_row * state.kept_gain(base)[None, :] + sites_row


# --------------------------------------------------------------------------- phases


def _equity_phase(state: _State) -> None:
    block = state.problem.grade1
    transposed = state.transposed[0]
    while not state.floors_met():
        unmet = state.group_shares() < state.floors - 1e-12
        rows = (block.fixed_levels == 0) & (state.counts[0] == 0) & (block.group >= 0)
        rows[rows] &= unmet[block.group[rows]]
        per_row = np.zeros(block.n_rows)
        per_row[rows] = block.weight[rows] / np.maximum(state.problem.group_total[block.group[rows]], 1e-300)
        gain = np.where(state.usable_bases(), transposed @ per_row, 0.0)
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            return
        state.open(j, state.choose_base(j))


def _reached(state: _State, stop_at: float | None) -> bool:
    return stop_at is not None and state.values()[0] >= stop_at


def _greedy_phase(state: _State, stop_at: float | None) -> None:
    while not _reached(state, stop_at):
        allowed = state.usable_bases()
        gains = _level_gains(state)
        j = _lex_best(gains, allowed, state.scale)
        if j < 0 or not np.any(gains[:, j] > GAIN_TOLERANCE * state.scale):
            return
        state.open(j, state.choose_base(j))


def _try_swap(state: _State, j: int) -> bool:
    """Close ``j`` and reopen the best candidate of its base; keep the change if it is better."""
    b = int(state.base_of[j])
    floors_before = state.floors_met()
    state.close(j)
    gains = _level_gains(state, base=b)
    allowed = state.problem.eligibility[b] & (state.base_of < 0)
    best = _lex_best(gains, allowed, state.scale)
    if best >= 0 and best != j and _better(gains[:, best], gains[:, j], state.scale):
        state.open(best, b)
        if state.floors_met() or not floors_before:
            return True
        state.close(best)
    state.open(j, b)
    return False


def _swap_phase(state: _State, deadline: float) -> int:
    swaps = 0
    for _ in range(MAX_SWAP_PASSES):
        improved = False
        for j in np.flatnonzero((state.base_of >= 0) & ~state.fixed):
            if time.perf_counter() > deadline:
                return swaps
            if state.base_of[j] >= 0 and _try_swap(state, int(j)):
                swaps += 1
                improved = True
        if not improved:
            break
    return swaps


def _drop_phase(state: _State, stop_at: float) -> None:
    """Close every non-fixed site whose closing keeps the first level at ``stop_at`` or above."""
    if not _reached(state, stop_at):
        return
    for j in np.flatnonzero((state.base_of >= 0) & ~state.fixed):
        b = int(state.base_of[j])
        state.close(int(j))
        if not (_reached(state, stop_at) and state.floors_met()):
            state.open(int(j), b)


def _open_start(state: _State, start: tuple[tuple[int, int], ...]) -> None:
    """Open the ``start`` pairs that fit (closed candidate, eligible base with a free slot, total not reached)."""
    for j, b in start:
        if state.base_of[j] < 0 and state.slots[b] > 0 and state.problem.eligibility[b, j]:
            if state.total is not None and state.opened() >= state.total:
                return
            state.open(j, b)


def greedy_plan(
    problem: ReducedProblem,
    levels: tuple[LevelSpec, ...],
    *,
    floors: np.ndarray | None = None,
    deadline: float | None = None,
    total_sites: int | None = None,
    start: tuple[tuple[int, int], ...] = (),
    stop_at: float | None = None,
) -> WarmStart:
    """Greedy plan plus 1-swap local search (see the module docstring).

    Parameters
    ----------
    problem
        The reduced problem.
    levels
        Objective levels, most important first.
    floors
        Minimum covered Grade 1 share per group code (0 where none), or ``None``.
    deadline
        ``time.perf_counter()`` value after which the local search stops.
    total_sites
        Most open sites in all (fixed ones included), or ``None``.
    start
        ``(reduced candidate, base)`` pairs opened after the fixed ones (a previous plan).
    stop_at
        Stop opening once the first level reaches this value, then drop the
        sites it does not need (fewest-sites warm start).

    Returns
    -------
    WarmStart
    """
    started = time.perf_counter()
    floor_array = np.zeros(len(problem.group_labels)) if floors is None else np.asarray(floors, dtype=float)
    state = _State(problem, levels, floor_array, total_sites)
    for j, b in problem.fixed_pairs:
        state.open(j, b)
        state.fixed[j] = True
    _open_start(state, start)
    if floor_array.size and np.any(floor_array > 0):
        _equity_phase(state)
    _greedy_phase(state, stop_at)
    swaps = _swap_phase(state, deadline if deadline is not None else np.inf)
    if stop_at is not None:
        _drop_phase(state, stop_at)
    pairs = tuple((int(j), int(state.base_of[j])) for j in np.flatnonzero(state.base_of >= 0))
    result = WarmStart(
        pairs=pairs,
        counts=(state.counts[0].copy(), state.counts[1].copy()),
        kept=state.kept(),
        values=state.values(),
        floors_met=state.floors_met(),
        seconds=time.perf_counter() - started,
    )
    log.info("greedy: %d sites, %d swaps, levels %s in %.2f s", len(pairs), swaps, result.values, result.seconds)
    return result


def submodular_bounds(
    problem: ReducedProblem, levels: tuple[LevelSpec, ...], pairs: tuple[tuple[int, int], ...], most_sites: int
) -> tuple[float, ...]:
    r"""An upper bound on each level's best value over plans of at most ``most_sites`` sites, from one plan.

    A level that only counts cover (no kept pairs, no site weight) is a sum over
    rows of a concave function of the row's open count (its level weights are
    non-negative and non-increasing), so it is monotone and submodular in the
    set of open candidates :math:`S`. For any plan :math:`S^*` with at most
    :math:`P` sites,

    .. math:: f(S^*) \le f(S) + \sum_{j \in S^*} \Delta_j(S)
        \le f(S) + \text{sum of the } P \text{ largest } \Delta_j(S),

    with :math:`\Delta_j(S)` the gain of opening ``j`` next to ``pairs``
    (Nemhauser, Wolsey and Fisher 1978; the "online bound" of Leskovec et al.
    2007). It holds whatever the other constraints (bases' eligibility, equity
    floors, fixed sites), because they only shrink the set of plans. The bound
    taken is the smaller of that and the value if every row reached every cover
    level its candidates allow (:func:`_reachable_cover`). Levels with kept pairs
    or a site weight get ``inf`` (no bound).

    Parameters
    ----------
    problem
        The reduced problem.
    levels
        Objective levels.
    pairs
        The plan: open ``(reduced candidate, base)`` pairs.
    most_sites
        :math:`P`: the most sites any plan may open (the locations of every base, or a total limit).
    """
    state = _State(problem, levels, np.zeros(len(problem.group_labels)))
    for j, b in pairs:
        state.open(j, b)
    gains = state.gains()
    gains[:, state.base_of >= 0] = 0.0  # an open candidate adds nothing
    values = state.values()
    bounds = []
    for level, value, gain in zip(levels, values, gains, strict=True):
        if level.kept or level.sites:
            bounds.append(np.inf)
            continue
        top = np.sort(np.maximum(gain, 0.0))[::-1][: max(most_sites, 0)]
        bounds.append(min(float(value + top.sum()), _reachable_cover(problem, level, most_sites)))
    return tuple(bounds)


def _reachable_cover(problem: ReducedProblem, level: LevelSpec, most_sites: int) -> float:
    """A level's value if every row reached every cover level it can (its bases plus its candidates, at most ``P``).

    Often tighter than the greedy bound where the bases already cover most rows.
    """
    total = level_constant(problem, level)
    for block, weights in ((problem.grade1, level.grade1), (problem.grade2, np.array([level.grade2]))):
        if block.n_rows == 0:
            continue
        table = block.level_table(weights)
        cumulative = np.concatenate((np.zeros((table.shape[0], 1)), np.cumsum(table, axis=1)), axis=1)
        reachable = np.minimum(block.levels, block.base_count + np.minimum(np.diff(block.matrix.indptr), most_sites))
        start = np.minimum(block.fixed_levels, reachable)
        gained = cumulative[block.weight_class, reachable] - cumulative[block.weight_class, start]
        total += float(block.weight @ gained)
    return total
