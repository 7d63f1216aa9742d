"""The main window driven through its real widgets: buttons, shortcuts, drags, files."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from uihelpers import WAIT_TIMEOUT_MS, image_colours, mouse_drag, shown_title

from gmmviewer.core.em.fit import fit
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.paramfile import load_params
from gmmviewer.ui.dialogs import CsvImportDialog
from gmmviewer.ui.views.colours import NEUTRAL_GREY, component_colours
from gmmviewer.ui.window.main_window import MainWindow

LEFT = QtCore.Qt.MouseButton.LeftButton
Key = QtCore.Qt.Key
Ctrl = QtCore.Qt.KeyboardModifier.ControlModifier


def click(qtbot, window: MainWindow, name: str) -> None:
    """Click the control panel's button for an action."""
    button = window.controls.buttons[name]
    assert button.isEnabled(), f"{name} is disabled"
    qtbot.mouseClick(button, LEFT)


def wait_idle(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.controller.runner.busy, timeout=WAIT_TIMEOUT_MS)


def ellipse_centres(window: MainWindow) -> np.ndarray:
    """Centres of the 1-sd ellipses as drawn (mean of the closed outline's vertices)."""
    centres = []
    for curves in window.scatter.ellipses:
        x, y = curves[0].getData()
        centres.append([np.mean(x[:-1]), np.mean(y[:-1])])
    return np.array(centres)


def handle_positions(window: MainWindow) -> np.ndarray:
    return np.array([[h.pos().x(), h.pos().y()] for h in window.scatter.handles])


def drawn_nll_points(window: MainWindow) -> int:
    past = window.nll_view.past_curve.getData()[0]
    future = window.nll_view.future_curve.getData()[0]
    n_future = 0 if future is None or len(future) == 0 else len(future) - 1
    return (0 if past is None else len(past)) + n_future


def run_length(session) -> int:
    """Half-steps and edits of the current run: from its initialisation to the next one."""
    actions = [state.action for state in session.history]
    start = max(i for i in range(session.position + 1) if actions[i] == "initialise")
    later = [i for i in range(session.position + 1, len(actions)) if actions[i] == "initialise"]
    return (later[0] if later else len(actions)) - start


def assert_view_shows_session(window: MainWindow) -> None:
    session = window.controller.session
    np.testing.assert_allclose(ellipse_centres(window), session.params.means, atol=1e-9)
    np.testing.assert_allclose(handle_positions(window), session.params.means, atol=1e-9)
    # One NLL point per half-step (and edit) of the run on screen.
    assert drawn_nll_points(window) == run_length(session)


# ======================================================================== start
def test_window_opens_on_the_lecture_demo(window):
    session = window.controller.session
    assert session.n_samples == 600 and session.n_components == 3
    assert session.dataset.source == "preset:lecture"
    assert session.next_step == "E"
    assert shown_title(window) == "lecture demo — gmmviewer"
    assert_view_shows_session(window)
    # Before the first E-step every point is neutral grey.
    assert np.all(window.scatter.points.colours() == NEUTRAL_GREY)
    assert window.actions_by_name["e_step"].isEnabled()
    assert not window.actions_by_name["m_step"].isEnabled()
    assert "Iteration 0" in window.status_view.text()
    assert "N = 600" in window.status_view.text()


def test_demo_is_reproducible(qtbot, settings):
    first = MainWindow(settings=settings)
    second = MainWindow(settings=settings)
    for main in (first, second):
        qtbot.addWidget(main)
        main.controller.load_demo()
    assert first.controller.session.params.equals(second.controller.session.params)
    np.testing.assert_array_equal(first.controller.session.X, second.controller.session.X)


