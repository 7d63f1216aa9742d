"""What the core answers about history: run bounds, the NLL trace, and the history view.

The expected answers are computed by a plain loop over the states (the obvious, slow
way), on histories built by hand: steps, undo, redo, edits, drags merged into one entry,
re-initialisations and jumps into an earlier run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import SessionError
from gmmviewer.core.files.sessions.session_file import load_session, save_session
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.history import HistoryTrace


@pytest.fixture
def session():
    return EMSession(make_preset("lecture", n_samples=300, seed=0), 3, init="random-means", seed=1)


def expected_bounds(states, position):
    start = position
    while start > 0 and states[start].action != "initialise":
        start -= 1
    stop = position + 1
    while stop < len(states) and states[stop].action != "initialise":
        stop += 1
    return start, stop


def expected_x(states):
    """The curve's x by hand: n + 0.5 after an E-step, n otherwise, and an entry
    other than an initialisation never left of the one before it."""
    xs = []
    for index, s in enumerate(states):
        x = s.iteration + (0.5 if s.next_step == "M" else 0.0)
        if index > 0 and s.action != "initialise":
            x = max(x, xs[-1])
        xs.append(x)
    return xs


def expected_trace(states, start, stop):
    chosen = list(states)[start:stop]
    return {
        "indices": list(range(start, stop)),
        "x": expected_x(list(states))[start:stop],
        "nll": [-s.log_likelihood for s in chosen],
        "neg_elbo": [math.nan if s.elbo is None else -s.elbo for s in chosen],
        "converged": [s.converged for s in chosen],
    }


def check_every_position(session):
    """run_bounds and trace agree with the loop at every history entry."""
    states = list(session.history)
    for position in range(len(states)):
        bounds = session.run_bounds(position)
        assert bounds == expected_bounds(states, position)
        trace = session.trace(*bounds)
        expected = expected_trace(states, *bounds)
        np.testing.assert_array_equal(trace.indices, expected["indices"])
        np.testing.assert_array_equal(trace.x, expected["x"])
        np.testing.assert_array_equal(trace.nll, expected["nll"])
        np.testing.assert_array_equal(trace.neg_elbo, expected["neg_elbo"])
        np.testing.assert_array_equal(trace.converged, expected["converged"])
    assert session.run_bounds() == expected_bounds(states, session.position)


def test_a_single_run(session):
    check_every_position(session)  # just the initialisation
    session.run()
    assert session.converged
    check_every_position(session)
    trace = session.trace(*session.run_bounds())
    assert trace.x[:4].tolist() == [0.0, 0.5, 1.0, 1.5]
    assert math.isnan(trace.neg_elbo[0]) and not math.isnan(trace.neg_elbo[1])
    assert trace.converged[-1] and not trace.converged[0]


def test_undo_then_a_new_branch_drops_the_old_entries(session):
    session.run(max_half_steps=6)
    for _ in range(3):
        session.undo()
    session.move_mean(0, [0.5, 0.5])  # truncates the redo branch, then appends
    session.step()
    check_every_position(session)
    assert [s.action for s in session.history][3:] == ["e-step", "move mean", "e-step", "m-step"]
    assert session.trace(0, 7).nll[4] == -session.history[4].log_likelihood


def test_redo_and_jumps_keep_the_answers(session):
    session.run(max_half_steps=4)
    session.undo()
    session.undo()
    check_every_position(session)
    session.redo()
    session.go_to(0)
    check_every_position(session)
    assert session.run_bounds() == (0, 5)


def test_reinitialisations_split_the_history_into_runs(session):
    session.run(max_half_steps=4)  # run 1: entries 0-4
    session.reinitialize(seed=5)  # run 2 starts at 5
    session.run(max_half_steps=2)
    session.set_params(session.history[0].params)  # run 3 starts at 8
    session.step()
    check_every_position(session)
    assert session.run_bounds() == (8, 11)
    assert session.run_bounds(6) == (5, 8)
    assert session.run_bounds(-1) == (8, 11)

    session.go_to(2)  # back into the first run: later runs stay for redo
    assert session.run_bounds() == (0, 5)
    trace = session.trace(*session.run_bounds())
    assert trace.indices.tolist() == [0, 1, 2, 3, 4]

    session.step()  # a new branch from entry 2 drops runs 2 and 3
    check_every_position(session)
    assert session.run_bounds() == (0, len(session.history))


def test_reset_goes_to_the_start_of_the_current_run(session):
    session.run(max_half_steps=2)
    session.reinitialize(seed=7)
    start = session.position
    session.run(max_half_steps=3)
    session.reset()
    assert session.position == start


def test_edits_and_merged_drags(session):
    session.step()
    session.move_mean(0, [0.0, 0.0])
    for x in np.linspace(0.0, 1.0, 4):
        session.move_mean(0, [x, -x], merge=True)  # replaces the current entry
    check_every_position(session)
    entry = session.history[-1]
    trace = session.trace(*session.run_bounds())
    assert trace.nll[-1] == -entry.log_likelihood
    assert trace.neg_elbo[-1] == -entry.elbo
    session.add_component([2.0, 2.0])  # K changes: no responsibilities, no bound
    session.remove_component(3)
    check_every_position(session)
    assert math.isnan(session.trace(*session.run_bounds()).neg_elbo[-2])


def test_restored_sessions_answer_the_same(session, tmp_path):
    session.run(max_half_steps=3)
    session.reinitialize(seed=9)
    session.step()
    session.go_to(1)
    path = tmp_path / "run.gmmsession"
    save_session(path, session)
    restored = load_session(path).session
    check_every_position(restored)
    assert restored.run_bounds() == session.run_bounds() == (0, 4)


def test_trace_is_read_only_and_checks_its_bounds(session):
    session.run(max_half_steps=3)
    trace = session.trace(1, 3)
    assert isinstance(trace, HistoryTrace)
    for array in (trace.indices, trace.x, trace.nll, trace.neg_elbo, trace.converged):
        assert not array.flags.writeable and len(array) == 2
    assert trace.indices.dtype.kind == "i" and trace.converged.dtype == bool
    assert len(session.trace(2, 2).nll) == 0
    # Later entries do not change a trace taken before.
    before = trace.nll.copy()
    session.undo()
    session.undo()
    session.move_mean(0, [3.0, 3.0])
    np.testing.assert_array_equal(trace.nll, before)
    for bad in ((-1, 2), (2, 1), (0, len(session.history) + 1)):
        with pytest.raises(SessionError):
            session.trace(*bad)
    with pytest.raises(SessionError):
        session.run_bounds(len(session.history))


def test_history_is_a_read_only_view_that_copies_nothing(session):
    session.run(max_half_steps=4)
    history = session.history
    states = list(history)
    assert not isinstance(history, (tuple, list))
    assert len(history) == 5
    assert history[0] is states[0] and history[-1] is session.state
    assert history[-2] is states[3]
    assert history[1:3] == (states[1], states[2])
    assert isinstance(history[::2], tuple) and len(history[::2]) == 3
    assert [s.action for s in history][:3] == ["initialise", "e-step", "m-step"]
    assert session.state in history and history.index(session.state) == 4
    with pytest.raises(IndexError):
        history[5]
    with pytest.raises(TypeError):
        history[0] = states[1]  # type: ignore[index]
    assert not hasattr(history, "push") and not hasattr(history, "append")
    session.step()  # the view is live
    assert len(history) == 7 and history[-1] is session.state


def test_the_curve_never_runs_backwards_after_adding_or_removing_a_component():
    from gmmviewer import EMSession, make_preset

    session = EMSession(make_preset("lecture", n_samples=200, seed=0), 3)
    session.step()
    session.e_step()  # at iteration 1.5
    session.add_component([0.0, 0.0])
    session.remove_component(0)
    session.step()
    x = session.trace(*session.run_bounds()).x
    assert np.all(np.diff(x) >= 0), x
    assert x[-1] == 2.0  # the next M-step still counts as iteration 2
