"""scikit-learn both ways: mixture parameters from a fitted model, and a fitted model from them.

Pure numpy; no Qt. scikit-learn is optional: :func:`to_sklearn` imports it when called
(a :class:`~gmmviewer.core.errors.MissingDependencyError` says how to install it), and
:func:`sklearn_parameters` only reads attributes, so neither this module nor
:mod:`gmmviewer.core.params` ever imports it at import time. Models are only ever read
from their attributes: nothing here loads pickles.

Both sides store covariances in the same compact form per ``covariance_type`` (see
:mod:`gmmviewer.core.em.gaussian`), so the numbers cross unchanged. This module must not
import :mod:`gmmviewer.core.params` (which imports it); it returns arrays and takes any
object with the attributes of :class:`~gmmviewer.core.params_scoring.MixtureParameters`.
"""

from __future__ import annotations

import math

import numpy as np

from gmmviewer.core.em.gaussian import check_covariance_type
from gmmviewer.core.errors import MissingDependencyError, ParameterError
from gmmviewer.core.params_scoring import MixtureParameters, check_samples, score_samples

#: What the user is told when scikit-learn is needed and missing.
SKLEARN_MISSING = "scikit-learn is not installed: pip install gmmviewer[sklearn]"

_FITTED_ATTRIBUTES = ("weights_", "means_", "covariances_")


def sklearn_parameters(estimator: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """The weights, means and covariances of a fitted scikit-learn mixture.

    Parameters
    ----------
    estimator : GaussianMixture or BayesianGaussianMixture
        Fitted, with any covariance type. Of a ``BayesianGaussianMixture`` this reads
        ``weights_`` (the expected weights), ``means_`` (the means' posterior means) and
        ``covariances_`` (the inverses of the expected precisions): a plain mixture whose
        responsibilities differ a little from the variational ones the model's own
        ``predict_proba`` computes from expected log-weights and log-determinants.

    Returns
    -------
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray
        Shape by ``covariance_type``, as scikit-learn stores them.
    covariance_type : str

    Raises
    ------
    ParameterError
        If ``estimator`` is not a scikit-learn mixture, or not fitted.
    """
    name = type(estimator).__name__
    kind = getattr(estimator, "covariance_type", None)
    if not isinstance(kind, str) or not hasattr(estimator, "get_params"):
        raise ParameterError(
            f"expected a scikit-learn GaussianMixture or BayesianGaussianMixture, got {name}"
        )
    if not all(hasattr(estimator, attribute) for attribute in _FITTED_ATTRIBUTES):
        raise ParameterError(f"the {name} is not fitted: call its fit() first")
    check_covariance_type(kind)
    weights, means, covariances = (
        np.array(getattr(estimator, attribute), dtype=float) for attribute in _FITTED_ATTRIBUTES
    )
    return weights, means, covariances, kind


def to_sklearn(params: MixtureParameters, X: object = None, *, n_iter: int = 0) -> object:
    """A fitted ``sklearn.mixture.GaussianMixture`` holding exactly ``params``.

    Parameters
    ----------
    params : GMMParams
        Validated parameters.
    X : array-like of shape (n_samples, n_features), optional
        Data to set ``lower_bound_`` from: their mean log-likelihood per sample, what
        scikit-learn's fit reports. Without data it is ``-inf``, scikit-learn's value
        before any E-step, and ``lower_bounds_`` is empty.
    n_iter : int
        Stored as ``n_iter_`` (the iterations that produced ``params``, if known).

    Returns
    -------
    GaussianMixture
        ``n_components``, ``covariance_type``, ``weights_``, ``means_``, ``covariances_``,
        ``precisions_``, ``precisions_cholesky_`` (the factors gmmviewer computes, so
        both compute the same densities), ``converged_ = True``, ``n_iter_``,
        ``lower_bound_``, ``lower_bounds_`` and ``n_features_in_`` set: ``predict``,
        ``predict_proba``, ``score_samples``, ``score``, ``bic``, ``aic`` and ``sample``
        work, and ``fit`` with ``warm_start=True`` continues from ``params``.

    Raises
    ------
    MissingDependencyError
        If scikit-learn is not installed.
    """
    try:
        from sklearn.mixture import GaussianMixture
    except ImportError:
        raise MissingDependencyError(SKLEARN_MISSING) from None
    factors = np.array(params.precisions_cholesky)
    kind = params.covariance_type
    if kind == "full":
        precisions = np.matmul(factors, factors.transpose(0, 2, 1))
    elif kind == "tied":
        precisions = factors @ factors.T
    else:
        precisions = factors**2
    model = GaussianMixture(n_components=int(params.weights.size), covariance_type=kind)
    model.weights_ = np.array(params.weights)
    model.means_ = np.array(params.means)
    model.covariances_ = np.array(params.covariances)
    model.precisions_cholesky_ = factors
    model.precisions_ = precisions
    model.converged_ = True
    model.n_iter_ = int(n_iter)
    model.n_features_in_ = params.n_features
    if X is None:
        model.lower_bound_ = -math.inf
        model.lower_bounds_ = []
    else:
        samples = check_samples(X, params.n_features)
        model.lower_bound_ = float(np.mean(score_samples(samples, params)))
        model.lower_bounds_ = [model.lower_bound_]
    return model
