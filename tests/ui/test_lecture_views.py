"""What a class sees on the projector: the NLL view on a log axis and after zooming,
ellipses over dense data, many distinct component colours, grabbing a mean, the GIF's last
frame, readable axes and exports, and every new data set starting from its own settings.

Driven through the real widgets: keys go to the window as a person's would, clicks and
drags through the plots' viewports.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.ui.window.main_window import MainWindow

Key = QtCore.Qt.Key
WAIT_MS = 60_000

_SUPERSCRIPT_DIGITS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


# ======================================================================== helpers
def settled_tick_labels(qtbot, axis) -> list[str]:
    """The labels once the axis has painted and widened itself to fit them."""
    axis.getViewWidget().grab()
    labels: list[list[str]] = []

    def drawn() -> bool:
        # Drawing may widen the axis (a layout request); settled when three agree.
        labels.append(drawn_tick_labels(axis))
        return len(labels) > 2 and labels[-1] == labels[-2] == labels[-3]

    qtbot.waitUntil(drawn, timeout=WAIT_MS)
    return labels[-1]


def drawn_tick_labels(axis) -> list[str]:
    """The tick labels an axis draws now (pyqtgraph drops those that do not fit)."""
    image = QtGui.QImage(8, 8, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _, _, text in texts]


def label_value(text: str) -> float:
    """A tick label as a number: "2,400", "0.5", "1.5e-4" or "10⁵"."""
    text = text.replace(",", "").replace("\u2212", "-")
    match = re.fullmatch(r"10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", text)
    if match:
        return 10.0 ** int(match.group(1).translate(_SUPERSCRIPT_DIGITS))
    return float(text)


def press(qtbot, window: MainWindow, key, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(window, key)


def wait_idle(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.controller.idle, timeout=WAIT_MS)


def run_to_convergence(qtbot, window: MainWindow) -> None:
    window.controls.speed_spin.setValue(100)
    press(qtbot, window, Key.Key_R)
    qtbot.waitUntil(lambda: window.controller.session.done, timeout=WAIT_MS)
    wait_idle(qtbot, window)


def y_range(window: MainWindow) -> tuple[float, float]:
    return tuple(window.nll_view.plot_item.vb.viewRange()[1])


def x_range(window: MainWindow) -> tuple[float, float]:
    return tuple(window.nll_view.plot_item.vb.viewRange()[0])


def inside(value: float, bounds: tuple[float, float]) -> bool:
    low, high = bounds
    return low <= value <= high


def marker_y(item) -> float:
    _, ys = item.getData()
    assert len(ys) == 1
    return float(ys[0])


def run_restarts_by_keyboard(qtbot, window: MainWindow, count: int) -> None:
    """Ctrl+Shift+R, type the number of runs into the question, Enter; wait for the runs."""

    def answer() -> None:
        dialog = QtWidgets.QApplication.activeModalWidget()
        assert isinstance(dialog, QtWidgets.QInputDialog)
        dialog.setIntValue(count)
        dialog.accept()

    QtCore.QTimer.singleShot(0, answer)
    with qtbot.waitSignal(window.teaching.work_finished, timeout=WAIT_MS):
        qtbot.keyClick(
            window,
            Key.Key_R,
            QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier,
        )
    wait_idle(qtbot, window)
    activate(qtbot, window)


def activate(qtbot, window: QtWidgets.QWidget) -> None:
    """Give the window the focus back after a dialog (the offscreen platform does not)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window, timeout=WAIT_MS)


