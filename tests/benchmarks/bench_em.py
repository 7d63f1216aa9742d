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

import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
from bench_common import (
    Timings,
    measuring,
    parse_repeats_args,
    print_machine_header,
    print_table_header,
    repeats_parser,
    sklearn_iteration,
    sklearn_model,
    starting_params,
    thread_pools,
    versions,
)
from sklearn.exceptions import ConvergenceWarning

from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em.estep import e_step, e_step_streaming
from gmmviewer.core.em.mstep import m_step
from gmmviewer.core.em.objective import DEFAULT_REG_COVAR
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession

#: (N, K) of every case of the full run.
CASES: tuple[tuple[int, int], ...] = ((100_000, 3), (1_000_000, 5), (1_000_000, 10))
N_FEATURES = 2
SEPARATION = 3.0
SEED = 20240601
#: The target: gmmviewer at least this many times faster at (N, K) = TARGET_CASE.
TARGET_SPEED_UP = 3.0
TARGET_CASE = (1_000_000, 5)
#: The target: a session iteration at most this many times a fit iteration at TARGET_CASE.
TARGET_SESSION_RATIO = 1.2
#: Untimed iterations of the session before its steps are timed.
SESSION_WARM_UP_ITERATIONS = 3


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


def gmmviewer_iteration(X: np.ndarray, params: GMMParams, data_variance: float) -> GMMParams:
    """One iteration of :func:`gmmviewer.core.em.fit.fit`'s loop."""
    _, stats = e_step_streaming(X, params)
    assert stats is not None
    return m_step(stats, DEFAULT_REG_COVAR, params, data_variance).params


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
        result.gmm_fit.measure(lambda: gmmviewer_iteration(X, params, data_variance))
        result.sk_fit_call.measure(lambda: model.fit(X))
        result.gmm_session.measure(session.step)
        if sklearn_loop is not None:
            result.sk_iteration.measure(sklearn_loop)
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
        result.gmm.measure(gmmviewer_iteration)
        result.sk.measure(sklearn_iteration)
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


def print_machine(repeats: int, quick: bool) -> None:
    mode = "quick (N / 10)" if quick else "full"
    print_machine_header(
        [f"{versions('numpy', 'scipy', 'sklearn')}; BLAS threads: {thread_pools()}"],
        [
            f"run: {mode}, {repeats} interleaved repeats, D = {N_FEATURES}, "
            f"separation {SEPARATION:g}, seed {SEED}"
        ],
    )


def print_table(results: list[CaseResult]) -> None:
    header = (
        f"{'N':>9} {'K':>3}  {'gmmviewer fit s/iter':>21}  {'gmmviewer session s/iter':>24}  "
        f"{'session/fit':>11}  {'sklearn E+M s/iter':>19}  {'sklearn fit() s/call':>20}  "
        f"{'speed-up':>8}"
    )
    print_table_header("seconds: median (min) over the repeats", header)
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
    parser = repeats_parser(__doc__)
    parser.add_argument(
        "--target-only", action="store_true", help=f"measure only (N, K) = {TARGET_CASE}"
    )
    args = parse_repeats_args(parser, argv)
    warnings.simplefilter("ignore", ConvergenceWarning)

    print_machine(args.repeats, args.quick)
    results = []
    for n_samples, n_components in (TARGET_CASE,) if args.target_only else CASES:
        n = n_samples // 10 if args.quick else n_samples
        with measuring(f"N={n:.0e}, K={n_components}"):
            results.append(run_case(n, n_components, args.repeats))
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
