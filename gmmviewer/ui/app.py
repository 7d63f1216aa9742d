"""Starting the application: the QApplication, the first data set or session, the window.

What the command line names is read before any window exists, so a bad file ends with a
one-line message and exit code 1 like every other command.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.files.sessions import SESSION_EXTENSION
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.ui.resources import app_icon
from gmmviewer.ui.window.main_window import MainWindow

if TYPE_CHECKING:
    from gmmviewer.core.files.sessions.session_file import OpenedSession

APPLICATION_NAME = "gmmviewer"
#: Set to ``1`` to quit right after the main window's first paint, printing when it came
#: (``tests/benchmarks/bench_startup.py`` times start-up with it; not for users).
EXIT_AFTER_FIRST_PAINT = "GMMVIEWER_EXIT_AFTER_FIRST_PAINT"
#: How that line starts, so the benchmark can find it among anything else printed.
FIRST_PAINT_MARK = "first paint:"


class ExitAfterFirstPaint(QtCore.QObject):
    """Quits the application once ``window`` has been painted for the first time.

    It then prints ``first paint: <wall> <cpu>``: seconds since the epoch (to compare
    with when the process was started) and CPU seconds of this process so far. A widget
    window is painted in one pass over its widgets, so a timer started by the first
    paint event fires once the whole window is painted and on screen.
    """

    def __init__(self, app: QtWidgets.QApplication, window: QtWidgets.QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._painted = False
        app.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if (
            not self._painted
            and event.type() == QtCore.QEvent.Type.Paint
            and isinstance(watched, QtWidgets.QWidget)
            and watched.window() is self._window
        ):
            self._painted = True
            QtCore.QTimer.singleShot(0, self._report_and_quit)
        return False

    def _report_and_quit(self) -> None:
        wall, cpu = time.time(), time.process_time()
        print(f"{FIRST_PAINT_MARK} {wall:.6f} {cpu:.6f}", flush=True)
        QtCore.QCoreApplication.quit()


def configure_pyqtgraph() -> None:
    """pyqtgraph options the views assume: antialiased lines, row-major image arrays."""
    pg.setConfigOptions(antialias=True, imageAxisOrder="row-major")


def create_application(argv: list[str] | None = None) -> QtWidgets.QApplication:
    """The QApplication (reused when one exists), named so QSettings has a home."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(argv if argv is not None else sys.argv[:1])
    QtCore.QCoreApplication.setOrganizationName(APPLICATION_NAME)
    QtCore.QCoreApplication.setApplicationName(APPLICATION_NAME)
    QtGui.QGuiApplication.setApplicationDisplayName("gmmviewer")
    app.setWindowIcon(app_icon())
    configure_pyqtgraph()
    return app  # type: ignore[return-value]


def initial_data(args: argparse.Namespace) -> Dataset | OpenedSession | None:
    """What the command line names: a data set, a saved session, or None for the demo.

    Raises
    ------
    GMMViewerError
        With a one-line message, for a bad file.
    """
    path = getattr(args, "data", None)
    if not path:
        return None
    # The readers are imported here: the demo, the usual first window, needs neither.
    if str(path).lower().endswith(SESSION_EXTENSION):
        from gmmviewer.core.files.sessions.session_file import load_session

        return load_session(path)
    from gmmviewer.core.files.csv_reader import load_csv

    return load_csv(path, args.columns, normalize=args.normalize, min_rows=args.k or 1)


def window_for(session: EMSession, settings: QtCore.QSettings | None = None) -> MainWindow:
    """A new window showing ``session`` as it is, not yet on screen (``gmmviewer.show``).

    The application must exist and pyqtgraph be configured (:func:`configure_pyqtgraph`).
    """
    window = MainWindow(settings)
    window.controller.show_session(session)
    return window


def run_app(args: argparse.Namespace) -> int:
    """Open the window on the demo, a data file or a saved session; run until it closes."""
    data = initial_data(args)
    app = create_application()
    window = MainWindow()
    controller = window.controller
    if data is None:
        controller.load_demo()
    elif isinstance(data, Dataset):
        loaded = controller.load_dataset(
            data,
            n_components=args.k,
            init=args.init,
            seed=args.seed,
            covariance_type=args.covariance_type,
        )
        if not loaded:
            controller.load_demo()
    else:  # a saved session
        controller.show_session(data.session, data.view, str(args.data))
    if os.environ.get(EXIT_AFTER_FIRST_PAINT) == "1":
        ExitAfterFirstPaint(app, window)
    window.show()
    code = app.exec()
    # Delete the window before the interpreter tears Qt down, so shutdown is orderly.
    window.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    return int(code)
