"""The plot-view interface the controller draws into, and what the scatter and histogram
views share: a pyqtgraph plot with a point layer and a legend, the same signals, click
handling, coordinate mapping and styling.

A view draws what the controller pushes and reports what the user does; it computes no
EM. :class:`PlotView` declares every method the controller and the presenter
(:mod:`gmmviewer.ui.views.present`) call; both views implement all of them.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.ui.overlays.brush import PaintSurface, PlotHint
from gmmviewer.ui.views.axes import CachedAxis
from gmmviewer.ui.views.points_item import PointCloudItem
from gmmviewer.ui.views.theme import Theme, qcolor

#: A component with less (expected) weight than this is "switched off" and drawn faint.
IN_USE_WEIGHT = 0.01
#: Opacity of a switched-off component's outline, and the fewest fade steps drawn.
OFF_ALPHA = 0.3
FADE_STEPS = 8


def fade_level(weight: float, n_components: int) -> float | None:
    """How strongly to draw a component of ``weight``: None when switched off, else 0.4-1.

    A component with at least its fair share (1 / K) is drawn fully; below, its opacity
    falls with its weight. Levels come in :data:`FADE_STEPS` steps, so an M-step that
    barely changes a weight does not restyle its ellipse.
    """
    if weight < IN_USE_WEIGHT:
        return None
    share = min(1.0, weight * n_components)
    return round((0.4 + 0.6 * share) * FADE_STEPS) / FADE_STEPS


def legend_text(index: int, weight: float, fade: bool) -> str:
    """A component's legend entry: its number and weight, and whether it is switched off."""
    if fade and weight < IN_USE_WEIGHT:
        # No longer than an entry in use: the legend's box keeps its width.
        return f"{index + 1}: off ({weight:.3f})"
    return f"{index + 1}: weight {weight:.3f}"


def style_axes(plot_item: pg.PlotItem, theme: Theme, scale: float) -> None:
    """Axis lines, tick labels and axis titles in the theme's colours, scaled fonts."""
    font = QtGui.QFont()
    font.setPointSizeF(9.0 * scale)
    for name in ("bottom", "left"):
        axis = plot_item.getAxis(name)
        axis.setPen(pg.mkPen(qcolor(theme.axis)))
        axis.setTextPen(pg.mkPen(qcolor(theme.foreground)))
        axis.setStyle(tickFont=font)
        axis.label.setFont(font)


