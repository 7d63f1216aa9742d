"""Milliseconds to show an E-step: recolour N points and redraw the plot.

One *frame* is what the window does after every E-step:

1. blend each point's colour from a (N, K=3) responsibility matrix with
   :func:`gmmviewer.ui.views.colours.blend`;
2. hand the colours to the points layer;
3. repaint synchronously. The repaint is ``widget.grab()`` on a 1000 x 700
   ``pg.PlotWidget`` shown on Qt's offscreen platform: it paints the whole widget (axes
   and view box included) into a pixmap and returns only when done, so the timer sees
   the complete paint, with nothing left queued in the event loop. The same repaint is
   used for every layer. The empty plot's grab is printed as the floor.

The responsibility matrices are drawn before timing (the E-step makes them in the app),
two of them, alternated, so every frame really changes every colour.

Three layers are compared:

* **PointCloudItem** (``gmmviewer.ui.views.points_item``): ``item.set_colours(rgb)``.
* **naive**: ``pg.ScatterPlotItem.setBrush([pg.mkBrush(c) for c in rgb])``, a fresh
  ``QBrush`` per point per frame. Seconds per frame from 1e5 on, so it runs with fewer
  repeats and is *extrapolated* (linearly from 1e5, marked ``~``) at 1e6, not run.
* **palette**: the same ScatterPlotItem fed from 4096 ``QBrush`` objects built once
  (colours quantised to 4 bits per channel, looked up with a numpy object array).

Each cell is the median of several frames after one warm-up frame (which renders new
sprites and primes caches). Run from the repository root::

    python tests/benchmarks/bench_render.py
    python tests/benchmarks/bench_render.py --quick     # up to 1e5, fewer repeats
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from bench_common import qt_line  # noqa: E402
from pyqtgraph.Qt import QtCore, QtGui  # noqa: E402

from gmmviewer.ui.views.colours import blend, component_colours  # noqa: E402
from gmmviewer.ui.views.points_item import PointCloudItem  # noqa: E402

SIZES = (1_000, 10_000, 100_000, 1_000_000)
REPEATS = {1_000: 15, 10_000: 15, 100_000: 9, 1_000_000: 5}
NAIVE_REPEATS = {1_000: 5, 10_000: 3, 100_000: 1}  # 1e6 extrapolated
PALETTE_REPEATS = {1_000: 5, 10_000: 5, 100_000: 3, 1_000_000: 1}
K = 3
TARGETS = ((10_000, 30.0), (100_000, 100.0))


def guard_none_refcount() -> bool:
    """Work around bindings that drop a reference to None on every void call.

    PySide6 6.12.0 on CPython 3.11 does (``QTimer.setInterval`` lowers
    ``sys.getrefcount(None)`` by one per call); None is immortal only from 3.12 on, so
    after some thousands of calls the interpreter aborts with "none_dealloc". The naive
    layer makes millions of such calls. If the leak is detected here, None's reference
    count is raised far out of reach so the measurement can finish. Returns whether it
    was needed (printed in the header: the app itself needs Python >= 3.12 or
    different bindings).
    """
    timer = QtCore.QTimer()
    before = sys.getrefcount(None)
    for _ in range(100):
        timer.setInterval(5)
    if sys.getrefcount(None) >= before:
        return False
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40  # ob_refcnt, CPython only
    return True


def mixture_points(n: int, rng: np.random.Generator) -> np.ndarray:
    """N points from three overlapping 2-D Gaussians, like a data set mid-fit."""
    means = np.array([[0.0, 0.0], [3.0, 1.0], [1.0, 3.0]])
    labels = rng.integers(0, K, n)
    return means[labels] + rng.normal(scale=0.9, size=(n, 2))


def responsibilities(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random (n, K) row-stochastic matrix, float64 as the E-step returns it."""
    resp = rng.gamma(0.5, size=(n, K))
    return resp / resp.sum(axis=1, keepdims=True)


def make_widget() -> pg.PlotWidget:
    widget = pg.PlotWidget(background="w")
    widget.resize(1000, 700)
    widget.show()
    pg.QtWidgets.QApplication.processEvents()
    return widget


def time_frames(frame: Callable[[int], None], repeats: int) -> list[float]:
    """Seconds per call of ``frame(i)`` for i = 0..repeats; the first is the warm-up."""
    start = time.perf_counter()
    frame(0)
    times = [time.perf_counter() - start]
    for i in range(1, repeats + 1):
        start = time.perf_counter()
        frame(i)
        times.append(time.perf_counter() - start)
    return times


def bench_points_item(xy: np.ndarray, resps: list[np.ndarray], repeats: int) -> dict:
    widget = make_widget()
    item = PointCloudItem()
    widget.addItem(item)
    item.set_points(xy)
    widget.autoRange()
    colours = component_colours(K)
    parts: dict[str, list[float]] = {"blend": [], "set_colours": [], "redraw": []}

    def frame(i: int) -> None:
        t0 = time.perf_counter()
        rgb = blend(resps[i % 2], colours, len(xy))
        t1 = time.perf_counter()
        item.set_colours(rgb)
        t2 = time.perf_counter()
        widget.grab()
        t3 = time.perf_counter()
        if i:
            parts["blend"].append(t1 - t0)
            parts["set_colours"].append(t2 - t1)
            parts["redraw"].append(t3 - t2)

    first, *total = time_frames(frame, repeats)
    result = {key: statistics.median(v) for key, v in parts.items()}
    result.update(
        first=first,
        frame=statistics.median(total),
        strategy=item.last_strategy,
        diameter=item.point_diameter(),
    )
    widget.close()
    return result


