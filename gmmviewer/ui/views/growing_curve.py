"""A line with a symbol at every point, for data that usually grow at the end.

During a Run the NLL view gains one point per half-step. pyqtgraph's ``PlotDataItem``
rebuilds every symbol on each ``setData`` (a Python pass over all the points, plus the
sprites), so a long run costs more per half-step the longer it gets.
:class:`GrowingCurve` compares the new data with what it shows and, when they only add
points at the end, appends the new symbols; anything else is drawn afresh.

Where the data changed along the history (a point painted, moved or deleted), values
before and after are not comparable: :func:`with_gaps` breaks the line there and
:class:`CurveBreaks` marks each break. Knows nothing of EM; imports Qt, pyqtgraph and
numpy only.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets


class GrowingCurve(pg.GraphicsObject):
    """A polyline through ``(x, y)`` with an optional symbol on every point.

    The line and the symbols are child items (a ``PlotCurveItem`` and a
    ``ScatterPlotItem``), as in ``PlotDataItem``; points with a non-finite coordinate
    break the line and draw no symbol.

    Parameters
    ----------
    symbol : str or None
        A pyqtgraph symbol name ("o", "t1", ...) or None for a bare line.
    symbol_size : float
        Symbol diameter in pixels.

    Signals
    -------
    sigPointsClicked(GrowingCurve, list, object)
        Symbols clicked, as ``PlotDataItem.sigPointsClicked`` reports them.
    """

    sigPointsClicked = QtCore.Signal(object, object, object)  # noqa: N815 - pyqtgraph's name

    def __init__(self, symbol: str | None = None, symbol_size: float = 7.0) -> None:
        super().__init__()
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.curve = pg.PlotCurveItem(connect="finite")
        self.curve.setParentItem(self)
        self.scatter: pg.ScatterPlotItem | None = None
        if symbol is not None:
            self.scatter = pg.ScatterPlotItem(symbol=symbol, size=symbol_size)
            self.scatter.setParentItem(self)
            self.scatter.sigClicked.connect(self._on_scatter_clicked)
        self._x = np.empty(0)
        self._y = np.empty(0)

    # --------------------------------------------------------------------------- data
    def setData(self, x: np.ndarray, y: np.ndarray) -> None:  # noqa: N802 - pyqtgraph's name
        """Show the points ``(x[i], y[i])``; shape (n,) each.

        When the first points are the ones already shown, only the new ones get symbols.
        """
        x = np.array(x, dtype=float)
        y = np.array(y, dtype=float)
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError(f"x and y must have one shape (n,), not {x.shape} and {y.shape}")
        shown = len(self._x)
        grows = (
            shown <= len(x)
            and np.array_equal(x[:shown], self._x, equal_nan=True)
            and np.array_equal(y[:shown], self._y, equal_nan=True)
        )
        if grows and shown == len(x):
            return
        # The line's path is one numpy pass over the arrays: cheap at any length.
        self.curve.setData(x, y)
        if self.scatter is not None:
            if grows and shown:
                self.scatter.addPoints(x=x[shown:], y=y[shown:])
            else:
                self.scatter.setData(x=x, y=y)
        self._x, self._y = x, y

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 - pyqtgraph's name
        """The points shown, as ``(x, y)`` arrays."""
        return self._x.copy(), self._y.copy()

    # -------------------------------------------------------------------------- style
    def setPen(self, pen: QtGui.QPen) -> None:  # noqa: N802 - pyqtgraph's name
        """The line's pen."""
        self.curve.setPen(pen)

    def setSymbolPen(self, pen: QtGui.QPen) -> None:  # noqa: N802 - pyqtgraph's name
        """The symbols' outline."""
        if self.scatter is not None:
            self.scatter.setPen(pen)

    def setSymbolBrush(self, brush: QtGui.QBrush) -> None:  # noqa: N802 - pyqtgraph's name
        """The symbols' fill."""
        if self.scatter is not None:
            self.scatter.setBrush(brush)

    def setSymbolSize(self, size: float) -> None:  # noqa: N802 - pyqtgraph's name
        """The symbols' diameter in pixels."""
        if self.scatter is not None:
            self.scatter.setSize(size)

    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt override
        """A tool tip on the line and the symbols (this item itself has no area)."""
        super().setToolTip(text)
        for child in (self.curve, self.scatter):
            if child is not None:
                child.setToolTip(text)

    # -------------------------------------------------------------------- pyqtgraph API
    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt override
        return QtCore.QRectF()  # the children have their own

    def paint(self, *_: object) -> None:
        pass

    def dataBounds(  # noqa: N802 - pyqtgraph's name
        self,
        ax: int,
        frac: float = 1.0,
        orthoRange: tuple[float, float] | None = None,  # noqa: N803
    ) -> tuple[float, float] | tuple[None, None]:
        """Range of the points along axis ``ax``, for a ViewBox's auto-range."""
        return self.curve.dataBounds(ax, frac, orthoRange)

    def _on_scatter_clicked(
        self, _scatter: pg.ScatterPlotItem, points: list, event: object
    ) -> None:
        self.sigPointsClicked.emit(self, points, event)


#: What a break's label and tool tip say.
BREAK_LABEL = "data changed"
BREAK_TOOLTIP = (
    "The data changed here (points painted, moved or deleted): the values on either\n"
    "side are likelihoods of different data sets and are not comparable."
)


