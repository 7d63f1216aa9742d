"""The worker-thread contract: prepare() writes nothing, a PreparedStep carries what it
computed, apply() commits it, and each EM iteration makes one pass over the data."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.em import estep
from gmmviewer.core.errors import SessionError
from gmmviewer.core.session import transitions
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.history import History
from gmmviewer.core.session.posteriors import PosteriorCache


@pytest.fixture
def lecture():
    return make_preset("lecture", n_samples=400, seed=0)


@pytest.fixture
def session(lecture):
    return EMSession(lecture, 3, init="random-means", seed=1)


def scipy_responsibilities(X, params):
    densities = np.column_stack(
        [
            w * multivariate_normal(mean=m, cov=c).pdf(X)
            for w, m, c in zip(params.weights, params.means, params.full_covariances(), strict=True)
        ]
    )
    return densities / densities.sum(axis=1, keepdims=True)


@pytest.fixture
def frozen(monkeypatch):
    """While active, assigning any attribute of a session, its cache or its history fails."""

    def refuse(self, name, value):
        raise AssertionError(f"{type(self).__name__}.{name} was assigned")

    def freeze():
        for cls in (EMSession, PosteriorCache, History):
            monkeypatch.setattr(cls, "__setattr__", refuse)

    return freeze


@pytest.mark.parametrize("half_steps", [0, 1, 2, 3])
def test_prepare_writes_nothing(session, frozen, half_steps):
    session.run(max_half_steps=half_steps)
    state, length, position = session.state, len(session.history), session.position
    hard = session.hard_assignments()
    frozen()
    prepared = session.prepare()
    session.prepare()
    assert session.state is state and prepared.origin is state
    assert (len(session.history), session.position) == (length, position)
    # What the session shows is still the same cached object, not a recomputation.
    assert session.hard_assignments() is hard


def test_a_prepared_e_step_carries_hard_assignments(session, lecture):
    session.step()
    prepared = session.prepare()
    assert prepared.state.action == "e-step"
    expected = scipy_responsibilities(lecture.X, session.params)
    assert prepared.resp.shape == (3, lecture.n_samples)
    np.testing.assert_allclose(prepared.resp, expected.T, rtol=1e-9, atol=1e-12)
    assert prepared.hard.shape == (lecture.n_samples,)
    assert np.issubdtype(prepared.hard.dtype, np.integer)
    np.testing.assert_array_equal(prepared.hard, expected.argmax(axis=1))
    session.apply(prepared)
    # Committed as computed: the session hands out the very arrays the step carried.
    assert session.hard_assignments() is prepared.hard
    assert session.responsibilities.base is prepared.resp
    assert not session.hard_assignments().flags.writeable


def test_each_iteration_makes_one_pass_over_the_data(session, monkeypatch):
    """The M-step's log-likelihood pass leaves the next E-step's posterior: an E-step after
    an M-step or an edit computes nothing, and an iteration runs the E-step pass once."""
    calls = []
    original = estep.e_step

    def counting(X, params, chunk_size=estep.CHUNK_SIZE, arrays=None):
        calls.append(params)
        return original(X, params, chunk_size, arrays)

    monkeypatch.setattr(transitions, "e_step", counting)
    session.step()
    assert len(calls) == 1  # the new parameters' pass; the E-step reused the start's
    calls.clear()
    for _ in range(3):
        session.step()
    assert len(calls) == 3
    calls.clear()
    session.move_mean(0, [0.0, 1.0])
    session.e_step()
    assert len(calls) == 1  # the edit's pass; the E-step after it computed nothing


def test_a_step_prepared_on_a_worker_is_refused_once_the_session_moved(session, lecture):
    session.run(max_half_steps=3)
    results = []
    worker = threading.Thread(target=lambda: results.append(session.prepare()))
    # The owner keeps using the session while the worker computes.
    seen = [session.state]
    worker.start()
    seen.append(session.undo())
    assert session.responsibilities is not None
    seen.append(session.redo())
    session.move_mean(1, [0.0, 0.0])
    worker.join()
    (prepared,) = results
    assert any(prepared.origin is state for state in seen)
    with pytest.raises(SessionError, match="changed while the step"):
        session.apply(prepared)
    # The session is intact and consistent with its state.
    assert session.state.action == "move mean" and len(session.history) == 5
    expected = scipy_responsibilities(lecture.X, session.state.resp_params)
    np.testing.assert_allclose(session.responsibilities, expected, rtol=1e-9, atol=1e-12)


def test_prepared_steps_from_a_worker_commit_in_order(session, lecture):
    box: list = []
    for _ in range(4):
        worker = threading.Thread(target=lambda: box.append(session.prepare()))
        worker.start()
        worker.join()
        session.apply(box.pop())
    reference = EMSession(lecture, 3, init="random-means", seed=1)
    reference.run(max_half_steps=4)
    assert session.params.equals(reference.params)
    assert session.elbo == reference.elbo and session.iteration == 2
