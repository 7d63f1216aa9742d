"""Headless EM to convergence: :func:`fit`, the engine behind ``gmmviewer fit``.

Pure numpy; no Qt. Each iteration is :func:`~gmmviewer.core.em.estep.e_step_streaming`
then :func:`~gmmviewer.core.em.mstep.m_step`: a single pass over the data in chunks, in
which each chunk's responsibilities feed the M-step's sufficient statistics straight
away, so responsibilities for all N samples are never held at once. Memory stays
O(chunk x K) beyond the data itself, which is what lets a 10-million-point fit run in
well under 2 GB.

The iteration and stopping rule are scikit-learn's (see :mod:`gmmviewer.core.em.objective`),
so from the same initial parameters both stop at the same iteration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.extent import DataExtent, check_data_magnitude
from gmmviewer.core.em.estep import e_step_streaming
from gmmviewer.core.em.gaussian import check_covariance_type
from gmmviewer.core.em.initialization import check_n_components, initialize
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.objective import (
    DEFAULT_MAX_ITER,
    DEFAULT_REG_COVAR,
    DEFAULT_TOL,
    check_max_iter,
    check_reg_covar,
    check_tol,
    has_converged,
)
from gmmviewer.core.em.passes import check_pass_dtype, data_bounds, feature_variance, pass_data
from gmmviewer.core.errors import Cancelled, ParameterError
from gmmviewer.core.params import GMMParams


@dataclass(frozen=True)
class IterationRecord:
    """Parameters after one iteration and their log-likelihood.

    Attributes
    ----------
    iteration : int
        0 for the initial parameters, n after the n-th M-step.
    params : GMMParams
    log_likelihood : float
        Total log-likelihood of ``params``.
    status : str
        Degenerate situations the M-step repaired, or ''.
    """

    iteration: int
    params: GMMParams
    log_likelihood: float
    status: str = ""


@dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`fit`.

    Attributes
    ----------
    params : GMMParams
        Final parameters (in the units of the ``X`` that was fitted).
    n_iter : int
        Iterations performed (scikit-learn's ``n_iter_``).
    converged : bool
    log_likelihood : float
        Total log-likelihood of the final parameters.
    lower_bound : float
        scikit-learn's ``lower_bound_``: mean per-sample log-likelihood of the
        parameters before the last M-step.
    n_samples : int
    history : tuple of IterationRecord
        The initial parameters and those after every iteration.
    status : str
        Every distinct degenerate situation met during the fit, or ''.
    """

    params: GMMParams
    n_iter: int
    converged: bool
    log_likelihood: float
    lower_bound: float
    n_samples: int
    history: tuple[IterationRecord, ...]
    status: str = ""

    @property
    def mean_log_likelihood(self) -> float:
        """Log-likelihood per sample of the final parameters."""
        return self.log_likelihood / self.n_samples


