"""Degenerate data never leaves NaN in the parameters, never raises from a step,
and always explains itself in the session's status."""

from __future__ import annotations

import numpy as np
import pytest

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
    X = np.array([[1.0]] * 20 + [[2.0]] * 20)
    session = EMSession(X, 3, init="kmeans", seed=0)
    run_and_check(session)


def test_headless_fit_reports_status_and_stays_finite():
    X = np.tile([[1.0, 1.0]], (20, 1))
    result = fit(X, 2, init="random", seed=0)
    assert np.all(np.isfinite(result.params.covariances))
    assert "collapsed" in result.status


def test_huge_scale_data():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 2)) * 1e8 + 1e9
    session = EMSession(X, 3, init="kmeans", seed=0)
    run_and_check(session)
