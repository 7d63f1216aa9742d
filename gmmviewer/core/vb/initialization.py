"""Starting variational parameters: from responsibilities, a method, or explicit parameters.

Pure numpy; no Qt. scikit-learn starts a ``BayesianGaussianMixture`` from
responsibilities: ``_initialize(X, resp)`` is a variational M-step from them. So does
every start here:

* from responsibilities: :func:`variational_from_resp`;
* from an initialisation method of the plain mixture
  (:data:`~gmmviewer.core.em.initialization.INIT_METHODS`): 'kmeans', 'k-means++',
  'random' and 'random-from-data' give responsibilities (their sufficient statistics,
  without materialising them), as scikit-learn's methods of those names do;
  'random-means' gives mixture parameters, treated as below;
* from explicit weights, means and covariances (a GMMParams): the responsibilities are
  the plain mixture's E-step under them.
"""

from __future__ import annotations

import numpy as np

from gmmviewer.core.em.estep import e_step as mixture_e_step
from gmmviewer.core.em.initialization import check_init_method, initial_statistics, initialize
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.vb.mstep import m_step
from gmmviewer.core.vb.priors import VariationalPriors, as_data_matrix
from gmmviewer.core.vb.statistics import statistics_centres, statistics_from_resp
from gmmviewer.core.vb.variational import VariationalParams


def variational_from_resp(
    X: np.ndarray, resp: np.ndarray, priors: VariationalPriors
) -> VariationalParams:
    """The variational parameters scikit-learn's ``_initialize(X, resp.T)`` computes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    resp : ndarray of shape (n_components, n_samples)
        Component-major responsibilities (scikit-learn's ``resp`` transposed).
    priors : VariationalPriors

    Returns
    -------
    VariationalParams
    """
    data = as_data_matrix(X)
    resp = np.asarray(resp, dtype=float)
    _check_features(data, priors)
    if resp.shape != (priors.n_components, data.shape[0]):
        raise ParameterError(
            f"responsibilities must have shape ({priors.n_components}, {data.shape[0]}), "
            f"got {resp.shape}"
        )
    return m_step(statistics_from_resp(data, resp, priors.covariance_type), priors)


def initial_variational(
    X: np.ndarray,
    init: str | GMMParams | VariationalParams,
    priors: VariationalPriors,
    random_state: int | None = 0,
) -> VariationalParams:
    """Starting variational parameters for ``priors.n_components`` components.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    init : str, GMMParams or VariationalParams
        A method of :data:`~gmmviewer.core.em.initialization.INIT_METHODS` ('kmeans',
        'k-means++', 'random', 'random-from-data', 'random-means'; underscores accepted),
        explicit mixture parameters (any covariance type), or variational parameters,
        which are checked against the priors and returned as they are.
    priors : VariationalPriors
    random_state : int or None
        Seed of the method's random choices (gmmviewer's generators: the same seed gives
        the same start, but not scikit-learn's start for that seed).

    Returns
    -------
    VariationalParams
    """
    data = as_data_matrix(X)
    _check_features(data, priors)
    n_components = priors.n_components
    if isinstance(init, VariationalParams):
        _check_variational(init, priors)
        return init
    if isinstance(init, GMMParams):
        return _from_mixture(data, init.validate(), priors)
    method = check_init_method(init)
    if method == "random-means":
        params = initialize(
            data, n_components, method, priors.covariance_type, random_state, priors.reg_covar
        )
        return _from_mixture(data, params, priors)
    stats = initial_statistics(data, n_components, method, priors.covariance_type, random_state)
    return m_step(stats, priors)


def _from_mixture(X: np.ndarray, params: GMMParams, priors: VariationalPriors) -> VariationalParams:
    if params.n_components != priors.n_components or params.n_features != priors.n_features:
        raise ParameterError(
            f"the starting parameters have {params.n_components} components and "
            f"{params.n_features} features, the priors {priors.n_components} and "
            f"{priors.n_features}"
        )
    resp = mixture_e_step(X, params).resp
    # The moments are taken around the starting means: the responsibilities came from them.
    centres = statistics_centres(X, np.asarray(params.means))
    stats = statistics_from_resp(X, resp, priors.covariance_type, centres=centres)
    return m_step(stats, priors)


def _check_features(X: np.ndarray, priors: VariationalPriors) -> None:
    if X.shape[1] != priors.n_features:
        raise ParameterError(f"X has {X.shape[1]} features, the priors {priors.n_features}")


def _check_variational(variational: VariationalParams, priors: VariationalPriors) -> None:
    if (
        variational.covariance_type != priors.covariance_type
        or variational.n_components != priors.n_components
        or variational.n_features != priors.n_features
        or variational.is_dirichlet_process != priors.is_dirichlet_process
    ):
        raise ParameterError(
            "the starting variational parameters do not fit the priors (covariance type, "
            "number of components or features, or weight prior type)"
        )
