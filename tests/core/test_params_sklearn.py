"""GMMParams.from_sklearn and to_sklearn: scikit-learn models both ways, every covariance type."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture

from gmmviewer.core.errors import MissingDependencyError, ParameterError
from gmmviewer.core.params import GMMParams

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
RTOL = 1e-12

# Three components on Old Faithful (minutes, minutes), one set of covariances per type.
MEANS = np.array([[2.0, 55.0], [4.3, 80.0], [3.5, 70.0]])
COVARIANCES = {
    "full": np.array([[[0.1, 0.3], [0.3, 30.0]], [[0.2, 0.6], [0.6, 36.0]], [[1, 5], [5, 90.0]]]),
    "tied": np.array([[0.3, 1.0], [1.0, 40.0]]),
    "diag": np.array([[0.1, 30.0], [0.2, 36.0], [1.0, 90.0]]),
    "spherical": np.array([4.0, 9.0, 25.0]),
}


def hand_made(covariance_type: str) -> GMMParams:
    return GMMParams([0.3, 0.5, 0.2], MEANS, COVARIANCES[covariance_type], covariance_type)


def full_matrices(covariances: np.ndarray, covariance_type: str, k: int, d: int) -> np.ndarray:
    if covariance_type == "full":
        return covariances
    if covariance_type == "tied":
        return np.broadcast_to(covariances, (k, d, d))
    if covariance_type == "diag":
        return np.stack([np.diag(row) for row in covariances])
    return covariances[:, None, None] * np.eye(d)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_round_trip_through_sklearn_is_exact(covariance_type):
    params = hand_made(covariance_type)
    back = GMMParams.from_sklearn(params.to_sklearn())
    assert back.equals(params)
    assert back.covariance_type == covariance_type


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_to_sklearn_is_a_fitted_model_that_agrees_with_ours(faithful, covariance_type):
    params = hand_made(covariance_type)
    model = params.to_sklearn(faithful, n_iter=7)
    assert isinstance(model, GaussianMixture)
    assert model.n_components == 3 and model.covariance_type == covariance_type
    assert model.converged_ is True and model.n_iter_ == 7 and model.n_features_in_ == 2
    assert model.lower_bound_ == pytest.approx(params.score(faithful), rel=RTOL)
    assert model.lower_bounds_ == [model.lower_bound_]
    np.testing.assert_array_equal(model.weights_, params.weights)
    np.testing.assert_array_equal(model.means_, params.means)
    np.testing.assert_array_equal(model.covariances_, params.covariances)
    # The precisions are the inverses of the covariances (numpy's inverse as the oracle).
    k, d = params.n_components, params.n_features
    precisions = full_matrices(model.precisions_, covariance_type, k, d)
    covariances = full_matrices(params.covariances, covariance_type, k, d)
    np.testing.assert_allclose(precisions, np.linalg.inv(covariances), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        model.predict_proba(faithful), params.predict_proba(faithful), rtol=RTOL, atol=1e-300
    )
    np.testing.assert_allclose(
        model.score_samples(faithful), params.score_samples(faithful), rtol=RTOL
    )
    np.testing.assert_array_equal(model.predict(faithful), params.predict(faithful))
    assert model.score(faithful) == pytest.approx(params.score(faithful), rel=RTOL)
    assert model.bic(faithful) == pytest.approx(params.bic(faithful), rel=RTOL)
    assert model.aic(faithful) == pytest.approx(params.aic(faithful), rel=RTOL)


def test_to_sklearn_without_data_has_not_seen_any():
    model = hand_made("full").to_sklearn()
    assert model.lower_bound_ == -np.inf and model.lower_bounds_ == [] and model.n_iter_ == 0


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_fitted_sklearn_model_gives_the_same_predictions(faithful, covariance_type):
    model = GaussianMixture(3, covariance_type=covariance_type, random_state=1).fit(faithful)
    params = GMMParams.from_sklearn(model)
    assert params.covariance_type == covariance_type
    np.testing.assert_array_equal(params.covariances, model.covariances_)
    np.testing.assert_allclose(
        params.predict_proba(faithful), model.predict_proba(faithful), rtol=RTOL, atol=1e-300
    )
    np.testing.assert_array_equal(params.predict(faithful), model.predict(faithful))
    assert params.bic(faithful) == pytest.approx(model.bic(faithful), rel=RTOL)
    assert params.aic(faithful) == pytest.approx(model.aic(faithful), rel=RTOL)


def test_a_float32_model_gives_float64_parameters(faithful):
    model = GaussianMixture(2, random_state=0).fit(faithful.astype(np.float32))
    params = GMMParams.from_sklearn(model)
    assert params.means.dtype == np.float64
    np.testing.assert_array_equal(params.means, model.means_.astype(np.float64))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_bayesian_mixture_gives_its_expected_mixture(faithful, covariance_type):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = BayesianGaussianMixture(
            n_components=4, covariance_type=covariance_type, random_state=0
        ).fit(faithful)
    params = GMMParams.from_sklearn(model)
    np.testing.assert_array_equal(params.weights, model.weights_)
    np.testing.assert_array_equal(params.means, model.means_)
    np.testing.assert_array_equal(params.covariances, model.covariances_)
    # A plain mixture: its hard labels are the variational ones wherever the variational
    # posterior is confident (its responsibilities differ by the expected log terms).
    resp = model.predict_proba(faithful)
    confident = resp.max(axis=1) > 0.99
    assert confident.sum() > 100
    np.testing.assert_array_equal(
        params.predict(faithful)[confident], model.predict(faithful)[confident]
    )


def test_warm_start_continues_from_the_parameters(faithful):
    start = hand_made("full")
    model = start.to_sklearn(faithful)
    model.set_params(warm_start=True, max_iter=200)
    model.fit(faithful)
    assert model.converged_
    assert GMMParams.from_sklearn(model).score(faithful) > start.score(faithful)


def test_what_is_not_a_fitted_mixture_is_refused():
    with pytest.raises(ParameterError, match="not fitted: call its fit"):
        GMMParams.from_sklearn(GaussianMixture(2))
    with pytest.raises(ParameterError, match="expected a scikit-learn GaussianMixture"):
        GMMParams.from_sklearn(object())
    broken = GaussianMixture(2).fit(np.random.default_rng(0).normal(size=(20, 2)))
    broken.covariances_ = -broken.covariances_
    with pytest.raises(ParameterError, match="not positive definite"):
        GMMParams.from_sklearn(broken)


def test_without_sklearn_to_sklearn_says_how_to_install_it(monkeypatch):
    # None in sys.modules makes the import fail as if scikit-learn were not installed.
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.mixture", None)
    with pytest.raises(MissingDependencyError) as caught:
        hand_made("diag").to_sklearn()
    assert str(caught.value) == "scikit-learn is not installed: pip install gmmviewer[sklearn]"
    assert isinstance(caught.value, ImportError)
