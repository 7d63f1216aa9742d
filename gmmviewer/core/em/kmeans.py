"""k-means: k-means++ seeding and Lloyd iterations (pure numpy; no Qt).

Used to initialise EM (as scikit-learn's ``init_params='kmeans'`` does) and to show
k-means beside EM. Distances are computed in chunks so memory stays O(chunk x K).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.passes import CHUNK_SIZE, chunks


@dataclass(frozen=True)
class KMeansResult:
    """A k-means partition.

    Attributes
    ----------
    centres : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,)
    inertia : float
        Sum of squared distances of samples to their closest centre.
    n_iter : int
    converged : bool
    """

    centres: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool


def squared_distances(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances, shape (n_samples, n_clusters).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centres : ndarray of shape (n_clusters, n_features)
    """
    distances = (
        np.einsum("ij,ij->i", X, X)[:, None] - 2.0 * (X @ centres.T) + np.sum(centres**2, axis=1)
    )
    return np.maximum(distances, 0.0, out=distances)


def kmeans_plusplus(
    X: np.ndarray, n_clusters: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii, with 2 + log k local trials).

    Distances are computed in chunks, so memory stays O(N) for the running minimum.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    rng : numpy Generator

    Returns
    -------
    centres : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
        Rows of ``X`` chosen as centres.
    """
    n_samples = X.shape[0]
    n_trials = 2 + int(math.log(n_clusters))
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.integers(n_samples)
    closest = _closest_distances(X, X[indices[:1]], None)
    for c in range(1, n_clusters):
        potential = closest.sum()
        if potential <= 0.0:
            # Every point coincides with a centre: any unused point will do.
            unused = np.setdiff1d(np.arange(min(n_samples, n_clusters + 1)), indices[:c])
            indices[c] = unused[0] if unused.size else rng.integers(n_samples)
            continue
        cumulative = np.cumsum(closest)
        candidates = np.searchsorted(cumulative, rng.random(n_trials) * potential)
        candidates = np.minimum(candidates, n_samples - 1)
        potentials = np.zeros(n_trials)
        for rows in chunks(n_samples, CHUNK_SIZE):
            distances = squared_distances(X[rows], X[candidates])
            np.minimum(distances, closest[rows, None], out=distances)
            potentials += distances.sum(axis=0)
        best = int(np.argmin(potentials))
        indices[c] = candidates[best]
        closest = _closest_distances(X, X[candidates[best : best + 1]], closest)
    return X[indices].copy(), indices


def _closest_distances(X: np.ndarray, centre: np.ndarray, closest: np.ndarray | None) -> np.ndarray:
    """Squared distance of every sample to ``centre`` (shape (1, D)), or the running minimum."""
    if closest is None:
        closest = np.full(X.shape[0], np.inf)
    for rows in chunks(X.shape[0], CHUNK_SIZE):
        np.minimum(closest[rows], squared_distances(X[rows], centre)[:, 0], out=closest[rows])
    return closest


def assign(X: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, float]:
    """Closest centre of every sample and the inertia.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
    inertia : float
    """
    labels = np.empty(X.shape[0], dtype=np.intp)
    inertia = 0.0
    for rows in chunks(X.shape[0], CHUNK_SIZE):
        distances = squared_distances(X[rows], centres)
        labels[rows] = np.argmin(distances, axis=1)
        inertia += float(np.take_along_axis(distances, labels[rows, None], axis=1).sum())
    return labels, inertia


def kmeans(
    X: np.ndarray,
    n_clusters: int,
    seed: int | None = 0,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> KMeansResult:
    """Lloyd's k-means from a k-means++ seeding.

    Stops when the labels no longer change or the centres move by less than ``tol``
    times the mean feature variance (scikit-learn's rule).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    seed : int or None
    max_iter : int
    tol : float

    Returns
    -------
    KMeansResult
    """
    X = np.asarray(X, dtype=float)
    rng = np.random.default_rng(seed)
    centres, _ = kmeans_plusplus(X, n_clusters, rng)
    threshold = tol * float(np.mean(np.var(X, axis=0)))
    labels, inertia = assign(X, centres)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported after the loop
        counts = np.bincount(labels, minlength=n_clusters).astype(float)
        sums = np.zeros_like(centres)
        _sum_by_label(X, labels, sums)
        new_centres = centres.copy()
        filled = counts > 0
        new_centres[filled] = sums[filled] / counts[filled, None]
        shift = float(np.sum((new_centres - centres) ** 2))
        centres = new_centres
        new_labels, inertia = assign(X, centres)
        unchanged = np.array_equal(new_labels, labels)
        labels = new_labels
        if unchanged or shift <= threshold:
            converged = True
            break
    return KMeansResult(centres, labels, inertia, n_iter, converged)


def _sum_by_label(X: np.ndarray, labels: np.ndarray, out: np.ndarray) -> None:
    # bincount per column is much faster than np.add.at on large arrays.
    for j in range(X.shape[1]):
        out[:, j] = np.bincount(labels, weights=X[:, j], minlength=out.shape[0])