# ======================================================================== buttons
def test_e_and_m_buttons_alternate_and_the_view_follows(qtbot, window):
    session = window.controller.session
    click(qtbot, window, "e_step")
    assert session.next_step == "M"
    assert not window.controls.buttons["e_step"].isEnabled()
    assert window.controls.buttons["m_step"].isEnabled()
    # Points are now the responsibility-weighted blend of the component colours.
    expected = session.responsibilities @ component_colours(3).astype(float)
    shown = window.scatter.points.colours().astype(float)
    np.testing.assert_allclose(shown, expected, atol=1.0)
    assert_view_shows_session(window)
    click(qtbot, window, "m_step")
    assert session.iteration == 1 and session.next_step == "E"
    assert_view_shows_session(window)
    # The M-step moves the ellipses but not the colours (q is unchanged).
    np.testing.assert_array_equal(window.scatter.points.colours(), shown.astype(np.uint8))


def test_step_button_runs_a_whole_iteration(qtbot, window):
    session = window.controller.session
    click(qtbot, window, "step")
    assert session.iteration == 1 and len(session.history) == 3
    assert_view_shows_session(window)
    assert "Iteration 1" in window.status_view.text()


def test_back_forward_and_reset(qtbot, window):
    session = window.controller.session
    initial = session.params
    for _ in range(3):
        click(qtbot, window, "step")
    after_three = session.params
    click(qtbot, window, "back")
    assert session.next_step == "M"
    assert window.controls.buttons["forward"].isEnabled()
    assert_view_shows_session(window)
    click(qtbot, window, "forward")
    assert session.params is after_three
    click(qtbot, window, "reset")
    assert session.params is initial
    assert_view_shows_session(window)
    # The faded redo branch is still drawn, so the whole run is one click away.
    assert len(window.nll_view.future_curve.getData()[0]) == len(session.history)


def test_run_to_convergence_then_run_is_disabled(qtbot, window):
    window.controller.set_speed(100)
    session = window.controller.session
    click(qtbot, window, "run")
    assert window.controller.running
    assert window.actions_by_name["run"].text() == "Pause"
    qtbot.waitUntil(lambda: not window.controller.running, timeout=WAIT_TIMEOUT_MS)
    assert session.converged
    assert not window.controls.buttons["run"].isEnabled()
    assert "converged" in window.status_view.text()
    assert_view_shows_session(window)
    assert window.nll_view.converged_marker.getData()[0].size == 1


def test_pause_stops_the_run(qtbot, window):
    window.controller.set_speed(20)
    click(qtbot, window, "run")
    qtbot.waitUntil(lambda: window.controller.session.iteration >= 1, timeout=WAIT_TIMEOUT_MS)
    click(qtbot, window, "run")  # now "Pause"
    assert not window.controller.running
    assert window.controller.idle
    steps = len(window.controller.session.history)
    # Qt fires timers in the order they fall due: once a timer started now with twice the
    # run's interval (50 ms at 20 half-steps/s) has fired, a tick the run had scheduled
    # before Pause would have fired first, however loaded the machine.
    fence = QtCore.QTimer()
    fence.setSingleShot(True)
    with qtbot.waitSignal(fence.timeout, timeout=WAIT_TIMEOUT_MS):
        fence.start(2 * 50)
    assert len(window.controller.session.history) == steps
    assert not window.controller.running


def test_reinitialise_draws_a_new_seed_and_is_undoable(qtbot, window):
    session = window.controller.session
    before = session.params
    click(qtbot, window, "reinitialize")
    assert session.seed == 1
    assert session.state.action == "initialise"
    assert not session.params.equals(before)
    assert window.controls.seed_spin.value() == 1
    click(qtbot, window, "back")
    assert session.params is before


def test_model_settings_reinitialise(qtbot, window):
    session = window.controller.session
    window.controls.k_spin.setValue(4)
    assert session.n_components == 4
    assert len(window.scatter.ellipses) == 4
    window.controls.covariance_combo.setCurrentIndex(
        window.controls.covariance_combo.findData("spherical")
    )
    assert session.covariance_type == "spherical"
    window.controls.init_combo.setCurrentIndex(window.controls.init_combo.findData("kmeans"))
    assert session.init == "kmeans"
    assert_view_shows_session(window)
    window.controls.tol_spin.setValue(0.01)
    assert session.tol == pytest.approx(0.01)
    window.controls.max_iter_spin.setValue(7)
    assert session.max_iter == 7


