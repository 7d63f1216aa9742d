"""Parameters after chosen numbers of EM iterations, for a strip of snapshots (no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.estep import posterior
from gmmviewer.core.em.fit import fit
from gmmviewer.core.em.objective import DEFAULT_REG_COVAR, DEFAULT_TOL
from gmmviewer.core.params import GMMParams


@dataclass(frozen=True)
class Snapshot:
    """The parameters after ``iteration`` M-steps (or where EM stopped before that).

    Attributes
    ----------
    iteration : int
        The iteration asked for.
    reached : int
        The iteration the parameters belong to: smaller when EM converged earlier.
    params : GMMParams
    responsibilities : ndarray of shape (n_samples, n_components)
        The posterior under ``params`` (the next E-step's responsibilities), which a
        snapshot's points are coloured by.
    """

    iteration: int
    reached: int
    params: GMMParams
    responsibilities: np.ndarray


def parse_iterations(text: str) -> list[int]:
    """``"0, 1, 2, 5, 20"`` -> ``[0, 1, 2, 5, 20]`` (sorted, unique).

    Raises
    ------
    ValueError
        With a one-line message for anything but non-negative whole numbers.
    """
    values = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ValueError(f"iterations must be whole numbers like 0, 1, 2, 5, 20; got {part!r}")
        values.append(int(part))
    if not values:
        raise ValueError("give at least one iteration, like 0, 1, 2, 5, 20")
    return sorted(set(values))


def snapshots(
    X: np.ndarray,
    start: GMMParams,
    iterations: Sequence[int],
    tol: float = DEFAULT_TOL,
    reg_covar: float = DEFAULT_REG_COVAR,
) -> list[Snapshot]:
    """Run EM from ``start`` and keep the parameters after each requested iteration.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    start : GMMParams
        The initial parameters (iteration 0).
    iterations : sequence of int
    tol, reg_covar
        As in the session; EM stops when it converges, and later snapshots show the
        converged parameters.
    """
    wanted = sorted(set(int(i) for i in iterations))
    result = fit(X, init_params=start, max_iter=max(wanted), tol=tol, reg_covar=reg_covar)
    by_iteration = {record.iteration: record.params for record in result.history}
    last = max(by_iteration)
    shots = []
    for i in wanted:
        params = by_iteration[min(i, last)]
        resp = posterior(X, params)[0].T
        shots.append(Snapshot(i, min(i, last), params, resp))
    return shots