def zoom_nll_view(window: MainWindow, clicks: int = 5) -> None:
    """Turn the mouse wheel forward (zoom in) over the middle of the NLL plot."""
    viewport = window.nll_view.plot_widget.viewport()
    centre = QtCore.QPointF(viewport.width() / 2, viewport.height() / 2)
    wheel = QtGui.QWheelEvent(
        centre,
        viewport.mapToGlobal(centre),
        QtCore.QPoint(0, 0),
        QtCore.QPoint(0, 120 * clicks),
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
        QtCore.Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QtWidgets.QApplication.sendEvent(viewport, wheel)


def assert_readable_log_axis(qtbot, window: MainWindow, plotted_values: np.ndarray) -> None:
    """At least two distinct tick labels, each a value inside the range shown, and the
    plotted values fill a good part of the height (the curve is not flat)."""
    low, high = y_range(window)
    labels = settled_tick_labels(qtbot, window.nll_view.plot_item.getAxis("left"))
    assert len(labels) >= 2, labels
    assert len(set(labels)) == len(labels), labels
    for text in labels:
        value = label_value(text)
        assert value > 0, labels
        # Each label names the value at its position: log10(value) within the view.
        assert low - 1e-6 <= math.log10(value) <= high + 1e-6, (labels, low, high)
    positions = np.log10(plotted_values)
    assert positions.min() >= low and positions.max() <= high
    assert (positions.max() - positions.min()) / (high - low) > 0.5


# ==================================================================== A. NLL view
def test_log_axis_shows_the_curve_ring_star_truth_and_restarts_at_their_values(qtbot, window):
    session = window.controller.session
    run_restarts_by_keyboard(qtbot, window, 3)
    run_to_convergence(qtbot, window)
    press(qtbot, window, Key.Key_Left, 3)  # the ring is not on the last point
    wait_idle(qtbot, window)
    press(qtbot, window, Key.Key_L)
    assert window.nll_view.log_scale
    window.nll_view.plot_widget.grab()  # paints every item: no overflow warnings

    curve = window.nll_view.curve
    assert curve.nll.min() > 0  # the lecture demo's NLL is positive: log10 of NLL itself
    truth = window.controller.truth_nll
    assert truth is not None
    low, high = y_range(window)
    ring = marker_y(window.nll_view.current_marker)
    assert ring == pytest.approx(math.log10(-session.log_likelihood), rel=1e-12)
    star = marker_y(window.nll_view.converged_marker)
    assert star == pytest.approx(math.log10(curve.nll[curve.converged_at]), rel=1e-12)
    assert window.nll_view.reference_line.value() == pytest.approx(math.log10(truth), rel=1e-12)
    for value in (ring, star, window.nll_view.reference_line.value()):
        assert inside(value, (low, high))
    _, past = window.nll_view.past_curve.getData()
    np.testing.assert_allclose(past, np.log10(curve.nll[: curve.current + 1]), rtol=1e-12)
    restarts = window.teaching.restart_runs
    assert len(window.nll_view.restart_curves) == len(restarts) == 3
    for item, run in zip(window.nll_view.restart_curves, restarts, strict=True):
        nll = np.array([-record.log_likelihood for record in run.result.history])
        np.testing.assert_allclose(item.getData()[1], np.log10(nll), rtol=1e-12)
        assert inside(math.log10(nll.max()), (low, high))
    every = np.concatenate(
        [curve.nll, [truth]]
        + [[-r.log_likelihood for r in run.result.history] for run in restarts]
    )
    assert_readable_log_axis(qtbot, window, every)
    assert "log" in window.nll_view.axis_label


def test_log_axis_of_negative_nll_plots_nll_minus_its_lowest_plus_one_and_says_so(
    qtbot, window
):
    # Millimetre-scale data: densities far above 1, so the NLL is negative throughout.
    X = window.controller.session.X * 1e-3
    assert window.controller.load_dataset(Dataset(X, source="tiny"), 3, "kmeans", 0, "full")
    run_to_convergence(qtbot, window)
    press(qtbot, window, Key.Key_Left, 2)
    wait_idle(qtbot, window)
    press(qtbot, window, Key.Key_L)
    window.nll_view.plot_widget.grab()

    curve = window.nll_view.curve
    assert curve.nll.max() < 0
    lowest = min(curve.nll.min(), np.nanmin(curve.neg_elbo))
    shifted = curve.nll - lowest + 1.0
    ring = marker_y(window.nll_view.current_marker)
    assert ring == pytest.approx(math.log10(shifted[curve.current]), rel=1e-9, abs=1e-12)
    star = marker_y(window.nll_view.converged_marker)
    assert star == pytest.approx(math.log10(shifted[curve.converged_at]), rel=1e-9, abs=1e-12)
    # The ring sits on the curve, not decades away from it.
    _, past = window.nll_view.past_curve.getData()
    assert ring == pytest.approx(past[curve.current])
    assert inside(ring, y_range(window)) and inside(star, y_range(window))
    assert_readable_log_axis(qtbot, window, shifted)
    # The view says what it plots.
    assert "min + 1" in window.nll_view.axis_label
    assert "log axis" in window.nll_view.readout.text()
    assert "+ 1" in window.nll_view.readout.text()
    press(qtbot, window, Key.Key_L)
    assert window.nll_view.axis_label == "NLL"


def test_after_a_wheel_zoom_the_x_range_follows_new_steps_and_a_fits_again(qtbot, window):
    press(qtbot, window, Key.Key_Space, 4)
    wait_idle(qtbot, window)
    full_x, full_y = x_range(window), y_range(window)
    curve = window.nll_view.curve
    assert inside(curve.xs.max(), full_x)

    zoom_nll_view(window)
    zoomed_y = y_range(window)
    assert zoomed_y[1] - zoomed_y[0] < 0.5 * (full_y[1] - full_y[0])

    # New points: the x-range follows them; the zoomed y-range stays the user's.
    press(qtbot, window, Key.Key_Space, 2)
    wait_idle(qtbot, window)
    curve = window.nll_view.curve
    assert inside(curve.xs.max(), x_range(window))
    assert inside(curve.xs.min(), x_range(window))
    assert y_range(window) == pytest.approx(zoomed_y)

    # A fits everything again, y included.
    press(qtbot, window, Key.Key_A)
    low, high = y_range(window)
    assert low <= curve.nll.min() and curve.nll.max() <= high
    assert (curve.nll.max() - curve.nll.min()) / (high - low) > 0.5

    # A new run (Re-initialise) fits both axes at once, zoomed or not.
    zoom_nll_view(window)
    qtbot.keyClick(window, Key.Key_I, QtCore.Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    press(qtbot, window, Key.Key_Space, 2)
    wait_idle(qtbot, window)
    curve = window.nll_view.curve
    low, high = y_range(window)
    assert low <= curve.nll.min() and curve.nll.max() <= high


def test_a_single_point_gets_distinct_tick_labels(qtbot, window):
    # 20,000 points spread over hundreds of units: an NLL above 10^5.
    rng = np.random.default_rng(3)
    X = rng.normal(scale=300.0, size=(20_000, 2))
    assert window.controller.load_dataset(Dataset(X, source="wide"), 2, "kmeans", 0, "full")
    curve = window.nll_view.curve
    assert len(curve.xs) == 1 and curve.nll[0] > 1e5
    axis = window.nll_view.plot_item.getAxis("left")
    for log in (False, True):
        if window.nll_view.log_scale != log:
            press(qtbot, window, Key.Key_L)
        shown_at = math.log10(curve.nll[0]) if log else curve.nll[0]
        assert inside(shown_at, y_range(window))
        # As fitted, and zoomed in far (the last digits then tell the ticks apart).
        for zoom in (0, 12, 12):
            zoom_nll_view(window, zoom)
            labels = settled_tick_labels(qtbot, axis)
            assert len(labels) >= 2, labels
            assert len(set(labels)) == len(labels), labels
            values = [label_value(text) for text in labels]
            # Each label is a number near the NLL, where the axis puts it.
            low, high = y_range(window)
            for value in values:
                assert value == pytest.approx(curve.nll[0], rel=0.1)
                position = math.log10(value) if log else value
                assert low - 1e-9 * abs(low) <= position <= high + 1e-9 * abs(high)
        press(qtbot, window, Key.Key_A)


def test_restart_curves_are_cleared_when_the_model_changes(qtbot, window):
    run_restarts_by_keyboard(qtbot, window, 2)
    assert len(window.nll_view.restart_curves) == 2
    # Re-initialise with the same model keeps them (the best run replays over them).
    wait_idle(qtbot, window)
    qtbot.keyClick(window, Key.Key_I, QtCore.Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    assert len(window.nll_view.restart_curves) == 2
    # A new K: they belonged to another model.
    k_spin = window.controls.k_spin
    k_spin.setFocus()
    qtbot.keyClick(k_spin, Key.Key_Up)
    wait_idle(qtbot, window)
    assert window.controller.session.n_components == 4
    assert window.nll_view.restart_curves == []
    assert window.nll_view.restart_data == []
    # And a new covariance type.
    run_restarts_by_keyboard(qtbot, window, 2)
    assert len(window.nll_view.restart_curves) == 2
    combo = window.controls.covariance_combo
    combo.setFocus()
    qtbot.keyClick(combo, Key.Key_Down)
    wait_idle(qtbot, window)
    assert window.controller.session.params.covariance_type != "full"
    assert window.nll_view.restart_curves == []


# ================================================================ B. dense data
def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB colours, shape (..., 3) in 0..255 (the CIE formulas)."""
    c = np.asarray(rgb, dtype=float) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def delta_e(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """CIE76 colour difference of sRGB colours."""
    return np.linalg.norm(srgb_to_lab(a) - srgb_to_lab(b), axis=-1)


def plot_rgb(view) -> np.ndarray:
    """The plot's viewport as an (H, W, 3) RGB array, in the coordinates data_to_pixel gives."""
    from uihelpers import image_colours

    image = view.plot_widget.viewport().grab().toImage()
    return image_colours(image)[..., 2::-1].astype(float)


def ellipse_outline(mean: np.ndarray, covariance: np.ndarray, n_std: float, n: int = 120):
    """Points of the n-sd ellipse, from the eigen-decomposition (not the view's helper)."""
    values, vectors = np.linalg.eigh(covariance)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles)])
    return (mean[:, None] + n_std * vectors @ (np.sqrt(values)[:, None] * circle)).T


