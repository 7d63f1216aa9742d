"""The data sets of a session file whose history edits the data. Pure numpy; no Qt.

Version 2 of the session format (:mod:`~gmmviewer.core.files.sessions.session_file`) stores every
distinct data set of the history once. The first state's data set is the file's ``data``
entry, as in version 1 (embedded, or a reference to its CSV file); when it was itself
edited (an empty canvas), ``data.edited`` is true and it is embedded, possibly without
rows. Each other data set was made from it by editing rows
(:meth:`~gmmviewer.core.data.dataset.Dataset.with_rows`: same columns, normalisation and
true parameters), so only its rows are stored: the array ``data<i>_X`` and, in the
metadata's ``datasets`` list, ``{"n_samples": n}``. Each state names its data set by index
(``data``; 0 is the first), says whether its components are ``placed`` and, for a 'move
point', which ``point`` it moved. A version 1 file has one data set and placed states.

The checks here refuse, with one line naming the field, a data set of the wrong shape or
with non-finite values, a state's index out of range, a half-step or parameter edit that
changes the data, and unplaced states that record anything but placeholders.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import GMMViewerError, SessionFileError
from gmmviewer.core.files.sessions import variational_checks
from gmmviewer.core.files.sessions.fields import (
    SessionCheckError,
    _boolean,
    _field,
    _float_array,
    _integer,
    _list,
    _object,
)
from gmmviewer.core.files.sessions.history_checks import VERIFY_BUDGET
from gmmviewer.core.limits import MAX_COMPONENTS
from gmmviewer.core.session.history import DATA_ACTIONS, SessionState

#: Most data sets one session file may hold (a history edits the data at most this often).
MAX_DATASETS = 100_000


# ======================================================================== saving
def history_datasets(states: Sequence[SessionState]) -> tuple[list[Dataset], list[int]]:
    """The distinct data sets of ``states`` in order of first use, and each state's index.

    Raises
    ------
    SessionFileError
        When the data sets were not all made from the first by editing rows (they could
        not be stored as rows).
    """
    datasets: list[Dataset] = []
    index_of: dict[int, int] = {}
    indices = []
    for state in states:
        dataset = state.dataset
        if dataset is None:
            raise SessionFileError("cannot save: a history state records no data")
        if id(dataset) not in index_of:
            index_of[id(dataset)] = len(datasets)
            datasets.append(dataset)
        indices.append(index_of[id(dataset)])
    base = datasets[0]
    for dataset in datasets[1:]:
        same = (
            dataset.columns == base.columns
            and np.array_equal(dataset.offset, base.offset)
            and np.array_equal(dataset.scale, base.scale)
        )
        if not same:
            raise SessionFileError("cannot save: the history's data sets have different columns")
    return datasets, indices


def store_datasets(arrays: dict[str, np.ndarray], datasets: Sequence[Dataset]) -> list[dict]:
    """Put the rows of every data set but the first in ``arrays``; their metadata entries."""
    entries = []
    for index, dataset in enumerate(datasets[1:], start=1):
        arrays[f"data{index}_X"] = dataset.X
        entries.append({"n_samples": dataset.n_samples})
    return entries


def state_fields(state: SessionState, dataset_index: int) -> dict[str, Any]:
    """What a state's metadata entry says of its data."""
    return {"data": dataset_index, "placed": state.placed, "point": state.point}


# ======================================================================= opening
def check_datasets(
    document: dict[str, Any], contents: dict[str, np.ndarray], base: Dataset
) -> list[Dataset]:
    """Every data set of the file: ``base`` (the ``data`` entry), then the edited ones."""
    entries = _list(document.get("datasets", []), "datasets")
    if len(entries) >= MAX_DATASETS:
        raise SessionCheckError(f"datasets must list fewer than {MAX_DATASETS:,} data sets")
    datasets = [base]
    for position, entry in enumerate(entries, start=1):
        where = f"datasets[{position - 1}]"
        entry = _object(entry, where)
        n_samples = _integer(_field(entry, "n_samples", where), f"{where}.n_samples", 0, None)
        name = f"data{position}_X"
        X = _float_array(contents, name, 2)
        if X.shape != (n_samples, base.n_features):
            raise SessionCheckError(
                f"the array {name} must be {n_samples:,} x {base.n_features:,}, got "
                f"{' x '.join(f'{n:,}' for n in X.shape)}"
            )
        if not np.all(np.isfinite(X)):
            raise SessionCheckError(f"the array {name} holds NaN or infinity")
        try:
            datasets.append(base.with_rows(X))
        except GMMViewerError as error:
            raise SessionCheckError(f"the array {name}: {error}") from None
    return datasets


