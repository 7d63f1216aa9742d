"""Milliseconds of painting data in the window: spray strokes, their commit and undo, and
dragging a point, at N = 600 to 1e6.

Everything runs in gmmviewer's real window (1280 x 840, Qt's offscreen platform) in
data-edit mode, driven by real ``QMouseEvent`` objects sent to the scatter plot's
viewport, with pyqtgraph's mouse rate limit off so that every event is handled. After
each event the plot is repainted synchronously with ``plot_widget.grab()`` (the whole
plot painted into a pixmap), so each figure is the event's handling *and* its repaint.
The data are three Gaussian blobs (K = 3, full covariances, one E-step done, so the
points are coloured by their responsibilities) and two far points that leave empty
space for the strokes and a lone point to drag.

Measured per N, with naive references in the same run:

* **spray, per mouse move**: a stroke of ``MOVES`` moves of ``STEP_PX`` pixels with the
  default brush (24 px, 6 points per radius). *ours*: the stroke is a preview item of
  its own; the data are untouched until release. *naive, re-set*: the same moves, and
  after each the whole scatter set again with the stroke so far appended (what a layer
  that painted straight into the data's scatter would do). *naive, commit*: each move's
  points committed at once through the painter (``add_points``: a history entry, an
  E-step over all N, recolour, redraw), as an app without a preview would.
* **commit a stroke**: the release: ``EMSession.add_points`` (one history entry, the
  responsibilities of all N + m points), recolour and redraw.
* **undo the stroke**: Back (the controller's ``back``), redraw.
* **move_point(merge=True)**: the session call alone, per move of one drag.
* **drag a point, per mouse move**: *ours*: the window edits live (``move_point`` with
  merge, redraw) only while N x K <= ``LIVE_MOVE_WORK``, else it moves a preview and
  edits once on release; *naive*: a live edit on every move at every N.

Cells are median / worst over every move of every repeat (the first stroke of each
variant is a warm-up and not counted). Scripts print figures; nothing here asserts on
time. Run from the repository root::

    python tests/benchmarks/bench_paint.py
    python tests/benchmarks/bench_paint.py --quick      # N up to 1e5, fewer repeats
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from bench_common import (  # noqa: E402
    Timings,
    cpu_line,
    load_average,
    measuring,
    new_window,
    parse_repeats_args,
    repeats_parser,
    spin,
    spin_until,
    timed,
    window_app,
)
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from gmmviewer.core.data.dataset import Dataset  # noqa: E402
from gmmviewer.ui.teaching import data_painting  # noqa: E402

SIZES = (600, 10_000, 100_000, 1_000_000)
K = 3
#: Mouse moves per stroke and pixels per move (a brisk stroke of 240 pixels).
MOVES = 30
STEP_PX = 8.0
#: Strokes per variant after the warm-up, by N (the naive commit is slow at 1e6).
STROKES = {600: 6, 10_000: 6, 100_000: 4, 1_000_000: 3}
NAIVE_COMMIT_STROKES = {600: 3, 10_000: 3, 100_000: 2, 1_000_000: 1}
#: Where the empty space and the lone point are, in data units (the blobs lie within
#: about 8 of the origin at 1e6 points).
STROKE_FROM, STROKE_TO = (10.0, 13.0), (16.0, 9.0)
LONE_POINT = (15.0, -9.0)

LEFT = QtCore.Qt.MouseButton.LeftButton
NO_BUTTON = QtCore.Qt.MouseButton.NoButton
Kind = QtCore.QEvent.Type


# ================================================================================ data
def make_data(n: int, rng: np.random.Generator) -> Dataset:
    """``n`` points: three blobs and, last, a far point and the lone point to drag."""
    centres = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    blobs = centres[rng.integers(0, 3, n - 2)] + rng.normal(size=(n - 2, 2))
    X = np.concatenate([blobs, [[17.0, 14.0], LONE_POINT]])
    return Dataset(X, source=f"bench_paint {n}")


# ============================================================================== events
def send(view, kind: QtCore.QEvent.Type, pos: QtCore.QPointF, button, buttons) -> None:
    viewport = view.plot_widget.viewport()
    global_pos = QtCore.QPointF(viewport.mapToGlobal(pos.toPoint()))
    event = QtGui.QMouseEvent(
        kind, pos, global_pos, button, buttons, QtCore.Qt.KeyboardModifier.NoModifier
    )
    QtWidgets.QApplication.sendEvent(viewport, event)


def pixel(view, x: float, y: float) -> QtCore.QPointF:
    return QtCore.QPointF(view.data_to_pixel(x, y))


def stroke_path(view) -> list[QtCore.QPointF]:
    """``MOVES`` + 1 positions, ``STEP_PX`` apart, from ``STROKE_FROM`` towards ``STROKE_TO``."""
    start, towards = pixel(view, *STROKE_FROM), pixel(view, *STROKE_TO)
    direction = towards - start
    length = max((direction.x() ** 2 + direction.y() ** 2) ** 0.5, 1e-9)
    step = direction * (STEP_PX / length)
    return [start + step * i for i in range(MOVES + 1)]


def repaint(view) -> None:
    view.plot_widget.grab()


# ======================================================================== measurements
class Bench:
    """One window with one data set in data-edit mode, and the measurements on it."""

    def __init__(self, window, n: int) -> None:
        self.window = window
        self.view = window.scatter
        self.controller = window.controller
        self.session = window.controller.session
        self.n = n
        self.surface = self.view.paint_surface
        self.base_xy = self.session.X[:, :2].copy()
        self.base_colours = self.view.points.colours().copy()

    def stroke(self, per_move: Callable[[], None] | None, moves: Timings) -> list[np.ndarray]:
        """Press, ``MOVES`` timed moves (+ ``per_move``, + repaint); returns the points
        each move added to the stroke. The button is still down afterwards."""
        path = stroke_path(self.view)
        send(self.view, Kind.MouseMove, path[0], NO_BUTTON, NO_BUTTON)
        send(self.view, Kind.MouseButtonPress, path[0], LEFT, LEFT)
        added, before = [], 0
        for pos in path[1:]:

            def move(pos: QtCore.QPointF = pos) -> None:
                send(self.view, Kind.MouseMove, pos, NO_BUTTON, LEFT)
                if per_move is not None:
                    per_move()
                repaint(self.view)

            moves.add(timed(move))
            stroke = self.surface.stroke()
            added.append(stroke[before:])
            before = len(stroke)
        return added

    def release(self) -> None:
        send(self.view, Kind.MouseButtonRelease, stroke_path(self.view)[-1], LEFT, NO_BUTTON)

    def ours(self, moves: Timings, commits: Timings, undos: Timings) -> list[np.ndarray]:
        """A stroke as the app paints it, its commit, and Back."""
        position = self.session.position
        added = self.stroke(None, moves)

        def commit() -> None:
            self.release()
            repaint(self.view)

        commits.add(timed(commit))
        assert self.session.position == position + 1, "the stroke was not one entry"
        assert self.session.state.action == "add points"

        def undo() -> None:
            self.controller.back()
            repaint(self.view)

        undos.add(timed(undo))
        assert self.session.n_samples == self.n
        return added

    def naive_reset(self, moves: Timings) -> None:
        """The same stroke, the whole scatter set again with the stroke after each move."""
        points = self.view.points
        grey = np.full((1, 3), 128, np.uint8)

        def reset_scatter() -> None:
            stroke = self.surface.stroke()
            points.set_points(np.concatenate([self.base_xy, stroke]))
            points.set_colours(np.concatenate([self.base_colours, np.repeat(grey, len(stroke), 0)]))

        self.stroke(reset_scatter, moves)
        self.cancel_stroke()
        points.set_points(self.base_xy)
        points.set_colours(self.base_colours)

    def naive_commit(self, added: list[np.ndarray], moves: Timings) -> None:
        """Each move's points committed as they come (no preview): ``added`` per move."""
        painter = self.controller.painter
        position = self.session.position
        for points in added:

            def move(points: np.ndarray = points) -> None:
                painter.add_points(points, True)
                repaint(self.view)

            if len(points):
                moves.add(timed(move))
            else:
                moves.add(timed(lambda: repaint(self.view)))
        while self.session.position > position:
            self.controller.back()
        assert self.session.n_samples == self.n

    def cancel_stroke(self) -> None:
        """Forget the stroke in progress without committing it (as leaving the mode does)."""
        self.surface.set_active(False)
        self.release()
        self.surface.set_active(True)

    def drag_point(self, moves: Timings, commits: Timings, live: bool) -> None:
        """Drag the lone point by ``MOVES`` moves; ``live`` edits on every move at any N."""
        index = self.n - 1
        start = pixel(self.view, *LONE_POINT)
        saved = data_painting.LIVE_MOVE_WORK
        data_painting.LIVE_MOVE_WORK = 10**15 if live else saved
        try:
            send(self.view, Kind.MouseMove, start, NO_BUTTON, NO_BUTTON)
            send(self.view, Kind.MouseButtonPress, start, LEFT, LEFT)
            for i in range(1, MOVES + 1):
                pos = start + QtCore.QPointF(-0.5 * STEP_PX * i, 0.3 * STEP_PX * i)

                def move(pos: QtCore.QPointF = pos) -> None:
                    send(self.view, Kind.MouseMove, pos, NO_BUTTON, LEFT)
                    repaint(self.view)

                moves.add(timed(move))

            def release() -> None:
                send(self.view, Kind.MouseButtonRelease, pos, LEFT, NO_BUTTON)
                repaint(self.view)

            commits.add(timed(release))
        finally:
            data_painting.LIVE_MOVE_WORK = saved
        assert self.session.state.action == "move point" and self.session.state.point == index
        self.controller.back()
        assert np.array_equal(self.session.X[index], LONE_POINT)

    def move_point_calls(self, calls: Timings) -> None:
        """``move_point(merge=True)`` per move of one drag, the session alone."""
        session, index = self.session, self.n - 1
        position = np.array(LONE_POINT, dtype=float)
        session.move_point(index, position + 0.01, merge=False)
        for i in range(1, MOVES + 1):
            calls.measure(lambda i=i: session.move_point(index, position + 0.01 * i, merge=True))
        self.controller.back()
        assert np.array_equal(session.X[index], position)


