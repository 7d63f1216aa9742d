"""The M-step: parameters from sufficient statistics, and degeneracy repair.

Pure numpy; no Qt. :func:`m_step` is the one M-step: the session's transitions, headless
``fit`` and the initialisation all call it. Its data-dependent half, the sufficient
statistics of the responsibilities (:mod:`gmmviewer.core.em.statistics`), is collected
by the E-step's pass while each chunk's responsibilities are in cache (or, for an
initialisation, from the starting responsibilities), so the M-step itself never
touches the samples.

The estimators follow scikit-learn's ``_estimate_gaussian_parameters``: ``n_k`` is
guarded by ``10 * eps``, ``reg_covar`` is added to the diagonal, and weights are
``n_k / sum(n_k)``. Where scikit-learn would raise (a covariance that is not positive
definite), :func:`m_step` instead adds more to that component's diagonal and reports
what it did, so a step never fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.gaussian import SingularCovarianceError
from gmmviewer.core.em.statistics import SufficientStatistics
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams

#: A component whose responsibilities sum to less than this many points has lost them all.
EMPTY_COMPONENT_POINTS = 1e-8
#: A spread below this fraction of the data's variance counts as zero.
RELATIVE_ZERO_SPREAD = 1e-10
#: No covariance eigenvalue may fall below this fraction of the data's variance.
MIN_RELATIVE_VARIANCE = 1e-12
_EPS = 10.0 * np.finfo(float).eps


@dataclass(frozen=True)
class ComponentIssue:
    """Something degenerate the M-step found (and worked around) in one component.

    Attributes
    ----------
    component : int or None
        0-based index, or None for the tied covariance.
    kind : {'empty', 'collapsed', 'flat', 'regularised'}
    message : str
        One line for the user, with the component numbered from 1.
    """

    component: int | None
    kind: str
    message: str


@dataclass(frozen=True)
class MStepResult:
    """New parameters and what had to be repaired to get them."""

    params: GMMParams
    issues: tuple[ComponentIssue, ...] = ()

    @property
    def status(self) -> str:
        """The issues as one line, or '' when there were none."""
        return "; ".join(issue.message for issue in self.issues)


def m_step(
    stats: SufficientStatistics,
    reg_covar: float,
    previous: GMMParams | None = None,
    data_variance: float = 1.0,
) -> MStepResult:
    """The M-step: maximise the expected complete log-likelihood given sufficient statistics.

    Parameters
    ----------
    stats : SufficientStatistics
        Statistics of the responsibilities r, shape (n_components, n_samples), around
        centres of shape (n_components, n_features).
    reg_covar : float
        Added to every covariance diagonal (non-negative).
    previous : GMMParams, optional
        The parameters before this step; a component that lost all its points keeps
        its previous mean and covariance (any value maximises the bound for it).
    data_variance : float
        Mean per-feature variance of the data, the yardstick for "zero spread".

    Returns
    -------
    MStepResult
        Parameters with finite values and positive definite covariances.
    """
    kind = stats.covariance_type
    k, d = stats.centres.shape
    scale = data_variance if data_variance > 0 and np.isfinite(data_variance) else 1.0
    raw_counts = stats.counts
    counts = raw_counts + _EPS
    shift = stats.first / counts[:, None]
    means = stats.centres + shift
    weights = counts / counts.sum()
    issues: list[ComponentIssue] = []
    empty = raw_counts < EMPTY_COMPONENT_POINTS

    if kind in ("full", "tied"):
        scatter = stats.second / counts[:, None, None] - shift[:, :, None] * shift[:, None, :]
        scatter = 0.5 * (scatter + scatter.transpose(0, 2, 1))
        if kind == "full":
            covariances = scatter.copy()
        else:
            covariances = np.einsum("k,kij->ij", counts, scatter) / counts.sum()
        spreads = np.linalg.eigvalsh(scatter) if d > 1 else scatter.reshape(k, 1)
    else:
        variances = np.maximum(stats.second / counts[:, None] - shift**2, 0.0)
        covariances = variances if kind == "diag" else variances.mean(axis=1)
        spreads = np.sort(variances, axis=1)

    for index in range(k):
        if empty[index]:
            issues.append(
                ComponentIssue(
                    index,
                    "empty",
                    f"component {index + 1} lost all its points: remove it or re-initialise",
                )
            )
        elif spreads[index, -1] <= RELATIVE_ZERO_SPREAD * scale:
            issues.append(
                ComponentIssue(
                    index,
                    "collapsed",
                    f"component {index + 1} collapsed onto a single point: "
                    "increase reg_covar or lower K",
                )
            )
        elif d > 1 and spreads[index, 0] <= RELATIVE_ZERO_SPREAD * spreads[index, -1]:
            issues.append(
                ComponentIssue(
                    index,
                    "flat",
                    f"component {index + 1}'s points lie on a line or plane "
                    "(singular covariance): increase reg_covar",
                )
            )

    covariances = _add_to_diagonal(covariances, kind, reg_covar)
    if previous is not None and np.any(empty) and previous.n_components == k:
        means[empty] = previous.means[empty]
        if kind in ("full", "diag", "spherical"):
            covariances[empty] = previous.covariances[empty]

    params, repairs = _positive_definite(weights, means, covariances, kind, reg_covar, scale)
    return MStepResult(params, tuple(issues) + repairs)


def _add_to_diagonal(covariances: np.ndarray, kind: str, amount: float) -> np.ndarray:
    covariances = np.array(covariances, dtype=float)
    if amount == 0.0:
        return covariances
    if kind == "full":
        d = covariances.shape[1]
        covariances[:, np.arange(d), np.arange(d)] += amount
    elif kind == "tied":
        covariances[np.diag_indices_from(covariances)] += amount
    else:
        covariances += amount
    return covariances


def _positive_definite(
    weights: np.ndarray,
    means: np.ndarray,
    covariances: np.ndarray,
    kind: str,
    reg_covar: float,
    scale: float,
) -> tuple[GMMParams, tuple[ComponentIssue, ...]]:
    """Build parameters whose covariances are safely positive definite.

    Every eigenvalue is raised to at least ``MIN_RELATIVE_VARIANCE * scale`` (without
    such a floor a collapsing component's variance shrinks towards zero, its
    precision overflows and densities turn into NaN). A covariance that still fails
    to factorise gets ten times more on its diagonal until it does. Every repair is
    reported with its size.

    Raises
    ------
    ParameterError
        When the covariances are not finite (they overflowed), so no repair can help.
    """
    floor = MIN_RELATIVE_VARIANCE * scale
    covariances = np.array(covariances, dtype=float)
    added: dict[int | None, float] = {}
    if kind in ("full", "tied"):
        stack = covariances.reshape(-1, *covariances.shape[-2:])
        smallest = np.linalg.eigvalsh(stack)[:, 0]
        dim = stack.shape[1]
        for index in np.flatnonzero(~(smallest >= floor)):
            amount = floor - smallest[index] if np.isfinite(smallest[index]) else floor
            stack[index, np.arange(dim), np.arange(dim)] += amount
            added[None if kind == "tied" else int(index)] = amount
        covariances = stack.reshape(covariances.shape)
    else:
        low = ~(covariances >= floor)
        for index in np.unique(np.nonzero(low)[0]):
            added[int(index)] = floor
        covariances[low] = floor

    for _ in range(64):
        params = GMMParams(weights, means, covariances, kind)
        try:
            _ = params.precisions_cholesky
        except SingularCovarianceError as error:
            which = error.component
            # Starting no lower than the matrix's rounding error (eps times its size), ten
            # times more a try reaches its diagonal within about twenty tries at any scale.
            size = float(np.max(np.abs(covariances if which is None else covariances[which])))
            amount = 10.0 * max(added.get(which, 0.0), reg_covar, floor, 1e-17 * size)
            covariances = np.array(covariances)
            if kind == "tied":
                covariances[np.diag_indices_from(covariances)] += amount
            elif kind == "full":
                dim = covariances.shape[1]
                covariances[which, np.arange(dim), np.arange(dim)] += amount
            else:
                covariances[which] = covariances[which] + amount
            added[which] = added.get(which, 0.0) + amount
            continue
        repairs = tuple(
            ComponentIssue(
                which,
                "regularised",
                ("the tied covariance" if which is None else f"component {which + 1}'s covariance")
                + f" was singular, so {amount:.1g} was added to its diagonal: increase reg_covar",
            )
            for which, amount in added.items()
        )
        return params, repairs
    raise ParameterError(
        "a covariance could not be made positive definite (its values overflow): "
        "rescale the data or increase reg_covar"
    )
