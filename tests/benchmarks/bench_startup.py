"""Cold start to a painted window: gmmviewer's demo against a bare PySide6 + pyqtgraph window.

Each measurement launches a fresh Python process and times it from just before the
launch to the end of its window's first paint:

* **bare**: a ``QMainWindow`` holding one pyqtgraph ``PlotWidget``, as large as
  gmmviewer's window, the least any PySide6 + pyqtgraph application pays;
* **gmmviewer**: ``python -m gmmviewer`` (the real window with the lecture demo), run
  with ``GMMVIEWER_EXIT_AFTER_FIRST_PAINT=1``, which quits right after the first paint
  and prints when it came (see :class:`gmmviewer.ui.app.ExitAfterFirstPaint`). Its
  settings live in a temporary folder, so every run starts from the same defaults.

Both print ``first paint: <epoch seconds> <CPU seconds>`` once the whole window has been
painted; the wall time is that moment minus the launch, the CPU time is the process's
own by then (imports and painting included). Modules load from cached bytecode, as
they do for a user: the children write and read it under a temporary
``PYTHONPYCACHEPREFIX`` (``PYTHONDONTWRITEBYTECODE`` is dropped for them), which the
warm-up fills, so the repository gains no ``__pycache__``. The two kinds are interleaved
(which goes first alternates) ``--repeats`` times after one untimed warm-up of each,
because the machine is shared and noisy; the table shows the median and, in brackets,
the minimum, and the ratio gmmviewer / bare of the medians. The target is a ratio of at
most ``TARGET_RATIO``.

It runs on Qt's offscreen platform and, when ``Xvfb`` is installed (or ``DISPLAY`` is
set), on X11 (xcb) as well; a display the script starts itself is stopped at the end.
Run from the repository root::

    python tests/benchmarks/bench_startup.py
    python tests/benchmarks/bench_startup.py --quick           # 3 repeats
    python tests/benchmarks/bench_startup.py --platforms offscreen --repeats 15
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from bench_common import (
    Timings,
    measuring,
    print_machine_header,
    print_table_header,
    versions,
)

#: The target: gmmviewer's first paint within this many times the bare window's.
TARGET_RATIO = 1.3
PAINT_MARK = "first paint:"
KINDS = ("bare", "gmmviewer")
#: A guard against a hang; a cold start on a busy machine takes a few seconds.
LAUNCH_TIMEOUT_S = 120

BARE_WINDOW = f"""
import sys, time
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

app = QtWidgets.QApplication(sys.argv[:1])
window = QtWidgets.QMainWindow()
window.setCentralWidget(pg.PlotWidget())
screen = app.primaryScreen().availableGeometry().size()
window.resize(QtCore.QSize(1280, 840).boundedTo(screen))


class FirstPaint(QtCore.QObject):
    painted = False

    def eventFilter(self, watched, event):
        if (
            not self.painted
            and event.type() == QtCore.QEvent.Type.Paint
            and isinstance(watched, QtWidgets.QWidget)
            and watched.window() is window
        ):
            self.painted = True
            QtCore.QTimer.singleShot(0, self.report)
        return False

    def report(self):
        print("{PAINT_MARK}", f"{{time.time():.6f}}", f"{{time.process_time():.6f}}", flush=True)
        app.quit()


first_paint = FirstPaint()
app.installEventFilter(first_paint)
window.show()
sys.exit(app.exec())
"""


@dataclass
class PlatformResult:
    """Wall and CPU seconds to the first paint of each kind, on one Qt platform."""

    name: str
    wall: dict[str, Timings] = field(default_factory=lambda: {k: Timings() for k in KINDS})
    cpu: dict[str, Timings] = field(default_factory=lambda: {k: Timings() for k in KINDS})

    def ratio(self, what: str = "wall") -> float:
        timings = self.wall if what == "wall" else self.cpu
        return timings["gmmviewer"].median / timings["bare"].median


def command(kind: str) -> list[str]:
    if kind == "bare":
        return [sys.executable, "-c", BARE_WINDOW]
    return [sys.executable, "-m", "gmmviewer"]


def launch(kind: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from launch to the end of the first paint, and the CPU seconds by then."""
    env = dict(env)
    if kind == "gmmviewer":
        env["GMMVIEWER_EXIT_AFTER_FIRST_PAINT"] = "1"
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as config:
        # Fresh settings every run: the same window size and view, and the user's own
        # settings are neither read nor written.
        env["XDG_CONFIG_HOME"] = config
        started = time.time()
        result = subprocess.run(
            command(kind), env=env, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S
        )
    for line in result.stdout.splitlines():
        if line.startswith(PAINT_MARK):
            painted, cpu = (float(x) for x in line.split()[2:4])
            return painted - started, cpu
    raise RuntimeError(
        f"{kind} never reported its first paint (exit code {result.returncode}):\n"
        + result.stderr[-2000:]
    )


