"""How the window tells the user things: a one-line message box for errors, the status
bar for news. Collaborators (file operations, teaching tools) get a :class:`Reporter`,
never the window.
"""

from __future__ import annotations

from typing import Protocol

from PySide6 import QtCore, QtWidgets

from gmmviewer.ui.views.status_view import StatusView


class Reporter(Protocol):
    """Errors and status messages, as the window shows them."""

    def error(self, message: str) -> None:
        """A one-line error (a message box); what was on screen stays."""

    def status(self, message: str, msecs: int = 5000) -> None:
        """A passing message in the status bar."""


class WindowReporter(QtCore.QObject):
    """A :class:`Reporter` on a window: non-blocking message boxes and its status bar.

    Attributes
    ----------
    last_error_box : QMessageBox or None
        The message box on screen, if any (tests read its text).
    last_status : str
        The last status message (tests read it after the bar cleared it).
    """

    def __init__(self, window: QtWidgets.QMainWindow, status_view: StatusView) -> None:
        super().__init__(window)
        self._window = window
        self._status_view = status_view
        self.last_error_box: QtWidgets.QMessageBox | None = None
        self.last_status = ""

    def error(self, message: str) -> None:
        """Show ``message`` in a window-modal, non-blocking message box.

        The same message while its box is still open is not shown twice (a drag refused
        at every mouse move must not stack boxes).
        """
        shown = self.last_error_box
        if shown is not None and shown.isVisible() and shown.text() == message:
            return
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Warning,
            "gmmviewer",
            message,
            QtWidgets.QMessageBox.StandardButton.Ok,
            self._window,
        )
        box.setObjectName("error_box")
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_error_box = box
        box.finished.connect(self._forget_error_box)
        box.open()

    def status(self, message: str, msecs: int = 5000) -> None:
        """Show ``message`` in the status bar for ``msecs`` milliseconds."""
        self.last_status = message
        self._status_view.show_note(message, msecs)

    def _forget_error_box(self) -> None:
        self.last_error_box = None
