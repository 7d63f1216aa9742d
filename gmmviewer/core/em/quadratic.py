"""Full and tied components as matrix products over quadratic features: the fast E-step.

Pure numpy; no Qt. A component's weighted log-density is a quadratic form in the sample.
With ``y = x - c`` (``c`` the centre of the data's bounding box), ``m_k = mu_k - c`` and
the precision ``P_k = U_k U_k^T``::

    log pi_k + log N(x | mu_k, Sigma_k) = a_k + (P_k m_k)^T y - 1/2 y^T P_k y,
    a_k = log pi_k - 1/2 log|Sigma_k| - D/2 log(2 pi) - 1/2 m_k^T P_k m_k

so with the features ``f(y) = [1, y_1 .. y_D, y_i y_j (i <= j)]`` (``1 + D + D (D + 1) / 2``
of them) every component's weighted log-density is one row of a (K, F) x (F, n) matrix
product, and the M-step's sums ``sum r``, ``sum r y`` and ``sum r y y^T`` are the
(K, n) x (n, F) product of the responsibilities with the same features. The two products
replace K x D x n elementwise deviations, their (K, D, D) x (K, D, n) product, squares and
moment sums: an iteration at N = 1e6, K = 5, D = 2 took 31 ms on one core with them and
19 ms with the products (``tests/benchmarks/bench_quadratic.py``).

**Precision.** The expansion adds and subtracts terms larger than the result. Where ``R``
bounds ``|y|`` per feature (the box's half-widths) and ``A_k = |U_k| |U_k|^T``, the terms
of component k's row are bounded by ``|a_k|`` and parts of
``X_k = (|m_k| + R)^T A_k (|m_k| + R)``, so the row loses at most about
``(F + 2 D + 3) u X_k`` (``u`` the unit roundoff: the dot product of length F, the
features' and the weights' own rounding) beyond what the deviation-based path loses. The
expansion is refused (the caller takes that exact path) when this exceeds
:data:`MAX_LOG_DENSITY_ERROR`, 1e-10 in a log-density, so densities and responsibilities
keep 1e-10 relative. Turning the moments around ``c`` into a covariance amplifies their
rounding by ``M_k / lambda_k``, ``M_k`` the component's mean squared distance from ``c``
(plus its statistics' centre's) and ``lambda_k`` the covariance's smallest eigenvalue;
:meth:`QuadraticExpansion.moments` holds ``(F + 2 D + 3) u M_k / lambda_k`` to the same
bound, and otherwise answers None so that the caller repeats the pass on the exact path
(a component that shrank to a small fraction of its distance from ``c`` in one step).
The products compute in float64 even in a float32 pass: in float32 the same bound would
refuse almost every data set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.mstep import EMPTY_COMPONENT_POINTS
from gmmviewer.core.em.passes import ComponentTerms, FeatureExpansion, feature_sums
from gmmviewer.core.em.statistics import ChunkMoments
from gmmviewer.core.params import GMMParams

#: Up to this many features, full and tied components use the expansion (where its guard
#: allows: at D = 10 it refused the benchmark mixtures; it was faster at every D measured).
MAX_QUADRATIC_FEATURES = 10
#: Largest rounding error the expansion may add to a log-density (and, relative to the
#: smallest eigenvalue, to a covariance).
MAX_LOG_DENSITY_ERROR = 1e-10
_UNIT_ROUNDOFF = np.finfo(np.float64).eps / 2


def feature_count(n_features: int) -> int:
    """F, the number of quadratic features of ``n_features`` coordinates (with the 1)."""
    return 1 + n_features + n_features * (n_features + 1) // 2


def _error_factor(n_features: int) -> float:
    """``(F + 2 D + 3) u``: the rounding error of an expanded term per unit of its size."""
    return (feature_count(n_features) + 2 * n_features + 3) * _UNIT_ROUNDOFF


@dataclass(frozen=True)
class QuadraticExpansion(FeatureExpansion):
    """Weighted log-densities of full or tied components as one matrix product.

    Attributes
    ----------
    centre : ndarray of shape (n_features,)
        ``c``, the shift applied to the samples (the centre of the data's bounding box).
    weights : ndarray of shape (n_components, F)
        Row k: ``[a_k, P_k m_k, -P_k,ii / 2 or -P_k,ij for i <= j]``, the product with
        the features ``[1, y, y_i y_j]``.
    """

    centre: np.ndarray
    weights: np.ndarray

    #: The type every product computes in.
    dtype = np.dtype(np.float64)

    @classmethod
    def of(
        cls,
        params: GMMParams,
        constant: np.ndarray,
        bounds: tuple[np.ndarray, np.ndarray],
    ) -> QuadraticExpansion | None:
        """The expansion of ``params``, or None when it could lose too many digits.

        Parameters
        ----------
        params : GMMParams
            With covariance type 'full' or 'tied' and at most
            :data:`MAX_QUADRATIC_FEATURES` features.
        constant : ndarray of shape (n_components, 1)
            ``log pi_k - 0.5 log|Sigma_k| - 0.5 D log(2 pi)`` in float64, as in
            :class:`~gmmviewer.core.em.passes.ComponentTerms`.
        bounds : tuple of ndarray of shape (n_features,)
            The data's smallest and largest value per column.
        """
        n_components, n_features = params.means.shape
        if params.covariance_type not in ("full", "tied") or n_features > MAX_QUADRATIC_FEATURES:
            return None
        factors = params.precisions_cholesky
        if params.covariance_type == "tied":
            factors = np.broadcast_to(factors, (n_components, n_features, n_features))
        # In float64 even for float32 data: the features are computed in the centre's type.
        low, high = (np.asarray(bound, dtype=np.float64) for bound in bounds)
        centre = 0.5 * (low + high)
        offsets = params.means - centre
        reach = np.abs(offsets) + 0.5 * (high - low)
        magnitudes = np.abs(factors)
        with np.errstate(over="ignore", invalid="ignore"):
            sizes = np.einsum("ki,kij,klj,kl->k", reach, magnitudes, magnitudes, reach)
            worst = float(np.max(sizes))
        if not worst * _error_factor(n_features) <= MAX_LOG_DENSITY_ERROR:
            return None
        precisions = np.matmul(factors, factors.transpose(0, 2, 1))
        linear = np.einsum("kij,kj->ki", precisions, offsets)
        offset_terms = np.einsum("ki,ki->k", offsets, linear)
        rows, cols = np.triu_indices(n_features)
        quadratic = np.where(rows == cols, -0.5, -1.0) * precisions[:, rows, cols]
        weights = np.concatenate(
            [constant.reshape(-1, 1) - 0.5 * offset_terms[:, None], linear, quadratic], axis=1
        )
        return cls(centre, np.ascontiguousarray(weights))

    @classmethod
    def for_pass(
        cls, params: GMMParams, terms: ComponentTerms, bounds: tuple[np.ndarray, np.ndarray]
    ) -> tuple[QuadraticExpansion | None, ComponentTerms]:
        """The expansion a pass takes (or None), and ``terms`` in the type it computes in.

        The expansion computes in float64 whatever the pass's type, so a float32 pass
        that takes it gets float64 terms (and still stores float32).
        """
        expansion = cls.of(params, terms.exact_constant, bounds)
        if expansion is not None and terms.dtype != expansion.dtype:
            terms = ComponentTerms.of(params, expansion.dtype)
        return expansion, terms

    def fill(self, X_rows: np.ndarray, features: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``log pi_k + log N(x | k)`` of ``X_rows`` into ``out``; their features into ``features``.

        Parameters
        ----------
        X_rows : ndarray of shape (size, n_features)
        features : ndarray of shape (F, size)
            From :meth:`scratch` (row 0 all ones); left holding ``[1, y, y_i y_j]``.
        out : ndarray of shape (n_components, size)

        Returns
        -------
        out : ndarray of shape (n_components, size)
        """
        n_features = X_rows.shape[1]
        shifted = features[1 : 1 + n_features]
        np.subtract(X_rows.T, self.centre[:, None], out=shifted)
        row = 1 + n_features
        for i in range(n_features):
            np.multiply(shifted[i:], shifted[i], out=features[row : row + n_features - i])
            row += n_features - i
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
        features : ndarray of shape (F, size)
            As :meth:`fill` left them.
        resp : ndarray of shape (n_components, size)

        Returns
        -------
        raw : ndarray of shape (n_components, F)
        """
        return feature_sums(resp, features)

    def moments(self, raw: np.ndarray, n_samples: int, centres: np.ndarray) -> ChunkMoments | None:
        """Moments around ``centres`` from the summed :meth:`raw_moments` of a pass.

        Parameters
        ----------
        raw : ndarray of shape (n_components, F)
            Summed over every chunk of the pass.
        n_samples : int
        centres : ndarray of shape (n_components, n_features)
            The statistics' centres.

        Returns
        -------
        ChunkMoments or None
            None when turning the moments around ``c`` into a covariance could lose more
            than :data:`MAX_LOG_DENSITY_ERROR` relative to its smallest eigenvalue.
        """
        n_components, n_features = centres.shape
        counts = raw[:, 0]
        first = raw[:, 1 : 1 + n_features]
        second = np.empty((n_components, n_features, n_features))
        rows, cols = np.triu_indices(n_features)
        second[:, rows, cols] = raw[:, 1 + n_features :]
        second[:, cols, rows] = raw[:, 1 + n_features :]
        shift = centres - self.centre
        if not self._exact_enough(counts, first, second, shift):
            return None
        cross = first[:, :, None] * shift[:, None, :]
        second = second - cross - cross.transpose(0, 2, 1)
        second += counts[:, None, None] * (shift[:, :, None] * shift[:, None, :])
        first = first - counts[:, None] * shift
        return ChunkMoments(n_samples, counts, first, second)

    @staticmethod
    def _exact_enough(
        counts: np.ndarray, first: np.ndarray, second: np.ndarray, shift: np.ndarray
    ) -> bool:
        """Whether the covariances from these moments keep the promised precision.

        A component with (practically) no points is not checked: the M-step keeps its
        previous mean and covariance.
        """
        used = counts >= EMPTY_COMPONENT_POINTS
        if not np.any(used):
            return True
        counts, first, second, shift = counts[used], first[used], second[used], shift[used]
        mean = first / counts[:, None]
        scatter = second / counts[:, None, None] - mean[:, :, None] * mean[:, None, :]
        if not np.all(np.isfinite(scatter)):
            return False
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            smallest = np.linalg.eigvalsh(scatter)[:, 0]
            size = np.trace(second, axis1=1, axis2=2) / counts + np.sum(shift**2, axis=1)
            error = size / smallest * _error_factor(shift.shape[1])
        return bool(np.all((smallest > 0.0) & (error <= MAX_LOG_DENSITY_ERROR)))
