"""Plot geometry in numpy: covariance ellipses and density grids. Imports no Qt.

These turn parameters the controller already has into shapes the views draw; they
do no fitting.
"""

from __future__ import annotations

import numpy as np

from gmmviewer.core.estep import mixture_log_density
from gmmviewer.core.params import GMMParams


def ellipse_points(
    mean: np.ndarray, covariance: np.ndarray, n_std: float = 1.0, n_points: int = 97
) -> np.ndarray:
    """Closed outline of the ``n_std`` standard-deviation ellipse of a 2-D Gaussian.

    Parameters
    ----------
    mean : ndarray of shape (2,)
    covariance : ndarray of shape (2, 2)
    n_std : float
    n_points : int
        Vertices; the last repeats the first so the outline closes.

    Returns
    -------
    outline : ndarray of shape (n_points, 2)
    """
    eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (covariance + covariance.T))
    radii = n_std * np.sqrt(np.maximum(eigenvalues, 0.0))
    angles = np.linspace(0.0, 2.0 * np.pi, n_points)
    circle = np.column_stack([np.cos(angles), np.sin(angles)])
    return mean + (circle * radii) @ eigenvectors.T


def marginal(params: GMMParams, dims: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Means and full covariances of two chosen dimensions (the marginal of each component).

    Returns
    -------
    means : ndarray of shape (n_components, 2)
    covariances : ndarray of shape (n_components, 2, 2)
    """
    index = list(dims)
    full = params.full_covariances()
    return params.means[:, index], full[:, index][:, :, index]


def density_grid(
    params: GMMParams,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    resolution: int = 120,
    dims: tuple[int, int] = (0, 1),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mixture log-density of the two shown dimensions on a regular grid.

    Parameters
    ----------
    params : GMMParams
    x_range, y_range : (float, float)
    resolution : int
        Grid points per side.
    dims : (int, int)
        The dimensions shown; the density is that of their marginal mixture.

    Returns
    -------
    xs : ndarray of shape (resolution,)
    ys : ndarray of shape (resolution,)
    log_density : ndarray of shape (resolution, resolution)
        Indexed ``[ix, iy]``.
    """
    means, covariances = marginal(params, dims)
    pair = GMMParams(params.weights, means, covariances, "full")
    xs = np.linspace(*x_range, resolution)
    ys = np.linspace(*y_range, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys, indexing="ij")
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    return xs, ys, mixture_log_density(points, pair).reshape(resolution, resolution)


def contour_levels(log_density: np.ndarray, n_levels: int = 6) -> np.ndarray:
    """Density levels spaced geometrically from the peak down to 1/1000 of it.

    Returns
    -------
    levels : ndarray of shape (n_levels,)
        In density units (not log), ascending.
    """
    peak = float(np.max(log_density))
    return np.exp(peak + np.linspace(np.log(1e-3), np.log(0.7), n_levels))
