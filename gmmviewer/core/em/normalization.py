"""Responsibilities of a chunk by log-sum-exp, below a ceiling or by each sample's peak.

Pure numpy; no Qt. A chunk's weighted log-densities (``log pi_k + log N(x | k)``, from
:mod:`~gmmviewer.core.em.passes` or an expansion) become responsibilities, each sample's
log-density and the terms of the entropy. :func:`normalize_chunk` subtracts each sample's
largest term; :func:`normalize_below` takes log-densities already lowered by an upper
bound of all of them (:func:`lower_constant` folds it into an expansion's weights), which
saves two of its eight passes over the chunk, and refuses the rare chunk it cannot do
exactly. Terms far below the largest are raised to an exp floor
(:data:`~gmmviewer.core.em.passes.EXP_FLOORS`), which :func:`exp_floor_needed` shows
unnecessary for most data.
"""

from __future__ import annotations

import math

import numpy as np

from gmmviewer.core.em.passes import EXP_FLOORS, ChunkBuffers
from gmmviewer.core.params import GMMParams

#: Per dtype, the smallest sum of terms below a ceiling that :func:`normalize_below`
#: accepts: a sample whose largest term lies within 40 (float64) or 17 (float32) of the
#: exp floor would have its raised terms (``e^floor``) change its sum by more than a unit
#: in the last place.
_SMALLEST_EXACT_SUMS = {
    np.dtype(np.float64): math.exp(-700.0 + 40.0),
    np.dtype(np.float32): math.exp(-87.0 + 17.0),
}


#: Up to this many features :func:`exp_floor_needed` looks at every corner of the box.
_BOX_CORNER_FEATURES = 6


def exp_floor_needed(
    params: GMMParams, constant: np.ndarray, bounds: tuple[np.ndarray, np.ndarray], ceiling: float
) -> bool:
    """Whether some sample in the data's box could have a term below the exp floor.

    A squared Mahalanobis distance is a convex function of the sample, so over the
    data's bounding box it is largest at a corner: up to :data:`_BOX_CORNER_FEATURES`
    features every corner is evaluated; beyond, with ``r_kd`` the farthest the box
    reaches from ``mu_k`` along axis d and ``U_k`` the precision's Cholesky factor,
    ``|| |U_k|^T r_k ||^2`` bounds it. ``constant_k`` minus half that bounds component
    k's weighted log-densities from below. When every bound lies above the floor (with
    a margin of 1 for rounding) relative to ``ceiling``, no term can reach the slow
    subnormal range of ``exp`` and :func:`normalize_below` need not raise them: one pass
    over the chunk less. A fit under way usually has its data within about 35 standard
    deviations of every component.

    Parameters
    ----------
    params : GMMParams
    constant : ndarray of shape (n_components, 1)
        As :attr:`ComponentTerms.exact_constant`.
    bounds : tuple of ndarray of shape (n_features,)
        The data's smallest and largest value per column.
    ceiling : float
    """
    low, high = (np.asarray(bound, dtype=np.float64) for bound in bounds)
    means = params.means
    n_components, n_features = means.shape
    factors = params.precisions_cholesky
    kind = params.covariance_type
    if kind == "tied":
        factors = np.broadcast_to(factors, (n_components, n_features, n_features))
    elif kind == "diag":
        factors = factors[:, None, :] * np.eye(n_features)
    elif kind == "spherical":
        factors = factors[:, None, None] * np.eye(n_features)
    with np.errstate(over="ignore", invalid="ignore"):
        if n_features <= _BOX_CORNER_FEATURES:
            corners = np.array(np.meshgrid(*zip(low, high, strict=True), indexing="ij"))
            offsets = corners.reshape(n_features, -1).T[None] - means[:, None, :]
            distances = np.sum(np.matmul(offsets, factors) ** 2, axis=2).max(axis=1)
        else:
            reach = np.maximum(np.abs(low - means), np.abs(high - means))
            spread = np.einsum("kij,ki->kj", np.abs(factors), reach)
            distances = np.sum(spread**2, axis=1)
        lowest = constant.reshape(-1) - 0.5 * distances - ceiling
        return not bool(np.all(lowest >= EXP_FLOORS[np.dtype(np.float64)] + 1.0))


def normalize_below(
    buffers: ChunkBuffers, ceiling: float, floor_needed: bool = True
) -> np.ndarray | None:
    """:func:`normalize_chunk` for log-densities already lowered by an upper bound of them.

    ``buffers.weighted`` holds ``log pi_k + log N(x | k) - ceiling`` with ``ceiling``
    at least every component's largest weighted log-density (``log pi_k - 1/2 log|2 pi
    Sigma_k|``), so no term is positive and ``exp`` cannot overflow without the
    per-sample maximum and the subtraction of it that :func:`normalize_chunk` needs
    (two of its eight passes over the chunk). Terms are raised to the exp floor as
    there, unless ``floor_needed`` is False (:func:`exp_floor_needed`): the terms
    :func:`chunk_entropy` needs are then those in ``buffers.weighted``, not
    ``buffers.shifted``. ``buffers.peak`` is left alone.

    Returns
    -------
    norm : ndarray of shape (size,) or None
        ``log sum_k exp(weighted[k]) + ceiling`` (a view of ``buffers.norm``); None,
        with nothing usable in the buffers but ``weighted``, when a sample's terms all
        lie so far below the ceiling that the floor could change its sum (a sample
        about 36 standard deviations from every component), or a term is NaN: the
        caller then takes :func:`normalize_chunk` for the chunk.
    """
    weighted, resp, norm, shifted = buffers.weighted, buffers.scratch, buffers.norm, buffers.shifted
    if floor_needed:
        np.maximum(weighted, buffers.floor, out=shifted)
    else:
        shifted = weighted
    np.exp(shifted, out=resp)
    np.sum(resp, axis=0, out=norm)
    # min() is NaN when a term is: refused as well.
    if not float(norm.min()) >= _SMALLEST_EXACT_SUMS[weighted.dtype]:
        return None
    np.reciprocal(norm, out=buffers.inverse)
    resp *= buffers.inverse
    np.log(norm, out=buffers.log_sum)
    np.add(buffers.log_sum, ceiling, out=norm)
    return norm


