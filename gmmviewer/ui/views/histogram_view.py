"""The one-column plot: a histogram with each weighted component density and the mixture.

Same methods and signals as :class:`~gmmviewer.ui.views.scatter_view.ScatterView`, so the
controller drives either. The data points sit in a jittered rug under the axis,
coloured by their responsibilities; each mean is a vertical line that drags along the
axis.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.ui.views.axes import NumberAxis
from gmmviewer.ui.views.geometry import data_extent
from gmmviewer.ui.views.plot_view import PlotView, legend_text
from gmmviewer.ui.views.theme import Theme, qcolor

GRID_POINTS = 600
#: Height of the rug below the axis, as a fraction of the histogram's peak.
RUG_DEPTH = 0.16


def weighted_densities(
    xs: np.ndarray, weights: np.ndarray, means: np.ndarray, variances: np.ndarray
) -> np.ndarray:
    """``w_k N(x | mu_k, var_k)`` on a grid, shape (K, len(xs)) (display only)."""
    variances = np.maximum(variances, np.finfo(float).tiny)
    z = (xs[None, :] - means[:, None]) ** 2 / variances[:, None]
    return weights[:, None] * np.exp(-0.5 * z) / np.sqrt(2.0 * np.pi * variances[:, None])


class MeanLine(pg.InfiniteLine):
    """A draggable vertical line at a component mean that reports right-clicks.

    A press within :attr:`GRAB_PIXELS` of the line grabs it (a near miss would otherwise
    pan the plot).
    """

    sigRightClicked = QtCore.Signal(object, object)  # line, screen position

    #: Pixels either side of the line that still grab it.
    GRAB_PIXELS = 8.0

    def __init__(self, component: int) -> None:
        super().__init__(angle=90, movable=True)
        self.component = component

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt override
        # The line's own rectangle (pen and hover pen wide), widened to the grab distance;
        # without a shape of its own, this is where presses and hovers find the line.
        rect = QtCore.QRectF(super().boundingRect())
        if rect.isNull():
            return rect
        _, ortho = self.pixelVectors(direction=pg.Point(1, 0))
        if ortho is None:
            return rect
        half = self.GRAB_PIXELS * abs(ortho.y())
        if rect.height() < 2 * half:
            rect.setTop(-half)
            rect.setBottom(half)
        return rect

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 - Qt override
        if ev.button() == QtCore.Qt.MouseButton.RightButton and not self.moving:
            ev.accept()
            self.sigRightClicked.emit(self, ev.screenPos())
            return
        super().mouseClickEvent(ev)
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            # A click on a mean is the mean's: in data-edit mode it adds no point under it.
            ev.accept()


class HistogramView(PlotView):
    """Histogram, component densities, mixture density, draggable means, coloured rug.

    Emits the signals of :class:`~gmmviewer.ui.views.plot_view.PlotView` (with NaN for y in
    ``mean_dragged``).
    """

    POINT_SIZE = 6.0
    ONE_DIMENSIONAL = True

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("histogram_plot", parent)
        # Densities are small numbers: one format for every label ("0.9e-4", "1.0e-4"),
        # no "x0.001" prefix, and no ticks below zero, where the rug is.
        self.plot_item.setAxisItems({"left": NumberAxis("left", lowest=0.0)})
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        self.plot_item.setLabel("left", "density")
        self.histogram = pg.PlotCurveItem([0.0, 1.0], [0.0], stepMode="center", fillLevel=0.0)
        self.plot_item.addItem(self.histogram)
        self.mixture_curve = pg.PlotCurveItem(antialias=True)
        self.mixture_curve.setZValue(6)
        self.plot_item.addItem(self.mixture_curve)
        self.density_curve = pg.PlotCurveItem(antialias=True)
        self.density_curve.setZValue(7)
        self.density_curve.setVisible(False)
        self.plot_item.addItem(self.density_curve)
        self.points.setZValue(2)
        self.legend.anchor((1, 0), (1, 0), offset=(-10, 10))
        self.component_curves: list[pg.PlotCurveItem] = []
        self.mean_lines: list[MeanLine] = []
        self.truth_curves: list[pg.PlotCurveItem] = []
        self.kmeans_lines: list[pg.InfiniteLine] = []
        self.kmeans_centres = pg.ScatterPlotItem(symbol="x", size=16)
        self.kmeans_centres.setZValue(15)
        self.plot_item.addItem(self.kmeans_centres)
        self._grid = np.linspace(0.0, 1.0, GRID_POINTS)
        self._peak = 1.0
        self._params: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._colours = np.zeros((0, 3), dtype=np.uint8)
        # (colours, theme, scale) the component curves and lines were styled for.
        self._component_style: tuple | None = None
        self._rug_y = np.zeros(0)

    # ------------------------------------------------------------------ data
    def set_data(self, values: np.ndarray, labels: tuple[str, ...], fit: bool = True) -> None:
        """Show one column (shape (N, 1)): its histogram and a rug of its points.

        Without ``fit`` (an edit of the data) the x-range stays; the height still fits.
        """
        x = np.asarray(values, dtype=float).reshape(-1)
        ((low, high),) = data_extent(x.reshape(-1, 1)) if len(x) else ((0.0, 1.0),)
        self._grid = np.linspace(low, high, GRID_POINTS)
        bins = int(np.clip(np.sqrt(len(x)) * 1.5, 10, 120)) if len(x) else 10
        if len(x):
            heights, edges = np.histogram(x, bins=bins, range=(low, high), density=True)
        else:  # an empty canvas: no density to estimate
            heights, edges = np.zeros(bins), np.linspace(low, high, bins + 1)
        self.histogram.setData(edges, heights)
        self.histogram.setVisible(len(x) > 0)
        self._peak = float(heights.max()) if len(heights) and heights.max() > 0 else 1.0
        # A fixed jitter keeps each point where it was when the colours change.
        jitter = np.random.default_rng(0).uniform(0.12, 0.88, size=len(x))
        self._rug_y = -RUG_DEPTH * self._peak * jitter
        self.points.set_points(np.column_stack([x, self._rug_y]))
        # pyqtgraph's setLabel draws the axis again even for the same title (see ScatterView).
        if self.plot_item.getAxis("bottom").labelText != labels[0]:
            self.plot_item.setLabel("bottom", labels[0])
        # The x-range is left alone, not moved and put back: the x-axis keeps its picture.
        self._fit(width=fit)

    def fit_view(self) -> None:
        """Show the whole histogram, the rug and the densities."""
        self._fit(width=True)

    def _fit(self, width: bool) -> None:
        """Fit the height to the histogram, the rug and the densities; ``width`` the x-range too."""
        top = self._peak
        if self._params is not None:
            top = max(top, float(self._mixture().max()))
        self.plot_item.vb.setRange(
            xRange=(self._grid[0], self._grid[-1]) if width else None,
            yRange=(-RUG_DEPTH * self._peak * 1.05, top * 1.08),
            padding=0.02,
        )

    # ------------------------------------------------------------ components
    def show_components(
        self,
        means: np.ndarray,
        covariances: np.ndarray,
        colours: np.ndarray,
        weights: np.ndarray,
        fade: bool = False,
    ) -> None:
        """Draw each weighted component density, the mixture density, and a line per mean.

        Parameters
        ----------
        means : ndarray of shape (K, 1)
        covariances : ndarray of shape (K, 1, 1)
        colours : ndarray of shape (K, 3)
        weights : ndarray of shape (K,)
        fade : bool
            Variational fits: the legend names switched-off components (their weighted
            densities already shrink with their weights).
        """
        means = np.asarray(means, dtype=float).reshape(-1)
        variances = np.asarray(covariances, dtype=float).reshape(-1)
        weights = np.asarray(weights, dtype=float)
        self._params = (weights, means, variances)
        self._colours = np.asarray(colours)
        k = len(means)
        self._sync_component_items(k)
        # Pens and brushes follow the colours, the theme and the size, not an M-step.
        style = (self._colours.tobytes(), self._theme, self._scale)
        restyle = style != self._component_style
        self._component_style = style
        densities = weighted_densities(self._grid, weights, means, variances)
        for index in range(k):
            curve = self.component_curves[index]
            curve.setData(self._grid, densities[index])
            line = self.mean_lines[index]
            with QtCore.QSignalBlocker(line):
                line.setValue(float(means[index]))
            if restyle:
                self._style_component(index, QtGui.QColor(*map(int, colours[index])))
        self.mixture_curve.setData(self._grid, densities.sum(axis=0))
        self.mixture_curve.setVisible(k > 0)  # no components (none placed yet): no mixture
        self.show_legend(
            [
                (self.component_curves[index], legend_text(index, float(weights[index]), fade))
                for index in range(k)
            ]
            + ([(self.mixture_curve, "mixture")] if k else []),
            self._colours,
        )

    def _style_component(self, index: int, colour: QtGui.QColor) -> None:
        curve = self.component_curves[index]
        curve.setPen(pg.mkPen(colour, width=2.2 * self._scale))
        fill = QtGui.QColor(colour)
        fill.setAlpha(40)
        curve.setBrush(pg.mkBrush(fill))
        line = self.mean_lines[index]
        line.setPen(pg.mkPen(colour, width=2.5 * self._scale))
        line.setHoverPen(pg.mkPen(qcolor(self._theme.foreground), width=3.5 * self._scale))

    def _mixture(self) -> np.ndarray:
        assert self._params is not None
        return weighted_densities(self._grid, *self._params).sum(axis=0)

    def _sync_component_items(self, k: int) -> None:
        if len(self.component_curves) != k:
            self._component_style = None  # new items are unstyled
        while len(self.component_curves) > k:
            self.plot_item.removeItem(self.component_curves.pop())
            line = self.mean_lines.pop()
            line.sigPositionChanged.disconnect(self._on_line_moved)
            line.sigPositionChangeFinished.disconnect(self._on_line_finished)
            line.sigRightClicked.disconnect(self._on_line_right_clicked)
            self.plot_item.removeItem(line)
        while len(self.component_curves) < k:
            curve = pg.PlotCurveItem(antialias=True, fillLevel=0.0)
            curve.setZValue(5)
            self.plot_item.addItem(curve)
            line = MeanLine(len(self.mean_lines))
            line.setZValue(20)
            line.setToolTip("Drag to move this component's mean; right-click to remove it")
            line.sigPositionChanged.connect(self._on_line_moved)
            line.sigPositionChangeFinished.connect(self._on_line_finished)
            line.sigRightClicked.connect(self._on_line_right_clicked)
            self.plot_item.addItem(line)
            self.component_curves.append(curve)
            self.mean_lines.append(line)

    def _on_line_moved(self, line: MeanLine) -> None:
        index = line.component
        if self._params is not None and index < len(self._params[1]):
            # The density follows the line at once, before the session hears of it.
            weights, means, variances = self._params
            moved = means.copy()
            moved[index] = line.value()
            densities = weighted_densities(self._grid, weights, moved, variances)
            self.component_curves[index].setData(self._grid, densities[index])
            self.mixture_curve.setData(self._grid, densities.sum(axis=0))
        self.mean_dragged.emit(index, float(line.value()), float("nan"), False)

    def _on_line_finished(self, line: MeanLine) -> None:
        self.mean_dragged.emit(line.component, float(line.value()), float("nan"), True)

    def _on_line_right_clicked(self, line: MeanLine, screen_pos: QtCore.QPointF) -> None:
        self.context_requested.emit(float(line.value()), 0.0, line.component, screen_pos.toPoint())

    # ----------------------------------------------------------------- truth
    def show_truth(
        self,
        means: np.ndarray | None,
        covariances: np.ndarray | None,
        weights: np.ndarray | None = None,
    ) -> None:
        """Dashed weighted densities of the true components, or none."""
        for curve in self.truth_curves:
            self.plot_item.removeItem(curve)
        self.truth_curves = []
        if means is None or covariances is None or weights is None:
            return
        densities = weighted_densities(
            self._grid,
            np.asarray(weights, float),
            np.asarray(means, float).reshape(-1),
            np.asarray(covariances, float).reshape(-1),
        )
        pen = pg.mkPen(
            qcolor(self._theme.truth), width=1.6 * self._scale, style=QtCore.Qt.PenStyle.DashLine
        )
        for row in densities:
            curve = pg.PlotCurveItem(self._grid, row, pen=pen, antialias=True)
            curve.setZValue(4)
            self.plot_item.addItem(curve)
            self.truth_curves.append(curve)

    def show_density(
        self,
        xs: np.ndarray | None,
        ys: np.ndarray | None,
        density: np.ndarray | None,
        levels: np.ndarray | None = None,
    ) -> None:
        """The mixture density computed by the core on a grid, as a dotted curve, or none.

        Parameters
        ----------
        xs : ndarray of shape (n,)
        ys, levels
            Unused: one column has no second axis and no contour levels.
        density : ndarray of shape (n,)
            Density (not log) at ``xs``.
        """
        if xs is None or density is None:
            self.density_curve.setData([], [])
            self.density_curve.setVisible(False)
            return
        self.density_curve.setData(np.asarray(xs, float), np.asarray(density, float).reshape(-1))
        self.density_curve.setVisible(True)

    # ---------------------------------------------------------------- k-means
    def show_kmeans(self, centres: np.ndarray | None, colours: np.ndarray | None = None) -> None:
        """k-means centres on the rug and the boundaries between their intervals, or none."""
        for line in self.kmeans_lines:
            self.plot_item.removeItem(line)
        self.kmeans_lines = []
        if centres is None or colours is None:
            self.kmeans_centres.setData([], [])
            return
        x = np.asarray(centres, float).reshape(-1)
        ordered = np.sort(x)
        pen = pg.mkPen(
            qcolor(self._theme.foreground),
            width=1.5 * self._scale,
            style=QtCore.Qt.PenStyle.DashLine,
        )
        for boundary in (ordered[1:] + ordered[:-1]) / 2:
            line = pg.InfiniteLine(float(boundary), angle=90, movable=False, pen=pen)
            line.setToolTip("k-means boundary: points left and right go to different centres")
            self.plot_item.addItem(line)
            self.kmeans_lines.append(line)
        brushes = [pg.mkBrush(QtGui.QColor(*map(int, c))) for c in colours]
        self.kmeans_centres.setData(
            x,
            np.full(len(x), -0.5 * RUG_DEPTH * self._peak),
            brush=brushes,
            pen=pg.mkPen(qcolor(self._theme.foreground), width=1.5),
            size=16 * self._scale,
        )

    # ----------------------------------------------------------------- style
    def apply_style(self, theme: Theme, scale: float) -> None:
        """Restyle for a theme and a size factor."""
        super().apply_style(theme, scale)
        bar = qcolor(theme.faded)
        bar_fill = QtGui.QColor(bar)
        bar_fill.setAlpha(90)
        self.histogram.setPen(pg.mkPen(bar, width=1))
        self.histogram.setBrush(pg.mkBrush(bar_fill))
        self.mixture_curve.setPen(pg.mkPen(qcolor(theme.foreground), width=3 * scale))
        self.density_curve.setPen(
            pg.mkPen(qcolor(theme.contour), width=2 * scale, style=QtCore.Qt.PenStyle.DotLine)
        )

    def rug_position(self, index: int) -> tuple[float, float]:
        """Where point ``index`` is drawn in the rug (for tests and tooltips)."""
        return float(self.points.positions()[index, 0]), float(self._rug_y[index])
