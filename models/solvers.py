"""Solver back ends for a :class:`~models.formulation.LinearModel`: SCIP and CP-SAT, both in-process.

Both are built from the same arrays through protocol buffers (one message per
constraint, filled from numpy slices), which is far faster than the Python
modelling layers on the dense Grade 2 rows.

- **SCIP** through ``pywraplp.Solver.SolveWithProto`` (an ``MPModelRequest``):
  honours its time limit, single thread, ``limits/gap`` and ``limits/absgap``.
- **CP-SAT** (``CpModelProto``) tuned as measured here: ``num_workers=1``,
  ``linearization_level=2``. CP-SAT needs integer coefficients: each
  objective level is scaled to about ``CPSAT_OBJECTIVE_SCALE`` units in total
  and rounded, so a level is exact to about ``1 / CPSAT_OBJECTIVE_SCALE`` of
  its total weight; fractional constraint rows (equity floors) are scaled so
  their largest coefficient is ``CPSAT_ROW_SCALE`` and rounded, and are met to
  about ``1e-4`` of the largest node's demand.

HiGHS is not offered: through OR-Tools it once returned no solution at its
time limit and once overran it (see MISSION.md).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.sat.python import cp_model

from models.formulation import LinearModel
from models.plan import SolveStatus

#: Total integer weight of one CP-SAT objective level.
CPSAT_OBJECTIVE_SCALE = 1e9
#: A gap this small on a solve the solver calls optimal is numerical noise, not a gap limit.
NUMERICAL_GAP = 1e-7
#: Largest integer coefficient of a scaled fractional CP-SAT row.
CPSAT_ROW_SCALE = 1e7


@dataclass(frozen=True, eq=False)
class LevelOutcome:
    """What one solver call returned.

    Parameters
    ----------
    values
        Variable values, or ``None`` when the solver found no solution.
    infeasible
        The solver proved there is no solution.
    objective, bound
        Model objective (constants excluded) of ``values`` and the solver's best bound.
    solver_optimal
        The solver claims optimality (up to its gap limits).
    seconds
        Wall-clock time.
    """

    values: np.ndarray | None
    infeasible: bool
    objective: float
    bound: float
    solver_optimal: bool
    seconds: float


def classify(outcome: LevelOutcome, gap: float, relative_gap: float) -> SolveStatus:
    """Classify a level that has a solution, from its full-objective ``gap``."""
    if gap <= 1e-9 or (outcome.solver_optimal and gap <= NUMERICAL_GAP):
        return SolveStatus.OPTIMAL
    if outcome.solver_optimal or gap <= relative_gap:
        return SolveStatus.FEASIBLE
    return SolveStatus.TIME_LIMIT


#: SCIP reports "no bound yet" as its infinity (1e20); anything this large is no bound.
NO_BOUND = 1e19


def _finite_or_inf(value: float) -> float:
    """``value`` as a float, ``inf`` when it is not finite or is the solver's infinity (no bound)."""
    value = float(value)
    return value if math.isfinite(value) and abs(value) < NO_BOUND else math.inf


def _row_slices(model: LinearModel) -> list[tuple[np.ndarray, np.ndarray]]:
    m = model.matrix
    return [
        (m.indices[m.indptr[r] : m.indptr[r + 1]], m.data[m.indptr[r] : m.indptr[r + 1]]) for r in range(m.shape[0])
    ]


# --------------------------------------------------------------------------- SCIP


