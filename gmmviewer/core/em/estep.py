"""The E-step: weighted log-densities, responsibilities by log-sum-exp, and their entropy.

Pure numpy; no Qt. Arrays over (component, sample) are component-major, shape
(n_components, n_samples), so reductions over components are fast row operations and
a chunk of samples is a column slice. The loops over samples live in
:mod:`gmmviewer.core.em.passes`.
"""

from __future__ import annotations

import numpy as np

from gmmviewer.core.em.passes import (
    CHUNK_SIZE,
    ChunkBuffers,
    chunks,
    normalize_chunk,
    weighted_log_prob_chunks,
)
from gmmviewer.core.params import GMMParams

_MOST_NEGATIVE = -np.finfo(float).max


def weighted_log_prob(
    X: np.ndarray, params: GMMParams, chunk_size: int = CHUNK_SIZE
) -> tuple[np.ndarray, float]:
    """``log pi_k + log N(x_n | mu_k, Sigma_k)`` for every component and sample.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams

    Returns
    -------
    weighted : ndarray of shape (n_components, n_samples)
    log_likelihood : float
        Total log-likelihood of ``params``, computed on the way.
    """
    out = np.empty((params.n_components, X.shape[0]))
    total = 0.0
    for rows, buffers in weighted_log_prob_chunks(X, params, chunk_size):
        out[:, rows] = buffers.weighted
        total += float(normalize_chunk(buffers).sum())
    return out, total


def posterior(
    X: np.ndarray, params: GMMParams, chunk_size: int = CHUNK_SIZE
) -> tuple[np.ndarray, float, float]:
    """Responsibilities under ``params`` in one pass.

    Returns
    -------
    resp : ndarray of shape (n_components, n_samples)
    entropy : float
        ``-sum resp * log(resp)``.
    log_likelihood : float
    """
    resp = np.empty((params.n_components, X.shape[0]))
    entropy = 0.0
    total = 0.0
    for rows, buffers in weighted_log_prob_chunks(X, params, chunk_size):
        norm = normalize_chunk(buffers)
        total += float(norm.sum())
        resp[:, rows] = buffers.scratch
        entropy += _chunk_entropy(buffers.scratch, buffers.weighted, norm)
    return resp, entropy, total


def responsibilities(
    weighted: np.ndarray, chunk_size: int = CHUNK_SIZE
) -> tuple[np.ndarray, np.ndarray, float]:
    """Normalise weighted log-densities into responsibilities.

    Parameters
    ----------
    weighted : ndarray of shape (n_components, n_samples)
        Weighted log-densities; consumed (overwritten).

    Returns
    -------
    log_prob_norm : ndarray of shape (n_samples,)
        Log-density of each sample under the mixture.
    resp : ndarray of shape (n_components, n_samples)
        Every column sums to one.
    entropy : float
        ``-sum resp * log(resp)``, the entropy term of the evidence lower bound.
    """
    n_components, n_samples = weighted.shape
    log_prob_norm = np.empty(n_samples)
    resp = np.empty_like(weighted)
    entropy = 0.0
    buffers = None
    for rows in chunks(n_samples, chunk_size):
        size = rows.stop - rows.start
        if buffers is None or buffers.norm.size != size:
            buffers = ChunkBuffers.allocate(n_components, 0, size)
        np.copyto(buffers.weighted, weighted[:, rows])
        norm = normalize_chunk(buffers)
        log_prob_norm[rows] = norm
        resp[:, rows] = buffers.scratch
        entropy += _chunk_entropy(buffers.scratch, buffers.weighted, norm)
    return log_prob_norm, resp, entropy


def _chunk_entropy(resp: np.ndarray, weighted: np.ndarray, norm: np.ndarray) -> float:
    """``-sum resp * (weighted - norm)``; overwrites ``weighted`` with log-responsibilities."""
    weighted -= norm
    # 0 * log 0 counts as 0; clamping -inf keeps 0 * -inf from turning into NaN.
    np.maximum(weighted, _MOST_NEGATIVE, out=weighted)
    # einsum, not vdot: a BLAS dot may be split over threads, and waiting for a busy
    # second core made this line dominate the E-step on a loaded machine.
    return -float(np.einsum("kn,kn->", resp, weighted))


def expected_complete_log_likelihood(resp: np.ndarray, weighted: np.ndarray) -> float:
    """``sum_nk resp[k, n] * weighted[k, n]``: the energy term of the lower bound.

    Parameters
    ----------
    resp, weighted : ndarray of shape (n_components, n_samples)
    """
    total = 0.0
    for rows in chunks(resp.shape[1]):
        total += float(np.einsum("kn,kn->", resp[:, rows], weighted[:, rows]))
    return total


def logsumexp_components(weighted: np.ndarray) -> np.ndarray:
    """Log of the sum over components of ``exp(weighted)``, stably (allocating; for small arrays).

    Parameters
    ----------
    weighted : ndarray of shape (n_components, n_samples)

    Returns
    -------
    log_prob_norm : ndarray of shape (n_samples,)
    """
    peak = weighted.max(axis=0)
    peak[~np.isfinite(peak)] = 0.0
    total = np.exp(weighted - peak).sum(axis=0)
    return np.log(total) + peak


def mixture_log_density(
    X: np.ndarray, params: GMMParams, chunk_size: int = CHUNK_SIZE
) -> np.ndarray:
    """Log-density of the mixture at every sample.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
    """
    out = np.empty(X.shape[0])
    for rows, buffers in weighted_log_prob_chunks(X, params, chunk_size):
        out[rows] = normalize_chunk(buffers)
    return out


def explain_point(x: np.ndarray, params: GMMParams) -> dict[str, np.ndarray]:
    """The E-step for one sample, term by term, for the point inspector.

    Parameters
    ----------
    x : ndarray of shape (n_features,)
    params : GMMParams

    Returns
    -------
    dict with arrays of shape (n_components,)
        ``weights`` (pi_k), ``log_density`` (log N(x | mu_k, Sigma_k)),
        ``weighted`` (pi_k N(x | mu_k, Sigma_k), may underflow to 0),
        ``log_weighted`` and ``responsibilities`` (computed in log space).
    """
    weighted, _ = weighted_log_prob(np.asarray(x, dtype=float).reshape(1, -1), params)
    log_weighted = weighted[:, 0]
    log_norm = float(logsumexp_components(weighted)[0])
    logw = np.log(np.maximum(params.weights, np.finfo(float).tiny))
    return {
        "weights": np.array(params.weights),
        "log_density": log_weighted - logw,
        "log_weighted": log_weighted,
        "weighted": np.exp(log_weighted),
        "responsibilities": np.exp(log_weighted - log_norm),
    }
