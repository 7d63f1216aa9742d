"""Checks of a session file's variational states, before any of it is used. Pure numpy; no Qt.

Each state's ``variational`` links (in the metadata, then to the checked tables of
:mod:`~gmmviewer.core.files.sessions.variational_tables`: :func:`build_states`), and each
variational state's bound, ELBO and priors recomputed from the data
(:func:`verify_history`).

The EM checks (:mod:`~gmmviewer.core.files.sessions.meta_checks`,
:mod:`~gmmviewer.core.files.sessions.state_checks`,
:mod:`~gmmviewer.core.files.sessions.history_checks`) cannot import this module (this one
imports them), so the :func:`check_meta`, :func:`build_states` and :func:`verify_history`
here are theirs with these checks passed in
(:class:`~gmmviewer.core.files.sessions.variational_hooks.VariationalChecks`), and are the
ones that open a session. Each problem is a
:class:`~gmmviewer.core.files.sessions.fields.SessionCheckError` naming the field.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gmmviewer.core.files.sessions import history_checks, meta_checks, state_checks
from gmmviewer.core.files.sessions.fields import (
    SessionCheckError,
    _field,
    _integer,
    _object,
    _or_minus_inf,
)
from gmmviewer.core.files.sessions.history_checks import VERIFY_BUDGET, _same
from gmmviewer.core.files.sessions.meta_checks import CheckedMeta
from gmmviewer.core.files.sessions.variational_tables import VariationalTables, _check_tables
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.variational_state import VariationalState
from gmmviewer.core.session.variational_steps import variational_posterior
from gmmviewer.core.vb.bound import lower_bound
from gmmviewer.core.vb.priors import VariationalPriors
from gmmviewer.core.vb.variational import VariationalParams


# ==================================================================== metadata
def check_meta(meta: Any) -> CheckedMeta:
    """:func:`meta_checks.check_meta <gmmviewer.core.files.sessions.meta_checks.check_meta>`,
    with the variational states' tables and links."""
    return meta_checks.check_meta(meta, _CHECKS)


def _variational_links(
    links: Any,
    where: str,
    state: dict[str, Any],
    n_params: int,
    n_priors: int,
    n_variational: int,
) -> dict[str, Any]:
    """A variational state's indices into the tables of priors, variational parameters and
    parameters."""
    name = f"{where}.variational"
    links = _object(links, name)
    checked = {
        "priors": _integer(_field(links, "priors", name), f"{name}.priors", 0, n_priors - 1),
        "current": _integer(
            _field(links, "current", name), f"{name}.current", 0, n_variational - 1
        ),
        "responsibilities": _integer(
            _field(links, "responsibilities", name),
            f"{name}.responsibilities",
            0,
            n_variational - 1,
            none=True,
        ),
        "origin": _integer(
            _field(links, "origin", name), f"{name}.origin", 0, n_params - 1, none=True
        ),
    }
    if (checked["responsibilities"] is None) != (state["resp_params"] is None):
        raise SessionCheckError(
            f"{name}.responsibilities must be given exactly when the state has responsibilities"
        )
    if state["action"] == "e-step" and checked["responsibilities"] != checked["current"]:
        raise SessionCheckError(
            f"{where} is an E-step whose responsibilities are not from its variational parameters"
        )
    return checked


# ====================================================================== states
def build_states(
    checked: list[dict[str, Any]],
    table: list[GMMParams],
    n_samples: int | None,
    n_features: int,
    variational: VariationalTables | None = None,
) -> list[SessionState]:
    """:func:`state_checks.build_states
    <gmmviewer.core.files.sessions.state_checks.build_states>`, with the variational states
    built from ``variational``.

    A variational state's priors and variational parameters must fit its parameters
    (components, covariance type, weight prior), which must be their expected mixture;
    a parameter set is the expectation of one set of variational parameters only, so the
    session's posteriors, keyed by parameters, stay unambiguous.
    """
    links = _VariationalLinks(table, variational or VariationalTables())
    return state_checks.build_states(checked, table, n_samples, n_features, links.state)


