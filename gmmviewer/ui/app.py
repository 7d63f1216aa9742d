"""Starting the application: the QApplication, the first data set or session, the window.

What the command line names is read before any window exists, so a bad file ends with a
one-line message and exit code 1 like every other command.
"""

from __future__ import annotations

import argparse
import sys

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.session_file import SESSION_EXTENSION, OpenedSession, load_session
from gmmviewer.ui.resources import app_icon
from gmmviewer.ui.window.main_window import MainWindow

APPLICATION_NAME = "gmmviewer"


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
    if str(path).lower().endswith(SESSION_EXTENSION):
        return load_session(path)
    return load_csv(path, args.columns, normalize=args.normalize, min_rows=args.k or 1)


def run_app(args: argparse.Namespace) -> int:
    """Open the window on the demo, a data file or a saved session; run until it closes."""
    data = initial_data(args)
    app = create_application()
    window = MainWindow()
    controller = window.controller
    if data is None:
        controller.load_demo()
    elif isinstance(data, OpenedSession):
        controller.show_session(data.session, data.view, str(args.data))
    else:
        loaded = controller.load_dataset(
            data,
            n_components=args.k,
            init=args.init,
            seed=args.seed,
            covariance_type=args.covariance_type,
        )
        if not loaded:
            controller.load_demo()
    window.show()
    code = app.exec()
    # Delete the window before the interpreter tears Qt down, so shutdown is orderly.
    window.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    return int(code)
