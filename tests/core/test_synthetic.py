"""Synthetic mixtures: presets, reproducible sampling, statistics, separation guarantees."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import (
    MAX_CONDITION,
    MIN_WEIGHT_FRACTION,
    PRESETS,
    make_preset,
    make_random_mixture,
    pairwise_separation,
    random_mixture_params,
    sample_mixture,
)
from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.errors import DataError, ParameterError
from gmmviewer.core.params import GMMParams

LECTURE_TRUTH = GMMParams(
    weights=[0.3, 0.2, 0.5],
    means=[[1.2, 0.4], [-4.4, 1.0], [4.1, -0.3]],
    covariances=[
        [[0.8, -0.4], [-0.4, 1.0]],
        [[1.2, -0.8], [-0.8, 1.0]],
        [[1.2, 0.6], [0.6, 3.0]],
    ],
)


def assert_moments_match(params: GMMParams, X: np.ndarray, labels: np.ndarray) -> None:
    """Proportions, means and covariances per true label within 5 standard errors."""
    n = labels.size
    full = params.full_covariances()
    proportions = np.bincount(labels, minlength=params.n_components) / n
    weights = params.weights
    np.testing.assert_array_less(
        np.abs(proportions - weights), 5 * np.sqrt(weights * (1 - weights) / n) + 1e-12
    )
    for k in range(params.n_components):
        members = X[labels == k]
        n_k = members.shape[0]
        sigma = full[k]
        variances = np.diag(sigma)
        mean_error = np.abs(members.mean(axis=0) - params.means[k])
        np.testing.assert_array_less(mean_error, 5 * np.sqrt(variances / n_k))
        # Var of a sample covariance entry (Gaussian data): (S_ii S_jj + S_ij^2) / n.
        cov_error = np.abs(np.cov(members, rowvar=False).reshape(sigma.shape) - sigma)
        standard_error = np.sqrt((np.outer(variances, variances) + sigma**2) / n_k)
        np.testing.assert_array_less(cov_error, 5 * standard_error)


# ==================================================================== presets
def test_lecture_truth_is_exactly_the_lecture_mixture():
    truth = PRESETS["lecture"].build()
    assert truth.covariance_type == "full"
    assert truth.weights.tolist() == [0.3, 0.2, 0.5]
    assert truth.means.tolist() == [[1.2, 0.4], [-4.4, 1.0], [4.1, -0.3]]
    assert truth.covariances.tolist() == [
        [[0.8, -0.4], [-0.4, 1.0]],
        [[1.2, -0.8], [-0.8, 1.0]],
        [[1.2, 0.6], [0.6, 3.0]],
    ]
    assert make_preset("lecture").truth.equals(LECTURE_TRUTH)


def test_preset_names_and_descriptions():
    assert set(PRESETS) == {
        "lecture",
        "overlapping",
        "elongated",
        "unbalanced",
        "bimodal-1d",
        "well-separated",
    }
    for name, preset in PRESETS.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
        assert preset.description and "\n" not in preset.description


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_a_valid_dataset(name):
    dataset = make_preset(name, n_samples=250, seed=4)
    assert isinstance(dataset, Dataset)
    truth = dataset.truth
    assert truth is not None
    truth.validate()
    assert dataset.X.shape == (250, truth.n_features)
    assert dataset.labels.shape == (250,)
    assert np.issubdtype(dataset.labels.dtype, np.integer)
    assert dataset.labels.min() >= 0 and dataset.labels.max() < truth.n_components
    assert dataset.columns == tuple(f"x{i + 1}" for i in range(truth.n_features))
    assert dataset.source == f"preset:{name}"
    assert not dataset.normalized


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_truth_does_not_depend_on_the_seed(name):
    assert make_preset(name, seed=0).truth.equals(make_preset(name, seed=99).truth)
    assert PRESETS[name].build().equals(PRESETS[name].build())


def test_presets_have_their_advertised_character():
    overlapping = pairwise_separation(PRESETS["overlapping"].build())
    assert overlapping.max(where=np.isfinite(overlapping), initial=0.0) < 2.5

    elongated = PRESETS["elongated"].build().full_covariances()
    eigenvalues = np.linalg.eigvalsh(elongated)
    assert np.all(eigenvalues[:, -1] / eigenvalues[:, 0] > 25)

    assert PRESETS["unbalanced"].build().weights.tolist() == [0.8, 0.15, 0.05]

    bimodal = PRESETS["bimodal-1d"].build()
    assert (bimodal.n_components, bimodal.n_features) == (2, 1)

    separated = PRESETS["well-separated"].build()
    assert (separated.n_components, separated.n_features) == (4, 2)
    assert pairwise_separation(separated).min() >= 5.0


def test_one_sample_is_enough():
    dataset = make_preset("bimodal-1d", n_samples=1, seed=0)
    assert dataset.X.shape == (1, 1)


# ================================================================ reproducible
@pytest.mark.parametrize("name", list(PRESETS))
def test_same_seed_same_samples_different_seed_different_samples(name):
    first = make_preset(name, n_samples=300, seed=11)
    again = make_preset(name, n_samples=300, seed=11)
    other = make_preset(name, n_samples=300, seed=12)
    np.testing.assert_array_equal(first.X, again.X)
    np.testing.assert_array_equal(first.labels, again.labels)
    assert not np.array_equal(first.X, other.X)


def test_sample_mixture_is_reproducible():
    X1, labels1 = sample_mixture(LECTURE_TRUTH, 500, seed=3)
    X2, labels2 = sample_mixture(LECTURE_TRUTH, 500, seed=3)
    X3, _ = sample_mixture(LECTURE_TRUTH, 500, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(labels1, labels2)
    assert not np.array_equal(X1, X3)


def test_seed_none_draws_fresh_samples():
    X1, _ = sample_mixture(LECTURE_TRUTH, 50, seed=None)
    X2, _ = sample_mixture(LECTURE_TRUTH, 50, seed=None)
    assert X1.shape == (50, 2)
    assert not np.array_equal(X1, X2)


def test_random_mixture_is_reproducible_and_seed_dependent():
    first = make_random_mixture(3, 200, n_features=3, seed=5)
    again = make_random_mixture(3, 200, n_features=3, seed=5)
    other = make_random_mixture(3, 200, n_features=3, seed=6)
    assert first.truth.equals(again.truth)
    np.testing.assert_array_equal(first.X, again.X)
    assert not first.truth.equals(other.truth)
    assert not np.array_equal(first.X, other.X)


def test_random_mixture_truth_matches_random_mixture_params():
    dataset = make_random_mixture(4, 100, n_features=2, separation=2.5, seed=8)
    assert dataset.truth.equals(random_mixture_params(4, 2, separation=2.5, seed=8))
    assert dataset.source == "random:n_components=4,n_features=2,separation=2.5,seed=8"
    assert dataset.columns == ("x1", "x2")


def test_samples_are_shuffled_not_grouped_by_component():
    _, labels = sample_mixture(LECTURE_TRUTH, 1000, seed=0)
    assert np.any(np.diff(labels) < 0)


# ================================================================== statistics
def test_lecture_large_sample_matches_the_truth():
    dataset = make_preset("lecture", n_samples=200_000, seed=2024)
    assert_moments_match(dataset.truth, dataset.X, dataset.labels)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_every_covariance_type_samples_its_own_covariance(covariance_type):
    params = LECTURE_TRUTH.as_covariance_type(covariance_type)
    X, labels = sample_mixture(params, 150_000, seed=7)
    assert_moments_match(params, X, labels)


@pytest.mark.parametrize("name", ["elongated", "unbalanced", "bimodal-1d", "well-separated"])
def test_preset_large_sample_matches_the_truth(name):
    dataset = make_preset(name, n_samples=150_000, seed=1)
    assert_moments_match(dataset.truth, dataset.X, dataset.labels)


def test_squared_mahalanobis_distances_are_chi_squared():
    # An independent check of the shape, not only the first two moments.
    params = make_random_mixture(3, 10, n_features=3, seed=21).truth
    X, labels = sample_mixture(params, 30_000, seed=5)
    full = params.full_covariances()
    for k in range(params.n_components):
        deviations = X[labels == k] - params.means[k]
        distances = np.einsum("ni,ij,nj->n", deviations, np.linalg.inv(full[k]), deviations)
        assert stats.kstest(distances, stats.chi2(df=3).cdf).pvalue > 1e-3


def test_zero_weight_components_get_no_samples():
    params = GMMParams([0.0, 1.0], [[0.0], [10.0]], [1.0, 1.0], "spherical")
    _, labels = sample_mixture(params, 1000, seed=0)
    assert np.all(labels == 1)


# ============================================================ random mixtures
def independent_min_separation(params: GMMParams) -> float:
    """Minimum over pairs of |mu_i - mu_j| / max directional std, computed directly."""
    full = params.full_covariances()
    smallest = math.inf
    for i in range(params.n_components):
        for j in range(params.n_components):
            if i == j:
                continue
            offset = params.means[j] - params.means[i]
            unit = offset / np.linalg.norm(offset)
            spread = max(np.sqrt(unit @ full[i] @ unit), np.sqrt(unit @ full[j] @ unit))
            smallest = min(smallest, float(np.linalg.norm(offset) / spread))
    return smallest


@settings(max_examples=200, deadline=None)
@given(
    n_components=st.integers(1, 7),
    n_features=st.integers(1, 4),
    separation=st.floats(0.0, 8.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_mixture_meets_its_guarantees(n_components, n_features, separation, seed):
    params = random_mixture_params(n_components, n_features, separation, seed)
    params.validate()
    assert params.covariance_type == "full"
    assert (params.n_components, params.n_features) == (n_components, n_features)
    if n_components > 1:
        assert independent_min_separation(params) >= separation * (1 - 1e-12)
        assert pairwise_separation(params).min() >= separation
    assert np.all(params.weights >= MIN_WEIGHT_FRACTION / n_components * (1 - 1e-12))
    assert abs(params.weights.sum() - 1.0) < 1e-12
    eigenvalues = np.linalg.eigvalsh(params.full_covariances())
    assert np.all(eigenvalues[:, -1] / eigenvalues[:, 0] <= MAX_CONDITION * (1 + 1e-9))
    full = params.full_covariances()
    np.testing.assert_array_equal(full, np.swapaxes(full, 1, 2))


def test_pairwise_separation_by_hand():
    # Along the x axis the stds are 2 and 1: distance 6 / larger std 2 = 3.
    params = GMMParams([0.5, 0.5], [[0.0, 0.0], [6.0, 0.0]], [[4.0, 1.0], [1.0, 9.0]], "diag")
    separation = pairwise_separation(params)
    assert separation[0, 1] == separation[1, 0] == 3.0
    assert np.all(np.isinf(np.diag(separation)))


def test_random_mixture_dataset_shapes():
    dataset = make_random_mixture(5, 321, n_features=3, separation=4.0, seed=2)
    assert dataset.X.shape == (321, 3)
    assert dataset.labels.shape == (321,)
    assert dataset.truth.n_components == 5


# ================================================================ bad arguments
@pytest.mark.parametrize("n_samples", [0, -5, 2.5, "10", True, None])
def test_bad_sample_counts(n_samples):
    with pytest.raises(DataError, match="n_samples"):
        make_preset("lecture", n_samples=n_samples)
    with pytest.raises(DataError, match="n_samples"):
        sample_mixture(LECTURE_TRUTH, n_samples, seed=0)
    with pytest.raises(DataError, match="n_samples"):
        make_random_mixture(2, n_samples)


def test_numpy_integers_are_accepted():
    dataset = make_preset("lecture", n_samples=np.int64(20), seed=np.uint8(3))
    assert dataset.n_samples == 20


def test_unknown_preset_lists_the_valid_names():
    with pytest.raises(DataError) as info:
        make_preset("lectures")
    message = str(info.value)
    assert "'lectures'" in message
    for name in PRESETS:
        assert name in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("n_components", [0, -1, 1.5])
def test_bad_component_counts(n_components):
    with pytest.raises(DataError, match="n_components"):
        make_random_mixture(n_components, 100)
    with pytest.raises(DataError, match="n_components"):
        random_mixture_params(n_components)


@pytest.mark.parametrize("n_features", [0, -2])
def test_bad_feature_counts(n_features):
    with pytest.raises(DataError, match="n_features must be at least 1"):
        make_random_mixture(2, 100, n_features=n_features)


@pytest.mark.parametrize("separation", [-1.0, math.nan, math.inf, "far"])
def test_bad_separation(separation):
    with pytest.raises(DataError, match="separation"):
        make_random_mixture(2, 100, separation=separation)


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seeds(seed):
    with pytest.raises(DataError, match="seed must be a non-negative whole number"):
        sample_mixture(LECTURE_TRUTH, 10, seed=seed)
    with pytest.raises(DataError, match="seed"):
        make_random_mixture(2, 10, seed=seed)
    with pytest.raises(DataError, match="seed"):
        make_preset("lecture", seed=seed)


def test_random_mixture_needs_a_seed():
    with pytest.raises(DataError, match="seed"):
        make_random_mixture(2, 10, seed=None)


def test_invalid_parameters_cannot_be_sampled():
    bad = GMMParams([0.5, 0.5], [[0.0], [1.0]], [1.0, -1.0], "spherical")
    with pytest.raises(ParameterError, match="component 2"):
        sample_mixture(bad, 10, seed=0)
