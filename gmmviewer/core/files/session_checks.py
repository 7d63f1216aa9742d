"""Checks of everything a session file holds, before any of it is used. Pure numpy; no Qt.

:func:`check_meta` checks the JSON metadata field by field (types, ranges, choices, the
links between a state and the parameter table); :func:`check_table` and
:func:`check_embedded_data` check the arrays; :func:`build_states` checks what links
states, parameters and data; :func:`verify_history` recomputes log-likelihoods from the
data, so a history that does not belong to its data is refused instead of shown. Each
problem is a :class:`SessionCheckError` whose message names the field
("states[3].status must be text, got 12345").

Variational states are checked by :mod:`~gmmviewer.core.files.session_checks_variational`,
which passes its checks in (:class:`VariationalChecks`); without them, a variational
state is the caller's mistake (TypeError).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.estep import e_step, e_step_streaming
from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.em.initialization import INIT_METHODS
from gmmviewer.core.em.passes import PASS_DTYPE_NAMES, pass_data
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.limits import MAX_COMPONENTS, MAX_FEATURES, MAX_SEED
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import ACTIONS, SessionState
from gmmviewer.core.session.variational_state import VariationalState
from gmmviewer.core.vb.variational import VariationalParams

#: Largest iteration count or ``max_iter`` read (what the window's number boxes hold).
MAX_COUNT = 2**31 - 1
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

_SHA256 = re.compile(r"[0-9a-f]{64}")
_EDITS = ("move mean", "add component", "remove component", "set parameters")


class SessionCheckError(ValueError):
    """What is wrong in a session file, naming the field."""


@dataclass(frozen=True)
class CheckedMeta:
    """The metadata of a session file, every field checked.

    Attributes
    ----------
    settings : dict
        ``init``, ``seed``, ``tol``, ``max_iter``, ``reg_covar``, ``dtype``.
    param_types : list of str
        The covariance type of each entry of the parameter table.
    states : list of dict
        The states' fields, typed; parameter indices within the table.
    position : int
    data : dict
        How the data are stored (``mode`` 'embedded' or 'file' and its fields).
    view : dict
        ``dims`` (list of int) and ``theme`` (str) when present; nothing else.
    priors : list of dict
        The priors' choice (a PriorChoice) and scalars, typed (empty without variational
        states).
    variational_types : list of dict
        ``covariance_type`` and ``prior_type`` of each set of variational parameters.
    """

    settings: dict[str, Any]
    param_types: list[str]
    states: list[dict[str, Any]]
    position: int
    data: dict[str, Any]
    view: dict[str, Any]
    priors: list[dict[str, Any]] = field(default_factory=list)
    variational_types: list[dict[str, str]] = field(default_factory=list)


#: Builds a state's variational model from its checked entry (index, entry, parameters,
#: parameters of its responsibilities).
StateLinker = Callable[[int, dict[str, Any], GMMParams, GMMParams | None], VariationalState]

_T = TypeVar("_T")


class VariationalChecks(Protocol):
    """What the checks here ask of the variational states' own checks, whose module
    imports this one (so they are passed in): ``X`` is in float64."""

    def check_tables(self, meta: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]: ...

    def check_links(
        self,
        links: Any,
        where: str,
        state: dict[str, Any],
        n_params: int,
        n_priors: int,
        n_variational: int,
    ) -> dict[str, Any]: ...

    def elbo_slack(self, state: SessionState, n_samples: int) -> float: ...

    def check_half_step(self, index: int, state: SessionState, n_samples: int) -> None: ...

    def bound(self, X: np.ndarray, state: SessionState) -> float: ...

    def elbo(self, X: np.ndarray, state: SessionState) -> float: ...


def _required(checks: _T | None) -> _T:
    """``checks``, which a variational state needs: without them, the caller erred."""
    if checks is None:
        raise TypeError("variational states need the checks of session_checks_variational")
    return checks


# ==================================================================== metadata
def check_meta(meta: Any, variational: VariationalChecks | None = None) -> CheckedMeta:
    """Check the metadata document (already parsed JSON) of a session file.

    The format name and version are checked by the caller; the tables and links of
    variational states by ``variational`` (without it, the tables are not read).
    """
    meta = _object(meta, "the metadata")
    settings = _object(_field(meta, "settings", "the metadata"), "settings")
    init = _field(settings, "init", "settings")
    if init not in INIT_METHODS:
        raise SessionCheckError(
            f"settings.init must be one of {', '.join(INIT_METHODS)}, got {_shown(init)}"
        )
    checked_settings = {
        "init": init,
        "seed": _integer(settings.get("seed"), "settings.seed", 0, MAX_SEED, none=True),
        "tol": _number(_field(settings, "tol", "settings"), "settings.tol", minimum=0.0),
        "max_iter": _integer(_field(settings, "max_iter", "settings"), "settings.max_iter", 0),
        "reg_covar": _number(
            _field(settings, "reg_covar", "settings"), "settings.reg_covar", minimum=0.0
        ),
        # Optional: files written before the float32 switch computed in float64.
        "dtype": settings.get("dtype", "float64"),
    }
    if checked_settings["dtype"] not in PASS_DTYPE_NAMES:
        raise SessionCheckError(
            f"settings.dtype must be one of {', '.join(PASS_DTYPE_NAMES)}, "
            f"got {_shown(checked_settings['dtype'])}"
        )
    types = _list(_field(meta, "params", "the metadata"), "params")
    for index, kind in enumerate(types):
        if kind not in COVARIANCE_TYPES:
            raise SessionCheckError(
                f"params[{index}] must be one of {', '.join(COVARIANCE_TYPES)}, got {_shown(kind)}"
            )
    # Both tables are absent from files without variational states.
    priors, variational_types = ([], []) if variational is None else variational.check_tables(meta)
    raw_states = _list(_field(meta, "states", "the metadata"), "states")
    if not raw_states:
        raise SessionCheckError("the history has no states")
    states = []
    for i, entry in enumerate(raw_states):
        where = f"states[{i}]"
        state = _state(entry, where, len(types))
        links = entry.get("variational")
        state["variational"] = (
            None
            if links is None
            else _required(variational).check_links(
                links, where, state, len(types), len(priors), len(variational_types)
            )
        )
        states.append(state)
    position = _integer(_field(meta, "position", "the metadata"), "position", 0, len(states) - 1)
    data = _data(_object(_field(meta, "data", "the metadata"), "data"))
    view = _view(meta.get("view"), len(data["columns"]))
    return CheckedMeta(
        checked_settings, list(types), states, position, data, view, priors, variational_types
    )


def _state(entry: Any, where: str, n_params: int) -> dict[str, Any]:
    entry = _object(entry, where)
    action = _field(entry, "action", where)
    if action not in ACTIONS:
        raise SessionCheckError(
            f"{where}.action must be one of {', '.join(ACTIONS)}, got {_shown(action)}"
        )
    next_step = _field(entry, "next_step", where)
    if next_step not in ("E", "M"):
        raise SessionCheckError(f"{where}.next_step must be 'E' or 'M', got {_shown(next_step)}")
    iteration = _integer(_field(entry, "iteration", where), f"{where}.iteration", 0)
    state = {
        "action": action,
        "description": _text(_field(entry, "description", where), f"{where}.description"),
        "params": _integer(_field(entry, "params", where), f"{where}.params", 0, n_params - 1),
        "resp_params": _integer(
            _field(entry, "resp_params", where), f"{where}.resp_params", 0, n_params - 1, none=True
        ),
        "next_step": next_step,
        "iteration": iteration,
        "run_start": _integer(
            _field(entry, "run_start", where), f"{where}.run_start", 0, iteration
        ),
        "log_likelihood": _number(
            _field(entry, "log_likelihood", where), f"{where}.log_likelihood", none=True
        ),
        "elbo": _number(_field(entry, "elbo", where), f"{where}.elbo", none=True),
        "lower_bound": _number(
            _field(entry, "lower_bound", where), f"{where}.lower_bound", none=True
        ),
        "previous_lower_bound": _number(
            _field(entry, "previous_lower_bound", where),
            f"{where}.previous_lower_bound",
            none=True,
        ),
        "converged": _boolean(_field(entry, "converged", where), f"{where}.converged"),
        "status": _text(_field(entry, "status", where), f"{where}.status"),
        "component": _integer(
            entry.get("component"), f"{where}.component", 0, MAX_COMPONENTS - 1, none=True
        ),
    }
    # The links the engine relies on: an M-step needs the responsibilities of an E-step.
    if next_step == "M" and state["resp_params"] is None:
        raise SessionCheckError(f"{where} expects an M-step but has no responsibilities")
    if action == "e-step" and (next_step != "M" or state["resp_params"] != state["params"]):
        raise SessionCheckError(f"{where} is an E-step without its responsibilities")
    if action in ("m-step", "initialise", *_EDITS) and next_step != "E":
        raise SessionCheckError(f"{where} is an {action} but expects an M-step next")
    if action == "initialise" and state["resp_params"] is not None:
        raise SessionCheckError(f"{where} is an initialisation with responsibilities")
    if state["elbo"] is not None and state["resp_params"] is None:
        raise SessionCheckError(f"{where} has an ELBO but no responsibilities")
    return state


def _data(data: dict[str, Any]) -> dict[str, Any]:
    mode = _field(data, "mode", "data")
    columns = _list(_field(data, "columns", "data"), "data.columns")
    if not columns or len(columns) > MAX_FEATURES:
        raise SessionCheckError(
            f"data.columns must name 1 to {MAX_FEATURES:,} columns, got {len(columns):,}"
        )
    for index, column in enumerate(columns):
        _text(column, f"data.columns[{index}]")
    checked: dict[str, Any] = {
        "mode": mode,
        "columns": list(columns),
        "source": _text(data.get("source", ""), "data.source"),
        "normalized": _boolean(data.get("normalized", False), "data.normalized"),
        # Version 2: data drawn by hand (an empty canvas) are embedded and may have no rows.
        "edited": _boolean(data.get("edited", False), "data.edited"),
    }
    if "truth_covariance_type" in data:
        kind = data["truth_covariance_type"]
        if kind not in COVARIANCE_TYPES:
            raise SessionCheckError(
                "data.truth_covariance_type must be one of "
                f"{', '.join(COVARIANCE_TYPES)}, got {_shown(kind)}"
            )
        checked["truth_covariance_type"] = kind
    if mode == "embedded":
        return checked
    if mode != "file":
        raise SessionCheckError(f"data.mode must be 'embedded' or 'file', got {_shown(mode)}")
    if checked["edited"]:
        raise SessionCheckError("data.mode must be 'embedded' for edited data")
    sha256 = _text(_field(data, "sha256", "data"), "data.sha256")
    if not _SHA256.fullmatch(sha256):
        raise SessionCheckError(f"data.sha256 must be 64 hexadecimal digits, got {_shown(sha256)}")
    delimiter = data.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise SessionCheckError(f"data.delimiter must be one character, got {_shown(delimiter)}")
    decimal = data.get("decimal", ".")
    if decimal not in (".", ","):
        raise SessionCheckError(f"data.decimal must be '.' or ',', got {_shown(decimal)}")
    checked.update(
        path=_text(_field(data, "path", "data"), "data.path"),
        relative_path=_text(_field(data, "relative_path", "data"), "data.relative_path"),
        sha256=sha256,
        delimiter=delimiter,
        has_header=_boolean(_field(data, "has_header", "data"), "data.has_header"),
        decimal=decimal,
        n_samples=_integer(_field(data, "n_samples", "data"), "data.n_samples", 1, None),
    )
    return checked


def _view(view: Any, n_features: int) -> dict[str, Any]:
    """The view settings the window uses (``dims``, ``theme``); other keys are dropped."""
    if view is None:
        return {}
    view = _object(view, "view")
    checked: dict[str, Any] = {}
    if "dims" in view:
        dims = _list(view["dims"], "view.dims")
        if not 1 <= len(dims) <= 2:
            raise SessionCheckError(f"view.dims must list 1 or 2 columns, got {len(dims)}")
        dims = [_integer(d, f"view.dims[{i}]", 0, n_features - 1) for i, d in enumerate(dims)]
        if len(set(dims)) != len(dims):
            raise SessionCheckError(f"view.dims must list different columns, got {dims}")
        checked["dims"] = dims
    if "theme" in view:
        checked["theme"] = _text(view["theme"], "view.theme")
    return checked


# ====================================================================== arrays
def check_table(param_types: list[str], arrays: dict[str, np.ndarray]) -> list[GMMParams]:
    """The parameter table: ``p<i>_weights``, ``_means``, ``_covariances`` for each type."""
    table = []
    for index, kind in enumerate(param_types):
        table.append(_params(arrays, f"p{index}", kind, f"parameter set {index}"))
    return table


def check_embedded_data(
    data: dict[str, Any], arrays: dict[str, np.ndarray], truth: GMMParams | None
) -> Dataset:
    """The data set stored in the file (mode 'embedded')."""
    X = _float_array(arrays, "X", 2)
    n_samples, n_features = X.shape
    if n_samples == 0 and not data.get("edited", False):
        raise SessionCheckError("the data X have no rows")
    if n_features != len(data["columns"]):
        raise SessionCheckError(
            f"the data X have {n_features:,} columns but {len(data['columns']):,} names"
        )
    offset = _float_array(arrays, "offset", 1)
    scale = _float_array(arrays, "scale", 1)
    for name, values in (("X", X), ("offset", offset), ("scale", scale)):
        if not np.all(np.isfinite(values)):
            raise SessionCheckError(f"the data's {name} hold NaN or infinity")
    if offset.shape != (n_features,) or scale.shape != (n_features,):
        raise SessionCheckError(f"the data's offset and scale must hold {n_features:,} values")
    if np.any(scale <= 0):
        raise SessionCheckError("the data's scale must be positive")
    labels = arrays.get("labels")
    if labels is not None:
        if labels.dtype.kind not in "iu" or labels.shape != (n_samples,):
            raise SessionCheckError(f"the data's labels must be {n_samples:,} whole numbers")
        top = truth.n_components if truth is not None else MAX_COMPONENTS
        if labels.size and (labels.min() < 0 or labels.max() >= top):
            raise SessionCheckError(f"the data's labels must be components 0 to {top - 1}")
    if truth is not None and truth.n_features != n_features:
        raise SessionCheckError(
            f"the true parameters have {truth.n_features} features but the data {n_features}"
        )
    return Dataset(
        X=X,
        columns=tuple(data["columns"]),
        source=data["source"],
        offset=offset,
        scale=scale,
        labels=labels,
        truth=truth,
        edited=bool(data.get("edited", False)),
    )


def check_truth(data: dict[str, Any], arrays: dict[str, np.ndarray]) -> GMMParams | None:
    """The true parameters of generated data, when the file has them."""
    names = ("truth_weights", "truth_means", "truth_covariances")
    present = [name in arrays for name in names]
    if not any(present):
        return None
    if not all(present):
        raise SessionCheckError("the true parameters are incomplete")
    kind = data.get("truth_covariance_type", "full")
    return _params(arrays, "truth", kind, "the true parameters")


def _params(arrays: dict[str, np.ndarray], prefix: str, kind: str, what: str) -> GMMParams:
    weights = _float_array(arrays, f"{prefix}_weights", 1)
    means = _float_array(arrays, f"{prefix}_means", 2)
    covariances = _float_array(arrays, f"{prefix}_covariances", None)
    if weights.size > MAX_COMPONENTS or means.shape[1] > MAX_FEATURES:
        raise SessionCheckError(
            f"{what} have {weights.size:,} components of {means.shape[1]:,} features; at most "
            f"{MAX_COMPONENTS:,} components and {MAX_FEATURES:,} features are supported"
        )
    try:
        return GMMParams(weights, means, covariances, kind).validate()
    except GMMViewerError as error:
        raise SessionCheckError(f"{what}: {error}") from None


def _float_array(arrays: dict[str, np.ndarray], name: str, ndim: int | None) -> np.ndarray:
    if name not in arrays:
        raise SessionCheckError(f"the array {name} is missing")
    array = arrays[name]
    if array.dtype.kind not in "fiu" or (ndim is not None and array.ndim != ndim):
        shape = "numbers" if ndim is None else f"a {ndim}-D array of numbers"
        raise SessionCheckError(f"the array {name} must be {shape}")
    return array.astype(float, copy=False)


# ====================================================================== states
def build_states(
    checked: list[dict[str, Any]],
    table: list[GMMParams],
    n_samples: int | None,
    n_features: int,
    link: StateLinker | None = None,
) -> list[SessionState]:
    """The history's states, checking what links them to the parameters and the data.

    ``link`` builds (and checks) a variational state's model from its entry. With
    ``n_samples`` None (a history that edits the data) the number of components is left
    to the caller to check against each state's own data.
    """
    for index, params in enumerate(table):
        if params.n_features != n_features:
            raise SessionCheckError(
                f"parameter set {index} has {params.n_features} features but the data have "
                f"{n_features}"
            )
        if n_samples is not None and params.n_components > n_samples:
            raise SessionCheckError(
                f"parameter set {index} has {params.n_components} components, more than the "
                f"{n_samples} data points"
            )
    states = []
    for index, entry in enumerate(checked):
        params = table[entry["params"]]
        resp = None if entry["resp_params"] is None else table[entry["resp_params"]]
        if resp is not None and resp.n_components != params.n_components:
            raise SessionCheckError(
                f"states[{index}] has responsibilities of {resp.n_components} components for "
                f"{params.n_components}"
            )
        component = entry["component"]
        if component is not None and component >= params.n_components:
            raise SessionCheckError(
                f"states[{index}].component is {component}, but there are "
                f"{params.n_components} components"
            )
        model = None
        if entry["variational"] is not None:
            model = _required(link)(index, entry, params, resp)
        states.append(
            SessionState(
                action=entry["action"],
                description=entry["description"],
                params=params,
                resp_params=resp,
                next_step=entry["next_step"],
                iteration=entry["iteration"],
                run_start=entry["run_start"],
                log_likelihood=_or_minus_inf(entry["log_likelihood"]),
                elbo=entry["elbo"],
                lower_bound=_or_minus_inf(entry["lower_bound"]),
                previous_lower_bound=_or_minus_inf(entry["previous_lower_bound"]),
                converged=entry["converged"],
                status=entry["status"],
                component=component,
                variational=model,
            )
        )
    return states


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


def _or_minus_inf(value: float | None) -> float:
    return -math.inf if value is None else float(value)


# ===================================================================== helpers
def _field(container: dict[str, Any], key: str, where: str) -> Any:
    if key not in container:
        raise SessionCheckError(f"{where} has no field {key!r}")
    return container[key]


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SessionCheckError(f"{where} must be an object, got {_shown(value)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SessionCheckError(f"{where} must be a list, got {_shown(value)}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise SessionCheckError(f"{where} must be text, got {_shown(value)}")
    return value


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SessionCheckError(f"{where} must be true or false, got {_shown(value)}")
    return value


def _integer(
    value: Any,
    where: str,
    minimum: int,
    maximum: int | None = MAX_COUNT,
    *,
    none: bool = False,
) -> Any:
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SessionCheckError(f"{where} must be a whole number, got {_shown(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" to {maximum:,}"
        if maximum is not None and maximum < minimum:
            raise SessionCheckError(f"{where} is {_shown(value)}, but there is nothing to refer to")
        raise SessionCheckError(f"{where} must be from {minimum:,}{upper}, got {_shown(value)}")
    return value


def _number(value: Any, where: str, *, minimum: float | None = None, none: bool = False) -> Any:
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SessionCheckError(f"{where} must be a number, got {_shown(value)}")
    number = float(value)
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        bound = "" if minimum is None else f" >= {minimum:g}"
        raise SessionCheckError(f"{where} must be a finite number{bound}, got {_shown(value)}")
    return number


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
