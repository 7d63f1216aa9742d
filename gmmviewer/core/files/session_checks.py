"""Checks of everything a session file holds, before any of it is used. Pure numpy; no Qt.

:func:`check_meta` checks the JSON metadata field by field (types, ranges, choices, the
links between a state and the parameter table); :func:`check_table` and
:func:`check_embedded_data` check the arrays; :func:`build_states` checks what links
states, parameters and data; :func:`verify_history` recomputes log-likelihoods from the
data, so a history that does not belong to its data is refused instead of shown. For
variational states, :func:`check_variational_tables` checks the priors and variational
parameters, :func:`build_states` what links them to the states, and
:func:`verify_history` recomputes their bounds and priors from the data. Each problem is
a :class:`SessionCheckError` whose message names the field
("states[3].status must be text, got 12345").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

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
from gmmviewer.core.session.variational_state import PRIOR_TYPES, PriorChoice, VariationalState
from gmmviewer.core.session.variational_steps import variational_posterior
from gmmviewer.core.vb.bound import lower_bound
from gmmviewer.core.vb.priors import VariationalPriors
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


# ==================================================================== metadata
def check_meta(meta: Any) -> CheckedMeta:
    """Check the metadata document (already parsed JSON) of a session file.

    The format name and version are checked by the caller.
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
    priors = [
        _prior_entry(entry, f"priors[{i}]")
        for i, entry in enumerate(_list(meta.get("priors", []), "priors"))
    ]
    variational_types = [
        _variational_type(entry, f"variational_params[{i}]")
        for i, entry in enumerate(_list(meta.get("variational_params", []), "variational_params"))
    ]
    raw_states = _list(_field(meta, "states", "the metadata"), "states")
    if not raw_states:
        raise SessionCheckError("the history has no states")
    counts = (len(types), len(priors), len(variational_types))
    states = [_state(entry, f"states[{i}]", *counts) for i, entry in enumerate(raw_states)]
    position = _integer(_field(meta, "position", "the metadata"), "position", 0, len(states) - 1)
    data = _data(_object(_field(meta, "data", "the metadata"), "data"))
    view = _view(meta.get("view"), len(data["columns"]))
    return CheckedMeta(
        checked_settings, list(types), states, position, data, view, priors, variational_types
    )


def _state(
    entry: Any, where: str, n_params: int, n_priors: int = 0, n_variational: int = 0
) -> dict[str, Any]:
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
    links = entry.get("variational")
    state["variational"] = (
        None
        if links is None
        else _variational_links(links, where, state, n_params, n_priors, n_variational)
    )
    return state


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
    if n_samples == 0:
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


def _shaped(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    """The array ``name`` as finite floats of ``shape``."""
    array = _float_array(arrays, name, None)
    if array.shape != shape:
        raise SessionCheckError(f"the array {name} must have shape {shape}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise SessionCheckError(f"the array {name} holds NaN or infinity")
    return array


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
    n_samples: int,
    n_features: int,
    variational: VariationalTables | None = None,
) -> list[SessionState]:
    """The history's states, checking what links them to the parameters and the data.

    A variational state's priors and variational parameters must fit its parameters
    (components, covariance type, weight prior), which must be their expected mixture;
    a parameter set is the expectation of one set of variational parameters only, so the
    session's posteriors, keyed by parameters, stay unambiguous.
    """
    links = _VariationalLinks(table, variational or VariationalTables())
    for index, params in enumerate(table):
        if params.n_features != n_features:
            raise SessionCheckError(
                f"parameter set {index} has {params.n_features} features but the data have "
                f"{n_features}"
            )
        if params.n_components > n_samples:
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
            model = links.state(index, entry, params, resp)
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


def verify_history(
    states: list[SessionState],
    position: int,
    X: np.ndarray,
    budget: int = VERIFY_BUDGET,
    dtype: str = "float64",
) -> None:
    """Check the recorded numbers against the data; a history that does not match is refused.

    Every state's log-likelihood must be the same as the other states' with the same
    parameters and, within ``budget``, the one recomputed from ``X`` (the current
    state's parameters and responsibilities always; then the first, and parameter
    sets spread over the history). An E-step's ELBO and lower bound must follow from
    its log-likelihood, no ELBO may exceed its log-likelihood, and the current state's
    ELBO is recomputed, in the type (``dtype``) the session computed them in.

    A variational state's "log-likelihood" is its bound with the responsibilities of its
    variational E-step (:mod:`~gmmviewer.core.session.variational_steps`), recomputed in
    float64 as the session computes it; its ELBO after an M-step is its lower bound; and
    its priors, within ``budget``, must be what its choice gives for ``X``.
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
        excess = ELBO_TOLERANCE * (abs(ll) + n_samples) + _reg_covar_slack(state, n_samples)
        if state.elbo is not None and math.isfinite(ll) and state.elbo > ll + excess:
            raise SessionCheckError(
                f"entry {index} records an ELBO above its log-likelihood, which cannot be"
            )
        _check_half_step(index, state, n_samples)

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
            found = source.variational
            actual = variational_posterior(
                exact, found.current, source.params, found.priors
            ).log_likelihood
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
            assert model.responsibilities is not None  # build_states pairs them
            q = variational_posterior(
                exact, model.responsibilities, current.resp_params, model.priors
            )
            actual = lower_bound(model.current, q.statistics, q.entropy, model.priors)
        if not _same(current.elbo, actual, n_samples):
            raise SessionCheckError(
                f"does not match its data: entry {position} records an ELBO of "
                f"{_figure(current.elbo)}, the data give {_figure(actual)}"
            )
    _verify_priors(states, position, exact, budget)


def _source_key(params: GMMParams, variational: VariationalParams | None) -> tuple[int, int]:
    """What a recorded log-likelihood is a function of: the parameters and, for a
    variational state, the variational parameters behind them (an EM state may share a
    variational start's mixture)."""
    return id(params), 0 if variational is None else id(variational)


def _current_of(model: VariationalState | None) -> VariationalParams | None:
    return None if model is None else model.current


def _check_half_step(index: int, state: SessionState, n_samples: int) -> None:
    """An E-step's ELBO is its log-likelihood; what else follows depends on the method."""
    ll = state.log_likelihood
    elbo = _or_minus_inf(state.elbo)
    if state.variational is None:
        if state.action == "e-step" and not (
            _same(elbo, ll, n_samples) and _same(state.lower_bound * n_samples, ll, n_samples)
        ):
            raise SessionCheckError(
                f"entry {index} is an E-step whose ELBO or lower bound is not its log-likelihood"
            )
    elif state.action == "e-step" and not _same(elbo, ll, n_samples):
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


def _positive(value: Any, where: str, *, none: bool = False) -> Any:
    number = _number(value, where, none=none)
    if number is not None and not number > 0.0:
        raise SessionCheckError(f"{where} must be a positive number, got {_shown(value)}")
    return number


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
