"""Peak memory of a gmmviewer fit at N = 1e7, K = 5, D = 2, against scikit-learn.

Every measurement runs in a fresh Python process, so peaks never mix: the child loads
the data set (written once to a temporary ``.npy`` file by another child), runs one fit
and reports its peak resident set, ``VmHWM`` from ``/proc/self/status`` (the high-water
mark of this process's own memory; ``ru_maxrss`` can inherit the parent's peak across
``exec``, so it is only the fallback where ``/proc`` is missing). The measurements:

* **data only**: numpy imported and the data loaded (float64, N x D x 8 bytes), the
  baseline every other row includes;
* **gmmviewer fit, k-means init**: ``fit(X, 5, max_iter=3, tol=0)``, the default
  initialisation included, what ``gmmviewer fit`` runs;
* **gmmviewer fit, given start**: the same from mid-fit parameters (EM iterations only);
* **gmmviewer session step**: ``EMSession(X, params=start).step()``, what the window
  holds (responsibilities and weighted log-densities for all N);
* **scikit-learn, k-means init** and **scikit-learn, given start**: ``GaussianMixture``
  with the same ``max_iter`` and ``tol=0``.

The start is the parameters after 5 EM iterations on the first 20,000 points. A parent
thread polls every child's resident set and stops a child that passes ``--limit-gb``
(default 10); a scikit-learn run whose estimated peak is above the limit is skipped.
Seconds per iteration of the gmmviewer fits come from the fit's progress callback
(intervals between iterations 1..max_iter, so initialisation is excluded).

Run from the repository root (about five minutes; most of it scikit-learn)::

    python tests/benchmarks/bench_memory.py
    python tests/benchmarks/bench_memory.py --n-samples 1000000 --skip-sklearn   # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from bench_common import (
    cpu_line,
    print_table_header,
    sklearn_precisions,
    starting_params,
    versions,
)

N_SAMPLES = 10_000_000
N_COMPONENTS = 5
N_FEATURES = 2
SEPARATION = 3.0
SEED = 20240601
MAX_ITER = 3
#: The target: a gmmviewer fit (default initialisation) peaks below this many bytes.
TARGET_PEAK_BYTES = 2_000_000_000
MB = 1_000_000
POLL_SECONDS = 0.05

#: Child measurements in the order they run, with the label the table shows.
MEASUREMENTS: dict[str, str] = {
    "data": "data only (baseline)",
    "gmmviewer-kmeans": "gmmviewer fit, k-means init",
    "gmmviewer-start": "gmmviewer fit, given start",
    "gmmviewer-session": "gmmviewer session step",
    "sklearn-kmeans": "scikit-learn, k-means init",
    "sklearn-start": "scikit-learn, given start",
}


# ------------------------------------------------------------------- children
def status_bytes(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status in bytes, or None without /proc."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def peak_bytes() -> int:
    """Peak resident set of this process so far."""
    peak = status_bytes("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024


def current_bytes() -> int:
    """Resident set of this process now (the peak where /proc is missing)."""
    current = status_bytes("VmRSS")
    return current if current is not None else peak_bytes()


def child_generate(data_path: Path, n_samples: int) -> dict[str, float]:
    """Draw the data set and save it as a float64 ``.npy`` file."""
    import numpy as np

    from gmmviewer.core.data.synthetic import make_random_mixture

    dataset = make_random_mixture(
        N_COMPONENTS, n_samples, N_FEATURES, separation=SEPARATION, seed=SEED
    )
    np.save(data_path, np.ascontiguousarray(dataset.X, dtype=float))
    return {}


def child_measure(kind: str, data_path: Path, max_iter: int) -> dict[str, float]:
    """Load the data, run one measurement, report memory and time."""
    import numpy as np

    imports_before_data(kind)
    X = np.load(data_path)
    report: dict[str, float] = {"before": current_bytes()}
    if kind == "data":
        report["peak"] = peak_bytes()
        return report

    start_params = None
    if kind.endswith("-start") or kind == "gmmviewer-session":
        start_params = starting_params(X, N_COMPONENTS)
        report["before"] = current_bytes()

    started = time.perf_counter()
    if kind.startswith("gmmviewer-") and kind != "gmmviewer-session":
        from gmmviewer.core.em.fit import fit

        stamps: list[float] = []
        fit(
            X,
            N_COMPONENTS,
            init="kmeans",
            init_params=start_params,
            max_iter=max_iter,
            tol=0.0,
            seed=0,
            keep_history=False,
            callback=lambda iteration, _: stamps.append(time.perf_counter()),
        )
        intervals = np.diff(stamps)
        if intervals.size:
            report["per_iteration"] = float(statistics.median(intervals))
    elif kind == "gmmviewer-session":
        from gmmviewer.core.session.em_session import EMSession

        EMSession(X, params=start_params).step()
    else:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import GaussianMixture

        warnings.simplefilter("ignore", ConvergenceWarning)
        start: dict[str, object] = {}
        if start_params is not None:
            start = {
                "weights_init": start_params.weights,
                "means_init": start_params.means,
                "precisions_init": sklearn_precisions(start_params),
            }
        GaussianMixture(
            N_COMPONENTS,
            covariance_type="full",
            max_iter=max_iter,
            tol=0.0,
            random_state=0,
            **start,
        ).fit(X)
    report["seconds"] = time.perf_counter() - started
    report["peak"] = peak_bytes()
    return report


def imports_before_data(kind: str) -> None:
    """Import the library a measurement uses before loading data, as a user's script would."""
    if kind.startswith("gmmviewer-"):
        import gmmviewer.core.em.fit  # noqa: F401
        import gmmviewer.core.session.em_session  # noqa: F401
    elif kind.startswith("sklearn-"):
        import sklearn.mixture  # noqa: F401