def ellipse_contrast(view, outline: np.ndarray, point_rgb: np.ndarray) -> tuple[float, float]:
    """How visible an ellipse is over the points under it.

    Compares the plot with and without the ellipses, only at pixels that points of the
    component's colour cover, in a 7x7 window around each outline point. Returns the
    fraction of windows that are densely covered, and of those the fraction where the
    ellipse changes some covered pixel by a CIE76 difference above 20.
    """
    with_ellipses = plot_rgb(view)
    curves = [curve for pair in view.ellipses for curve in pair]
    for curve in curves:
        curve.setVisible(False)
    try:
        without = plot_rgb(view)
    finally:
        for curve in curves:
            curve.setVisible(True)
    covered = delta_e(without, point_rgb) < 6
    dense = visible = 0
    for x, y in outline:
        pixel = view.data_to_pixel(float(x), float(y))
        rows = slice(max(pixel.y() - 3, 0), pixel.y() + 4)
        columns = slice(max(pixel.x() - 3, 0), pixel.x() + 4)
        mask = covered[rows, columns]
        if mask.sum() < 25:
            continue
        dense += 1
        change = delta_e(with_ellipses[rows, columns][mask], without[rows, columns][mask])
        visible += bool(change.max() > 20)
    return dense / len(outline), visible / max(dense, 1)


