"""Variational parameters of a Bayesian Gaussian mixture: :class:`VariationalParams`.

Pure numpy/scipy; no Qt. The posterior approximation is scikit-learn's: a Beta
distribution per stick (Dirichlet process) or one Dirichlet (Dirichlet distribution) for
the weights, and a Gaussian-Wishart per component for its mean and precision. The
Wishart is kept, as scikit-learn keeps it, through its degrees of freedom ``nu_k`` and the
*expected covariance* ``inv(nu_k W_k)`` (``covariances_``), whose precision Cholesky
factors give the expected precisions ``nu_k W_k`` without an inversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gmmviewer.core.em.gaussian import (
    check_covariance_type,
    log_det_precision_cholesky,
    precision_cholesky,
)
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams, frozen_copy
from gmmviewer.core.vb.special import digamma


@dataclass(frozen=True, eq=False)
class VariationalParams:
    """The parameters of q(weights) q(means, precisions), as scikit-learn names them.

    Parameters
    ----------
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    weight_concentration : tuple of two ndarray of shape (n_components,), or ndarray
        For the Dirichlet process, the Beta parameters ``(a_k, b_k)`` of every stick;
        for the Dirichlet distribution, the concentrations ``alpha_k``, shape (n_components,).
    mean_precision : ndarray of shape (n_components,)
        beta_k, the precision of q(mean_k) relative to the component's precision.
    means : ndarray of shape (n_components, n_features)
        m_k, the expected means.
    degrees_of_freedom : ndarray of shape (n_components,), or shape () for 'tied'
        nu_k of the Wishart factors.
    covariances : ndarray
        The expected covariances ``inv(nu_k W_k)`` in scikit-learn's compact layout:
        (n_components, D, D) 'full', (D, D) 'tied', (n_components, D) 'diag',
        (n_components,) 'spherical'.

    Attributes
    ----------
    precisions_cholesky : ndarray
        Cholesky factors of the expected precisions (same shape as ``covariances``),
        computed once on construction.

    Raises
    ------
    ParameterError
        On inconsistent shapes or out-of-range values;
        :class:`~gmmviewer.core.em.gaussian.SingularCovarianceError` when a covariance is
        not positive definite.

    Notes
    -----
    Immutable: every array is a read-only copy, so a session's history can share instances.
    """

    covariance_type: str
    weight_concentration: tuple[np.ndarray, np.ndarray] | np.ndarray
    mean_precision: np.ndarray
    means: np.ndarray
    degrees_of_freedom: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        check_covariance_type(self.covariance_type)
        concentration = self.weight_concentration
        if isinstance(concentration, tuple):
            if len(concentration) != 2:
                raise ParameterError("a Dirichlet process needs a pair (a, b) of Beta parameters")
            concentration = (frozen_copy(concentration[0]), frozen_copy(concentration[1]))
            arrays = list(concentration)
        else:
            concentration = frozen_copy(concentration)
            arrays = [concentration]
        object.__setattr__(self, "weight_concentration", concentration)
        for name in ("mean_precision", "means", "degrees_of_freedom", "covariances"):
            object.__setattr__(self, name, frozen_copy(getattr(self, name)))
        self._check(arrays)
        factors = precision_cholesky(self.covariances, self.covariance_type)
        factors.setflags(write=False)
        object.__setattr__(self, "precisions_cholesky", factors)

    def _check(self, concentrations: list[np.ndarray]) -> None:
        if self.means.ndim != 2 or self.means.shape[0] == 0 or self.means.shape[1] == 0:
            raise ParameterError("means must have shape (n_components, n_features)")
        k, d = self.means.shape
        for array in concentrations:
            if array.shape != (k,):
                raise ParameterError(f"weight concentrations must have shape ({k},)")
            if not np.all(array > 0.0) or not np.all(np.isfinite(array)):
                raise ParameterError("weight concentrations must be positive and finite")
        if self.mean_precision.shape != (k,) or not np.all(self.mean_precision > 0.0):
            raise ParameterError(f"mean_precision must be {k} positive numbers")
        dof_shape = () if self.covariance_type == "tied" else (k,)
        if self.degrees_of_freedom.shape != dof_shape:
            raise ParameterError(f"degrees_of_freedom must have shape {dof_shape}")
        if not np.all(self.degrees_of_freedom > d - 1.0):
            raise ParameterError(f"degrees_of_freedom must be greater than {d - 1}")
        expected = {
            "full": (k, d, d),
            "tied": (d, d),
            "diag": (k, d),
            "spherical": (k,),
        }[self.covariance_type]
        if self.covariances.shape != expected:
            raise ParameterError(
                f"{self.covariance_type} covariances must have shape {expected}, "
                f"got {self.covariances.shape}"
            )
        if not (np.all(np.isfinite(self.means)) and np.all(np.isfinite(self.mean_precision))):
            raise ParameterError("means and mean precisions must be finite")

    # ------------------------------------------------------------------ shape
    @property
    def n_components(self) -> int:
        """Number of components K."""
        return int(self.means.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features D."""
        return int(self.means.shape[1])

    @property
    def is_dirichlet_process(self) -> bool:
        """True when the weights have the stick-breaking (Dirichlet process) posterior."""
        return isinstance(self.weight_concentration, tuple)

    # --------------------------------------------------------- expectations
    @property
    def weights(self) -> np.ndarray:
        """Expected mixing weights, scikit-learn's ``weights_``.

        Returns
        -------
        weights : ndarray of shape (n_components,)
            Summing to one.
        """
        if self.is_dirichlet_process:
            a, b = self.weight_concentration
            total = a + b
            # E[pi_k] = E[v_k] prod_{j<k} E[1 - v_j] for independent sticks v_j.
            remaining = np.hstack((1.0, np.cumprod(b / total)[:-1]))
            weights = a / total * remaining
        else:
            weights = np.array(self.weight_concentration)
        return weights / np.sum(weights)

    @property
    def precisions(self) -> np.ndarray:
        """Expected precisions ``nu_k W_k`` (scikit-learn's ``precisions_``), same shape as
        ``covariances``."""
        factors = self.precisions_cholesky
        if self.covariance_type == "full":
            return np.matmul(factors, factors.transpose(0, 2, 1))
        if self.covariance_type == "tied":
            return factors @ factors.T
        return factors**2

    def expected_log_weights(self) -> np.ndarray:
        """``E[log pi_k]`` under q, scikit-learn's ``_estimate_log_weights``.

        Returns
        -------
        log_weights : ndarray of shape (n_components,)
        """
        if self.is_dirichlet_process:
            a, b = self.weight_concentration
            digamma_total = digamma(a + b)
            log_stick = digamma(a) - digamma_total
            log_rest = digamma(b) - digamma_total
            # log pi_k = log v_k + sum_{j<k} log(1 - v_j)
            return log_stick + np.hstack((0.0, np.cumsum(log_rest)[:-1]))
        alpha = self.weight_concentration
        return digamma(alpha) - digamma(np.sum(alpha))

    def expected_log_det_precision(self) -> np.ndarray:
        """``E[log |Lambda_k|]`` under the Wishart factors.

        Returns
        -------
        log_det : ndarray of shape (n_components,), or shape () for 'tied'
        """
        d = self.n_features
        nu = self.degrees_of_freedom
        halves = 0.5 * (nu[..., None] - np.arange(d))
        # log|W_k| = log|nu_k W_k| - D log nu_k, and log|nu_k W_k| = 2 log|U_k|.
        log_det_scale = 2.0 * np.asarray(
            log_det_precision_cholesky(self.precisions_cholesky, self.covariance_type, d)
        )
        return d * np.log(2.0) + digamma(halves).sum(axis=-1) + log_det_scale - d * np.log(nu)

    # ------------------------------------------------------------ conversion
    def to_gmm_params(self) -> GMMParams:
        """The expected weights, means and covariances as a plain mixture (for drawing)."""
        return GMMParams(self.weights, self.means, self.covariances, self.covariance_type)