# --------------------------------------------------------------------- parent
@dataclass
class Measurement:
    """What one child reported, or why it did not run."""

    kind: str
    before: float = float("nan")
    peak: float = float("nan")
    seconds: float = float("nan")
    per_iteration: float = float("nan")
    watched_peak: float = float("nan")
    note: str = ""


def run_child(args: list[str], limit_bytes: int) -> tuple[dict[str, float] | None, float, str]:
    """Run this script as a child; stop it if its resident set passes ``limit_bytes``.

    Returns
    -------
    report : dict or None
        The child's JSON report; None when it failed or was stopped.
    watched_peak : float
        The largest resident set the parent saw (bytes; polled, so a lower bound).
    note : str
        Why there is no report, or ''.
    """
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watched = 0.0
    status_path = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status_path.read_text(encoding="ascii").splitlines():
                if line.startswith("VmRSS:"):
                    watched = max(watched, int(line.split()[1]) * 1024.0)
        except OSError:
            pass
        if watched > limit_bytes:
            process.kill()
            process.wait()
            return None, watched, f"stopped above {limit_bytes / MB:,.0f} MB"
        time.sleep(POLL_SECONDS)
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        last = stderr.strip().splitlines()[-1:] or [f"exit code {process.returncode}"]
        return None, watched, f"failed: {last[0]}"
    return json.loads(stdout.strip().splitlines()[-1]), watched, ""


def sklearn_estimate_bytes(n_samples: int) -> float:
    """A rough upper estimate of scikit-learn's peak: (N, K) float arrays alive at once.

    Its E-step holds the weighted log-probabilities, their log-sum-exp temporaries and
    the log-responsibilities; the M-step their exponential; plus (N, D) temporaries per
    component. Eight (N, K) and eight (N, D) arrays over-estimate that.
    """
    return 8.0 * n_samples * (8 * N_COMPONENTS + 9 * N_FEATURES)


def print_machine(n_samples: int, max_iter: int) -> None:
    print(cpu_line(usable=False))
    print(versions("numpy", "sklearn"))
    total = (
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    )
    print(f"physical memory: {total / MB:,.0f} MB")
    data_mb = n_samples * N_FEATURES * 8 / MB
    print(
        f"N = {n_samples:.0e}, K = {N_COMPONENTS}, D = {N_FEATURES} (data: {data_mb:,.0f} MB), "
        f"max_iter = {max_iter}, tol = 0; peak = VmHWM of a fresh process per row"
    )
    print()