class _VariationalLinks:
    """Builds variational states from the tables, checking each link once."""

    def __init__(self, table: list[GMMParams], tables: VariationalTables) -> None:
        self._table = table
        self._tables = tables
        self._source: dict[int, int] = {}  # parameter set -> variational parameters
        self._expectation: dict[int, int] = {}  # variational parameters -> parameter set
        self._priors_of: dict[int, int] = {}  # variational parameters -> priors
        self._matched: set[tuple[int, int]] = set()

    def state(
        self,
        index: int,
        entry: dict[str, Any],
        params: GMMParams,
        resp: GMMParams | None,
    ) -> VariationalState:
        links = entry["variational"]
        where = f"states[{index}].variational"
        priors = self._tables.priors[links["priors"]]
        if (priors.n_components, priors.covariance_type) != (
            params.n_components,
            params.covariance_type,
        ):
            raise SessionCheckError(
                f"{where}.priors are for {priors.n_components} {priors.covariance_type} "
                f"components, the state has {params.n_components} {params.covariance_type}"
            )
        current = self._link(where, "current", links, entry["params"], links["priors"])
        responsibilities = None
        if links["responsibilities"] is not None:
            assert resp is not None  # the metadata check pairs them
            responsibilities = self._link(
                where, "responsibilities", links, entry["resp_params"], links["priors"]
            )
        origin = None if links["origin"] is None else self._table[links["origin"]]
        if origin is not None and (origin.n_components, origin.covariance_type) != (
            params.n_components,
            params.covariance_type,
        ):
            raise SessionCheckError(
                f"{where}.origin has {origin.n_components} {origin.covariance_type} "
                f"components, the state {params.n_components} {params.covariance_type}"
            )
        choice = self._tables.choices[links["priors"]]
        return VariationalState(choice, priors, current, responsibilities, origin)

    def _link(
        self,
        where: str,
        key: str,
        links: dict[str, Any],
        params_index: int,
        priors_index: int,
    ) -> VariationalParams:
        """The variational parameters ``links[key]``, whose expectation is parameter set
        ``params_index`` and whose priors are ``priors_index``."""
        index = links[key]
        variational = self._tables.params[index]
        priors = self._tables.priors[priors_index]
        if (
            variational.covariance_type != priors.covariance_type
            or variational.n_components != priors.n_components
            or variational.is_dirichlet_process != priors.is_dirichlet_process
        ):
            raise SessionCheckError(
                f"{where}.{key}: variational parameter set {index} does not fit priors "
                f"{priors_index} (components, covariance type or weight prior)"
            )
        source = self._source.setdefault(params_index, index)
        expectation = self._expectation.setdefault(index, params_index)
        if source != index or expectation != params_index:
            raise SessionCheckError(
                f"{where}.{key} pairs parameter set {params_index} with variational parameter "
                f"set {index}, but another state pairs them otherwise"
            )
        if self._priors_of.setdefault(index, priors_index) != priors_index:
            raise SessionCheckError(
                f"{where}.{key}: variational parameter set {index} is used with two priors"
            )
        if (params_index, index) not in self._matched:
            self._matched.add((params_index, index))
            if not _same_mixture(self._table[params_index], variational.to_gmm_params()):
                raise SessionCheckError(
                    f"{where}.{key}: parameter set {params_index} is not the expected mixture "
                    f"of variational parameter set {index}"
                )
        return variational


def _same_mixture(stored: GMMParams, expected: GMMParams) -> bool:
    """True when ``stored`` is ``expected`` but for the last digits (the expectations are
    recomputed from the variational parameters)."""
    return all(
        np.allclose(a, b, rtol=1e-10, atol=0.0)
        for a, b in (
            (stored.weights, expected.weights),
            (stored.means, expected.means),
            (stored.covariances, expected.covariances),
        )
    )


# ============================================================ recomputed values
def verify_history(
    states: list[SessionState],
    position: int,
    X: np.ndarray,
    budget: int = VERIFY_BUDGET,
    dtype: str = "float64",
) -> None:
    """:func:`history_checks.verify_history
    <gmmviewer.core.files.sessions.history_checks.verify_history>`, with the variational states'
    bounds, ELBOs and priors recomputed from ``X``.

    A variational state's "log-likelihood" is its bound with the responsibilities of its
    variational E-step (:mod:`~gmmviewer.core.session.variational_steps`), recomputed in
    float64 as the session computes it; its ELBO after an M-step is its lower bound; and
    its priors, within ``budget``, must be what its choice gives for ``X``.
    """
    history_checks.verify_history(states, position, X, budget, dtype, _CHECKS)
    _verify_priors(states, position, np.asarray(X, dtype=float), budget)


