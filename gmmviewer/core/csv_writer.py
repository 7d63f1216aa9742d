"""Write a data set as CSV (for ``gmmviewer generate`` and data export). Imports no Qt.

Values are written with ``repr`` so reading the file back gives the same doubles.
"""

from __future__ import annotations

import os

from gmmviewer.core.dataset import Dataset
from gmmviewer.core.errors import DataError


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
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write("\n".join(lines) + "\n")
    except OSError as error:
        raise DataError(f"cannot write {os.fspath(path)}: {error.strerror or error}") from None


def _quoted(name: str) -> str:
    if any(char in name for char in ',"\n'):
        return '"' + name.replace('"', '""') + '"'
    return name
