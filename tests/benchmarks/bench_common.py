"""What the benchmark scripts share: timings, clocks, the machine header, arguments,
the EM start both libraries are timed from, and the Qt event-loop helpers.

The scripts in this folder run as ``python tests/benchmarks/bench_x.py`` from the
repository root, so this folder is first on ``sys.path`` and a plain
``from bench_common import ...`` finds this module.

At import it loads the standard library only; numpy, scikit-learn, Qt and gmmviewer are
imported by the functions that use them. ``bench_memory.py``'s children import this
module before they measure, and their peaks must not include a library their
measurement does not load.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np
    from PySide6 import QtCore, QtGui, QtWidgets
    from sklearn.mixture import GaussianMixture

    from gmmviewer.core.params import GMMParams
    from gmmviewer.ui.window.main_window import MainWindow

T = TypeVar("T")

#: The name a library's version is printed under, where it differs from its module's.
DISPLAY_NAMES = {"sklearn": "scikit-learn"}
#: Points and iterations of the small fit that gives the starting parameters.
WARM_UP_POINTS = 20_000
WARM_UP_ITERATIONS = 5


# ---------------------------------------------------------------------------- timings
@dataclass
class Timings:
    """Seconds of every repeat of one measurement."""

    seconds: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        """Note one repeat."""
        self.seconds.append(seconds)

    def measure(self, action: Callable[[], object]) -> None:
        """Call ``action`` once and note its wall-clock seconds."""
        self.add(timed(action))

    @property
    def median(self) -> float:
        """The median, or NaN when nothing was measured."""
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def minimum(self) -> float:
        """The minimum, or NaN when nothing was measured."""
        return min(self.seconds) if self.seconds else float("nan")

    def cell(self, spec: str = ".4f") -> str:
        """``median (min)`` formatted with ``spec``, or a dash when nothing was measured."""
        if not self.seconds:
            return "-"
        return f"{self.median:{spec}} ({self.minimum:{spec}})"

    def median_cell(self, spec: str = ".4f") -> str:
        """The median formatted with ``spec``, or a dash when nothing was measured."""
        return f"{self.median:{spec}}" if self.seconds else "-"


@dataclass
class ClockTimings:
    """Wall-clock and process CPU seconds of every repeat of one measurement."""

    wall: Timings = field(default_factory=Timings)
    cpu: Timings = field(default_factory=Timings)

    def add(self, wall: float, cpu: float) -> None:
        """Note one repeat."""
        self.wall.add(wall)
        self.cpu.add(cpu)

    def measure(self, action: Callable[[], T], settle_seconds: float = 0.0) -> T:
        """Call ``action`` once (see :func:`clocked`), note its seconds, return its result."""
        wall, cpu, result = clocked(action, settle_seconds)
        self.add(wall, cpu)
        return result

    def measure_burst(
        self,
        action: Callable[[], object],
        settle_seconds: float = 0.0,
        min_seconds: float = 0.0,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        """Time consecutive calls of ``action`` as one repeat, noting seconds per call.

        After ``settle_seconds`` idle, ``action`` is called back to back (``prepare``,
        untimed in spirit though inside the clock, before each: it must be cheap) until
        ``min_seconds`` have passed, at least once; the repeat is the total wall and CPU
        time over the number of calls. A fit's iterations run back to back like this; a
        single call straight after an idle spell also times the idle core waking up.
        """
        if settle_seconds > 0:
            time.sleep(settle_seconds)
        calls = 0
        cpu = time.process_time()
        wall = time.perf_counter()
        while True:
            if prepare is not None:
                prepare()
            action()
            calls += 1
            if time.perf_counter() - wall >= min_seconds:
                break
        self.add((time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls)


def timed(action: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def clocked(action: Callable[[], T], settle_seconds: float = 0.0) -> tuple[float, float, T]:
    """Wall-clock and process CPU seconds of one call, and what it returned.

    The CPU time is the whole process's, every thread summed (``time.process_time``), so
    it can exceed the wall time. With ``settle_seconds``, the call waits that long idle
    first, so that BLAS and OpenMP threads still spinning after an earlier call are asleep.
    """
    if settle_seconds > 0:
        time.sleep(settle_seconds)
    cpu = time.process_time()
    wall = time.perf_counter()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


# ---------------------------------------------------------------------------- machine
def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, or what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_line(usable: bool = True) -> str:
    """``CPU: <model>; os.cpu_count() = <n>``, then the cores this process may use."""
    text = f"CPU: {cpu_model()}; os.cpu_count() = {os.cpu_count()}"
    if usable and hasattr(os, "sched_getaffinity"):
        text += f", usable: {len(os.sched_getaffinity(0))}"
    return text


def thread_pools() -> str:
    """Thread pools (BLAS, OpenMP) and their sizes, as threadpoolctl reports them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    pools = {f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info()}
    return ", ".join(sorted(pools)) or "none"


