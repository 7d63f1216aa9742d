"""The tables of a session file's variational states: written once each, checked when read.
Pure numpy; no Qt.

Only files with variational states have them: the priors (``priors`` in the metadata:
the choice the person made and the resolved scalars; arrays ``prior<i>_mean_prior`` and
``prior<i>_covariance_prior``) and the variational parameters (``variational_params`` in
the metadata: covariance and weight prior types; arrays ``v<i>_weight_concentration``,
``_mean_precision``, ``_means``, ``_degrees_of_freedom`` and ``_covariances``, in
scikit-learn's layout). :class:`VariationalTableWriter` writes them; the metadata's
entries are checked by ``_check_tables`` (through
:func:`~gmmviewer.core.files.sessions.variational_checks.check_meta`) and the arrays by
:func:`check_variational_tables`. Each problem is a
:class:`~gmmviewer.core.files.sessions.fields.SessionCheckError` naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.files.sessions.fields import (
    SessionCheckError,
    _field,
    _float_array,
    _integer,
    _list,
    _number,
    _object,
    _shown,
    _text,
)
from gmmviewer.core.files.sessions.meta_checks import CheckedMeta
from gmmviewer.core.limits import MAX_COMPONENTS
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.variational_state import PRIOR_TYPES, PriorChoice, VariationalState
from gmmviewer.core.vb.priors import VariationalPriors
from gmmviewer.core.vb.variational import VariationalParams


# ======================================================================= saving
class VariationalTableWriter:
    """The priors and variational parameters of the variational states, each stored once.

    Variational parameters are shared by identity, as the parameter table is; priors by
    value, since every start and edit resolves its own (equal) priors.
    """

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        params_index: Callable[[GMMParams | None], int | None],
    ) -> None:
        self._arrays = arrays
        self._params_index = params_index
        self._priors: list[dict[str, Any]] = []
        self._priors_index: dict[tuple[Any, ...], int] = {}
        self._variational: list[dict[str, str]] = []
        self._variational_index: dict[int, int] = {}

    def links(self, model: VariationalState) -> dict[str, int | None]:
        """A state's ``variational`` entry: indices into the tables."""
        return {
            "priors": self._prior_index(model.choice, model.priors),
            "current": self._params_of(model.current),
            "responsibilities": (
                None if model.responsibilities is None else self._params_of(model.responsibilities)
            ),
            "origin": self._params_index(model.origin),
        }

    def meta(self) -> dict[str, Any]:
        """The tables' metadata: nothing when no state is variational."""
        if not self._priors:
            return {}
        return {"priors": self._priors, "variational_params": self._variational}

    def _prior_index(self, choice: PriorChoice, priors: VariationalPriors) -> int:
        mean_prior = np.asarray(priors.mean_prior)
        covariance_prior = np.asarray(priors.covariance_prior)
        entry = {
            "choice": {
                "prior_type": choice.prior_type,
                "weight_concentration": _float_or_none(choice.weight_concentration),
                "mean_precision": _float_or_none(choice.mean_precision),
                "degrees_of_freedom": _float_or_none(choice.degrees_of_freedom),
            },
            "n_components": priors.n_components,
            "covariance_type": priors.covariance_type,
            "weight_concentration_prior_type": priors.weight_concentration_prior_type,
            "weight_concentration_prior": float(priors.weight_concentration_prior),
            "mean_precision_prior": float(priors.mean_precision_prior),
            "degrees_of_freedom_prior": float(priors.degrees_of_freedom_prior),
            "reg_covar": float(priors.reg_covar),
        }
        key = (
            json.dumps(entry, sort_keys=True),
            mean_prior.tobytes(),
            covariance_prior.shape,
            covariance_prior.tobytes(),
        )
        if key not in self._priors_index:
            index = len(self._priors)
            self._priors_index[key] = index
            self._arrays[f"prior{index}_mean_prior"] = mean_prior
            self._arrays[f"prior{index}_covariance_prior"] = covariance_prior
            self._priors.append(entry)
        return self._priors_index[key]

    def _params_of(self, params: VariationalParams) -> int:
        key = id(params)
        if key not in self._variational_index:
            index = len(self._variational)
            self._variational_index[key] = index
            concentration = params.weight_concentration
            if isinstance(concentration, tuple):  # a Dirichlet process: rows a_k and b_k
                concentration = np.vstack(concentration)
            self._arrays[f"v{index}_weight_concentration"] = np.asarray(concentration)
            self._arrays[f"v{index}_mean_precision"] = np.asarray(params.mean_precision)
            self._arrays[f"v{index}_means"] = np.asarray(params.means)
            self._arrays[f"v{index}_degrees_of_freedom"] = np.asarray(params.degrees_of_freedom)
            self._arrays[f"v{index}_covariances"] = np.asarray(params.covariances)
            prior_type = (
                "dirichlet_process" if params.is_dirichlet_process else "dirichlet_distribution"
            )
            self._variational.append(
                {"covariance_type": params.covariance_type, "prior_type": prior_type}
            )
        return self._variational_index[key]


def _float_or_none(value: float | None) -> float | None:
    return None if value is None else float(value)


# ==================================================================== metadata
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