@pytest.mark.parametrize(
    "n_points, theme", [(100_000, "light"), (100_000, "dark"), (300_000, "light")]
)
def test_ellipses_stay_visible_over_dense_points_of_their_own_colour(
    qtbot, window, n_points, theme
):
    # 1e5 points are drawn as sprites, 3e5 as a raster: the ellipses stay above both.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(n_points, 2)) @ np.array([[1.0, 0.3], [0.0, 0.7]])
    assert window.controller.load_dataset(Dataset(X, source="dense"), 1, "kmeans", 0, "full")
    if theme == "dark":
        qtbot.keyClick(window, Key.Key_D, QtCore.Qt.KeyboardModifier.ControlModifier)
        assert window.view_state.theme == "dark"
    press(qtbot, window, Key.Key_E)  # every point takes the one component's colour
    wait_idle(qtbot, window)
    session = window.controller.session
    point_rgb = window.scatter.points.colours()[0].astype(float)
    assert np.all(window.scatter.points.colours() == point_rgb)
    for n_std in (1.0, 2.0):
        outline = ellipse_outline(session.params.means[0], session.params.covariances[0], n_std)
        dense, visible = ellipse_contrast(window.scatter, outline, point_rgb)
        assert dense > 0.8, f"the {n_std:g}-sd ellipse does not cross dense points ({dense:.2f})"
        assert visible > 0.9, f"the {n_std:g}-sd ellipse vanishes: visible at {visible:.0%}"


