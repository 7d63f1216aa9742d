"""Synthetic data: samples from known mixtures, named presets and random well-separated mixtures.

Pure numpy; imports no Qt. Every function is exactly reproducible from its ``seed``
(``numpy.random.default_rng``) for a given numpy version.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import DataError
from gmmviewer.core.limits import MAX_SEPARATION
from gmmviewer.core.params import GMMParams

#: Largest condition number (ratio of largest to smallest eigenvalue) of the covariances
#: :func:`random_mixture_params` draws.
MAX_CONDITION = 10.0

#: Each weight :func:`random_mixture_params` draws is at least this fraction of 1 / K.
MIN_WEIGHT_FRACTION = 0.5

#: Seed of the fixed layout behind the ``well-separated`` preset.
WELL_SEPARATED_SEED = 3


# ==================================================================== sampling
def sample_mixture(
    params: GMMParams, n_samples: int, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw samples from a Gaussian mixture, with the component each came from.

    Component sizes are one multinomial draw of ``n_samples`` from the weights (as in
    the generative model, so they vary around ``n_samples * weights``); each component's
    points are ``mean + L @ z`` with ``L`` the Cholesky factor of its covariance and
    ``z`` standard normal. The sample order is then shuffled, so that no component is
    drawn on top of the others in a scatter plot.

    Parameters
    ----------
    params : GMMParams
        Any covariance type; must pass :meth:`GMMParams.validate`.
    n_samples : int
        At least 1.
    seed : int or None
        Seed of ``numpy.random.default_rng``; None draws fresh entropy.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of int of shape (n_samples,)
        Index (0-based) of the component that produced each row.

    Raises
    ------
    DataError
        When ``n_samples`` or ``seed`` is invalid.
    ParameterError
        When ``params`` is not a valid mixture.
    """
    n_samples = _check_positive_int(n_samples, "n_samples")
    rng = np.random.default_rng(_check_seed(seed))
    return _sample(params.validate(), n_samples, rng)


