"""Ghost means for "Predict the step": hollow, dashed, draggable guesses over the scatter.

A view layer on a :class:`~gmmviewer.ui.views.scatter_view.ScatterView`'s plot: one
ghost handle and one dashed 1-standard-deviation ghost ellipse per component. A student
drags a ghost to where they expect the M-step to move that component's mean, and turns
the mouse wheel over it to widen or narrow its ellipse. After the step is revealed, a
line joins each ghost to the component's actual new mean, labelled with the distance.
It computes no EM and never talks to the session.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from gmmviewer.ui.views.geometry import ellipse_points
from gmmviewer.ui.views.scatter_view import MeanHandle, ScatterView
from gmmviewer.ui.views.theme import Theme, qcolor

#: A wheel notch widens (or narrows) a ghost ellipse by this factor.
WHEEL_FACTOR = 1.1
#: How far a ghost ellipse may be widened or narrowed, as a factor of its start.
SIZE_RANGE = (0.1, 10.0)
#: Above the mean handles (20), so a ghost lying on its mean is what a press grabs.
GHOST_Z = 25


class GhostHandle(MeanHandle):
    """A hollow, dashed mean handle whose mouse wheel resizes its ellipse.

    Signals
    -------
    sigWheel(object, float)
        The handle and the wheel's turn in notches (positive: away from the user).
    """

    sigWheel = QtCore.Signal(object, float)

    #: Pen of the cross that marks the guessed position exactly.
    cross_pen: QtGui.QPen | None = None
    #: A wider solid ring under the dashed one, in the plot's background colour, so that
    #: the ghost reads over membership lines of its own colour converging on the mean.
    halo_pen: QtGui.QPen | None = None

    def paint(self, p: QtGui.QPainter, *args: object) -> None:
        if self.halo_pen is not None:
            p.setPen(self.halo_pen)
            p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
            p.drawPath(self.symbol_shape())
        super().paint(p, *args)
        if self.cross_pen is None:
            return
        # A ring larger than the mean's disc, with a cross at its centre: the guess reads
        # as a ghost even while it still lies on the mean it started from.
        # The symbol is built in device pixels and mapped to data units: so is the cross.
        box = self.symbol_shape().boundingRect()
        centre, dx, dy = box.center(), 0.22 * box.width(), 0.22 * box.height()
        p.setPen(self.cross_pen)
        p.drawLine(centre - QtCore.QPointF(dx, 0.0), centre + QtCore.QPointF(dx, 0.0))
        p.drawLine(centre - QtCore.QPointF(0.0, dy), centre + QtCore.QPointF(0.0, dy))

    def wheelEvent(self, ev: QtGui.QGraphicsSceneWheelEvent) -> None:  # noqa: N802 - Qt override
        if not self.movable:
            ev.ignore()  # revealed: the wheel zooms the plot again
            return
        ev.accept()  # the plot does not zoom while a ghost is being resized
        self.sigWheel.emit(self, ev.delta() / 120.0)


class GhostLayer(QtCore.QObject):
    """Ghost means and ellipses on a scatter plot, and the revealed distances.

    Parameters
    ----------
    view : ScatterView

    Signals
    -------
    changed(int)
        A ghost was moved or resized (its component).
    """

    changed = QtCore.Signal(int)

    def __init__(self, view: ScatterView, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.handles: list[GhostHandle] = []
        self.ellipses: list[pg.PlotCurveItem] = []
        self.lines: list[pg.PlotCurveItem] = []
        self.labels: list[pg.TextItem] = []
        self._covariances = np.zeros((0, 2, 2))
        self._factors = np.ones(0)
        self._colours = np.zeros((0, 3), np.uint8)
        self._theme = Theme.light()
        self._scale = 1.0

    # ------------------------------------------------------------------ reading
    @property
    def shown(self) -> bool:
        """True while ghosts are on the plot."""
        return bool(self.handles)

    @property
    def movable(self) -> bool:
        """True while the ghosts can be dragged (before the step is revealed)."""
        return bool(self.handles) and self.handles[0].movable

    def ghost_means(self) -> np.ndarray:
        """Where the ghosts are, shape (K, 2), in the plot's data coordinates."""
        return np.array([[h.pos().x(), h.pos().y()] for h in self.handles]).reshape(-1, 2)

    def size_factors(self) -> np.ndarray:
        """How much each ghost ellipse was widened, shape (K,): 1 where untouched."""
        return self._factors.copy()

    def ghost_covariances(self) -> np.ndarray:
        """The ghost ellipses' covariances, shape (K, 2, 2): the start scaled by factor**2."""
        return self._covariances * (self._factors**2)[:, None, None]

    # ----------------------------------------------------------------- drawing
    def show_ghosts(self, means: np.ndarray, covariances: np.ndarray, colours: np.ndarray) -> None:
        """Draggable ghosts at ``means`` (K, 2) with ellipses of ``covariances`` (K, 2, 2)."""
        self.clear()
        self._covariances = np.array(covariances, dtype=float)
        self._factors = np.ones(len(means))
        self._colours = np.asarray(colours)
        plot = self.view.plot_item
        for index, mean in enumerate(np.asarray(means, dtype=float)):
            ellipse = pg.PlotCurveItem(antialias=True)
            ellipse.setZValue(GHOST_Z - 1)
            plot.addItem(ellipse, ignoreBounds=True)
            handle = GhostHandle(index, size=16, symbol="o")
            handle.setZValue(GHOST_Z)
            handle.setToolTip(
                "Your guess: drag it to where the M-step will move this mean; turn the "
                "mouse wheel over it to widen or narrow the ellipse"
            )
            handle.setPos(float(mean[0]), float(mean[1]))
            handle.sigPositionChanged.connect(self._on_moved)
            handle.sigWheel.connect(self._on_wheel)
            plot.addItem(handle, ignoreBounds=True)
            self.handles.append(handle)
            self.ellipses.append(ellipse)
            self._draw_ellipse(index)
        self._restyle()

    def show_result(self, actual_means: np.ndarray, texts: list[str]) -> None:
        """Freeze the ghosts and join each to its actual new mean (K, 2), labelled ``texts``."""
        plot = self.view.plot_item
        self._clear_result()
        for handle, actual, text in zip(self.handles, actual_means, texts, strict=True):
            handle.movable = False
            start = handle.pos()
            line = pg.PlotCurveItem(
                [start.x(), float(actual[0])], [start.y(), float(actual[1])], antialias=True
            )
            line.setZValue(GHOST_Z - 2)
            plot.addItem(line, ignoreBounds=True)
            label = pg.TextItem(text, anchor=(0.5, 1.1))
            label.setZValue(GHOST_Z + 1)
            label.setPos((start.x() + float(actual[0])) / 2, (start.y() + float(actual[1])) / 2)
            plot.addItem(label, ignoreBounds=True)
            self.lines.append(line)
            self.labels.append(label)
        self._restyle()

    def clear(self) -> None:
        """Remove the ghosts and anything revealed."""
        self._clear_result()
        plot = self.view.plot_item
        for handle in self.handles:
            handle.sigPositionChanged.disconnect(self._on_moved)
            handle.sigWheel.disconnect(self._on_wheel)
            plot.removeItem(handle)
        for ellipse in self.ellipses:
            plot.removeItem(ellipse)
        self.handles, self.ellipses = [], []
        self._factors = np.ones(0)

    def _clear_result(self) -> None:
        plot = self.view.plot_item
        for item in (*self.lines, *self.labels):
            plot.removeItem(item)
        self.lines, self.labels = [], []

    def apply_style(self, theme: Theme, scale: float) -> None:
        """Restyle for a theme and size factor."""
        self._theme, self._scale = theme, scale
        self._restyle()

    def _restyle(self) -> None:
        scale, theme = self._scale, self._theme
        dash = QtCore.Qt.PenStyle.DashLine
        for index, handle in enumerate(self.handles):
            colour = QtGui.QColor(*map(int, self._colours[index]))
            fill = QtGui.QColor(colour)
            fill.setAlpha(45)
            handle.setPen(pg.mkPen(colour, width=3 * scale, style=dash))
            handle.cross_pen = pg.mkPen(colour, width=2 * scale)
            handle.halo_pen = pg.mkPen(qcolor(theme.plot_background), width=6 * scale)
            handle.setBrush(pg.mkBrush(fill))
            handle.setHoverPen(pg.mkPen(qcolor(theme.foreground), width=3 * scale, style=dash))
            handle.setHoverBrush(pg.mkBrush(fill.lighter(130)))
            handle.scale = 28 * scale
            handle._shape = None
            handle.update()
            self.ellipses[index].setPen(
                pg.mkPen(colour, width=2.2 * scale, style=QtCore.Qt.PenStyle.DotLine)
            )
            if index < len(self.lines):
                self.lines[index].setPen(pg.mkPen(colour, width=2.5 * scale))
                label = self.labels[index]
                label.setColor(qcolor(theme.foreground))
                label.fill = pg.mkBrush(qcolor(theme.legend_background))
                font = QtGui.QFont()
                font.setPointSizeF(9.5 * scale)
                font.setBold(True)
                label.setFont(font)

    # ------------------------------------------------------------------ events
    def _draw_ellipse(self, index: int) -> None:
        position = self.handles[index].pos()
        mean = np.array([position.x(), position.y()])
        covariance = self._covariances[index] * self._factors[index] ** 2
        outline = ellipse_points(mean, covariance, 1.0)
        self.ellipses[index].setData(outline[:, 0], outline[:, 1])

    def _on_moved(self, handle: GhostHandle) -> None:
        self._draw_ellipse(handle.component)
        self.changed.emit(handle.component)

    def _on_wheel(self, handle: GhostHandle, notches: float) -> None:
        index = handle.component
        factor = self._factors[index] * WHEEL_FACTOR**notches
        self._factors[index] = min(max(factor, SIZE_RANGE[0]), SIZE_RANGE[1])
        self._draw_ellipse(index)
        self.changed.emit(index)
