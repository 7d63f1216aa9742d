"""GMMParams.with_component for every covariance type, checked against scikit-learn's densities.

The expected mixture is written out by hand (weights scaled by 1 - w, the new
covariance reduced to the type as documented) and its density computed with
scipy.stats; scikit-learn, given the compact parameters, must agree.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracles import sklearn_model
from scipy.stats import multivariate_normal

from gmmviewer.core.params import GMMParams

NEW_MEAN = np.array([4.0, -1.0])
NEW_COVARIANCE = np.array([[2.0, 0.6], [0.6, 0.5]])


def existing(kind: str) -> GMMParams:
    covariances = {
        "full": np.array([[[1.0, 0.2], [0.2, 0.8]], [[0.5, 0.0], [0.0, 1.5]]]),
        "tied": np.array([[1.0, -0.3], [-0.3, 0.7]]),
        "diag": np.array([[1.0, 0.8], [0.5, 1.5]]),
        "spherical": np.array([0.9, 1.7]),
    }[kind]
    return GMMParams([0.3, 0.7], [[0.0, 0.0], [-2.0, 3.0]], covariances, kind)


def by_hand(params: GMMParams, weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights (3,), means (3, 2) and full covariances (3, 2, 2) of the documented result."""
    kind, old = params.covariance_type, params.covariances
    if kind == "full":
        covariances = [old[0], old[1], NEW_COVARIANCE]
    elif kind == "tied":  # the new component shares the tied covariance
        covariances = [old, old, old]
    elif kind == "diag":  # the diagonal of the given matrix
        covariances = [np.diag(old[0]), np.diag(old[1]), np.diag([2.0, 0.5])]
    else:  # the mean of its diagonal
        covariances = [old[0] * np.eye(2), old[1] * np.eye(2), 1.25 * np.eye(2)]
    weights = np.array([0.3 * (1 - weight), 0.7 * (1 - weight), weight])
    means = np.array([[0.0, 0.0], [-2.0, 3.0], NEW_MEAN])
    return weights, means, np.stack(covariances)


@pytest.mark.parametrize("kind", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("weight", [None, 0.1])
def test_with_component_for_every_covariance_type(kind, weight):
    params = existing(kind)
    new = params.with_component(NEW_MEAN, NEW_COVARIANCE, weight)
    expected_weight = 1 / 3 if weight is None else weight
    weights, means, covariances = by_hand(params, expected_weight)

    assert new.covariance_type == kind and new.n_components == 3
    np.testing.assert_allclose(new.weights, weights, rtol=1e-15)
    np.testing.assert_array_equal(new.means, means)
    assert new.validate() is new

    X = np.random.default_rng(0).normal(size=(200, 2)) * 3
    density = sum(
        w * multivariate_normal(m, c).pdf(X)
        for w, m, c in zip(weights, means, covariances, strict=True)
    )
    np.testing.assert_allclose(sklearn_model(new, 2).score_samples(X), np.log(density), rtol=1e-10)
    # The original is unchanged (parameters are immutable values).
    assert params.n_components == 2


def test_with_component_rejects_weights_outside_zero_one():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        existing("diag").with_component(NEW_MEAN, NEW_COVARIANCE, 1.0)
