"""Seconds of k-means: gmmviewer against scikit-learn, same data, measured side by side.

For N in {1e5, 1e6}, K in {3, 5, 10, 20} and D in {2, 10}, this script draws one
synthetic mixture of K components (separation ``SEPARATION``) and times, with each
library's default threading (gmmviewer's chunk threads, scikit-learn's OpenMP threads):

* **end to end**: ``kmeans(X, K, seed=r)`` against ``KMeans(K, random_state=r).fit(X)``,
  both with their defaults (k-means++ seeding, one run, Lloyd until ``tol=1e-4``). The
  two libraries draw different seeds from their random streams, so they may take
  different numbers of iterations: the medians of both are printed;
* **per Lloyd iteration**: both started from the same centres (a k-means++ seeding by
  gmmviewer) with ``tol=0`` and ``max_iter=MAX_ITER``; scikit-learn as
  ``KMeans(init=centres, n_init=1, algorithm="lloyd")``. The time of the whole call
  divided by scikit-learn's ``n_iter_``, so each library's fixed costs (input checks,
  copies, the first or last pass) are shared among the iterations. Before timing, the
  script checks that both take the same path to the same partition: the same number of
  passes over the data (scikit-learn's ``n_iter_`` counts the pass that finds the labels
  unchanged, gmmviewer's ``n_iter`` the centre updates, one fewer) and the same labels.
  Both calls are divided by the same count;
* **one Lloyd pass** (for information): the kernels alone, gmmviewer's ``_LloydPass.run``
  against scikit-learn's ``lloyd_iter_chunked_dense`` (private API, called as
  ``_kmeans_single_lloyd`` calls it; the column is blank if it disappears);
* **seeding**: ``kmeans_plusplus(X, K, rng)`` against scikit-learn's public
  ``kmeans_plusplus(X, K, random_state=r)``.

Every measurement records wall-clock time (``time.perf_counter``) and the CPU time of
the whole process, all threads (``time.process_time``). Measurements are interleaved
(gmmviewer, scikit-learn, then scikit-learn, gmmviewer, ...) ``--repeats`` times,
because the machine is shared and noisy; the tables show the median and, in brackets,
the minimum. A speed-up is scikit-learn's median over gmmviewer's: above 1, gmmviewer
is faster. The target is a wall-clock speed-up of at least 1 in every case, for the
end-to-end, per-iteration and seeding measurements. Benchmarks print figures; nothing
here asserts on time.

Run from the repository root::

    python tests/benchmarks/bench_kmeans.py               # the full run, several minutes
    python tests/benchmarks/bench_kmeans.py --quick       # N / 10: a smoke test
    python tests/benchmarks/bench_kmeans.py --repeats 9 --n 1000000
"""

from __future__ import annotations

import statistics
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from bench_common import (
    ClockTimings,
    clocked,
    measuring,
    parse_repeats_args,
    print_machine_header,
    print_table_header,
    repeats_parser,
    thread_pools,
    versions,
)
from sklearn.cluster import KMeans
from sklearn.cluster import kmeans_plusplus as sklearn_kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em.kmeans import (
    ChunkRunner,
    _LloydPass,
    _summarise,
    default_threads,
    kmeans,
    kmeans_plusplus,
)
from gmmviewer.core.em.passes import CHUNK_SIZE

SAMPLE_SIZES = (100_000, 1_000_000)
CLUSTER_COUNTS = (3, 5, 10, 20)
FEATURE_COUNTS = (2, 10)
SEPARATION = 2.0
SEED = 20240601
#: Iterations of the per-iteration comparison, unless both converge sooner.
MAX_ITER = 20
#: The measurements whose wall-clock speed-up is the target.
TARGETS = ("end to end", "per Lloyd iteration", "seeding")
MEASUREMENTS = ("end to end", "per Lloyd iteration", "one Lloyd pass", "seeding")


@dataclass
class RunTimings(ClockTimings):
    """Wall-clock and CPU seconds of every repeat of one measurement, and its iterations."""

    iterations: list[int] = field(default_factory=list)

    def add(self, wall: float, cpu: float, iterations: int = 0) -> None:
        super().add(wall, cpu)
        self.iterations.append(iterations)

    @property
    def iterations_median(self) -> float:
        return float(statistics.median(self.iterations)) if self.iterations else float("nan")


