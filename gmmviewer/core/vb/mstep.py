"""The variational M-step: q(weights) and q(means, precisions) from sufficient statistics.

Pure numpy; no Qt. The updates are scikit-learn's ``BayesianGaussianMixture._m_step``
(Bishop, PRML, 10.58-10.63, with the expected covariance normalised by the degrees of
freedom), computed from the statistics a chunked E-step accumulates, so the
responsibilities of all samples are never needed at once. scikit-learn's details are
kept because they change the numbers: ``10 * eps`` is added to every count, and
``reg_covar`` to the diagonal of every sample covariance.
"""

from __future__ import annotations

import numpy as np

from gmmviewer.core.em.statistics import SufficientStatistics
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.vb.priors import VariationalPriors
from gmmviewer.core.vb.variational import VariationalParams

#: scikit-learn adds this to every component's count so that an empty component's mean
#: (a 0 / 0) stays finite.
COUNT_FLOOR = 10.0 * np.finfo(float).eps


def gaussian_moments(
    stats: SufficientStatistics, covariance_type: str, reg_covar: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts, means and covariances of the responsibilities, as scikit-learn estimates them.

    The equivalent of ``sklearn.mixture._gaussian_mixture._estimate_gaussian_parameters``,
    from moments accumulated around centres near the means (so nothing cancels).

    Parameters
    ----------
    stats : SufficientStatistics
        Of responsibilities r of shape (n_components, n_samples).
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    reg_covar : float

    Returns
    -------
    nk : ndarray of shape (n_components,)
        ``sum_n r_kn + 10 eps``.
    xk : ndarray of shape (n_components, n_features)
        ``sum_n r_kn x_n / nk``.
    sk : ndarray
        Sample covariances plus ``reg_covar`` on the diagonal: (n_components, D, D)
        'full', (D, D) 'tied', (n_components, D) 'diag', (n_components,) 'spherical'.
    """
    counts = stats.counts
    nk = counts + COUNT_FLOOR
    sums = stats.first + counts[:, None] * stats.centres
    xk = sums / nk[:, None]
    shift = xk - stats.centres
    n_features = xk.shape[1]
    if covariance_type in ("full", "tied"):
        if stats.second.ndim != 3:
            raise ParameterError(f"{covariance_type} covariances need full second moments")
        cross = np.einsum("ki,kj->kij", stats.first, shift)
        scatter = stats.second - cross - cross.transpose(0, 2, 1)
        scatter += counts[:, None, None] * np.einsum("ki,kj->kij", shift, shift)
        if covariance_type == "full":
            sk = scatter / nk[:, None, None]
            sk[:, np.arange(n_features), np.arange(n_features)] += reg_covar
        else:
            sk = scatter.sum(axis=0) / nk.sum()
            sk[np.arange(n_features), np.arange(n_features)] += reg_covar
        return nk, xk, sk
    second = stats.second
    if second.ndim == 3:
        second = np.diagonal(second, axis1=1, axis2=2)
    scatter = second - 2.0 * stats.first * shift + counts[:, None] * shift**2
    sk = scatter / nk[:, None] + reg_covar
    if covariance_type == "spherical":
        sk = sk.mean(axis=1)
    return nk, xk, sk


def m_step(stats: SufficientStatistics, priors: VariationalPriors) -> VariationalParams:
    """The variational M-step: the optimal q(weights) q(means, precisions) for given q(z).

    Parameters
    ----------
    stats : SufficientStatistics
        Sufficient statistics of the responsibilities (from an E-step, or from a
        starting assignment), with second moments of the kind the covariance type needs.
    priors : VariationalPriors

    Returns
    -------
    VariationalParams
        Exactly what scikit-learn's ``_m_step`` (or ``_initialize``) computes from the
        same responsibilities.
    """
    kind = priors.covariance_type
    if stats.counts.shape[0] != priors.n_components:
        raise ParameterError(
            f"the statistics have {stats.counts.shape[0]} components, the priors "
            f"{priors.n_components}"
        )
    nk, xk, sk = gaussian_moments(stats, kind, priors.reg_covar)
    beta0, m0 = priors.mean_precision_prior, priors.mean_prior
    mean_precision = beta0 + nk
    means = (beta0 * m0 + nk[:, None] * xk) / mean_precision[:, None]
    degrees_of_freedom, covariances = _wishart(nk, xk, sk, mean_precision, priors)
    return VariationalParams(
        covariance_type=kind,
        weight_concentration=_weight_concentration(nk, priors),
        mean_precision=mean_precision,
        means=means,
        degrees_of_freedom=degrees_of_freedom,
        covariances=covariances,
    )


def _weight_concentration(
    nk: np.ndarray, priors: VariationalPriors
) -> tuple[np.ndarray, np.ndarray] | np.ndarray:
    """Beta parameters of the sticks, or the Dirichlet concentrations."""
    alpha0 = priors.weight_concentration_prior
    if priors.is_dirichlet_process:
        # Stick k is 'stop here' for its own samples and 'go on' for those of later sticks.
        later = np.hstack((np.cumsum(nk[::-1])[-2::-1], 0.0))
        return 1.0 + nk, alpha0 + later
    return alpha0 + nk


def _wishart(
    nk: np.ndarray,
    xk: np.ndarray,
    sk: np.ndarray,
    mean_precision: np.ndarray,
    priors: VariationalPriors,
) -> tuple[np.ndarray, np.ndarray]:
    """Degrees of freedom and expected covariances ``inv(nu_k W_k)`` of the Wishart factors.

    ``inv(W_k) = covariance_prior + nk S_k + nk beta_0 / beta_k (xk - m0)(xk - m0)^T``
    (reduced to its diagonal, or the mean of that, for 'diag' and 'spherical'). The tied
    factor is shared by K components, so it pools their statistics and takes 1/K of
    each count.
    """
    kind = priors.covariance_type
    beta0, nu0 = priors.mean_precision_prior, priors.degrees_of_freedom_prior
    prior = priors.covariance_prior
    diff = xk - priors.mean_prior
    shrink = beta0 / mean_precision
    n_components = nk.shape[0]
    if kind == "full":
        nu = nu0 + nk
        spread = np.einsum("k,ki,kj->kij", nk * shrink, diff, diff)
        covariances = prior + nk[:, None, None] * sk + spread
        return nu, covariances / nu[:, None, None]
    if kind == "tied":
        share = nk.sum() / n_components
        nu = np.asarray(nu0 + share)
        spread = ((nk / mean_precision) * diff.T) @ diff
        covariances = prior + sk * share + beta0 / n_components * spread
        return nu, covariances / nu
    nu = nu0 + nk
    if kind == "diag":
        covariances = prior + nk[:, None] * (sk + shrink[:, None] * np.square(diff))
        return nu, covariances / nu[:, None]
    covariances = prior + nk * (sk + shrink * np.mean(np.square(diff), axis=1))
    return nu, covariances / nu
