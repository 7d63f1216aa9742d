"""How live the window stays while EM works: the figures the tests no longer time.

The tests check behaviour (a half-step runs on a worker thread, the GUI thread handles
events meanwhile, Pause drops the step in flight); this script measures how well that
works on this machine, in a real :class:`~gmmviewer.ui.window.main_window.MainWindow` on
Qt's offscreen platform:

* **Run at N = 1e6** (K = 3, full covariances, 100 half-steps per second asked, tol = 0
  so it never converges mid-measurement): the gaps between the firings of a 20 ms
  precise ``QTimer`` on the GUI thread (median, 95th percentile, max) and the half-steps
  done per second. A gap is how long the window could not react to anything.
* **Pause**: a Pause requested at a fixed moment of the run (a precise single-shot timer
  that presses the Run/Pause action), and the time from that moment to the run being
  stopped (the button says Run) and to the window being idle (no step computing; with a
  worker, the step in flight is dropped when it arrives).
* **Restarts** (N = 1e5, K = 3, 5 seeds): the latency from a run finishing on the worker
  to the window announcing it (``work_progressed``), and the timer gaps meanwhile.

Each is compared, in the same run and interleaved, with the **naive** way: the same
window computing every half-step on the GUI thread (the step runner's worker threshold
raised out of reach), and the restarts fitted on the GUI thread with one event-loop turn
between runs. Ratios are naive / app. Run from the repository root::

    python tests/benchmarks/bench_responsiveness.py
    python tests/benchmarks/bench_responsiveness.py --quick   # N / 10, shorter runs
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
from bench_common import (  # noqa: E402
    new_window,
    single_shot,
    spin,
    spin_until,
    window_app,
    window_parser,
)
from PySide6 import QtCore, QtWidgets  # noqa: E402

import gmmviewer.core.analysis.restarts as restarts_module  # noqa: E402
from gmmviewer.core.data.dataset import Dataset  # noqa: E402
from gmmviewer.core.em.fit import fit  # noqa: E402
from gmmviewer.ui.window import step_runner  # noqa: E402
from gmmviewer.ui.window.main_window import MainWindow  # noqa: E402

PROBE_MS = 20
K = 3
MODES = ("app", "naive")
#: The command line's options and their help texts.
OPTIONS = {
    "quick": "N / 10, one short repeat",
    "n": "points for Run and Pause (default 1e6)",
    "repeats": "interleaved app/naive segments (3)",
    "seconds": "length of a Run segment (4 s)",
}


# ================================================================ event-loop helpers
class Probe:
    """A precise 20 ms timer on the GUI thread that notes when it fires."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._timer = QtCore.QTimer()
        self._timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._fired)

    def _fired(self) -> None:
        self.times.append(time.perf_counter())

    def start(self) -> None:
        self.times = [time.perf_counter()]
        self._timer.start(PROBE_MS)

    def stop(self, until: float | None = None) -> np.ndarray:
        """The gaps (ms) between firings since :meth:`start` (up to the first firing at
        or after ``until``, when given)."""
        self._timer.stop()
        times = np.array(self.times)
        if until is not None:
            later = np.flatnonzero(times >= until)
            if len(later):
                times = times[: later[0] + 1]
        return 1e3 * np.diff(times)


