"""Data-edit ("paint") mode, driven through the real window: keys, clicks and drags on the
plots become undoable edits of the data, and the views follow them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from uihelpers import LEFT, NO_BUTTON, RIGHT, WAIT_TIMEOUT_MS, mouse_click, mouse_drag

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.ui.overlays.brush import SPRAY_SPREAD

Key = QtCore.Qt.Key
Kind = QtCore.QEvent.Type
SHIFT = QtCore.Qt.KeyboardModifier.ShiftModifier
NO_MODIFIER = QtCore.Qt.KeyboardModifier.NoModifier


# ============================================================================= helpers
def send(view, kind, pos, button=NO_BUTTON, buttons=NO_BUTTON, modifiers=NO_MODIFIER) -> None:
    """One mouse event at ``pos`` (plot-widget coordinates) with keyboard modifiers."""
    viewport = view.plot_widget.viewport()
    global_pos = QtCore.QPointF(viewport.mapToGlobal(pos.toPoint()))
    event = QtGui.QMouseEvent(kind, pos, global_pos, button, buttons, modifiers)
    QtWidgets.QApplication.sendEvent(viewport, event)


def shift_click(view, pos: QtCore.QPointF) -> None:
    send(view, Kind.MouseMove, pos, modifiers=SHIFT)
    send(view, Kind.MouseButtonPress, pos, LEFT, LEFT, SHIFT)
    send(view, Kind.MouseButtonRelease, pos, LEFT, NO_BUTTON, SHIFT)


def pixels_of(view, xy: np.ndarray) -> np.ndarray:
    """Plot-widget pixel positions of data points, shape (n, 2)."""
    return np.array([_pixel(view, x, y) for x, y in np.asarray(xy, float)]).reshape(-1, 2)


def _pixel(view, x: float, y: float) -> tuple[float, float]:
    point = view.data_to_pixel(float(x), float(y))
    return float(point.x()), float(point.y())


def empty_spot(view, clearance: float = 30.0, avoid=()) -> QtCore.QPointF:
    """A position in the data area at least ``clearance`` pixels from every drawn point,
    mean handle, the legend and the positions in ``avoid``."""
    taken = [pixels_of(view, view.points.positions())]
    handles = getattr(view, "handles", [])
    taken.append(pixels_of(view, [(h.pos().x(), h.pos().y()) for h in handles]))
    taken.append(np.array([(p.x(), p.y()) for p in avoid], float).reshape(-1, 2))
    taken = np.concatenate(taken)
    area = view.plot_widget.mapFromScene(view.plot_item.vb.sceneBoundingRect()).boundingRect()
    legend = view.plot_widget.mapFromScene(view.legend.sceneBoundingRect()).boundingRect()
    for y in np.linspace(area.top() + 40, area.bottom() - 40, 15):
        for x in np.linspace(area.left() + 40, area.right() - 40, 21):
            if legend.adjusted(-20, -20, 20, 20).contains(int(x), int(y)):
                continue
            if not len(taken) or np.hypot(*(taken - (x, y)).T).min() > clearance:
                return QtCore.QPointF(x, y)
    raise AssertionError("no empty space in the plot")


def data_at(view, pos: QtCore.QPointF) -> np.ndarray:
    point = view.pixel_to_data(pos)
    return np.array([point.x(), point.y()])


def lone_point(view, clearance: float = 25.0) -> int:
    """A point with no other point or handle within ``clearance`` pixels."""
    pixels = pixels_of(view, view.points.positions())
    handles = pixels_of(view, [(h.pos().x(), h.pos().y()) for h in getattr(view, "handles", [])])
    area = view.plot_widget.mapFromScene(view.plot_item.vb.sceneBoundingRect()).boundingRect()
    for index, (x, y) in enumerate(pixels):
        if not area.adjusted(60, 60, -60, -60).contains(int(x), int(y)):
            continue
        others = np.delete(pixels, index, axis=0)
        near = np.concatenate([others, handles])
        if np.hypot(*(near - (x, y)).T).min() > clearance:
            return index
    raise AssertionError("no lone point")


def distance_to_segment(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pixel distance of each point (n, 2) to the segment from ``a`` to ``b``."""
    direction = b - a
    t = np.clip(((points - a) @ direction) / (direction @ direction), 0.0, 1.0)
    return np.hypot(*(points - (a + t[:, None] * direction)).T)


