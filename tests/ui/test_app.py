"""Starting and stopping the real application in a subprocess, and staying responsive
with a million points."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PySide6 import QtCore

from gmmviewer.core.data.dataset import Dataset

LAUNCH = """
import sys
from PySide6 import QtCore
from gmmviewer.cli import main
from gmmviewer.ui.window import main_window

show = main_window.MainWindow.show

def show_then_close(self):
    show(self)
    title = self.windowTitle().replace("[*]", "*" if self.isWindowModified() else "")
    print("title:", title, "N =", self.controller.session.n_samples, flush=True)
    QtCore.QTimer.singleShot(100, self.controller.step)
    QtCore.QTimer.singleShot(300, self.controller.run)
    QtCore.QTimer.singleShot(900, self.close)

main_window.MainWindow.show = show_then_close
sys.exit(main(sys.argv[1:]))
"""


def launch(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_demo_opens_runs_and_exits_cleanly(tmp_path):
    result = launch(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "title: gmmviewer - preset:lecture N = 600" in result.stdout
    assert "Traceback" not in result.stderr and "Fatal" not in result.stderr
    # Settings were written where the platform keeps them (here: the temporary config).
    assert list(tmp_path.rglob("gmmviewer.conf"))


def test_opening_a_file_from_the_command_line(tmp_path, faithful_path):
    result = launch(tmp_path, str(faithful_path), "-k", "2", "--init", "kmeans")
    assert result.returncode == 0, result.stderr
    assert "title: gmmviewer - faithful.csv N = 272" in result.stdout


def test_a_bad_file_on_the_command_line_is_one_line_and_exit_1(tmp_path):
    missing = tmp_path / "missing.csv"
    result = launch(tmp_path, str(missing))
    assert result.returncode == 1
    assert result.stderr.strip() == f"gmmviewer: error: no such file: {missing}"
    assert "title:" not in result.stdout


def test_a_million_points_run_without_freezing_and_pause_at_once(qtbot, window):
    rng = np.random.default_rng(0)
    n = 1_000_000
    X = rng.normal(size=(n, 2)) + 5.0 * rng.integers(0, 3, size=(n, 1))
    assert window.load_dataset(Dataset(X, source="million"), 3, "random-from-data", 0, "full")
    session = window.controller.session
    ticks: list[float] = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    window.controller.set_speed(100)
    timer.start(20)
    window.controls.buttons["run"].click()
    qtbot.wait(1500)
    # Half-steps are computed on a worker thread; the GUI thread keeps turning, so a
    # 20 ms timer keeps firing (the gaps are the frames drawn between steps).
    gaps = np.diff(ticks)
    assert len(session.history) >= 3, "the run made no progress"
    assert len(ticks) >= 15
    assert np.median(gaps) < 0.06
    assert gaps.max() < 1.0
    # The window repaints during the run.
    assert window.scatter.points.last_strategy == "raster"
    # Pause takes effect at once, even with a step in flight (which is then dropped).
    qtbot.waitUntil(lambda: window.controller.runner.busy, timeout=10_000)
    steps = len(session.history)
    window.controls.buttons["run"].click()
    assert not window.controller.running
    assert window.actions_by_name["run"].text() == "Run"
    qtbot.waitUntil(lambda: not window.controller.runner.busy, timeout=20_000)
    qtbot.wait(100)
    assert len(session.history) == steps
    timer.stop()
