"""Values and positions at the edge of floating point: refused with one line, or exact.

Regression tests for issue 14's reproductions: data near the top of the double range,
means dragged or loaded far from the data, covariance repair at huge scales, and
``generate --separation`` beyond what sampling can place.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from test_cli import assert_clean_failure, gmmviewer

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.extent import DataExtent
from gmmviewer.core.data.synthetic import make_preset, make_random_mixture
from gmmviewer.core.em.fit import fit
from gmmviewer.core.em.mstep import _positive_definite
from gmmviewer.core.errors import DataError, ParameterError
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.paramfile import save_params
from gmmviewer.core.limits import MAX_DATA_MAGNITUDE, MAX_MEAN_DISTANCE
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")


def _huge_csv(tmp_path, magnitude: float):
    rng = np.random.default_rng(0)
    values = rng.uniform(-1.0, 1.0, size=(40, 2)) * np.array([1.0, magnitude])
    path = tmp_path / "huge.csv"
    path.write_text("a,b\n" + "\n".join(f"{float(x)!r},{float(y)!r}" for x, y in values) + "\n")
    return path


@pytest.mark.parametrize("magnitude", [1e154, 1e200, 1.7e308])
@pytest.mark.parametrize("normalize", [False, True])
def test_huge_values_are_refused_naming_the_column(tmp_path, magnitude, normalize):
    path = _huge_csv(tmp_path, magnitude)
    with pytest.raises(DataError, match="column 'b'.*rescale"):
        load_csv(path, normalize=normalize)


def test_values_up_to_the_limit_are_fitted_exactly(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2)) * MAX_DATA_MAGNITUDE / 10.0
    for covariance_type in COVARIANCE_TYPES:
        session = EMSession(X, 1, covariance_type=covariance_type)
        session.step()
        # K = 1: the M-step returns the sample mean and covariance (independent numpy).
        np.testing.assert_allclose(session.params.means[0], X.mean(axis=0), rtol=1e-12)
        assert np.isfinite(session.log_likelihood)
    full = EMSession(X, 1, covariance_type="full", reg_covar=0.0)
    full.step()
    np.testing.assert_allclose(full.params.covariances[0], np.cov(X.T, bias=True), rtol=1e-10)


def test_library_refuses_huge_arrays_too():
    X = np.array([[1.0, 2e200], [2.0, 3.0], [3.0, 1.0]])
    with pytest.raises(DataError, match="column 'x2'"):
        Dataset(X)
    with pytest.raises(DataError, match="column 'x2'"):
        fit(X, 1)


def test_cli_refuses_huge_values_with_one_line(tmp_path):
    path = _huge_csv(tmp_path, 1e200)
    for extra in ([], ["--normalize"]):
        result = gmmviewer("fit", path, "-k", "2", "-o", tmp_path / "out.json", *extra)
        assert_clean_failure(result, 1, "column 'b'")
        assert "rescale" in result.stderr


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_far_means_are_refused_and_leave_the_session_unchanged(covariance_type):
    session = EMSession(make_preset("lecture", 200, seed=0), 1, covariance_type=covariance_type)
    state = session.state
    for position in ([1e155, 0.0], [1e100, 0.0], [0.0, -1e300]):
        with pytest.raises(ParameterError, match="mean of component 1"):
            session.move_mean(0, position)
        assert session.state is state


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_a_mean_at_the_allowed_limit_steps_back_exactly_to_the_data_mean(covariance_type):
    data = make_preset("lecture", 200, seed=0)
    session = EMSession(data, 1, covariance_type=covariance_type, reg_covar=0.0)
    extent = DataExtent.of(data.X, 1.0)
    far = extent.centre + np.array([0.99 * extent.max_distance, 0.0])
    session.e_step()
    session.move_mean(0, far)
    assert session.elbo <= session.log_likelihood
    session.step()
    # K = 1: whatever the start, one M-step gives the sample mean (as numpy computes it).
    np.testing.assert_allclose(session.params.means[0], data.X.mean(axis=0), rtol=1e-13)
    variances = data.X.var(axis=0)
    if covariance_type == "diag":
        np.testing.assert_allclose(session.params.covariances[0], variances, rtol=1e-10)
    elif covariance_type == "spherical":
        np.testing.assert_allclose(session.params.covariances[0], variances.mean(), rtol=1e-10)


def test_far_initial_parameters_are_refused():
    data = make_preset("lecture", 200, seed=0)
    params = GMMParams(
        np.array([0.5, 0.5]), np.array([[1e300, 0.0], [-1e300, 0.0]]), np.ones(2), "spherical"
    )
    with pytest.raises(ParameterError, match="mean of component 1"):
        EMSession(data, params=params)
    with pytest.raises(ParameterError, match="mean of component 1"):
        fit(data, init_params=params)
    session = EMSession(data, 2)
    with pytest.raises(ParameterError):
        session.set_params(params)
    tiny = GMMParams(np.array([1.0]), np.zeros((1, 2)), np.array([1e-300]), "spherical")
    with pytest.raises(ParameterError, match="covariance has variances"):
        session.set_params(tiny)
    with pytest.raises(ParameterError, match="mean of component 3"):
        session.add_component(np.array([0.0, 1e200]))


def test_cli_refuses_far_initial_parameters(tmp_path):
    rng = np.random.default_rng(2)
    data = tmp_path / "data.csv"
    data.write_text(
        "a,b\n" + "\n".join(f"{float(x)!r},{float(y)!r}" for x, y in rng.normal(size=(30, 2)))
    )
    start = tmp_path / "start.json"
    means = np.array([[1e300, 0.0], [-1e300, 0.0]])
    save_params(start, GMMParams(np.array([0.5, 0.5]), means, np.ones(2), "spherical"))
    result = gmmviewer("fit", data, "--init-params", start, "-o", tmp_path / "out.json")
    assert_clean_failure(result, 1, "mean of component 1")


def test_covariance_repair_converges_at_huge_scales():
    # Rank one at 1e290: the eigenvalue floor is lost in rounding, so the x10 repair runs.
    matrix = 1e290 * np.array([[1.0, 1.0], [1.0, 1.0]])
    params, repairs = _positive_definite(
        np.array([1.0]), np.zeros((1, 2)), matrix[None], "full", 0.0, 1.0
    )
    assert repairs
    assert np.min(scipy.linalg.eigvalsh(params.covariances[0])) > 0.0
    with pytest.raises(ParameterError, match="rescale"):
        _positive_definite(
            np.array([1.0]), np.zeros((1, 2)), np.full((1, 2, 2), np.inf), "full", 0.0, 1.0
        )


def test_a_tied_covariance_near_singular_is_refused_or_repaired():
    session = EMSession(np.full((10, 2), 3.0), 1, covariance_type="tied", reg_covar=0.0)
    rotation = np.array([[0.6, -0.8], [0.8, 0.6]])
    # Cholesky factorises it, but its smallest eigenvalue is near its rounding error.
    matrix = rotation @ np.diag([1.0, 1e-15]) @ rotation.T
    matrix = 0.5 * (matrix + matrix.T)
    with pytest.raises(ParameterError, match="tied covariance has variances"):
        session.set_params(GMMParams(np.array([1.0]), np.full((1, 2), 3.0), matrix, "tied"))
    # On identical points with reg_covar = 0 the M-step keeps it positive definite by itself.
    for method in ("kmeans", "random", "random-from-data", "random-means"):
        session.reinitialize(method=method, n_components=2)
        for _ in range(3):
            session.step()
            assert np.min(scipy.linalg.eigvalsh(session.params.covariances)) > 0.0


@pytest.mark.parametrize("separation", [1e200, 1e308])
def test_huge_separation_is_refused(separation):
    with pytest.raises(DataError, match="separation must be at most"):
        make_random_mixture(3, 100, separation=separation)


def test_cli_refuses_huge_separation(tmp_path):
    for separation in ("1e308", "1e200"):
        result = gmmviewer(
            "generate",
            "-k",
            "3",
            "-n",
            "100",
            "--separation",
            separation,
            "-o",
            tmp_path / "g.csv",
        )
        assert_clean_failure(result, 1, "separation must be at most")


def test_limits_name_themselves():
    assert MAX_MEAN_DISTANCE >= 1e3
    assert MAX_DATA_MAGNITUDE**2 * MAX_MEAN_DISTANCE**2 * 1e12 < np.finfo(float).max