def attach_datasets(
    states: list[SessionState], document: dict[str, Any], datasets: list[Dataset]
) -> list[SessionState]:
    """``states`` (built from the checked metadata) with their data sets and placement.

    The metadata's ``states`` entries have been checked as objects already.
    """
    raw_states = document["states"]
    attached: list[SessionState] = []
    for index, (state, entry) in enumerate(zip(states, raw_states, strict=True)):
        where = f"states[{index}]"
        dataset = datasets[_integer(entry.get("data", 0), f"{where}.data", 0, len(datasets) - 1)]
        placed = _boolean(entry.get("placed", True), f"{where}.placed")
        point = _integer(entry.get("point"), f"{where}.point", 0, None, none=True)
        previous = attached[-1] if attached else None
        if previous is not None and state.action not in DATA_ACTIONS:
            if dataset is not previous.dataset:
                raise SessionCheckError(f"{where} is an {state.action} but changes the data")
        if point is not None and (state.action != "move point" or point >= dataset.n_samples):
            raise SessionCheckError(f"{where}.point is {point}, not a point it moved")
        k = state.params.n_components
        if placed:
            if not dataset.edited and k > dataset.n_samples:
                raise SessionCheckError(
                    f"{where} has {k} components, more than the {dataset.n_samples} data points"
                )
            attached.append(state.evolve(dataset=dataset, point=point))
            continue
        _check_unplaced(where, state, entry, dataset, k)
        attached.append(
            state.evolve(dataset=dataset, point=point, placed=False, log_likelihood=math.nan)
        )
    return attached


def _check_unplaced(
    where: str, state: SessionState, entry: dict[str, Any], dataset: Dataset, k: int
) -> None:
    """An unplaced state holds placeholders only, on fewer points than components."""
    recorded = (entry.get("log_likelihood"), state.elbo, state.resp_params, state.variational)
    if any(value is not None for value in recorded) or state.next_step != "E":
        raise SessionCheckError(f"{where} is unplaced but records a fit")
    if dataset.n_samples >= k:
        raise SessionCheckError(
            f"{where} is unplaced but its {dataset.n_samples} points could place {k} components"
        )
    if k > MAX_COMPONENTS:  # the parameter table's own check; repeated for clarity
        raise SessionCheckError(f"{where} has more than {MAX_COMPONENTS:,} components")


def verify_by_dataset(
    states: list[SessionState], position: int, dtype: str, budget: int = VERIFY_BUDGET
) -> None:
    """The history's recorded numbers against each state's own data (placed states).

    :func:`variational_checks.verify_history
    <gmmviewer.core.files.sessions.variational_checks.verify_history>` for the states of
    each data set in turn (the current state's data set first, with half the budget);
    its messages name entries of the whole history.
    """
    groups: dict[int, list[int]] = {}
    for index, state in enumerate(states):
        if state.placed:
            assert state.dataset is not None
            groups.setdefault(id(state.dataset), []).append(index)
    ordered = sorted(groups.values(), key=lambda members: position not in members)
    for rank, members in enumerate(ordered):
        share = budget // 2 if rank == 0 else budget // (2 * max(1, len(ordered) - 1))
        local = [states[i] for i in members]
        dataset = local[0].dataset
        assert dataset is not None
        current = members.index(position) if position in members else len(members) - 1
        try:
            variational_checks.verify_history(local, current, dataset.X, budget=share, dtype=dtype)
        except SessionCheckError as error:
            raise SessionCheckError(_global_entries(str(error), members)) from None


def _global_entries(message: str, members: list[int]) -> str:
    """``message`` with the entries of one data set's states numbered in the whole history."""

    def number(match: re.Match[str]) -> str:
        return str(members[int(match.group(0))])

    return re.sub(
        r"(?<=entry )\d+|(?<=entries )\d+|(?<= and )\d+(?= record)",
        number,
        message,
    )
