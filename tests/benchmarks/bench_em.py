"""Seconds per EM iteration: gmmviewer against scikit-learn, same data, same start.

For N = 1e5 (K = 3), 1e6 (K = 5) and 1e6 (K = 10), D = 2, this script draws one
synthetic mixture, fits 5 EM iterations on its first 20,000 points to get realistic
mid-fit parameters, and times one full EM iteration (E-step + M-step) on all N points
from those parameters with:

* **gmmviewer fit**: ``e_step_streaming`` + ``m_step``, exactly the body of the loop in
  :func:`gmmviewer.core.em.fit.fit`;
* **gmmviewer session**: ``EMSession.step()`` (E-step then M-step, what the window runs)
  on one session built from the same parameters and stepped
  ``SESSION_WARM_UP_ITERATIONS`` times before timing, so the timed steps are steady-state
  iterations of a running session: one pass over the data, into responsibility arrays
  recycled from earlier iterations. The session/fit ratio of medians is printed for every
  case; the target is at most ``TARGET_SESSION_RATIO`` at ``TARGET_CASE``;
* **scikit-learn fit()**: a warm-started ``GaussianMixture(max_iter=1, tol=0).fit(X)``
  call, as the benchmark brief specifies. Each call performs one iteration *and* the
  final E-step scikit-learn always adds (plus input validation), so it costs about two
  E-steps;
* **scikit-learn E+M**: ``_e_step`` + ``_m_step`` on the same estimator, exactly the
  body of the loop in ``BaseMixture.fit_predict`` (private API; the column is blank if
  it disappears). This is scikit-learn's true cost per iteration of a long fit, so the
  speed-up and the target check use it: the conservative comparison.

The full run ends with a **variational iteration** (issue 10) at ``VARIATIONAL_CASE``
(N = 1e6, K = 10, Dirichlet process, full): gmmviewer's ``core.vb`` E-step, M-step and
bound against ``BayesianGaussianMixture``'s ``_e_step``, ``_m_step`` and
``_compute_lower_bound``, both from the same start (scikit-learn's ``_initialize`` with
the responsibilities gmmviewer's start came from); the target is at least
``TARGET_VARIATIONAL_SPEED_UP``.

Measurements are interleaved (gmmviewer, scikit-learn, gmmviewer, ...) ``--repeats``
times, because the machine is shared and noisy; the table shows the median and, in
brackets, the minimum. The speed-up is a ratio of medians. gmmviewer restarts from the
same parameters every repeat; scikit-learn's warm-started estimator carries on from where
its previous call stopped, which changes nothing measurable (an iteration's cost does not
depend on where EM is). Before timing, the script
checks that both libraries start from the same log-likelihood and take the same first
step.

Run from the repository root::

    python tests/benchmarks/bench_em.py              # the full run, a few minutes
    python tests/benchmarks/bench_em.py --quick      # N / 10: a smoke test
    python tests/benchmarks/bench_em.py --repeats 9
    python tests/benchmarks/bench_em.py --target-only  # N = 1e6, K = 5 only
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em.estep import e_step, e_step_streaming
from gmmviewer.core.em.fit import fit
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.objective import DEFAULT_REG_COVAR
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession

#: (N, K) of every case of the full run.
CASES: tuple[tuple[int, int], ...] = ((100_000, 3), (1_000_000, 5), (1_000_000, 10))
N_FEATURES = 2
SEPARATION = 3.0
SEED = 20240601
#: Points and iterations of the small fit that gives the starting parameters.
WARM_UP_POINTS = 20_000
WARM_UP_ITERATIONS = 5
#: The target: gmmviewer at least this many times faster at (N, K) = TARGET_CASE.
TARGET_SPEED_UP = 3.0
TARGET_CASE = (1_000_000, 5)
#: The target: a session iteration at most this many times a fit iteration at TARGET_CASE.
TARGET_SESSION_RATIO = 1.2
#: Untimed iterations of the session before its steps are timed.
SESSION_WARM_UP_ITERATIONS = 3


@dataclass
class Timings:
    """Seconds of every repeat of one measurement."""

    seconds: list[float] = field(default_factory=list)

    def add(self, seconds: float | None) -> None:
        if seconds is not None:
            self.seconds.append(seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def minimum(self) -> float:
        return min(self.seconds) if self.seconds else float("nan")

    def cell(self) -> str:
        """``median (min)``, or a dash when nothing was measured."""
        if not self.seconds:
            return "-"
        return f"{self.median:.4f} ({self.minimum:.4f})"


@dataclass
class CaseResult:
    """All timings of one (N, K) case."""

    n_samples: int
    n_components: int
    gmm_fit: Timings = field(default_factory=Timings)
    gmm_session: Timings = field(default_factory=Timings)
    sk_fit_call: Timings = field(default_factory=Timings)
    sk_iteration: Timings = field(default_factory=Timings)
    start_log_likelihood_gap: float = float("nan")
    first_step_mean_gap: float = float("nan")


def speed_up(sklearn_timings: Timings, gmm_timings: Timings) -> float:
    """How many times faster gmmviewer is: a ratio of medians."""
    return sklearn_timings.median / gmm_timings.median


def session_ratio(result: CaseResult) -> float:
    """What a session iteration costs in fit iterations: a ratio of medians."""
    return result.gmm_session.median / result.gmm_fit.median


def timed(action: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def starting_params(X: np.ndarray, n_components: int) -> GMMParams:
    """Mid-fit parameters: a few EM iterations from k-means on the first points."""
    return fit(
        X[:WARM_UP_POINTS], n_components, init="kmeans", max_iter=WARM_UP_ITERATIONS, seed=0
    ).params


def sklearn_model(params: GMMParams) -> GaussianMixture:
    """A warm-starting one-iteration GaussianMixture that starts at ``params``."""
    factors = params.precisions_cholesky
    precisions = np.matmul(factors, factors.transpose(0, 2, 1))
    return GaussianMixture(
        n_components=params.n_components,
        covariance_type="full",
        reg_covar=DEFAULT_REG_COVAR,
        warm_start=True,
        max_iter=1,
        tol=0.0,
        weights_init=params.weights,
        means_init=params.means,
        precisions_init=precisions,
    )


def gmmviewer_iteration(X: np.ndarray, params: GMMParams, data_variance: float) -> GMMParams:
    """One iteration of :func:`gmmviewer.core.em.fit.fit`'s loop."""
    _, stats = e_step_streaming(X, params)
    assert stats is not None
    return m_step(stats, DEFAULT_REG_COVAR, params, data_variance).params


