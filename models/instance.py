"""The data of one shift's deployment problem and the settings of a solve.

:class:`CoverageInstance` holds matrices only: demand per node, response times
from candidate sites and bases to demand nodes, and which candidates each base
may use. :class:`CoverageParams` holds every choice of a solve (objective,
options, solver and its limits); nothing is read from globals.

Response-time matrices
----------------------
``candidate_response_s`` (``n x m``) and ``base_response_s`` (``n x B``) are
stored as :class:`scipy.sparse.csr_matrix` whose **stored entries are the
reachable pairs**: an entry, *including an explicit 0* (a site on the demand
node itself), is a response time in seconds; an absent entry means "beyond
every target". Nothing in :mod:`models` calls ``eliminate_zeros`` or does
arithmetic on these matrices; cover is always read from ``indices``/``data``
directly. Build them with :func:`response_matrix_from_pairs` (which keeps
zeros) or pass a dense array where ``inf`` means absent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import scipy.sparse

from models.errors import ModelInputError, raise_if_problems
from models.response import expected_cover_level_weights

#: Solvers :func:`models.coverage.solve_double_standard` can call ("greedy": the greedy + swap plan with its
#: submodular bound, no MIP).
SOLVERS = ("cp-sat", "scip", "greedy")
#: Objective modes.
OBJECTIVES = ("ranked", "weighted")
#: The default solver; chosen from the measurements in ``models/README.md``.
DEFAULT_SOLVER = "scip"
#: Grade 1 and Grade 2 attendance targets, seconds.
GRADE1_TARGET_S = 900.0
GRADE2_TARGET_S = 3600.0


# --------------------------------------------------------------------------- response matrices


def response_matrix_from_pairs(
    rows: Sequence[int] | np.ndarray,
    cols: Sequence[int] | np.ndarray,
    times_s: Sequence[float] | np.ndarray,
    *,
    shape: tuple[int, int],
) -> scipy.sparse.csr_matrix:
    """Build a response-time matrix from (demand node, site, seconds) triples, keeping zeros.

    Parameters
    ----------
    rows
        Demand-node index of each pair.
    cols
        Site index (candidate or base) of each pair.
    times_s
        Response time of each pair, seconds; 0 is a valid time and is kept as
        an explicit entry. Repeated pairs keep their smallest time.
    shape
        ``(n_demand, n_sites)``.

    Returns
    -------
    scipy.sparse.csr_matrix
        Canonical CSR (sorted, no duplicates) whose stored entries are exactly the given pairs.
    """
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    t = np.asarray(times_s, dtype=float)
    if not (r.shape == c.shape == t.shape and r.ndim == 1):
        raise ModelInputError(
            f"rows, cols and times_s must be 1-D and the same length, got {r.shape}, {c.shape}, {t.shape}",
            setting="response_matrix_from_pairs",
        )
    # One sort key per pair (row-major position), sorted with the time as tie-break: a few arrays of one
    # int64 a pair at a time, not three reordered copies of the inputs (the shipped scenarios have 15 million).
    key = r * max(shape[1], 1) + c
    order = np.lexsort((t, key))
    key = key[order]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    kept = order[first]
    del order, key
    index_type = np.int32 if max(*shape, kept.size) < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(shape[0] + 1, dtype=index_type)
    indptr[1:] = np.cumsum(np.bincount(r[kept], minlength=shape[0]))
    return scipy.sparse.csr_matrix((t[kept], c[kept].astype(index_type), indptr), shape=shape)


def _dense_to_response(values: np.ndarray) -> scipy.sparse.csr_matrix:
    """Dense times (``inf`` = absent) to a response CSR that keeps zero times."""
    rows, cols = np.nonzero(np.isfinite(values))
    return response_matrix_from_pairs(rows, cols, values[rows, cols], shape=values.shape)


def frozen_response(matrix: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
    """``matrix`` (a canonical response CSR: float64, sorted indices) with its arrays made read-only.

    Instances built on a frozen matrix share it instead of copying it: a shift's instance of the
    shipped scenarios would otherwise hold its own 180 MB copy of the scenario's response times.
    """
    matrix.sort_indices()
    for array in (matrix.data, matrix.indices, matrix.indptr):
        array.flags.writeable = False
    return matrix


def _is_frozen(value: Any) -> bool:
    """Whether ``value`` is a float64 CSR with sorted indices and read-only arrays (safe to share)."""
    return (
        isinstance(value, scipy.sparse.csr_matrix)
        and value.dtype == np.float64
        and value.has_sorted_indices
        and not any(array.flags.writeable for array in (value.data, value.indices, value.indptr))
    )


def _as_response(value: Any, name: str, shape: tuple[int, int], problems: list[str]) -> scipy.sparse.csr_matrix:
    """``value`` as a canonical read-only response CSR (shared when already frozen, else a copy).

    Records problems instead of raising.
    """
    if _is_frozen(value):
        matrix = value
    elif scipy.sparse.issparse(value):
        matrix = scipy.sparse.csr_matrix(value, dtype=float, copy=True)
        matrix.sort_indices()
    else:
        dense = np.asarray(value, dtype=float)
        if dense.ndim != 2:
            problems.append(f"{name}: expected a 2-D matrix of shape {shape}, got {dense.ndim}-D")
            return scipy.sparse.csr_matrix(shape)
        matrix = _dense_to_response(dense)
    if matrix.shape != shape:
        problems.append(f"{name}: expected shape {shape}, got {matrix.shape}")
        return scipy.sparse.csr_matrix(shape)
    if matrix.nnz and not (np.all(np.isfinite(matrix.data)) and matrix.data.min() >= 0):
        problems.append(f"{name}: stored response times must be finite and >= 0 s (leave out pairs beyond the targets)")
    same = np.diff(matrix.indices) == 0
    row_starts = matrix.indptr[1:-1]
    same[row_starts[(row_starts > 0) & (row_starts < matrix.nnz)] - 1] = False
    if same.any():
        problems.append(f"{name}: repeated (demand node, site) pairs; build it with response_matrix_from_pairs")
    return frozen_response(matrix)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# --------------------------------------------------------------------------- instance


@dataclass(frozen=True, eq=False)
class CoverageInstance:
    """One shift's deployment problem, as matrices.

    Parameters
    ----------
    grade1_demand, grade2_demand
        Expected Grade 1 / Grade 2 incidents at each demand node during the
        shift (any non-negative unit, used as weights), shape ``(n,)``.
    candidate_response_s
        Response time (mobilisation + travel) from candidate site ``j`` to
        demand node ``i``, seconds, ``n x m`` (see the module docstring for
        how absent and zero entries are read).
    base_response_s
        The same from each base, ``n x B``. Bases are always open and are not candidates.
    base_to_candidate_time_s
        Travel time from base ``b`` to candidate ``j``, seconds, dense ``B x m``;
        ``inf`` = unreachable.
    max_base_travel_s
        Largest travel time from base ``b`` to a deployment location tied to it, seconds, ``(B,)``.
    locations_per_base
        Number of deployment locations base ``b`` opens (``p_b >= 0``), ``(B,)``.
        The base itself is not counted.
    units_per_base
        Cars on duty at base ``b``, ``(B,)``; must be at least ``locations_per_base``
        (every open location holds a car).
    target_grade1_s, target_grade2_s
        Attendance targets, seconds: one number for every node, or one per demand node, shape ``(n,)``
        (a standard whose target depends on the node's area class, see
        :meth:`models.standards.ResponseStandard.targets_s`). Stored as one value per node.
    demand_group
        Optional group label per demand node (local authority), used by equity floors.
    base_names
        Name of each base, used in messages; empty (the default) gives ``"base <index>"``.
    """

    grade1_demand: np.ndarray
    grade2_demand: np.ndarray
    candidate_response_s: scipy.sparse.csr_matrix
    base_response_s: scipy.sparse.csr_matrix
    base_to_candidate_time_s: np.ndarray
    max_base_travel_s: np.ndarray
    locations_per_base: np.ndarray
    units_per_base: np.ndarray
    target_grade1_s: float | np.ndarray = GRADE1_TARGET_S
    target_grade2_s: float | np.ndarray = GRADE2_TARGET_S
    demand_group: tuple[str, ...] | None = None
    base_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems: list[str] = []
        n = self._set_demand(problems)
        m = self._set_bases(problems)
        b = self.max_base_travel_s.shape[0]
        self._set(
            "candidate_response_s", _as_response(self.candidate_response_s, "candidate_response_s", (n, m), problems)
        )
        self._set("base_response_s", _as_response(self.base_response_s, "base_response_s", (n, b), problems))
        self._check_targets(n, problems)
        self._set_labels(n, b, problems)
        raise_if_problems(problems, "the instance is not usable; fix these fields", setting="CoverageInstance")

    # -- construction helpers (each records problems, never raises)

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def _set_demand(self, problems: list[str]) -> int:
        for name in ("grade1_demand", "grade2_demand"):
            values = np.array(getattr(self, name), dtype=float, copy=True).reshape(-1)
            if values.size and not (np.all(np.isfinite(values)) and values.min() >= 0):
                problems.append(f"{name}: expected incidents must be finite and >= 0")
            self._set(name, _readonly(values))
        if self.grade1_demand.shape != self.grade2_demand.shape:
            problems.append(
                f"grade2_demand: has {self.grade2_demand.size} nodes but grade1_demand has {self.grade1_demand.size}"
            )
        return int(self.grade1_demand.size)

    def _set_bases(self, problems: list[str]) -> int:
        times = np.array(self.base_to_candidate_time_s, dtype=float, copy=True)
        if times.ndim != 2:
            problems.append(f"base_to_candidate_time_s: expected a dense B x m array, got {times.ndim}-D")
            times = np.zeros((0, 0))
        if np.isnan(times).any() or (times < 0).any():
            problems.append("base_to_candidate_time_s: times must be >= 0 s (inf = unreachable), no NaN")
        self._set("base_to_candidate_time_s", _readonly(times))
        n_bases = times.shape[0]
        max_s = np.array(self.max_base_travel_s, dtype=float, copy=True).reshape(-1)
        locations = np.array(self.locations_per_base, copy=True).reshape(-1)
        units = np.array(self.units_per_base, copy=True).reshape(-1)
        for name, arr in (("max_base_travel_s", max_s), ("locations_per_base", locations), ("units_per_base", units)):
            if arr.shape != (n_bases,):
                problems.append(f"{name}: expected one value per base ({n_bases}), got {arr.shape[0]}")
        if np.isnan(max_s).any() or (max_s < 0).any():
            problems.append("max_base_travel_s: must be >= 0 s, no NaN")
        self._set("max_base_travel_s", _readonly(max_s))
        self._set("locations_per_base", _readonly(_as_counts(locations, "locations_per_base", problems)))
        self._set("units_per_base", _readonly(_as_counts(units, "units_per_base", problems)))
        return times.shape[1]

    def _check_targets(self, n: int, problems: list[str]) -> None:
        for name in ("target_grade1_s", "target_grade2_s"):
            values = np.array(getattr(self, name), dtype=float, copy=True)
            if values.ndim == 0:
                values = np.full(n, float(values))
            if values.shape != (n,):
                problems.append(f"{name}: expected one number or one per demand node ({n}), got shape {values.shape}")
                values = np.full(n, np.nan)
            bad = values[~(np.isfinite(values) & (values >= 0))]
            if bad.size:
                problems.append(f"{name}: must be finite numbers of seconds >= 0, got {bad[0]}")
            self._set(name, _readonly(values))

    def _set_labels(self, n: int, n_bases: int, problems: list[str]) -> None:
        if self.demand_group is not None:
            groups = tuple(str(g) for g in self.demand_group)
            if len(groups) != n:
                problems.append(f"demand_group: expected one label per demand node ({n}), got {len(groups)}")
            self._set("demand_group", groups)
        names = tuple(str(x) for x in self.base_names)
        if names and len(names) != n_bases:
            problems.append(f"base_names: expected one name per base ({n_bases}), got {len(names)}")
        self._set("base_names", names or tuple(f"base {b}" for b in range(n_bases)))
        short = [
            f"{names_b}: units_per_base={u} < locations_per_base={p}; every location needs a car"
            for names_b, u, p in zip(self.base_names, self.units_per_base, self.locations_per_base, strict=False)
            if u < p
        ]
        problems.extend(f"units_per_base: {s}" for s in short)

    # -- sizes and derived views

    @property
    def n_demand(self) -> int:
        """Number of demand nodes ``n``."""
        return int(self.grade1_demand.size)

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites ``m``."""
        return int(self.base_to_candidate_time_s.shape[1])

    @property
    def n_bases(self) -> int:
        """Number of bases ``B``."""
        return int(self.base_to_candidate_time_s.shape[0])

    def eligibility(self) -> np.ndarray:
        """Which candidates each base may tie to itself, bool ``B x m``."""
        return self.base_to_candidate_time_s <= self.max_base_travel_s[:, None]

    def target_s(self, grade: int) -> np.ndarray:
        """Return the attendance target of ``grade`` (1 or 2) at each demand node, seconds, ``(n,)``."""
        if grade not in (1, 2):
            raise ModelInputError(f"grade must be 1 or 2, got {grade}", setting="grade")
        return self.target_grade1_s if grade == 1 else self.target_grade2_s

    def demand(self, grade: int) -> np.ndarray:
        """Return the expected demand of ``grade`` (1 or 2) per node."""
        self.target_s(grade)
        return self.grade1_demand if grade == 1 else self.grade2_demand


