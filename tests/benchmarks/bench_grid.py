"""Seconds per EM iteration over a grid: gmmviewer against scikit-learn and a machine floor.

For every case of the grid N in {1e5, 1e6, 1e7}, K in {3, 5, 10, 20}, D in {2, 3, 10}
and covariance type in {full, diag} (72 cases; ``--n``, ``--k``, ``--d`` and ``--types``
pick a part), this script draws one synthetic mixture
(``make_random_mixture(K, N, D, separation=3.0)``), fits ``WARM_UP_ITERATIONS`` EM
iterations on its first ``WARM_UP_POINTS`` points (k-means start, seed 0) to get
realistic mid-fit parameters, and times one full EM iteration on all N points from
those parameters with:

* **gmmviewer**: ``e_step_streaming(passes, params, bounds=bounds)`` then
  ``m_step(stats, reg_covar, params, data_variance)``, exactly the body of the loop in
  :func:`gmmviewer.core.em.fit.fit`, with ``passes = pass_data(X, dtype)`` and
  ``bounds = data_bounds(X)`` made outside the timer. In float64 (``passes`` is ``X``)
  and in float32 (``passes`` is a float32 copy of ``X``, made once, untimed). Default
  threading: each pass runs its chunks on gmmviewer's pass threads (both cores, or
  ``GMMVIEWER_THREADS``) with BLAS held to one thread inside them;
* **scikit-learn**: ``model._e_step(X)`` then ``model._m_step(X, log_resp)``, exactly
  the body of the loop in ``BaseMixture.fit_predict`` (private API), on a
  ``GaussianMixture(covariance_type=..., warm_start=True, max_iter=1, tol=0)`` built
  with ``weights_init``, ``means_init`` and ``precisions_init`` from the same starting
  parameters and fitted once, untimed, to set it up. Its state is put back to the
  starting parameters (untimed) before every timed iteration, so both libraries time
  the same iteration. Default threading (OpenBLAS and OpenMP on both cores). In
  float64, and in float32 (``X.astype(float32)``: scikit-learn keeps float32 input and
  computes in it) unless ``--no-sklearn-float32``.

Each repeat runs one library's iteration back to back for at least ``BURST_SECONDS`` (0.5
s, about a fit of a few dozen iterations at N = 1e6; at least once) and records the mean
per iteration: a fit runs its iterations back to back, and on this 2-vCPU virtual machine
an iteration timed alone straight after an idle spell ran on one core while the other woke
up (12-21 ms against 9-10 ms for the iterations after it, gmmviewer at N = 1e6, K = 5, D =
2). scikit-learn's iterations take 0.2-3 s, so it runs one or two per repeat; its state is
put back before each (a few array copies). Every measurement records wall-clock time
(``time.perf_counter``) and the CPU time of the whole process, all threads summed
(``time.process_time``; a CPU time near twice the wall time means both cores were busy,
spinning BLAS threads included). Measurements are interleaved (gmmviewer, scikit-learn,
gmmviewer, ...) ``--repeats`` times, because the 2-core machine is shared and noisy, each
after ``SETTLE_SECONDS`` (0.25 s) idle so that the BLAS and OpenMP threads still spinning
after the previous call (up to about 0.1 s; they doubled gmmviewer's CPU time when measured
straight after scikit-learn) are asleep, in one round per type (float64 then float32): a
gmmviewer pass keeps its per-thread scratch buffers for one type at a time, so alternating
types call by call would make it reallocate them at every call, which no fit does. Each
round starts with one untimed gmmviewer iteration. Tables show the median and, in brackets,
the minimum; a speed-up is scikit-learn's median over gmmviewer's (above 1, gmmviewer is
faster), a ratio of medians. The targets use wall time, gmmviewer float64 against
scikit-learn float64. ``gmm32 x`` compares gmmviewer float32 with scikit-learn float64 (and
``/skl32`` with scikit-learn float32).

**The floor** is a one-core estimate of the least time an iteration could take on this
machine, from rates measured at the start of the run (median of ``FLOOR_REPEATS``):

* memory bandwidth: ``np.copyto`` of a 200 MB float64 array into another (already
  touched), counting 400 MB moved (read + write);
* ``np.exp``: nanoseconds per element, float64 and float32, on an in-cache 65,536-element
  array of values in [-20, 0];
* GEMM: flop rate of one 1000 x 1000 matrix product (2e9 flops) with BLAS held to one
  thread (threadpoolctl), DGEMM and SGEMM.

Floor per iteration = (N D + N K) s / bandwidth + N K t_exp + flops / GEMM rate, with
s the item size (8 or 4 bytes: reading X once and writing an N x K array once), and
flops = 2 N K D^2 (Mahalanobis distances) + 2 N K D^2 (second moments) for full, and
6 N K D for diag. It is a floor for *one core*: gmmviewer uses both, so a ratio below 1
is possible. ``gmm/floor`` is gmmviewer's median wall time over the floor, in the same
type.

Before timing, the script checks that both libraries start from the same point: the
mean log-likelihood of the starting parameters from gmmviewer's pass (total / N) against
scikit-learn's ``score(X)`` on the set-up model put back to those parameters; the
``ll gap`` columns print the absolute difference (float64, then gmmviewer float32 against
scikit-learn float64).

A case whose scikit-learn arrays would exceed ``--max-gb`` (default 8) is skipped, with
the estimate printed: X plus five (N x K) arrays and some (N x D) ones at the peak of an
iteration, 8 (N (5 K + D + 2) + N D) bytes in float64. At N = 1e7 every K = 20 case is
skipped by default. N = 1e7 runs 1 repeat by default (scikit-learn takes up to a minute
per iteration there), other N ``--repeats`` (default 3); an explicit ``--repeats`` sets
all. Benchmarks print figures; nothing here asserts on time. Rows are printed as the
cases finish, then a "targets" block (issue 13):

* gmmviewer float64 at least 10x scikit-learn at N = 1e6, D = 2, K = 5 and 20;
* at least 5x at N = 1e6, D = 10, full, and 3x at D = 10, diag (K = 5 and 20 and any
  other K measured at N = 1e6);
* never slower (speed-up at least 1) in any measured case at N >= 1e5;
* within 2x of the floor at N = 1e6, K = 5, D = 2.

The D = 2 targets and the floor target hold for both covariance types.

Run from the repository root::

    python tests/benchmarks/bench_grid.py                # the full grid: hours
    python tests/benchmarks/bench_grid.py --quick        # N = 1e5 only, 2 repeats
    python tests/benchmarks/bench_grid.py --n 1e6 --k 5,20 --d 2,10   # the targets
    python tests/benchmarks/bench_grid.py --n 1e7 --k 3,5 --max-gb 12
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from bench_common import (
    ClockTimings,
    load_average,
    measuring,
    print_machine_header,
    print_table_header,
    sklearn_iteration,
    sklearn_model,
    starting_params,
    versions,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_info, threadpool_limits

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em.estep import e_step_streaming
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.objective import DEFAULT_REG_COVAR
from gmmviewer.core.em.passes import data_bounds, feature_variance, pass_data
from gmmviewer.core.parallel.threads import pass_threads
from gmmviewer.core.params import GMMParams

#: The full grid.
GRID_N: tuple[int, ...] = (100_000, 1_000_000, 10_000_000)
GRID_K: tuple[int, ...] = (3, 5, 10, 20)
GRID_D: tuple[int, ...] = (2, 3, 10)
GRID_TYPES: tuple[str, ...] = ("full", "diag")
SEPARATION = 3.0
SEED = 20240613
DEFAULT_REPEATS = 3
QUICK_REPEATS = 2
#: N from which one repeat is the default.
LARGE_N = 10_000_000
LARGE_N_REPEATS = 1
DEFAULT_MAX_GB = 8.0
#: Repeats of each floor rate measurement.
FLOOR_REPEATS = 5
DTYPES = ("float64", "float32")
#: Idle seconds before every timed call: OpenBLAS and OpenMP worker threads spin for a
#: while after a call returns, and the next call (of either library) would share the
#: cores with them and count their CPU time.
SETTLE_SECONDS = 0.25
#: Each repeat runs iterations back to back for at least this long (one iteration when
#: a single one takes longer, as scikit-learn's mostly do) and counts the mean: about
#: what a fit of a few dozen iterations takes at N = 1e6. On this 2-vCPU virtual machine
#: the second core comes back slowly from an idle spell: straight after 0.25 s idle a
#: gmmviewer iteration at N = 1e6, K = 5, D = 2 took 12-21 ms, the ones after it 9-10 ms;
#: a fit runs its iterations back to back.
BURST_SECONDS = 0.5

#: The targets of issue 13, all at N = TARGET_N, gmmviewer float64 against
#: scikit-learn float64, wall time.
TARGET_N = 1_000_000
TARGET_D2_SPEED_UP = 10.0
TARGET_D2_K = (5, 20)
TARGET_D10_K = (5, 20)
TARGET_D10_SPEED_UP = {"full": 5.0, "diag": 3.0}
TARGET_FLOOR_RATIO = 2.0
TARGET_FLOOR_CASE = (1_000_000, 5, 2)  # (N, K, D)
TARGET_SLOWEST_N = 100_000


@dataclass(frozen=True)
class FloorRates:
    """What one core of this machine does per second, measured at the start."""

    bandwidth: float  # bytes per second, read + write
    exp_seconds: dict[str, float]  # per element, by type
    gemm_rate: dict[str, float]  # flops per second, by type

    def floor(self, n: int, k: int, d: int, kind: str, dtype: str) -> float:
        """The one-core floor of one iteration, seconds."""
        size = np.dtype(dtype).itemsize
        flops = 4.0 * n * k * d * d if kind == "full" else 6.0 * n * k * d
        return (
            (n * d + n * k) * size / self.bandwidth
            + n * k * self.exp_seconds[dtype]
            + flops / self.gemm_rate[dtype]
        )


def timings_per_type() -> dict[str, ClockTimings]:
    """Empty timings for each type of ``DTYPES``."""
    return {dtype: ClockTimings() for dtype in DTYPES}


@dataclass
class CaseResult:
    """All timings of one case."""

    n_samples: int
    n_components: int
    n_features: int
    kind: str
    gmm: dict[str, ClockTimings] = field(default_factory=timings_per_type)
    skl: dict[str, ClockTimings] = field(default_factory=timings_per_type)
    floor: dict[str, float] = field(default_factory=dict)
    log_likelihood_gap: dict[str, float] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, int, int, str]:
        return (self.n_samples, self.n_components, self.n_features, self.kind)

    def speed_up(self, gmm_dtype: str = "float64", skl_dtype: str = "float64") -> float:
        """scikit-learn's median wall time over gmmviewer's."""
        return self.skl[skl_dtype].wall.median / self.gmm[gmm_dtype].wall.median

    def floor_ratio(self, dtype: str = "float64") -> float:
        return self.gmm[dtype].wall.median / self.floor.get(dtype, float("nan"))


def seconds_text(seconds: float) -> str:
    """Seconds in 3 significant digits, or 'nan'."""
    if not np.isfinite(seconds):
        return "nan"
    return f"{seconds:.3g}"


def n_text(n: int) -> str:
    """1e5 for 100000; other counts as they are."""
    power = round(np.log10(n))
    return f"1e{power}" if 10**power == n else str(n)


def ratio_text(ratio: float) -> str:
    return "-" if not np.isfinite(ratio) else f"{ratio:.2f}x"


# ---------------------------------------------------------------------------- floor


def measure_floor_rates(repeats: int = FLOOR_REPEATS) -> FloorRates:
    """Bandwidth, exp time and one-thread GEMM rates of this machine (medians)."""
    source = np.ones(25_000_000)  # 200 MB
    target = np.zeros_like(source)
    copies = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        copies.append(time.perf_counter() - start)
    bandwidth = 2 * source.nbytes / statistics.median(copies)
    del source, target

    rng = np.random.default_rng(0)
    exp_seconds = {}
    gemm_rate = {}
    for dtype in DTYPES:
        values = rng.uniform(-20.0, 0.0, 65_536).astype(dtype)
        out = np.empty_like(values)
        loops = 200
        np.exp(values, out=out)
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(loops):
                np.exp(values, out=out)
            runs.append((time.perf_counter() - start) / (loops * values.size))
        exp_seconds[dtype] = statistics.median(runs)

        a = rng.standard_normal((1000, 1000)).astype(dtype)
        b = rng.standard_normal((1000, 1000)).astype(dtype)
        c = np.empty_like(a)
        with threadpool_limits(limits=1, user_api="blas"):
            np.matmul(a, b, out=c)
            runs = []
            for _ in range(repeats):
                start = time.perf_counter()
                np.matmul(a, b, out=c)
                runs.append(time.perf_counter() - start)
        gemm_rate[dtype] = 2.0 * 1000**3 / statistics.median(runs)
    return FloorRates(bandwidth, exp_seconds, gemm_rate)


# ---------------------------------------------------------------------------- one case


def sklearn_state(params: GMMParams, dtype: np.dtype) -> dict[str, np.ndarray]:
    """scikit-learn's fitted attributes for ``params`` (same Cholesky convention)."""
    return {
        "weights_": np.array(params.weights, dtype=dtype),
        "means_": np.array(params.means, dtype=dtype),
        "covariances_": np.array(params.covariances, dtype=dtype),
        "precisions_cholesky_": np.array(params.precisions_cholesky, dtype=dtype),
    }


