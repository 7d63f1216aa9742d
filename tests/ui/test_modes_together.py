"""Several teaching modes on at once, driven through the real window with clicks, drags and
keys: data-edit (paint) mode with predict mode, the likelihood landscape, membership
lines and uncertainty colouring; undo and redo across data edits with every overlay on;
keys 1-9; the F1 sheet; the status bar as modes come and go; painting during a run.

The rules these tests hold (docs: /work/notes/modes-together.md):

* Handles win over the brush: a press on a ghost or a mean handle drags it, a click on
  one adds no point, and the brush circle hides over them.
* In data-edit mode the mouse edits the data: a left click adds a point wherever it lands
  (over a point too) and never inspects one, so it never picks the E-step guess's point.
* An edit of the data (or undo or redo across one) discards an unrevealed guess, and the
  Predict tab and the status bar say so; the overlays follow the new data.
* An edit during a run pauses the run and says so; R runs on, on the new data.

Expected responsibilities and likelihoods come from scipy, not from gmmviewer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from modeshelpers import (
    check_landscape,
    check_lines,
    check_uncertainty,
    empty_spot,
    focused,
    ghost_pixel,
    ghosts_on_the_means,
    half_step,
    hover,
    lone_point,
    pixel,
    pixels_of,
    point_pixel,
    press,
    spray,
    wait_for_landscape_of_current_data,
)
from PySide6 import QtCore, QtGui, QtWidgets
from uihelpers import LEFT, RIGHT, WAIT_TIMEOUT_MS, image_colours, mouse_click, mouse_drag

from gmmviewer.ui.views.colours import component_colours

Key = QtCore.Qt.Key


@pytest.fixture(autouse=True)
def active(qtbot, window):
    """Keys reach the window's shortcuts once it is the active window."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_TIMEOUT_MS)
    return window


# ===================================================================== paint + predict
def test_in_paint_mode_a_click_adds_a_point_even_on_a_point_and_never_picks_the_guess(
    qtbot, window
):
    view, session = window.scatter, window.controller.session
    press(qtbot, window, Key.Key_P)
    assert (
        session.next_step == "E"
        and "Click a data point" in window.predict_panel.instructions.text()
    )
    press(qtbot, window, Key.Key_D)
    # The tab says what a click does now.
    assert "a click adds a point" in window.predict_panel.instructions.text()
    n = session.n_samples
    index = lone_point(view)
    target = point_pixel(view, index)
    mouse_click(view.plot_widget, target)
    assert session.n_samples == n + 1
    np.testing.assert_allclose(
        pixels_of(view, session.X[-1, :2])[0], (target.x(), target.y()), atol=1.5
    )
    assert window.view_state.inspected is None and window.predict_mode._guess_point is None
    assert not window.actions_by_name["reveal"].isEnabled()
    mouse_click(view.plot_widget, empty_spot(view))
    assert session.n_samples == n + 2 and window.view_state.inspected is None
    # Out of data-edit mode the same click picks the point to guess, and adds nothing.
    press(qtbot, window, Key.Key_D)
    assert "a click adds a point" not in window.predict_panel.instructions.text()
    index = lone_point(view)
    mouse_click(view.plot_widget, point_pixel(view, index))
    assert session.n_samples == n + 2
    assert window.view_state.inspected == index and window.predict_mode._guess_point == index
    assert window.actions_by_name["reveal"].isEnabled()


