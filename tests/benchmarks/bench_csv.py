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

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bench_common import (
    ClockTimings,
    measuring,
    parse_repeats_args,
    print_machine_header,
    print_table_header,
    repeats_parser,
    versions,
)

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.files.csv_reader import load_csv

#: (N, D) of every case of the full run.
CASES: tuple[tuple[int, int], ...] = ((100_000, 2), (100_000, 10), (1_000_000, 2), (1_000_000, 10))
N_COMPONENTS = 3
SEED = 20240601
#: The target: load_csv at most this many times loadtxt's wall time, on every case.
TARGET_RATIO = 1.0


@dataclass
class CaseResult:
    """All timings of one (N, D) case."""

    n_rows: int
    n_columns: int
    file_bytes: int
    load_csv: ClockTimings = field(default_factory=ClockTimings)
    loadtxt: ClockTimings = field(default_factory=ClockTimings)

    def ratio(self, kind: str) -> float:
        """load_csv's median over loadtxt's, of ``kind`` ('wall' or 'cpu')."""
        return getattr(self.load_csv, kind).median / getattr(self.loadtxt, kind).median


def write_clean_csv(path: Path, n_rows: int, n_columns: int) -> None:
    """A header and ``n_rows`` rows of a synthetic mixture, values written with ``repr``."""
    X = make_random_mixture(N_COMPONENTS, n_rows, n_columns, seed=SEED).X
    header = ",".join(f"x{j + 1}" for j in range(n_columns))
    with open(path, "w", encoding="ascii", newline="\n") as stream:
        stream.write(header + "\n")
        for start in range(0, n_rows, 100_000):  # bounded memory for the text
            rows = X[start : start + 100_000].tolist()
            stream.write("\n".join(",".join(map(repr, row)) for row in rows) + "\n")


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
            timings.measure(action)
    path.unlink()
    return result


def print_machine(repeats: int, quick: bool) -> None:
    mode = "quick (N / 10)" if quick else "full"
    print_machine_header(
        [versions("numpy", "scipy")],
        [f"run: {mode}, {repeats} interleaved repeats, comma-separated with a header, seed {SEED}"],
    )


def print_table(results: list[CaseResult]) -> None:
    header = (
        f"{'N':>9} {'D':>3} {'MiB':>6}  {'load_csv wall s':>15}  {'loadtxt wall s':>15}  "
        f"{'ratio':>6}  {'load_csv CPU s':>15}  {'loadtxt CPU s':>15}  {'ratio':>6}"
    )
    print_table_header(
        "seconds: median (min) over the repeats; ratio: load_csv / loadtxt, of the medians", header
    )
    for r in results:
        print(
            f"{r.n_rows:>9.0e} {r.n_columns:>3} {r.file_bytes / 2**20:>6.1f}  "
            f"{r.load_csv.wall.cell('.3f'):>15}  {r.loadtxt.wall.cell('.3f'):>15}  "
            f"{r.ratio('wall'):>5.2f}x  "
            f"{r.load_csv.cpu.cell('.3f'):>15}  {r.loadtxt.cpu.cell('.3f'):>15}  "
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
    args = parse_repeats_args(repeats_parser(__doc__), argv)

    print_machine(args.repeats, args.quick)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_csv_") as directory:
        for n_rows, n_columns in CASES:
            n = n_rows // 10 if args.quick else n_rows
            with measuring(f"N={n:.0e}, D={n_columns}"):
                results.append(run_case(Path(directory), n, n_columns, args.repeats))
    print_table(results)
    print_target(results, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