class PlotView(QtWidgets.QWidget):
    """A plot of data points with a legend; subclasses draw the components.

    The methods that raise :class:`NotImplementedError` here are the interface each
    view implements (``tests/ui/test_views.py`` checks both do).

    Signals
    -------
    mean_dragged(int, float, float, bool)
        Component, new coordinates (NaN where the view has no y), and whether the drag
        has finished.
    point_clicked(int)
        Index of a clicked data point (-1 for a click on empty space).
    context_requested(float, float, int, QPoint)
        A right-click at data (x, y), on component k (-1 for none), at a screen position.
    """

    mean_dragged = QtCore.Signal(int, float, float, bool)
    point_clicked = QtCore.Signal(int)
    context_requested = QtCore.Signal(float, float, int, QtCore.QPoint)

    #: Point diameter in pixels at scale 1.
    POINT_SIZE = 7.0
    #: Legend entries a column holds before the legend adds another.
    LEGEND_ROWS = 10
    #: True for a view of one column (its points' y is no coordinate).
    ONE_DIMENSIONAL = False

    def __init__(self, name: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        # Axes that repaint from a pixmap: with the grid they lie under every item, so
        # pyqtgraph's own would replay their text whenever an ellipse moves.
        # No pyqtgraph context menus (switched off below; ours open instead): not made.
        self.plot_widget = pg.PlotWidget(
            axisItems={side: CachedAxis(side) for side in ("left", "bottom", "top", "right")},
            enableMenu=False,
        )
        self.plot_widget.setObjectName(name)
        self.plot_item = self.plot_widget.getPlotItem()
        # Ours too (CachedAxis skips their hidden titles), but axes given are shown.
        self.plot_item.hideAxis("top")
        self.plot_item.hideAxis("right")
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        self.plot_item.setMenuEnabled(False)
        self.plot_item.vb.setMenuEnabled(False)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget)
        self.points = PointCloudItem()
        self.plot_item.addItem(self.points)
        self.legend = pg.LegendItem(offset=(10, 10), labelTextSize="10pt")
        self.legend.setParentItem(self.plot_item.vb)
        # What the legend's entries show, so an M-step only rewrites their text.
        self._legend_key: tuple | None = None
        self._theme = Theme.light()
        self._scale = 1.0
        #: The colour bar of point colours (uncertainty), made when first shown.
        self.colour_bar: pg.ColorBarItem | None = None
        #: Data-edit mode's gestures (hidden until the mode is on) and the centred hint.
        self.paint_surface = PaintSurface(self.plot_item, self.points, self.ONE_DIMENSIONAL)
        self.hint = PlotHint(self.plot_item.vb)
        self.plot_item.scene().sigMouseClicked.connect(self._on_scene_clicked)

    # ------------------------------------------------------------- interface
    def set_data(self, values: np.ndarray, labels: tuple[str, ...], fit: bool = True) -> None:
        """Show new data, shape (N, d) for the view's d columns, with their names; ``fit``
        zooms to them (an edit of the data keeps the user's view)."""
        raise NotImplementedError

    def fit_view(self) -> None:
        """Zoom to the data and what is drawn over it."""
        raise NotImplementedError

    def show_components(
        self,
        means: np.ndarray,
        covariances: np.ndarray,
        colours: np.ndarray,
        weights: np.ndarray,
        fade: bool = False,
    ) -> None:
        """Draw components: means (K, d), covariances (K, d, d), colours (K, 3), weights (K,).

        With ``fade`` (variational fits) each component is drawn as strongly as its
        expected weight (see :func:`fade_level`), and one below :data:`IN_USE_WEIGHT` as a
        faint outline that the legend calls switched off.
        """
        raise NotImplementedError

    def show_truth(
        self,
        means: np.ndarray | None,
        covariances: np.ndarray | None,
        weights: np.ndarray | None = None,
    ) -> None:
        """Draw the true components of generated data dashed, or none."""
        raise NotImplementedError

    def show_density(
        self,
        xs: np.ndarray | None,
        ys: np.ndarray | None,
        density: np.ndarray | None,
        levels: np.ndarray | None = None,
    ) -> None:
        """Draw the mixture density on a grid (contours in 2-D, a curve in 1-D), or none."""
        raise NotImplementedError

    def show_kmeans(self, centres: np.ndarray | None, colours: np.ndarray | None = None) -> None:
        """Draw k-means centres (K, d) and their regions in colours (K, 3), or none."""
        raise NotImplementedError

    def set_equal_aspect(self, equal: bool) -> None:
        """Equal axis scales (a no-op where the axes measure different things)."""

    def ranges_comparable(self) -> bool:
        """True when equal axis scales suit the data."""
        return False

    # ------------------------------------------------------------------ legend
    def show_legend(
        self, entries: list[tuple[pg.GraphicsObject, str]], colours: np.ndarray
    ) -> None:
        """One legend entry per ``(item, text)``, the item's line drawn beside the text.

        Rebuilding a legend (a label, a sample and a relayout per entry) costs more than
        the rest of an M-step's drawing, so it is rebuilt only when the items or the
        components' ``colours`` (K, 3) change; otherwise only the texts that changed are
        set. The legend takes a column per :attr:`LEGEND_ROWS` components.
        """
        colours = np.asarray(colours)
        key = (tuple(item for item, _ in entries), colours.tobytes())
        legend = self.legend
        if key == self._legend_key and len(legend.items) == len(entries):
            changed = False
            for (_, label), (_, text) in zip(legend.items, entries, strict=True):
                if label.text != text:
                    label.setText(text)
                    changed = True
            if changed:
                legend.updateSize()  # a wider text widens the box
            return
        self._legend_key = key
        legend.clear()
        legend.setVisible(bool(entries))  # an empty legend would be a stray little box
        # A long legend in columns, so twenty components still fit the plot's height.
        legend.setColumnCount(1 + (max(len(colours), 1) - 1) // self.LEGEND_ROWS)
        for item, text in entries:
            legend.addItem(item, text)

    # ------------------------------------------------------------------ points
    def show_colours(self, rgb: np.ndarray | None) -> None:
        """Colour the points, shape (N, 3) uint8; None for the neutral grey."""
        self.points.set_colours(rgb)

    def highlight_point(self, index: int | None) -> None:
        """Ring one point (the one the inspector shows), or none."""
        self.points.set_highlight(index)

    def show_colour_bar(self, table: np.ndarray | None, top: float = 1.0, label: str = "") -> None:
        """A non-interactive colour bar beside the plot for point colours from ``table``
        (shape (n, 3), uint8, from 0 to ``top``), labelled ``label``; None removes it."""
        bar = self.colour_bar
        if table is None:
            if bar is not None and bar.scene() is not None:
                self.plot_item.layout.removeItem(bar)
                self.plot_item.scene().removeItem(bar)
            return
        if bar is None:
            bar = self.colour_bar = pg.ColorBarItem(
                interactive=False, colorMapMenu=False, width=14 * self._scale
            )
            self._style_colour_bar()
        if bar.scene() is None:
            self.plot_item.layout.addItem(bar, 2, 5)  # right of the plot, as insert_in does
        positions = np.linspace(0.0, 1.0, len(table))
        bar.setColorMap(pg.ColorMap(positions, np.asarray(table, dtype=np.uint8)))
        bar.setLevels((0.0, float(top)))
        if bar.getAxis("left").labelText != label:
            bar.getAxis("left").setLabel(label)

    def _style_colour_bar(self) -> None:
        bar = self.colour_bar
        if bar is None:
            return
        style_axes(bar, self._theme, self._scale)
        for name in ("top", "right"):
            bar.getAxis(name).setPen(pg.mkPen(qcolor(self._theme.axis)))
        bar.getAxis("right").setTextPen(pg.mkPen(qcolor(self._theme.foreground)))

    # ------------------------------------------------------------------- style
    @property
    def theme(self) -> Theme:
        """The theme the view is drawn in."""
        return self._theme

    def apply_style(self, theme: Theme, scale: float) -> None:
        """Restyle for a theme and a size factor (projector mode scales points and lines)."""
        self._theme = theme
        self._scale = scale
        self.plot_widget.setBackground(qcolor(theme.plot_background))
        style_axes(self.plot_item, theme, scale)
        self.points.set_point_size(self.POINT_SIZE * scale)
        self.points.set_outline(qcolor(theme.point_outline))
        self.legend.setBrush(pg.mkBrush(qcolor(theme.legend_background)))
        self.legend.setPen(pg.mkPen(qcolor(theme.axis)))
        self.legend.setLabelTextColor(qcolor(theme.foreground))
        self.legend.setLabelTextSize(f"{10 * scale:.0f}pt")
        # A LabelItem renders its new colour and size only when its text is set: without
        # this, entries whose text the next M-step leaves alone would stay blank.
        for _, label in self.legend.items:
            label.setText(label.text)
        self.legend.updateSize()
        self.paint_surface.apply_style(theme, scale, self.POINT_SIZE * scale)
        self.hint.apply_style(theme, scale)
        self._style_colour_bar()

    # ------------------------------------------------------------- coordinates
    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The visible data range, ((x0, x1), (y0, y1))."""
        (x0, x1), (y0, y1) = self.plot_item.vb.viewRange()
        return (x0, x1), (y0, y1)

    def pixel_to_data(self, pixel: QtCore.QPointF) -> QtCore.QPointF:
        """Map a position in the plot widget's coordinates to data coordinates."""
        scene_pos = self.plot_widget.mapToScene(pixel.toPoint())
        return self.plot_item.vb.mapSceneToView(scene_pos)

    def data_to_pixel(self, x: float, y: float) -> QtCore.QPoint:
        """Map data coordinates to a position in the plot widget (for tests and tooltips)."""
        scene_pos = self.plot_item.vb.mapViewToScene(QtCore.QPointF(x, y))
        return self.plot_widget.mapFromScene(scene_pos)

    # ------------------------------------------------------------------ events
    def _on_scene_clicked(self, event: object) -> None:
        view_box = self.plot_item.vb
        scene_pos = event.scenePos()
        if not view_box.sceneBoundingRect().contains(scene_pos):
            return
        if event.isAccepted() and event.currentItem is self.paint_surface:
            return  # a data edit (added or deleted a point), not a click to inspect
        if self.paint_surface.active and event.button() == QtCore.Qt.MouseButton.LeftButton:
            return  # in data-edit mode a click never inspects (nor picks a point to guess)
        data_pos = view_box.mapSceneToView(scene_pos)
        if event.button() == QtCore.Qt.MouseButton.RightButton:
            if event.isAccepted():
                return  # a mean handle took it
            event.accept()
            self.context_requested.emit(data_pos.x(), data_pos.y(), -1, event.screenPos().toPoint())
            return
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        index = self.points.point_at(data_pos.x(), data_pos.y(), view_box.viewPixelSize())
        self.point_clicked.emit(-1 if index is None else int(index))