def bench_scatter(xy: np.ndarray, resps: list[np.ndarray], repeats: int, palette: bool) -> float:
    """Median frame seconds of ScatterPlotItem recoloured per point (naive) or from a palette."""
    widget = make_widget()
    scatter = pg.ScatterPlotItem(x=xy[:, 0], y=xy[:, 1], size=7, pen=None, brush=(150,) * 3)
    widget.addItem(scatter)
    widget.autoRange()
    colours = component_colours(K)
    levels = np.arange(16) * 17
    brushes = np.empty(4096, dtype=object)
    if palette:  # built once, outside the timer
        for key in range(4096):
            brushes[key] = QtGui.QBrush(
                QtGui.QColor(levels[key >> 8], levels[(key >> 4) & 15], levels[key & 15])
            )

    def frame(i: int) -> None:
        rgb = blend(resps[i % 2], colours, len(xy))
        if palette:
            q = (rgb.astype(np.uint16) + 8) // 17
            scatter.setBrush(brushes[(q[:, 0] << 8) | (q[:, 1] << 4) | q[:, 2]])
        else:
            scatter.setBrush([pg.mkBrush(int(r), int(g), int(b)) for r, g, b in rgb])
        widget.grab()

    median = statistics.median(time_frames(frame, repeats)[1:])
    widget.close()
    return median


def empty_grab_ms() -> float:
    widget = make_widget()
    times = time_frames(lambda i: widget.grab(), 15)[1:]
    widget.close()
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="up to 1e5, fewer repeats")
    args = parser.parse_args()
    sizes = SIZES[:3] if args.quick else SIZES
    app = pg.mkQApp()
    app.processEvents()
    rng = np.random.default_rng(0)

    print(qt_line(app, load=False))
    print(
        "frame = blend(responsibilities) + set colours + widget.grab() of a 1000x700 "
        "PlotWidget; median ms"
    )
    if guard_none_refcount():
        print(
            "WARNING: these Qt bindings leak a reference to None per void call on this "
            "Python; None's refcount was raised so the run can finish (see "
            "guard_none_refcount)."
        )
    print(f"empty plot grab (the floor): {empty_grab_ms():.1f} ms\n")

    rows = []
    for n in sizes:
        xy = mixture_points(n, rng)
        resps = [responsibilities(n, rng), responsibilities(n, rng)]
        quick = 3 if args.quick else None
        ours = bench_points_item(xy, resps, quick or REPEATS[n])
        if n in NAIVE_REPEATS:
            naive, naive_note = 1e3 * bench_scatter(xy, resps, NAIVE_REPEATS[n], False), ""
        else:
            naive, naive_note = rows[-1]["naive"] * n / rows[-1]["n"], "~"
        palette = 1e3 * bench_scatter(xy, resps, quick or PALETTE_REPEATS[n], True)
        rows.append(dict(n=n, naive=naive, naive_note=naive_note, palette=palette, **ours))
        print(f"  N = {n:>9,d} done", file=sys.stderr)

    header = (
        f"{'N':>9} {'path':>7} {'diam':>5} | {'first':>6} {'blend':>6} {'set':>6} "
        f"{'redraw':>7} {'FRAME':>7} | {'naive':>9} {'x':>6} | {'palette':>8} {'x':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        frame = 1e3 * r["frame"]
        naive = f"{r['naive_note']}{r['naive']:.0f}"
        print(
            f"{r['n']:>9,d} {r['strategy']:>7} {r['diameter']:>5.1f} | "
            f"{1e3 * r['first']:>6.1f} {1e3 * r['blend']:>6.1f} {1e3 * r['set_colours']:>6.1f} "
            f"{1e3 * r['redraw']:>7.1f} {frame:>7.1f} | {naive:>9} "
            f"{r['naive'] / frame:>6.0f} | {r['palette']:>8.0f} {r['palette'] / frame:>6.1f}"
        )
    print(
        "\ncolumns: path = PointCloudItem's drawing strategy, diam = drawn diameter (px);"
        "\n  first = its warm-up frame (renders the sprites of colours never seen);"
        "\n  blend / set / redraw / FRAME = its median frame and parts (ms);"
        "\n  naive, palette = ScatterPlotItem median frame (ms); x = that / FRAME."
    )
    print("~ = extrapolated linearly from N = 1e5 (not run: many seconds per frame).")
    for n, limit in TARGETS:
        match = [r for r in rows if r["n"] == n]
        if match:
            frame = 1e3 * match[0]["frame"]
            verdict = "met" if frame <= limit else "not met"
            print(
                f"target <= {limit:.0f} ms at N = 1e{len(str(n)) - 1}: {verdict} ({frame:.1f} ms)"
            )


if __name__ == "__main__":
    main()