# ====================================================================== shortcuts
@pytest.mark.parametrize(
    "keys, check",
    [
        ([Key.Key_E], lambda s: s.next_step == "M"),
        ([Key.Key_E, Key.Key_M], lambda s: s.iteration == 1),
        ([Key.Key_Space], lambda s: s.iteration == 1 and s.next_step == "E"),
        ([Key.Key_Space, Key.Key_Left], lambda s: s.next_step == "M" and s.iteration == 0),
        ([Key.Key_Space, Key.Key_Left, Key.Key_Right], lambda s: s.iteration == 1),
    ],
)
def test_stepping_shortcuts(qtbot, window, keys, check):
    for key in keys:
        qtbot.keyClick(window, key)
    assert check(window.controller.session)


def test_ctrl_r_resets_and_r_runs(qtbot, window):
    session = window.controller.session
    initial = session.params
    qtbot.keyClick(window, Key.Key_Space)
    qtbot.keyClick(window, Key.Key_R, Ctrl)
    assert session.params is initial
    window.controller.set_speed(100)
    qtbot.keyClick(window, Key.Key_R)
    assert window.controller.running
    qtbot.waitUntil(lambda: not window.controller.running, timeout=WAIT_TIMEOUT_MS)
    assert session.converged


def test_shortcuts_do_not_fire_while_typing_in_a_spin_box(qtbot, window):
    spin = window.controls.seed_spin
    spin.setFocus()
    qtbot.keyClick(spin.lineEdit(), Key.Key_Right)
    assert window.controller.session.next_step == "E"
    assert len(window.controller.session.history) == 1


def test_font_scaling_and_full_screen(qtbot, window):
    size = window.font().pointSizeF()
    qtbot.keyClick(window, Key.Key_Plus, Ctrl)
    assert window.view_state.scale == pytest.approx(1.15)
    assert window.font().pointSizeF() > size
    assert window.scatter.points.point_diameter() > 7.0
    qtbot.keyClick(window, Key.Key_Minus, Ctrl)
    qtbot.keyClick(window, Key.Key_Minus, Ctrl)
    assert window.view_state.scale < 1.0
    window.actions_by_name["full_screen"].trigger()
    assert window.isFullScreen() or window.windowState() & QtCore.Qt.WindowState.WindowFullScreen
    window.actions_by_name["full_screen"].trigger()
    assert not window.isFullScreen()


def test_f1_opens_the_shortcut_sheet(qtbot, window):
    qtbot.keyClick(window, Key.Key_F1)
    sheet = window.findChild(QtWidgets.QDialog, "shortcut_sheet")
    assert sheet is not None and sheet.isVisible()
    table = sheet.table
    rows = {  # every (action, keys) pair of columns, side by side where the screen is low
        table.item(r, c).text(): table.item(r, c + 1).text()
        for r in range(table.rowCount())
        for c in range(0, table.columnCount(), 2)
        if table.item(r, c) is not None
    }
    assert rows["E-step"] == "E"
    assert rows["Step (E+M)"] == "Space"
    assert rows["Full screen"] == "F11"
    sheet.close()


# ======================================================================== dragging
def test_dragging_a_mean_moves_it_in_the_session_and_can_be_undone(qtbot, window):
    session = window.controller.session
    before = session.params.means.copy()
    scatter = window.scatter
    start = QtCore.QPointF(scatter.data_to_pixel(*before[1]))
    end = start + QtCore.QPointF(60, -40)
    mouse_drag(scatter.plot_widget, start, end)
    # The handle keeps its offset from the grab point: it moves by the drag's data vector.
    shift = scatter.pixel_to_data(end) - scatter.pixel_to_data(start)
    assert session.state.action == "move mean"
    np.testing.assert_allclose(
        session.params.means[1], before[1] + [shift.x(), shift.y()], atol=1e-6
    )
    assert np.linalg.norm(session.params.means[1] - before[1]) > 0.5
    np.testing.assert_array_equal(session.params.means[[0, 2]], before[[0, 2]])
    assert len(session.history) == 2  # one drag, one history entry
    assert_view_shows_session(window)
    qtbot.keyClick(window, Key.Key_Left)
    np.testing.assert_array_equal(session.params.means, before)
    assert_view_shows_session(window)


