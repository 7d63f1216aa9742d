"""Session files keep histories that edit the data: every data set once, each state's own,
unplaced components, and the data file referenced when embedding is off. Files of the
first version still open; tampered data-edit fields are refused with one line."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from hostile import SavedSession
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import SessionFileError
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.sessions.session_file import load_session, save_session
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.variational_state import PriorChoice

FIXTURES = Path(__file__).parent / "fixtures"


def edited_session() -> EMSession:
    """EM and variational fits with every kind of data edit, ending one undo back."""
    session = EMSession(make_preset("lecture", 80, seed=3), 3, seed=2)
    session.step()
    session.e_step()
    session.add_points(np.array([[0.0, 0.0], [1.0, 2.0]]))
    session.m_step()
    session.move_point(4, np.array([2.0, 2.0]), merge=True)
    session.move_point(4, np.array([2.5, 2.0]), merge=True)
    session.step()
    session.switch_method(PriorChoice())
    session.step()
    session.delete_points([0, 1, 2])
    session.step()
    session.switch_method(None)
    session.clear_data()
    for point in ([0.0, 0.0], [4.0, 0.0], [0.0, 4.0]):
        session.add_points(np.array([point]))
    session.add_points(np.random.default_rng(0).normal(2.0, 1.0, size=(20, 2)))
    session.step()
    session.undo()
    return session


def assert_same_history(a: EMSession, b: EMSession) -> None:
    assert len(a.history) == len(b.history) and a.position == b.position
    shared_a, shared_b = {}, {}
    for index, (left, right) in enumerate(zip(a.history, b.history, strict=True)):
        np.testing.assert_array_equal(left.dataset.X, right.dataset.X)
        assert left.dataset.columns == right.dataset.columns
        assert left.dataset.edited == right.dataset.edited
        # Data sets shared by states are shared again, so none is stored twice.
        assert shared_a.setdefault(id(left.dataset), index) == shared_b.setdefault(
            id(right.dataset), index
        )
        assert left.params.equals(right.params)
        assert (left.resp_params is None) == (right.resp_params is None)
        for name in ("action", "description", "next_step", "iteration", "run_start"):
            assert getattr(left, name) == getattr(right, name), (index, name)
        for name in ("placed", "point", "component", "converged", "method", "elbo"):
            assert getattr(left, name) == getattr(right, name), (index, name)
        ll_a, ll_b = left.log_likelihood, right.log_likelihood
        assert ll_a == ll_b or (math.isnan(ll_a) and math.isnan(ll_b)), index


def scipy_log_likelihood(X: np.ndarray, params) -> float:
    covariances = params.full_covariances()
    columns = [
        np.log(params.weights[k])
        + multivariate_normal(params.means[k], covariances[k]).logpdf(X).reshape(-1)
        for k in range(params.n_components)
    ]
    return float(logsumexp(np.column_stack(columns), axis=1).sum())


def test_round_trip_of_a_history_that_edits_the_data(tmp_path):
    session = edited_session()
    path = tmp_path / "edits.gmmv"
    save_session(path, session, view={"dims": [0, 1]})
    with np.load(path) as archive:
        meta = json.loads(str(archive["meta"]))
        names = set(archive.files)
    distinct = {id(state.dataset) for state in session.history}
    assert meta["version"] == 2 and len(meta["datasets"]) == len(distinct) - 1
    assert {f"data{i}_X" for i in range(1, len(distinct))} <= names
    opened = load_session(path)
    restored = opened.session
    assert_same_history(session, restored)
    assert opened.view == {"dims": [0, 1]}
    np.testing.assert_allclose(restored.responsibilities, session.responsibilities, rtol=1e-12)
    # Every state's recorded NLL is that of its own data.
    for state in restored.history:
        if state.placed and state.method == "em":
            expected = scipy_log_likelihood(state.dataset.X, state.params)
            assert state.log_likelihood == pytest.approx(expected, rel=1e-10)
    # Both go on identically, through the redo and from an unplaced entry.
    for copy in (session, restored):
        copy.redo()
        copy.run()
    assert restored.params.equals(session.params)
    cleared = [state.action for state in session.history].index("clear data")
    for copy in (session, restored):
        copy.go_to(cleared)
        assert not copy.placed
        copy.add_points(np.eye(2)[None, 0] * 3)
    np.testing.assert_array_equal(restored.X, session.X)


def test_an_empty_canvas_round_trips(tmp_path):
    session = EMSession.empty(("width", "height"), 4, covariance_type="spherical", seed=5)
    path = tmp_path / "empty.gmmv"
    save_session(path, session)
    restored = load_session(path).session
    assert restored.n_samples == 0 and not restored.placed and restored.n_components == 4
    assert restored.dataset.columns == ("width", "height") and restored.dataset.edited
    assert restored.covariance_type == "spherical" and restored.seed == 5
    session.add_points(np.arange(6.0).reshape(3, 2))
    save_session(path, session)
    restored = load_session(path).session
    assert_same_history(session, restored)
    restored.add_points(np.array([[7.0, 1.0]]))
    assert restored.placed and restored.can_step


def test_a_history_without_data_edits_is_written_as_version_1(tmp_path):
    session = EMSession(make_preset("lecture", 80, seed=3), 2, seed=2)
    session.run(max_half_steps=3)
    path = tmp_path / "plain.gmmv"
    save_session(path, session)
    with np.load(path) as archive:
        meta = json.loads(str(archive["meta"]))
    assert meta["version"] == 1 and "datasets" not in meta
    assert all("data" not in entry and "placed" not in entry for entry in meta["states"])


@pytest.mark.parametrize(
    ("name", "length", "position", "description", "log_likelihood"),
    [
        ("session_v1_em.gmmv", 12, 10, "E-step 4", -264.74990507703944),
        ("session_v1_vb.gmmv", 8, 7, "M-step 3", -58.80352490825271),
    ],
)
def test_version_1_files_still_open(tmp_path, name, length, position, description, log_likelihood):
    """Files written by the release before data edits (kept in tests/core/fixtures)."""
    opened = load_session(FIXTURES / name)
    session = opened.session
    assert len(session.history) == length and session.position == position
    assert session.state.description == description
    assert session.log_likelihood == pytest.approx(log_likelihood, rel=1e-12)
    assert session.n_samples == 60 and all(state.placed for state in session.history)
    assert all(state.dataset is session.dataset for state in session.history)
    assert session.trace(0, length).segment.tolist() == [0] * length
    # They carry on, can be edited and saved again (now as version 2).
    session.add_points(np.array([[0.0, 0.0]]))
    session.step()
    save_session(tmp_path / "again.gmmv", session)
    assert_same_history(session, load_session(tmp_path / "again.gmmv").session)


def test_data_by_reference_with_edits_embeds_only_the_edited_rows(tmp_path, faithful_path):
    data = tmp_path / "faithful.csv"
    shutil.copy(faithful_path, data)
    session = EMSession(load_csv(data, normalize=True), 2, seed=0)
    session.step()
    session.delete_points(range(200, 272))
    session.add_points(np.array([[0.0, 0.0]]))
    session.step()
    path = tmp_path / "faithful.gmmv"
    save_session(path, session, embed_data=False)
    with np.load(path) as archive:
        meta = json.loads(str(archive["meta"]))
        names = set(archive.files)
    assert meta["data"]["mode"] == "file" and "X" not in names
    assert {"data1_X", "data2_X"} <= names
    opened = load_session(path)
    assert not opened.data_embedded
    assert_same_history(session, opened.session)
    assert opened.session.dataset.normalized and opened.session.n_samples == 201
    # The original data are still checked against their file.
    data.write_text(data.read_text().replace("3.6,79", "3.7,79", 1))
    with pytest.raises(SessionFileError, match="has changed since faithful.gmmv was saved"):
        load_session(path)


def test_edited_data_alone_are_never_referenced(tmp_path, faithful_path):
    data = tmp_path / "faithful.csv"
    shutil.copy(faithful_path, data)
    session = EMSession(load_csv(data), 2, seed=0)
    session.clear_data()
    # The first state's data are the file's; a session that starts from edited data
    # (a restored copy of the current state) embeds them.
    copy = EMSession.restore(session.dataset, [session.state], 0, session.fit_settings())
    path = tmp_path / "copy.gmmv"
    save_session(path, copy, embed_data=False)
    opened = load_session(path)
    assert opened.data_embedded and opened.session.n_samples == 0


# ================================================================== tampering
@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> SavedSession:
    return SavedSession(tmp_path_factory.mktemp("edits"), edited_session())


def refused(path, *fragments: str) -> str:
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def index_of(saved: SavedSession, action: str) -> int:
    return next(i for i, entry in enumerate(saved.meta["states"]) if entry["action"] == action)


def test_the_untampered_file_opens(saved):
    assert_same_history(saved.session, load_session(saved.path).session)


def test_tampered_dataset_indices_are_refused(saved, tmp_path):
    path = tmp_path / "bad.gmmv"
    n = len(saved.meta["datasets"]) + 1

    def out_of_range(meta):
        meta["states"][3]["data"] = n

    refused(saved.write(path, meta=out_of_range), "states[3].data", f"0 to {n - 1}")

    def m_step_changes_data(meta):
        meta["states"][index_of(saved, "m-step")]["data"] = 1

    refused(saved.write(path, meta=m_step_changes_data), "is an m-step but changes the data")

    def not_a_number(meta):
        meta["states"][0]["data"] = "0"

    refused(saved.write(path, meta=not_a_number), "states[0].data must be a whole number")


def test_tampered_data_arrays_are_refused(saved, tmp_path):
    path = tmp_path / "bad.gmmv"

    def wrong_shape(arrays):
        arrays["data1_X"] = arrays["data1_X"][:-1]

    refused(saved.write(path, arrays=wrong_shape), "data1_X", "must be")

    def nan(arrays):
        bad = arrays["data2_X"].copy()
        bad[0, 0] = np.nan
        arrays["data2_X"] = bad

    refused(saved.write(path, arrays=nan), "data2_X", "NaN")

    def missing(arrays):
        del arrays["data1_X"]

    refused(saved.write(path, arrays=missing), "data1_X is missing")

    def three_columns(arrays):
        arrays["data1_X"] = np.zeros((arrays["data1_X"].shape[0], 3))

    refused(saved.write(path, arrays=three_columns), "data1_X")

    def not_the_data(meta_arrays):
        moved = meta_arrays["data1_X"].copy()
        moved[0] += 0.5
        meta_arrays["data1_X"] = moved

    # The entries of data set 1 are checked from its last (as the current state's are);
    # the message names it in the whole history.
    last = max(i for i, e in enumerate(saved.meta["states"]) if e.get("data") == 1)
    assert last > 1
    refused(saved.write(path, arrays=not_the_data), "does not match its data", f"entry {last}")


def test_tampered_placement_and_points_are_refused(saved, tmp_path):
    path = tmp_path / "bad.gmmv"
    cleared = index_of(saved, "clear data")

    def unplaced_with_a_fit(meta):
        meta["states"][cleared]["log_likelihood"] = -12.5

    refused(saved.write(path, meta=unplaced_with_a_fit), f"states[{cleared}] is unplaced")

    def placed_without_points(meta):
        meta["states"][cleared]["placed"] = True

    refused(saved.write(path, meta=placed_without_points))

    def unplaced_with_enough_points(meta):
        meta["states"][1]["placed"] = False
        meta["states"][1]["log_likelihood"] = None
        meta["states"][1]["elbo"] = None
        meta["states"][1]["resp_params"] = None
        meta["states"][1]["next_step"] = "E"
        meta["states"][1]["action"] = "add points"

    refused(saved.write(path, meta=unplaced_with_enough_points), "states[1] is unplaced")

    def wrong_point(meta):
        meta["states"][index_of(saved, "move point")]["point"] = 10_000

    refused(saved.write(path, meta=wrong_point), ".point is 10000")

    def point_on_a_step(meta):
        meta["states"][1]["point"] = 0

    refused(saved.write(path, meta=point_on_a_step), "states[1].point")

    def edited_by_reference(meta):
        meta["data"]["edited"] = True
        meta["data"]["mode"] = "file"

    refused(saved.write(path, meta=edited_by_reference), "data.mode")

    def count_mismatch(meta):
        meta["datasets"][0]["n_samples"] += 1

    refused(saved.write(path, meta=count_mismatch), "data1_X")