def test_in_paint_mode_ghosts_and_mean_handles_win_over_the_brush(qtbot, window):
    view, session = window.scatter, window.controller.session
    half_step(qtbot, window, Key.Key_E)
    press(qtbot, window, Key.Key_P)
    press(qtbot, window, Key.Key_D)
    ghosts, surface = window.predict_mode.ghosts, view.paint_surface
    assert ghosts.movable and surface.isVisible()
    n, entries = session.n_samples, len(session.history)
    # A drag from a ghost moves the ghost (here into empty space), and sprays nothing.
    spot = empty_spot(view, clearance=60)
    hover(view, spot)
    assert surface.circle.isVisible()
    mouse_drag(view.plot_widget, ghost_pixel(window, 0), spot, steps=6)
    assert session.n_samples == n and len(session.history) == entries
    assert not len(surface.stroke()) and not len(surface.preview.getData()[0])
    expected = view.pixel_to_data(spot)
    pixel_size = max(view.plot_item.vb.viewPixelSize())
    np.testing.assert_allclose(
        ghosts.ghost_means()[0], (expected.x(), expected.y()), atol=2 * pixel_size
    )
    # Over the ghost, with no point near, the brush hides: a drag there is the ghost's.
    hover(view, spot + QtCore.QPointF(3, 0))
    assert not surface.circle.isVisible()
    hover(view, empty_spot(view, clearance=60))
    assert surface.circle.isVisible()
    # A click on the ghost adds no point under it.
    mouse_click(view.plot_widget, ghost_pixel(window, 0))
    assert session.n_samples == n and len(session.history) == entries
    # Mean 1 lies bare now: a drag moves it (into empty space), a click on it adds nothing.
    mean = session.params.means[0].copy()
    spot = empty_spot(view, clearance=60)
    mouse_drag(view.plot_widget, pixel(view, *mean), spot, steps=6)
    assert session.state.action == "move mean" and session.n_samples == n
    assert not np.allclose(session.params.means[0], mean)
    entries = len(session.history)
    mouse_click(view.plot_widget, pixel(view, *session.params.means[0]))
    assert session.n_samples == n and len(session.history) == entries


def test_a_data_edit_discards_a_dragged_ghost_guess_and_says_so(qtbot, window):
    view, session = window.scatter, window.controller.session
    half_step(qtbot, window, Key.Key_E)
    press(qtbot, window, Key.Key_P)
    start = ghost_pixel(window, 0)
    mouse_drag(view.plot_widget, start, start + QtCore.QPointF(50, 20), steps=5)
    assert not ghosts_on_the_means(window)
    press(qtbot, window, Key.Key_D)
    mouse_click(view.plot_widget, empty_spot(view))
    assert session.state.action == "add points"
    # A new exercise on the new data: the ghosts start again on the means.
    assert ghosts_on_the_means(window) and window.actions_by_name["reveal"].isEnabled()
    assert "guess was discarded" in window.predict_panel.instructions.text()
    # The status bar says both what the edit did and what became of the guess.
    qtbot.waitUntil(
        lambda: "guess was discarded" in window.reporter.last_status, timeout=WAIT_TIMEOUT_MS
    )
    assert window.reporter.last_status.startswith("Added a point at")
    # Undo brings the old data back; there was no guess to discard this time.
    press(qtbot, window, Key.Key_Left)
    assert session.state.action == "e-step"
    assert ghosts_on_the_means(window)
    assert "discarded" not in window.predict_panel.instructions.text()


def test_a_data_edit_discards_the_guessed_point_and_its_sliders(qtbot, window):
    view, session = window.scatter, window.controller.session
    press(qtbot, window, Key.Key_P)
    index = lone_point(view)
    mouse_click(view.plot_widget, point_pixel(view, index))
    assert window.predict_mode._guess_point == index
    assert window.actions_by_name["reveal"].isEnabled()
    press(qtbot, window, Key.Key_D)
    # Deleting another point moves the rows: the guess named a point that may be gone.
    other = lone_point(view, clearance=25.0)
    if other == index:
        other = next(i for i in range(session.n_samples) if i != index)
    n = session.n_samples
    mouse_click(view.plot_widget, point_pixel(view, other), RIGHT)
    assert session.n_samples == n - 1
    assert window.predict_mode._guess_point is None and window.view_state.inspected is None
    assert not window.actions_by_name["reveal"].isEnabled()
    assert "guess was discarded" in window.predict_panel.instructions.text()
    qtbot.waitUntil(
        lambda: "guess was discarded" in window.reporter.last_status, timeout=WAIT_TIMEOUT_MS
    )


