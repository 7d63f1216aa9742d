"""Small scatter views after chosen iterations, in one image, as lecture notes show them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6 import QtCore, QtGui

from gmmviewer.core.analysis.snapshots import Snapshot
from gmmviewer.ui.views.present import point_colours, present
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.views.theme import Theme, qcolor

TILE_WIDTH = 380


def tile_size(view_range: tuple[tuple[float, float], tuple[float, float]]) -> QtCore.QSize:
    """A tile as wide as :data:`TILE_WIDTH` and as tall as the data's aspect needs."""
    (x0, x1), (y0, y1) = view_range
    ratio = (y1 - y0) / (x1 - x0) if x1 > x0 else 1.0
    plot_width = TILE_WIDTH - 50  # the y-axis takes the rest
    return QtCore.QSize(TILE_WIDTH, int(np.clip(plot_width * ratio + 70, 200, 520)))


def render_strip(
    X: np.ndarray,
    shots: Sequence[Snapshot],
    dims: tuple[int, int],
    labels: tuple[str, str],
    view_range: tuple[tuple[float, float], tuple[float, float]],
    theme: Theme,
    tile: QtCore.QSize | None = None,
) -> QtGui.QImage:
    """Draw one small scatter per snapshot, side by side, in one image.

    Each tile shows the points coloured by their responsibilities under that
    snapshot's parameters, and the parameters' ellipses, over the same axes.
    """
    images = []
    tile = tile or tile_size(view_range)
    xy = X[:, list(dims)]
    for shot in shots:
        view = ScatterView()
        view.resize(tile)
        view.apply_style(theme, 0.8)
        view.set_data(xy, labels)
        present(view, shot.params, dims, point_colours(shot.responsibilities, X.shape[0]))
        view.legend.setVisible(False)
        for handle in view.handles:
            handle.setVisible(False)
        title = f"iteration {shot.iteration}"
        if shot.reached < shot.iteration:
            title += f" (converged at {shot.reached})"
        view.plot_item.setTitle(title, color=qcolor(theme.foreground), size="11pt")
        (x0, x1), (y0, y1) = view_range
        view.plot_item.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        images.append(view.grab().toImage())
        view.deleteLater()
    width = sum(image.width() for image in images)
    height = max(image.height() for image in images)
    strip = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
    strip.fill(qcolor(theme.plot_background))
    painter = QtGui.QPainter(strip)
    x = 0
    for image in images:
        painter.drawImage(x, 0, image)
        x += image.width()
    painter.end()
    return strip
