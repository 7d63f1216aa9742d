"""The session's history: one immutable :class:`SessionState` per half-step or edit.

Pure Python and numpy; no Qt. A state stores parameters, never responsibilities: those
are recomputed from ``resp_params`` when the session moves to the state, so a long
history costs a few kilobytes per entry even at a million points.

:class:`History` also keeps what the NLL plot draws of every entry in numpy columns,
updated as entries are pushed and dropped, so the current run's curve
(:meth:`History.run_bounds`, :meth:`History.trace`) is a slice, not a loop over states.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import overload

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.variational_state import VariationalState

#: Actions a state can record.
ACTIONS: tuple[str, ...] = (
    "initialise",
    "e-step",
    "m-step",
    "move mean",
    "add component",
    "remove component",
    "set parameters",
    "add points",
    "move point",
    "delete points",
    "clear data",
)
#: The actions that change the data (see :mod:`gmmviewer.core.session.data_edits`).
DATA_ACTIONS: tuple[str, ...] = ("add points", "move point", "delete points", "clear data")


@dataclass(frozen=True, eq=False)
class SessionState:
    """Everything the session needs to resume from one point of its history.

    Attributes
    ----------
    action : str
        One of :data:`ACTIONS`.
    description : str
        What happened, for people ("E-step 3", "moved the mean of component 2").
    params : GMMParams
        The current parameters theta.
    resp_params : GMMParams or None
        The parameters whose posterior is the current distribution q over components
        (the responsibilities); None before the first E-step.
    next_step : {'E', 'M'}
        The only half-step allowed next.
    iteration : int
        M-steps completed since the last initialisation.
    run_start : int
        ``iteration`` when convergence tracking last restarted (initialisation or edit);
        ``max_iter`` counts from here.
    log_likelihood : float
        Total log-likelihood of ``params``.
    elbo : float or None
        Evidence lower bound L(q, theta) for the current q and ``params``; None without q.
    lower_bound, previous_lower_bound : float
        scikit-learn's convergence quantities: mean per-sample log-likelihood from the
        last two E-steps (``-inf`` when not yet computed).
    converged : bool
    status : str
        A degenerate situation found at this step, or ''.
    component : int or None
        The component an edit changed (0-based), so a drag can merge into one edit.
    variational : VariationalState or None
        For a variational fit: the priors and variational parameters (``params`` are
        then their expectations, and ``log_likelihood`` the evidence lower bound; see
        :mod:`gmmviewer.core.session.variational_steps`). None for EM.
    dataset : Dataset or None
        The data this state's parameters, log-likelihood and responsibilities refer to.
        States share one Dataset object until the data are edited. Every state of a
        session's history has one; None only in a state built outside a session.
    placed : bool
        False while the components wait for points to be drawn (after the data are
        cleared, or when K is chosen larger than N): ``params`` are then placeholders,
        ``log_likelihood`` is NaN and nothing can step.
    point : int or None
        The data point (row) a 'move point' edit moved, so a drag can merge into one edit.
    """

    action: str
    description: str
    params: GMMParams
    resp_params: GMMParams | None
    next_step: str
    iteration: int
    run_start: int
    log_likelihood: float
    elbo: float | None
    lower_bound: float = -math.inf
    previous_lower_bound: float = -math.inf
    converged: bool = False
    status: str = ""
    component: int | None = None
    variational: VariationalState | None = None
    dataset: Dataset | None = None
    placed: bool = True
    point: int | None = None

    @property
    def method(self) -> str:
        """'em', or 'vb' for a variational state."""
        return "em" if self.variational is None else "vb"

    @property
    def iterations_in_run(self) -> int:
        """M-steps since convergence tracking last restarted."""
        return self.iteration - self.run_start

    def evolve(self, **changes: object) -> SessionState:
        """Copy with ``changes`` applied."""
        return replace(self, **changes)


@dataclass(frozen=True)
class HistoryTrace:
    """The NLL curve of history entries ``start`` to ``stop - 1``, as read-only arrays.

    Attributes
    ----------
    indices : ndarray of shape (n_entries,), int
        History index of every point.
    x : ndarray of shape (n_entries,), float
        ``iteration + 0.5`` for a state whose next half-step is the M-step (it follows
        an E-step), else ``iteration``; an edit never lies left of the entry before it.
    nll : ndarray of shape (n_entries,), float
        Negative log-likelihood of the state's parameters.
    neg_elbo : ndarray of shape (n_entries,), float
        Negative evidence lower bound; NaN where the state has no responsibilities.
    converged : ndarray of shape (n_entries,), bool
    segment : ndarray of shape (n_entries,), int
        Which stretch of unchanged data each entry belongs to: it grows by one at every
        entry whose data set is not the previous entry's (an edit of the data), where
        the values before and after are not comparable and the curve breaks. Numbered
        from the start of the history, so equal numbers mean the same data.
    """

    indices: np.ndarray
    x: np.ndarray
    nll: np.ndarray
    neg_elbo: np.ndarray
    converged: np.ndarray
    segment: np.ndarray


class _Columns:
    """Per-entry numbers in growable arrays (doubling capacity, so appends are amortised O(1))."""

    def __init__(self) -> None:
        self.size = 0
        self.x = np.empty(16)
        self.nll = np.empty(16)
        self.neg_elbo = np.empty(16)
        self.converged = np.empty(16, dtype=bool)
        self.segment = np.empty(16, dtype=np.intp)

    def write(self, index: int, state: SessionState, previous: SessionState | None) -> None:
        """Set row ``index`` (at most ``size``, which appends) from ``state``.

        ``previous`` is the state of row ``index - 1`` (None for the first).
        """
        if index >= self.x.size:
            for name in ("x", "nll", "neg_elbo", "converged", "segment"):
                old = getattr(self, name)
                grown = np.empty(2 * old.size, dtype=old.dtype)
                grown[: old.size] = old
                setattr(self, name, grown)
        x = state.iteration + (0.5 if state.next_step == "M" else 0.0)
        if state.action != "initialise" and index > 0:
            # An edit after an E-step (add or remove a component) drops the responsibilities
            # but happens later in time: the curve must not run backwards.
            x = max(x, float(self.x[index - 1]))
        self.x[index] = x
        self.nll[index] = -state.log_likelihood
        self.neg_elbo[index] = math.nan if state.elbo is None else -state.elbo
        self.converged[index] = state.converged
        if previous is None or index == 0:
            self.segment[index] = 0
        else:
            changed = state.dataset is not previous.dataset
            self.segment[index] = self.segment[index - 1] + int(changed)
        self.size = max(self.size, index + 1)


class History:
    """A linear undo/redo list of states with a current position.

    Pushing a state while not at the end discards the states after the position
    (the redo branch), as every undo system does. Only the session's own thread changes
    it, in an order that lets a worker thread read :attr:`current` at any moment.
    """

    def __init__(self, first: SessionState) -> None:
        self._states: list[SessionState] = []
        self._columns = _Columns()
        # Indices of 'initialise' entries, ascending: where runs start.
        self._starts: list[int] = []
        self._position = 0
        self._append(first)

    @classmethod
    def from_states(cls, states: Sequence[SessionState], position: int) -> History:
        """A history holding ``states`` with ``position`` current (to restore a saved one)."""
        if not states:
            raise ValueError("a history needs at least one state")
        history = cls(states[0])
        for state in states[1:]:
            history._append(state)
        history.move_to(position)
        return history

    def __len__(self) -> int:
        return len(self._states)

    def __getitem__(self, index: int) -> SessionState:
        return self._states[index]

    def __iter__(self) -> Iterator[SessionState]:
        return iter(self._states)

    def slice(self, index: slice) -> tuple[SessionState, ...]:
        """The states in ``index``, oldest first."""
        return tuple(self._states[index])

    def view(self) -> HistoryView:
        """A read-only, live view of the states (no copy)."""
        return HistoryView(self)

    @property
    def position(self) -> int:
        """Index of the current state."""
        return self._position

    @property
    def current(self) -> SessionState:
        """The current state."""
        return self._states[self._position]

    @property
    def can_undo(self) -> bool:
        """True when there is a state before the current one."""
        return self._position > 0

    @property
    def can_redo(self) -> bool:
        """True when undone states can be redone."""
        return self._position < len(self._states) - 1

    def push(self, state: SessionState) -> None:
        """Append ``state`` after the current one, discarding any redo branch."""
        self._truncate(self._position + 1)
        self._append(state)
        self._position += 1

    def replace_current(self, state: SessionState) -> None:
        """Swap the current state for ``state`` (to merge a drag into one edit), dropping redo."""
        index = self._position
        self._truncate(index + 1)
        replaced = self._states[index]
        # One store, so a worker thread reading the current state sees the old or the new.
        self._states[index] = state
        self._columns.write(index, state, self._states[index - 1] if index > 0 else None)
        if replaced.action == "initialise":
            self._starts.remove(index)
        if state.action == "initialise":
            self._starts.append(index)

    def move_to(self, index: int) -> SessionState:
        """Make ``index`` (negative counts from the end) current and return its state."""
        if index < 0:
            index += len(self._states)
        if not 0 <= index < len(self._states):
            raise IndexError(f"history has no entry {index}")
        self._position = index
        return self.current

    def run_bounds(self, position: int) -> tuple[int, int]:
        """Half-open ``(start, stop)`` of the run holding entry ``position`` (0 <= position < len).

        ``start`` is the latest 'initialise' entry at or before ``position`` (0 if there
        is none); ``stop`` is the next 'initialise' entry after it, or the length.
        """
        if not 0 <= position < len(self._states):
            raise IndexError(f"history has no entry {position}")
        after = bisect.bisect_right(self._starts, position)
        start = self._starts[after - 1] if after > 0 else 0
        stop = self._starts[after] if after < len(self._starts) else len(self._states)
        return start, stop

    def trace(self, start: int, stop: int) -> HistoryTrace:
        """The NLL curve of entries ``start`` to ``stop - 1`` (0 <= start <= stop <= len).

        Copies of slices of the per-entry columns: O(stop - start), whatever the length.
        """
        if not 0 <= start <= stop <= len(self._states):
            raise IndexError(f"entries {start} to {stop - 1} are not in the history")
        columns = self._columns
        arrays = (
            np.arange(start, stop),
            columns.x[start:stop].copy(),
            columns.nll[start:stop].copy(),
            columns.neg_elbo[start:stop].copy(),
            columns.converged[start:stop].copy(),
            columns.segment[start:stop].copy(),
        )
        for array in arrays:
            array.setflags(write=False)
        return HistoryTrace(*arrays)

    def _append(self, state: SessionState) -> None:
        index = len(self._states)
        self._states.append(state)
        self._columns.write(index, state, self._states[index - 1] if index > 0 else None)
        if state.action == "initialise":
            self._starts.append(index)

    def _truncate(self, length: int) -> None:
        """Drop the entries from ``length`` on."""
        del self._states[length:]
        self._columns.size = length
        del self._starts[bisect.bisect_left(self._starts, length) :]


class HistoryView(Sequence[SessionState]):
    """A read-only, live view of a :class:`History`'s states, oldest first.

    Indexing (negative indices too) returns a state and slicing a tuple of states;
    nothing is copied until sliced, and the view follows later changes.
    """

    def __init__(self, history: History) -> None:
        self._history = history

    def __len__(self) -> int:
        return len(self._history)

    @overload
    def __getitem__(self, index: int) -> SessionState: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[SessionState, ...]: ...

    def __getitem__(self, index: int | slice) -> SessionState | tuple[SessionState, ...]:
        if isinstance(index, slice):
            return self._history.slice(index)
        return self._history[index]

    def __iter__(self) -> Iterator[SessionState]:
        return iter(self._history)

    def __repr__(self) -> str:
        return f"<HistoryView of {len(self)} states>"
