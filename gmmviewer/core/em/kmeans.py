"""k-means: k-means++ seeding and Lloyd iterations (pure numpy; no Qt).

Used to initialise EM (as scikit-learn's ``init_params='kmeans'`` does) and to show
k-means beside EM. Every pass walks the samples in chunks of
:data:`~gmmviewer.core.em.passes.CHUNK_SIZE` rows, as the EM passes do, into buffers
allocated once per run, so memory stays O(chunk x K) beyond the O(N) labels, squared
norms and running minima; ``X`` itself is never copied. The chunks are shared among a
few threads (numpy, BLAS and scipy's sparse products release the GIL); every chunk
writes its partial results into its own slot and the slots are added up in chunk
order, so the results do not depend on the number of threads. Pure numpy and scipy: no
Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gmmviewer.core.em.kmeans_seeding import seed_rows
from gmmviewer.core.em.passes import CHUNK_SIZE
from gmmviewer.core.parallel.chunk_runner import (
    MIN_CHUNKS_PER_THREAD,
    ChunkRunner,
    block_rows,
    default_threads,
    products,
)

if TYPE_CHECKING:
    import scipy.sparse

__all__ = [
    "MIN_CHUNKS_PER_THREAD",
    "ChunkRunner",
    "KMeansResult",
    "assign",
    "default_threads",
    "kmeans",
    "kmeans_plusplus",
]


@dataclass(frozen=True)
class KMeansResult:
    """A k-means partition.

    Attributes
    ----------
    centres : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,)
    inertia : float
        Sum of squared distances of samples to their closest centre.
    n_iter : int
    converged : bool
    """

    centres: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool


@dataclass
class _DataSummary:
    """What a run needs to know about ``X`` beyond the data themselves.

    Attributes
    ----------
    squared_norms : ndarray of shape (n_samples,)
        ``||x||^2`` of every sample.
    total_squared_norm : float
        Their sum, added in chunk order.
    mean_variance : float
        Mean over features of the (population) variance of each feature.
    """

    squared_norms: np.ndarray
    total_squared_norm: float
    mean_variance: float


def _summarise(X: np.ndarray, runner: ChunkRunner) -> _DataSummary:
    """Squared norms and the mean feature variance, in one pass without copying ``X``."""
    n_samples, n_features = X.shape
    squared_norms = np.empty(n_samples)
    norm_sums = np.zeros(runner.n_chunks)
    # Moments about the first sample, not about zero: with data far from the origin
    # E[x^2] - E[x]^2 would cancel, while these differences stay of the data's spread.
    origin = X[0].copy() if n_samples else np.zeros(n_features)
    first = np.zeros((runner.n_chunks, n_features))
    second = np.zeros((runner.n_chunks, n_features))

    def work(index: int, rows: slice, deviations: np.ndarray) -> None:
        X_chunk = X[rows]
        own = deviations[: X_chunk.shape[0]]
        np.einsum("nd,nd->n", X_chunk, X_chunk, out=squared_norms[rows])
        norm_sums[index] = squared_norms[rows].sum()
        np.subtract(X_chunk, origin, out=own)
        first[index] = own.sum(axis=0)
        second[index] = np.einsum("nd,nd->d", own, own)

    runner.run(work, [np.empty((runner.chunk_size, n_features)) for _ in range(runner.n_threads)])
    count = max(n_samples, 1)
    shift = first.sum(axis=0) / count
    variances = np.maximum(second.sum(axis=0) / count - shift**2, 0.0)
    return _DataSummary(squared_norms, float(norm_sums.sum()), float(np.mean(variances)))


# --- k-means++ ------------------------------------------------------------------------


def kmeans_plusplus(
    X: np.ndarray,
    n_clusters: int,
    rng: np.random.Generator,
    *,
    n_threads: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii, with 2 + log k local trials).

    Distances are computed in chunks, so memory stays O(N) for the running minimum.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    rng : numpy Generator
    n_threads : int or None
        Threads sharing the chunks; None for :func:`default_threads`. The result does
        not depend on it.
    chunk_size : int
        Rows per chunk.

    Returns
    -------
    centres : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
        Rows of ``X`` chosen as centres.
    """
    X = np.asarray(X, dtype=float)
    with ChunkRunner(X.shape[0], chunk_size, n_threads) as runner:
        summary = _summarise(X, runner)
        indices = seed_rows(X, n_clusters, rng, runner, summary.squared_norms)
    return X[indices].copy(), indices


# --- Lloyd ----------------------------------------------------------------------------