def fitted_sklearn_model(params: GMMParams, X: np.ndarray) -> GaussianMixture:
    """A one-iteration GaussianMixture started at ``params`` and fitted once on ``X``."""
    model = sklearn_model(params)
    model.fit(X)
    return model


def restore(model: GaussianMixture, state: dict[str, np.ndarray]) -> None:
    """Put ``model`` back to the starting parameters (copies: the M-step replaces them)."""
    for name, value in state.items():
        setattr(model, name, value.copy())


def sklearn_bytes(n: int, k: int, d: int) -> float:
    """Estimated peak bytes of a scikit-learn float64 iteration, X included."""
    return 8.0 * (n * (5 * k + d + 2) + n * d)


def run_case(
    n: int,
    k: int,
    d: int,
    kind: str,
    repeats: int,
    rates: FloorRates,
    sklearn_float32: bool,
) -> CaseResult:
    """Interleaved timings of one case."""
    seed = SEED + 1000 * k + d
    X = make_random_mixture(k, n, d, separation=SEPARATION, seed=seed).X
    params = starting_params(X, k, covariance_type=kind)
    data_variance = float(np.mean(feature_variance(X)))
    bounds = data_bounds(X)
    passes = {dtype: pass_data(X, dtype) for dtype in DTYPES}
    result = CaseResult(n, k, d, kind)
    for dtype in DTYPES:
        result.floor[dtype] = rates.floor(n, k, d, kind, dtype)

    def gmm_iteration(dtype: str) -> Callable[[], object]:
        data = passes[dtype]

        def iterate() -> GMMParams:
            _, stats = e_step_streaming(data, params, bounds=bounds)
            assert stats is not None
            return m_step(stats, DEFAULT_REG_COVAR, params, data_variance).params

        return iterate

    # The same start: the mean log-likelihood of the starting parameters in both.
    model64 = fitted_sklearn_model(params, X)
    state64 = sklearn_state(params, np.dtype(np.float64))
    restore(model64, state64)
    sklearn_log_likelihood = float(model64.score(X))
    for dtype in DTYPES:
        total, _ = e_step_streaming(passes[dtype], params, statistics=False)
        result.log_likelihood_gap[dtype] = abs(total / n - sklearn_log_likelihood)

    models: dict[str, tuple[GaussianMixture, dict[str, np.ndarray], np.ndarray]] = {
        "float64": (model64, state64, X)
    }
    if sklearn_float32:
        X32 = X.astype(np.float32)
        model32 = fitted_sklearn_model(params, X32)
        models["float32"] = (model32, sklearn_state(params, model32.means_.dtype), X32)

    for dtype in DTYPES:
        gmm_iterate = gmm_iteration(dtype)
        gmm_iterate()  # untimed: this type's scratch buffers on every pass thread
        model_entry = models.get(dtype)
        for _ in range(repeats):
            result.gmm[dtype].measure_burst(gmm_iterate, SETTLE_SECONDS, BURST_SECONDS)
            if model_entry is not None:
                model, state, data = model_entry
                iterate = sklearn_iteration(model, data)
                assert iterate is not None, "scikit-learn's _e_step or _m_step has moved"
                result.skl[dtype].measure_burst(
                    iterate,
                    SETTLE_SECONDS,
                    BURST_SECONDS,
                    prepare=lambda model=model, state=state: restore(model, state),
                )
    return result


