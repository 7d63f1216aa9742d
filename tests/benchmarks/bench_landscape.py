"""How fast the likelihood landscape appears, headless and in the window.

For N in {600 (the lecture demo), 1e4, 1e5} points of the lecture mixture (K = 3, full
covariances, parameters after 3 EM iterations from the demo's random-means start), this
script times:

* **core**: the coarse grid (48 x 48, including the per-point terms computed once) and
  the fine grid (160 x 160) of :meth:`LandscapeSpec.passes` for mean 1 over the data's
  range, against the **naive** way: for every grid point, the means with mean 1 moved
  there, ``scipy.stats.multivariate_normal.logpdf`` per component and ``logsumexp``,
  summed. The naive time is measured on a sample of grid points (at least 8, about
  0.5 s) and scaled to the grid; the ratio is naive / core. Above 20,000 points the core
  sums over a fixed subsample of 20,000 (scaled up); the naive way uses every point.
* **window** (Qt offscreen, 1280 x 720): from the key G to the coarse image on screen
  (the end of the scatter view's first repaint after the frame arrived, to the next
  millisecond) and to the fine image, medians over
  ``--repeats`` toggles (each after a Step, so nothing is cached; the first toggle of a
  window, cold, is reported apart).
* **event loop**: the longest gap between firings of a 1 ms precise ``QTimer`` on the
  GUI thread while the fine grid computes (from the coarse image drawn to the fine
  grid's arrival), over every toggle: how long the window could not react while the
  worker computed (at N = 1e5 the fine grid takes longest). Painting the new image
  itself is not counted: it is the window's ordinary repaint of the plot.

Run from the repository root::

    python tests/benchmarks/bench_landscape.py
    python tests/benchmarks/bench_landscape.py --quick     # one repeat, N up to 1e4
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
from bench_common import (  # noqa: E402
    new_window,
    print_machine_header,
    spin,
    spin_until,
    versions,
    window_app,
)
from PySide6 import QtCore, QtTest  # noqa: E402

from gmmviewer.core.analysis.landscape import LandscapeSpec  # noqa: E402
from gmmviewer.core.data.synthetic import make_preset  # noqa: E402
from gmmviewer.core.session.em_session import EMSession  # noqa: E402

SIZES = (600, 10_000, 100_000)
NAIVE_SECONDS = 0.5


def demo_session(n_samples: int) -> EMSession:
    """The lecture mixture with the demo's start, after 3 EM iterations."""
    dataset = make_preset("lecture", n_samples=n_samples, seed=0)
    session = EMSession(dataset, 3, init="random-means", seed=0)
    for _ in range(3):
        session.step()
    return session


def spec_of(session: EMSession) -> LandscapeSpec:
    X = session.X
    return LandscapeSpec(
        X,
        session.params,
        (0,),
        (0, 1),
        (float(X[:, 0].min()), float(X[:, 0].max())),
        (float(X[:, 1].min()), float(X[:, 1].max())),
    )


def core_times(spec: LandscapeSpec) -> tuple[float, float]:
    """Seconds of the coarse pass (terms included) and of the fine pass."""
    start = time.perf_counter()
    passes = spec.passes()
    next(passes)
    coarse = time.perf_counter() - start
    start = time.perf_counter()
    next(passes)
    return coarse, time.perf_counter() - start


def naive_seconds_per_point(session: EMSession) -> float:
    """Seconds per grid point of the per-point scipy computation (measured on a sample)."""
    from scipy import stats
    from scipy.special import logsumexp

    X, params = session.X, session.params
    covariances = params.full_covariances()
    log_weights = np.log(params.weights)
    rng = np.random.default_rng(0)
    done, start = 0, time.perf_counter()
    while done < 8 or time.perf_counter() - start < NAIVE_SECONDS:
        means = np.array(params.means)
        means[0] = rng.uniform(X.min(axis=0), X.max(axis=0))
        terms = [
            log_weights[j] + stats.multivariate_normal(means[j], covariances[j]).logpdf(X)
            for j in range(params.n_components)
        ]
        _ = -logsumexp(np.array(terms), axis=0).sum()
        done += 1
    return (time.perf_counter() - start) / done


