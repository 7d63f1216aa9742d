"""What a variational Bayesian fit adds to a parameter file: method, lower bound, priors and
variational parameters.

Pure numpy; imports no Qt. :mod:`gmmviewer.core.files.paramfile` documents the fields and
calls this module to encode them (only for variational fits: a plain EM file stays exactly
as it was) and to check what it reads. The priors and variational parameters are kept in
scikit-learn's layout (``BayesianGaussianMixture``'s ``weight_concentration_``,
``mean_precision_``, ``means_``, ``degrees_of_freedom_``, ``covariances_``), so that a
file rebuilds exactly the :class:`~gmmviewer.core.vb.variational.VariationalParams` and
:class:`~gmmviewer.core.vb.priors.VariationalPriors` of the fit. The engine (and the
scipy.special it needs) is imported only when a variational file is read: every start of
the window imports this module, and its first paint does not wait for scipy.special.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.errors import ParameterError, ParameterFileError
from gmmviewer.core.params import frozen_copy

if TYPE_CHECKING:
    from gmmviewer.core.vb.priors import VariationalPriors
    from gmmviewer.core.vb.variational import VariationalParams

METHODS: tuple[str, ...] = ("em", "variational")
UNITS: tuple[str, ...] = ("data", "z-scores")
#: Keys a variational fit adds at the top level of a file, in the order they are written.
VARIATIONAL_KEYS: tuple[str, ...] = (
    "method",
    "lower_bound",
    "units",
    "offset",
    "scale",
    "priors",
    "variational",
)
PRIOR_FIELDS: tuple[str, ...] = (
    "covariance_type",
    "weight_concentration_prior_type",
    "weight_concentration_prior",
    "mean_precision_prior",
    "mean_prior",
    "degrees_of_freedom_prior",
    "covariance_prior",
    "reg_covar",
)
POSTERIOR_FIELDS: tuple[str, ...] = (
    "weight_concentration",
    "mean_precision",
    "means",
    "degrees_of_freedom",
    "covariances",
)


@dataclass(frozen=True, eq=False)
class VariationalRecord:
    """The priors and variational parameters of a variational fit, and their units.

    Attributes
    ----------
    priors : VariationalPriors
    params : VariationalParams
    units : {'data', 'z-scores'}
        'z-scores' when the fit ran on normalised data: then ``priors`` and ``params``
        describe ``z = (x - offset) / scale``, while the file's weights, means and
        covariances are always in the data's own units.
    offset, scale : ndarray of shape (n_features,), or None
        The normalisation, given exactly when ``units`` is 'z-scores'.
    """

    priors: VariationalPriors
    params: VariationalParams
    units: str = "data"
    offset: np.ndarray | None = None
    scale: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.units not in UNITS:
            raise ParameterError(f"units must be one of {', '.join(UNITS)}, got {self.units!r}")
        normalised = self.units == "z-scores"
        if (self.offset is None or self.scale is None) == normalised:
            raise ParameterError('offset and scale are given exactly when units is "z-scores"')
        if normalised:
            object.__setattr__(self, "offset", frozen_copy(self.offset))
            object.__setattr__(self, "scale", frozen_copy(self.scale))


# ====================================================================== writing
def check_for_writing(
    fail: Callable[[str], ParameterFileError],
    n_components: int,
    n_features: int,
    method: str | None,
    lower_bound: float | None,
    record: VariationalRecord | None,
) -> dict[str, Any]:
    """The variational metadata as plain values (empty for an EM file), or ``fail(reason)``."""
    if method is not None and method not in METHODS:
        raise fail(f"method must be one of {', '.join(METHODS)}")
    if record is not None and method != "variational":
        raise fail('variational parameters need method="variational"')
    if lower_bound is not None:
        if isinstance(lower_bound, bool) or not isinstance(
            lower_bound, (int, float, np.integer, np.floating)
        ):
            raise fail("lower_bound must be a number")
        if not math.isfinite(float(lower_bound)):
            raise fail("lower_bound must be finite")
        lower_bound = float(lower_bound)
    if record is not None:
        shape = (record.params.n_components, record.params.n_features)
        if shape != (n_components, n_features) or record.priors.n_features != n_features:
            raise fail(
                f"the variational parameters have {shape[0]} components and {shape[1]} "
                f"features, the mixture {n_components} and {n_features}"
            )
    meta: dict[str, Any] = {}
    if method is not None:
        meta["method"] = method
    if lower_bound is not None:
        meta["lower_bound"] = lower_bound
    if record is not None:
        meta["units"] = record.units
        if record.units == "z-scores":
            meta["offset"] = record.offset
            meta["scale"] = record.scale
        meta["priors"] = prior_values(record.priors)
        meta["variational"] = posterior_values(record.params)
    return meta


def prior_values(priors: VariationalPriors) -> dict[str, Any]:
    """The priors as strings, floats and arrays, keyed as in the file."""
    return {
        "covariance_type": priors.covariance_type,
        "weight_concentration_prior_type": priors.weight_concentration_prior_type,
        "weight_concentration_prior": float(priors.weight_concentration_prior),
        "mean_precision_prior": float(priors.mean_precision_prior),
        "mean_prior": np.asarray(priors.mean_prior),
        "degrees_of_freedom_prior": float(priors.degrees_of_freedom_prior),
        "covariance_prior": np.asarray(priors.covariance_prior),
        "reg_covar": float(priors.reg_covar),
    }


def posterior_values(params: VariationalParams) -> dict[str, Any]:
    """The variational parameters as arrays, keyed as in the file.

    A Dirichlet process's Beta parameters are one (2, n_components) array: row 0 holds
    the ``a_k``, row 1 the ``b_k``.
    """
    concentration = params.weight_concentration
    if isinstance(concentration, tuple):
        concentration = np.vstack(concentration)
    return {
        "weight_concentration": np.asarray(concentration),
        "mean_precision": np.asarray(params.mean_precision),
        "means": np.asarray(params.means),
        "degrees_of_freedom": np.asarray(params.degrees_of_freedom),
        "covariances": np.asarray(params.covariances),
    }


def as_plain(value: Any) -> Any:
    """``value`` with every array turned into (nested) lists of floats, for JSON."""
    if isinstance(value, dict):
        return {key: as_plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def npz_arrays(meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """The NPZ entries of the variational metadata: sections become ``priors/<field>`` and
    ``variational/<field>`` entries."""
    arrays: dict[str, np.ndarray] = {}
    for key in VARIATIONAL_KEYS:
        if key not in meta:
            continue
        value = meta[key]
        if isinstance(value, dict):
            for field, item in value.items():
                arrays[f"{key}/{field}"] = _npz_array(item)
        else:
            arrays[key] = _npz_array(value)
    return arrays


def _npz_array(value: Any) -> np.ndarray:
    if isinstance(value, str):
        return np.array(value)
    return np.array(value, dtype=np.float64)


# ====================================================================== reading
def npz_fields(entries: dict[str, np.ndarray]) -> dict[str, Any]:
    """The variational fields of an NPZ archive's entries, sections gathered into dicts."""
    fields: dict[str, Any] = {}
    for key in VARIATIONAL_KEYS:
        if key in entries:
            fields[key] = entries[key]
        section = {
            name[len(key) + 1 :]: array
            for name, array in entries.items()
            if name.startswith(f"{key}/")
        }
        if section:
            fields[key] = section
    return fields


