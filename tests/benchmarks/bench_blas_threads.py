"""Do BLAS's own threads ever run during an E-step pass that runs without the BLAS limit?

A pass holds BLAS to one thread (``core.parallel.threads.single_threaded_blas``) unless
``pass_blas_is_small`` says that none of its BLAS calls is big enough for a BLAS to
split, so that the window's first paint never waits for threadpoolctl. This script
checks that promise on this machine's BLAS: for every covariance type, 1 to 90 columns
and 1 to 40 components it runs passes of the most samples the rule still calls small
(and the precision factors of those components), with BLAS at two threads or more, and
reads the CPU time of every thread of the process from ``/proc``. A BLAS worker that
ran shows up as CPU time outside the main thread.

Before each shape the script sleeps a little, so that BLAS workers still spinning after
the previous one (OpenBLAS's wait a while for more work) are asleep again. Linux only.
Nothing here asserts; it prints the shapes whose passes woke a BLAS thread (none
expected), after a control that must: a dot product of a million entries. Run from the
repository root::

    python tests/benchmarks/bench_blas_threads.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

# At least two BLAS threads, even on a one-core machine: otherwise there is nothing to see.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
from bench_common import cpu_line, load_average, versions  # noqa: E402

from gmmviewer.core.em.estep import e_step, e_step_streaming  # noqa: E402
from gmmviewer.core.em.gaussian import COVARIANCE_TYPES, precision_cholesky  # noqa: E402
from gmmviewer.core.parallel.threads import pass_blas_is_small  # noqa: E402
from gmmviewer.core.params import GMMParams  # noqa: E402

FEATURES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 90)
COMPONENTS = (1, 2, 3, 5, 10, 20, 40)
#: Multiply-adds each shape repeats (at least five passes).
WORK = 1e6
SETTLE_S = 0.4


def thread_ticks() -> dict[str, int]:
    """CPU clock ticks (user + system) of every thread of this process."""
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks[tid] = int(fields[11]) + int(fields[12])
    return ticks


def largest_small_pass(n_components: int, n_features: int) -> int:
    """The most samples whose pass the rule still calls small (0 if none)."""
    low, high = 0, 1
    while pass_blas_is_small(high, n_components, n_features):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if pass_blas_is_small(middle, n_components, n_features):
            low = middle
        else:
            high = middle
    return low


def covariances(kind: str, k: int, d: int, rng: np.random.Generator) -> np.ndarray:
    factors = rng.normal(size=(k, d, d)) * 0.3
    full = np.eye(d) + np.matmul(factors, factors.transpose(0, 2, 1))
    return {
        "full": full,
        "tied": full[0],
        "diag": np.abs(rng.normal(size=(k, d))) + 0.5,
        "spherical": np.ones(k),
    }[kind]


def main() -> int:
    from threadpoolctl import threadpool_info

    blas = [
        (e["internal_api"], e["num_threads"]) for e in threadpool_info() if e["user_api"] == "blas"
    ]
    print(f"# {cpu_line()}; load {load_average()}")
    print(f"# {versions('numpy')}; BLAS {blas}")
    rng = np.random.default_rng(0)
    main_thread = str(os.getpid())
    checked, woke = 0, []
    for kind in COVARIANCE_TYPES:
        for d in FEATURES:
            for k in COMPONENTS:
                n = largest_small_pass(k, d)
                if n < 2:
                    continue
                X = rng.normal(size=(n, d)) * 3
                covs = covariances(kind, k, d, rng)
                params = GMMParams(np.full(k, 1 / k), rng.normal(size=(k, d)), covs, kind)
                repeats = max(5, int(WORK / (n * k * (d + 1) ** 2)))
                time.sleep(SETTLE_S)
                before = thread_ticks()
                for _ in range(repeats):
                    e_step(X, params, threads=1)
                    e_step_streaming(X, params, threads=1)
                    precision_cholesky(covs, kind)
                after = thread_ticks()
                others = sum(
                    t - before.get(tid, 0) for tid, t in after.items() if tid != main_thread
                )
                checked += 1
                if others:
                    woke.append((kind, n, k, d, others))
    # A control: a dot product big enough to split must show up, or nothing here could.
    vector = rng.normal(size=1_000_000)
    time.sleep(SETTLE_S)
    before = thread_ticks()
    for _ in range(1000):
        np.dot(vector, vector)
    after = thread_ticks()
    control = sum(t - before.get(tid, 0) for tid, t in after.items() if tid != main_thread)
    print(f"control, a dot product of 1e6 entries: {control} ticks off the main thread")
    print(f"{checked} shapes at the edge of 'small', {len(woke)} woke a BLAS thread")
    for kind, n, k, d, ticks in woke:
        print(f"  {kind:9s} N={n:6d} K={k:3d} D={d:3d}: {ticks} ticks off the main thread")
    return 0


if __name__ == "__main__":
    sys.exit(main())
