"""How an edit of the data leads to the next history state (no Qt).

Painting, moving, deleting and clearing points each make a new data set; the session
then continues from the current parameters on it. Like the other transitions
(:mod:`gmmviewer.core.session.transitions`) the functions here compute from immutable
inputs and return a :class:`~gmmviewer.core.session.transitions.PreparedStep`:

* the parameters stay; the log-likelihood (and, with responsibilities, the ELBO and
  the responsibilities themselves) are recomputed on the new data; the next half-step
  and the iteration count stay, and convergence tracking restarts;
* a variational state starts its fit again from its expected mixture on the new data;
* with no points left the components become *unplaced* placeholders (NaN
  log-likelihood, nothing can step) until enough points are drawn again: the edit that
  brings N up to K places them on the first K points (:func:`placement_params`).
"""

from __future__ import annotations

import math

import numpy as np

from gmmviewer.core.em.estep import e_step
from gmmviewer.core.errors import DataError, ParameterError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.data_context import DataContext
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.starts import StartData, prepare_start
from gmmviewer.core.session.transitions import PreparedStep
from gmmviewer.core.text import count

#: Smallest variance of placed components, as a fraction of the squared largest column
#: range: points drawn on a line still get round components that EM can move.
PLACEMENT_VARIANCE_FLOOR = 1e-2


def spherical_params(
    means: np.ndarray, variance: float, covariance_type: str, weights: np.ndarray | None = None
) -> GMMParams:
    """Components at ``means`` (shape (n_components, n_features)), each of variance
    ``variance`` in every direction, written in ``covariance_type``'s form; equal weights
    unless ``weights`` are given."""
    k, d = means.shape
    if covariance_type == "full":
        covariances = np.broadcast_to(variance * np.eye(d), (k, d, d)).copy()
    elif covariance_type == "tied":
        covariances = variance * np.eye(d)
    elif covariance_type == "diag":
        covariances = np.full((k, d), variance)
    else:
        covariances = np.full(k, variance)
    weights = np.full(k, 1.0 / k) if weights is None else weights
    return GMMParams(weights, means, covariances, covariance_type)


def placeholder_params(
    n_components: int, n_features: int, covariance_type: str, centre: np.ndarray | None = None
) -> GMMParams:
    """K unit components at ``centre`` (default the origin): stand-ins until points are drawn.

    Parameters
    ----------
    n_components, n_features : int
    covariance_type : str
    centre : ndarray of shape (n_features,), optional
    """
    centre = np.zeros(n_features) if centre is None else np.asarray(centre, dtype=float)
    means = np.broadcast_to(centre, (n_components, n_features)).copy()
    return spherical_params(means, 1.0, covariance_type)


def placement_variance(X: np.ndarray) -> float:
    """The variance placed components get: the data's mean feature variance, at least
    :data:`PLACEMENT_VARIANCE_FLOOR` times the squared largest column range (1 when every
    point is the same).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), n_samples >= 1
    """
    variance = float(np.mean(X.var(axis=0)))
    spread = float(np.max(X.max(axis=0) - X.min(axis=0)))
    variance = max(variance, PLACEMENT_VARIANCE_FLOOR * spread**2)
    return variance if math.isfinite(variance) and variance > 0.0 else 1.0


def placement_params(X: np.ndarray, n_components: int, covariance_type: str) -> GMMParams:
    """Components on the first ``n_components`` points of ``X`` in drawing order.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), n_samples >= n_components
    n_components : int
    covariance_type : str
    """
    return spherical_params(
        np.array(X[:n_components], dtype=float), placement_variance(X), covariance_type
    )


