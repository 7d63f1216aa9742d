"""Mixture parameters: :class:`GMMParams`, an immutable value the session and files share.

Pure numpy; no Qt. Covariances are stored in scikit-learn's compact form for their
``covariance_type`` (see :mod:`gmmviewer.core.em.gaussian`); :meth:`GMMParams.full_covariances`
expands them to one D x D matrix per component for views and files. Per-sample results
(``predict``, ``predict_proba``, ``score_samples``, ``bic``, ...) are computed in
:mod:`gmmviewer.core.params_scoring`; conversions to and from scikit-learn in
:mod:`gmmviewer.core.params_sklearn`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gmmviewer.core import params_scoring as scoring
from gmmviewer.core import params_sklearn
from gmmviewer.core.em.gaussian import (
    SingularCovarianceError,
    check_covariance_type,
    precision_cholesky,
)
from gmmviewer.core.errors import ParameterError

#: How far the weights may sum from one before they are rejected (files are written to
#: 17 significant digits, so a valid file is far inside this).
WEIGHT_SUM_TOLERANCE = 1e-6


def frozen_copy(value: np.ndarray | float) -> np.ndarray:
    """A read-only float copy of ``value``: parameter objects share arrays between threads."""
    array = np.array(value, dtype=float, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class GMMParams:
    """Weights, means and covariances of a Gaussian mixture.

    Parameters
    ----------
    weights : ndarray of shape (n_components,)
        Non-negative, summing to one.
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray
        ``full``: (n_components, n_features, n_features); ``tied``: (n_features, n_features);
        ``diag``: (n_components, n_features); ``spherical``: (n_components,).
    covariance_type : {'full', 'diag', 'spherical', 'tied'}

    Notes
    -----
    Instances are immutable (arrays are read-only copies), so the session's history
    can share them between entries without copying.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str = "full"
    _precisions_cholesky: np.ndarray | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        check_covariance_type(self.covariance_type)
        weights = frozen_copy(np.atleast_1d(self.weights))
        means = frozen_copy(self.means)
        if means.ndim == 1:
            means = frozen_copy(means.reshape(-1, 1))
        covariances = frozen_copy(self.covariances)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covariances", covariances)
        self._check_shapes()

    def _check_shapes(self) -> None:
        if self.weights.ndim != 1 or self.weights.size == 0:
            raise ParameterError("weights must be a non-empty 1-D array")
        k = self.weights.size
        if self.means.ndim != 2 or self.means.shape[0] != k:
            raise ParameterError(
                f"means must have shape ({k}, n_features) for {k} weights, got {self.means.shape}"
            )
        d = self.means.shape[1]
        if d < 1:
            raise ParameterError("means must have at least one feature")
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

    # ------------------------------------------------------------------ shape
    @property
    def n_components(self) -> int:
        """Number of components K."""
        return int(self.weights.size)

    @property
    def n_features(self) -> int:
        """Number of features D."""
        return int(self.means.shape[1])

    # ------------------------------------------------------------ derived data
    @property
    def precisions_cholesky(self) -> np.ndarray:
        """Cholesky factors of the precisions (computed once, then cached).

        Raises
        ------
        SingularCovarianceError
            When a covariance is not positive definite.
        """
        if self._precisions_cholesky is None:
            factors = precision_cholesky(self.covariances, self.covariance_type)
            factors.setflags(write=False)
            object.__setattr__(self, "_precisions_cholesky", factors)
        return self._precisions_cholesky  # type: ignore[return-value]

    def full_covariances(self) -> np.ndarray:
        """Covariances as one full matrix per component.

        Returns
        -------
        covariances : ndarray of shape (n_components, n_features, n_features)
        """
        k, d = self.n_components, self.n_features
        if self.covariance_type == "full":
            return np.array(self.covariances)
        if self.covariance_type == "tied":
            return np.broadcast_to(self.covariances, (k, d, d)).copy()
        if self.covariance_type == "diag":
            out = np.zeros((k, d, d))
            out[:, np.arange(d), np.arange(d)] = self.covariances
            return out
        return self.covariances[:, None, None] * np.eye(d)[None, :, :]

    # --------------------------------------------------------------- editing
    def with_mean(self, k: int, mean: np.ndarray) -> GMMParams:
        """Copy with component ``k``'s mean replaced by ``mean`` (shape (n_features,))."""
        self._check_index(k)
        mean = np.asarray(mean, dtype=float).reshape(-1)
        if mean.size != self.n_features:
            raise ParameterError(f"a mean needs {self.n_features} coordinates, got {mean.size}")
        if not np.all(np.isfinite(mean)):
            raise ParameterError("a mean must be finite")
        means = np.array(self.means)
        means[k] = mean
        return GMMParams(self.weights, means, self.covariances, self.covariance_type)

    def with_component(
        self, mean: np.ndarray, covariance: np.ndarray, weight: float | None = None
    ) -> GMMParams:
        """Copy with one more component; weights are renormalised.

        Parameters
        ----------
        mean : ndarray of shape (n_features,)
        covariance : ndarray of shape (n_features, n_features)
            A full matrix; reduced to the covariance type (for 'tied' it is ignored:
            the shared covariance stays).
        weight : float, optional
            The new component's weight after renormalisation; default 1 / (K + 1).
        """
        k, d = self.n_components, self.n_features
        mean = np.asarray(mean, dtype=float).reshape(d)
        covariance = np.asarray(covariance, dtype=float).reshape(d, d)
        if weight is None:
            weight = 1.0 / (k + 1)
        if not 0.0 < weight < 1.0:
            raise ParameterError("the new component's weight must lie strictly between 0 and 1")
        weights = np.append(self.weights * (1.0 - weight), weight)
        means = np.vstack([self.means, mean])
        if self.covariance_type == "full":
            covariances = np.concatenate([self.covariances, covariance[None]], axis=0)
        elif self.covariance_type == "diag":
            covariances = np.vstack([self.covariances, np.diag(covariance)])
        elif self.covariance_type == "spherical":
            covariances = np.append(self.covariances, np.trace(covariance) / d)
        else:
            covariances = self.covariances
        return GMMParams(weights, means, covariances, self.covariance_type)

    def without_component(self, k: int) -> GMMParams:
        """Copy without component ``k``; the other weights are renormalised."""
        self._check_index(k)
        if self.n_components == 1:
            raise ParameterError("cannot remove the only component")
        keep = np.arange(self.n_components) != k
        weights = self.weights[keep]
        total = weights.sum()
        weights = weights / total if total > 0 else np.full(weights.size, 1.0 / weights.size)
        covariances = self.covariances if self.covariance_type == "tied" else self.covariances[keep]
        return GMMParams(weights, self.means[keep], covariances, self.covariance_type)

    def _check_index(self, k: int) -> None:
        if not 0 <= k < self.n_components:
            raise ParameterError(
                f"component {k + 1} does not exist (there are {self.n_components})"
            )

    # ---------------------------------------------------------- conversions
    def as_covariance_type(self, covariance_type: str) -> GMMParams:
        """The nearest parameters of another covariance type.

        'diag' keeps the diagonals, 'spherical' their mean, 'tied' the weighted mean of
        the full covariances, 'full' the matrices as they are.
        """
        check_covariance_type(covariance_type)
        if covariance_type == self.covariance_type:
            return self
        full = self.full_covariances()
        if covariance_type == "full":
            covariances = full
        elif covariance_type == "diag":
            covariances = np.diagonal(full, axis1=1, axis2=2).copy()
        elif covariance_type == "spherical":
            covariances = np.trace(full, axis1=1, axis2=2) / self.n_features
        else:
            covariances = np.einsum("k,kij->ij", self.weights, full)
        return GMMParams(self.weights, self.means, covariances, covariance_type)

    @classmethod
    def from_full(
        cls,
        weights: np.ndarray,
        means: np.ndarray,
        covariances: np.ndarray,
        covariance_type: str = "full",
    ) -> GMMParams:
        """Build parameters from full D x D covariances, checking they fit ``covariance_type``.

        Parameters
        ----------
        weights : ndarray of shape (n_components,)
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray of shape (n_components, n_features, n_features)
        covariance_type : {'full', 'diag', 'spherical', 'tied'}

        Raises
        ------
        ParameterError
            If the matrices do not have the structure the type implies (for instance
            off-diagonal entries for 'diag').
        """
        check_covariance_type(covariance_type)
        full = np.asarray(covariances, dtype=float)
        if full.ndim != 3 or full.shape[1] != full.shape[2]:
            raise ParameterError(
                f"covariances must be a list of square matrices, got shape {full.shape}"
            )
        d = full.shape[1]
        if covariance_type == "full":
            compact = full
        elif covariance_type == "tied":
            if not all(np.array_equal(full[0], c) for c in full[1:]):
                raise ParameterError("tied covariances must be the same matrix for every component")
            compact = full[0]
        else:
            off_diagonal = full * (1.0 - np.eye(d))
            if np.any(off_diagonal != 0.0):
                raise ParameterError(f"{covariance_type} covariances must be diagonal matrices")
            diagonals = np.diagonal(full, axis1=1, axis2=2)
            if covariance_type == "diag":
                compact = diagonals.copy()
            else:
                if not np.all(diagonals == diagonals[:, :1]):
                    raise ParameterError(
                        "spherical covariances must be multiples of the identity matrix"
                    )
                compact = diagonals[:, 0].copy()
        return cls(weights, means, compact, covariance_type)

    # ------------------------------------------------------------ validation
    def validate(self) -> GMMParams:
        """Check values: finite, weights a distribution, covariances symmetric positive definite.

        Returns ``self`` so it can be chained; raises :class:`ParameterError` with a
        one-line reason otherwise.
        """
        if not np.all(np.isfinite(self.weights)):
            raise ParameterError("weights must be finite")
        if np.any(self.weights < 0):
            raise ParameterError("weights must not be negative")
        total = float(self.weights.sum())
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise ParameterError(f"weights must sum to 1, they sum to {total:.6g}")
        if not np.all(np.isfinite(self.means)):
            raise ParameterError("means must be finite")
        if not np.all(np.isfinite(self.covariances)):
            raise ParameterError("covariances must be finite")
        if self.covariance_type in ("full", "tied"):
            matrices = self.covariances.reshape(-1, self.n_features, self.n_features)
            for index, matrix in enumerate(matrices):
                scale = max(float(np.max(np.abs(matrix))), np.finfo(float).tiny)
                if np.max(np.abs(matrix - matrix.T)) > 1e-10 * scale:
                    which = (
                        "the tied covariance"
                        if self.covariance_type == "tied"
                        else f"the covariance of component {index + 1}"
                    )
                    raise ParameterError(f"{which} is not symmetric")
        try:
            _ = self.precisions_cholesky
        except SingularCovarianceError as error:
            raise ParameterError(str(error)) from None
        return self

    # ------------------------------------------------------------- comparing
    def equals(self, other: GMMParams) -> bool:
        """True when both hold exactly the same numbers and covariance type."""
        return (
            self.covariance_type == other.covariance_type
            and np.array_equal(self.weights, other.weights)
            and np.array_equal(self.means, other.means)
            and np.array_equal(self.covariances, other.covariances)
        )

    def n_free_parameters(self) -> int:
        """Number of free parameters, as scikit-learn counts them for BIC and AIC."""
        k, d = self.n_components, self.n_features
        covariance_count = {
            "full": k * d * (d + 1) // 2,
            "diag": k * d,
            "tied": d * (d + 1) // 2,
            "spherical": k,
        }[self.covariance_type]
        return int(covariance_count + k * d + k - 1)

    # ------------------------------------------------------ per-sample results
    # scikit-learn's GaussianMixture methods of the same names; the work is done in
    # gmmviewer.core.params_scoring. X: (n_samples, n_features), or 1-D for one feature.
    # A bad X raises a DataError, invalid parameters a ParameterError.
    def predict(self, X: np.ndarray) -> np.ndarray:
        """Each sample's most probable component (0-based, first on ties), shape (n_samples,)."""
        return scoring.predict(self._samples(X), self)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Responsibilities, shape (n_samples, n_components); every row sums to one."""
        return scoring.predict_proba(self._samples(X), self)

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Log-density of the mixture at each sample, shape (n_samples,)."""
        return scoring.score_samples(self._samples(X), self)

    def score(self, X: np.ndarray) -> float:
        """Mean log-likelihood per sample."""
        return float(np.mean(self.score_samples(X)))

    def bic(self, X: np.ndarray) -> float:
        """Bayesian information criterion on ``X``, ``-2 log L + p log N`` (lower is better)."""
        return scoring.bic(self._samples(X), self)

    def aic(self, X: np.ndarray) -> float:
        """Akaike information criterion on ``X``, ``-2 log L + 2 p`` (lower is better)."""
        return scoring.aic(self._samples(X), self)

    def _samples(self, X: np.ndarray) -> np.ndarray:
        self.validate()
        return scoring.check_samples(X, self.n_features)

    # ------------------------------------------------------------ scikit-learn
    @classmethod
    def from_sklearn(cls, estimator: object) -> GMMParams:
        """The parameters of a fitted scikit-learn ``GaussianMixture`` (any covariance type).

        A ``BayesianGaussianMixture`` gives its ``weights_``, ``means_`` and
        ``covariances_``: the expected mixture, whose responsibilities differ a little
        from the model's own variational ones (see
        :func:`~gmmviewer.core.params_sklearn.sklearn_parameters`). Only attributes are
        read. Raises ParameterError for anything else, or a model that is not fitted.
        """
        return cls(*params_sklearn.sklearn_parameters(estimator)).validate()

    def to_sklearn(self, X: np.ndarray | None = None, *, n_iter: int = 0) -> object:
        """A fitted ``sklearn.mixture.GaussianMixture`` holding exactly these parameters.

        ``lower_bound_`` is the mean log-likelihood on ``X`` when given (else -inf) and
        ``n_iter_`` is ``n_iter``; see :func:`~gmmviewer.core.params_sklearn.to_sklearn`.
        scikit-learn is imported now: MissingDependencyError when it is not installed.
        """
        return params_sklearn.to_sklearn(self.validate(), X, n_iter=n_iter)
