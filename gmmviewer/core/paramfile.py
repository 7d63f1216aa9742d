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
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gmmviewer.core.errors import ParameterError, ParameterFileError
from gmmviewer.core.params import GMMParams

FORMAT_NAME = "gmmviewer-params"
FORMAT_VERSION = 1
FILE_FORMATS: tuple[str, ...] = ("json", "npz", "csv")

_EXTENSIONS = {".json": "json", ".npz": "npz", ".csv": "csv"}
_CSV_FIRST_LINE = re.compile(r"#\s*gmmviewer-params\s+v(\d+)\s+covariance_type=(\S+)\s*$")
_CSV_META_LINE = re.compile(r"#\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")

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
    """

    params: GMMParams
    columns: tuple[str, ...]
    log_likelihood: float | None = None
    n_iter: int | None = None
    converged: bool | None = None
    n_samples: int | None = None
    source: str | None = None


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
    # Serialise fully in memory first, so that a failure never leaves half a file behind.
    if kind == "json":
        payload = _json_text(params, meta).encode("utf-8")
    elif kind == "csv":
        payload = _csv_text(params, meta).encode("utf-8")
    else:
        payload = _npz_bytes(params, meta)
    try:
        with open(path_text, "wb") as handle:
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


_OPTIONAL_KEYS = ("log_likelihood", "n_iter", "converged", "n_samples", "source")


def _json_text(params: GMMParams, meta: dict[str, Any]) -> str:
    def dump(value: Any) -> str:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)

    # One matrix row (or one covariance matrix) per line: indent=2 would put every
    # number on its own line and make the file unreadable.
    means = ",\n".join(f"    {dump(row)}" for row in params.means.tolist())
    covariances = ",\n".join(f"    {dump(m)}" for m in params.full_covariances().tolist())
    lines = [
        f'  "format": {dump(FORMAT_NAME)}',
        f'  "version": {FORMAT_VERSION}',
        f'  "covariance_type": {dump(params.covariance_type)}',
        f'  "n_components": {params.n_components}',
        f'  "n_features": {params.n_features}',
        f'  "columns": {dump(list(meta["columns"]))}',
        f'  "weights": {dump(params.weights.tolist())}',
        f'  "means": [\n{means}\n  ]',
        f'  "covariances": [\n{covariances}\n  ]',
    ]
    lines.extend(f"  {dump(key)}: {dump(meta[key])}" for key in _OPTIONAL_KEYS)
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _csv_text(params: GMMParams, meta: dict[str, Any]) -> str:
    buffer = io.StringIO()
    buffer.write(f"# {FORMAT_NAME} v{FORMAT_VERSION} covariance_type={params.covariance_type}\n")
    for key in _OPTIONAL_KEYS:
        if meta[key] is not None:
            # JSON escapes line breaks, so a source path cannot end the comment early.
            buffer.write(f"# {key}={json.dumps(meta[key], ensure_ascii=False)}\n")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_csv_header(meta["columns"]))
    full = params.full_covariances()
    for k in range(params.n_components):
        values = [params.weights[k], *params.means[k], *full[k].ravel()]
        writer.writerow([str(k + 1), *(repr(float(v)) for v in values)])
    return buffer.getvalue()


def _csv_header(columns: Sequence[str]) -> list[str]:
    return [
        "component",
        "weight",
        *(f"mean_{c}" for c in columns),
        *(f"cov_{a}_{b}" for a in columns for b in columns),
    ]


def _npz_bytes(params: GMMParams, meta: dict[str, Any]) -> bytes:
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT_NAME),
        "version": np.array(FORMAT_VERSION, dtype=np.int64),
        "covariance_type": np.array(params.covariance_type),
        "columns": np.array(meta["columns"], dtype=np.str_),
        "weights": np.array(params.weights, dtype=np.float64),
        "means": np.array(params.means, dtype=np.float64),
        "covariances": params.full_covariances().astype(np.float64),
    }
    dtypes = {
        "log_likelihood": np.float64,
        "n_iter": np.int64,
        "converged": np.bool_,
        "n_samples": np.int64,
        "source": np.str_,
    }
    for key in _OPTIONAL_KEYS:
        if meta[key] is not None:
            arrays[key] = np.array(meta[key], dtype=dtypes[key])
    buffer = io.BytesIO()
    # Writing to a buffer (not the path) also stops numpy appending '.npz' to the name.
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# ====================================================================== loading
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
        with open(path_text, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ParameterFileError(f"{path_text} does not exist") from None
    except IsADirectoryError:
        raise ParameterFileError(f"{path_text} is a directory, not a parameter file") from None
    except OSError as error:
        raise ParameterFileError(f"cannot read {path_text}: {_os_reason(error)}") from None
    if kind is None:
        kind = _sniff_format(path_text, data)
    if kind == "json":
        fields = _read_json(path_text, data)
    elif kind == "csv":
        fields = _read_csv(path_text, data)
    else:
        fields = _read_npz(path_text, data)
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


def _decode(path_text: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParameterFileError(f"{path_text} is not UTF-8 text") from None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


def _read_json(path_text: str, data: bytes) -> dict[str, Any]:
    text = _decode(path_text, data)
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ParameterFileError(
            f"{path_text} is not valid JSON (line {error.lineno}: {error.msg})"
        ) from None
    except ValueError as error:
        raise ParameterFileError(f"{path_text}: {error} (numbers must be finite)") from None
    if not isinstance(document, dict):
        raise ParameterFileError(
            f"{path_text} is not a gmmviewer parameter file (expected a JSON object)"
        )
    _check_identity(path_text, document.get("format"), document.get("version"))
    missing = [
        key for key in ("covariance_type", "weights", "means", "covariances") if key not in document
    ]
    if missing:
        raise ParameterFileError(f"{path_text} is missing {_field_list(missing)}")
    fields: dict[str, Any] = {
        "covariance_type": document["covariance_type"],
        "weights": _json_numbers(path_text, document["weights"], "weights", 1),
        "means": _json_numbers(path_text, document["means"], "means", 2),
        "covariances": _json_numbers(path_text, document["covariances"], "covariances", 3),
    }
    for key in ("n_components", "n_features", "columns", *_OPTIONAL_KEYS):
        fields[key] = document.get(key)
    return fields


def _json_numbers(path_text: str, value: Any, name: str, ndim: int) -> np.ndarray:
    shape_hint = {
        1: "a list of numbers",
        2: "a list of rows of numbers",
        3: "a list of square matrices",
    }[ndim]

    def numbers_only(item: Any, depth: int) -> bool:
        if depth == 0:
            return isinstance(item, (int, float)) and not isinstance(item, bool)
        return isinstance(item, list) and all(numbers_only(x, depth - 1) for x in item)

    # Check the nesting ourselves: np.array would quietly turn "1.5" into a number.
    if not numbers_only(value, ndim):
        raise ParameterFileError(f"{path_text}: {name} must be {shape_hint}")
    try:
        return np.array(value, dtype=float)
    except ValueError:
        raise ParameterFileError(
            f"{path_text}: {name} must be {shape_hint}, all of the same length"
        ) from None


def _read_csv(path_text: str, data: bytes) -> dict[str, Any]:
    text = _decode(path_text, data)
    # Split comment lines off by hand at '\n' only: a quoted column name may hold other
    # line-break characters that str.splitlines would cut at.
    comments: list[str] = []
    position = 0
    while text.startswith("#", position):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        comments.append(text[position:end].rstrip("\r"))
        position = end + 1
    if not comments or not (first := _CSV_FIRST_LINE.match(comments[0])):
        raise ParameterFileError(
            f"{path_text} is not a gmmviewer parameter file "
            f"(its first line should be '# {FORMAT_NAME} v{FORMAT_VERSION} covariance_type=...')"
        )
    _check_identity(path_text, FORMAT_NAME, int(first.group(1)))
    fields: dict[str, Any] = {"covariance_type": first.group(2)}
    for line in comments[1:]:
        match = _CSV_META_LINE.match(line)
        if match is None:
            continue  # a free-text comment added by hand
        key, raw = match.group(1), match.group(2).strip()
        if key not in _OPTIONAL_KEYS:
            continue
        try:
            fields[key] = json.loads(raw, parse_constant=_reject_constant)
        except ValueError:
            raise ParameterFileError(
                f"{path_text}: cannot read the value of {key} in '{line}'"
            ) from None

    try:
        rows = [row for row in csv.reader(io.StringIO(text[position:])) if row]
    except csv.Error as error:
        raise ParameterFileError(f"{path_text} is not valid CSV ({error})") from None
    if not rows:
        raise ParameterFileError(f"{path_text} has no header line after the comments")
    header, body = rows[0], rows[1:]
    d = _features_from_header_length(len(header))
    if d is None or header[:2] != ["component", "weight"]:
        raise ParameterFileError(
            f"{path_text}: the header should be component,weight,mean_<column>...,"
            "cov_<column>_<column>... (with all D x D covariance entries)"
        )
    mean_headers = header[2 : 2 + d]
    for index, name in enumerate(mean_headers):
        if not name.startswith("mean_"):
            raise ParameterFileError(
                f"{path_text}: header column {index + 3} should be mean_<column>, found {name!r}"
            )
    columns = [name[len("mean_") :] for name in mean_headers]
    for index, (found, expected) in enumerate(
        zip(header[2 + d :], _csv_header(columns)[2 + d :], strict=True)
    ):
        if found != expected:
            raise ParameterFileError(
                f"{path_text}: header column {index + 3 + d} should be {expected!r} "
                f"(row-major covariance), found {found!r}"
            )
    if not body:
        raise ParameterFileError(f"{path_text} has no component rows")
    values = np.empty((len(body), len(header) - 1))
    for row_index, row in enumerate(body):
        line_label = f"data row {row_index + 1}"
        if len(row) != len(header):
            raise ParameterFileError(
                f"{path_text}: {line_label} has {len(row)} fields, the header has {len(header)}"
            )
        if row[0].strip() != str(row_index + 1):
            raise ParameterFileError(
                f"{path_text}: {line_label} should be component {row_index + 1}, found {row[0]!r}"
            )
        for column_index, cell in enumerate(row[1:]):
            try:
                values[row_index, column_index] = float(cell)
            except ValueError:
                raise ParameterFileError(
                    f"{path_text}: {line_label}, {header[column_index + 1]}: "
                    f"{cell!r} is not a number"
                ) from None
    k = len(body)
    fields.update(
        columns=columns,
        weights=values[:, 0],
        means=values[:, 1 : 1 + d],
        covariances=values[:, 1 + d :].reshape(k, d, d),
    )
    return fields


def _features_from_header_length(length: int) -> int | None:
    """D such that ``2 + D + D * D == length``, or None."""
    d = (math.isqrt(4 * length - 7) - 1) // 2 if length >= 4 else 0
    return d if d >= 1 and 2 + d + d * d == length else None


def _read_npz(path_text: str, data: bytes) -> dict[str, Any]:
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ParameterFileError(f"{path_text} is not a NumPy .npz archive ({error})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ParameterFileError(f"{path_text} is a single .npy array, not a .npz archive")
    with archive:
        try:
            entries = {name: archive[name] for name in archive.files}
        except (ValueError, OSError, EOFError) as error:
            # allow_pickle=False turns object arrays into a ValueError here.
            raise ParameterFileError(f"{path_text}: unreadable entry ({error})") from None

    def scalar(name: str, kinds: str, what: str) -> Any:
        if name not in entries:
            return None
        value = entries[name]
        if value.shape != () or value.dtype.kind not in kinds:
            raise ParameterFileError(f"{path_text}: {name} must be {what}")
        return value.item()

    _check_identity(
        path_text,
        scalar("format", "U", "a string"),
        scalar("version", "iu", "an integer"),
    )
    missing = [
        key for key in ("covariance_type", "weights", "means", "covariances") if key not in entries
    ]
    if missing:
        raise ParameterFileError(f"{path_text} is missing {_field_list(missing)}")
    fields: dict[str, Any] = {"covariance_type": scalar("covariance_type", "U", "a string")}
    for name in ("weights", "means", "covariances"):
        array = entries[name]
        if array.dtype.kind not in "fiu":
            raise ParameterFileError(f"{path_text}: {name} must be a numeric array")
        fields[name] = array.astype(float)
    if "columns" in entries:
        columns = entries["columns"]
        if columns.ndim != 1 or columns.dtype.kind != "U":
            raise ParameterFileError(f"{path_text}: columns must be a 1-D array of strings")
        fields["columns"] = [str(c) for c in columns]
    fields["log_likelihood"] = scalar("log_likelihood", "fiu", "a number")
    fields["n_iter"] = scalar("n_iter", "iu", "an integer")
    fields["converged"] = scalar("converged", "b", "a boolean")
    fields["n_samples"] = scalar("n_samples", "iu", "an integer")
    fields["source"] = scalar("source", "U", "a string")
    return fields


def _check_identity(path_text: str, format_name: Any, version: Any) -> None:
    if format_name != FORMAT_NAME:
        raise ParameterFileError(
            f'{path_text} is not a gmmviewer parameter file (it needs "format": "{FORMAT_NAME}")'
        )
    if version is None:
        raise ParameterFileError(f'{path_text} is missing the field "version"')
    if isinstance(version, bool) or not isinstance(version, int):
        raise ParameterFileError(f"{path_text}: version must be an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ParameterFileError(
            f"{path_text} has format version {version}, written by a newer gmmviewer; "
            f"this one reads version {FORMAT_VERSION}: please upgrade"
        )
    if version != FORMAT_VERSION:
        raise ParameterFileError(
            f"{path_text} has unsupported format version {version} (expected {FORMAT_VERSION})"
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
    return ParamFile(
        params=params,
        columns=tuple(columns),
        log_likelihood=log_likelihood,
        n_iter=None if n_iter is None else int(n_iter),
        converged=converged,
        n_samples=None if n_samples is None else int(n_samples),
        source=source,
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


def _field_list(names: list[str]) -> str:
    quoted = [f'"{name}"' for name in names]
    if len(quoted) == 1:
        return f"the field {quoted[0]}"
    return "the fields " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _os_reason(error: OSError) -> str:
    return error.strerror or str(error)
