"""Checks of a session file's variational states, before any of it is used. Pure numpy; no Qt.

The priors' and variational parameters' tables and each state's ``variational`` links
(:func:`check_meta`), the tables' arrays (:func:`check_variational_tables`), what links
them to the states and parameters (:func:`build_states`), and each variational state's
bound, ELBO and priors recomputed from the data (:func:`verify_history`).

:mod:`~gmmviewer.core.files.session_checks` holds the EM and data checks and the shared
field checks; it cannot import this module (this one imports it), so the
:func:`check_meta`, :func:`build_states` and :func:`verify_history` here are its own with
these checks passed in, and are the ones that open a session. Each problem is a
:class:`~gmmviewer.core.files.session_checks.SessionCheckError` naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.files import session_checks
from gmmviewer.core.files.session_checks import (
    VERIFY_BUDGET,
    CheckedMeta,
    SessionCheckError,
    _field,
    _float_array,
    _integer,
    _list,
    _number,
    _object,
    _or_minus_inf,
    _same,
    _shown,
    _text,
)
from gmmviewer.core.limits import MAX_COMPONENTS
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.variational_state import PRIOR_TYPES, PriorChoice, VariationalState
from gmmviewer.core.session.variational_steps import variational_posterior
from gmmviewer.core.vb.bound import lower_bound
from gmmviewer.core.vb.priors import VariationalPriors
from gmmviewer.core.vb.variational import VariationalParams


# ==================================================================== metadata
def check_meta(meta: Any) -> CheckedMeta:
    """:func:`session_checks.check_meta <gmmviewer.core.files.session_checks.check_meta>`,
    with the variational states' tables and links."""
    return session_checks.check_meta(meta, _CHECKS)


