r"""The double-standard covering MIP on a :class:`~models.reduce.ReducedProblem`, solver-neutral.

Data (after :mod:`models.reduce`): kept candidates :math:`j`, bases :math:`b`
with :math:`p_b` locations, eligible pairs :math:`E`; Grade 1 rows :math:`r`
with demand :math:`w^1_r`, cover set :math:`S^1_r`, base count :math:`c_r`,
fixed levels :math:`f_r = \min(c_r, K)` and level weights
:math:`\gamma_{r1} \ge \dots \ge \gamma_{rK}`; Grade 2 rows likewise with :math:`K=1`.
The level weights are the same for every row (:math:`[1]` for travel cover,
:math:`(1-q)q^{k-1}` for expected cover) except with a busy fraction per
demand node (availability by place), where row :math:`r` has
:math:`\gamma_{rk} = (1-q_r)q_r^{k-1}` (plus ``backup_weight`` at
:math:`k=2`); rows merge only when their :math:`q` agree, so :math:`q_r` is
well defined (:mod:`models.reduce`).

Variables:

.. math::

    x_{jb} \in \{0,1\} \ ((j,b) \in E), \qquad
    o_j = \textstyle\sum_b x_{jb} \in [0,1], \qquad
    y^1_{rk} \in [0,1] \ (f_r < k \le K), \qquad y^2_r \in [0,1]

Constraints:

.. math::

    \sum_j x_{jb} &\le p_b && \text{(at most } p_b\text{; slots are filled afterwards)} \\
    \sum_{k > f_r} y^1_{rk} &\le (c_r - f_r) + \sum_{j \in S^1_r} o_j && \text{(Grade 1 cover levels)} \\
    y^2_r &\le (c_r - f_r) + \sum_{j \in S^2_r} o_j && \text{(Grade 2 cover)} \\
    \sum_{r \in g,\, f_r = 0} w^1_r y^1_{r1} &\ge \phi_g W_g - C_g && \text{(equity floor of group } g\text{)} \\
    \sum_{(j,b) \in \text{current}} x_{jb} &\ge |\text{current}| - \text{max\_changes} \\
    x_{jb} &= 1 && ((j,b) \text{ fixed})

Optional rows of the budget problems (:mod:`models.budget`, which also sets
:math:`p_b` to the cars on duty :math:`u_b`):

.. math::

    \sum_{(j,b) \in E} x_{jb} &\le T && \text{(total\_sites: at most } T \text{ sites in all)} \\
    \sum_r w^1_r \sum_{k > f_r} \delta_k y^1_{rk} &\ge A - \sum_k \delta_k C_k
        && \text{(cover\_floor: a Grade 1 measure of at least } A\text{)}

with :math:`C_k` the demand whose level :math:`k` the bases meet and
:math:`\delta` non-increasing (``[1]`` for travel cover, :math:`(1-q)q^{k-1}`
for expected cover), so the argument below keeps :math:`y` exact.

Objective levels (lexicographic, each solved with the earlier ones fixed):
``grade1`` :math:`\sum_r w^1_r \sum_k \gamma_{rk} y^1_{rk}`, ``grade2``
:math:`\sum_r w^2_r y^2_r`, or ``weighted`` :math:`a \cdot` grade1 :math:`+ b
\cdot` grade2, then ``kept`` :math:`\sum_{(j,b) \in \text{current}} x_{jb}`;
a level may also weight the number of open sites :math:`\sum x_{jb}`
(``locations``, weight -1: fewest sites).

**Continuous** :math:`y` **is exact.** For integral :math:`x` the
:math:`y`-problem splits by row: maximise :math:`\sum_k \gamma_{rk} y_{rk}` over
:math:`0 \le y \le 1,\ \sum_k y_{rk} \le n_r` with :math:`n_r` integral. With
:math:`\gamma_{rk}` non-increasing in :math:`k` for each row (true of
:math:`(1-q_r)q_r^{k-1}` for every :math:`q_r \in [0,1)`, and of the
``backup_weight`` term under its cap :math:`(1-\max_r q_r)^2`) the optimum is :math:`y_{rk} = 1` for the first
:math:`\min(n_r, K)` levels, integral and equal to the true cover value; it
also makes every :math:`y_{r1}` as large as possible, so the equity rows and
the fixed earlier levels are met by this integral :math:`y` whenever they are
met by any :math:`y`. (Increasing :math:`\gamma` would break this, which is why
``backup_weight`` is capped.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from models.levels import LevelSpec, level_constant
from models.reduce import CoverBlock, ReducedProblem


@dataclass(frozen=True, eq=False)
class LinearModel:
    """A MIP as arrays: ``lower <= x <= upper``, ``row_lower <= A x <= row_upper``, integer flags.

    Parameters
    ----------
    lower, upper, integer
        Variable bounds and integrality.
    matrix
        Constraint matrix, CSR.
    row_lower, row_upper
        Constraint bounds (``-inf``/``inf`` when absent).
    objectives
        One coefficient vector per level.
    constants
        The constant (base-covered) part of each level.
    pair_candidate, pair_base
        The ``(reduced candidate, base)`` of each ``x`` variable (``x`` are the first variables).
    open_var
        Variable holding ``o_j`` for each reduced candidate.
    grade1_vars, grade2_vars
        ``(R, K)`` index of ``y`` per row and level (-1 where fixed or absent).
    """

    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    matrix: scipy.sparse.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    objectives: tuple[np.ndarray, ...]
    constants: tuple[float, ...]
    pair_candidate: np.ndarray
    pair_base: np.ndarray
    open_var: np.ndarray
    grade1_vars: np.ndarray
    grade2_vars: np.ndarray

    @property
    def n_vars(self) -> int:
        """Number of variables."""
        return int(self.lower.size)


@dataclass(frozen=True, eq=False)
class CoverFloor:
    """A lower bound on a Grade 1 cover measure: ``sum_i w1_i sum_k level_weights[k-1] [c_i >= k] >= amount``.

    Parameters
    ----------
    level_weights
        Weight of the k-th cover of one unit of Grade 1 demand, ``(K,)`` or
        per busy class ``(C, K)``, non-increasing in ``k`` (``K`` must be the
        reduced problem's Grade 1 levels).
    amount
        The least value of the measure, base-covered demand included.
    """

    level_weights: np.ndarray
    amount: float


class _Rows:
    """Accumulates constraint rows as COO triples."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.count = 0

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Add ``lower.size`` rows; ``rows`` are 0-based within this batch."""
        self.rows.append(rows + self.count)
        self.cols.append(cols)
        self.vals.append(vals)
        self.lower.append(np.asarray(lower, dtype=float))
        self.upper.append(np.asarray(upper, dtype=float))
        self.count += int(np.asarray(lower).size)

    def build(self, n_vars: int) -> tuple[scipy.sparse.csr_matrix, np.ndarray, np.ndarray]:
        if not self.rows:
            return scipy.sparse.csr_matrix((0, n_vars)), np.zeros(0), np.zeros(0)
        coo = scipy.sparse.coo_matrix(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.count, n_vars),
        )
        return coo.tocsr(), np.concatenate(self.lower), np.concatenate(self.upper)


def _level_vars(block: CoverBlock, start: int) -> tuple[np.ndarray, int]:
    """``(R, K)`` variable index per row and free level, numbered from ``start``."""
    free = np.arange(block.levels)[None, :] >= block.fixed_levels[:, None]
    index = np.full(free.shape, -1, dtype=np.int64)
    index[free] = start + np.arange(int(free.sum()))
    return index, start + int(free.sum())


def _cover_rows(rows: _Rows, block: CoverBlock, level_vars: np.ndarray, open_var: np.ndarray) -> None:
    """``sum_k y_rk - sum_{j in S_r} o_j <= c_r - f_r`` per row."""
    if block.n_rows == 0:
        return
    y_row, y_level = np.nonzero(level_vars >= 0)
    matrix = block.matrix.tocsr()
    cover_row = np.repeat(np.arange(block.n_rows), np.diff(matrix.indptr))
    rows.add(
        np.concatenate([y_row, cover_row]),
        np.concatenate([level_vars[y_row, y_level], open_var[matrix.indices]]),
        np.concatenate([np.ones(y_row.size), -np.ones(cover_row.size)]),
        np.full(block.n_rows, -np.inf),
        (block.base_count - block.fixed_levels).astype(float),
    )


def _open_rows(rows: _Rows, problem: ReducedProblem, pair_cand: np.ndarray, first_free: int) -> tuple[np.ndarray, int]:
    """Assign the ``o_j``: the single ``x`` when ``j`` has one eligible base, else a new ``o_j = sum_b x_jb``."""
    per_candidate = np.bincount(pair_cand, minlength=problem.n_candidates)
    open_var = np.full(problem.n_candidates, -1, dtype=np.int64)
    single = per_candidate == 1
    open_var[pair_cand[single[pair_cand]]] = np.flatnonzero(single[pair_cand])
    multi = np.flatnonzero(per_candidate > 1)
    open_var[multi] = first_free + np.arange(multi.size)
    if multi.size:
        local = np.full(problem.n_candidates, -1, dtype=np.int64)
        local[multi] = np.arange(multi.size)
        in_multi = np.flatnonzero(local[pair_cand] >= 0)
        rows.add(
            np.concatenate([np.arange(multi.size), local[pair_cand[in_multi]]]),
            np.concatenate([open_var[multi], in_multi]),
            np.concatenate([np.ones(multi.size), -np.ones(in_multi.size)]),
            np.zeros(multi.size),
            np.zeros(multi.size),
        )
    return open_var, first_free + multi.size


def _base_rows(rows: _Rows, problem: ReducedProblem, pair_base: np.ndarray) -> None:
    """``sum_j x_jb <= p_b``."""
    rows.add(
        pair_base,
        np.arange(pair_base.size),
        np.ones(pair_base.size),
        np.full(problem.n_bases, -np.inf),
        problem.locations.astype(float),
    )


def _floor_rows(rows: _Rows, problem: ReducedProblem, level_vars: np.ndarray, floors: np.ndarray) -> None:
    """``sum_{r in g, f_r = 0} w_r y_r1 >= floor_g W_g - C_g`` per group with a floor."""
    block = problem.grade1
    for g in np.flatnonzero(floors > 0):
        need = floors[g] * problem.group_total[g] - problem.group_base_covered[g]
        members = np.flatnonzero((block.group == g) & (block.fixed_levels == 0))
        if need <= 0:
            continue
        rows.add(
            np.zeros(members.size, dtype=np.int64),
            level_vars[members, 0],
            block.weight[members],
            np.array([need]),
            np.array([np.inf]),
        )


def _total_row(rows: _Rows, n_pairs: int, total_sites: int) -> None:
    """``sum_{(j,b)} x_jb <= T``."""
    rows.add(np.zeros(n_pairs, dtype=np.int64), np.arange(n_pairs), np.ones(n_pairs), np.array([-np.inf]),
             np.array([float(total_sites)]))  # fmt: skip


def _cover_floor_row(rows: _Rows, block: CoverBlock, level_vars: np.ndarray, floor: CoverFloor) -> None:
    """``sum_r w_r sum_{k > f_r} delta_k y_rk >= A - (base-met part)``; left out when the bases meet it."""
    weights = np.asarray(floor.level_weights, dtype=float)
    if weights.shape[-1] != block.levels:
        raise ValueError(
            f"cover floor has {weights.shape[-1]} level weights, the Grade 1 rows have {block.levels} levels"
        )
    need = floor.amount - block.constant(weights)
    if need <= 0:
        return
    y_row, y_level = np.nonzero(level_vars >= 0)
    per_row = block.row_level_weights(weights)
    rows.add(np.zeros(y_row.size, dtype=np.int64), level_vars[y_row, y_level],
             block.weight[y_row] * per_row[y_row, y_level], np.array([need]), np.array([np.inf]))  # fmt: skip


def _pairs_mask(problem: ReducedProblem, pair_cand: np.ndarray, pair_base: np.ndarray, pairs: tuple) -> np.ndarray:
    lookup = {(int(j), int(b)) for j, b in pairs}
    return np.array([(int(j), int(b)) in lookup for j, b in zip(pair_cand, pair_base, strict=True)], dtype=bool)


def _objective(model_sizes: int, level: LevelSpec, problem: ReducedProblem, index: dict) -> np.ndarray:
    c = np.zeros(model_sizes)
    for block, vars_, weights in (
        (problem.grade1, index["y1"], level.grade1),
        (problem.grade2, index["y2"], np.array([level.grade2])),
    ):
        rows, lev = np.nonzero(vars_ >= 0)
        if rows.size:
            c[vars_[rows, lev]] += block.weight[rows] * block.row_level_weights(weights)[rows, lev]
    c[: index["kept"].size] += level.kept * index["kept"] + level.sites
    return c


def build_model(
    problem: ReducedProblem,
    levels: tuple[LevelSpec, ...],
    *,
    floors: np.ndarray | None = None,
    max_changes: int | None = None,
    total_sites: int | None = None,
    cover_floor: CoverFloor | None = None,
) -> LinearModel:
    """Build the MIP of the module docstring.

    Parameters
    ----------
    problem
        The reduced problem.
    levels
        Objective levels, most important first.
    floors
        Minimum covered Grade 1 share per group code, or ``None``.
    max_changes
        Largest number of current-plan pairs that may be dropped, or ``None``.
    total_sites
        Most open sites in all (fixed ones included), or ``None``.
    cover_floor
        Least value of a Grade 1 cover measure, or ``None``.

    Returns
    -------
    LinearModel
    """
    pair_base, pair_cand = np.nonzero(problem.eligibility)
    rows = _Rows()
    open_var, next_var = _open_rows(rows, problem, pair_cand, pair_cand.size)
    y1, next_var = _level_vars(problem.grade1, next_var)
    y2, next_var = _level_vars(problem.grade2, next_var)
    _base_rows(rows, problem, pair_base)
    _cover_rows(rows, problem.grade1, y1, open_var)
    _cover_rows(rows, problem.grade2, y2, open_var)
    if floors is not None and floors.size:
        _floor_rows(rows, problem, y1, floors)
    kept = _pairs_mask(problem, pair_cand, pair_base, problem.current_pairs).astype(float)
    if max_changes is not None:
        members = np.flatnonzero(kept)
        rows.add(np.zeros(members.size, dtype=np.int64), members, np.ones(members.size),
                 np.array([len(problem.current_pairs) - max_changes]), np.array([np.inf]))  # fmt: skip
    if total_sites is not None:
        _total_row(rows, pair_cand.size, total_sites)
    if cover_floor is not None:
        _cover_floor_row(rows, problem.grade1, y1, cover_floor)
    matrix, row_lower, row_upper = rows.build(next_var)
    lower = np.zeros(next_var)
    lower[: pair_cand.size] = _pairs_mask(problem, pair_cand, pair_base, problem.fixed_pairs)
    integer = np.zeros(next_var, dtype=bool)
    integer[: pair_cand.size] = True
    index = {"y1": y1, "y2": y2, "kept": kept}
    return LinearModel(
        lower=lower,
        upper=np.ones(next_var),
        integer=integer,
        matrix=matrix,
        row_lower=row_lower,
        row_upper=row_upper,
        objectives=tuple(_objective(next_var, level, problem, index) for level in levels),
        constants=tuple(level_constant(problem, level) for level in levels),
        pair_candidate=pair_cand,
        pair_base=pair_base,
        open_var=open_var,
        grade1_vars=y1,
        grade2_vars=y2,
    )


def pairs_mask(model: LinearModel, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Mark the ``x`` variables of the given open ``(reduced candidate, base)`` pairs.

    Parameters
    ----------
    model
        The model.
    pairs
        Open pairs.

    Returns
    -------
    numpy.ndarray
        Bool, one per ``x`` variable.
    """
    lookup = {(int(j), int(b)) for j, b in pairs}
    return np.array(
        [(int(j), int(b)) in lookup for j, b in zip(model.pair_candidate, model.pair_base, strict=True)], dtype=bool
    )


def plan_values(model: LinearModel, problem: ReducedProblem, x_open: np.ndarray) -> np.ndarray:
    """Build the full variable vector of the plan whose open pairs are ``x_open``.

    Every ``y`` takes its largest feasible value (row ``r`` reaches level ``k``
    when at least ``k`` open sites, bases included, cover it), so the vector
    scores the plan's true cover on every level. Used for hints and to polish
    a solver's solution, whose ``y`` of levels not in its objective are arbitrary.

    Parameters
    ----------
    model
        The model.
    problem
        The reduced problem.
    x_open
        Bool per ``x`` variable.

    Returns
    -------
    numpy.ndarray
    """
    values = np.zeros(model.n_vars)
    values[: x_open.size] = x_open
    opened = np.bincount(model.pair_candidate[x_open], minlength=problem.n_candidates).astype(float)
    values[model.open_var] = opened
    for block, vars_ in ((problem.grade1, model.grade1_vars), (problem.grade2, model.grade2_vars)):
        rows, lev = np.nonzero(vars_ >= 0)
        count = block.matrix @ opened
        values[vars_[rows, lev]] = (block.base_count[rows] + count[rows] >= lev + 1).astype(float)
    return values
