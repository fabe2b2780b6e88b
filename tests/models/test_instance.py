"""CoverageInstance / CoverageParams validation and the response-matrix convention."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse

from models.errors import ModelInputError
from models.instance import (
    CoverageInstance,
    CoverageParams,
    frozen_response,
    response_matrix_from_pairs,
    single_standard_instance,
)

from .instances import five_node_instance


def test_pairs_keep_explicit_zero_times_and_the_smallest_duplicate():
    m = response_matrix_from_pairs([0, 1, 1, 0], [0, 1, 1, 2], [0.0, 50.0, 20.0, 7.0], shape=(2, 3))
    assert m.nnz == 3
    assert m.has_canonical_format
    np.testing.assert_array_equal(m.indices, [0, 2, 1])
    np.testing.assert_array_equal(m.data, [0.0, 7.0, 20.0])


def test_dense_input_reads_inf_as_absent_and_keeps_zero():
    dense = np.array([[0.0, np.inf], [np.inf, 100.0]])
    instance = single_standard_instance(np.ones(2), dense, sites=1)
    assert instance.candidate_response_s.nnz == 2
    assert 0.0 in instance.candidate_response_s.data


def test_instance_arrays_are_read_only_copies(five_nodes):
    with pytest.raises(ValueError, match="read-only"):
        five_nodes.grade1_demand[0] = 3.0


def test_instances_share_a_frozen_response_matrix_and_copy_any_other(five_nodes):
    """A frozen matrix is shared (read-only); a writable one is copied, so changing it later changes nothing."""
    frozen = frozen_response(five_nodes.candidate_response_s.copy())
    shared = dataclasses.replace(five_nodes, candidate_response_s=frozen)
    assert shared.candidate_response_s is frozen
    with pytest.raises(ValueError, match="read-only"):
        shared.candidate_response_s.data[0] = 1.0
    writable = five_nodes.candidate_response_s.copy()
    copied = dataclasses.replace(five_nodes, candidate_response_s=writable)
    writable.data[:] = 0.0
    assert copied.candidate_response_s is not writable
    assert copied.candidate_response_s.data.max() > 0


def test_pairs_with_many_duplicates_keep_each_smallest_time():
    """The sort-by-key build agrees with a dictionary of minima on random pairs with repeats."""
    rng = np.random.default_rng(3)
    rows, cols = rng.integers(0, 40, 2_000), rng.integers(0, 30, 2_000)
    times = rng.uniform(0, 900, 2_000).round(0)
    matrix = response_matrix_from_pairs(rows, cols, times, shape=(40, 30))
    best: dict[tuple[int, int], float] = {}
    for r, c, t in zip(rows.tolist(), cols.tolist(), times.tolist(), strict=True):
        best[(r, c)] = min(t, best.get((r, c), np.inf))
    coo = matrix.tocoo()
    assert dict(zip(zip(coo.row.tolist(), coo.col.tolist(), strict=True), coo.data.tolist(), strict=True)) == best
    assert matrix.has_canonical_format


def test_validator_lists_every_bad_field_at_once():
    good = five_node_instance()
    fields = dict(good.__dict__)
    fields.update(
        grade1_demand=np.array([1.0, -1.0, 0.0, 0.0, np.nan]),
        base_to_candidate_time_s=np.full((1, 3), 10.0),
        max_base_travel_s=np.array([-5.0]),
        target_grade1_s=float("nan"),
    )
    with pytest.raises(ModelInputError, match=r"CoverageInstance") as caught:
        CoverageInstance(**fields)
    text = str(caught.value)
    for expected in (
        "grade1_demand",
        "candidate_response_s: expected shape (5, 3)",
        "max_base_travel_s",
        "target_grade1_s",
    ):
        assert expected in text


def test_repeated_pairs_in_a_csr_are_rejected():
    m = scipy.sparse.csr_matrix((np.array([5.0, 6.0]), np.array([0, 0]), np.array([0, 2, 2])), shape=(2, 1))
    with pytest.raises(ModelInputError, match="repeated"):
        single_standard_instance(np.ones(2), m, sites=1)


def test_negative_response_time_is_rejected():
    with pytest.raises(ModelInputError, match="finite and >= 0"):
        single_standard_instance(np.ones(1), np.array([[-3.0]]), sites=1)


def test_eligibility_uses_max_base_travel(five_nodes):
    np.testing.assert_array_equal(five_nodes.eligibility(), [[True, True, True, True]])
    assert not five_node_instance(c0_reachable=False).eligibility()[0, 0]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"objective": "lexi"}, r"objective: 'lexi' is not one of"),
        ({"solver": "highs"}, r"solver: 'highs' is not one of"),
        ({"backup_weight": 1.5}, r"backup_weight: 1\.5 must be in \[0, 1\]"),
        ({"busy_fraction": 0.5, "backup_weight": 0.5}, r"backup_weight: 0\.5 must be in \[0, 0\.25\]"),
        ({"busy_fraction": 1.0}, r"busy_fraction: 1\.0 must be in \[0, 1\)"),
        ({"max_changes": 2}, r"max_changes: needs current_plan"),
        ({"time_limit_s": 0.0}, r"time_limit_s: 0\.0 is out of range"),
        ({"equity_floor_share": {"A": 1.2}}, r"group 'A' share 1\.2 is not in \[0, 1\]"),
    ],
)
def test_bad_params_name_the_setting(settings, message):
    with pytest.raises(ModelInputError, match=message):
        CoverageParams(**settings)


def test_grade1_level_weights():
    np.testing.assert_allclose(CoverageParams().grade1_level_weights(), [1.0])
    np.testing.assert_allclose(CoverageParams(backup_weight=0.3).grade1_level_weights(), [1.0, 0.3])
    np.testing.assert_allclose(
        CoverageParams(busy_fraction=0.5, expected_cover_levels=3).grade1_level_weights(), [0.5, 0.25, 0.125]
    )


def test_params_mappings_are_frozen():
    settings = CoverageParams(fixed_sites={np.int64(3): 0})
    assert dict(settings.fixed_sites) == {3: 0}
    with pytest.raises(TypeError, match="does not support item assignment"):
        settings.fixed_sites[4] = 0  # type: ignore[index]
