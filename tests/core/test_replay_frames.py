"""The replay page's frames: one per history entry, the window's colours, shared q, samples."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from oracles import sklearn_model
from replay_pages import demo_session

from gmmviewer.core.colours import NEUTRAL_GREY, OKABE_ITO, blend, component_colours
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.files.sessions.session_file import load_session, save_session
from gmmviewer.core.replay.frames import MAX_POINTS, _state_data, replay_frames
from gmmviewer.core.session.em_session import EMSession


@pytest.fixture(scope="module")
def demo():
    return demo_session()


def by_hand_colours(X: np.ndarray, params) -> np.ndarray:
    """Responsibilities from scikit-learn, blended by hand: sum_k r_nk colour_k, rounded."""
    resp = sklearn_model(params, X.shape[1]).predict_proba(X)
    palette = np.array(OKABE_ITO[: params.n_components], dtype=float)
    return resp @ palette


def test_there_is_one_frame_per_history_entry_with_its_numbers(demo):
    replay = replay_frames(demo)
    history = demo.history
    assert len(replay.frames) == len(history) > 20
    assert [f.entry for f in replay.frames] == list(range(len(history)))
    for frame, state in zip(replay.frames, history, strict=True):
        assert frame.nll == -state.log_likelihood
        assert frame.description == state.description and frame.action == state.action
        assert frame.iteration == state.iteration and frame.next_step == state.next_step
        np.testing.assert_array_equal(frame.weights, state.params.weights)
        np.testing.assert_array_equal(frame.means, state.params.means[:, [0, 1]])
        np.testing.assert_array_equal(frame.covariances, state.params.covariances)
        # The NLL curve's x: the iteration, plus a half after an E-step.
        assert frame.x == state.iteration + (0.5 if state.next_step == "M" else 0.0)
    assert replay.columns == ("x1", "x2") and replay.dims == (0, 1)
    assert replay.note == "" and replay.position == demo.position


def test_point_colours_are_the_windows_blend_of_the_responsibilities(demo):
    replay = replay_frames(demo)
    X = demo.X
    points = replay.point_sets[0]
    np.testing.assert_array_equal(points.coordinates, X)
    assert replay.frames[0].colours is None  # before the first E-step: neutral grey
    for frame, state in zip(replay.frames[1:], demo.history[1:], strict=True):
        rgb = replay.colour_sets[frame.colours].rgb
        assert rgb.dtype == np.uint8 and rgb.shape == (demo.n_samples, 3)
        expected = by_hand_colours(X, state.resp_params)
        # Rounding of float32 sums may move a channel by one level, never more.
        assert np.max(np.abs(rgb - expected)) <= 0.5 + 1e-3
    # ...and what the window itself computes for a state it moves to.
    copy = EMSession.restore(demo.dataset, list(demo.history), 0, demo.fit_settings())
    for index in (1, 6, len(demo.history) - 1):
        copy.go_to(index)
        shown = blend(copy.responsibilities, component_colours(3), copy.n_samples)
        np.testing.assert_array_equal(replay.colour_sets[replay.frames[index].colours].rgb, shown)
    np.testing.assert_array_equal(replay.palette, np.array(OKABE_ITO[:3], dtype=np.uint8))
    assert NEUTRAL_GREY == (150, 150, 150)


def test_an_m_step_shares_the_colours_of_the_e_step_before_it(demo):
    replay = replay_frames(demo)
    frames = replay.frames
    for previous, frame in zip(frames, frames[1:], strict=False):
        if frame.action == "m-step":
            assert frame.colours == previous.colours
        elif frame.action == "e-step":
            assert frame.colours != previous.colours
    e_steps = sum(state.action == "e-step" for state in demo.history)
    assert len(replay.colour_sets) == e_steps


def test_a_saved_and_opened_session_still_shares_its_colours(demo, tmp_path):
    path = tmp_path / "demo.gmmv"
    save_session(path, demo)
    opened = load_session(path).session
    replay = replay_frames(opened)
    assert len(replay.colour_sets) == sum(s.action == "e-step" for s in opened.history)


def test_large_data_are_subsampled_and_the_page_says_so():
    session = EMSession(make_preset("lecture", n_samples=MAX_POINTS + 5000, seed=1), 3, seed=0)
    session.step()
    replay = replay_frames(session)
    points = replay.point_sets[0]
    assert points.n_total == MAX_POINTS + 5000 and points.rows.size == MAX_POINTS
    assert np.all(np.diff(points.rows) > 0)  # distinct rows, in the data's order
    np.testing.assert_array_equal(points.coordinates, session.X[points.rows])
    assert "20,000" in replay.note and "25,000" in replay.note
    # The sampled points keep the colours they have in the full fit.
    rgb = replay.colour_sets[replay.frames[-1].colours].rgb
    full = blend(session.responsibilities, component_colours(3), session.n_samples)
    np.testing.assert_array_equal(rgb, full[points.rows])
    # Exactly MAX_POINTS points are not sampled.
    exact = EMSession(make_preset("lecture", n_samples=MAX_POINTS, seed=1), 3, seed=0)
    assert replay_frames(exact).note == ""
    assert replay_frames(exact).point_sets[0].rows.size == MAX_POINTS
    small = replay_frames(session, max_points=300)
    assert small.point_sets[0].rows.size == 300 and "300" in small.note


def test_the_shown_columns_can_be_chosen_and_one_column_works():
    dataset = make_preset("lecture", n_samples=200, seed=0)
    extended = Dataset(np.column_stack([dataset.X, dataset.X[:, 0] * 2]), ("a", "b", "c"))
    session = EMSession(extended, 2, seed=0)
    session.step()
    replay = replay_frames(session, dims=(2, 0))
    assert replay.columns == ("c", "a")
    np.testing.assert_array_equal(replay.point_sets[0].coordinates, extended.X[:, [2, 0]])
    full = session.params.full_covariances()
    np.testing.assert_array_equal(replay.frames[-1].covariances[0], full[0][np.ix_([2, 0], [2, 0])])
    one = replay_frames(session, dims=(1,))
    assert one.frames[-1].means.shape == (2, 1) and one.frames[-1].covariances.shape == (2, 1, 1)
    one_column = EMSession(make_preset("bimodal-1d", n_samples=100, seed=0), 2, seed=0)
    assert replay_frames(one_column).dims == (0,)
    for bad in ((0, 0), (0, 1, 2), (5,), ()):
        with pytest.raises(ParameterError):
            replay_frames(session, dims=bad)
    with pytest.raises(ParameterError):
        replay_frames(session, max_points=0)


def test_each_entry_uses_its_own_data_and_each_data_set_is_stored_once(demo):
    """States that carry other data (the data edited along the history) refer to it."""
    fields = {f.name for f in dataclasses.fields(type(demo.state))}
    if "dataset" not in fields:
        pytest.skip("states do not carry their data set yet")
    moved = demo.dataset.with_rows(demo.X + np.array([0.5, -0.25]))
    states = list(demo.history)
    half = len(states) // 2
    states = states[:half] + [s.evolve(dataset=moved) for s in states[half:]]
    session = EMSession.restore(demo.dataset, states, len(states) - 1, demo.fit_settings())
    assert _state_data(session, 0) is demo.dataset.X
    assert _state_data(session, half) is moved.X
    replay = replay_frames(session)
    assert len(replay.point_sets) == 2
    assert [f.points for f in replay.frames] == [0] * half + [1] * (len(states) - half)
    np.testing.assert_array_equal(replay.point_sets[1].coordinates, moved.X)
    last = states[-1]
    rgb = replay.colour_sets[replay.frames[-1].colours].rgb
    assert np.max(np.abs(rgb - by_hand_colours(moved.X, last.resp_params))) <= 0.5 + 1e-3
    # The curve breaks where the data changed.
    assert replay.frames[half].segment == replay.frames[half - 1].segment + 1


def test_a_variational_fit_shows_its_own_responsibilities_and_the_bound():
    from gmmviewer.core.session.variational_state import PriorChoice

    session = EMSession(
        make_preset("lecture", n_samples=300, seed=0), 5, seed=0, variational=PriorChoice()
    )
    for _ in range(4):
        session.step()
    replay = replay_frames(session)
    assert {f.objective for f in replay.frames} == {"-ELBO"}
    assert [f.nll for f in replay.frames] == [-s.log_likelihood for s in session.history]
    copy = EMSession.restore(session.dataset, list(session.history), 0, session.fit_settings())
    for index in range(1, len(session.history)):
        copy.go_to(index)
        shown = blend(copy.responsibilities, component_colours(5), copy.n_samples)
        np.testing.assert_array_equal(replay.colour_sets[replay.frames[index].colours].rgb, shown)
