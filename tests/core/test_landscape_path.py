"""The paths the means took during a run: one point per M-step, edits included, the
current mean last; and the landscape's independence of the moving mean's own position."""

from __future__ import annotations

import numpy as np
import pytest

from gmmviewer.core.analysis.landscape import LandscapeSpec, mean_landscape
from gmmviewer.core.analysis.landscape_path import mean_path, pair_path
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.session.em_session import EMSession


@pytest.fixture
def demo_session() -> EMSession:
    dataset = make_preset("lecture", n_samples=600, seed=0)
    return EMSession(dataset, 3, init="random-means", seed=0)


def test_the_path_has_the_start_then_one_point_per_m_step(demo_session):
    start = np.array(demo_session.params.means[1])
    seen = [start]
    for _ in range(3):
        demo_session.step()
        seen.append(np.array(demo_session.params.means[1]))
    path = mean_path(demo_session, 1)
    np.testing.assert_array_equal(path.points, np.array(seen))
    assert path.after_m_step.tolist() == [False, True, True, True]
    np.testing.assert_array_equal(path.current, demo_session.params.means[1])


def test_the_path_follows_the_history_position_and_edits(demo_session):
    demo_session.step()
    demo_session.step()
    demo_session.undo()  # back to the E-step of iteration 2
    demo_session.undo()  # back to after M-step 1
    assert len(mean_path(demo_session, 0).points) == 2
    demo_session.move_mean(0, np.array([1.5, -2.0]))
    path = mean_path(demo_session, 0)
    np.testing.assert_array_equal(path.current, [1.5, -2.0])
    assert path.after_m_step.tolist() == [False, True, False]


def test_a_new_run_starts_a_new_path(demo_session):
    demo_session.step()
    demo_session.reinitialize(seed=4)
    path = mean_path(demo_session, 2)
    assert len(path.points) == 1
    np.testing.assert_array_equal(path.current, demo_session.params.means[2])


def test_the_pair_path_pairs_the_two_means_in_one_column():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-2, 1, 200), rng.normal(2, 1, 200)]).reshape(-1, 1)
    session = EMSession(X, 2, init="random-means", seed=1)
    session.step()
    session.step()
    path = pair_path(session)
    assert path.points.shape == (3, 2)
    np.testing.assert_array_equal(path.current, session.params.means[:, 0])


def test_the_landscape_of_a_mean_does_not_depend_on_where_that_mean_is(demo_session):
    X, params = demo_session.X, demo_session.params
    xs, ys = np.linspace(-6, 6, 9), np.linspace(-5, 5, 7)
    before = mean_landscape(X, params, 1, xs, ys).nll
    elsewhere = mean_landscape(X, params.with_mean(1, np.array([3.0, 3.0])), 1, xs, ys).nll
    np.testing.assert_allclose(elsewhere, before, rtol=1e-12)
    # Moving another mean does change it.
    other = mean_landscape(X, params.with_mean(0, np.array([3.0, 3.0])), 1, xs, ys).nll
    assert np.max(np.abs(other - before)) > 1.0


def test_a_spec_ignores_only_the_moving_coordinates_of_the_moving_means():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    params = EMSession(X, 3, seed=0).params
    spec = LandscapeSpec(X, params, (1,), (0, 2), (-1.0, 1.0), (-2.0, 2.0))

    def with_mean(k, coordinates, values):
        mean = np.array(params.means[k])
        mean[list(coordinates)] = values
        return LandscapeSpec(X, params.with_mean(k, mean), (1,), (0, 2), (-1.0, 1.0), (-2.0, 2.0))

    assert spec.same_landscape(with_mean(1, (0, 2), (5.0, -5.0)))
    assert not spec.same_landscape(with_mean(1, (1,), (5.0,)))  # the hidden column matters
    assert not spec.same_landscape(with_mean(0, (0,), (5.0,)))  # so do the other means
    wider = LandscapeSpec(X, params, (1,), (0, 2), (-1.0, 2.0), (-2.0, 2.0))
    assert not spec.same_landscape(wider)
    assert not spec.same_landscape(
        LandscapeSpec(X.copy(), params, (1,), (0, 2), (-1.0, 1.0), (-2.0, 2.0))
    )
    pair = LandscapeSpec(X, params, (0, 2), (1,), (-1.0, 1.0), (-1.0, 1.0))
    means = np.array(params.means)
    means[[0, 2], 1] = (3.0, -3.0)
    moved = params.with_mean(0, means[0]).with_mean(2, means[2])
    assert pair.same_landscape(LandscapeSpec(X, moved, (0, 2), (1,), (-1.0, 1.0), (-1.0, 1.0)))
    passes = [p.nll.shape for p in pair.passes(resolutions=(5, 7))]
    assert passes == [(5, 5), (7, 7)]