def _segment_starts(segment: np.ndarray | None, n: int) -> np.ndarray:
    """Indices where a new stretch of unchanged data begins (not the first)."""
    if segment is None or n < 2:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(np.diff(np.asarray(segment)[:n]) != 0) + 1


def with_gaps(
    x: np.ndarray, y: np.ndarray, segment: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` with a NaN point wherever ``segment`` changes, so the line breaks there.

    Parameters
    ----------
    x, y : ndarray of shape (n,)
    segment : ndarray of shape (n,), int, or None
        Which stretch of unchanged data each point belongs to; None: one stretch.

    Returns
    -------
    x, y : ndarray of shape (n + number of changes,)
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    starts = _segment_starts(segment, len(x))
    if not len(starts):
        return x, y
    return np.insert(x, starts, np.nan), np.insert(y, starts, np.nan)


def break_positions(x: np.ndarray, segment: np.ndarray | None) -> np.ndarray:
    """The distinct x where a new stretch of data begins (a break of the curve), sorted."""
    starts = _segment_starts(segment, len(x))
    if not len(starts):
        # No break, as on every curve at first: np.unique's first call imports numpy.ma
        # (about 10 ms), which the window's first paint need not wait for.
        return np.zeros(0)
    return np.unique(np.asarray(x, dtype=float)[starts])


class CurveBreaks:
    """Thin dashed vertical lines labelled "data changed" at the breaks of a curve.

    Parameters
    ----------
    plot_item : pg.PlotItem
        Where the lines are drawn (their labels sit near the top of the view).
    """

    def __init__(self, plot_item: pg.PlotItem) -> None:
        self._plot_item = plot_item
        self.lines: list[pg.InfiniteLine] = []
        self._ink = QtGui.QColor("#888888")
        self._pen = pg.mkPen(self._ink, width=1, style=QtCore.Qt.PenStyle.DashLine)
        self._font = QtGui.QFont()

    def show(self, positions: np.ndarray) -> None:
        """One line at each x of ``positions`` (shape (m,)); none for an empty array."""
        wanted = [float(value) for value in positions]
        if wanted == self.positions():
            return
        while len(self.lines) > len(wanted):
            self._plot_item.removeItem(self.lines.pop())
        while len(self.lines) < len(wanted):
            line = pg.InfiniteLine(
                angle=90,
                movable=False,
                label=BREAK_LABEL,
                # Written along the line, so no edge of the plot cuts it off.
                labelOpts={"position": 0.5, "rotateAxis": (1, 0), "anchors": [(0.5, 0), (0.5, 0)]},
            )
            line.setZValue(-2)
            line.setToolTip(BREAK_TOOLTIP)
            line.label.setToolTip(BREAK_TOOLTIP)
            self._style_line(line)
            # ignoreBounds: the lines follow the curve's range, they never widen it.
            self._plot_item.addItem(line, ignoreBounds=True)
            self.lines.append(line)
        for line, value in zip(self.lines, wanted, strict=True):
            line.setValue(value)

    def positions(self) -> list[float]:
        """The x of each line shown."""
        return [float(line.value()) for line in self.lines]

    def apply_style(self, ink: QtGui.QColor, scale: float) -> None:
        """Dashed lines and labels in ``ink``, sized for the size factor."""
        self._ink = QtGui.QColor(ink)
        self._pen = pg.mkPen(self._ink, width=1.2 * scale, style=QtCore.Qt.PenStyle.DashLine)
        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.0 * scale)
        for line in self.lines:
            self._style_line(line)

    def _style_line(self, line: pg.InfiniteLine) -> None:
        line.setPen(self._pen)
        line.label.setColor(self._ink)
        line.label.setFont(self._font)


class SegmentFill(QtWidgets.QGraphicsPathItem):
    """The area between two curves, one closed polygon per stretch of unchanged data.

    pyqtgraph's ``FillBetweenItem`` pairs the two curves' sub-paths in opposite orders,
    so once a curve breaks (a data edit) it shades between unrelated stretches; this item
    builds each stretch's polygon itself. Points where either edge is not finite are left
    out. Coordinates are the plot's data coordinates.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))

    def set_edges(
        self, x: np.ndarray, upper: np.ndarray, lower: np.ndarray, segment: np.ndarray | None
    ) -> None:
        """Shade between ``upper`` and ``lower`` (each of shape (n,)) over ``x``.

        Parameters
        ----------
        x, upper, lower : ndarray of shape (n,)
        segment : ndarray of shape (n,), int, or None
            Which stretch of unchanged data each point belongs to; None: one stretch.
        """
        x, upper, lower = (np.asarray(a, dtype=float) for a in (x, upper, lower))
        finite = np.isfinite(x) & np.isfinite(upper) & np.isfinite(lower)
        segment = np.zeros(len(x), int) if segment is None else np.asarray(segment)
        path = QtGui.QPainterPath()
        for number in np.unique(segment[finite]):
            keep = finite & (segment == number)
            if np.count_nonzero(keep) < 2:
                continue
            xs = x[keep]
            polygon = QtGui.QPolygonF(
                [QtCore.QPointF(a, b) for a, b in zip(xs, upper[keep], strict=True)]
                + [QtCore.QPointF(a, b) for a, b in zip(xs[::-1], lower[keep][::-1], strict=True)]
            )
            path.addPolygon(polygon)
            path.closeSubpath()
        self.setPath(path)
