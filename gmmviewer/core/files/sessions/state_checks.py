"""Checks of a session file's arrays and of the states built from them. Pure numpy; no Qt.

:func:`check_table` and :func:`check_truth` check the parameter sets,
:func:`check_embedded_data` the data stored in the file, and :func:`build_states` what
links the states, the parameters and the data as it builds the history's
:class:`~gmmviewer.core.session.history.SessionState` objects. A variational state's model
is built by the linker passed in
(:data:`~gmmviewer.core.files.sessions.variational_hooks.StateLinker`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.files.sessions.fields import SessionCheckError, _float_array, _or_minus_inf
from gmmviewer.core.files.sessions.variational_hooks import StateLinker, _required
from gmmviewer.core.limits import MAX_COMPONENTS, MAX_FEATURES
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState


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