def fit(
    X: np.ndarray | Dataset,
    n_components: int = 3,
    *,
    covariance_type: str = "full",
    init: str = "kmeans",
    init_params: GMMParams | None = None,
    seed: int | None = 0,
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    reg_covar: float = DEFAULT_REG_COVAR,
    callback: Callable[[int, float], None] | None = None,
    keep_history: bool = True,
    should_stop: Callable[[], bool] | None = None,
    dtype: str = "float64",
    threads: int | None = None,
) -> FitResult:
    """Fit a Gaussian mixture by EM until scikit-learn's convergence rule is met.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), or Dataset
        For a Dataset, its ``X`` is fitted (z-scores if it is normalised; map the
        result back with ``dataset.to_data_units``).
    n_components : int
        K; ignored when ``init_params`` is given.
    covariance_type : {'full', 'diag', 'spherical', 'tied'}
        Ignored when ``init_params`` is given (its type is used).
    init : {'kmeans', 'k-means++', 'random', 'random-from-data', 'random-means'}
    init_params : GMMParams, optional
        Explicit starting parameters.
    seed : int or None
        Seed of the initialisation.
    tol, max_iter, reg_covar
        As in scikit-learn's ``GaussianMixture``.
    callback : callable, optional
        ``callback(iteration, mean_log_likelihood)`` after every iteration, for progress.
    keep_history : bool
        Keep the parameters of every iteration in ``history``.
    should_stop : callable, optional
        Checked before every iteration; returning True abandons the fit.
    dtype : {'float64', 'float32'}
        The type the E-step computes in. float32 roughly halves the time of an
        iteration on large data; sums and parameters stay float64 (see the README's
        "Speed" section for the accuracy measured).
    threads : int, optional
        Threads for each pass over the data (default: the available cores, or the
        ``GMMVIEWER_THREADS`` environment variable).

    Returns
    -------
    FitResult

    Raises
    ------
    Cancelled
        When ``should_stop`` asked for it.

    Examples
    --------
    >>> import numpy as np, gmmviewer
    >>> X = np.random.default_rng(0).normal(size=(500, 2))
    >>> result = gmmviewer.fit(X, n_components=2, seed=1)
    >>> result.params.means.shape
    (2, 2)
    """
    data = X.X if isinstance(X, Dataset) else np.ascontiguousarray(X, dtype=float)
    if data.ndim == 1:
        data = data.reshape(-1, 1)
    if data.ndim != 2 or data.shape[0] == 0:
        raise ParameterError("X must be a non-empty 2-D array of shape (n_samples, n_features)")
    # The extremes, read once: finite exactly when every value is (min and max propagate
    # NaN, without the (N, D) boolean array np.isfinite(data) would make), and the
    # magnitude check and the expansions' bounding box need nothing else.
    bounds = data_bounds(data)
    if not (np.all(np.isfinite(bounds[0])) and np.all(np.isfinite(bounds[1]))):
        raise ParameterError("X contains missing or non-finite values")
    if not isinstance(X, Dataset):
        check_data_magnitude(data, bounds=bounds)
    tol, max_iter, reg_covar = check_tol(tol), check_max_iter(max_iter), check_reg_covar(reg_covar)
    n_samples = data.shape[0]
    if init_params is None:
        check_covariance_type(covariance_type)
        params = initialize(data, n_components, init, covariance_type, seed, reg_covar)
    else:
        params = init_params.validate()
        if params.n_features != data.shape[1]:
            raise ParameterError(
                f"the initial parameters have {params.n_features} features but X has "
                f"{data.shape[1]}"
            )
        check_n_components(params.n_components, n_samples)
    data_variance = float(np.mean(feature_variance(data)))
    passes = pass_data(data, check_pass_dtype(dtype))
    if init_params is not None:
        DataExtent.of(data, data_variance).check_params(params)

    records: list[IterationRecord] = []
    statuses: list[str] = []
    status = ""  # what the M-step that produced ``params`` had to repair
    lower_bound = -math.inf
    converged = False
    n_iter = 0
    for n_iter in range(1, int(max_iter) + 1):
        if should_stop is not None and should_stop():
            raise Cancelled("the fit was cancelled")
        previous_lower_bound = lower_bound
        log_likelihood, stats = e_step_streaming(passes, params, bounds=bounds, threads=threads)
        assert stats is not None
        if keep_history:
            records.append(IterationRecord(n_iter - 1, params, log_likelihood, status))
        lower_bound = log_likelihood / n_samples
        result = m_step(stats, reg_covar, params, data_variance)
        params, status = result.params, result.status
        statuses.extend(i.message for i in result.issues if i.message not in statuses)
        if callback is not None:
            callback(n_iter, lower_bound)
        if has_converged(previous_lower_bound, lower_bound, tol):
            converged = True
            break

    # The final parameters' log-likelihood needs one more E-step (scikit-learn does one too).
    final_log_likelihood, _ = e_step_streaming(
        passes, params, statistics=False, bounds=bounds, threads=threads
    )
    records.append(IterationRecord(n_iter, params, final_log_likelihood, status))
    return FitResult(
        params=params,
        n_iter=n_iter,
        converged=converged,
        log_likelihood=final_log_likelihood,
        lower_bound=lower_bound,
        n_samples=n_samples,
        history=tuple(records),
        status="; ".join(statuses),
    )
