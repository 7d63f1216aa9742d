"""Editing the data in a session: painting, moving, deleting and clearing points.

Each edit is one history entry that carries its own data; undo, redo and jumps bring the
data back with the parameters. Log-likelihoods and responsibilities on the edited data
are checked against scipy, computed independently of gmmviewer's E-step.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.editing import complete_points, completion_note
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import DataError, ParameterError, SessionError
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.csv_writer import write_data_csv
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.variational_state import PriorChoice


def scipy_posterior(X: np.ndarray, params: GMMParams) -> tuple[np.ndarray, float]:
    """Responsibilities (n_samples, n_components) and total log-likelihood, by scipy."""
    covariances = params.full_covariances()
    log_joint = np.column_stack(
        [
            np.log(params.weights[k])
            + multivariate_normal(params.means[k], covariances[k]).logpdf(X).reshape(-1)
            for k in range(params.n_components)
        ]
    )
    log_norm = logsumexp(log_joint, axis=1)
    return np.exp(log_joint - log_norm[:, None]), float(log_norm.sum())


def assert_matches_scipy(session: EMSession) -> None:
    """The session's NLL, ELBO and responsibilities are those of its current data."""
    state = session.state
    X = session.X
    _, log_likelihood = scipy_posterior(X, state.params)
    assert session.log_likelihood == pytest.approx(log_likelihood, rel=1e-10, abs=1e-8)
    if state.resp_params is None:
        assert session.responsibilities is None
        return
    resp, _ = scipy_posterior(X, state.resp_params)
    np.testing.assert_allclose(session.responsibilities, resp, rtol=1e-8, atol=1e-12)
    assert session.responsibilities.shape == (X.shape[0], session.n_components)


@pytest.fixture
def session() -> EMSession:
    session = EMSession(make_preset("lecture", 120, seed=5), 3, seed=1)
    session.step()
    session.e_step()  # responsibilities shown, the M-step next
    return session


def test_add_points_is_one_entry_that_keeps_the_parameters(session):
    before = session.state
    old_X = session.X.copy()
    points = np.array([[0.5, 0.5], [2.0, -1.0], [4.0, 4.0]])
    state = session.add_points(points)
    assert len(session.history) == session.position + 1 == 5
    assert state.action == "add points" and state.description == "added 3 points"
    assert state.params is before.params and state.resp_params is before.resp_params
    assert state.next_step == "M" and state.iteration == before.iteration
    assert state.run_start == before.iteration and not state.converged
    assert session.n_samples == 123
    np.testing.assert_array_equal(session.X, np.vstack([old_X, points]))
    assert_matches_scipy(session)
    # The ELBO of the kept responsibilities on the new data: the E-step's own q.
    assert session.elbo == pytest.approx(session.log_likelihood, rel=1e-12)
    assert session.dataset.edited and session.dataset.labels is None
    assert session.dataset.columns == before.dataset.columns


def test_undo_redo_and_jumps_restore_the_data_and_parameters_exactly(session):
    states = [session.state]
    datasets = [session.dataset]
    session.add_points(np.array([[1.0, 1.0]]))
    session.m_step()
    session.move_point(0, np.array([3.0, 3.0]))
    session.delete_points([1, 2, 5])
    session.step()
    session.clear_data()
    states = list(session.history)
    datasets = [state.dataset for state in states]
    snapshots = [(state.dataset.X.copy(), state.params) for state in states]
    for index in [3, 0, 6, 2, 5, 1, 4]:
        session.go_to(index)
        assert session.state is states[index]
        assert session.dataset is datasets[index]
        X, params = snapshots[index]
        np.testing.assert_array_equal(session.X, X)
        assert session.params is params
        if session.state.placed:
            assert_matches_scipy(session)
    session.go_to(len(states) - 1)
    while session.can_undo:
        session.undo()
        assert session.dataset is session.state.dataset
    assert session.n_samples == 120
    while session.can_redo:
        session.redo()
    assert session.n_samples == 0 and not session.placed


def test_an_edit_after_undo_drops_the_redo_branch(session):
    session.add_points(np.array([[1.0, 1.0]]))
    session.undo()
    session.delete_points([0])
    assert len(session.history) == 5 and not session.can_redo
    assert session.n_samples == 119


