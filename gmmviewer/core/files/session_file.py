"""Saving and opening whole sessions: data, parameters, settings and the full history.

Pure numpy; no Qt. A session file (``.gmmv``) is a NumPy archive (a zip of ``.npy``
arrays, read with ``allow_pickle=False``) holding:

* ``meta``: a JSON document: format name and version, the settings, the history's
  states (action, description, iteration, log-likelihood, ELBO, convergence, status,
  and indices into a table of parameters), the current position, how the data are
  stored, and the window's view settings;
* ``p<i>_weights``, ``p<i>_means``, ``p<i>_covariances``: the table of parameters
  (each distinct parameter set once, shared by the states that use it);
* the data: ``X`` (what EM fits), ``offset`` and ``scale`` (the normalisation), and
  ``labels`` and ``truth_*`` for generated data; or, for data read from a CSV file
  when embedding is off, the file's path, its SHA-256 and the options it was read with,
  so opening checks that the file has not changed.

Responsibilities are never stored: the session recomputes them.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import GMMViewerError, SessionFileError
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.history import SessionState

FORMAT_NAME = "gmmviewer-session"
FORMAT_VERSION = 1
SESSION_EXTENSION = ".gmmv"


@dataclass(frozen=True)
class OpenedSession:
    """What :func:`load_session` returns: the session and the view settings saved with it."""

    session: EMSession
    view: dict[str, Any] = field(default_factory=dict)
    data_embedded: bool = True


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def can_reference(dataset: Dataset) -> bool:
    """True when the data were read from a CSV file that still exists (so it can be referenced)."""
    return dataset.report is not None and bool(dataset.source) and os.path.isfile(dataset.source)


def save_session(
    path: str | os.PathLike[str],
    session: EMSession,
    *,
    embed_data: bool = True,
    view: dict[str, Any] | None = None,
) -> None:
    """Write ``session`` to ``path``.

    Parameters
    ----------
    path : str or path-like
    session : EMSession
    embed_data : bool
        Store the data in the file; when False and the data came from a CSV file, store
        the file's path and checksum instead.
    view : dict, optional
        JSON-serialisable view settings to restore with the session.

    Raises
    ------
    SessionFileError
        When the file cannot be written.
    """
    path_text = os.fspath(path)
    arrays: dict[str, np.ndarray] = {}
    table: list[GMMParams] = []
    index_of: dict[int, int] = {}

    def params_index(params: GMMParams | None) -> int | None:
        if params is None:
            return None
        key = id(params)
        if key not in index_of:
            index_of[key] = len(table)
            arrays[f"p{len(table)}_weights"] = np.asarray(params.weights)
            arrays[f"p{len(table)}_means"] = np.asarray(params.means)
            arrays[f"p{len(table)}_covariances"] = np.asarray(params.covariances)
            table.append(params)
        return index_of[key]

    states = [
        {
            "action": state.action,
            "description": state.description,
            "params": params_index(state.params),
            "resp_params": params_index(state.resp_params),
            "next_step": state.next_step,
            "iteration": state.iteration,
            "run_start": state.run_start,
            "log_likelihood": _finite_or_none(state.log_likelihood),
            "elbo": _finite_or_none(state.elbo),
            "lower_bound": _finite_or_none(state.lower_bound),
            "previous_lower_bound": _finite_or_none(state.previous_lower_bound),
            "converged": state.converged,
            "status": state.status,
            "component": state.component,
        }
        for state in session.history
    ]
    dataset = session.dataset
    data: dict[str, Any] = {
        "columns": list(dataset.columns),
        "source": dataset.source,
        "normalized": dataset.normalized,
    }
    if not embed_data and can_reference(dataset):
        report = dataset.report
        assert report is not None
        source = os.path.abspath(dataset.source)
        data.update(
            mode="file",
            path=source,
            relative_path=_relative(source, path_text),
            sha256=file_sha256(source),
            delimiter=report.delimiter,
            has_header=report.has_header,
            decimal=report.decimal,
            n_samples=dataset.n_samples,
        )
    else:
        data["mode"] = "embedded"
        arrays["X"] = dataset.X
        arrays["offset"] = dataset.offset
        arrays["scale"] = dataset.scale
        if dataset.labels is not None:
            arrays["labels"] = dataset.labels
    if dataset.truth is not None:
        arrays["truth_weights"] = np.asarray(dataset.truth.weights)
        arrays["truth_means"] = np.asarray(dataset.truth.means)
        arrays["truth_covariances"] = np.asarray(dataset.truth.covariances)
        data["truth_covariance_type"] = dataset.truth.covariance_type
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "settings": {
            "init": session.init,
            "seed": session.seed,
            "tol": session.tol,
            "max_iter": session.max_iter,
            "reg_covar": session.reg_covar,
        },
        "params": [params.covariance_type for params in table],
        "states": states,
        "position": session.position,
        "data": data,
        "view": view or {},
    }
    arrays["meta"] = np.array(json.dumps(meta, allow_nan=False))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    try:
        with open(path_text, "wb") as stream:
            stream.write(buffer.getvalue())
    except OSError as error:
        raise SessionFileError(f"cannot write {path_text}: {error.strerror or error}") from None


def load_session(path: str | os.PathLike[str]) -> OpenedSession:
    """Open a session file written by :func:`save_session`.

    Raises
    ------
    SessionFileError
        With a one-line reason: a missing or unreadable file, not a gmmviewer session, a
        newer version, damaged contents, or a referenced data file that is missing or
        has changed.
    """
    path_text = os.fspath(path)
    name = os.path.basename(path_text)
    if not os.path.exists(path_text):
        raise SessionFileError(f"no such file: {path_text}")
    try:
        with open(path_text, "rb") as stream:
            raw = stream.read()
    except OSError as error:
        raise SessionFileError(f"cannot read {path_text}: {error.strerror or error}") from None
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            contents = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise SessionFileError(
            f"{name} is not a gmmviewer session file (or it is damaged): {_reason(error)}"
        ) from None
    try:
        meta = json.loads(str(contents["meta"]))
    except (KeyError, ValueError):
        raise SessionFileError(f"{name} is not a gmmviewer session file") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise SessionFileError(f"{name} is not a gmmviewer session file")
    if meta.get("version") != FORMAT_VERSION:
        raise SessionFileError(
            f"{name} is a version {meta.get('version')} session; this gmmviewer reads "
            f"version {FORMAT_VERSION}"
        )
    try:
        dataset = _dataset(meta["data"], contents, path_text, name)
        table = [
            GMMParams(
                contents[f"p{i}_weights"],
                contents[f"p{i}_means"],
                contents[f"p{i}_covariances"],
                kind,
            )
            for i, kind in enumerate(meta["params"])
        ]
        states = [_state(entry, table) for entry in meta["states"]]
        session = EMSession.restore(dataset, states, int(meta["position"]), meta["settings"])
    except SessionFileError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, GMMViewerError) as error:
        raise SessionFileError(f"{name} is damaged: {_reason(error)}") from None
    return OpenedSession(session, dict(meta.get("view") or {}), meta["data"]["mode"] == "embedded")


def _dataset(
    data: dict[str, Any], contents: dict[str, np.ndarray], path: str, name: str
) -> Dataset:
    truth = None
    if "truth_weights" in contents:
        truth = GMMParams(
            contents["truth_weights"],
            contents["truth_means"],
            contents["truth_covariances"],
            data.get("truth_covariance_type", "full"),
        )
    if data["mode"] == "embedded":
        return Dataset(
            X=contents["X"],
            columns=tuple(data["columns"]),
            source=data.get("source", ""),
            offset=contents["offset"],
            scale=contents["scale"],
            labels=contents.get("labels"),
            truth=truth,
        )
    if data["mode"] != "file":
        raise SessionFileError(f"{name} is damaged: unknown data mode {data['mode']!r}")
    source = data["path"]
    if not os.path.isfile(source):
        beside = os.path.join(os.path.dirname(os.path.abspath(path)), data["relative_path"])
        if not os.path.isfile(beside):
            raise SessionFileError(f"the data file of {name} is missing: {source}")
        source = beside
    if file_sha256(source) != data["sha256"]:
        raise SessionFileError(f"the data file {source} has changed since {name} was saved")
    dataset = load_csv(
        source,
        list(data["columns"]),
        normalize=bool(data["normalized"]),
        delimiter=data["delimiter"],
        has_header=bool(data["has_header"]),
        decimal=data["decimal"],
    )
    if dataset.n_samples != data["n_samples"]:
        raise SessionFileError(f"the data file {source} no longer reads as it did")
    return dataset


def _state(entry: dict[str, Any], table: list[GMMParams]) -> SessionState:
    resp = entry["resp_params"]
    return SessionState(
        action=entry["action"],
        description=entry["description"],
        params=table[entry["params"]],
        resp_params=None if resp is None else table[resp],
        next_step=entry["next_step"],
        iteration=int(entry["iteration"]),
        run_start=int(entry["run_start"]),
        log_likelihood=_float(entry["log_likelihood"]),
        elbo=entry["elbo"],
        lower_bound=_float(entry["lower_bound"]),
        previous_lower_bound=_float(entry["previous_lower_bound"]),
        converged=bool(entry["converged"]),
        status=entry["status"],
        component=entry["component"],
    )


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _float(value: float | None) -> float:
    return -math.inf if value is None else float(value)


def _relative(target: str, session_path: str) -> str:
    try:
        return os.path.relpath(target, os.path.dirname(os.path.abspath(session_path)))
    except ValueError:  # another drive on Windows
        return target


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return " ".join(text.split())


__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "SESSION_EXTENSION",
    "OpenedSession",
    "can_reference",
    "load_session",
    "save_session",
]
