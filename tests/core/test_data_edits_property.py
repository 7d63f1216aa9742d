"""Property tests of data edits mixed with steps and undo: the session is always what
replaying the operations of its current branch on a fresh session gives, and EM never
raises the NLL between edits of the data."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.session.em_session import EMSession

OPERATIONS = ("step", "half", "add", "move", "drag", "delete", "clear", "undo", "redo")


def fresh() -> EMSession:
    return EMSession(make_preset("lecture", 40, seed=7), 2, seed=3, reg_covar=0.0, tol=0.0)


def apply(session: EMSession, operation: tuple) -> bool:
    """Perform one operation; False when the session refused it (and stayed as it was)."""
    kind, value = operation
    rng = np.random.default_rng(value)
    n = session.n_samples
    try:
        if kind == "step":
            session.step()
        elif kind == "half":
            session.advance()
        elif kind == "add":
            session.add_points(rng.normal(2.0, 2.0, size=(1 + value % 5, 2)))
        elif kind in ("move", "drag"):
            if n == 0:
                return False
            session.move_point(value % n, rng.normal(2.0, 2.0, size=2), merge=kind == "drag")
        elif kind == "delete":
            if n == 0:
                return False
            session.delete_points(sorted({value % n, (value * 7) % n}))
        elif kind == "clear":
            session.clear_data()
        elif kind == "undo":
            session.undo()
        else:
            session.redo()
    except GMMViewerError:
        return False
    return True


def same_state(a, b) -> None:
    np.testing.assert_array_equal(a.dataset.X, b.dataset.X)
    assert a.params.equals(b.params)
    assert (a.resp_params is None) == (b.resp_params is None)
    if a.resp_params is not None:
        assert a.resp_params.equals(b.resp_params)
    assert (a.action, a.next_step, a.iteration, a.placed) == (
        b.action,
        b.next_step,
        b.iteration,
        b.placed,
    )
    assert a.log_likelihood == b.log_likelihood or (
        math.isnan(a.log_likelihood) and math.isnan(b.log_likelihood)
    )


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 10_000)), min_size=1, max_size=25
    )
)
def test_any_sequence_of_edits_steps_and_undos_equals_a_replay(operations):
    session = fresh()
    # The operations behind each history entry of the current branch (entry 0: none).
    branch: list[tuple | None] = [None]
    for operation in operations:
        before = (len(session.history), session.position, session.state)
        if not apply(session, operation):
            assert (len(session.history), session.position, session.state) == before
            continue
        kind = operation[0]
        if kind == "undo" or kind == "redo":
            continue
        # What the operation recorded: entries after the old position were dropped; a
        # step records its half-steps (one or two); a merged drag replaces the entry.
        del branch[before[1] + 1 :]
        added = session.position - before[1]
        if kind == "drag" and added == 0:
            branch[-1] = ("move", operation[1])  # replayed as the move it ends on
        elif kind == "step":
            branch.extend([("half", 0)] * added)
        else:
            assert added == 1
            branch.append(operation)
    replay = fresh()
    for operation in branch[1 : session.position + 1]:
        assert operation is not None
        kind, value = operation
        assert apply(replay, ("move" if kind == "drag" else kind, value))
    assert replay.position == session.position
    same_state(replay.state, session.state)
    for left, right in zip(replay.history, session.history[: session.position + 1], strict=True):
        same_state(left, right)
    check_nll_within_segments(session)


def check_nll_within_segments(session: EMSession) -> None:
    """Within one segment (unchanged data) an EM half-step never raises the NLL."""
    trace = session.trace(0, len(session.history))
    for i in range(1, len(trace.nll)):
        state = session.history[i]
        if trace.segment[i] != trace.segment[i - 1] or state.status:
            continue
        if state.action in ("e-step", "m-step") and state.method == "em":
            before, after = trace.nll[i - 1], trace.nll[i]
            assert after <= before + 1e-9 * max(1.0, abs(before)), (i, before, after)
