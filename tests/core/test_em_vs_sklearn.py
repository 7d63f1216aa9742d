"""gmmviewer's EM against scikit-learn's GaussianMixture, an independent implementation.

Started from the same explicit parameters, both must stop at the same iteration with
the same parameters (to 1e-6 relative), for every covariance type, on Old Faithful
and on synthetic data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmmviewer.core.data.synthetic import make_preset, make_random_mixture
from gmmviewer.core.em.fit import fit
from gmmviewer.core.em.initialization import initialize
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def sklearn_precisions(params: GMMParams) -> np.ndarray:
    """Precisions in scikit-learn's per-type layout."""
    if params.covariance_type == "full":
        return np.linalg.inv(params.covariances)
    if params.covariance_type == "tied":
        return np.linalg.inv(params.covariances)
    return 1.0 / params.covariances


def sklearn_fit(X: np.ndarray, start: GMMParams, tol: float, max_iter: int) -> GaussianMixture:
    model = GaussianMixture(
        n_components=start.n_components,
        covariance_type=start.covariance_type,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=sklearn_precisions(start),
        tol=tol,
        max_iter=max_iter,
        reg_covar=1e-6,
        init_params="random_from_data",  # ignored: all three *_init are given
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    return model


def assert_params_match(ours: GMMParams, model: GaussianMixture, rtol: float = 1e-6) -> None:
    def close(actual: np.ndarray, desired: np.ndarray) -> None:
        scale = float(np.max(np.abs(desired)))
        np.testing.assert_allclose(actual, desired, rtol=rtol, atol=rtol * 1e-3 * scale)

    close(ours.weights, model.weights_)
    close(ours.means, model.means_)
    close(ours.covariances, model.covariances_)


def data_sets() -> list[tuple[str, np.ndarray, int]]:
    lecture = make_preset("lecture", n_samples=600, seed=7).X
    random4 = make_random_mixture(4, 800, n_features=3, separation=2.0, seed=11).X
    return [("lecture", lecture, 3), ("random-3d", random4, 4)]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init", ["kmeans", "random-means", "random"])
def test_faithful_matches_sklearn(faithful, covariance_type, init):
    start = initialize(faithful, 2, init, covariance_type, seed=5)
    model = sklearn_fit(faithful, start, tol=1e-3, max_iter=100)
    ours = fit(faithful, init_params=start, tol=1e-3, max_iter=100)
    assert ours.n_iter == model.n_iter_
    assert ours.converged == model.converged_
    assert_params_match(ours.params, model)
    assert ours.lower_bound == pytest.approx(model.lower_bound_, rel=1e-9)
    assert ours.log_likelihood == pytest.approx(model.score(faithful) * len(faithful), rel=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("name, X, k", data_sets(), ids=lambda v: v if isinstance(v, str) else "")
def test_synthetic_matches_sklearn(name, X, k, covariance_type):
    start = initialize(X, k, "random-means", covariance_type, seed=3)
    model = sklearn_fit(X, start, tol=1e-3, max_iter=200)
    ours = fit(X, init_params=start, tol=1e-3, max_iter=200)
    assert ours.n_iter == model.n_iter_, name
    assert ours.converged == model.converged_
    assert_params_match(ours.params, model)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_session_run_matches_sklearn(faithful, covariance_type):
    """The session the window drives stops where scikit-learn stops, too."""
    start = initialize(faithful, 3, "random-means", covariance_type, seed=2)
    model = sklearn_fit(faithful, start, tol=1e-3, max_iter=100)
    session = EMSession(faithful, params=start, tol=1e-3, max_iter=100)
    session.run()
    assert session.iteration == model.n_iter_
    assert session.converged == model.converged_
    assert session.done
    assert_params_match(session.params, model)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_max_iter_stops_like_sklearn(faithful, covariance_type):
    start = initialize(faithful, 3, "random-means", covariance_type, seed=4)
    model = sklearn_fit(faithful, start, tol=0.0, max_iter=4)
    ours = fit(faithful, init_params=start, tol=0.0, max_iter=4)
    assert ours.n_iter == model.n_iter_ == 4
    assert not ours.converged and not model.converged_
    assert_params_match(ours.params, model)


def test_tight_tolerance_still_agrees(faithful):
    """Many iterations (tol = 1e-8) do not let rounding differences grow."""
    start = initialize(faithful, 2, "random-means", "full", seed=9)
    model = sklearn_fit(faithful, start, tol=1e-8, max_iter=500)
    ours = fit(faithful, init_params=start, tol=1e-8, max_iter=500)
    assert ours.n_iter == model.n_iter_
    assert ours.n_iter > 10
    assert_params_match(ours.params, model)


def test_fit_history_records_every_iteration(faithful):
    start = initialize(faithful, 2, "kmeans", "full", seed=1)
    result = fit(faithful, init_params=start)
    assert [record.iteration for record in result.history] == list(range(result.n_iter + 1))
    assert result.history[0].params.equals(start)
    assert result.history[-1].params.equals(result.params)
    assert result.history[-1].log_likelihood == result.log_likelihood
    # The lower bound scikit-learn reports is the log-likelihood before the last M-step.
    assert result.history[-2].log_likelihood / len(faithful) == pytest.approx(result.lower_bound)