def data_edit_transition(
    base: SessionState,
    context: DataContext,
    action: str,
    description: str,
    *,
    reg_covar: float,
    point: int | None = None,
) -> PreparedStep:
    """``base`` continued on the data of ``context`` (which the edit made).

    Parameters
    ----------
    base : SessionState
        The current state.
    context : DataContext
        The new data set's context: its data, extent and posterior arrays.
    action : {'add points', 'move point', 'delete points', 'clear data'}
    description : str
    reg_covar : float
        The session's setting (a variational restart resolves its priors with it).
    point : int or None
        The row a 'move point' moved.

    Raises
    ------
    ParameterError
        When the current parameters are out of range for the new data (the session
        then refuses the edit).
    DataError
        When a variational fit would be left with fewer than max(2, K) points.
    """
    n_samples = context.n_samples
    params = base.params
    k = params.n_components
    changes: dict[str, object] = {
        "action": action,
        "description": description,
        "dataset": context.dataset,
        "point": point,
        "component": None,
        "status": "",
        "converged": False,
        "lower_bound": -math.inf,
        "previous_lower_bound": -math.inf,
        "run_start": base.iteration,
    }
    if n_samples == 0 or (not base.placed and n_samples < k):
        return _unplaced(base, changes)
    if not base.placed:
        params = placement_params(context.X, k, params.covariance_type)
        changes["description"] = (
            f"{description}; placed {count(k, 'component')} on the first "
            f"{count(k, 'point') if k > 1 else 'point'}"
        )
        _check_fits(context, params)
        following = e_step(context.pass_X, params, arrays=context.posteriors.arrays)
        state = base.evolve(
            params=params,
            resp_params=None,
            next_step="E",
            log_likelihood=following.log_likelihood,
            elbo=None,
            placed=True,
            variational=None,
            **changes,
        )
        return PreparedStep(base, state, None, following)
    _check_fits(context, params)
    model = base.variational
    if model is not None and n_samples < max(2, k):
        raise DataError(
            f"a variational fit of {count(k, 'component')} needs at least "
            f"{count(max(2, k), 'point')}: delete fewer, clear the data, or switch to EM"
        )
    if model is not None:
        # As for an edit of the parameters: the fit starts again from the expected mixture.
        data = StartData(
            context.X, context.pass_X, reg_covar, context.posteriors.arrays, context.dataset
        )
        prepared = prepare_start(
            base,
            data,
            params,
            model.choice,
            str(changes["description"]),
            n_components=k,
            covariance_type=params.covariance_type,
            action=action,
            iteration=base.iteration,
        )
        state = prepared.state.evolve(point=point)
        return PreparedStep(base, state, prepared.posterior, prepared.next_posterior)
    arrays = context.posteriors.arrays
    following = e_step(context.pass_X, params, arrays=arrays)
    q = None
    if base.resp_params is not None:
        same = base.resp_params is params
        q = following if same else e_step(context.pass_X, base.resp_params, arrays=arrays)
    state = base.evolve(
        log_likelihood=following.log_likelihood,
        elbo=None if q is None else q.lower_bound(params),
        **changes,
    )
    return PreparedStep(base, state, q, following)


def _unplaced(base: SessionState, changes: dict[str, object]) -> PreparedStep:
    """``base`` with its components waiting for points: nothing is computed."""
    state = base.evolve(
        resp_params=None,
        next_step="E",
        log_likelihood=math.nan,
        elbo=None,
        placed=False,
        variational=None,
        **changes,
    )
    return PreparedStep(base, state, None, None)


def unplaced_start(
    origin: SessionState,
    context: DataContext,
    n_components: int,
    covariance_type: str,
    description: str,
) -> PreparedStep:
    """A start with ``n_components`` placeholder components on data with fewer points.

    What choosing K before drawing (or K larger than N) records: an 'initialise' entry
    whose components are placed when the data reach K points.
    """
    centre = context.X.mean(axis=0) if context.n_samples else None
    params = placeholder_params(n_components, context.X.shape[1], covariance_type, centre)
    state = SessionState(
        action="initialise",
        description=description,
        params=params,
        resp_params=None,
        next_step="E",
        iteration=0,
        run_start=0,
        log_likelihood=math.nan,
        elbo=None,
        dataset=context.dataset,
        placed=False,
    )
    return PreparedStep(origin, state, None, None)


def _check_fits(context: DataContext, params: GMMParams) -> None:
    try:
        context.extent.check_params(params)
    except ParameterError as error:
        raise ParameterError(f"the mixture does not fit the edited data: {error}") from None


def can_step_from(state: SessionState) -> bool:
    """True when EM can step from ``state``: placed components and at least K points."""
    dataset = state.dataset
    n_samples = 0 if dataset is None else dataset.n_samples
    return state.placed and n_samples >= state.params.n_components


def draw_first(state: SessionState) -> str:
    """Why nothing can step from ``state`` (see :func:`can_step_from`), in one line."""
    k = state.params.n_components
    n_samples = 0 if state.dataset is None else state.dataset.n_samples
    return (
        f"draw at least {count(k, 'point')} first: {count(k, 'component')} need "
        f"{count(k, 'data point')}, there {'is' if n_samples == 1 else 'are'} {n_samples}"
    )


def unplaced_description(n_components: int) -> str:
    """How an unplaced start is named in the history."""
    return f"K = {n_components}: the components wait for {count(n_components, 'point')}"
