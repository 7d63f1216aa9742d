"""Chunked passes over the data with reused buffers: the hot loops of EM.

Pure numpy; no Qt. Every pass walks the samples in chunks of :data:`CHUNK_SIZE` rows
and writes into buffers allocated once per pass. Allocating fresh (K, D, chunk)
temporaries for every chunk costs more than the arithmetic itself (each one is a new
memory mapping that page-faults on first touch), so the buffers are what make a
million-point iteration take a fraction of a second.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.gaussian import (
    LOG_2PI,
    log_det_precision_cholesky,
    squared_mahalanobis,
)
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.limits import MAX_FLOAT32_DATA_MAGNITUDE
from gmmviewer.core.params import GMMParams

#: Per dtype, how far below a sample's largest term a term may fall before it is raised
#: (:mod:`~gmmviewer.core.em.normalization`):
#: exp() of anything lower takes a slow path through subnormal numbers, and such a term
#: cannot change the sum (e^-700 against 1 in float64, e^-87 against 1 in float32).
EXP_FLOORS = {np.dtype(np.float64): -700.0, np.dtype(np.float32): -87.0}

#: The floating-point types a pass can run in.
PASS_DTYPES = tuple(EXP_FLOORS)

#: Rows per chunk where a caller does not choose (k-means, the VB passes, the helpers
#: below): buffers of shape (K, D, CHUNK_SIZE) stay within a few MB.
CHUNK_SIZE = 8192

#: Scratch values per chunk an E-step pass aims at (3.1 MiB in float64): see
#: :func:`pass_chunk_size`.
CHUNK_ENTRIES = 409_600
#: The fewest and the most rows :func:`pass_chunk_size` gives.
CHUNK_ROWS_RANGE = (1024, 65536)


def chunks(n_samples: int, chunk_size: int = CHUNK_SIZE) -> Iterator[slice]:
    """Consecutive slices covering ``range(n_samples)``."""
    for start in range(0, n_samples, chunk_size):
        yield slice(start, min(start + chunk_size, n_samples))


def pass_chunk_size(width: int) -> int:
    """Rows per chunk of an E-step pass whose scratch holds ``width`` values per sample.

    The largest power of two that keeps ``width * rows`` within :data:`CHUNK_ENTRIES`,
    within :data:`CHUNK_ROWS_RANGE`. Fewer, larger chunks matter on the pass threads:
    every numpy call of a chunk takes the GIL, and at N = 1e6, K = 5, D = 2 (width 11)
    a pass on two threads took 22 ms with 8,192 rows per chunk and 13 ms with 32,768,
    where one thread took 19 ms either way. Larger still, the scratch leaves the cache:
    with K = 20 (width 26) 8,192 rows were fastest, and with K = 20, D = 10 on the
    deviation path (width K D = 200) 2,048.

    Parameters
    ----------
    width : int
        Scratch values per sample: ``K + F`` for an expansion with F features, ``K D``
        for the deviations of the exact path.
    """
    rows = max(CHUNK_ENTRIES // max(width, 1), 1)
    low, high = CHUNK_ROWS_RANGE
    return min(max(1 << (rows.bit_length() - 1), low), high)


def log_weights(params: GMMParams) -> np.ndarray:
    """Log mixing weights, shape (n_components,).

    A weight of exactly zero would give -inf and then NaN in ``-inf - (-inf)``, so it is
    floored at the smallest positive double.
    """
    return np.log(np.maximum(params.weights, np.finfo(float).tiny))


@dataclass
class ChunkBuffers:
    """Scratch arrays for one chunk of ``size`` samples.

    Attributes
    ----------
    deviations, work : ndarray of shape (n_components, n_features, size)
    weighted, scratch, shifted : ndarray of shape (n_components, size)
    norm, peak, inverse, log_sum : ndarray of shape (size,)
    floor : ndarray of shape (size,)
        The exp floor of the type (see :data:`EXP_FLOORS`) in every entry, filled once:
        numpy's maximum against a scalar runs without SIMD, four times slower than
        against a row (21 against 5 us for a 5 x 8192 chunk).
    transposed : ndarray of shape (n_features, size)
        The chunk's samples, feature-major (see :meth:`ComponentTerms.fill`).
    """

    deviations: np.ndarray
    work: np.ndarray
    weighted: np.ndarray
    scratch: np.ndarray
    shifted: np.ndarray
    norm: np.ndarray
    peak: np.ndarray
    inverse: np.ndarray
    log_sum: np.ndarray
    transposed: np.ndarray
    floor: np.ndarray

    @classmethod
    def allocate(
        cls,
        n_components: int,
        n_features: int,
        size: int,
        dtype: np.dtype | type = np.float64,
        deviations: bool = True,
    ) -> ChunkBuffers:
        """Buffers for chunks of ``size`` samples, computing in ``dtype``.

        Without ``deviations`` (an expansion's pass, which never forms ``x - mu_k``),
        ``deviations``, ``work`` and ``transposed`` are empty: 5 MB less per pass thread
        at K = 5, D = 2.
        """
        wide = size if deviations else 0
        return cls(
            np.empty((n_components, n_features, wide), dtype),
            np.empty((n_components, n_features, wide), dtype),
            np.empty((n_components, size), dtype),
            np.empty((n_components, size), dtype),
            np.empty((n_components, size), dtype),
            np.empty(size, dtype),
            np.empty(size, dtype),
            np.empty(size, dtype),
            np.empty(size, dtype),
            np.empty((n_features, wide), dtype),
            np.full(size, EXP_FLOORS[np.dtype(dtype)], dtype),
        )


class FeatureExpansion:
    """What the diagonal and quadratic expansions share: log-densities as products.

    An expansion has ``weights`` of shape (n_components, F), one row per component over
    F per-sample features whose first is the constant 1, and computes in ``dtype``
    (:class:`~gmmviewer.core.em.diagonal.DiagonalExpansion`,
    :class:`~gmmviewer.core.em.quadratic.QuadraticExpansion`).
    """

    weights: np.ndarray
    dtype: np.dtype

    def scratch(self, terms: ComponentTerms, size: int) -> tuple[ChunkBuffers, np.ndarray]:
        """Newly allocated buffers and features for chunks of ``size`` samples.

        Returns
        -------
        buffers : ChunkBuffers
            In ``terms.dtype``, without the deviation buffers (an expansion forms no
            ``x - mu_k``).
        features : ndarray of shape (F, size)
            Its first row already holds the ones, which no chunk overwrites; the
            expansion's ``fill`` writes the others.
        """
        features = np.empty((self.weights.shape[1], size), self.dtype)
        features[0] = 1.0
        return terms.buffers(size, deviations=False), features


#: Below this many components, :func:`feature_sums` takes one matrix-vector product per
#: component: OpenBLAS's matrix kernels work on blocks of 4 or 8 rows, and with K = 5
#: the (K, n) x (n, F) product ran at 0.90 ns per sample and component against 0.70
#: for five matrix-vector products (K = 3: 1.36 against 0.69; K = 20: 0.54 against 0.62).
FEATURE_SUMS_BY_ROW = 8


def feature_sums(resp: np.ndarray, features: np.ndarray) -> np.ndarray:
    """``sum_n r_kn f_n``: every component's sums of the chunk's features.

    Parameters
    ----------
    resp : ndarray of shape (n_components, size), float64
    features : ndarray of shape (F, size), float64

    Returns
    -------
    sums : ndarray of shape (n_components, F)
    """
    n_components = resp.shape[0]
    # np.dot, not matmul: matmul keeps the GIL for a small output like this one, which
    # stopped the other pass thread for the whole product.
    if n_components >= FEATURE_SUMS_BY_ROW:
        return np.dot(resp, features.T)
    sums = np.empty((n_components, features.shape[0]), np.result_type(resp, features))
    for k in range(n_components):
        np.dot(features, resp[k], out=sums[k])
    return sums


#: The names of the types a session or a fit can compute its passes in.
PASS_DTYPE_NAMES = ("float64", "float32")


def check_pass_dtype(dtype: object) -> str:
    """The name of a pass type, 'float64' or 'float32'.

    Raises
    ------
    ParameterError
        For anything else.
    """
    name = str(dtype)
    if name not in PASS_DTYPE_NAMES:
        raise ParameterError(f"dtype must be float64 or float32, not {name!r}")
    return name


def pass_data(X: np.ndarray, dtype: str) -> np.ndarray:
    """``X`` as a float32 pass reads it (a read-only copy), or ``X`` itself for float64.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    dtype : {'float64', 'float32'}

    Raises
    ------
    ParameterError
        If a float32 pass could overflow on these data.
    """
    if check_pass_dtype(dtype) == "float64" or X.dtype == np.float32:
        return X
    low, high = data_bounds(X) if X.size else (np.zeros(1), np.zeros(1))
    largest = float(max(np.max(np.abs(low)), np.max(np.abs(high))))
    if largest > MAX_FLOAT32_DATA_MAGNITUDE:
        raise ParameterError(
            f"the data reach {largest:.3g}, too large for float32 (at most "
            f"{MAX_FLOAT32_DATA_MAGNITUDE:.0e}); use float64"
        )
    copy = X.astype(np.float32)
    copy.setflags(write=False)
    return copy


def pass_dtype(X: np.ndarray, dtype: np.dtype | type | str | None = None) -> np.dtype:
    """The type a pass over ``X`` computes in: ``dtype``, else float32 for float32 data.

    Raises
    ------
    ValueError
        For a type other than float64 or float32.
    """
    chosen = np.dtype(dtype) if dtype is not None else np.dtype(X.dtype)
    if chosen not in EXP_FLOORS:
        if dtype is not None:
            raise ValueError(f"dtype must be float64 or float32, not {chosen}")
        chosen = np.dtype(np.float64)
    return chosen


@dataclass(frozen=True)
class ComponentTerms:
    """What every chunk of a pass needs of the parameters, in the pass's type.

    Attributes
    ----------
    means : ndarray of shape (n_components, n_features)
    factors : ndarray
        Precision Cholesky factors (shape by ``kind``).
    kind : str
        The covariance type.
    constant : ndarray of shape (n_components, 1)
        ``log pi_k - 0.5 log|Sigma_k| - 0.5 D log(2 pi)``.
    dtype : numpy dtype
    """

    means: np.ndarray
    factors: np.ndarray
    kind: str
    constant: np.ndarray
    dtype: np.dtype
    #: ``constant`` in float64, before the cast.
    exact_constant: np.ndarray

    @classmethod
    def of(cls, params: GMMParams, dtype: np.dtype | type = np.float64) -> ComponentTerms:
        """The terms of ``params`` (computed in float64, then cast to ``dtype``)."""
        factors = params.precisions_cholesky
        kind = params.covariance_type
        constant = log_weights(params) + log_det_precision_cholesky(
            factors, kind, params.n_features
        )
        constant = (constant - 0.5 * params.n_features * LOG_2PI)[:, None]
        dtype = np.dtype(dtype)
        return cls(
            np.asarray(params.means, dtype),
            np.asarray(factors, dtype),
            kind,
            np.asarray(constant, dtype),
            dtype,
            constant,
        )

    def buffers(self, size: int, deviations: bool = True) -> ChunkBuffers:
        """Newly allocated buffers for chunks of ``size`` samples (see ChunkBuffers.allocate)."""
        n_components, n_features = self.means.shape
        return ChunkBuffers.allocate(n_components, n_features, size, self.dtype, deviations)

    def fill(self, X_rows: np.ndarray, buffers: ChunkBuffers) -> np.ndarray:
        """``log pi_k + log N(x | k)`` of the rows ``X_rows`` into ``buffers.weighted``.

        ``buffers.deviations`` holds ``x - mu_k`` for the same rows afterwards.

        Parameters
        ----------
        X_rows : ndarray of shape (size, n_features)
        buffers : ChunkBuffers
            For chunks of exactly ``size`` samples.

        Returns
        -------
        weighted : ndarray of shape (n_components, size)
            ``buffers.weighted``.
        """
        # Broadcasting from the (size, D) rows would read them with a stride of D for
        # every component; one transposed copy first makes the subtraction 2-3x faster.
        transposed = buffers.transposed
        np.copyto(transposed, X_rows.T, casting="same_kind")
        np.subtract(transposed[None], self.means[:, :, None], out=buffers.deviations)
        weighted = squared_mahalanobis(
            buffers.deviations, self.factors, self.kind, work=buffers.work, out=buffers.weighted
        )
        weighted *= -0.5
        weighted += self.constant
        return weighted


def weighted_log_prob_chunks(
    X: np.ndarray, params: GMMParams, chunk_size: int = CHUNK_SIZE
) -> Iterator[tuple[slice, ChunkBuffers]]:
    """Yield ``(rows, buffers)`` with ``buffers.weighted`` holding ``log pi_k + log N(x | k)``.

    ``buffers.deviations`` holds ``x - mu_k`` for the same rows. The buffers are reused:
    a consumer must finish with one chunk before asking for the next. One thread, in
    float64; the E-step's passes run on :func:`~gmmviewer.core.parallel.threads.map_in_order`.
    """
    n_samples = X.shape[0]
    terms = ComponentTerms.of(params)
    size = min(chunk_size, n_samples)
    buffers = terms.buffers(size)
    for rows in chunks(n_samples, chunk_size):
        if rows.stop - rows.start != size:
            size = rows.stop - rows.start
            buffers = terms.buffers(size)
        terms.fill(X[rows], buffers)
        yield rows, buffers


def feature_variance(X: np.ndarray, chunk_size: int = CHUNK_SIZE) -> np.ndarray:
    """Variance of every column, in chunks (``np.var`` would copy all of ``X`` at once).

    Returns
    -------
    variance : ndarray of shape (n_features,)
    """
    n_samples = X.shape[0]
    mean = np.zeros(X.shape[1])
    for rows in chunks(n_samples, chunk_size):
        mean += X[rows].sum(axis=0)
    mean /= max(n_samples, 1)
    squares = np.zeros(X.shape[1])
    for rows in chunks(n_samples, chunk_size):
        centred = X[rows] - mean
        squares += np.einsum("nd,nd->d", centred, centred)
    return squares / max(n_samples, 1)


# Bounding boxes of read-only data matrices, by identity, so that the E-step of a session
# (whose data never change) pays for them once rather than at every pass.
_BOUNDS_CACHE: dict[int, tuple[weakref.ref, np.ndarray, np.ndarray]] = {}
_BOUNDS_CACHE_SIZE = 8


def data_bounds(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value of every column, each of shape (n_features,).

    Cached for an array that owns its values and is read-only (a Dataset's ``X``), so
    asking again at every E-step is free; computed afresh for any other array.
    """
    cacheable = not X.flags.writeable and X.flags.owndata
    if cacheable:
        entry = _BOUNDS_CACHE.get(id(X))
        if entry is not None and entry[0]() is X:
            return entry[1], entry[2]
    low, high = X.min(axis=0), X.max(axis=0)
    if cacheable:
        if len(_BOUNDS_CACHE) >= _BOUNDS_CACHE_SIZE:
            _BOUNDS_CACHE.pop(next(iter(_BOUNDS_CACHE)))
        _BOUNDS_CACHE[id(X)] = (weakref.ref(X), low, high)
    return low, high