def test_move_point_drags_merge_into_one_entry(session):
    length = len(session.history)
    for x in np.linspace(0.0, 2.0, 5):
        session.move_point(7, np.array([x, -x]), merge=True)
    assert len(session.history) == length + 1
    assert session.state.description == "moved point 8" and session.state.point == 7
    np.testing.assert_array_equal(session.X[7], [2.0, -2.0])
    assert_matches_scipy(session)
    # Another point, or merge off, starts a new entry; undo goes back one drag at a time.
    session.move_point(8, np.array([0.0, 0.0]), merge=True)
    session.move_point(8, np.array([1.0, 0.0]))
    assert len(session.history) == length + 3
    session.undo()
    session.undo()
    np.testing.assert_array_equal(session.X[7], [2.0, -2.0])
    session.undo()
    assert session.n_samples == 120 and session.state.action == "e-step"


def test_delete_points_keeps_the_order_of_the_others(session):
    X = session.X.copy()
    session.delete_points(np.array([10, 3, 50]))
    assert session.state.description == "deleted 3 points"
    np.testing.assert_array_equal(session.X, np.delete(X, [3, 10, 50], axis=0))
    assert_matches_scipy(session)


def test_em_goes_on_from_the_edited_data_and_converges_again(session):
    session.add_points(np.random.default_rng(0).normal(6.0, 0.3, size=(40, 2)))
    assert not session.done and session.can_step
    session.run()
    assert session.converged
    fresh = EMSession(session.dataset, params=session.params, tol=session.tol)
    fresh.step()
    # The fit is a fixed point of EM on the edited data.
    np.testing.assert_allclose(fresh.params.means, session.params.means, atol=1e-2)


def test_clear_then_clicks_place_the_components_on_the_first_points():
    session = EMSession(make_preset("lecture", 90, seed=2), 3, covariance_type="diag", seed=3)
    session.run(max_half_steps=4)
    session.clear_data()
    state = session.state
    assert state.action == "clear data" and state.description == "cleared the data"
    assert session.n_samples == 0 and not session.placed and not session.can_step
    assert session.done and math.isnan(session.log_likelihood) and session.elbo is None
    assert session.responsibilities is None and session.next_step == "E"
    for method in (session.e_step, session.step, session.advance, session.prepare):
        with pytest.raises(SessionError, match="draw at least 3 points first"):
            method()
    clicks = np.array([[0.0, 0.0], [5.0, 1.0], [2.0, 6.0]])
    session.add_points(clicks[0])
    session.add_points(clicks[1:2])
    assert not session.placed and session.n_samples == 2 and not session.can_step
    with pytest.raises(SessionError, match="draw at least 3 points first"):
        session.step()
    length = len(session.history)
    state = session.add_points(clicks[2:])
    assert len(session.history) == length + 1
    assert state.description == "added 1 point; placed 3 components on the first 3 points"
    assert session.placed and session.can_step and not session.done
    np.testing.assert_array_equal(session.params.means, clicks)
    np.testing.assert_allclose(session.params.weights, 1 / 3)
    # Variance: the data's mean feature variance (above the floor for these points).
    variance = np.mean(clicks.var(axis=0))
    np.testing.assert_allclose(session.params.covariances, variance)
    assert session.params.covariance_type == "diag"
    assert_matches_scipy(session)
    session.add_points(np.random.default_rng(1).normal(size=(30, 2)) * 2 + 2)
    session.run()
    assert session.converged
    # Undo all the way back through the clear restores the first fit.
    session.go_to(4)
    assert session.n_samples == 90 and session.placed


@pytest.mark.parametrize("kind", ["full", "tied", "spherical"])
def test_placement_of_each_covariance_type_and_the_floor(kind):
    session = EMSession.empty(2, 2, covariance_type=kind)
    # Points on a line: mean variance below the floor of 1e-2 * range^2 in the flat column.
    session.add_points(np.array([[0.0, 0.0], [10.0, 0.0]]))
    params = session.params
    assert params.covariance_type == kind
    expected = max(np.mean([25.0, 0.0]), 1e-2 * 100.0)
    np.testing.assert_allclose(params.full_covariances()[0], expected * np.eye(2))
    # The same point twice: no spread at all, unit variance.
    session = EMSession.empty(("a", "b"), 2, covariance_type=kind)
    session.add_points(np.array([[1.0, 1.0], [1.0, 1.0]]))
    np.testing.assert_allclose(session.params.full_covariances()[1], np.eye(2))
    assert session.dataset.columns == ("a", "b")