def sklearn_iteration(model: GaussianMixture, X: np.ndarray) -> Callable[[], object] | None:
    """One iteration of ``BaseMixture.fit_predict``'s loop, or None if the API moved."""
    if not (hasattr(model, "_e_step") and hasattr(model, "_m_step")):
        return None

    def iterate() -> None:
        _, log_resp = model._e_step(X)
        model._m_step(X, log_resp)

    return iterate


def run_case(n_samples: int, n_components: int, repeats: int) -> CaseResult:
    """Interleaved timings of one case."""
    X = make_random_mixture(n_components, n_samples, N_FEATURES, separation=SEPARATION, seed=SEED).X
    params = starting_params(X, n_components)
    data_variance = float(np.mean(np.var(X, axis=0)))
    result = CaseResult(n_samples, n_components)

    # The same start and the same first step, checked on the untimed first calls.
    model = sklearn_model(params)
    model.fit(X)
    log_likelihood, _ = e_step_streaming(X, params, statistics=False)
    first_step = gmmviewer_iteration(X, params, data_variance)
    result.start_log_likelihood_gap = abs(model.lower_bound_ - log_likelihood / n_samples)
    result.first_step_mean_gap = float(np.max(np.abs(model.means_ - first_step.means)))

    sklearn_loop = sklearn_iteration(model, X)
    # One session that keeps running, as in the window: its first iterations allocate
    # the arrays that later ones recycle, so they are not timed.
    session = EMSession(X, params=params)
    for _ in range(SESSION_WARM_UP_ITERATIONS):
        session.step()
    for _ in range(repeats):
        result.gmm_fit.add(timed(lambda: gmmviewer_iteration(X, params, data_variance)))
        result.sk_fit_call.add(timed(lambda: model.fit(X)))
        result.gmm_session.add(timed(session.step))
        if sklearn_loop is not None:
            result.sk_iteration.add(timed(sklearn_loop))
    return result


#: The variational case (issue 10): N, K, and the target speed-up over scikit-learn.
VARIATIONAL_CASE = (1_000_000, 10)
TARGET_VARIATIONAL_SPEED_UP = 3.0


