"""Greedy k-means++ seeding over chunks of the samples (pure numpy; no Qt).

:func:`seed_rows` chooses the rows of ``X`` that :func:`~gmmviewer.core.em.kmeans.kmeans`
and :func:`~gmmviewer.core.em.kmeans.kmeans_plusplus` start from, one pass over ``X``
per centre, on the threads of a :class:`~gmmviewer.core.parallel.chunk_runner.ChunkRunner`.
"""

from __future__ import annotations

import math

import numpy as np

from gmmviewer.core.parallel.chunk_runner import ChunkRunner, block_rows, products


class _Seeding:
    """Greedy k-means++ over chunks: one pass over ``X`` per centre chosen.

    The pass that scores the candidates for one centre also brings the running minimum
    ``closest`` up to date with the centre chosen before (row 0 of the same product),
    and the scores of the winning candidate, kept per chunk, are the chunks' potentials
    once it is applied. The next candidates are drawn from those potentials and, within
    the chunk drawn, from that chunk's own distances: no separate pass to update
    ``closest`` and no cumulative sum over all N samples.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_trials : int
    runner : ChunkRunner
    squared_norms : ndarray of shape (n_samples,)
    """

    def __init__(
        self, X: np.ndarray, n_trials: int, runner: ChunkRunner, squared_norms: np.ndarray
    ) -> None:
        n_samples, n_features = X.shape
        self.X = X
        self.runner = runner
        self.squared_norms = squared_norms
        #: Squared distance of every sample to its closest centre applied so far.
        self.closest = np.full(n_samples, np.inf)
        #: Sum of ``closest`` over every chunk, with the pending centre applied.
        self.chunk_potentials = np.zeros(runner.n_chunks)
        #: Sum over every chunk of ``closest`` were each candidate a centre.
        self.trial_potentials = np.zeros((runner.n_chunks, n_trials))
        #: A centre already counted in ``chunk_potentials`` but not yet in ``closest``.
        self.pending: int | None = None
        self._block = block_rows(1 + n_trials, n_features)
        # [-2 c] and ||c||^2 of the pending centre (if any), then of the candidates.
        self._scaled = np.zeros((1 + n_trials, n_features))
        self._norms = np.zeros((1 + n_trials, 1))
        self._n_rows = 0
        self._with_pending = False
        self._buffers = [
            np.empty((1 + n_trials, runner.chunk_size)) for _ in range(runner.n_threads)
        ]

    def apply(self, centre: int) -> None:
        """Add row ``centre`` of ``X`` to the centres, in ``closest`` and the potentials."""
        self.pending = centre
        self._run(np.empty(0, dtype=np.intp))

    def score(self, candidates: np.ndarray) -> np.ndarray:
        """Potential of each candidate, shape (n_candidates,), the pending centre applied."""
        self._run(candidates)
        return self.trial_potentials[:, : candidates.shape[0]].sum(axis=0)

    def choose(self, candidates: np.ndarray, best: int) -> None:
        """Make ``candidates[best]``, just scored, the pending centre."""
        self.chunk_potentials[:] = self.trial_potentials[:, best]
        self.pending = int(candidates[best])

    def sample(self, targets: np.ndarray) -> np.ndarray:
        """Rows where the running sum of the distances first reaches each target.

        The distances are ``closest`` with the pending centre applied. The chunk comes
        from the chunk potentials, the row from a cumulative sum over that chunk alone.

        Parameters
        ----------
        targets : ndarray of shape (n_targets,)

        Returns
        -------
        indices : ndarray of shape (n_targets,)
        """
        runner = self.runner
        ends = np.cumsum(self.chunk_potentials)
        chunk_indices = np.minimum(np.searchsorted(ends, targets), runner.n_chunks - 1)
        indices = np.empty(targets.shape[0], dtype=np.intp)
        for t, (index, target) in enumerate(zip(chunk_indices, targets, strict=True)):
            rows = runner.slices[index]
            distances = self.closest[rows]
            if self.pending is not None:
                deviations = self.X[rows] - self.X[self.pending]
                distances = np.minimum(distances, np.einsum("nd,nd->n", deviations, deviations))
            offset = target - (ends[index] - self.chunk_potentials[index])
            row = int(np.searchsorted(np.cumsum(distances), offset))
            # Rounding may leave the target just past the chunk's own total.
            indices[t] = rows.start + min(row, distances.shape[0] - 1)
        return indices

    def _run(self, candidates: np.ndarray) -> None:
        """One pass: apply the pending centre and score ``candidates``."""
        self._with_pending = self.pending is not None
        rows = ([self.pending] if self.pending is not None else []) + list(candidates)
        self._n_rows = len(rows)
        centres = self.X[rows]
        np.multiply(centres, -2.0, out=self._scaled[: self._n_rows])
        np.einsum("td,td->t", centres, centres, out=self._norms[: self._n_rows, 0])
        self.runner.run(self._chunk, self._buffers)
        self.pending = None

    def _chunk(self, index: int, rows: slice, own: np.ndarray) -> None:
        X_chunk = self.X[rows]
        closest = self.closest[rows]
        distances = own[: self._n_rows, : X_chunk.shape[0]]
        products(self._scaled[: self._n_rows], X_chunk.T, self._block, distances)
        distances += self._norms[: self._n_rows]
        distances += self.squared_norms[rows]
        if self._with_pending:
            # Rounding can take a distance a little below zero.
            np.maximum(distances[0], 0.0, out=distances[0])
            np.minimum(closest, distances[0], out=closest)
            self.chunk_potentials[index] = closest.sum()
            distances = distances[1:]
        if distances.shape[0]:
            # closest is never negative, so this also lifts distances below zero to zero.
            np.clip(distances, 0.0, closest, out=distances)
            np.sum(distances, axis=1, out=self.trial_potentials[index, : distances.shape[0]])


def seed_rows(
    X: np.ndarray,
    n_clusters: int,
    rng: np.random.Generator,
    runner: ChunkRunner,
    squared_norms: np.ndarray,
) -> np.ndarray:
    """Rows of ``X`` chosen by greedy k-means++, shape (n_clusters,).

    Draws from ``rng`` as the unchunked algorithm does: the first row, then
    ``2 + log k`` uniforms per further centre.
    """
    n_samples = X.shape[0]
    n_trials = 2 + int(math.log(n_clusters))
    seeding = _Seeding(X, n_trials, runner, squared_norms)
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.integers(n_samples)
    seeding.apply(int(indices[0]))
    for c in range(1, n_clusters):
        potential = seeding.chunk_potentials.sum()
        if potential <= 0.0:
            # Every point coincides with a centre: any unused point will do.
            if seeding.pending is not None:
                seeding.apply(seeding.pending)
            unused = np.setdiff1d(np.arange(min(n_samples, n_clusters + 1)), indices[:c])
            indices[c] = unused[0] if unused.size else rng.integers(n_samples)
            seeding.apply(int(indices[c]))
            continue
        candidates = seeding.sample(rng.random(n_trials) * potential)
        best = int(np.argmin(seeding.score(candidates)))
        indices[c] = candidates[best]
        seeding.choose(candidates, best)
    return indices
