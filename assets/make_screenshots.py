"""Render the README's screenshots offscreen: ``python assets/make_screenshots.py``.

Each picture is the real window (or dialog) driven through its actions, so the
screenshots show what a user sees. Settings go to a temporary file, not the user's.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets  # noqa: E402

from gmmviewer.ui.app import create_application  # noqa: E402
from gmmviewer.ui.window.main_window import MainWindow  # noqa: E402

HERE = Path(__file__).resolve().parent


def settle(app: QtWidgets.QApplication, window: MainWindow) -> None:
    """Let pending refreshes and the worker thread finish."""
    for _ in range(50):
        app.processEvents()
        if not window.controller.runner.busy:
            break
        QtCore.QThread.msleep(20)
    app.processEvents()


def new_window(settings_path: str) -> MainWindow:
    settings = QtCore.QSettings(settings_path, QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.controller.load_demo()
    window.resize(1400, 900)
    window.show()
    return window


def main_window_shot(app: QtWidgets.QApplication, settings_path: str) -> None:
    window = new_window(settings_path)
    for _ in range(3):
        window.controller.step()
        settle(app, window)
    window.controller.e_step()
    settle(app, window)
    window.grab().save(str(HERE / "screenshot.png"))
    window.close()


def lesson_shots(app: QtWidgets.QApplication, settings_path: str) -> None:
    """The bound view with the inspector, k-means with ground truth, model selection."""
    window = new_window(settings_path)
    for _ in range(2):
        window.controller.step()
        settle(app, window)
    window.controller.e_step()
    settle(app, window)
    window.actions_by_name["bound"].setChecked(True)
    window.analysis.inspect_point(123)
    window.controls.show_tab(window.inspector)
    settle(app, window)
    window.grab().save(str(HERE / "inspector.png"))

    window.controller.set_speed(100)
    window.controller.run()
    while window.controller.running or window.controller.runner.busy:
        app.processEvents()
        QtCore.QThread.msleep(10)
    window.actions_by_name["kmeans"].setChecked(True)
    window.actions_by_name["truth"].setChecked(True)
    settle(app, window)
    window.grab().save(str(HERE / "kmeans.png"))

    dialog = window.show_model_selection()
    dialog.k_max_spin.setValue(6)
    dialog.start()
    while dialog.job.running:
        app.processEvents()
        QtCore.QThread.msleep(20)
    app.processEvents()
    dialog.grab().save(str(HERE / "model_selection.png"))
    dialog.close()

    path = HERE / "snapshots.png"
    window.files.export_snapshots(str(path), "0, 1, 2, 5, 20")
    while window.files.snapshot_job.running:
        app.processEvents()
        QtCore.QThread.msleep(20)
    app.processEvents()
    window.close()


def any_data_shots(app: QtWidgets.QApplication, settings_path: str) -> None:
    """One-column data, a pair of iris's four columns in the dark theme, an animation."""
    from gmmviewer.core.data.synthetic import make_preset
    from gmmviewer.ui.export.animation import AnimationSettings

    window = new_window(settings_path)
    window.controller.load_dataset(make_preset("bimodal-1d", 500, seed=0), 2, "random-means", 0)
    for _ in range(2):
        window.controller.step()
        settle(app, window)
    window.controller.e_step()
    settle(app, window)
    window.grab().save(str(HERE / "one_column.png"))

    data = Path(__file__).resolve().parents[2] / "shared" / "data" / "iris.csv"
    if data.is_file():
        from gmmviewer.core.files.csv_reader import load_csv

        window.controller.load_dataset(load_csv(data), 3, "kmeans", 0)
        window.controller.set_dims((2, 3))
        for _ in range(3):
            window.controller.step()
            settle(app, window)
        window.actions_by_name["dark_theme"].setChecked(True)
        settle(app, window)
        window.grab().save(str(HERE / "iris_dark.png"))
        window.actions_by_name["dark_theme"].setChecked(False)

    window.controller.load_demo()
    settle(app, window)
    recorder = window.files.export_animation(
        AnimationSettings(str(HERE / "em.gif"), "", fps=4, width=560, height=420)
    )
    while recorder is not None and recorder.running:
        app.processEvents()
    app.processEvents()
    window.close()


def variational_shots(app: QtWidgets.QApplication, settings_path: str) -> None:
    """The lecture demo with K = 8 under a Dirichlet process, in both themes, and a GIF."""
    from gmmviewer.core.session.variational_state import PriorChoice
    from gmmviewer.ui.export.animation import AnimationSettings

    window = new_window(settings_path)
    window.resize(1280, 720)
    window.controls.k_spin.setValue(8)
    settle(app, window)
    window.controller.set_method(PriorChoice())
    settle(app, window)
    session = window.controller.session
    start = session.position
    while not session.done:
        window.controller.step()
        settle(app, window)
    window.grab().save(str(HERE / "variational.png"))
    window.actions_by_name["dark_theme"].setChecked(True)
    settle(app, window)
    window.grab().save(str(HERE / "variational_dark.png"))
    window.actions_by_name["dark_theme"].setChecked(False)
    # The first 25 iterations, where the surplus components switch off (the GIF stays small).
    recorder = window.files.export_animation(
        AnimationSettings(
            str(HERE / "variational.gif"), "", fps=6, width=520, height=390, hold_last=3.0
        ),
        entry_range=(start, min(start + 50, len(session.history) - 1)),
    )
    while recorder is not None and recorder.running:
        app.processEvents()
    app.processEvents()
    window.close()


def main() -> int:
    app = create_application(sys.argv[:1])
    with tempfile.TemporaryDirectory() as folder:
        settings_path = str(Path(folder) / "settings.ini")
        main_window_shot(app, settings_path)
        lesson_shots(app, settings_path)
        any_data_shots(app, settings_path)
        variational_shots(app, settings_path)
    print(f"wrote the screenshots to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
