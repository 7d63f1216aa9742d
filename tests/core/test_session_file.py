"""Saved sessions reopen identical: data, parameters, settings, the whole history."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import SessionFileError
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.sessions.session_file import load_session, save_session
from gmmviewer.core.session.em_session import EMSession


def assert_same_session(a: EMSession, b: EMSession) -> None:
    assert len(a.history) == len(b.history)
    assert a.position == b.position
    for left, right in zip(a.history, b.history, strict=True):
        assert left.params.equals(right.params)
        assert (left.resp_params is None) == (right.resp_params is None)
        if left.resp_params is not None:
            assert left.resp_params.equals(right.resp_params)
        for name in (
            "action",
            "description",
            "next_step",
            "iteration",
            "run_start",
            "converged",
            "status",
            "component",
        ):
            assert getattr(left, name) == getattr(right, name), name
        assert left.log_likelihood == right.log_likelihood
        assert left.elbo == right.elbo
        assert left.lower_bound == right.lower_bound
        assert left.previous_lower_bound == right.previous_lower_bound
    assert a.fit_settings() == b.fit_settings()
    np.testing.assert_array_equal(a.X, b.X)
    assert a.dataset.columns == b.dataset.columns


def test_round_trip_of_a_generated_session_with_edits_and_undo(tmp_path):
    session = EMSession(
        make_preset("lecture", 300, seed=2),
        3,
        init="random-means",
        seed=4,
        tol=1e-4,
        max_iter=50,
        reg_covar=1e-5,
    )
    session.run(max_half_steps=7)
    session.move_mean(0, [1.0, 1.0])
    session.step()
    session.add_component([0.0, 3.0])
    session.step()
    session.undo()
    session.undo()
    path = tmp_path / "lesson.gmmv"
    save_session(path, session, view={"dims": [0, 1], "theme": "dark"})
    opened = load_session(path)
    restored = opened.session
    assert_same_session(session, restored)
    assert opened.view == {"dims": [0, 1], "theme": "dark"}
    np.testing.assert_array_equal(restored.dataset.labels, session.dataset.labels)
    assert restored.dataset.truth.equals(session.dataset.truth)
    if session.responsibilities is None:
        assert restored.responsibilities is None
    else:
        np.testing.assert_allclose(restored.responsibilities, session.responsibilities, rtol=1e-12)
    # The restored session goes on exactly like the original.
    session.redo()
    restored.redo()
    session.run()
    restored.run()
    assert restored.params.equals(session.params)


def test_shared_parameters_are_stored_once(tmp_path):
    session = EMSession(make_preset("lecture", 200, seed=0), 3, seed=1)
    session.run()
    path = tmp_path / "s.gmmv"
    save_session(path, session)
    with np.load(path) as archive:
        n_tables = sum(
            1 for key in archive.files if key.endswith("_weights") and key.startswith("p")
        )
    distinct = {id(state.params) for state in session.history}
    assert n_tables == len(distinct) < len(session.history)


def test_normalised_csv_data_by_reference(tmp_path, faithful_path):
    data = tmp_path / "faithful.csv"
    shutil.copy(faithful_path, data)
    session = EMSession(load_csv(data, normalize=True), 2, seed=0)
    session.run()
    path = tmp_path / "faithful.gmmv"
    save_session(path, session, embed_data=False)
    opened = load_session(path)
    assert not opened.data_embedded
    assert_same_session(session, opened.session)
    assert opened.session.dataset.normalized
    # Editing the data file afterwards is caught.
    data.write_text(data.read_text().replace("3.6,79", "3.7,79", 1))
    with pytest.raises(SessionFileError, match="has changed since faithful.gmmv was saved"):
        load_session(path)
    data.unlink()
    with pytest.raises(SessionFileError, match="data file of faithful.gmmv is missing"):
        load_session(path)


def test_referenced_data_moved_beside_the_session_is_found(tmp_path, faithful_path):
    first = tmp_path / "a"
    first.mkdir()
    shutil.copy(faithful_path, first / "faithful.csv")
    session = EMSession(load_csv(first / "faithful.csv"), 2, seed=0)
    save_session(first / "s.gmmv", session, embed_data=False)
    moved = tmp_path / "b"
    first.rename(moved)
    assert load_session(moved / "s.gmmv").session.n_samples == 272


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "not a gmmviewer session"),
        (b"PK\x03\x04 this is not really a zip", "not a gmmviewer session"),
        (b"\x00" * 100, "not a gmmviewer session"),
    ],
)
def test_corrupt_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.gmmv"
    path.write_bytes(content)
    with pytest.raises(SessionFileError, match=message):
        load_session(path)


def test_other_archives_and_versions_are_refused(tmp_path):
    path = tmp_path / "other.gmmv"

    def write(**arrays):
        with open(path, "wb") as stream:  # np.savez would append .npz to a name
            np.savez(stream, **arrays)

    write(meta=np.array('{"format": "something-else"}'))
    with pytest.raises(SessionFileError, match="not a gmmviewer session"):
        load_session(path)
    write(meta=np.array('{"format": "gmmviewer-session", "version": 99}'))
    with pytest.raises(SessionFileError, match="version 99"):
        load_session(path)
    session = EMSession(make_preset("lecture", 100, seed=0), 2, seed=0)
    good = tmp_path / "good.gmmv"
    save_session(good, session)
    with np.load(good) as archive:
        contents = {key: archive[key] for key in archive.files}
    del contents["p0_means"]
    write(**contents)
    with pytest.raises(SessionFileError, match="damaged"):
        load_session(path)


def test_missing_file_and_unwritable_path(tmp_path):
    with pytest.raises(SessionFileError, match="no such file"):
        load_session(tmp_path / "nothing.gmmv")
    session = EMSession(make_preset("lecture", 100, seed=0), 2, seed=0)
    with pytest.raises(SessionFileError, match="cannot write"):
        save_session(tmp_path / "missing" / "s.gmmv", session)
