"""The two-column plot: points, covariance ellipses, draggable means, legend, contours,
true components and k-means cells.

A view: it draws what the controller pushes (``show_*`` methods) and reports what the
user does through :class:`~gmmviewer.ui.views.plot_view.PlotView`'s signals; it computes no EM.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pyqtgraph.functions as fn
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.limits import EQUAL_ASPECT_RATIO_LIMIT
from gmmviewer.ui.views.geometry import (
    data_extent,
    ellipse_points,
    nearest_centre_grid,
    voronoi_edges,
)
from gmmviewer.ui.views.plot_view import OFF_ALPHA, PlotView, fade_level, legend_text
from gmmviewer.ui.views.theme import qcolor


class MeanHandle(pg.TargetItem):
    """A draggable component mean that also reports right-clicks (for "Remove component").

    A press within :attr:`GRAB_PIXELS` of the drawn disc grabs it too (a near miss would
    otherwise pan the plot), and the handle highlights there on hover.
    """

    sigRightClicked = QtCore.Signal(object, object)  # handle, screen position (QPointF)

    #: Pixels beyond the drawn disc that still grab the handle.
    GRAB_PIXELS = 6.0

    def __init__(self, component: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.component = component
        self._grab_area: QtGui.QPainterPath | None = None
        self._grab_area_of: QtGui.QPainterPath | None = None

    def symbol_shape(self) -> QtGui.QPainterPath:
        """The disc as drawn, in item coordinates."""
        return super().shape()

    def shape(self) -> QtGui.QPainterPath:
        """Where a press grabs the handle: the disc widened by :attr:`GRAB_PIXELS`."""
        symbol = self.symbol_shape()
        if self._grab_area_of is not symbol:
            self._grab_area_of = symbol
            self._grab_area = self._widened(symbol)
        return self._grab_area

    def _widened(self, symbol: QtGui.QPainterPath) -> QtGui.QPainterPath:
        device = self.deviceTransform_()
        if device is None:
            return symbol
        # A circle around the disc, built in device pixels and mapped back to the item.
        centre = device.map(QtCore.QPointF(0, 0))
        radius = 0.5 * self.scale + self.GRAB_PIXELS
        circle = QtGui.QPainterPath()
        circle.addEllipse(centre, radius, radius)
        return fn.invertQTransform(device).map(circle).united(symbol)

    def paint(self, p: QtGui.QPainter, *_: object) -> None:
        p.setPen(self.currentPen)
        p.setBrush(self.currentBrush)
        p.drawPath(self.symbol_shape())

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 - Qt override
        if ev.button() == QtCore.Qt.MouseButton.RightButton and not self.moving:
            ev.accept()
            self.sigRightClicked.emit(self, ev.screenPos())
            return
        super().mouseClickEvent(ev)
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            # A click on a handle is the handle's: in data-edit mode it adds no point under it.
            ev.accept()


class ScatterView(PlotView):
    """Scatter of two columns with one ellipse pair and one draggable mean per component.

    Emits the signals of :class:`~gmmviewer.ui.views.plot_view.PlotView`.
    """

    ELLIPSE_STDS = (1.0, 2.0)
    #: Width of the dark edge on each side of an ellipse, at scale 1.
    HALO_PIXELS = 1.0
    #: Columns whose ranges differ more than this are not drawn with equal axis scales.
    ASPECT_RATIO_LIMIT = EQUAL_ASPECT_RATIO_LIMIT

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("scatter_plot", parent)
        self.plot_item.setAspectLocked(True)
        self.ellipses: list[list[pg.PlotCurveItem]] = []
        self.handles: list[MeanHandle] = []
        self.truth_curves: list[pg.PlotCurveItem] = []
        self.contours: list[pg.IsocurveItem] = []
        self.kmeans_regions = pg.ImageItem()
        self.kmeans_regions.setZValue(-10)
        self.kmeans_regions.setVisible(False)
        self.plot_item.addItem(self.kmeans_regions, ignoreBounds=True)
        self.kmeans_edges = pg.PlotCurveItem(connect="pairs", antialias=True)
        self.kmeans_edges.setZValue(2)
        self.plot_item.addItem(self.kmeans_edges, ignoreBounds=True)
        self.kmeans_centres = pg.ScatterPlotItem(symbol="x", size=16)
        self.kmeans_centres.setZValue(15)
        self.plot_item.addItem(self.kmeans_centres)
        self._covariances = np.zeros((0, 2, 2))
        # (colours, theme, scale) the ellipses and handles were styled for.
        self._component_style: tuple | None = None
        self._extent: tuple[tuple[float, float], ...] = ((0.0, 1.0), (0.0, 1.0))

    # ------------------------------------------------------------------ data
    def set_data(self, xy: np.ndarray, labels: tuple[str, ...], fit: bool = True) -> None:
        """Show new data points (shape (N, 2)) with their column names; ``fit`` the view."""
        xy = np.asarray(xy, dtype=float)
        self.points.set_points(xy)
        # setLabel redraws an axis even for the same title: a dragged point edits per move.
        for name, label in (("bottom", labels[0]), ("left", labels[1])):
            if self.plot_item.getAxis(name).labelText != label:
                self.plot_item.setLabel(name, label)
        self._extent = data_extent(xy) if len(xy) else ((0.0, 1.0), (0.0, 1.0))
        if fit:
            self.fit_view()

    def ranges_comparable(self) -> bool:
        """True when the two columns' ranges are within :data:`ASPECT_RATIO_LIMIT` of each other."""
        (x0, x1), (y0, y1) = self._extent
        wide, tall = max(x1 - x0, 1e-300), max(y1 - y0, 1e-300)
        return max(wide / tall, tall / wide) <= self.ASPECT_RATIO_LIMIT

    def set_equal_aspect(self, equal: bool) -> None:
        """Draw one unit as long on both axes (ellipses keep their true shape), or fill the plot."""
        self.plot_item.setAspectLocked(equal)
        self.fit_view()

    def fit_view(self) -> None:
        """Zoom to the data (and the ellipses) with a small margin."""
        self.plot_item.vb.autoRange(padding=0.05)

    # ------------------------------------------------------------ components
    def show_components(
        self,
        means: np.ndarray,
        covariances: np.ndarray,
        colours: np.ndarray,
        weights: np.ndarray,
        fade: bool = False,
    ) -> None:
        """Draw one ellipse pair and one handle per component.

        Parameters
        ----------
        means : ndarray of shape (K, 2)
        covariances : ndarray of shape (K, 2, 2)
        colours : ndarray of shape (K, 3), uint8
        weights : ndarray of shape (K,)
        fade : bool
            Draw each component as strongly as its weight (variational fits).
        """
        k = len(means)
        self._sync_component_items(k)
        self._covariances = np.asarray(covariances)
        levels = tuple(fade_level(float(w), k) for w in weights) if fade else (1.0,) * k
        # Pens and brushes depend on the colours, the theme, the size and the fade levels,
        # which an EM M-step leaves alone: it only moves the ellipses and the handles.
        style = (np.asarray(colours).tobytes(), self._theme, self._scale, levels)
        restyle = style != self._component_style
        self._component_style = style
        for index in range(k):
            colour = QtGui.QColor(*map(int, colours[index]))
            for curve, n_std in zip(self.ellipses[index], self.ELLIPSE_STDS, strict=True):
                outline = ellipse_points(means[index], covariances[index], n_std)
                curve.setData(outline[:, 0], outline[:, 1])
                if restyle:
                    pen, halo = self._ellipse_pens(colour, n_std, levels[index])
                    curve.setPen(pen)
                    curve.setShadowPen(halo)
            handle = self.handles[index]
            # Pushing model state must not look like a user drag.
            with QtCore.QSignalBlocker(handle):
                handle.setPos(float(means[index, 0]), float(means[index, 1]))
            if restyle:
                self._style_handle(handle, colour, levels[index])
        self.show_legend(
            [
                (self.ellipses[index][0], legend_text(index, float(weights[index]), fade))
                for index in range(k)
            ],
            colours,
        )

    def _style_handle(
        self, handle: MeanHandle, colour: QtGui.QColor, level: float | None = 1.0
    ) -> None:
        outline = qcolor(self._theme.handle_outline)
        if level is None:
            # A switched-off component keeps a hollow handle: it can still be dragged.
            colour = QtGui.QColor(colour)
            colour.setAlphaF(0.0)
            outline.setAlphaF(OFF_ALPHA + 0.2)
        handle.setPen(pg.mkPen(outline, width=2 * self._scale))
        handle.setBrush(pg.mkBrush(colour))
        handle.setHoverBrush(pg.mkBrush(colour.lighter(130)))
        handle.setHoverPen(pg.mkPen(qcolor(self._theme.foreground), width=3 * self._scale))
        handle.scale = 16 * self._scale
        handle._shape = None
        handle.update()

    def _sync_component_items(self, k: int) -> None:
        if len(self.ellipses) != k:
            self._component_style = None  # new items are unstyled
        while len(self.ellipses) > k:
            for curve in self.ellipses.pop():
                self.plot_item.removeItem(curve)
            handle = self.handles.pop()
            handle.sigPositionChanged.disconnect(self._on_handle_moved)
            handle.sigPositionChangeFinished.disconnect(self._on_handle_finished)
            handle.sigRightClicked.disconnect(self._on_handle_right_clicked)
            self.plot_item.removeItem(handle)
        while len(self.ellipses) < k:
            curves = [pg.PlotCurveItem(antialias=True) for _ in self.ELLIPSE_STDS]
            for curve in curves:
                curve.setZValue(5)
                self.plot_item.addItem(curve)
            handle = MeanHandle(len(self.handles), size=16, symbol="o")
            handle.setZValue(20)
            handle.setToolTip("Drag to move this component's mean; right-click to remove it")
            handle.sigPositionChanged.connect(self._on_handle_moved)
            handle.sigPositionChangeFinished.connect(self._on_handle_finished)
            handle.sigRightClicked.connect(self._on_handle_right_clicked)
            self.plot_item.addItem(handle)
            self.ellipses.append(curves)
            self.handles.append(handle)

    def _ellipse_pens(
        self, colour: QtGui.QColor, n_std: float, level: float | None = 1.0
    ) -> tuple[QtGui.QPen, QtGui.QPen]:
        """The pen of an ellipse and its halo, drawn under it.

        The halo is the theme's dark edge, one pixel (times the scale) wider on each side
        and dashed in step with a dashed ellipse: it keeps every ellipse visible over
        points of its own colour, however densely they cover the plot. ``level`` is the
        component's :func:`fade_level`: None for a switched-off component, a faint
        dotted outline with no halo.
        """
        edge = qcolor(self._theme.ellipse_edge)
        margin = 2 * self.HALO_PIXELS * self._scale
        if level is None:
            faint = QtGui.QColor(colour)
            faint.setAlphaF(OFF_ALPHA)
            pen = pg.mkPen(faint, width=1.2 * self._scale, style=QtCore.Qt.PenStyle.DotLine)
            return pen, pg.mkPen(None)
        if level < 1.0:
            colour = QtGui.QColor(colour)
            colour.setAlphaF(level)
            edge.setAlphaF(edge.alphaF() * level)
        if n_std == 1.0:
            width = 2.5 * self._scale
            return pg.mkPen(colour, width=width), pg.mkPen(edge, width=width + margin)
        faded = QtGui.QColor(colour)
        faded.setAlpha(210)
        width = 1.5 * self._scale
        return _dashed_pen(faded, width, width), _dashed_pen(edge, width + margin, width)

    def _on_handle_moved(self, handle: MeanHandle) -> None:
        position = handle.pos()
        index = handle.component
        if index < len(self._covariances):
            # The ellipses follow the handle at once, before the session hears of it.
            mean = np.array([position.x(), position.y()])
            for curve, n_std in zip(self.ellipses[index], self.ELLIPSE_STDS, strict=True):
                outline = ellipse_points(mean, self._covariances[index], n_std)
                curve.setData(outline[:, 0], outline[:, 1])
        self.mean_dragged.emit(index, position.x(), position.y(), False)

    def _on_handle_finished(self, handle: MeanHandle) -> None:
        position = handle.pos()
        self.mean_dragged.emit(handle.component, position.x(), position.y(), True)

    def _on_handle_right_clicked(self, handle: MeanHandle, screen_pos: QtCore.QPointF) -> None:
        position = handle.pos()
        self.context_requested.emit(
            position.x(), position.y(), handle.component, screen_pos.toPoint()
        )

    # ----------------------------------------------------------------- truth
    def show_truth(
        self,
        means: np.ndarray | None,
        covariances: np.ndarray | None,
        weights: np.ndarray | None = None,
    ) -> None:
        """Dashed 1- and 2-standard-deviation ellipses of the true components, or none."""
        for curve in self.truth_curves:
            self.plot_item.removeItem(curve)
        self.truth_curves = []
        if means is None or covariances is None:
            return
        pen = pg.mkPen(
            qcolor(self._theme.truth), width=1.6 * self._scale, style=QtCore.Qt.PenStyle.DashDotLine
        )
        for mean, covariance in zip(means, covariances, strict=True):
            for n_std in self.ELLIPSE_STDS:
                outline = ellipse_points(mean, covariance, n_std)
                curve = pg.PlotCurveItem(outline[:, 0], outline[:, 1], pen=pen, antialias=True)
                curve.setZValue(4)
                self.plot_item.addItem(curve)
                self.truth_curves.append(curve)

    # -------------------------------------------------------------- contours
    def show_density(
        self,
        xs: np.ndarray | None,
        ys: np.ndarray | None,
        density: np.ndarray | None,
        levels: np.ndarray | None = None,
    ) -> None:
        """Iso-density contours of the mixture on a grid, or none.

        Parameters
        ----------
        xs, ys : ndarray of shape (n,) and (m,)
        density : ndarray of shape (n, m)
            Density (not log) at ``(xs[i], ys[j])``.
        levels : ndarray
            Density values to outline.
        """
        for contour in self.contours:
            self.plot_item.removeItem(contour)
        self.contours = []
        if density is None or xs is None or ys is None or levels is None:
            return
        transform = QtGui.QTransform()
        transform.translate(float(xs[0]), float(ys[0]))
        transform.scale(float(xs[1] - xs[0]), float(ys[1] - ys[0]))
        for level in levels:
            contour = pg.IsocurveItem(
                data=density, level=float(level), pen=pg.mkPen(qcolor(self._theme.contour), width=1)
            )
            contour.setTransform(transform)
            contour.setZValue(3)
            self.plot_item.addItem(contour)
            self.contours.append(contour)

    # ---------------------------------------------------------------- k-means
    def show_kmeans(self, centres: np.ndarray | None, colours: np.ndarray | None = None) -> None:
        """k-means centres (crosses) and the cells nearest each centre, or none.

        Parameters
        ----------
        centres : ndarray of shape (K, 2)
        colours : ndarray of shape (K, 3)
            Colour of each k-means cluster.
        """
        if centres is None or colours is None:
            self.kmeans_regions.setVisible(False)
            self.kmeans_centres.setData([], [])
            self.kmeans_edges.setData([], [])
            return
        (x0, x1), (y0, y1) = self._extent
        # Cells reach well past the data so panning does not show their edge.
        extent = ((2 * x0 - x1, 2 * x1 - x0), (2 * y0 - y1, 2 * y1 - y0))
        labels = nearest_centre_grid(centres, extent, resolution=480)
        rgba = np.zeros((*labels.shape, 4), dtype=np.uint8)
        rgba[..., :3] = colours[labels]
        rgba[..., 3] = 46
        (ex0, ex1), (ey0, ey1) = extent
        self.kmeans_regions.setImage(rgba, levels=None, autoLevels=False)
        self.kmeans_regions.setRect(QtCore.QRectF(ex0, ey0, ex1 - ex0, ey1 - ey0))
        self.kmeans_regions.setVisible(True)
        edges = voronoi_edges(centres, extent)
        if edges:
            points = np.array([point for edge in edges for point in edge])
            self.kmeans_edges.setData(points[:, 0], points[:, 1])
            self.kmeans_edges.setPen(
                pg.mkPen(qcolor(self._theme.foreground), width=1.5 * self._scale)
            )
        else:
            self.kmeans_edges.setData([], [])
        brushes = [pg.mkBrush(QtGui.QColor(*map(int, c))) for c in colours]
        self.kmeans_centres.setData(
            centres[:, 0],
            centres[:, 1],
            brush=brushes,
            pen=pg.mkPen(qcolor(self._theme.foreground), width=1.5),
            size=16 * self._scale,
        )


def _dashed_pen(colour: QtGui.QColor, width: float, unit: float) -> QtGui.QPen:
    """A cosmetic dashed pen: dashes of 4 ``unit`` pixels, gaps of 2, whatever its width
    (Qt measures dashes in pen widths), with flat ends, so a wider halo keeps in step."""
    pen = QtGui.QPen(colour)
    pen.setWidthF(width)
    pen.setCosmetic(True)
    pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
    pen.setDashPattern([4.0 * unit / width, 2.0 * unit / width])
    return pen
