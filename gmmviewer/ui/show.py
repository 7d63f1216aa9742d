"""The window opened from a script or a notebook (:func:`gmmviewer.show`): the event loop
it runs in, and what closing it asks.

An existing QApplication is reused (IPython's after ``%gui qt``, a host application's,
pytest-qt's), with the window's own settings store so the host application's name and
settings are left alone; otherwise one is created as the ``gmmviewer`` command does.
Like the command, the window sets pyqtgraph's global options (antialiasing, row-major
images) and the application's palette and font for its theme.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import shiboken6
from PySide6 import QtCore, QtWidgets

from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.ui.app import (
    APPLICATION_NAME,
    configure_pyqtgraph,
    create_application,
    window_for,
)
from gmmviewer.ui.resources import app_icon

#: What IPython's ``active_eventloop`` starts with when ``%gui qt`` (``qt5``, ``qt6``) or
#: ``%matplotlib qt`` turns the Qt event loop between cells.
IPYTHON_QT_LOOP = "qt"

#: Windows shown without blocking: held here until they close, or Python would collect
#: them (and Qt delete them) as soon as ``show`` returns.
_open_windows: list[QtWidgets.QMainWindow] = []
#: The application ``show`` created, if it did: held for the same reason.
_application: list[QtWidgets.QApplication] = []


class CallerHolds:
    """Whether the window may drop its session: always for the caller's own session.

    The caller of :func:`gmmviewer.show` holds the session it got back, with every step
    and edit, so closing the window (or replacing that session in it) loses nothing and
    asks nothing. A session the window made since (another data set, Fast arithmetic)
    exists only in the window, so that one is asked about as usual.

    Parameters
    ----------
    controller : object
        Has ``session``: the session on screen now.
    session : EMSession
        The caller's session.
    ask : callable
        The usual question (Save, Discard or Cancel); True lets the session go.
    """

    def __init__(self, controller: Any, session: EMSession, ask: Any) -> None:
        self._controller = controller
        self._session = session
        self._ask = ask

    def __call__(self) -> bool:
        return self._controller.session is self._session or bool(self._ask())


def show_session(session: EMSession, block: bool | None = None) -> QtWidgets.QMainWindow:
    """Open a window on ``session``; with ``block``, return once it has closed.

    Parameters
    ----------
    session : EMSession
    block : bool, optional
        None: block unless :func:`event_loop_running`.

    Returns
    -------
    QMainWindow
        The window (already deleted when the call blocked).

    Raises
    ------
    GMMViewerError
        When called off the GUI thread, or when the running Qt application has no widgets.
    """
    app = _application_for_windows()
    if block is None:
        block = not event_loop_running()
    window = window_for(session, QtCore.QSettings(APPLICATION_NAME, APPLICATION_NAME))
    window.setWindowIcon(app_icon())
    window.controller.confirm_discard = CallerHolds(
        window.controller, session, window.unsaved_prompt
    )
    # Closing deletes the window, so the notebook keeps no dead window (or its plots) alive.
    window.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    window.raise_()
    window.activateWindow()
    if block:
        # A loop of its own rather than app.exec(): it ends when this window closes, even
        # if other windows of the application stay open.
        loop = QtCore.QEventLoop(app)
        window.destroyed.connect(loop.quit)
        loop.exec()
        loop.deleteLater()
    else:
        _open_windows.append(window)
        window.destroyed.connect(_forget_closed_windows)
    return window


def _application_for_windows() -> QtWidgets.QApplication:
    app = QtWidgets.QApplication.instance()
    if app is None:
        if threading.current_thread() is not threading.main_thread():
            raise GMMViewerError("gmmviewer.show must be called from the main thread")
        app = create_application()
        _application.append(app)
        return app
    if not isinstance(app, QtWidgets.QApplication):
        raise GMMViewerError(
            f"the running Qt application is a {type(app).__name__}: the window needs a QApplication"
        )
    if QtCore.QThread.currentThread() != app.thread():
        raise GMMViewerError("gmmviewer.show must be called from the Qt application's thread")
    configure_pyqtgraph()
    return app


def _forget_closed_windows(*_: object) -> None:
    _open_windows[:] = [window for window in _open_windows if shiboken6.isValid(window)]


def open_windows() -> list[QtWidgets.QMainWindow]:
    """Windows shown without blocking and not yet closed."""
    _forget_closed_windows()
    return list(_open_windows)


def event_loop_running() -> bool:
    """True when something turns the Qt event loop while ``show`` returns at once.

    That is IPython's Qt integration (it runs the loop between cells, so the window
    lives on beside the notebook), or a Qt event loop running on this thread (``show``
    called from a slot or a timer of a running application).
    """
    if ipython_runs_qt(_ipython_shell()):
        return True
    return QtCore.QThread.currentThread().loopLevel() > 0


def ipython_runs_qt(shell: object) -> bool:
    """True when the IPython ``shell`` has its Qt event loop integration on.

    Parameters
    ----------
    shell : object or None
        What ``IPython.get_ipython()`` returned (None outside IPython).
    """
    loop = getattr(shell, "active_eventloop", None)
    return isinstance(loop, str) and loop.lower().startswith(IPYTHON_QT_LOOP)


def _ipython_shell() -> object:
    """The running IPython shell, or None; never imports IPython itself."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    return get_ipython() if callable(get_ipython) else None