def _sample(
    params: GMMParams, n_samples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    # Renormalise: validate() allows a sum a little off one, multinomial() does not.
    probabilities = params.weights / params.weights.sum()
    counts = rng.multinomial(n_samples, probabilities)
    labels = rng.permutation(np.repeat(np.arange(params.n_components), counts))
    standard = rng.standard_normal((n_samples, params.n_features))
    X = np.empty_like(standard)
    # Cholesky rather than multivariate_normal's SVD: cheaper, and no sign ambiguity
    # that could make the same seed give different points on different LAPACKs.
    factors = np.linalg.cholesky(params.full_covariances())
    for k in range(params.n_components):
        members = labels == k
        X[members] = params.means[k] + standard[members] @ factors[k].T
    return X, labels


# ========================================================== random mixtures
def random_mixture_params(
    n_components: int, n_features: int = 2, separation: float = 3.0, seed: int = 0
) -> GMMParams:
    """Random mixture whose components are at least ``separation`` apart.

    Separation of components i and j: the distance between their means divided by the
    larger of their standard deviations along the line joining the means,
    ``|mu_i - mu_j| / max(sqrt(u' S_i u), sqrt(u' S_j u))`` with ``u`` the unit vector
    from ``mu_i`` to ``mu_j`` (see :func:`pairwise_separation`). Every pair meets it.

    Covariances have random orientation, standard deviations of order 0.5 to 1.5 and
    condition number at most :data:`MAX_CONDITION`. Weights are a Dirichlet(2, ..., 2)
    draw mixed half and half with uniform weights, so each is at least
    ``MIN_WEIGHT_FRACTION / n_components``. Means are drawn one at a time uniformly in
    a cube centred on the origin, rejecting any too close to those already placed; the
    cube grows until every mean fits.

    Parameters
    ----------
    n_components : int
        At least 1.
    n_features : int
        At least 1.
    separation : float
        Non-negative; 0 puts no constraint on the means.
    seed : int
        Non-negative; :func:`make_random_mixture` with the same arguments has these
        parameters as its truth.

    Returns
    -------
    GMMParams
        With 'full' covariances.
    """
    n_components = _check_positive_int(n_components, "n_components")
    n_features = _check_positive_int(n_features, "n_features")
    separation = _check_separation(separation)
    params_seed, _ = _split_seed(_check_seed(seed, allow_none=False))
    return _random_params(n_components, n_features, separation, np.random.default_rng(params_seed))


def make_random_mixture(
    n_components: int,
    n_samples: int,
    n_features: int = 2,
    separation: float = 3.0,
    seed: int = 0,
) -> Dataset:
    """Samples from :func:`random_mixture_params`, as a Dataset with its truth and labels.

    Parameters
    ----------
    n_components, n_features, separation, seed
        As in :func:`random_mixture_params`.
    n_samples : int
        At least 1.

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, n_features), ``labels``, ``truth``, columns
        ``x1`` ... ``xD`` and a ``source`` that records the arguments.
    """
    n_components = _check_positive_int(n_components, "n_components")
    n_samples = _check_positive_int(n_samples, "n_samples")
    n_features = _check_positive_int(n_features, "n_features")
    separation = _check_separation(separation)
    params_seed, sample_seed = _split_seed(_check_seed(seed, allow_none=False))
    truth = _random_params(n_components, n_features, separation, np.random.default_rng(params_seed))
    X, labels = _sample(truth, n_samples, np.random.default_rng(sample_seed))
    source = (
        f"random:n_components={n_components},n_features={n_features},"
        f"separation={separation:g},seed={seed}"
    )
    return Dataset(X=X, columns=_columns(n_features), source=source, labels=labels, truth=truth)


def pairwise_separation(params: GMMParams) -> np.ndarray:
    """Separation of every pair of components, as :func:`random_mixture_params` defines it.

    Returns
    -------
    separation : ndarray of shape (n_components, n_components)
        Symmetric; infinite on the diagonal. Zero for two components with the same mean.
    """
    means = params.means
    covariances = params.full_covariances()
    k = params.n_components
    result = np.full((k, k), np.inf)
    for i in range(k):
        for j in range(i + 1, k):
            result[i, j] = result[j, i] = _separation(
                means[i], covariances[i], means[j], covariances[j]
            )
    return result


def _separation(
    mean_a: np.ndarray, cov_a: np.ndarray, mean_b: np.ndarray, cov_b: np.ndarray
) -> float:
    offset = mean_b - mean_a
    distance = float(np.linalg.norm(offset))
    if distance == 0.0:
        return 0.0
    direction = offset / distance
    spread = math.sqrt(max(direction @ cov_a @ direction, direction @ cov_b @ direction))
    return distance / spread


def _random_params(
    n_components: int, n_features: int, separation: float, rng: np.random.Generator
) -> GMMParams:
    covariances = np.stack([_random_covariance(n_features, rng) for _ in range(n_components)])
    weights = (1.0 - MIN_WEIGHT_FRACTION) * rng.dirichlet(np.full(n_components, 2.0))
    weights += MIN_WEIGHT_FRACTION / n_components
    weights /= weights.sum()
    means = _place_means(covariances, separation, rng)
    return GMMParams(weights, means, covariances, "full")


def _random_covariance(n_features: int, rng: np.random.Generator) -> np.ndarray:
    scale = rng.uniform(0.5, 1.5) ** 2
    # Log-uniform spread of eigenvalues in [1, MAX_CONDITION] bounds the condition number.
    eigenvalues = scale * np.exp(rng.uniform(0.0, math.log(MAX_CONDITION), n_features))
    # Haar-random rotation: QR of a Gaussian matrix with the signs of R's diagonal fixed.
    q, r = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)
    covariance = (q * eigenvalues) @ q.T
    # Exactly symmetric, so validate() and the file formats see the matrix they expect.
    return (covariance + covariance.T) / 2.0


def _place_means(
    covariances: np.ndarray, separation: float, rng: np.random.Generator
) -> np.ndarray:
    n_components, n_features, _ = covariances.shape
    largest_std = math.sqrt(float(np.max(np.linalg.eigvalsh(covariances))))
    # About the smallest cube that holds K balls of diameter separation * std, so the
    # components end up near their minimum separation; it grows when crowded.
    half_width = 0.6 * max(separation, 1.0) * largest_std * n_components ** (1.0 / n_features)
    # A hair above the target so that recomputing the separation later, with different
    # rounding, still meets it.
    needed = separation * (1.0 + 1e-9)
    means = np.empty((n_components, n_features))
    for k in range(n_components):
        attempts = 0
        while True:
            candidate = rng.uniform(-half_width, half_width, n_features)
            if all(
                _separation(means[j], covariances[j], candidate, covariances[k]) >= needed
                for j in range(k)
            ):
                break
            attempts += 1
            if attempts % 50 == 0:
                half_width *= 1.25
        means[k] = candidate
    return means


# ===================================================================== presets
@dataclass(frozen=True)
class Preset:
    """A named example mixture.

    Attributes
    ----------
    description : str
        One line for menus and ``--help``.
    build : callable returning GMMParams
        The true parameters; the same every call (the seed only changes the sample).
    """

    description: str
    build: Callable[[], GMMParams]


def _lecture() -> GMMParams:
    return GMMParams(
        weights=[0.3, 0.2, 0.5],
        means=[[1.2, 0.4], [-4.4, 1.0], [4.1, -0.3]],
        covariances=[
            [[0.8, -0.4], [-0.4, 1.0]],
            [[1.2, -0.8], [-0.8, 1.0]],
            [[1.2, 0.6], [0.6, 3.0]],
        ],
    )


