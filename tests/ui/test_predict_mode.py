"""Predict the step, driven through the real window: the P key, ghost drags and the mouse
wheel through the scatter view, a clicked point and the guess sliders, the Reveal button,
and the session's log of predictions in the Predict tab."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from uihelpers import WAIT_TIMEOUT_MS, mouse_click, mouse_drag

Key = QtCore.Qt.Key
LEFT = QtCore.Qt.MouseButton.LeftButton


def half_step(qtbot, window, key) -> None:
    """Press E or M and wait for the half-step to be applied."""
    session = window.controller.session
    length = len(session.history)
    qtbot.keyClick(window, key)
    qtbot.waitUntil(lambda: len(session.history) == length + 1, timeout=WAIT_TIMEOUT_MS)


def reveal(qtbot, window) -> None:
    """Click the Predict tab's Reveal button and wait for the log to grow."""
    log = window.controller.session.predictions
    count = len(log)
    qtbot.mouseClick(window.predict_panel.reveal_button, LEFT)
    qtbot.waitUntil(lambda: len(log) == count + 1, timeout=WAIT_TIMEOUT_MS)


def wheel(widget: QtWidgets.QGraphicsView, pos: QtCore.QPointF, notches: int) -> None:
    """Turn the mouse wheel ``notches`` notches away from the user at ``pos``."""
    viewport = widget.viewport()
    event = QtGui.QWheelEvent(
        pos,
        QtCore.QPointF(viewport.mapToGlobal(pos.toPoint())),
        QtCore.QPoint(0, 0),
        QtCore.QPoint(0, 120 * notches),
        QtCore.Qt.MouseButton.NoButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
        QtCore.Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QtWidgets.QApplication.sendEvent(viewport, event)


@pytest.fixture
def before_m_step(qtbot, window):
    """The demo after its first E-step, Predict mode on: ghosts wait on the means."""
    assert window.controller.session.next_step == "E"
    # Window shortcuts reach only the active window (activated once events are processed).
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_TIMEOUT_MS)
    half_step(qtbot, window, Key.Key_E)
    qtbot.keyClick(window, Key.Key_P)
    return window


def test_p_turns_predict_mode_on_and_off(qtbot, window):
    action = window.actions_by_name["predict"]
    assert action.shortcut().toString() == "P"
    assert window.actions_by_name["reveal"].shortcut().toString() == "V"
    qtbot.keyClick(window, Key.Key_P)
    assert action.isChecked()
    assert window.controls.tabs.currentWidget() is window.predict_panel
    # The demo starts before an E-step: a point is to be clicked, nothing to reveal yet.
    assert "E-step" in window.predict_panel.instructions.text()
    assert not window.predict_mode.ghosts.shown
    assert not window.actions_by_name["reveal"].isEnabled()
    half_step(qtbot, window, Key.Key_E)
    ghosts = window.predict_mode.ghosts
    assert ghosts.shown and window.actions_by_name["reveal"].isEnabled()
    qtbot.keyClick(window, Key.Key_P)
    assert not action.isChecked() and not ghosts.shown
    assert not window.actions_by_name["reveal"].isEnabled()


def test_a_dragged_ghost_is_scored_against_the_m_step_on_reveal(qtbot, before_m_step):
    window = before_m_step
    session, scatter = window.controller.session, window.scatter
    ghosts = window.predict_mode.ghosts
    before = session.params.means.copy()
    np.testing.assert_allclose(ghosts.ghost_means(), before)  # ghosts start on the means
    length = len(session.history)
    start = QtCore.QPointF(scatter.data_to_pixel(*before[1]))
    end = start + QtCore.QPointF(70, -50)
    mouse_drag(scatter.plot_widget, start, end)
    shift = scatter.pixel_to_data(end) - scatter.pixel_to_data(start)
    guess = before[1] + [shift.x(), shift.y()]
    np.testing.assert_allclose(ghosts.ghost_means()[1], guess, atol=1e-6)
    # The ghost took the drag: the mean itself did not move.
    assert len(session.history) == length
    np.testing.assert_array_equal(session.params.means, before)

    reveal(qtbot, window)
    assert len(session.history) == length + 1
    assert session.state.action == "m-step"
    assert len(session.predictions) == 1
    record = session.predictions[0]
    expected = np.linalg.norm(
        np.vstack([before[0], guess, before[2]]) - session.params.means, axis=1
    )
    np.testing.assert_allclose(record.component_errors, expected, rtol=1e-9)
    assert expected[1] > 0.5  # the guess was not where the M-step put the mean
    spread = np.sqrt(np.mean(np.var(session.X, axis=0)))
    assert record.score == pytest.approx(expected.mean() / spread)
    # The plot joins each ghost to its new mean; the tab lists the distances and the log.
    assert len(ghosts.lines) == 3 and not ghosts.movable
    xs, ys = ghosts.lines[1].getData()
    np.testing.assert_allclose([xs[1], ys[1]], session.params.means[1])
    table = window.predict_panel.result_table
    assert table.item(1, 1).text() == f"{expected[1]:.3g}"
    assert table.item(3, 2).text() == f"{100 * record.score:.1f}%"
    assert window.predict_panel.log_table.rowCount() == 1
    assert "M-step 1" in window.predict_panel.log_table.item(0, 1).text()


