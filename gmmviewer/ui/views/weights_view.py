"""The weights view: each component's expected weight as a bar, for variational fits.

A view: the controller pushes the expected weights and the component colours after every
half-step. With a Dirichlet-process prior the surplus components' bars shrink towards
zero as the fit goes on, which is the picture of "the prior chose K". Bars of components
below :data:`IN_USE_WEIGHT` are drawn as outlines, as their ellipses are.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.ui.views.plot_view import IN_USE_WEIGHT, style_axes
from gmmviewer.ui.views.theme import Theme, qcolor


def components_in_use(weights: np.ndarray) -> int:
    """How many components carry at least :data:`IN_USE_WEIGHT` of the weight."""
    return int(np.count_nonzero(np.asarray(weights) >= IN_USE_WEIGHT))


class WeightsView(QtWidgets.QWidget):
    """Bars of the expected weights, one per component, in the component colours."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("weights_view")
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        # The plot is made when the view is first shown or given weights (see _make_plot):
        # the window's first paint need not wait for a view only variational fits show.
        self.plot_widget: pg.PlotWidget | None = None
        self.plot_item: pg.PlotItem | None = None
        self.bars: pg.BarGraphItem | None = None
        self.summary: pg.TextItem | None = None
        self._theme = Theme.light()
        self._scale = 1.0
        self._styled = False  # apply_style was called: a plot made later takes its style
        self._weights = np.zeros(0)
        self._colours = np.zeros((0, 3))
        self.setToolTip(
            "Expected weight of each component under the variational posterior.\n"
            f"Outlined bars: below {IN_USE_WEIGHT:.0%}, the prior has switched them off."
        )

    def _make_plot(self) -> None:
        """Make the plot (once), styled and drawn as the view is."""
        if self.plot_widget is not None:
            return
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setMenuEnabled(False)
        self.plot_widget.setMouseEnabled(x=False, y=False)
        self.plot_widget.hideButtons()
        self._layout.addWidget(self.plot_widget)
        if self.isVisible():
            self.plot_widget.show()  # at once: the layout would show it only after this paint
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setLabel("left", "expected weight")
        self.plot_item.setLabel("bottom", "component")
        self.plot_item.setYRange(0.0, 1.0, padding=0.02)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.plot_item.addItem(self.bars)
        self.summary = pg.TextItem(anchor=(1.0, 0.0))
        self.plot_item.addItem(self.summary, ignoreBounds=True)
        if self._styled:
            self._style_plot()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        self._make_plot()
        super().showEvent(event)

    @property
    def weights(self) -> np.ndarray:
        """The weights shown, shape (n_components,)."""
        return self._weights.copy()

    def show_weights(self, weights: np.ndarray, colours: np.ndarray) -> None:
        """Draw ``weights`` (shape (K,)) in ``colours`` (shape (K, 3), 0-255)."""
        weights = np.asarray(weights, dtype=float)
        colours = np.asarray(colours)
        if np.array_equal(weights, self._weights) and np.array_equal(colours, self._colours):
            return
        self._weights, self._colours = weights.copy(), colours.copy()
        self._make_plot()
        self._draw()

    def apply_style(self, theme: Theme, scale: float) -> None:
        """Restyle for a theme and size factor."""
        self._theme, self._scale = theme, scale
        self._styled = True
        if self.plot_widget is not None:
            self._style_plot()

    def _style_plot(self) -> None:
        theme, scale = self._theme, self._scale
        self.plot_widget.setBackground(qcolor(theme.plot_background))
        style_axes(self.plot_item, theme, scale)
        font = QtGui.QFont()
        font.setPointSizeF(9.0 * scale)
        self.summary.setFont(font)
        self._draw()

    def _draw(self) -> None:
        n = len(self._weights)
        xs = np.arange(1, n + 1)
        brushes, pens = [], []
        for weight, colour in zip(self._weights, self._colours, strict=True):
            rgb = tuple(int(c) for c in colour[:3])
            if weight >= IN_USE_WEIGHT:
                brushes.append(pg.mkBrush(*rgb, 220))
                pens.append(pg.mkPen(*rgb, width=1.5 * self._scale))
            else:
                brushes.append(pg.mkBrush(None))
                pens.append(
                    pg.mkPen(*rgb, width=1.5 * self._scale, style=QtCore.Qt.PenStyle.DashLine)
                )
        # Bars of switched-off components keep a visible stub, so their outline shows.
        heights = np.maximum(self._weights, 0.02)
        if n:
            self.bars.setOpts(x=xs, height=heights, width=0.7, brushes=brushes, pens=pens)
        else:
            # pyqtgraph 0.13 fails on an empty list of pens: no bars, one empty pen.
            self.bars.setOpts(x=xs, height=heights, pens=None, pen=None, brushes=None)
        self.plot_item.setXRange(0.4, max(n, 1) + 0.6, padding=0.0)
        self.plot_item.getAxis("bottom").setTicks([[(int(x), str(int(x))) for x in xs]])
        used = components_in_use(self._weights)
        self.summary.setText(f"{used} of {n} in use", color=qcolor(self._theme.foreground))
        self.summary.setPos(max(n, 1) + 0.5, 1.0)
