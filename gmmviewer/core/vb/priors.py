"""Priors of a variational Bayesian mixture, with scikit-learn's data-dependent defaults.

Pure numpy; no Qt. :func:`resolve_priors` reproduces ``BayesianGaussianMixture``'s
``_check_parameters``: every prior left as None gets exactly the value scikit-learn
would give it for the same data, and every given one is checked as scikit-learn checks it.
The moments behind the defaults are computed in chunks, so no copy of a large ``X`` is made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.gaussian import check_covariance_type
from gmmviewer.core.em.initialization import check_n_components
from gmmviewer.core.em.objective import DEFAULT_REG_COVAR, check_reg_covar
from gmmviewer.core.em.passes import chunks
from gmmviewer.core.errors import DataError, ParameterError
from gmmviewer.core.params import frozen_copy

WEIGHT_CONCENTRATION_PRIOR_TYPES: tuple[str, ...] = ("dirichlet_process", "dirichlet_distribution")


@dataclass(frozen=True, eq=False)
class VariationalPriors:
    """Everything that defines the variational objective besides the data.

    Attributes
    ----------
    n_components : int
        K, the (maximum) number of components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    weight_concentration_prior_type : {'dirichlet_process', 'dirichlet_distribution'}
        Stick-breaking (truncated Dirichlet process) or finite Dirichlet prior on the weights.
    weight_concentration_prior : float
        The Dirichlet (process) concentration, scikit-learn's ``weight_concentration_prior_``.
    mean_precision_prior : float
        beta_0, the precision of the prior on the means (relative to the component precision).
    mean_prior : ndarray of shape (n_features,)
        m_0, the prior mean of the means.
    degrees_of_freedom_prior : float
        nu_0 > n_features - 1, of the Wishart prior on the precisions.
    covariance_prior : ndarray
        The inverse of the Wishart scale matrix: shape (n_features, n_features) for 'full'
        and 'tied', (n_features,) for 'diag', () for 'spherical'.
    reg_covar : float
        Added to the diagonal of every component's sample covariance in the M-step, as
        scikit-learn does; it is part of the objective :func:`~gmmviewer.core.vb.bound.lower_bound`
        reports (see there).

    Notes
    -----
    Immutable; the arrays are read-only copies.
    """

    n_components: int
    covariance_type: str
    weight_concentration_prior_type: str
    weight_concentration_prior: float
    mean_precision_prior: float
    mean_prior: np.ndarray
    degrees_of_freedom_prior: float
    covariance_prior: np.ndarray
    reg_covar: float = DEFAULT_REG_COVAR

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean_prior", frozen_copy(self.mean_prior))
        object.__setattr__(self, "covariance_prior", frozen_copy(self.covariance_prior))

    @property
    def n_features(self) -> int:
        """Number of features D."""
        return int(self.mean_prior.shape[0])

    @property
    def is_dirichlet_process(self) -> bool:
        """True for the stick-breaking prior (scikit-learn's default)."""
        return self.weight_concentration_prior_type == "dirichlet_process"


def as_data_matrix(X: np.ndarray) -> np.ndarray:
    """``X`` as a finite float array of shape (n_samples, n_features) with at least 2 samples.

    A 1-D array is taken as one feature. Raises a DataError naming the problem.
    """
    data = np.asarray(X, dtype=float)
    if data.ndim == 1:
        data = data.reshape(-1, 1)
    if data.ndim != 2 or data.shape[1] == 0:
        raise DataError("X must be a 2-D array of shape (n_samples, n_features)")
    # scikit-learn asks for two samples: one has no sample covariance for the default prior.
    if data.shape[0] < 2:
        raise DataError(f"a Bayesian mixture needs at least 2 samples, got {data.shape[0]}")
    if not np.all(np.isfinite(data)):
        raise DataError("X contains missing or non-finite values")
    return data


def resolve_priors(
    X: np.ndarray,
    n_components: int,
    covariance_type: str = "full",
    *,
    weight_concentration_prior_type: str = "dirichlet_process",
    weight_concentration_prior: float | None = None,
    mean_precision_prior: float | None = None,
    mean_prior: np.ndarray | None = None,
    degrees_of_freedom_prior: float | None = None,
    covariance_prior: np.ndarray | float | None = None,
    reg_covar: float = DEFAULT_REG_COVAR,
) -> VariationalPriors:
    """The priors scikit-learn's ``BayesianGaussianMixture`` would use for ``X``.

    Every argument left as None takes scikit-learn's default: ``1 / n_components`` for
    the weight concentration, 1 for the mean precision, the data mean for the mean prior,
    ``n_features`` degrees of freedom, and for the covariance prior the sample covariance
    of ``X`` ('full', 'tied'), its diagonal ('diag') or the mean of that diagonal
    ('spherical'), all with ``ddof=1``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    weight_concentration_prior_type : {'dirichlet_process', 'dirichlet_distribution'}
    weight_concentration_prior : float > 0, optional
    mean_precision_prior : float > 0, optional
    mean_prior : ndarray of shape (n_features,), optional
    degrees_of_freedom_prior : float > n_features - 1, optional
    covariance_prior : ndarray or float, optional
        Shape (n_features, n_features), symmetric positive definite, for 'full' and
        'tied'; (n_features,), positive, for 'diag'; a positive number for 'spherical'.
    reg_covar : float >= 0

    Returns
    -------
    VariationalPriors

    Raises
    ------
    ParameterError
        For a prior scikit-learn would refuse.
    DataError
        For data that are not a finite (n_samples >= 2, n_features) matrix.
    """
    data = as_data_matrix(X)
    n_samples, n_features = data.shape
    check_covariance_type(covariance_type)
    check_n_components(n_components, n_samples)
    if weight_concentration_prior_type not in WEIGHT_CONCENTRATION_PRIOR_TYPES:
        raise ParameterError(
            f"unknown weight concentration prior type {weight_concentration_prior_type!r}: "
            f"use one of {', '.join(WEIGHT_CONCENTRATION_PRIOR_TYPES)}"
        )
    reg_covar = check_reg_covar(reg_covar)
    concentration = (
        1.0 / n_components
        if weight_concentration_prior is None
        else _positive("weight_concentration_prior", weight_concentration_prior)
    )
    mean_precision = (
        1.0
        if mean_precision_prior is None
        else _positive("mean_precision_prior", mean_precision_prior)
    )
    if degrees_of_freedom_prior is None:
        degrees_of_freedom = float(n_features)
    else:
        degrees_of_freedom = float(degrees_of_freedom_prior)
        # The Wishart distribution needs more than D - 1 degrees of freedom.
        if not (math.isfinite(degrees_of_freedom) and degrees_of_freedom > n_features - 1.0):
            raise ParameterError(
                f"degrees_of_freedom_prior must be greater than {n_features - 1}, "
                f"got {degrees_of_freedom:.3f}"
            )

    data_mean = None
    if mean_prior is None or covariance_prior is None:
        data_mean = _data_mean(data)
    if mean_prior is None:
        prior_mean = data_mean
    else:
        prior_mean = np.asarray(mean_prior, dtype=float)
        if prior_mean.shape != (n_features,):
            raise ParameterError(
                f"mean_prior must have shape ({n_features},), got {prior_mean.shape}"
            )
        if not np.all(np.isfinite(prior_mean)):
            raise ParameterError("mean_prior must be finite")
    if covariance_prior is None:
        assert data_mean is not None
        prior_covariance = _default_covariance_prior(data, data_mean, covariance_type)
    else:
        prior_covariance = _checked_covariance_prior(covariance_prior, covariance_type, n_features)
    return VariationalPriors(
        n_components=int(n_components),
        covariance_type=covariance_type,
        weight_concentration_prior_type=weight_concentration_prior_type,
        weight_concentration_prior=concentration,
        mean_precision_prior=mean_precision,
        mean_prior=prior_mean,
        degrees_of_freedom_prior=degrees_of_freedom,
        covariance_prior=prior_covariance,
        reg_covar=reg_covar,
    )


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0.0):
        raise ParameterError(f"{name} must be a positive number, got {value}")
    return value


