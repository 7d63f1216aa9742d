"""Write CSV files: a data set (``gmmviewer generate``) and the NLL history. Imports no Qt.

Values are written with ``repr`` so reading the file back gives the same doubles. Files are
replaced atomically (:mod:`gmmviewer.core.files.atomic`): a failed write leaves the old one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import DataError
from gmmviewer.core.files.atomic import atomic_write
from gmmviewer.core.session.history import SessionState


def write_data_csv(path: str | os.PathLike[str], dataset: Dataset, labels: bool = False) -> None:
    """Write the data in its own units, one row per sample, with a header of column names.

    Parameters
    ----------
    path : str or path-like
    dataset : Dataset
    labels : bool
        Append a ``component`` column with the true component of each sample (1-based),
        when the data set has labels.

    Raises
    ------
    DataError
        When the file cannot be written, or labels are asked for but unknown.
    """
    raw = dataset.raw
    header = [_quoted(name) for name in dataset.columns]
    columns = [raw[:, j].tolist() for j in range(raw.shape[1])]
    if labels:
        if dataset.labels is None:
            raise DataError("this data set has no true labels to write")
        header.append("component")
        columns.append([int(label) + 1 for label in dataset.labels])
    lines = [",".join(header)]
    lines.extend(",".join(repr(value) for value in row) for row in zip(*columns, strict=True))
    try:
        with atomic_write(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write("\n".join(lines) + "\n")
    except OSError as error:
        raise DataError(f"cannot write {os.fspath(path)}: {error.strerror or error}") from None


def _quoted(name: str) -> str:
    if any(char in name for char in ',"\n\r'):
        return '"' + name.replace('"', '""') + '"'
    return name


def write_history_csv(path: str | os.PathLike[str], states: Sequence[SessionState]) -> None:
    """Write the NLL history: one row per history entry.

    Columns: ``entry, action, iteration, next_step, nll, log_likelihood, elbo,
    converged, description``; ``elbo`` is empty before the first E-step.

    Raises
    ------
    DataError
        When the file cannot be written.
    """
    lines = ["entry,action,iteration,next_step,nll,log_likelihood,elbo,converged,description"]
    for index, state in enumerate(states):
        elbo = "" if state.elbo is None else repr(state.elbo)
        fields = [
            str(index),
            state.action,
            str(state.iteration),
            state.next_step,
            repr(-state.log_likelihood),
            repr(state.log_likelihood),
            elbo,
            "true" if state.converged else "false",
            _quoted(state.description),
        ]
        lines.append(",".join(fields))
    try:
        with atomic_write(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write("\n".join(lines) + "\n")
    except OSError as error:
        raise DataError(f"cannot write {os.fspath(path)}: {error.strerror or error}") from None
