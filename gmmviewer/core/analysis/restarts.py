"""Several EM runs from different seeds, keeping the best (scikit-learn's ``n_init``).

Pure numpy; no Qt. :func:`run_restarts` yields each finished run so a window can draw
every run's NLL curve as it arrives and stop between (or inside) runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.fit import FitResult, fit
from gmmviewer.core.em.objective import DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL


@dataclass(frozen=True)
class RestartRun:
    """One run: its seed and result (``result.history`` holds its NLL curve)."""

    seed: int
    result: FitResult


def run_restarts(
    X: np.ndarray,
    n_components: int,
    seeds: Sequence[int],
    *,
    covariance_type: str = "full",
    init: str = "kmeans",
    tol: float = DEFAULT_TOL,
    max_iter: int = DEFAULT_MAX_ITER,
    reg_covar: float = DEFAULT_REG_COVAR,
    should_stop: Callable[[], bool] | None = None,
    dtype: str = "float64",
) -> Iterator[RestartRun]:
    """Fit once per seed and yield each run when it finishes.

    Raises
    ------
    Cancelled
        When ``should_stop`` asks for it.
    """
    for seed in seeds:
        result = fit(
            X,
            n_components,
            covariance_type=covariance_type,
            init=init,
            seed=int(seed),
            tol=tol,
            max_iter=max_iter,
            reg_covar=reg_covar,
            should_stop=should_stop,
            dtype=dtype,
        )
        yield RestartRun(int(seed), result)


def best_run(runs: Sequence[RestartRun]) -> RestartRun | None:
    """The run scikit-learn's ``n_init`` would keep: the largest final lower bound.

    Ties go to the earliest run, as in scikit-learn.
    """
    best = None
    for run in runs:
        if best is None or run.result.lower_bound > best.result.lower_bound:
            best = run
    return best
