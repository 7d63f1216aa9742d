"""Fixtures for the window tests: a real MainWindow with its own temporary settings."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6 import QtCore

from gmmviewer.ui.app import configure_pyqtgraph
from gmmviewer.ui.window.main_window import MainWindow


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    configure_pyqtgraph()
    # Mouse moves in tests come faster than pyqtgraph's default rate limit would pass.
    pg.setConfigOption("mouseRateLimit", -1)
    main = MainWindow(settings=settings)
    qtbot.addWidget(main)
    main.load_demo()
    main.resize(1280, 840)
    main.show()
    qtbot.waitExposed(main)
    # Drags in tests are instantaneous; pyqtgraph would otherwise ignore them as clicks.
    for view in (main.scatter.plot_widget, main.nll_view.plot_widget):
        view.scene().minDragTime = 0
    return main
