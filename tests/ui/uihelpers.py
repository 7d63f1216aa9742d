"""Helpers for driving pyqtgraph views with real mouse events (QTest cannot hold a button
down across moves in a QGraphicsView, so events are sent directly)."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

LEFT = QtCore.Qt.MouseButton.LeftButton
RIGHT = QtCore.Qt.MouseButton.RightButton
NO_BUTTON = QtCore.Qt.MouseButton.NoButton
NO_MODIFIER = QtCore.Qt.KeyboardModifier.NoModifier

#: How long a test waits for a signal or a condition before it fails. A guard against a
#: hang, not a speed requirement: the suite must pass on a busy machine, so be generous.
WAIT_TIMEOUT_MS = 60_000


def _send(widget: QtWidgets.QWidget, kind, pos: QtCore.QPointF, button, buttons) -> None:
    if isinstance(widget, QtWidgets.QGraphicsView):
        widget = widget.viewport()
    global_pos = QtCore.QPointF(widget.mapToGlobal(pos.toPoint()))
    event = QtGui.QMouseEvent(kind, pos, global_pos, button, buttons, NO_MODIFIER)
    QtWidgets.QApplication.sendEvent(widget, event)


def mouse_drag(
    widget: QtWidgets.QWidget, start: QtCore.QPointF, end: QtCore.QPointF, steps: int = 5
) -> None:
    """Press at ``start``, move in ``steps`` steps, release at ``end`` (widget coordinates)."""
    kind = QtCore.QEvent.Type
    _send(widget, kind.MouseMove, start, NO_BUTTON, NO_BUTTON)
    _send(widget, kind.MouseButtonPress, start, LEFT, LEFT)
    for fraction in np.linspace(0, 1, steps + 1)[1:]:
        point = start + (end - start) * float(fraction)
        _send(widget, kind.MouseMove, point, NO_BUTTON, LEFT)
    _send(widget, kind.MouseButtonRelease, end, LEFT, NO_BUTTON)


def mouse_click(widget: QtWidgets.QWidget, pos: QtCore.QPointF, button=LEFT) -> None:
    """A click without movement at ``pos`` (widget coordinates)."""
    kind = QtCore.QEvent.Type
    _send(widget, kind.MouseMove, pos, NO_BUTTON, NO_BUTTON)
    _send(widget, kind.MouseButtonPress, pos, button, button)
    _send(widget, kind.MouseButtonRelease, pos, button, NO_BUTTON)


def image_colours(image: QtGui.QImage) -> np.ndarray:
    """Pixels of a QImage as an (H, W, 4) uint8 array (B, G, R, A for ARGB32)."""
    image = image.convertToFormat(QtGui.QImage.Format.Format_ARGB32)
    pointer = image.constBits()
    array = np.frombuffer(pointer, dtype=np.uint8, count=image.sizeInBytes())
    return array.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width()].copy()


def shown_title(window: QtWidgets.QWidget) -> str:
    """The title as the window manager shows it ("[*]" becomes "*" when modified)."""
    return window.windowTitle().replace("[*]", "*" if window.isWindowModified() else "")
