"""What EM optimises and when it stops: the convergence rule and information criteria.

Pure Python; no Qt.

The convergence rule is scikit-learn's ``GaussianMixture`` rule, exactly: iteration
``n`` performs an E-step, which yields the mean per-sample log-likelihood of the
parameters *before* this iteration's M-step (scikit-learn calls it the lower bound),
then an M-step. The fit stops after iteration ``n`` when that value changed by less
than ``tol`` since iteration ``n - 1``. The first iteration never converges. Because
the compared values belong to the parameters before the last M-step, a fit stops one
M-step after the change fell below ``tol``; keeping this quirk lets gmmviewer and
scikit-learn stop at the same iteration with the same parameters.
"""

from __future__ import annotations

import math

from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.params_scoring import aic_value, bic_value

DEFAULT_TOL = 1e-3
DEFAULT_MAX_ITER = 100
DEFAULT_REG_COVAR = 1e-6


def check_tol(value: float) -> float:
    """``tol`` as a float, or a ParameterError unless it is a finite number >= 0."""
    return _non_negative("tol", value)


def check_reg_covar(value: float) -> float:
    """``reg_covar`` as a float, or a ParameterError unless it is a finite number >= 0."""
    return _non_negative("reg_covar", value)


def check_max_iter(value: int) -> int:
    """``max_iter`` as an int, or a ParameterError unless it is a whole number >= 0."""
    if int(value) != value or value < 0:
        raise ParameterError(f"max_iter must be a non-negative integer, got {value}")
    return int(value)


def _non_negative(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ParameterError(f"{name} must be a non-negative number, got {value}")
    return value


def has_converged(previous_lower_bound: float, lower_bound: float, tol: float) -> bool:
    """scikit-learn's test: ``|lower_bound - previous_lower_bound| < tol``.

    Parameters
    ----------
    previous_lower_bound, lower_bound : float
        Mean per-sample log-likelihoods from the E-steps of the last two iterations
        (``-inf`` before the first).
    tol : float
    """
    if not math.isfinite(previous_lower_bound) or not math.isfinite(lower_bound):
        return False
    return abs(lower_bound - previous_lower_bound) < tol


def bic(log_likelihood: float, params: GMMParams, n_samples: int) -> float:
    """Bayesian information criterion ``-2 log L + p log N`` (lower is better)."""
    return bic_value(log_likelihood, params.n_free_parameters(), n_samples)


def aic(log_likelihood: float, params: GMMParams) -> float:
    """Akaike information criterion ``-2 log L + 2 p`` (lower is better)."""
    return aic_value(log_likelihood, params.n_free_parameters())
