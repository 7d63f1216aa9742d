"""View > Likelihood landscape in the real window: the key shows it (computed on a worker,
coarse then fine), the image holds the core's numbers, clicking or dragging a mean
chooses whose landscape it is, dragging the shown mean needs no recomputation, turning it
off hides it, a new session clears it, and one-column data with K = 2 get the (mu1, mu2)
plane beside the histogram."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtTest
from uihelpers import WAIT_TIMEOUT_MS, mouse_click, mouse_drag

from gmmviewer.core.analysis.landscape import mean_landscape, pair_landscape
from gmmviewer.core.analysis.landscape_path import mean_path
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.ui.overlays.landscape_item import contour_segments

FINE = (160, 160)
COARSE = (48, 48)
Key = QtCore.Qt.Key


def shown(window):
    return window.landscape.frame


def wait_for_fine(qtbot, window, components):
    def fine_of_components():
        frame = shown(window)
        assert frame is not None
        assert frame.landscape.nll.shape == FINE
        assert frame.landscape.components == components

    qtbot.waitUntil(fine_of_components, timeout=WAIT_TIMEOUT_MS)
    return shown(window)


def press(window, key):
    QtTest.QTest.keyClick(window, key)


def handle_pixel(window, component):
    mean = window.controller.session.params.means[component]
    return QtCore.QPointF(window.scatter.data_to_pixel(float(mean[0]), float(mean[1])))


def test_the_key_shows_the_landscape_of_mean_1_coarse_then_fine(qtbot, window):
    overlay = window.landscape
    shapes = []
    overlay.frame_shown.connect(lambda frame: shapes.append(frame.landscape.nll.shape))
    press(window, Key.Key_G)
    assert window.actions_by_name["landscape"].isChecked() and window.view_state.landscape
    # Nothing was computed on the GUI thread: the worker has it.
    assert shown(window) is None and overlay.job.running
    frame = wait_for_fine(qtbot, window, (0,))
    assert shapes[0] == COARSE and shapes[-1] == FINE
    session = window.controller.session
    landscape = frame.landscape
    expected = mean_landscape(session.X, session.params, 0, landscape.xs, landscape.ys)
    np.testing.assert_allclose(overlay.layer.image.image, expected.nll, rtol=1e-12)
    assert overlay.layer.image.isVisible() and overlay.layer.bar.scene() is not None
    assert "NLL if mean 1 were here" in overlay.layer.bar.getAxis("left").labelText
    # The grid covers what the plot shows.
    (x0, x1), (y0, y1) = window.scatter.view_range()
    assert landscape.xs[0] <= x0 and x1 <= landscape.xs[-1]
    assert landscape.ys[0] <= y0 and y1 <= landscape.ys[-1]


def test_the_path_marks_every_m_step_and_ends_at_the_mean(qtbot, window):
    for _ in range(3):
        window.controller.step()
        qtbot.waitUntil(lambda: window.controller.idle, timeout=WAIT_TIMEOUT_MS)
    press(window, Key.Key_G)
    wait_for_fine(qtbot, window, (0,))
    layer = window.landscape.layer
    x, y = layer.path_line.getData()
    assert len(x) == 4  # the start and three M-steps
    marks = layer.path_marks.data
    assert list(marks["symbol"]) == ["s", "o", "o", "o"]  # the start, then every M-step
    mean = window.controller.session.params.means[0]
    ring = layer.current.data[0]
    assert (ring["x"], ring["y"]) == (mean[0], mean[1])
    np.testing.assert_array_equal(x, mean_path(window.controller.session, 0).points[:, 0])


def test_clicking_a_mean_shows_its_landscape_and_the_number_keys_choose_too(qtbot, window):
    press(window, Key.Key_G)
    first = wait_for_fine(qtbot, window, (0,))
    mouse_click(window.scatter.plot_widget, handle_pixel(window, 2))
    frame = wait_for_fine(qtbot, window, (2,))
    session = window.controller.session
    landscape = frame.landscape
    expected = mean_landscape(session.X, session.params, 2, landscape.xs, landscape.ys)
    np.testing.assert_allclose(window.landscape.layer.image.image, expected.nll, rtol=1e-12)
    assert np.max(np.abs(frame.landscape.nll - first.landscape.nll)) > 1.0
    assert "mean 3" in window.landscape.layer.bar.getAxis("left").labelText
    press(window, Key.Key_2)
    wait_for_fine(qtbot, window, (1,))


def test_dragging_the_shown_mean_keeps_its_landscape_and_another_changes_it(qtbot, window):
    press(window, Key.Key_G)
    frame = wait_for_fine(qtbot, window, (0,))
    overlay = window.landscape
    session = window.controller.session
    before = np.array(session.params.means[0])
    start = handle_pixel(window, 0)
    mouse_drag(window.scatter.plot_widget, start, start + QtCore.QPointF(60, -40))
    after = np.array(session.params.means[0])
    assert not np.allclose(after, before)
    # Mean 1's landscape does not depend on mean 1: nothing to recompute, only the ring moves.
    assert shown(window) is frame
    assert not overlay.job.running and not overlay._timer.isActive()
    ring = overlay.layer.current.data[0]
    assert (ring["x"], ring["y"]) == (after[0], after[1])
    # Dragging mean 2 shows mean 2's landscape, computed with mean 1 where it now is.
    start = handle_pixel(window, 1)
    mouse_drag(window.scatter.plot_widget, start, start + QtCore.QPointF(-30, 30))
    frame = wait_for_fine(qtbot, window, (1,))
    landscape = frame.landscape
    expected = mean_landscape(session.X, session.params, 1, landscape.xs, landscape.ys)
    np.testing.assert_allclose(landscape.nll, expected.nll, rtol=1e-12)


def test_a_step_recomputes_and_turning_it_off_hides_everything(qtbot, window):
    press(window, Key.Key_G)
    frame = wait_for_fine(qtbot, window, (0,))
    window.controller.step()
    qtbot.waitUntil(
        lambda: shown(window) is not frame and shown(window).landscape.nll.shape == FINE,
        timeout=WAIT_TIMEOUT_MS,
    )
    session = window.controller.session
    landscape = shown(window).landscape
    expected = mean_landscape(session.X, session.params, 0, landscape.xs, landscape.ys)
    np.testing.assert_allclose(landscape.nll, expected.nll, rtol=1e-12)
    press(window, Key.Key_G)
    layer = window.landscape.layer
    assert not window.view_state.landscape
    assert not layer.image.isVisible() and not layer.path_line.isVisible()
    assert layer.bar.scene() is None


def test_a_new_session_clears_the_landscape_and_shows_its_own(qtbot, window):
    press(window, Key.Key_G)
    wait_for_fine(qtbot, window, (0,))
    dataset = make_preset("lecture", n_samples=300, seed=5)
    assert window.controller.load_dataset(dataset, n_components=2)
    assert shown(window) is None  # at once: nothing of the old data stays on screen
    frame = wait_for_fine(qtbot, window, (0,))
    session = window.controller.session
    assert frame.landscape.n_samples == 300
    landscape = frame.landscape
    expected = mean_landscape(session.X, session.params, 0, landscape.xs, landscape.ys)
    np.testing.assert_allclose(landscape.nll, expected.nll, rtol=1e-12)


def test_one_column_with_two_components_shows_the_mean_pair_plane(qtbot, window):
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.normal(-2.0, 1.0, 150), rng.normal(2.5, 0.8, 150)])
    assert window.controller.load_dataset(Dataset(values.reshape(-1, 1)), n_components=2)
    window.controller.step()
    qtbot.waitUntil(lambda: window.controller.idle, timeout=WAIT_TIMEOUT_MS)
    press(window, Key.Key_G)
    pair_view = window.landscape.pair_view
    assert pair_view.isVisible() and window.histogram.isVisible()
    frame = wait_for_fine(qtbot, window, (0, 1))
    session = window.controller.session
    landscape = frame.landscape
    assert landscape.is_pair
    expected = pair_landscape(session.X, session.params, landscape.xs, landscape.ys)
    np.testing.assert_allclose(pair_view.layer.image.image, expected.nll, rtol=1e-12)
    assert pair_view.diagonal.angle == 45 and pair_view.diagonal.isVisible()
    x, y = pair_view.layer.path_line.getData()
    assert len(x) == 2  # the start and one M-step, as (mean 1, mean 2)
    assert (x[-1], y[-1]) == tuple(session.params.means[:, 0])
    assert window.landscape.layer.bar.scene() is None  # nothing over the histogram
    press(window, Key.Key_G)
    assert not pair_view.isVisible()


@pytest.mark.parametrize("n_samples", [100_000])
def test_the_window_keeps_processing_events_while_the_fine_grid_computes(qtbot, window, n_samples):
    dataset = make_preset("lecture", n_samples=n_samples, seed=1)
    assert window.controller.load_dataset(dataset, n_components=3, init="random-means")
    ticks = []
    timer = QtCore.QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(len(shapes)))
    shapes = []
    window.landscape.frame_shown.connect(lambda frame: shapes.append(frame.landscape.nll.shape))
    timer.start()
    press(window, Key.Key_G)
    frame = wait_for_fine(qtbot, window, (0,))
    timer.stop()
    assert frame.landscape.subsampled == 20_000
    # Between the coarse grid and the fine one the event loop ran the timer.
    assert shapes[0] == COARSE
    assert ticks.count(1) >= 2


def test_zooming_in_computes_a_finer_grid_over_the_new_view(qtbot, window):
    press(window, Key.Key_G)
    first = wait_for_fine(qtbot, window, (0,))
    window.scatter.plot_item.vb.scaleBy((0.3, 0.3))
    (x0, x1), (y0, y1) = window.scatter.view_range()

    def covers_the_zoomed_view():
        landscape = shown(window).landscape
        assert landscape is not first.landscape and landscape.nll.shape == FINE
        assert landscape.xs[0] <= x0 and x1 <= landscape.xs[-1]
        assert landscape.xs[-1] - landscape.xs[0] < 0.5 * (
            first.landscape.xs[-1] - first.landscape.xs[0]
        )

    qtbot.waitUntil(covers_the_zoomed_view, timeout=WAIT_TIMEOUT_MS)
    session = window.controller.session
    landscape = shown(window).landscape
    expected = mean_landscape(session.X, session.params, 0, landscape.xs, landscape.ys)
    np.testing.assert_allclose(landscape.nll, expected.nll, rtol=1e-12)


def test_contours_lie_on_their_levels():
    xs, ys = np.linspace(-2.0, 3.0, 41), np.linspace(-1.0, 2.0, 33)
    grid_x, grid_y = np.meshgrid(xs, ys)
    plane = grid_x + 2.0 * grid_y  # linear: interpolation along the edges is exact
    levels = np.array([-1.0, 0.3, 2.5])
    x, y = contour_segments(xs, ys, plane, levels)
    assert x.size and x.size % 2 == 0
    values = x + 2.0 * y
    assert np.all(np.min(np.abs(values[:, None] - levels[None, :]), axis=1) < 1e-9)
    # x * y is linear along every cell edge too, and its cell at the origin is a saddle.
    xs_even = ys_even = np.linspace(-1.0, 1.0, 20)
    even_x, even_y = np.meshgrid(xs_even, ys_even)
    x, y = contour_segments(xs_even, ys_even, even_x * even_y, np.array([0.0]))
    np.testing.assert_allclose(x * y, 0.0, atol=1e-12)
    centre = (np.abs(x) < 0.06) & (np.abs(y) < 0.06)
    # The saddle cell's two segments join its four edges' midpoints, each shared with
    # the neighbouring cell's segment.
    assert np.count_nonzero(centre) == 8
    bowl = grid_x**2 + grid_y**2
    x, y = contour_segments(xs, ys, bowl, np.array([1.0]))
    np.testing.assert_allclose(np.hypot(x, y), 1.0, atol=0.01)
    # A closed curve: every endpoint is shared by two segments.
    ends = np.round(np.column_stack([x, y]), 9)
    _, counts = np.unique(ends, axis=0, return_counts=True)
    assert np.all(counts == 2)
