"""Editing the data by hand: the rows an edit leaves, and painted points' other columns.

Pure numpy; no Qt. The functions here take and return plain arrays in the units of a
:class:`~gmmviewer.core.data.dataset.Dataset`'s ``X`` and check their arguments, so the
session (:mod:`gmmviewer.core.session.data_edits`) refuses a bad edit before it changes
anything.

A person paints on the two columns shown (or on the rug of one); a new point needs a
value in every column, so the others take the data's column means
(:func:`complete_points`), and :func:`completion_note` says so in one sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gmmviewer.core.errors import DataError, ParameterError

#: Most columns :func:`completion_note` names before "and N more".
NOTE_COLUMNS = 4


def column_means(X: np.ndarray, fallback_means: np.ndarray | None = None) -> np.ndarray:
    """The mean of every column of ``X``, or ``fallback_means`` (else zeros) when it has no rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    fallback_means : ndarray of shape (n_features,), optional

    Returns
    -------
    ndarray of shape (n_features,)
    """
    if X.shape[0]:
        return X.mean(axis=0)
    if fallback_means is None:
        return np.zeros(X.shape[1])
    return np.asarray(fallback_means, dtype=float).reshape(X.shape[1])


def complete_points(
    values: np.ndarray,
    dims: tuple[int, ...],
    X: np.ndarray,
    fallback_means: np.ndarray | None = None,
) -> np.ndarray:
    """Points drawn on columns ``dims``, completed with the data's means in the others.

    Parameters
    ----------
    values : ndarray of shape (n_points, len(dims))
        The drawn coordinates, column ``dims[j]`` in ``values[:, j]``.
    dims : tuple of int
        Distinct columns of ``X`` (the pair shown, or one column).
    X : ndarray of shape (n_samples, n_features)
        The current data; its column means fill the other columns.
    fallback_means : ndarray of shape (n_features,), optional
        What fills them when ``X`` has no rows (default zeros), e.g. the mixture's mean.

    Returns
    -------
    ndarray of shape (n_points, n_features)

    Raises
    ------
    ParameterError
        When ``dims`` are not distinct columns of ``X`` or ``values`` has the wrong shape.
    """
    n_features = X.shape[1]
    dims = tuple(int(d) for d in dims)
    if not dims or len(set(dims)) != len(dims) or not all(0 <= d < n_features for d in dims):
        raise ParameterError(f"dims must be distinct columns 0 to {n_features - 1}, got {dims}")
    values = np.asarray(values, dtype=float)
    if values.ndim == 1 and len(dims) == 1:
        values = values.reshape(-1, 1)
    if values.ndim != 2 or values.shape[1] != len(dims):
        raise ParameterError(
            f"the drawn points must have {len(dims)} coordinates each, got shape {values.shape}"
        )
    points = np.empty((values.shape[0], n_features))
    points[:] = column_means(X, fallback_means)
    points[:, list(dims)] = values
    return points


def completion_note(
    dims: tuple[int, ...],
    X: np.ndarray,
    columns: Sequence[str],
    fallback_means: np.ndarray | None = None,
) -> str:
    """The sentence that tells what a painted point's hidden columns hold ('' when none are).

    For example "new points take the means of the other columns (x3 = 1.23, x4 = -0.5)".

    Parameters
    ----------
    dims : tuple of int
        The columns painted on.
    X : ndarray of shape (n_samples, n_features)
    columns : sequence of str
        The column names.
    fallback_means : ndarray of shape (n_features,), optional
        As in :func:`complete_points`.
    """
    others = [j for j in range(X.shape[1]) if j not in set(dims)]
    if not others:
        return ""
    means = column_means(X, fallback_means)
    shown = [f"{columns[j]} = {means[j]:.4g}" for j in others[:NOTE_COLUMNS]]
    if len(others) > NOTE_COLUMNS:
        shown.append(f"and {len(others) - NOTE_COLUMNS} more")
    what = "the means of the other columns" if X.shape[0] else "fixed values in the other columns"
    return f"new points take {what} ({', '.join(shown)})"


def checked_points(points: np.ndarray, n_features: int) -> np.ndarray:
    """``points`` as a (n_points, n_features) float array with at least one finite row.

    Raises
    ------
    DataError
        For the wrong shape, no points, or a non-finite value.
    """
    points = np.asarray(points, dtype=float)
    if points.ndim == 1 and points.size == n_features:
        points = points.reshape(1, -1)
    if points.ndim != 2 or points.shape[1] != n_features:
        raise DataError(
            f"points must have {n_features} coordinates each, got an array of shape "
            f"{'x'.join(str(n) for n in points.shape) or 'a scalar'}"
        )
    if points.shape[0] == 0:
        raise DataError("there are no points to add")
    if not np.all(np.isfinite(points)):
        raise DataError("the points hold missing or non-finite values")
    return points


def checked_index(index: object, n_samples: int) -> int:
    """``index`` as a row of data with ``n_samples`` rows.

    Raises
    ------
    ParameterError
        Unless it is a whole number from 0 to ``n_samples - 1``.
    """
    if isinstance(index, bool) or not isinstance(index, int | np.integer):
        raise ParameterError(f"a point index must be a whole number, got {index!r}")
    if not 0 <= int(index) < n_samples:
        if n_samples == 0:
            raise ParameterError(f"there is no point {int(index)}: there are no points")
        raise ParameterError(f"there is no point {int(index)}: the points are 0 to {n_samples - 1}")
    return int(index)


def checked_indices(indices: Sequence[int] | np.ndarray, n_samples: int) -> np.ndarray:
    """Distinct rows of data with ``n_samples`` rows, sorted (at least one).

    Raises
    ------
    ParameterError
        For no index, a repeated one, or one that is not a row.
    """
    values = list(np.asarray(indices).reshape(-1).tolist())
    if not values:
        raise ParameterError("there are no points to delete")
    rows = [checked_index(value, n_samples) for value in values]
    if len(set(rows)) != len(rows):
        raise ParameterError("a point to delete is listed twice")
    return np.array(sorted(rows), dtype=np.intp)


def added_rows(X: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``X`` with ``points`` (shape (n_points, n_features)) appended, in drawing order."""
    return np.concatenate([X, checked_points(points, X.shape[1])])


def moved_row(X: np.ndarray, index: int, position: np.ndarray) -> np.ndarray:
    """``X`` with row ``index`` at ``position`` (shape (n_features,))."""
    row = checked_index(index, X.shape[0])
    moved = np.array(X, dtype=float, copy=True)
    moved[row] = checked_points(np.reshape(position, (1, -1)), X.shape[1])[0]
    return moved


def deleted_rows(X: np.ndarray, indices: Sequence[int] | np.ndarray) -> np.ndarray:
    """``X`` without the rows ``indices``; the others keep their order."""
    keep = np.ones(X.shape[0], dtype=bool)
    keep[checked_indices(indices, X.shape[0])] = False
    return X[keep]