def build(
    fail: Callable[[str], ParameterFileError],
    fields: dict[str, Any],
    n_components: int,
    n_features: int,
) -> tuple[str | None, float | None, VariationalRecord | None]:
    """Check the variational fields read from a file: ``(method, lower_bound, record)``.

    ``fields`` holds what JSON, CSV or NPZ gave (lists or arrays); missing keys are None.
    """
    method = _string(fail, fields.get("method"), "method")
    if method is not None and method not in METHODS:
        raise fail(f"method must be {' or '.join(repr(m) for m in METHODS)}, got {method!r}")
    lower_bound = fields.get("lower_bound")
    if lower_bound is not None:
        lower_bound = _scalar(fail, lower_bound, "lower_bound")
        if not math.isfinite(lower_bound):
            raise fail("lower_bound must be finite")
    priors_fields, posterior_fields = fields.get("priors"), fields.get("variational")
    if priors_fields is None and posterior_fields is None:
        return method, lower_bound, None
    if method != "variational":
        raise fail('priors and variational parameters need "method": "variational"')
    if priors_fields is None or posterior_fields is None:
        missing = "priors" if priors_fields is None else "variational"
        raise fail(
            f'a variational fit needs both "priors" and "variational"; "{missing}" is missing'
        )
    priors = _priors(fail, priors_fields, n_components, n_features)
    params = _posterior(fail, posterior_fields, priors, n_components, n_features)
    units = _string(fail, fields.get("units"), "units") or "data"
    if units not in UNITS:
        raise fail(f"units must be {' or '.join(repr(u) for u in UNITS)}, got {units!r}")
    offset, scale = fields.get("offset"), fields.get("scale")
    if units == "data":
        if offset is not None or scale is not None:
            raise fail('offset and scale belong to "units": "z-scores"')
        return method, lower_bound, VariationalRecord(priors, params)
    if offset is None or scale is None:
        raise fail('"units": "z-scores" needs "offset" and "scale"')
    offset = _array(fail, offset, "offset", (n_features,))
    scale = _array(fail, scale, "scale", (n_features,))
    if not np.all(scale > 0.0):
        raise fail("scale must be positive")
    return method, lower_bound, VariationalRecord(priors, params, units, offset, scale)


