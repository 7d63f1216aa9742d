"""GMMParams.predict, predict_proba, score_samples, score, bic and aic against scikit-learn.

The oracle is scikit-learn's ``GaussianMixture`` holding the same numbers, built by hand
in ``tests/oracles.py`` (not by :meth:`GMMParams.to_sklearn`, which has its own tests), with
scipy's densities as a second opinion.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracles import sklearn_model
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.mixture import GaussianMixture

from gmmviewer.core.errors import DataError, ParameterError
from gmmviewer.core.params import GMMParams

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
RTOL = 1e-12


def fitted(X: np.ndarray, covariance_type: str, k: int = 3) -> GMMParams:
    model = GaussianMixture(k, covariance_type=covariance_type, random_state=0).fit(X)
    return GMMParams(model.weights_, model.means_, model.covariances_, covariance_type)


def far_and_near(X: np.ndarray) -> np.ndarray:
    """New points: inside the data, between clusters and far out (tiny responsibilities)."""
    rng = np.random.default_rng(4)
    low, high = X.min(axis=0), X.max(axis=0)
    span = high - low
    inside = rng.uniform(low, high, size=(40, X.shape[1]))
    outside = rng.uniform(low - 3 * span, high + 3 * span, size=(40, X.shape[1]))
    return np.vstack([inside, outside])


@pytest.fixture(scope="module")
def iris(iris_path) -> np.ndarray:
    return np.loadtxt(iris_path, delimiter=",", skiprows=1, usecols=range(4))


def assert_same_responsibilities(actual: np.ndarray, desired: np.ndarray) -> None:
    """To 1e-12 relative down to 1e-80; below, in log space.

    A responsibility of 1e-97 is ``exp(-222)``: two correct summation orders give logs
    differing in their last bits, which exp() turns into ~1e-12 relative. So tiny ones
    are compared by their logs (to 1e-13 relative), all but the subnormal ones.
    """
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=1e-80)
    tiny = (desired < 1e-80) & (desired > np.finfo(float).tiny)
    np.testing.assert_allclose(np.log(actual[tiny]), np.log(desired[tiny]), rtol=1e-13)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("data_name", ["faithful", "iris"])
def test_per_sample_results_are_sklearns(request, covariance_type, data_name):
    X = request.getfixturevalue(data_name)
    params = fitted(X, covariance_type)
    model = sklearn_model(params, X.shape[1])
    for points in (X, far_and_near(X)):
        assert_same_responsibilities(params.predict_proba(points), model.predict_proba(points))
        # Relative to the largest: a log-density crossing zero is a difference of terms
        # of a few units, each known to 1e-16 relative.
        desired = model.score_samples(points)
        np.testing.assert_allclose(
            params.score_samples(points), desired, rtol=RTOL, atol=RTOL * np.abs(desired).max()
        )
        np.testing.assert_array_equal(params.predict(points), model.predict(points))
        assert params.score(points) == pytest.approx(model.score(points), rel=RTOL)
        assert params.bic(points) == pytest.approx(model.bic(points), rel=RTOL)
        assert params.aic(points) == pytest.approx(model.aic(points), rel=RTOL)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_results_agree_with_scipy_densities(faithful, covariance_type):
    params = fitted(faithful, covariance_type)
    covariances = params.full_covariances()
    log_joint = np.column_stack(
        [
            np.log(params.weights[k])
            + multivariate_normal(params.means[k], covariances[k]).logpdf(faithful)
            for k in range(params.n_components)
        ]
    )
    log_density = logsumexp(log_joint, axis=1)
    np.testing.assert_allclose(params.score_samples(faithful), log_density, rtol=1e-12)
    resp = params.predict_proba(faithful)
    np.testing.assert_allclose(resp, np.exp(log_joint - log_density[:, None]), rtol=1e-10)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(params.predict(faithful), np.argmax(resp, axis=1))
    n, p = faithful.shape[0], params.n_free_parameters()
    assert params.bic(faithful) == pytest.approx(-2 * log_density.sum() + p * np.log(n), rel=1e-12)
    assert params.aic(faithful) == pytest.approx(-2 * log_density.sum() + 2 * p, rel=1e-12)


def test_one_feature_takes_a_1d_array():
    params = GMMParams([0.4, 0.6], [[0.0], [3.0]], [[[1.0]], [[2.0]]])
    x = np.array([-1.0, 0.5, 1.5, 4.0])
    np.testing.assert_array_equal(params.predict_proba(x), params.predict_proba(x[:, None]))
    np.testing.assert_array_equal(params.score_samples(x), params.score_samples(x[:, None]))
    expected = np.log(
        0.4 * np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)
        + 0.6 * np.exp(-0.25 * (x - 3) ** 2) / np.sqrt(4 * np.pi)
    )
    np.testing.assert_allclose(params.score_samples(x), expected, rtol=1e-13)
    assert params.predict([[-1.0], [4.0]]).tolist() == [0, 1]


def test_a_zero_weight_component_gets_no_responsibility(faithful):
    params = GMMParams([0.0, 1.0], [[2.0, 55.0], [3.5, 70.0]], [[0.1, 30.0], [1.0, 200.0]], "diag")
    resp = params.predict_proba(faithful)
    assert np.all(resp[:, 0] == 0.0) and np.all(resp[:, 1] == 1.0)
    assert np.all(params.predict(faithful) == 1)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.zeros((3, 3)), "X has 3 features (columns) but the mixture has 2"),
        (np.zeros(2), "X must be a 2-D array of shape (n_samples, 2), got 1-D"),
        (np.zeros((2, 2, 2)), "got 3-D"),
        (np.zeros((0, 2)), "X has no samples"),
        (np.array([[1.0, np.nan]]), "missing or non-finite"),
        (np.array([[1.0, np.inf]]), "missing or non-finite"),
        (np.array([["1", "2"]]), "X must hold real numbers"),
        (np.array([[1 + 1j, 2]]), "X must hold real numbers"),
    ],
)
def test_bad_samples_are_one_line_data_errors(X, message):
    params = GMMParams([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [1.0, 2.0], "spherical")
    for method in (
        params.predict,
        params.predict_proba,
        params.score_samples,
        params.score,
        params.bic,
        params.aic,
    ):
        with pytest.raises(DataError) as caught:
            method(X)
        assert message in str(caught.value)
        assert "\n" not in str(caught.value)


def test_invalid_parameters_are_parameter_errors():
    not_positive = GMMParams([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]], "tied")
    with pytest.raises(ParameterError, match="not positive definite"):
        not_positive.predict_proba(np.zeros((2, 2)))
    unnormalised = GMMParams([0.5, 0.7], [[0.0], [1.0]], [1.0, 1.0], "spherical")
    with pytest.raises(ParameterError, match="weights must sum to 1"):
        unnormalised.score_samples(np.zeros((2, 1)))
