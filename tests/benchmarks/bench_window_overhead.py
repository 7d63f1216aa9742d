"""What the window adds to each EM half-step: the figures behind "the window keeps up".

The tests check behaviour (an M-step leaves the point raster alone, the legend is not
rebuilt, the NLL curve grows by appending, the Compare tab idles while hidden); this
script measures what that buys, in a real
:class:`~gmmviewer.ui.window.main_window.MainWindow` on Qt's offscreen platform:

* **Demo overhead**: the lecture demo (600 points, K = 3, its fixed start) Run at full
  speed (100 half-steps per second asked) from its initialisation to convergence, against
  the same half-steps computed headless (:meth:`EMSession.advance`). The window's
  overhead per half-step is (window - headless) / half-steps, in wall-clock time and in
  the GUI thread's CPU time (steadier on a busy machine; the demo's half-steps run on
  that thread, and BLAS's own threads are left out). Split by kind: the time from an
  E-step's commit to the next commit (drawing the E-step, computing the M-step) minus
  the headless M-step, and the same for M-steps.
* **Run at N = 1e6** (generated data with its truth and labels, K = 3, full covariances,
  tol = 0 so it never converges mid-run): half-steps per second during a Run, the time
  the point layer spends painting after M-steps and after E-steps, and the Compare tab's
  work per half-step. Compared, interleaved, with the **naive** way: the same window with
  the point layer's kept raster thrown away before every paint, so each repaint stamps
  every point again, as before the raster was kept; and with the Compare tab in view
  (it works only while shown; before, it worked after every half-step, shown or not).

Interleaved repeats; medians (and minima) are printed, nothing is asserted. Run from the
repository root::

    python tests/benchmarks/bench_window_overhead.py
    python tests/benchmarks/bench_window_overhead.py --quick   # N = 2e5, fewer repeats
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench_common import new_window, spin, spin_until, window_app, window_parser  # noqa: E402

from gmmviewer.core.data.synthetic import make_random_mixture  # noqa: E402
from gmmviewer.core.session.em_session import EMSession  # noqa: E402
from gmmviewer.ui.views.points_item import PointCloudItem  # noqa: E402
from gmmviewer.ui.window.main_window import MainWindow  # noqa: E402
from gmmviewer.ui.window.teaching import TeachingTools  # noqa: E402

K = 3
#: The large Run's variants: the window as it is, its points restamped on every paint,
#: and the window with the Compare tab in view.
MODES = ("app", "naive", "compare")
#: The command line's options and their help texts.
OPTIONS = {
    "quick": "N = 2e5, fewer repeats",
    "n": "points of the large Run (default 1e6)",
    "repeats": "interleaved repeats (5 demo, 3 large)",
    "seconds": "length of a large Run segment (6 s)",
}


# ============================================================================ demo
@dataclass
class DemoStats:
    window_wall: list[float] = field(default_factory=list)  # ms per half-step
    window_cpu: list[float] = field(default_factory=list)
    headless_wall: list[float] = field(default_factory=list)
    headless_cpu: list[float] = field(default_factory=list)
    after: dict[str, list[float]] = field(default_factory=lambda: {"E": [], "M": []})
    headless: dict[str, list[float]] = field(default_factory=lambda: {"E": [], "M": []})
    half_steps: int = 0


def run_demo_in_window(window: MainWindow, stats: DemoStats) -> None:
    """One Run of the demo from its initialisation to convergence, at full speed."""
    controller, actions = window.controller, window.actions_by_name
    spin_until(lambda: controller.idle)
    if actions["reset"].isEnabled():
        actions["reset"].trigger()
    spin(100)  # the reset's paint is not part of the run
    session = controller.session
    commits: list[tuple[float, str]] = []

    def on_changed(action: str) -> None:
        if action in ("e-step", "m-step"):
            commits.append((time.perf_counter(), action[0].upper()))

    session.changed.connect(on_changed)
    start, cpu = time.perf_counter(), time.thread_time()
    actions["run"].trigger()
    spin_until(lambda: not controller.running and controller.idle)
    wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
    session.changed.disconnect(on_changed)
    n = len(commits)
    stats.half_steps = n
    stats.window_wall.append(1e3 * wall / n)
    stats.window_cpu.append(1e3 * cpu / n)
    # The time after each commit up to the next: drawing it, then computing the next.
    for (t0, kind), (t1, _) in zip(commits, commits[1:], strict=False):
        stats.after[kind].append(1e3 * (t1 - t0))


def run_demo_headless(window: MainWindow, stats: DemoStats) -> None:
    """The same half-steps with no window: a fresh session with the demo's settings."""
    shown = window.controller.session
    session = EMSession(shown.dataset, shown.n_components, **shown.fit_settings())
    times: list[float] = []
    start, cpu = time.perf_counter(), time.thread_time()
    while not session.done:
        kind = session.next_step
        t0 = time.perf_counter()
        session.advance()
        times.append(time.perf_counter() - t0)
        stats.headless[kind].append(1e3 * times[-1])
    wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
    stats.headless_wall.append(1e3 * wall / len(times))
    stats.headless_cpu.append(1e3 * cpu / len(times))