def _data_mean(X: np.ndarray) -> np.ndarray:
    total = np.zeros(X.shape[1])
    for rows in chunks(X.shape[0]):
        total += X[rows].sum(axis=0)
    return total / X.shape[0]


def _default_covariance_prior(X: np.ndarray, mean: np.ndarray, covariance_type: str) -> np.ndarray:
    """scikit-learn's default: ``np.cov(X.T)``, ``np.var(X, axis=0, ddof=1)`` or its mean.

    Two passes (mean, then centred products) as numpy does, but chunk by chunk: numpy
    would first build a centred copy of all of ``X``.
    """
    n_samples, n_features = X.shape
    full = covariance_type in ("full", "tied")
    scatter = np.zeros((n_features, n_features)) if full else np.zeros(n_features)
    for rows in chunks(n_samples):
        centred = X[rows] - mean
        if full:
            scatter += centred.T @ centred
        else:
            scatter += np.einsum("nd,nd->d", centred, centred)
    covariance = scatter / (n_samples - 1)
    if covariance_type == "spherical":
        return np.array(covariance.mean())
    return covariance


def _checked_covariance_prior(
    value: np.ndarray | float, covariance_type: str, n_features: int
) -> np.ndarray:
    prior = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(prior)):
        raise ParameterError("covariance_prior must be finite")
    if covariance_type in ("full", "tied"):
        if prior.shape != (n_features, n_features):
            raise ParameterError(
                f"a {covariance_type} covariance_prior must have shape "
                f"({n_features}, {n_features}), got {prior.shape}"
            )
        # The same test scikit-learn applies (``_check_precision_matrix``).
        symmetric = np.allclose(prior, prior.T, rtol=1e-5, atol=1e-8)
        if not (symmetric and np.all(np.linalg.eigvalsh(prior) > 0.0)):
            raise ParameterError(
                f"a {covariance_type} covariance_prior must be symmetric positive definite"
            )
        return prior
    if covariance_type == "diag":
        if prior.shape != (n_features,):
            raise ParameterError(
                f"a diag covariance_prior must have shape ({n_features},), got {prior.shape}"
            )
        if np.any(prior <= 0.0):
            raise ParameterError("a diag covariance_prior must be positive")
        return prior
    if prior.shape != ():
        raise ParameterError("a spherical covariance_prior must be a single number")
    return np.array(_positive("a spherical covariance_prior", float(prior)))
