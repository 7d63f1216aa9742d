"""``gmmviewer.show``: the window on an array, a data frame, a Dataset or a session, from a
script or a notebook.

What to show is worked out here, without Qt, so bad input fails with the usual one-line
:class:`~gmmviewer.core.errors.DataError` or :class:`~gmmviewer.core.errors.ParameterError`
before Qt is even imported; :mod:`gmmviewer.ui.show` then opens the window.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import DataError, ParameterError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.variational_state import PriorChoice

#: ``method``: maximum likelihood, or variational Bayes with scikit-learn's default priors
#: (the names ``gmmviewer fit --method`` uses).
METHODS = ("em", "vb")

#: The model arguments and their defaults: a session is shown as it is, so these must be
#: left at their defaults when ``data`` is a session.
MODEL_DEFAULTS: dict[str, Any] = {
    "n_components": 3,
    "covariance_type": "full",
    "init": "kmeans",
    "seed": 0,
    "params": None,
    "method": "em",
    "columns": None,
    "title": None,
}


def show(
    data: Any,
    n_components: int = 3,
    *,
    covariance_type: str = "full",
    init: str = "kmeans",
    seed: int | None = 0,
    params: GMMParams | None = None,
    method: str = "em",
    columns: Sequence[str] | None = None,
    block: bool | None = None,
    title: str | None = None,
) -> EMSession:
    """Open the gmmviewer window on ``data`` and return the session it shows.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features) or (n_samples,), Dataset or EMSession
        An array (or nested lists) of numbers; anything with ``to_numpy()`` (a pandas
        DataFrame or Series: its column names are used); a :class:`Dataset`; or an
        :class:`EMSession`, shown as it is and returned itself (leave the other
        arguments but ``block`` out).
    n_components : int, default 3
        K, unless ``params`` is given.
    covariance_type : {'full', 'diag', 'spherical', 'tied'}
    init : str
        Initialisation method (see ``gmmviewer.INIT_METHODS``).
    seed : int or None
        Seed of the initialisation.
    params : GMMParams, optional
        Start from these parameters (their K and covariance type win).
    method : {'em', 'vb'}
        Maximum likelihood, or variational Bayes with scikit-learn's default priors.
    columns : sequence of str, optional
        Names of the data's columns (default: a data frame's own, else x1, x2, ...).
    block : bool, optional
        True: run the window until it is closed, then return. False: show it and return
        at once (something else must turn the Qt event loop). None (default): block,
        unless IPython's Qt event loop integration (``%gui qt``) or a running Qt event
        loop will keep the window alive.
    title : str, optional
        What the title bar calls the data (default "data").

    Returns
    -------
    EMSession
        The session in the window: live, so steps, drags and edits made in the window
        show in it (``session.params``, ``session.history``) while the window is open
        and after it closes, and steps the notebook makes show in the window. The
        window never asks to save it on closing: the caller holds it (File > Save
        Session still saves it to a file). A data set or session opened in the window
        later replaces it on screen only; the returned session stays as it was left.

    Raises
    ------
    DataError
        For data that are not a non-empty table of finite numbers.
    ParameterError
        For an invalid model argument, or a model argument given with a session.
        Both are raised before any window opens.

    Examples
    --------
    In a notebook, after ``%gui qt``::

        session = gmmviewer.show(X, n_components=3)
        # ... step, drag and edit in the window ...
        session.params.means
    """
    session = session_from(
        data,
        n_components,
        covariance_type=covariance_type,
        init=init,
        seed=seed,
        params=params,
        method=method,
        columns=columns,
        title=title,
    )
    if block is not None and not isinstance(block, bool):
        raise ParameterError(f"block must be True, False or None, got {block!r}")
    # Qt is loaded only now that there is something valid to show.
    from gmmviewer.ui.show import show_session

    show_session(session, block)
    return session


def session_from(
    data: Any,
    n_components: int = 3,
    *,
    covariance_type: str = "full",
    init: str = "kmeans",
    seed: int | None = 0,
    params: GMMParams | None = None,
    method: str = "em",
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> EMSession:
    """The session :func:`show` opens the window on (same arguments, no window).

    Raises
    ------
    DataError, ParameterError
        With a one-line message, for bad data or model arguments.
    """
    if isinstance(data, EMSession):
        given = {
            "n_components": n_components,
            "covariance_type": covariance_type,
            "init": init,
            "seed": seed,
            "params": params,
            "method": method,
            "columns": columns,
            "title": title,
        }
        changed = [name for name, value in given.items() if not _is_default(name, value)]
        if changed:
            raise ParameterError(
                f"a session is shown as it is: leave out {', '.join(changed)} (they apply to data)"
            )
        return data
    _check_text("covariance_type", covariance_type)
    _check_text("init", init)
    if method not in METHODS:
        raise ParameterError(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
    if seed is not None and not _is_integer(seed):
        raise ParameterError(f"seed must be an integer or None, got {seed!r}")
    if params is None:
        if not _is_integer(n_components):
            raise ParameterError(
                f"the number of components must be a positive integer, got {n_components!r}"
            )
    elif not isinstance(params, GMMParams):
        raise ParameterError(
            f"params must be a GMMParams (see gmmviewer.load_params), got {type(params).__name__}"
        )
    elif n_components != MODEL_DEFAULTS["n_components"] and n_components != params.n_components:
        raise ParameterError(
            f"n_components = {n_components} but the parameters have {params.n_components} "
            "components (leave n_components out)"
        )
    if title is not None and not isinstance(title, str):
        raise ParameterError(f"title must be a string, got {type(title).__name__}")
    dataset = dataset_from(data, columns, title)
    return EMSession(
        dataset,
        int(n_components) if params is None else params.n_components,
        params=params,
        covariance_type=covariance_type,
        init=init,
        seed=None if seed is None else int(seed),
        variational=PriorChoice() if method == "vb" else None,
    )


def dataset_from(
    data: Any, columns: Sequence[str] | None = None, source: str | None = None
) -> Dataset:
    """A :class:`Dataset` of an array-like, a data frame (``to_numpy()``) or a Dataset.

    Parameters
    ----------
    data : array-like of shape (n_samples, n_features) or (n_samples,), or Dataset
    columns : sequence of str, optional
        Column names (default: a data frame's, a Dataset's, else x1, x2, ...).
    source : str, optional
        What the data are called (a Dataset keeps its own unless this is given).

    Raises
    ------
    DataError
        For anything but a non-empty table of finite numbers, or a wrong number of names.
    """
    names = None if columns is None else _column_names(columns)
    if isinstance(data, Dataset):
        changes: dict[str, Any] = {}
        if names is not None:
            changes["columns"] = names
        if source is not None:
            changes["source"] = source
        return replace(data, **changes) if changes else data
    if hasattr(data, "to_numpy") and not isinstance(data, np.ndarray):
        values = data.to_numpy()
        if names is None:
            names = _frame_column_names(data, np.ndim(values))
    else:
        values = data
    return Dataset(_numbers(values), columns=names or (), source=source or "")


def _numbers(values: Any) -> np.ndarray:
    """``values`` as a float array, or a DataError saying why they are not numbers."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        raise DataError("the data must be a rectangular table of numbers") from None
    kind = array.dtype.kind
    if kind == "c":
        raise DataError("the data are complex numbers: pass their real part (or abs)")
    if kind not in "biufO":
        raise DataError(f"the data must be numbers, got values of type {array.dtype}")
    try:
        return np.asarray(array, dtype=float)
    except (TypeError, ValueError):
        raise DataError("the data must be numbers: drop or convert non-numeric columns") from None


def _column_names(columns: Sequence[str]) -> tuple[str, ...]:
    if isinstance(columns, str) or not all(isinstance(name, str) for name in columns):
        raise DataError("columns must be a sequence of column names (strings)")
    return tuple(columns)


def _frame_column_names(frame: Any, ndim: int) -> tuple[str, ...] | None:
    """A data frame's column names, or a series' name (None when it has none)."""
    if ndim == 1:
        name = getattr(frame, "name", None)
        return None if name is None else (str(name),)
    labels = getattr(frame, "columns", None)
    if labels is None:
        return None
    return tuple(str(label) for label in labels)


def _is_default(name: str, value: object) -> bool:
    default = MODEL_DEFAULTS[name]
    return value is default or (isinstance(value, (str, int)) and value == default)


def _check_text(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise ParameterError(f"{name} must be a string, got {value!r}")


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
