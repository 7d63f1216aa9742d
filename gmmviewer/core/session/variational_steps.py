"""Variational half-steps as session transitions (no Qt).

A variational session state carries a :class:`VariationalState` beside the usual
fields: the priors, the variational parameters q(pi, mu, Lambda) of the state and, after
an E-step, those whose E-step gave the responsibilities. ``state.params`` holds the
expected mixture (scikit-learn's ``weights_``, ``means_``, ``covariances_``), which is
what the window draws, and the posterior cache keys responsibilities by those
``GMMParams`` objects exactly as for EM.

The quantities of the history, for a variational state, mirror EM's:

* ``log_likelihood`` holds ``max_q L(q, theta)``: the evidence lower bound with the
  responsibilities the variational E-step gives for the state's parameters. It plays the
  part of EM's log-likelihood (which is ``max_q`` of EM's bound) and is computed in the
  same pass as the next E-step's responsibilities, so an iteration is still one pass.
* ``elbo`` holds L(q, theta) for the current responsibilities q: after an E-step it is
  ``log_likelihood``; after an M-step it is scikit-learn's ``lower_bound_`` for that
  iteration.
* ``lower_bound`` / ``previous_lower_bound`` are scikit-learn's stopping quantities:
  the bound after each M-step (not per sample), and the run has converged when it
  changed by less than ``tol``.

A start or an edit from explicit mixture parameters becomes variational parameters as
scikit-learn's ``_initialize`` makes them from the responsibilities those parameters
give under the plain mixture.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.buffers import ArrayRecycler
from gmmviewer.core.em.estep import Posterior
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.transitions import PreparedStep, find_posterior
from gmmviewer.core.session.variational_state import PriorChoice, VariationalState
from gmmviewer.core.vb.bound import lower_bound
from gmmviewer.core.vb.estep import e_step as variational_e_step
from gmmviewer.core.vb.initialization import initial_variational
from gmmviewer.core.vb.mstep import m_step as variational_m_step
from gmmviewer.core.vb.priors import VariationalPriors
from gmmviewer.core.vb.variational import VariationalParams


def variational_posterior(
    X: np.ndarray,
    variational: VariationalParams,
    params: GMMParams,
    priors: VariationalPriors,
) -> Posterior:
    """The variational E-step of ``variational``, as the session's posterior of ``params``.

    Its ``log_likelihood`` is the bound ``L(q, variational)`` for the responsibilities q
    it computed, the variational counterpart of EM's log-likelihood.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    variational : VariationalParams
    params : GMMParams
        The expected mixture of ``variational`` (the key the session caches it by).
    priors : VariationalPriors
    """
    result = variational_e_step(X, variational)
    bound = lower_bound(variational, result.statistics, result.entropy, priors)
    return Posterior(params, result.resp, result.hard, bound, result.entropy, result.statistics)


def variational_start(
    origin: SessionState | None,
    X: np.ndarray,
    start: str | GMMParams | VariationalParams,
    choice: PriorChoice,
    priors: VariationalPriors,
    description: str,
    *,
    seed: int | None = 0,
    action: str = "initialise",
    iteration: int = 0,
    component: int | None = None,
    dataset: Dataset | None = None,
) -> PreparedStep:
    """A variational start from explicit mixture parameters or variational parameters.

    Parameters
    ----------
    origin : SessionState or None
        The current state (None for a new session's first).
    X : ndarray of shape (n_samples, n_features)
    start : str, GMMParams or VariationalParams
        An initialisation method (its responsibilities, as scikit-learn's ``_initialize``
        uses them), or mixture parameters, which become variational ones through their
        plain-mixture responsibilities.
    choice, priors
        The priors as chosen and as resolved for these data.
    description : str
    seed : int or None
        Seed of a method's random choices.
    action : str
        'initialise', or the edit that made ``start`` ('move mean', ...).
    iteration : int
        The iteration count to continue from (an edit keeps it).
    component : int or None
        The component an edit changed.
    dataset : Dataset, optional
        The data set ``X`` comes from, recorded in the state.
    """
    variational = initial_variational(X, start, priors, seed)
    params = variational.to_gmm_params()
    following = variational_posterior(X, variational, params, priors)
    state = SessionState(
        action=action,
        description=description,
        params=params,
        resp_params=None,
        next_step="E",
        iteration=iteration,
        run_start=iteration,
        log_likelihood=following.log_likelihood,
        elbo=None,
        component=component,
        variational=VariationalState(
            choice, priors, variational, origin=start if isinstance(start, GMMParams) else None
        ),
        dataset=dataset,
    )
    return PreparedStep(origin, state, None, following)


def variational_e_step_transition(state: SessionState, posterior: Posterior) -> PreparedStep:
    """Responsibilities from the state's variational parameters.

    Parameters
    ----------
    state : SessionState
        A variational state whose next half-step is the E-step.
    posterior : Posterior
        The variational posterior of ``state.params`` (computed by the step or start that
        produced ``state``).
    """
    model = state.variational
    assert model is not None
    new = state.evolve(
        action="e-step",
        description=f"E-step {state.iteration + 1}",
        resp_params=state.params,
        next_step="M",
        elbo=state.log_likelihood,
        component=None,
        point=None,
        variational=replace(model, responsibilities=model.current),
    )
    return PreparedStep(state, new, posterior, posterior)


def variational_m_step_transition(
    state: SessionState, X: np.ndarray, q: Posterior, *, tol: float
) -> PreparedStep:
    """New variational parameters from the responsibilities of the state's E-step.

    Parameters
    ----------
    state : SessionState
        A variational state whose next half-step is the M-step.
    X : ndarray of shape (n_samples, n_features)
    q : Posterior
        The variational posterior of ``state.resp_params``.
    tol : float
        scikit-learn's tolerance on the change of the bound.
    """
    model = state.variational
    assert model is not None
    variational = variational_m_step(q.statistics, model.priors)
    params = variational.to_gmm_params()
    # scikit-learn's lower_bound_ for this iteration: the new parameters with the
    # E-step's responsibilities.
    bound = lower_bound(variational, q.statistics, q.entropy, model.priors)
    following = variational_posterior(X, variational, params, model.priors)
    iteration = state.iteration + 1
    previous = state.lower_bound if state.iterations_in_run > 0 else -math.inf
    new = state.evolve(
        action="m-step",
        description=f"M-step {iteration}",
        params=params,
        next_step="E",
        iteration=iteration,
        log_likelihood=following.log_likelihood,
        elbo=bound,
        previous_lower_bound=previous,
        lower_bound=bound,
        converged=math.isfinite(previous) and abs(bound - previous) < tol,
        status="",
        component=None,
        point=None,
        variational=VariationalState(
            model.choice, model.priors, variational, model.current, model.origin
        ),
    )
    return PreparedStep(state, new, q, following)


def prepare_variational_half_step(
    state: SessionState,
    X: np.ndarray,
    known: tuple[Posterior, ...],
    *,
    tol: float,
    arrays: ArrayRecycler | None = None,
) -> PreparedStep:
    """The variational half-step that follows ``state``, reusing any posterior in ``known``."""
    model = state.variational
    assert model is not None
    if state.next_step == "E":
        posterior = find_posterior(known, state.params) or variational_posterior(
            X, model.current, state.params, model.priors
        )
        return variational_e_step_transition(state, posterior)
    assert state.resp_params is not None and model.responsibilities is not None
    q = find_posterior(known, state.resp_params) or variational_posterior(
        X, model.responsibilities, state.resp_params, model.priors
    )
    return variational_m_step_transition(state, X, q, tol=tol)