class ScipBackend:
    """SCIP through an ``MPModelRequest``; the model stays a proto between levels."""

    name = "scip"

    def __init__(self, model: LinearModel, *, seed: int, tolerance: float) -> None:
        self.model = model
        self.tolerance = tolerance
        self.seed = seed
        proto = linear_solver_pb2.MPModelProto(maximize=True)
        for lo, hi, integer in zip(model.lower, model.upper, model.integer, strict=True):
            proto.variable.add(lower_bound=float(lo), upper_bound=float(hi), is_integer=bool(integer))
        for (cols, vals), lo, hi in zip(_row_slices(model), model.row_lower, model.row_upper, strict=True):
            row = proto.constraint.add(lower_bound=float(lo), upper_bound=float(hi))
            row.var_index.extend(cols.tolist())
            row.coefficient.extend(vals.tolist())
        self.proto = proto

    def fix_level(self, level: int, values: np.ndarray) -> None:
        """Add ``objective[level] . x >= its value at values`` (minus the tolerance)."""
        c = self.model.objectives[level]
        achieved = float(c @ values)
        nonzero = np.flatnonzero(c)
        row = self.proto.constraint.add(
            lower_bound=achieved - self.tolerance * max(1.0, abs(achieved)), upper_bound=math.inf
        )
        row.var_index.extend(nonzero.tolist())
        row.coefficient.extend(c[nonzero].tolist())

    def solve(
        self, level: int, *, hint: np.ndarray | None, time_limit_s: float, gaps: tuple[float, float]
    ) -> LevelOutcome:
        """Maximise level ``level``; ``gaps`` are (relative on the model objective, absolute)."""
        started = time.perf_counter()
        c = self.model.objectives[level]
        for variable, coefficient in zip(self.proto.variable, c.tolist(), strict=True):
            variable.objective_coefficient = coefficient
        self.proto.ClearField("solution_hint")
        if hint is not None:
            self.proto.solution_hint.var_index.extend(range(hint.size))
            self.proto.solution_hint.var_value.extend(hint.tolist())
        request = linear_solver_pb2.MPModelRequest(
            model=self.proto,
            solver_type=linear_solver_pb2.MPModelRequest.SCIP_MIXED_INTEGER_PROGRAMMING,
            solver_time_limit_seconds=max(time_limit_s, 0.01),
            solver_specific_parameters=(
                f"limits/gap = {gaps[0]:.12g}\nlimits/absgap = {gaps[1]:.12g}\n"
                f"randomization/randomseedshift = {self.seed}\n"
            ),
        )
        response = linear_solver_pb2.MPSolutionResponse()
        pywraplp.Solver.SolveWithProto(request, response)
        status = linear_solver_pb2.MPSolverResponseStatus
        has_solution = response.status in (status.MPSOLVER_OPTIMAL, status.MPSOLVER_FEASIBLE)
        values = np.asarray(response.variable_value, dtype=float) if has_solution else None
        return LevelOutcome(
            values=values,
            infeasible=response.status == status.MPSOLVER_INFEASIBLE,
            objective=float(c @ values) if values is not None else -math.inf,
            bound=_finite_or_inf(response.best_objective_bound) if has_solution else math.inf,
            solver_optimal=response.status == status.MPSOLVER_OPTIMAL,
            seconds=time.perf_counter() - started,
        )


# --------------------------------------------------------------------------- CP-SAT


def _integer_row(cols: np.ndarray, vals: np.ndarray, lo: float, hi: float) -> tuple[list[int], list[int]]:
    """Integer coefficients and domain of a row, scaling fractional rows."""
    if np.all(vals == np.round(vals)) and all(math.isinf(v) or v == round(v) for v in (lo, hi)):
        scale, slack = 1.0, 0.0
    else:
        scale = CPSAT_ROW_SCALE / max(float(np.abs(vals).max()), 1e-300)
        slack = 10.0 + 0.5 * vals.size
    lower = cp_model.INT_MIN if math.isinf(lo) else math.ceil(lo * scale - slack)
    upper = cp_model.INT_MAX if math.isinf(hi) else math.floor(hi * scale + slack)
    return np.round(vals * scale).astype(np.int64).tolist(), [lower, upper]


