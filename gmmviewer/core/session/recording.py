"""The states an animation shows, one per half-step (pure Python; no Qt).

Recording never changes the session on screen: a run to convergence continues a
private copy that starts from the current state.
"""

from __future__ import annotations

from collections.abc import Iterator

from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.history import SessionState

#: Most half-steps a recording to convergence will take (a guard against max_iter = 1e5).
MAX_FRAMES = 2000


def states_to_convergence(
    session: EMSession, max_frames: int = MAX_FRAMES
) -> Iterator[SessionState]:
    """The current state, then every half-step until EM converges or reaches max_iter.

    The half-steps are computed on a copy of the session started from its current state,
    so the session itself is untouched.
    """
    copy = EMSession.restore(session.dataset, [session.state], 0, session.fit_settings())
    yield copy.state
    produced = 1
    while not copy.done and produced < max_frames:
        yield copy.advance()
        produced += 1


def history_states(session: EMSession, start: int, stop: int) -> Iterator[SessionState]:
    """History entries ``start`` to ``stop`` (inclusive, in either order of the bounds).

    Raises
    ------
    IndexError
        When a bound is outside the history.
    """
    low, high = sorted((int(start), int(stop)))
    if low < 0 or high >= len(session.history):
        raise IndexError(f"the history has entries 0 to {len(session.history) - 1}")
    yield from session.history[low : high + 1]
