"""Choosing K and the covariance type by BIC and AIC (pure numpy; no Qt).

:func:`scan_models` is a generator: it yields one fitted model at a time, so a window
can show progress, draw the curves as they grow and stop between (or, through
``should_stop``, inside) fits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.fit import fit
from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.em.objective import (
    DEFAULT_MAX_ITER,
    DEFAULT_REG_COVAR,
    DEFAULT_TOL,
    aic,
    bic,
)
from gmmviewer.core.params import GMMParams


@dataclass(frozen=True)
class ModelScore:
    """One fitted candidate model and its information criteria.

    Attributes
    ----------
    n_components : int
    covariance_type : str
    log_likelihood : float
        Total log-likelihood of the fitted parameters.
    bic, aic : float
        ``-2 log L + p log N`` and ``-2 log L + 2 p`` (lower is better), with p counted
        as scikit-learn counts it.
    n_parameters : int
    n_iter : int
    converged : bool
    params : GMMParams
    """

    n_components: int
    covariance_type: str
    log_likelihood: float
    bic: float
    aic: float
    n_parameters: int
    n_iter: int
    converged: bool
    params: GMMParams


def scan_models(
    X: np.ndarray,
    k_values: Sequence[int],
    covariance_types: Sequence[str] = COVARIANCE_TYPES,
    *,
    init: str = "kmeans",
    seed: int | None = 0,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    reg_covar: float = DEFAULT_REG_COVAR,
    should_stop: Callable[[], bool] | None = None,
    dtype: str = "float64",
) -> Iterator[ModelScore]:
    """Fit every (K, covariance type) pair and yield its scores as soon as it is done.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    k_values : sequence of int
        Values of K larger than the number of samples are skipped.
    covariance_types : sequence of str
    init, seed, tol, max_iter, reg_covar
        As for :func:`~gmmviewer.core.em.fit.fit` (the same seed for every candidate).
    should_stop : callable, optional
        Checked between and inside fits; the scan ends with Cancelled when it says so.
    dtype : {'float64', 'float32'}
        The type of every fit's E-step (see :func:`gmmviewer.fit`).

    Yields
    ------
    ModelScore
    """
    n_samples = X.shape[0]
    for covariance_type in covariance_types:
        for k in k_values:
            if k > n_samples:
                continue
            result = fit(
                X,
                k,
                covariance_type=covariance_type,
                init=init,
                seed=seed,
                tol=tol,
                max_iter=max_iter,
                reg_covar=reg_covar,
                keep_history=False,
                should_stop=should_stop,
                dtype=dtype,
            )
            params = result.params
            yield ModelScore(
                n_components=k,
                covariance_type=covariance_type,
                log_likelihood=result.log_likelihood,
                bic=bic(result.log_likelihood, params, n_samples),
                aic=aic(result.log_likelihood, params),
                n_parameters=params.n_free_parameters(),
                n_iter=result.n_iter,
                converged=result.converged,
                params=params,
            )


def best_model(scores: Sequence[ModelScore], criterion: str = "bic") -> ModelScore | None:
    """The candidate with the lowest BIC (or AIC); None for no candidates."""
    if criterion not in ("bic", "aic"):
        raise ValueError(f"unknown criterion {criterion!r}: use 'bic' or 'aic'")
    finite = [s for s in scores if math.isfinite(getattr(s, criterion))]
    return min(finite, key=lambda s: getattr(s, criterion)) if finite else None