class CpSatBackend:
    """CP-SAT on a ``CpModelProto``; objectives are scaled to integers per level."""

    name = "cp-sat"

    def __init__(self, model: LinearModel, *, seed: int, num_workers: int) -> None:
        self.model = model
        self.cp = cp_model.CpModel()
        proto = self.cp.proto
        for lo, hi in zip(model.lower, model.upper, strict=True):
            proto.variables.add().domain.extend([math.ceil(lo), math.floor(hi)])
        for (cols, vals), lo, hi in zip(_row_slices(model), model.row_lower, model.row_upper, strict=True):
            coefficients, domain = _integer_row(cols, vals, float(lo), float(hi))
            linear = proto.constraints.add().linear
            linear.vars.extend(cols.tolist())
            linear.coeffs.extend(coefficients)
            linear.domain.extend(domain)
        self.scales = [CPSAT_OBJECTIVE_SCALE / float(np.abs(c).sum()) if np.any(c) else 1.0 for c in model.objectives]
        self.integer_objectives = [
            np.round(c * s).astype(np.int64) for c, s in zip(model.objectives, self.scales, strict=True)
        ]
        self.seed = seed
        self.num_workers = num_workers

    def fix_level(self, level: int, values: np.ndarray) -> None:
        """Add ``integer objective[level] . x >= its (exact) value at values``."""
        c = self.integer_objectives[level]
        nonzero = np.flatnonzero(c)
        linear = self.cp.proto.constraints.add().linear
        linear.vars.extend(nonzero.tolist())
        linear.coeffs.extend(c[nonzero].tolist())
        linear.domain.extend([int(c @ np.round(values).astype(np.int64)), cp_model.INT_MAX])

    def _set_objective(self, level: int, hint: np.ndarray | None) -> None:
        proto = self.cp.proto
        proto.clear_objective()
        proto.clear_solution_hint()
        c = self.integer_objectives[level]
        nonzero = np.flatnonzero(c)
        proto.objective.vars.extend(nonzero.tolist())
        proto.objective.coeffs.extend((-c[nonzero]).tolist())
        proto.objective.scaling_factor = -1.0
        if hint is not None:
            proto.solution_hint.vars.extend(range(hint.size))
            proto.solution_hint.values.extend(np.round(hint).astype(np.int64).tolist())

    def solve(
        self, level: int, *, hint: np.ndarray | None, time_limit_s: float, gaps: tuple[float, float]
    ) -> LevelOutcome:
        """Maximise level ``level``; ``gaps`` are (relative on the model objective, absolute)."""
        started = time.perf_counter()
        self._set_objective(level, hint)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(time_limit_s, 0.01)
        solver.parameters.num_workers = self.num_workers
        solver.parameters.linearization_level = 2
        solver.parameters.random_seed = self.seed
        solver.parameters.relative_gap_limit = gaps[0]
        solver.parameters.absolute_gap_limit = gaps[1] * self.scales[level]
        code = solver.solve(self.cp)
        if code == cp_model.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT rejected the model: {self.cp.validate()}")
        has_solution = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        values = np.asarray(list(solver.response_proto.solution), dtype=float) if has_solution else None
        objective, bound = -math.inf, math.inf
        if values is not None:
            objective = float(self.model.objectives[level] @ values)
            achieved = float(self.integer_objectives[level] @ np.round(values).astype(np.int64))
            bound = objective + max(solver.best_objective_bound - achieved, 0.0) / self.scales[level]
        return LevelOutcome(
            values=values,
            infeasible=code == cp_model.INFEASIBLE,
            objective=objective,
            bound=bound,
            solver_optimal=code == cp_model.OPTIMAL,
            seconds=time.perf_counter() - started,
        )


def make_backend(
    name: str, model: LinearModel, *, seed: int, num_workers: int, tolerance: float
) -> ScipBackend | CpSatBackend:
    """Create the back end called ``name`` (``"scip"`` or ``"cp-sat"``) for ``model``."""
    if name == "scip":
        return ScipBackend(model, seed=seed, tolerance=tolerance)
    if name == "cp-sat":
        return CpSatBackend(model, seed=seed, num_workers=num_workers)
    raise ValueError(f"no MIP back end called {name!r}: 'scip' or 'cp-sat'")