def print_table(results: list[Measurement]) -> None:
    baseline = next((r.peak for r in results if r.kind == "data"), float("nan"))
    header = (
        f"{'measurement':<30} {'RSS before fit':>14} {'peak RSS':>10} {'peak - data':>12} "
        f"{'fit s':>8} {'s/iter':>8}"
    )
    print_table_header("memory in MB (10^6 bytes)", header)
    for r in results:
        label = MEASUREMENTS[r.kind]
        if r.note:
            seen = f" (peak seen {r.watched_peak / MB:,.0f} MB)" if r.watched_peak > 0 else ""
            print(f"{label:<30} {r.note}{seen}")
            continue
        extra = "" if r.kind == "data" else f"{(r.peak - baseline) / MB:>12,.0f}"
        print(
            f"{label:<30} {r.before / MB:>14,.0f} {r.peak / MB:>10,.0f} {extra:>12} "
            f"{_number(r.seconds, '.1f'):>8} {_number(r.per_iteration, '.2f'):>8}"
        )
    print()


def short_number(n: int) -> str:
    """``10000000`` as ``1e7``."""
    return f"{n:.0e}".replace("e+0", "e").replace("e+", "e")


def _number(value: float, spec: str) -> str:
    return "-" if value != value else format(value, spec)


def print_target(results: list[Measurement], n_samples: int) -> None:
    row = next((r for r in results if r.kind == "gmmviewer-kmeans"), None)
    label = (
        f"target: peak memory of a gmmviewer fit at N={short_number(N_SAMPLES)}, "
        f"K={N_COMPONENTS} < {TARGET_PEAK_BYTES / 1e9:g} GB"
    )
    if row is None or row.note:
        print(f"{label}: not measured")
        return
    verdict = "met" if row.peak < TARGET_PEAK_BYTES else "not met"
    note = (
        ""
        if n_samples == N_SAMPLES
        else f" [measured at N={short_number(n_samples)}, not the target]"
    )
    print(f"{label}: {verdict} ({row.peak / 1e9:.2f} GB){note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=N_SAMPLES, help="N (default 1e7)")
    parser.add_argument("--max-iter", type=int, default=MAX_ITER, help="EM iterations (3)")
    parser.add_argument("--limit-gb", type=float, default=10.0, help="stop a child above this")
    parser.add_argument("--skip-sklearn", action="store_true", help="measure gmmviewer only")
    parser.add_argument("--quick", action="store_true", help="a smoke run: N = 1e5, one iteration")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.max_iter = 100_000, 1

    if args.child:
        kind, data_path, *rest = args.child
        if kind == "generate":
            report = child_generate(Path(data_path), int(rest[0]))
        else:
            report = child_measure(kind, Path(data_path), int(rest[0]))
        print(json.dumps(report))
        return 0

    limit_bytes = int(args.limit_gb * 1e9)
    print_machine(args.n_samples, args.max_iter)
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="gmmviewer-bench-") as folder:
        data_path = Path(folder) / "X.npy"
        _, _, note = run_child(["generate", str(data_path), str(args.n_samples)], limit_bytes)
        if note:
            print(f"could not generate the data: {note}")
            return 1
        for kind in MEASUREMENTS:
            if kind.startswith("sklearn-"):
                estimate = sklearn_estimate_bytes(args.n_samples)
                if args.skip_sklearn:
                    results.append(Measurement(kind, note="skipped (--skip-sklearn)"))
                    continue
                if estimate > limit_bytes:
                    results.append(
                        Measurement(
                            kind,
                            note=f"skipped: estimated peak {estimate / MB:,.0f} MB is above "
                            f"the {limit_bytes / MB:,.0f} MB limit",
                        )
                    )
                    continue
            started = time.perf_counter()
            report, watched, note = run_child(
                [kind, str(data_path), str(args.max_iter)], limit_bytes
            )
            print(f"  {kind}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
            if report is None:
                results.append(Measurement(kind, watched_peak=watched, note=note))
            else:
                results.append(
                    Measurement(
                        kind,
                        before=report["before"],
                        peak=report["peak"],
                        seconds=report.get("seconds", float("nan")),
                        per_iteration=report.get("per_iteration", float("nan")),
                        watched_peak=watched,
                    )
                )
    print_table(results)
    print_target(results, args.n_samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