def _priors(
    fail: Callable[[str], ParameterFileError],
    fields: Any,
    n_components: int,
    n_features: int,
) -> VariationalPriors:
    from gmmviewer.core.vb.priors import WEIGHT_CONCENTRATION_PRIOR_TYPES, VariationalPriors

    if not isinstance(fields, dict):
        raise fail("priors must be an object")
    missing = [name for name in PRIOR_FIELDS if fields.get(name) is None]
    if missing:
        raise fail(f"priors is missing {', '.join(missing)}")
    covariance_type = _string(fail, fields["covariance_type"], "priors.covariance_type")
    if covariance_type not in COVARIANCE_TYPES:
        raise fail(f"priors.covariance_type must be one of {', '.join(COVARIANCE_TYPES)}")
    prior_type = _string(
        fail, fields["weight_concentration_prior_type"], "priors.weight_concentration_prior_type"
    )
    if prior_type not in WEIGHT_CONCENTRATION_PRIOR_TYPES:
        raise fail(
            "priors.weight_concentration_prior_type must be one of "
            f"{', '.join(WEIGHT_CONCENTRATION_PRIOR_TYPES)}"
        )
    positive = {}
    for name in ("weight_concentration_prior", "mean_precision_prior"):
        positive[name] = _scalar(fail, fields[name], f"priors.{name}")
        if not positive[name] > 0.0:
            raise fail(f"priors.{name} must be positive")
    degrees_of_freedom = _scalar(
        fail, fields["degrees_of_freedom_prior"], "priors.degrees_of_freedom_prior"
    )
    if not degrees_of_freedom > n_features - 1:
        raise fail(f"priors.degrees_of_freedom_prior must be greater than {n_features - 1}")
    reg_covar = _scalar(fail, fields["reg_covar"], "priors.reg_covar")
    if not reg_covar >= 0.0:
        raise fail("priors.reg_covar must be zero or more")
    mean_prior = _array(fail, fields["mean_prior"], "priors.mean_prior", (n_features,))
    covariance_shape = {
        "full": (n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_features,),
        "spherical": (),
    }[covariance_type]
    covariance_prior = _array(
        fail, fields["covariance_prior"], "priors.covariance_prior", covariance_shape
    )
    if covariance_prior.ndim == 2:
        symmetric = np.allclose(covariance_prior, covariance_prior.T, rtol=1e-5, atol=1e-8)
        if not (symmetric and np.all(np.linalg.eigvalsh(covariance_prior) > 0.0)):
            raise fail("priors.covariance_prior must be symmetric positive definite")
    elif not np.all(covariance_prior > 0.0):
        raise fail("priors.covariance_prior must be positive")
    return VariationalPriors(
        n_components=n_components,
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type,
        weight_concentration_prior=positive["weight_concentration_prior"],
        mean_precision_prior=positive["mean_precision_prior"],
        mean_prior=mean_prior,
        degrees_of_freedom_prior=degrees_of_freedom,
        covariance_prior=covariance_prior,
        reg_covar=reg_covar,
    )


