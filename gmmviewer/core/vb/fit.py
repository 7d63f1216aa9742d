"""Headless variational fitting to scikit-learn's stopping rule: :func:`fit_variational`.

Pure numpy; no Qt. Each iteration is a streaming variational E-step (one chunked pass;
responsibilities are never held for all samples), the M-step from its statistics, and
the lower bound of the E-step's responsibilities with the new parameters, exactly as
``BayesianGaussianMixture.fit`` iterates. The fit stops when that bound (a total, not a
per-sample mean) changed by less than ``tol`` since the previous iteration; the first
iteration never stops. From the same start both stop at the same iteration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.objective import (
    DEFAULT_MAX_ITER,
    DEFAULT_REG_COVAR,
    DEFAULT_TOL,
    check_max_iter,
    check_tol,
    has_converged,
)
from gmmviewer.core.em.passes import data_bounds
from gmmviewer.core.errors import Cancelled
from gmmviewer.core.params import GMMParams
from gmmviewer.core.vb.bound import lower_bound
from gmmviewer.core.vb.estep import e_step_streaming
from gmmviewer.core.vb.initialization import initial_variational
from gmmviewer.core.vb.mstep import m_step
from gmmviewer.core.vb.priors import VariationalPriors, as_data_matrix, resolve_priors
from gmmviewer.core.vb.variational import VariationalParams


@dataclass(frozen=True, eq=False)
class VariationalFitResult:
    """The outcome of :func:`fit_variational`.

    Attributes
    ----------
    variational : VariationalParams
        The final variational parameters; ``variational.to_gmm_params()`` gives the
        expected mixture.
    priors : VariationalPriors
        The priors used, defaults resolved.
    lower_bounds : tuple of float
        The lower bound after every iteration (scikit-learn's ``lower_bounds_``).
    n_iter : int
        Iterations performed (``n_iter_``).
    converged : bool
        (``converged_``).
    n_samples : int
    """

    variational: VariationalParams
    priors: VariationalPriors
    lower_bounds: tuple[float, ...]
    n_iter: int
    converged: bool
    n_samples: int

    @property
    def lower_bound(self) -> float:
        """The final lower bound (scikit-learn's ``lower_bound_``); -inf after no iteration."""
        return self.lower_bounds[-1] if self.lower_bounds else -math.inf

    @property
    def params(self) -> GMMParams:
        """The expected weights, means and covariances."""
        return self.variational.to_gmm_params()


def fit_variational(
    X: np.ndarray | Dataset,
    n_components: int = 3,
    covariance_type: str = "full",
    *,
    weight_concentration_prior_type: str = "dirichlet_process",
    weight_concentration_prior: float | None = None,
    mean_precision_prior: float | None = None,
    mean_prior: np.ndarray | None = None,
    degrees_of_freedom_prior: float | None = None,
    covariance_prior: np.ndarray | float | None = None,
    reg_covar: float = DEFAULT_REG_COVAR,
    init: str | GMMParams | VariationalParams = "kmeans",
    max_iter: int = DEFAULT_MAX_ITER,
    tol: float = DEFAULT_TOL,
    random_state: int | None = 0,
    priors: VariationalPriors | None = None,
    callback: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> VariationalFitResult:
    """Fit a variational Bayesian Gaussian mixture as scikit-learn's ``BayesianGaussianMixture``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), or Dataset
        For a Dataset, its ``X`` is fitted.
    n_components : int
        The maximum number of components K.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    weight_concentration_prior_type, weight_concentration_prior, mean_precision_prior, \
mean_prior, degrees_of_freedom_prior, covariance_prior, reg_covar
        As in scikit-learn; None takes its data-dependent default (see
        :func:`~gmmviewer.core.vb.priors.resolve_priors`).
    init : str, GMMParams or VariationalParams
        See :func:`~gmmviewer.core.vb.initialization.initial_variational`.
    max_iter : int
    tol : float
        Stop when the lower bound changes by less than this between iterations.
    random_state : int or None
        Seed of the initialisation.
    priors : VariationalPriors, optional
        Resolved priors; when given, ``n_components``, ``covariance_type`` and the prior
        arguments are ignored.
    callback : callable, optional
        ``callback(iteration, lower_bound)`` after every iteration, for progress.
    should_stop : callable, optional
        Checked before every iteration; returning True abandons the fit.

    Returns
    -------
    VariationalFitResult

    Raises
    ------
    Cancelled
        When ``should_stop`` asked for it.

    Examples
    --------
    >>> import numpy as np
    >>> from gmmviewer.core.vb.fit import fit_variational
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(8, 1, (200, 2))])
    >>> result = fit_variational(X, n_components=5, random_state=1)
    >>> int(np.sum(result.variational.weights > 0.01))
    2
    """
    data = as_data_matrix(X.X if isinstance(X, Dataset) else X)
    data = np.ascontiguousarray(data)
    if priors is None:
        priors = resolve_priors(
            data,
            n_components,
            covariance_type,
            weight_concentration_prior_type=weight_concentration_prior_type,
            weight_concentration_prior=weight_concentration_prior,
            mean_precision_prior=mean_precision_prior,
            mean_prior=mean_prior,
            degrees_of_freedom_prior=degrees_of_freedom_prior,
            covariance_prior=covariance_prior,
            reg_covar=reg_covar,
        )
    tol, max_iter = check_tol(tol), check_max_iter(max_iter)
    variational = initial_variational(data, init, priors, random_state)
    low, high = data_bounds(data)

    bounds: list[float] = []
    bound = -math.inf
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        if should_stop is not None and should_stop():
            raise Cancelled("the fit was cancelled")
        previous = bound
        centres = np.clip(variational.means, low, high)
        _, entropy, stats = e_step_streaming(data, variational, centres=centres)
        variational = m_step(stats, priors)
        bound = lower_bound(variational, stats, entropy, priors)
        bounds.append(bound)
        if callback is not None:
            callback(n_iter, bound)
        if has_converged(previous, bound, tol):
            converged = True
            break
    return VariationalFitResult(
        variational=variational,
        priors=priors,
        lower_bounds=tuple(bounds),
        n_iter=n_iter,
        converged=converged,
        n_samples=data.shape[0],
    )