def test_widening_a_ghost_ellipse_is_scored_as_its_size(qtbot, before_m_step):
    window = before_m_step
    session, scatter = window.controller.session, window.scatter
    ghosts = window.predict_mode.ghosts
    before = session.params.full_covariances()[0].copy()
    view_range = scatter.view_range()
    wheel(scatter.plot_widget, QtCore.QPointF(scatter.data_to_pixel(*session.params.means[0])), 2)
    np.testing.assert_allclose(ghosts.size_factors(), [1.1**2, 1.0, 1.0])
    assert scatter.view_range() == view_range  # the wheel resized the ghost, not the plot
    reveal(qtbot, window)
    record = session.predictions[0]
    assert "ellipses" in record.summary
    # Size ratio by hand: the geometric-mean standard deviation of the widened guess
    # over that of the M-step's covariance.
    after = session.params.full_covariances()[0]
    ratio = 1.1**2 * (np.linalg.det(before) / np.linalg.det(after)) ** 0.25
    table = window.predict_panel.result_table
    assert table.horizontalHeaderItem(3).text() == "size ×"
    assert table.item(0, 3).text() == f"{ratio:.2f}"


def far_point(window) -> int:
    """A data point well away from every mean handle, so a click inspects it."""
    session = window.controller.session
    xy = session.X[:, :2]
    distance = np.min(np.linalg.norm(xy[:, None] - session.params.means[None, :, :2], axis=2), 1)
    return int(np.argsort(distance)[len(distance) // 2])


def test_guessing_a_points_responsibilities_before_the_e_step(qtbot, window):
    session, panel = window.controller.session, window.predict_panel
    # A redo entry, so that End reaching the window (instead of a slider) would show.
    half_step(qtbot, window, Key.Key_E)
    qtbot.keyClick(window, Key.Key_Left)
    position = session.position
    qtbot.keyClick(window, Key.Key_P)
    point = far_point(window)
    mouse_click(
        window.scatter.plot_widget, QtCore.QPointF(window.scatter.data_to_pixel(*session.X[point]))
    )
    assert window.view_state.inspected == point
    assert window.controls.tabs.currentWidget() is panel
    assert panel.guess_group.isVisible() and len(panel.sliders) == 3
    qtbot.keyClick(panel.sliders[0], Key.Key_End)
    assert session.position == position  # the slider kept End: no jump to the last entry
    qtbot.keyClick(panel.sliders[1], Key.Key_Home)
    np.testing.assert_allclose(panel.normalised_guess(), [2 / 3, 0.0, 1 / 3])
    assert panel.slider_labels[0].text().endswith("1: 67%")
    assert window.actions_by_name["reveal"].isEnabled()

    count = len(session.predictions)
    qtbot.keyClick(window, Key.Key_V)
    qtbot.waitUntil(lambda: len(session.predictions) == count + 1, timeout=WAIT_TIMEOUT_MS)
    assert session.state.action == "e-step" and session.position == position + 1
    actual = np.asarray(session.responsibilities[point])
    record = session.predictions[-1]
    assert record.point == point
    expected = 0.5 * np.abs(np.array([2 / 3, 0.0, 1 / 3]) - actual).sum()
    assert record.score == pytest.approx(expected)
    np.testing.assert_allclose(panel.guess_heights, [2 / 3, 0.0, 1 / 3])
    np.testing.assert_allclose(panel.actual_heights, actual)
    assert f"{100 * expected:.1f}%" in panel.result_summary.text()
    # Next comes the M-step: its ghosts are out.
    assert window.predict_mode.ghosts.movable


def test_a_step_without_reveal_discards_the_guess(qtbot, before_m_step):
    window = before_m_step
    session, scatter = window.controller.session, window.scatter
    ghosts = window.predict_mode.ghosts
    start = QtCore.QPointF(scatter.data_to_pixel(*session.params.means[0]))
    mouse_drag(scatter.plot_widget, start, start + QtCore.QPointF(50, 50))
    half_step(qtbot, window, Key.Key_M)
    assert len(session.predictions) == 0
    assert not ghosts.shown  # next comes an E-step: no ghosts
    half_step(qtbot, window, Key.Key_E)
    np.testing.assert_allclose(ghosts.ghost_means(), session.params.means)  # fresh ghosts


def test_the_log_survives_undo_and_stays_in_the_tab(qtbot, before_m_step):
    window = before_m_step
    session, panel = window.controller.session, window.predict_panel
    reveal(qtbot, window)
    kept = session.predictions.records
    qtbot.keyClick(window, Key.Key_Left)
    assert session.state.action == "e-step"
    assert session.predictions.records == kept
    assert panel.log_table.rowCount() == 1
    # Back before the M-step: a new exercise, ghosts on the means again.
    ghosts = window.predict_mode.ghosts
    assert ghosts.movable
    np.testing.assert_allclose(ghosts.ghost_means(), session.params.means)
    reveal(qtbot, window)
    assert len(session.predictions) == 2 and panel.log_table.rowCount() == 2
    assert "means:" in panel.log_summary.text() and "(2)" in panel.log_summary.text()
