"""A wait cursor for the few hundred milliseconds a large sample or file takes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6 import QtCore, QtGui


@contextmanager
def busy_cursor() -> Iterator[None]:
    """Show the wait cursor until the block ends, even when it raises."""
    QtGui.QGuiApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QtGui.QGuiApplication.restoreOverrideCursor()
