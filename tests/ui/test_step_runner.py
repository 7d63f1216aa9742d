"""The step runner's worker-thread path: a prepared half-step is applied only to the state
it was computed from.

The worker's result reaches the GUI thread as a queued signal, so blocking the GUI thread
in ``runner.wait()`` until the worker is idle leaves the prepared step waiting in the event
queue: whatever the test does to the session then happens, deterministically, "while the
step was being computed".
"""

from __future__ import annotations

import numpy as np
import pytest

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.ui.window.step_runner import StepRunner


@pytest.fixture
def session() -> EMSession:
    X = make_preset("lecture", n_samples=300, seed=0).X
    session = EMSession(X, 3, init="random-means", seed=1)
    session.step()  # an E-step and an M-step in the history
    return session


@pytest.fixture
def runner(qtbot) -> StepRunner:
    runner = StepRunner()
    yield runner
    runner.wait()


def prepare_on_worker(runner: StepRunner, session: EMSession) -> None:
    """Start the next half-step on the worker and wait until it has been computed."""
    runner.advance(session, force_async=True)
    assert runner.busy
    assert runner.wait()
    assert runner.busy  # computed, but not delivered: the event loop has not run


def test_a_step_computed_on_the_worker_is_applied(qtbot, runner, session):
    origin = session.state
    with qtbot.waitSignal(runner.finished, timeout=30_000) as finished:
        prepare_on_worker(runner, session)
        assert session.state is origin
    assert finished.args == [True]
    assert len(session.history) == 4 and session.state.action == "e-step"
    assert session.history[2] is origin and session.position == 3
    assert not runner.busy


@pytest.mark.parametrize("move_on", ["edit", "undo", "jump", "reinitialise"])
def test_a_step_prepared_for_a_session_that_moved_on_is_dropped(qtbot, runner, session, move_on):
    actions = []
    session.changed.connect(actions.append)
    with qtbot.waitSignal(runner.finished, timeout=30_000) as finished:
        prepare_on_worker(runner, session)
        # The user acts while the step is in flight (a drag, Back, a timeline click...).
        if move_on == "edit":
            session.move_mean(0, np.array(session.params.means[0]) + 1.0)
        elif move_on == "undo":
            session.undo()
        elif move_on == "jump":
            session.go_to(0)
        else:
            session.reinitialize(seed=7)
        moved = session.state
        history = tuple(session.history)
    assert finished.args == [False]  # nothing was applied
    assert not runner.busy
    assert session.state is moved
    assert len(session.history) == len(history)
    assert all(now is then for now, then in zip(session.history, history, strict=True))
    assert actions == [{"reinitialise": "initialise"}.get(move_on, move_on)]
    # The runner is free again and steps from where the session now is.
    with qtbot.waitSignal(runner.finished, timeout=30_000) as finished:
        runner.advance(session, force_async=True)
    assert finished.args == [True]
    assert session.history[session.position - 1] is moved
