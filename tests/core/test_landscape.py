"""The likelihood landscape against an independent computation with scipy.stats, and its
invariants: a converged mean is a stationary point, the pair landscape is symmetric
under label switching, the subsample estimates the whole, the passes stop when asked."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp
from sklearn.mixture import GaussianMixture

from gmmviewer.core.analysis.landscape import (
    COARSE_RESOLUTION,
    FINE_RESOLUTION,
    mean_landscape,
    mean_landscape_passes,
    pair_landscape,
    pair_landscape_passes,
)
from gmmviewer.core.errors import Cancelled, ParameterError
from gmmviewer.core.params import GMMParams

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def oracle_nll(X: np.ndarray, params: GMMParams, means: np.ndarray) -> float:
    """NLL of ``params`` with ``means`` swapped in, by scipy: sum of logpdf, logsumexp."""
    covariances = params.full_covariances()
    log_terms = np.array(
        [
            np.log(params.weights[j])
            + stats.multivariate_normal(means[j], covariances[j]).logpdf(X).reshape(-1)
            for j in range(params.n_components)
        ]
    )
    return float(-logsumexp(log_terms, axis=0).sum())


def moved(params: GMMParams, component: int, dims, position) -> np.ndarray:
    means = np.array(params.means)
    means[component, list(dims)] = position
    return means


def mixture_data(n_features: int, n_samples: int = 400, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(3, n_features))
    labels = rng.integers(0, 3, n_samples)
    return centres[labels] + rng.normal(size=(n_samples, n_features)) * rng.uniform(
        0.5, 1.5, n_features
    )


def some_params(
    n_features: int, covariance_type: str, n_components: int = 3, seed: int = 5
) -> GMMParams:
    rng = np.random.default_rng(seed)
    full = []
    for _ in range(n_components):
        factor = rng.normal(size=(n_features, n_features))
        full.append(factor @ factor.T + n_features * np.eye(n_features))
    weights = rng.uniform(0.5, 1.5, n_components)
    params = GMMParams(
        weights / weights.sum(),
        rng.normal(scale=2.0, size=(n_components, n_features)),
        np.array(full),
    )
    return params.as_covariance_type(covariance_type)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize(("n_features", "dims"), [(2, (0, 1)), (3, (0, 2)), (3, (2, 1))])
def test_mean_landscape_agrees_with_scipy(covariance_type, n_features, dims):
    X = mixture_data(n_features)
    params = some_params(n_features, covariance_type)
    xs = np.linspace(-6.0, 7.0, 6)
    ys = np.linspace(-5.0, 4.0, 5)
    component = 1
    landscape = mean_landscape(X, params, component, xs, ys, dims=dims)
    assert landscape.nll.shape == (ys.size, xs.size)
    assert landscape.subsampled is None
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            expected = oracle_nll(X, params, moved(params, component, dims, (x, y)))
            assert landscape.nll[j, i] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_one_column_landscape_agrees_with_scipy(covariance_type):
    X = mixture_data(1)
    params = some_params(1, covariance_type)
    xs = np.linspace(-8.0, 8.0, 9)
    landscape = mean_landscape(X, params, 2, xs, dims=(0,))
    assert landscape.nll.shape == (xs.size,) and landscape.ys is None
    for i, x in enumerate(xs):
        expected = oracle_nll(X, params, moved(params, 2, (0,), (x,)))
        assert landscape.nll[i] == pytest.approx(expected, rel=1e-9)


def test_a_single_component_landscape_is_its_exact_quadratic():
    X = mixture_data(2)
    params = some_params(2, "full", n_components=1)
    xs, ys = np.linspace(-4, 4, 5), np.linspace(-3, 3, 4)
    landscape = mean_landscape(X, params, 0, xs, ys)
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            expected = oracle_nll(X, params, np.array([[x, y]]))
            assert landscape.nll[j, i] == pytest.approx(expected, rel=1e-9)


def test_the_landscape_at_the_current_mean_is_the_current_nll():
    X = mixture_data(3)
    params = some_params(3, "full")
    mean = params.means[0]
    landscape = mean_landscape(X, params, 0, np.array([mean[1]]), np.array([mean[2]]), dims=(1, 2))
    assert landscape.nll[0, 0] == pytest.approx(oracle_nll(X, params, params.means), rel=1e-12)


def test_a_point_far_from_the_other_components_takes_the_overflow_safe_path():
    # The moved component explains the outlier e^1800 times better than the rest:
    # exp(z) would overflow a double.
    X = np.concatenate([np.linspace(-1.0, 1.0, 50), [60.0]]).reshape(-1, 1)
    params = GMMParams([0.5, 0.5], [[0.0], [0.0]], [1.0, 1.0], "spherical")
    xs = np.array([0.0, 30.0, 59.0, 60.0, 61.0])
    landscape = mean_landscape(X, params, 1, xs, dims=(0,))
    assert np.all(np.isfinite(landscape.nll))
    for i, x in enumerate(xs):
        expected = oracle_nll(X, params, np.array([[0.0], [x]]))
        assert landscape.nll[i] == pytest.approx(expected, rel=1e-9)


def converged_fit(X: np.ndarray, covariance_type: str) -> GMMParams:
    model = GaussianMixture(
        3, covariance_type=covariance_type, tol=1e-12, max_iter=5000, random_state=0
    ).fit(X)
    return GMMParams(model.weights_, model.means_, model.covariances_, covariance_type)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_a_converged_mean_is_a_stationary_point_of_its_landscape(faithful, covariance_type):
    X = (faithful - faithful.mean(axis=0)) / faithful.std(axis=0)
    params = converged_fit(X, covariance_type)
    for component in range(3):
        mx, my = params.means[component]
        h = 1e-4
        xs = np.array([mx - h, mx, mx + h])
        ys = np.array([my - h, my, my + h])
        nll = mean_landscape(X, params, component, xs, ys).nll
        gradient = np.array([nll[1, 2] - nll[1, 0], nll[2, 1] - nll[0, 1]]) / (2 * h)
        # Against the slope half a unit away, the gradient at the mean vanishes.
        off = mean_landscape(X, params, component, xs + 0.5, ys).nll
        slope = abs(off[1, 2] - off[1, 0]) / (2 * h)
        assert slope > 1.0
        assert np.all(np.abs(gradient) < 1e-4 * slope)
        # ... and on a grid around it the lowest point is the cell of the mean.
        grid_x = np.linspace(mx - 0.3, mx + 0.3, 31)
        grid_y = np.linspace(my - 0.3, my + 0.3, 31)
        local = mean_landscape(X, params, component, grid_x, grid_y).nll
        j, i = np.unravel_index(np.argmin(local), local.shape)
        assert abs(grid_x[i] - mx) <= 0.02 and abs(grid_y[j] - my) <= 0.02


def test_the_subsampled_landscape_estimates_the_whole():
    X = mixture_data(2, n_samples=30_000, seed=11)
    params = some_params(2, "full", seed=2)
    xs, ys = np.linspace(-8, 8, 17), np.linspace(-8, 8, 15)
    estimate = mean_landscape(X, params, 0, xs, ys, max_points=5_000)
    exact = mean_landscape(X, params, 0, xs, ys, max_points=None)
    assert estimate.subsampled == 5_000 and exact.subsampled is None
    span = exact.nll.max() - exact.nll.min()
    assert span > 0
    assert np.max(np.abs(estimate.nll - exact.nll)) < 0.05 * span
    assert np.max(np.abs(estimate.nll - exact.nll) / exact.nll) < 0.02
    # The same subsample every time: the picture does not flicker between recomputes.
    again = mean_landscape(X, params, 0, xs, ys, max_points=5_000)
    np.testing.assert_array_equal(again.nll, estimate.nll)


def one_dimensional_pair(equal: bool) -> tuple[np.ndarray, GMMParams]:
    rng = np.random.default_rng(7)
    X = np.concatenate([rng.normal(-2.0, 1.0, 300), rng.normal(2.5, 0.7, 200)]).reshape(-1, 1)
    if equal:
        return X, GMMParams([0.5, 0.5], [[-1.0], [1.0]], [1.2, 1.2], "spherical")
    return X, GMMParams([0.3, 0.7], [[-1.0], [1.0]], [[[0.8]], [[1.5]]], "full")


@pytest.mark.parametrize("equal", [True, False])
def test_pair_landscape_agrees_with_scipy(equal):
    X, params = one_dimensional_pair(equal)
    xs, ys = np.linspace(-5, 5, 6), np.linspace(-4, 6, 5)
    landscape = pair_landscape(X, params, xs, ys)
    assert landscape.nll.shape == (ys.size, xs.size) and landscape.is_pair
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            expected = oracle_nll(X, params, np.array([[x], [y]]))
            assert landscape.nll[j, i] == pytest.approx(expected, rel=1e-9)


def test_pair_landscape_with_equal_components_is_symmetric_about_the_diagonal():
    X, params = one_dimensional_pair(equal=True)
    axis = np.linspace(-6, 6, 41)
    nll = pair_landscape(X, params, axis, axis).nll
    np.testing.assert_allclose(nll, nll.T, rtol=1e-12)
    X, unequal = one_dimensional_pair(equal=False)
    nll = pair_landscape(X, unequal, axis, axis).nll
    assert np.max(np.abs(nll - nll.T)) > 1.0  # unlike components break the symmetry


def test_pair_landscape_of_a_wide_view_survives_underflow():
    # Both means 40 standard deviations from some points: every term underflows there.
    X = np.concatenate([np.linspace(-1, 1, 40), np.linspace(29, 31, 40)]).reshape(-1, 1)
    params = GMMParams([0.5, 0.5], [[0.0], [30.0]], [0.1, 0.1], "spherical")
    xs = ys = np.array([-40.0, 0.0, 30.0, 70.0])
    landscape = pair_landscape(X, params, xs, ys)
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            expected = oracle_nll(X, params, np.array([[x], [y]]))
            assert landscape.nll[j, i] == pytest.approx(expected, rel=1e-9)


def test_pair_landscape_keeps_the_other_components_fixed():
    X = mixture_data(1)
    params = some_params(1, "diag", n_components=3)
    xs, ys = np.linspace(-6, 6, 4), np.linspace(-5, 5, 3)
    landscape = pair_landscape(X, params, xs, ys, components=(2, 0))
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            means = np.array(params.means)
            means[2, 0], means[0, 0] = x, y
            assert landscape.nll[j, i] == pytest.approx(oracle_nll(X, params, means), rel=1e-9)


def test_passes_go_coarse_then_fine_and_match_the_direct_computation():
    X = mixture_data(2)
    params = some_params(2, "tied")
    passes = list(mean_landscape_passes(X, params, 0, (-5.0, 5.0), (-4.0, 6.0)))
    assert [p.nll.shape for p in passes] == [
        (COARSE_RESOLUTION, COARSE_RESOLUTION),
        (FINE_RESOLUTION, FINE_RESOLUTION),
    ]
    fine = passes[-1]
    direct = mean_landscape(X, params, 0, fine.xs, fine.ys)
    np.testing.assert_allclose(fine.nll, direct.nll, rtol=1e-12)
    assert fine.xs[0] == -5.0 and fine.xs[-1] == 5.0 and fine.ys[-1] == 6.0
    X1, pair = one_dimensional_pair(equal=False)
    shapes = [p.nll.shape for p in pair_landscape_passes(X1, pair, (-5, 5), (-5, 5))]
    assert shapes == [(48, 48), (160, 160)]


def test_passes_stop_when_asked():
    X = mixture_data(2, n_samples=3000)
    params = some_params(2, "full")
    asked = []

    def stop_after_the_first_pass() -> bool:
        asked.append(True)
        return len(seen) > 0

    seen: list = []
    with pytest.raises(Cancelled):
        for landscape in mean_landscape_passes(
            X, params, 0, (-5, 5), (-5, 5), should_stop=stop_after_the_first_pass
        ):
            seen.append(landscape)
    assert len(seen) == 1 and asked


def test_bad_requests_are_refused_with_a_message():
    X = mixture_data(2)
    params = some_params(2, "full")
    axis = np.linspace(0, 1, 3)
    with pytest.raises(ParameterError, match="component 4"):
        mean_landscape(X, params, 3, axis, axis)
    with pytest.raises(ParameterError, match="columns"):
        mean_landscape(X, params, 0, axis, axis, dims=(0, 2))
    with pytest.raises(ParameterError, match="low < high"):
        list(mean_landscape_passes(X, params, 0, (1.0, 1.0), (0.0, 1.0)))
    with pytest.raises(ParameterError, match="two different"):
        pair_landscape(X[:, :1], GMMParams([1.0], [[0.0]], [1.0], "spherical"), axis, axis, (0, 0))
