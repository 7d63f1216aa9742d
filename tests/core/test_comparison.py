"""Matching fitted components to the truth, and the adjusted Rand index."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score

from gmmviewer.core.analysis.comparison import (
    MAX_ENUMERATED_COMPONENTS,
    adjusted_rand_index,
    compare_with_truth,
    match_components,
)
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.em.fit import fit
from gmmviewer.core.params import GMMParams


@settings(max_examples=200, deadline=None)
@given(labels=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 5)), min_size=1, max_size=60))
def test_adjusted_rand_index_matches_sklearn(labels):
    truth, predicted = np.array(labels).T
    assert adjusted_rand_index(truth, predicted) == pytest.approx(
        adjusted_rand_score(truth, predicted), abs=1e-12
    )


def test_adjusted_rand_index_ignores_label_names():
    a = np.array([0, 0, 1, 1, 2, 2])
    assert adjusted_rand_index(a, (a + 1) % 3) == pytest.approx(1.0)


def test_matching_recovers_a_permutation():
    reference = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    order = np.array([2, 0, 1])
    noisy = reference[order] + 0.1
    np.testing.assert_array_equal(match_components(noisy, reference), order)


def test_more_components_than_truth_leaves_some_unmatched():
    reference = np.array([[0.0, 0.0], [5.0, 5.0]])
    means = np.array([[0.1, 0.0], [9.0, 9.0], [5.0, 5.1]])
    matching = match_components(means, reference)
    np.testing.assert_array_equal(matching, [0, -1, 1])


@settings(max_examples=200, deadline=None)
@given(
    n_components=st.integers(1, MAX_ENUMERATED_COMPONENTS + 1),
    n_reference=st.integers(1, MAX_ENUMERATED_COMPONENTS + 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_matching_is_as_cheap_as_scipys_assignment(n_components, n_reference, seed):
    # Small problems are matched by trying every assignment, larger ones by scipy: both
    # must find an assignment as cheap as scipy's, one-to-one, of every row or column.
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(seed)
    means = rng.normal(size=(n_components, 2))
    reference = rng.normal(size=(n_reference, 2))
    cost = ((means[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2)
    rows, columns = linear_sum_assignment(cost)
    matching = match_components(means, reference)
    matched = np.flatnonzero(matching >= 0)
    assert len(matched) == min(n_components, n_reference)
    assert len(set(matching[matched])) == len(matched)
    assert cost[matched, matching[matched]].sum() == pytest.approx(
        cost[rows, columns].sum(), rel=1e-12
    )


def test_adjusted_rand_index_of_large_counts_is_exact():
    # The pair counts of 1e5-point groups are ~5e9 each: integer arithmetic, not float
    # binomials, and the index still agrees with scikit-learn.
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 3, size=300_000)
    predicted = np.where(rng.random(truth.size) < 0.9, truth, rng.integers(0, 3, truth.size))
    assert adjusted_rand_index(truth, predicted) == pytest.approx(
        adjusted_rand_score(truth, predicted), abs=1e-12
    )


def test_a_good_fit_is_close_to_the_truth():
    dataset = make_preset("lecture", n_samples=3000, seed=1)
    result = fit(dataset.X, 3, init="kmeans", seed=0)
    resp_labels = _hard(dataset.X, result.params)
    comparison = compare_with_truth(result.params, dataset.truth, resp_labels, dataset.labels)
    assert sorted(comparison.matching) == [0, 1, 2]
    assert np.all(comparison.weight_errors < 0.05)
    assert np.all(comparison.mean_errors < 0.3)
    assert comparison.adjusted_rand_index == pytest.approx(
        adjusted_rand_score(dataset.labels, resp_labels)
    )
    assert comparison.adjusted_rand_index > 0.8


def _hard(X: np.ndarray, params: GMMParams) -> np.ndarray:
    from gmmviewer.core.em.estep import posterior

    resp, _, _ = posterior(X, params)
    return np.argmax(resp, axis=0)
