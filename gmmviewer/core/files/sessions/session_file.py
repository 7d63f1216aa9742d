"""Saving and opening whole sessions: data, parameters, settings and the full history.

Pure numpy; no Qt. A session file (``.gmmv``) is a NumPy archive (a zip of ``.npy``
arrays, read with ``allow_pickle=False``) holding:

* ``meta``: a JSON document: format name and version, the settings, the history's
  states (action, description, iteration, log-likelihood, ELBO, convergence, status,
  and indices into a table of parameters), the current position, how the data are
  stored, and the window's view settings;
* ``p<i>_weights``, ``p<i>_means``, ``p<i>_covariances``: the table of parameters
  (each distinct parameter set once, shared by the states that use it);
* only when some state is a variational fit: the table of priors (``priors`` in the
  metadata: the choice the person made and the resolved scalars;
  ``prior<i>_mean_prior`` and ``prior<i>_covariance_prior``), the table of variational
  parameters (``variational_params`` in the metadata: covariance and weight prior
  types; ``v<i>_weight_concentration`` (a Dirichlet process's ``a_k`` and ``b_k`` as
  two rows), ``_mean_precision``, ``_means``, ``_degrees_of_freedom``,
  ``_covariances``, in scikit-learn's layout), and in each variational state a
  ``variational`` entry with indices: ``priors``, ``current``, ``responsibilities``
  (or null) and ``origin`` (into the parameter table, or null). A file without
  variational states is exactly what it was before they existed;
* the data: ``X`` (what EM fits), ``offset`` and ``scale`` (the normalisation), and
  ``labels`` and ``truth_*`` for generated data; or, for data read from a CSV file
  when embedding is off, the file's path, its SHA-256 and the options it was read with,
  so opening checks that the file has not changed. That is the first state's data;
  since version 2, data edited along the history (points painted, moved, deleted) are
  stored once each, always embedded, and every state names its own
  (:mod:`~gmmviewer.core.files.sessions.datasets`). Version 1 files still open.

Responsibilities are never stored: the session recomputes them.

Opening checks everything before anything is built: every field's type and range
(:mod:`~gmmviewer.core.files.sessions.meta_checks`), shapes and links between states,
parameters and data (:mod:`~gmmviewer.core.files.sessions.state_checks`), and
log-likelihoods recomputed from the data
(:mod:`~gmmviewer.core.files.sessions.history_checks`); variational states' tables, links,
bounds and priors likewise (:mod:`~gmmviewer.core.files.sessions.variational_tables`,
:mod:`~gmmviewer.core.files.sessions.variational_checks`).
A session file may be at most :data:`~gmmviewer.core.limits.MAX_SESSION_FILE_BYTES`
(1 GiB) and unpack to no more; only regular files are read. Saving replaces the file atomically
(:mod:`gmmviewer.core.files.atomic`): an interrupted save leaves the previous file whole.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gmmviewer.core.analysis.prediction_log import predictions_meta, restore_predictions
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import GMMViewerError, SessionFileError
from gmmviewer.core.files.atomic import atomic_write
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.reading import (
    InputError,
    SizeLimitError,
    parse_json,
    read_npz,
    read_regular_file,
)
from gmmviewer.core.files.sessions import SESSION_EXTENSION
from gmmviewer.core.files.sessions.datasets import (
    attach_datasets,
    check_datasets,
    history_datasets,
    state_fields,
    store_datasets,
    verify_by_dataset,
)
from gmmviewer.core.files.sessions.fields import SessionCheckError
from gmmviewer.core.files.sessions.meta_checks import CheckedMeta
from gmmviewer.core.files.sessions.state_checks import (
    check_embedded_data,
    check_table,
    check_truth,
)
from gmmviewer.core.files.sessions.variational_checks import build_states, check_meta
from gmmviewer.core.files.sessions.variational_tables import (
    VariationalTableWriter,
    check_variational_tables,
)
from gmmviewer.core.limits import MAX_DATA_FILE_BYTES, MAX_SESSION_FILE_BYTES, byte_size
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession

FORMAT_NAME = "gmmviewer-session"
#: The version of files whose history edits the data; a history that does not is written
#: as version 1, which it is exactly, so older releases still open it.
FORMAT_VERSION = 2
#: The versions :func:`load_session` reads (1: the data never change along the history).
READABLE_VERSIONS = (1, 2)


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
    """True when the data were read from a CSV file that still exists (so it can be referenced).

    Data edited by hand never can: only their own rows say what they are.
    """
    return (
        not dataset.edited
        and dataset.report is not None
        and bool(dataset.source)
        and os.path.isfile(dataset.source)
    )


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

    variational = VariationalTableWriter(arrays, params_index)
    datasets, dataset_indices = history_datasets(session.history)
    # A history that never edits the data is written exactly as version 1 was.
    edits_data = (
        len(datasets) > 1 or datasets[0].edited or not all(s.placed for s in session.history)
    )
    states = []
    for state, dataset_index in zip(session.history, dataset_indices, strict=True):
        entry: dict[str, Any] = {
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
        if edits_data:
            entry.update(state_fields(state, dataset_index))
        if state.variational is not None:  # an EM state stays exactly as before
            entry["variational"] = variational.links(state.variational)
        states.append(entry)
    dataset = datasets[0]  # the first state's; the others are stored as rows
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
        if dataset.edited:
            data["edited"] = True
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
        "version": FORMAT_VERSION if edits_data else 1,
        "settings": {
            "init": session.init,
            "seed": session.seed,
            "tol": session.tol,
            "max_iter": session.max_iter,
            "reg_covar": session.reg_covar,
            "dtype": session.dtype,
        },
        "params": [params.covariance_type for params in table],
        **variational.meta(),
        "states": states,
        "position": session.position,
        "data": data,
        **({"datasets": store_datasets(arrays, datasets)} if edits_data else {}),
        "view": view or {},
        **predictions_meta(session.predictions),
    }
    arrays["meta"] = np.array(json.dumps(meta, allow_nan=False))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    try:
        with atomic_write(path_text) as stream:
            stream.write(buffer.getbuffer())
    except OSError as error:
        raise SessionFileError(f"cannot write {path_text}: {error.strerror or error}") from None


def load_session(path: str | os.PathLike[str]) -> OpenedSession:
    """Open a session file written by :func:`save_session`.

    Nothing is built until every field has been checked, so a failure leaves whatever
    the caller shows untouched.

    Raises
    ------
    SessionFileError
        With a one-line reason: a missing or unreadable file, not a gmmviewer session, a
        newer version, damaged or inconsistent contents (naming the field), a history
        that does not match its data, or a referenced data file that is missing or has
        changed.
    """
    path_text = os.fspath(path)
    name = os.path.basename(path_text) or path_text
    contents = _read_arrays(path_text, name)
    meta_array = contents.get("meta")
    if meta_array is None or meta_array.shape != () or meta_array.dtype.kind != "U":
        raise SessionFileError(f"{name} is not a gmmviewer session file")
    try:
        document = parse_json(str(meta_array.item()))
    except InputError as error:
        raise SessionFileError(f"{name} is damaged: its metadata {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise SessionFileError(f"{name} is not a gmmviewer session file")
    version = document.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        known = isinstance(version, int) and not isinstance(version, bool) and abs(version) < 10**9
        shown = version if known else "unknown"
        raise SessionFileError(
            f"{name} is a version {shown} session; this gmmviewer reads versions 1 to "
            f"{FORMAT_VERSION}"
        )
    try:
        meta = check_meta(document)
        table = check_table(meta.param_types, contents)
        dataset = _dataset(meta, contents, path_text, name)
        datasets = check_datasets(document, contents, dataset)
        variational = check_variational_tables(meta, contents, dataset.n_features)
        # The number of components is checked against each state's own data below.
        states = build_states(meta.states, table, None, dataset.n_features, variational)
        states = attach_datasets(states, document, datasets)
        verify_by_dataset(states, meta.position, dtype=meta.settings["dtype"])
        session = EMSession.restore(dataset, states, meta.position, meta.settings)
        session.predictions = restore_predictions(document)
    except SessionFileError:
        raise
    except SessionCheckError as error:
        text = str(error)
        joiner = " " if text.startswith("does not match") else " is damaged: "
        raise SessionFileError(f"{name}{joiner}{text}") from None
    except (GMMViewerError, ValueError, TypeError, KeyError, IndexError, ArithmeticError) as error:
        raise SessionFileError(f"{name} is damaged: {_reason(error)}") from None
    return OpenedSession(session, meta.view, meta.data["mode"] == "embedded")


def _read_arrays(path_text: str, name: str) -> dict[str, np.ndarray]:
    """The arrays of the file, refusing special files and anything too large to unpack."""
    try:
        raw = read_regular_file(
            path_text, max_bytes=MAX_SESSION_FILE_BYTES, what="session files", name=name
        )
    except InputError as error:
        raise SessionFileError(str(error)) from None
    except FileNotFoundError:
        raise SessionFileError(f"no such file: {path_text}") from None
    except IsADirectoryError:
        raise SessionFileError(f"{name} is a directory, not a session file") from None
    except OSError as error:
        raise SessionFileError(f"cannot read {path_text}: {error.strerror or error}") from None
    try:
        return read_npz(raw, max_bytes=MAX_SESSION_FILE_BYTES, what="a session file")
    except SizeLimitError as error:
        raise SessionFileError(f"{name} {error}") from None
    except InputError as error:
        raise SessionFileError(
            f"{name} is not a gmmviewer session file (or it is damaged): it {error}"
        ) from None


def _dataset(meta: CheckedMeta, contents: dict[str, np.ndarray], path: str, name: str) -> Dataset:
    data = meta.data
    if data["mode"] == "embedded":
        return check_embedded_data(data, contents, check_truth(data, contents))
    source = data["path"]
    if not os.path.isfile(source):
        beside = os.path.join(os.path.dirname(os.path.abspath(path)), data["relative_path"])
        if not os.path.isfile(beside):
            raise SessionFileError(f"the data file of {name} is missing: {source}")
        source = beside
    if os.path.getsize(source) > MAX_DATA_FILE_BYTES:  # refused by load_csv; not worth hashing
        raise SessionFileError(
            f"the data file {source} of {name} is larger than the "
            f"{byte_size(MAX_DATA_FILE_BYTES)} data files may be"
        )
    try:
        digest = file_sha256(source)
    except OSError as error:
        raise SessionFileError(f"cannot read {source}: {error.strerror or error}") from None
    if digest != data["sha256"]:
        raise SessionFileError(f"the data file {source} has changed since {name} was saved")
    dataset = load_csv(
        source,
        list(data["columns"]),
        normalize=data["normalized"],
        delimiter=data["delimiter"],
        has_header=data["has_header"],
        decimal=data["decimal"],
    )
    if dataset.n_samples != data["n_samples"]:
        raise SessionFileError(f"the data file {source} no longer reads as it did")
    return dataset


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


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
