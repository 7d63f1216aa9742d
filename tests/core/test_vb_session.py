"""Variational fits in the session: half-steps, bound, undo and switching, against scikit-learn.

The session's variational half-steps are checked against scikit-learn's
``BayesianGaussianMixture`` started from the same explicit parameters (scikit-learn's
``_initialize`` with the responsibilities those parameters give under the plain
mixture): after every M-step the expected weights, means and covariances and the
bound must agree, and a run stops at the iteration where ``fit`` stops.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em.estep import e_step as mixture_e_step
from gmmviewer.core.em.initialization import initialize
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.variational_state import PriorChoice

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
PRIOR_TYPES = ["dirichlet_process", "dirichlet_distribution"]
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def faithful() -> np.ndarray:
    return np.loadtxt(DATA / "faithful.csv", delimiter=",", skiprows=1, usecols=(1, 2))


def sklearn_from(X, start, prior_type, tol, max_iter=1, reg_covar=1e-6, **priors):
    model = BayesianGaussianMixture(
        n_components=start.n_components,
        covariance_type=start.covariance_type,
        weight_concentration_prior_type=prior_type,
        reg_covar=reg_covar,
        tol=tol,
        max_iter=max_iter,
        **priors,
    )
    model._check_parameters(X)
    model._initialize(X, mixture_e_step(X, start).resp.T.copy())
    model._set_parameters(model._get_parameters())  # fills weights_, as fit() does
    return model


def sklearn_iteration(model, X):
    log_prob_norm, log_resp = model._e_step(X)
    model._m_step(X, log_resp)
    model._set_parameters(model._get_parameters())
    return model._compute_lower_bound(log_resp, log_prob_norm)


def assert_expected_parameters(session, model, rtol=1e-9):
    np.testing.assert_allclose(session.params.weights, model.weights_, rtol=rtol)
    np.testing.assert_allclose(session.params.means, model.means_, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(session.params.covariances, model.covariances_, rtol=rtol)


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_half_steps_follow_scikit_learn_from_the_same_start(kind, prior_type):
    X = faithful()
    start = initialize(X, 4, "random-means", kind, 3, 1e-6)
    session = EMSession(X, params=start, variational=PriorChoice(prior_type), tol=1e-3)
    model = sklearn_from(X, start, prior_type, tol=1e-3)
    for _ in range(6):
        session.e_step()
        session.m_step()
        bound = sklearn_iteration(model, X)
        assert_expected_parameters(session, model)
        assert session.state.elbo == pytest.approx(bound, rel=1e-10)
        assert session.state.lower_bound == pytest.approx(bound, rel=1e-10)


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_a_run_stops_where_scikit_learn_stops(kind, prior_type):
    X = make_random_mixture(3, 400, 2, separation=4.0, seed=7).X
    start = initialize(X, 6, "kmeans", kind, 0, 1e-6)
    tol = 1e-3
    session = EMSession(X, params=start, variational=PriorChoice(prior_type), tol=tol, max_iter=500)
    session.run()
    model = sklearn_from(X, start, prior_type, tol=tol, max_iter=500)
    model.n_init = 1
    # fit() calls _initialize itself: give it the same responsibilities.
    resp = mixture_e_step(X, start).resp.T.copy()
    model._initialize_parameters = lambda X_, random_state, **_: model._initialize(X_, resp.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    assert session.converged and model.converged_
    assert session.iteration == model.n_iter_
    assert_expected_parameters(session, model, rtol=1e-6)


def test_a_dirichlet_process_switches_surplus_components_off():
    X = make_random_mixture(3, 900, 2, separation=6.0, seed=11).X
    session = EMSession(X, 10, seed=0, variational=PriorChoice(), max_iter=1000)
    session.run()
    weights = np.sort(session.params.weights)[::-1]
    assert weights[:3].sum() > 0.97
    assert np.sum(weights >= 0.01) == 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(2, 6),
    kind=st.sampled_from(COVARIANCE_TYPES),
    prior_type=st.sampled_from(PRIOR_TYPES),
)
def test_the_bound_never_falls_across_half_steps(seed, k, kind, prior_type):
    # reg_covar = 0: scikit-learn's M-step adds reg_covar to covariances its E-step then
    # ignores, which can lower its bound by a hair at an E-step (see core/vb/bound.py).
    X = make_random_mixture(3, 150, 2, separation=2.0, seed=seed).X
    session = EMSession(
        X, k, seed=seed, covariance_type=kind, variational=PriorChoice(prior_type), reg_covar=0.0
    )
    bounds = []
    for _ in range(12):
        session.advance()
        bounds.append(session.state.elbo)
    bounds = np.array(bounds)
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))


def test_undo_redo_and_jumps_give_back_the_same_responsibilities():
    X = faithful()
    session = EMSession(X, 5, seed=2, variational=PriorChoice("dirichlet_distribution"))
    for _ in range(4):
        session.step()
    session.e_step()
    shown = np.array(session.responsibilities)
    elbo = session.state.elbo
    session.go_to(0)
    session.go_to(-1)
    # The cache was emptied by the jumps: the posterior is recomputed from the state.
    np.testing.assert_allclose(session.responsibilities, shown, rtol=1e-12, atol=1e-15)
    assert session.state.elbo == elbo
    session.undo()
    session.redo()
    np.testing.assert_allclose(session.responsibilities, shown, rtol=1e-12, atol=1e-15)


def test_switching_method_is_an_undoable_start_from_the_runs_start():
    X = faithful()
    session = EMSession(X, 3, seed=1)
    first = session.params
    for _ in range(3):
        session.step()
    session.switch_method(PriorChoice(weight_concentration=0.01))
    assert session.method == "vb" and session.iteration == 0
    assert session.prior_choice.weight_concentration == 0.01
    # The variational start is the run's start through its plain responsibilities.
    model = sklearn_from(X, first, "dirichlet_process", tol=1e-3, weight_concentration_prior=0.01)
    assert_expected_parameters(session, model, rtol=1e-10)
    session.step()
    session.switch_method(None)
    # Back to EM from the mixture the variational run began from, not its expectations.
    assert session.method == "em"
    np.testing.assert_array_equal(session.params.means, first.means)
    session.undo()
    assert session.method == "vb"
    session.undo()
    session.undo()
    assert session.method == "vb" and session.state.action == "initialise"
    session.undo()
    assert session.method == "em"


def test_edits_restart_the_variational_fit_from_the_edited_mixture():
    X = faithful()
    session = EMSession(X, 3, seed=1, variational=PriorChoice())
    session.step()
    before = session.params
    session.move_mean(0, [3.0, 70.0])
    assert session.state.action == "move mean" and session.method == "vb"
    edited = before.with_mean(0, [3.0, 70.0])
    model = sklearn_from(X, edited, "dirichlet_process", tol=1e-3)
    assert_expected_parameters(session, model, rtol=1e-10)
    session.reinitialize(n_components=5)
    assert session.method == "vb" and session.n_components == 5
    # The default concentration follows K (1 / K).
    assert session.state.variational.priors.weight_concentration_prior == pytest.approx(0.2)


def test_prepare_writes_nothing_in_a_variational_session(monkeypatch):
    session = EMSession(faithful(), 3, seed=1, variational=PriorChoice())

    def refuse(self, name, value):
        raise AssertionError(f"prepare() wrote {name}")

    prepared = []
    with monkeypatch.context() as patch:
        patch.setattr(EMSession, "__setattr__", refuse)
        prepared.append(session.prepare())
    state = session.apply(prepared[0])
    assert state.action == "e-step"


def test_bad_priors_are_refused_and_the_session_stays():
    X = faithful()
    for bad in (
        PriorChoice(weight_concentration=-1.0),
        PriorChoice(weight_concentration=0.0),
        PriorChoice(mean_precision=float("nan")),
        PriorChoice(degrees_of_freedom=0.5),
        PriorChoice(prior_type="uniform"),
    ):
        with pytest.raises(ParameterError):
            EMSession(X, 3, variational=bad)
    session = EMSession(X, 3, seed=0)
    session.step()
    state = session.state
    with pytest.raises(ParameterError):
        session.switch_method(PriorChoice(mean_precision=-2.0))
    assert session.state is state


def test_changing_the_priors_again_starts_from_the_same_mixture_and_a_drag_is_one_entry():
    X = faithful()
    session = EMSession(X, 4, seed=3)
    first = session.params
    session.switch_method(PriorChoice(weight_concentration=0.01))
    length = len(session.history)
    for concentration in (0.1, 1.0, 100.0):
        session.switch_method(PriorChoice(weight_concentration=concentration), replace=True)
    assert len(session.history) == length
    model = sklearn_from(X, first, "dirichlet_process", tol=1e-3, weight_concentration_prior=100.0)
    assert_expected_parameters(session, model, rtol=1e-10)
    session.undo()
    assert session.method == "em"


def test_switching_a_method_started_fit_to_em_and_back_keeps_each_posterior():
    X = faithful()
    session = EMSession(X, 3, seed=5, variational=PriorChoice())
    session.e_step()
    variational_resp = np.array(session.responsibilities)
    session.undo()
    session.switch_method(None)
    session.e_step()
    em_resp = np.array(session.responsibilities)
    assert not np.allclose(em_resp, variational_resp)
    session.undo()
    session.undo()
    session.e_step()
    np.testing.assert_array_equal(session.responsibilities, variational_resp)
