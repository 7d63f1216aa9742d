"""Densities against scipy.stats, precision factors, and GMMParams behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gmmviewer.core.em.estep import mixture_log_density, posterior, weighted_log_prob
from gmmviewer.core.em.gaussian import SingularCovarianceError, precision_cholesky
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def random_params(rng: np.random.Generator, k: int, d: int, kind: str) -> GMMParams:
    factors = rng.normal(size=(k, d, d))
    full = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(d)
    covariances = {
        "full": full,
        "tied": full[0],
        "diag": rng.uniform(0.2, 3.0, size=(k, d)),
        "spherical": rng.uniform(0.2, 3.0, size=k),
    }[kind]
    weights = rng.dirichlet(np.ones(k))
    return GMMParams(weights, rng.normal(size=(k, d)) * 3, covariances, kind)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 5),
    d=st.integers(1, 4),
    kind=st.sampled_from(COVARIANCE_TYPES),
)
def test_log_density_matches_scipy(seed, k, d, kind):
    """The E-step's weighted log-densities and responsibilities (what EM and the views use)
    against scipy, term by term, in chunks that do and do not divide the sample count."""
    rng = np.random.default_rng(seed)
    params = random_params(rng, k, d, kind)
    X = rng.normal(size=(40, d)) * 4
    # Expand the compact covariances by hand rather than through GMMParams.
    compact = params.covariances
    if kind == "full":
        full = compact
    elif kind == "tied":
        full = np.broadcast_to(compact, (k, d, d))
    elif kind == "diag":
        full = np.stack([np.diag(c) for c in compact])
    else:
        full = compact[:, None, None] * np.eye(d)
    expected = np.stack(
        [
            np.log(params.weights[j])
            + np.atleast_1d(multivariate_normal(params.means[j], full[j]).logpdf(X))
            for j in range(k)
        ]
    )
    expected_total = logsumexp(expected, axis=0)
    for chunk_size in (7, 8192):
        weighted, log_likelihood = weighted_log_prob(X, params, chunk_size=chunk_size)
        np.testing.assert_allclose(weighted, expected, rtol=1e-9, atol=1e-9)
        assert log_likelihood == pytest.approx(expected_total.sum(), rel=1e-10, abs=1e-9)
        resp, _, total = posterior(X, params, chunk_size=chunk_size)
        np.testing.assert_allclose(resp, np.exp(expected - expected_total), rtol=1e-8, atol=1e-12)
        assert total == pytest.approx(expected_total.sum(), rel=1e-10, abs=1e-9)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
@pytest.mark.parametrize("chunk_size", [1, 7, 64, 8192])
def test_chunking_does_not_change_results(kind, chunk_size):
    rng = np.random.default_rng(1)
    params = random_params(rng, 3, 2, kind)
    X = rng.normal(size=(100, 2)) * 3
    weighted, log_likelihood = weighted_log_prob(X, params, chunk_size=chunk_size)
    reference, reference_ll = weighted_log_prob(X, params, chunk_size=100)
    np.testing.assert_allclose(weighted, reference, rtol=1e-13)
    assert log_likelihood == pytest.approx(reference_ll, rel=1e-13)
    resp, _, _ = posterior(X, params, chunk_size=chunk_size)
    np.testing.assert_allclose(resp.sum(axis=0), 1.0, rtol=1e-13)
    mixture = np.log(
        sum(
            w * multivariate_normal(m, c).pdf(X)
            for w, m, c in zip(params.weights, params.means, params.full_covariances(), strict=True)
        )
    )
    np.testing.assert_allclose(mixture_log_density(X, params, chunk_size), mixture, rtol=1e-10)


def test_far_away_samples_do_not_underflow_to_nan():
    params = GMMParams([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], np.stack([np.eye(2) * 1e-4] * 2))
    X = np.array([[1e3, -1e3], [0.5, 0.5]])
    resp, entropy, log_likelihood = posterior(X, params)
    assert np.all(np.isfinite(resp)) and np.isfinite(entropy)
    np.testing.assert_allclose(resp.sum(axis=0), 1.0)


def test_precision_cholesky_names_the_failing_component():
    covariances = np.stack([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]])
    with pytest.raises(SingularCovarianceError, match="component 2") as info:
        precision_cholesky(covariances, "full")
    assert info.value.component == 1
    with pytest.raises(SingularCovarianceError, match="component 1"):
        precision_cholesky(np.array([[0.0, 1.0]]), "diag")
    with pytest.raises(SingularCovarianceError, match="tied"):
        precision_cholesky(np.zeros((2, 2)), "tied")


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_precision_factor_inverts_the_covariance(kind):
    params = random_params(np.random.default_rng(2), 3, 3, kind)
    factors = params.precisions_cholesky
    if kind == "tied":
        factors = np.broadcast_to(factors, (3, 3, 3))
    elif kind == "diag":
        factors = np.stack([np.diag(f) for f in factors])
    elif kind == "spherical":
        factors = factors[:, None, None] * np.eye(3)
    full = params.full_covariances()
    for k in range(3):
        np.testing.assert_allclose(factors[k] @ factors[k].T @ full[k], np.eye(3), atol=1e-10)


def test_params_are_immutable_copies():
    means = np.zeros((2, 2))
    params = GMMParams([0.5, 0.5], means, np.stack([np.eye(2)] * 2))
    means[0, 0] = 9.0
    assert params.means[0, 0] == 0.0
    with pytest.raises(ValueError):
        params.means[0, 0] = 1.0


@pytest.mark.parametrize(
    "weights, means, covariances, kind, message",
    [
        ([0.5, 0.5], [[0.0]], np.ones((2, 1, 1)), "full", "means must have shape"),
        ([1.0], [[0.0, 0.0]], np.ones((1, 3, 3)), "full", "must have shape"),
        ([1.0], [[0.0]], np.ones(1), "banded", "unknown covariance type"),
    ],
)
def test_shape_errors(weights, means, covariances, kind, message):
    with pytest.raises(ParameterError, match=message):
        GMMParams(weights, means, covariances, kind)


@pytest.mark.parametrize(
    "weights, covariances, message",
    [
        ([0.7, 0.7], np.stack([np.eye(2)] * 2), "sum to 1"),
        ([1.5, -0.5], np.stack([np.eye(2)] * 2), "negative"),
        (
            [0.5, 0.5],
            np.stack([np.eye(2), [[1.0, 0.5], [0.4, 1.0]]]),
            "component 2 is not symmetric",
        ),
        ([0.5, 0.5], np.stack([np.eye(2), -np.eye(2)]), "not positive definite"),
        ([0.5, np.nan], np.stack([np.eye(2)] * 2), "finite"),
    ],
)
def test_validation_errors(weights, covariances, message):
    params = GMMParams(weights, np.zeros((2, 2)), covariances)
    with pytest.raises(ParameterError, match=message):
        params.validate()


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_full_round_trip_through_from_full(kind):
    params = random_params(np.random.default_rng(3), 3, 2, kind)
    again = GMMParams.from_full(params.weights, params.means, params.full_covariances(), kind)
    assert again.equals(params)


def test_from_full_rejects_structure_that_does_not_fit_the_type():
    full = np.stack([[[1.0, 0.2], [0.2, 1.0]]] * 2)
    with pytest.raises(ParameterError, match="diagonal"):
        GMMParams.from_full([0.5, 0.5], np.zeros((2, 2)), full, "diag")
    with pytest.raises(ParameterError, match="identity"):
        GMMParams.from_full([1.0], [[0.0, 0.0]], [np.diag([1.0, 2.0])], "spherical")
    with pytest.raises(ParameterError, match="same matrix"):
        GMMParams.from_full([0.5, 0.5], np.zeros((2, 2)), [np.eye(2), 2 * np.eye(2)], "tied")


def test_editing_helpers():
    params = random_params(np.random.default_rng(4), 3, 2, "full")
    moved = params.with_mean(1, [9.0, 9.0])
    np.testing.assert_array_equal(moved.means[1], [9.0, 9.0])
    assert params.means[1, 0] != 9.0
    grown = params.with_component([1.0, 2.0], np.eye(2))
    assert grown.n_components == 4
    assert grown.weights.sum() == pytest.approx(1.0)
    assert grown.weights[-1] == pytest.approx(0.25)
    shrunk = grown.without_component(3)
    np.testing.assert_allclose(shrunk.weights, params.weights)


@pytest.mark.parametrize("source", COVARIANCE_TYPES)
@pytest.mark.parametrize("target", COVARIANCE_TYPES)
def test_covariance_type_conversion_is_valid(source, target):
    params = random_params(np.random.default_rng(5), 3, 2, source)
    converted = params.as_covariance_type(target)
    assert converted.covariance_type == target
    converted.validate()
    np.testing.assert_array_equal(converted.means, params.means)


def test_free_parameter_counts_match_sklearn():
    from sklearn.mixture import GaussianMixture

    for kind in COVARIANCE_TYPES:
        model = GaussianMixture(4, covariance_type=kind)
        model.means_ = np.zeros((4, 3))  # all _n_parameters() reads
        params = random_params(np.random.default_rng(0), 4, 3, kind)
        assert params.n_free_parameters() == model._n_parameters()