# ====================================================================== N = 1e6
class PointPaints:
    """Times every paint of the window's point layer, by the last half-step's kind, and
    the Compare tab's work.

    In ``naive`` mode the layer's kept raster is dropped before each paint, so every
    repaint stamps all the points again.
    """

    def __init__(self) -> None:
        self.naive = False
        self.last_step = "?"
        self.times: dict[str, list[float]] = {"E": [], "M": [], "?": []}
        self.compare: list[float] = []  # ms per refresh of the Compare tab
        self._paint = PointCloudItem.paint
        self._compare = TeachingTools._refresh_comparison

    def __enter__(self) -> PointPaints:
        clock = self

        def timed_paint(item: PointCloudItem, *args: object) -> None:
            if clock.naive:
                item._raster = None
            t0 = time.perf_counter()
            clock._paint(item, *args)
            clock.times[clock.last_step].append(1e3 * (time.perf_counter() - t0))

        def timed_compare(tools: TeachingTools) -> None:
            t0 = time.perf_counter()
            clock._compare(tools)
            clock.compare.append(1e3 * (time.perf_counter() - t0))

        PointCloudItem.paint = timed_paint
        TeachingTools._refresh_comparison = timed_compare
        return self

    def __exit__(self, *_: object) -> None:
        PointCloudItem.paint = self._paint
        TeachingTools._refresh_comparison = self._compare

    def on_changed(self, action: str) -> None:
        if action in ("e-step", "m-step"):
            self.last_step = action[0].upper()


@dataclass
class BigStats:
    rates: list[float] = field(default_factory=list)  # half-steps per second
    paint_after: dict[str, list[float]] = field(default_factory=lambda: {"E": [], "M": []})
    compare: list[float] = field(default_factory=list)  # ms of Compare tab work per step


def run_big_segment(
    window: MainWindow, clock: PointPaints, seconds: float, mode: str, stats: BigStats
) -> None:
    """Run from the initialisation for ``seconds``; note the rate, the point paints and
    the Compare tab's work."""
    controller, actions = window.controller, window.actions_by_name
    spin_until(lambda: controller.idle)
    tabs = window.controls.tabs
    if mode == "compare":
        tabs.setCurrentWidget(window.compare)
    else:
        tabs.setCurrentIndex(0)  # the model settings
    if actions["reset"].isEnabled():
        actions["reset"].trigger()
    spin(300)
    session = controller.session
    done: list[float] = []

    def on_changed(action: str) -> None:
        if action in ("e-step", "m-step"):
            done.append(time.perf_counter())

    clock.naive, clock.last_step = mode == "naive", "?"
    for times in (*clock.times.values(), clock.compare):
        times.clear()
    session.changed.connect(on_changed)
    session.changed.connect(clock.on_changed)
    start = time.perf_counter()
    actions["run"].trigger()
    spin(int(1e3 * seconds))
    if controller.running:
        actions["run"].trigger()  # Pause
    spin_until(lambda: controller.idle)
    session.changed.disconnect(on_changed)
    session.changed.disconnect(clock.on_changed)
    stats.rates.append(sum(t <= start + seconds for t in done) / seconds)
    for kind in ("E", "M"):
        stats.paint_after[kind].extend(clock.times[kind])
    stats.compare.append(sum(clock.compare) / max(len(done), 1))


# ======================================================================== printing
def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def low(values: list[float]) -> float:
    return min(values) if values else float("nan")


def interleaved(repeats: int, calls: tuple[Callable[[], None], Callable[[], None]]) -> None:
    for repeat in range(repeats):
        for call in calls if repeat % 2 == 0 else calls[::-1]:
            call()