def _bound(X: np.ndarray, state: SessionState) -> float:
    """The bound of a variational state, recomputed from ``X`` (float64)."""
    found = state.variational
    assert found is not None  # only variational states are asked for
    return variational_posterior(X, found.current, state.params, found.priors).log_likelihood


def _elbo(X: np.ndarray, state: SessionState) -> float:
    """The ELBO of a variational state with responsibilities, recomputed from ``X``."""
    model = state.variational
    assert model is not None and state.resp_params is not None  # the caller checks
    assert model.responsibilities is not None  # build_states pairs them
    q = variational_posterior(X, model.responsibilities, state.resp_params, model.priors)
    return lower_bound(model.current, q.statistics, q.entropy, model.priors)


def _check_half_step(index: int, state: SessionState, n_samples: int) -> None:
    """A variational E-step's ELBO is its bound, an M-step's its lower bound."""
    ll = state.log_likelihood
    elbo = _or_minus_inf(state.elbo)
    if state.action == "e-step" and not _same(elbo, ll, n_samples):
        raise SessionCheckError(f"entry {index} is an E-step whose ELBO is not its bound")
    elif state.action == "m-step" and not _same(elbo, state.lower_bound, n_samples):
        raise SessionCheckError(
            f"entry {index} is a variational M-step whose ELBO is not its lower bound"
        )


def _reg_covar_slack(state: SessionState, n_samples: int) -> float:
    """How far a variational state's ELBO may exceed its bound.

    scikit-learn's E-step leaves out the ``reg_covar`` term of the reported bound (see
    :mod:`gmmviewer.core.vb.bound`), which moves by at most ``0.5 reg_covar`` times the
    change of the counts (at most ``2 N``) times the largest trace of an expected precision.
    """
    model = state.variational
    if model is None or model.priors.reg_covar == 0.0:
        return 0.0
    precisions = model.current.precisions
    kind = model.current.covariance_type
    if kind == "full":
        traces = np.trace(precisions, axis1=1, axis2=2)
    elif kind == "tied":
        return 0.0  # one shared precision, and the counts always sum to N
    elif kind == "diag":
        traces = precisions.sum(axis=1)
    else:
        traces = precisions * model.current.n_features
    return float(model.priors.reg_covar * n_samples * np.max(traces))


def _verify_priors(states: list[SessionState], position: int, X: np.ndarray, budget: int) -> None:
    """Each distinct priors must be what its choice gives for ``X``: the current state's
    always, others while ``budget`` lasts (each costs a pass over the data)."""
    found: dict[int, tuple[int, VariationalState]] = {}
    for index in (position, *range(len(states))):
        model = states[index].variational
        if model is not None:
            found.setdefault(id(model.priors), (index, model))
    if not found:
        return
    n_samples, n_features = X.shape
    room = max(1, budget // max(1, n_samples * n_features * (n_features + 1)))
    for index, model in list(found.values())[:room]:
        priors = model.priors
        expected = model.choice.resolve(
            X, priors.n_components, priors.covariance_type, priors.reg_covar
        )
        if not _same_priors(priors, expected):
            raise SessionCheckError(
                f"does not match its data: the priors of entry {index} are not what its "
                "choice gives for these data"
            )


def _same_priors(stored: VariationalPriors, expected: VariationalPriors) -> bool:
    scalars = (
        "weight_concentration_prior",
        "mean_precision_prior",
        "degrees_of_freedom_prior",
        "reg_covar",
    )
    if stored.weight_concentration_prior_type != expected.weight_concentration_prior_type:
        return False
    if not all(
        math.isclose(getattr(stored, name), getattr(expected, name), rel_tol=1e-12)
        for name in scalars
    ):
        return False
    for a, b in (
        (stored.mean_prior, expected.mean_prior),
        (stored.covariance_prior, expected.covariance_prior),
    ):
        scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=1e-12 * scale):
            return False
    return True


class _Checks:
    """The checks above, as the EM checks call them
    (:class:`~gmmviewer.core.files.sessions.variational_hooks.VariationalChecks`)."""

    check_tables = staticmethod(_check_tables)
    check_links = staticmethod(_variational_links)
    elbo_slack = staticmethod(_reg_covar_slack)
    check_half_step = staticmethod(_check_half_step)
    bound = staticmethod(_bound)
    elbo = staticmethod(_elbo)


_CHECKS = _Checks()
