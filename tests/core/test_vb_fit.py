"""Headless variational fitting, starts, the E-step pass and the parameter value."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.initialization import INIT_METHODS
from gmmviewer.core.errors import Cancelled, ParameterError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.vb import (
    VariationalParams,
    e_step,
    fit_variational,
    initial_variational,
    m_step,
    resolve_priors,
    variational_from_resp,
)
from gmmviewer.core.vb.estep import e_step_streaming, log_responsibilities

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def two_clusters(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal([0.0, 0.0], 1.0, (250, 2)), rng.normal([8.0, 6.0], 1.0, (250, 2))])


# ------------------------------------------------------- surplus components
@pytest.mark.parametrize("init", INIT_METHODS)
@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_dirichlet_process_switches_surplus_components_off(covariance_type, init):
    X = two_clusters()
    result = fit_variational(X, 6, covariance_type, init=init, max_iter=1000, random_state=0)
    weights = result.variational.weights
    assert result.converged
    assert np.sum(weights >= 0.01) == 2
    assert np.sum(weights < 0.01) == 4
    # The two that stay are the clusters.
    kept = np.sort(result.variational.means[weights >= 0.01], axis=0)
    np.testing.assert_allclose(kept, [[0.0, 0.0], [8.0, 6.0]], atol=0.3)
    assert result.params.weights.sum() == pytest.approx(1.0)


def test_dirichlet_process_on_old_faithful_keeps_two_of_six(faithful):
    result = fit_variational(faithful, 6, "full", max_iter=1000, random_state=0)
    weights = np.sort(result.variational.weights)[::-1]
    assert np.all(weights[2:] < 0.01)
    assert weights[1] > 0.3


# ------------------------------------------------------------------ starts
@pytest.mark.parametrize("init", INIT_METHODS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_every_initialisation_starts_and_is_reproducible(faithful, covariance_type, init):
    priors = resolve_priors(faithful, 3, covariance_type)
    first = initial_variational(faithful, init, priors, random_state=5)
    again = initial_variational(faithful, init, priors, random_state=5)
    assert first.n_components == 3 and first.covariance_type == covariance_type
    np.testing.assert_array_equal(first.means, again.means)
    np.testing.assert_array_equal(first.covariances, again.covariances)
    first.to_gmm_params().validate()


def test_a_start_from_variational_parameters_is_used_as_it_is(faithful):
    priors = resolve_priors(faithful, 2)
    start = initial_variational(faithful, "kmeans", priors)
    assert initial_variational(faithful, start, priors) is start
    other = resolve_priors(faithful, 2, "diag")
    with pytest.raises(ParameterError):
        initial_variational(faithful, start, other)


def test_one_hot_start_is_an_m_step_from_those_labels(faithful):
    """A start from labels equals the start from their one-hot responsibilities."""
    priors = resolve_priors(faithful, 2, "diag")
    labels = (faithful[:, 1] > 70).astype(int)
    resp = np.eye(2)[labels].T
    variational = variational_from_resp(faithful, resp, priors)
    # Independent arithmetic for component 1, from scikit-learn's formulas.
    members = faithful[labels == 1]
    n = members.shape[0] + 10 * np.finfo(float).eps
    mean = members.mean(axis=0)
    beta = 1.0 + n
    np.testing.assert_allclose(variational.mean_precision[1], beta)
    np.testing.assert_allclose(variational.means[1], (faithful.mean(axis=0) + n * mean) / beta)
    variance = members.var(axis=0) + 1e-6
    prior = faithful.var(axis=0, ddof=1)
    spread = prior + n * (variance + (mean - faithful.mean(axis=0)) ** 2 / beta)
    np.testing.assert_allclose(variational.covariances[1], spread / (2.0 + n), rtol=1e-12)


def test_mismatched_starts_are_refused(faithful):
    priors = resolve_priors(faithful, 3)
    with pytest.raises(ParameterError):
        variational_from_resp(faithful, np.full((2, faithful.shape[0]), 0.5), priors)
    two = GMMParams(
        np.array([0.5, 0.5]), np.array([[2.0, 55.0], [4.0, 80.0]]), np.ones((2, 2)), "diag"
    )
    with pytest.raises(ParameterError):
        initial_variational(faithful, two, priors)
    with pytest.raises(ParameterError):
        initial_variational(faithful, "nonsense", priors)


# ------------------------------------------------------------------ the pass
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_chunking_changes_nothing_but_rounding(covariance_type):
    X = two_clusters(3)
    priors = resolve_priors(X, 4, covariance_type)
    variational = initial_variational(X, "random", priors)
    whole = e_step(X, variational, chunk_size=10**6)
    for chunk_size in (1, 7, 128):
        parts = e_step(X, variational, chunk_size=chunk_size)
        np.testing.assert_allclose(parts.resp, whole.resp, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(parts.hard, whole.hard)
        assert parts.entropy == pytest.approx(whole.entropy, rel=1e-12)
        assert parts.log_prob_norm == pytest.approx(whole.log_prob_norm, rel=1e-12)
        np.testing.assert_allclose(parts.statistics.counts, whole.statistics.counts, rtol=1e-12)
        next_parts = m_step(parts.statistics, priors)
        next_whole = m_step(whole.statistics, priors)
        np.testing.assert_allclose(next_parts.covariances, next_whole.covariances, rtol=1e-11)
    log_prob_norm, entropy, stats = e_step_streaming(X, variational, chunk_size=7)
    assert log_prob_norm == pytest.approx(whole.log_prob_norm, rel=1e-12)
    assert entropy == pytest.approx(whole.entropy, rel=1e-12)
    np.testing.assert_allclose(stats.first, whole.statistics.first, rtol=1e-9, atol=1e-9)


def test_responsibilities_are_normalised_and_match_their_logs(faithful):
    priors = resolve_priors(faithful, 3, "full")
    variational = initial_variational(faithful, "kmeans", priors)
    posterior = e_step(faithful, variational)
    np.testing.assert_allclose(posterior.resp.sum(axis=0), 1.0, rtol=1e-14)
    log_resp, log_norm = log_responsibilities(faithful, variational)
    np.testing.assert_allclose(np.exp(log_resp), posterior.resp, atol=1e-14)
    assert log_norm.sum() == pytest.approx(posterior.log_prob_norm, rel=1e-13)
    np.testing.assert_array_equal(posterior.hard, np.argmax(log_resp, axis=0))
    entropy = -np.sum(posterior.resp * log_resp)
    assert posterior.entropy == pytest.approx(entropy, rel=1e-12)


# ----------------------------------------------------------- the value type
def test_variational_parameters_are_immutable(faithful):
    priors = resolve_priors(faithful, 2)
    variational = initial_variational(faithful, "kmeans", priors)
    arrays = [
        *variational.weight_concentration,
        variational.mean_precision,
        variational.means,
        variational.degrees_of_freedom,
        variational.covariances,
        variational.precisions_cholesky,
    ]
    for array in arrays:
        with pytest.raises(ValueError):
            array.flat[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        variational.means = np.zeros((2, 2))  # type: ignore[misc]


def test_construction_copies_and_checks():
    concentration = np.array([2.0, 3.0])
    variational = VariationalParams(
        "spherical",
        concentration,
        np.array([1.0, 2.0]),
        np.zeros((2, 3)),
        np.array([4.0, 5.0]),
        np.array([1.0, 4.0]),
    )
    concentration[0] = 100.0
    assert variational.weight_concentration[0] == 2.0
    assert not variational.is_dirichlet_process
    np.testing.assert_allclose(variational.weights, [0.4, 0.6])
    np.testing.assert_allclose(variational.precisions_cholesky, [1.0, 0.5])
    params = variational.to_gmm_params()
    assert isinstance(params, GMMParams) and params.covariance_type == "spherical"
    with pytest.raises(ParameterError):  # too few degrees of freedom for D = 3
        VariationalParams(
            "spherical",
            concentration,
            np.ones(2),
            np.zeros((2, 3)),
            np.array([2.0, 5.0]),
            np.ones(2),
        )
    with pytest.raises(ParameterError):  # tied keeps one number of degrees of freedom
        VariationalParams(
            "tied", concentration, np.ones(2), np.zeros((2, 3)), np.ones(2), np.eye(3)
        )


def test_stick_breaking_weights_by_hand():
    a, b = np.array([3.0, 2.0, 1.0]), np.array([2.0, 1.0, 0.5])
    variational = VariationalParams(
        "diag", (a, b), np.ones(3), np.zeros((3, 1)), np.full(3, 2.0), np.ones((3, 1))
    )
    sticks = a / (a + b)
    raw = np.array(
        [sticks[0], (1 - sticks[0]) * sticks[1], (1 - sticks[0]) * (1 - sticks[1]) * sticks[2]]
    )
    np.testing.assert_allclose(variational.weights, raw / raw.sum())


# --------------------------------------------------------------- fitting
def test_fit_reports_progress_and_can_be_cancelled(faithful):
    seen: list[tuple[int, float]] = []
    result = fit_variational(faithful, 2, callback=lambda i, bound: seen.append((i, bound)))
    assert [i for i, _ in seen] == list(range(1, result.n_iter + 1))
    assert tuple(bound for _, bound in seen) == result.lower_bounds
    with pytest.raises(Cancelled):
        fit_variational(faithful, 2, should_stop=lambda: True)


def test_zero_iterations_return_the_start(faithful):
    priors = resolve_priors(faithful, 2)
    start = initial_variational(faithful, "kmeans", priors)
    result = fit_variational(faithful, priors=priors, init=start, max_iter=0)
    assert result.n_iter == 0 and not result.converged and result.lower_bounds == ()
    assert result.lower_bound == -np.inf
    assert result.variational is start


def test_fit_accepts_a_dataset_and_a_gmm_start(faithful):
    start = GMMParams(
        np.array([0.4, 0.6]),
        np.array([[2.0, 55.0], [4.3, 80.0]]),
        np.array([[0.1, 30.0], [0.2, 36.0]]),
        "diag",
    )
    from_array = fit_variational(faithful, 2, "full", init=start)
    from_dataset = fit_variational(Dataset(faithful), 2, "full", init=start)
    np.testing.assert_array_equal(from_array.variational.means, from_dataset.variational.means)
    assert from_array.n_samples == faithful.shape[0]
    assert from_array.converged
