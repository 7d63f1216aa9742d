"""Parameters fitted on z-scores, mapped back to the data's own units, for every covariance type.

References: the covariance of ``y = A x + b`` is ``A Sigma A^T`` (written out here with numpy),
and the change of variables ``log p_y(y) = log p_x(x) - log |det A|`` evaluated with scipy.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gmmviewer.cli import main as cli_main
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.fit import fit
from gmmviewer.core.params import GMMParams

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def compact_to_full(covariances: np.ndarray, kind: str, k: int, d: int) -> np.ndarray:
    """One D x D matrix per component, expanded by hand (not with GMMParams)."""
    if kind == "full":
        return np.array(covariances)
    if kind == "tied":
        return np.broadcast_to(covariances, (k, d, d)).copy()
    if kind == "diag":
        return np.stack([np.diag(row) for row in covariances])
    return np.asarray(covariances)[:, None, None] * np.eye(d)


def random_params(kind: str, k: int = 3, d: int = 3, seed: int = 0) -> GMMParams:
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(k, d, d))
    full = factors @ factors.transpose(0, 2, 1) + 0.3 * np.eye(d)
    covariances = {
        "full": full,
        "tied": full[0],
        "diag": rng.uniform(0.2, 2.0, size=(k, d)),
        "spherical": rng.uniform(0.2, 2.0, size=k),
    }[kind]
    return GMMParams(rng.dirichlet(np.ones(k)), rng.normal(size=(k, d)), covariances, kind)


def mixture_logpdf(X: np.ndarray, weights, means, full_covariances) -> np.ndarray:
    terms = [
        np.log(w) + multivariate_normal(m, c).logpdf(X)
        for w, m, c in zip(weights, means, full_covariances, strict=True)
    ]
    return logsumexp(np.stack(terms), axis=0)


def normalized_dataset(scale: np.ndarray, offset: np.ndarray, n: int = 50) -> Dataset:
    z = np.random.default_rng(1).normal(size=(n, len(scale)))
    return Dataset(z, offset=offset, scale=scale)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_to_data_units_is_the_affine_map_of_the_gaussians(kind):
    scale = np.array([4.0, 0.5, 30.0])
    offset = np.array([10.0, -3.0, 200.0])
    dataset = normalized_dataset(scale, offset)
    fitted = random_params(kind)
    k, d = fitted.n_components, fitted.n_features
    mapped = dataset.to_data_units(fitted)

    # Unequal column scales make a spherical fit diagonal in data units.
    assert mapped.covariance_type == ("diag" if kind == "spherical" else kind)
    A = np.diag(scale)
    z_full = compact_to_full(fitted.covariances, kind, k, d)
    expected_full = A @ z_full @ A.T
    np.testing.assert_allclose(
        compact_to_full(mapped.covariances, mapped.covariance_type, k, d), expected_full, rtol=1e-13
    )
    np.testing.assert_allclose(mapped.means, fitted.means @ A.T + offset, rtol=1e-13)
    np.testing.assert_allclose(mapped.weights, fitted.weights)

    # The same mixture, seen in other units: densities differ by the Jacobian only.
    z = np.random.default_rng(2).normal(size=(40, d)) * 2
    y = z @ A.T + offset
    np.testing.assert_allclose(
        mixture_logpdf(y, mapped.weights, mapped.means, expected_full),
        mixture_logpdf(z, fitted.weights, fitted.means, z_full) - np.log(np.prod(scale)),
        rtol=1e-10,
    )

    # And back: the z-score parameters again (a spherical fit comes back as its diagonal).
    back = dataset.from_data_units(mapped)
    np.testing.assert_allclose(back.means, fitted.means, atol=1e-12)
    np.testing.assert_allclose(
        compact_to_full(back.covariances, back.covariance_type, k, d), z_full, rtol=1e-12
    )


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_equal_column_scales_keep_the_covariance_type(kind):
    scale = np.full(3, 2.5)
    offset = np.array([1.0, 2.0, 3.0])
    fitted = random_params(kind, seed=3)
    mapped = normalized_dataset(scale, offset).to_data_units(fitted)
    assert mapped.covariance_type == kind
    expected = compact_to_full(fitted.covariances, kind, 3, 3) * 2.5**2
    np.testing.assert_allclose(compact_to_full(mapped.covariances, kind, 3, 3), expected)


def test_raw_data_leave_parameters_alone():
    dataset = Dataset(np.random.default_rng(4).normal(size=(20, 3)))
    fitted = random_params("spherical")
    assert dataset.to_data_units(fitted) is fitted
    assert dataset.from_data_units(fitted) is fitted


def test_spherical_fit_on_z_scores_exports_as_diagonal(tmp_path, iris_path):
    """``gmmviewer fit --normalize --covariance-type spherical`` on iris (columns of very
    different spread) writes diagonal covariances: the z-score variance times each
    column's variance, computed here from the raw file with numpy."""
    out = tmp_path / "iris.json"
    code = cli_main(
        [
            "fit",
            str(iris_path),
            "-k",
            "3",
            "--covariance-type",
            "spherical",
            "--normalize",
            "--seed",
            "0",
            "-o",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    written = json.loads(out.read_text())
    raw = np.genfromtxt(iris_path, delimiter=",", names=True)
    columns = [name for name in raw.dtype.names if name in written["columns"]]
    assert len(columns) == 4
    values = np.column_stack([raw[name] for name in columns])
    mean, std = values.mean(axis=0), values.std(axis=0)
    assert np.ptp(std) > 0.5  # the columns' scales differ, so spherical cannot survive
    # The same fit on z-scores, by the library; its spherical variances map to diag ones.
    z_fit = fit((values - mean) / std, 3, covariance_type="spherical", init="kmeans", seed=0)
    assert z_fit.params.covariance_type == "spherical"
    assert written["covariance_type"] == "diag"
    covariances = np.array(written["covariances"])  # written out as full matrices
    np.testing.assert_array_equal(covariances, [np.diag(np.diag(c)) for c in covariances])
    np.testing.assert_allclose(
        np.diagonal(covariances, axis1=1, axis2=2),
        z_fit.params.covariances[:, None] * std[None, :] ** 2,
        rtol=1e-9,
    )
    np.testing.assert_allclose(np.array(written["means"]), z_fit.params.means * std + mean, 1e-9)