def load_average(digits: int = 2) -> str:
    """The 1, 5 and 15 minute load averages, or 'unknown' where the system has none."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " ".join(f"{x:.{digits}f}" for x in os.getloadavg())


def versions(*modules: str) -> str:
    """``Python <version>, numpy <version>, ...`` for the modules named (imported here)."""
    parts = [f"Python {platform.python_version()}"]
    for name in modules:
        module: Any = importlib.import_module(name)
        parts.append(f"{DISPLAY_NAMES.get(name, name)} {module.__version__}")
    return ", ".join(parts)


def qt_line(app: QtGui.QGuiApplication, load: bool = True) -> str:
    """Versions (Python, numpy, pyqtgraph, Qt), CPUs, ``app``'s Qt platform, load average."""
    from pyqtgraph.Qt import QtCore

    text = (
        f"{versions('numpy', 'pyqtgraph')}, Qt {QtCore.qVersion()}, {os.cpu_count()} CPUs, "
        f"platform {app.platformName()}"
    )
    return f"{text}, load average {load_average(1)}" if load else text


def print_machine_header(about: Iterable[str], run: Iterable[str]) -> None:
    """The header of a table: the CPU, ``about`` lines, the load average, ``run`` lines."""
    print(cpu_line())
    for line in about:
        print(line)
    print(f"load average at start: {load_average()}")
    for line in run:
        print(line)
    print()


def print_table_header(caption: str, header: str) -> None:
    """``caption``, the column ``header`` and a rule as wide as it (flushed)."""
    print(caption)
    print(header)
    print("-" * len(header), flush=True)


# ---------------------------------------------------------------------------- running
def repeats_parser(doc: str, repeats: int = 5) -> argparse.ArgumentParser:
    """A parser described by ``doc``'s first paragraph, with ``--repeats`` and ``--quick``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(
        "--repeats", type=int, default=repeats, help=f"interleaved repeats (default {repeats})"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run with N divided by 10")
    return parser


def parse_repeats_args(
    parser: argparse.ArgumentParser, argv: list[str] | None
) -> argparse.Namespace:
    """``parser``'s arguments, refused unless ``--repeats`` is at least 1."""
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


