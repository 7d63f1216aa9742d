"""The evidence lower bound of a variational Bayesian mixture, for any half-step.

Pure numpy/scipy; no Qt.

scikit-learn's ``_compute_lower_bound`` is the bound *after an M-step* only: it has
dropped every term that the M-step's optimality makes constant. :func:`lower_bound` is
the whole bound ``L(q(z), q(theta)) = E[log p(X, Z, theta)] - E[log q(Z)] - E[log q(theta)]``
for any responsibilities r and any variational parameters, minus the same constants
(those that depend only on the priors, N, K and D). So:

* after an M-step, ``lower_bound(M(r), stats(r), H(r))`` equals scikit-learn's
  ``_compute_lower_bound(log r, ...)``;
* after an E-step, ``lower_bound(theta, stats(E(theta)), H(E(theta)))`` is the bound of
  the new responsibilities with the parameters they came from.

Both half-steps are coordinate ascent on this one function, so it never decreases, with
one exception that comes from scikit-learn itself. Its M-step adds ``reg_covar`` to every
sample covariance: that is the exact maximiser of the bound in which every sample's
scatter is widened by ``reg_covar * I`` (the ``N_k reg_covar I`` term of ``Q_k`` below),
and that is the bound reported here, so that it matches scikit-learn after every M-step
and never falls at an M-step. scikit-learn's E-step, however, maximises the bound
*without* that term. An E-step can therefore lower the reported bound by at most
``0.5 * reg_covar * |sum_k (N_k' - N_k) tr(nu_k W_k)|`` (new minus old counts, expected
precisions of the current parameters): nothing for 'tied' (one shared precision, and the
counts always sum to N), nothing with ``reg_covar = 0``, and otherwise of the order of
``reg_covar`` relative to the change of the responsibilities.

The 'tied', 'diag' and 'spherical' models are those scikit-learn's updates optimise: a
Wishart per component whose scale matrix is shared, diagonal or a multiple of the
identity (for 'tied', K Wishart factors constrained to be equal).

Per component, with counts ``N_k``, expected precision ``P_k = nu_k W_k`` and
``Q_k = sum_n r_kn (x_n - m_k)(x_n - m_k)^T + beta_0 (m_k - m_0)(m_k - m_0)^T
+ inv(W_0) + N_k reg_covar I``, the Gaussian-Wishart part of the bound is::

    0.5 (N_k + nu_0 - nu_k) E[log|Lambda_k|] - 0.5 tr(P_k Q_k)
    - 0.5 D (N_k + beta_0) / beta_k - 0.5 D log beta_k + 0.5 D (1 + nu_k) - log B(W_k, nu_k)

(the trace taken over the diagonal for 'diag' and 'spherical'), and the weights part is
``sum_k (N_k + alpha_0 - alpha_k) E[log pi_k] - log C(alpha)`` for the Dirichlet
distribution and ``sum_k (N_k + 1 - a_k) E[log v_k] + (N_{>k} + alpha_0 - b_k)
E[log(1 - v_k)] + log B(a_k, b_k)`` for the stick-breaking process.
"""

from __future__ import annotations

import math

import numpy as np

from gmmviewer.core.em.gaussian import log_det_precision_cholesky
from gmmviewer.core.em.passes import CHUNK_SIZE
from gmmviewer.core.em.statistics import SufficientStatistics
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.vb.priors import VariationalPriors
from gmmviewer.core.vb.special import betaln, digamma, gammaln
from gmmviewer.core.vb.statistics import responsibility_entropy, statistics_from_resp
from gmmviewer.core.vb.variational import VariationalParams


def lower_bound(
    variational: VariationalParams,
    stats: SufficientStatistics,
    entropy: float,
    priors: VariationalPriors,
) -> float:
    """The evidence lower bound of responsibilities (through their statistics) and parameters.

    Parameters
    ----------
    variational : VariationalParams
        Any variational parameters of the model ``priors`` describes.
    stats : SufficientStatistics
        Sufficient statistics of responsibilities r of shape (n_components, n_samples).
    entropy : float
        ``-sum r log r`` of the same responsibilities.
    priors : VariationalPriors

    Returns
    -------
    float
        The bound without its constant terms, on scikit-learn's scale (not per sample).
    """
    _check_compatible(variational, stats, priors)
    return (
        float(entropy)
        + _weights_part(variational, stats.counts, priors)
        + _gaussian_wishart_part(variational, stats, priors)
    )


