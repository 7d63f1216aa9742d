"""Priors of the variational mixture: scikit-learn's defaults and checks, reproduced.

The reference is ``BayesianGaussianMixture._check_parameters``, which sets the resolved
priors (``weight_concentration_prior_``, ``mean_prior_``, ``covariance_prior_``, ...).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.mixture import BayesianGaussianMixture

from gmmviewer.core.errors import DataError, ParameterError
from gmmviewer.core.vb.priors import resolve_priors

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def sklearn_priors(X: np.ndarray, n_components: int, covariance_type: str, **kwargs):
    model = BayesianGaussianMixture(
        n_components=n_components, covariance_type=covariance_type, **kwargs
    )
    model._check_parameters(X)
    return model


def iris(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=(0, 1, 2, 3))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("dataset", ["faithful", "iris", "one-feature", "large"])
def test_defaults_are_sklearns(request, covariance_type, dataset):
    if dataset == "faithful":
        X = request.getfixturevalue("faithful")
    elif dataset == "iris":
        X = iris(request.getfixturevalue("iris_path"))
    elif dataset == "one-feature":
        X = np.random.default_rng(1).normal(3.0, 2.0, size=(50, 1))
    else:
        # Several chunks, so the chunked moments are exercised.
        X = np.random.default_rng(2).normal(size=(20_000, 3)) @ [[2, 0, 0], [1, 1, 0], [0, 3, 1]]
    n_components = 3
    model = sklearn_priors(X, n_components, covariance_type)
    priors = resolve_priors(X, n_components, covariance_type)
    assert priors.weight_concentration_prior == model.weight_concentration_prior_ == 1 / 3
    assert priors.weight_concentration_prior_type == "dirichlet_process"
    assert priors.mean_precision_prior == model.mean_precision_prior_ == 1.0
    assert priors.degrees_of_freedom_prior == model.degrees_of_freedom_prior_ == X.shape[1]
    np.testing.assert_allclose(priors.mean_prior, model.mean_prior_, rtol=1e-13)
    expected = np.asarray(model.covariance_prior_, dtype=float)
    assert priors.covariance_prior.shape == expected.shape
    np.testing.assert_allclose(priors.covariance_prior, expected, rtol=1e-12)
    assert priors.reg_covar == model.reg_covar
    assert priors.n_features == X.shape[1]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_given_priors_are_kept_as_sklearn_keeps_them(faithful, covariance_type):
    covariance_prior = {
        "full": [[1.0, 0.2], [0.2, 9.0]],
        "tied": [[1.0, 0.2], [0.2, 9.0]],
        "diag": [1.0, 9.0],
        "spherical": 4.0,
    }[covariance_type]
    settings = dict(
        weight_concentration_prior=2.5,
        mean_precision_prior=0.01,
        mean_prior=[1.0, 2.0],
        degrees_of_freedom_prior=1.5,
        covariance_prior=covariance_prior,
    )
    model = sklearn_priors(
        faithful,
        2,
        covariance_type,
        weight_concentration_prior_type="dirichlet_distribution",
        **settings,
    )
    priors = resolve_priors(
        faithful,
        2,
        covariance_type,
        weight_concentration_prior_type="dirichlet_distribution",
        reg_covar=0.5,
        **settings,
    )
    assert priors.weight_concentration_prior == model.weight_concentration_prior_
    assert priors.mean_precision_prior == model.mean_precision_prior_
    assert priors.degrees_of_freedom_prior == model.degrees_of_freedom_prior_
    np.testing.assert_array_equal(priors.mean_prior, model.mean_prior_)
    np.testing.assert_array_equal(priors.covariance_prior, model.covariance_prior_)
    assert priors.reg_covar == 0.5
    assert not priors.is_dirichlet_process


def test_priors_are_read_only(faithful):
    priors = resolve_priors(faithful, 2)
    with pytest.raises(ValueError):
        priors.mean_prior[0] = 1.0
    with pytest.raises(ValueError):
        priors.covariance_prior[0, 0] = 1.0
    with pytest.raises(AttributeError):
        priors.reg_covar = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("covariance_type", "kwargs"),
    [
        ("full", dict(degrees_of_freedom_prior=1.0)),  # must exceed D - 1 = 1
        ("full", dict(weight_concentration_prior=0.0)),
        ("full", dict(mean_precision_prior=-1.0)),
        ("full", dict(mean_prior=[1.0, 2.0, 3.0])),
        ("full", dict(covariance_prior=[[1.0, 2.0], [2.0, 1.0]])),  # not positive definite
        ("full", dict(covariance_prior=[[1.0, 0.5], [0.0, 1.0]])),  # not symmetric
        ("tied", dict(covariance_prior=[1.0, 1.0])),
        ("diag", dict(covariance_prior=[1.0, 0.0])),
        ("spherical", dict(covariance_prior=-2.0)),
        ("full", dict(weight_concentration_prior_type="dirichlet")),
        ("full", dict(reg_covar=-1e-6)),
    ],
)
def test_priors_sklearn_refuses_are_refused(faithful, covariance_type, kwargs):
    with pytest.raises(ParameterError):
        resolve_priors(faithful, 2, covariance_type, **kwargs)


def test_data_checks():
    with pytest.raises(DataError):
        resolve_priors(np.array([[1.0, 2.0]]), 1)
    with pytest.raises(DataError):
        resolve_priors(np.array([[1.0, np.nan], [2.0, 3.0]]), 1)
    with pytest.raises(ParameterError):
        resolve_priors(np.zeros((3, 2)) + np.arange(3)[:, None], 4)
