"""Milliseconds to show membership lines: push new responsibilities and repaint.

One *frame* is what the window does after an E-step with View > Membership lines on:
hand the lines item the points, the means and a new (N, K) responsibility matrix, then
repaint a 1000 x 700 ``pg.PlotWidget`` synchronously with ``widget.grab()`` on Qt's
offscreen platform. N is at most 5,000 (the window subsamples above that). Two layers
are compared, drawing the same pairs (r > 0.05) with opacity in 8 bins:

* **MembershipItem** (``gmmviewer.ui.overlays.membership_item``): one ``QPainter.drawLines``
  per (component, level) from numpy-filled ``QLineF`` arrays.
* **curves**: one ``pg.PlotCurveItem(connect="pairs")`` per (component, level), its pen
  translucent (so pyqtgraph strokes one ``QPainterPath`` per item).

Each cell is the median of several frames after one warm-up frame. Run from the
repository root::

    python tests/benchmarks/bench_membership.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from bench_common import qt_line  # noqa: E402
from pyqtgraph.Qt import QtGui  # noqa: E402

from gmmviewer.ui.overlays.membership_item import (  # noqa: E402
    ALPHA_LEVELS,
    THRESHOLD,
    MembershipItem,
    alpha_levels,
    level_opacity,
)
from gmmviewer.ui.views.colours import component_colours  # noqa: E402

SIZES = (1_000, 5_000)
COMPONENTS = (3, 10)
REPEATS = 9


def problem(n: int, k: int, rng: np.random.Generator):
    means = rng.normal(scale=3.0, size=(k, 2))
    labels = rng.integers(0, k, n)
    xy = means[labels] + rng.normal(size=(n, 2))
    resps = []
    for _ in range(2):
        resp = rng.gamma(0.3, size=(n, k))
        resps.append(resp / resp.sum(axis=1, keepdims=True))
    return xy, means, resps


def make_widget() -> pg.PlotWidget:
    widget = pg.PlotWidget(background="w")
    widget.resize(1000, 700)
    widget.show()
    pg.QtWidgets.QApplication.processEvents()
    return widget


def frames(widget: pg.PlotWidget, push) -> float:
    times = []
    for i in range(REPEATS + 1):
        start = time.perf_counter()
        push(i)
        widget.grab()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times[1:])


def bench_item(xy, means, resps) -> tuple[float, int]:
    widget = make_widget()
    item = MembershipItem()
    item.attach(widget.getPlotItem())
    colours = component_colours(len(means))
    widget.setRange(
        xRange=(xy[:, 0].min(), xy[:, 0].max()), yRange=(xy[:, 1].min(), xy[:, 1].max())
    )

    def push(i: int) -> None:
        item.set_lines(xy, means, resps[i % 2], colours)

    ms = frames(widget, push)
    lines = item.line_count()
    widget.close()
    return ms, lines


def bench_curves(xy, means, resps) -> float:
    widget = make_widget()
    k = len(means)
    colours = component_colours(k)
    curves = {}
    for component in range(k):
        for level in range(ALPHA_LEVELS):
            colour = QtGui.QColor(*map(int, colours[component]))
            colour.setAlphaF(level_opacity(level))
            curve = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(colour), antialias=True)
            widget.addItem(curve, ignoreBounds=True)
            curves[component, level] = curve
    widget.setRange(
        xRange=(xy[:, 0].min(), xy[:, 0].max()), yRange=(xy[:, 1].min(), xy[:, 1].max())
    )

    def push(i: int) -> None:
        resp = resps[i % 2]
        rows, comps = np.nonzero(resp > THRESHOLD)
        levels = alpha_levels(resp[rows, comps])
        for (component, level), curve in curves.items():
            chosen = rows[(comps == component) & (levels == level)]
            ends = np.empty((2 * len(chosen), 2))
            ends[0::2] = xy[chosen]
            ends[1::2] = means[component]
            curve.setData(ends[:, 0], ends[:, 1])

    ms = frames(widget, push)
    widget.close()
    return ms


def main() -> None:
    app = pg.mkQApp()
    rng = np.random.default_rng(0)
    print(qt_line(app, load=False))
    print("frame = push new responsibilities + widget.grab() of a 1000x700 PlotWidget; median ms")
    print(f"{'N':>6} {'K':>3} {'lines':>7} {'MembershipItem':>15} {'curves':>8}")
    for n in SIZES:
        for k in COMPONENTS:
            xy, means, resps = problem(n, k, rng)
            item_ms, lines = bench_item(xy, means, resps)
            curves_ms = bench_curves(xy, means, resps)
            print(f"{n:>6} {k:>3} {lines:>7,} {item_ms:>15.1f} {curves_ms:>8.1f}")


if __name__ == "__main__":
    main()
