"""The cached axes paint the pixels pyqtgraph's own axes paint, grid lines included.

:class:`~gmmviewer.ui.views.axes.CachedAxis` draws into a pixmap (its grid lines with
the ``Source`` composition, which is fast for semi-transparent lines); a plot with
pyqtgraph's ``AxisItem`` in its place, same size, range, grid and style, is the oracle.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtGui

from gmmviewer.ui.app import configure_pyqtgraph
from gmmviewer.ui.views.axes import CachedAxis, NumberAxis
from gmmviewer.ui.views.plot_view import style_axes
from gmmviewer.ui.views.theme import Theme, qcolor


def plot(qtbot, axis_type: type, theme: Theme, scale: float, grid: float) -> pg.PlotWidget:
    widget = pg.PlotWidget(
        axisItems={
            "left": axis_type(orientation="left"),
            "bottom": axis_type(orientation="bottom"),
        },
        enableMenu=False,
    )
    qtbot.addWidget(widget)
    widget.setBackground(qcolor(theme.plot_background))
    item = widget.getPlotItem()
    item.showGrid(x=True, y=True, alpha=grid)
    style_axes(item, theme, scale)
    item.setLabel("bottom", "x1")
    item.setLabel("left", "x2")
    # Points under the grid lines: the lines must blend over them as pyqtgraph's do.
    rng = np.random.default_rng(0)
    item.addItem(pg.ScatterPlotItem(*rng.normal(size=(2, 400)) * 3, size=9, brush="#d55e00"))
    item.vb.setRange(xRange=(-8.3, 13.1), yRange=(-5.2, 5.4), padding=0)
    widget.resize(900, 520)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def pixels(widget: pg.PlotWidget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), dtype=np.uint8)
    return data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4].copy()


@pytest.mark.parametrize(
    ("theme", "scale", "grid"),
    [(Theme.light(), 1.0, 0.15), (Theme.dark(), 1.0, 0.15), (Theme.light(), 1.5, 0.2)],
)
def test_a_cached_axis_paints_what_pyqtgraph_s_axis_paints(qtbot, theme, scale, grid):
    configure_pyqtgraph()
    ours = plot(qtbot, CachedAxis, theme, scale, grid)
    oracle = plot(qtbot, pg.AxisItem, theme, scale, grid)
    assert ours.getPlotItem().getAxis("left").grid is not False
    first = pixels(ours)
    assert np.array_equal(first, pixels(oracle))
    # Painted again from its pixmap, and drawn anew after a change of range.
    assert np.array_equal(pixels(ours), first)
    for widget in (ours, oracle):
        widget.getPlotItem().vb.setRange(xRange=(-2.0, 4.5), yRange=(-1.0, 3.3), padding=0)
    assert np.array_equal(pixels(ours), pixels(oracle))


def test_a_number_axis_paints_its_grid_as_pyqtgraph_does(qtbot):
    # The window's axes are NumberAxis (CachedAxis with its own labels): compare the grid
    # and axis lines with labels switched off on both sides.
    configure_pyqtgraph()
    theme = Theme.light()
    widgets = [plot(qtbot, kind, theme, 1.0, 0.15) for kind in (NumberAxis, pg.AxisItem)]
    for widget in widgets:
        for name in ("left", "bottom"):
            widget.getPlotItem().getAxis(name).setStyle(showValues=False)
    assert np.array_equal(pixels(widgets[0]), pixels(widgets[1]))