def main() -> None:
    args = window_parser(__doc__, OPTIONS).parse_args()
    n = args.n or (200_000 if args.quick else 1_000_000)
    demo_repeats = args.repeats or (2 if args.quick else 5)
    big_repeats = args.repeats or (1 if args.quick else 3)
    seconds = args.seconds or (3.0 if args.quick else 6.0)

    window_app()
    demo = DemoStats()
    big = {mode: BigStats() for mode in MODES}
    # Installed before the window exists: PySide looks an override up once per item.
    with PointPaints() as clock, tempfile.TemporaryDirectory() as folder:
        window = new_window(folder)
        controller = window.controller
        controller.load_demo()
        controller.set_speed(100)
        spin(500)  # first paint
        interleaved(
            demo_repeats,
            (lambda: run_demo_in_window(window, demo), lambda: run_demo_headless(window, demo)),
        )
        print(f"  demo done ({demo_repeats} runs each)", file=sys.stderr, flush=True)

        if not controller.load_dataset(make_random_mixture(K, n), K, "random-from-data", 0):
            raise RuntimeError("could not load the large data")
        controller.session.tol = 0.0  # never converges during a segment
        spin(500)
        for repeat in range(big_repeats):
            for mode in MODES if repeat % 2 == 0 else MODES[::-1]:
                run_big_segment(window, clock, seconds, mode, big[mode])
                print(f"  large Run {repeat + 1}/{big_repeats} ({mode}) done", file=sys.stderr)
        controller.mark_saved()  # nothing worth keeping: closing must not ask to save
        window.close()

    overhead_wall = [w - h for w, h in zip(demo.window_wall, demo.headless_wall, strict=True)]
    overhead_cpu = [w - h for w, h in zip(demo.window_cpu, demo.headless_cpu, strict=True)]
    print(
        f"\nLecture demo Run at full speed ({demo.half_steps} half-steps to convergence, "
        f"offscreen 1280x840 window), {demo_repeats} runs each, interleaved"
    )
    print(f"  {'ms per half-step':<44} {'median':>8} {'min':>8}")
    for label, values in (
        ("window, wall clock", demo.window_wall),
        ("headless (EMSession.advance), wall clock", demo.headless_wall),
        ("window overhead, wall clock", overhead_wall),
        ("window, GUI-thread CPU", demo.window_cpu),
        ("headless, CPU", demo.headless_cpu),
        ("window overhead, GUI-thread CPU", overhead_cpu),
    ):
        print(f"  {label:<44} {med(values):>8.1f} {low(values):>8.1f}")
    for kind, other in (("E", "M"), ("M", "E")):
        after = med(demo.after[kind]) - med(demo.headless[other])
        print(f"  {'overhead after an ' + kind + '-step (median)':<44} {after:>8.1f}")

    print(
        f"\nRun at N = {n:,} (generated, K = {K}, full, 100 half-steps/s asked), "
        f"{big_repeats} x {seconds:g} s per variant, interleaved; naive = the point raster "
        "stamped again on every paint; compare = the Compare tab in view"
    )
    print(f"  {'':<44} " + " ".join(f"{mode:>8}" for mode in MODES))
    rows = [
        ("half-steps per second (median)", [s.rates for s in big.values()]),
        ("point paint after an M-step, median (ms)", [s.paint_after["M"] for s in big.values()]),
        ("point paint after an E-step, median (ms)", [s.paint_after["E"] for s in big.values()]),
        ("Compare tab work per half-step (ms, median)", [s.compare for s in big.values()]),
    ]
    for label, columns in rows:
        print(f"  {label:<44} " + " ".join(f"{med(c):>8.1f}" for c in columns))
    m_steps = [s.paint_after["M"] for s in big.values()]
    print(
        f"  {'point paints after M-steps (count)':<44} "
        + " ".join(f"{len(c):>8d}" for c in m_steps)
    )
    print(
        f"  {'point painting after M-steps, total (ms)':<44} "
        + " ".join(f"{sum(c):>8.0f}" for c in m_steps)
    )
    print(
        "\nOverhead = (window - headless) / half-steps. After an M-step the ellipses move"
        "\nand the plot repaints under them; the points' colours only change with an E-step."
    )


if __name__ == "__main__":
    main()