def lower_bound_from_resp(
    X: np.ndarray,
    variational: VariationalParams,
    resp: np.ndarray,
    priors: VariationalPriors,
    chunk_size: int = CHUNK_SIZE,
) -> float:
    """:func:`lower_bound` for responsibilities given as an array (one pass over ``X``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    variational : VariationalParams
    resp : ndarray of shape (n_components, n_samples)
    priors : VariationalPriors
    """
    stats = statistics_from_resp(X, resp, priors.covariance_type, chunk_size=chunk_size)
    return lower_bound(variational, stats, responsibility_entropy(resp, chunk_size), priors)


def _check_compatible(
    variational: VariationalParams, stats: SufficientStatistics, priors: VariationalPriors
) -> None:
    if variational.covariance_type != priors.covariance_type:
        raise ParameterError(
            f"{variational.covariance_type} parameters do not fit {priors.covariance_type} priors"
        )
    if variational.is_dirichlet_process != priors.is_dirichlet_process:
        raise ParameterError(
            "the weight concentration does not fit the priors' "
            f"{priors.weight_concentration_prior_type}"
        )
    shape = (priors.n_components, priors.n_features)
    if variational.means.shape != shape or stats.centres.shape != shape:
        raise ParameterError(f"parameters and statistics must have {shape[0]} components")


def _weights_part(
    variational: VariationalParams, counts: np.ndarray, priors: VariationalPriors
) -> float:
    alpha0 = priors.weight_concentration_prior
    if variational.is_dirichlet_process:
        a, b = variational.weight_concentration
        digamma_total = digamma(a + b)
        log_stick = digamma(a) - digamma_total
        log_rest = digamma(b) - digamma_total
        later = np.hstack((np.cumsum(counts[::-1])[-2::-1], 0.0))
        terms = (counts + 1.0 - a) * log_stick + (later + alpha0 - b) * log_rest + betaln(a, b)
        return float(np.sum(terms))
    alpha = variational.weight_concentration
    log_weights = digamma(alpha) - digamma(np.sum(alpha))
    log_norm = gammaln(np.sum(alpha)) - np.sum(gammaln(alpha))
    return float(np.dot(counts + alpha0 - alpha, log_weights) - log_norm)


def _gaussian_wishart_part(
    variational: VariationalParams, stats: SufficientStatistics, priors: VariationalPriors
) -> float:
    kind = variational.covariance_type
    d = variational.n_features
    counts = stats.counts
    beta, beta0 = variational.mean_precision, priors.mean_precision_prior
    nu, nu0 = variational.degrees_of_freedom, priors.degrees_of_freedom_prior
    precisions = variational.precisions
    # The scatter around m_k from moments around the centres c_k (shift = m_k - c_k).
    shift = variational.means - stats.centres
    prior_shift = variational.means - priors.mean_prior
    reg = priors.reg_covar
    if kind in ("full", "tied"):
        cross = np.einsum("ki,kj->kij", stats.first, shift)
        spread = stats.second - cross - cross.transpose(0, 2, 1)
        spread += np.einsum("k,ki,kj->kij", counts, shift, shift)
        spread += beta0 * np.einsum("ki,kj->kij", prior_shift, prior_shift)
        spread += priors.covariance_prior
        spread[:, np.arange(d), np.arange(d)] += counts[:, None] * reg
        if kind == "full":
            trace = np.einsum("kij,kij->k", precisions, spread)
        else:
            trace = np.einsum("ij,kij->k", precisions, spread)
    else:
        second = stats.second
        if second.ndim == 3:
            second = np.diagonal(second, axis1=1, axis2=2)
        spread = second - 2.0 * stats.first * shift + counts[:, None] * shift**2
        spread += beta0 * prior_shift**2 + priors.covariance_prior + counts[:, None] * reg
        if kind == "diag":
            trace = np.einsum("kd,kd->k", precisions, spread)
        else:
            trace = precisions * spread.sum(axis=1)
    # log|W_k| / 2 from the expected precision nu_k W_k.
    half_log_det_scale = np.asarray(
        log_det_precision_cholesky(variational.precisions_cholesky, kind, d)
    ) - 0.5 * d * np.log(nu)
    halves = 0.5 * (nu[..., None] - np.arange(d))
    expected_log_det = d * math.log(2.0) + digamma(halves).sum(axis=-1) + 2.0 * half_log_det_scale
    # scikit-learn's _log_wishart_norm: log B(W, nu) without its D(D-1)/4 log(pi).
    log_wishart_norm = -(
        nu * half_log_det_scale + 0.5 * d * math.log(2.0) * nu + gammaln(halves).sum(axis=-1)
    )
    terms = (
        0.5 * (counts + nu0 - nu) * expected_log_det
        - 0.5 * trace
        - 0.5 * d * (counts + beta0) / beta
        - 0.5 * d * np.log(beta)
        + 0.5 * d * (1.0 + nu)
        - log_wishart_norm
    )
    return float(np.sum(terms))