@contextmanager
def measuring(what: str) -> Iterator[None]:
    """Progress on stderr: ``  measured <what> in <seconds> s`` once the block is done."""
    start = time.perf_counter()
    yield
    print(f"  measured {what} in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- EM start
def starting_params(X: np.ndarray, n_components: int, covariance_type: str = "full") -> GMMParams:
    """Mid-fit parameters: a few EM iterations from k-means on the first points."""
    from gmmviewer.core.em.fit import fit

    return fit(
        X[:WARM_UP_POINTS],
        n_components,
        covariance_type=covariance_type,
        init="kmeans",
        max_iter=WARM_UP_ITERATIONS,
        seed=0,
    ).params


def sklearn_precisions(params: GMMParams) -> np.ndarray:
    """``params``' precisions as scikit-learn's ``precisions_init`` takes them."""
    import numpy as np

    factors = params.precisions_cholesky
    if params.covariance_type == "full":
        return np.matmul(factors, factors.transpose(0, 2, 1))
    if params.covariance_type == "tied":
        return factors @ factors.T
    return factors**2


def sklearn_model(params: GMMParams) -> GaussianMixture:
    """A warm-starting one-iteration ``GaussianMixture`` that starts at ``params``."""
    from sklearn.mixture import GaussianMixture

    from gmmviewer.core.em.objective import DEFAULT_REG_COVAR

    return GaussianMixture(
        n_components=params.n_components,
        covariance_type=params.covariance_type,
        reg_covar=DEFAULT_REG_COVAR,
        warm_start=True,
        max_iter=1,
        tol=0.0,
        weights_init=params.weights,
        means_init=params.means,
        precisions_init=sklearn_precisions(params),
    )


def sklearn_iteration(model: GaussianMixture, X: np.ndarray) -> Callable[[], None] | None:
    """One iteration of ``BaseMixture.fit_predict``'s loop, or None if the API moved.

    ``_e_step`` then ``_m_step``: private API, so it may disappear.
    """
    if not (hasattr(model, "_e_step") and hasattr(model, "_m_step")):
        return None

    def iterate() -> None:
        _, log_resp = model._e_step(X)
        model._m_step(X, log_resp)

    return iterate


# ---------------------------------------------------------------------------- Qt window
def window_parser(doc: str, helps: dict[str, str]) -> argparse.ArgumentParser:
    """A window benchmark's parser: ``--quick``, ``--n``, ``--repeats``, ``--seconds``.

    Described by ``doc``'s first line; ``helps`` holds the options' help texts, by name.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=helps["quick"])
    parser.add_argument("--n", type=int, help=helps["n"])
    parser.add_argument("--repeats", type=int, help=helps["repeats"])
    parser.add_argument("--seconds", type=float, help=helps["seconds"])
    return parser


def window_app() -> QtWidgets.QApplication:
    """pyqtgraph's application, set up as gmmviewer's, with the header line printed."""
    import pyqtgraph as pg
    from PySide6 import QtCore

    from gmmviewer.ui.app import configure_pyqtgraph

    app = pg.mkQApp()
    configure_pyqtgraph()
    QtCore.qInstallMessageHandler(quiet_offscreen_notes)
    print(qt_line(app), flush=True)
    return app


def new_window(folder: str) -> MainWindow:
    """gmmviewer's window, 1280 x 840 and shown, its settings in ``folder``."""
    from PySide6 import QtCore

    from gmmviewer.ui.window.main_window import MainWindow

    settings = QtCore.QSettings(str(Path(folder) / "bench.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1280, 840)
    window.show()
    return window


def quiet_offscreen_notes(kind: QtCore.QtMsgType, context: object, message: str) -> None:
    """Qt's messages on stderr, but for the offscreen plugin's harmless notes."""
    if "This plugin does not support" not in message:
        print(message, file=sys.stderr)


def single_shot(msecs: int, call: Callable[[], object]) -> QtCore.QTimer:
    """Call ``call`` once after ``msecs`` ms, precisely (keep the returned timer)."""
    from PySide6 import QtCore

    timer = QtCore.QTimer()
    timer.setSingleShot(True)
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    timer.timeout.connect(call)
    timer.start(msecs)
    return timer


def spin(msecs: int) -> None:
    """Run the event loop for ``msecs`` milliseconds."""
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    _timer = single_shot(msecs, loop.quit)
    loop.exec()


def spin_until(condition: Callable[[], bool], timeout_s: float = 600.0) -> None:
    """Run the event loop until ``condition()`` holds (checked every millisecond)."""
    if condition():
        return
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    deadline = time.perf_counter() + timeout_s
    poll = QtCore.QTimer()
    poll.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    poll.timeout.connect(
        lambda: loop.quit() if condition() or time.perf_counter() > deadline else None
    )
    poll.start(1)
    loop.exec()
    poll.stop()
    if not condition():
        raise TimeoutError(f"the window did not get there in {timeout_s:g} s")
