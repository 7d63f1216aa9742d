"""Starting and stopping the real application in a subprocess, and staying responsive
with a million points (what is checked is behaviour; the speed is measured by
``tests/benchmarks/bench_responsiveness.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtWidgets
from uihelpers import WAIT_TIMEOUT_MS

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
    controller = self.controller
    print("title:", title, "N =", controller.session.n_samples, flush=True)
    # Step (E and M), then Run; close the window mid-run, after the run's first
    # half-step. Each move follows the previous one's result, whatever the machine's speed.
    half_steps = []

    def on_changed(action):
        if action not in ("e-step", "m-step"):
            return
        half_steps.append(action)
        if len(half_steps) == 2:
            QtCore.QTimer.singleShot(0, controller.run)
        elif len(half_steps) == 3:
            print("ran:", " ".join(half_steps), flush=True)
            QtCore.QTimer.singleShot(0, close_saved)

    def close_saved():
        controller.mark_saved()  # closing must not ask to save
        self.close()

    controller.session.changed.connect(on_changed)
    QtCore.QTimer.singleShot(0, controller.step)

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
        timeout=300,  # a guard against a hang: a cold start on a busy machine is slow
    )


def test_the_demo_opens_runs_and_exits_cleanly(tmp_path):
    result = launch(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "title: lecture demo — gmmviewer N = 600" in result.stdout
    assert "ran: e-step m-step e-step" in result.stdout  # Step, then Run, then closed
    assert "Traceback" not in result.stderr and "Fatal" not in result.stderr
    # Settings were written where the platform keeps them (here: the temporary config).
    assert list(tmp_path.rglob("gmmviewer.conf"))


def test_opening_a_file_from_the_command_line(tmp_path, faithful_path):
    result = launch(tmp_path, str(faithful_path), "-k", "2", "--init", "kmeans")
    assert result.returncode == 0, result.stderr
    assert "title: faithful.csv — gmmviewer N = 272" in result.stdout
    assert "ran: e-step m-step e-step" in result.stdout


def test_a_bad_file_on_the_command_line_is_one_line_and_exit_1(tmp_path):
    missing = tmp_path / "missing.csv"
    result = launch(tmp_path, str(missing))
    assert result.returncode == 1
    assert result.stderr.strip() == f"gmmviewer: error: no such file: {missing}"
    assert "title:" not in result.stdout


FIRST_PAINT = """
import sys
from gmmviewer.cli import main
from gmmviewer.ui import app

report = app.ExitAfterFirstPaint._report_and_quit

def report_modules_then_quit(self):
    late = sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[1].split(","))))
    print("late:", late, flush=True)
    report(self)

app.ExitAfterFirstPaint._report_and_quit = report_modules_then_quit
sys.exit(main([]))
"""


def test_exit_after_first_paint_quits_by_itself_and_reports_when(tmp_path):
    # What tests/benchmarks/bench_startup.py relies on: the real command, no test hooks.
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path),
        GMMVIEWER_EXIT_AFTER_FIRST_PAINT="1",
    )
    result = subprocess.run(
        [sys.executable, "-m", "gmmviewer"], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("first paint:")]
    assert len(lines) == 1, result.stdout
    wall, cpu = (float(x) for x in lines[0].split()[2:])
    assert wall > 1e9 and cpu > 0  # seconds since the epoch; CPU seconds of the process


def test_the_first_paint_with_the_demo_waits_for_no_dialog_exporter_or_scipy_optimize(tmp_path):
    # The demo's comparison with its truth runs before the first paint: it must not
    # import scipy.optimize or scipy.special for K = 3, as it once did.
    from test_layout import LATE_MODULES

    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(tmp_path),
        GMMVIEWER_EXIT_AFTER_FIRST_PAINT="1",
    )
    result = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT, ",".join(LATE_MODULES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "late: []" in result.stdout, result.stdout
    assert "first paint:" in result.stdout


def test_a_million_points_run_without_freezing_and_pause_at_once(qtbot, window, monkeypatch):
    rng = np.random.default_rng(0)
    n = 1_000_000
    X = rng.normal(size=(n, 2)) + 5.0 * rng.integers(0, 3, size=(n, 1))
    dataset = Dataset(X, source="million")
    assert window.controller.load_dataset(dataset, 3, "random-from-data", 0, "full")
    session = window.controller.session
    runner = window.controller.runner
    gui_thread = threading.get_ident()
    # Note the threads that compute and commit each half-step. A closed gate holds the
    # worker inside a step, so "a step is in flight" is a state the test sets, not a race.
    computed_on: list[int] = []
    applied_on: list[int] = []
    gate, held = threading.Event(), threading.Event()
    gate.set()
    prepare = session.prepare

    def observed_prepare():
        computed_on.append(threading.get_ident())
        prepared = prepare()
        if not gate.is_set():
            held.set()
            gate.wait(WAIT_TIMEOUT_MS / 1000)
        return prepared

    monkeypatch.setattr(session, "prepare", observed_prepare)
    session.changed.connect(lambda action: applied_on.append(threading.get_ident()))
    # A 20 ms timer on the GUI thread notes each time it fires with a step in flight.
    ticks_in_flight: list[int] = []

    def tick() -> None:
        if runner.busy:
            ticks_in_flight.append(len(session.history))

    timer = QtCore.QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    window.controller.set_speed(100)
    try:
        window.controls.buttons["run"].click()
        qtbot.waitUntil(lambda: len(session.history) >= 3, timeout=WAIT_TIMEOUT_MS)
        # Half-steps are computed on a worker thread and committed on the GUI thread.
        assert computed_on and gui_thread not in computed_on
        assert applied_on and set(applied_on) == {gui_thread}
        assert window.scatter.points.last_strategy == "raster"

        # Hold the next half-step on the worker: meanwhile the GUI thread keeps turning
        # (the timer fires, the plot repaints) and the run waits for the step.
        gate.clear()
        qtbot.waitUntil(held.is_set, timeout=WAIT_TIMEOUT_MS)
        assert runner.busy and window.controller.running
        in_flight = len(session.history)
        seen = len(ticks_in_flight)
        qtbot.waitUntil(lambda: len(ticks_in_flight) >= seen + 3, timeout=WAIT_TIMEOUT_MS)
        assert set(ticks_in_flight[seen:]) == {in_flight}
        viewport = window.scatter.plot_widget.viewport()
        paints = PaintCounter(viewport)
        viewport.update()
        qtbot.waitUntil(lambda: paints.count >= 1, timeout=WAIT_TIMEOUT_MS)
        assert runner.busy

        # Pause takes effect at once, with the step still in flight...
        window.controls.buttons["run"].click()
        assert not window.controller.running
        assert window.actions_by_name["run"].text() == "Run"
        assert runner.busy
        # ...and the step is dropped when the worker delivers it.
        with qtbot.waitSignal(runner.finished, timeout=WAIT_TIMEOUT_MS) as finished:
            gate.set()
        assert finished.args == [False]
        assert len(session.history) == in_flight
        assert not runner.busy and window.controller.idle
        assert window.actions_by_name["run"].isEnabled()
    finally:
        gate.set()
        timer.stop()


class PaintCounter(QtCore.QObject):
    """Counts the paint events a widget receives."""

    def __init__(self, widget: QtWidgets.QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.Paint:
            self.count += 1
        return False
