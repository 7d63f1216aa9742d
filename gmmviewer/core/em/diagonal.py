"""Diagonal and spherical components as matrix products: the fast E-step and statistics.

Pure numpy; no Qt. With ``y = x - c`` (``c`` the centre of the data's bounding box),
``m_k = mu_k - c`` and a diagonal precision ``p_k`` (the Cholesky factor's diagonal,
``1 / sigma_k``), the squared Mahalanobis distance expands into powers of the sample::

    sum_d p_kd^2 (y_d - m_kd)^2 = sum_d p_kd^2 y_d^2 - 2 sum_d p_kd^2 m_kd y_d + sum_d p_kd^2 m_kd^2

so with the features ``f(y) = [1, y_1 .. y_D, y_1^2 .. y_D^2]`` (2 D + 1 of them) every
component's weighted log-density is one row of a (K, 2D + 1) x (2D + 1, n) matrix
product, and the M-step's sums ``sum r``, ``sum r y_d`` and ``sum r y_d^2`` are the
products of the responsibilities with the same rows: the ones (a matrix-vector product)
and ``[y, y^2]`` (one ``np.dot``). The chunks' sums are added in chunk order and turned
into moments around the statistics' centres once per pass. Both products replace
K x D x n elementwise operations (deviations, squares, sums), which made a D = 10
diagonal iteration slower than scikit-learn's.

**Precision.** The expansion subtracts large, nearly equal terms. The E-step's guard:
``R_d`` bounds ``|y_d|`` and ``|m_kd|``, and the expansion is refused (the caller takes
the exact, deviation-based path) when some ``p_kd^2 R_d^2`` exceeds
:data:`MAX_EXPANSION_RATIO` for the pass's type; within that bound a distance loses at
most about ``4 D eps MAX_EXPANSION_RATIO`` (about 1e-9 for D = 10 in float64). The
moments' guard: turning the sums around ``c`` into a variance amplifies their rounding
by ``M_kd / v_kd``, ``M_kd`` the component's mean square of ``y_d`` (plus its
statistics' centre's ``(c_kd - c_d)^2``) and ``v_kd`` its new variance.
:meth:`DiagonalExpansion.moments` holds ``(4 D + 4) u M_kd / v_kd`` (``u`` the unit
roundoff of the type the sums were computed in; for spherical components the sums
over features of both) to :data:`MAX_VARIANCE_ERROR` and otherwise answers None, so
that the caller repeats the pass on the exact path: a component that shrank, in one
step, onto a cluster small against its distance from ``c``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.mstep import EMPTY_COMPONENT_POINTS
from gmmviewer.core.em.passes import (
    FEATURE_SUMS_BY_ROW,
    ComponentTerms,
    FeatureExpansion,
    feature_sums,
)
from gmmviewer.core.em.statistics import ChunkMoments
from gmmviewer.core.params import GMMParams

#: Largest ``(R_d / sigma_kd)^2`` the expansion accepts, per floating-point type.
MAX_EXPANSION_RATIO = {np.dtype(np.float64): 2.0**20, np.dtype(np.float32): 2.0**6}
#: Largest rounding error the conversion of the summed moments may add to a new variance,
#: relative to it, per type the moments were computed in. float64: 1e-10, as the
#: quadratic expansion. float32: its own roundoff allows no such figure; 1e-4 is of the
#: order of what the float32 E-step guard already accepts in a log-density (6e-5 at
#: D = 2), and the float32 exact path itself loses about 1e-7.
MAX_VARIANCE_ERROR = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4}


def _error_factor(n_features: int, dtype: np.dtype) -> float:
    """``(4 D + 4) u``: rounding of a converted moment per unit of ``M_kd``.

    As :func:`gmmviewer.core.em.quadratic._error_factor`, ``(F + 2 D + 3) u`` with
    the ``F = 2 D + 1`` features.
    """
    return (4 * n_features + 4) * float(np.finfo(dtype).eps) / 2


@dataclass(frozen=True)
class DiagonalExpansion(FeatureExpansion):
    """Weighted log-densities and statistics of diagonal (or spherical) components as products.

    Attributes
    ----------
    centre : ndarray of shape (n_features,)
        ``c``, the shift applied to the samples (the centre of the data's bounding box).
    weights : ndarray of shape (n_components, 2 * n_features + 1)
        Row k: ``[a_k, p_k^2 m_k, -p_k^2 / 2]``, the product with the features
        ``[1, y, y^2]``; ``a_k = log pi_k - 1/2 log|Sigma_k| - D/2 log(2 pi)
        - 1/2 sum_d p_kd^2 m_kd^2``.
    dtype : numpy dtype
        The type the products compute in.
    spherical : bool
        Whether the components are spherical (their one variance is what the moments'
        guard checks).
    """

    centre: np.ndarray
    weights: np.ndarray
    dtype: np.dtype
    spherical: bool = False

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
        spherical = params.covariance_type == "spherical"
        precision = (np.repeat(factors[:, None], n_features, axis=1) if spherical else factors) ** 2
        # In float64 whatever the data's type: a float32 pass may take the float64
        # expansion, which then computes exactly what a float64 pass on the same values does.
        low, high = (np.asarray(bound, dtype=np.float64) for bound in bounds)
        centre = 0.5 * (low + high)
        shifted = params.means - centre
        reach = np.maximum(0.5 * (high - low), np.max(np.abs(shifted), axis=0))
        with np.errstate(over="ignore", invalid="ignore"):
            ratio = precision * reach**2
            worst = float(np.max(ratio)) if ratio.size else 0.0
        if not (worst <= MAX_EXPANSION_RATIO[np.dtype(dtype)]):
            return None
        offset = np.sum(precision * shifted**2, axis=1)[:, None]
        weights = np.concatenate(
            [constant.reshape(-1, 1) - 0.5 * offset, precision * shifted, -0.5 * precision], axis=1
        )
        return cls(
            np.asarray(centre, dtype),
            np.ascontiguousarray(weights, dtype),
            np.dtype(dtype),
            spherical,
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

    def fill(self, X_rows: np.ndarray, features: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``log pi_k + log N(x | k)`` of ``X_rows`` into ``out``; their features into ``features``.

        Parameters
        ----------
        X_rows : ndarray of shape (size, n_features)
        features : ndarray of shape (2 * n_features + 1, size)
            From :meth:`scratch` (row 0 all ones); left holding ``[1, y, y^2]``.
        out : ndarray of shape (n_components, size)

        Returns
        -------
        out : ndarray of shape (n_components, size)
        """
        n_features = X_rows.shape[1]
        linear, square = features[1 : 1 + n_features], features[1 + n_features :]
        np.subtract(X_rows.T, self.centre[:, None], out=linear)
        np.multiply(linear, linear, out=square)
        # np.dot, not matmul: numpy's matmul holds the GIL through its BLAS call, which
        # kept the other pass thread waiting for the whole product (measured: two
        # threads of these products ran no faster than one).
        np.dot(self.weights, features, out=out)
        return out

    @staticmethod
    def raw_moments(features: np.ndarray, resp: np.ndarray) -> np.ndarray:
        """``sum_n r_kn f(y_n)`` over a chunk: counts, first and second moments around ``c``.

        Parameters
        ----------
        features : ndarray of shape (2 * n_features + 1, size)
            As :meth:`fill` left them.
        resp : ndarray of shape (n_components, size)

        Returns
        -------
        raw : ndarray of shape (n_components, 2 * n_features + 1), float64
        """
        # np.dot, not matmul: matmul keeps the GIL for a small output like this one. The
        # ones row goes to a matrix-vector product of its own: with it the (K, n) x
        # (n, 2D + 1) product costs 1.5-2x the (K, n) x (n, 2D) one in OpenBLAS (34
        # against 18 + 4 us at K = 5, D = 2 for 8192 samples).
        if resp.dtype == np.float64 and resp.shape[0] < FEATURE_SUMS_BY_ROW:
            # One matrix-vector product per component, the ones row included.
            return feature_sums(resp, features)
        powers = np.dot(resp, features[1:].T)
        if resp.dtype == np.float64:
            counts = np.dot(resp, features[0])
        else:
            counts = resp.sum(axis=1, dtype=np.float64)
        return np.concatenate([counts[:, None], powers], axis=1, dtype=np.float64)

    def moments(self, raw: np.ndarray, n_samples: int, centres: np.ndarray) -> ChunkMoments | None:
        """Moments around ``centres`` from the summed :meth:`raw_moments` of a pass.

        Parameters
        ----------
        raw : ndarray of shape (n_components, 2 * n_features + 1)
            Summed over every chunk of the pass.
        n_samples : int
        centres : ndarray of shape (n_components, n_features)
            The statistics' centres, in float64.

        Returns
        -------
        ChunkMoments or None
            With the diagonal second moments, in float64; None when turning the sums
            around ``c`` into a variance could lose more than :data:`MAX_VARIANCE_ERROR`
            relative to it.
        """
        n_features = centres.shape[1]
        counts = raw[:, 0]
        first = raw[:, 1 : 1 + n_features]
        second = raw[:, 1 + n_features :]
        shift = centres - self.centre.astype(np.float64)
        if not self._exact_enough(counts, first, second, shift):
            return None
        second = second - 2.0 * shift * first + counts[:, None] * shift**2
        first = first - counts[:, None] * shift
        return ChunkMoments(n_samples, counts, first, second)

    def _exact_enough(
        self, counts: np.ndarray, first: np.ndarray, second: np.ndarray, shift: np.ndarray
    ) -> bool:
        """Whether the variances from these sums keep :data:`MAX_VARIANCE_ERROR`.

        A component with (practically) no points is not checked: the M-step keeps its
        previous mean and variance.
        """
        used = counts >= EMPTY_COMPONENT_POINTS
        if not np.any(used):
            return True
        counts, first, second, shift = counts[used, None], first[used], second[used], shift[used]
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            square = second / counts
            variance = square - (first / counts) ** 2
            size = square + shift**2
            if self.spherical:
                variance = variance.sum(axis=1)
                size = size.sum(axis=1)
            error = size / variance * _error_factor(shift.shape[1], self.dtype)
        limit = MAX_VARIANCE_ERROR[self.dtype]
        return bool(np.all((variance > 0.0) & (error <= limit)))