def _check_tables(meta: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The metadata's priors and variational parameters' tables (absent from files without
    variational states)."""
    priors = [
        _prior_entry(entry, f"priors[{i}]")
        for i, entry in enumerate(_list(meta.get("priors", []), "priors"))
    ]
    variational_types = [
        _variational_type(entry, f"variational_params[{i}]")
        for i, entry in enumerate(_list(meta.get("variational_params", []), "variational_params"))
    ]
    return priors, variational_types


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


def _prior_entry(entry: Any, where: str) -> dict[str, Any]:
    """One entry of the priors table: the choice the person made and the resolved scalars."""
    entry = _object(entry, where)
    kind = _field(entry, "weight_concentration_prior_type", where)
    if kind not in PRIOR_TYPES:
        raise SessionCheckError(
            f"{where}.weight_concentration_prior_type must be one of {', '.join(PRIOR_TYPES)}, "
            f"got {_shown(kind)}"
        )
    covariance_type = _field(entry, "covariance_type", where)
    if covariance_type not in COVARIANCE_TYPES:
        raise SessionCheckError(
            f"{where}.covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, "
            f"got {_shown(covariance_type)}"
        )
    name = f"{where}.choice"
    choice = _object(_field(entry, "choice", where), name)
    prior_type = _text(_field(choice, "prior_type", name), f"{name}.prior_type")
    if prior_type.replace("-", "_") != kind:
        raise SessionCheckError(
            f"{name}.prior_type must be {kind!r} like the priors, got {_shown(prior_type)}"
        )
    return {
        "choice": PriorChoice(
            prior_type,
            _positive(
                _field(choice, "weight_concentration", name),
                f"{name}.weight_concentration",
                none=True,
            ),
            _positive(_field(choice, "mean_precision", name), f"{name}.mean_precision", none=True),
            _number(
                _field(choice, "degrees_of_freedom", name), f"{name}.degrees_of_freedom", none=True
            ),
        ),
        "n_components": _integer(
            _field(entry, "n_components", where), f"{where}.n_components", 1, MAX_COMPONENTS
        ),
        "covariance_type": covariance_type,
        "weight_concentration_prior_type": kind,
        "weight_concentration_prior": _positive(
            _field(entry, "weight_concentration_prior", where),
            f"{where}.weight_concentration_prior",
        ),
        "mean_precision_prior": _positive(
            _field(entry, "mean_precision_prior", where), f"{where}.mean_precision_prior"
        ),
        "degrees_of_freedom_prior": _number(
            _field(entry, "degrees_of_freedom_prior", where), f"{where}.degrees_of_freedom_prior"
        ),
        "reg_covar": _number(_field(entry, "reg_covar", where), f"{where}.reg_covar", minimum=0.0),
    }


def _variational_type(entry: Any, where: str) -> dict[str, str]:
    """One entry of the variational parameters' table: its covariance and weight prior types."""
    entry = _object(entry, where)
    covariance_type = _field(entry, "covariance_type", where)
    if covariance_type not in COVARIANCE_TYPES:
        raise SessionCheckError(
            f"{where}.covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, "
            f"got {_shown(covariance_type)}"
        )
    prior_type = _field(entry, "prior_type", where)
    if prior_type not in PRIOR_TYPES:
        raise SessionCheckError(
            f"{where}.prior_type must be one of {', '.join(PRIOR_TYPES)}, got {_shown(prior_type)}"
        )
    return {"covariance_type": covariance_type, "prior_type": prior_type}


# ====================================================================== arrays
@dataclass(frozen=True)
class VariationalTables:
    """The checked tables of a file's variational states (empty without any).

    Attributes
    ----------
    choices : list of PriorChoice
        The choice behind each entry of ``priors``.
    priors : list of VariationalPriors
    params : list of VariationalParams
    """

    choices: list[PriorChoice] = field(default_factory=list)
    priors: list[VariationalPriors] = field(default_factory=list)
    params: list[VariationalParams] = field(default_factory=list)


def check_variational_tables(
    meta: CheckedMeta, arrays: dict[str, np.ndarray], n_features: int
) -> VariationalTables:
    """The priors (``prior<i>_*``) and variational parameters (``v<i>_*``) for data of
    ``n_features`` features."""
    tables = VariationalTables()
    for index, entry in enumerate(meta.priors):
        tables.choices.append(entry["choice"])
        tables.priors.append(_variational_priors(entry, arrays, index, n_features))
    for index, kinds in enumerate(meta.variational_types):
        tables.params.append(_variational_params(kinds, arrays, index, n_features))
    return tables


def _covariance_shape(covariance_type: str, k: int, d: int) -> tuple[int, ...]:
    return {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[covariance_type]


def _variational_priors(
    entry: dict[str, Any], arrays: dict[str, np.ndarray], index: int, n_features: int
) -> VariationalPriors:
    where = f"priors[{index}]"
    # The Wishart distribution needs more than D - 1 degrees of freedom.
    for name, value in (
        ("degrees_of_freedom_prior", entry["degrees_of_freedom_prior"]),
        ("choice.degrees_of_freedom", entry["choice"].degrees_of_freedom),
    ):
        if value is not None and not value > n_features - 1:
            raise SessionCheckError(
                f"{where}.{name} must be greater than {n_features - 1}, got {_shown(value)}"
            )
    mean_prior = _shaped(arrays, f"prior{index}_mean_prior", (n_features,))
    kind = entry["covariance_type"]
    d = n_features
    shape = {"full": (d, d), "tied": (d, d), "diag": (d,), "spherical": ()}[kind]
    name = f"prior{index}_covariance_prior"
    covariance_prior = _shaped(arrays, name, shape)
    if covariance_prior.ndim == 2:
        symmetric = np.allclose(covariance_prior, covariance_prior.T, rtol=1e-5, atol=1e-8)
        if not (symmetric and np.all(np.linalg.eigvalsh(covariance_prior) > 0.0)):
            raise SessionCheckError(f"the array {name} must be symmetric positive definite")
    elif not np.all(covariance_prior > 0.0):
        raise SessionCheckError(f"the array {name} must be positive")
    return VariationalPriors(
        n_components=entry["n_components"],
        covariance_type=kind,
        weight_concentration_prior_type=entry["weight_concentration_prior_type"],
        weight_concentration_prior=entry["weight_concentration_prior"],
        mean_precision_prior=entry["mean_precision_prior"],
        mean_prior=mean_prior,
        degrees_of_freedom_prior=entry["degrees_of_freedom_prior"],
        covariance_prior=covariance_prior,
        reg_covar=entry["reg_covar"],
    )


def _variational_params(
    kinds: dict[str, str], arrays: dict[str, np.ndarray], index: int, n_features: int
) -> VariationalParams:
    what = f"variational parameter set {index}"
    prefix = f"v{index}"
    means = _float_array(arrays, f"{prefix}_means", 2)
    k, d = means.shape
    if d != n_features:
        raise SessionCheckError(f"{what} has {d} features but the data have {n_features}")
    if not 1 <= k <= MAX_COMPONENTS:
        raise SessionCheckError(f"{what} must have 1 to {MAX_COMPONENTS:,} components, got {k:,}")
    means = _shaped(arrays, f"{prefix}_means", (k, d))
    kind = kinds["covariance_type"]
    dirichlet_process = kinds["prior_type"] == "dirichlet_process"
    concentration = _shaped(
        arrays, f"{prefix}_weight_concentration", (2, k) if dirichlet_process else (k,)
    )
    mean_precision = _shaped(arrays, f"{prefix}_mean_precision", (k,))
    degrees_of_freedom = _shaped(
        arrays, f"{prefix}_degrees_of_freedom", () if kind == "tied" else (k,)
    )
    covariances = _shaped(arrays, f"{prefix}_covariances", _covariance_shape(kind, k, d))
    for name, values in (
        ("weight_concentration", concentration),
        ("mean_precision", mean_precision),
    ):
        if not np.all(values > 0.0):
            raise SessionCheckError(f"the array {prefix}_{name} must be positive")
    if not np.all(degrees_of_freedom > d - 1.0):
        raise SessionCheckError(
            f"the array {prefix}_degrees_of_freedom must be greater than {d - 1}"
        )
    try:
        return VariationalParams(
            covariance_type=kind,
            weight_concentration=(
                (concentration[0], concentration[1]) if dirichlet_process else concentration
            ),
            mean_precision=mean_precision,
            means=means,
            degrees_of_freedom=degrees_of_freedom,
            covariances=covariances,
        )
    except GMMViewerError as error:
        raise SessionCheckError(f"{what}: {error}") from None


def _positive(value: Any, where: str, *, none: bool = False) -> Any:
    number = _number(value, where, none=none)
    if number is not None and not number > 0.0:
        raise SessionCheckError(f"{where} must be a positive number, got {_shown(value)}")
    return number


def _shaped(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    """The array ``name`` as finite floats of ``shape``."""
    array = _float_array(arrays, name, None)
    if array.shape != shape:
        raise SessionCheckError(f"the array {name} must have shape {shape}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise SessionCheckError(f"the array {name} holds NaN or infinity")
    return array


# ====================================================================== states
def build_states(
    checked: list[dict[str, Any]],
    table: list[GMMParams],
    n_samples: int | None,
    n_features: int,
    variational: VariationalTables | None = None,
) -> list[SessionState]:
    """:func:`session_checks.build_states <gmmviewer.core.files.session_checks.build_states>`,
    with the variational states built from ``variational``.

    A variational state's priors and variational parameters must fit its parameters
    (components, covariance type, weight prior), which must be their expected mixture;
    a parameter set is the expectation of one set of variational parameters only, so the
    session's posteriors, keyed by parameters, stay unambiguous.
    """
    links = _VariationalLinks(table, variational or VariationalTables())
    return session_checks.build_states(checked, table, n_samples, n_features, links.state)


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
    """:func:`session_checks.verify_history
    <gmmviewer.core.files.session_checks.verify_history>`, with the variational states'
    bounds, ELBOs and priors recomputed from ``X``.

    A variational state's "log-likelihood" is its bound with the responsibilities of its
    variational E-step (:mod:`~gmmviewer.core.session.variational_steps`), recomputed in
    float64 as the session computes it; its ELBO after an M-step is its lower bound; and
    its priors, within ``budget``, must be what its choice gives for ``X``.
    """
    session_checks.verify_history(states, position, X, budget, dtype, _CHECKS)
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
    """The checks above, as :mod:`~gmmviewer.core.files.session_checks` calls them
    (:class:`~gmmviewer.core.files.session_checks.VariationalChecks`)."""

    check_tables = staticmethod(_check_tables)
    check_links = staticmethod(_variational_links)
    elbo_slack = staticmethod(_reg_covar_slack)
    check_half_step = staticmethod(_check_half_step)
    bound = staticmethod(_bound)
    elbo = staticmethod(_elbo)


_CHECKS = _Checks()
