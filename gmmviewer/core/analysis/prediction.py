"""Predictions a student makes before a half-step, and how close they came. No Qt.

Before an M-step a student drags "ghost" means (and may widen or narrow ghost
ellipses) to where they expect the M-step to put the components: a
:class:`MeanPrediction`, scored by :func:`score_mean_prediction`. Before an E-step they
guess one point's responsibilities: a :class:`ResponsibilityPrediction`, scored by
:func:`score_responsibility_prediction`. The scores go into the session's
:class:`~gmmviewer.core.analysis.prediction_log.PredictionLog`.

How the scores are defined
--------------------------
*Means.* The error of component k is the Euclidean distance between its predicted and
its actual new mean, in the units EM fits, over the columns that were predicted (the
two on the plot). The **relative error** is the mean of these distances divided by the
**data spread** ``s = sqrt(mean_d var(X[:, d]))`` over the same columns
(:func:`data_spread`): the root-mean-square of the columns' standard deviations. A
relative error of 0.1 means the ghosts were off by a tenth of a typical column's
standard deviation, whatever the data's units.

*Ellipses*, when predicted: the relative Frobenius error
``||P_k - S_k||_F / ||S_k||_F`` of the predicted covariance P_k against the actual S_k
(0 when exact), and the **size ratio** ``(det P_k / det S_k) ** (1 / (2 d))``, the ratio
of the geometric-mean standard deviations (2 means the ghost was twice as wide).

*Responsibilities.* The **total variation distance** ``0.5 * sum_k |g_k - r_k|`` between
the guessed and the actual responsibilities of the point: the share of the point's
membership given to the wrong components, from 0 (exact) to 1.

Components are identified by their index, never matched: ghost k is scored against
component k's new mean, because the M-step moves each component from where it was,
and the point of the exercise is to predict where *that* component goes. Relabelling
the components of a prediction therefore changes its score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.passes import feature_variance
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams


def data_spread(X: np.ndarray, dims: Sequence[int] | None = None) -> float:
    """``sqrt(mean_d var(X[:, d]))`` over the columns ``dims`` (all when None).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    dims : sequence of int, optional

    Returns
    -------
    float
        The data spread the relative errors are measured against; 1.0 for data that
        do not vary at all (so a relative error stays finite and equals the error).
    """
    X = np.asarray(X, dtype=float)
    if dims is not None:
        X = X[:, list(dims)]
    variance = float(np.mean(feature_variance(X)))
    spread = float(np.sqrt(variance))
    return spread if spread > 0.0 and np.isfinite(spread) else 1.0


def _frozen(values: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype=float)
    values.setflags(write=False)
    return values


@dataclass(frozen=True)
class MeanPrediction:
    """Where a student expects the M-step to move each component's mean.

    Attributes
    ----------
    means : ndarray of shape (n_components, n_features)
        Predicted means; only the columns ``dims`` are scored (the others may simply
        hold the current means).
    history_index : int
        The history entry the prediction was made at (the state before the M-step).
    dims : tuple of int or None
        The columns predicted (the two on the plot); None for all.
    covariances : ndarray of shape (n_components, d, d) or None
        Predicted covariances over ``dims`` (d of them), when the ghost ellipses were
        resized; None when only the means were predicted.
    """

    means: np.ndarray
    history_index: int
    dims: tuple[int, ...] | None = None
    covariances: np.ndarray | None = None

    def __post_init__(self) -> None:
        means = _frozen(self.means)
        if means.ndim != 2 or not np.all(np.isfinite(means)):
            raise ParameterError("predicted means must be a finite (K, D) array")
        object.__setattr__(self, "means", means)
        if self.dims is not None:
            dims = tuple(int(d) for d in self.dims)
            if not dims or not all(0 <= d < means.shape[1] for d in dims):
                raise ParameterError("the predicted columns must be columns of the means")
            object.__setattr__(self, "dims", dims)
        if self.covariances is not None:
            covariances = _frozen(self.covariances)
            d = len(self.columns)
            if covariances.shape != (means.shape[0], d, d) or not np.all(np.isfinite(covariances)):
                raise ParameterError(f"predicted covariances must be a finite (K, {d}, {d}) array")
            object.__setattr__(self, "covariances", covariances)

    @property
    def columns(self) -> tuple[int, ...]:
        """The columns predicted (``dims``, or every column)."""
        return self.dims if self.dims is not None else tuple(range(self.means.shape[1]))

    def score(self, actual: GMMParams, data_scale: float) -> PredictionScore:
        """:func:`score_mean_prediction` of this prediction against ``actual``."""
        return score_mean_prediction(
            self.means, actual, data_scale, dims=self.dims, predicted_covariances=self.covariances
        )


@dataclass(frozen=True)
class PredictionScore:
    """How close a :class:`MeanPrediction` came (see the module docstring).

    Attributes
    ----------
    distances : ndarray of shape (n_components,)
        Distance from each predicted mean to the actual one, in the units EM fits.
    mean_error : float
        The mean of ``distances``.
    relative_error : float
        ``mean_error / data_scale``: the score (0 is perfect).
    data_scale : float
        The data spread the error is relative to.
    covariance_errors : ndarray of shape (n_components,) or None
        Relative Frobenius error of each predicted covariance, when covariances were
        predicted.
    size_ratios : ndarray of shape (n_components,) or None
        Predicted over actual geometric-mean standard deviation, when covariances were
        predicted.
    """

    distances: np.ndarray
    mean_error: float
    relative_error: float
    data_scale: float
    covariance_errors: np.ndarray | None = None
    size_ratios: np.ndarray | None = None


def score_mean_prediction(
    predicted_means: np.ndarray,
    actual_params: GMMParams,
    data_scale: float,
    *,
    dims: Sequence[int] | None = None,
    predicted_covariances: np.ndarray | None = None,
) -> PredictionScore:
    """Score predicted means (and covariances) against the parameters after the M-step.

    Parameters
    ----------
    predicted_means : ndarray of shape (n_components, n_features)
    actual_params : GMMParams
        The parameters the M-step produced (K components, D features).
    data_scale : float
        The data spread over ``dims`` (:func:`data_spread`); must be positive.
    dims : sequence of int, optional
        The columns compared; all when None.
    predicted_covariances : ndarray of shape (n_components, d, d), optional
        Predicted covariances over ``dims``; when given, the covariance scores are
        computed too.

    Returns
    -------
    PredictionScore

    Raises
    ------
    ParameterError
        When the shapes do not match the parameters or ``data_scale`` is not positive.
    """
    predicted = np.asarray(predicted_means, dtype=float)
    actual = actual_params.means
    if predicted.shape != actual.shape:
        raise ParameterError(
            f"predicted means have shape {predicted.shape}, the mixture's {actual.shape}"
        )
    scale = float(data_scale)
    if not (scale > 0.0 and np.isfinite(scale)):
        raise ParameterError("the data scale must be a positive number")
    columns = list(range(actual.shape[1]) if dims is None else dims)
    difference = predicted[:, columns] - actual[:, columns]
    distances = np.sqrt(np.einsum("kd,kd->k", difference, difference))
    mean_error = float(np.mean(distances))
    covariance_errors = size_ratios = None
    if predicted_covariances is not None:
        covariance_errors, size_ratios = _covariance_scores(
            np.asarray(predicted_covariances, dtype=float), actual_params, columns
        )
    return PredictionScore(
        distances=_frozen(distances),
        mean_error=mean_error,
        relative_error=mean_error / scale,
        data_scale=scale,
        covariance_errors=covariance_errors,
        size_ratios=size_ratios,
    )


def _covariance_scores(
    predicted: np.ndarray, actual_params: GMMParams, columns: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Relative Frobenius errors and size ratios, each of shape (n_components,)."""
    full = actual_params.full_covariances()
    actual = full[:, columns][:, :, columns]
    if predicted.shape != actual.shape:
        raise ParameterError(
            f"predicted covariances have shape {predicted.shape}, the mixture's {actual.shape}"
        )
    difference = np.linalg.norm(predicted - actual, axis=(1, 2))
    errors = difference / np.linalg.norm(actual, axis=(1, 2))
    # slogdet: a ratio of determinants of small covariances would underflow.
    sign_p, logdet_p = np.linalg.slogdet(predicted)
    sign_a, logdet_a = np.linalg.slogdet(actual)
    if np.any(sign_p <= 0) or np.any(sign_a <= 0):
        raise ParameterError("predicted and actual covariances must be positive definite")
    ratios = np.exp((logdet_p - logdet_a) / (2 * len(columns)))
    return _frozen(errors), _frozen(ratios)


