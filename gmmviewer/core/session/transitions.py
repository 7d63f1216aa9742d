"""How one history state leads to the next: a start, an edit, an E-step, an M-step (no Qt).

The functions compute new :class:`~gmmviewer.core.session.history.SessionState` values from
immutable inputs (a state, the data, known posteriors) and never see a session, so
:meth:`EMSession.prepare <gmmviewer.core.session.em_session.EMSession.prepare>` can run
them on a worker thread: everything they compute travels in the returned
:class:`PreparedStep`, which the session commits later.

Each M-step and edit computes the posterior of its new parameters in the same pass as
their log-likelihood, so the E-step that follows has nothing left to compute: one pass
over the data per EM iteration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.buffers import ArrayRecycler
from gmmviewer.core.em.estep import Posterior, e_step
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.objective import has_converged
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState


@dataclass(frozen=True, eq=False)
class PreparedStep:
    """A computed transition waiting to be committed by :meth:`EMSession.apply`.

    It carries everything that was computed, so committing it computes nothing, and it
    remembers the state it was computed from, so a stale one is refused.

    Attributes
    ----------
    origin, state : SessionState
        The state before and after the transition.
    posterior : Posterior or None
        The responsibilities q of ``state`` (the posterior of ``state.resp_params``), or
        None when it has none.
    next_posterior : Posterior or None
        The posterior of ``state.params``: the next E-step's result (the same object
        as ``posterior`` after an E-step); None for a state whose components are not
        placed (see :mod:`~gmmviewer.core.session.data_edits`).
    """

    origin: SessionState | None
    state: SessionState
    posterior: Posterior | None
    next_posterior: Posterior | None

    @property
    def resp(self) -> np.ndarray | None:
        """Responsibilities after the step, shape (n_components, n_samples), read-only."""
        return None if self.posterior is None else self.posterior.resp

    @property
    def hard(self) -> np.ndarray | None:
        """Hard assignments after the step, shape (n_samples,), int, read-only."""
        return None if self.posterior is None else self.posterior.hard


def find_posterior(known: Sequence[Posterior], params: GMMParams) -> Posterior | None:
    """The posterior in ``known`` computed from exactly ``params`` (by identity), or None."""
    for candidate in known:
        if candidate.params is params:
            return candidate
    return None


def prepare_half_step(
    state: SessionState,
    X: np.ndarray,
    known: Sequence[Posterior],
    *,
    reg_covar: float,
    tol: float,
    data_variance: float,
    arrays: ArrayRecycler | None = None,
) -> PreparedStep:
    """The half-step that follows ``state``, reusing any posterior in ``known``.

    Parameters
    ----------
    state : SessionState
    X : ndarray of shape (n_samples, n_features)
    known : sequence of Posterior
        Posteriors already computed (the session's cache); never changed.
    reg_covar, tol, data_variance
        The session's settings and the data's mean variance.
    arrays : ArrayRecycler, optional
        Where new responsibilities are allocated (see :func:`~gmmviewer.core.em.estep.e_step`).
    """
    if state.next_step == "E":
        posterior = find_posterior(known, state.params) or e_step(X, state.params, arrays=arrays)
        return e_step_transition(state, posterior, X.shape[0])
    assert state.resp_params is not None, "an M-step needs the responsibilities of an E-step"
    q = find_posterior(known, state.resp_params) or e_step(X, state.resp_params, arrays=arrays)
    return m_step_transition(
        state, X, q, reg_covar=reg_covar, tol=tol, data_variance=data_variance, arrays=arrays
    )


def e_step_transition(state: SessionState, posterior: Posterior, n_samples: int) -> PreparedStep:
    """Responsibilities from the state's parameters.

    Parameters
    ----------
    state : SessionState
        A state whose next half-step is the E-step.
    posterior : Posterior
        The posterior of ``state.params`` (usually computed by the M-step or edit that
        produced ``state``).
    n_samples : int
    """
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
        point=None,
    )
    return PreparedStep(state, new, posterior, posterior)


def m_step_transition(
    state: SessionState,
    X: np.ndarray,
    q: Posterior,
    *,
    reg_covar: float,
    tol: float,
    data_variance: float,
    arrays: ArrayRecycler | None = None,
) -> PreparedStep:
    """New parameters from the responsibilities of the state's E-step.

    Parameters
    ----------
    state : SessionState
        A state whose next half-step is the M-step.
    X : ndarray of shape (n_samples, n_features)
    q : Posterior
        The posterior of ``state.resp_params``; its statistics feed the M-step.
    reg_covar, tol, data_variance
        The session's settings and the data's mean variance.
    arrays : ArrayRecycler, optional
        Where the next E-step's responsibilities are allocated.
    """
    result = m_step(q.statistics, reg_covar, state.params, data_variance)
    # The new parameters' log-likelihood needs a log-sum-exp over every sample; the
    # responsibilities that pass normalises are the next E-step's, so they are kept.
    following = e_step(X, result.params, arrays=arrays)
    iteration = state.iteration + 1
    new = state.evolve(
        action="m-step",
        description=f"M-step {iteration}",
        params=result.params,
        next_step="E",
        iteration=iteration,
        log_likelihood=following.log_likelihood,
        elbo=q.lower_bound(result.params),
        converged=has_converged(state.previous_lower_bound, state.lower_bound, tol),
        status=result.status,
        component=None,
        point=None,
    )
    return PreparedStep(state, new, q, following)


def start_transition(
    origin: SessionState | None,
    X: np.ndarray,
    params: GMMParams,
    description: str,
    arrays: ArrayRecycler | None = None,
    dataset: Dataset | None = None,
) -> PreparedStep:
    """A fresh start from ``params`` (an initialisation): no responsibilities yet.

    Parameters
    ----------
    origin : SessionState or None
        The current state (None for a new session's first).
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams
    description : str
    arrays : ArrayRecycler, optional
        Where the start's responsibilities are allocated.
    dataset : Dataset, optional
        The data set ``X`` comes from, recorded in the state.
    """
    following = e_step(X, params, arrays=arrays)
    state = SessionState(
        action="initialise",
        description=description,
        params=params,
        resp_params=None,
        next_step="E",
        iteration=0,
        run_start=0,
        log_likelihood=following.log_likelihood,
        elbo=None,
        dataset=dataset,
    )
    return PreparedStep(origin, state, None, following)


def edit_transition(
    base: SessionState,
    q: Posterior | None,
    X: np.ndarray,
    params: GMMParams,
    action: str,
    description: str,
    component: int | None,
    arrays: ArrayRecycler | None = None,
) -> PreparedStep:
    """``base`` with its parameters edited by hand.

    The responsibilities stay (the bound is theirs with the new parameters) when the
    number of components did not change; the next half-step is always the E-step, and
    convergence tracking starts again.

    Parameters
    ----------
    base : SessionState
        The state being edited.
    q : Posterior or None
        The posterior of ``base.resp_params`` (None when it has none).
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams
        The edited parameters.
    action, description : str
    component : int or None
        The component the edit changed (0-based).
    arrays : ArrayRecycler, optional
        Where the edited parameters' responsibilities are allocated.
    """
    following = e_step(X, params, arrays=arrays)
    keep_q = q is not None and q.params.n_components == params.n_components
    state = SessionState(
        action=action,
        description=description,
        params=params,
        resp_params=q.params if keep_q and q is not None else None,
        next_step="E",
        iteration=base.iteration,
        run_start=base.iteration,
        log_likelihood=following.log_likelihood,
        elbo=q.lower_bound(params) if keep_q and q is not None else None,
        component=component,
        dataset=base.dataset,
    )
    return PreparedStep(base, state, q if keep_q else None, following)
