"""The likelihood landscape: the NLL the mixture would have if one mean were elsewhere.

Pure numpy; no Qt. :func:`mean_landscape` evaluates, on a grid over two shown columns
(or one), the negative total log-likelihood with mean k moved there and every other
parameter fixed; :func:`pair_landscape` does the same over the positions of two means
in one column (1-D data with K = 2: the (mu1, mu2) plane, symmetric about mu1 = mu2 when
the two components are alike: label switching). :func:`mean_landscape_passes` and
:func:`pair_landscape_passes` yield a coarse grid and then a fine one, and stop when
asked (for a worker thread); a :class:`LandscapeSpec` names one such computation and
knows when two would give the same grid. The arithmetic lives in
:mod:`~gmmviewer.core.analysis.landscape_grid` and
:mod:`~gmmviewer.core.analysis.landscape_pair`; the means' paths in
:mod:`~gmmviewer.core.analysis.landscape_path`.

A landscape of mean k does not depend on where mean k is now (only on the data and
the other parameters), so dragging mean k leaves it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.analysis.landscape_grid import (
    SUBSAMPLE_POINTS,
    MeanTerms,
    evaluate_blocks,
    items_per_block,
    mean_terms,
)
from gmmviewer.core.analysis.landscape_pair import PairTerms, pair_terms
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.params import GMMParams

#: Grid points per side of the first, quick pass and of the refined one.
COARSE_RESOLUTION = 48
FINE_RESOLUTION = 160
RESOLUTIONS = (COARSE_RESOLUTION, FINE_RESOLUTION)

StopCheck = Callable[[], bool]


@dataclass(frozen=True, eq=False)
class Landscape:
    """Negative log-likelihood on a grid of positions of one mean, or of two.

    Attributes
    ----------
    xs : ndarray of shape (n_x,)
        Grid values of the first moving coordinate (a mean's first shown column, or the
        first mean of a pair).
    ys : ndarray of shape (n_y,) or None
        Of the second (None for one mean in one column).
    nll : ndarray of shape (n_y, n_x), or (n_x,) without ``ys``
        ``nll[j, i]`` with the mean (means) at ``(xs[i], ys[j])``.
    components : tuple of int
        ``(k,)`` for one mean, ``(a, b)`` for a pair.
    dims : tuple of int
        The columns the mean moves in (a pair: both means move in ``dims[0]``).
    subsampled : int or None
        When the data had more than :data:`SUBSAMPLE_POINTS` points, the size of the
        fixed random subsample the varying part was summed over (and scaled up by N/n);
        None when every point was used.
    n_samples : int
        N.
    """

    xs: np.ndarray
    ys: np.ndarray | None
    nll: np.ndarray
    components: tuple[int, ...]
    dims: tuple[int, ...]
    subsampled: int | None
    n_samples: int

    @property
    def is_pair(self) -> bool:
        """True for a landscape over two means."""
        return len(self.components) == 2

    @property
    def resolution(self) -> tuple[int, ...]:
        """``nll.shape``."""
        return tuple(self.nll.shape)


def grid_axis(value_range: tuple[float, float], resolution: int) -> np.ndarray:
    """``resolution`` evenly spaced values from ``value_range[0]`` to ``value_range[1]``."""
    low, high = float(value_range[0]), float(value_range[1])
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        raise ParameterError(f"a landscape needs a range with low < high, got {value_range}")
    if resolution < 2:
        raise ParameterError("a landscape needs at least two grid points per side")
    return np.linspace(low, high, int(resolution))


# ---------------------------------------------------------------------------- one mean
def mean_landscape(
    X: np.ndarray,
    params: GMMParams,
    component: int,
    xs: np.ndarray,
    ys: np.ndarray | None = None,
    dims: Sequence[int] = (0, 1),
    max_points: int | None = SUBSAMPLE_POINTS,
    should_stop: StopCheck | None = None,
) -> Landscape:
    """The NLL if mean ``component`` were at each grid point, everything else fixed.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams
    component : int
        k, 0-based.
    xs : ndarray of shape (n_x,)
        Values of the mean's coordinate ``dims[0]``.
    ys : ndarray of shape (n_y,), optional
        Values of coordinate ``dims[1]``; omit it (and give one dim) for one column.
    dims : sequence of one or two int
        The coordinates that move; the mean's others keep their values.
    max_points : int or None
        Above this many points, sum over a fixed random subsample (None: never).
    should_stop : callable, optional
        Asked between blocks; raises :class:`~gmmviewer.core.errors.Cancelled` when true.

    Returns
    -------
    Landscape
        ``nll`` of shape (n_y, n_x), or (n_x,) for one column.
    """
    dims = tuple(int(d) for d in dims)
    terms = mean_terms(X, params, component, dims, max_points)
    return _mean_grid(terms, np.asarray(xs, float), ys, dims, component, len(X), should_stop)


def _mean_grid(
    terms: MeanTerms,
    xs: np.ndarray,
    ys: np.ndarray | None,
    dims: tuple[int, ...],
    component: int,
    n_samples: int,
    should_stop: StopCheck | None,
) -> Landscape:
    if len(dims) == 2:
        if ys is None:
            raise ParameterError("a landscape over two columns needs values for both")
        ys = np.asarray(ys, float)
        grid_x, grid_y = np.meshgrid(xs, ys)
        positions = np.column_stack([grid_x.ravel(), grid_y.ravel()])
        shape: tuple[int, ...] = (ys.size, xs.size)
    else:
        ys = None
        positions = xs.reshape(-1, 1)
        shape = (xs.size,)
    per_block = items_per_block(terms.coefficients.shape[0])
    nll = evaluate_blocks(
        lambda rows: terms.nll(positions[rows]), positions.shape[0], per_block, should_stop
    )
    return Landscape(
        xs=xs,
        ys=ys,
        nll=nll.reshape(shape),
        components=(int(component),),
        dims=dims,
        subsampled=terms.subsampled,
        n_samples=int(n_samples),
    )


def mean_landscape_passes(
    X: np.ndarray,
    params: GMMParams,
    component: int,
    x_range: tuple[float, float],
    y_range: tuple[float, float] | None = None,
    dims: Sequence[int] = (0, 1),
    resolutions: Sequence[int] = RESOLUTIONS,
    should_stop: StopCheck | None = None,
    max_points: int | None = SUBSAMPLE_POINTS,
) -> Iterator[Landscape]:
    """:func:`mean_landscape` on square grids of each resolution in turn (coarse first).

    The per-point terms are computed once for all passes. ``should_stop`` is asked
    between blocks; a stop raises :class:`~gmmviewer.core.errors.Cancelled`.
    """
    dims = tuple(int(d) for d in dims)
    terms = mean_terms(X, params, component, dims, max_points)
    for resolution in resolutions:
        xs = grid_axis(x_range, resolution)
        ys = grid_axis(y_range, resolution) if len(dims) == 2 and y_range is not None else None
        yield _mean_grid(terms, xs, ys, dims, component, len(X), should_stop)


# ---------------------------------------------------------------------------- two means
def pair_landscape(
    X: np.ndarray,
    params: GMMParams,
    xs: np.ndarray,
    ys: np.ndarray,
    components: tuple[int, int] = (0, 1),
    dim: int = 0,
    max_points: int | None = SUBSAMPLE_POINTS,
    should_stop: StopCheck | None = None,
) -> Landscape:
    """The NLL over positions of two means along one column, everything else fixed.

    For 1-D data with K = 2 this is the whole (mu1, mu2) plane of the means. When the
    two components have equal weights and variances it is symmetric about the line
    mu1 = mu2: swapping the labels changes nothing (label switching).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    params : GMMParams
    xs : ndarray of shape (n_x,)
        Values of mean ``components[0]`` in column ``dim``.
    ys : ndarray of shape (n_y,)
        Values of mean ``components[1]``.
    components : (int, int)
    dim : int
    max_points, should_stop
        As for :func:`mean_landscape`.

    Returns
    -------
    Landscape
        ``nll[j, i]`` with mean a at ``xs[i]`` and mean b at ``ys[j]``.
    """
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    terms = pair_terms(X, params, xs, ys, components, dim, max_points)
    return _pair_grid(terms, xs, ys, components, dim, len(X), should_stop)


def _pair_grid(
    terms: PairTerms,
    xs: np.ndarray,
    ys: np.ndarray,
    components: tuple[int, int],
    dim: int,
    n_samples: int,
    should_stop: StopCheck | None,
) -> Landscape:
    n_points = terms.rest_terms.size
    rows_per_block = items_per_block(n_points * xs.size)

    def rows(block: slice) -> np.ndarray:
        return terms.nll_tile(block, slice(None))

    # A row of the grid is xs.size positions: when one row alone is a large block,
    # it is still one block (at most 160 x 20,000 values, 26 MB).
    nll = evaluate_blocks(rows, ys.size, rows_per_block, should_stop)
    return Landscape(
        xs=xs,
        ys=ys,
        nll=nll.reshape(ys.size, xs.size),
        components=(int(components[0]), int(components[1])),
        dims=(int(dim),),
        subsampled=terms.subsampled,
        n_samples=int(n_samples),
    )


def pair_landscape_passes(
    X: np.ndarray,
    params: GMMParams,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    components: tuple[int, int] = (0, 1),
    dim: int = 0,
    resolutions: Sequence[int] = RESOLUTIONS,
    should_stop: StopCheck | None = None,
    max_points: int | None = SUBSAMPLE_POINTS,
) -> Iterator[Landscape]:
    """:func:`pair_landscape` on square grids of each resolution in turn (coarse first)."""
    for resolution in resolutions:
        xs, ys = grid_axis(x_range, resolution), grid_axis(y_range, resolution)
        yield pair_landscape(X, params, xs, ys, components, dim, max_points, should_stop)


# ---------------------------------------------------------------------------- a request
@dataclass(frozen=True, eq=False)
class LandscapeSpec:
    """One landscape to compute: data, parameters, moving means, columns, grid ranges.

    ``components`` is ``(k,)`` for mean k moving in ``dims`` (one or two columns), or
    ``(a, b)`` for two means moving along ``dims[0]`` (the pair landscape, where
    ``x_range`` is mean a's and ``y_range`` mean b's).
    """

    X: np.ndarray
    params: GMMParams
    components: tuple[int, ...]
    dims: tuple[int, ...]
    x_range: tuple[float, float]
    y_range: tuple[float, float] | None

    @property
    def is_pair(self) -> bool:
        """True for a landscape over two means."""
        return len(self.components) == 2

    def depends_on(self) -> bytes:
        """The parameters the landscape depends on, as bytes: every one of them but the
        moving means' moving coordinates (where those means are now does not matter)."""
        means = np.array(self.params.means)
        for component in self.components:
            means[component, list(self.dims)] = 0.0
        params = self.params
        return b"|".join(
            (
                params.covariance_type.encode(),
                params.weights.tobytes(),
                params.covariances.tobytes(),
                means.tobytes(),
            )
        )

    def same_landscape(self, other: LandscapeSpec | None) -> bool:
        """True when ``other`` would compute the very same grids."""
        return (
            other is not None
            and other.X is self.X
            and other.components == self.components
            and other.dims == self.dims
            and other.x_range == self.x_range
            and other.y_range == self.y_range
            and other.depends_on() == self.depends_on()
        )

    def passes(
        self,
        should_stop: StopCheck | None = None,
        resolutions: Sequence[int] = RESOLUTIONS,
    ) -> Iterator[Landscape]:
        """The grids, coarse first (see :func:`mean_landscape_passes`)."""
        if self.is_pair:
            assert self.y_range is not None
            a, b = self.components
            return pair_landscape_passes(
                self.X, self.params, self.x_range, self.y_range, (a, b), self.dims[0],
                resolutions, should_stop,
            )  # fmt: skip
        return mean_landscape_passes(
            self.X, self.params, self.components[0], self.x_range, self.y_range, self.dims,
            resolutions, should_stop,
        )  # fmt: skip