def test_ghosts_stay_readable_over_membership_lines_of_their_colour(qtbot, window):
    """Each component's lines converge on its mean, where its ghost waits: the ghost's
    dashed ring keeps a halo of the plot's background, not the lines' colour."""
    view = window.scatter
    half_step(qtbot, window, Key.Key_E)
    press(qtbot, window, Key.Key_J)
    press(qtbot, window, Key.Key_P)
    assert window.predict_mode.ghosts.shown
    image = image_colours(view.plot_widget.grab().toImage())[:, :, 2::-1].astype(int)  # RGB
    offset = view.plot_widget.viewport().pos()
    background = np.array(QtGui.QColor(window.scatter.theme.plot_background).getRgb()[:3])
    for component, handle in enumerate(window.predict_mode.ghosts.handles):
        centre = ghost_pixel(window, component) + QtCore.QPointF(offset)
        radius = handle.scale / 2  # the dashed ring; its halo reaches 3 px beyond
        colour = component_colours(3)[component].astype(int)
        angles = np.linspace(0, 2 * np.pi, 90, endpoint=False)

        def ring(r: float, x: float = centre.x(), y: float = centre.y()) -> np.ndarray:
            xs = np.round(x + r * np.cos(angles)).astype(int)  # noqa: B023 - used at once
            ys = np.round(y + r * np.sin(angles)).astype(int)  # noqa: B023
            return image[ys, xs]

        dashes = np.abs(ring(radius) - colour).max(axis=1) <= 40
        halo = np.abs(ring(radius + 2) - background).max(axis=1) <= 12
        assert np.mean(dashes) >= 0.4, f"ghost {component + 1}'s dashes are missing"
        # Without the halo none of these are the background (measured: 0 of 90).
        assert np.mean(halo) >= 0.5, f"ghost {component + 1} is lost in its lines"


# ====================================================== overlays follow the edited data
def test_the_landscape_is_computed_again_for_edited_data_and_after_undo(qtbot, window):
    view, session = window.scatter, window.controller.session
    press(qtbot, window, Key.Key_G)
    first = wait_for_landscape_of_current_data(qtbot, window)
    press(qtbot, window, Key.Key_D)
    spray(view, empty_spot(view, clearance=40))
    assert session.n_samples > first.landscape.n_samples
    frame = wait_for_landscape_of_current_data(qtbot, window)
    check_landscape(window, frame)
    press(qtbot, window, Key.Key_Left)
    assert session.n_samples == first.landscape.n_samples
    check_landscape(window, wait_for_landscape_of_current_data(qtbot, window))


def test_membership_lines_follow_every_data_edit_and_undo(qtbot, window):
    view, session = window.scatter, window.controller.session
    half_step(qtbot, window, Key.Key_E)
    press(qtbot, window, Key.Key_J)
    check_lines(window)
    press(qtbot, window, Key.Key_D)
    n = session.n_samples
    spray(view, empty_spot(view, clearance=40))
    assert session.n_samples > n
    check_lines(window)
    mouse_click(view.plot_widget, point_pixel(view, lone_point(view)), RIGHT)
    check_lines(window)
    press(qtbot, window, Key.Key_Left)
    press(qtbot, window, Key.Key_Left)
    assert session.n_samples == n
    check_lines(window)


def test_uncertainty_colours_follow_every_data_edit_and_undo(qtbot, window):
    view, session = window.scatter, window.controller.session
    half_step(qtbot, window, Key.Key_E)
    press(qtbot, window, Key.Key_U)
    check_uncertainty(window)
    press(qtbot, window, Key.Key_D)
    n = session.n_samples
    mouse_click(view.plot_widget, empty_spot(view))
    check_uncertainty(window)
    spray(view, empty_spot(view, clearance=40))
    check_uncertainty(window)
    mouse_click(view.plot_widget, point_pixel(view, lone_point(view)), RIGHT)
    check_uncertainty(window)
    for _ in range(3):
        press(qtbot, window, Key.Key_Left)
        check_uncertainty(window)
    assert session.n_samples == n
    for _ in range(3):
        press(qtbot, window, Key.Key_Right)
        check_uncertainty(window)


