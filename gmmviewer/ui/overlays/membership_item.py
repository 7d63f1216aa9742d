"""Membership lines: a line from each point to each mean, as opaque as its responsibility.

:class:`MembershipItem` draws the pairs with ``r_nk`` above :data:`THRESHOLD` in the
component's colour. Opacity is binned into :data:`ALPHA_LEVELS` levels so the lines
are drawn as one ``QPainter.drawLines`` call per (component, level) from numpy-filled
line arrays, with no per-line Python and no per-line pen
(``tests/benchmarks/bench_membership.py`` compares this with pyqtgraph curves).
A small note in the plot's corner says what is not drawn (a subsample, no
responsibilities yet). Knows nothing of EM; imports Qt, pyqtgraph and numpy only.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui
from pyqtgraph.Qt.internals import PrimitiveArray

#: Pairs with a responsibility at or below this are not drawn.
THRESHOLD = 0.05
#: Opacity levels: responsibilities in (THRESHOLD, 1] fall into this many equal bins.
ALPHA_LEVELS = 8
#: Above this many points, a fixed random subset of this size gets lines.
MAX_POINTS = 5_000


def alpha_levels(responsibilities: np.ndarray) -> np.ndarray:
    """The opacity bin (0 to ALPHA_LEVELS - 1) of responsibilities above THRESHOLD."""
    fraction = (responsibilities - THRESHOLD) / (1.0 - THRESHOLD)
    return np.clip((fraction * ALPHA_LEVELS).astype(np.intp), 0, ALPHA_LEVELS - 1)


def level_opacity(level: int) -> float:
    """The opacity a bin is drawn with: the responsibility at the middle of the bin."""
    return THRESHOLD + (level + 0.5) * (1.0 - THRESHOLD) / ALPHA_LEVELS


def line_subset(n_points: int, max_points: int = MAX_POINTS, seed: int = 0) -> np.ndarray | None:
    """Sorted indices of a fixed random subset of ``max_points`` points, or None for all."""
    if n_points <= max_points:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_points, size=max_points, replace=False))


class MembershipItem(pg.GraphicsObject):
    """Lines from points to means, one opacity level per bin of responsibility.

    Add it with :meth:`attach`; push lines with :meth:`set_lines`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(-1)  # under the points, so the data stay readable
        # (component, level) -> lines; drawn in that order, strongest last.
        self._lines: dict[tuple[int, int], PrimitiveArray] = {}
        self._colours = np.zeros((0, 3), dtype=np.uint8)
        self._pairs = (np.empty(0, np.intp), np.empty(0, np.intp))
        self._rect = QtCore.QRectF()
        self._width = 1.0
        self.note = pg.TextItem(anchor=(0, 1))
        self.note.setZValue(30)
        self.note.setVisible(False)
        self._view_box: pg.ViewBox | None = None

    def attach(self, plot_item: pg.PlotItem) -> None:
        """Add the lines to a plot and its note to the plot's lower-left corner."""
        plot_item.addItem(self, ignoreBounds=True)
        self._view_box = plot_item.vb
        self.note.setParentItem(plot_item.vb)
        plot_item.vb.sigResized.connect(self._place_note)
        self._place_note()

    # ------------------------------------------------------------ pushed state
    def set_lines(
        self,
        points: np.ndarray,
        means: np.ndarray,
        responsibilities: np.ndarray,
        colours: np.ndarray,
    ) -> None:
        """Draw a line for every pair with ``r_nk > THRESHOLD``.

        Parameters
        ----------
        points : ndarray of shape (n_points, 2)
            The points with lines (already subsampled), in plot coordinates.
        means : ndarray of shape (n_components, 2)
        responsibilities : ndarray of shape (n_points, n_components)
        colours : ndarray of shape (n_components, 3), uint8
        """
        points = np.asarray(points, dtype=float)
        means = np.asarray(means, dtype=float)
        resp = np.asarray(responsibilities)
        self.prepareGeometryChange()
        self._colours = np.asarray(colours, dtype=np.uint8)
        rows, components = np.nonzero(resp > THRESHOLD)
        finite = np.all(np.isfinite(points[rows]), axis=1)
        rows, components = rows[finite], components[finite]
        self._pairs = (rows, components)
        levels = alpha_levels(resp[rows, components])
        self._lines = {}
        # Sorting once by (component, level) makes every bin a contiguous run.
        key = components * ALPHA_LEVELS + levels
        order = np.argsort(key, kind="stable")
        starts = np.searchsorted(key[order], np.arange(len(means) * ALPHA_LEVELS + 1))
        for index in range(len(means) * ALPHA_LEVELS):
            run = order[starts[index] : starts[index + 1]]
            if not len(run):
                continue
            k = index // ALPHA_LEVELS
            lines = PrimitiveArray(QtCore.QLineF, 4)
            lines.resize(len(run))
            coordinates = lines.ndarray()
            coordinates[:, 0:2] = points[rows[run]]
            coordinates[:, 2:4] = means[k]
            self._lines[k, index % ALPHA_LEVELS] = lines
        ends = np.vstack([points[rows], means]) if len(rows) else np.empty((0, 2))
        ends = ends[np.all(np.isfinite(ends), axis=1)]
        if len(ends):
            low, high = ends.min(axis=0), ends.max(axis=0)
            self._rect = QtCore.QRectF(low[0], low[1], high[0] - low[0], high[1] - low[1])
        else:
            self._rect = QtCore.QRectF()
        self.update()

    def clear(self) -> None:
        """Draw no lines."""
        self.prepareGeometryChange()
        self._lines = {}
        self._pairs = (np.empty(0, np.intp), np.empty(0, np.intp))
        self._rect = QtCore.QRectF()
        self.update()

    def set_note(self, text: str) -> None:
        """A short note in the plot's corner ('' hides it)."""
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self._place_note()

    def apply_style(self, foreground: QtGui.QColor, scale: float) -> None:
        """Line width and the note's colour and size for a theme and size factor."""
        self._width = 1.0 * scale
        self.note.setColor(foreground)
        font = QtGui.QFont()
        font.setPointSizeF(9.0 * scale)
        self.note.setFont(font)
        self._place_note()
        self.update()

    # ------------------------------------------------------------------- reading
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The (point row, component) of every line drawn (rows index the points given)."""
        return self._pairs

    def drawn_lines(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What :meth:`paint` draws, read back from its line arrays (for tests).

        Returns
        -------
        segments : ndarray of shape (n_lines, 4)
            ``x1, y1, x2, y2``: from a point to a mean.
        components : ndarray of shape (n_lines,), int
        opacities : ndarray of shape (n_lines,)
        """
        if not self._lines:
            return np.empty((0, 4)), np.empty(0, np.intp), np.empty(0)
        segments = np.vstack([lines.ndarray() for lines in self._lines.values()])
        components = np.concatenate(
            [np.full(len(lines), k) for (k, _), lines in self._lines.items()]
        )
        opacities = np.concatenate(
            [np.full(len(lines), level_opacity(level)) for (_, level), lines in self._lines.items()]
        )
        return segments, components, opacities

    def line_count(self) -> int:
        """How many lines are drawn."""
        return sum(len(lines) for lines in self._lines.values())

    @property
    def note_text(self) -> str:
        """The note shown ('' when hidden)."""
        return self.note.textItem.toPlainText() if self.note.isVisible() else ""

    # ------------------------------------------------------------------ drawing
    def _place_note(self, *_: object) -> None:
        if self._view_box is not None:
            rect = self._view_box.boundingRect()
            self.note.setPos(rect.left() + 6, rect.bottom() - 4)

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt override
        return QtCore.QRectF(self._rect)

    def paint(self, p: QtGui.QPainter, *_: object) -> None:
        if not self._lines:
            return
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        for (k, level), lines in self._lines.items():
            colour = QtGui.QColor(*map(int, self._colours[k]))
            colour.setAlphaF(level_opacity(level))
            pen = QtGui.QPen(colour)
            pen.setWidthF(self._width)
            pen.setCosmetic(True)
            p.setPen(pen)
            p.drawLines(*lines.drawargs())
