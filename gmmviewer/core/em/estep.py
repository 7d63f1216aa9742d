"""The E-step: responsibilities by log-sum-exp, with what the M-step and the bound need.

Pure numpy; no Qt. :func:`e_step` is the E-step the session takes (it keeps the
responsibilities, which the window shows); :func:`e_step_streaming` is the same pass for
headless ``fit``, which drops each chunk's responsibilities once counted so memory stays
O(chunk). Both fuse the E-step with the first half of the M-step: while a chunk's
responsibilities are in cache they are added to the M-step's sufficient statistics.

**Orientation.** Every array over (component, sample) in the core is component-major,
shape (n_components, n_samples): reductions over components are fast row operations and
a chunk of samples is a column slice. The one (n_samples, n_components) array is the
public :attr:`gmmviewer.core.session.em_session.EMSession.responsibilities`, a
transposed view, as scikit-learn's ``predict_proba`` returns. The loops over samples
live in :mod:`gmmviewer.core.em.passes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from gmmviewer.core.em.buffers import ArrayRecycler
from gmmviewer.core.em.diagonal import DiagonalExpansion
from gmmviewer.core.em.gaussian import feature_major_deviations
from gmmviewer.core.em.normalization import (
    chunk_entropy,
    exp_floor_needed,
    lower_constant,
    normalize_below,
    normalize_chunk,
)
from gmmviewer.core.em.passes import (
    CHUNK_SIZE,
    ChunkBuffers,
    ComponentTerms,
    chunks,
    data_bounds,
    pass_chunk_size,
    pass_dtype,
    weighted_log_prob_chunks,
)
from gmmviewer.core.em.quadratic import QuadraticExpansion
from gmmviewer.core.em.statistics import (
    ChunkMoments,
    SufficientStatistics,
    chunk_moments,
    expected_complete_log_likelihood,
)
from gmmviewer.core.parallel.threads import map_in_order, pass_blas_is_small, thread_scratch
from gmmviewer.core.params import GMMParams


@dataclass(frozen=True, eq=False)
class Posterior:
    """What the E-step computes for one set of parameters: q(z) and its by-products.

    Immutable (its arrays, the statistics' included, are read-only), so it can be handed
    between threads and shared between a session's states.

    Attributes
    ----------
    params : GMMParams
        The parameters the responsibilities were computed from.
    resp : ndarray of shape (n_components, n_samples)
        Responsibilities; every column sums to one.
    known_hard : ndarray of shape (n_samples,), int, or None
        Each sample's most responsible component, when the pass computed it; read
        :attr:`hard`, which computes it when needed.
    log_likelihood : float
        Total log-likelihood of ``params``.
    entropy : float
        ``-sum resp * log(resp)``, the entropy term of the evidence lower bound.
    statistics : SufficientStatistics
        Sufficient statistics of ``resp`` around ``params.means``: the next M-step's input.
    """

    params: GMMParams
    resp: np.ndarray
    # None until first read: only the Compare tab and exports need hard assignments, and a
    # session's iteration should not pay for them (see :attr:`hard`).
    known_hard: np.ndarray | None
    log_likelihood: float
    entropy: float
    statistics: SufficientStatistics

    @property
    def hard(self) -> np.ndarray:
        """Each sample's most responsible component (the first on ties), shape (n_samples,).

        Computed on first read from ``resp`` and kept (a benign race between threads: both
        compute the same read-only array).
        """
        if self.known_hard is None:
            object.__setattr__(self, "known_hard", most_responsible(self.resp))
        return self.known_hard  # type: ignore[return-value]

    def lower_bound(self, params: GMMParams) -> float:
        """The evidence lower bound L(q, params) of these responsibilities.

        ``sum_nk r_kn log(pi_k N(x_n | theta_k)) + entropy``, computed from the
        statistics without another pass over the data. It equals the log-likelihood
        for the parameters the responsibilities came from.

        Parameters
        ----------
        params : GMMParams
            Parameters with as many components as the responsibilities.
        """
        return expected_complete_log_likelihood(self.statistics, params) + self.entropy


def e_step(
    X: np.ndarray,
    params: GMMParams,
    chunk_size: int | None = None,
    arrays: ArrayRecycler | None = None,
    *,
    dtype: np.dtype | type | str | None = None,
    threads: int | None = None,
) -> Posterior:
    """The E-step: responsibilities of every sample under ``params``, in one pass.

    The same pass yields the log-likelihood, the hard assignments and the M-step's
    sufficient statistics.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams
    chunk_size : int, optional
        Rows per chunk; by default :func:`~gmmviewer.core.em.passes.pass_chunk_size` of
        the pass's scratch. Sums are added in chunk order, so for a given chunk size the
        results do not depend on the number of threads.
    arrays : ArrayRecycler, optional
        Where the (K, N) responsibilities and the hard assignments are allocated: a
        session passes its own, so an iteration reuses the memory of an earlier one.
    dtype : {None, 'float64', 'float32'}
        The type the pass computes in (and the responsibilities are stored in); None
        means float32 for float32 data and float64 otherwise. Sums (log-likelihood,
        entropy, statistics) are always accumulated in float64.
    threads : int, optional
        Threads for the pass (see :func:`~gmmviewer.core.parallel.threads.map_in_order`).

    Returns
    -------
    Posterior
    """
    n_samples = X.shape[0]
    kind = pass_dtype(X, dtype)
    bounds = data_bounds(X) if n_samples else None
    stats = _statistics_for(params, X, bounds, dtype=kind)
    allocate = np.empty if arrays is None else arrays.empty
    resp = allocate((params.n_components, n_samples), kind)

    def keep(rows: slice, buffers: ChunkBuffers) -> None:
        # Copied, not computed in place: the pass's arithmetic runs faster on the small
        # contiguous buffer than on a column slice of the (K, N) array.
        resp[:, rows] = buffers.scratch

    totals = _e_step_pass(
        X, params, stats, chunk_size, kind, threads, keep, entropy=True, bounds=bounds
    )
    resp.setflags(write=False)
    return Posterior(params, resp, None, totals[0], totals[1], stats.freeze())


def most_responsible(resp: np.ndarray) -> np.ndarray:
    """The index of each column's largest responsibility (the first on ties, as ``argmax``).

    Row-wise maxima and comparisons, fast reductions over a (K, N) array, rather than
    ``np.argmax`` over its first axis, which is several times slower.

    Parameters
    ----------
    resp : ndarray of shape (n_components, n_samples)

    Returns
    -------
    ndarray of shape (n_samples,), intp, read-only
    """
    n_components, n_samples = resp.shape
    hard = np.zeros(n_samples, dtype=np.intp)
    if n_samples and n_components > 1:
        peak = resp.max(axis=0)
        # From the last component to the first, so the first of tied components wins.
        for k in range(n_components - 1, 0, -1):
            hard[resp[k] == peak] = k
        hard[resp[0] == peak] = 0
    hard.setflags(write=False)
    return hard


def e_step_streaming(
    X: np.ndarray,
    params: GMMParams,
    statistics: bool = True,
    chunk_size: int | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    dtype: np.dtype | type | str | None = None,
    threads: int | None = None,
) -> tuple[float, SufficientStatistics | None]:
    """The E-step of headless ``fit``: the pass of :func:`e_step`, responsibilities dropped.

    Each chunk's responsibilities go straight into the M-step's statistics, so
    responsibilities for all N samples are never held at once.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams
    statistics : bool
        When False only the log-likelihood is computed.
    bounds : tuple of ndarray of shape (n_features,), optional
        The data's smallest and largest value per column (see
        :func:`~gmmviewer.core.em.passes.data_bounds`), when the caller already has them.
    dtype, threads
        As for :func:`e_step`.

    Returns
    -------
    log_likelihood : float
        Total log-likelihood of ``params``.
    stats : SufficientStatistics or None
        Centred at ``params.means`` (clipped to the data's bounding box).
    """
    kind = pass_dtype(X, dtype)
    stats = _statistics_for(params, X, bounds, dtype=kind) if statistics else None
    total, _ = _e_step_pass(
        X, params, stats, chunk_size, kind, threads, None, entropy=False, bounds=bounds
    )
    return total, stats


def _statistics_for(
    params: GMMParams,
    X: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
    dtype: np.dtype | None = None,
) -> SufficientStatistics:
    """Empty statistics centred at the means, each clipped to the data's bounding box.

    Moments around a mean far from the data would cancel every significant digit of
    the data in ``x - mu`` (the M-step and the lower bound then subtract huge, nearly
    equal numbers); around a centre inside the box they stay as exact as the data. In
    a float32 pass the centres are the float32 values the deviations are taken from, so
    the statistics describe exactly the centres they name.
    """
    means = np.array(params.means)
    if bounds is None and X.shape[0]:
        bounds = data_bounds(X)
    centres = means if bounds is None else np.clip(means, *bounds)
    if dtype is not None and dtype != np.float64:
        centres = centres.astype(dtype).astype(np.float64)
    return SufficientStatistics(centres, params.covariance_type)


def _e_step_pass(
    X: np.ndarray,
    params: GMMParams,
    stats: SufficientStatistics | None,
    chunk_size: int | None,
    dtype: np.dtype,
    threads: int | None,
    keep: Callable[[slice, ChunkBuffers], None] | None,
    *,
    entropy: bool,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
    expand: bool = True,
) -> tuple[float, float]:
    """One E-step pass on the pass threads: log-likelihood and entropy, ``stats`` filled.

    Every chunk is normalised on some thread into that thread's buffers; ``keep``, when
    given, copies what it needs of them (into its own rows of a larger array) there and
    then. The chunks' sums and moments are combined in chunk order, so the results do
    not depend on the number of threads. ``bounds`` are the data's (computed here when
    an expansion needs them and the caller has not). Diagonal and spherical components
    take the diagonal expansion, full and tied ones the quadratic expansion, where it is
    exact enough; its chunks' sums are added in chunk order and turned into moments
    once, and when those turn out not to be exact enough the pass is repeated without
    it (``expand=False``).
    """
    n_samples = X.shape[0]
    terms = ComponentTerms.of(params, dtype)
    expansion: DiagonalExpansion | QuadraticExpansion | None = None
    if expand and n_samples:
        if bounds is None:
            bounds = data_bounds(X)
        expansion, terms = DiagonalExpansion.for_pass(params, terms, bounds)
        if expansion is None:
            expansion, terms = QuadraticExpansion.for_pass(params, terms, bounds)
    # With an expansion, the product gives every log-density minus the largest any
    # component can reach, which saves normalize_chunk's per-sample maximum.
    ceiling = 0.0
    floor_needed = True
    if expansion is not None:
        ceiling = float(np.max(terms.exact_constant))
        expansion = replace(expansion, weights=lower_constant(expansion.weights, ceiling))
        floor_needed = terms.dtype != np.float64 or exp_floor_needed(
            params, terms.exact_constant, bounds, ceiling
        )
    pass_type, dtype = dtype, terms.dtype
    clipped = np.empty(0, dtype=np.intp)
    centres = None
    if stats is not None:
        centres = stats.centres.astype(dtype)
        clipped = np.flatnonzero(np.any(centres != terms.means, axis=1))
    diagonal_only = stats is not None and stats.second.ndim == 2
    if chunk_size is None:
        n_components, n_features = params.means.shape
        width = (
            n_components * n_features
            if expansion is None
            else n_components + expansion.weights.shape[1]
        )
        chunk_size = pass_chunk_size(width)
    # Scratch depends only on the shapes and the type; every chunk overwrites all of it.
    key = (params.n_components, params.n_features, dtype)

    def chunk(rows: slice) -> tuple[float, float, ChunkMoments | np.ndarray | None]:
        size = rows.stop - rows.start
        X_rows = X[rows]
        if expansion is not None:
            scratch = (key, size, type(expansion).__name__)
            buffers, features = thread_scratch(scratch, lambda: expansion.scratch(terms, size))
            expansion.fill(X_rows, features, buffers.weighted)
            norm = normalize_below(buffers, ceiling, floor_needed)
            shifted = buffers.shifted if floor_needed else buffers.weighted
            if norm is None:
                norm = normalize_chunk(buffers)
                norm += ceiling
                shifted = buffers.shifted
        else:
            buffers = thread_scratch((key, size), lambda: terms.buffers(size))
            terms.fill(X_rows, buffers)
            norm = normalize_chunk(buffers)
            shifted = buffers.shifted
        total = float(norm.sum(dtype=np.float64))
        chunk_entropy_value = chunk_entropy(buffers, shifted) if entropy else 0.0
        if keep is not None:
            keep(rows, buffers)
        moments = None
        if stats is not None and expansion is not None:
            moments = expansion.raw_moments(features, buffers.scratch)
        elif stats is not None:
            if clipped.size:
                # Deviations from the clipped centres, for the components far from the data.
                buffers.deviations[clipped] = feature_major_deviations(X_rows, centres[clipped])
            moments = chunk_moments(
                buffers.deviations, buffers.scratch, diagonal_only, buffers.work
            )
        return total, chunk_entropy_value, moments

    total = 0.0
    entropy_total = 0.0
    raw = None
    small = pass_blas_is_small(n_samples, params.n_components, params.n_features)
    for chunk_total, chunk_entropy_value, moments in map_in_order(
        chunk, list(chunks(n_samples, chunk_size)), threads, small_blas=small
    ):
        total += chunk_total
        entropy_total += chunk_entropy_value
        if isinstance(moments, ChunkMoments):
            stats.add_moments(moments)
        elif moments is not None:
            raw = moments if raw is None else np.add(raw, moments, out=raw)
    if expansion is not None and raw is not None:
        combined = expansion.moments(raw, n_samples, stats.centres)
        if combined is None:
            again = (X, params, stats, chunk_size, pass_type, threads, keep)
            return _e_step_pass(*again, entropy=entropy, bounds=bounds, expand=False)
        stats.add_moments(combined)
    return total, entropy_total


def posterior(
    X: np.ndarray, params: GMMParams, chunk_size: int = CHUNK_SIZE
) -> tuple[np.ndarray, float, float]:
    """Responsibilities under ``params`` as a tuple (the form the views use).

    Returns
    -------
    resp : ndarray of shape (n_components, n_samples)
        Read-only.
    entropy : float
        ``-sum resp * log(resp)``.
    log_likelihood : float
    """
    result = e_step(X, params, chunk_size)
    return result.resp, result.entropy, result.log_likelihood


def weighted_log_prob(
    X: np.ndarray, params: GMMParams, chunk_size: int = CHUNK_SIZE
) -> tuple[np.ndarray, float]:
    """``log pi_k + log N(x_n | mu_k, Sigma_k)`` for every component and sample.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams

    Returns
    -------
    weighted : ndarray of shape (n_components, n_samples)
    log_likelihood : float
        Total log-likelihood of ``params``, computed on the way.
    """
    out = np.empty((params.n_components, X.shape[0]))
    total = 0.0
    for rows, buffers in weighted_log_prob_chunks(X, params, chunk_size):
        out[:, rows] = buffers.weighted
        total += float(normalize_chunk(buffers).sum())
    return out, total


def logsumexp_components(weighted: np.ndarray) -> np.ndarray:
    """Log of the sum over components of ``exp(weighted)``, stably (allocating; for small arrays).

    Parameters
    ----------
    weighted : ndarray of shape (n_components, n_samples)

    Returns
    -------
    log_prob_norm : ndarray of shape (n_samples,)
    """
    peak = weighted.max(axis=0)
    peak[~np.isfinite(peak)] = 0.0
    total = np.exp(weighted - peak).sum(axis=0)
    return np.log(total) + peak


def mixture_log_density(
    X: np.ndarray, params: GMMParams, chunk_size: int = CHUNK_SIZE
) -> np.ndarray:
    """Log-density of the mixture at every sample.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
    """
    out = np.empty(X.shape[0])
    for rows, buffers in weighted_log_prob_chunks(X, params, chunk_size):
        out[rows] = normalize_chunk(buffers)
    return out


def explain_point(x: np.ndarray, params: GMMParams) -> dict[str, np.ndarray]:
    """The E-step for one sample, term by term, for the point inspector.

    Parameters
    ----------
    x : ndarray of shape (n_features,)
    params : GMMParams

    Returns
    -------
    dict with arrays of shape (n_components,)
        ``weights`` (pi_k), ``log_density`` (log N(x | mu_k, Sigma_k)),
        ``weighted`` (pi_k N(x | mu_k, Sigma_k), may underflow to 0),
        ``log_weighted`` and ``responsibilities`` (computed in log space).
    """
    weighted, _ = weighted_log_prob(np.asarray(x, dtype=float).reshape(1, -1), params)
    log_weighted = weighted[:, 0]
    log_norm = float(logsumexp_components(weighted)[0])
    logw = np.log(np.maximum(params.weights, np.finfo(float).tiny))
    return {
        "weights": np.array(params.weights),
        "log_density": log_weighted - logw,
        "log_weighted": log_weighted,
        "weighted": np.exp(log_weighted),
        "responsibilities": np.exp(log_weighted - log_norm),
    }
