"""Diagonal and spherical components as matrix products: the fast E-step for wide data.

Pure numpy; no Qt. For a diagonal precision ``p_k`` (the Cholesky factor's diagonal,
``1 / sigma_k``) the squared Mahalanobis distance expands into powers of the sample::

    sum_d p_kd^2 (x_d - mu_kd)^2
        = sum_d p_kd^2 x_d^2 - 2 sum_d p_kd^2 mu_kd x_d + sum_d p_kd^2 mu_kd^2

so every component's distance is one row of a (K, 2D) x (2D, n) matrix product with
the stacked powers ``[x; x^2]``, and the moments the M-step needs are another: K rows
of responsibilities times the same powers. Both replace K x D x n elementwise
operations (deviations, squares, sums), which made a D = 10 diagonal iteration slower
than scikit-learn's, by products with an inner dimension of 2D.

The expansion subtracts large, nearly equal terms, so it is only used when they are not
large: the samples are shifted to the centre of the data's bounding box first, and the
expansion is refused (the caller then takes the exact, deviation-based path) when some
``p_kd^2 R_d^2`` exceeds :data:`MAX_EXPANSION_RATIO` for the pass's type, where ``R_d``
bounds ``|x_d - centre_d|`` and ``|mu_kd - centre_d|``. Within that bound the distance
loses at most about ``4 D eps MAX_EXPANSION_RATIO`` (about 1e-9 for D = 10 in float64)
and the moments a similar relative amount: far below what scikit-learn's own
unshifted expansion loses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.passes import ComponentTerms
from gmmviewer.core.em.statistics import ChunkMoments
from gmmviewer.core.params import GMMParams

#: Largest ``(R_d / sigma_kd)^2`` the expansion accepts, per floating-point type.
MAX_EXPANSION_RATIO = {np.dtype(np.float64): 2.0**20, np.dtype(np.float32): 2.0**6}


@dataclass(frozen=True)
class DiagonalExpansion:
    """The distance terms of diagonal (or spherical) components as a matrix product.

    Attributes
    ----------
    centre : ndarray of shape (n_features,)
        The shift applied to the samples (the centre of the data's bounding box).
    weights : ndarray of shape (n_components, 2 * n_features)
        ``[p^2, -2 p^2 (mu - centre)]``: the product with ``[x'; x'^2]``.
    constant : ndarray of shape (n_components, 1)
        ``log pi_k - 0.5 log|Sigma_k| - 0.5 D log(2 pi) - 0.5 sum_d p^2 (mu - centre)^2``.
    dtype : numpy dtype
    """

    centre: np.ndarray
    weights: np.ndarray
    constant: np.ndarray
    dtype: np.dtype

    @classmethod
    def of(
        cls,
        params: GMMParams,
        constant: np.ndarray,
        bounds: tuple[np.ndarray, np.ndarray],
        dtype: np.dtype,
    ) -> DiagonalExpansion | None:
        """The expansion of ``params``, or None when it would lose too many digits.

        Parameters
        ----------
        params : GMMParams
            With covariance type 'diag' or 'spherical'.
        constant : ndarray of shape (n_components, 1)
            The per-component log terms, as in
            :class:`~gmmviewer.core.em.passes.ComponentTerms`, in float64.
        bounds : tuple of ndarray of shape (n_features,)
            The data's smallest and largest value per column.
        dtype : numpy dtype
            The pass's type.
        """
        if params.covariance_type not in ("diag", "spherical"):
            return None
        factors = params.precisions_cholesky
        n_components, n_features = params.means.shape
        precision = (
            factors
            if params.covariance_type == "diag"
            else np.repeat(factors[:, None], n_features, axis=1)
        ) ** 2
        low, high = bounds
        centre = 0.5 * (low + high)
        shifted = params.means - centre
        reach = np.maximum(0.5 * (high - low), np.max(np.abs(shifted), axis=0))
        with np.errstate(over="ignore", invalid="ignore"):
            ratio = precision * reach**2
            worst = float(np.max(ratio)) if ratio.size else 0.0
        if not (worst <= MAX_EXPANSION_RATIO[np.dtype(dtype)]):
            return None
        weights = np.concatenate([-2.0 * precision * shifted, precision], axis=1)
        offset = np.sum(precision * shifted**2, axis=1)[:, None]
        return cls(
            np.asarray(centre, dtype),
            np.ascontiguousarray(weights * -0.5, dtype),
            np.asarray(constant - 0.5 * offset, dtype),
            np.dtype(dtype),
        )

    @classmethod
    def for_pass(
        cls, params: GMMParams, terms: ComponentTerms, bounds: tuple[np.ndarray, np.ndarray]
    ) -> tuple[DiagonalExpansion | None, ComponentTerms]:
        """The expansion a pass in ``terms.dtype`` takes (or None), and the terms it needs.

        float32 allows the expansion only for well-scaled data; where float64 allows it,
        the float64 expansion is both faster than the float32 deviation path and more
        exact, so the pass then computes in float64 (and still stores float32): the
        terms returned are then float64 ones.
        """
        expansion = cls.of(params, terms.exact_constant, bounds, terms.dtype)
        if expansion is None and terms.dtype != np.float64:
            expansion = cls.of(params, terms.exact_constant, bounds, np.dtype(np.float64))
            if expansion is not None:
                terms = ComponentTerms.of(params, np.float64)
        return expansion, terms

    def fill(self, X_rows: np.ndarray, powers: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``log pi_k + log N(x | k)`` of ``X_rows`` into ``out``; ``[x'; x'^2]`` into ``powers``.

        Parameters
        ----------
        X_rows : ndarray of shape (size, n_features)
        powers : ndarray of shape (2 * n_features, size)
            Scratch, left holding the shifted samples and their squares.
        out : ndarray of shape (n_components, size)

        Returns
        -------
        out : ndarray of shape (n_components, size)
        """
        n_features = X_rows.shape[1]
        linear, square = powers[:n_features], powers[n_features:]
        np.subtract(X_rows.T, self.centre[:, None], out=linear)
        np.multiply(linear, linear, out=square)
        np.matmul(self.weights, powers, out=out)
        out += self.constant
        return out

    def moments(self, powers: np.ndarray, resp: np.ndarray, centres: np.ndarray) -> ChunkMoments:
        """The chunk's moments around ``centres``, from the powers :meth:`fill` left.

        Parameters
        ----------
        powers : ndarray of shape (2 * n_features, size)
        resp : ndarray of shape (n_components, size)
        centres : ndarray of shape (n_components, n_features)
            The statistics' centres, in float64.

        Returns
        -------
        ChunkMoments
            With the diagonal second moments, in float64.
        """
        n_features = powers.shape[0] // 2
        counts = resp.sum(axis=1, dtype=np.float64)
        raw = np.matmul(resp, powers.T).astype(np.float64, copy=False)
        first, second = raw[:, :n_features], raw[:, n_features:]
        # From moments around the box centre to moments around each component's centre.
        shift = centres - self.centre.astype(np.float64)
        second = second - 2.0 * shift * first + counts[:, None] * shift**2
        first = first - counts[:, None] * shift
        return ChunkMoments(resp.shape[1], counts, first, second)
