"""The arithmetic behind the likelihood landscape: per-point terms computed once, then
the negative log-likelihood at many positions of one mean (or of two) in numpy blocks.

Pure numpy; no Qt. :mod:`gmmviewer.core.analysis.landscape` builds grids, results and
paths on top of this module.

**One mean.** Moving mean k from ``m0`` to ``m`` in the coordinates ``s`` (the others
fixed) changes only component k's term of each point. With ``P`` its precision,
``delta_n = x_n - m0`` and ``t = m_s - m0_s``::

    (x_n - m)^T P (x_n - m) = delta_n^T P delta_n - 2 t^T (P delta_n)_s + t^T P_ss t

so ``z_n(t) = log(w_k N(x_n | m, Sigma_k)) - r_n``, where ``r_n`` is the log of the other
components' weighted density sum, is ``A_n . [1, t, -t^T P_ss t / 2]`` with
``A_n = [log(w_k N(x_n | m0, Sigma_k)) - r_n, (P delta_n)_s, 1]``: one small matrix
product per block of positions. Then ``log p(x_n) = r_n + softplus(z_n)``, and the sum of
the ``r_n`` does not depend on ``t`` at all.

Two means moving at once are in :mod:`gmmviewer.core.analysis.landscape_pair`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.estep import weighted_log_prob
from gmmviewer.core.errors import Cancelled, ParameterError
from gmmviewer.core.parallel.threads import map_in_order, pass_threads
from gmmviewer.core.params import GMMParams

#: Above this many points the varying part is summed over a fixed random subsample.
SUBSAMPLE_POINTS = 20_000
#: Seed of that subsample: the same points every time, so the picture does not flicker.
SUBSAMPLE_SEED = 0
#: Elements (positions x points) of one block: a few megabytes, in cache for its passes.
BLOCK_ELEMENTS = 1 << 18
#: ``exp`` overflows a double just above 709; a block with a larger exponent takes the
#: slower exact path.
SAFE_EXPONENT = 700.0
#: A sum of exponentials below this has lost its precision (or is zero): exact path.
TINY_SUM = 1e-290


def precision_matrix(params: GMMParams, component: int) -> np.ndarray:
    """Component ``component``'s precision matrix, shape (n_features, n_features).

    Built from the cached precision Cholesky factors (``P = U U^T``); no inversion.
    """
    factors = params.precisions_cholesky
    kind, d = params.covariance_type, params.n_features
    if kind == "full":
        upper = factors[component]
        return upper @ upper.T
    if kind == "tied":
        return factors @ factors.T
    if kind == "diag":
        return np.diag(factors[component] ** 2)
    return np.eye(d) * factors[component] ** 2


def log_sum_exp_rows(values: np.ndarray) -> np.ndarray:
    """``log sum_j exp(values[j])`` per column, -inf where every entry is -inf.

    Parameters
    ----------
    values : ndarray of shape (n_terms, n_samples)

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    if values.shape[0] == 0:
        return np.full(values.shape[1], -np.inf)
    peak = values.max(axis=0)
    finite = np.isfinite(peak)
    safe_peak = np.where(finite, peak, 0.0)
    with np.errstate(divide="ignore", under="ignore"):
        total = np.log(np.exp(values - safe_peak).sum(axis=0)) + safe_peak
    total[~finite] = -np.inf
    return total


def subsample_rows(
    n_rows: int, max_points: int | None, seed: int = SUBSAMPLE_SEED
) -> np.ndarray | None:
    """Sorted indices of a fixed random subsample of ``max_points`` rows, or None for all."""
    if max_points is None or n_rows <= max_points:
        return None
    if max_points < 1:
        raise ParameterError("a landscape needs at least one point in its subsample")
    chosen = np.random.default_rng(seed).choice(n_rows, size=max_points, replace=False)
    return np.sort(chosen)


def _softplus_sum(z: np.ndarray) -> np.ndarray:
    """``sum_n log(1 + exp(z[:, n]))`` per row, overwriting ``z`` (shape (rows, n))."""
    if z.shape[1] == 0:
        return np.zeros(z.shape[0])
    if float(z.max()) <= SAFE_EXPONENT:
        with np.errstate(under="ignore"):
            np.exp(z, out=z)
        np.log1p(z, out=z)
        return z.sum(axis=1)
    # softplus(z) = max(z, 0) + log1p(exp(-|z|)), never overflowing.
    positive = np.maximum(z, 0.0)
    np.abs(z, out=z)
    np.negative(z, out=z)
    with np.errstate(under="ignore"):
        np.exp(z, out=z)
    np.log1p(z, out=z)
    z += positive
    return z.sum(axis=1)