# ---------------------------------------------------------------------------- printing


def thread_pool_details() -> str:
    """BLAS and OpenMP libraries with their versions and thread counts (threadpoolctl)."""
    pools = set()
    for pool in threadpool_info():
        version = pool.get("version") or ""
        arch = pool.get("architecture")
        text = f"{pool['internal_api']} {version}".strip()
        if arch:
            text += f" ({arch})"
        pools.add(f"{text}: {pool['num_threads']} threads")
    return "; ".join(sorted(pools)) or "none"


def print_machine(args: argparse.Namespace, rates: FloorRates) -> None:
    repeats = (
        f"{args.repeats} interleaved repeats"
        if args.repeats_given
        else f"{args.repeats} interleaved repeats ({LARGE_N_REPEATS} at N >= {n_text(LARGE_N)}, "
        "the default there)"
    )
    mode = "quick (N = 1e5 only)" if args.quick else "grid"
    sk32 = "" if args.sklearn_float32 else "; scikit-learn float32 not measured"
    print_machine_header(
        [
            versions("numpy", "scipy", "sklearn"),
            f"thread pools: {thread_pool_details()}",
            f"gmmviewer pass threads: {pass_threads()}",
        ],
        [
            f"floor rates (one core, median of {FLOOR_REPEATS}): memory bandwidth "
            f"{rates.bandwidth / 1e9:.1f} GB/s (200 MB copy, read + write); np.exp "
            f"{rates.exp_seconds['float64'] * 1e9:.2f} ns (float64), "
            f"{rates.exp_seconds['float32'] * 1e9:.2f} ns (float32) per element; "
            f"GEMM {rates.gemm_rate['float64'] / 1e9:.1f} GFLOP/s (float64), "
            f"{rates.gemm_rate['float32'] / 1e9:.1f} GFLOP/s (float32)",
            f"run: {mode}, {repeats}, separation {SEPARATION:g}, seed {SEED}, "
            f"memory budget {args.max_gb:g} GB{sk32}",
        ],
    )