def test_an_empty_session_and_choosing_k_before_drawing():
    session = EMSession.empty(2, 3)
    assert session.n_samples == 0 and not session.placed and not session.can_step
    assert session.state.action == "initialise" and len(session.history) == 1
    session.reinitialize(n_components=5)
    assert session.n_components == 5 and not session.placed and len(session.history) == 2
    session.add_points(np.arange(8.0).reshape(4, 2))
    assert not session.placed
    session.reinitialize(n_components=2, method="kmeans")  # now N >= K: a real start
    assert session.placed and session.can_step and session.state.action == "initialise"
    session.undo()
    assert session.n_components == 5 and not session.placed
    session.add_points(np.array([[9.0, 1.0]]))
    assert session.placed
    np.testing.assert_array_equal(session.params.means, session.X[:5])
    with pytest.raises(ParameterError):
        session.reinitialize(n_components=0)


def test_parameter_edits_wait_for_placement():
    session = EMSession.empty(2, 2)
    for edit in (
        lambda: session.move_mean(0, np.zeros(2)),
        lambda: session.add_component(np.zeros(2)),
        lambda: session.remove_component(0),
        lambda: session.switch_method(PriorChoice()),
    ):
        with pytest.raises(SessionError, match="draw at least 2 points first"):
            edit()
    assert len(session.history) == 1


def test_deleting_below_k_stops_stepping_but_keeps_the_fit(session):
    session.delete_points(range(118))
    assert session.n_samples == 2 and session.placed and not session.can_step
    assert session.done
    assert_matches_scipy(session)
    with pytest.raises(SessionError, match="draw at least 3 points first.*there are 2"):
        session.m_step()
    with pytest.raises(ParameterError, match="need at least"):
        session.reinitialize(n_components=3)
    session.add_points(np.array([[1.0, 2.0]]))
    assert session.can_step and session.params is session.history[2].params
    session.step()


def test_deleting_every_point_unplaces_the_components(session):
    session.delete_points(range(120))
    assert not session.placed and session.n_samples == 0
    assert session.state.description == "deleted 120 points"


def test_a_variational_fit_starts_again_on_the_edited_data():
    session = EMSession(make_preset("lecture", 100, seed=2), 3, seed=1, variational=PriorChoice())
    session.run(max_half_steps=4)
    before = session.state
    state = session.add_points(np.array([[0.0, 0.0], [1.0, 1.0]]))
    assert state.method == "vb" and state.action == "add points"
    assert state.iteration == before.iteration and state.next_step == "E"
    assert state.variational.origin is before.params
    assert session.n_samples == 102
    # Its priors are those of the new data.
    expected = PriorChoice().resolve(session.X, 3, "full", session.reg_covar)
    np.testing.assert_allclose(state.variational.priors.mean_prior, expected.mean_prior)
    session.run()
    with pytest.raises(DataError, match="at least 3 points"):
        session.delete_points(range(100))
    assert session.n_samples == 102


@pytest.mark.parametrize(
    ("edit", "error", "message"),
    [
        (lambda s: s.add_points(np.array([[np.nan, 0.0]])), DataError, "non-finite"),
        (lambda s: s.add_points(np.zeros((2, 3))), DataError, "2 coordinates"),
        (lambda s: s.add_points(np.zeros((0, 2))), DataError, "no points"),
        (lambda s: s.add_points(np.array([[1e9, 0.0]])), DataError, "nearer the data"),
        (lambda s: s.add_points(np.array([[1e200, 0.0]])), DataError, "nearer the data"),
        (lambda s: s.move_point(120, np.zeros(2)), ParameterError, "no point 120"),
        (lambda s: s.move_point(-1, np.zeros(2)), ParameterError, "no point -1"),
        (lambda s: s.move_point(2, np.array([np.inf, 0.0])), DataError, "non-finite"),
        (lambda s: s.move_point(2.5, np.zeros(2)), ParameterError, "whole number"),
        (lambda s: s.delete_points([]), ParameterError, "no points"),
        (lambda s: s.delete_points([4, 4]), ParameterError, "twice"),
        (lambda s: s.delete_points([500]), ParameterError, "no point 500"),
        (lambda s: s.edit_data(np.zeros((3, 2)), "m-step", "x"), SessionError, "not an edit"),
    ],
)
def test_bad_edits_are_refused_and_leave_the_session_unchanged(session, edit, error, message):
    state, length, calls = session.state, len(session.history), []
    session.changed.connect(calls.append)
    with pytest.raises(error, match=message) as info:
        edit(session)
    assert "\n" not in str(info.value)
    assert session.state is state and len(session.history) == length and calls == []


