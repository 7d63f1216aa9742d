"""The E-step pass's own chunk size, its normalisation below a ceiling, and its feature sums."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em import estep, passes
from gmmviewer.core.em.estep import e_step, e_step_streaming
from gmmviewer.core.em.initialization import initialize
from gmmviewer.core.em.normalization import chunk_entropy, normalize_below, normalize_chunk
from gmmviewer.core.em.passes import (
    CHUNK_ENTRIES,
    CHUNK_ROWS_RANGE,
    ChunkBuffers,
    feature_sums,
    pass_chunk_size,
)
from gmmviewer.core.params import GMMParams

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def weighted_log_densities(X, params):
    """(K, N) ``log pi_k + log N(x | k)`` from scipy."""
    return np.vstack(
        [
            np.log(w) + multivariate_normal(mean=m, cov=c).logpdf(X)
            for w, m, c in zip(params.weights, params.means, params.full_covariances(), strict=True)
        ]
    )


# ------------------------------------------------------------------ chunk size
@given(st.integers(min_value=1, max_value=100_000))
def test_the_chunk_size_is_the_largest_power_of_two_the_budget_allows(width):
    rows = pass_chunk_size(width)
    low, high = CHUNK_ROWS_RANGE
    assert low <= rows <= high
    assert rows & (rows - 1) == 0
    if low < rows:
        assert rows * width <= CHUNK_ENTRIES
    if rows < high:
        assert 2 * rows * width > CHUNK_ENTRIES
    assert pass_chunk_size(width + 1) <= rows


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_the_default_chunking_gives_the_same_bits_on_one_and_two_threads(kind):
    X = make_random_mixture(3, 100_000, 2, separation=3.0, seed=1).X
    params = initialize(X, 3, "random-means", kind, 0, 1e-6)
    one, two = (e_step(X, params, threads=n) for n in (1, 2))
    assert np.array_equal(one.resp, two.resp)
    assert one.log_likelihood == two.log_likelihood
    assert one.entropy == two.entropy
    for name in ("counts", "first", "second"):
        assert np.array_equal(getattr(one.statistics, name), getattr(two.statistics, name))
    # Several chunks at the default size, and the same pass as scipy's densities.
    assert X.shape[0] > pass_chunk_size(3 + 6)
    expected = float(np.sum(logsumexp(weighted_log_densities(X, params), axis=0)))
    assert one.log_likelihood == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------ normalisation below a ceiling
def filled_buffers(weighted):
    buffers = ChunkBuffers.allocate(weighted.shape[0], 1, weighted.shape[1])
    buffers.weighted[...] = weighted
    return buffers


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=40),
    st.floats(min_value=0.0, max_value=600.0),
    st.integers(min_value=0, max_value=2**31),
)
def test_normalising_below_a_ceiling_is_normalising_by_the_peak(n_components, size, depth, seed):
    rng = np.random.default_rng(seed)
    # Log-densities up to `depth` below the ceiling 0, some far below the rest.
    weighted = -rng.uniform(0.0, depth, size=(n_components, size))
    weighted[:, rng.random(size) < 0.3] -= rng.uniform(0.0, 60.0)
    ceiling = float(rng.uniform(-50.0, 50.0))
    below, by_peak = filled_buffers(weighted), filled_buffers(weighted)
    norm = normalize_below(below, ceiling)
    assert norm is not None
    expected = normalize_chunk(by_peak) + ceiling
    np.testing.assert_allclose(norm, expected, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(norm, logsumexp(weighted, axis=0) + ceiling, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(below.scratch, by_peak.scratch, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(below.scratch.sum(axis=0), 1.0, rtol=1e-14)
    assert chunk_entropy(below) == pytest.approx(chunk_entropy(by_peak), rel=1e-11, abs=1e-11)


def test_a_sample_far_below_the_ceiling_or_a_nan_is_refused():
    weighted = np.full((3, 4), -5.0)
    weighted[:, 2] = [-690.0, -700.0, -750.0]
    assert normalize_below(filled_buffers(weighted), 0.0) is None
    weighted[:, 2] = -5.0
    weighted[1, 3] = np.nan
    assert normalize_below(filled_buffers(weighted), 0.0) is None
    weighted[1, 3] = -5.0
    assert normalize_below(filled_buffers(weighted), 0.0) is not None


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_an_outlier_far_from_every_component_gets_its_exact_responsibilities(kind, monkeypatch):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(0.0, 1.0, (400, 2)), rng.normal(6.0, 1.0, (400, 2))])
    unit = {
        "full": np.stack([np.eye(2)] * 2),
        "tied": np.eye(2),
        "diag": np.ones((2, 2)),
        "spherical": np.ones(2),
    }[kind]
    params = GMMParams(np.array([0.5, 0.5]), np.array([[0.0, 0.0], [6.0, 0.5]]), unit, kind)
    # About 45 standard deviations from both: every term lies > 660 below the ceiling.
    X = np.vstack([X, [[45.0, -40.0]]])
    fallbacks = []
    original = estep.normalize_chunk

    def recording(buffers):
        fallbacks.append(buffers.weighted.shape[1])
        return original(buffers)

    monkeypatch.setattr(estep, "normalize_chunk", recording)
    result = e_step(X, params, chunk_size=300)
    # Only the chunk holding the outlier left the ceiling's normalisation.
    assert fallbacks == [X.shape[0] - 600]
    weighted = weighted_log_densities(X, params)
    assert np.max(weighted[:, -1]) < float(np.max(np.log(params.weights))) - 660.0
    expected_resp = np.exp(weighted - logsumexp(weighted, axis=0))
    np.testing.assert_allclose(result.resp, expected_resp, rtol=1e-9, atol=1e-12)
    assert result.resp[:, -1].max() > 0.99  # not the equal split the floor alone would give
    expected = float(np.sum(logsumexp(weighted, axis=0)))
    assert result.log_likelihood == pytest.approx(expected, rel=1e-12)
    total, _ = e_step_streaming(X, params, chunk_size=300)
    assert total == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------ feature sums
@pytest.mark.parametrize("n_components", [1, 3, 5, passes.FEATURE_SUMS_BY_ROW, 20])
def test_feature_sums_are_the_matrix_product(n_components):
    rng = np.random.default_rng(n_components)
    resp = rng.random((n_components, 1000))
    features = rng.normal(size=(6, 1000))
    sums = feature_sums(resp, features)
    assert sums.shape == (n_components, 6)
    np.testing.assert_allclose(sums, resp @ features.T, rtol=1e-12)


# ------------------------------------------------------------------ the exp floor
@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(COVARIANCE_TYPES),
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=1, max_value=4),
    st.floats(min_value=0.05, max_value=30.0),
    st.integers(min_value=0, max_value=2**31),
)
def test_a_pass_skips_the_exp_floor_only_where_no_term_reaches_it(
    kind, n_features, n_components, spread, seed
):
    from gmmviewer.core.em.normalization import exp_floor_needed
    from gmmviewer.core.em.passes import ComponentTerms, data_bounds

    rng = np.random.default_rng(seed)
    X = rng.normal(0.0, spread, size=(300, n_features))
    params = initialize(X, n_components, "random-means", kind, seed % 1000, 1e-6)
    # Shrink the covariances so that some draws put far samples below the floor.
    shrink = rng.choice([1.0, 1e-2, 1e-4])
    params = GMMParams(params.weights, params.means, params.covariances * shrink, kind)
    constant = ComponentTerms.of(params).exact_constant
    ceiling = float(np.max(constant))
    needed = exp_floor_needed(params, constant, data_bounds(X), ceiling)
    lowest = float(np.min(weighted_log_densities(X, params))) - ceiling
    if not needed:
        assert lowest >= -700.0
    # Either way the pass agrees with scipy.
    expected = float(np.sum(logsumexp(weighted_log_densities(X, params), axis=0)))
    result = e_step(X, params)
    assert result.log_likelihood == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_the_entropy_is_the_same_with_and_without_the_exp_floor(kind, monkeypatch):
    X = make_random_mixture(3, 5_000, 2, separation=3.0, seed=4).X
    params = initialize(X, 3, "random-means", kind, 0, 1e-6)
    skipped = e_step(X, params)
    monkeypatch.setattr(estep, "exp_floor_needed", lambda *args: True)
    raised = e_step(X, params)
    np.testing.assert_allclose(skipped.resp, raised.resp, rtol=1e-13, atol=1e-300)
    assert skipped.entropy == pytest.approx(raised.entropy, rel=1e-12)
    resp = raised.resp
    expected = -float(np.sum(resp * np.log(np.maximum(resp, 1e-300))))
    assert skipped.entropy == pytest.approx(expected, rel=1e-9)