def _overlapping() -> GMMParams:
    return GMMParams(
        weights=[0.4, 0.35, 0.25],
        means=[[0.0, 0.0], [1.6, 0.6], [0.4, 1.9]],
        covariances=[
            [[1.0, 0.2], [0.2, 0.8]],
            [[0.9, -0.3], [-0.3, 1.1]],
            [[0.7, 0.1], [0.1, 0.9]],
        ],
    )


def _elongated() -> GMMParams:
    # Two crossing diagonals and one flat bar: correlations of +-0.93.
    return GMMParams(
        weights=[0.35, 0.35, 0.3],
        means=[[-3.0, 0.0], [3.0, 0.0], [0.0, -4.5]],
        covariances=[
            [[3.0, 2.8], [2.8, 3.0]],
            [[3.0, -2.8], [-2.8, 3.0]],
            [[5.0, 0.0], [0.0, 0.1]],
        ],
    )


def _unbalanced() -> GMMParams:
    return GMMParams(
        weights=[0.8, 0.15, 0.05],
        means=[[0.0, 0.0], [4.0, 3.0], [-3.5, 3.5]],
        covariances=[
            [[2.0, 0.3], [0.3, 1.5]],
            [[0.6, 0.0], [0.0, 0.6]],
            [[0.4, 0.1], [0.1, 0.3]],
        ],
    )


def _bimodal_1d() -> GMMParams:
    return GMMParams(
        weights=[0.6, 0.4],
        means=[[-2.0], [2.5]],
        covariances=[[[1.0]], [[0.5]]],
    )


def _well_separated() -> GMMParams:
    return random_mixture_params(4, 2, separation=5.0, seed=WELL_SEPARATED_SEED)


PRESETS: dict[str, Preset] = {
    "lecture": Preset(
        "three overlapping 2-D components from classic GMM lecture notebooks", _lecture
    ),
    "overlapping": Preset("three 2-D components that overlap substantially", _overlapping),
    "elongated": Preset("three long, thin, strongly correlated 2-D components", _elongated),
    "unbalanced": Preset("three 2-D components with weights 0.8, 0.15 and 0.05", _unbalanced),
    "bimodal-1d": Preset("two components on a line (one feature)", _bimodal_1d),
    "well-separated": Preset(
        "four 2-D components at least 5 standard deviations apart", _well_separated
    ),
}


def make_preset(name: str, n_samples: int = 600, seed: int = 0) -> Dataset:
    """Samples from a named preset mixture.

    Parameters
    ----------
    name : str
        A key of :data:`PRESETS`.
    n_samples : int
        At least 1.
    seed : int
        Seed of the sample; the preset's truth does not depend on it.

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, n_features), ``labels``, ``truth``, columns
        ``x1`` ... ``xD`` and source ``"preset:<name>"``.

    Raises
    ------
    DataError
        For an unknown name (the message lists the valid ones) or an invalid count or seed.
    """
    preset = PRESETS.get(name)
    if preset is None:
        raise DataError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    n_samples = _check_positive_int(n_samples, "n_samples")
    truth = preset.build()
    X, labels = _sample(truth, n_samples, np.random.default_rng(_check_seed(seed)))
    return Dataset(
        X=X,
        columns=_columns(truth.n_features),
        source=f"preset:{name}",
        labels=labels,
        truth=truth,
    )


# ===================================================================== helpers
def _columns(n_features: int) -> tuple[str, ...]:
    return tuple(f"x{i + 1}" for i in range(n_features))


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise DataError(f"{name} must be a whole number, got {value!r}")
    try:
        number = operator.index(value)
    except TypeError:
        raise DataError(f"{name} must be a whole number, got {value!r}") from None
    if number < 1:
        raise DataError(f"{name} must be at least 1, got {number}")
    return number


def _check_seed(seed: Any, *, allow_none: bool = True) -> int | None:
    if seed is None and allow_none:
        return None
    if not isinstance(seed, (bool, np.bool_)):
        try:
            number = operator.index(seed)
        except TypeError:
            pass
        else:
            if number >= 0:
                return number
    raise DataError(f"seed must be a non-negative whole number, got {seed!r}")


def _check_separation(separation: Any) -> float:
    try:
        value = float(separation)
    except (TypeError, ValueError):
        raise DataError(f"separation must be a number, got {separation!r}") from None
    if not math.isfinite(value) or value < 0.0:
        raise DataError(f"separation must be a finite number >= 0, got {separation!r}")
    if value > MAX_SEPARATION:
        raise DataError(f"separation must be at most {MAX_SEPARATION:g}, got {separation!r}")
    return value


def _split_seed(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """Independent streams for the parameters and the sample drawn from one seed."""
    params_seed, sample_seed = np.random.SeedSequence(seed).spawn(2)
    return params_seed, sample_seed