def test_points_beyond_the_magnitude_limit_are_refused_on_an_empty_canvas():
    session = EMSession.empty(2, 2)
    with pytest.raises(DataError, match="beyond"):
        session.add_points(np.array([[1e120, 0.0]]))
    assert len(session.history) == 1


def test_every_edit_emits_data():
    session = EMSession(make_preset("lecture", 60, seed=2), 2)
    calls: list[str] = []
    session.changed.connect(calls.append)
    session.add_points(np.zeros((1, 2)))
    session.move_point(0, np.ones(2))
    session.delete_points([0])
    session.clear_data()
    session.undo()
    assert calls == ["data", "data", "data", "data", "undo"]


def test_segments_break_the_curve_at_every_edit_of_the_data(session):
    session.m_step()
    session.add_points(np.array([[1.0, 1.0]]))
    session.step()
    session.move_point(0, np.array([0.0, 1.0]), merge=True)
    session.move_point(0, np.array([0.0, 2.0]), merge=True)
    session.clear_data()
    session.add_points(np.zeros((1, 2)))
    trace = session.trace(0, len(session.history))
    actions = [state.action for state in session.history]
    assert actions == [
        "initialise", "e-step", "m-step", "e-step", "m-step", "add points",
        "e-step", "m-step", "move point", "clear data", "add points",
    ]  # fmt: skip
    np.testing.assert_array_equal(trace.segment, [0, 0, 0, 0, 0, 1, 1, 1, 2, 3, 4])
    # An edit of the data sits where the entry before it does; unplaced entries have no NLL.
    assert trace.x[5] == trace.x[4] and trace.x[8] == trace.x[7]
    assert np.all(np.diff(trace.x) >= 0)
    assert np.isnan(trace.nll[9:]).all() and np.isfinite(trace.nll[:9]).all()
    # The values of each segment are those of its own data.
    for index in (4, 5):
        state = session.history[index]
        _, log_likelihood = scipy_posterior(state.dataset.X, state.params)
        assert -trace.nll[index] == pytest.approx(log_likelihood, rel=1e-10)
    assert session.run_bounds() == (0, len(session.history))  # edits stay in the run
    # Undo and a new edit rewrite the columns of the dropped entries.
    session.go_to(6)
    session.delete_points([0])
    trace = session.trace(0, len(session.history))
    np.testing.assert_array_equal(trace.segment, [0, 0, 0, 0, 0, 1, 1, 2])
    sliced = session.trace(5, 8)
    np.testing.assert_array_equal(sliced.segment, [1, 1, 2])


def prepare_paused_after_reading_the_state(session: EMSession, edit) -> object:
    """``session.prepare()`` on a worker thread, held (by a line tracer, so nothing is
    patched) right after it has read the current state, while ``edit`` runs on this
    thread; returns what the worker prepared."""
    reached, release = threading.Event(), threading.Event()
    results: list[object] = []

    def tracer(frame, event, arg):
        if frame.f_code is not EMSession.prepare.__code__:
            return None

        def local(frame, event, arg):
            if event == "line" and "state" in frame.f_locals and not reached.is_set():
                reached.set()
                release.wait(timeout=60)
            return local

        return local

    def work() -> None:
        sys.settrace(tracer)
        try:
            results.append(session.prepare())
        finally:
            sys.settrace(None)

    thread = threading.Thread(target=work)
    thread.start()
    assert reached.wait(timeout=60)
    try:
        edit()
    finally:
        release.set()
        thread.join()
    return results[0]


@pytest.mark.parametrize("n_edits", [1, 4])  # 4: the worker's data set's context is dropped
def test_a_worker_prepare_racing_an_edit_is_refused_and_never_mixes_data(session, n_edits):
    state = session.state
    old_X = session.X

    def edit() -> None:
        for _ in range(n_edits):
            session.add_points(np.array([[9.0, 9.0]]))

    prepared = prepare_paused_after_reading_the_state(session, edit)
    assert session.n_samples == 120 + n_edits
    assert prepared.origin is state and prepared.state.dataset is state.dataset
    # Everything it computed is of the data of the state it read.
    assert prepared.resp.shape == (3, 120) and prepared.next_posterior.resp.shape == (3, 120)
    _, log_likelihood = scipy_posterior(old_X, prepared.state.params)
    assert prepared.state.log_likelihood == pytest.approx(log_likelihood, rel=1e-10)
    with pytest.raises(SessionError, match="changed while"):
        session.apply(prepared)
    assert session.state.action == "add points"
    session.m_step()
    assert_matches_scipy(session)


