"""Per-sample results of a mixture: labels, responsibilities, log-densities, BIC and AIC.

Pure numpy; no Qt. These are what :class:`~gmmviewer.core.params.GMMParams`'s ``predict``,
``predict_proba``, ``score_samples``, ``score``, ``bic`` and ``aic`` compute, with
scikit-learn's ``GaussianMixture`` meanings: the log-density of every component comes
from :func:`~gmmviewer.core.em.gaussian.log_gaussian_density`, the code the E-step's
reference path uses. Unlike the E-step's passes (which floor terms ``e^-700`` below a
sample's largest, harmless for sums), nothing is floored here, so a tiny responsibility
is as exact as scikit-learn's.

This module must not import :mod:`gmmviewer.core.params` (which imports it): it takes
any object with the attributes of :class:`MixtureParameters`.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from gmmviewer.core.em.gaussian import log_gaussian_density
from gmmviewer.core.errors import DataError

#: Rows per block: the (n_components, n_features, rows) deviations stay within a few MB.
BLOCK_ROWS = 8192


class MixtureParameters(Protocol):
    """What scoring needs of a mixture (:class:`~gmmviewer.core.params.GMMParams` has it)."""

    weights: np.ndarray
    means: np.ndarray
    covariance_type: str

    @property
    def precisions_cholesky(self) -> np.ndarray: ...

    @property
    def n_features(self) -> int: ...

    def n_free_parameters(self) -> int: ...


def check_samples(X: object, n_features: int) -> np.ndarray:
    """``X`` as a float64 matrix of samples, or a one-line DataError.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A 1-D array is taken as one column when ``n_features`` is 1.
    n_features : int

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    """
    array = np.asarray(X)
    if array.dtype.kind not in "biuf":
        raise DataError(f"X must hold real numbers, got an array of {array.dtype}")
    if array.ndim == 1 and n_features == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        hint = " (use X.reshape(1, -1) for one sample)" if array.ndim == 1 else ""
        raise DataError(
            f"X must be a 2-D array of shape (n_samples, {n_features}), got {array.ndim}-D{hint}"
        )
    if array.shape[1] != n_features:
        raise DataError(
            f"X has {array.shape[1]} features (columns) but the mixture has {n_features}"
        )
    if array.shape[0] == 0:
        raise DataError("X has no samples (rows)")
    array = np.ascontiguousarray(array, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise DataError("X contains missing or non-finite values")
    return array


def weighted_log_probabilities(X: np.ndarray, params: MixtureParameters) -> np.ndarray:
    """``log pi_k + log N(x_n | mu_k, Sigma_k)`` for every sample and component.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Checked by :func:`check_samples`.
    params : MixtureParameters

    Returns
    -------
    weighted : ndarray of shape (n_samples, n_components)
        A zero weight gives ``-inf``, as in scikit-learn.
    """
    factors = params.precisions_cholesky
    with np.errstate(divide="ignore"):
        log_weights = np.log(params.weights)
    out = np.empty((X.shape[0], params.weights.size))
    for start in range(0, X.shape[0], BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        density = log_gaussian_density(X[rows], params.means, factors, params.covariance_type)
        out[rows] = density.T + log_weights
    return out


def _log_sum(weighted: np.ndarray) -> np.ndarray:
    """Log of the sum over components of ``exp(weighted)``, shape (n_samples,)."""
    return np.logaddexp.reduce(weighted, axis=1)


def predict_proba(X: np.ndarray, params: MixtureParameters) -> np.ndarray:
    """Responsibilities: the posterior probability of each component for each sample.

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
        Every row sums to one.
    """
    weighted = weighted_log_probabilities(X, params)
    weighted -= _log_sum(weighted)[:, None]
    return np.exp(weighted, out=weighted)


def predict(X: np.ndarray, params: MixtureParameters) -> np.ndarray:
    """Hard labels: each sample's most probable component (the first on ties).

    Returns
    -------
    labels : ndarray of shape (n_samples,), int
        0-based component indices, as scikit-learn's ``predict``.
    """
    return np.argmax(weighted_log_probabilities(X, params), axis=1)


def score_samples(X: np.ndarray, params: MixtureParameters) -> np.ndarray:
    """Log-density of the mixture at each sample.

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
    """
    return _log_sum(weighted_log_probabilities(X, params))


def bic_value(log_likelihood: float, n_parameters: int, n_samples: int) -> float:
    """Bayesian information criterion ``-2 log L + p log N`` (lower is better)."""
    return -2.0 * log_likelihood + n_parameters * math.log(n_samples)


def aic_value(log_likelihood: float, n_parameters: int) -> float:
    """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
    return -2.0 * log_likelihood + 2.0 * n_parameters


def bic(X: np.ndarray, params: MixtureParameters) -> float:
    """BIC of ``params`` on ``X``, with p counted as scikit-learn counts it."""
    total = float(score_samples(X, params).sum())
    return bic_value(total, params.n_free_parameters(), X.shape[0])


def aic(X: np.ndarray, params: MixtureParameters) -> float:
    """AIC of ``params`` on ``X``, with p counted as scikit-learn counts it."""
    return aic_value(float(score_samples(X, params).sum()), params.n_free_parameters())
