"""The stateful EM session: half-step order, history, undo/redo, edits, observers."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.em.initialization import initialize
from gmmviewer.core.errors import ParameterError, SessionError
from gmmviewer.core.session.em_session import EMSession


@pytest.fixture
def lecture():
    return make_preset("lecture", n_samples=600, seed=0)


@pytest.fixture
def session(lecture):
    return EMSession(lecture, 3, init="random-means", seed=1)


def scipy_posterior(X, params):
    """Responsibilities computed independently with scipy.stats (shape (N, K))."""
    covariances = params.full_covariances()
    densities = np.column_stack(
        [
            w * multivariate_normal(mean=m, cov=c).pdf(X)
            for w, m, c in zip(params.weights, params.means, covariances, strict=True)
        ]
    )
    return densities / densities.sum(axis=1, keepdims=True), np.log(densities.sum(axis=1)).sum()


def test_initial_state(session, lecture):
    assert session.next_step == "E"
    assert session.iteration == 0
    assert session.responsibilities is None
    assert session.elbo is None
    assert len(session.history) == 1
    assert session.n_samples == 600 and session.n_components == 3
    _, log_likelihood = scipy_posterior(lecture.X, session.params)
    assert session.log_likelihood == pytest.approx(log_likelihood, rel=1e-10)
    assert session.nll == -session.log_likelihood


def test_half_steps_alternate_and_refuse_out_of_order_calls(session):
    with pytest.raises(SessionError, match="next half-step is the E-step"):
        session.m_step()
    session.e_step()
    assert session.next_step == "M"
    with pytest.raises(SessionError, match="next half-step is the M-step"):
        session.e_step()
    session.m_step()
    assert session.next_step == "E"
    assert session.iteration == 1
    assert [s.action for s in session.history] == ["initialise", "e-step", "m-step"]


def test_e_step_responsibilities_match_scipy(session, lecture):
    session.e_step()
    expected, _ = scipy_posterior(lecture.X, session.params)
    np.testing.assert_allclose(session.responsibilities, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(session.responsibilities.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(session.hard_assignments(), expected.argmax(axis=1))


def test_m_step_gives_weighted_moments(session, lecture):
    session.e_step()
    resp = session.responsibilities.copy()
    session.m_step()
    counts = resp.sum(axis=0)
    np.testing.assert_allclose(session.params.weights, counts / counts.sum(), rtol=1e-10)
    means = resp.T @ lecture.X / counts[:, None]
    np.testing.assert_allclose(session.params.means, means, rtol=1e-10)
    for k in range(3):
        centred = lecture.X - means[k]
        covariance = (resp[:, k, None] * centred).T @ centred / counts[k] + 1e-6 * np.eye(2)
        np.testing.assert_allclose(session.params.covariances[k], covariance, rtol=1e-9)


def test_step_finishes_the_current_iteration(session):
    session.step()
    assert session.iteration == 1 and session.next_step == "E"
    session.e_step()
    session.step()  # only the M-step is left
    assert session.iteration == 2 and session.next_step == "E"
    assert len(session.history) == 5


def test_elbo_closes_the_gap_and_rises(session):
    """E-step: ELBO = log-likelihood. M-step: log-likelihood >= ELBO >= previous log-likelihood."""
    previous = session.log_likelihood
    for _ in range(6):
        session.e_step()
        assert session.elbo == session.log_likelihood
        session.m_step()
        assert session.elbo >= previous - 1e-9
        assert session.log_likelihood >= session.elbo - 1e-9
        previous = session.log_likelihood


def test_undo_redo_restore_parameters_and_responsibilities(session):
    session.step()
    session.e_step()
    resp_after_e = session.responsibilities.copy()
    params_after_e = session.params
    session.m_step()
    session.undo()
    assert session.next_step == "M"
    assert session.params is params_after_e
    np.testing.assert_allclose(session.responsibilities, resp_after_e, rtol=1e-12, atol=1e-15)
    session.undo()
    session.undo()  # back to after the first E-step
    assert session.position == 1
    session.redo()
    session.redo()
    session.redo()
    assert session.position == 4 and not session.can_redo
    with pytest.raises(SessionError, match="nothing to redo"):
        session.redo()


def test_undo_then_step_discards_the_redo_branch(session):
    session.run(max_half_steps=4)
    session.undo()
    session.undo()
    assert session.can_redo
    session.e_step()
    assert not session.can_redo
    assert len(session.history) == 4


def test_recomputed_responsibilities_equal_the_originals(session):
    session.run(max_half_steps=3)  # E, M, E
    original = session.responsibilities.copy()
    session.go_to(0)
    assert session.responsibilities is None
    session.go_to(3)
    np.testing.assert_allclose(session.responsibilities, original, rtol=1e-12, atol=1e-15)


def test_reset_returns_to_the_initial_parameters(session):
    initial = session.params
    session.run(max_half_steps=6)
    session.reset()
    assert session.params is initial
    assert session.iteration == 0 and session.next_step == "E"
    assert session.can_redo  # the run can be replayed


def test_run_to_convergence_and_pause(session):
    performed = session.run(should_stop=lambda: session.iteration >= 2)
    assert session.iteration == 2 and performed == 4
    assert not session.done
    session.run()
    assert session.done and session.converged
    assert session.run() == 0  # nothing left to do


def test_iter_run_yields_every_half_step(session):
    actions = [state.action for state in session.iter_run()]
    assert actions[:2] == ["e-step", "m-step"]
    assert len(actions) == 2 * session.iteration


def test_max_iter_counts_from_the_last_start(lecture):
    session = EMSession(lecture, 3, init="random-means", seed=1, max_iter=3, tol=0.0)
    session.run()
    assert session.iteration == 3 and not session.converged and session.done


def test_reinitialize_is_reproducible_and_undoable(session, lecture):
    before = session.params
    session.reinitialize("k-means++", seed=42, n_components=4)
    assert session.n_components == 4
    expected = initialize(lecture.X, 4, "k-means++", "full", seed=42)
    assert session.params.equals(expected)
    session.undo()
    assert session.params is before


def test_reinitialize_rejects_bad_input_and_keeps_the_session(session):
    session.step()
    state = session.state
    with pytest.raises(ParameterError, match="need at least"):
        session.reinitialize(n_components=10_000)
    with pytest.raises(ParameterError, match="unknown initialisation"):
        session.reinitialize("spectral")
    with pytest.raises(ParameterError, match="unknown covariance type"):
        session.reinitialize(covariance_type="banded")
    assert session.state is state and len(session.history) == 3


def test_covariance_type_change_by_reinitialisation(session):
    session.reinitialize(covariance_type="diag")
    assert session.covariance_type == "diag"
    session.run()
    assert session.params.covariances.shape == (3, 2)


def test_move_mean_is_an_undoable_edit(session):
    session.step()
    session.move_mean(1, [0.5, -0.5])
    assert session.state.action == "move mean"
    np.testing.assert_array_equal(session.params.means[1], [0.5, -0.5])
    assert session.next_step == "E"
    assert session.responsibilities is not None  # colours stay until the next E-step
    session.undo()
    assert session.state.action == "m-step"


def test_a_drag_merges_into_one_history_entry(session):
    session.move_mean(0, [0.0, 0.0])
    for x in np.linspace(0, 1, 5):
        session.move_mean(0, [x, x], merge=True)
    assert len(session.history) == 2
    np.testing.assert_array_equal(session.params.means[0], [1.0, 1.0])
    session.move_mean(1, [2.0, 2.0], merge=True)  # another component: a new entry
    assert len(session.history) == 3


def test_edit_after_undo_discards_the_redo_branch(session):
    session.run(max_half_steps=4)
    session.undo()
    session.move_mean(0, [1.0, 1.0])
    assert not session.can_redo
    assert session.state.action == "move mean"


def test_edit_restarts_convergence_tracking(session):
    session.run()
    assert session.done
    session.move_mean(0, session.params.means[0] + 1.0)
    assert not session.converged and not session.done
    session.run()
    assert session.converged


def test_add_and_remove_components(session):
    session.step()
    session.add_component([0.0, 5.0])
    assert session.n_components == 4
    assert session.params.weights.sum() == pytest.approx(1.0)
    assert session.responsibilities is None  # K changed: no valid q until the next E-step
    session.remove_component(0)
    assert session.n_components == 3
    np.testing.assert_array_equal(session.params.means[-1], [0.0, 5.0])
    session.undo()
    session.undo()
    assert session.n_components == 3 and session.state.action == "m-step"
    session.step()
    assert np.all(np.isfinite(session.params.means))


def test_cannot_remove_the_last_component(lecture):
    session = EMSession(lecture, 1)
    with pytest.raises(ParameterError, match="only component"):
        session.remove_component(0)


def test_edits_reject_bad_values_and_keep_the_session(session):
    state = session.state
    with pytest.raises(ParameterError):
        session.move_mean(7, [0.0, 0.0])
    with pytest.raises(ParameterError):
        session.move_mean(0, [np.nan, 0.0])
    with pytest.raises(ParameterError):
        session.add_component([0.0, 0.0], covariance=-np.eye(2))
    assert session.state is state


def test_set_params_checks_dimensions(session):
    other = initialize(np.random.default_rng(0).normal(size=(50, 3)), 2, seed=0)
    with pytest.raises(ParameterError, match="3 features but the data have 2"):
        session.set_params(other)


def test_observers_hear_every_change(session):
    heard = []
    session.changed.connect(heard.append)
    session.step()
    session.undo()
    session.redo()
    session.move_mean(0, [0.0, 0.0])
    session.reinitialize(seed=3)
    session.go_to(0)
    session.tol = 1e-4
    assert heard == ["e-step", "m-step", "undo", "redo", "edit", "initialise", "jump", "settings"]
    session.changed.disconnect(heard.append)
    session.step()
    assert len(heard) == 8


def test_observer_methods_are_held_weakly(session):
    class View:
        def __init__(self):
            self.calls = 0

        def on_changed(self, action):
            self.calls += 1

    view = View()
    session.changed.connect(view.on_changed)
    session.step()
    assert view.calls == 2
    del view
    gc.collect()
    assert len(session.changed) == 0
    session.step()  # no dead callbacks are called


def test_prepared_step_is_refused_once_stale(session):
    prepared = session.prepare()
    session.e_step()
    with pytest.raises(SessionError, match="changed while the step"):
        session.apply(prepared)


def test_history_stores_no_per_sample_arrays(lecture):
    session = EMSession(lecture, 3, init="random-means", seed=1)
    session.run()
    for state in session.history:
        for value in vars(state).values():
            arrays = [value] if isinstance(value, np.ndarray) else []
            if hasattr(value, "means"):
                arrays = [value.weights, value.means, value.covariances]
            assert all(a.size < lecture.n_samples for a in arrays)


def test_settings_are_validated(session):
    with pytest.raises(ParameterError):
        session.tol = -1
    with pytest.raises(ParameterError):
        session.max_iter = 2.5
    with pytest.raises(ParameterError):
        session.reg_covar = float("nan")
