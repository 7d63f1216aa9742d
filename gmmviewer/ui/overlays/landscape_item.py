"""The likelihood landscape drawn on a plot: a heat map with contours and a colour bar,
the path a mean took during the run, and the current position ringed.

:class:`LandscapeLayer` adds these items to any pyqtgraph ``PlotItem`` (the scatter
view's, or the (mu1, mu2) plot of :class:`PairLandscapeView` beside a histogram). A view:
it draws :class:`LandscapeFrame` objects the window computed on a worker thread
(:func:`frame_of` builds one there, contours included) and computes no likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.analysis.landscape import Landscape
from gmmviewer.ui.views.plot_view import style_axes
from gmmviewer.ui.views.theme import Theme, qcolor

#: A perceptual colour map that keeps its order in grey and reads on white and black.
COLOUR_MAP = "viridis"
#: Opacity of the heat map: the points and ellipses stay in front and readable.
HEAT_OPACITY = 0.6
#: Contours at these fractions of the colour range (see :func:`colour_levels`): dense
#: near the bottom, where the shape of the basin is.
CONTOUR_FRACTIONS = (0.01, 0.03, 0.07, 0.15, 0.3, 0.5, 0.75)
#: The colour map's top end: this quantile of the grid's NLL values.
UPPER_QUANTILE = 0.75
#: Column of the plot's layout that takes the colour bar (right of any other bar).
BAR_COLUMN = 6
#: Stacking order: under the points (0) and everything drawn over them.
IMAGE_Z, CONTOUR_Z, PATH_Z, CURRENT_Z = -20.0, 1.0, 18.0, 19.0


@dataclass(frozen=True, eq=False)
class LandscapeFrame:
    """One landscape ready to draw.

    Attributes
    ----------
    landscape : Landscape
    levels : (float, float)
        NLL at the two ends of the colour map (see :func:`colour_levels`).
    contour_levels : ndarray of shape (n_levels,)
    contour_x, contour_y : ndarray of shape (2 * n_segments,)
        Every contour as line segments (see :func:`contour_segments`).
    token : object
        Whatever the caller asked for it with (which request it answers).
    """

    landscape: Landscape
    levels: tuple[float, float]
    contour_levels: np.ndarray
    contour_x: np.ndarray
    contour_y: np.ndarray
    token: object = None


def colour_levels(nll: np.ndarray) -> tuple[float, float]:
    """The NLL at the two ends of the colour map: the lowest, and the upper quartile.

    A mean far from the data leaves a plateau (one mean) or a cliff (two means, nothing
    else to explain the data) that would take most of the colours; the upper quartile
    keeps them for the basins, and what lies above is drawn in the top colour.
    """
    low = float(np.nanmin(nll))
    high = float(np.nanquantile(nll, UPPER_QUANTILE))
    if not high > low:
        high = float(np.nanmax(nll))
    return low, high if high > low else low + 1.0


def contour_segments(
    xs: np.ndarray, ys: np.ndarray, values: np.ndarray, levels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Contours of ``values`` (shape (n_y, n_x), on ``xs`` x ``ys``) at ``levels``, as
    line segments: endpoints ``(x[2s], y[2s])`` to ``(x[2s + 1], y[2s + 1])``.

    Marching squares in numpy alone (no loop over cells), so a 160 x 160 grid takes a
    millisecond or two on the worker thread and hardly holds the interpreter's lock. A
    saddle cell is split the way its centre value says.
    """
    out_x: list[np.ndarray] = []
    out_y: list[np.ndarray] = []
    x0, x1 = xs[:-1][None, :], xs[1:][None, :]
    y0, y1 = ys[:-1][:, None], ys[1:][:, None]
    corners = (values[:-1, :-1], values[:-1, 1:], values[1:, 1:], values[1:, :-1])
    centre = 0.25 * sum(corners)
    for level in levels:
        below = [corner < level for corner in corners]  # (j, i), (j, i+1), (j+1, i+1), (j+1, i)
        # Edges bottom, right, top, left run from corner e to corner e + 1 (mod 4).
        crossing = np.stack([below[e] != below[(e + 1) % 4] for e in range(4)], axis=-1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # Where an edge does not cross, t is anything (even inf): it is never read.
            t = [(level - corners[e]) / (corners[(e + 1) % 4] - corners[e]) for e in range(4)]
            edge_x = [x0 + t[0] * (x1 - x0), np.broadcast_to(x1, t[1].shape),
                      x1 + t[2] * (x0 - x1), np.broadcast_to(x0, t[3].shape)]  # fmt: skip
            edge_y = [np.broadcast_to(y0, t[0].shape), y0 + t[1] * (y1 - y0),
                      np.broadcast_to(y1, t[2].shape), y1 + t[3] * (y0 - y1)]  # fmt: skip
        ex, ey = np.stack(edge_x, axis=-1), np.stack(edge_y, axis=-1)
        count = crossing.sum(axis=-1)
        first = np.argmax(crossing, axis=-1)
        last = 3 - np.argmax(crossing[..., ::-1], axis=-1)
        pairs = [(count == 2, first, last)]
        saddle = count == 4
        if saddle.any():
            # Centre on corner 0's side: the segments cut off corners 1 and 3, else 0 and 2.
            joined = (centre < level) == below[0]
            pairs.append((saddle, np.where(joined, 0, 3), np.where(joined, 1, 0)))
            pairs.append((saddle, np.where(joined, 2, 1), np.where(joined, 3, 2)))
        for where, a, b in pairs:
            rows, cols = np.nonzero(where)
            a, b = a[rows, cols], b[rows, cols]
            segment_x = np.column_stack([ex[rows, cols, a], ex[rows, cols, b]])
            segment_y = np.column_stack([ey[rows, cols, a], ey[rows, cols, b]])
            out_x.append(segment_x.ravel())
            out_y.append(segment_y.ravel())
    if not out_x:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(out_x), np.concatenate(out_y)


def frame_of(landscape: Landscape, token: object = None) -> LandscapeFrame:
    """A :class:`LandscapeFrame` of a two-dimensional ``landscape`` (levels and contours)."""
    nll = landscape.nll
    low, high = colour_levels(nll)
    levels = low + (high - low) * np.asarray(CONTOUR_FRACTIONS)
    if landscape.ys is None or min(nll.shape) < 2:
        x, y = np.zeros(0), np.zeros(0)
    else:
        x, y = contour_segments(landscape.xs, landscape.ys, nll, levels)
    return LandscapeFrame(landscape, (low, high), levels, x, y, token)


class LandscapeLayer:
    """Heat map, contours, colour bar, path and current-position ring on one plot.

    Parameters
    ----------
    plot_item : pg.PlotItem
        Where the items go; the colour bar takes column :data:`BAR_COLUMN` of its layout.
    """

    def __init__(self, plot_item: pg.PlotItem) -> None:
        self.plot_item = plot_item
        self.colour_map = pg.colormap.get(COLOUR_MAP)
        self.image = pg.ImageItem()
        self.image.setZValue(IMAGE_Z)
        self.image.setOpacity(HEAT_OPACITY)
        self.image.setColorMap(self.colour_map)
        self.contours = pg.PlotCurveItem(connect="pairs", antialias=True)
        self.contours.setZValue(CONTOUR_Z)
        self.path_line = pg.PlotCurveItem(antialias=True)
        self.path_line.setZValue(PATH_Z)
        self.path_marks = pg.ScatterPlotItem(pxMode=True)
        self.path_marks.setZValue(PATH_Z)
        self.current = pg.ScatterPlotItem(pxMode=True, symbol="o")
        self.current.setZValue(CURRENT_Z)
        self._items = (self.image, self.contours, self.path_line, self.path_marks, self.current)
        for item in self._items:
            # The landscape follows the view; it must never push the view's range out.
            plot_item.addItem(item, ignoreBounds=True)
            item.setVisible(False)
        self.bar = pg.ColorBarItem(
            colorMap=self.colour_map, interactive=False, colorMapMenu=False, width=14
        )
        self.bar.setImageItem(self.image)
        self.bar.getAxis("right").setWidth(None)  # as wide as its labels, at any size
        self.frame: LandscapeFrame | None = None
        self._visible = False
        self._theme = Theme.light()
        self._scale = 1.0
        self._colour = QtGui.QColor(0, 114, 178)

    # ------------------------------------------------------------------ showing
    @property
    def visible(self) -> bool:
        """True while the layer is shown."""
        return self._visible

    def set_visible(self, visible: bool) -> None:
        """Show or hide every item, the colour bar's place in the layout included."""
        self._visible = visible
        self._show_items()

    def _show_items(self) -> None:
        """Everything, the colour bar's place in the layout included, is shown while
        the layer is visible and has a landscape.

        Nothing appears before the first landscape: redrawing the plot for the path alone
        (or for the colour bar narrowing it) would hold up that first picture.
        """
        wanted = self._visible and self.frame is not None
        for item in self._items:
            item.setVisible(wanted)
        layout = self.plot_item.layout
        if wanted and self.bar.scene() is None:
            layout.addItem(self.bar, 2, BAR_COLUMN)
        elif not wanted and self.bar.scene() is not None:
            layout.removeItem(self.bar)
            self.bar.scene().removeItem(self.bar)

    def clear(self) -> None:
        """Forget the landscape and the path (a new session)."""
        self.frame = None
        self.image.clear()
        self.contours.setData([], [])
        self._show_items()
        self.show_path(np.zeros((0, 2)), np.zeros(0, dtype=bool))

    def show_frame(self, frame: LandscapeFrame, label: str) -> None:
        """Draw a landscape: heat map, contours, and the colour bar labelled ``label``."""
        landscape = frame.landscape
        xs, ys = landscape.xs, landscape.ys
        assert ys is not None
        self.frame = frame
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        self.image.setImage(landscape.nll, autoLevels=False, levels=frame.levels)
        self.image.setRect(
            QtCore.QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * xs.size, dy * ys.size)
        )
        self.bar.setLevels(frame.levels)
        axis = self.bar.getAxis("left")
        if axis.labelText != label:
            axis.setLabel(label)
        self.contours.setData(frame.contour_x, frame.contour_y)
        self._show_items()

    def show_path(
        self,
        points: np.ndarray,
        after_m_step: np.ndarray,
        colour: np.ndarray | tuple[int, int, int] | None = None,
    ) -> None:
        """The way a mean went: a line through ``points`` (n, 2), a square at the start,
        a disc per M-step, a ring at the last point (the current position), in ``colour``
        (RGB)."""
        if colour is not None:
            self._colour = QtGui.QColor(*(int(c) for c in colour))
            self._style_path()
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        if len(points) == 0:
            self.path_line.setData([], [])
            self.path_marks.setData([], [])
            self.current.setData([], [])
            return
        self.path_line.setData(points[:, 0], points[:, 1])
        # A square where the run started, a disc after every M-step.
        marked = np.asarray(after_m_step, dtype=bool).copy()
        marked[0] = True
        symbols = ["s" if index == 0 else "o" for index in np.flatnonzero(marked)]
        self.path_marks.setData(points[marked, 0], points[marked, 1], symbol=symbols)
        self.current.setData([points[-1, 0]], [points[-1, 1]])

    # -------------------------------------------------------------------- style
    def apply_style(self, theme: Theme, scale: float) -> None:
        """Colours for the theme, widths and fonts for the size factor."""
        self._theme, self._scale = theme, scale
        style_axes(self.bar, theme, scale)
        for name in ("top", "right"):
            self.bar.getAxis(name).setPen(pg.mkPen(qcolor(theme.axis)))
        self.bar.getAxis("right").setTextPen(pg.mkPen(qcolor(theme.foreground)))
        self.bar.layout.setColumnFixedWidth(1, 14 * scale)
        ink = qcolor(theme.foreground)
        ink.setAlphaF(0.55)
        self.contours.setPen(pg.mkPen(ink, width=1.0 * scale))
        self._style_path()

    def _style_path(self) -> None:
        scale, theme = self._scale, self._theme
        edge = qcolor(theme.handle_outline)
        self.path_line.setPen(pg.mkPen(self._colour, width=3.0 * scale))
        self.path_line.setShadowPen(pg.mkPen(edge, width=5.5 * scale))
        self.path_marks.setSize(10 * scale)
        self.path_marks.setBrush(pg.mkBrush(self._colour))
        self.path_marks.setPen(pg.mkPen(edge, width=1.2 * scale))
        self.current.setSize(30 * scale)
        self.current.setBrush(pg.mkBrush(None))
        self.current.setPen(
            pg.mkPen(qcolor(theme.foreground), width=2.0 * scale, style=QtCore.Qt.PenStyle.DashLine)
        )