class PaintWatch(QtCore.QObject):
    """An event filter on the scatter view that notes when it begins to paint after each
    frame arrived (the next timer tick is then when the image is on screen)."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: dict[str, float] = {}
        self.painting: dict[str, float] = {}

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.Paint:
            for name in ("coarse", "fine"):
                if f"{name} arrived" in self.marks:
                    self.painting.setdefault(name, time.perf_counter())
        return False


def toggle_once(window: object) -> tuple[float, float, float]:
    """Press G and wait for the fine image: ms to the coarse image drawn, to the fine one,
    and the longest gap between firings of a 1 ms timer while the fine grid computed;
    then G again (off)."""
    watch = PaintWatch()
    marks, ticks = watch.marks, []

    def on_frame(frame: object) -> None:
        shape = frame.landscape.nll.shape  # type: ignore[attr-defined]
        marks.setdefault(
            ("coarse" if shape == (48, 48) else "fine") + " arrived", time.perf_counter()
        )

    def on_tick() -> None:
        now = time.perf_counter()
        ticks.append(now)
        for name in watch.painting:
            marks.setdefault(name, now)  # the first tick after the paint began: it ended

    viewport = window.scatter.plot_widget.viewport()
    viewport.installEventFilter(watch)
    probe = QtCore.QTimer()
    probe.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    probe.timeout.connect(on_tick)
    window.landscape.frame_shown.connect(on_frame)
    probe.start(1)
    start = time.perf_counter()
    ticks.append(start)
    QtTest.QTest.keyClick(window, QtCore.Qt.Key.Key_G)
    spin_until(lambda: "fine" in marks, timeout_s=300)
    probe.stop()
    viewport.removeEventFilter(watch)
    window.landscape.frame_shown.disconnect(on_frame)
    QtTest.QTest.keyClick(window, QtCore.Qt.Key.Key_G)
    # While the fine grid computes: from the coarse image drawn to the fine one's arrival.
    low, high = marks["coarse"], marks["fine arrived"]
    during = [low] + [t for t in ticks if low < t < high] + [high]
    gap = float(np.max(np.diff(during))) * 1000 if high > low else 0.0
    return (marks["coarse"] - start) * 1000, (marks["fine"] - start) * 1000, gap


def window_times(n_samples: int, repeats: int, folder: str) -> dict[str, list[float]]:
    """:func:`toggle_once` in a new window: once cold, then ``repeats`` times after a Step."""
    window = new_window(folder)
    window.resize(1280, 720)
    if n_samples == 600:
        window.controller.load_demo()
    else:
        dataset = make_preset("lecture", n_samples=n_samples, seed=0)
        window.controller.load_dataset(
            dataset, n_components=3, init="random-means", seed=0, covariance_type="full"
        )
    spin(300)
    results: dict[str, list[float]] = {}
    for repeat in range(repeats + 1):
        # A Step first, so that the landscape must be computed afresh.
        window.controller.step()
        spin_until(lambda: window.controller.idle)
        spin(200)
        coarse, fine, gap = toggle_once(window)
        key = "cold" if repeat == 0 else "warm"
        results.setdefault(f"{key}_coarse", []).append(coarse)
        results.setdefault(f"{key}_fine", []).append(fine)
        results.setdefault("gap", []).append(gap)
    window.controller.mark_saved()
    window.close()
    return results


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="toggles per size (default 5)")
    parser.add_argument("--quick", action="store_true", help="one repeat, N up to 1e4")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else max(1, args.repeats)
    sizes = SIZES[:2] if args.quick else SIZES
    print_machine_header([versions("numpy", "scipy")], [f"repeats: {repeats}"])

    print("core (seconds; naive = scipy.stats per grid point, scaled from a sample)")
    header = (
        f"{'N':>8} {'coarse':>8} {'fine':>8} {'naive coarse':>13} {'naive fine':>11} "
        f"{'ratio coarse':>13} {'ratio fine':>11} {'subsample':>10}"
    )
    print(header)
    print("-" * len(header), flush=True)
    for n_samples in sizes:
        session = demo_session(n_samples)
        spec = spec_of(session)
        core_times(spec)  # warm-up: first-call costs belong to the window's cold column
        timings = [core_times(spec) for _ in range(repeats)]
        coarse = median([t[0] for t in timings])
        fine = median([t[1] for t in timings])
        per_point = naive_seconds_per_point(session)
        naive_coarse, naive_fine = per_point * 48 * 48, per_point * 160 * 160
        subsampled = next(spec.passes()).subsampled
        print(
            f"{n_samples:>8,} {coarse:>8.4f} {fine:>8.4f} {naive_coarse:>13.1f} "
            f"{naive_fine:>11.1f} {naive_coarse / coarse:>13,.0f} {naive_fine / fine:>11,.0f} "
            f"{subsampled or '-':>10}",
            flush=True,
        )

    app = window_app()
    print("\nwindow (ms from the key G; medians; cold = the first toggle in a new window)")
    header = (
        f"{'N':>8} {'cold coarse':>12} {'cold fine':>10} {'coarse':>8} {'fine':>8} "
        f"{'longest gap while fine computes':>32}"
    )
    print(header)
    print("-" * len(header), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        for n_samples in sizes:
            times = window_times(n_samples, repeats, folder)
            print(
                f"{n_samples:>8,} {median(times['cold_coarse']):>12.0f} "
                f"{median(times['cold_fine']):>10.0f} {median(times.get('warm_coarse', [])):>8.0f} "
                f"{median(times.get('warm_fine', [])):>8.0f} {max(times['gap']):>23.0f}",
                flush=True,
            )
    app.quit()


if __name__ == "__main__":
    main()
