"""Seconds per EM iteration with full covariances: the quadratic expansion against the exact path.

For N = 1e6 (``--n``), D in {2, 3} (``--d``), K in {3, 5, 10, 20} (``--k``) and full
covariances (``--types full,tied``), this script draws the mixture ``bench_grid.py``
draws for the same case (``make_random_mixture(K, N, D, separation=3.0)``, same seed),
takes mid-fit parameters from ``WARM_UP_ITERATIONS`` EM iterations on its first
``WARM_UP_POINTS`` points, and times one EM iteration on all N points, float64, with:

* **quadratic**: gmmviewer's fit iteration as it is (``e_step_streaming`` +
  ``m_step``), which takes :class:`gmmviewer.core.em.quadratic.QuadraticExpansion`
  for these cases: two matrix products over the features ``[1, y, y_i y_j]``;
* **exact**: the same iteration with the expansion switched off
  (``quadratic.MAX_QUADRATIC_FEATURES = 0`` for the call), i.e. the deviation-based
  path every full pass took before the expansion;
* **scikit-learn**: ``_e_step`` + ``_m_step`` of a warm-started ``GaussianMixture``
  put back to the same parameters before every call (as ``bench_grid.py`` does).

With ``--types diag,spherical`` the same columns time the diagonal expansion
(:class:`gmmviewer.core.em.diagonal.DiagonalExpansion`: ``[1, y, y^2]`` products, its
statistics summed per pass) against the deviation path (the expansion refused for the
call); "quad" then names the expansion in use.

Default threading for all three (gmmviewer's pass threads, or ``--threads``;
scikit-learn's BLAS/OpenMP pools). Calls are interleaved (quadratic, exact,
scikit-learn, ...) ``--repeats`` times (default 5), each after ``SETTLE_SECONDS`` idle;
tables give medians of wall and process CPU seconds (all threads). The **floor** is
``bench_grid.py``'s one-core estimate (bandwidth + exp + GEMM rates measured at the
start). Before timing, the script checks the two gmmviewer paths against each other:
the log-likelihood of the start and the parameters after the iteration (``ll rel``,
``par rel``: largest relative differences; the second scaled by each array's largest
entry), and reports whether the expansion was taken (``used``).

Run from the repository root::

    python tests/benchmarks/bench_quadratic.py                    # D = 2, 3; K = 3 .. 20
    python tests/benchmarks/bench_quadratic.py --k 5 --d 2 --repeats 9
    python tests/benchmarks/bench_quadratic.py --d 4,6,10 --k 5,20 --repeats 3
    python tests/benchmarks/bench_quadratic.py --k 5,20 --d 2,10 --types diag,spherical
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from bench_common import (
    ClockTimings,
    load_average,
    measuring,
    print_machine_header,
    print_table_header,
    sklearn_iteration,
    starting_params,
    versions,
)
from bench_grid import (
    SEED,
    SEPARATION,
    SETTLE_SECONDS,
    FloorRates,
    fitted_sklearn_model,
    measure_floor_rates,
    n_text,
    restore,
    sklearn_state,
    thread_pool_details,
)
from sklearn.exceptions import ConvergenceWarning

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em import diagonal, quadratic
from gmmviewer.core.em.estep import e_step_streaming
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.objective import DEFAULT_REG_COVAR
from gmmviewer.core.em.passes import ComponentTerms, data_bounds, feature_variance
from gmmviewer.core.parallel.threads import pass_threads
from gmmviewer.core.params import GMMParams

DEFAULT_N = (1_000_000,)
DEFAULT_K = (3, 5, 10, 20)
DEFAULT_D = (2, 3)
DEFAULT_REPEATS = 5
#: The targets of issue 13 at N = 1e6, D = 2, K = 5 (float64, wall time).
TARGET_CASE = (1_000_000, 5, 2)
TARGET_SPEED_UP = 10.0
TARGET_FLOOR_RATIO = 2.0
#: Covariance types that take the diagonal expansion.
DIAGONAL_TYPES = ("diag", "spherical")


@contextmanager
def exact_path() -> object:
    """The passes without the quadratic or the diagonal expansion, for the duration."""
    saved = quadratic.MAX_QUADRATIC_FEATURES, dict(diagonal.MAX_EXPANSION_RATIO)
    quadratic.MAX_QUADRATIC_FEATURES = 0
    diagonal.MAX_EXPANSION_RATIO.update(dict.fromkeys(diagonal.MAX_EXPANSION_RATIO, -1.0))
    try:
        yield
    finally:
        quadratic.MAX_QUADRATIC_FEATURES = saved[0]
        diagonal.MAX_EXPANSION_RATIO.update(saved[1])


@dataclass
class CaseResult:
    """Timings and checks of one case."""

    n: int
    k: int
    d: int
    kind: str
    quadratic: ClockTimings = field(default_factory=ClockTimings)
    exact: ClockTimings = field(default_factory=ClockTimings)
    sklearn: ClockTimings = field(default_factory=ClockTimings)
    floor: float = float("nan")
    used: str = "-"
    log_likelihood_gap: float = float("nan")
    params_gap: float = float("nan")


def relative_gap(a: GMMParams, b: GMMParams) -> float:
    """Largest difference of weights, means and covariances, each over its largest entry."""
    gaps = []
    for x, y in ((a.weights, b.weights), (a.means, b.means), (a.covariances, b.covariances)):
        gaps.append(float(np.max(np.abs(x - y)) / max(np.max(np.abs(y)), 1e-300)))
    return max(gaps)


def expansion_state(params: GMMParams, X: np.ndarray, bounds: tuple) -> str:
    """'yes' when the expansion is taken and its moments accepted, else why not."""
    terms = ComponentTerms.of(params)
    kind = diagonal.DiagonalExpansion if params.covariance_type in DIAGONAL_TYPES else None
    if kind is None:
        kind = quadratic.QuadraticExpansion
        expansion = kind.of(params, terms.exact_constant, bounds)
    else:
        expansion, _ = kind.for_pass(params, terms, bounds)
    if expansion is None:
        return "no (E)"
    accepted = []
    original = kind.moments

    def moments(self: object, *args: object) -> object:
        result = original(self, *args)
        accepted.append(result is not None)
        return result

    kind.moments = moments  # type: ignore[method-assign]
    try:
        e_step_streaming(X, params, bounds=bounds)
    finally:
        kind.moments = original  # type: ignore[method-assign]
    return "yes" if all(accepted) else "no (M)"


def run_case(
    n: int, k: int, d: int, kind: str, repeats: int, rates: FloorRates, threads: int | None
) -> CaseResult:
    """Interleaved timings of one case."""
    X = make_random_mixture(k, n, d, separation=SEPARATION, seed=SEED + 1000 * k + d).X
    params = starting_params(X, k, covariance_type=kind)
    variance = float(np.mean(feature_variance(X)))
    bounds = data_bounds(X)
    floor_kind = "diag" if kind in DIAGONAL_TYPES else "full"
    result = CaseResult(n, k, d, kind, floor=rates.floor(n, k, d, floor_kind, "float64"))

    def iterate() -> tuple[float, GMMParams]:
        total, stats = e_step_streaming(X, params, bounds=bounds, threads=threads)
        assert stats is not None
        return total, m_step(stats, DEFAULT_REG_COVAR, params, variance).params

    def iterate_exact() -> tuple[float, GMMParams]:
        with exact_path():
            return iterate()

    quad_total, quad_params = iterate()
    exact_total, exact_params = iterate_exact()
    result.log_likelihood_gap = abs(quad_total - exact_total) / abs(exact_total)
    result.params_gap = relative_gap(quad_params, exact_params)
    result.used = expansion_state(params, X, bounds)

    model = fitted_sklearn_model(params, X)
    state = sklearn_state(params, np.dtype(np.float64))
    for _ in range(repeats):
        result.quadratic.measure(iterate, SETTLE_SECONDS)
        result.exact.measure(iterate_exact, SETTLE_SECONDS)
        restore(model, state)
        step = sklearn_iteration(model, X)
        assert step is not None, "scikit-learn's _e_step or _m_step has moved"
        result.sklearn.measure(step, SETTLE_SECONDS)
    return result


COLUMNS = (
    ("N", 5),
    ("K", 3),
    ("D", 3),
    ("type", 4),
    ("quad ms", 8),
    ("cpu", 7),
    ("exact ms", 8),
    ("cpu", 7),
    ("skl ms", 8),
    ("cpu", 7),
    ("floor", 6),
    ("skl/quad", 8),
    ("skl/ex", 7),
    ("ex/quad", 7),
    ("quad/fl", 7),
    ("ex/fl", 6),
    ("used", 6),
    ("ll rel", 7),
    ("par rel", 7),
)


def row(cells: list[str]) -> str:
    return " ".join(f"{cell:>{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True))


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x"


def print_row(r: CaseResult) -> None:
    q, e, s = r.quadratic, r.exact, r.sklearn
    print(
        row(
            [
                n_text(r.n),
                str(r.k),
                str(r.d),
                r.kind,
                ms(q.wall.median),
                ms(q.cpu.median),
                ms(e.wall.median),
                ms(e.cpu.median),
                ms(s.wall.median),
                ms(s.cpu.median),
                ms(r.floor),
                ratio(s.wall.median, q.wall.median),
                ratio(s.wall.median, e.wall.median),
                ratio(e.wall.median, q.wall.median),
                ratio(q.wall.median, r.floor),
                ratio(e.wall.median, r.floor),
                r.used,
                f"{r.log_likelihood_gap:.0e}",
                f"{r.params_gap:.0e}",
            ]
        ),
        flush=True,
    )


def print_targets(results: list[CaseResult]) -> None:
    found = {(r.n, r.k, r.d): r for r in results if r.kind == "full"}
    target = found.get(TARGET_CASE)
    print()
    if target is None:
        print("targets (N=1e6, K=5, D=2, full): not measured")
        return
    speed_up = target.sklearn.wall.median / target.quadratic.wall.median
    floor_ratio = target.quadratic.wall.median / target.floor
    print("targets (issue 13, N=1e6, K=5, D=2, full, float64, wall medians):")
    print(
        f"  >= {TARGET_SPEED_UP:g}x scikit-learn: "
        f"{'met' if speed_up >= TARGET_SPEED_UP else 'not met'} ({speed_up:.2f}x)"
    )
    print(
        f"  <= {TARGET_FLOOR_RATIO:g}x the floor: "
        f"{'met' if floor_ratio <= TARGET_FLOOR_RATIO else 'not met'} ({floor_ratio:.2f}x)"
    )


def number_list(text: str, convert: Callable[[str], object]) -> list:
    try:
        return [convert(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=lambda s: number_list(s, lambda x: int(float(x))), default=list(DEFAULT_N)
    )
    parser.add_argument("--k", type=lambda s: number_list(s, int), default=list(DEFAULT_K))
    parser.add_argument("--d", type=lambda s: number_list(s, int), default=list(DEFAULT_D))
    parser.add_argument(
        "--types",
        type=lambda s: number_list(s, str),
        default=["full"],
        help="full,tied,diag,spherical",
    )
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    parser.add_argument(
        "--threads", type=int, default=None, help="gmmviewer's pass threads (default: its own)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if any(t not in ("full", "tied", *DIAGONAL_TYPES) for t in args.types):
        parser.error("--types: full, tied, diag and spherical only")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    rates = measure_floor_rates()
    threads = args.threads if args.threads is not None else pass_threads()
    print_machine_header(
        [
            versions("numpy", "scipy", "sklearn"),
            f"thread pools: {thread_pool_details()}",
            f"gmmviewer pass threads: {threads}",
        ],
        [
            f"floor rates (one core): bandwidth {rates.bandwidth / 1e9:.1f} GB/s, exp "
            f"{rates.exp_seconds['float64'] * 1e9:.2f} ns, DGEMM "
            f"{rates.gemm_rate['float64'] / 1e9:.1f} GFLOP/s",
            f"run: {args.repeats} interleaved repeats, separation {SEPARATION:g}, seed {SEED}",
        ],
    )
    print_table_header(
        "ms per iteration, float64: wall and CPU medians; skl/quad = scikit-learn over the "
        "expansion, ex/quad = exact path over the expansion (wall); /fl = over the floor",
        row([name for name, _ in COLUMNS]),
    )
    results = []
    for n in args.n:
        for k in args.k:
            for d in args.d:
                for kind in args.types:
                    with measuring(f"N={n_text(n)} K={k} D={d} {kind}"):
                        result = run_case(n, k, d, kind, args.repeats, rates, args.threads)
                    results.append(result)
                    print_row(result)
    print_targets(results)
    print(f"load average at end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
