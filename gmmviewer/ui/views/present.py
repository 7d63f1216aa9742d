"""Drawing one EM state into a plot view: the one presenter.

The window's controller, the animation recorder and the snapshot strip all draw a state
with :func:`present`, against the :class:`~gmmviewer.ui.views.plot_view.PlotView`
interface, so a frame of an animation looks exactly like the window at that half-step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gmmviewer.core.params import GMMParams
from gmmviewer.ui.views.colours import blend, component_colours
from gmmviewer.ui.views.geometry import marginal
from gmmviewer.ui.views.plot_view import PlotView


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


#: Passed for a part of the state that the view already shows.
UNCHANGED = _Unchanged()


def point_colours(responsibilities: np.ndarray | None, n_points: int) -> np.ndarray:
    """Each point's colour for responsibilities of shape (n_points, K); grey for None.

    Returns
    -------
    rgb : ndarray of shape (n_points, 3), dtype uint8
        Cheap enough for a worker thread: a (N, K) x (K, 3) product, no Qt.
    """
    if responsibilities is None:
        return blend(None, np.zeros((0, 3), np.uint8), n_points)
    colours = component_colours(responsibilities.shape[1])
    return blend(responsibilities, colours, n_points)


def present(
    view: PlotView,
    params: GMMParams | _Unchanged,
    dims: Sequence[int],
    colours: np.ndarray | None | _Unchanged = UNCHANGED,
    fade: bool = False,
) -> None:
    """Draw a state's components and point colours into ``view``.

    Parameters
    ----------
    view : PlotView
    params : GMMParams or UNCHANGED
        The parameters whose ellipses (or 1-D densities) and mean handles are drawn, in
        the fitted space; only the columns ``dims`` are shown.
    dims : sequence of int
        One or two data columns.
    colours : ndarray of shape (n_points, 3), None or UNCHANGED
        Point colours from :func:`point_colours`; None draws the neutral grey.
    fade : bool
        Draw components as strongly as their expected weights (variational fits).
    """
    if isinstance(params, GMMParams):
        means, covariances = marginal(params, tuple(dims))
        view.show_components(
            means, covariances, component_colours(params.n_components), params.weights, fade
        )
    if not isinstance(colours, _Unchanged):
        view.show_colours(colours)