def stored_targets_s(response: scipy.sparse.csr_matrix, target_s: np.ndarray) -> np.ndarray:
    """The target of each stored entry of a response matrix: its row's value of ``target_s`` (one per row)."""
    return np.repeat(np.asarray(target_s, dtype=float), np.diff(response.indptr))


def _as_counts(values: np.ndarray, name: str, problems: list[str]) -> np.ndarray:
    """Non-negative whole numbers as int64, recording a problem otherwise."""
    as_float = np.asarray(values, dtype=float)
    if as_float.size and not (np.all(np.isfinite(as_float)) and np.all(as_float == np.round(as_float))):
        problems.append(f"{name}: must be whole numbers")
        return np.zeros(as_float.shape, dtype=np.int64)
    counts = as_float.astype(np.int64)
    if (counts < 0).any():
        problems.append(f"{name}: must be >= 0")
    return counts


def single_standard_instance(
    demand: np.ndarray,
    response_s: scipy.sparse.csr_matrix | np.ndarray,
    *,
    sites: int,
    target_s: float = GRADE1_TARGET_S,
) -> CoverageInstance:
    """Build a classic maximal covering (MCLP) instance: ``sites`` sites among all candidates, no bases.

    It is a :class:`CoverageInstance` with one placeholder base that covers
    nothing and may use every candidate, and Grade 2 demand of zero, so
    :func:`models.coverage.solve_double_standard` solves ReVelle and Church's
    MCLP (compare with spopt's ``MCLP.from_cost_matrix``).

    Parameters
    ----------
    demand
        Demand weight per node, ``(n,)``.
    response_s
        Response time from each candidate to each node, seconds, ``n x m`` (sparse or dense, see the module docstring).
    sites
        Number of sites to open.
    target_s
        Coverage radius, seconds.

    Returns
    -------
    CoverageInstance
    """
    weights = np.asarray(demand, dtype=float).reshape(-1)
    n_candidates = response_s.shape[1]
    return CoverageInstance(
        grade1_demand=weights,
        grade2_demand=np.zeros_like(weights),
        candidate_response_s=response_s,
        base_response_s=scipy.sparse.csr_matrix((weights.size, 1)),
        base_to_candidate_time_s=np.zeros((1, n_candidates)),
        max_base_travel_s=np.zeros(1),
        locations_per_base=np.array([sites]),
        units_per_base=np.array([sites]),
        target_grade1_s=target_s,
        target_grade2_s=target_s,
        base_names=("(no base)",),
    )


