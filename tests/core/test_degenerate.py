"""Degenerate data never leaves NaN in the parameters, never raises from a step,
and always explains itself in the session's status."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.mixture import GaussianMixture

from gmmviewer.core.em.fit import fit
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession


def run_and_check(session: EMSession, half_steps: int = 40) -> list[str]:
    """Run, asserting finite parameters after every half-step; return the statuses seen."""
    statuses = []
    for _ in range(half_steps):
        session.advance()
        params = session.params
        assert np.all(np.isfinite(params.weights))
        assert np.all(np.isfinite(params.means))
        assert np.all(np.isfinite(params.covariances))
        assert np.isfinite(session.log_likelihood)
        assert params.weights.sum() == pytest.approx(1.0)
        _ = params.precisions_cholesky  # positive definite
        if session.responsibilities is not None:
            assert np.all(np.isfinite(session.responsibilities))
        if session.status:
            statuses.append(session.status)
    return statuses


def test_all_points_identical():
    X = np.tile([[2.0, 3.0]], (50, 1))
    session = EMSession(X, 2, init="random", seed=0)
    statuses = run_and_check(session)
    assert any("collapsed onto a single point" in s for s in statuses)


def test_many_duplicates_with_reg_covar_zero():
    rng = np.random.default_rng(0)
    X = np.vstack([np.tile([[0.0, 0.0]], (30, 1)), rng.normal(5, 1, size=(30, 2))])
    session = EMSession(X, 3, init="kmeans", seed=1, reg_covar=0.0)
    statuses = run_and_check(session)
    assert any("increase reg_covar" in s for s in statuses)


def test_k_equal_to_n():
    X = np.random.default_rng(1).normal(size=(5, 2))
    session = EMSession(X, 5, init="kmeans", seed=0)
    statuses = run_and_check(session, 10)
    assert any("collapsed onto a single point" in s for s in statuses)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_collinear_data(covariance_type):
    t = np.random.default_rng(2).uniform(-3, 3, size=200)
    X = np.column_stack([t, 2.0 * t + 1.0])
    session = EMSession(X, 2, covariance_type=covariance_type, init="kmeans", seed=0)
    statuses = run_and_check(session)
    if covariance_type in ("full", "tied"):
        assert any("lie on a line" in s for s in statuses)


def test_collinear_data_without_regularisation_is_repaired():
    t = np.random.default_rng(2).uniform(-3, 3, size=200)
    X = np.column_stack([t, -t])
    session = EMSession(X, 2, init="kmeans", seed=0, reg_covar=0.0)
    statuses = run_and_check(session, 6)
    assert any("was added to its diagonal" in s for s in statuses)


def test_component_that_loses_all_its_points():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    far = GMMParams(
        weights=[0.5, 0.5 - 1e-12, 1e-12],
        means=[[-0.5, 0.0], [0.5, 0.0], [1e4, 1e4]],
        covariances=np.stack([np.eye(2)] * 3),
    )
    session = EMSession(X, params=far)
    statuses = run_and_check(session, 6)
    assert any("component 3 lost all its points" in s for s in statuses)
    # The lost component keeps its place so it stays visible and removable.
    np.testing.assert_array_equal(session.params.means[2], [1e4, 1e4])
    session.remove_component(2)
    run_and_check(session, 4)


def test_single_isolated_point_collapses():
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(size=(100, 2)), [[50.0, 50.0]]])
    start = GMMParams(
        weights=[0.5, 0.49, 0.01],
        means=[[-0.5, 0.0], [0.5, 0.0], [50.0, 50.0]],
        covariances=np.stack([np.eye(2)] * 3),
    )
    session = EMSession(X, params=start)
    statuses = run_and_check(session, 6)
    assert any("component 3 collapsed onto a single point" in s for s in statuses)


def test_one_dimensional_duplicates():
    """Two repeated values: EM climbs to the best likelihood the variance floor allows (half
    the mass on each value, variance reg_covar) and lands where scikit-learn lands."""
    X = np.array([[1.0]] * 20 + [[2.0]] * 20)
    session = EMSession(X, 3, init="kmeans", seed=0)
    start = session.params
    statuses = run_and_check(session)
    assert any("collapsed onto a single point" in s for s in statuses)
    log_likelihoods = np.array([state.log_likelihood for state in session.history])
    assert np.all(np.diff(log_likelihoods) >= -1e-9 * abs(log_likelihoods[-1]))
    reg_covar = session.reg_covar
    best = np.sum(np.log(0.5 * norm.pdf(X[:, 0], loc=X[:, 0], scale=np.sqrt(reg_covar))))
    assert session.log_likelihood == pytest.approx(best, rel=1e-9)
    params = session.params
    for value in (1.0, 2.0):
        at_value = np.abs(params.means[:, 0] - value) < 1e-9
        assert params.weights[at_value].sum() == pytest.approx(0.5, rel=1e-9)
        np.testing.assert_allclose(params.covariances[at_value].ravel(), reg_covar, rtol=1e-6)
    hard = session.hard_assignments()
    assert len(set(hard[:20])) == len(set(hard[20:])) == 1 and hard[0] != hard[-1]
    model = GaussianMixture(
        3,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=np.linalg.inv(start.covariances),
        reg_covar=reg_covar,
    ).fit(X)
    # A component with no points keeps a mean that means nothing (scikit-learn's is 0).
    live = params.weights > 1e-9
    assert np.array_equal(live, model.weights_ > 1e-9)
    np.testing.assert_allclose(params.weights, model.weights_, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(params.means[live], model.means_[live], rtol=1e-12)
    np.testing.assert_allclose(params.covariances[live], model.covariances_[live], rtol=1e-6)


def test_headless_fit_reports_status_and_stays_finite():
    X = np.tile([[1.0, 1.0]], (20, 1))
    result = fit(X, 2, init="random", seed=0)
    assert np.all(np.isfinite(result.params.covariances))
    assert "collapsed" in result.status


def test_huge_scale_data():
    """EM is affine-equivariant: data at 1e9 +- 1e8 fit, iteration for iteration, like the
    same data at unit scale (with reg_covar scaled alike): means map by x * c + o,
    covariances by c^2, and the log-likelihood shifts by -N D log c."""
    rng = np.random.default_rng(5)
    unit = rng.normal(size=(200, 2))
    c, o = 1e8, 1e9
    X = unit * c + o
    session = EMSession(X, 3, init="kmeans", seed=0)
    run_and_check(session)
    reference = EMSession(unit, 3, init="kmeans", seed=0, reg_covar=session.reg_covar / c**2)
    run_and_check(reference)
    assert session.converged and reference.converged
    assert session.iteration == reference.iteration
    shift = -X.size * np.log(c)
    for big, small in zip(session.history, reference.history, strict=True):
        assert big.action == small.action
        np.testing.assert_allclose(big.params.weights, small.params.weights, rtol=1e-9)
        np.testing.assert_allclose(big.params.means, small.params.means * c + o, rtol=1e-12)
        np.testing.assert_allclose(
            big.params.covariances, small.params.covariances * c**2, rtol=1e-9, atol=c**2 * 1e-12
        )
        assert big.log_likelihood == pytest.approx(small.log_likelihood + shift, rel=1e-12)
