"""Initial mixture parameters, with the meanings scikit-learn gives its ``init_params``.

Pure numpy; no Qt. Every method draws from ``numpy.random.default_rng(seed)``, so the
same seed gives the same parameters.

* ``kmeans``: responsibilities are the one-hot labels of a k-means run.
* ``k-means++``: one-hot responsibilities at k-means++ seeds (each component starts
  on one data point, with covariance ``reg_covar``).
* ``random``: uniform random responsibilities, normalised per sample.
* ``random-from-data``: one-hot responsibilities at K distinct random data points.
* ``random-means`` (gmmviewer's own, the classic lecture-notebook start): means at K
  distinct random data points, every covariance the data's covariance, equal weights;
  the ellipses start large and visibly move.

The first four collect the sufficient statistics of those responsibilities and take
weights, means and covariances from :func:`~gmmviewer.core.em.mstep.m_step`, the same
M-step EM runs.
"""

from __future__ import annotations

import numpy as np

from gmmviewer.core.em.gaussian import check_covariance_type, feature_major_deviations
from gmmviewer.core.em.kmeans import kmeans, kmeans_plusplus
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.objective import DEFAULT_REG_COVAR
from gmmviewer.core.em.passes import chunks, feature_variance
from gmmviewer.core.em.statistics import SufficientStatistics
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams

INIT_METHODS: tuple[str, ...] = (
    "kmeans",
    "k-means++",
    "random",
    "random-from-data",
    "random-means",
)

_ALIASES = {
    "random_from_data": "random-from-data",
    "kmeans++": "k-means++",
    "random_means": "random-means",
}


def check_init_method(method: str) -> str:
    """Canonical name of ``method`` (underscores accepted); a ParameterError lists valid ones."""
    method = _ALIASES.get(method, method)
    if method not in INIT_METHODS:
        raise ParameterError(
            f"unknown initialisation {method!r}: use one of {', '.join(INIT_METHODS)}"
        )
    return method


def check_n_components(n_components: int, n_samples: int) -> None:
    """Raise a ParameterError unless ``1 <= n_components <= n_samples``."""
    if int(n_components) != n_components or n_components < 1:
        raise ParameterError(
            f"the number of components must be a positive integer, got {n_components}"
        )
    if n_components > n_samples:
        raise ParameterError(
            f"K = {n_components} components need at least {n_components} data points, "
            f"there are {n_samples}"
        )


def initial_statistics(
    X: np.ndarray,
    n_components: int,
    method: str,
    covariance_type: str,
    seed: int | None,
) -> SufficientStatistics:
    """Sufficient statistics of the starting responsibilities of a scikit-learn method.

    The responsibilities themselves are never held for all samples at once: one-hot
    starts only touch their labelled rows, and random ones are drawn chunk by chunk.

    Returns
    -------
    SufficientStatistics
        Centred at the data mean.
    """
    method = check_init_method(method)
    n_samples, n_features = X.shape
    check_n_components(n_components, n_samples)
    rng = np.random.default_rng(seed)
    centre = np.zeros(n_features)
    for rows in chunks(n_samples):
        centre += X[rows].sum(axis=0)
    centre /= n_samples
    stats = SufficientStatistics(
        np.broadcast_to(centre, (n_components, n_features)).copy(), covariance_type
    )
    if method in ("k-means++", "random-from-data"):
        if method == "k-means++":
            _, indices = kmeans_plusplus(X, n_components, rng)
        else:
            indices = rng.choice(n_samples, size=n_components, replace=False)
        # Component k's responsibility is 1 at its own point and 0 elsewhere.
        stats.add(feature_major_deviations(X[indices], stats.centres), np.eye(n_components))
        return stats
    labels = None
    if method == "kmeans":
        labels = kmeans(X, n_components, seed=int(rng.integers(2**32))).labels
    elif method != "random":
        raise ParameterError(f"{method!r} does not start from responsibilities")
    components = np.arange(n_components)[:, None]
    for rows in chunks(n_samples):
        if labels is not None:
            resp = (labels[None, rows] == components).astype(float)
        else:
            resp = rng.uniform(size=(n_components, rows.stop - rows.start))
            resp /= resp.sum(axis=0)
        stats.add(feature_major_deviations(X[rows], stats.centres), resp)
    return stats


def initialize(
    X: np.ndarray,
    n_components: int,
    method: str = "kmeans",
    covariance_type: str = "full",
    seed: int | None = 0,
    reg_covar: float = DEFAULT_REG_COVAR,
) -> GMMParams:
    """Initial parameters for EM.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    method : {'kmeans', 'k-means++', 'random', 'random-from-data', 'random-means'}
    covariance_type : {'full', 'diag', 'spherical', 'tied'}
    seed : int or None
        Seed of every random choice; None draws fresh entropy.
    reg_covar : float

    Returns
    -------
    GMMParams
    """
    X = np.asarray(X, dtype=float)
    method = check_init_method(method)
    check_covariance_type(covariance_type)
    check_n_components(n_components, X.shape[0])
    if method == "random-means":
        return _random_means(X, n_components, covariance_type, seed, reg_covar)
    stats = initial_statistics(X, n_components, method, covariance_type, seed)
    variance = float(np.mean(feature_variance(X)))
    return m_step(stats, reg_covar, data_variance=variance).params


def _random_means(
    X: np.ndarray, n_components: int, covariance_type: str, seed: int | None, reg_covar: float
) -> GMMParams:
    rng = np.random.default_rng(seed)
    n_samples, n_features = X.shape
    distinct = distinct_rows(X) if n_samples <= 200_000 else X
    pool = distinct if distinct.shape[0] >= n_components else X
    means = pool[rng.choice(pool.shape[0], size=n_components, replace=False)]
    covariance = np.atleast_2d(np.cov(X, rowvar=False)) if n_samples > 1 else np.eye(n_features)
    covariance = covariance + reg_covar * np.eye(n_features)
    if not np.all(np.linalg.eigvalsh(covariance) > 0):
        covariance = covariance + max(1e-12, reg_covar) * np.eye(n_features) * max(
            1.0, float(np.trace(covariance))
        )
    full = np.broadcast_to(covariance, (n_components, n_features, n_features))
    params = GMMParams(np.full(n_components, 1.0 / n_components), means, full, "full")
    return params.as_covariance_type(covariance_type)


def distinct_rows(X: np.ndarray) -> np.ndarray:
    """The distinct rows of ``X`` in lexicographic order: ``np.unique(X, axis=0)``.

    Not ``np.unique`` itself: its first call imports ``numpy.ma`` (about 10 ms), which the
    window's first paint, whose demo starts here, would wait for.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    ndarray of shape (n_distinct, n_features)
        Sorted by the first column, ties by the second, and so on.
    """
    if len(X) == 0:
        return X.copy()
    # lexsort's last key is its primary one: the first column.
    rows = X[np.lexsort(X.T[::-1])]
    keep = np.empty(len(rows), dtype=bool)
    keep[0] = True
    np.any(rows[1:] != rows[:-1], axis=1, out=keep[1:])
    return rows[keep]