def test_undo_and_redo_across_data_edits_with_every_overlay_on(qtbot, window):
    view, session = window.scatter, window.controller.session
    half_step(qtbot, window, Key.Key_E)
    for key in (Key.Key_J, Key.Key_U, Key.Key_G, Key.Key_C, Key.Key_P, Key.Key_D):
        press(qtbot, window, key)
    state = window.view_state
    assert state.membership and state.uncertainty and state.landscape and state.contours
    assert window.predict_mode.active and window.controller.painter.active

    def check() -> None:
        assert window.last_error_box is None
        np.testing.assert_array_equal(view.points.positions(), session.X[:, :2])
        check_uncertainty(window)
        check_lines(window)
        assert ghosts_on_the_means(window)  # the M-step is next all along
        assert window.view_state.inspected is None
        check_landscape(window, wait_for_landscape_of_current_data(qtbot, window))

    data = [session.X.copy()]
    mouse_click(view.plot_widget, empty_spot(view))
    data.append(session.X.copy())
    spray(view, empty_spot(view, clearance=40))
    data.append(session.X.copy())
    index = lone_point(view)
    start = point_pixel(view, index)
    mouse_drag(view.plot_widget, start, start + QtCore.QPointF(30, -25), steps=4)
    assert session.state.action == "move point"
    data.append(session.X.copy())
    mouse_click(view.plot_widget, point_pixel(view, lone_point(view)), RIGHT)
    data.append(session.X.copy())
    check()
    for back in range(1, 5):
        press(qtbot, window, Key.Key_Left)
        np.testing.assert_array_equal(session.X, data[-1 - back])
        check()
    for forward in range(1, 5):
        press(qtbot, window, Key.Key_Right)
        np.testing.assert_array_equal(session.X, data[forward])
        check()


def test_clear_data_and_placing_again_with_every_overlay_on(qtbot, window):
    view, session = window.scatter, window.controller.session
    half_step(qtbot, window, Key.Key_E)
    for key in (Key.Key_J, Key.Key_U, Key.Key_G, Key.Key_C, Key.Key_P):
        press(qtbot, window, key)
    wait_for_landscape_of_current_data(qtbot, window)
    n = session.n_samples
    window.actions_by_name["clear_data"].trigger()
    assert session.n_samples == 0 and not session.placed
    # Nothing of the old data stays drawn: no lines, no landscape, no ghosts, no points.
    assert window.responsibility_views.membership.line_count() == 0
    assert window.landscape.layer.frame is None or not window.landscape.layer.image.isVisible()
    assert not window.predict_mode.ghosts.shown
    assert len(view.points.positions()) == 0
    assert window.last_error_box is None
    spots = []
    for _ in range(3):
        spots.append(empty_spot(view, clearance=60))
        mouse_click(view.plot_widget, spots[-1])
    assert session.n_samples == 3 and session.placed and session.next_step == "E"
    assert len(view.points.positions()) == 3
    half_step(qtbot, window, Key.Key_E)
    check_lines(window)
    check_uncertainty(window)
    assert ghosts_on_the_means(window)
    check_landscape(window, wait_for_landscape_of_current_data(qtbot, window))
    # Back to the data before the clear, and every overlay with them.
    while session.n_samples != n:
        press(qtbot, window, Key.Key_Left)
    check_lines(window)
    check_uncertainty(window)
    check_landscape(window, wait_for_landscape_of_current_data(qtbot, window))
    assert window.last_error_box is None


