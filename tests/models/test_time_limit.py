"""A time-limited solve on a larger random instance still returns a plan, with its status and gap."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.coverage import solve_double_standard
from models.instance import CoverageParams, single_standard_instance
from models.plan import SolveStatus
from models.synthetic import random_instance

LIMIT_S = 1.0
#: Model building and the independent evaluation run outside the solver's own limit.
OVERHEAD_S = 3.0


@pytest.fixture(scope="module")
def county_mclp():
    """4000 demand nodes x 2000 candidates, 30 sites, no bases: SCIP needs about 45 s to prove it."""
    county = random_instance(np.random.default_rng(0), n_demand=4000, n_candidates=2000, n_bases=3, locations=10)
    return single_standard_instance(county.grade1_demand, county.candidate_response_s, sites=30)


@pytest.mark.parametrize("solver", ["scip", "cp-sat"])
def test_time_limit_returns_the_best_plan_with_its_gap(county_mclp, solver):
    params = CoverageParams(
        objective="weighted", grade2_weight=0.0, solver=solver, time_limit_s=LIMIT_S, relative_gap=0.0
    )
    plan = solve_double_standard(county_mclp, params)
    report = plan.report
    assert len(plan.sites) == 30
    assert report.status in (SolveStatus.TIME_LIMIT, SolveStatus.OPTIMAL)
    assert report.seconds < LIMIT_S + OVERHEAD_S
    assert report.objective == pytest.approx(plan.objective_values["weighted"], rel=1e-9)
    assert report.bound >= report.objective
    if report.status == SolveStatus.TIME_LIMIT:
        assert report.gap > 0
        assert math.isfinite(report.gap) or report.warnings


def test_without_warm_start_a_plan_still_comes_back(county_mclp):
    params = CoverageParams(objective="weighted", grade2_weight=0.0, time_limit_s=0.05, warm_start=False)
    plan = solve_double_standard(county_mclp, params)
    assert len(plan.sites) == 30
    assert plan.report.status in (SolveStatus.TIME_LIMIT, SolveStatus.FEASIBLE, SolveStatus.OPTIMAL)
    assert plan.objective_values["weighted"] > 0


def test_the_solvers_infinity_is_no_bound():
    """SCIP reports "no bound yet" as 1e20; the plan's report must say no bound, not a 1e20 bound."""
    import math

    from models.solvers import _finite_or_inf

    assert _finite_or_inf(1e20) == math.inf and _finite_or_inf(-1e20) == math.inf
    assert _finite_or_inf(35091.6) == 35091.6


def test_a_plan_without_a_bound_carries_a_warning():
    """A solver that stops with a plan but no bound (SCIP under load) must say the gap is unknown."""
    from models.coverage import _level_warning
    from models.solvers import LevelOutcome

    outcome = LevelOutcome(np.ones(3), False, 10.0, math.inf, False, 1.0)
    assert any("no bound" in text for text in _level_warning("grade1", outcome))
    assert _level_warning("grade1", LevelOutcome(np.ones(3), False, 10.0, 12.0, False, 1.0)) == []
