"""The diagonal expansion's sufficient statistics, against direct weighted sums.

Diagonal and spherical passes sum ``[sum r, sum r y, sum r y^2]`` of the shifted samples
``y = x - c`` over the chunks and turn them into moments around the statistics' centres
once per pass. The statistics must be the responsibility-weighted sums computed
directly (to 1e-12 on well-conditioned data, also far from the origin), and where the
conversion would lose digits (a broad component that shrinks onto a tight cluster far
from ``c``) the moments' guard must send the pass down the exact path, in float64 and
in float32 passes.
"""

from __future__ import annotations

import numpy as np
import pytest

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em import diagonal
from gmmviewer.core.em.estep import e_step
from gmmviewer.core.em.initialization import initialize
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.passes import ComponentTerms, data_bounds
from gmmviewer.core.params import GMMParams

KINDS = ["diag", "spherical"]


def mixture(n_features, n_samples=3_000, n_components=4, seed=0, offset=0.0):
    X = make_random_mixture(n_components, n_samples, n_features, separation=2.5, seed=seed).X
    return X + offset


def recorded_moments(monkeypatch):
    """Record ``(type of the sums, accepted)`` for every :meth:`DiagonalExpansion.moments`."""
    seen = []
    original = diagonal.DiagonalExpansion.moments

    def recording(self, *args):
        result = original(self, *args)
        seen.append((self.dtype.name, result is not None))
        return result

    monkeypatch.setattr(diagonal.DiagonalExpansion, "moments", recording)
    return seen


def direct_statistics(X, resp, centres):
    """Counts, first and diagonal second moments around ``centres``, summed directly."""
    resp = np.asarray(resp, dtype=np.float64)
    deviations = np.asarray(X, dtype=np.float64)[None] - centres[:, None]
    counts = resp.sum(axis=1)
    first = np.einsum("kn,knd->kd", resp, deviations)
    second = np.einsum("kn,knd->kd", resp, deviations**2)
    # What the first moments' rounding is relative to: the sum of the magnitudes of
    # the terms added (around the box centre, then the shift to the centres).
    low, high = data_bounds(np.asarray(X, dtype=np.float64))
    centre = 0.5 * (low + high)
    magnitude = np.einsum("kn,nd->kd", resp, np.abs(X - centre))
    magnitude += counts[:, None] * np.abs(centres - centre)
    return counts, first, second, magnitude


def direct_variances(X, resp, kind):
    """The new variances of every component, shape (K, D) or (K,), from direct sums."""
    resp = np.asarray(resp, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    counts = resp.sum(axis=1)
    means = resp @ X / counts[:, None]
    variances = np.einsum("kn,knd->kd", resp, (X[None] - means[:, None]) ** 2) / counts[:, None]
    return variances if kind == "diag" else variances.mean(axis=1)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_features", [1, 2, 3, 10])
@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_the_statistics_are_the_weighted_sums(kind, n_features, offset, monkeypatch):
    X = mixture(n_features, offset=offset)
    params = initialize(X, 4, "random-means", kind, 2, 1e-6)
    seen = recorded_moments(monkeypatch)
    result = e_step(X, params, chunk_size=700)
    assert seen == [("float64", True)], "the expansion's statistics were not used"
    stats = result.statistics
    counts, first, second, magnitude = direct_statistics(X, result.resp, stats.centres)
    np.testing.assert_allclose(stats.counts, counts, rtol=1e-12)
    assert np.all(np.abs(stats.first - first) <= 1e-12 * magnitude)
    np.testing.assert_allclose(stats.second, second, rtol=1e-12)
    assert stats.n_samples == len(X)


@pytest.mark.parametrize("kind", KINDS)
def test_the_statistics_do_not_depend_on_the_chunks(kind):
    X = mixture(3, n_samples=5_000)
    params = initialize(X, 4, "kmeans", kind, 0, 1e-6)
    one = e_step(X, params, chunk_size=len(X)).statistics
    many = e_step(X, params, chunk_size=333).statistics
    for name in ("counts", "second"):
        np.testing.assert_allclose(getattr(many, name), getattr(one, name), rtol=1e-12)


def tight_clusters_far_apart(kind):
    """Two clusters of spread 1e-3 at -50 and 50, and broad components (sigma 10) on them.

    The E-step's guard accepts the broad components (``(R / sigma)^2`` is 25), but the
    new variances are 1e-6 against a squared distance of 2500 from the box centre: the
    conversion of the sums around it would lose about 1e-6 of them.
    """
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(-50.0, 1e-3, size=(300, 2)), rng.normal(50.0, 1e-3, size=(300, 2))])
    variances = np.full((2, 2), 100.0) if kind == "diag" else np.full(2, 100.0)
    means = np.array([[-50.0, -50.0], [50.0, 50.0]])
    return X, GMMParams(np.array([0.5, 0.5]), means, variances, kind)