def measure(name: str, env: dict[str, str], repeats: int) -> PlatformResult:
    """Interleaved launches of both kinds on one platform."""
    result = PlatformResult(name)
    for kind in KINDS:
        launch(kind, env)  # warm-up: files into the page cache, fonts cached
    for repeat in range(repeats):
        for kind in KINDS if repeat % 2 == 0 else KINDS[::-1]:
            wall, cpu = launch(kind, env)
            result.wall[kind].add(wall)
            result.cpu[kind].add(cpu)
    return result


@contextmanager
def x_display() -> Iterator[str | None]:
    """An X display: ``DISPLAY`` when set, else an ``Xvfb`` started here (None if neither)."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        yield None
        return
    read_end, write_end = os.pipe()
    # -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as ready:
            number = ready.readline().strip()
        yield f":{number}" if number else None
    finally:
        server.terminate()
        server.wait(timeout=10)


def platform_envs(names: list[str], pycache: str) -> Iterator[tuple[str, dict[str, str]]]:
    """(description, environment) for each platform asked for that this machine has."""
    unset = ("QT_QPA_PLATFORM", "PYTHONDONTWRITEBYTECODE")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    base["PYTHONPYCACHEPREFIX"] = pycache
    for name in names:
        if name == "offscreen":
            yield "offscreen", dict(base, QT_QPA_PLATFORM="offscreen")
        elif name == "xcb":
            with x_display() as display:
                if display is None:
                    print("xcb: skipped (no DISPLAY and no Xvfb)\n")
                    continue
                started = "" if os.environ.get("DISPLAY") else ", an Xvfb started here"
                yield (
                    f"xcb (X11 on {display}{started})",
                    dict(base, QT_QPA_PLATFORM="xcb", DISPLAY=display),
                )


def print_machine(repeats: int) -> None:
    spec = importlib.util.find_spec("gmmviewer")
    print_machine_header(
        [f"{versions()}; gmmviewer from {spec.origin if spec else '?'}"],
        [
            f"run: {repeats} interleaved repeats after one warm-up launch of each; "
            "bytecode cached in a temporary PYTHONPYCACHEPREFIX"
        ],
    )


def print_result(result: PlatformResult) -> None:
    print(f"platform: {result.name}")
    print_table_header(
        "seconds from launch to the end of the first paint: median (min)",
        f"{'':>10}  {'wall':>15}  {'CPU':>15}",
    )
    for kind in KINDS:
        print(
            f"{kind:>10}  {result.wall[kind].cell('.3f'):>15}  {result.cpu[kind].cell('.3f'):>15}"
        )
    wall_ratio, cpu_ratio = result.ratio("wall"), result.ratio("cpu")
    print(f"{'ratio':>10}  {wall_ratio:>14.2f}x  {cpu_ratio:>14.2f}x")
    verdict = "met" if wall_ratio <= TARGET_RATIO else "not met"
    print(f"target: gmmviewer's first paint <= {TARGET_RATIO:g}x the bare window's: {verdict}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9, help="interleaved repeats (default 9)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 repeats")
    parser.add_argument(
        "--platforms",
        default="offscreen,xcb",
        help="comma-separated Qt platforms: offscreen, xcb (default both)",
    )
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    if repeats < 1:
        parser.error("--repeats must be at least 1")
    names = [name.strip() for name in args.platforms.split(",") if name.strip()]
    unknown = set(names) - {"offscreen", "xcb"}
    if unknown:
        parser.error(f"unknown platform(s): {', '.join(sorted(unknown))}")

    print_machine(repeats)
    with tempfile.TemporaryDirectory(prefix="bench-startup-pycache-") as pycache:
        for name, env in platform_envs(names, pycache):
            with measuring(name):
                result = measure(name, env, repeats)
            print_result(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
