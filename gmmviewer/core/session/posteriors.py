"""The session's cache of E-step results, safe to read from a worker thread (no Qt).

A :class:`~gmmviewer.core.em.estep.Posterior` is immutable; the cache holds a tuple of
them that it replaces, never mutates. A worker thread that took :meth:`PosteriorCache.snapshot`
keeps a consistent view however the owning thread updates the cache meanwhile.
"""

from __future__ import annotations

import numpy as np

from gmmviewer.core.em.buffers import ArrayRecycler
from gmmviewer.core.em.estep import Posterior, e_step
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.transitions import find_posterior
from gmmviewer.core.session.variational_steps import variational_posterior


class PosteriorCache:
    """Posteriors of the parameters the current state needs, keyed by their identity.

    Only the owning thread calls :meth:`get` and :meth:`keep`; any thread may call
    :meth:`snapshot`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data the EM posteriors are computed on (float32 in a float32 session).
    exact_X : ndarray of shape (n_samples, n_features), optional
        The data in float64, for variational posteriors; ``X`` when not given.
    """

    def __init__(self, X: np.ndarray, exact_X: np.ndarray | None = None) -> None:
        self._X = X
        # Variational passes always compute in float64, even in a float32 session.
        self._exact_X = X if exact_X is None else exact_X
        #: Where every posterior of this data is allocated: an iteration reuses the
        #: memory of the posteriors this cache has dropped (and nobody else holds).
        self.arrays = ArrayRecycler()
        self._entries: tuple[Posterior, ...] = ()

    def snapshot(self) -> tuple[Posterior, ...]:
        """The cached posteriors now (an immutable tuple)."""
        return self._entries

    def get(self, params: GMMParams, state: SessionState) -> Posterior:
        """The posterior of ``params``: cached, or computed now and kept for ``state``."""
        found = find_posterior(self._entries, params)
        if found is None:
            model = state.variational
            source = (
                None if model is None else model.source_of(params, state.params, state.resp_params)
            )
            if source is not None and model is not None:
                found = variational_posterior(self._exact_X, source, params, model.priors)
            else:
                found = e_step(self._X, params, arrays=self.arrays)
            self.keep(state, found)
        return found

    def keep(self, state: SessionState, *computed: Posterior) -> None:
        """Cache ``computed`` with whatever ``state`` needs, dropping the rest.

        Only the posteriors of ``state.params`` (the next E-step's) and
        ``state.resp_params`` (the responsibilities shown) are kept, so the cache holds
        at most two (n_components, n_samples) arrays.
        """
        kept: list[Posterior] = []
        for candidate in (*computed, *self._entries):
            needed = candidate.params is state.params or candidate.params is state.resp_params
            if needed and find_posterior(kept, candidate.params) is None:
                kept.append(candidate)
        self._entries = tuple(kept)