def lower_constant(weights: np.ndarray, ceiling: float) -> np.ndarray:
    """An expansion's weights with ``ceiling`` subtracted from the constant column.

    Parameters
    ----------
    weights : ndarray of shape (n_components, F)
        Column 0 multiplies the ones feature.

    Returns
    -------
    ndarray of shape (n_components, F)
        A new array: the product then gives the log-densities minus ``ceiling``, which
        :func:`normalize_below` takes.
    """
    lowered = np.array(weights)
    lowered[:, 0] -= lowered.dtype.type(ceiling)
    return lowered


def normalize_chunk(buffers: ChunkBuffers) -> np.ndarray:
    """Log-sum-exp over components, and responsibilities into ``buffers.scratch``.

    ``buffers.weighted`` is left as it was. Afterwards ``buffers.peak`` holds each
    sample's largest weighted log-density, ``buffers.shifted`` the log-densities minus
    that peak and ``buffers.log_sum`` the log of the sum of their exponentials, for
    :func:`chunk_entropy`.

    Terms more than 700 below a sample's largest are raised to ``e^-700`` times the
    largest (they cannot change a sum of doubles). So a sample whose weighted
    log-densities are all -inf does not keep -inf: its peak is taken as 0, every term
    becomes ``e^-700``, its responsibilities are ``1 / K`` each and its log-density is
    ``-700 + log K`` (-699.3 for K = 2), finite. Only a NaN among a sample's terms gives
    it equal responsibilities and a log-density of -inf.

    Parameters
    ----------
    buffers : ChunkBuffers
        With ``weighted`` filled by :func:`weighted_log_prob_chunks`.

    Returns
    -------
    norm : ndarray of shape (size,)
        ``log sum_k exp(weighted[k])``, the log-density of each sample (a view of
        ``buffers.norm``).
    """
    weighted, resp, norm, peak = buffers.weighted, buffers.scratch, buffers.norm, buffers.peak
    shifted = buffers.shifted
    np.max(weighted, axis=0, out=peak)
    # An all -inf (or NaN) sample would give -inf - (-inf) = NaN below. The sum of the
    # peaks (log-densities, far from overflow) is finite exactly when every peak is, and
    # costs one reduction instead of two temporary arrays per chunk.
    if not math.isfinite(float(peak.sum())):
        peak[~np.isfinite(peak)] = 0.0
    np.subtract(weighted, peak, out=shifted)
    # exp() of very negative numbers takes a slow path through subnormals; terms below
    # e^-700 (relative to the largest) cannot change a sum of doubles anyway.
    np.maximum(shifted, buffers.floor, out=shifted)
    np.exp(shifted, out=resp)
    np.sum(resp, axis=0, out=norm)
    # Every sum is positive (the floor), so only a NaN term makes the total NaN; a sum
    # finds one faster than min() does (2 against 5.5 us for 8192 samples).
    if math.isnan(float(norm.sum())):
        # Share such a sample equally rather than spread the NaN.
        lost = ~(norm > 0.0)
        resp[:, lost] = 1.0
        shifted[:, lost] = 0.0
        norm[lost] = resp.shape[0]
        peak[lost] = -np.inf
    # One reciprocal per sample, then a multiply per entry: cheaper than K divisions.
    np.reciprocal(norm, out=buffers.inverse)
    resp *= buffers.inverse
    np.log(norm, out=buffers.log_sum)
    np.add(buffers.log_sum, peak, out=norm)
    return norm


def chunk_entropy(buffers: ChunkBuffers, shifted: np.ndarray | None = None) -> float:
    """``-sum r log r`` over a chunk just normalised by :func:`normalize_chunk`.

    ``log r_kn = shifted_kn - log_sum_n``, so the entropy is
    ``sum_n log_sum_n - sum_kn r_kn shifted_kn``. Both sums are of moderate terms (the
    peak, which may be huge when a component is very narrow, has cancelled out of
    ``shifted`` exactly), so the result keeps its accuracy where ``log p(x) - E_r[log
    p(x, z)]`` would lose it all. ``shifted`` replaces ``buffers.shifted`` where
    :func:`normalize_below` left the terms elsewhere.
    """
    # einsum, not vdot: a BLAS dot may be split over threads, and waiting for a busy
    # second core made this line dominate the E-step on a loaded machine. Summed in
    # float64 whatever the pass's type.
    return float(buffers.log_sum.sum(dtype=np.float64)) - float(
        np.einsum(
            "kn,kn->",
            buffers.scratch,
            buffers.shifted if shifted is None else shifted,
            dtype=np.float64,
        )
    )
