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


def assert_readable_log_axis(qtbot, window: MainWindow, plotted_values: np.ndarray) -> None:
    """At least two distinct tick labels, each a value inside the range shown, and the
    plotted values fill a good part of the height (the curve is not flat)."""
    low, high = y_range(window)
    labels = settled_tick_labels(qtbot, window.nll_view.y_axis)
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
    assert "lowest NLL + 1" in window.nll_view.axis_label
    assert "log" in window.nll_view.axis_label
    assert "+ 1" in window.nll_view.readout.text()
    press(qtbot, window, Key.Key_L)
    assert window.nll_view.axis_label == "NLL"


def test_after_a_wheel_zoom_the_x_range_follows_new_steps_and_a_fits_again(qtbot, window):
    press(qtbot, window, Key.Key_Space, 4)
    wait_idle(qtbot, window)
    full_x, full_y = x_range(window), y_range(window)
    curve = window.nll_view.curve
    assert inside(curve.xs.max(), full_x)

    # Zoom in with the wheel at the middle of the NLL plot.
    viewport = window.nll_view.plot_widget.viewport()
    centre = QtCore.QPointF(viewport.width() / 2, viewport.height() / 2)
    wheel = QtGui.QWheelEvent(
        centre,
        viewport.mapToGlobal(centre),
        QtCore.QPoint(0, 0),
        QtCore.QPoint(0, 600),
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
        QtCore.Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QtWidgets.QApplication.sendEvent(viewport, wheel)
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
    QtWidgets.QApplication.sendEvent(viewport, wheel)
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
    for log in (False, True):
        if window.nll_view.log_scale != log:
            press(qtbot, window, Key.Key_L)
        labels = settled_tick_labels(qtbot, window.nll_view.y_axis)
        assert len(labels) >= 2, labels
        assert len(set(labels)) == len(labels), labels
        values = [label_value(text) for text in labels]
        # Each distinct label is a distinct number near the NLL.
        assert len(set(values)) == len(values)
        for value in values:
            assert value == pytest.approx(curve.nll[0], rel=0.1)
        assert inside(window.nll_view.plotted(curve.nll)[0], y_range(window))


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