# ============================================================================ keys 1-9
def test_number_keys_choose_the_landscape_mean_and_leave_spin_boxes_their_digits(qtbot, window):
    overlay = window.landscape
    # Off: the key is remembered and says how to see it; nothing is computed.
    press(qtbot, window, Key.Key_2)
    assert overlay.component == 1 and overlay.frame is None and not overlay.job.running
    assert "G shows it" in window.reporter.last_status
    press(qtbot, window, Key.Key_7)
    assert overlay.component == 1 and "There is no mean 7" in window.reporter.last_status
    press(qtbot, window, Key.Key_G)
    wait_for_landscape_of_current_data(qtbot, window, component=1)
    # A spin box with the focus keeps its digits, even once it has committed its value.
    seed = window.controls.seed_spin
    qtbot.mouseClick(seed.lineEdit(), LEFT)
    assert focused() is seed
    before = seed.text()
    press(qtbot, window, Key.Key_End)
    press(qtbot, window, Key.Key_3)
    assert seed.text() == before + "3" and overlay.component == 1
    press(qtbot, window, Key.Key_Backspace)
    assert seed.text() == before
    window.scatter.plot_widget.setFocus()
    qtbot.waitUntil(lambda: focused() is window.scatter.plot_widget, timeout=WAIT_TIMEOUT_MS)
    press(qtbot, window, Key.Key_3)
    wait_for_landscape_of_current_data(qtbot, window, component=2)


# ============================================================================= F1 sheet
def test_the_shortcut_sheet_lists_every_mode_key(qtbot, window):
    press(qtbot, window, Key.Key_F1)
    sheet = window.findChild(QtWidgets.QDialog, "shortcut_sheet")
    assert sheet is not None and sheet.isVisible()
    table = sheet.table
    shown = {
        table.item(r, c).text(): table.item(r, c + 1).text()
        for r in range(table.rowCount())
        for c in range(0, table.columnCount(), 2)
        if table.item(r, c) is not None
    }
    expected = {
        "Edit data": "D",
        "Likelihood landscape": "G",
        "Membership lines": "J",
        "Uncertainty colouring": "U",
        "Predict the next step": "P",
        "Reveal": "V",
        "Choose the landscape's mean": "1\u20139",
    }
    for name, keys in expected.items():
        assert shown[name] == keys
    # Generated from the window's actions: one made now is listed the next time.
    extra = QtGui.QAction("A new command", window)
    extra.setShortcut(QtGui.QKeySequence("Ctrl+Shift+F9"))
    window.actions_by_name["extra"] = extra
    try:
        sheet.close()
        press(qtbot, window, Key.Key_F1)
        again = window.findChildren(QtWidgets.QDialog, "shortcut_sheet")[-1]
        assert again.rows()["A new command"] == "Ctrl+Shift+F9"
        again.close()
    finally:
        del window.actions_by_name["extra"]
        extra.deleteLater()


