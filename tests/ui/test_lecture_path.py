"""The lecture path through the controller: drags during Run are kept, and a modified
session is never dropped without asking (Save / Discard / Cancel)."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets
from uihelpers import mouse_drag

from gmmviewer.core.data.synthetic import make_preset

Key = QtCore.Qt.Key
Button = QtWidgets.QMessageBox.StandardButton


# ====================================================================== drag during Run
def test_a_drag_during_run_pauses_and_becomes_one_undoable_entry(qtbot, window):
    controller, session = window.controller, window.controller.session
    controller.set_speed(1.0)  # slow enough that the run is still going when the drag lands
    qtbot.keyClick(window, Key.Key_R)
    qtbot.waitUntil(lambda: session.position >= 2, timeout=60_000)
    assert controller.running
    scatter = window.scatter
    before = session.params.means.copy()
    start = QtCore.QPointF(scatter.data_to_pixel(*before[0]))
    end = start + QtCore.QPointF(50, 30)
    mouse_drag(scatter.plot_widget, start, end)
    assert not controller.running
    assert session.state.action == "move mean"
    assert np.linalg.norm(session.params.means[0] - before[0]) > 0.3
    edited = session.state
    edit_index = session.position
    assert [s.action for s in session.history].count("move mean") == 1
    # Run continues from the edited means: the next E-step uses exactly those parameters.
    controller.set_speed(60.0)
    qtbot.keyClick(window, Key.Key_R)
    qtbot.waitUntil(lambda: session.position > edit_index, timeout=60_000)
    assert session.history[edit_index + 1].resp_params is edited.params
    controller.pause()
    # And the edit is undoable like any other.
    controller.go_to(edit_index)
    qtbot.keyClick(window, Key.Key_Left)
    np.testing.assert_array_equal(session.params.means[0], before[0])


# ==================================================================== unsaved changes
def answer_next_question(qtbot, button: QtWidgets.QMessageBox.StandardButton) -> list[str]:
    """Click ``button`` in the unsaved-changes box as soon as it is shown."""
    asked: list[str] = []

    def click() -> None:
        box = QtWidgets.QApplication.activeModalWidget()
        if not isinstance(box, QtWidgets.QMessageBox):
            QtCore.QTimer.singleShot(0, click)  # not shown yet: look again next turn
            return
        asked.append(box.text())
        box.button(button).click()

    QtCore.QTimer.singleShot(0, click)
    return asked


def test_cancel_keeps_a_modified_session_that_new_data_would_replace(
    qtbot, window, unsaved_answers
):
    unsaved_answers.stop()  # these tests answer the question themselves
    session = window.controller.session
    qtbot.keyClick(window, Key.Key_Space)
    assert window.controller.modified
    asked = answer_next_question(qtbot, Button.Cancel)
    window.actions_by_name["demo"].trigger()
    assert asked == ["Save the changes to lecture demo?"]
    assert window.controller.session is session
    assert session.iteration == 1 and window.controller.modified


def test_discard_lets_the_new_data_in(qtbot, window, unsaved_answers):
    unsaved_answers.stop()  # these tests answer the question themselves
    qtbot.keyClick(window, Key.Key_Space)
    old = window.controller.session
    asked = answer_next_question(qtbot, Button.Discard)
    window.actions_by_name["demo"].trigger()
    assert len(asked) == 1
    assert window.controller.session is not old
    assert not window.controller.modified


def test_save_writes_the_session_before_replacing_it(qtbot, window, unsaved_answers, tmp_path):
    unsaved_answers.stop()  # these tests answer the question themselves
    qtbot.keyClick(window, Key.Key_Space)
    path = tmp_path / "kept.gmmv"
    assert window.files.save_session(str(path))
    qtbot.keyClick(window, Key.Key_Space)  # modified again, and it has a file now
    mtime = path.stat().st_mtime_ns
    asked = answer_next_question(qtbot, Button.Save)
    window.actions_by_name["demo"].trigger()
    assert asked == ["Save the changes to kept.gmmv?"]
    from gmmviewer.core.files.sessions.session_file import load_session

    assert load_session(str(path)).session.iteration == 2
    assert path.stat().st_mtime_ns >= mtime
    assert window.controller.session.iteration == 0  # the demo, fresh


def test_an_unmodified_session_is_replaced_without_a_question(qtbot, window, unsaved_answers):
    old = window.controller.session
    window.actions_by_name["demo"].trigger()
    assert window.controller.session is not old
    assert unsaved_answers.answered == 0


def test_closing_a_modified_window_asks_and_cancel_keeps_it_open(qtbot, window, unsaved_answers):
    unsaved_answers.stop()  # these tests answer the question themselves
    qtbot.keyClick(window, Key.Key_Space)
    asked = answer_next_question(qtbot, Button.Cancel)
    window.close()
    assert len(asked) == 1
    assert window.isVisible()
    asked = answer_next_question(qtbot, Button.Discard)
    window.close()
    assert len(asked) == 1 and not window.isVisible()


# ======================================================================== convergence
def test_lowering_tol_after_convergence_lets_run_continue(qtbot, window):
    controller, session = window.controller, window.controller.session
    controller.set_speed(60.0)
    qtbot.keyClick(window, Key.Key_R)
    qtbot.waitUntil(lambda: not controller.running, timeout=120_000)
    assert session.converged and session.done
    assert not window.actions_by_name["run"].isEnabled()
    status = window.status_view.text()
    assert "converged: mean log-lik. change < tol 0.001" in status
    converged_at = session.iteration
    # Type a smaller tolerance into the panel, as a lecturer would.
    spin = window.controls.tol_spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "1e-08")
    qtbot.keyClick(spin, Key.Key_Return)
    assert session.tol == 1e-8
    assert not session.converged
    assert window.actions_by_name["run"].isEnabled()
    assert window.actions_by_name["step"].isEnabled()
    qtbot.keyClick(window, Key.Key_R)
    qtbot.waitUntil(lambda: not controller.running, timeout=120_000)
    assert session.iteration > converged_at
    # The NLL never rises on the way (EM's invariant), and the smaller tol was met.
    start, stop = session.run_bounds()
    nll = session.trace(start, stop).nll
    assert np.all(np.diff(nll) <= 1e-9 * np.abs(nll[:-1]))
    assert session.converged or session.iteration - converged_at >= session.max_iter


# ============================================================ large N off the GUI thread
def test_large_data_blend_their_colours_on_the_worker(qtbot, window, monkeypatch):
    import threading

    from gmmviewer.ui.views import present
    from gmmviewer.ui.window import session_drawing as drawing_module
    from gmmviewer.ui.window import step_runner

    calls: list[tuple[str, int]] = []

    def spy(where):
        def blend(resp, n):
            calls.append((where, threading.get_ident()))
            return present.point_colours(resp, n)

        return blend

    monkeypatch.setattr(step_runner, "point_colours", spy("worker"))
    monkeypatch.setattr(drawing_module, "point_colours", spy("controller"))
    assert window.controller.load_dataset(make_preset("lecture", 100_000, seed=2), 3)
    calls.clear()
    session = window.controller.session
    with qtbot.waitSignal(window.controller.runner.busy_changed, timeout=120_000):
        qtbot.keyClick(window, Key.Key_E)  # starts on the worker
    qtbot.waitUntil(lambda: not window.controller.runner.busy, timeout=120_000)
    assert session.state.action == "e-step"
    assert [where for where, _ in calls] == ["worker"]
    assert calls[0][1] != threading.main_thread().ident
    shown = window.scatter.points.colours()
    expected = present.point_colours(session.responsibilities, session.n_samples)
    np.testing.assert_array_equal(shown, expected)


def test_opening_a_session_saved_in_the_other_theme_shows_its_data_in_that_theme(
    qtbot, window, tmp_path
):
    from gmmviewer.core.files.sessions.session_file import save_session
    from gmmviewer.core.session.em_session import EMSession

    small = EMSession(make_preset("overlapping", 120, seed=3), 2)
    small.step()
    path = tmp_path / "dark.gmmv"
    save_session(str(path), small, embed_data=True, view={"dims": [0, 1], "theme": "dark"})
    assert window.view_state.theme == "light" and window.controller.session.n_samples == 600
    assert window.files.open_session(str(path))
    assert window.controller.session.n_samples == 120
    assert window.view_state.theme == "dark" and window.scatter.theme.name == "dark"
    assert window.scatter.points.colours().shape == (120, 3)
    assert window.last_error_box is None


def test_an_animation_range_outside_the_history_is_one_message_not_a_timer_exception(
    qtbot, window, tmp_path
):
    from gmmviewer.ui.export.animation import AnimationSettings

    session = window.controller.session
    qtbot.keyClick(window, Key.Key_Space)
    before = (session.position, len(session.history))
    settings = AnimationSettings(gif_path=str(tmp_path / "x.gif"), width=320, height=240)
    assert window.files.export_animation(settings=settings, entry_range=(0, 99)) is None
    box = window.last_error_box
    assert box is not None and "no history entry 99" in box.text()
    assert "\n" not in box.text()
    assert (session.position, len(session.history)) == before
    assert not (tmp_path / "x.gif").exists()


def test_animation_files_are_renamed_into_place_whole(qtbot, window, tmp_path):
    from PIL import Image

    from gmmviewer.ui.export.animation import AnimationSettings

    target = tmp_path / "em.gif"
    target.write_bytes(b"an older animation")
    frames = tmp_path / "frames"
    settings = AnimationSettings(
        gif_path=str(target), frames_dir=str(frames), width=320, height=240
    )
    qtbot.keyClick(window, Key.Key_Space)
    recorder = window.files.export_animation(settings=settings, entry_range=(0, 2))
    with qtbot.waitSignal(recorder.finished, timeout=60_000):
        pass
    with Image.open(target) as gif:
        assert gif.n_frames == 3
    # Only the finished files: no temporary left beside them.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["em.gif", "frames"]
    assert sorted(p.name for p in frames.iterdir()) == [
        "frame_0000.png",
        "frame_0001.png",
        "frame_0002.png",
    ]