@dataclass
class VariationalResult:
    """Timings of one variational iteration, gmmviewer against scikit-learn."""

    n_samples: int
    n_components: int
    gmm: Timings = field(default_factory=Timings)
    sk: Timings = field(default_factory=Timings)
    start_gap: float = float("nan")


def run_variational_case(n_samples: int, n_components: int, repeats: int) -> VariationalResult:
    """A variational iteration (E-step + M-step) on the same start in both libraries.

    gmmviewer: the body of :func:`gmmviewer.core.vb.fit.fit_variational`'s loop
    (``e_step_streaming`` + ``m_step`` + the bound). scikit-learn: ``BayesianGaussianMixture``
    (Dirichlet process, full covariances) after ``_initialize`` with the responsibilities
    of the same start, then its ``_e_step`` + ``_m_step`` + ``_compute_lower_bound``.
    """
    from sklearn.mixture import BayesianGaussianMixture

    from gmmviewer.core.vb.bound import lower_bound
    from gmmviewer.core.vb.estep import e_step_streaming as vb_e_step_streaming
    from gmmviewer.core.vb.initialization import initial_variational
    from gmmviewer.core.vb.mstep import m_step as vb_m_step
    from gmmviewer.core.vb.priors import resolve_priors

    X = make_random_mixture(3, n_samples, N_FEATURES, separation=SEPARATION, seed=SEED).X
    priors = resolve_priors(X, n_components, "full")
    mixture = starting_params(X, n_components)
    start = initial_variational(X, mixture, priors)
    # scikit-learn's _initialize from the responsibilities gmmviewer's start came from.
    model = BayesianGaussianMixture(n_components=n_components, max_iter=1)
    model._check_parameters(X)
    model._initialize(X, np.ascontiguousarray(e_step(X, mixture).resp.T))
    result = VariationalResult(n_samples, n_components)
    gmm_norm, _, _ = vb_e_step_streaming(X, start)
    sk_norm, _ = model._e_step(X)
    result.start_gap = abs(gmm_norm / n_samples - float(sk_norm))

    def gmmviewer_iteration() -> None:
        _, entropy, stats = vb_e_step_streaming(X, start)
        lower_bound(vb_m_step(stats, priors), stats, entropy, priors)

    def sklearn_iteration() -> None:
        log_prob_norm, log_resp_sk = model._e_step(X)
        model._m_step(X, log_resp_sk)
        model._compute_lower_bound(log_resp_sk, log_prob_norm)

    gmmviewer_iteration()  # warm-up
    for _ in range(repeats):
        result.gmm.add(timed(gmmviewer_iteration))
        result.sk.add(timed(sklearn_iteration))
    return result


def print_variational(result: VariationalResult) -> None:
    ratio = speed_up(result.sk, result.gmm)
    print(
        "variational iteration (Dirichlet process, full, D = 2): "
        f"N={result.n_samples:.0e}, K={result.n_components}: gmmviewer {result.gmm.cell()} s, "
        f"scikit-learn BayesianGaussianMixture {result.sk.cell()} s; "
        f"start log-density gap {result.start_gap:.1e}"
    )
    verdict = "met" if ratio >= TARGET_VARIATIONAL_SPEED_UP else "not met"
    print(
        f"target: a variational iteration >= {TARGET_VARIATIONAL_SPEED_UP:g}x faster than "
        f"scikit-learn's: {verdict} ({ratio:.2f}x)"
    )


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