# ======================================================== C. many components' colours
def test_twenty_components_get_pairwise_distinct_colours(qtbot, window):
    k_spin = window.controls.k_spin
    k_spin.setFocus()
    qtbot.keyClick(k_spin, QtCore.Qt.Key.Key_A, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(k_spin, "20")
    qtbot.keyClick(k_spin, Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.controller.session.n_components == 20
    drawn = np.array(
        [handle.brush.color().getRgb()[:3] for handle in window.scatter.handles], dtype=float
    )
    assert len(drawn) == 20
    lab = srgb_to_lab(drawn)
    distances = np.linalg.norm(lab[:, None, :] - lab[None, :, :], axis=-1)
    np.fill_diagonal(distances, np.inf)
    i, j = np.unravel_index(np.argmin(distances), distances.shape)
    assert distances[i, j] >= 20, (
        f"components {i + 1} and {j + 1} look alike: {drawn[i]} and {drawn[j]}, "
        f"CIE76 difference {distances[i, j]:.1f}"
    )
    # And none looks like the grey of points before the first E-step.
    grey = srgb_to_lab(np.array([150.0, 150.0, 150.0]))
    assert np.linalg.norm(lab - grey, axis=1).min() >= 20


# ============================================================ D. grabbing a mean
def drag_pixels(qtbot, view, start: QtCore.QPoint, offset: QtCore.QPoint) -> None:
    from uihelpers import mouse_drag

    view.plot_widget.scene().minDragTime = 0
    begin = QtCore.QPointF(start)
    mouse_drag(view.plot_widget, begin, begin + QtCore.QPointF(offset), steps=8)


@pytest.mark.parametrize("miss", [4, -4])
def test_a_press_just_outside_a_mean_handle_grabs_it(qtbot, window, miss):
    view = window.scatter
    session = window.controller.session
    before_range = view.view_range()
    mean = session.params.means[0].copy()
    centre = view.data_to_pixel(*mean)
    radius = window.scatter.handles[0].scale / 2
    # A press a few pixels outside the drawn disc, diagonally.
    off = (radius + abs(miss)) / math.sqrt(2) * np.sign(miss)
    start = centre + QtCore.QPoint(round(off), round(off))
    drag_pixels(qtbot, view, start, QtCore.QPoint(40, 0))
    wait_idle(qtbot, window)
    moved = session.params.means[0] - mean
    pixel = view.plot_item.vb.viewPixelSize()
    assert moved[0] / pixel[0] == pytest.approx(40, abs=2), "the handle was not grabbed"
    assert abs(moved[1] / pixel[1]) < 2
    assert np.ravel(view.view_range()) == pytest.approx(np.ravel(before_range)), "it panned"
    assert session.state.action != "initialise"  # one undoable edit
    # Far from every handle, a drag still pans the plot.
    empty = view.data_to_pixel(*(session.params.means.min(axis=0) - 3.0))
    drag_pixels(qtbot, view, empty, QtCore.QPoint(30, 0))
    assert np.ravel(view.view_range()) != pytest.approx(np.ravel(before_range))


def test_a_press_just_beside_a_mean_line_grabs_it(qtbot, window):
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(-3, 1, 300), rng.normal(3, 1, 300)])[:, None]
    assert window.controller.load_dataset(Dataset(x, source="one"), 2, "kmeans", 0, "full")
    view = window.histogram
    assert window.controller.plot is view
    session = window.controller.session
    mean = float(session.params.means[0, 0])
    (_, _), (y0, y1) = view.view_range()
    line = view.data_to_pixel(mean, 0.5 * (y0 + y1))
    before_range = view.view_range()
    drag_pixels(qtbot, view, line + QtCore.QPoint(6, 0), QtCore.QPoint(-30, 0))
    wait_idle(qtbot, window)
    pixel = view.plot_item.vb.viewPixelSize()
    moved = (float(session.params.means[0, 0]) - mean) / pixel[0]
    assert moved == pytest.approx(-30, abs=2), "the mean line was not grabbed"
    assert np.ravel(view.view_range()) == pytest.approx(np.ravel(before_range)), "it panned"


