"""How one history state leads to the next: a start, an edit, an E-step, an M-step (no Qt).

The functions compute new :class:`~gmmviewer.core.session.history.SessionState` values without
changing any session; the half-steps return a :class:`PreparedStep`, so
:class:`~gmmviewer.core.session.em_session.EMSession` can run them on a worker thread and commit
the result later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.estep import (
    expected_complete_log_likelihood,
    responsibilities,
    weighted_log_prob,
)
from gmmviewer.core.em.mstep import estimate_parameters, statistics_from_responsibilities
from gmmviewer.core.em.objective import has_converged
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState


@dataclass(frozen=True, eq=False)
class PreparedStep:
    """A computed half-step waiting to be committed with :meth:`EMSession.apply`.

    It remembers the state it was computed from, so a stale one is refused.

    Attributes
    ----------
    origin, state : SessionState
        The state before and after the half-step.
    resp : ndarray of shape (n_components, n_samples) or None
        The responsibilities after the half-step (read-only).
    entropy : float
        Their entropy.
    weighted : ndarray of shape (n_components, n_samples) or None
        Weighted log-densities of the new parameters (after an M-step), which the next
        E-step can normalise instead of computing them again.
    """

    origin: SessionState
    state: SessionState
    resp: np.ndarray | None
    entropy: float
    weighted: np.ndarray | None


def e_step_transition(state: SessionState, weighted: np.ndarray, n_samples: int) -> PreparedStep:
    """Responsibilities from the state's parameters.

    Parameters
    ----------
    state : SessionState
        A state whose next half-step is the E-step.
    weighted : ndarray of shape (n_components, n_samples)
        Weighted log-densities of ``state.params``; consumed.
    n_samples : int
    """
    _, resp, entropy = responsibilities(weighted)
    resp.setflags(write=False)
    new = state.evolve(
        action="e-step",
        description=f"E-step {state.iteration + 1}",
        resp_params=state.params,
        next_step="M",
        # Right after an E-step q is the exact posterior, so L(q, theta) = log p(X | theta).
        elbo=state.log_likelihood,
        previous_lower_bound=state.lower_bound,
        lower_bound=state.log_likelihood / n_samples,
        component=None,
    )
    return PreparedStep(state, new, resp, entropy, None)


def m_step_transition(
    state: SessionState,
    X: np.ndarray,
    resp: np.ndarray,
    entropy: float,
    *,
    reg_covar: float,
    tol: float,
    data_variance: float,
) -> PreparedStep:
    """New parameters from the responsibilities of the state's E-step.

    Parameters
    ----------
    state : SessionState
        A state whose next half-step is the M-step.
    X : ndarray of shape (n_samples, n_features)
    resp : ndarray of shape (n_components, n_samples)
        The responsibilities under ``state.params``, with their ``entropy``.
    reg_covar, tol, data_variance
        The session's settings and the data's mean variance.
    """
    stats = statistics_from_responsibilities(
        X, resp, state.params.means, state.params.covariance_type
    )
    result = estimate_parameters(stats, reg_covar, state.params, data_variance)
    weighted, log_likelihood = weighted_log_prob(X, result.params)
    elbo = expected_complete_log_likelihood(resp, weighted) + entropy
    iteration = state.iteration + 1
    new = state.evolve(
        action="m-step",
        description=f"M-step {iteration}",
        params=result.params,
        next_step="E",
        iteration=iteration,
        log_likelihood=log_likelihood,
        elbo=elbo,
        converged=has_converged(state.previous_lower_bound, state.lower_bound, tol),
        status=result.status,
        component=None,
    )
    return PreparedStep(state, new, resp, entropy, weighted)


def start_state(params: GMMParams, description: str, log_likelihood: float) -> SessionState:
    """A fresh start from ``params`` (an initialisation): no responsibilities yet."""
    return SessionState(
        action="initialise",
        description=description,
        params=params,
        resp_params=None,
        next_step="E",
        iteration=0,
        run_start=0,
        log_likelihood=log_likelihood,
        elbo=None,
    )


def edited_state(
    base: SessionState,
    params: GMMParams,
    action: str,
    description: str,
    component: int | None,
    log_likelihood: float,
    elbo: float | None,
) -> SessionState:
    """``base`` with its parameters edited by hand.

    The responsibilities stay (``elbo`` is their bound with the new parameters) when
    the number of components did not change; the next half-step is always the E-step,
    and convergence tracking starts again.
    """
    keep_q = elbo is not None
    return SessionState(
        action=action,
        description=description,
        params=params,
        resp_params=base.resp_params if keep_q else None,
        next_step="E",
        iteration=base.iteration,
        run_start=base.iteration,
        log_likelihood=log_likelihood,
        elbo=elbo,
        component=component,
    )
