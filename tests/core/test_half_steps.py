"""The named half-steps ``e_step`` and ``m_step``, checked against scipy and hand-computed moments.

Every expected value here is computed independently: scipy.stats densities, weighted
moments written out in numpy, or an invariant (columns sum to one, a bound below the
log-likelihood). None calls the helpers the code under test uses.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gmmviewer.core.em.estep import e_step, e_step_streaming, most_responsible
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.normalization import normalize_chunk
from gmmviewer.core.em.passes import ChunkBuffers
from gmmviewer.core.em.statistics import SufficientStatistics
from gmmviewer.core.params import GMMParams

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


def random_params(rng: np.random.Generator, k: int, d: int, kind: str) -> GMMParams:
    factors = rng.normal(size=(k, d, d))
    full = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(d)
    covariances = {
        "full": full,
        "tied": full[0],
        "diag": rng.uniform(0.2, 3.0, size=(k, d)),
        "spherical": rng.uniform(0.2, 3.0, size=k),
    }[kind]
    return GMMParams(rng.dirichlet(np.ones(k)), rng.normal(size=(k, d)) * 3, covariances, kind)


def full_matrices(params: GMMParams) -> np.ndarray:
    """The compact covariances expanded by hand, shape (K, D, D)."""
    k, d, compact = params.n_components, params.n_features, params.covariances
    if params.covariance_type == "full":
        return np.array(compact)
    if params.covariance_type == "tied":
        return np.broadcast_to(compact, (k, d, d)).copy()
    if params.covariance_type == "diag":
        return np.stack([np.diag(c) for c in compact])
    return compact[:, None, None] * np.eye(d)


def scipy_log_joint(X: np.ndarray, params: GMMParams) -> np.ndarray:
    """``log pi_k + log N(x_n | k)`` from scipy.stats, shape (N, K)."""
    full = full_matrices(params)
    return np.column_stack(
        [
            np.log(params.weights[j])
            + np.atleast_1d(multivariate_normal(params.means[j], full[j]).logpdf(X))
            for j in range(params.n_components)
        ]
    )


def scipy_posterior(X: np.ndarray, params: GMMParams) -> tuple[np.ndarray, float, float]:
    """Responsibilities (N, K), log-likelihood and entropy, from scipy."""
    joint = scipy_log_joint(X, params)
    norm = logsumexp(joint, axis=1)
    log_resp = joint - norm[:, None]
    resp = np.exp(log_resp)
    entropy = -float(np.sum(resp * log_resp))
    return resp, float(norm.sum()), entropy


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 5),
    d=st.integers(1, 3),
    kind=st.sampled_from(COVARIANCE_TYPES),
    chunk_size=st.sampled_from([7, 64, 10_000]),
)
def test_e_step_matches_scipy(seed, k, d, kind, chunk_size):
    rng = np.random.default_rng(seed)
    params = random_params(rng, k, d, kind)
    X = rng.normal(size=(150, d)) * 4
    posterior = e_step(X, params, chunk_size=chunk_size)
    resp, log_likelihood, entropy = scipy_posterior(X, params)

    assert posterior.params is params
    assert posterior.resp.shape == (k, 150)  # component-major inside the core
    np.testing.assert_allclose(posterior.resp, resp.T, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(posterior.resp.sum(axis=0), 1.0, rtol=1e-12)
    assert posterior.log_likelihood == pytest.approx(log_likelihood, rel=1e-10)
    assert posterior.entropy == pytest.approx(entropy, rel=1e-8, abs=1e-9)
    assert posterior.hard.shape == (150,) and np.issubdtype(posterior.hard.dtype, np.integer)
    np.testing.assert_array_equal(posterior.hard, np.argmax(posterior.resp, axis=0))
    assert not posterior.resp.flags.writeable and not posterior.hard.flags.writeable


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_e_step_statistics_are_weighted_moments_around_the_means(kind):
    rng = np.random.default_rng(3)
    params = random_params(rng, 3, 2, kind)
    X = rng.normal(size=(500, 2)) * 3
    stats = e_step(X, params, chunk_size=128).statistics
    resp, _, _ = scipy_posterior(X, params)
    assert stats.n_samples == 500
    np.testing.assert_array_equal(stats.centres, params.means)
    np.testing.assert_allclose(stats.counts, resp.sum(axis=0), rtol=1e-10)
    for j in range(3):
        centred = X - params.means[j]
        np.testing.assert_allclose(stats.first[j], resp[:, j] @ centred, rtol=1e-9, atol=1e-9)
        second = (resp[:, j, None] * centred).T @ centred
        if kind in ("diag", "spherical"):
            second = np.diag(second)
        np.testing.assert_allclose(stats.second[j], second, rtol=1e-9, atol=1e-9)


def test_streaming_e_step_gives_the_log_likelihood_without_keeping_responsibilities():
    rng = np.random.default_rng(4)
    params = random_params(rng, 4, 2, "full")
    X = rng.normal(size=(1000, 2)) * 3
    _, log_likelihood, _ = scipy_posterior(X, params)
    total, stats = e_step_streaming(X, params, chunk_size=100)
    assert total == pytest.approx(log_likelihood, rel=1e-10)
    assert stats is not None and stats.n_samples == 1000
    only_total, none = e_step_streaming(X, params, statistics=False)
    assert none is None and only_total == pytest.approx(log_likelihood, rel=1e-10)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_m_step_gives_the_weighted_moments(kind):
    """Weights, means and covariances from responsibilities, written out by hand."""
    rng = np.random.default_rng(5)
    params = random_params(rng, 3, 2, kind)
    X = rng.normal(size=(400, 2)) * 2
    resp, _, _ = scipy_posterior(X, params)
    reg_covar = 1e-4
    result = m_step(e_step(X, params).statistics, reg_covar, params)
    counts = resp.sum(axis=0) + 10 * np.finfo(float).eps
    means = resp.T @ X / counts[:, None]
    scatter = np.stack(
        [(resp[:, j, None] * (X - means[j])).T @ (X - means[j]) / counts[j] for j in range(3)]
    )
    expected = {
        "full": scatter + reg_covar * np.eye(2),
        "tied": np.einsum("k,kij->ij", counts, scatter) / counts.sum() + reg_covar * np.eye(2),
        "diag": np.diagonal(scatter, axis1=1, axis2=2) + reg_covar,
        "spherical": np.diagonal(scatter, axis1=1, axis2=2).mean(axis=1) + reg_covar,
    }[kind]
    np.testing.assert_allclose(result.params.weights, counts / counts.sum(), rtol=1e-10)
    np.testing.assert_allclose(result.params.means, means, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.params.covariances, expected, rtol=1e-8, atol=1e-12)
    assert result.params.covariance_type == kind and not result.issues


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_lower_bound_of_old_responsibilities_under_new_parameters(kind):
    """L(q, theta') = sum r log(pi' N') + H(q), computed directly with scipy, and the
    sandwich of an EM iteration: log p(X | theta) <= L(q, theta') <= log p(X | theta')."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 2)) * 2 + rng.integers(0, 3, size=(300, 1)) * 4
    params = random_params(rng, 3, 2, kind)
    q = e_step(X, params)
    new = m_step(q.statistics, 1e-6, params).params
    resp, log_likelihood, entropy = scipy_posterior(X, params)
    expected = float(np.sum(resp * scipy_log_joint(X, new))) + entropy
    assert q.lower_bound(new) == pytest.approx(expected, rel=1e-10)
    assert q.lower_bound(params) == pytest.approx(log_likelihood, rel=1e-10)
    assert log_likelihood <= q.lower_bound(new) <= scipy_posterior(X, new)[1]


def test_entropy_stays_accurate_when_a_component_is_extremely_narrow():
    """With one component every responsibility is 1, so the entropy is exactly 0, even
    when log-densities reach -1e13 (a difference of log-likelihoods would lose it)."""
    X = np.linspace(-950.0, -900.0, 10).reshape(-1, 1)
    params = GMMParams([1.0], [[-949.0]], [[[1e-10]]])
    posterior = e_step(X, params)
    assert posterior.log_likelihood < -1e12
    assert posterior.entropy == 0.0
    assert posterior.lower_bound(params) == pytest.approx(posterior.log_likelihood, rel=1e-15)


def buffers_holding(weighted: np.ndarray) -> ChunkBuffers:
    buffers = ChunkBuffers.allocate(weighted.shape[0], 1, weighted.shape[1])
    buffers.weighted[...] = weighted
    return buffers


def test_hard_assignment_takes_the_first_of_tied_components():
    weighted = np.array(
        [
            [-1.0, -3.0, 0.0, -np.inf, 2.0],
            [-1.0, -2.0, 0.0, -np.inf, 2.0],
            [-5.0, -2.0, 1.0, -np.inf, -1e300],
        ]
    )
    buffers = buffers_holding(weighted)
    normalize_chunk(buffers)
    hard = most_responsible(buffers.scratch)
    assert not hard.flags.writeable
    # np.argmax takes the first maximum too; an all -inf sample shares equally (so 0).
    np.testing.assert_array_equal(hard, [0, 1, 2, 0, 0])
    np.testing.assert_array_equal(hard, np.argmax(buffers.scratch, axis=0))


@pytest.mark.parametrize("n_components", [2, 5])
def test_a_sample_impossible_under_every_component_gets_a_floored_log_density(n_components):
    """What normalize_chunk's docstring promises: an all -inf sample is shared equally and
    gets -700 + log K (finite), and a NaN sample is shared equally with -inf."""
    weighted = np.full((n_components, 3), -np.inf)
    weighted[:, 1] = np.arange(n_components, dtype=float)
    weighted[0, 2] = np.nan
    buffers = buffers_holding(weighted)
    norm = normalize_chunk(buffers)
    assert norm[0] == pytest.approx(-700.0 + np.log(n_components), rel=1e-15)
    assert norm[1] == pytest.approx(logsumexp(weighted[:, 1]), rel=1e-15)
    assert norm[2] == -np.inf
    np.testing.assert_allclose(buffers.scratch[:, [0, 2]], 1.0 / n_components, rtol=1e-15)


def test_statistics_accumulate_like_one_big_chunk():
    """Adding chunks one by one equals the moments of all the samples at once."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(90, 2))
    resp = rng.dirichlet(np.ones(3), size=90).T
    centres = rng.normal(size=(3, 2))
    stats = SufficientStatistics(centres, "full")
    for rows in (slice(0, 40), slice(40, 90)):
        deviations = X[rows].T[None] - centres[:, :, None]
        stats.add(deviations, resp[:, rows])
    for j in range(3):
        centred = X - centres[j]
        np.testing.assert_allclose(stats.second[j], (resp[j, :, None] * centred).T @ centred)
    np.testing.assert_allclose(stats.counts, resp.sum(axis=1))