@dataclass
class _LloydBuffers:
    """Scratch arrays of one thread for a Lloyd pass over chunks of ``size`` samples.

    Attributes
    ----------
    distances : ndarray of shape (n_clusters, size)
        ``||c||^2 - 2 x.c``: the squared distance less ``||x||^2``, which does not
        change which centre is closest.
    nearest : ndarray of shape (size,)
        Its minimum over the centres.
    at_nearest : ndarray of shape (n_clusters, size), bool
    scores : ndarray of shape (n_clusters, size)
        Small unsigned integers: ``K - k`` where centre k is nearest, else 0.
    best : ndarray of shape (size,)
        The largest score, ``K - label``; same dtype as ``scores``.
    rank : ndarray of shape (n_clusters, 1)
        ``K - k`` for centre k, same dtype as ``scores``.
    members : dict of int to sparse array of shape (n_clusters, length)
        For chunks of each length, a one-hot matrix (ones at (label, sample)), built
        once; a pass writes the chunk's labels into its ``indices``.
    """

    distances: np.ndarray
    nearest: np.ndarray
    at_nearest: np.ndarray
    scores: np.ndarray
    best: np.ndarray
    rank: np.ndarray
    members: dict[int, scipy.sparse.csc_array]

    @classmethod
    def allocate(cls, n_clusters: int, size: int) -> _LloydBuffers:
        score_type = np.min_scalar_type(n_clusters)
        return cls(
            np.empty((n_clusters, size)),
            np.empty(size),
            np.empty((n_clusters, size), dtype=bool),
            np.empty((n_clusters, size), dtype=score_type),
            np.empty(size, dtype=score_type),
            (n_clusters - np.arange(n_clusters, dtype=score_type))[:, None],
            {},
        )

    def membership(self, length: int) -> scipy.sparse.csc_array:
        """A one-hot matrix for chunks of ``length`` samples, shape (n_clusters, length).

        Column i holds a single one, in the row its ``indices[i]`` names.
        """
        members = self.members.get(length)
        if members is None:
            # Imported here: the window's first paint does not need scipy.sparse.
            import scipy.sparse

            members = scipy.sparse.csc_array(
                (
                    np.ones(length),
                    np.zeros(length, dtype=np.int32),
                    np.arange(length + 1, dtype=np.int32),
                ),
                shape=(self.distances.shape[0], length),
            )
            self.members[length] = members
        return members


class _LloydPass:
    """One pass over ``X``: nearest centres, the inertia and the per-cluster sums.

    The per-chunk results live in arrays allocated once, so that iterating costs no
    allocation beyond the (K, D) centres and sums. Labels are kept as the small unsigned
    score ``K - label`` (one or two bytes a sample), compared with the previous pass's
    as they are written, and turned into indices only when asked for.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    runner : ChunkRunner
    total_squared_norm : float
        Sum of ``||x||^2`` over the samples.
    """

    def __init__(
        self, X: np.ndarray, n_clusters: int, runner: ChunkRunner, total_squared_norm: float
    ) -> None:
        n_samples, n_features = X.shape
        self.X = X
        self.runner = runner
        self.n_clusters = n_clusters
        self.total_squared_norm = total_squared_norm
        self.block = block_rows(n_clusters, n_features)
        self.buffers = [
            _LloydBuffers.allocate(n_clusters, runner.chunk_size) for _ in range(runner.n_threads)
        ]
        # 0 is no score: the first pass always counts as a change.
        self.best = np.zeros(n_samples, dtype=self.buffers[0].best.dtype)
        self.chunk_counts = np.zeros((runner.n_chunks, n_clusters), dtype=np.intp)
        self.chunk_sums = np.zeros((runner.n_chunks, n_clusters, n_features))
        self.chunk_nearest = np.zeros(runner.n_chunks)
        self.chunk_changed = np.zeros(runner.n_chunks, dtype=bool)
        self._scaled = np.zeros((n_clusters, n_features))
        self._norms = np.zeros((n_clusters, 1))

    def run(self, centres: np.ndarray) -> tuple[bool, float]:
        """Label every sample with its nearest centre, and sum each cluster.

        Parameters
        ----------
        centres : ndarray of shape (n_clusters, n_features)

        Returns
        -------
        changed : bool
            Whether any label differs from the previous pass's.
        inertia : float
            Sum of squared distances to the nearest centre.
        """
        np.multiply(centres, -2.0, out=self._scaled)
        np.einsum("kd,kd->k", centres, centres, out=self._norms[:, 0])
        self.runner.run(self._chunk, self.buffers)
        inertia = self.total_squared_norm + float(self.chunk_nearest.sum())
        return bool(self.chunk_changed.any()), max(inertia, 0.0)

    def labels(self) -> np.ndarray:
        """Nearest centre of every sample, shape (n_samples,), from the last pass."""
        return self.n_clusters - self.best.astype(np.intp)

    def counts(self) -> np.ndarray:
        """Samples per cluster, shape (n_clusters,), from the last pass."""
        return self.chunk_counts.sum(axis=0)

    def sums(self) -> np.ndarray:
        """Sum of the samples of every cluster, shape (n_clusters, n_features)."""
        return self.chunk_sums.sum(axis=0)

    def _chunk(self, index: int, rows: slice, own: _LloydBuffers) -> None:
        X_chunk = self.X[rows]
        size = X_chunk.shape[0]
        distances = own.distances[:, :size]
        nearest = own.nearest[:size]
        at_nearest = own.at_nearest[:, :size]
        scores = own.scores[:, :size]
        best = own.best[:size]
        products(self._scaled, X_chunk.T, self.block, distances)
        distances += self._norms
        # The first nearest centre, as argmin: the centres at the minimum score K - k,
        # and the best score is a maximum over rows, a fast reduction (np.argmin over
        # the short centre axis is several times slower).
        np.min(distances, axis=0, out=nearest)
        np.less_equal(distances, nearest, out=at_nearest)
        np.multiply(at_nearest.view(np.uint8), own.rank, out=scores)
        np.max(scores, axis=0, out=best)
        # A NaN distance matches no minimum; give the sample the last centre, not K.
        np.maximum(best, 1, out=best)
        previous = self.best[rows]
        self.chunk_changed[index] = not np.array_equal(best, previous)
        previous[...] = best
        self.chunk_nearest[index] = nearest.sum()
        members = own.membership(size)
        labels = members.indices
        np.subtract(self.n_clusters, best, out=labels, casting="unsafe")
        self.chunk_counts[index] = np.bincount(labels, minlength=self.n_clusters)
        # One-hot labels times the samples: scipy adds each sample's row to its
        # cluster's sum in one compiled loop, without the GIL. np.add.at or bincount
        # need a call per feature, and were two to three times slower at D = 10.
        self.chunk_sums[index] = members @ X_chunk


