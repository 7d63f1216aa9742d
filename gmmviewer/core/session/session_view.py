"""Reading a session's current state: what the views and the controller ask of it. No Qt.

:class:`SessionView` is a part of :class:`~gmmviewer.core.session.em_session.EMSession`
(its base class), kept apart so that the session module holds what changes the current
state (starts, half-steps, history moves and commits). What is here changes neither the
state nor the history: it reads the current
:class:`~gmmviewer.core.session.history.SessionState`, its data set's
:class:`~gmmviewer.core.session.data_context.DataContext`, the cached posterior behind the
responsibilities and the history's NLL columns. Looking up the context keeps it as the
most recent, so, like every method but ``prepare``, these belong to the owner thread
(see "Threads" in :class:`~gmmviewer.core.session.em_session.EMSession`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.objective import has_converged
from gmmviewer.core.errors import SessionError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.data_context import DataContext
from gmmviewer.core.session.data_edits import can_step_from
from gmmviewer.core.session.history import HistoryTrace, HistoryView, SessionState

if TYPE_CHECKING:
    from gmmviewer.core.em.estep import Posterior
    from gmmviewer.core.session.data_context import DataContexts
    from gmmviewer.core.session.history import History


class SessionView:
    """The read-only properties and queries of
    :class:`~gmmviewer.core.session.em_session.EMSession`: the current state, its data,
    its responsibilities, and the runs and NLL curve of the history."""

    if TYPE_CHECKING:  # provided by EMSession
        _history: History
        _contexts: DataContexts
        _tol: float
        _max_iter: int

    # ================================================================ the current state
    @property
    def dataset(self) -> Dataset:
        """The data set the current state fits (it changes with edits, undo and redo)."""
        dataset = self._history.current.dataset
        assert dataset is not None, "every state of a session records its data"
        return dataset

    @property
    def X(self) -> np.ndarray:
        """The data matrix EM fits, shape (n_samples, n_features): the current state's."""
        return self.dataset.X

    @property
    def n_samples(self) -> int:
        """N (0 on an empty canvas)."""
        return self.dataset.n_samples

    @property
    def n_features(self) -> int:
        """D."""
        return self.dataset.n_features

    @property
    def placed(self) -> bool:
        """False while the components wait for points to be drawn (see :meth:`clear_data`)."""
        return self.state.placed

    @property
    def can_step(self) -> bool:
        """True when EM can take a step: the components are placed and N >= K.

        After the data are cleared, or points deleted below K, half-steps refuse
        ("draw at least K points first") until enough points are drawn.
        """
        return can_step_from(self.state)

    @property
    def _context(self) -> DataContext:
        """The current data set's context (the owner thread only)."""
        return self._contexts.get(self.dataset)

    @property
    def state(self) -> SessionState:
        """The current state."""
        return self._history.current

    @property
    def params(self) -> GMMParams:
        """The current parameters."""
        return self.state.params

    @property
    def n_components(self) -> int:
        """K."""
        return self.params.n_components

    @property
    def covariance_type(self) -> str:
        """Covariance type of the current parameters."""
        return self.params.covariance_type

    @property
    def history(self) -> HistoryView:
        """Every state, oldest first: a read-only, live sequence (indexing, slicing to a
        tuple, ``len``, iteration) that copies nothing."""
        return self._history.view()

    @property
    def position(self) -> int:
        """Index of the current state in :attr:`history`."""
        return self._history.position

    @property
    def can_undo(self) -> bool:
        """True when :meth:`undo` would do something."""
        return self._history.can_undo

    @property
    def can_redo(self) -> bool:
        """True when :meth:`redo` would do something."""
        return self._history.can_redo

    @property
    def next_step(self) -> str:
        """'E' or 'M': the only half-step allowed next."""
        return self.state.next_step

    @property
    def iteration(self) -> int:
        """Completed M-steps since the last initialisation."""
        return self.state.iteration

    @property
    def converged(self) -> bool:
        """True when scikit-learn's convergence rule holds under the current ``tol``.

        The rule compares the mean log-likelihoods of the last two E-steps (see
        :mod:`~gmmviewer.core.em.objective`). It is judged against the tolerance in force
        now, so lowering ``tol`` after convergence lets :meth:`run` continue.
        """
        state = self.state
        if state.next_step != "E":
            return state.converged
        return has_converged(state.previous_lower_bound, state.lower_bound, self._tol)

    @property
    def done(self) -> bool:
        """True when :meth:`run` has nothing left to do: converged, ``max_iter`` reached, or
        no step is possible (:attr:`can_step` False)."""
        state = self.state
        if not can_step_from(state):
            return True
        return state.next_step == "E" and (
            self.converged or state.iterations_in_run >= self._max_iter
        )

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood of the current parameters."""
        return self.state.log_likelihood

    @property
    def mean_log_likelihood(self) -> float:
        """Log-likelihood per sample of the current parameters (NaN without data)."""
        n_samples = self.n_samples
        return self.state.log_likelihood / n_samples if n_samples else math.nan

    @property
    def nll(self) -> float:
        """Negative log-likelihood (total) of the current parameters."""
        return -self.state.log_likelihood

    @property
    def elbo(self) -> float | None:
        """Evidence lower bound L(q, theta) of the current responsibilities and parameters."""
        return self.state.elbo

    @property
    def status(self) -> str:
        """A degenerate situation found by the last step, or ''."""
        return self.state.status

    @property
    def responsibilities(self) -> np.ndarray | None:
        """Current responsibilities, shape (n_samples, n_components), or None before an E-step.

        A read-only transposed view of the cached (n_components, n_samples) array;
        recomputed from the history when the session moves to an uncached state.
        """
        q = self._current_q()
        return None if q is None else q.resp.T

    def hard_assignments(self) -> np.ndarray | None:
        """Most responsible component of each sample, shape (n_samples,), int, or None.

        Read-only and cached with the responsibilities (computed with them, on the
        worker thread when the window prepares a step there), so asking again is free.
        """
        q = self._current_q()
        return None if q is None else q.hard

    def _current_q(self) -> Posterior | None:
        """The posterior behind the current responsibilities, or None before an E-step."""
        state = self.state
        if state.resp_params is None:
            return None
        return self._context.posteriors.get(state.resp_params, state)

    # ================================================================ history queries
    def run_bounds(self, position: int | None = None) -> tuple[int, int]:
        """Half-open ``(start, stop)`` of the run holding history entry ``position``.

        Parameters
        ----------
        position : int, optional
            A history index (negative counts from the end); default the current one.

        Returns
        -------
        start : int
            The latest 'initialise' entry at or before ``position``.
        stop : int
            The next 'initialise' entry after ``position``, or ``len(history)``.

        Raises
        ------
        SessionError
            When ``position`` is outside the history.
        """
        index = self.position if position is None else self._history_index(position)
        return self._history.run_bounds(index)

    def trace(self, start: int, stop: int) -> HistoryTrace:
        """The NLL curve of history entries ``start`` to ``stop - 1`` (what the NLL plot draws).

        Costs O(stop - start) array slicing, however long the history.

        Raises
        ------
        SessionError
            Unless ``0 <= start <= stop <= len(history)``.
        """
        try:
            return self._history.trace(int(start), int(stop))
        except IndexError as error:
            raise SessionError(str(error)) from None

    def _history_index(self, index: int) -> int:
        """``index`` as a non-negative history index (negative counts from the end)."""
        length = len(self._history)
        if not -length <= index < length:
            raise SessionError(f"the history has no entry {index}")
        return index + length if index < 0 else int(index)
