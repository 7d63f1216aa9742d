"""Encoding and decoding the three parameter-file formats (JSON, CSV, NPZ).

Pure numpy; imports no Qt. :mod:`gmmviewer.core.files.paramfile` documents the formats and
validates what is read here: the readers only check that a file is a gmmviewer
parameter file of a known version and turn its fields into arrays and values.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from gmmviewer.core.errors import ParameterFileError
from gmmviewer.core.files import paramfile_variational as variational
from gmmviewer.core.files import reading
from gmmviewer.core.files.reading import InputError, parse_json
from gmmviewer.core.limits import MAX_COMPONENTS, MAX_FEATURES
from gmmviewer.core.params import GMMParams

FORMAT_NAME = "gmmviewer-params"
FORMAT_VERSION = 1

_CSV_FIRST_LINE = re.compile(r"#\s*gmmviewer-params\s+v(\d{1,9})\s+covariance_type=(\S+)\s*$")
_CSV_META_LINE = re.compile(r"#\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")
OPTIONAL_KEYS = ("log_likelihood", "n_iter", "converged", "n_samples", "source")


def encode_json(params: GMMParams, meta: dict[str, Any]) -> str:
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
    lines.extend(f"  {dump(key)}: {dump(meta[key])}" for key in OPTIONAL_KEYS)
    lines.extend(
        f"  {dump(key)}: {_json_block(meta[key], 2)}"
        for key in variational.VARIATIONAL_KEYS
        if key in meta
    )
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _json_block(value: Any, indent: int) -> str:
    """``value`` as JSON laid out like the rest of the file: an object one field per line,
    a matrix (or stack of matrices) one row (matrix) per line."""

    def dump(item: Any) -> str:
        return json.dumps(item, allow_nan=False, ensure_ascii=False)

    pad = " " * indent
    if isinstance(value, dict):
        fields = ",\n".join(
            f"{pad}  {dump(key)}: {_json_block(item, indent + 2)}" for key, item in value.items()
        )
        return f"{{\n{fields}\n{pad}}}"
    if isinstance(value, np.ndarray) and value.ndim >= 2:
        rows = ",\n".join(f"{pad}  {dump(row)}" for row in value.tolist())
        return f"[\n{rows}\n{pad}]"
    return dump(variational.as_plain(value))


def encode_csv(params: GMMParams, meta: dict[str, Any]) -> str:
    buffer = io.StringIO()
    buffer.write(f"# {FORMAT_NAME} v{FORMAT_VERSION} covariance_type={params.covariance_type}\n")
    for key in OPTIONAL_KEYS:
        if meta[key] is not None:
            # JSON escapes line breaks, so a source path cannot end the comment early.
            buffer.write(f"# {key}={json.dumps(meta[key], ensure_ascii=False)}\n")
    for key in variational.VARIATIONAL_KEYS:
        if key in meta:
            # Sections go on one line each, as compact JSON.
            value = json.dumps(variational.as_plain(meta[key]), allow_nan=False, ensure_ascii=False)
            buffer.write(f"# {key}={value}\n")
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


def encode_npz(params: GMMParams, meta: dict[str, Any]) -> bytes:
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
    for key in OPTIONAL_KEYS:
        if meta[key] is not None:
            arrays[key] = np.array(meta[key], dtype=dtypes[key])
    arrays.update(variational.npz_arrays(meta))
    buffer = io.BytesIO()
    # Writing to a buffer (not the path) also stops numpy appending '.npz' to the name.
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# ====================================================================== loading


def _decode(path_text: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParameterFileError(f"{path_text} is not UTF-8 text") from None


def read_json(path_text: str, data: bytes) -> dict[str, Any]:
    text = _decode(path_text, data)
    try:
        document = parse_json(text)
    except InputError as error:
        raise ParameterFileError(f"{path_text} {error}") from None
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
    for key in ("n_components", "n_features", "columns", *OPTIONAL_KEYS):
        fields[key] = document.get(key)
    for key in variational.VARIATIONAL_KEYS:
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


def read_csv(path_text: str, data: bytes) -> dict[str, Any]:
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
        if key not in OPTIONAL_KEYS and key not in variational.VARIATIONAL_KEYS:
            continue
        try:
            fields[key] = parse_json(raw)
        except InputError as error:
            shown = line if len(line) <= 60 else line[:57] + "..."
            raise ParameterFileError(
                f"{path_text}: cannot read the value of {key} in '{shown}' (it {error})"
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
    if d > MAX_FEATURES:
        raise ParameterFileError(
            f"{path_text}: {d:,} features; at most {MAX_FEATURES:,} columns are fitted"
        )
    if len(body) > MAX_COMPONENTS:
        raise ParameterFileError(
            f"{path_text}: {len(body):,} components; at most {MAX_COMPONENTS:,} are supported"
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


def read_npz(path_text: str, data: bytes, *, max_bytes: int) -> dict[str, Any]:
    try:
        # Sizes are checked before anything is unpacked; object arrays are never loaded.
        entries = reading.read_npz(data, max_bytes=max_bytes, what="a parameter file")
    except InputError as error:
        raise ParameterFileError(f"{path_text} {error}") from None

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
    fields.update(variational.npz_fields(entries))
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


def _field_list(names: list[str]) -> str:
    quoted = [f'"{name}"' for name in names]
    if len(quoted) == 1:
        return f"the field {quoted[0]}"
    return "the fields " + ", ".join(quoted[:-1]) + " and " + quoted[-1]
