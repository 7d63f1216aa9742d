"""Plot geometry in numpy: covariance ellipses and density grids. Imports no Qt.

These turn parameters the controller already has into shapes the views draw; they
do no fitting.
"""

from __future__ import annotations

import numpy as np

from gmmviewer.core.em.estep import mixture_log_density
from gmmviewer.core.params import GMMParams


def data_extent(values: np.ndarray, margin: float = 0.15) -> tuple[tuple[float, float], ...]:
    """The range of each column, widened by ``margin`` of its width on each side.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_columns)

    Returns
    -------
    extent : tuple of (low, high), one per column
    """
    low, high = values.min(axis=0), values.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-9)
    return tuple((float(a - p), float(b + p)) for a, b, p in zip(low, high, pad, strict=True))


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


def density_curve(
    params: GMMParams,
    x_range: tuple[float, float],
    resolution: int = 600,
    dim: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Mixture log-density of one dimension's marginal on a regular grid.

    Returns
    -------
    xs : ndarray of shape (resolution,)
    log_density : ndarray of shape (resolution,)
    """
    means, covariances = marginal(params, (dim,))
    single = GMMParams(params.weights, means, covariances, "full")
    xs = np.linspace(*x_range, resolution)
    return xs, mixture_log_density(xs.reshape(-1, 1), single)


def contour_levels(log_density: np.ndarray, n_levels: int = 6) -> np.ndarray:
    """Density levels spaced geometrically from the peak down to 1/1000 of it.

    Returns
    -------
    levels : ndarray of shape (n_levels,)
        In density units (not log), ascending.
    """
    peak = float(np.max(log_density))
    return np.exp(peak + np.linspace(np.log(1e-3), np.log(0.7), n_levels))


def nearest_centre_grid(
    centres: np.ndarray,
    extent: tuple[tuple[float, float], tuple[float, float]],
    resolution: int = 240,
) -> np.ndarray:
    """Index of the nearest centre at every point of a grid: Voronoi cells as an image.

    Parameters
    ----------
    centres : ndarray of shape (K, 2)
    extent : ((x0, x1), (y0, y1))
    resolution : int

    Returns
    -------
    labels : ndarray of shape (resolution, resolution), int
        ``labels[row, column]``, row 0 at ``y0`` and column 0 at ``x0``.
    """
    (x0, x1), (y0, y1) = extent
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    grid_y, grid_x = np.meshgrid(ys, xs, indexing="ij")
    distances = (grid_x[..., None] - centres[:, 0]) ** 2 + (grid_y[..., None] - centres[:, 1]) ** 2
    return np.argmin(distances, axis=2)


def voronoi_edges(
    centres: np.ndarray,
    extent: tuple[tuple[float, float], tuple[float, float]],
    samples: int = 4000,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The boundaries between nearest-centre regions, as straight segments.

    Each boundary lies on the perpendicular bisector of two centres, where those two are
    the nearest; that part of the bisector is one segment (the cells are convex), found
    by sampling the bisector across ``extent``. Works for any K, collinear centres
    included.

    Returns
    -------
    edges : list of (start, end), each an ndarray of shape (2,)
    """
    (x0, x1), (y0, y1) = extent
    reach = 2.0 * np.hypot(x1 - x0, y1 - y0)
    middle = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    edges = []
    k = len(centres)
    for i in range(k):
        for j in range(i + 1, k):
            gap = centres[j] - centres[i]
            length = np.hypot(*gap)
            if length == 0:
                continue
            midpoint = (centres[i] + centres[j]) / 2
            direction = np.array([-gap[1], gap[0]]) / length
            # Sample the bisector around the point on it nearest the middle of the view.
            anchor = midpoint + direction * np.dot(middle - midpoint, direction)
            t = np.linspace(-reach, reach, samples)
            points = anchor + t[:, None] * direction
            distances = ((points[:, None, :] - centres[None]) ** 2).sum(axis=2)
            own = distances[:, i]
            others = np.delete(distances, [i, j], axis=1)
            keep = (
                np.ones(samples, dtype=bool)
                if others.size == 0
                else (own <= others.min(axis=1) * (1 + 1e-12))
            )
            if keep.any():
                inside = np.flatnonzero(keep)
                edges.append((points[inside[0]], points[inside[-1]]))
    return edges
