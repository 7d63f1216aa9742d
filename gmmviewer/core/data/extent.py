"""Where data and parameters stay representable in floating point. Pure numpy; no Qt.

EM sums squared deviations over every sample, so values near the top of the double
range overflow and means far from the data cancel every significant digit. Data are
refused beyond :data:`~gmmviewer.core.limits.MAX_DATA_MAGNITUDE`, and means and
covariances beyond what :class:`DataExtent` allows, with a message naming the remedy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.em.passes import data_bounds
from gmmviewer.core.errors import DataError, ParameterError
from gmmviewer.core.limits import MAX_DATA_MAGNITUDE, MAX_MEAN_DISTANCE
from gmmviewer.core.params import GMMParams

#: Smallest covariance eigenvalue an edit or a start may have, as a fraction of the data's
#: mean variance: a little below the M-step's own floor, so its results always pass.
MIN_RELATIVE_EIGENVALUE = 1e-13


def check_data_magnitude(
    X: np.ndarray,
    columns: Sequence[str] = (),
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Refuse data with a value beyond ``MAX_DATA_MAGNITUDE``, naming the first such column.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite values.
    columns : sequence of str
        Column names for the message (default ``x1``, ``x2``, ...).
    bounds : tuple of ndarray of shape (n_features,), optional
        ``X``'s smallest and largest value per column, when the caller has them
        (:func:`~gmmviewer.core.em.passes.data_bounds`).

    Raises
    ------
    DataError
    """
    if X.size == 0:
        return
    # From the extremes: np.abs(X) would be a copy of X (160 MB at N = 1e7, D = 2).
    low, high = data_bounds(X) if bounds is None else bounds
    largest = np.maximum(np.abs(low), np.abs(high))
    over = np.flatnonzero(~(largest <= MAX_DATA_MAGNITUDE))
    if over.size:
        j = int(over[0])
        name = columns[j] if j < len(columns) else f"x{j + 1}"
        raise DataError(
            f"column {name!r} has a value of magnitude {largest[j]:.3g}, beyond the "
            f"{MAX_DATA_MAGNITUDE:.0e} gmmviewer can fit: rescale it (divide by a power of ten)"
        )


@dataclass(frozen=True)
class DataExtent:
    """The region of parameter space EM can handle exactly for one data matrix.

    Attributes
    ----------
    centre : ndarray of shape (n_features,)
        Centre of the data's bounding box.
    extent : float
        The largest column range (1 or the largest magnitude when every column is constant).
    variance : float
        The data's mean per-feature variance (1 when it is zero), the M-step's yardstick.
    """

    centre: np.ndarray
    extent: float
    variance: float

    @classmethod
    def of(cls, X: np.ndarray, variance: float) -> DataExtent:
        """The extent of ``X`` (shape (n_samples, n_features)) with mean variance ``variance``."""
        low, high = data_bounds(X)
        extent = float(np.max(high - low))
        if not extent > 0.0:
            extent = max(float(np.max(np.abs(X))), 1.0)
        if not (variance > 0.0 and np.isfinite(variance)):
            variance = 1.0
        return cls(low + 0.5 * (high - low), extent, float(variance))

    @property
    def max_distance(self) -> float:
        """Farthest a mean may lie from :attr:`centre` in any coordinate."""
        return MAX_MEAN_DISTANCE * self.extent

    def check_means(self, means: np.ndarray) -> None:
        """Refuse means (shape (n_components, n_features)) too far from the data.

        Raises
        ------
        ParameterError
        """
        distance = np.max(np.abs(np.asarray(means, float) - self.centre), axis=1)
        far = np.flatnonzero(~(distance <= self.max_distance))
        if far.size:
            k = int(far[0])
            raise ParameterError(
                f"the mean of component {k + 1} is {distance[k]:.3g} from the data's centre, "
                f"beyond {MAX_MEAN_DISTANCE:.0e} times the data's extent "
                f"({self.max_distance:.3g}): move it nearer the data"
            )

    def check_points(self, points: np.ndarray) -> None:
        """Refuse new data points (shape (n_points, n_features)) as far from the data as
        no mean may be: the data's extent would swallow every digit of the others.

        Raises
        ------
        DataError
        """
        distance = np.max(np.abs(np.asarray(points, float) - self.centre), axis=1)
        far = np.flatnonzero(~(distance <= self.max_distance))
        if far.size:
            n = int(far[0])
            raise DataError(
                f"a new point is {distance[n]:.3g} from the data's centre, beyond "
                f"{MAX_MEAN_DISTANCE:.0e} times the data's extent ({self.max_distance:.3g}): "
                "draw it nearer the data"
            )

    def check_params(self, params: GMMParams) -> GMMParams:
        """Refuse far means and covariances too small or too large for the data.

        Covariance eigenvalues must lie between ``MIN_RELATIVE_EIGENVALUE`` times the
        data's variance and the square of the farthest allowed distance.

        Raises
        ------
        ParameterError
        """
        self.check_means(params.means)
        kind = params.covariance_type
        if kind in ("full", "tied"):
            d = params.n_features
            eigenvalues = np.linalg.eigvalsh(params.covariances.reshape(-1, d, d))
        elif kind == "diag":
            eigenvalues = np.sort(params.covariances, axis=1)
        else:
            eigenvalues = params.covariances[:, None]
        low = MIN_RELATIVE_EIGENVALUE * self.variance
        high = self.max_distance**2
        bad = np.flatnonzero(~((eigenvalues[:, 0] >= low) & (eigenvalues[:, -1] <= high)))
        if bad.size:
            k = int(bad[0])
            which = "the tied covariance" if kind == "tied" else f"component {k + 1}'s covariance"
            raise ParameterError(
                f"{which} has variances from {eigenvalues[k, 0]:.3g} to {eigenvalues[k, -1]:.3g}, "
                f"outside the {low:.3g} to {high:.3g} this data allows: use a covariance "
                "nearer the data's spread"
            )
        return params