@dataclass
class CaseResult:
    """Timings of one (N, K, D) case: gmmviewer's and scikit-learn's per measurement."""

    n_samples: int
    n_clusters: int
    n_features: int
    ours: dict[str, RunTimings] = field(default_factory=dict)
    theirs: dict[str, RunTimings] = field(default_factory=dict)
    same_path: str = ""

    def __post_init__(self) -> None:
        for name in MEASUREMENTS:
            self.ours[name] = RunTimings()
            self.theirs[name] = RunTimings()

    def speed_up(self, name: str, clock: str = "wall") -> float:
        """scikit-learn's median over gmmviewer's: above 1, gmmviewer is faster."""
        ours, theirs = self.ours[name], self.theirs[name]
        if clock == "wall":
            return theirs.wall.median / ours.wall.median
        return theirs.cpu.median / ours.cpu.median


def sklearn_lloyd_pass(X: np.ndarray, centres: np.ndarray) -> Callable[[], object] | None:
    """One pass of scikit-learn's Lloyd kernel, as its fit calls it, or None if it moved."""
    try:
        from sklearn.cluster._k_means_lloyd import lloyd_iter_chunked_dense
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    n_clusters = centres.shape[0]
    sample_weight = np.ones(X.shape[0])
    centres_new = np.empty_like(centres)
    weight_in_clusters = np.empty(n_clusters)
    labels = np.empty(X.shape[0], dtype=np.int32)
    centre_shift = np.empty(n_clusters)
    n_threads = _openmp_effective_n_threads()

    def iterate() -> None:
        # KMeans.fit runs its Lloyd loop with BLAS limited to one thread.
        with threadpool_limits(limits=1, user_api="blas"):
            lloyd_iter_chunked_dense(
                X,
                sample_weight,
                centres,
                centres_new,
                weight_in_clusters,
                labels,
                centre_shift,
                n_threads,
            )

    return iterate


def run_case(n_samples: int, n_clusters: int, n_features: int, repeats: int) -> CaseResult:
    """Interleaved timings of one case."""
    X = make_random_mixture(n_clusters, n_samples, n_features, separation=SEPARATION, seed=SEED).X
    result = CaseResult(n_samples, n_clusters, n_features)
    start, _ = kmeans_plusplus(X, n_clusters, np.random.default_rng(SEED))

    def ours_lloyd() -> object:
        return kmeans(X, n_clusters, max_iter=MAX_ITER, tol=0.0, initial_centres=start)

    def theirs_lloyd() -> object:
        model = KMeans(
            n_clusters, init=start, n_init=1, max_iter=MAX_ITER, tol=0.0, algorithm="lloyd"
        )
        return model.fit(X)

    # The same start takes both libraries along the same path (checked untimed).
    ours_fit = ours_lloyd()
    theirs_fit = theirs_lloyd()
    iterations = int(theirs_fit.n_iter_)
    agree = np.mean(ours_fit.labels == theirs_fit.labels_)
    gap = np.max(np.abs(ours_fit.centres - theirs_fit.cluster_centers_))
    result.same_path = (
        f"n_iter {ours_fit.n_iter} / n_iter_ {theirs_fit.n_iter_}, labels agree "
        f"{agree:.6f}, max |centre difference| {gap:.1e}"
    )

    runner = ChunkRunner(n_samples, CHUNK_SIZE, None)
    summary = _summarise(X, runner)
    lloyd = _LloydPass(X, n_clusters, runner, summary.total_squared_norm)
    theirs_pass = sklearn_lloyd_pass(X, start)
    lloyd.run(start)  # warm-up

    pairs: list[tuple[str, Callable[[int], object], Callable[[int], object]]] = [
        (
            "end to end",
            lambda r: kmeans(X, n_clusters, seed=r),
            lambda r: KMeans(n_clusters, random_state=r).fit(X),
        ),
        ("per Lloyd iteration", lambda r: ours_lloyd(), lambda r: theirs_lloyd()),
        (
            "seeding",
            lambda r: kmeans_plusplus(X, n_clusters, np.random.default_rng(r)),
            lambda r: sklearn_kmeans_plusplus(X, n_clusters, random_state=r),
        ),
    ]
    for repeat in range(repeats):
        for name, ours, theirs in pairs:
            order = [("ours", ours), ("theirs", theirs)]
            if repeat % 2:
                order.reverse()
            for who, action in order:
                wall, cpu, fitted = clocked(partial(action, repeat))
                done = int(getattr(fitted, "n_iter", 0) or getattr(fitted, "n_iter_", 0) or 0)
                if name == "per Lloyd iteration":
                    wall, cpu = wall / iterations, cpu / iterations
                target = result.ours if who == "ours" else result.theirs
                target[name].add(wall, cpu, done)
        # The kernels, interleaved the same way.
        kernels = [("ours", lambda: lloyd.run(start)), ("theirs", theirs_pass)]
        if repeat % 2:
            kernels.reverse()
        for who, action in kernels:
            if action is None:
                continue
            wall, cpu, _ = clocked(action)
            target = result.ours if who == "ours" else result.theirs
            target["one Lloyd pass"].add(wall, cpu)
    runner.close()
    return result