# ================================================================================= run
def load(window, n: int, rng: np.random.Generator) -> Bench:
    controller = window.controller
    controller.mark_saved()  # the previous size's edits are not worth a question
    if not controller.load_dataset(make_data(n, rng), K, "random-means", 0):
        raise RuntimeError(f"could not load N = {n}")
    controller.e_step()
    spin_until(lambda: controller.idle and controller.session.next_step == "M")
    window.actions_by_name["edit_data"].setChecked(True)
    window.scatter.plot_widget.scene().minDragTime = 0
    spin(300)
    return Bench(window, n)


def ms(timings: Timings) -> str:
    if not timings.seconds:
        return f"{'-':>17}"
    return f"{1e3 * timings.median:>8.2f} /{1e3 * max(timings.seconds):>7.1f}"


def ratio(slow: Timings, fast: Timings) -> str:
    if not slow.seconds or not fast.seconds:
        return f"{'-':>7}"
    return f"{slow.median / fast.median:>6.1f}x"


def main(argv: list[str] | None = None) -> None:
    parser = repeats_parser(__doc__)
    parser.add_argument(
        "--sizes", type=int, nargs="+", help="N to measure (default 600 1e4 1e5 1e6)"
    )
    args = parse_repeats_args(parser, argv)
    sizes = args.sizes or (SIZES[:3] if args.quick else SIZES)
    pg.setConfigOption("mouseRateLimit", -1)  # every event handled, none dropped
    app = window_app()
    print(cpu_line())
    print(f"load average at start: {load_average()}")
    print(
        f"stroke: {MOVES} moves of {STEP_PX:g} px, brush 24 px, 6 points per radius; "
        "offscreen 1280x840 window; times in ms, median / worst; each includes the repaint"
    )
    print()
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        window = new_window(folder)
        spin(300)
        for n in sizes:
            with measuring(f"N = {n:,}"):
                bench = load(window, n, rng)
                t = {name: Timings() for name in (
                    "move", "reset", "commit_move", "commit", "undo", "call",
                    "drag", "drag_naive", "drop", "drop_naive", "floor",
                )}  # fmt: skip
                strokes = 1 if args.quick else min(args.repeats, STROKES[n])
                # Warm-ups (not counted), then the variants interleaved stroke by stroke.
                added = bench.ours(Timings(), Timings(), Timings())
                bench.naive_reset(Timings())
                for _ in range(strokes):
                    added = bench.ours(t["move"], t["commit"], t["undo"])
                    bench.naive_reset(t["reset"])
                for _ in range(NAIVE_COMMIT_STROKES[n] if not args.quick else 1):
                    bench.naive_commit(added, t["commit_move"])
                for _ in range(MOVES):
                    t["floor"].measure(lambda view=bench.view: repaint(view))
                bench.move_point_calls(Timings())
                bench.move_point_calls(t["call"])
                bench.drag_point(Timings(), Timings(), live=False)
                for _ in range(2):
                    bench.drag_point(t["drag"], t["drop"], live=False)
                    bench.drag_point(t["drag_naive"], t["drop_naive"], live=True)
                rows.append((n, t))
        window.controller.mark_saved()
        window.close()
    del app

    live = data_painting.LIVE_MOVE_WORK
    print("spray stroke, per mouse move (event + repaint; 'repaint' is the repaint alone)")
    print(
        f"{'N':>10} {'repaint':>17} {'ours':>17} {'naive: re-set scatter':>22} {'ratio':>7}"
        f" {'naive: commit each move':>24} {'ratio':>7}"
    )
    for n, t in rows:
        print(
            f"{n:>10,} {ms(t['floor'])} {ms(t['move'])} {ms(t['reset']):>22} "
            f"{ratio(t['reset'], t['move'])} {ms(t['commit_move']):>24} "
            f"{ratio(t['commit_move'], t['move'])}"
        )
    print()
    print("stroke of ~200 points: commit on release (add_points + recolour + redraw), undo")
    print(f"{'N':>10} {'commit':>17} {'undo (Back)':>17} {'move_point(merge=True)':>24}")
    for n, t in rows:
        print(f"{n:>10,} {ms(t['commit'])} {ms(t['undo'])} {ms(t['call']):>24}")
    print()
    print(
        f"drag a point, per mouse move (ours edits live while N x K <= {live:,}, else "
        "on release); naive edits on every move"
    )
    print(
        f"{'N':>10} {'ours':>17} {'naive: live edit':>17} {'ratio':>7}"
        f" {'release, ours':>17} {'release, naive':>17}"
    )
    for n, t in rows:
        print(
            f"{n:>10,} {ms(t['drag'])} {ms(t['drag_naive'])} "
            f"{ratio(t['drag_naive'], t['drag'])} {ms(t['drop'])} {ms(t['drop_naive'])}"
        )


if __name__ == "__main__":
    main()
