"""Per-point results as CSV: each sample's row in its file, label, responsibilities, uncertainty.

Pure Python and numpy; no Qt. ``gmmviewer fit --assignments`` and the window's File >
Export assignments both write this file, so the two agree column for column:

``row``
    The sample's 1-based data row in the file it was read from: data rows are counted
    from the first line after the header, skipping comment and blank lines but counting
    rows dropped for missing values, so the numbers skip where rows were dropped. For a
    file without comments or blank lines, row r is line r + 1 (r with no header). Data
    not read from a file (generated, edited by hand) are numbered 1..N.
``label``
    The most responsible component, numbered from 1 as in parameter files (the first on
    ties).
``r1`` .. ``rK``
    The responsibilities, written with ``repr`` (reading them back gives the same doubles).
``uncertainty``
    ``1 - max_k r_k``: 0 for a sample certainly in one component, at most ``1 - 1/K``;
    computed as the sum of the other responsibilities, so a small one keeps its digits.

The file is replaced atomically (:mod:`gmmviewer.core.files.atomic`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import DataError
from gmmviewer.core.files.atomic import atomic_write

if TYPE_CHECKING:
    from gmmviewer.core.session.em_session import EMSession

#: Rows formatted at a time: a block's lines are built, written and dropped.
_BLOCK_ROWS = 20_000


def file_rows(dataset: Dataset) -> np.ndarray:
    """The 1-based data row in its file of every sample (1..N when unknown), (n_samples,)."""
    report = dataset.report
    if report is not None and report.row_numbers is not None:
        if len(report.row_numbers) == dataset.n_samples:
            return report.row_numbers
    return np.arange(1, dataset.n_samples + 1)


def assignments_header(n_components: int) -> str:
    """``row,label,r1,...,rK,uncertainty``."""
    names = ["row", "label", *(f"r{k + 1}" for k in range(n_components)), "uncertainty"]
    return ",".join(names)


def write_assignments_csv(
    path: str | os.PathLike[str],
    responsibilities: np.ndarray,
    rows: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> None:
    """Write one line per sample: row, label, responsibilities and uncertainty.

    Parameters
    ----------
    path : str or path-like
    responsibilities : ndarray of shape (n_samples, n_components)
        Every row sums to one (float32 values are written as the doubles they are).
    rows : ndarray of shape (n_samples,), int, optional
        Each sample's data row in its file (see :func:`file_rows`); default 1..N.
    labels : ndarray of shape (n_samples,), int, optional
        0-based hard assignments, written from 1; default the first largest
        responsibility of each sample.

    Raises
    ------
    DataError
        When the file cannot be written.
    """
    resp = np.asarray(responsibilities)
    n_samples, n_components = resp.shape
    rows = np.arange(1, n_samples + 1) if rows is None else np.asarray(rows)
    labels = np.argmax(resp, axis=1) if labels is None else np.asarray(labels)
    if rows.shape != (n_samples,) or labels.shape != (n_samples,):
        raise ValueError("rows and labels need one entry per row of the responsibilities")
    try:
        with atomic_write(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(assignments_header(n_components) + "\n")
            for start in range(0, n_samples, _BLOCK_ROWS):
                block = slice(start, start + _BLOCK_ROWS)
                values = resp[block].astype(np.float64)
                uncertainty = _uncertainty(values, labels[block])
                lines = [
                    f"{row},{label + 1},{','.join(map(repr, shares))},{spread!r}\n"
                    for row, label, shares, spread in zip(
                        rows[block].tolist(),
                        labels[block].tolist(),
                        values.tolist(),
                        uncertainty.tolist(),
                        strict=True,
                    )
                ]
                stream.write("".join(lines))
    except OSError as error:
        raise DataError(f"cannot write {os.fspath(path)}: {error.strerror or error}") from None


def _uncertainty(resp: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``1 - max_k r_k`` of every row, as the sum of the rows' other entries, (n_samples,).

    ``1 - 0.9999999973`` keeps only the digits the largest responsibility had left; the
    sum of the others (equal to it, rows summing to one) keeps all of theirs. ``labels``
    (shape (n_samples,)) name each row's largest entry, as the file's label column does.
    """
    others = resp.copy()
    others[np.arange(resp.shape[0]), labels] = 0.0
    return others.sum(axis=1)


def write_session_assignments(path: str | os.PathLike[str], session: EMSession) -> bool:
    """Write the assignments a session shows, for the rows of its data set.

    The current responsibilities and hard assignments (of the variational posterior in
    a variational session). Before the first E-step there are none, so those the next
    E-step will compute are written, without taking the step.

    Returns
    -------
    bool
        True when the responsibilities are the next E-step's.

    Raises
    ------
    DataError
        When the file cannot be written.
    """
    resp, labels = session.responsibilities, session.hard_assignments()
    pending = resp is None
    if pending:
        # Before any E-step the next half-step is the E-step: computed, not committed.
        prepared = session.prepare()
        assert prepared.resp is not None and prepared.hard is not None
        resp, labels = prepared.resp.T, prepared.hard
    write_assignments_csv(path, resp, file_rows(session.dataset), labels)
    return pending