def print_machine(repeats: int, quick: bool) -> None:
    mode = "quick (N / 10)" if quick else "full"
    print_machine_header(
        [
            f"{versions('numpy', 'sklearn')}; thread pools: {thread_pools()}; "
            f"gmmviewer k-means threads: {default_threads()}"
        ],
        [
            f"run: {mode}, {repeats} interleaved repeats, separation {SEPARATION:g}, "
            f"seed {SEED}, per-iteration runs of at most {MAX_ITER} iterations"
        ],
    )


def print_tables(results: list[CaseResult]) -> None:
    for name in MEASUREMENTS:
        unit = "s/iteration" if name == "per Lloyd iteration" else "s"
        header = (
            f"{'N':>7} {'K':>3} {'D':>3}  {'gmmviewer wall':>19}  {'sklearn wall':>19}  "
            f"{'speed-up':>8}  {'gmmviewer CPU':>13}  {'sklearn CPU':>11}  {'speed-up':>8}"
        )
        if name == "end to end":
            header += f"  {'iterations (ours / sklearn)':>27}"
        print_table_header(f"{name} ({unit}; wall: median (min); CPU: median, all threads)", header)
        for r in results:
            ours, theirs = r.ours[name], r.theirs[name]
            line = (
                f"{r.n_samples:>7.0e} {r.n_clusters:>3} {r.n_features:>3}  {ours.wall.cell():>19}"
            )
            if not theirs.wall.seconds:
                print(line + "  (scikit-learn's kernel is not available)")
                continue
            line += (
                f"  {theirs.wall.cell():>19}  {r.speed_up(name):>7.2f}x  {ours.cpu.median:>13.4f}  "
                f"{theirs.cpu.median:>11.4f}  {r.speed_up(name, 'cpu'):>7.2f}x"
            )
            if name == "end to end":
                line += f"  {ours.iterations_median:>13g} / {theirs.iterations_median:<11g}"
            print(line)
        print()
    print("same start, same path (per-iteration runs): iterations ours / sklearn, ...")
    for r in results:
        print(f"{r.n_samples:>7.0e} {r.n_clusters:>3} {r.n_features:>3}  {r.same_path}")
    print()


def print_target(results: list[CaseResult], quick: bool) -> None:
    note = " [--quick: N / 10, not the target sizes]" if quick else ""
    for name in TARGETS:
        speed_ups = [r.speed_up(name) for r in results]
        met = sum(s >= 1.0 for s in speed_ups)
        worst = min(speed_ups)
        cpu_worst = min(r.speed_up(name, "cpu") for r in results)
        print(
            f"target: {name} at least as fast as scikit-learn (wall, median): "
            f"{'met' if met == len(results) else 'not met'} in {met} of {len(results)} "
            f"cases; worst wall speed-up {worst:.2f}x, worst CPU speed-up "
            f"{cpu_worst:.2f}x{note}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = repeats_parser(__doc__)
    parser.add_argument(
        "--n", type=int, choices=SAMPLE_SIZES, help="measure only this N (before --quick)"
    )
    args = parse_repeats_args(parser, argv)
    warnings.simplefilter("ignore", ConvergenceWarning)

    print_machine(args.repeats, args.quick)
    results = []
    for n_samples in (args.n,) if args.n else SAMPLE_SIZES:
        n = n_samples // 10 if args.quick else n_samples
        for n_features in FEATURE_COUNTS:
            for n_clusters in CLUSTER_COUNTS:
                with measuring(f"N={n:.0e}, K={n_clusters}, D={n_features}"):
                    results.append(run_case(n, n_clusters, n_features, args.repeats))
    print_tables(results)
    print_target(results, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