COLUMNS = (
    ("N", 6),
    ("K", 3),
    ("D", 3),
    ("type", 4),
    ("gmm64 wall s", 17),
    ("cpu s", 7),
    ("skl64 wall s", 17),
    ("cpu s", 7),
    ("x wall", 7),
    ("x cpu", 7),
    ("gmm32 wall s", 17),
    ("cpu s", 7),
    ("skl32 wall s", 17),
    ("cpu s", 7),
    ("gmm32 x", 7),
    ("/skl32", 7),
    ("floor64", 8),
    ("gmm/fl", 7),
    ("floor32", 8),
    ("gmm/fl", 7),
    ("ll gap64", 8),
    ("gap32", 7),
)


def row(cells: Iterable[str]) -> str:
    return " ".join(f"{cell:>{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True))


def print_header() -> None:
    print_table_header(
        "seconds per iteration: wall median (min), CPU median (all threads); x = scikit-learn "
        "over gmmviewer, ratio of medians (float64 both; 'gmm32 x' is gmmviewer float32 over "
        "scikit-learn float64, '/skl32' over scikit-learn float32); floor = one-core "
        "estimate, gmm/fl = gmmviewer wall over it; ll gap = |mean log-likelihood "
        "difference| at the start",
        row(name for name, _ in COLUMNS),
    )


def print_row(r: CaseResult) -> None:
    cpu_speed_up = r.skl["float64"].cpu.median / r.gmm["float64"].cpu.median
    cells = (
        n_text(r.n_samples),
        str(r.n_components),
        str(r.n_features),
        r.kind,
        r.gmm["float64"].wall.cell(".3g"),
        r.gmm["float64"].cpu.median_cell(".3g"),
        r.skl["float64"].wall.cell(".3g"),
        r.skl["float64"].cpu.median_cell(".3g"),
        ratio_text(r.speed_up()),
        ratio_text(cpu_speed_up),
        r.gmm["float32"].wall.cell(".3g"),
        r.gmm["float32"].cpu.median_cell(".3g"),
        r.skl["float32"].wall.cell(".3g"),
        r.skl["float32"].cpu.median_cell(".3g"),
        ratio_text(r.speed_up("float32", "float64")),
        ratio_text(r.speed_up("float32", "float32")),
        seconds_text(r.floor["float64"]),
        ratio_text(r.floor_ratio("float64")),
        seconds_text(r.floor["float32"]),
        ratio_text(r.floor_ratio("float32")),
        f"{r.log_likelihood_gap['float64']:.1e}",
        f"{r.log_likelihood_gap['float32']:.1e}",
    )
    print(row(cells), flush=True)


def case_label(r: CaseResult) -> str:
    return f"K={r.n_components} D={r.n_features} {r.kind}"


def verdict(
    label: str,
    required: list[tuple[int, int, int, str]],
    found: dict[tuple[int, int, int, str], CaseResult],
    value: Callable[[CaseResult], float],
    passes: Callable[[float], bool],
    extra: Iterable[CaseResult] = (),
) -> None:
    """One target line: met, not met, or not (fully) measured, with every figure."""
    measured = [found[key] for key in required if key in found]
    measured += [r for r in extra if r.key not in required]
    missing = [key for key in required if key not in found]
    figures = ", ".join(f"{case_label(r)} {ratio_text(value(r))}" for r in measured)
    if not measured:
        print(f"{label}: not measured")
        return
    if not all(passes(value(r)) for r in measured):
        state = "not met"
    elif missing:
        state = "met where measured, " + ", ".join(
            f"K={k} D={d} {kind} not measured" for _, k, d, kind in missing
        )
    else:
        state = "met"
    print(f"{label}: {state} ({figures})")


def print_targets(results: list[CaseResult], quick: bool) -> None:
    found = {r.key: r for r in results}
    target_n = f"N={n_text(TARGET_N)}"
    print()
    print(
        "targets (issue 13; gmmviewer float64 against scikit-learn float64, wall time, "
        "ratio of medians):"
    )
    verdict(
        f"  >= {TARGET_D2_SPEED_UP:g}x at {target_n}, D=2, K={' and '.join(map(str, TARGET_D2_K))}",
        [(TARGET_N, k, 2, kind) for k in TARGET_D2_K for kind in GRID_TYPES],
        found,
        CaseResult.speed_up,
        lambda x: x >= TARGET_D2_SPEED_UP,
    )
    for kind, target in TARGET_D10_SPEED_UP.items():
        verdict(
            f"  >= {target:g}x at {target_n}, D=10, {kind}",
            [(TARGET_N, k, 10, kind) for k in TARGET_D10_K],
            found,
            CaseResult.speed_up,
            lambda x, target=target: x >= target,
            extra=[
                r
                for r in results
                if r.n_samples == TARGET_N and r.n_features == 10 and r.kind == kind
            ],
        )
    eligible = [r for r in results if r.n_samples >= TARGET_SLOWEST_N]
    if eligible:
        slowest = min(eligible, key=CaseResult.speed_up)
        slower = [r for r in eligible if not r.speed_up() >= 1.0]
        state = "met" if not slower else f"not met ({len(slower)} of {len(eligible)} slower)"
        print(
            f"  never slower at N >= {n_text(TARGET_SLOWEST_N)} ({len(eligible)} cases "
            f"measured): {state} (lowest {ratio_text(slowest.speed_up())} at "
            f"N={n_text(slowest.n_samples)} {case_label(slowest)})"
        )
    else:
        print(f"  never slower at N >= {n_text(TARGET_SLOWEST_N)}: not measured")
    n, k, d = TARGET_FLOOR_CASE
    verdict(
        f"  within {TARGET_FLOOR_RATIO:g}x of the one-core floor at {target_n}, K={k}, D={d} "
        "(gmmviewer wall / floor)",
        [(n, k, d, kind) for kind in GRID_TYPES],
        found,
        CaseResult.floor_ratio,
        lambda x: x <= TARGET_FLOOR_RATIO,
    )
    if quick:
        print("  [--quick measures N = 1e5 only: the N = 1e6 targets are not measured]")


# ---------------------------------------------------------------------------- main


def number_list(text: str, convert: Callable[[str], int | str]) -> list:
    try:
        return [convert(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n",
        type=lambda s: number_list(s, lambda x: int(float(x))),
        default=list(GRID_N),
        help="sample counts, e.g. 1e5,1e6 (default: 1e5,1e6,1e7)",
    )
    parser.add_argument(
        "--k", type=lambda s: number_list(s, int), default=list(GRID_K), help="components"
    )
    parser.add_argument(
        "--d", type=lambda s: number_list(s, int), default=list(GRID_D), help="features"
    )
    parser.add_argument(
        "--types",
        type=lambda s: number_list(s, str),
        default=list(GRID_TYPES),
        help="covariance types, e.g. full,diag",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help=f"interleaved repeats (default {DEFAULT_REPEATS}; {LARGE_N_REPEATS} at N = 1e7)",
    )
    parser.add_argument(
        "--max-gb",
        type=float,
        default=DEFAULT_MAX_GB,
        help=f"skip cases whose scikit-learn arrays would exceed this (default {DEFAULT_MAX_GB:g})",
    )
    parser.add_argument("--quick", action="store_true", help="N = 1e5 only, 2 repeats")
    parser.add_argument(
        "--no-sklearn-float32",
        dest="sklearn_float32",
        action="store_false",
        help="do not time scikit-learn on float32 data",
    )
    args = parser.parse_args(argv)
    args.repeats_given = args.repeats is not None
    if args.quick:
        args.n = [100_000]
    if args.repeats is None:
        args.repeats = QUICK_REPEATS if args.quick else DEFAULT_REPEATS
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    bad_types = [t for t in args.types if t not in GRID_TYPES]
    if bad_types:
        parser.error(f"--types: only {', '.join(GRID_TYPES)}, not {', '.join(bad_types)}")
    if min(args.n) < 2 or min(args.k) < 1 or min(args.d) < 1:
        parser.error("--n must be at least 2, --k and --d at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    rates = measure_floor_rates()
    print_machine(args, rates)
    print_header()
    results: list[CaseResult] = []
    for n in args.n:
        for k in args.k:
            for d in args.d:
                for kind in args.types:
                    estimate = sklearn_bytes(n, k, d) / 1e9
                    if estimate > args.max_gb:
                        print(
                            f"{n_text(n):>6} {k:>3} {d:>3} {kind:>4}  skipped: scikit-learn's "
                            f"arrays would need about {estimate:.1f} GB, over --max-gb "
                            f"{args.max_gb:g}",
                            flush=True,
                        )
                        continue
                    repeats = args.repeats
                    if n >= LARGE_N and not args.repeats_given:
                        repeats = LARGE_N_REPEATS
                    with measuring(f"N={n_text(n)} K={k} D={d} {kind}"):
                        result = run_case(n, k, d, kind, repeats, rates, args.sklearn_float32)
                        results.append(result)
                        print_row(result)
    print_targets(results, args.quick)
    print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
