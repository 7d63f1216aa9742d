"""Where the means went during the current run, for the likelihood landscape's path.

Pure Python and numpy; no Qt. Reads the session's history (immutable states) only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams

if TYPE_CHECKING:
    from gmmviewer.core.session.em_session import EMSession


@dataclass(frozen=True, eq=False)
class MeanPath:
    """Where one mean (or a pair of means) went during the current run.

    Attributes
    ----------
    points : ndarray of shape (n_points, n_features), or (n_points, 2) for a pair
        Positions in order: the run's start, every M-step, every edit that moved the
        mean; the last is the current position.
    after_m_step : ndarray of shape (n_points,), bool
        True where the position is the result of an M-step (one marker each).
    """

    points: np.ndarray
    after_m_step: np.ndarray

    @property
    def current(self) -> np.ndarray:
        """The present position, shape (n_features,) or (2,)."""
        return self.points[-1]


def _run_states(session: EMSession) -> tuple:
    """The current run's states up to the current one, with the current K throughout."""
    start, _ = session.run_bounds()
    states = session.history[start : session.position + 1]
    k = session.n_components
    first = len(states)
    while first > 0 and states[first - 1].params.n_components == k:
        first -= 1
    return states[first:]


def _path(states: tuple, positions: Callable[[GMMParams], np.ndarray]) -> MeanPath:
    points: list[np.ndarray] = []
    m_steps: list[bool] = []
    for state in states:
        position = positions(state.params)
        after_m_step = state.action == "m-step"
        # A half-step that leaves the mean where it was adds nothing, but every M-step
        # keeps its marker.
        if points and not after_m_step and np.array_equal(points[-1], position):
            continue
        points.append(position)
        m_steps.append(after_m_step)
    return MeanPath(np.array(points, dtype=float), np.array(m_steps, dtype=bool))


def mean_path(session: EMSession, component: int) -> MeanPath:
    """The means of ``component`` during the current run: start, M-steps, edits, now.

    Only the stretch of the run with the current number of components counts (an
    added or removed component renumbers them).
    """
    if not 0 <= component < session.n_components:
        raise ParameterError(
            f"component {component + 1} does not exist (there are {session.n_components})"
        )
    return _path(_run_states(session), lambda params: np.array(params.means[component]))


def pair_path(session: EMSession, components: tuple[int, int] = (0, 1), dim: int = 0) -> MeanPath:
    """``(mean a, mean b)`` in column ``dim`` during the current run (see :func:`mean_path`)."""
    a, b = components
    for component in components:
        if not 0 <= component < session.n_components:
            raise ParameterError(
                f"component {component + 1} does not exist (there are {session.n_components})"
            )
    return _path(
        _run_states(session), lambda params: np.array([params.means[a, dim], params.means[b, dim]])
    )
