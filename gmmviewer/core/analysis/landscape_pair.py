"""The arithmetic of the pair landscape: the NLL over positions of two means, each
moving along one coordinate (for 1-D data with K = 2, the whole (mu1, mu2) plane).

Pure numpy; no Qt. Each component's term ``exp(log(w N(x_n | mean at a grid value)) -
shift_n)`` is computed once per grid value along its axis, so a grid point costs two
additions and a logarithm per data point; a point whose terms all underflow somewhere
(a wide view) is added in log space instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.analysis.landscape_grid import (
    SUBSAMPLE_POINTS,
    TINY_SUM,
    check_component,
    check_dims,
    log_sum_exp_rows,
    precision_matrix,
    subsample_rows,
)
from gmmviewer.core.em.estep import weighted_log_prob
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams


@dataclass(frozen=True, eq=False)
class PairTerms:
    """What the NLL over positions of two means (each along one coordinate) needs.

    Attributes
    ----------
    a_terms : ndarray of shape (n_x, n_used)
        ``exp(log(w_a N(x_n | mean a at xs[i])) - shift_n)``.
    b_terms : ndarray of shape (n_y, n_used)
        The same for mean b at ``ys[j]``.
    rest_terms : ndarray of shape (n_used,)
        ``exp(r_n - shift_n)``, the other components (zero when there are none).
    a_log, b_log, rest_log : the same terms before exponentiation (for the exact path).
    shift : ndarray of shape (n_used,)
        ``shift_n``, each point's largest term over both axes and the rest.
    shift_total : float
        ``sum_n shift_n``.
    scale : float
    subsampled : int or None
    """

    a_log: np.ndarray
    b_log: np.ndarray
    rest_log: np.ndarray
    a_terms: np.ndarray
    b_terms: np.ndarray
    rest_terms: np.ndarray
    shift: np.ndarray
    shift_total: float
    scale: float
    subsampled: int | None

    def nll_tile(self, rows: slice, columns: slice) -> np.ndarray:
        """NLL at ``(xs[columns], ys[rows])``, shape (n_rows, n_columns)."""
        sums = self.b_terms[rows, None, :] + self.a_terms[None, columns, :]
        sums += self.rest_terms
        lost = sums.min(axis=(0, 1), initial=np.inf) < TINY_SUM
        if not lost.any():
            np.log(sums, out=sums)
            return -self.scale * (sums.sum(axis=2) + self.shift_total)
        # Every term of some point underflowed somewhere in the tile (a wide view):
        # those points are added in log space, the others as usual.
        kept = ~lost
        fast = np.log(sums[:, :, kept]).sum(axis=2) + float(self.shift[kept].sum())
        exact = np.logaddexp(
            self.b_log[rows, None][..., lost], self.a_log[None, columns][..., lost]
        )
        with np.errstate(divide="ignore"):
            exact = np.logaddexp(exact, self.rest_log[lost])
        return -self.scale * (fast + exact.sum(axis=2))


def pair_terms(
    X: np.ndarray,
    params: GMMParams,
    xs: np.ndarray,
    ys: np.ndarray,
    components: tuple[int, int],
    dim: int,
    max_points: int | None = SUBSAMPLE_POINTS,
) -> PairTerms:
    """The :class:`PairTerms` of means ``components`` moving along feature ``dim``.

    Mean ``components[0]`` takes the values ``xs`` (shape (n_x,)), mean
    ``components[1]`` the values ``ys`` (shape (n_y,)).
    """
    a, b = components
    check_component(params, a)
    check_component(params, b)
    if a == b:
        raise ParameterError("the pair landscape needs two different components")
    (dim,) = check_dims(params, (dim,))
    X = np.asarray(X, dtype=float)
    chosen = subsample_rows(X.shape[0], max_points)
    scale = 1.0
    if chosen is not None:
        scale = X.shape[0] / chosen.size
        X = X[chosen]
    weighted, _ = weighted_log_prob(X, params)
    rest_log = log_sum_exp_rows(np.delete(weighted, [a, b], axis=0))
    a_log = _moved_log_density(X, params, weighted[a], a, dim, np.asarray(xs, float))
    b_log = _moved_log_density(X, params, weighted[b], b, dim, np.asarray(ys, float))
    shift = np.maximum(np.maximum(a_log.max(axis=0), b_log.max(axis=0)), rest_log)
    with np.errstate(under="ignore"):
        a_terms = np.exp(a_log - shift)
        b_terms = np.exp(b_log - shift)
        rest_terms = np.exp(rest_log - shift)
    return PairTerms(
        a_log=a_log,
        b_log=b_log,
        rest_log=rest_log,
        a_terms=a_terms,
        b_terms=b_terms,
        rest_terms=rest_terms,
        shift=shift,
        shift_total=float(shift.sum()),
        scale=scale,
        subsampled=None if chosen is None else int(chosen.size),
    )


def _moved_log_density(
    X: np.ndarray,
    params: GMMParams,
    current: np.ndarray,
    component: int,
    dim: int,
    values: np.ndarray,
) -> np.ndarray:
    """``log(w N(x_n | mean moved to values[i] along dim))``, shape (n_values, n_samples).

    ``current`` (n_samples,) is the term at the mean's present position.
    """
    precision = precision_matrix(params, component)
    origin = params.means[component]
    linear = (X - origin) @ precision[:, dim]
    t = values - origin[dim]
    return (
        current[None, :]
        + t[:, None] * linear[None, :]
        - 0.5 * precision[dim, dim] * (t**2)[:, None]
    )
