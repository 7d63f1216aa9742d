"""A line with a symbol at every point, for data that usually grow at the end.

During a Run the NLL view gains one point per half-step. pyqtgraph's ``PlotDataItem``
rebuilds every symbol on each ``setData`` (a Python pass over all the points, plus the
sprites), so a long run costs more per half-step the longer it gets.
:class:`GrowingCurve` compares the new data with what it shows and, when they only add
points at the end, appends the new symbols; anything else is drawn afresh. Knows nothing
of EM; imports Qt, pyqtgraph and numpy only.
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