class PairLandscapeView(QtWidgets.QWidget):
    """A small plot of the landscape over the positions of two means (1-D data).

    Shows the heat map of :class:`LandscapeLayer`, the diagonal mean a = mean b (where
    the labels of two alike components could switch) and the path of the pair.

    Signals
    -------
    range_changed()
        The visible range changed (a zoom, a pan, a resize).
    """

    range_changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pair_landscape")
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setObjectName("pair_landscape_plot")
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.vb.setMenuEnabled(False)
        self.plot_item.setAspectLocked(True)
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)
        self.layer = LandscapeLayer(self.plot_item)
        self.layer.set_visible(True)
        self.diagonal = pg.InfiniteLine(pos=(0.0, 0.0), angle=45, movable=False)
        self.diagonal.setZValue(PATH_Z - 1)
        self.plot_item.addItem(self.diagonal, ignoreBounds=True)
        self.diagonal_label = pg.TextItem(anchor=(1.0, 1.0), angle=45)
        self.diagonal_label.setZValue(CURRENT_Z)
        self.plot_item.addItem(self.diagonal_label, ignoreBounds=True)
        self._components = (0, 1)
        self._theme = Theme.light()
        self._scale = 1.0
        self.plot_item.vb.sigRangeChanged.connect(self._on_range_changed)
        self.set_components((0, 1))

    def set_components(self, components: tuple[int, int]) -> None:
        """Name the axes after the two means shown (0-based components)."""
        self._components = components
        a, b = components[0] + 1, components[1] + 1
        self.plot_item.setLabel("bottom", f"mean {a}")
        self.plot_item.setLabel("left", f"mean {b}")
        self.diagonal_label.setText(f"mean {a} = mean {b}: labels switch")

    def show_range(self, low: float, high: float) -> None:
        """Show both means over ``[low, high]``."""
        self.plot_item.vb.setRange(xRange=(low, high), yRange=(low, high), padding=0.0)

    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The visible ((x0, x1), (y0, y1))."""
        (x0, x1), (y0, y1) = self.plot_item.vb.viewRange()
        return (x0, x1), (y0, y1)

    def _on_range_changed(self, *_: object) -> None:
        (x0, x1), (y0, y1) = self.view_range()
        # Along the diagonal, just inside the top right of what is shown.
        corner = min(x1, y1) - 0.04 * min(x1 - x0, y1 - y0)
        self.diagonal_label.setPos(corner, corner)
        self.range_changed.emit()

    def apply_style(self, theme: Theme, scale: float) -> None:
        """Theme colours and the size factor, as the other plots."""
        self._theme, self._scale = theme, scale
        self.plot_widget.setBackground(qcolor(theme.plot_background))
        style_axes(self.plot_item, theme, scale)
        self.layer.apply_style(theme, scale)
        self.diagonal.setPen(
            pg.mkPen(qcolor(theme.foreground), width=1.5 * scale, style=QtCore.Qt.PenStyle.DashLine)
        )
        font = QtGui.QFont()
        font.setPointSizeF(8.5 * scale)
        self.diagonal_label.setFont(font)
        self.diagonal_label.setColor(qcolor(theme.foreground))
