"""Sufficient statistics and entropy of given responsibilities, in chunks.

Pure numpy; no Qt. The variational M-step and the lower bound read the data only
through :class:`~gmmviewer.core.em.statistics.SufficientStatistics` (counts, first and
second moments around fixed centres) and the entropy of the responsibilities. The
E-step accumulates both on its pass; this module computes them for responsibilities
that come from elsewhere: a starting assignment, or a caller's own.
"""

from __future__ import annotations

import numpy as np

from gmmviewer.core.em.gaussian import feature_major_deviations
from gmmviewer.core.em.passes import CHUNK_SIZE, chunks, data_bounds
from gmmviewer.core.em.statistics import SufficientStatistics
from gmmviewer.core.errors import ParameterError


def statistics_centres(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Centres for the moments: the means, each clipped to the data's bounding box.

    Moments around a centre far from the data would cancel its significant digits in
    ``x - c`` (and the M-step would then subtract huge, nearly equal numbers).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_components, n_features)

    Returns
    -------
    centres : ndarray of shape (n_components, n_features)
    """
    low, high = data_bounds(X)
    return np.clip(means, low, high)


def statistics_from_resp(
    X: np.ndarray,
    resp: np.ndarray,
    covariance_type: str,
    centres: np.ndarray | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> SufficientStatistics:
    """Sufficient statistics of responsibilities, accumulated chunk by chunk.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    resp : ndarray of shape (n_components, n_samples)
        Component-major, as everywhere in the core; columns should sum to one.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    centres : ndarray of shape (n_components, n_features), optional
        Where to centre the moments; default the responsibility-weighted means (clipped
        to the data's bounding box), which costs one more pass.
    chunk_size : int

    Returns
    -------
    SufficientStatistics
        Read-only.
    """
    resp = np.asarray(resp, dtype=float)
    n_samples = X.shape[0]
    if resp.ndim != 2 or resp.shape[1] != n_samples:
        raise ParameterError(
            f"responsibilities must have shape (n_components, {n_samples}), got {resp.shape}"
        )
    if centres is None:
        sums = np.zeros((resp.shape[0], X.shape[1]))
        for rows in chunks(n_samples, chunk_size):
            sums += resp[:, rows] @ X[rows]
        counts = resp.sum(axis=1)
        # An empty component has no mean of its own; the data's first row will do.
        centres = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1e-300)[:, None], X[0])
        centres = statistics_centres(X, centres)
    stats = SufficientStatistics(np.array(centres, dtype=float), covariance_type)
    for rows in chunks(n_samples, chunk_size):
        # Contiguous copies: the accumulation multiplies along the sample axis.
        stats.add(
            feature_major_deviations(X[rows], stats.centres), np.ascontiguousarray(resp[:, rows])
        )
    return stats.freeze()


def responsibility_entropy(resp: np.ndarray, chunk_size: int = CHUNK_SIZE) -> float:
    """``-sum_kn r_kn log r_kn``, with ``0 log 0 = 0``.

    Parameters
    ----------
    resp : ndarray of shape (n_components, n_samples)

    Returns
    -------
    float
    """
    resp = np.asarray(resp, dtype=float)
    total = 0.0
    for rows in chunks(resp.shape[1], chunk_size):
        block = resp[:, rows]
        positive = block > 0.0
        logs = np.zeros_like(block)
        np.log(block, out=logs, where=positive)
        total -= float(np.einsum("kn,kn->", block, logs))
    return total