# --------------------------------------------------------------------------- params


def _frozen_sites(value: Mapping[int, int] | None, name: str, problems: list[str]) -> Mapping[int, int] | None:
    if value is None:
        return None
    try:
        items = {int(j): int(b) for j, b in dict(value).items()}
    except (TypeError, ValueError):
        problems.append(f"{name}: expected a mapping candidate index -> base index")
        return MappingProxyType({})
    if any(j < 0 or b < 0 for j, b in items.items()):
        problems.append(f"{name}: candidate and base indices must be >= 0")
    return MappingProxyType(items)


@dataclass(frozen=True, kw_only=True)
class CoverageParams:
    """Every setting of a solve. All options are off by default.

    Parameters
    ----------
    objective
        ``"ranked"`` (default): maximise Grade 1 cover, then, keeping Grade 1 at
        its optimum, Grade 2 cover (two solves). ``"weighted"``: maximise
        ``grade1_weight * G1 + grade2_weight * G2`` in one solve.
    grade1_weight, grade2_weight
        Weights of the ``"weighted"`` objective (``grade2_weight=0`` gives the
        single-standard MCLP). Ignored by ``"ranked"``.
    backup_weight
        Backup cover of Grade 1 (BACOP, Hogan and ReVelle 1986): Grade 1 demand
        covered by at least two open sites (bases count) earns ``backup_weight``
        per unit on top of its first cover, inside the Grade 1 term. ``0`` = off.
        At most 1 (at most ``(1 - q)**2`` with ``busy_fraction=q``, the largest
        ``q_i`` when per node), so a second cover never counts more than a first.
    busy_fraction
        Expected cover of Grade 1 (MEXCLP, Daskin 1983), ``q`` in ``[0, 1)``: each
        open site (bases included) is one car position, busy with probability
        ``q`` independently, and the Grade 1 term becomes
        ``sum_i w1_i * (1 - q**min(c_i, K))`` with ``c_i`` the number of open
        sites within target and ``K = expected_cover_levels``. ``None`` = off.
        One number for every node, or one ``q_i`` per demand node (an array of
        the instance's ``n``, availability by place): node ``i``'s term is then
        ``w1_i * (1 - q_i**min(c_i, K))``. A per-node array is stored read-only.
    expected_cover_levels
        ``K``, the number of cover levels counted by the expected-cover term.
    fixed_sites
        Candidates that must be open, ``{candidate index: base index}``; they
        count toward that base's ``locations_per_base``.
    current_plan
        The plan in use, ``{candidate index: base index}``. When given, a last
        lexicographic level keeps as many of its (site, base) pairs as possible
        among the coverage-optimal plans ("fewest changes").
    max_changes
        With ``current_plan``: at most this many of its pairs may be dropped
        (each dropped pair is one swap), a hard constraint. ``None`` = no limit.
    equity_floor_share
        Minimum share of each group's Grade 1 demand that must be covered,
        ``{group label: share in [0, 1]}``; needs ``CoverageInstance.demand_group``.
    solver
        ``"scip"`` or ``"cp-sat"`` (tuned: ``num_workers``, ``linearization_level=2``), or ``"greedy"``:
        the greedy + 1-swap plan of :mod:`models.greedy`, searched until the time limit, with the
        submodular upper bound of :func:`models.greedy.submodular_bounds` (no MIP; far less memory).
    time_limit_s
        Wall-clock budget of the whole solve (all levels and the warm start), seconds.
    relative_gap
        Stop a level when its gap, relative to that level's full objective
        (base-covered demand included), is at most this.
    seed
        Random seed passed to the solver.
    num_workers
        CP-SAT search workers (1 is the measured best here).
    reduce
        Apply the exact reductions of :mod:`models.reduce` (off only to test them).
    warm_start
        Compute the greedy + 1-swap plan, pass it as a hint and keep it as fallback.
    lexicographic_tolerance
        Relative slack when a level's value is fixed before the next level
        (SCIP only; CP-SAT fixes exact integers).
    """

    objective: str = "ranked"
    grade1_weight: float = 1.0
    grade2_weight: float = 1.0
    backup_weight: float = 0.0
    busy_fraction: float | np.ndarray | None = None
    expected_cover_levels: int = 3
    fixed_sites: Mapping[int, int] = field(default_factory=dict)
    current_plan: Mapping[int, int] | None = None
    max_changes: int | None = None
    equity_floor_share: Mapping[str, float] = field(default_factory=dict)
    solver: str = DEFAULT_SOLVER
    time_limit_s: float = 60.0
    relative_gap: float = 1e-4
    seed: int = 0
    num_workers: int = 1
    reduce: bool = True
    warm_start: bool = True
    lexicographic_tolerance: float = 1e-9

    def __post_init__(self) -> None:
        problems: list[str] = []
        self._check_choices(problems)
        self._check_numbers(problems)
        self._check_cover_options(problems)
        object.__setattr__(self, "fixed_sites", _frozen_sites(self.fixed_sites, "fixed_sites", problems))
        object.__setattr__(self, "current_plan", _frozen_sites(self.current_plan, "current_plan", problems))
        floors = {str(g): float(s) for g, s in dict(self.equity_floor_share).items()}
        problems.extend(
            f"equity_floor_share: group {g!r} share {s} is not in [0, 1]" for g, s in floors.items() if not 0 <= s <= 1
        )
        object.__setattr__(self, "equity_floor_share", MappingProxyType(floors))
        raise_if_problems(problems, "invalid settings; fix these fields", setting="CoverageParams")

    def _check_choices(self, problems: list[str]) -> None:
        if self.objective not in OBJECTIVES:
            problems.append(f"objective: {self.objective!r} is not one of {OBJECTIVES}")
        if self.solver not in SOLVERS:
            problems.append(f"solver: {self.solver!r} is not one of {SOLVERS}")
        if self.max_changes is not None and self.current_plan is None:
            problems.append("max_changes: needs current_plan (the plan changes are counted from)")

    def _check_numbers(self, problems: list[str]) -> None:
        checks = {
            "grade1_weight": self.grade1_weight >= 0,
            "grade2_weight": self.grade2_weight >= 0,
            "time_limit_s": self.time_limit_s > 0,
            "relative_gap": self.relative_gap >= 0,
            "lexicographic_tolerance": self.lexicographic_tolerance >= 0,
            "num_workers": self.num_workers >= 1,
            "max_changes": self.max_changes is None or self.max_changes >= 0,
            "expected_cover_levels": self.expected_cover_levels >= 1,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if not ok or (isinstance(value, float) and not math.isfinite(value)):
                problems.append(f"{name}: {value!r} is out of range")

    def _check_cover_options(self, problems: list[str]) -> None:
        q = self.busy_fraction
        if q is not None and np.ndim(q) == 0:
            q = float(q)
            object.__setattr__(self, "busy_fraction", q)
        elif q is not None:
            q = _readonly(np.array(q, dtype=float, copy=True))
            object.__setattr__(self, "busy_fraction", q)
        if q is not None and not (np.ndim(q) <= 1 and np.size(q) and np.all((q >= 0) & (q < 1))):
            if np.ndim(q) == 0:
                problems.append(f"busy_fraction: {q!r} must be in [0, 1) (or None to switch expected cover off)")
            else:
                problems.append(
                    f"busy_fraction: per-node values must be a non-empty 1-D array of numbers in [0, 1), got an "
                    f"array of shape {np.shape(q)}"
                )
            return
        largest = 1.0 if q is None else (1 - float(np.max(q))) ** 2
        if not 0 <= self.backup_weight <= largest:
            problems.append(
                f"backup_weight: {self.backup_weight!r} must be in [0, {largest:g}] so that a second cover "
                "never counts more than a first; lower it"
            )

    # -- derived

    @property
    def busy_per_node(self) -> bool:
        """Whether ``busy_fraction`` is one ``q_i`` per demand node."""
        return isinstance(self.busy_fraction, np.ndarray)

    def grade1_level_weights(self) -> np.ndarray:
        """Weight of the k-th cover (k = 1..K) of one unit of Grade 1 demand in the Grade 1 term.

        Returns
        -------
        numpy.ndarray
            Non-increasing weights ``c_1 >= c_2 >= ... >= c_K >= 0``: ``[1]`` by
            default, ``[1, backup_weight]`` with backup cover,
            ``(1 - q) q**(k-1)`` with expected cover (plus ``backup_weight`` at k = 2).

        Raises
        ------
        ModelInputError
            With one busy fraction per node (use :meth:`grade1_level_table`).
        """
        if self.busy_per_node:
            raise ModelInputError(
                "busy_fraction is per demand node, so the level weights differ by node; use grade1_level_table",
                setting="busy_fraction",
            )
        return self.grade1_level_table()[0]

    def busy_classes(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The distinct busy fractions, sorted, and each demand node's index among them.

        Returns
        -------
        tuple
            ``(values (C,), class per node (n,))``; with one (or no) busy
            fraction, ``C = 1`` and the class array is ``None`` (every node is class 0).
        """
        if not self.busy_per_node:
            return np.array([np.nan if self.busy_fraction is None else float(self.busy_fraction)]), None
        values, classes = np.unique(self.busy_fraction, return_inverse=True)
        return values, classes.astype(np.int64)

    def grade1_level_table(self) -> np.ndarray:
        """Level weights of each busy class (row ``c`` for the ``c``-th of :meth:`busy_classes`), ``(C, K)``.

        Returns
        -------
        numpy.ndarray
            Each row non-increasing, as :meth:`grade1_level_weights` describes
            for one ``q`` (the ``backup_weight`` cap keeps that true for every ``q_i``).
        """
        values, _ = self.busy_classes()
        rows = []
        for q in values:
            weights = np.ones(1) if np.isnan(q) else expected_cover_level_weights(q, self.expected_cover_levels)
            if self.backup_weight > 0:
                if weights.size < 2:
                    weights = np.append(weights, 0.0)
                weights[1] += self.backup_weight
            rows.append(weights)
        return np.vstack(rows)

    def level_names(self) -> tuple[str, ...]:
        """Names of the lexicographic objective levels, most important first."""
        names = ("grade1", "grade2") if self.objective == "ranked" else ("weighted",)
        return names + (("kept",) if self.current_plan is not None else ())
