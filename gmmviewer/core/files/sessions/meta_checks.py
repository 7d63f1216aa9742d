"""Checks of a session file's metadata (its JSON document), before any of it is used.
Pure Python; no Qt.

:func:`check_meta` checks the document field by field: the settings, the parameter
table's types, every state (types, ranges, choices, the links between a state and the
parameter table), the current position, how the data are stored and the view settings.
The tables and links of variational states are checked by the checks passed in
(:class:`~gmmviewer.core.files.sessions.variational_hooks.VariationalChecks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.em.initialization import INIT_METHODS
from gmmviewer.core.em.passes import PASS_DTYPE_NAMES
from gmmviewer.core.files.sessions.fields import (
    SessionCheckError,
    _boolean,
    _field,
    _integer,
    _list,
    _number,
    _object,
    _shown,
    _text,
)
from gmmviewer.core.files.sessions.variational_hooks import VariationalChecks, _required
from gmmviewer.core.limits import MAX_COMPONENTS, MAX_FEATURES, MAX_SEED
from gmmviewer.core.session.history import ACTIONS

_SHA256 = re.compile(r"[0-9a-f]{64}")
_EDITS = ("move mean", "add component", "remove component", "set parameters")


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
