"""Variational Bayesian Gaussian mixtures, half-step by half-step, as scikit-learn computes them.

Pure numpy/scipy; imports no Qt. The engine behind scikit-learn's
``BayesianGaussianMixture``, split the way the plain mixture in :mod:`gmmviewer.core.em` is:

* :mod:`.priors` -- the priors and their data-dependent defaults (:func:`resolve_priors`);
* :mod:`.variational` -- the variational parameters, an immutable value
  (:class:`VariationalParams`), with the expected weights, means and covariances;
* :mod:`.estep` -- the variational E-step, a chunked pass over the samples (:func:`e_step`);
* :mod:`.mstep` -- the variational M-step from sufficient statistics (:func:`m_step`);
* :mod:`.bound` -- the evidence lower bound for any (parameters, responsibilities) pair
  (:func:`lower_bound`), so it can be reported after either half-step;
* :mod:`.statistics` -- sufficient statistics and entropy of given responsibilities;
* :mod:`.initialization` -- starting parameters from responsibilities, from an
  initialisation method or from explicit mixture parameters (:func:`initial_variational`);
* :mod:`.fit` -- headless fitting to scikit-learn's stopping rule (:func:`fit_variational`).
"""

from gmmviewer.core.vb.bound import lower_bound
from gmmviewer.core.vb.estep import VariationalPosterior, e_step
from gmmviewer.core.vb.fit import VariationalFitResult, fit_variational
from gmmviewer.core.vb.initialization import initial_variational, variational_from_resp
from gmmviewer.core.vb.mstep import m_step
from gmmviewer.core.vb.priors import VariationalPriors, resolve_priors
from gmmviewer.core.vb.variational import VariationalParams

__all__ = [
    "VariationalFitResult",
    "VariationalParams",
    "VariationalPosterior",
    "VariationalPriors",
    "e_step",
    "fit_variational",
    "initial_variational",
    "lower_bound",
    "m_step",
    "resolve_priors",
    "variational_from_resp",
]