def test_undo_across_an_edit_finds_the_old_data_again(session):
    state = session.state
    session.add_points(np.zeros((5, 2)))
    session.undo()
    assert session.state is state
    prepared = session.prepare()
    assert prepared.resp.shape[1] == 120
    session.redo()
    with pytest.raises(SessionError):
        session.apply(prepared)
    session.undo()
    session.apply(session.prepare())
    assert session.state.action == "m-step" and not session.can_redo


def test_complete_points_and_the_note():
    X = np.array([[1.0, 2.0, 3.0, 10.0], [3.0, 4.0, 5.0, 20.0]])
    drawn = np.array([[7.0, 8.0], [9.0, 0.5]])
    points = complete_points(drawn, (3, 1), X)
    np.testing.assert_array_equal(points, [[2.0, 8.0, 4.0, 7.0], [2.0, 0.5, 4.0, 9.0]])
    # One column on the rug of a 1-D display.
    np.testing.assert_array_equal(
        complete_points(np.array([5.0]), (2,), X), [[2.0, 3.0, 5.0, 15.0]]
    )
    # No data yet: the fallback, else zeros.
    empty = X[:0]
    np.testing.assert_array_equal(
        complete_points(drawn[:1], (0, 1), empty, np.array([0, 0, 1.5, -2.0])),
        [[7.0, 8.0, 1.5, -2.0]],
    )
    np.testing.assert_array_equal(complete_points(drawn[:1], (0, 1), empty)[0, 2:], [0, 0])
    columns = ("a", "b", "c", "d")
    assert completion_note((0, 1), X, columns) == (
        "new points take the means of the other columns (c = 4, d = 15)"
    )
    assert completion_note((0, 1, 2, 3), X, columns) == ""
    wide = np.arange(14.0).reshape(2, 7)
    note = completion_note((0,), wide, tuple("abcdefg"))
    assert note.endswith("(b = 4.5, c = 5.5, d = 6.5, e = 7.5, and 2 more)")
    for bad in ((0, 0), (4,), ()):
        with pytest.raises(ParameterError):
            complete_points(drawn, bad, X)
    with pytest.raises(ParameterError):
        complete_points(np.zeros((2, 3)), (0, 1), X)


def test_dataset_rows_and_the_empty_data_set():
    dataset = make_preset("lecture", 30, seed=1).with_normalization(True)
    edited = dataset.with_rows(dataset.X[:5] + 1.0)
    assert edited.edited and not dataset.edited
    assert edited.columns == dataset.columns and edited.source == dataset.source
    np.testing.assert_array_equal(edited.offset, dataset.offset)
    np.testing.assert_array_equal(edited.scale, dataset.scale)
    assert edited.truth is dataset.truth and edited.labels is None
    empty = dataset.with_rows(np.zeros((0, 2)))
    assert empty.n_samples == 0 and empty.raw.shape == (0, 2)
    with pytest.raises(DataError, match="no rows"):
        Dataset(np.zeros((0, 2)))
    with pytest.raises(DataError, match="2 columns"):
        dataset.with_rows(np.zeros((3, 3)))
    with pytest.raises(DataError, match="non-finite"):
        dataset.with_rows(np.array([[np.nan, 1.0]]))
    # In the data's own units a value may be too large even when its z-score is not.
    scaled = Dataset(np.zeros((2, 1)) + [[0.0], [1.0]], scale=np.array([1e99]))
    with pytest.raises(DataError, match="beyond"):
        scaled.with_rows(np.array([[50.0]]))


def test_export_writes_the_edited_data_in_its_own_units(tmp_path, faithful_path):
    dataset = load_csv(faithful_path, normalize=True)
    session = EMSession(dataset, 2)
    session.delete_points(range(10, dataset.n_samples))
    session.add_points(np.array([[0.0, 0.0]]))
    path = tmp_path / "edited.csv"
    write_data_csv(path, session.dataset)
    again = load_csv(path)
    assert again.columns == dataset.columns and again.n_samples == 11
    np.testing.assert_allclose(again.X, session.dataset.raw, rtol=1e-15)
    np.testing.assert_allclose(again.X[-1], dataset.offset, rtol=1e-12)  # z = 0: the means
    session.clear_data()
    write_data_csv(path, session.dataset)
    assert path.read_text().splitlines() == [",".join(dataset.columns)]