@pytest.fixture(autouse=True)
def active(qtbot, window):
    """Keys reach the window's shortcuts once it is the active window."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_TIMEOUT_MS)
    return window


@pytest.fixture
def editing(qtbot, window):
    """The demo window in data-edit mode (entered with the D key)."""
    qtbot.keyClick(window, Key.Key_D)
    assert window.controller.painter.active
    window.histogram.plot_widget.scene().minDragTime = 0
    return window


# ================================================================================ mode
def test_the_d_key_toggles_data_edit_mode_and_its_row(qtbot, window):
    surface = window.scatter.paint_surface
    assert not surface.isVisible() and not window.paint_toolbar.isVisible()
    qtbot.keyClick(window, Key.Key_D)
    assert window.actions_by_name["edit_data"].isChecked()
    assert surface.isVisible() and window.paint_toolbar.isVisible()
    assert surface.cursor().shape() == QtCore.Qt.CursorShape.CrossCursor
    assert window.edit_data_button.isChecked()
    assert "Data-edit mode" in window.reporter.last_status
    qtbot.keyClick(window, Key.Key_D)
    assert not surface.isVisible() and not window.paint_toolbar.isVisible()
    # Outside the mode a click on empty space adds nothing (it clears the inspected point).
    n = window.controller.session.n_samples
    mouse_click(window.scatter.plot_widget, empty_spot(window.scatter))
    assert window.controller.session.n_samples == n


def test_the_brush_spin_boxes_set_the_brush_of_both_plots(qtbot, editing):
    window = editing
    window.paint_toolbar.radius_spin.setValue(40)
    window.paint_toolbar.density_spin.setValue(11)
    for view in (window.scatter, window.histogram):
        assert (view.paint_surface.radius, view.paint_surface.density) == (40.0, 11.0)


# ================================================================== clicks and strokes
def test_a_click_on_empty_space_adds_one_point_there_and_keeps_the_view(qtbot, editing):
    window, view = editing, editing.scatter
    session = window.controller.session
    before, entries = session.X.copy(), len(session.history)
    # Zoomed out a little, as a person's wheel would: an edit must not fit the view again.
    view.plot_item.vb.scaleBy((1.3, 1.3))
    view_range = view.view_range()
    spot = empty_spot(view)
    mouse_click(view.plot_widget, spot)
    assert session.n_samples == len(before) + 1
    assert len(session.history) == entries + 1 and session.state.action == "add points"
    np.testing.assert_array_equal(session.X[:-1], before)
    pixel = view.plot_item.vb.viewPixelSize()
    np.testing.assert_allclose(session.X[-1], data_at(view, spot), atol=2 * max(pixel))
    # The view shows the new point where it was, and was not zoomed to fit.
    np.testing.assert_array_equal(view.points.positions(), session.X)
    np.testing.assert_allclose(view.view_range(), view_range)
    assert window.reporter.last_status.startswith("Added a point at")
    qtbot.keyClick(window, Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(session.X, before)
    np.testing.assert_array_equal(view.points.positions(), before)


def test_a_spray_stroke_previews_then_adds_one_entry_of_points_near_the_stroke(qtbot, editing):
    window, view = editing, editing.scatter
    session, surface = window.controller.session, view.paint_surface
    before, entries = session.X.copy(), len(session.history)
    start = empty_spot(view, clearance=40)
    # A stroke of ~200 pixels, left or right, whichever stays in the plot.
    area = view.plot_widget.mapFromScene(view.plot_item.vb.sceneBoundingRect()).boundingRect()
    step = 200 if start.x() + 220 < area.right() else -200
    end = start + QtCore.QPointF(step, 60)
    send(view, Kind.MouseMove, start)
    send(view, Kind.MouseButtonPress, start, LEFT, LEFT)
    for fraction in np.linspace(0, 1, 21)[1:]:
        send(view, Kind.MouseMove, start + (end - start) * float(fraction), NO_BUTTON, LEFT)
    # While the button is down the stroke is a preview, not yet data.
    previewed = surface.stroke()
    assert len(previewed) > 0 and session.n_samples == len(before)
    x, y = surface.preview.getData()
    np.testing.assert_allclose(np.column_stack([x, y]), previewed)
    assert surface.circle.isVisible()
    send(view, Kind.MouseButtonRelease, end, LEFT, NO_BUTTON)
    added = session.X[len(before) :]
    assert len(session.history) == entries + 1 and session.state.action == "add points"
    np.testing.assert_allclose(added, previewed)
    # density points per radius travelled, plus the first dab
    length = float(np.hypot(step, 60))
    expected = surface.density * (1 + length / surface.radius)
    assert abs(len(added) - expected) <= 2
    # Every sprayed point lies within the brush radius of the stroke.
    a, b = np.array([start.x(), start.y()]), np.array([end.x(), end.y()])
    distances = distance_to_segment(pixels_of(view, added), a, b)
    assert distances.max() <= surface.radius + 1.5
    # ... and they spread like a Gaussian of SPRAY_SPREAD * radius, not all on the line.
    assert distances.mean() > 0.25 * SPRAY_SPREAD * surface.radius
    assert not len(surface.preview.getData()[0])
    assert window.reporter.last_status.startswith(f"Added {len(added)} points (spray)")
    qtbot.keyClick(window, Key.Key_Left)
    np.testing.assert_array_equal(session.X, before)
    assert view.points.positions().shape == before.shape


def test_dragging_a_point_moves_it_in_one_undo_step(qtbot, editing):
    window, view = editing, editing.scatter
    session = window.controller.session
    before, entries = session.X.copy(), len(session.history)
    index = lone_point(view)
    start = QtCore.QPointF(*pixels_of(view, before[index : index + 1])[0])
    end = start + QtCore.QPointF(45, -35)
    mouse_drag(view.plot_widget, start, end, steps=6)
    assert len(session.history) == entries + 1 and session.state.action == "move point"
    pixel = max(view.plot_item.vb.viewPixelSize())
    np.testing.assert_allclose(session.X[index], data_at(view, end), atol=2 * pixel)
    np.testing.assert_array_equal(np.delete(session.X, index, 0), np.delete(before, index, 0))
    assert window.reporter.last_status == f"Moved point {index + 1}"
    qtbot.keyClick(window, Key.Key_Left)
    np.testing.assert_array_equal(session.X, before)


def test_right_click_or_shift_click_on_a_point_deletes_it(qtbot, editing):
    window, view = editing, editing.scatter
    session = window.controller.session
    before = session.X.copy()
    index = lone_point(view)
    mouse_click(view.plot_widget, QtCore.QPointF(*pixels_of(view, before[[index]])[0]), RIGHT)
    np.testing.assert_array_equal(session.X, np.delete(before, index, 0))
    assert getattr(window, "context_menu", None) is None  # a deletion, not the menu
    assert window.reporter.last_status == f"Deleted point {index + 1}"
    second = lone_point(view)
    row = session.X[second].copy()
    shift_click(view, QtCore.QPointF(*pixels_of(view, [row])[0]))
    assert session.n_samples == len(before) - 2
    assert not np.any(np.all(session.X == row, axis=1))
    assert window.teaching.inspected is None
    # A right-click on empty space still opens the plot's menu.
    mouse_click(view.plot_widget, empty_spot(view), RIGHT)
    menu = window.context_menu
    assert menu is not None and menu.isVisible()
    menu.close()


def test_mean_handles_still_drag_in_data_edit_mode(qtbot, editing):
    window, view = editing, editing.scatter
    session = window.controller.session
    n, mean = session.n_samples, session.params.means[1].copy()
    start = QtCore.QPointF(view.data_to_pixel(*mean))
    mouse_drag(view.plot_widget, start, start + QtCore.QPointF(30, 30))
    assert session.state.action == "move mean" and session.n_samples == n
    assert not np.allclose(session.params.means[1], mean)


# ========================================================================= clear data
def test_clear_data_then_k_clicks_place_the_components_and_enable_step(qtbot, window):
    view, session = window.scatter, window.controller.session
    qtbot.keyClick(window, Key.Key_Space)
    window.actions_by_name["clear_data"].trigger()
    # Clearing starts data-edit mode, its row and its toggle included.
    assert window.controller.painter.active and view.paint_surface.isVisible()
    assert window.paint_toolbar.isVisible() and window.edit_data_button.isChecked()
    assert session.n_samples == 0 and not session.placed
    assert not window.actions_by_name["step"].isEnabled()
    assert not window.controls.buttons["step"].isEnabled()
    assert view.hint.isVisible() and "first 3 place the components" in view.hint.text.text()
    assert view.handles == [] and not view.legend.isVisible()
    assert "click 3 points" in window.reporter.last_status
    qtbot.keyClick(window, Key.Key_Space)  # refused quietly: nothing to fit yet
    assert session.n_samples == 0 and session.state.action == "clear data"
    assert window.nll_view.current_marker.getData()[0].size == 0  # NaN NLL: no marker
    spots = []
    for k in range(3):
        spots.append(empty_spot(view, clearance=60, avoid=spots))
        mouse_click(view.plot_widget, spots[-1])
        assert session.n_samples == k + 1
        assert window.actions_by_name["step"].isEnabled() == (k == 2)
    assert session.placed and not view.hint.isVisible()
    assert len(view.handles) == 3 and view.legend.isVisible()
    drawn = np.array([data_at(view, spot) for spot in spots])
    handles = np.array([(h.pos().x(), h.pos().y()) for h in view.handles])
    pixel = max(view.plot_item.vb.viewPixelSize())
    np.testing.assert_allclose(np.sort(handles, 0), np.sort(drawn, 0), atol=2 * pixel)
    assert "start on the first 3 points" in window.reporter.last_status
    # Undo brings back the hint, then (past the clear) the whole data set and its fit.
    qtbot.keyClick(window, Key.Key_Left)
    assert not session.placed and view.hint.isVisible()
    for _ in range(3):
        qtbot.keyClick(window, Key.Key_Left)
    assert session.n_samples == 600 and session.placed and not view.hint.isVisible()
    np.testing.assert_array_equal(view.points.positions(), session.X)


# ====================================================================== more columns
def test_points_painted_on_a_pair_of_four_columns_take_the_other_means(qtbot, window, iris_path):
    assert window.controller.load_dataset(load_csv(iris_path), 3, "kmeans", 0)
    window.column_chooser.x_combo.setCurrentIndex(2)
    window.column_chooser.y_combo.setCurrentIndex(3)
    qtbot.keyClick(window, Key.Key_D)
    view, session = window.scatter, window.controller.session
    means = session.X.mean(axis=0)
    spot = empty_spot(view, clearance=20)
    mouse_click(view.plot_widget, spot)
    new = session.X[-1]
    np.testing.assert_allclose(new[[0, 1]], means[[0, 1]], rtol=1e-12)
    pixel = max(view.plot_item.vb.viewPixelSize())
    np.testing.assert_allclose(new[[2, 3]], data_at(view, spot), atol=2 * pixel)
    status = window.reporter.last_status
    assert "new points take the means of the other columns" in status
    assert f"sepal_length = {means[0]:.4g}" in status and f"sepal_width = {means[1]:.4g}" in status


# ========================================================================== one column
def test_the_rug_of_one_column_data_is_painted_too(qtbot, window):
    data = make_preset("bimodal-1d", 300, seed=1)
    assert window.controller.load_dataset(data, 2, "random-means", 2)
    window.histogram.plot_widget.scene().minDragTime = 0
    qtbot.keyClick(window, Key.Key_D)
    view, session = window.histogram, window.controller.session
    assert view.paint_surface.isVisible()
    before = session.X.copy()
    # A click adds a point at x.
    spot = empty_spot(view, clearance=25)
    mouse_click(view.plot_widget, spot)
    assert session.n_samples == len(before) + 1
    pixel = view.plot_item.vb.viewPixelSize()[0]
    assert session.X[-1, 0] == pytest.approx(data_at(view, spot)[0], abs=2 * pixel)
    # A drag on a rug point moves it along x only.
    index = lone_point(view, clearance=8)
    x, y = view.rug_position(index)
    start = QtCore.QPointF(view.data_to_pixel(x, y))
    end = start + QtCore.QPointF(50, 20)
    mouse_drag(view.plot_widget, start, end)
    assert session.state.action == "move point"
    assert session.X[index, 0] == pytest.approx(data_at(view, end)[0], abs=2 * pixel)
    assert view.rug_position(index)[0] == session.X[index, 0]
    # A right-click on a rug point deletes it.
    n = session.n_samples
    other = lone_point(view, clearance=8)
    row = session.X[other, 0]
    mouse_click(
        view.plot_widget, QtCore.QPointF(view.data_to_pixel(*view.rug_position(other))), RIGHT
    )
    assert session.n_samples == n - 1 and row not in session.X[:, 0]


# ======================================================================= the NLL curve
def test_the_nll_curve_breaks_where_the_data_changed(qtbot, editing):
    window, view, nll = editing, editing.scatter, editing.nll_view
    session = window.controller.session
    for _ in range(2):
        qtbot.keyClick(window, Key.Key_Space)
    mouse_click(view.plot_widget, empty_spot(view))
    for _ in range(2):
        qtbot.keyClick(window, Key.Key_Space)
    trace = session.trace(*session.run_bounds())
    edit = int(np.flatnonzero(np.diff(trace.segment))[0]) + 1
    assert session.history[int(trace.indices[edit])].action == "add points"
    x, y = nll.past_curve.getData()
    # One point per entry plus one NaN gap at the edit: no line joins the two data sets.
    assert len(x) == len(trace.x) + 1
    assert np.isnan(y[edit]) and np.isnan(x[edit])
    np.testing.assert_array_equal(np.delete(y, edit), trace.nll)
    path_x, _ = nll.past_curve.curve.getData()
    assert np.isnan(path_x).sum() == 1
    assert nll.breaks.positions() == [float(trace.x[edit])]
    line = nll.breaks.lines[0]
    assert line.label.toPlainText() == "data changed" and "not comparable" in line.toolTip()
    # The log axis keeps the gap and the mark.
    qtbot.keyClick(window, Key.Key_L)
    x, y = nll.past_curve.getData()
    assert np.isnan(y[edit]) and np.isfinite(np.delete(y, edit)).all()
    assert len(nll.breaks.lines) == 1


def test_the_readout_says_when_the_data_changed_instead_of_a_change(qtbot, editing):
    window, view = editing, editing.scatter
    mouse_click(view.plot_widget, empty_spot(view))
    assert "data changed: not comparable" in window.nll_view.readout.text()
    assert "change" not in window.status_view.labels["nll"].text()


# ================================================================================ export
def test_export_data_writes_the_edited_data_as_csv(qtbot, editing, tmp_path):
    window, view = editing, editing.scatter
    session = window.controller.session
    mouse_click(view.plot_widget, empty_spot(view))
    shift_click(view, QtCore.QPointF(*pixels_of(view, session.X[[lone_point(view)]])[0]))
    path = tmp_path / "edited.csv"
    assert window.files.export_data(str(path))
    read = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    np.testing.assert_array_equal(read, session.dataset.raw)
    assert path.read_text().splitlines()[0] == ",".join(session.dataset.columns)
    assert window.reporter.last_status == f"Wrote {session.n_samples} rows to {path}"
    # An unwritable place is a one-line error; the session stays.
    n = session.n_samples
    assert not window.files.export_data(str(tmp_path / "missing" / "x.csv"))
    qtbot.waitUntil(lambda: window.last_error_box is not None, timeout=WAIT_TIMEOUT_MS)
    assert "cannot write" in window.last_error_box.text()
    window.last_error_box.close()
    assert session.n_samples == n


# ============================================================================ large data
def test_spraying_over_a_hundred_thousand_points_leaves_them_alone_until_release(qtbot, window):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (100_000, 2)), [[12.0, 0.0]]])
    assert window.controller.load_dataset(Dataset(X, source="large"), 2, "random-means", 0)
    qtbot.keyClick(window, Key.Key_D)
    view, session = window.scatter, window.controller.session
    # Far to the right of the cloud (the lone point at x = 12 widened the view).
    start = QtCore.QPointF(view.data_to_pixel(7.0, 1.0))
    end = QtCore.QPointF(view.data_to_pixel(10.0, -1.0))
    drawn_before = view.points._version
    send(view, Kind.MouseMove, start)
    send(view, Kind.MouseButtonPress, start, LEFT, LEFT)
    for fraction in np.linspace(0, 1, 11)[1:]:
        send(view, Kind.MouseMove, start + (end - start) * float(fraction), NO_BUTTON, LEFT)
        QtWidgets.QApplication.processEvents()
    assert view.points._version == drawn_before  # the 1e5 points were not set again
    assert len(view.paint_surface.stroke()) > 0
    send(view, Kind.MouseButtonRelease, end, LEFT, NO_BUTTON)
    assert session.n_samples > 100_001 and view.points._version > drawn_before
    assert len(view.points.positions()) == session.n_samples


def test_the_shaded_bound_gap_breaks_where_the_data_changed(qtbot, editing):
    window, view, nll = editing, editing.scatter, editing.nll_view
    session = window.controller.session
    qtbot.keyClick(window, Key.Key_B)
    for _ in range(2):
        qtbot.keyClick(window, Key.Key_Space)
    mouse_click(view.plot_widget, empty_spot(view))
    for _ in range(2):
        qtbot.keyClick(window, Key.Key_Space)
    trace = session.trace(*session.run_bounds())
    edit = int(np.flatnonzero(np.diff(trace.segment))[0]) + 1
    polygons = nll.gap_fill.path().toSubpathPolygons()
    # One shaded polygon per stretch of unchanged data; none reaches across the edit.
    assert len(polygons) == 2
    boundary = float(trace.x[edit])
    before = [p for p in polygons if max(pt.x() for pt in p) <= boundary]
    after = [p for p in polygons if min(pt.x() for pt in p) >= boundary]
    assert len(before) == 1 and len(after) == 1
    after_ys = {round(pt.y(), 6) for pt in after[0]}
    post = trace.nll[edit:]
    assert {round(float(v), 6) for v in post[np.isfinite(post)]} <= after_ys
