"""A one-dimensional slice through EM's objective: move one mean along a line.

Pure numpy; no Qt. :func:`bound_slice` evaluates the log-likelihood and the evidence
lower bound ``L(q, theta)`` for the current responsibilities ``q`` while the mean of one
component moves along ``mu_k + t d`` and every other parameter stays put. By default
``d`` is the move the next M-step will make, so the slice shows why that move cannot
lower the likelihood: the bound touches the likelihood where ``q`` was computed and its
top lies at ``t = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.estep import logsumexp_components, weighted_log_prob
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams

#: The default t values: -0.5 to 2 in steps of 1/24, so 0 and 1 are exact (61 values).
DEFAULT_TS = np.arange(-12, 49) / 24.0
#: Along the largest-variance direction (no M-step move), t is in standard deviations.
VARIANCE_TS = np.arange(-48, 49) / 24.0
#: A move shorter than this fraction of component k's standard deviation counts as none.
NO_MOVE = 1e-9
#: How the direction was chosen.
M_STEP_DIRECTION = "m-step"
LARGEST_VARIANCE_DIRECTION = "largest variance"
GIVEN_DIRECTION = "given"


@dataclass(frozen=True)
class BoundSlice:
    """The log-likelihood and the lower bound along ``mean_k(t) = origin + t * direction``.

    Attributes
    ----------
    ts : ndarray of shape (n_ts,)
    log_likelihood : ndarray of shape (n_ts,)
        Total log-likelihood with mean k at ``origin + t * direction``.
    bound : ndarray of shape (n_ts,)
        ``L(q, theta_t) = sum_n sum_j r_nj (log pi_j + log N(x_n | theta_t,j) - log r_nj)``
        with ``q`` held fixed (``0 log 0 = 0``).
    component : int
        The component whose mean moves (0-based).
    origin : ndarray of shape (n_features,)
        The current mean of component k (``t = 0``).
    direction : ndarray of shape (n_features,)
    direction_kind : {'m-step', 'largest variance', 'given'}
        'm-step': ``t = 1`` is the mean the next M-step computes from ``q``;
        'largest variance': that move was (nearly) zero, so ``d`` is one standard
        deviation along component k's longest axis; 'given': the caller's ``d``.
    n_samples, n_used : int
        Samples in the data, and samples the curves were computed from (a fixed random
        subset when fewer; both curves are then scaled by ``n_samples / n_used``).
    """

    ts: np.ndarray
    log_likelihood: np.ndarray
    bound: np.ndarray
    component: int
    origin: np.ndarray
    direction: np.ndarray
    direction_kind: str
    n_samples: int
    n_used: int

    @property
    def subsampled(self) -> bool:
        """True when the curves were estimated from a subset of the samples."""
        return self.n_used < self.n_samples

    @property
    def gap(self) -> np.ndarray:
        """``log_likelihood - bound``, the KL divergence from q to the posterior (>= 0)."""
        return self.log_likelihood - self.bound


def bound_slice(
    X: np.ndarray,
    params: GMMParams,
    q: GMMParams | np.ndarray,
    component: int,
    ts: np.ndarray | None = None,
    direction: np.ndarray | None = None,
    *,
    max_samples: int | None = None,
    seed: int = 0,
) -> BoundSlice:
    """Log-likelihood and lower bound as mean ``component`` moves along a line.

    Only mean k moves, to ``mu_k + t d``; weights, covariances and the other means stay,
    and so does ``q``. Since ``log N(x | mu_k + t d, Sigma_k)`` is quadratic in ``t``
    with ``Sigma_k`` fixed, the bound is a concave quadratic in ``t``:
    ``L(t) = L(0) + t d' P (S - R mu_k) - t^2 R d' P d / 2`` with ``P`` the precision,
    ``R = sum_n r_nk`` and ``S = sum_n r_nk x_n``. For the default direction
    ``d = S / R - mu_k`` (the M-step's new mean minus the current one) its maximum is at
    exactly ``t = 1``, the responsibility-weighted mean. When ``q`` is the posterior of
    ``params`` the bound equals the log-likelihood at ``t = 0`` and lies below it
    everywhere (the gap is a KL divergence).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams
        The current parameters theta (mean k at ``t = 0``).
    q : GMMParams or ndarray of shape (n_samples, n_components)
        The responsibilities: the parameters whose posterior they are (a session
        state's ``resp_params``), or the responsibilities themselves.
    component : int
        0-based index of the moving mean.
    ts : ndarray of shape (n_ts,), optional
        Where to evaluate; :data:`DEFAULT_TS` (-0.5 to 2, with 0 and 1) by default, or
        :data:`VARIANCE_TS` (-2 to 2) along the largest-variance direction.
    direction : ndarray of shape (n_features,), optional
        ``d``; by default the next M-step's move of mean k from ``q``, or, when that
        is (nearly) zero, one standard deviation along component k's longest axis.
    max_samples : int, optional
        Above this many samples the curves come from a fixed random subset of this size
        (seeded by ``seed``), scaled to the whole data; the direction always uses all.
    seed : int

    Returns
    -------
    BoundSlice

    Raises
    ------
    ParameterError
        For a component out of range, responsibilities of the wrong shape, or a
        direction of the wrong length.
    """
    X = np.asarray(X, dtype=float)
    n_samples, n_features = X.shape
    k = int(component)
    if not 0 <= k < params.n_components:
        raise ParameterError(f"there is no component {k + 1} among {params.n_components}")
    origin = np.array(params.means[k], dtype=float)
    if n_samples == 0:
        raise ParameterError("a bound slice needs data")

    resp_all = None if isinstance(q, GMMParams) else _checked_resp(q, n_samples, params)
    rows = _subset(n_samples, max_samples, seed)
    X_used = X if rows is None else X[rows]
    # W[j, n] = log pi_j + log N(x_n | theta_j): the whole model at t = 0.
    weighted, _ = weighted_log_prob(X_used, params)
    if resp_all is not None:
        resp = resp_all if rows is None else resp_all[rows]
    elif q is params:
        resp = np.exp(weighted - logsumexp_components(weighted)).T
    else:
        assert isinstance(q, GMMParams)
        if q.n_components != params.n_components:
            raise ParameterError("q and the parameters have different numbers of components")
        q_weighted, _ = weighted_log_prob(X_used, q)
        resp = np.exp(q_weighted - logsumexp_components(q_weighted)).T

    kind = GIVEN_DIRECTION
    if direction is None:
        direction, kind = _default_direction(X, params, q, resp_all, k, rows, resp)
    direction = np.asarray(direction, dtype=float).reshape(-1)
    if direction.size != n_features:
        raise ParameterError(f"a direction needs {n_features} coordinates, got {direction.size}")
    if ts is None:
        ts = VARIANCE_TS if kind == LARGEST_VARIANCE_DIRECTION else DEFAULT_TS
    ts = np.asarray(ts, dtype=float).reshape(-1)

    # log N(x | mu + t d) = log N(x | mu) + t a_n - t^2 c / 2, with a_n = d' P (x_n - mu)
    # and c = d' P d, P = U U' from the precision Cholesky factor U.
    factor = _precision_factor(params, k)
    whitened_d = direction @ factor
    a = ((X_used - origin) @ factor) @ whitened_d
    c = float(whitened_d @ whitened_d)
    moving = ts[:, None] * a[None, :] - 0.5 * c * (ts * ts)[:, None]  # (n_ts, n_used)

    others = np.delete(weighted, k, axis=0)
    rest = logsumexp_components(others) if len(others) else np.full(weighted.shape[1], -np.inf)
    log_likelihood = np.logaddexp(rest[None, :], weighted[k][None, :] + moving).sum(axis=1)

    r = np.asarray(resp, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_log_r = np.where(r > 0, r * np.log(np.where(r > 0, r, 1.0)), 0.0)
    # Terms with r = 0 add nothing, whatever W is (W may be -inf for a zero weight).
    expected = np.where(r.T > 0, r.T * weighted, 0.0).sum()
    bound = expected - r_log_r.sum() + moving @ r[:, k]

    used = X_used.shape[0]
    if used < n_samples:
        log_likelihood = log_likelihood * (n_samples / used)
        bound = bound * (n_samples / used)
    return BoundSlice(
        ts=ts,
        log_likelihood=log_likelihood,
        bound=bound,
        component=k,
        origin=origin,
        direction=direction,
        direction_kind=kind,
        n_samples=n_samples,
        n_used=used,
    )


def m_step_mean(X: np.ndarray, resp: np.ndarray, component: int) -> np.ndarray:
    """The M-step's new mean of one component: the responsibility-weighted mean.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    resp : ndarray of shape (n_samples, n_components)
    component : int

    Returns
    -------
    mean : ndarray of shape (n_features,)
        ``sum_n r_nk x_n / (sum_n r_nk + 10 eps)``, the M-step's guarded count.
    """
    weights = np.asarray(resp[:, component], dtype=float)
    count = weights.sum() + 10.0 * np.finfo(float).eps
    return (weights @ X) / count


def _checked_resp(resp: np.ndarray, n_samples: int, params: GMMParams) -> np.ndarray:
    resp = np.asarray(resp)
    if resp.shape != (n_samples, params.n_components):
        raise ParameterError(
            f"responsibilities must have shape ({n_samples}, {params.n_components}), "
            f"got {resp.shape}"
        )
    return resp


def _subset(n_samples: int, max_samples: int | None, seed: int) -> np.ndarray | None:
    """Sorted indices of a fixed random subset, or None to use every sample."""
    if max_samples is None or n_samples <= max_samples:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_samples, size=int(max_samples), replace=False))


def _default_direction(
    X: np.ndarray,
    params: GMMParams,
    q: GMMParams | np.ndarray,
    resp_all: np.ndarray | None,
    k: int,
    rows: np.ndarray | None,
    resp_used: np.ndarray,
) -> tuple[np.ndarray, str]:
    """The next M-step's move of mean k (from all samples), or the longest axis of k."""
    if resp_all is None and rows is None:
        resp_all = resp_used
    if resp_all is None:
        # The curves use a subset; the M-step's move needs q on every sample.
        assert isinstance(q, GMMParams)
        weighted, _ = weighted_log_prob(X, q)
        resp_all = np.exp(weighted - logsumexp_components(weighted)).T
    covariance = params.full_covariances()[k]
    values, vectors = np.linalg.eigh(covariance)
    move = m_step_mean(X, resp_all, k) - params.means[k]
    if np.linalg.norm(move) > NO_MOVE * np.sqrt(max(values[-1], 0.0)):
        return move, M_STEP_DIRECTION
    return vectors[:, -1] * np.sqrt(max(values[-1], 0.0)), LARGEST_VARIANCE_DIRECTION


def _precision_factor(params: GMMParams, k: int) -> np.ndarray:
    """Component k's precision Cholesky factor ``U`` (``P = U U'``) as a D x D matrix."""
    factors = params.precisions_cholesky
    d = params.n_features
    kind = params.covariance_type
    if kind == "full":
        return np.array(factors[k])
    if kind == "tied":
        return np.array(factors)
    if kind == "diag":
        return np.diag(factors[k])
    return float(factors[k]) * np.eye(d)