# =========================================================================== files
def test_faithful_through_the_import_dialog_matches_gmmviewer_fit(qtbot, window, faithful_path):
    dialog = CsvImportDialog.from_file(str(faithful_path), window)
    qtbot.addWidget(dialog)
    window.controls.init_combo.setCurrentIndex(window.controls.init_combo.findData("kmeans"))
    window.controls.seed_spin.setValue(0)
    qtbot.mouseClick(dialog.ok_button, LEFT)  # "Import"
    assert window.files.import_csv(dialog)
    session = window.controller.session
    assert session.dataset.columns == ("eruptions", "waiting")
    window.controls.k_spin.setValue(2)
    window.controller.set_speed(100)
    window.controller.run()
    qtbot.waitUntil(lambda: not window.controller.running, timeout=WAIT_TIMEOUT_MS)
    expected = fit(load_csv(faithful_path), 2, init="kmeans", seed=0)
    assert session.iteration == expected.n_iter
    np.testing.assert_allclose(session.params.means, expected.params.means, rtol=1e-10)
    np.testing.assert_allclose(session.params.covariances, expected.params.covariances, rtol=1e-10)


def test_open_csv_runs_the_dialog(qtbot, window, faithful_path):
    def accept_dialog():
        dialog = QtWidgets.QApplication.activeModalWidget()
        assert isinstance(dialog, CsvImportDialog)
        dialog.accept()

    QtCore.QTimer.singleShot(0, accept_dialog)
    assert window.files.open_csv(str(faithful_path))
    assert window.controller.session.dataset.columns == ("eruptions", "waiting")
    assert shown_title(window) == "faithful.csv — gmmviewer"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x01binary\xff" * 50, "not a text file"),
        (b"", "no data rows"),
    ],
)
def test_a_bad_csv_shows_an_error_and_keeps_the_session(qtbot, window, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    session = window.controller.session
    qtbot.keyClick(window, Key.Key_Space)
    state = session.state
    assert not window.files.open_csv(str(path))
    box = window.last_error_box
    assert box is not None and box.isVisible()
    assert message in box.text()
    assert "\n" not in box.text()
    assert window.controller.session is session and session.state is state
    box.close()


def test_a_csv_without_numbers_is_explained_in_the_import_dialog(qtbot, window, tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("name,colour\nann,red\nbob,blue\n")
    session = window.controller.session
    dialog = CsvImportDialog.from_file(str(path), window)
    qtbot.addWidget(dialog)
    assert not dialog.is_valid()
    assert not dialog.ok_button.isEnabled()
    assert "no numeric columns" in dialog.info_label.text()
    dialog.reject()
    assert window.controller.session is session


def test_too_many_components_for_the_data_is_an_error_not_a_crash(qtbot, window, tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("x,y\n1,2\n3,4\n")
    dialog = CsvImportDialog.from_file(str(path), window)
    qtbot.addWidget(dialog)
    assert dialog.model_choice.k_spin.value() == 2  # a new data set's own K, capped by rows
    dialog.model_choice.k_spin.setValue(3)
    assert not dialog.ok_button.isEnabled()
    assert "the largest K possible is 2" in dialog.info_label.text()
    qtbot.mouseClick(dialog.ok_button, LEFT)
    session = window.controller.session
    assert not dialog.result()
    assert window.controller.session is session


@pytest.mark.parametrize("extension", ["json", "npz", "csv"])
def test_export_parameters_round_trips(qtbot, window, tmp_path, extension):
    qtbot.keyClick(window, Key.Key_Space)
    path = tmp_path / f"params.{extension}"
    assert window.files.export_parameters(str(path))
    loaded = load_params(path)
    assert loaded.params.equals(window.controller.session.params)
    assert loaded.columns == ("x1", "x2")
    assert loaded.n_iter == 1


def test_export_parameters_of_normalised_data_are_in_data_units(
    qtbot, window, faithful_path, tmp_path
):
    dataset = load_csv(faithful_path, normalize=True)
    assert window.controller.load_dataset(dataset, n_components=2, init="kmeans", seed=0)
    window.controller.session.run()
    path = tmp_path / "faithful.json"
    assert window.files.export_parameters(str(path))
    params = load_params(path).params
    assert params.means[:, 1].max() > 70  # minutes, not z-scores


def test_export_plot_png_and_svg(qtbot, window, tmp_path):
    qtbot.keyClick(window, Key.Key_Space)
    png = tmp_path / "plot.png"
    assert window.files.export_plot(str(png))
    image = QtGui.QImage(str(png))
    assert image.width() == 1600
    pixels = image_colours(image)
    assert len(np.unique(pixels.reshape(-1, 4), axis=0)) > 50
    svg = tmp_path / "plot.svg"
    assert window.files.export_plot(str(svg))
    root = ElementTree.parse(svg).getroot()
    assert root.tag.endswith("svg")
    circles = [e for e in root.iter() if e.tag.endswith("circle")]
    assert len(circles) == 600 + 3  # every point, and the three means, as vectors
    polylines = [e for e in root.iter() if e.tag.endswith("polyline")]
    assert len(polylines) == 12  # per component: a 1-sd and a 2-sd ellipse, each on a dark edge
    texts = [e.text for e in root.iter() if e.tag.endswith("text")]
    assert "1: weight" in " ".join(texts) and "x1" in texts
    # Geometry, checked against the session: the points are an axis-aligned affine image of
    # the data (y up), the mean markers sit on the means, and every outline is a ring of
    # constant Mahalanobis distance 1 or 2 around one component, computed here with numpy.
    session = window.controller.session
    X, params = session.X, session.params
    groups = [g for g in root.iter() if g.tag.endswith("g")]
    (points,) = [g for g in groups if sum(c.tag.endswith("circle") for c in g) == len(X)]
    drawn = np.array([[float(c.get("cx")), float(c.get("cy"))] for c in points])
    design = np.column_stack([X, np.ones(len(X))])
    affine, *_ = np.linalg.lstsq(design, drawn, rcond=None)  # drawn = [x, y, 1] @ affine
    np.testing.assert_allclose(design @ affine, drawn, atol=0.006)  # written to 0.01 px
    assert affine[0, 0] > 0 > affine[1, 1]
    # No shear beyond what writing coordinates to 0.01 px leaves (about 1e-5 of the scale).
    assert abs(affine[1, 0]) < 1e-5 * affine[0, 0] and abs(affine[0, 1]) < 1e-5 * affine[0, 0]

    def to_data(svg_xy: np.ndarray) -> np.ndarray:
        return (svg_xy - affine[2]) @ np.linalg.inv(affine[:2])

    markers = [c for c in circles if c not in list(points)]
    centres = to_data(np.array([[float(c.get("cx")), float(c.get("cy"))] for c in markers]))
    np.testing.assert_allclose(
        centres[np.lexsort(centres.T[::-1])],
        params.means[np.lexsort(params.means.T[::-1])],
        atol=0.01 / affine[0, 0],
    )
    rings: dict[tuple[int, int], int] = {}
    inverses = np.linalg.inv(params.covariances)
    for line in polylines:
        pairs = [p.split(",") for p in line.get("points").split()]
        outline = to_data(np.array(pairs, dtype=float))
        for k in range(params.n_components):
            offsets = outline - params.means[k]
            radii = np.sqrt(np.einsum("ni,ij,nj->n", offsets, inverses[k], offsets))
            n_std = round(float(radii.mean()))
            if n_std in (1, 2) and np.allclose(radii, n_std, rtol=2e-3):
                rings[(k, n_std)] = rings.get((k, n_std), 0) + 1
                break
        else:
            raise AssertionError("an outline is no 1- or 2-sd ellipse of any component")
    # Every component: its 1-sd and 2-sd rings, each drawn twice (dark edge, then colour).
    assert rings == {(k, n): 2 for k in range(3) for n in (1, 2)}


def test_export_plot_to_a_bad_place_is_an_error(qtbot, window, tmp_path):
    assert not window.files.export_plot(str(tmp_path / "missing" / "plot.png"))
    assert "does not exist" in window.last_error_box.text()
    assert not window.files.export_plot(str(tmp_path / "plot.gif"))
    assert "use .png or .svg" in window.last_error_box.text()


def test_export_nll_history(qtbot, window, tmp_path):
    for _ in range(2):
        qtbot.keyClick(window, Key.Key_Space)
    path = tmp_path / "nll.csv"
    assert window.files.export_nll_history(str(path))
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    history = window.controller.session.history
    assert len(rows) == len(history) == 5
    for row, state in zip(rows, history, strict=True):
        assert float(row["nll"]) == -state.log_likelihood
        assert row["action"] == state.action
    assert rows[0]["elbo"] == "" and float(rows[1]["elbo"]) == history[1].elbo


# ======================================================================== settings
def test_settings_persist_between_runs(qtbot, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.controller.load_demo()
    first.actions_by_name["contours"].setChecked(True)
    first.actions_by_name["log_nll"].setChecked(True)
    first.view_state.update(scale=1.5)
    first.controller.set_speed(9.0)
    first.resize(1000, 700)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    second.controller.load_demo()
    assert second.actions_by_name["contours"].isChecked()
    assert second.actions_by_name["log_nll"].isChecked()
    assert second.view_state.scale == pytest.approx(1.5)
    assert second.view_state.speed == pytest.approx(9.0)
    assert second.controls.speed_spin.value() == pytest.approx(9.0)


def test_contours_and_truth_toggle(qtbot, window):
    qtbot.keyClick(window, Key.Key_C)
    assert len(window.scatter.contours) > 0
    qtbot.keyClick(window, Key.Key_C)
    assert window.scatter.contours == []
    qtbot.keyClick(window, Key.Key_T)
    assert len(window.scatter.truth_curves) == 6  # 3 components x (1 and 2 sd)
    qtbot.keyClick(window, Key.Key_T)
    assert window.scatter.truth_curves == []


# ======================================================================== rendering
def test_rendered_window_is_not_blank(qtbot, window):
    for _ in range(3):
        qtbot.keyClick(window, Key.Key_Space)
    qtbot.keyClick(window, Key.Key_E)
    image = window.grab().toImage()
    pixels = image_colours(image)
    assert image.width() >= 1000
    colours = np.unique(pixels.reshape(-1, 4)[:, :3], axis=0)
    assert len(colours) > 200  # blended point colours, ellipses, text
    # Each component colour appears in the scatter (its ellipse and handle).
    plot = image_colours(window.scatter.plot_widget.grab().toImage())[:, :, :3][:, :, ::-1]
    for colour in component_colours(3):
        distance = np.abs(plot.astype(int) - colour.astype(int)).sum(axis=2)
        assert (distance < 30).sum() > 50


def test_equal_axis_scales_unless_the_columns_ranges_differ_a_lot(qtbot, window, faithful_path):
    assert window.scatter.plot_item.vb.state["aspectLocked"]  # the lecture mixture
    assert window.controller.load_dataset(load_csv(faithful_path), 2, "kmeans", 0)
    # Minutes of eruption against minutes of waiting: ranges 15-fold apart.
    assert not window.actions_by_name["equal_aspect"].isChecked()
    assert not window.scatter.plot_item.vb.state["aspectLocked"]
    assert "ranges differ" in window.status_view.note
    qtbot.keyClick(window, Key.Key_L, Ctrl)
    assert window.scatter.plot_item.vb.state["aspectLocked"]
    assert window.controller.load_dataset(load_csv(faithful_path, normalize=True), 2, "kmeans", 0)
    assert window.scatter.plot_item.vb.state["aspectLocked"]  # z-scores are comparable