@dataclass(frozen=True, eq=False)
class MeanTerms:
    """Everything the NLL at a position of one mean needs, computed once.

    Attributes
    ----------
    coefficients : ndarray of shape (n_used, n_dims + 2)
        ``A_n`` of the module docstring for the points summed explicitly.
    precision : ndarray of shape (n_dims, n_dims)
        ``P_ss``, the precision restricted to the moving coordinates.
    origin : ndarray of shape (n_dims,)
        ``m0_s``, the mean's current coordinates there.
    constant : float
        The log-likelihood parts that do not move: ``sum_n r_n`` over every point with
        other components, and the fixed part of the points without any.
    lone_linear : ndarray of shape (n_dims,), lone_count : int
        Points with no other component (K = 1) add ``lone_linear . t - lone_count *
        t^T P_ss t / 2`` exactly.
    scale : float
        What the explicit sum is multiplied by: ``n_finite / n_used`` on a subsample.
    subsampled : int or None
        The subsample's size, or None when every point is used.
    """

    coefficients: np.ndarray
    precision: np.ndarray
    origin: np.ndarray
    constant: float
    lone_linear: np.ndarray
    lone_count: int
    scale: float
    subsampled: int | None

    @property
    def n_dims(self) -> int:
        """How many coordinates of the mean move (1 or 2)."""
        return int(self.origin.size)

    def nll(self, positions: np.ndarray) -> np.ndarray:
        """Negative log-likelihood with the mean at each position.

        Parameters
        ----------
        positions : ndarray of shape (n_positions, n_dims)
            Coordinates of the mean in the moving dimensions.

        Returns
        -------
        ndarray of shape (n_positions,)
        """
        t = np.asarray(positions, dtype=float) - self.origin
        quadratic = -0.5 * np.einsum("gi,ij,gj->g", t, self.precision, t)
        log_likelihood = np.full(t.shape[0], self.constant)
        if self.lone_count:
            log_likelihood += t @ self.lone_linear + self.lone_count * quadratic
        if self.coefficients.shape[0]:
            basis = np.column_stack([np.ones(t.shape[0]), t, quadratic])
            z = basis @ self.coefficients.T
            log_likelihood += self.scale * _softplus_sum(z)
        return -log_likelihood


def mean_terms(
    X: np.ndarray,
    params: GMMParams,
    component: int,
    dims: Sequence[int],
    max_points: int | None = SUBSAMPLE_POINTS,
) -> MeanTerms:
    """The :class:`MeanTerms` of mean ``component`` moving in ``dims``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams
    component : int
    dims : sequence of int
        One or two distinct feature indices.
    max_points : int or None
        Sum the varying part over a fixed subsample of this many points (None: all).
    """
    dims = check_dims(params, dims)
    check_component(params, component)
    X = np.asarray(X, dtype=float)
    weighted, _ = weighted_log_prob(X, params)
    others = np.delete(weighted, component, axis=0)
    rest = log_sum_exp_rows(others)
    own = weighted[component]
    precision = precision_matrix(params, component)
    origin = params.means[component]
    finite = np.isfinite(rest)
    lone_rows = np.flatnonzero(~finite)
    lone_linear = np.zeros(len(dims))
    constant = float(rest[finite].sum())
    if lone_rows.size:
        constant += float(own[lone_rows].sum())
        lone_linear = ((X[lone_rows] - origin) @ precision[:, dims]).sum(axis=0)
    used = np.flatnonzero(finite)
    chosen = subsample_rows(used.size, max_points)
    scale = 1.0
    if chosen is not None:
        scale = used.size / chosen.size
        used = used[chosen]
    coefficients = np.empty((used.size, len(dims) + 2))
    coefficients[:, 0] = own[used] - rest[used]
    coefficients[:, 1:-1] = (X[used] - origin) @ precision[:, dims]
    coefficients[:, -1] = 1.0
    return MeanTerms(
        coefficients=coefficients,
        precision=precision[np.ix_(dims, dims)],
        origin=origin[dims].copy(),
        constant=constant,
        lone_linear=lone_linear,
        lone_count=int(lone_rows.size),
        scale=scale,
        subsampled=None if chosen is None else int(chosen.size),
    )


# ------------------------------------------------------------------ evaluating in blocks
def evaluate_blocks(
    work: Callable[[slice], np.ndarray],
    n_items: int,
    items_per_block: int,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """``work`` over consecutive blocks of ``n_items`` items, on the pass threads.

    Blocks run a round at a time (two per pass thread); ``should_stop`` is asked
    between rounds.

    Returns
    -------
    ndarray
        The blocks' results concatenated along the first axis.

    Raises
    ------
    Cancelled
        When ``should_stop()`` turns true.
    """
    size = max(1, int(items_per_block))
    blocks = [slice(start, min(start + size, n_items)) for start in range(0, n_items, size)]
    per_round = 2 * pass_threads()
    results: list[np.ndarray] = []
    for first in range(0, len(blocks), per_round):
        if should_stop is not None and should_stop():
            raise Cancelled("the landscape was cancelled")
        results.extend(map_in_order(work, blocks[first : first + per_round]))
    if not results:
        return np.zeros(0)
    return np.concatenate(results, axis=0)


def items_per_block(points_per_item: int) -> int:
    """How many grid positions one block holds, for ``points_per_item`` points each."""
    return max(1, BLOCK_ELEMENTS // max(1, points_per_item))


def check_dims(params: GMMParams, dims: Sequence[int]) -> list[int]:
    dims = [int(d) for d in dims]
    if not 1 <= len(dims) <= 2 or len(set(dims)) != len(dims):
        raise ParameterError("a landscape moves a mean in one or two distinct dimensions")
    if not all(0 <= d < params.n_features for d in dims):
        raise ParameterError(f"the data have {params.n_features} columns")
    return dims


def check_component(params: GMMParams, component: int) -> None:
    if not 0 <= int(component) < params.n_components:
        raise ParameterError(
            f"component {int(component) + 1} does not exist (there are {params.n_components})"
        )
