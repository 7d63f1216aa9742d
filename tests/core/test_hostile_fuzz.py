"""Fuzzing the file readers: whatever the bytes, a result or one line of the reader's error.

CSV text, parameter files (JSON documents, NPZ bytes) and session metadata are generated
or mutated at random. The suite turns warnings into errors, so a numpy warning fails
here too. Each property runs a bounded number of examples (the whole module takes well
under a minute).
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hostile import SavedSession
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmmviewer.core.errors import DataError, GMMViewerError, ParameterFileError, SessionFileError
from gmmviewer.core.files.csv_reader import load_csv, sniff_csv
from gmmviewer.core.files.paramfile import load_params, save_params
from gmmviewer.core.files.sessions.session_file import load_session
from gmmviewer.core.params import GMMParams

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PARAMS = GMMParams(
    [0.25, 0.75], [[0.0, 1.0], [2.0, -1.0]], [np.eye(2), [[2.0, 0.5], [0.5, 1.0]]], "full"
)

# Characters that matter to the CSV reader, and some that should not be there at all.
CSV_ALPHABET = list('0123456789.,;\t \n\r"#-+eE_aNnA?') + ["\x00", "\x01", "\x1a", "é", "\u0661"]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


def one_line(error: BaseException, kind: type[GMMViewerError]) -> None:
    assert isinstance(error, kind), repr(error)
    message = str(error)
    assert message and "\n" not in message and "\r" not in message, message


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


# ========================================================================= CSV
@FUZZ
@given(
    content=st.text(alphabet=CSV_ALPHABET, max_size=300).map(lambda t: t.encode("utf-8"))
    | st.binary(max_size=300)
)
def test_any_csv_text_loads_or_gives_one_line(folder, content):
    path = folder / "fuzz.csv"
    path.write_bytes(content)
    for read in (lambda: load_csv(path), lambda: sniff_csv(path), lambda: load_csv(path, [0])):
        try:
            result = read()
        except DataError as error:
            one_line(error, DataError)
            continue
        if hasattr(result, "X"):
            assert result.X.ndim == 2 and np.isfinite(result.X).all()
            assert result.X.shape[1] == len(result.columns)


# ============================================================= parameter files
def _document() -> dict[str, Any]:
    return {
        "format": "gmmviewer-params",
        "version": 1,
        "covariance_type": "full",
        "n_components": 2,
        "n_features": 2,
        "columns": ["a", "b"],
        "weights": PARAMS.weights.tolist(),
        "means": PARAMS.means.tolist(),
        "covariances": PARAMS.full_covariances().tolist(),
        "log_likelihood": -10.0,
        "n_iter": 3,
        "converged": True,
        "n_samples": 20,
        "source": "x.csv",
    }


FIELDS = [*_document(), "extra"]


@FUZZ
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(FIELDS), st.none() | json_values), min_size=1, max_size=3
    ),
    delete=st.booleans(),
)
def test_any_parameter_json_loads_or_gives_one_line(folder, changes, delete):
    document = _document()
    for key, value in changes:
        if delete and value is None:
            document.pop(key, None)
        else:
            document[key] = value
    path = folder / "fuzz.json"
    path.write_text(json.dumps(document, allow_nan=True), encoding="utf-8")
    try:
        loaded = load_params(path)
    except ParameterFileError as error:
        one_line(error, ParameterFileError)
    else:
        loaded.params.validate()
        assert len(loaded.columns) == loaded.params.n_features


@FUZZ
@given(text=st.text(max_size=200))
def test_any_text_as_parameter_json_loads_or_gives_one_line(folder, text):
    path = folder / "raw.json"
    path.write_text(text, encoding="utf-8")
    try:
        load_params(path)
    except ParameterFileError as error:
        one_line(error, ParameterFileError)


@pytest.fixture(scope="module")
def npz_bytes(folder) -> bytes:
    path = folder / "good.npz"
    save_params(path, PARAMS, log_likelihood=-3.0, source="x")
    return path.read_bytes()


@FUZZ
@given(data=st.data())
def test_any_damage_to_an_npz_loads_or_gives_one_line(folder, npz_bytes, data):
    raw = bytearray(npz_bytes)
    for _ in range(data.draw(st.integers(1, 6))):
        where = data.draw(st.integers(0, len(raw) - 1))
        raw[where] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    path = folder / "fuzz.npz"
    path.write_bytes(bytes(raw[:cut]))
    try:
        load_params(path)
    except ParameterFileError as error:
        one_line(error, ParameterFileError)


# ============================================================ session metadata
@pytest.fixture(scope="module")
def saved(folder) -> SavedSession:
    return SavedSession(folder)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON document, as a tuple of keys and indices."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _replace(document: Any, path: tuple, value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return document


@FUZZ
@given(data=st.data())
def test_any_session_metadata_loads_or_gives_one_line(folder, saved, data):
    places = _paths(saved.meta)
    changes = data.draw(
        st.lists(st.tuples(st.sampled_from(places), json_values, st.booleans()), max_size=3)
    )

    def mutate(meta: dict[str, Any]) -> None:
        document: Any = meta
        for place, value, delete in changes:
            try:
                document = _replace(document, place, copy.deepcopy(value), delete)
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed this place
        meta.clear()
        meta.update(document if isinstance(document, dict) else {"broken": document})

    path = saved.write(folder / "fuzz.gmmv", meta=mutate)
    try:
        opened = load_session(path)
    except SessionFileError as error:
        one_line(error, SessionFileError)
        return
    session = opened.session
    # What loaded is usable and shows the data's own numbers.
    assert math.isfinite(session.state.log_likelihood) or session.state.log_likelihood == -math.inf
    try:
        session.step()
        session.undo()
    except GMMViewerError as error:
        one_line(error, GMMViewerError)


@FUZZ
@given(data=st.data())
def test_any_damage_to_a_session_archive_loads_or_gives_one_line(folder, saved, data):
    raw = bytearray(saved.path.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, len(raw) - 1))
        raw[where] = data.draw(st.integers(0, 255))
    path = folder / "damaged.gmmv"
    path.write_bytes(bytes(raw[: data.draw(st.integers(1, len(raw)))]))
    try:
        load_session(path)
    except SessionFileError as error:
        one_line(error, SessionFileError)