def shrinking_float32_component(kind):
    """float32 data, well scaled (the float32 expansion is taken), but the second
    component shrinks from a variance of 0.5 to 1e-4 at 3 from the box centre."""
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0.0, 1.0, size=(400, 2)), rng.normal(3.0, 1e-2, size=(200, 2))])
    variances = np.array([[1.0, 1.0], [0.5, 0.5]]) if kind == "diag" else np.array([1.0, 0.5])
    means = np.array([[0.0, 0.0], [3.0, 3.0]])
    return X.astype(np.float32), GMMParams(np.array([0.6, 0.4]), means, variances, kind)


def expansion_of(X, params, dtype):
    constant = ComponentTerms.of(params).exact_constant
    return diagonal.DiagonalExpansion.of(params, constant, data_bounds(X), np.dtype(dtype))


@pytest.mark.parametrize("kind", KINDS)
def test_tight_clusters_far_apart_get_exact_variances(kind, monkeypatch):
    X, params = tight_clusters_far_apart(kind)
    assert expansion_of(X, params, "float64") is not None
    seen = recorded_moments(monkeypatch)
    result = e_step(X, params)
    assert seen == [("float64", False)], "the moments' guard did not refuse"
    variances = m_step(result.statistics, 0.0, params, 1.0).params.covariances
    # Without the guard these are 1e-6 off (measured: 4e-6).
    np.testing.assert_allclose(variances, direct_variances(X, result.resp, kind), rtol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_a_float32_pass_guards_its_float32_sums(kind, monkeypatch):
    X, params = shrinking_float32_component(kind)
    expansion = expansion_of(X, params, "float32")
    assert expansion is not None and expansion.dtype == np.float32
    seen = recorded_moments(monkeypatch)
    result = e_step(X, params, dtype="float32")
    assert seen == [("float32", False)], "the float32 moments' guard did not refuse"
    assert result.resp.dtype == np.float32
    variances = m_step(result.statistics, 0.0, params, 1.0).params.covariances
    # The exact float32 path: 1e-7 (measured 9e-8); the float32 sums: 1e-4 off.
    np.testing.assert_allclose(variances, direct_variances(X, result.resp, kind), rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_a_float32_pass_with_float32_sums_keeps_their_promise(kind, faithful, monkeypatch):
    X = faithful.astype(np.float32)
    params = initialize(X.astype(np.float64), 2, "kmeans", kind, 0, 1e-6)
    assert expansion_of(X, params, "float32") is not None
    seen = recorded_moments(monkeypatch)
    result = e_step(X, params, dtype="float32")
    assert seen == [("float32", True)]
    stats = result.statistics
    counts, first, second, magnitude = direct_statistics(X, result.resp, stats.centres)
    # The counts are float32 responsibilities summed in float64, like the direct sum.
    np.testing.assert_allclose(stats.counts, counts, rtol=1e-12)
    variances = m_step(stats, 0.0, params, 1.0).params.covariances
    limit = diagonal.MAX_VARIANCE_ERROR[np.dtype(np.float32)]
    np.testing.assert_allclose(variances, direct_variances(X, result.resp, kind), rtol=limit)


@pytest.mark.parametrize("kind", KINDS)
def test_a_float32_pass_on_the_float64_expansion_sums_in_float64(kind, monkeypatch):
    """Data too spread for the float32 expansion: the pass computes in float64 on the
    float32 values, so it gives the float64 pass's log-likelihood and float64-exact sums."""
    X = mixture(2, n_samples=4_000, n_components=5).astype(np.float32)
    params = initialize(X.astype(np.float64), 5, "kmeans", kind, 0, 1e-6)
    assert expansion_of(X, params, "float32") is None
    seen = recorded_moments(monkeypatch)
    single = e_step(X, params, dtype="float32")
    double = e_step(X.astype(np.float64), params)
    assert seen == [("float64", True), ("float64", True)]
    assert single.log_likelihood == double.log_likelihood
    stats = single.statistics
    counts, first, second, magnitude = direct_statistics(X, double.resp, stats.centres)
    np.testing.assert_allclose(stats.counts, counts, rtol=1e-12)
    assert np.all(np.abs(stats.first - first) <= 1e-12 * magnitude)
    np.testing.assert_allclose(stats.second, second, rtol=1e-12)
