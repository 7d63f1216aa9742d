"""scikit-learn as an independent oracle: helpers shared by core and window tests."""

from __future__ import annotations

import numpy as np
from sklearn.mixture import GaussianMixture

from gmmviewer.core.params import GMMParams


def sklearn_model(params: GMMParams, n_features: int) -> GaussianMixture:
    """A fitted-looking scikit-learn mixture holding exactly ``params`` (for bic, aic, score)."""
    model = GaussianMixture(params.n_components, covariance_type=params.covariance_type)
    model.weights_ = np.array(params.weights)
    model.means_ = np.array(params.means)
    model.covariances_ = np.array(params.covariances)
    model.precisions_cholesky_ = np.array(params.precisions_cholesky)
    model.converged_ = True
    model.n_features_in_ = n_features
    return model
