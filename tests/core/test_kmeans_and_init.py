"""k-means and the initialisation methods: reproducible, meaningful, comparable to scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.em.initialization import INIT_METHODS, initialize
from gmmviewer.core.em.kmeans import kmeans
from gmmviewer.core.errors import ParameterError


@pytest.fixture(scope="module")
def lecture_X():
    return make_preset("lecture", n_samples=600, seed=0).X


def test_kmeans_reaches_sklearn_quality(lecture_X, faithful):
    for X, k in [(lecture_X, 3), (faithful, 2)]:
        ours = min(kmeans(X, k, seed=s).inertia for s in range(5))
        theirs = KMeans(k, n_init=5, random_state=0).fit(X).inertia_
        assert ours <= theirs * 1.001


def test_kmeans_result_is_consistent(lecture_X):
    result = kmeans(lecture_X, 3, seed=1)
    assert result.converged
    for k in range(3):
        np.testing.assert_allclose(result.centres[k], lecture_X[result.labels == k].mean(axis=0))
    distances = ((lecture_X[:, None, :] - result.centres[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(result.labels, distances.argmin(axis=1))
    assert result.inertia == pytest.approx(distances.min(axis=1).sum())


def test_kmeans_handles_fewer_distinct_points_than_clusters():
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    result = kmeans(X, 3, seed=0)
    assert np.all(np.isfinite(result.centres))
    assert result.inertia == pytest.approx(0.0)


@pytest.mark.parametrize("method", INIT_METHODS)
@pytest.mark.parametrize("kind", ["full", "diag", "spherical", "tied"])
def test_initialisation_is_reproducible_and_valid(lecture_X, method, kind):
    first = initialize(lecture_X, 3, method, kind, seed=12)
    again = initialize(lecture_X, 3, method, kind, seed=12)
    other = initialize(lecture_X, 3, method, kind, seed=13)
    assert first.equals(again)
    assert not first.equals(other)
    first.validate()
    assert first.covariance_type == kind


@pytest.mark.parametrize("method", ["k-means++", "random-from-data", "random-means"])
def test_point_based_methods_start_on_data_points(lecture_X, method):
    params = initialize(lecture_X, 3, method, seed=3)
    for mean in params.means:
        assert np.any(np.all(np.isclose(lecture_X, mean, rtol=1e-12, atol=1e-12), axis=1))


@pytest.mark.parametrize("kind", ["full", "diag", "spherical", "tied"])
def test_kmeans_init_matches_kmeans_partition_moments(lecture_X, kind):
    """Weights, means and covariances are the moments of scikit-learn's k-means partition,
    computed here by hand (plus reg_covar on the diagonal, as scikit-learn adds it)."""
    reg_covar = 1e-6
    params = initialize(lecture_X, 3, "kmeans", kind, seed=0, reg_covar=reg_covar)
    labels = KMeans(3, n_init=10, random_state=0).fit(lecture_X).labels_
    n, d = lecture_X.shape
    groups = [lecture_X[labels == k] for k in range(3)]
    centres = np.array([group.mean(axis=0) for group in groups])
    # Components come in k-means' own order: match each cluster to its nearest mean.
    order = np.argmin(((centres[:, None, :] - params.means[None]) ** 2).sum(-1), axis=1)
    assert sorted(order) == [0, 1, 2]
    scatter = np.array([(g - g.mean(axis=0)).T @ (g - g.mean(axis=0)) for g in groups])
    counts = np.array([len(g) for g in groups], dtype=float)
    np.testing.assert_allclose(params.weights[order], counts / n, rtol=1e-12)
    np.testing.assert_allclose(params.means[order], centres, rtol=1e-12, atol=1e-12)
    full = scatter / counts[:, None, None] + reg_covar * np.eye(d)
    expected = {
        "full": lambda: full,
        "diag": lambda: np.diagonal(full, axis1=1, axis2=2),
        "spherical": lambda: np.diagonal(full, axis1=1, axis2=2).mean(axis=1),
        "tied": lambda: scatter.sum(axis=0) / n + reg_covar * np.eye(d),
    }[kind]()
    covariances = params.covariances if kind == "tied" else params.covariances[order]
    np.testing.assert_allclose(covariances, expected, rtol=1e-10)


def test_random_init_spreads_weights_evenly(lecture_X):
    params = initialize(lecture_X, 4, "random", seed=0)
    np.testing.assert_allclose(params.weights, 0.25, atol=0.03)


def test_random_means_uses_the_data_covariance(lecture_X):
    params = initialize(lecture_X, 3, "random-means", seed=0)
    expected = np.cov(lecture_X, rowvar=False) + 1e-6 * np.eye(2)
    for covariance in params.covariances:
        np.testing.assert_allclose(covariance, expected)
    np.testing.assert_allclose(params.weights, 1 / 3)


def test_bad_initialisation_requests(lecture_X):
    with pytest.raises(ParameterError, match="unknown initialisation"):
        initialize(lecture_X, 3, "spectral")
    with pytest.raises(ParameterError, match="need at least 601"):
        initialize(lecture_X, 601)
    with pytest.raises(ParameterError, match="positive integer"):
        initialize(lecture_X, 0)


def test_underscore_aliases_match_sklearn_spelling(lecture_X):
    a = initialize(lecture_X, 3, "random_from_data", seed=1)
    b = initialize(lecture_X, 3, "random-from-data", seed=1)
    assert a.equals(b)