def assign(
    X: np.ndarray,
    centres: np.ndarray,
    *,
    n_threads: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[np.ndarray, float]:
    """Closest centre of every sample (the first on ties) and the inertia.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centres : ndarray of shape (n_clusters, n_features)
    n_threads : int or None
    chunk_size : int

    Returns
    -------
    labels : ndarray of shape (n_samples,)
    inertia : float
    """
    X = np.asarray(X, dtype=float)
    centres = np.asarray(centres, dtype=float)
    with ChunkRunner(X.shape[0], chunk_size, n_threads) as runner:
        total = float(np.einsum("nd,nd->", X, X))
        lloyd = _LloydPass(X, centres.shape[0], runner, total)
        _, inertia = lloyd.run(centres)
    return lloyd.labels(), inertia


def kmeans(
    X: np.ndarray,
    n_clusters: int,
    seed: int | None = 0,
    max_iter: int = 300,
    tol: float = 1e-4,
    *,
    initial_centres: np.ndarray | None = None,
    n_threads: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> KMeansResult:
    """Lloyd's k-means from a k-means++ seeding.

    Stops when the labels no longer change or the centres move by less than ``tol``
    times the mean feature variance (scikit-learn's rule). Each iteration is one pass
    over ``X``: it labels the samples with their nearest centres and sums the clusters
    for the next centres. The returned labels and inertia are those of the returned
    centres.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    seed : int or None
    max_iter : int
    tol : float
    initial_centres : ndarray of shape (n_clusters, n_features), optional
        Start here instead of at a k-means++ seeding (``seed`` is then unused).
    n_threads : int or None
        Threads sharing the chunks; None for :func:`default_threads`. The result does
        not depend on it.
    chunk_size : int
        Rows per chunk.

    Returns
    -------
    KMeansResult
    """
    X = np.asarray(X, dtype=float)
    with ChunkRunner(X.shape[0], chunk_size, n_threads) as runner:
        summary = _summarise(X, runner)
        if initial_centres is None:
            rng = np.random.default_rng(seed)
            centres = X[seed_rows(X, n_clusters, rng, runner, summary.squared_norms)]
        else:
            centres = np.array(initial_centres, dtype=float)
            if centres.shape != (n_clusters, X.shape[1]):
                raise ValueError(
                    f"initial_centres has shape {centres.shape}, not {(n_clusters, X.shape[1])}"
                )
        threshold = tol * summary.mean_variance
        lloyd = _LloydPass(X, n_clusters, runner, summary.total_squared_norm)
        _, inertia = lloyd.run(centres)
        converged = False
        n_iter = 0
        for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported after the loop
            counts = lloyd.counts()
            new_centres = centres.copy()
            filled = counts > 0
            new_centres[filled] = lloyd.sums()[filled] / counts[filled, None]
            shift = float(np.sum((new_centres - centres) ** 2))
            centres = new_centres
            changed, inertia = lloyd.run(centres)
            if not changed or shift <= threshold:
                converged = True
                break
    return KMeansResult(centres, lloyd.labels(), inertia, n_iter, converged)
