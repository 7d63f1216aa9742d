"""Plots nobody sees at first are made when first shown, and then look as if they had been
made with the window: in their place in the panel, in the theme and size chosen meanwhile,
and without moving anything else (the side panel keeps its width).

The window's first paint waits only for the plots it shows (see ``tests/benchmarks/
bench_startup.py``): the inspector's bars, the Bound tab's slice, the Predict tab's
result bars and the variational weights are made later.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui
from uihelpers import WAIT_TIMEOUT_MS, mouse_click

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.ui.views.theme import Theme

Key = QtCore.Qt.Key
LEFT = QtCore.Qt.MouseButton.LeftButton


def plot_names(widget) -> set[str]:
    return {plot.objectName() for plot in widget.findChildren(pg.PlotWidget)}


def click_tab(qtbot, window, page) -> None:
    tabs = window.controls.tabs
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(tabs.indexOf(page)).center())
    qtbot.waitUntil(page.isVisible, timeout=WAIT_TIMEOUT_MS)


def background(plot: pg.PlotWidget) -> QtGui.QColor:
    return plot.backgroundBrush().color()


def go_dark_and_bigger(qtbot, window) -> None:
    window.actions_by_name["dark_theme"].trigger()
    qtbot.keyClick(window, Key.Key_Plus, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.view_state.theme == "dark" and window.view_state.scale > 1.0


def test_the_window_starts_with_only_the_plots_it_shows(window):
    assert plot_names(window) == {"scatter_plot", "nll_plot"}
    assert window.bound_slice.findChild(pg.PlotWidget) is None  # not even a tab yet
    assert window.predict_panel.guess_heights.size == 0


def test_the_histogram_comes_with_one_column_data_in_the_style_and_mode_chosen_before(
    qtbot, window
):
    go_dark_and_bigger(qtbot, window)
    window.paint_toolbar.radius_spin.setValue(33)
    qtbot.keyClick(window, Key.Key_D)
    assert window.controller.painter.active
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(-3, 1, 200), rng.normal(3, 1, 200)])[:, None]
    assert window.controller.load_dataset(Dataset(x, source="one"), 2, "kmeans", 0, "full")
    view = window.histogram
    assert plot_names(window) == {"scatter_plot", "histogram_plot", "nll_plot"}
    assert window.controller.plot is view and view.isVisible()
    assert background(view.plot_widget) == QtGui.QColor(Theme.named("dark").plot_background)
    assert view.paint_surface.active and view.paint_surface.radius == 33
    # Wired like the scatter: a click in data-edit mode adds a point at its x.
    session = window.controller.session
    (x0, x1), (y0, y1) = view.view_range()
    spot = 0.5 * (x0 + x1) + 0.1 * (x1 - x0)
    mouse_click(view.plot_widget, QtCore.QPointF(view.data_to_pixel(spot, 0.5 * (y0 + y1))))
    qtbot.waitUntil(lambda: session.n_samples == 401, timeout=WAIT_TIMEOUT_MS)
    assert session.X[-1, 0] == pytest.approx(spot, abs=2 * view.plot_item.vb.viewPixelSize()[0])


def test_the_inspector_s_bars_come_with_the_tab_in_the_theme_chosen_before(qtbot, window):
    go_dark_and_bigger(qtbot, window)
    width = window.side_panel.width()
    click_tab(qtbot, window, window.inspector)
    bars = window.inspector.bars_widget
    assert bars is not None and bars.isVisible()
    # Between the title and the formula, as the panel was laid out before.
    layout = window.inspector.layout()
    assert [layout.itemAt(i).widget() for i in range(3)] == [
        window.inspector.title,
        bars,
        window.inspector.formula,
    ]
    assert background(bars) == QtGui.QColor(Theme.named("dark").plot_background)
    assert window.side_panel.width() == width
    # A clicked point's responsibilities fill them.
    qtbot.keyClick(window, Key.Key_E)
    session = window.controller.session
    index = 42
    x, y = session.X[index]
    mouse_click(window.scatter.plot_widget, QtCore.QPointF(window.scatter.data_to_pixel(x, y)))
    heights = window.inspector.bars.opts["height"]
    np.testing.assert_allclose(heights, session.responsibilities[index], rtol=1e-10)


def test_the_bound_slice_plot_comes_with_its_tab_styled_and_in_place(qtbot, window):
    go_dark_and_bigger(qtbot, window)
    qtbot.keyClick(window, Key.Key_B)
    panel = window.bound_slice
    qtbot.waitUntil(panel.isVisible, timeout=WAIT_TIMEOUT_MS)
    plot = panel.plot_widget
    assert plot is not None and plot.isVisible()
    layout = panel.layout()
    order = [layout.itemAt(i).widget() for i in range(layout.count())]
    assert order.index(panel.legend) < order.index(plot) < order.index(panel.note)
    assert background(plot) == QtGui.QColor(Theme.named("dark").plot_background)
    # Nothing to draw before the first E-step: no curves and no marker lines yet.
    assert not panel.now_line.isVisible() and not panel.m_step_line.isVisible()
    qtbot.keyClick(window, Key.Key_E)
    qtbot.waitUntil(lambda: panel.shown_slice is not None, timeout=WAIT_TIMEOUT_MS)
    assert panel.now_line.isVisible()


def test_the_weights_plot_comes_with_a_variational_fit(qtbot, window):
    go_dark_and_bigger(qtbot, window)
    combo = window.controls.method.method_combo
    index = next(i for i in range(combo.count()) if combo.itemText(i).startswith("Variational"))
    combo.setCurrentIndex(index)
    view = window.weights_view
    qtbot.waitUntil(view.isVisible, timeout=WAIT_TIMEOUT_MS)
    assert view.plot_widget is not None and view.plot_widget.isVisible()
    assert background(view.plot_widget) == QtGui.QColor(Theme.named("dark").plot_background)
    k = window.controller.session.n_components
    assert view.summary.textItem.toPlainText().endswith(f"of {k} in use")
