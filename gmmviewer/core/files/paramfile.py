"""Save and load fitted mixture parameters as JSON, NPZ or CSV files.

Pure numpy; imports no Qt. Every format stores one full D x D covariance matrix per
component, whatever the covariance type, and records the type so that loading rebuilds
exactly the same :class:`~gmmviewer.core.params.GMMParams` (checked with
:meth:`GMMParams.from_full`). Floats are written with ``repr`` (17 significant digits
at most), so a save/load round trip is exact. NaN and infinity are never written.

File formats
------------
The format is taken from the extension (``.json``, ``.npz``, ``.csv``, any case) unless
``format=`` is given. Loading a file with another extension looks at its first bytes.

**JSON** (``.json``), UTF-8, one object::

    {
      "format": "gmmviewer-params",
      "version": 1,
      "covariance_type": "full",
      "n_components": 3,
      "n_features": 2,
      "columns": ["x1", "x2"],
      "weights": [0.3, 0.2, 0.5],
      "means": [
        [1.2, 0.4],
        [-4.4, 1.0],
        [4.1, -0.3]
      ],
      "covariances": [
        [[0.8, -0.4], [-0.4, 1.0]],
        [[1.2, -0.8], [-0.8, 1.0]],
        [[1.2, 0.6], [0.6, 3.0]]
      ],
      "log_likelihood": -2466.6,
      "n_iter": 12,
      "converged": true,
      "n_samples": 600,
      "source": "preset:lecture"
    }

===============  ========================  ==============================================
field            required                  value
===============  ========================  ==============================================
format           yes                       the string ``"gmmviewer-params"``
version          yes                       ``1``
covariance_type  yes                       ``"full"``, ``"diag"``, ``"spherical"`` or
                                           ``"tied"``
weights          yes                       K numbers >= 0 summing to 1
means            yes                       K lists of D numbers
covariances      yes                       K full D x D matrices (lists of rows), always
                                           full whatever the type: diagonal for ``diag``,
                                           multiples of the identity for ``spherical``,
                                           K identical matrices for ``tied``
n_components     no (checked if present)   K
n_features       no (checked if present)   D
columns          no                        D feature names; default ``x1`` ... ``xD``
log_likelihood   no                        number or null
n_iter           no                        integer >= 0 or null
converged        no                        true, false or null
n_samples        no                        integer >= 1 or null: size of the data fitted
source           no                        string or null: the data's file or preset
===============  ========================  ==============================================

Unknown fields are ignored. ``NaN`` and ``Infinity`` are rejected.

Limits: a file of at most :data:`~gmmviewer.core.limits.MAX_PARAM_FILE_BYTES` (256 MiB;
an NPZ may unpack to no more), at most :data:`~gmmviewer.core.limits.MAX_COMPONENTS`
components and :data:`~gmmviewer.core.limits.MAX_FEATURES` features, JSON nested at most
:data:`~gmmviewer.core.limits.MAX_JSON_DEPTH` deep. Only regular files are read. Files
are written atomically (:mod:`gmmviewer.core.files.atomic`): a failed or interrupted save
leaves the previous file as it was.

**NPZ** (``.npz``), a NumPy archive readable with ``np.load(path, allow_pickle=False)``:
``weights`` (K,), ``means`` (K, D) and ``covariances`` (K, D, D) as float64 arrays;
``columns`` (D,) as a unicode array; ``format``, ``version``, ``covariance_type``,
``log_likelihood``, ``n_iter``, ``converged``, ``n_samples`` and ``source`` as 0-d arrays
(same meanings as in JSON). Optional entries whose value is unknown (null) are left out.

**CSV** (``.csv``), UTF-8, comma-separated, for spreadsheets and eyes. Comment lines come
first; the first is mandatory and the others are ``# key=value`` with a JSON value (keys
as in JSON: ``log_likelihood``, ``n_iter``, ``converged``, ``n_samples``, ``source``;
lines for unknown values are left out). Then a header and one row per component::

    # gmmviewer-params v1 covariance_type=full
    # log_likelihood=-2466.6
    # n_iter=12
    # converged=true
    # n_samples=600
    # source="preset:lecture"
    component,weight,mean_x1,mean_x2,cov_x1_x1,cov_x1_x2,cov_x2_x1,cov_x2_x2
    1,0.3,1.2,0.4,0.8,-0.4,-0.4,1.0
    2,0.2,-4.4,1.0,1.2,-0.8,-0.8,1.0
    3,0.5,4.1,-0.3,1.2,0.6,0.6,3.0

``component`` counts from 1; ``mean_<col>`` gives the D mean coordinates; the D x D
covariance matrix follows flattened row-major (``cov_<col_i>_<col_j>`` is row i,
column j), all D*D entries, so symmetry can be checked. Feature names are read from the
``mean_`` headers; the ``cov_`` headers must match them. Fields holding commas or quotes
are quoted the usual CSV way.

Variational fits
----------------
A variational Bayesian fit (scikit-learn's ``BayesianGaussianMixture``) is written as
above, with the *expected* weights, means and covariances (so every reader takes it as a
plain mixture), ``log_likelihood`` null, and these fields after the others (a plain EM
file has none of them and is byte for byte what it always was):

====================  ================================================================
field                 value
====================  ================================================================
method                ``"variational"`` (``"em"`` is accepted; EM files leave it out)
lower_bound           the final evidence lower bound (scikit-learn's ``lower_bound_``)
units                 ``"data"``, or ``"z-scores"`` when the fit ran on normalised data:
                      then ``priors`` and ``variational`` are for
                      ``z = (x - offset) / scale``, while weights, means and covariances
                      stay in data units
offset, scale         D numbers each, only with ``"z-scores"``
priors                object: ``covariance_type`` (of the fit, which may differ from the
                      type of the data-unit covariances: spherical on z-scores is diag
                      in data units), ``weight_concentration_prior_type``
                      (``dirichlet_process`` or ``dirichlet_distribution``),
                      ``weight_concentration_prior``, ``mean_precision_prior``,
                      ``mean_prior`` (D), ``degrees_of_freedom_prior``,
                      ``covariance_prior`` (D x D full/tied, D diag, a number
                      spherical), ``reg_covar``
variational           object: ``weight_concentration`` (2 x K Beta parameters, rows a
                      and b, for a Dirichlet process; K for a Dirichlet distribution),
                      ``mean_precision`` (K), ``means`` (K x D), ``degrees_of_freedom``
                      (K; a number for tied), ``covariances`` (scikit-learn's compact
                      ``covariances_``: K x D x D full, D x D tied, K x D diag, K
                      spherical)
====================  ================================================================

In CSV these are ``# key=value`` comment lines with one-line JSON values, after the
others; in NPZ 0-d or numeric arrays, the two objects as entries ``priors/<field>`` and
``variational/<field>``. ``priors`` and ``variational`` come together or not at all.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gmmviewer.core.errors import ParameterError, ParameterFileError
from gmmviewer.core.files import paramfile_formats as formats
from gmmviewer.core.files import paramfile_variational as variational_fields
from gmmviewer.core.files.atomic import atomic_write
from gmmviewer.core.files.paramfile_variational import VariationalRecord
from gmmviewer.core.files.reading import InputError, read_regular_file
from gmmviewer.core.limits import MAX_COMPONENTS, MAX_FEATURES, MAX_PARAM_FILE_BYTES
from gmmviewer.core.params import GMMParams

FILE_FORMATS: tuple[str, ...] = ("json", "npz", "csv")

_EXTENSIONS = {".json": "json", ".npz": "npz", ".csv": "csv"}

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, eq=False)
class ParamFile:
    """The contents of a parameter file.

    Attributes
    ----------
    params : GMMParams
        The mixture, with the covariance type recorded in the file.
    columns : tuple of str
        One name per feature (``x1`` ... ``xD`` when the file gives none).
    log_likelihood : float or None
        The log-likelihood the fit reached, when known.
    n_iter : int or None
        EM iterations run.
    converged : bool or None
        Whether the fit met its convergence criterion.
    n_samples : int or None
        Number of samples fitted.
    source : str or None
        The data's file or preset name.
    method : {'em', 'variational'} or None
        How the parameters were fitted; None when the file does not say (EM files).
    lower_bound : float or None
        The evidence lower bound a variational fit reached, when known.
    variational : VariationalRecord or None
        The priors and variational parameters of a variational fit; ``params`` are
        their expected weights, means and covariances (in data units).
    """

    params: GMMParams
    columns: tuple[str, ...]
    log_likelihood: float | None = None
    n_iter: int | None = None
    converged: bool | None = None
    n_samples: int | None = None
    source: str | None = None
    method: str | None = None
    lower_bound: float | None = None
    variational: VariationalRecord | None = None


# ======================================================================= saving
def save_params(
    path: PathLike,
    params: GMMParams,
    *,
    columns: Sequence[str] | None = None,
    log_likelihood: float | None = None,
    n_iter: int | None = None,
    converged: bool | None = None,
    n_samples: int | None = None,
    source: str | None = None,
    format: str | None = None,
    method: str | None = None,
    lower_bound: float | None = None,
    variational: VariationalRecord | None = None,
) -> None:
    """Write mixture parameters to ``path``.

    Parameters
    ----------
    path : str or path-like
    params : GMMParams
        Must pass :meth:`GMMParams.validate` (finite, weights summing to one,
        covariances symmetric positive definite).
    columns : sequence of str, optional
        One name per feature; default ``x1`` ... ``xD``.
    log_likelihood, n_iter, converged, n_samples, source : optional
        Fit metadata, stored as given (None means unknown).
    format : {'json', 'npz', 'csv'}, optional
        Default: from the extension of ``path``.
    method : {'em', 'variational'}, optional
        Written only when given (a plain EM file leaves it out).
    lower_bound : float, optional
        The lower bound of a variational fit.
    variational : VariationalRecord, optional
        Priors and variational parameters (needs ``method='variational'``); ``params``
        should be their expected mixture, in data units.

    Raises
    ------
    ParameterFileError
        When the parameters or metadata cannot be stored (invalid values), the format is
        unknown, or the file cannot be written.
    """
    path_text = os.fspath(path)
    kind = _resolve_format(path_text, format, for_writing=True)
    try:
        params.validate()
    except ParameterError as error:
        raise ParameterFileError(f"cannot write {path_text}: {error}") from None
    meta = _checked_metadata(
        path_text,
        params,
        columns=columns,
        log_likelihood=log_likelihood,
        n_iter=n_iter,
        converged=converged,
        n_samples=n_samples,
        source=source,
    )
    meta.update(
        variational_fields.check_for_writing(
            lambda reason: ParameterFileError(f"cannot write {path_text}: {reason}"),
            params.n_components,
            params.n_features,
            method,
            lower_bound,
            variational,
        )
    )
    # Serialise fully in memory first, then replace the file whole (never half a file).
    if kind == "json":
        payload = formats.encode_json(params, meta).encode("utf-8")
    elif kind == "csv":
        payload = formats.encode_csv(params, meta).encode("utf-8")
    else:
        payload = formats.encode_npz(params, meta)
    try:
        with atomic_write(path_text) as handle:
            handle.write(payload)
    except OSError as error:
        raise ParameterFileError(f"cannot write {path_text}: {_os_reason(error)}") from None


def _checked_metadata(
    path_text: str,
    params: GMMParams,
    *,
    columns: Sequence[str] | None,
    log_likelihood: float | None,
    n_iter: int | None,
    converged: bool | None,
    n_samples: int | None,
    source: str | None,
) -> dict[str, Any]:
    """Metadata as plain Python values, or a ParameterFileError saying what is wrong."""

    def fail(reason: str) -> ParameterFileError:
        return ParameterFileError(f"cannot write {path_text}: {reason}")

    d = params.n_features
    if columns is None:
        names = _default_columns(d)
    else:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise fail("columns must be a list of strings")
        names = tuple(columns)
        if len(names) != d:
            raise fail(f"{len(names)} column names for {d} features")
    meta: dict[str, Any] = {"columns": names}
    if log_likelihood is not None:
        if isinstance(log_likelihood, bool) or not isinstance(
            log_likelihood, (int, float, np.integer, np.floating)
        ):
            raise fail("log_likelihood must be a number")
        if not math.isfinite(float(log_likelihood)):
            raise fail("log_likelihood must be finite")
        log_likelihood = float(log_likelihood)
    if n_iter is not None:
        n_iter = _as_int(n_iter)
        if n_iter is None or n_iter < 0:
            raise fail("n_iter must be a non-negative integer")
    if converged is not None:
        if not isinstance(converged, (bool, np.bool_)):
            raise fail("converged must be True or False")
        converged = bool(converged)
    if n_samples is not None:
        n_samples = _as_int(n_samples)
        if n_samples is None or n_samples < 1:
            raise fail("n_samples must be a positive integer")
    if source is not None and not isinstance(source, str):
        raise fail("source must be a string")
    meta.update(
        log_likelihood=log_likelihood,
        n_iter=n_iter,
        converged=converged,
        n_samples=n_samples,
        source=source,
    )
    return meta


def load_params(path: PathLike, *, format: str | None = None) -> ParamFile:
    """Read and validate a parameter file written by :func:`save_params` (or by hand).

    Parameters
    ----------
    path : str or path-like
    format : {'json', 'npz', 'csv'}, optional
        Default: from the extension of ``path``, or from the file's first bytes when the
        extension is not one of these.

    Returns
    -------
    ParamFile

    Raises
    ------
    ParameterFileError
        With a one-line reason naming the file: missing or unreadable file, not a
        gmmviewer parameter file, unsupported version, missing fields, wrong shapes,
        non-finite numbers, weights that are negative or do not sum to one, covariances
        that are not symmetric positive definite or do not fit the covariance type.
    """
    path_text = os.fspath(path)
    kind = _resolve_format(path_text, format, for_writing=False)
    try:
        data = read_regular_file(path_text, max_bytes=MAX_PARAM_FILE_BYTES, what="parameter files")
    except InputError as error:
        raise ParameterFileError(str(error)) from None
    except FileNotFoundError:
        raise ParameterFileError(f"{path_text} does not exist") from None
    except IsADirectoryError:
        raise ParameterFileError(f"{path_text} is a directory, not a parameter file") from None
    except OSError as error:
        raise ParameterFileError(f"cannot read {path_text}: {_os_reason(error)}") from None
    if kind is None:
        kind = _sniff_format(path_text, data)
    if kind == "json":
        fields = formats.read_json(path_text, data)
    elif kind == "csv":
        fields = formats.read_csv(path_text, data)
    else:
        fields = formats.read_npz(path_text, data, max_bytes=MAX_PARAM_FILE_BYTES)
    return _build(path_text, fields)


def _resolve_format(path_text: str, format: str | None, *, for_writing: bool) -> str | None:
    if format is not None:
        kind = str(format).lower().lstrip(".")
        if kind not in FILE_FORMATS:
            raise ParameterFileError(
                f"unknown parameter file format {format!r}: use one of {', '.join(FILE_FORMATS)}"
            )
        return kind
    kind = _EXTENSIONS.get(Path(path_text).suffix.lower())
    if kind is None and for_writing:
        raise ParameterFileError(
            f"cannot tell which format to write {path_text} in: "
            "give it a .json, .npz or .csv extension"
        )
    return kind


def _sniff_format(path_text: str, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return "npz"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "json"
    if head.startswith(b"#"):
        return "csv"
    raise ParameterFileError(
        f"{path_text} is not a gmmviewer parameter file (expected JSON, NPZ or CSV)"
    )


def _build(path_text: str, fields: dict[str, Any]) -> ParamFile:
    """Check shapes, types and values common to every format and assemble a ParamFile."""

    def fail(reason: str) -> ParameterFileError:
        return ParameterFileError(f"{path_text}: {reason}")

    weights, means, covariances = fields["weights"], fields["means"], fields["covariances"]
    covariance_type = fields["covariance_type"]
    if not isinstance(covariance_type, str):
        raise fail("covariance_type must be a string")
    if weights.ndim != 1:
        raise fail("weights must be a list of numbers")
    k = weights.size
    if k == 0:
        raise fail("weights is empty: a mixture needs at least one component")
    if means.ndim != 2:
        raise fail("means must be a list of rows, one per component")
    if means.shape[0] != k:
        raise fail(f"means has {means.shape[0]} rows but there are {k} weights")
    d = means.shape[1]
    if d == 0:
        raise fail("means rows are empty: there must be at least one feature")
    # Before any per-component work (validating 100,000 components takes minutes).
    if k > MAX_COMPONENTS:
        raise fail(f"{k:,} components; at most {MAX_COMPONENTS:,} are supported")
    if d > MAX_FEATURES:
        raise fail(f"{d:,} features; at most {MAX_FEATURES:,} columns are fitted")
    if covariances.ndim != 3:
        raise fail("covariances must be a list of matrices, one per component")
    if covariances.shape[0] != k:
        raise fail(f"covariances has {covariances.shape[0]} matrices but there are {k} weights")
    if covariances.shape[1:] != (d, d):
        rows, cols = covariances.shape[1:]
        raise fail(f"covariances must be {d} x {d} matrices for {d} features, got {rows} x {cols}")
    for name, declared, actual in (
        ("n_components", fields.get("n_components"), k),
        ("n_features", fields.get("n_features"), d),
    ):
        if declared is not None and (_as_int(declared) != actual):
            raise fail(f"{name} is {declared!r} but the arrays have {actual}")
    for name, array in (("weights", weights), ("means", means), ("covariances", covariances)):
        if not np.all(np.isfinite(array)):
            raise fail(f"{name} contain NaN or infinity")

    columns = fields.get("columns")
    if columns is None:
        columns = _default_columns(d)
    elif not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise fail("columns must be a list of strings")
    elif len(columns) != d:
        raise fail(f"columns has {len(columns)} names but the means have {d} features")

    try:
        params = GMMParams.from_full(weights, means, covariances, covariance_type).validate()
    except ParameterError as error:
        raise fail(str(error)) from None

    log_likelihood = fields.get("log_likelihood")
    if log_likelihood is not None:
        if isinstance(log_likelihood, bool) or not isinstance(log_likelihood, (int, float)):
            raise fail("log_likelihood must be a number")
        if not math.isfinite(log_likelihood):
            raise fail("log_likelihood must be finite")
        log_likelihood = float(log_likelihood)
    n_iter = fields.get("n_iter")
    if n_iter is not None and (_as_int(n_iter) is None or n_iter < 0):
        raise fail("n_iter must be a non-negative integer")
    converged = fields.get("converged")
    if converged is not None and not isinstance(converged, bool):
        raise fail("converged must be true or false")
    n_samples = fields.get("n_samples")
    if n_samples is not None and (_as_int(n_samples) is None or n_samples < 1):
        raise fail("n_samples must be a positive integer")
    source = fields.get("source")
    if source is not None and not isinstance(source, str):
        raise fail("source must be a string")
    method, lower_bound, variational = variational_fields.build(fail, fields, k, d)
    return ParamFile(
        params=params,
        columns=tuple(columns),
        log_likelihood=log_likelihood,
        n_iter=None if n_iter is None else int(n_iter),
        converged=converged,
        n_samples=None if n_samples is None else int(n_samples),
        source=source,
        method=method,
        lower_bound=lower_bound,
        variational=variational,
    )


# ====================================================================== helpers
def _default_columns(n_features: int) -> tuple[str, ...]:
    # Same default as Dataset, so a file saved without names matches unnamed data.
    return tuple(f"x{i + 1}" for i in range(n_features))


def _as_int(value: Any) -> int | None:
    """``value`` as an int when it is an integer (not a bool or a float), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    return None


def _os_reason(error: OSError) -> str:
    return error.strerror or str(error)