def _posterior(
    fail: Callable[[str], ParameterFileError],
    fields: Any,
    priors: VariationalPriors,
    n_components: int,
    n_features: int,
) -> VariationalParams:
    from gmmviewer.core.vb.variational import VariationalParams

    if not isinstance(fields, dict):
        raise fail("variational must be an object")
    missing = [name for name in POSTERIOR_FIELDS if fields.get(name) is None]
    if missing:
        raise fail(f"variational is missing {', '.join(missing)}")
    k, d = n_components, n_features
    tied = priors.covariance_type == "tied"
    shapes = {
        "weight_concentration": (2, k) if priors.is_dirichlet_process else (k,),
        "mean_precision": (k,),
        "means": (k, d),
        "degrees_of_freedom": () if tied else (k,),
        "covariances": {
            "full": (k, d, d),
            "tied": (d, d),
            "diag": (k, d),
            "spherical": (k,),
        }[priors.covariance_type],
    }
    arrays = {
        name: _array(fail, fields[name], f"variational.{name}", shape)
        for name, shape in shapes.items()
    }
    concentration = arrays["weight_concentration"]
    try:
        return VariationalParams(
            covariance_type=priors.covariance_type,
            weight_concentration=(
                (concentration[0], concentration[1])
                if priors.is_dirichlet_process
                else concentration
            ),
            mean_precision=arrays["mean_precision"],
            means=arrays["means"],
            degrees_of_freedom=arrays["degrees_of_freedom"],
            covariances=arrays["covariances"],
        )
    except ParameterError as error:
        raise fail(f"variational: {error}") from None


def _string(fail: Callable[[str], ParameterFileError], value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.shape != () or value.dtype.kind != "U":
            raise fail(f"{name} must be a string")
        value = str(value.item())
    if not isinstance(value, str):
        raise fail(f"{name} must be a string")
    return value


def _scalar(fail: Callable[[str], ParameterFileError], value: Any, name: str) -> float:
    array = _array(fail, value, name, ())
    return float(array)


def _array(
    fail: Callable[[str], ParameterFileError], value: Any, name: str, shape: tuple[int, ...]
) -> np.ndarray:
    """``value`` (nested lists of JSON numbers, or an NPZ array) as a finite float array of
    ``shape``."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            raise fail(f"{name} must hold numbers")
        array = value.astype(float)
    else:
        if not _numbers_only(value, len(shape)):
            raise fail(f"{name} must be {_shape_phrase(shape)}")
        try:
            array = np.array(value, dtype=float)
        except ValueError:
            raise fail(f"{name} must be {_shape_phrase(shape)}") from None
    if array.shape != shape:
        raise fail(f"{name} must have shape {shape}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise fail(f"{name} contains NaN or infinity")
    return array


def _numbers_only(value: Any, depth: int) -> bool:
    # Checked by hand: np.array would quietly turn "1.5" into a number.
    if depth == 0:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, list) and all(_numbers_only(item, depth - 1) for item in value)


def _shape_phrase(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a number"
    return f"nested lists of numbers of shape {shape}"
