"""Checks of a session's history against its data: the recorded numbers, recomputed.
Pure numpy; no Qt.

:func:`verify_history` recomputes log-likelihoods (and the current ELBO) from the data,
so a history that does not belong to its data is refused instead of shown. Variational
states' bounds and ELBOs are checked by the checks passed in
(:class:`~gmmviewer.core.files.sessions.variational_hooks.VariationalChecks`).
"""

from __future__ import annotations

import math

import numpy as np

from gmmviewer.core.em.estep import e_step, e_step_streaming
from gmmviewer.core.em.passes import pass_data
from gmmviewer.core.files.sessions.fields import SessionCheckError, _or_minus_inf
from gmmviewer.core.files.sessions.variational_hooks import VariationalChecks, _required
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.variational_state import VariationalState
from gmmviewer.core.vb.variational import VariationalParams

#: How far a recorded log-likelihood may be from the recomputed one, relative to
#: ``|log-likelihood| + n_samples`` (summation order changes the last digits only).
LOG_LIKELIHOOD_TOLERANCE = 1e-8
#: How far an ELBO may exceed its log-likelihood (it never can, but it is computed from
#: sufficient statistics, whose rounding differs), on the same scale.
ELBO_TOLERANCE = 1e-6
#: Work spent recomputing log-likelihoods when a session opens, in units of
#: samples x components x features^2 (about a second); parameter sets beyond it are
#: sampled, the current state's always included.
VERIFY_BUDGET = 200_000_000


def verify_history(
    states: list[SessionState],
    position: int,
    X: np.ndarray,
    budget: int = VERIFY_BUDGET,
    dtype: str = "float64",
    variational: VariationalChecks | None = None,
) -> None:
    """Check the recorded numbers against the data; a history that does not match is refused.

    Every state's log-likelihood must be the same as the other states' with the same
    parameters and, within ``budget``, the one recomputed from ``X`` (the current
    state's parameters and responsibilities always; then the first, and parameter
    sets spread over the history). An E-step's ELBO and lower bound must follow from
    its log-likelihood, no ELBO may exceed its log-likelihood, and the current state's
    ELBO is recomputed, in the type (``dtype``) the session computed them in.

    Variational states' bounds and ELBOs are checked by ``variational``.
    """
    exact = np.asarray(X, dtype=float)  # variational passes always run in float64
    X = pass_data(X, dtype)
    n_samples = X.shape[0]
    recorded: dict[tuple[int, int], tuple[int, float]] = {}
    sources: dict[tuple[int, int], SessionState] = {}
    for index, state in enumerate(states):
        key = _source_key(state.params, _current_of(state.variational))
        if key in recorded and not _same(recorded[key][1], state.log_likelihood, n_samples):
            first = recorded[key][0]
            raise SessionCheckError(
                f"entries {first} and {index} record different log-likelihoods for the same "
                "parameters"
            )
        recorded.setdefault(key, (index, state.log_likelihood))
        sources.setdefault(key, state)
        ll = state.log_likelihood
        slack = 0.0
        if state.variational is not None:
            slack = _required(variational).elbo_slack(state, n_samples)
        excess = ELBO_TOLERANCE * (abs(ll) + n_samples) + slack
        if state.elbo is not None and math.isfinite(ll) and state.elbo > ll + excess:
            raise SessionCheckError(
                f"entry {index} records an ELBO above its log-likelihood, which cannot be"
            )
        _check_half_step(index, state, n_samples, variational)

    current = states[position]
    model = current.variational
    order = [_source_key(current.params, _current_of(model))]
    if current.resp_params is not None:
        responsibilities = None if model is None else model.responsibilities
        order.append(_source_key(current.resp_params, responsibilities))
    others = [key for key in recorded if key not in order]
    cost = max(1, n_samples * current.params.n_components * X.shape[1] ** 2)
    room = max(0, budget // cost - len(order))
    if room >= len(others):
        order.extend(others)
    elif room > 0:  # the first state's, then evenly spread
        picks = np.linspace(0, len(others) - 1, room).round().astype(int)
        order.extend(others[i] for i in dict.fromkeys(picks.tolist()))
    for key in dict.fromkeys(order):
        if key not in recorded:
            continue
        index, value = recorded[key]
        source = sources[key]
        if source.variational is None:
            actual, _ = e_step_streaming(X, source.params, statistics=False)
            what = "log-likelihood"
        else:
            actual = _required(variational).bound(exact, source)
            what = "variational bound"
        if not _same(value, actual, n_samples):
            raise SessionCheckError(
                f"does not match its data: entry {index} records a {what} of "
                f"{_figure(value)}, the data give {_figure(actual)}"
            )
    if current.resp_params is not None and current.elbo is not None:
        if model is None:
            actual = e_step(X, current.resp_params).lower_bound(current.params)
        else:
            actual = _required(variational).elbo(exact, current)
        if not _same(current.elbo, actual, n_samples):
            raise SessionCheckError(
                f"does not match its data: entry {position} records an ELBO of "
                f"{_figure(current.elbo)}, the data give {_figure(actual)}"
            )


def _source_key(params: GMMParams, variational: VariationalParams | None) -> tuple[int, int]:
    """What a recorded log-likelihood is a function of: the parameters and, for a
    variational state, the variational parameters behind them (an EM state may share a
    variational start's mixture)."""
    return id(params), 0 if variational is None else id(variational)


def _current_of(model: VariationalState | None) -> VariationalParams | None:
    return None if model is None else model.current


def _check_half_step(
    index: int, state: SessionState, n_samples: int, variational: VariationalChecks | None
) -> None:
    """An E-step's ELBO is its log-likelihood; what else follows depends on the method."""
    if state.variational is not None:
        _required(variational).check_half_step(index, state, n_samples)
        return
    ll = state.log_likelihood
    elbo = _or_minus_inf(state.elbo)
    if state.action == "e-step" and not (
        _same(elbo, ll, n_samples) and _same(state.lower_bound * n_samples, ll, n_samples)
    ):
        raise SessionCheckError(
            f"entry {index} is an E-step whose ELBO or lower bound is not its log-likelihood"
        )


def _same(recorded: float, actual: float, n_samples: int) -> bool:
    if not (math.isfinite(recorded) and math.isfinite(actual)):
        return recorded == actual or (math.isnan(recorded) and math.isnan(actual))
    return abs(recorded - actual) <= _slack(actual, n_samples)


def _slack(value: float, n_samples: int) -> float:
    return LOG_LIKELIHOOD_TOLERANCE * (abs(value) + n_samples) if math.isfinite(value) else 0.0


def _figure(value: float) -> str:
    return f"{value:,.6g}" if math.isfinite(value) else "none (minus infinity)"
