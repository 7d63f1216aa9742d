"""The frames an animation shows, one per half-step (pure Python; no Qt).

Recording never changes the session on screen: it works on a private copy. Each frame
carries the state and the responsibilities that go with it (the copy's own, so nothing
is computed twice); the window draws a frame as it draws its current state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.errors import SessionError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.history import SessionState

#: Most half-steps a recording to convergence will take (a guard against max_iter = 1e5).
MAX_FRAMES = 2000


@dataclass(frozen=True, eq=False)
class Frame:
    """One half-step to draw.

    Attributes
    ----------
    state : SessionState
    responsibilities : ndarray of shape (n_samples, n_components) or None
        The responsibilities of that state (None before its first E-step).
    """

    state: SessionState
    responsibilities: np.ndarray | None


def states_to_convergence(session: EMSession, max_frames: int = MAX_FRAMES) -> Iterator[Frame]:
    """The current state, then every half-step until EM converges or reaches max_iter.

    The half-steps are computed on a copy of the session started from its current state,
    so the session itself is untouched.
    """
    copy = EMSession.restore(session.dataset, [session.state], 0, session.fit_settings())
    yield Frame(copy.state, copy.responsibilities)
    produced = 1
    while not copy.done and produced < max_frames:
        state = copy.advance()
        yield Frame(state, copy.responsibilities)
        produced += 1


def history_states(session: EMSession, start: int, stop: int) -> Iterator[Frame]:
    """History entries ``start`` to ``stop`` (inclusive, in either order of the bounds).

    The bounds are checked at once, not when the first frame is drawn, so a bad range
    is refused where it is asked for.

    Raises
    ------
    SessionError
        When a bound is outside the history.
    """
    low, high = sorted((int(start), int(stop)))
    if low < 0 or high >= len(session.history):
        raise SessionError(
            f"there is no history entry {low if low < 0 else high}: "
            f"the history has entries 0 to {len(session.history) - 1}"
        )
    copy = EMSession.restore(
        session.dataset, list(session.history), session.position, session.fit_settings()
    )
    return _frames_of(copy, range(low, high + 1))


def _frames_of(copy: EMSession, indices: range) -> Iterator[Frame]:
    for index in indices:
        state = copy.go_to(index)
        yield Frame(state, copy.responsibilities)
