"""Starting a run: EM or variational, from a method or explicit parameters (no Qt).

A session starts a run when it is created, re-initialised, switched between methods, given
parameters, and (for a variational fit) edited. Each of those makes the same choice, EM
or variational, and :func:`prepare_start` is the one place that makes it: it computes the
start's state and the posterior of its parameters, like every transition, and writes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.buffers import ArrayRecycler
from gmmviewer.core.em.initialization import initialize
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.transitions import PreparedStep, start_transition
from gmmviewer.core.session.variational_state import PriorChoice
from gmmviewer.core.session.variational_steps import variational_start


@dataclass(frozen=True, eq=False)
class StartData:
    """What a start needs of the session: its data and settings.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data in float64 (initialisation and variational passes).
    pass_X : ndarray of shape (n_samples, n_features)
        The data the EM passes read (float32 in a float32 session).
    reg_covar : float
    arrays : ArrayRecycler
        Where EM posteriors are allocated.
    dataset : Dataset or None
        The data set ``X`` comes from, recorded in the start's state.
    """

    X: np.ndarray
    pass_X: np.ndarray
    reg_covar: float
    arrays: ArrayRecycler
    dataset: Dataset | None = None


def start_description(
    choice: PriorChoice | None, start: str | GMMParams, seed: int | None, n_components: int
) -> str:
    """How a start is named in the history ("initialised by kmeans, K = 3", ...)."""
    if choice is not None:
        origin = "given parameters" if isinstance(start, GMMParams) else start
        return f"variational ({choice.label}) from {origin}, K = {n_components}"
    if isinstance(start, GMMParams):
        return "initialised from given parameters"
    shown_seed = "" if start == "kmeans" and seed is None else f", seed {seed}"
    return f"initialised by {start}{shown_seed}, K = {n_components}"


def prepare_start(
    origin: SessionState | None,
    data: StartData,
    start: str | GMMParams,
    choice: PriorChoice | None,
    description: str,
    *,
    n_components: int,
    covariance_type: str,
    seed: int | None = 0,
    action: str = "initialise",
    iteration: int = 0,
    component: int | None = None,
) -> PreparedStep:
    """A start by EM (``choice`` None) or by a variational fit with ``choice``'s priors.

    Parameters
    ----------
    origin : SessionState or None
        The current state (None for a new session's first).
    data : StartData
    start : str or GMMParams
        An initialisation method, or explicit mixture parameters.
    choice : PriorChoice or None
    description : str
    n_components, covariance_type : int, str
        The model of a start by a method (explicit parameters bring their own).
    seed : int or None
        Seed of a method's random choices.
    action, iteration, component
        For a variational edit: the edit, the iteration it continues from and the
        component it changed (an EM edit keeps its responsibilities: see
        :func:`~gmmviewer.core.session.transitions.edit_transition`).
    """
    if isinstance(start, GMMParams):
        n_components, covariance_type = start.n_components, start.covariance_type
    if choice is not None:
        priors = choice.resolve(data.X, n_components, covariance_type, data.reg_covar)
        return variational_start(
            origin,
            data.X,
            start,
            choice,
            priors,
            description,
            seed=seed,
            action=action,
            iteration=iteration,
            component=component,
            dataset=data.dataset,
        )
    if not isinstance(start, GMMParams):
        start = initialize(data.X, n_components, start, covariance_type, seed, data.reg_covar)
    return start_transition(
        origin, data.pass_X, start, description, data.arrays, dataset=data.dataset
    )
