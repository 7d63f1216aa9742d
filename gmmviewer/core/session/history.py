"""The session's history: one immutable :class:`SessionState` per half-step or edit.

Pure Python; no Qt. A state stores parameters, never responsibilities: those are
recomputed from ``resp_params`` when the session moves to the state, so a long history
costs a few kilobytes per entry even at a million points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from gmmviewer.core.params import GMMParams

#: Actions a state can record.
ACTIONS: tuple[str, ...] = (
    "initialise",
    "e-step",
    "m-step",
    "move mean",
    "add component",
    "remove component",
    "set parameters",
)


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

    @property
    def iterations_in_run(self) -> int:
        """M-steps since convergence tracking last restarted."""
        return self.iteration - self.run_start

    def evolve(self, **changes: object) -> SessionState:
        """Copy with ``changes`` applied."""
        return replace(self, **changes)


class History:
    """A linear undo/redo list of states with a current position.

    Pushing a state while not at the end discards the states after the position
    (the redo branch), as every undo system does.
    """

    def __init__(self, first: SessionState) -> None:
        self._states: list[SessionState] = [first]
        self._position = 0

    @classmethod
    def from_states(cls, states: list[SessionState], position: int) -> History:
        """A history holding ``states`` with ``position`` current (to restore a saved one)."""
        if not states:
            raise ValueError("a history needs at least one state")
        history = cls(states[0])
        history._states = list(states)
        history.move_to(position)
        return history

    def __len__(self) -> int:
        return len(self._states)

    def __getitem__(self, index: int) -> SessionState:
        return self._states[index]

    @property
    def states(self) -> tuple[SessionState, ...]:
        """Every state, oldest first."""
        return tuple(self._states)

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
        del self._states[self._position + 1 :]
        self._states.append(state)
        self._position += 1

    def replace_current(self, state: SessionState) -> None:
        """Swap the current state for ``state`` (to merge a drag into one edit), dropping redo."""
        del self._states[self._position + 1 :]
        self._states[self._position] = state

    def move_to(self, index: int) -> SessionState:
        """Make ``index`` (negative counts from the end) current and return its state."""
        if index < 0:
            index += len(self._states)
        if not 0 <= index < len(self._states):
            raise IndexError(f"history has no entry {index}")
        self._position = index
        return self.current