# ============================================================ E. the GIF's last frame
def test_the_gif_holds_its_last_frame_so_a_loop_rests_on_the_converged_fit(
    qtbot, window, tmp_path
):
    from PIL import Image

    from gmmviewer.ui.export.animation import AnimationDialog

    gif = tmp_path / "em.gif"

    def fill_in() -> None:
        dialog = QtWidgets.QApplication.activeModalWidget()
        assert isinstance(dialog, AnimationDialog)
        dialog.fps_spin.setValue(5)
        dialog.width_spin.setValue(320)
        dialog.height_spin.setValue(240)
        dialog.gif_edit.setText(str(gif))
        dialog.accept()

    press(qtbot, window, Key.Key_Space, 2)
    wait_idle(qtbot, window)
    QtCore.QTimer.singleShot(0, fill_in)
    qtbot.keyClick(
        window,
        Key.Key_G,
        QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier,
    )
    recorder = window.files.recorder
    assert recorder is not None
    qtbot.waitUntil(lambda: not recorder.running and gif.exists(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.files.progress is None, timeout=WAIT_MS)
    recorded = len(recorder.frames)
    assert recorded > 3
    with Image.open(gif) as image:
        durations = []
        for index in range(image.n_frames):
            image.seek(index)
            durations.append(image.info["duration"])
        last = np.asarray(image.convert("RGB"))
    # 1/5 s a frame, then two seconds on the last: the converged fit.
    assert durations[0] == 200
    assert durations[-1] >= 2000
    assert sum(durations) == pytest.approx(200 * (recorded - 1) + 2000, abs=10)
    final = np.asarray(recorder.frames[-1].convert("RGB"), dtype=float)
    assert np.abs(last.astype(float) - final).mean() < 8  # the same picture (GIF palette)


# ================================================================ F. small things
def dark_row_bands(pixels: np.ndarray, threshold: float = 70) -> list[int]:
    """Heights of the runs of rows holding dark (text) pixels, top to bottom."""
    luminance = pixels[..., :3] @ np.array([0.299, 0.587, 0.114])
    rows = (luminance < threshold).any(axis=1)
    bands, run = [], 0
    for dark in rows:
        if dark:
            run += 1
        elif run:
            bands.append(run)
            run = 0
    if run:
        bands.append(run)
    return bands


def test_the_png_export_legend_is_as_large_as_the_tick_labels(
    qtbot, window, tmp_path, monkeypatch
):
    path = tmp_path / "plot.png"
    monkeypatch.setattr(
        QtWidgets.QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *args, **kwargs: (str(path), "PNG image (*.png)")),
    )
    qtbot.keyClick(window, Key.Key_P, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert path.exists()
    image = QtGui.QImage(str(path))
    from uihelpers import image_colours

    pixels = image_colours(image)[..., 2::-1].astype(float)
    plot_item = window.scatter.plot_item
    source = plot_item.sceneBoundingRect()
    scale = image.width() / source.width()

    def region(rect: QtCore.QRectF) -> np.ndarray:
        top = int((rect.top() - source.top()) * scale)
        left = int((rect.left() - source.left()) * scale)
        bottom = int((rect.bottom() - source.top()) * scale)
        right = int((rect.right() - source.left()) * scale)
        return pixels[max(top, 0) : bottom, max(left, 0) : right]

    legend = window.scatter.legend.sceneBoundingRect()
    # The legend's text, right of its coloured sample lines.
    text = QtCore.QRectF(legend.left() + 0.3 * legend.width(), legend.top() + 2,
                         0.65 * legend.width(), legend.height() - 4)
    legend_bands = [band for band in dark_row_bands(region(text)) if band >= 3]
    # Below the plot area: the tick labels and the axis title (the axis rectangle
    # reaches over the plot too, for the grid).
    axis = plot_item.getAxis("bottom").sceneBoundingRect()
    axis.setTop(plot_item.vb.sceneBoundingRect().bottom() + 2)
    tick_bands = [band for band in dark_row_bands(region(axis)) if band >= 3]
    assert len(legend_bands) == 3, legend_bands  # one line per component
    assert tick_bands, "no tick labels found"
    # Legend text is drawn at 10 pt, tick labels at 9 pt: in the PNG too.
    assert min(legend_bands) >= 1.05 * max(tick_bands), (legend_bands, tick_bands)


def test_the_import_preview_shows_whole_headers(qtbot, tmp_path):
    from gmmviewer.ui.dialogs import CsvImportDialog

    names = [
        "eruption duration in minutes",
        "waiting time until the next eruption (min)",
        "a",
        "b",
        "temperature of the water at the vent",
    ]
    rows = "\n".join(",".join(f"{i + j / 10:.1f}" for j in range(5)) for i in range(30))
    path = tmp_path / "long_names.csv"
    path.write_text(",".join(names) + "\n" + rows + "\n", encoding="utf-8")
    dialog = CsvImportDialog.from_file(path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog, timeout=WAIT_MS)
    header = dialog.preview_table.horizontalHeader()
    metrics = header.fontMetrics()
    for width in (820, 560, 1400):
        dialog.resize(width, 560)
        qtbot.waitUntil(lambda w=width: dialog.width() == w, timeout=WAIT_MS)
        for j, name in enumerate(names):
            assert header.model().headerData(j, QtCore.Qt.Orientation.Horizontal) == name
            assert header.sectionSize(j) >= metrics.horizontalAdvance(name), (width, name)
    # Wide enough for all: the columns share the table's width, with no scroll bar.
    table = dialog.preview_table
    qtbot.waitUntil(lambda: not table.horizontalScrollBar().isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: table.horizontalHeader().length() >= table.viewport().width() - len(names),
        timeout=WAIT_MS,
    )


def test_one_row_and_one_column_are_singular(qtbot, tmp_path):
    from gmmviewer.ui.dialogs import CsvImportDialog

    path = tmp_path / "one.csv"
    path.write_text("x\n1.5\n", encoding="utf-8")
    dialog = CsvImportDialog.from_file(path)
    qtbot.addWidget(dialog)
    info = dialog.info_label.text()
    assert "1 row" in info and "1 rows" not in info, info
    assert "1 column" in info and "1 columns" not in info, info
    assert "1 rows" not in dialog.preview_label.text()
    assert "1 data row" in dialog.preview_label.text()

    # A row dropped for a missing value is counted in the singular too.
    path = tmp_path / "two.csv"
    path.write_text("x,y\n1.5,2\n,3\n2.5,4\n", encoding="utf-8")
    dialog = CsvImportDialog.from_file(path)
    qtbot.addWidget(dialog)
    info = dialog.info_label.text()
    assert "2 rows" in info and "1 dropped" in info, info


def test_the_density_axis_labels_share_one_format_and_stop_at_zero(qtbot, window):
    # A density peaking near 1e-4: pyqtgraph alone would mix "9e-05" with "0.0001".
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(0, 3000, 4000), rng.normal(12000, 2000, 2000)])[:, None]
    assert window.controller.load_dataset(Dataset(x, source="wide"), 2, "kmeans", 0, "full")
    assert window.controller.plot is window.histogram
    axis = window.histogram.plot_item.getAxis("left")
    for zoom in (0, 3):
        zoom_view = window.histogram.plot_widget.viewport()
        if zoom:
            centre = QtCore.QPointF(zoom_view.width() / 2, zoom_view.height() / 2)
            QtWidgets.QApplication.sendEvent(
                zoom_view,
                QtGui.QWheelEvent(
                    centre, zoom_view.mapToGlobal(centre), QtCore.QPoint(0, 0),
                    QtCore.QPoint(0, -120 * zoom), QtCore.Qt.MouseButton.NoButton,
                    QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase,
                    False,
                ),
            )
        labels = settled_tick_labels(qtbot, axis)
        assert len(labels) >= 3, labels
        # One style: all written out, or all with the same exponent ("1e-4", "1.5e-4").
        exponents = {re.search(r"(e-?\d+)?$", text).group(0) for text in labels if text != "0"}
        assert len(exponents) == 1, labels
        values = [label_value(text) for text in labels]
        assert min(values) >= 0, f"ticks below zero, under the rug: {labels}"
        assert len(set(values)) == len(values)


