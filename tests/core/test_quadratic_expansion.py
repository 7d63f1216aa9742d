"""The quadratic expansion of full and tied components, against scipy and direct sums.

Its log-densities must agree with ``scipy.stats.multivariate_normal`` to 1e-12 on
well-conditioned data (also far from the origin: the samples are centred first), its
statistics with the responsibility-weighted sums computed directly, and on hostile data
(tight components far from the centre of the data, a component that shrinks in one
step) the guards must send the pass down the exact path.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em import quadratic
from gmmviewer.core.em.estep import e_step, e_step_streaming
from gmmviewer.core.em.fit import fit
from gmmviewer.core.em.initialization import initialize
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.passes import ComponentTerms, data_bounds
from gmmviewer.core.params import GMMParams


def mixture(n_features, n_samples=3_000, n_components=4, seed=0, offset=0.0):
    X = make_random_mixture(n_components, n_samples, n_features, separation=2.5, seed=seed).X
    return X + offset


def scipy_weighted(X, params):
    """``log pi_k + log N(x | k)``, shape (K, N), by scipy."""
    return np.stack(
        [
            np.log(w) + multivariate_normal(mean=m, cov=c).logpdf(X)
            for w, m, c in zip(params.weights, params.means, params.full_covariances(), strict=True)
        ]
    ).reshape(params.n_components, -1)


def expansion_of(X, params):
    return quadratic.QuadraticExpansion.of(
        params, ComponentTerms.of(params).exact_constant, data_bounds(X)
    )


def expanded(X, params):
    """The expansion's weighted log-densities of every sample, shape (K, N)."""
    expansion = expansion_of(X, params)
    assert expansion is not None, "the expansion refused well-conditioned data"
    features = np.empty((quadratic.feature_count(X.shape[1]), X.shape[0]))
    features[0] = 1.0
    out = np.empty((params.n_components, X.shape[0]))
    return expansion.fill(X, features, out)


def count_calls(monkeypatch, name):
    """Record what ``QuadraticExpansion.<name>`` returns."""
    seen = []
    original = getattr(quadratic.QuadraticExpansion, name)

    def recording(self, *args):
        result = original(self, *args)
        seen.append(result)
        return result

    monkeypatch.setattr(quadratic.QuadraticExpansion, name, recording)
    return seen


@pytest.mark.parametrize("kind", ["full", "tied"])
@pytest.mark.parametrize("n_features", [1, 2, 3, 5])
@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_log_densities_agree_with_scipy(kind, n_features, offset):
    X = mixture(n_features, offset=offset)
    params = initialize(X, 4, "kmeans", kind, 1, 1e-6)
    ours = expanded(X, params)
    expected = scipy_weighted(X, params)
    error = np.abs(ours - expected) / np.maximum(1.0, np.abs(expected))
    assert np.max(error) < 1e-12


@pytest.mark.parametrize("kind", ["full", "tied"])
def test_the_pass_takes_the_expansion_and_its_statistics_are_the_weighted_sums(kind, monkeypatch):
    X = mixture(3, n_samples=5_000)
    params = initialize(X, 4, "random-means", kind, 2, 1e-6)
    accepted = count_calls(monkeypatch, "moments")
    result = e_step(X, params, chunk_size=700)
    assert accepted and all(m is not None for m in accepted), "the expansion was not used"
    expected = scipy_weighted(X, params)
    peak = expected.max(axis=0)
    log_likelihood = float(np.sum(np.log(np.exp(expected - peak).sum(axis=0)) + peak))
    assert result.log_likelihood == pytest.approx(log_likelihood, rel=1e-12)
    shares = np.exp(expected - peak)
    np.testing.assert_allclose(result.resp, shares / shares.sum(axis=0), rtol=1e-10, atol=1e-14)
    stats = result.statistics
    resp = result.resp
    deviations = X[None] - stats.centres[:, None]
    np.testing.assert_allclose(stats.counts, resp.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(
        stats.first, np.einsum("kn,knd->kd", resp, deviations), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(
        stats.second, np.einsum("kn,kni,knj->kij", resp, deviations, deviations), rtol=1e-10
    )


def test_tight_components_far_from_the_centre_take_the_exact_path(monkeypatch):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.0, 1e-4, size=(300, 2)), rng.normal(1e4, 1e-4, size=(300, 2))])
    params = fit(X, 2, covariance_type="full", seed=0).params
    assert expansion_of(X, params) is None
    monkeypatch.setattr(
        quadratic.QuadraticExpansion, "fill", lambda *a: pytest.fail("expansion used")
    )
    result = e_step(X, params)
    expected = scipy_weighted(X, params)
    peak = expected.max(axis=0)
    log_likelihood = float(np.sum(np.log(np.exp(expected - peak).sum(axis=0)) + peak))
    assert result.log_likelihood == pytest.approx(log_likelihood, rel=1e-10)


def test_a_huge_offset_is_centred_away():
    """Data at 1e8 with unit spread: the box centre removes the offset, so the expansion
    is taken and stays exact (the uncentred expansion would lose every digit)."""
    X = mixture(2, offset=1e8)
    params = initialize(X, 3, "kmeans", "full", 0, 1e-6)
    ours = expanded(X, params)
    np.testing.assert_allclose(ours, scipy_weighted(X, params), rtol=1e-12, atol=1e-12)


def test_a_component_that_shrinks_in_one_step_gets_exact_moments(monkeypatch):
    """A broad component over a tight cluster far from the centre passes the E-step's
    guard, but its new covariance is a millionth of its squared distance from the
    centre: the moments' guard repeats the pass on the exact path."""
    rng = np.random.default_rng(3)
    broad = rng.normal(0.0, 1.0, size=(400, 2))
    tight = rng.normal(100.0, 1e-3, size=(200, 2))
    X = np.vstack([broad, tight])
    params = GMMParams(
        np.array([0.6, 0.4]),
        np.array([[0.0, 0.0], [100.0, 100.0]]),
        np.stack([np.eye(2), 900.0 * np.eye(2)]),
        "full",
    )
    assert expansion_of(X, params) is not None
    accepted = count_calls(monkeypatch, "moments")
    result = e_step(X, params)
    assert accepted == [None], "the moments' guard did not refuse"
    covariance = m_step(result.statistics, 0.0, params, 1.0).params.covariances[1]
    resp = result.resp[1]
    mean = resp @ X / resp.sum()
    expected = np.einsum("n,ni,nj->ij", resp, X - mean, X - mean) / resp.sum()
    np.testing.assert_allclose(covariance, expected, rtol=1e-12)


def test_a_float32_pass_computes_the_expansion_in_float64():
    X = mixture(2, n_samples=4_000).astype(np.float32)
    params = initialize(X.astype(float), 3, "kmeans", "full", 0, 1e-6)
    # The same float64 values in both: the float32 pass must give the very same sum.
    total32, _ = e_step_streaming(X, params, statistics=False, dtype="float32")
    total64, _ = e_step_streaming(X.astype(float), params, statistics=False)
    assert total32 == total64
    posterior = e_step(X, params, dtype="float32")
    assert posterior.resp.dtype == np.float32


def test_many_features_are_left_to_the_exact_path():
    X = mixture(quadratic.MAX_QUADRATIC_FEATURES + 1, n_samples=500)
    params = initialize(X, 2, "kmeans", "full", 0, 1e-6)
    assert expansion_of(X, params) is None
