"""The bound slice: log-likelihood and L(q, theta) as one mean moves along a line.

Checked against scipy.stats (an independent density and posterior), against the
session's own M-step (where t = 1 must land), and against the invariants of EM's bound:
it touches the likelihood where q was computed, never exceeds it, and tops out at t = 1.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gmmviewer.core.analysis.bound_slice import (
    DEFAULT_TS,
    LARGEST_VARIANCE_DIRECTION,
    M_STEP_DIRECTION,
    bound_slice,
)
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.session.em_session import EMSession

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


@pytest.fixture(scope="module")
def lecture():
    return make_preset("lecture", n_samples=400, seed=3)


def session_after_e_step(dataset, covariance_type, m_steps=1):
    """A session that has made ``m_steps`` full iterations and then one E-step."""
    session = EMSession(dataset, 3, covariance_type=covariance_type, init="random-means", seed=2)
    for _ in range(m_steps):
        session.e_step()
        session.m_step()
    session.e_step()
    return session


def scipy_terms(X, params, mean_k, k):
    """log(pi_j N(x_n | theta_j)) with mean k replaced, computed by scipy, shape (N, K)."""
    covariances = params.full_covariances()
    columns = []
    for j in range(params.n_components):
        mean = mean_k if j == k else params.means[j]
        columns.append(
            np.log(params.weights[j]) + multivariate_normal(mean=mean, cov=covariances[j]).logpdf(X)
        )
    return np.column_stack(columns)


def scipy_posterior(X, params):
    terms = scipy_terms(X, params, params.means[0], 0)
    return np.exp(terms - logsumexp(terms, axis=1, keepdims=True))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_after_an_e_step_the_bound_touches_at_zero_and_lies_below_elsewhere(
    lecture, covariance_type
):
    session = session_after_e_step(lecture, covariance_type)
    state = session.state
    for k in range(3):
        result = bound_slice(session.X, state.params, state.resp_params, k)
        assert result.direction_kind == M_STEP_DIRECTION
        at_zero = int(np.flatnonzero(result.ts == 0.0)[0])
        assert result.bound[at_zero] == pytest.approx(result.log_likelihood[at_zero], rel=1e-9)
        assert result.log_likelihood[at_zero] == pytest.approx(state.log_likelihood, rel=1e-9)
        tiny = 1e-9 * abs(state.log_likelihood)
        assert np.all(result.bound <= result.log_likelihood + tiny)
        away = result.ts != 0.0
        assert np.all(result.gap[away] > 0)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_the_bound_is_highest_at_t_one_where_the_m_step_puts_the_mean(lecture, covariance_type):
    session = session_after_e_step(lecture, covariance_type)
    state = session.state
    k = 1
    fine = np.linspace(-0.5, 2.0, 2001)  # holds t = 1 exactly (index 1200)
    result = bound_slice(session.X, state.params, state.resp_params, k, ts=fine)
    assert fine[np.argmax(result.bound)] == 1.0
    # The derivative at t = 1 vanishes: a central difference of a quadratic is exact.
    h = 1e-3
    ends = bound_slice(session.X, state.params, state.resp_params, k, ts=np.array([1 - h, 1 + h]))
    slope = (ends.bound[1] - ends.bound[0]) / (2 * h)
    curvature = abs(result.bound[0] - 2 * result.bound[1000] + result.bound[2000]) / 1.25**2
    assert abs(slope) < 1e-6 * curvature
    # t = 1 is the mean the session's own M-step computes.
    session.m_step()
    assert result.origin + result.direction == pytest.approx(session.params.means[k], abs=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_values_agree_with_scipy(lecture, covariance_type):
    session = session_after_e_step(lecture, covariance_type, m_steps=2)
    state = session.state
    X, params, k = session.X, state.params, 2
    result = bound_slice(X, params, state.resp_params, k)
    r = scipy_posterior(X, state.resp_params)
    with np.errstate(divide="ignore"):
        log_r = np.where(r > 0, np.log(r), 0.0)
    for t in (-0.5, 0.0, 0.375, 1.0, 1.5, 2.0):
        i = int(np.flatnonzero(result.ts == t)[0])
        terms = scipy_terms(X, params, result.origin + t * result.direction, k)
        assert result.log_likelihood[i] == pytest.approx(logsumexp(terms, axis=1).sum(), rel=1e-9)
        assert result.bound[i] == pytest.approx(np.sum(r * (terms - log_r)), rel=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_after_an_m_step_the_bound_stays_below_without_touching(lecture, covariance_type):
    session = session_after_e_step(lecture, covariance_type)
    session.m_step()  # q is now the posterior of the previous parameters
    state = session.state
    assert state.resp_params is not state.params
    result = bound_slice(session.X, state.params, state.resp_params, 0)
    # The M-step already put the mean at the top of this q's bound: no move is left, so
    # the slice runs along the component's longest axis instead, and says so.
    assert result.direction_kind == LARGEST_VARIANCE_DIRECTION
    assert result.ts[np.argmax(result.bound)] == 0.0
    assert np.all(result.gap > 1e-6 * abs(state.log_likelihood))
    # The bound at t = 0 is the session's ELBO for this state.
    at_zero = int(np.flatnonzero(result.ts == 0.0)[0])
    assert result.bound[at_zero] == pytest.approx(state.elbo, rel=1e-9)


def test_responsibilities_or_their_parameters_give_the_same_slice(lecture):
    session = session_after_e_step(lecture, "full")
    state = session.state
    from_params = bound_slice(session.X, state.params, state.resp_params, 0)
    from_resp = bound_slice(session.X, state.params, session.responsibilities, 0)
    assert from_resp.bound == pytest.approx(from_params.bound, rel=1e-12)
    assert from_resp.log_likelihood == pytest.approx(from_params.log_likelihood, rel=1e-12)


def test_default_ts_hold_zero_and_one_exactly():
    assert 0.0 in DEFAULT_TS and 1.0 in DEFAULT_TS
    assert DEFAULT_TS[0] == -0.5 and DEFAULT_TS[-1] == 2.0


def test_a_subsample_is_fixed_scaled_and_still_touches(lecture):
    session = session_after_e_step(lecture, "full")
    state = session.state
    first = bound_slice(session.X, state.params, state.resp_params, 0, max_samples=150)
    again = bound_slice(session.X, state.params, state.resp_params, 0, max_samples=150)
    assert first.subsampled and first.n_used == 150 and first.n_samples == 400
    assert np.array_equal(first.bound, again.bound)
    at_zero = int(np.flatnonzero(first.ts == 0.0)[0])
    assert first.bound[at_zero] == pytest.approx(first.log_likelihood[at_zero], rel=1e-9)
    # Scaled to the whole data: the estimate is near the full log-likelihood.
    assert first.log_likelihood[at_zero] == pytest.approx(state.log_likelihood, rel=0.1)
    # The direction comes from every sample: t = 1 is still the M-step's mean.
    full = bound_slice(session.X, state.params, state.resp_params, 0)
    assert first.direction == pytest.approx(full.direction, rel=1e-12)


def test_bad_arguments_are_refused(lecture):
    session = session_after_e_step(lecture, "full")
    state = session.state
    with pytest.raises(ParameterError, match="no component 4"):
        bound_slice(session.X, state.params, state.resp_params, 3)
    with pytest.raises(ParameterError, match="responsibilities must have shape"):
        bound_slice(session.X, state.params, np.ones((5, 3)) / 3, 0)
    with pytest.raises(ParameterError, match="direction needs 2"):
        bound_slice(session.X, state.params, state.resp_params, 0, direction=np.ones(3))