class StepsOnTheGuiThread:
    """Within this block every half-step is computed on the GUI thread (the naive way)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._saved = step_runner.ASYNC_WORK

    def __enter__(self) -> None:
        if self.enabled:
            step_runner.ASYNC_WORK = sys.maxsize

    def __exit__(self, *_: object) -> None:
        step_runner.ASYNC_WORK = self._saved


# ======================================================================== Run, Pause
@dataclass
class RunStats:
    gaps: list[float] = field(default_factory=list)  # ms, all segments pooled
    rates: list[float] = field(default_factory=list)  # half-steps per second
    stopped: list[float] = field(default_factory=list)  # ms, Pause asked -> run stopped
    idle: list[float] = field(default_factory=list)  # ms, Pause asked -> window idle


def run_segment(window: MainWindow, probe: Probe, seconds: float, stats: RunStats) -> None:
    """Run from the initialisation for ``seconds``, then Pause; note what happened."""
    controller, actions = window.controller, window.actions_by_name
    spin_until(lambda: controller.idle)
    if actions["reset"].isEnabled():
        actions["reset"].trigger()  # every segment computes the same half-steps
    session = controller.session
    half_steps: list[float] = []

    def on_changed(action: str) -> None:
        if action in ("e-step", "m-step"):
            half_steps.append(time.perf_counter())

    session.changed.connect(on_changed)
    pause: dict[str, float] = {}

    def request_pause() -> None:
        pause["fired"] = time.perf_counter()
        if controller.running:
            actions["run"].trigger()  # Run/Pause
        pause["stopped"] = time.perf_counter()

    probe.start()
    start = time.perf_counter()
    actions["run"].trigger()
    due = start + seconds
    _timer = single_shot(int(1e3 * seconds), request_pause)
    spin_until(lambda: "stopped" in pause and controller.idle)
    idle = time.perf_counter()
    gaps = probe.stop(until=due)
    session.changed.disconnect(on_changed)
    if controller.running:
        raise RuntimeError("the run did not stop")
    done = [t for t in half_steps if t <= due]
    stats.gaps.extend(gaps.tolist())
    stats.rates.append(len(done) / seconds)
    stats.stopped.append(1e3 * (pause["stopped"] - due))
    stats.idle.append(1e3 * (idle - due))


# ========================================================================== restarts
@dataclass
class RestartStats:
    latency: list[float] = field(default_factory=list)  # ms, run finished -> shown
    gaps: list[float] = field(default_factory=list)  # ms
    seconds: float = 0.0


class FitClock:
    """Notes when each restart's fit returns (on whichever thread runs it)."""

    def __init__(self) -> None:
        self.finished: list[float] = []
        self._fit = restarts_module.fit

    def __enter__(self) -> FitClock:
        def timed_fit(*args: object, **kwargs: object):  # noqa: ANN202 - FitResult
            result = self._fit(*args, **kwargs)
            self.finished.append(time.perf_counter())
            return result

        restarts_module.fit = timed_fit
        return self

    def __exit__(self, *_: object) -> None:
        restarts_module.fit = self._fit


def restarts_app(window: MainWindow, probe: Probe, seeds: int, stats: RestartStats) -> None:
    """The window's EM > Restarts: fits on the worker, each announced as it arrives."""
    teaching, controller = window.teaching, window.controller
    shown: list[float] = []
    finished: list[str] = []

    def on_progress(done: int, text: str) -> None:
        shown.append(time.perf_counter())

    teaching.work_progressed.connect(on_progress)
    teaching.work_finished.connect(finished.append)
    with FitClock() as clock:
        probe.start()
        start = time.perf_counter()
        if not teaching.run_restarts(seeds):
            raise RuntimeError("restarts refused")
        spin_until(lambda: bool(finished))
        stats.seconds = time.perf_counter() - start
        stats.gaps = probe.stop().tolist()
    teaching.work_progressed.disconnect(on_progress)
    teaching.work_finished.disconnect(finished.append)
    controller.pause()  # the kept run is replayed: not part of the measurement
    spin_until(lambda: controller.idle)
    stats.latency = [1e3 * (s - f) for s, f in zip(shown, clock.finished, strict=True)]


def restarts_naive(window: MainWindow, probe: Probe, seeds: int, stats: RestartStats) -> None:
    """The same fits on the GUI thread, one event-loop turn between runs."""
    session = window.controller.session
    settings = session.fit_settings()
    first = settings.pop("seed") or 0
    app = QtWidgets.QApplication.instance()
    probe.start()
    start = time.perf_counter()
    for seed in range(first, first + seeds):
        fit(session.X, session.n_components, seed=seed, **settings)
        finished = time.perf_counter()
        app.processEvents()  # the run is announced at the next turn of the event loop
        stats.latency.append(1e3 * (time.perf_counter() - finished))
    stats.seconds = time.perf_counter() - start
    stats.gaps = probe.stop().tolist()


# ========================================================================== printing
def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def row(label: str, app: list[float], naive: list[float], q: float | None = None) -> str:
    if q is None:
        a, b = statistics.median(app), statistics.median(naive)
    else:
        a, b = pct(app, q), pct(naive, q)
    ratio = b / a if a > 0 else float("inf")
    return f"  {label:<38} {a:>10.1f} {b:>10.1f} {ratio:>8.1f}x"


def table_header() -> str:
    return f"  {'':<38} {'app':>10} {'naive':>10} {'naive/app':>9}"


