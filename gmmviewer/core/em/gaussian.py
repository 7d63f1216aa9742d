"""Gaussian densities from Cholesky factors of precision matrices (pure numpy).

Covariance storage follows scikit-learn, by ``covariance_type``:

===========  =========================  ==========================================
type         covariances                precision Cholesky factors
===========  =========================  ==========================================
full         (n_components, D, D)       (n_components, D, D), upper triangular
tied         (D, D)                     (D, D)
diag         (n_components, D)          (n_components, D)
spherical    (n_components,)            (n_components,)
===========  =========================  ==========================================

A covariance is never inverted: the precision factor is ``U = inv(L).T`` where
``L`` is the lower Cholesky factor of the covariance, found by forward substitution
(a triangular solve), so that ``(x - mu) @ U`` has squared norm
``(x - mu)^T Sigma^{-1} (x - mu)``. Both steps use numpy's LAPACK alone: importing
``scipy.linalg`` for them cost the window's first paint about 0.15 s.
"""

from __future__ import annotations

import math

import numpy as np

from gmmviewer.core.errors import ParameterError
from gmmviewer.core.parallel.threads import blas_work_is_small, single_threaded_blas

COVARIANCE_TYPES: tuple[str, ...] = ("full", "diag", "spherical", "tied")

LOG_2PI = math.log(2.0 * math.pi)


class SingularCovarianceError(ParameterError):
    """A covariance matrix is not positive definite.

    Attributes
    ----------
    component : int or None
        Index of the offending component (None for a tied covariance).
    """

    def __init__(self, message: str, component: int | None) -> None:
        super().__init__(message)
        self.component = component


def check_covariance_type(covariance_type: str) -> str:
    """Return ``covariance_type`` or raise a ParameterError naming the valid ones."""
    if covariance_type not in COVARIANCE_TYPES:
        raise ParameterError(
            f"unknown covariance type {covariance_type!r}: use one of {', '.join(COVARIANCE_TYPES)}"
        )
    return covariance_type


