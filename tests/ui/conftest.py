"""Fixtures for the window tests: a real MainWindow with its own temporary settings."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtWidgets
from uihelpers import WAIT_TIMEOUT_MS

from gmmviewer.ui.app import configure_pyqtgraph
from gmmviewer.ui.window.main_window import MainWindow


@pytest.fixture
def settings(tmp_path):
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


class DiscardWhenAsked:
    """Answers Discard whenever the window asks to save unsaved changes.

    Most tests replace sessions they have stepped; the question itself is tested in
    ``test_lecture_path.py``, which calls :meth:`stop` and answers by hand.
    """

    def __init__(self) -> None:
        self.window = None
        self.answered = 0
        self._timer = QtCore.QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._answer)
        self._timer.start()

    def _answer(self) -> None:
        box = getattr(getattr(self.window, "unsaved_prompt", None), "box", None)
        if box is not None and box.isVisible():
            self.answered += 1
            box.button(QtWidgets.QMessageBox.StandardButton.Discard).click()

    def stop(self) -> None:
        self._timer.stop()


@pytest.fixture
def unsaved_answers():
    answers = DiscardWhenAsked()
    yield answers
    answers.stop()


@pytest.fixture
def window(qtbot, settings, unsaved_answers):
    configure_pyqtgraph()
    # Mouse moves in tests come faster than pyqtgraph's default rate limit would pass.
    pg.setConfigOption("mouseRateLimit", -1)
    main = MainWindow(settings=settings)
    unsaved_answers.window = main
    main.controller.load_demo()
    main.resize(1280, 840)
    main.show()
    qtbot.waitExposed(main, timeout=WAIT_TIMEOUT_MS)
    # Drags in tests are instantaneous; pyqtgraph would otherwise ignore them as clicks.
    for view in (main.scatter.plot_widget, main.nll_view.plot_widget):
        view.scene().minDragTime = 0
    yield main
    # What a test did to the session is not worth keeping: closing must not ask to save
    # (so the window is closed here rather than by qtbot, which closes before this runs).
    main.controller.mark_saved()
    main.close()
    main.deleteLater()