@dataclass(frozen=True)
class ResponsibilityPrediction:
    """A guess of one point's responsibilities after the next E-step.

    Attributes
    ----------
    point : int
        Index of the data point.
    responsibilities : ndarray of shape (n_components,)
        The guess, normalised to sum to one on construction (all zeros means "no
        preference" and becomes uniform).
    history_index : int
        The history entry the guess was made at (the state before the E-step).
    """

    point: int
    responsibilities: np.ndarray
    history_index: int

    def __post_init__(self) -> None:
        guess = np.array(self.responsibilities, dtype=float).reshape(-1)
        if guess.size == 0 or not np.all(np.isfinite(guess)) or np.any(guess < 0):
            raise ParameterError("guessed responsibilities must be non-negative numbers")
        total = float(guess.sum())
        guess = guess / total if total > 0 else np.full(guess.size, 1.0 / guess.size)
        object.__setattr__(self, "responsibilities", _frozen(guess))
        object.__setattr__(self, "point", int(self.point))

    def score(self, actual: np.ndarray) -> ResponsibilityScore:
        """:func:`score_responsibility_prediction` against the point's actual row."""
        return score_responsibility_prediction(self.responsibilities, actual)


@dataclass(frozen=True)
class ResponsibilityScore:
    """How close a :class:`ResponsibilityPrediction` came.

    Attributes
    ----------
    guess, actual : ndarray of shape (n_components,)
    errors : ndarray of shape (n_components,)
        ``guess - actual`` (positive: too much membership given to that component).
    total_variation : float
        ``0.5 * sum |errors|`` in [0, 1]: the score (0 is perfect).
    """

    guess: np.ndarray
    actual: np.ndarray
    errors: np.ndarray
    total_variation: float


def score_responsibility_prediction(guess: np.ndarray, actual: np.ndarray) -> ResponsibilityScore:
    """Total variation distance between guessed and actual responsibilities of a point.

    Parameters
    ----------
    guess, actual : ndarray of shape (n_components,)
        Each sums to one (``guess`` is normalised here if it does not).

    Raises
    ------
    ParameterError
        When the shapes differ.
    """
    guess = ResponsibilityPrediction(0, guess, 0).responsibilities
    actual = np.asarray(actual, dtype=float).reshape(-1)
    if guess.shape != actual.shape:
        raise ParameterError(
            f"{guess.size} responsibilities were guessed for {actual.size} components"
        )
    errors = guess - actual
    return ResponsibilityScore(
        guess=guess,
        actual=_frozen(actual),
        errors=_frozen(errors),
        total_variation=0.5 * float(np.sum(np.abs(errors))),
    )