def precision_cholesky(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """Cholesky factors of the precision matrices.

    Parameters
    ----------
    covariances : ndarray
        Shape by ``covariance_type`` (see the module docstring).
    covariance_type : {'full', 'tied', 'diag', 'spherical'}

    Returns
    -------
    precisions_cholesky : ndarray
        Same shape as ``covariances``.

    Raises
    ------
    SingularCovarianceError
        When a covariance is not positive definite.
    """
    covariances = np.asarray(covariances, dtype=float)
    if covariance_type in ("full", "tied"):
        # scipy's OpenBLAS spins up its threads for every tiny triangular solve; on a busy
        # machine one 2 x 2 solve was seen to wait 10 ms for them, against 13 us on one.
        # Each LAPACK and BLAS call here takes one D x D matrix.
        n_features = covariances.shape[-1]
        small = blas_work_is_small(n_features**2, n_features**3)
        with single_threaded_blas(needed=not small):
            if covariance_type == "tied":
                lower = _cholesky_lower(covariances, None)
                return _lower_triangular_inverse(lower).T
            lowers = np.stack(
                [_cholesky_lower(covariances[k], k) for k in range(covariances.shape[0])]
            )
            return _lower_triangular_inverse(lowers).transpose(0, 2, 1)
    # diag and spherical: elementwise variances
    bad = ~(covariances > 0.0) | ~np.isfinite(covariances)
    if np.any(bad):
        index = np.argwhere(bad)[0]
        raise SingularCovarianceError(
            f"component {int(index[0]) + 1} has a non-positive or non-finite variance",
            int(index[0]),
        )
    return 1.0 / np.sqrt(covariances)


def _lower_triangular_inverse(lower: np.ndarray) -> np.ndarray:
    """``inv(L)`` of lower triangular matrices by forward substitution, as LAPACK's trtrs.

    Parameters
    ----------
    lower : ndarray of shape (..., D, D)
        Lower triangular with a non-zero diagonal.

    Returns
    -------
    inverse : ndarray of shape (..., D, D)
        Lower triangular.
    """
    n_features = lower.shape[-1]
    inverse = np.zeros_like(lower)
    for i in range(n_features):
        # Row i of L X = I: L_ii X_i = e_i - sum_{j < i} L_ij X_j, for every matrix at once.
        row = -np.matmul(lower[..., i : i + 1, :i], inverse[..., :i, :])[..., 0, :]
        row[..., i] += 1.0
        inverse[..., i, :] = row / lower[..., i, i, None]
    return inverse


def _cholesky_lower(matrix: np.ndarray, component: int | None) -> np.ndarray:
    where = (
        "the tied covariance" if component is None else f"component {component + 1}'s covariance"
    )
    if not np.all(np.isfinite(matrix)):
        raise SingularCovarianceError(f"{where} has non-finite entries", component)
    try:
        lower = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise SingularCovarianceError(f"{where} is not positive definite", component) from None
    # LAPACK can "succeed" on a matrix that is singular to working precision; a zero or
    # denormal pivot would turn into an infinite precision downstream.
    if not np.all(np.diag(lower) > np.finfo(float).tiny):
        raise SingularCovarianceError(f"{where} is singular", component)
    return lower


def log_det_precision_cholesky(
    precisions_cholesky: np.ndarray, covariance_type: str, n_features: int
) -> np.ndarray | float:
    """Log-determinant of each precision Cholesky factor, ``-0.5 * log|Sigma_k|``.

    Returns
    -------
    log_det : ndarray of shape (n_components,), or float for 'tied'
    """
    if covariance_type == "full":
        diagonals = np.diagonal(precisions_cholesky, axis1=1, axis2=2)
        return np.sum(np.log(diagonals), axis=1)
    if covariance_type == "tied":
        return float(np.sum(np.log(np.diag(precisions_cholesky))))
    if covariance_type == "diag":
        return np.sum(np.log(precisions_cholesky), axis=1)
    return n_features * np.log(precisions_cholesky)


def squared_mahalanobis(
    deviations: np.ndarray,
    precisions_cholesky: np.ndarray,
    covariance_type: str,
    work: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Squared Mahalanobis distances of deviations from their component's mean.

    Parameters
    ----------
    deviations : ndarray of shape (n_components, n_features, n_samples)
        ``x_n - mu_k``, feature-major so that every elementwise loop runs over samples.
    precisions_cholesky : ndarray
        Shape by ``covariance_type``.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    work : ndarray of shape (n_components, n_features, n_samples), optional
        Scratch space (overwritten); allocated when not given.
    out : ndarray of shape (n_components, n_samples), optional
        Where to write the result.

    Returns
    -------
    distances : ndarray of shape (n_components, n_samples)
    """
    if work is None:
        work = np.empty(deviations.shape)
    if covariance_type == "full":
        np.matmul(precisions_cholesky.transpose(0, 2, 1), deviations, out=work)
    elif covariance_type == "tied":
        np.matmul(precisions_cholesky.T, deviations, out=work)
    elif covariance_type == "diag":
        np.multiply(deviations, precisions_cholesky[:, :, None], out=work)
    else:
        np.multiply(deviations, precisions_cholesky[:, None, None], out=work)
    np.square(work, out=work)
    # Summing feature rows one by one keeps the loops long and contiguous.
    if out is None:
        out = np.empty((deviations.shape[0], deviations.shape[2]))
    if work.shape[1] == 1:
        np.copyto(out, work[:, 0, :])
    else:
        np.add(work[:, 0, :], work[:, 1, :], out=out)
    for j in range(2, work.shape[1]):
        out += work[:, j, :]
    return out


def feature_major_deviations(
    X: np.ndarray, means: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """``x_n - mu_k`` for every component and sample, feature-major.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_components, n_features)
    out : ndarray of shape (n_components, n_features, n_samples), optional

    Returns
    -------
    deviations : ndarray of shape (n_components, n_features, n_samples)
    """
    return np.subtract(X.T[None, :, :], means[:, :, None], out=out)


def log_gaussian_density(
    X: np.ndarray, means: np.ndarray, precisions_cholesky: np.ndarray, covariance_type: str
) -> np.ndarray:
    """Log-density of every sample under every component.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_components, n_features)
    precisions_cholesky : ndarray
        Shape by ``covariance_type``.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}

    Returns
    -------
    log_density : ndarray of shape (n_components, n_samples)
        Component-major, so that reductions over components run over contiguous rows.
    """
    n_features = X.shape[1]
    deviations = feature_major_deviations(X, means)
    distances = squared_mahalanobis(deviations, precisions_cholesky, covariance_type)
    log_det = log_det_precision_cholesky(precisions_cholesky, covariance_type, n_features)
    distances += n_features * LOG_2PI
    distances *= -0.5
    distances += np.reshape(log_det, (-1, 1))
    return distances
