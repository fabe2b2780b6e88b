"""The banded Grade 1 score: the proof obligations listed in ``models/bands.py``."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.bands import PreTravelDelay, ResponseBands, banded_instance, grade1_bands
from models.coverage import solve_double_standard
from models.errors import ModelInputError
from models.evaluate import evaluate_plan
from tests.models.instances import matrix, params
from tests.models.randoms import tiny_instance

DELAY = PreTravelDelay(median_s=120.0, log_sd=1.0)


def _fastest_response_s(instance, sites) -> np.ndarray:
    """Fastest response of each node from the open sites and the bases (``inf`` when none)."""
    columns = [instance.candidate_response_s[:, list(sites)], instance.base_response_s]
    best = np.full(instance.n_demand, np.inf)
    for block in columns:
        block = block.tocsr()
        for i in range(instance.n_demand):
            row = block.data[block.indptr[i] : block.indptr[i + 1]]
            if row.size:
                best[i] = min(best[i], row.min())
    return best


def test_meet_probability_falls_with_response_and_is_zero_at_the_target():
    response_s = np.array([0.0, 120.0, 300.0, 600.0, 899.0, 900.0, 2000.0])
    chance = DELAY.meet_probability(response_s, 900.0)
    assert np.all(np.diff(chance) <= 0)
    assert chance[-2:].tolist() == [0.0, 0.0]
    # response 120 s leaves 780 s: P(H <= 780 s), median 120 s, log-sd 1, is Phi(ln 6.5) = 0.9694
    assert chance[1] == pytest.approx(0.9694, abs=1e-4)


def test_bands_weights_are_non_negative_and_sum_to_the_first_midpoint_chance():
    bands = grade1_bands(900.0, 120.0, DELAY, n_bands=6)
    assert bands.thresholds_s[-1] == 900.0
    assert np.all(np.diff(bands.thresholds_s) > 0)
    assert np.all(bands.weights >= 0)
    first_mid = 120.0 + (900.0 - 120.0) / 12
    assert bands.weights.sum() == pytest.approx(float(DELAY.meet_probability(first_mid, 900.0)))


def test_a_nearer_car_scores_more_where_target_cover_ties():
    bands = grade1_bands(900.0, 120.0, DELAY, n_bands=8)
    three_min, twelve_min = bands.score(np.array([120.0 + 180.0, 120.0 + 720.0]))
    assert three_min > twelve_min > 0


def test_one_band_with_no_delay_is_the_target_cover():
    bands = grade1_bands(900.0, 0.0, PreTravelDelay(median_s=1e-9, log_sd=0.0), n_bands=1)
    assert bands.weights.tolist() == [1.0]
    assert bands.score(np.array([0.0, 899.0, 900.0, 901.0, np.inf])).tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_bands_refuse_a_mobilisation_delay_beyond_the_target():
    with pytest.raises(ModelInputError, match="mobilisation_s"):
        grade1_bands(900.0, 900.0, DELAY)


def _banded(instance, n_bands, delay=DELAY):
    return banded_instance(instance, delay, mobilisation_s=120.0, n_bands=n_bands)


def test_each_node_gets_the_bands_of_its_own_target():
    """A standard with 15 min urban and 20 min rural: a rural node at 17 min scores, an urban one does not."""
    instance = dataclasses.replace(
        tiny_instance(np.random.default_rng(5), n_demand=4), target_grade1_s=np.array([900.0, 1200.0, 900.0, 1200.0])
    )
    banded = _banded(instance, 4)
    urban, rural = grade1_bands(900.0, 120.0, DELAY, n_bands=4), grade1_bands(1200.0, 120.0, DELAY, n_bands=4)
    assert banded.target_grade1_s[:4].tolist() == [urban.thresholds_s[0], rural.thresholds_s[0]] * 2
    assert banded.target_grade1_s[-4:].tolist() == [900.0, 1200.0, 900.0, 1200.0]
    assert rural.score(np.array([1020.0]))[0] > 0 == urban.score(np.array([1020.0]))[0]


def test_each_band_copy_keeps_only_the_responses_within_its_threshold():
    """Band rows hold the entries within their threshold (zeros too); the Grade 2 copy is whole."""
    instance = tiny_instance(np.random.default_rng(11), n_demand=6, n_candidates=5)
    response = instance.candidate_response_s.tocsr().copy()
    response.data[0] = 0.0  # an explicit zero: a candidate at the node itself
    instance = dataclasses.replace(instance, candidate_response_s=response)
    banded = _banded(instance, 3)
    n = instance.n_demand
    stacked = banded.candidate_response_s.tocsr()
    for row in range(3 * n):
        values = stacked.data[stacked.indptr[row] : stacked.indptr[row + 1]]
        original = response.data[response.indptr[row % n] : response.indptr[row % n + 1]]
        assert sorted(values) == sorted(original[original <= banded.target_grade1_s[row]])
    assert stacked[: 3 * n].nnz < 3 * response.nnz  # something was left out
    assert (stacked[3 * n :] != response).nnz == 0
    assert stacked[3 * n :].nnz == response.nnz


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_bands=st.integers(1, 6), pick=st.integers(0, 2**7 - 1))
def test_banded_cover_is_the_score_and_grade2_is_unchanged(seed, n_bands, pick):
    """Obligations 1 and 2, for any set of open sites."""
    instance = tiny_instance(np.random.default_rng(seed), n_candidates=7)
    instance = dataclasses.replace(instance, target_grade1_s=np.where(np.arange(instance.n_demand) % 3, 900.0, 1200.0))
    banded = _banded(instance, n_bands)
    score = {t: grade1_bands(t, 120.0, DELAY, n_bands=n_bands).score for t in (900.0, 1200.0)}
    sites = [j for j in range(instance.n_candidates) if pick >> j & 1]
    original = evaluate_plan(instance, sites)
    cover = evaluate_plan(banded, sites)
    fastest = _fastest_response_s(instance, sites)
    expected = sum(
        w * score[float(t)](np.array([r]))[0]
        for w, t, r in zip(instance.grade1_demand, instance.target_grade1_s, fastest, strict=True)
    )
    assert cover.grade1_covered_demand == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert cover.grade2_covered_demand == pytest.approx(original.grade2_covered_demand, rel=1e-12)


def test_expected_cover_counts_positions_per_band():
    """Obligation 1 with a busy fraction: sum_l delta_l (1 - q**c_il)."""
    instance = tiny_instance(np.random.default_rng(3), n_candidates=7)
    bands = grade1_bands(900.0, 120.0, DELAY, n_bands=4)
    banded = _banded(instance, 4)
    sites = [0, 2, 5]
    q = 0.4
    got = evaluate_plan(banded, sites).grade1_expected_demand(q, levels=None)
    open_times = [instance.candidate_response_s[:, sites].toarray(), instance.base_response_s.toarray()]
    present = [instance.candidate_response_s[:, sites].tocsr(), instance.base_response_s.tocsr()]
    expected = 0.0
    for i in range(instance.n_demand):
        times = np.concatenate([dense[i, p[i].indices] for dense, p in zip(open_times, present, strict=True)])
        for threshold, weight in zip(bands.thresholds_s, bands.weights, strict=True):
            expected += instance.grade1_demand[i] * weight * (1 - q ** int((times <= threshold).sum()))
    assert got == pytest.approx(expected, rel=1e-9)


def test_the_solver_prefers_the_nearer_site_when_both_cover():
    """Two candidates both within target of the only demand node: target cover ties, the bands choose the nearer."""
    from models.instance import CoverageInstance

    instance = CoverageInstance(
        grade1_demand=np.array([10.0]),
        grade2_demand=np.array([10.0]),
        candidate_response_s=matrix({(0, 0): 840.0, (0, 1): 300.0}, (1, 2)),
        base_response_s=matrix({(0, 0): 3000.0}, (1, 1)),
        base_to_candidate_time_s=np.array([[600.0, 600.0]]),
        max_base_travel_s=np.array([1800.0]),
        locations_per_base=np.array([1]),
        units_per_base=np.array([2]),
    )
    plan = solve_double_standard(_banded(instance, 4), params())
    assert plan.sites == (1,)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), nearer_s=st.floats(0.0, 3000.0), farther_s=st.floats(0.0, 3000.0))
def test_a_nearer_response_never_scores_less(seed, nearer_s, farther_s):
    """Obligation 4: the score does not increase with the response time."""
    bands = grade1_bands(900.0, 120.0, PreTravelDelay(median_s=float(60 + seed % 500), log_sd=1.5))
    low, high = sorted([nearer_s, farther_s])
    assert bands.score(np.array([low]))[0] >= bands.score(np.array([high]))[0]


def test_response_bands_score_accepts_no_car_in_reach():
    bands = ResponseBands(thresholds_s=np.array([300.0, 900.0]), weights=np.array([0.2, 0.5]), target_s=900.0)
    assert bands.score(np.array([100.0, 600.0, np.inf])).tolist() == [0.7, 0.5, 0.0]
