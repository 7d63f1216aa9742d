"""Painting data on a plot: the gestures of data-edit mode, the brush, the spray preview
and the centred hint text.

A :class:`PaintSurface` lies over a plot's data area while data-edit mode is on. It
turns clicks and drags into signals in the plot's data coordinates (add points, move
one, delete one) and draws what a stroke will add before it is committed; the window's
:class:`~gmmviewer.ui.teaching.data_painting.DataPainter` turns the signals into session
edits. The stroke preview is a small item of its own, so spraying over a hundred
thousand points never redraws them per mouse move. Knows nothing of EM or the session;
imports Qt, pyqtgraph and numpy only.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pyqtgraph.functions as fn
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.ui.views.points_item import PointCloudItem
from gmmviewer.ui.views.theme import Theme, qcolor

#: Brush radius in screen pixels at first, and its range.
DEFAULT_RADIUS_PX = 24
RADIUS_RANGE_PX = (4, 200)
#: Points sprayed for each brush radius the stroke travels, at first, and the range.
DEFAULT_DENSITY = 6
DENSITY_RANGE = (1, 50)
#: A spray's standard deviation as a fraction of the brush radius (95% fall inside).
SPRAY_SPREAD = 0.5

LEFT = QtCore.Qt.MouseButton.LeftButton
RIGHT = QtCore.Qt.MouseButton.RightButton
SHIFT = QtCore.Qt.KeyboardModifier.ShiftModifier


def spray_offsets(rng: np.random.Generator, n: int, radius: float) -> np.ndarray:
    """``n`` Gaussian offsets (standard deviation ``SPRAY_SPREAD * radius``) within ``radius``.

    Offsets that would fall outside the brush are drawn again, so every sprayed point lies
    inside the circle the user sees.

    Returns
    -------
    ndarray of shape (n, 2)
    """
    offsets = np.empty((0, 2))
    while len(offsets) < n:
        drawn = rng.normal(scale=SPRAY_SPREAD * radius, size=(2 * (n - len(offsets)) + 4, 2))
        inside = drawn[np.hypot(drawn[:, 0], drawn[:, 1]) <= radius]
        offsets = np.concatenate([offsets, inside])
    return offsets[:n]


def stroke_points(distance: float, radius: float, density: float) -> float:
    """How many points a stroke of ``distance`` pixels sprays (fractional: carried on)."""
    return max(0.0, distance) / max(radius, 1e-9) * density


def placement_hint(n_samples: int, n_components: int) -> str:
    """What a plot says while the components wait for their first K points."""
    if n_samples == 0:
        return (
            f"Click to add points: the first {n_components} place the components\n"
            "(in data-edit mode, key D; drag to spray a cluster)"
        )
    missing = n_components - n_samples
    more = "1 more point" if missing == 1 else f"{missing} more points"
    return f"Add {more}: the first {n_components} place the components"


class PaintSurface(pg.GraphicsObject):
    """The gestures of data-edit mode over a plot's view box (hidden when not editing).

    A click adds one point (never inspects one) and a drag on empty space sprays a
    cluster along the stroke (shown as a preview, reported once on release). A drag
    that starts on a point moves it; a right-click or Shift+click on a point deletes
    it. Other gestures pass through: mean handles and ghosts keep their clicks and
    drags (they lie above, and the brush hides over them), a right-click on empty space
    opens the plot's menu, right-drag and the wheel zoom, middle-drag pans.

    Parameters
    ----------
    plot_item : pg.PlotItem
        The plot; the surface covers its view box.
    points : PointCloudItem
        The data points, for finding the point under the cursor.
    one_dimensional : bool
        A one-column view (the histogram's rug): moves and sprays are along x only.

    Signals
    -------
    points_painted(ndarray, bool)
        Points to add, shape (m, 2) in data coordinates, and whether they were sprayed.
    point_moved(int, float, float, bool)
        Index of the dragged point, its new data coordinates, and whether the drag ended.
    point_deleted(int)
        Index of a point to delete.
    """

    points_painted = QtCore.Signal(object, bool)
    point_moved = QtCore.Signal(int, float, float, bool)
    point_deleted = QtCore.Signal(int)

    def __init__(
        self, plot_item: pg.PlotItem, points: PointCloudItem, one_dimensional: bool = False
    ) -> None:
        super().__init__()
        self._view_box = plot_item.vb
        self._points = points
        self.one_dimensional = one_dimensional
        self.radius = float(DEFAULT_RADIUS_PX)
        self.density = float(DEFAULT_DENSITY)
        self._rng: np.random.Generator | None = None
        self.setParentItem(self._view_box)
        # Above the data, below the mean handles (z 20 inside the view), which keep their drags.
        self.setZValue(10)
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor)
        self._view_box.sigResized.connect(self._on_resized)
        self.circle = QtWidgets.QGraphicsEllipseItem(self)
        self.circle.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self.circle.setVisible(False)
        # The stroke's points in data coordinates: a few hundred at most, in their own item.
        self.preview = pg.ScatterPlotItem(size=7, pxMode=True)
        self.preview.setZValue(18)
        plot_item.addItem(self.preview, ignoreBounds=True)
        self._stroke: list[np.ndarray] = []
        self._last: QtCore.QPointF | None = None
        self._carry = 0.0
        self._moving: int | None = None
        self._moving_y = 0.0
        self.setVisible(False)

    # ------------------------------------------------------------------ state
    @property
    def rng(self) -> np.random.Generator:
        """The spray's random numbers, made at the first stroke: numpy.random takes
        about 10 ms to import, which the first window would otherwise wait for."""
        if self._rng is None:
            self._rng = np.random.default_rng()
        return self._rng

    @rng.setter
    def rng(self, generator: np.random.Generator) -> None:
        self._rng = generator

    def set_active(self, active: bool) -> None:
        """Turn data-edit mode on or off for this plot."""
        if not active:
            self._end_gesture()
        self.setVisible(active)

    @property
    def active(self) -> bool:
        """True in data-edit mode."""
        return self.isVisible()

    def set_brush(self, radius: float, density: float) -> None:
        """Brush radius in screen pixels and points per radius of stroke."""
        self.radius = float(np.clip(radius, *RADIUS_RANGE_PX))
        self.density = float(np.clip(density, *DENSITY_RANGE))
        self._place_circle(self.circle.rect().center() if self.circle.isVisible() else None)

    def stroke(self) -> np.ndarray:
        """The points of the stroke in progress, shape (m, 2) in data coordinates."""
        return np.concatenate(self._stroke) if self._stroke else np.empty((0, 2))

    def apply_style(self, theme: Theme, scale: float, point_size: float) -> None:
        """Ink of the brush circle and the preview for a theme and size factor."""
        ink = qcolor(theme.foreground)
        pen = QtGui.QPen(ink, 1.5 * scale, QtCore.Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.circle.setPen(pen)
        fill = QtGui.QColor(ink)
        fill.setAlpha(40)
        self.circle.setBrush(QtGui.QBrush(fill))
        # Hollow rings: what a stroke will add reads apart from the filled data points.
        self.preview.setPen(pg.mkPen(ink, width=1.5 * scale))
        hollow = qcolor(theme.plot_background)
        hollow.setAlpha(160)
        self.preview.setBrush(pg.mkBrush(hollow))
        self.preview.setSize(point_size + 1.0 * scale)

    # --------------------------------------------------------- QGraphicsItem
    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt override
        return QtCore.QRectF(self._view_box.rect())

    def paint(self, *_: object) -> None:
        pass  # the circle and the preview draw themselves

    def _on_resized(self, *_: object) -> None:
        self.prepareGeometryChange()

    # ------------------------------------------------------------ geometry
    def _data_at(self, pos: QtCore.QPointF) -> tuple[float, float]:
        data = self._view_box.mapToView(pos)
        return float(data.x()), float(data.y())

    def _point_at(self, pos: QtCore.QPointF) -> int | None:
        x, y = self._data_at(pos)
        return self._points.point_at(x, y, self._view_box.viewPixelSize())

    def _place_circle(self, centre: QtCore.QPointF | None) -> None:
        if centre is None:
            self.circle.setVisible(False)
            return
        r = self.radius
        self.circle.setRect(QtCore.QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r))
        self.circle.setVisible(True)

    # --------------------------------------------------------------- events
    def hoverEvent(self, ev: object) -> None:  # noqa: N802 - pyqtgraph's name
        """The brush follows the cursor over empty space; over a point it hides (a drag
        there moves the point), and over a handle (a drag there is the handle's)."""
        if ev.isExit():
            if self._moving is None and not self._stroke:
                self._place_circle(None)
            return
        if ev.buttons():
            return  # a drag places the circle itself
        if not ev.acceptDrags(LEFT):
            # An item above (a mean handle, a ghost) takes a drag from here: no brush.
            self._place_circle(None)
            return
        over_point = self._point_at(ev.pos()) is not None
        self._place_circle(None if over_point else ev.pos())

    def mouseClickEvent(self, ev: object) -> None:  # noqa: N802 - pyqtgraph's name
        """A left click adds a point where it lands, over a point too (in dense data
        nearly every click is); right-click or Shift+click on a point deletes it.

        Every left click is the surface's, so none inspects a point in this mode; a
        right-click on empty space opens the plot's menu. Mean handles and ghosts lie
        above and take their own clicks.
        """
        index = self._point_at(ev.pos())
        if ev.button() == RIGHT:
            if index is not None:
                ev.accept()
                self.point_deleted.emit(int(index))
            return
        if ev.button() != LEFT:
            return
        ev.accept()
        if ev.modifiers() & SHIFT:
            if index is not None:
                self.point_deleted.emit(int(index))
            return
        x, y = self._data_at(ev.pos())
        self.points_painted.emit(np.array([[x, y]]), False)

    def mouseDragEvent(self, ev: object) -> None:  # noqa: N802 - pyqtgraph's name
        if ev.button() != LEFT:
            ev.ignore()  # right-drag zooms, middle-drag pans, as outside edit mode
            return
        ev.accept()
        if ev.isStart():
            self._start(ev.buttonDownPos())
        if self._moving is not None:
            self._move_to(ev.pos(), finished=ev.isFinish())
        else:
            self._spray_to(ev.pos())
            if ev.isFinish():
                self._finish_stroke()
        if ev.isFinish():
            self._end_gesture()
            self._place_circle(None if self._point_at(ev.pos()) is not None else ev.pos())

    def _start(self, pos: QtCore.QPointF) -> None:
        self._end_gesture()
        index = self._point_at(pos)
        if index is not None:
            self._moving = int(index)
            self._moving_y = float(self._points.positions()[index, 1])
            self._place_circle(None)
            return
        self._last = pos
        self._carry = 0.0
        self._spray_around(pos, max(1, round(self.density)))

    def _move_to(self, pos: QtCore.QPointF, finished: bool) -> None:
        assert self._moving is not None
        x, y = self._data_at(pos)
        if self.one_dimensional:
            y = self._moving_y  # the rug's jitter is no coordinate: only x moves
        self.preview.setData([x], [y])
        self.point_moved.emit(self._moving, x, y, finished)

    def _spray_to(self, pos: QtCore.QPointF) -> None:
        """Spray along the segment from the last position to ``pos``."""
        last = self._last if self._last is not None else pos
        distance = math.hypot(pos.x() - last.x(), pos.y() - last.y())
        self._carry += stroke_points(distance, self.radius, self.density)
        count = int(self._carry)
        self._carry -= count
        self._place_circle(pos)
        self._last = pos
        if count == 0:
            return
        # Centres spread evenly along the segment, so a fast stroke is no string of blobs.
        t = (np.arange(count) + self.rng.uniform(size=count)) / count
        cx = last.x() + t * (pos.x() - last.x())
        cy = last.y() + t * (pos.y() - last.y())
        self._add_sprayed(np.column_stack([cx, cy]))

    def _spray_around(self, pos: QtCore.QPointF, count: int) -> None:
        self._place_circle(pos)
        self._add_sprayed(np.tile([pos.x(), pos.y()], (count, 1)))

    def _add_sprayed(self, centres: np.ndarray) -> None:
        """Spray one point around each centre (pixels in the view box) into the preview."""
        offsets = spray_offsets(self.rng, len(centres), self.radius)
        if self.one_dimensional:
            offsets[:, 1] = 0.0
        pixels = centres + offsets
        # Pixels of the view box to data coordinates, for every point in one numpy pass.
        self._view_box.updateMatrix()
        m = fn.invertQTransform(self._view_box.childTransform())
        x = m.m11() * pixels[:, 0] + m.m21() * pixels[:, 1] + m.dx()
        y = m.m12() * pixels[:, 0] + m.m22() * pixels[:, 1] + m.dy()
        self._stroke.append(np.column_stack([x, y]))
        stroke = self.stroke()
        self.preview.setData(stroke[:, 0], stroke[:, 1])

    def _finish_stroke(self) -> None:
        stroke = self.stroke()
        self._stroke = []
        if len(stroke):
            self.points_painted.emit(stroke, True)

    def _end_gesture(self) -> None:
        """Forget a stroke or move in progress and clear the preview."""
        self._stroke = []
        self._last = None
        self._moving = None
        self.preview.setData([], [])


class PlotHint(QtWidgets.QGraphicsRectItem):
    """A short text centred over a plot's data area ("Click to add points..."), or none.

    Parameters
    ----------
    view_box : pg.ViewBox
        The data area it is centred in.
    """

    #: Padding around the text, in pixels at scale 1.
    PADDING = 10

    def __init__(self, view_box: pg.ViewBox) -> None:
        super().__init__()
        self._view_box = view_box
        self.setParentItem(view_box)
        self.setZValue(1000)
        self.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
        self.text = QtWidgets.QGraphicsSimpleTextItem(self)
        self._scale = 1.0
        self.setVisible(False)
        view_box.sigResized.connect(self._centre)

    def show_text(self, text: str | None) -> None:
        """Show ``text`` (None or '' hides the hint)."""
        if text:
            self.text.setText(text)
            self._centre()
        self.setVisible(bool(text))

    def apply_style(self, theme: Theme, scale: float) -> None:
        """Ink, box and font size for a theme and size factor."""
        self._scale = scale
        self.text.setBrush(QtGui.QBrush(qcolor(theme.foreground)))
        font = QtGui.QFont()
        font.setPointSizeF(12.0 * scale)
        self.text.setFont(font)
        background = qcolor(theme.legend_background)
        self.setBrush(QtGui.QBrush(background))
        self.setPen(QtGui.QPen(qcolor(theme.axis), 1))
        self._centre()

    def _centre(self, *_: object) -> None:
        text = self.text.boundingRect()
        pad = self.PADDING * self._scale
        area = self._view_box.rect()
        box = QtCore.QRectF(0, 0, text.width() + 2 * pad, text.height() + 2 * pad)
        box.moveCenter(area.center())
        self.setRect(box)
        self.text.setPos(box.left() + pad, box.top() + pad)
