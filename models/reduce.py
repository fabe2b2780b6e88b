"""Exact reductions of a coverage instance, with the map back to original indices.

The model the solver sees is built on a :class:`ReducedProblem`:

1. **Base cover is a constant.** Bases are always open, so the first
   ``min(c_i, K)`` cover levels of a node within target of ``c_i`` bases are
   constants of the objective (``CoverBlock.constant_by_level``) and a node
   whose every level is fixed leaves the model. For Grade 2 (60 min) this
   removes most of the dense rows.
2. **Zero-demand and uncoverable nodes** leave the model (they add nothing).
3. **Unusable candidates** (no base may use them) and candidates that cover
   nothing left in the model are dropped.
4. **Dominated candidates.** With one cover level per grade (no backup or
   expected cover), candidate ``j`` is dropped when another candidate ``k``
   covers every remaining row ``j`` covers, for every grade in use, and may be
   tied to every base ``j`` may (``elig(j) ⊆ elig(k)``); identical candidates
   keep the lowest index. Fixed and current-plan candidates are never dropped.
   This is exact because the model opens *at most* ``p_b`` sites per base (the
   objective is monotone in the open set, so the optimum is the same) and
   :mod:`models.assign` fills the remaining slots afterwards: in any plan,
   ``j`` at base ``b`` can be swapped for ``k`` at ``b`` (or just closed if
   ``k`` is open) without losing cover.

   **With K cover levels** (``ReductionRequest.multi_level_dominance``, used by
   :mod:`models.budget`), ``j`` is dropped when at least ``K`` candidates beat
   it: in any plan with ``j`` open, either some beater is closed (swap ``j``
   for it, as above) or all ``K`` are open, so every row ``j`` covers is
   already covered ``K`` times and closing ``j`` loses nothing. The "beats"
   relation is acyclic, so repeating these moves ends in a plan without
   dropped candidates that is at least as good on every level (and has no
   more sites). Identical candidates keep the ``K`` lowest indices.
5. **Identical nodes merge.** Nodes with the same remaining cover set, the
   same number of fixed levels and the same busy class (the same ``q_i`` when
   the busy fraction is per node; :meth:`models.instance.CoverageParams.busy_classes`),
   and the same group when an equity floor is active, become one row whose
   weight is the sum. Merged nodes share every level weight, so the row's
   value is the sum of theirs.

``reduce=False`` skips 2-5 (nodes keep their base cover as a right-hand side),
so tests can check that the reductions do not change the optimum.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse

from models.instance import CoverageInstance, stored_targets_s
from models.plan import ReductionStats

log = logging.getLogger(__name__)

#: Candidate rows per chunk when testing dominance (bounds memory to chunk x m).
DOMINANCE_CHUNK = 512


@dataclass(frozen=True, eq=False)
class CoverBlock:
    """The covering rows of one grade.

    Parameters
    ----------
    matrix
        Bool CSR ``R x m'``: row ``r`` is covered by reduced candidate ``j``.
    weight
        Demand of each row (sum over its merged nodes).
    base_count
        Number of bases within target of the row's nodes.
    fixed_levels
        Cover levels already met by the bases and taken out as constants; the
        row's variable levels are ``fixed_levels + 1 .. levels``.
    group
        Group code of each row (index into ``ReducedProblem.group_labels``), -1 without groups.
    levels
        Number of cover levels ``K`` counted for this grade.
    constant_by_level
        ``(C, K)``: demand of busy class ``c`` whose level ``k`` is met by the bases alone (taken out of the model).
    node_row
        ``(n,)``: the row of each original node, -1 when it is not in the model.
    weight_class
        Busy class of each row, ``(R,)`` (all 0 with one busy fraction); a
        level-weight table's row ``weight_class[r]`` weighs row ``r``.
    """

    matrix: scipy.sparse.csr_matrix
    weight: np.ndarray
    base_count: np.ndarray
    fixed_levels: np.ndarray
    group: np.ndarray
    levels: int
    constant_by_level: np.ndarray
    node_row: np.ndarray
    weight_class: np.ndarray

    @property
    def n_classes(self) -> int:
        """Number of busy classes ``C``."""
        return int(self.constant_by_level.shape[0])

    @property
    def n_rows(self) -> int:
        """Number of rows in the model."""
        return int(self.weight.size)

    def variable_levels(self) -> np.ndarray:
        """Count the cover-level variables of each row."""
        return self.levels - self.fixed_levels

    def level_table(self, level_weights: np.ndarray) -> np.ndarray:
        """Per-class level weights ``(C, K)`` from ``(K,)`` (the same for every class) or ``(C, K')``, ``K' >= K``."""
        table = np.atleast_2d(np.asarray(level_weights, dtype=float))[:, : self.levels]
        if table.shape[0] == 1:
            return np.broadcast_to(table, (self.n_classes, table.shape[1]))
        if table.shape[0] != self.n_classes:
            raise ValueError(f"{table.shape[0]} rows of level weights for {self.n_classes} busy classes")
        return table

    def row_level_weights(self, level_weights: np.ndarray) -> np.ndarray:
        """Level weights of each row, ``(R, K)``."""
        return self.level_table(level_weights)[self.weight_class]

    def constant(self, level_weights: np.ndarray) -> float:
        """Return the objective constant for level weights ``(K,)`` or per class ``(C, K)``."""
        return float((self.level_table(level_weights) * self.constant_by_level).sum())


@dataclass(frozen=True, eq=False)
class ReducedProblem:
    """What the greedy and the MIP work on.

    Parameters
    ----------
    candidates
        Original index of each kept candidate, ``(m',)``.
    eligibility
        Bool ``B x m'``: base ``b`` may use kept candidate ``j``.
    locations
        ``p_b`` per base.
    grade1, grade2
        The covering rows.
    group_labels
        Group labels (codes index this tuple).
    group_total
        Grade 1 demand per group (all original nodes).
    group_base_covered
        Grade 1 demand per group already within target of a base (constant, not in the model).
    fixed_pairs
        ``(reduced candidate, base)`` pairs that must be open.
    current_pairs
        ``(reduced candidate, base)`` pairs of the current plan.
    stats
        Sizes before and after.
    """

    candidates: np.ndarray
    eligibility: np.ndarray
    locations: np.ndarray
    grade1: CoverBlock
    grade2: CoverBlock
    group_labels: tuple[str, ...]
    group_total: np.ndarray
    group_base_covered: np.ndarray
    fixed_pairs: tuple[tuple[int, int], ...]
    current_pairs: tuple[tuple[int, int], ...]
    stats: ReductionStats

    @property
    def n_candidates(self) -> int:
        """Number of kept candidates ``m'``."""
        return int(self.candidates.size)

    @property
    def n_bases(self) -> int:
        """Number of bases."""
        return int(self.locations.size)


@dataclass(frozen=True)
class ReductionRequest:
    """What the reductions must respect.

    Parameters
    ----------
    grade1_levels
        Cover levels counted for Grade 1 (``K``; 1 unless backup or expected cover).
    use_grade1, use_grade2
        Whether each grade's rows enter the objective or a constraint.
    protected
        Candidates that must not be dropped (fixed and current-plan sites), original indices.
    fixed_pairs, current_pairs
        ``(candidate, base)`` pairs in original indices.
    by_group
        Keep groups apart when merging nodes (an equity floor is active).
    grade1_class
        Busy class of each demand node (:meth:`CoverageParams.busy_classes`),
        or ``None`` when every node has the same busy fraction.
    reduce
        Apply the reductions (else only base cover is folded into right-hand sides).
    multi_level_dominance
        Drop dominated candidates also with ``K > 1`` cover levels (when ``K``
        candidates beat them); off by default.
    """

    grade1_levels: int = 1
    use_grade1: bool = True
    use_grade2: bool = True
    protected: tuple[int, ...] = ()
    fixed_pairs: tuple[tuple[int, int], ...] = ()
    current_pairs: tuple[tuple[int, int], ...] = ()
    by_group: bool = False
    reduce: bool = True
    multi_level_dominance: bool = False
    grade1_class: np.ndarray | None = None


# --------------------------------------------------------------------------- cover sets


def cover_matrix(response: scipy.sparse.csr_matrix, target_s: np.ndarray) -> scipy.sparse.csr_matrix:
    """Bool CSR of the stored pairs with response time <= their row's target (``target_s``, one per row; zeros kept)."""
    hit = response.data <= stored_targets_s(response, target_s)
    running = np.concatenate(([0], np.cumsum(hit, dtype=np.int64)))
    indptr = running[response.indptr]
    data = np.ones(int(hit.sum()), dtype=bool)
    return scipy.sparse.csr_matrix((data, response.indices[hit], indptr), shape=response.shape)


@dataclass(frozen=True, eq=False)
class _Grade:
    """One grade's full-size cover before reduction."""

    cover: scipy.sparse.csr_matrix
    weight: np.ndarray
    base_count: np.ndarray
    fixed: np.ndarray
    active: np.ndarray
    levels: int
    weight_class: np.ndarray


def _grade(
    instance: CoverageInstance, grade: int, levels: int, *, used: bool, reduce: bool, classes: np.ndarray | None = None
) -> _Grade:
    target = instance.target_s(grade)
    weight = instance.demand(grade)
    cover = cover_matrix(instance.candidate_response_s, target)
    base_count = np.asarray(cover_matrix(instance.base_response_s, target).sum(axis=1)).reshape(-1).astype(np.int64)
    fixed = np.minimum(base_count, levels) if reduce else np.zeros_like(base_count)
    active = np.full(weight.size, used)
    if reduce:
        active &= (weight > 0) & (fixed < levels) & (np.diff(cover.indptr) > 0)
    weight_class = np.zeros(weight.size, dtype=np.int64) if classes is None else np.asarray(classes, dtype=np.int64)
    return _Grade(cover, weight, base_count, fixed, active, levels, weight_class)


# --------------------------------------------------------------------------- columns


def _containment(sets: scipy.sparse.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a bool CSR of sets (one per row): ``(rows[a] ⊆ b, b ⊆ rows[a])`` for every ``a`` and every set ``b``."""
    sizes = np.asarray(sets.sum(axis=1)).reshape(-1)
    values = sets.astype(np.float32)
    if sets.nnz < 0.05 * np.prod(sets.shape):
        inter = (values[rows] @ values.T).toarray()
    else:
        dense = values.toarray()
        inter = dense[rows] @ dense.T
    return inter >= sizes[rows][:, None] - 0.5, inter >= sizes[None, :] - 0.5


def _beaten(families: list[scipy.sparse.csr_matrix], protected: np.ndarray, beaters: int = 1) -> np.ndarray:
    """Which sets are beaten by at least ``beaters`` others.

    ``k`` beats ``j`` when ``j ⊆ k`` in every family, strictly or with ``k < j``.
    """
    n = protected.size
    beaten = np.zeros(n, dtype=bool)
    for start in range(0, n, DOMINANCE_CHUNK):
        chunk = np.arange(start, min(start + DOMINANCE_CHUNK, n))
        inside = np.ones((chunk.size, n), dtype=bool)
        around = np.ones((chunk.size, n), dtype=bool)
        for sets in families:
            sub, sup = _containment(sets, chunk)
            inside &= sub
            around &= sup
        lower = np.arange(n)[None, :] < chunk[:, None]
        beats = inside & (~around | lower)
        beats[np.arange(chunk.size), chunk] = False
        beaten[chunk] = beats.sum(axis=1) >= beaters
    return beaten & ~protected


def _keep_columns(
    grades: list[_Grade], eligibility: np.ndarray, protected: np.ndarray, *, dominance: bool, beaters: int = 1
) -> np.ndarray:
    """Original indices of the candidates kept in the model."""
    usable = eligibility.any(axis=0)
    sets = [g.cover[g.active].T.tocsr() for g in grades if g.active.any()]
    covers_something = np.zeros(eligibility.shape[1], dtype=bool)
    for s in sets:
        covers_something |= np.diff(s.indptr) > 0
    columns = np.flatnonzero((usable & covers_something) | protected)
    if not dominance or columns.size < 2:
        return columns
    families = [s[columns] for s in sets] + [scipy.sparse.csr_matrix(eligibility[:, columns].T)]
    beaten = _beaten(families, protected[columns], beaters)
    return columns[~beaten]


# --------------------------------------------------------------------------- rows


def _merge_rows(matrix: scipy.sparse.csr_matrix, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group rows with identical patterns and equal ``keys``; return (first row of each group, group of each row)."""
    seen: dict[tuple[bytes, bytes], int] = {}
    group = np.empty(matrix.shape[0], dtype=np.int64)
    first: list[int] = []
    indptr, indices = matrix.indptr, matrix.indices
    for r in range(matrix.shape[0]):
        key = (indices[indptr[r] : indptr[r + 1]].tobytes(), keys[r].tobytes())
        index = seen.setdefault(key, len(first))
        if index == len(first):
            first.append(r)
        group[r] = index
    return np.asarray(first, dtype=np.int64), group


def _block(grade: _Grade, columns: np.ndarray, group_code: np.ndarray, *, merge: bool) -> CoverBlock:
    nodes = np.flatnonzero(grade.active)
    matrix = grade.cover[nodes][:, columns].tocsr()
    matrix.sort_indices()
    keep_nodes = nodes
    if merge:
        nonempty = np.diff(matrix.indptr) > 0
        matrix, keep_nodes = matrix[nonempty], nodes[nonempty]
        keys = np.stack([grade.fixed[keep_nodes], group_code[keep_nodes], grade.weight_class[keep_nodes]], axis=1)
        first, row_of = _merge_rows(matrix, keys)
    else:
        first, row_of = np.arange(nodes.size), np.arange(nodes.size)
    node_row = np.full(grade.weight.size, -1, dtype=np.int64)
    node_row[keep_nodes] = row_of
    weight = np.bincount(row_of, weights=grade.weight[keep_nodes], minlength=first.size)
    n_classes = int(grade.weight_class.max()) + 1 if grade.weight_class.size else 1
    constant = np.zeros((n_classes, grade.levels))
    for k in range(1, grade.levels + 1):
        met = grade.fixed >= k
        constant[:, k - 1] = np.bincount(grade.weight_class[met], weights=grade.weight[met], minlength=n_classes)
    return CoverBlock(
        matrix=matrix[first].astype(bool),
        weight=weight,
        base_count=grade.base_count[keep_nodes][first],
        fixed_levels=grade.fixed[keep_nodes][first],
        group=group_code[keep_nodes][first],
        levels=grade.levels,
        constant_by_level=constant,
        node_row=node_row,
        weight_class=grade.weight_class[keep_nodes][first],
    )


# --------------------------------------------------------------------------- entry point


def _group_codes(instance: CoverageInstance) -> tuple[tuple[str, ...], np.ndarray]:
    if instance.demand_group is None:
        return (), np.full(instance.n_demand, -1, dtype=np.int64)
    labels, codes = np.unique(np.asarray(instance.demand_group, dtype=object).astype(str), return_inverse=True)
    return tuple(str(x) for x in labels), codes.astype(np.int64)


def _map_pairs(pairs: tuple[tuple[int, int], ...], columns: np.ndarray) -> tuple[tuple[int, int], ...]:
    position = {int(j): i for i, j in enumerate(columns)}
    return tuple((position[j], b) for j, b in pairs if j in position)


def reduce_instance(instance: CoverageInstance, request: ReductionRequest) -> ReducedProblem:
    """Build the :class:`ReducedProblem` of ``instance`` (see the module docstring).

    Parameters
    ----------
    instance
        The problem.
    request
        Cover levels, grades in use and what must be kept.

    Returns
    -------
    ReducedProblem
    """
    started = time.perf_counter()
    eligibility = instance.eligibility()
    grades = [
        _grade(
            instance,
            1,
            request.grade1_levels,
            used=request.use_grade1,
            reduce=request.reduce,
            classes=request.grade1_class,
        ),
        _grade(instance, 2, 1, used=request.use_grade2, reduce=request.reduce),
    ]
    protected = np.zeros(instance.n_candidates, dtype=bool)
    protected[list(request.protected)] = True
    dominance = request.reduce and (request.grade1_levels == 1 or request.multi_level_dominance)
    if request.reduce:
        beaters = max(request.grade1_levels, 1)
        columns = _keep_columns(grades, eligibility, protected, dominance=dominance, beaters=beaters)
    else:
        columns = np.flatnonzero(eligibility.any(axis=0) | protected)
    labels, codes = _group_codes(instance)
    merge_codes = codes if request.by_group else np.full_like(codes, -1)
    blocks = [
        _block(grades[0], columns, merge_codes, merge=request.reduce),
        _block(grades[1], columns, np.full_like(codes, -1), merge=request.reduce),
    ]
    total, base_covered = _group_sums(instance.grade1_demand, codes, len(labels), grades[0].fixed)
    stats = ReductionStats(
        demand_nodes=instance.n_demand,
        candidates=instance.n_candidates,
        grade1_rows=blocks[0].n_rows,
        grade2_rows=blocks[1].n_rows,
        candidates_kept=int(columns.size),
        seconds=time.perf_counter() - started,
    )
    log.info(
        "reduced %d nodes x %d candidates to %d + %d rows x %d candidates in %.2f s",
        *(stats.demand_nodes, stats.candidates, stats.grade1_rows, stats.grade2_rows),
        *(stats.candidates_kept, stats.seconds),
    )
    return ReducedProblem(
        candidates=columns,
        eligibility=eligibility[:, columns],
        locations=instance.locations_per_base.copy(),
        grade1=blocks[0],
        grade2=blocks[1],
        group_labels=labels,
        group_total=total,
        group_base_covered=base_covered,
        fixed_pairs=_map_pairs(request.fixed_pairs, columns),
        current_pairs=_map_pairs(request.current_pairs, columns),
        stats=stats,
    )


def _group_sums(
    weight: np.ndarray, codes: np.ndarray, n_groups: int, fixed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if n_groups == 0:
        return np.zeros(0), np.zeros(0)
    total = np.bincount(codes, weights=weight, minlength=n_groups)
    base_covered = np.bincount(codes, weights=weight * (fixed >= 1), minlength=n_groups)
    return total, base_covered
