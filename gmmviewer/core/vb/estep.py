"""The variational E-step: responsibilities from the expected log-densities, in one chunked pass.

Pure numpy/scipy; no Qt. For every sample and component the E-step scores
``E[log pi_k] + E[log N(x_n | mu_k, Lambda_k^-1)]`` under the current variational
parameters (scikit-learn's ``_estimate_weighted_log_prob``) and normalises by
log-sum-exp. The samples are walked in chunks of
:data:`~gmmviewer.core.em.passes.CHUNK_SIZE` rows with buffers allocated once per pass,
and each chunk's responsibilities go straight into the M-step's sufficient statistics
and the entropy, so the M-step and the lower bound need no further pass. The chunks run
on the EM passes' thread pool, combined in chunk order. As in
:mod:`gmmviewer.core.em.estep`, every (component, sample) array is component-major,
shape (n_components, n_samples).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.gaussian import feature_major_deviations, squared_mahalanobis
from gmmviewer.core.em.passes import CHUNK_SIZE, chunks
from gmmviewer.core.em.statistics import ChunkMoments, SufficientStatistics, chunk_moments
from gmmviewer.core.parallel.threads import map_in_order, thread_scratch
from gmmviewer.core.vb.bound import lower_bound
from gmmviewer.core.vb.priors import VariationalPriors
from gmmviewer.core.vb.statistics import statistics_centres
from gmmviewer.core.vb.variational import VariationalParams

#: Terms more than this far below a sample's largest are raised to it: they cannot change
#: a sum of doubles, and exp() of smaller numbers takes a slow path through subnormals.
_EXP_FLOOR = -700.0

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True, eq=False)
class VariationalPosterior:
    """What the variational E-step computes for one set of variational parameters.

    Immutable (its arrays, the statistics' included, are read-only).

    Attributes
    ----------
    variational : VariationalParams
        The parameters the responsibilities were computed from.
    resp : ndarray of shape (n_components, n_samples)
        Responsibilities; every column sums to one.
    hard : ndarray of shape (n_samples,), int
        Each sample's most responsible component (the first on ties).
    log_prob_norm : float
        ``sum_n log sum_k exp(E[log pi_k] + E[log N(x_n | k)])``; scikit-learn's
        ``_e_step`` reports its mean.
    entropy : float
        ``-sum r log r``, the entropy term of the lower bound.
    statistics : SufficientStatistics
        Sufficient statistics of ``resp``: the next M-step's input.
    """

    variational: VariationalParams
    resp: np.ndarray
    hard: np.ndarray
    log_prob_norm: float
    entropy: float
    statistics: SufficientStatistics

    def lower_bound(self, variational: VariationalParams, priors: VariationalPriors) -> float:
        """The evidence lower bound of these responsibilities with ``variational``.

        With ``self.variational`` it is the bound after this E-step; with the parameters
        the next M-step computes from ``self.statistics``, the bound after that M-step
        (scikit-learn's ``lower_bound_``). No pass over the data is needed.
        """
        return lower_bound(variational, self.statistics, self.entropy, priors)


def expected_log_density_offsets(variational: VariationalParams) -> np.ndarray:
    """The part of ``E[log N(x | mu_k, Lambda_k^-1)]`` that does not depend on x.

    ``0.5 E[log |Lambda_k|] - 0.5 D / beta_k - 0.5 D log(2 pi)``; the rest is
    ``-0.5 (x - m_k)^T nu_k W_k (x - m_k)``, the squared Mahalanobis distance under the
    expected precision.

    Returns
    -------
    offsets : ndarray of shape (n_components,)
    """
    d = variational.n_features
    log_det = np.broadcast_to(variational.expected_log_det_precision(), variational.n_components)
    return 0.5 * log_det - 0.5 * d / variational.mean_precision - 0.5 * d * _LOG_2PI


@dataclass
class _ChunkBuffers:
    deviations: np.ndarray  # (K, D, size)
    work: np.ndarray  # (K, D, size)
    weighted: np.ndarray  # (K, size)
    shifted: np.ndarray  # (K, size)
    resp: np.ndarray  # (K, size)
    peak: np.ndarray  # (size,)
    log_sum: np.ndarray  # (size,)
    norm: np.ndarray  # (size,)

    @classmethod
    def allocate(cls, n_components: int, n_features: int, size: int) -> _ChunkBuffers:
        return cls(
            np.empty((n_components, n_features, size)),
            np.empty((n_components, n_features, size)),
            np.empty((n_components, size)),
            np.empty((n_components, size)),
            np.empty((n_components, size)),
            np.empty(size),
            np.empty(size),
            np.empty(size),
        )


def _weighted_log_prob_chunks(
    X: np.ndarray, variational: VariationalParams, chunk_size: int
) -> Iterator[tuple[slice, _ChunkBuffers]]:
    """Yield ``(rows, buffers)`` with ``buffers.weighted`` holding the scores of the rows.

    ``buffers.deviations`` holds ``x - m_k``. The buffers are reused: a consumer must
    finish with one chunk before asking for the next.
    """
    n_samples, n_features = X.shape
    n_components = variational.n_components
    kind = variational.covariance_type
    factors = variational.precisions_cholesky
    constant = variational.expected_log_weights() + expected_log_density_offsets(variational)
    constant = constant[:, None]
    size = min(chunk_size, n_samples)
    buffers = _ChunkBuffers.allocate(n_components, n_features, size)
    for rows in chunks(n_samples, chunk_size):
        if rows.stop - rows.start != size:
            size = rows.stop - rows.start
            buffers = _ChunkBuffers.allocate(n_components, n_features, size)
        feature_major_deviations(X[rows], variational.means, out=buffers.deviations)
        weighted = squared_mahalanobis(
            buffers.deviations, factors, kind, work=buffers.work, out=buffers.weighted
        )
        weighted *= -0.5
        weighted += constant
        yield rows, buffers


def _normalize(buffers: _ChunkBuffers) -> float:
    """Responsibilities into ``buffers.resp``, log-densities into ``buffers.norm``.

    Returns the chunk's entropy ``sum_n log_sum_n - sum_kn r_kn shifted_kn`` (with
    ``log r = shifted - log_sum``): both sums are of moderate terms, since the peak,
    which may be huge, has cancelled out of ``shifted`` exactly.
    """
    np.max(buffers.weighted, axis=0, out=buffers.peak)
    np.subtract(buffers.weighted, buffers.peak, out=buffers.shifted)
    np.maximum(buffers.shifted, _EXP_FLOOR, out=buffers.shifted)
    np.exp(buffers.shifted, out=buffers.resp)
    np.sum(buffers.resp, axis=0, out=buffers.norm)
    buffers.resp /= buffers.norm
    np.log(buffers.norm, out=buffers.log_sum)
    np.add(buffers.log_sum, buffers.peak, out=buffers.norm)
    return float(buffers.log_sum.sum()) - float(np.einsum("kn,kn->", buffers.resp, buffers.shifted))


def _e_step_pass(
    X: np.ndarray,
    variational: VariationalParams,
    stats: SufficientStatistics,
    chunk_size: int,
    keep: Callable[[slice, _ChunkBuffers], None] | None = None,
) -> tuple[float, float]:
    """One E-step pass on the pass threads: ``(log_prob_norm, entropy)``, ``stats`` filled.

    The same pass as the EM E-step's (:func:`gmmviewer.core.parallel.threads.map_in_order`):
    every chunk is scored and normalised on some thread into that thread's buffers,
    ``keep`` copies what it needs there and then, and the chunks' sums and moments are
    combined in chunk order, so the results do not depend on the number of threads.
    """
    n_samples, n_features = X.shape
    n_components = variational.n_components
    kind = variational.covariance_type
    factors = variational.precisions_cholesky
    means = variational.means
    constant = variational.expected_log_weights() + expected_log_density_offsets(variational)
    constant = constant[:, None]
    moved = np.flatnonzero(np.any(stats.centres != means, axis=1))
    diagonal_only = stats.second.ndim == 2

    def chunk(rows: slice) -> tuple[float, float, ChunkMoments]:
        size = rows.stop - rows.start
        buffers = thread_scratch(
            ("variational", n_components, n_features, size),
            lambda: _ChunkBuffers.allocate(n_components, n_features, size),
        )
        X_rows = X[rows]
        feature_major_deviations(X_rows, means, out=buffers.deviations)
        weighted = squared_mahalanobis(
            buffers.deviations, factors, kind, work=buffers.work, out=buffers.weighted
        )
        weighted *= -0.5
        weighted += constant
        entropy = _normalize(buffers)
        total = float(buffers.norm.sum())
        if keep is not None:
            keep(rows, buffers)
        if moved.size:
            # Deviations from the clipped centres, for the components far from the data.
            buffers.deviations[moved] = feature_major_deviations(X_rows, stats.centres[moved])
        moments = chunk_moments(buffers.deviations, buffers.resp, diagonal_only, buffers.work)
        return total, entropy, moments

    total = 0.0
    entropy = 0.0
    for chunk_total, chunk_entropy, moments in map_in_order(
        chunk, list(chunks(n_samples, chunk_size))
    ):
        total += chunk_total
        entropy += chunk_entropy
        stats.add_moments(moments)
    return total, entropy


def e_step(
    X: np.ndarray,
    variational: VariationalParams,
    chunk_size: int = CHUNK_SIZE,
    centres: np.ndarray | None = None,
) -> VariationalPosterior:
    """The variational E-step, keeping the responsibilities (the form a session shows).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    variational : VariationalParams
    chunk_size : int
        Samples per chunk.
    centres : ndarray of shape (n_components, n_features), optional
        Centres of the statistics' moments; default the means clipped to the data's
        bounding box.

    Returns
    -------
    VariationalPosterior
    """
    n_samples = X.shape[0]
    stats = _new_statistics(X, variational, centres)
    resp = np.empty((variational.n_components, n_samples))
    hard = np.empty(n_samples, dtype=np.intp)

    def keep(rows: slice, buffers: _ChunkBuffers) -> None:
        resp[:, rows] = buffers.resp
        np.argmax(buffers.resp, axis=0, out=hard[rows])

    total, entropy = _e_step_pass(X, variational, stats, chunk_size, keep)
    resp.setflags(write=False)
    hard.setflags(write=False)
    return VariationalPosterior(variational, resp, hard, total, entropy, stats.freeze())


def e_step_streaming(
    X: np.ndarray,
    variational: VariationalParams,
    chunk_size: int = CHUNK_SIZE,
    centres: np.ndarray | None = None,
) -> tuple[float, float, SufficientStatistics]:
    """The pass of :func:`e_step` with each chunk's responsibilities dropped once counted.

    Memory stays O(chunk x K) beyond the data: what headless fitting of millions of
    points needs.

    Returns
    -------
    log_prob_norm : float
        As :attr:`VariationalPosterior.log_prob_norm`.
    entropy : float
    statistics : SufficientStatistics
    """
    stats = _new_statistics(X, variational, centres)
    total, entropy = _e_step_pass(X, variational, stats, chunk_size)
    return total, entropy, stats.freeze()


def log_responsibilities(
    X: np.ndarray, variational: VariationalParams, chunk_size: int = CHUNK_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Log-responsibilities, exact even where the responsibilities underflow.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    variational : VariationalParams

    Returns
    -------
    log_resp : ndarray of shape (n_components, n_samples)
        scikit-learn's ``log_resp``, transposed.
    log_prob_norm : ndarray of shape (n_samples,)
        ``log sum_k exp(E[log pi_k] + E[log N(x_n | k)])`` per sample.
    """
    log_resp = np.empty((variational.n_components, X.shape[0]))
    log_norm = np.empty(X.shape[0])
    for rows, buffers in _weighted_log_prob_chunks(X, variational, chunk_size):
        _normalize(buffers)
        log_norm[rows] = buffers.norm
        np.subtract(buffers.weighted, buffers.norm, out=log_resp[:, rows])
    return log_resp, log_norm


def _new_statistics(
    X: np.ndarray, variational: VariationalParams, centres: np.ndarray | None
) -> SufficientStatistics:
    if centres is None:
        centres = statistics_centres(X, variational.means) if X.shape[0] else variational.means
    return SufficientStatistics(np.array(centres, dtype=float), variational.covariance_type)