def blas_threads() -> str:
    """BLAS libraries and their thread counts, as threadpoolctl reports them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    pools = {f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info()}
    return ", ".join(sorted(pools)) or "none"


def print_machine(repeats: int, quick: bool) -> None:
    print(f"CPU: {cpu_model()}; os.cpu_count() = {os.cpu_count()}", end="")
    if hasattr(os, "sched_getaffinity"):
        print(f", usable: {len(os.sched_getaffinity(0))}", end="")
    print()
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}; BLAS threads: {blas_threads()}"
    )
    if hasattr(os, "getloadavg"):
        print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    mode = "quick (N / 10)" if quick else "full"
    print(
        f"run: {mode}, {repeats} interleaved repeats, D = {N_FEATURES}, "
        f"separation {SEPARATION:g}, seed {SEED}"
    )
    print()


def print_table(results: list[CaseResult]) -> None:
    header = (
        f"{'N':>9} {'K':>3}  {'gmmviewer fit s/iter':>21}  {'gmmviewer session s/iter':>24}  "
        f"{'session/fit':>11}  {'sklearn E+M s/iter':>19}  {'sklearn fit() s/call':>20}  "
        f"{'speed-up':>8}"
    )
    print("seconds: median (min) over the repeats")
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.n_samples:>9.0e} {r.n_components:>3}  {r.gmm_fit.cell():>21}  "
            f"{r.gmm_session.cell():>24}  {session_ratio(r):>10.2f}x  "
            f"{r.sk_iteration.cell():>19}  {r.sk_fit_call.cell():>20}  "
            f"{speed_up(r.sk_iteration, r.gmm_fit):>7.2f}x"
        )
    print()
    print("speed-ups (ratio of medians)")
    print(
        f"{'N':>9} {'K':>3}  {'fit vs sklearn E+M':>18}  {'fit vs sklearn fit()':>20}  "
        f"{'session vs sklearn E+M':>22}"
    )
    for r in results:
        print(
            f"{r.n_samples:>9.0e} {r.n_components:>3}  "
            f"{speed_up(r.sk_iteration, r.gmm_fit):>17.2f}x  "
            f"{speed_up(r.sk_fit_call, r.gmm_fit):>19.2f}x  "
            f"{speed_up(r.sk_iteration, r.gmm_session):>21.2f}x"
        )
    print()
    print(
        "same start, same step: |mean log-likelihood difference| at the start, "
        "max |mean difference| after one iteration"
    )
    for r in results:
        print(
            f"{r.n_samples:>9.0e} {r.n_components:>3}  {r.start_log_likelihood_gap:.1e}  "
            f"{r.first_step_mean_gap:.1e}"
        )
    print()


def print_target(results: list[CaseResult], quick: bool) -> None:
    n_target, k_target = TARGET_CASE
    n_case = n_target // 10 if quick else n_target
    case = next((r for r in results if (r.n_samples, r.n_components) == (n_case, k_target)), None)
    label = (
        f"target: gmmviewer >= {TARGET_SPEED_UP:g}x faster than scikit-learn "
        f"at N=1e{round(np.log10(n_target))}, K={k_target}"
    )
    if case is None:
        print(f"{label}: not measured")
        return
    conservative = speed_up(case.sk_iteration, case.gmm_fit)
    against_call = speed_up(case.sk_fit_call, case.gmm_fit)
    if np.isnan(conservative):
        conservative = against_call
    verdict = "met" if conservative >= TARGET_SPEED_UP else "not met"
    note = f" [--quick: measured at N={n_case:.0e}, not the target size]" if quick else ""
    print(f"{label}: {verdict} ({conservative:.2f}){note}")
    print(
        f"  ({conservative:.2f}x against scikit-learn's E+M per iteration; "
        f"{against_call:.2f}x against its warm-started fit(max_iter=1) call)"
    )
    ratio = session_ratio(case)
    verdict = "met" if ratio <= TARGET_SESSION_RATIO else "not met"
    print(
        f"target: a session iteration <= {TARGET_SESSION_RATIO:g}x a fit iteration at "
        f"N=1e{round(np.log10(n_target))}, K={k_target}: {verdict} "
        f"(session {case.gmm_session.median:.4f} s, fit {case.gmm_fit.median:.4f} s, "
        f"ratio {ratio:.2f}){note}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (default 5)")
    parser.add_argument("--quick", action="store_true", help="smoke run with N divided by 10")
    parser.add_argument(
        "--target-only", action="store_true", help=f"measure only (N, K) = {TARGET_CASE}"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    warnings.simplefilter("ignore", ConvergenceWarning)

    print_machine(args.repeats, args.quick)
    results = []
    for n_samples, n_components in (TARGET_CASE,) if args.target_only else CASES:
        n = n_samples // 10 if args.quick else n_samples
        start = time.perf_counter()
        results.append(run_case(n, n_components, args.repeats))
        print(
            f"  measured N={n:.0e}, K={n_components} in {time.perf_counter() - start:.0f} s",
            file=sys.stderr,
        )
    print_table(results)
    print_target(results, args.quick)
    if not args.target_only:
        n_vb, k_vb = VARIATIONAL_CASE
        print()
        print_variational(
            run_variational_case(n_vb // 10 if args.quick else n_vb, k_vb, args.repeats)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