SHEET_AT_1280x720 = """
import json, sys
from PySide6 import QtCore, QtWidgets
from gmmviewer.ui.app import create_application
from gmmviewer.ui.dialogs.shortcut_sheet import ShortcutSheet
from gmmviewer.ui.window.main_window import MainWindow
app = create_application()
settings = QtCore.QSettings(sys.argv[1], QtCore.QSettings.Format.IniFormat)
window = MainWindow(settings=settings)
window.view_state.update(scale=1.520875, theme=sys.argv[2])
window.show()
sheet = ShortcutSheet(window.actions_by_name, window)
sheet.show()
for _ in range(5):
    app.processEvents()
table = sheet.table
print(json.dumps({
    "screen": [window.screen().availableGeometry().width(),
               window.screen().availableGeometry().height()],
    "sheet": [sheet.frameGeometry().width(), sheet.frameGeometry().height()],
    "vertical_scroll": table.verticalScrollBar().maximum(),
    "horizontal_scroll": table.horizontalScrollBar().maximum(),
    "rows": len(sheet.rows()),
    "pairs": sheet.pairs,
}))
window.controller.mark_saved()
"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_shortcut_sheet_shows_every_key_at_once_on_1280x720_at_scale_1_5(tmp_path, theme):
    screen = tmp_path / "screen.json"
    screen.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "projector",
                        "x": 0,
                        "y": 0,
                        "width": 1280,
                        "height": 720,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }  # fmt: skip
        )
    )
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={screen}")
    script = tmp_path / "sheet.py"
    script.write_text(SHEET_AT_1280x720)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "settings.ini"), theme],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["screen"] == [1280, 720]
    assert found["sheet"][0] <= 1280 and found["sheet"][1] <= 720
    assert found["vertical_scroll"] == 0 and found["horizontal_scroll"] == 0
    assert found["rows"] >= 42 and found["pairs"] >= 2


# ============================================================================ status bar
MODE_KEYS = [
    (Key.Key_D, "Data-edit mode (D to leave)", "Left data-edit mode"),
    (Key.Key_P, "Predict mode (P to leave)", "Left predict mode"),
    (Key.Key_G, "Likelihood landscape (G to hide)", "Likelihood landscape hidden"),
    (Key.Key_J, "Membership lines (J to hide)", "Membership lines hidden"),
    (Key.Key_U, "Uncertainty colouring (U to leave)", "Points coloured by their components again"),
]


@pytest.mark.parametrize("key, entering, leaving", MODE_KEYS, ids=list("DPGJU"))
def test_entering_and_leaving_a_mode_says_so_and_leaves_no_stale_note(
    qtbot, window, key, entering, leaving
):
    message = window.status_view.labels["message"]
    press(qtbot, window, key)
    assert window.reporter.last_status.startswith(entering)
    assert message.text().startswith(entering)
    press(qtbot, window, key)
    assert window.reporter.last_status == leaving
    assert message.text() == leaving


def test_modes_on_together_each_say_their_own_and_leave_in_any_order(qtbot, window):
    message = window.status_view.labels["message"]
    for key, entering, _ in MODE_KEYS:
        press(qtbot, window, key)
        assert message.text().startswith(entering)
    for key, _entering, leaving in reversed(MODE_KEYS):
        press(qtbot, window, key)
        assert message.text() == leaving


# ============================================================================= running
def test_painting_during_a_run_pauses_it_and_says_so(qtbot, window):
    view, session, controller = window.scatter, window.controller.session, window.controller
    window.view_state.update(speed=0.5)  # a run that is still going when the edit comes
    press(qtbot, window, Key.Key_D)
    for gesture in ("click", "spray", "move", "delete"):
        press(qtbot, window, Key.Key_R)
        assert controller.running, gesture
        n = session.n_samples
        if gesture == "click":
            mouse_click(view.plot_widget, empty_spot(view))
            assert session.n_samples == n + 1
        elif gesture == "spray":
            spray(view, empty_spot(view, clearance=40))
            assert session.n_samples > n
        elif gesture == "move":
            start = point_pixel(view, lone_point(view))
            mouse_drag(view.plot_widget, start, start + QtCore.QPointF(20, 20), steps=4)
            assert session.state.action == "move point"
        else:
            mouse_click(view.plot_widget, point_pixel(view, lone_point(view)), RIGHT)
            assert session.n_samples == n - 1
        assert not controller.running, gesture
        assert window.reporter.last_status.startswith("Run paused to edit the data"), gesture
        assert window.actions_by_name["run"].text() == "Run"
    # The next edit without a run says nothing of one; R runs on, on the new data.
    mouse_click(view.plot_widget, empty_spot(view))
    assert window.reporter.last_status.startswith("Added a point")
    entries = len(session.history)
    window.view_state.update(speed=60)
    press(qtbot, window, Key.Key_R)
    qtbot.waitUntil(lambda: len(session.history) > entries + 1, timeout=WAIT_TIMEOUT_MS)
    controller.pause()