def blob(n: int, rng: np.random.Generator) -> Dataset:
    """N points from three well-separated 2-D Gaussians."""
    X = rng.normal(size=(n, 2)) + 5.0 * rng.integers(0, K, size=(n, 1))
    return Dataset(X, source=f"bench N={n}")


def main() -> None:
    args = window_parser(__doc__, OPTIONS).parse_args()
    n = args.n or (100_000 if args.quick else 1_000_000)
    n_restart_data = 10_000 if args.quick else 100_000
    seeds = 3 if args.quick else 5
    repeats = args.repeats or (1 if args.quick else 3)
    seconds = args.seconds or (2.0 if args.quick else 4.0)

    window_app()
    with tempfile.TemporaryDirectory() as folder:
        window = new_window(folder)
        rng = np.random.default_rng(0)
        controller = window.controller
        if not controller.load_dataset(blob(n, rng), K, "random-from-data", 0, "full"):
            raise RuntimeError("could not load the data")
        controller.session.tol = 0.0  # never converges during a segment
        controller.set_speed(100)
        spin(500)  # first paint
        probe = Probe()
        runs = {mode: RunStats() for mode in MODES}
        for repeat in range(repeats):
            for mode in MODES if repeat % 2 == 0 else MODES[::-1]:
                with StepsOnTheGuiThread(mode == "naive"):
                    run_segment(window, probe, seconds, runs[mode])
                print(f"  Run segment {repeat + 1}/{repeats} ({mode}) done", file=sys.stderr)

        if not controller.load_dataset(blob(n_restart_data, rng), K, "random-from-data", 0, "full"):
            raise RuntimeError("could not load the restart data")
        spin(300)
        restarts = {mode: RestartStats() for mode in MODES}
        restarts_app(window, probe, seeds, restarts["app"])
        restarts_naive(window, probe, seeds, restarts["naive"])
        print("  restarts done", file=sys.stderr)
        controller.mark_saved()  # nothing worth keeping: closing must not ask to save
        window.close()

    print(
        f"\nRun at N = {n:,} (K = {K}, full, 100 half-steps/s asked, offscreen 1280x840 window), "
        f"{repeats} x {seconds:g} s per side, interleaved; app = half-steps on a worker "
        "thread, naive = on the GUI thread"
    )
    print(table_header())
    app_run, naive_run = runs["app"], runs["naive"]
    print(row("20 ms timer gap, median (ms)", app_run.gaps, naive_run.gaps))
    print(row("20 ms timer gap, p95 (ms)", app_run.gaps, naive_run.gaps, 95))
    print(row("20 ms timer gap, max (ms)", app_run.gaps, naive_run.gaps, 100))
    print(row("half-steps per second", app_run.rates, naive_run.rates))
    print(row("Pause asked -> run stopped (ms, median)", app_run.stopped, naive_run.stopped))
    print(row("Pause asked -> run stopped (ms, max)", app_run.stopped, naive_run.stopped, 100))
    print(row("Pause asked -> window idle (ms, median)", app_run.idle, naive_run.idle))
    print(row("Pause asked -> window idle (ms, max)", app_run.idle, naive_run.idle, 100))

    app_r, naive_r = restarts["app"], restarts["naive"]
    print(
        f"\nRestarts at N = {n_restart_data:,} (K = {K}, {seeds} seeds, default tol); "
        "app = fits on a worker thread, naive = on the GUI thread"
    )
    print(table_header())
    print(row("run finished -> announced (ms, median)", app_r.latency, naive_r.latency))
    print(row("run finished -> announced (ms, max)", app_r.latency, naive_r.latency, 100))
    print(row("20 ms timer gap, median (ms)", app_r.gaps, naive_r.gaps))
    print(row("20 ms timer gap, max (ms)", app_r.gaps, naive_r.gaps, 100))
    print(row("all runs (s)", [app_r.seconds], [naive_r.seconds]))
    print(
        "\nA gap is the time between two firings of a 20 ms timer on the GUI thread: how"
        "\nlong the window could not react. Pause is asked by a timer at a fixed moment;"
        "\n'stopped' = the Run action reads Run again, 'idle' = no half-step computing"
        "\n(with a worker, the step in flight is dropped when it arrives)."
    )


if __name__ == "__main__":
    main()
