"""Chunked passes over the data with reused buffers: the hot loops of EM.

Pure numpy; no Qt. Every pass walks the samples in chunks of :data:`CHUNK_SIZE` rows
and writes into buffers allocated once per pass. Allocating fresh (K, D, chunk)
temporaries for every chunk costs more than the arithmetic itself (each one is a new
memory mapping that page-faults on first touch), so the buffers are what make a
million-point iteration take a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.gaussian import (
    LOG_2PI,
    feature_major_deviations,
    log_det_precision_cholesky,
    squared_mahalanobis,
)
from gmmviewer.core.params import GMMParams

_EXP_FLOOR = -700.0

#: Rows per chunk: buffers of shape (K, D, CHUNK_SIZE) stay within a few MB.
CHUNK_SIZE = 8192


def chunks(n_samples: int, chunk_size: int = CHUNK_SIZE) -> Iterator[slice]:
    """Consecutive slices covering ``range(n_samples)``."""
    for start in range(0, n_samples, chunk_size):
        yield slice(start, min(start + chunk_size, n_samples))


def log_weights(params: GMMParams) -> np.ndarray:
    """Log mixing weights, shape (n_components,).

    A weight of exactly zero would give -inf and then NaN in ``-inf - (-inf)``, so it is
    floored at the smallest positive double.
    """
    return np.log(np.maximum(params.weights, np.finfo(float).tiny))


@dataclass
class ChunkBuffers:
    """Scratch arrays for one chunk of ``size`` samples.

    Attributes
    ----------
    deviations, work : ndarray of shape (n_components, n_features, size)
    weighted, scratch : ndarray of shape (n_components, size)
    norm, peak, inverse : ndarray of shape (size,)
    """

    deviations: np.ndarray
    work: np.ndarray
    weighted: np.ndarray
    scratch: np.ndarray
    norm: np.ndarray
    peak: np.ndarray
    inverse: np.ndarray

    @classmethod
    def allocate(cls, n_components: int, n_features: int, size: int) -> ChunkBuffers:
        """Buffers for chunks of ``size`` samples."""
        return cls(
            np.empty((n_components, n_features, size)),
            np.empty((n_components, n_features, size)),
            np.empty((n_components, size)),
            np.empty((n_components, size)),
            np.empty(size),
            np.empty(size),
            np.empty(size),
        )


def weighted_log_prob_chunks(
    X: np.ndarray, params: GMMParams, chunk_size: int = CHUNK_SIZE
) -> Iterator[tuple[slice, ChunkBuffers]]:
    """Yield ``(rows, buffers)`` with ``buffers.weighted`` holding ``log pi_k + log N(x | k)``.

    ``buffers.deviations`` holds ``x - mu_k`` for the same rows. The buffers are reused:
    a consumer must finish with one chunk before asking for the next.
    """
    n_samples, n_features = X.shape
    factors = params.precisions_cholesky
    kind = params.covariance_type
    constant = log_weights(params) + log_det_precision_cholesky(factors, kind, n_features)
    constant = (constant - 0.5 * n_features * LOG_2PI)[:, None]
    size = min(chunk_size, n_samples)
    buffers = ChunkBuffers.allocate(params.n_components, n_features, size)
    for rows in chunks(n_samples, chunk_size):
        if rows.stop - rows.start != size:
            size = rows.stop - rows.start
            buffers = ChunkBuffers.allocate(params.n_components, n_features, size)
        feature_major_deviations(X[rows], params.means, out=buffers.deviations)
        weighted = squared_mahalanobis(
            buffers.deviations, factors, kind, work=buffers.work, out=buffers.weighted
        )
        weighted *= -0.5
        weighted += constant
        yield rows, buffers


def normalize_chunk(buffers: ChunkBuffers) -> np.ndarray:
    """Log-sum-exp over components, and responsibilities into ``buffers.scratch``.

    Returns
    -------
    norm : ndarray of shape (size,)
        ``log sum_k exp(weighted[k])``, the log-density of each sample (a view of
        ``buffers.norm``). ``buffers.scratch`` then holds the responsibilities.
    """
    weighted, resp, norm, peak = buffers.weighted, buffers.scratch, buffers.norm, buffers.peak
    np.max(weighted, axis=0, out=peak)
    # A sample with every component at -inf keeps -inf instead of becoming NaN.
    peak[~np.isfinite(peak)] = 0.0
    np.subtract(weighted, peak, out=resp)
    # exp() of very negative numbers takes a slow path through subnormals; terms below
    # e^-700 (relative to the largest) cannot change a sum of doubles anyway.
    np.maximum(resp, _EXP_FLOOR, out=resp)
    np.exp(resp, out=resp)
    np.sum(resp, axis=0, out=norm)
    if not np.all(norm > 0.0):
        # Every component's density underflowed for these samples: share them equally
        # rather than divide zero by zero.
        lost = ~(norm > 0.0)
        resp[:, lost] = 1.0
        norm[lost] = resp.shape[0]
        peak[lost] = -np.inf
    # One reciprocal per sample, then a multiply per entry: cheaper than K divisions.
    np.reciprocal(norm, out=buffers.inverse)
    resp *= buffers.inverse
    np.log(norm, out=norm)
    norm += peak
    return norm


def feature_variance(X: np.ndarray, chunk_size: int = CHUNK_SIZE) -> np.ndarray:
    """Variance of every column, in chunks (``np.var`` would copy all of ``X`` at once).

    Returns
    -------
    variance : ndarray of shape (n_features,)
    """
    n_samples = X.shape[0]
    mean = np.zeros(X.shape[1])
    for rows in chunks(n_samples, chunk_size):
        mean += X[rows].sum(axis=0)
    mean /= max(n_samples, 1)
    squares = np.zeros(X.shape[1])
    for rows in chunks(n_samples, chunk_size):
        centred = X[rows] - mean
        squares += np.einsum("nd,nd->d", centred, centred)
    return squares / max(n_samples, 1)