# ================================================= G. each data set starts afresh
def set_model_in_panel(qtbot, window: MainWindow, k_ups: int, covariance_downs: int, seed_ups: int):
    """Change K, covariance type and seed in the Model tab with the keyboard."""
    controls = window.controls
    for widget, key, times in (
        (controls.k_spin, Key.Key_Up, k_ups),
        (controls.covariance_combo, Key.Key_Down, covariance_downs),
        (controls.seed_spin, Key.Key_Up, seed_ups),
    ):
        widget.setFocus()
        for _ in range(times):
            qtbot.keyClick(widget, key)
            wait_idle(qtbot, window)


def discard_unsaved_changes(dialog, then) -> bool:
    """Answer Discard if ``dialog`` asks about unsaved changes, and ``then`` run the next
    answer once the dialog that follows is open."""
    if not isinstance(dialog, QtWidgets.QMessageBox) or dialog.objectName() != "unsaved_box":
        return False
    QtCore.QTimer.singleShot(0, then)
    dialog.button(QtWidgets.QMessageBox.StandardButton.Discard).click()
    return True


def open_csv_by_keyboard(qtbot, window: MainWindow, monkeypatch, path, in_dialog) -> bool:
    """Ctrl+O, pick ``path``; ``in_dialog(dialog)`` runs in the import dialog, which is
    then accepted with Enter if its Import button is enabled (else cancelled)."""
    from gmmviewer.ui.dialogs import CsvImportDialog

    monkeypatch.setattr(
        QtWidgets.QFileDialog,
        "getOpenFileName",
        staticmethod(lambda *args, **kwargs: (str(path), "")),
    )
    seen: list[CsvImportDialog] = []

    def answer() -> None:
        dialog = QtWidgets.QApplication.activeModalWidget()
        if discard_unsaved_changes(dialog, answer):
            return
        if not isinstance(dialog, CsvImportDialog):
            QtCore.QTimer.singleShot(10, answer)  # not open yet: look again
            return
        seen.append(dialog)
        try:
            in_dialog(dialog)
        finally:
            if dialog.ok_button.isEnabled():
                qtbot.keyClick(dialog.ok_button, Key.Key_Return)
            else:
                dialog.reject()

    QtCore.QTimer.singleShot(0, answer)
    window.activateWindow()
    qtbot.keyClick(window, Key.Key_O, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert seen, "the import dialog did not open"
    activate(qtbot, window)
    return seen[0].result() == QtWidgets.QDialog.DialogCode.Accepted


def test_a_new_csv_starts_from_its_own_model_not_the_last_sessions(
    qtbot, window, monkeypatch, faithful_path
):
    set_model_in_panel(qtbot, window, k_ups=1, covariance_downs=1, seed_ups=2)
    session = window.controller.session
    assert (session.n_components, session.params.covariance_type, session.seed) == (4, "diag", 2)

    shown: list[tuple] = []

    def look(dialog) -> None:
        choice = dialog.model_choice
        shown.append(
            (
                choice.k_spin.value(),
                choice.covariance_combo.currentData(),
                choice.init_combo.currentData(),
            )
        )

    assert open_csv_by_keyboard(qtbot, window, monkeypatch, faithful_path, look)
    session = window.controller.session
    assert session.dataset.columns == ("eruptions", "waiting")
    assert (session.n_components, session.params.covariance_type) == (3, "full")
    assert (session.init, session.seed) == ("kmeans", 0)
    assert shown == [(3, "full", "kmeans")]  # what the dialog showed is what loaded


def test_a_one_row_file_loads_after_a_large_k(qtbot, window, monkeypatch, tmp_path):
    set_model_in_panel(qtbot, window, k_ups=5, covariance_downs=0, seed_ups=0)
    assert window.controller.session.n_components == 8
    path = tmp_path / "one.csv"
    path.write_text("x,y\n1.5,2.5\n", encoding="utf-8")
    assert open_csv_by_keyboard(qtbot, window, monkeypatch, path, lambda dialog: None)
    session = window.controller.session
    assert session.n_samples == 1 and session.n_components == 1
    assert window.last_error_box is None or not window.last_error_box.isVisible()


def test_a_k_larger_than_the_rows_is_refused_in_one_line_naming_the_largest(
    qtbot, window, monkeypatch, tmp_path
):
    before = window.controller.session
    path = tmp_path / "three.csv"
    path.write_text("x,y\n1,2\n3,1\n2,5\n", encoding="utf-8")
    messages: list[str] = []

    def ask_for_five(dialog) -> None:
        spin = dialog.model_choice.k_spin
        spin.setFocus()
        qtbot.keyClick(spin, QtCore.Qt.Key.Key_A, QtCore.Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClicks(spin, "5")
        qtbot.keyClick(spin, Key.Key_Tab)
        messages.append(dialog.info_label.text())
        assert not dialog.ok_button.isEnabled()

    assert not open_csv_by_keyboard(qtbot, window, monkeypatch, path, ask_for_five)
    (message,) = messages
    assert "\n" not in message
    assert "K = 5" in message and "the largest K possible is 3" in message
    assert window.controller.session is before  # the session on screen stays


def test_generated_data_start_from_the_dialogs_model(qtbot, window, monkeypatch):
    from gmmviewer.ui.dialogs import GenerateDialog

    set_model_in_panel(qtbot, window, k_ups=2, covariance_downs=2, seed_ups=1)
    warnings: list[str] = []
    monkeypatch.setattr(
        QtWidgets.QMessageBox,
        "warning",
        staticmethod(lambda parent, title, text, *args: warnings.append(text)),
    )
    shown: list[tuple] = []

    def answer() -> None:
        dialog = QtWidgets.QApplication.activeModalWidget()
        if discard_unsaved_changes(dialog, answer):
            return
        if not isinstance(dialog, GenerateDialog):
            QtCore.QTimer.singleShot(10, answer)  # not open yet: look again
            return
        try:
            fill_in(dialog)
        finally:
            if dialog.isVisible():
                dialog.reject()

    def fill_in(dialog) -> None:
        choice = dialog.model_choice
        shown.append((choice.k_spin.value(), choice.covariance_combo.currentData()))
        # Ten points cannot take twenty components: the dialog says so and stays open.
        dialog.n_samples_spin.setValue(10)
        choice.k_spin.setValue(20)
        qtbot.mouseClick(
            dialog.button_box.button(QtWidgets.QDialogButtonBox.StandardButton.Ok),
            QtCore.Qt.MouseButton.LeftButton,
        )
        assert dialog.isVisible()
        choice.k_spin.setValue(3)
        dialog.n_samples_spin.setValue(600)
        qtbot.mouseClick(
            dialog.button_box.button(QtWidgets.QDialogButtonBox.StandardButton.Ok),
            QtCore.Qt.MouseButton.LeftButton,
        )

    QtCore.QTimer.singleShot(0, answer)
    qtbot.keyClick(window, Key.Key_G, QtCore.Qt.KeyboardModifier.ControlModifier)
    activate(qtbot, window)
    assert shown == [(3, "full")]  # the lecture preset's three components, full
    assert len(warnings) == 1 and "the largest K possible is 10" in warnings[0]
    assert "\n" not in warnings[0]
    session = window.controller.session
    assert session.dataset.source == "preset:lecture"
    assert (session.n_components, session.params.covariance_type) == (3, "full")
    assert (session.init, session.seed) == ("kmeans", 0)
