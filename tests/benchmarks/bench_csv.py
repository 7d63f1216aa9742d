"""Seconds to load a clean CSV file: gmmviewer's ``load_csv`` against ``numpy.loadtxt``.

For N = 1e5 and 1e6 rows and D = 2 and 10 columns, this script writes one clean
comma-separated file with a header line (``x1,x2,...``) and N rows of a synthetic
Gaussian mixture, each value written with ``repr`` as gmmviewer's own CSV writer does
(up to 17 significant digits), into a temporary directory. It then times, on the same
file:

* **load_csv**: ``gmmviewer.core.files.csv_reader.load_csv(path)``, everything the
  window and ``gmmviewer fit`` run to load a file: reading, decoding and sniffing it
  (delimiter, header, decimal mark, index column), checking every field, counting rows
  with missing values, the limits, and building the ``Dataset``;
* **np.loadtxt**: ``np.loadtxt(path, delimiter=",", skiprows=1)``, told the delimiter
  and the header, so it checks nothing but the numbers.

Both are timed by wall clock (``time.perf_counter``) and by the CPU time of the whole
process (``time.process_time``, every thread included: the file's numbers are parsed on
every core, so wall time can be below CPU time). Measurements are interleaved
(load_csv, loadtxt, loadtxt, load_csv, ...: the order alternates so that neither always
follows the other) ``--repeats`` times after one untimed call of each, which also
checks that both return the same array, bit for bit, and fills the page cache. The
table shows the median and, in brackets, the minimum; the ratio is load_csv's median
over loadtxt's (below 1: load_csv is faster). The target is a wall-clock ratio of at
most ``TARGET_RATIO`` on every case.

Run from the repository root::

    python tests/benchmarks/bench_csv.py              # the full run, about a minute
    python tests/benchmarks/bench_csv.py --quick      # N / 10: a smoke test
    python tests/benchmarks/bench_csv.py --repeats 9
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.files.csv_reader import load_csv

#: (N, D) of every case of the full run.
CASES: tuple[tuple[int, int], ...] = ((100_000, 2), (100_000, 10), (1_000_000, 2), (1_000_000, 10))
N_COMPONENTS = 3
SEED = 20240601
#: The target: load_csv at most this many times loadtxt's wall time, on every case.
TARGET_RATIO = 1.0


@dataclass
class Timings:
    """Wall and CPU seconds of every repeat of one measurement."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)

    @staticmethod
    def cell(seconds: list[float]) -> str:
        """``median (min)``."""
        return f"{statistics.median(seconds):.3f} ({min(seconds):.3f})"


@dataclass
class CaseResult:
    """All timings of one (N, D) case."""

    n_rows: int
    n_columns: int
    file_bytes: int
    load_csv: Timings = field(default_factory=Timings)
    loadtxt: Timings = field(default_factory=Timings)

    def ratio(self, kind: str) -> float:
        """load_csv's median over loadtxt's, of ``kind`` ('wall' or 'cpu')."""
        mine = statistics.median(getattr(self.load_csv, kind))
        theirs = statistics.median(getattr(self.loadtxt, kind))
        return mine / theirs


def write_clean_csv(path: Path, n_rows: int, n_columns: int) -> None:
    """A header and ``n_rows`` rows of a synthetic mixture, values written with ``repr``."""
    X = make_random_mixture(N_COMPONENTS, n_rows, n_columns, seed=SEED).X
    header = ",".join(f"x{j + 1}" for j in range(n_columns))
    with open(path, "w", encoding="ascii", newline="\n") as stream:
        stream.write(header + "\n")
        for start in range(0, n_rows, 100_000):  # bounded memory for the text
            rows = X[start : start + 100_000].tolist()
            stream.write("\n".join(",".join(map(repr, row)) for row in rows) + "\n")


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def run_case(directory: Path, n_rows: int, n_columns: int, repeats: int) -> CaseResult:
    """Interleaved timings of one case, after a check that both read the same numbers."""
    path = directory / f"clean_{n_rows}x{n_columns}.csv"
    write_clean_csv(path, n_rows, n_columns)
    result = CaseResult(n_rows, n_columns, path.stat().st_size)

    def with_gmmviewer() -> np.ndarray:
        return load_csv(path).X

    def with_numpy() -> np.ndarray:
        return np.loadtxt(path, delimiter=",", skiprows=1)

    if not np.array_equal(with_gmmviewer(), with_numpy()):
        raise SystemExit(f"load_csv and np.loadtxt disagree on {path.name}")
    for repeat in range(repeats):
        order = [(result.load_csv, with_gmmviewer), (result.loadtxt, with_numpy)]
        for timings, action in order if repeat % 2 == 0 else order[::-1]:
            timings.add(*timed(action))
    path.unlink()
    return result


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


def print_machine(repeats: int, quick: bool) -> None:
    print(f"CPU: {cpu_model()}; os.cpu_count() = {os.cpu_count()}", end="")
    if hasattr(os, "sched_getaffinity"):
        print(f", usable: {len(os.sched_getaffinity(0))}", end="")
    print()
    print(f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}")
    if hasattr(os, "getloadavg"):
        print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    mode = "quick (N / 10)" if quick else "full"
    print(f"run: {mode}, {repeats} interleaved repeats, comma-separated with a header, seed {SEED}")
    print()


def print_table(results: list[CaseResult]) -> None:
    header = (
        f"{'N':>9} {'D':>3} {'MiB':>6}  {'load_csv wall s':>15}  {'loadtxt wall s':>15}  "
        f"{'ratio':>6}  {'load_csv CPU s':>15}  {'loadtxt CPU s':>15}  {'ratio':>6}"
    )
    print("seconds: median (min) over the repeats; ratio: load_csv / loadtxt, of the medians")
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.n_rows:>9.0e} {r.n_columns:>3} {r.file_bytes / 2**20:>6.1f}  "
            f"{Timings.cell(r.load_csv.wall):>15}  {Timings.cell(r.loadtxt.wall):>15}  "
            f"{r.ratio('wall'):>5.2f}x  "
            f"{Timings.cell(r.load_csv.cpu):>15}  {Timings.cell(r.loadtxt.cpu):>15}  "
            f"{r.ratio('cpu'):>5.2f}x"
        )
    print()


def print_target(results: list[CaseResult], quick: bool) -> None:
    worst = max(results, key=lambda r: r.ratio("wall"))
    verdict = "met" if worst.ratio("wall") <= TARGET_RATIO else "not met"
    note = " [--quick: not the target sizes]" if quick else ""
    print(
        f"target: load_csv wall time <= {TARGET_RATIO:g}x np.loadtxt's on every case: {verdict} "
        f"(worst {worst.ratio('wall'):.2f}x at N={worst.n_rows:.0e}, D={worst.n_columns}){note}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (default 5)")
    parser.add_argument("--quick", action="store_true", help="smoke run with N divided by 10")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    print_machine(args.repeats, args.quick)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_csv_") as directory:
        for n_rows, n_columns in CASES:
            n = n_rows // 10 if args.quick else n_rows
            start = time.perf_counter()
            results.append(run_case(Path(directory), n, n_columns, args.repeats))
            print(
                f"  measured N={n:.0e}, D={n_columns} in {time.perf_counter() - start:.0f} s",
                file=sys.stderr,
            )
    print_table(results)
    print_target(results, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
