"""k-means and the initialisation methods: reproducible, meaningful, comparable to scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans

from gmmviewer.core.data.synthetic import make_preset, make_random_mixture
from gmmviewer.core.em.initialization import INIT_METHODS, initialize
from gmmviewer.core.em.kmeans import (
    ChunkRunner,
    _LloydPass,
    assign,
    kmeans,
    kmeans_plusplus,
)
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


def _mixture(n_clusters: int, n_samples: int, n_features: int) -> np.ndarray:
    """Overlapping clusters, so that Lloyd takes a good many iterations."""
    return make_random_mixture(n_clusters, n_samples, n_features, separation=1.5, seed=7).X


def _reference_kmeans_plusplus(X: np.ndarray, n_clusters: int, seed: int) -> np.ndarray:
    """Greedy k-means++ on whole arrays, drawing from the generator as kmeans_plusplus does."""
    rng = np.random.default_rng(seed)
    n_trials = 2 + int(np.log(n_clusters))
    indices = [int(rng.integers(X.shape[0]))]
    closest = ((X - X[indices[0]]) ** 2).sum(axis=1)
    for _ in range(1, n_clusters):
        targets = rng.random(n_trials) * closest.sum()
        candidates = np.minimum(np.searchsorted(np.cumsum(closest), targets), len(X) - 1)
        trial = ((X[None, :, :] - X[candidates][:, None, :]) ** 2).sum(axis=2)
        trial = np.minimum(trial, closest)
        best = int(np.argmin(trial.sum(axis=1)))
        indices.append(int(candidates[best]))
        closest = trial[best]
    return np.array(indices)


# (n_clusters, n_features)
CLUSTER_CASES = [(2, 2), (7, 2), (4, 6), (9, 6)]


@pytest.mark.parametrize(("n_clusters", "n_features"), CLUSTER_CASES)
@pytest.mark.parametrize(("chunk_size", "n_threads"), [(8192, 1), (777, 3), (50, 2)])
def test_lloyd_matches_sklearn_from_the_same_start(n_clusters, n_features, chunk_size, n_threads):
    """The same start gives scikit-learn's partition, whatever the chunks and threads;
    777 and 50 do not divide N, so the last chunk is short and reuses longer buffers."""
    X = _mixture(n_clusters, 3001, n_features)
    start = X[np.random.default_rng(1).choice(len(X), n_clusters, replace=False)]
    ours = kmeans(
        X,
        n_clusters,
        tol=0.0,
        initial_centres=start,
        chunk_size=chunk_size,
        n_threads=n_threads,
    )
    theirs = KMeans(n_clusters, init=start, n_init=1, tol=0.0, algorithm="lloyd").fit(X)
    assert ours.converged
    # scikit-learn also counts the pass that finds the labels unchanged.
    assert ours.n_iter + 1 == theirs.n_iter_
    assert ours.n_iter > 3
    np.testing.assert_array_equal(ours.labels, theirs.labels_)
    np.testing.assert_allclose(ours.centres, theirs.cluster_centers_, rtol=1e-10, atol=1e-12)
    assert ours.inertia == pytest.approx(theirs.inertia_, rel=1e-10)


@pytest.mark.parametrize(("n_clusters", "n_features"), CLUSTER_CASES)
def test_lloyd_pass_sums_agree_with_a_direct_computation(n_clusters, n_features):
    """Counts, sums, labels and inertia of one pass, over chunks of 64 rows (the last of
    them 17 rows long), computed again here on whole arrays."""
    X = _mixture(n_clusters, 64 * 9 + 17, n_features)
    centres = X[:n_clusters] + 0.25
    distances = ((X[:, None, :] - centres[None]) ** 2).sum(axis=2)
    labels = distances.argmin(axis=1)
    with ChunkRunner(len(X), 64, 2) as runner:
        lloyd = _LloydPass(X, n_clusters, runner, float((X**2).sum()))
        changed, inertia = lloyd.run(centres)
        again, _ = lloyd.run(centres)
        moved, _ = lloyd.run(centres[::-1])
    assert changed and not again and moved
    expected = np.array([X[labels == k].sum(axis=0) for k in range(n_clusters)])
    # The last pass had the centres reversed: cluster k is then labels == K - 1 - k.
    np.testing.assert_array_equal(lloyd.labels(), n_clusters - 1 - labels)
    np.testing.assert_array_equal(lloyd.counts(), np.bincount(labels, minlength=n_clusters)[::-1])
    np.testing.assert_allclose(lloyd.sums(), expected[::-1], rtol=1e-12, atol=1e-12)
    assert inertia == pytest.approx(distances.min(axis=1).sum(), rel=1e-12)


def test_assign_takes_the_first_of_equally_near_centres():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 0.0], [5.0, 5.0]] * 3)
    centres = np.array([[1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [5.0, 5.0]])
    labels, inertia = assign(X, centres, chunk_size=5, n_threads=2)
    distances = ((X[:, None, :] - centres[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(labels, distances.argmin(axis=1))
    assert inertia == pytest.approx(distances.min(axis=1).sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("chunk_size", "n_threads"), [(8192, 1), (300, 2), (61, 3)])
def test_kmeans_plusplus_matches_a_direct_implementation(seed, chunk_size, n_threads):
    """Chunks, threads and per-chunk sampling choose the rows that greedy k-means++ on
    whole arrays chooses from the same random draws."""
    X = _mixture(6, 2000, 3)
    centres, indices = kmeans_plusplus(
        X, 6, np.random.default_rng(seed), chunk_size=chunk_size, n_threads=n_threads
    )
    np.testing.assert_array_equal(indices, _reference_kmeans_plusplus(X, 6, seed))
    np.testing.assert_array_equal(centres, X[indices])


def test_results_do_not_depend_on_the_number_of_threads():
    X = _mixture(5, 5000, 4)
    results = [kmeans(X, 5, seed=3, chunk_size=333, n_threads=t) for t in (1, 2, 4)]
    for other in results[1:]:
        np.testing.assert_array_equal(other.centres, results[0].centres)
        np.testing.assert_array_equal(other.labels, results[0].labels)
        assert other.inertia == results[0].inertia
        assert other.n_iter == results[0].n_iter


def test_kmeans_with_duplicates_over_chunks_and_threads():
    """Fewer distinct points than clusters: the seeding falls back to unused rows."""
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [4.0, 0.0]]), 7, axis=0)
    results = [kmeans(X, 5, seed=0, chunk_size=4, n_threads=t) for t in (1, 3)]
    for result in results:
        assert np.all(np.isfinite(result.centres))
        assert result.inertia == pytest.approx(0.0)
    np.testing.assert_array_equal(results[0].labels, results[1].labels)


def test_kmeans_leaves_a_read_only_X_alone():
    X = _mixture(3, 2000, 2)
    before = X.copy()
    X.flags.writeable = False
    result = kmeans(X, 3, seed=0, chunk_size=256, n_threads=2)
    np.testing.assert_array_equal(X, before)
    assert result.labels.shape == (2000,)


def test_bad_kmeans_arguments():
    X = _mixture(3, 100, 2)
    with pytest.raises(ValueError, match="initial_centres has shape"):
        kmeans(X, 3, initial_centres=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="n_threads"):
        kmeans(X, 3, n_threads=0)
    with pytest.raises(ValueError, match="chunk_size"):
        kmeans(X, 3, chunk_size=0)


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
