"""A pyqtgraph item that draws up to a million points recoloured after every E-step.

Colours are numpy arrays end to end: no per-point ``QBrush`` and no per-point Python loop,
so a recolour costs milliseconds where ``ScatterPlotItem.setBrush`` costs seconds.
Knows nothing of EM; imports Qt, pyqtgraph and numpy only.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets
from pyqtgraph.Qt.internals import PrimitiveArray

from gmmviewer.ui.views.colours import NEUTRAL_GREY

#: Up to this many *visible* points each is an antialiased sprite; beyond, a numpy raster.
SPRITE_MAX_POINTS = 100_000
#: Points drawn at the full requested size; larger data sets shrink them (see auto_diameter).
FULL_SIZE_MAX_POINTS = 20_000
#: The auto-shrunk diameter never falls below this (it is reached at a million points).
MIN_AUTO_DIAMETER = 2.0
# Chosen so that 7 px at 2e4 points becomes exactly 2 px at 1e6: 7 * 50**-k = 2.
_SHRINK_EXPONENT = math.log(3.5) / math.log(50.0)
# 5 bits per channel: sprites differ from the true colour by at most 4/255 per channel,
# and at most 32768 sprites exist, however finely responsibilities blend.
_BITS = 5
_ATLAS_COLUMNS = 64
# Beyond this many colours the atlas starts afresh, so long runs and big sprites stay small.
_MAX_SLOTS = 4096
_OPAQUE = np.uint32(0xFF000000)
_PREMULTIPLIED = QtGui.QImage.Format.Format_ARGB32_Premultiplied


class _Style(NamedTuple):
    """How one paint draws: sizes in logical pixels, ``dpr`` device pixels per logical."""

    diameter: float
    ring_width: float  # 0: no edge
    outline: QtGui.QColor | None
    dpr: float


def auto_diameter(size: float, n_points: int) -> float:
    """The drawn diameter for a requested ``size`` in pixels and ``n_points`` points.

    ``size`` up to :data:`FULL_SIZE_MAX_POINTS` points, then shrinking as
    ``size * (2e4 / n_points) ** 0.32`` so that overlapping discs do not merge into a blob:
    7 px gives 4.2 px at 1e5 and 2 px at 1e6, never less than :data:`MIN_AUTO_DIAMETER`
    (or ``size`` itself when smaller).
    """
    if n_points <= FULL_SIZE_MAX_POINTS:
        return size
    shrunk = size * (FULL_SIZE_MAX_POINTS / n_points) ** _SHRINK_EXPONENT
    return max(shrunk, min(size, MIN_AUTO_DIAMETER))


def _pack_argb(rgb: np.ndarray) -> np.ndarray:
    """Opaque 0xAARRGGBB words, the pixel layout of QImage.Format_ARGB32(_Premultiplied)."""
    rgb32 = rgb.astype(np.uint32)
    return _OPAQUE | (rgb32[:, 0] << 16) | (rgb32[:, 1] << 8) | rgb32[:, 2]


def _ring_argb(argb: np.ndarray, outline: QtGui.QColor) -> np.ndarray:
    """Each colour mixed with ``outline`` by the outline's alpha: an edge of the same hue."""
    weight = outline.alphaF()
    mixed = np.empty(argb.shape, dtype=np.uint32)
    mixed[...] = _OPAQUE
    for shift, target in ((16, outline.red()), (8, outline.green()), (0, outline.blue())):
        channel = ((argb >> shift) & 0xFF).astype(np.float32)
        channel *= 1.0 - weight
        channel += target * weight + 0.5
        mixed |= channel.astype(np.uint32) << shift
    return mixed


class _SpriteAtlas:
    """Antialiased disc sprites, one per quantised colour, rendered in numpy on demand.

    A colour gets a slot the first time it is drawn and keeps it, so recolouring after an
    E-step only renders the few colours never seen before.
    """

    def __init__(self) -> None:
        self._slot_of_key = np.full(1 << (3 * _BITS), -1, dtype=np.int32)
        self._keys = np.empty(0, dtype=np.int32)  # key of each slot, in slot order
        self._style: tuple | None = None
        self._buffer = np.zeros((0, 0), dtype=np.uint32)
        self._rendered = 0  # slots [0, _rendered) are in _buffer
        self._pixmap: QtGui.QPixmap | None = None
        self.cell = 1

    def slots_for(self, argb: np.ndarray) -> np.ndarray:
        """Slot of each colour, giving slots to colours not seen before."""
        drop = 8 - _BITS
        mask = (1 << _BITS) - 1
        keys = (
            (((argb >> (16 + drop)) & mask) << (2 * _BITS))
            | (((argb >> (8 + drop)) & mask) << _BITS)
            | ((argb >> drop) & mask)
        )
        slots = self._slot_of_key[keys]
        if (slots < 0).any():
            if len(self._keys) > _MAX_SLOTS:
                self._slot_of_key[:], self._keys, self._rendered = -1, self._keys[:0], 0
                slots = self._slot_of_key[keys]
            # The new keys, sorted and each once: marked in a table rather than by
            # np.unique, whose first call imports numpy.ma (10 ms) before the first paint.
            seen = np.zeros(len(self._slot_of_key), dtype=bool)
            seen[keys[slots < 0]] = True
            new = np.flatnonzero(seen).astype(np.int32)
            self._slot_of_key[new] = np.arange(len(self._keys), len(self._keys) + len(new))
            self._keys = np.concatenate([self._keys, new])
            slots = self._slot_of_key[keys]
        return slots

    def pixmap(self, style: _Style) -> QtGui.QPixmap:
        """The atlas of every slotted colour's sprite, all re-rendered if the style changed."""
        rgba = None if style.outline is None else style.outline.getRgb()
        if (key := (*style[:2], rgba, style.dpr)) != self._style:
            self._style, self._rendered = key, 0
            self.cell = math.ceil(style.diameter * style.dpr) + 2  # margin for the AA edge
        if self._rendered < len(self._keys) or self._pixmap is None:
            self._render(style)
        return self._pixmap

    def _render(self, style: _Style) -> None:
        cell, n, dpr = self.cell, len(self._keys), style.dpr
        rows = max(1, -(-n // _ATLAS_COLUMNS))
        if self._rendered == 0 or self._buffer.shape[0] < rows * cell:
            grown = np.zeros((2 * rows * cell, _ATLAS_COLUMNS * cell), dtype=np.uint32)
            if self._rendered:
                grown[: self._buffer.shape[0]] = self._buffer
            self._buffer = grown
        new = np.arange(self._rendered, n)
        top = (1 << _BITS) - 1
        levels = np.stack([(self._keys[new] >> s) & top for s in (2 * _BITS, _BITS, 0)], axis=1)
        rgb = (levels * 255 / top + 0.5).astype(np.uint8)
        fill = _pack_argb(rgb)
        # Coverage of each pixel by the disc and by its interior, from the distance of the
        # pixel centre to the disc centre: a one-pixel linear ramp is smooth at these sizes.
        centre = np.arange(cell) + 0.5 - cell / 2
        dist = np.hypot(centre[:, None], centre[None, :])
        radius, ring_width = style.diameter * dpr / 2, style.ring_width * dpr
        cover = np.clip(radius + 0.5 - dist, 0.0, 1.0)
        inner = np.clip(radius - ring_width + 0.5 - dist, 0.0, 1.0)
        ring = fill if ring_width == 0 else _ring_argb(fill, style.outline)
        sprites = np.zeros((len(new), cell, cell), dtype=np.uint32)
        alpha = (cover * 255 + 0.5).astype(np.uint32)
        for shift in (16, 8, 0):
            inside = ((fill >> shift) & 0xFF).astype(np.float32)[:, None, None] * inner
            edge = ((ring >> shift) & 0xFF).astype(np.float32)[:, None, None] * (cover - inner)
            sprites |= ((inside + edge) + 0.5).astype(np.uint32) << shift  # premultiplied
        sprites |= alpha << 24
        tiles = self._buffer.reshape(-1, cell, _ATLAS_COLUMNS, cell)  # (row, y, column, x)
        tiles[new // _ATLAS_COLUMNS, :, new % _ATLAS_COLUMNS, :] = sprites
        self._rendered = n
        # fromImage copies, so _buffer may grow later.
        self._pixmap = QtGui.QPixmap.fromImage(_wrap_argb(self._buffer, dpr))


@functools.lru_cache(maxsize=16)
def _stamp(diameter: int, ring_width: int) -> tuple[tuple[int, int, bool, int], ...]:
    """Pixels ``(row, column, is_ring, alpha)`` of a ``diameter``-pixel disc in its box.

    ``alpha`` (1..256) is the pixel's coverage, as in the sprites; pixels covered less
    than 3/4 become translucent edges, the rest opaque. Ordered edges first, then ring,
    then fill, each from the rim inwards: stamped in this order, a pixel covered by
    several discs shows the one whose centre is nearest, so no point vanishes under a
    neighbour unless they share a pixel.
    """
    offsets = np.arange(diameter) + 0.5 - diameter / 2
    dist = np.hypot(offsets[:, None], offsets[None, :])
    cover = np.clip(diameter / 2 + 0.5 - dist, 0.0, 1.0)
    inner = np.clip(diameter / 2 - ring_width + 0.5 - dist, 0.0, 1.0)
    rows, cols = np.nonzero(cover > 0.1)
    alpha = np.where(cover >= 0.75, 256, np.rint(cover * 256)).astype(int)[rows, cols]
    is_ring = (inner < 0.75)[rows, cols] & (ring_width > 0)
    order = np.lexsort((-dist[rows, cols], ~is_ring, alpha))
    return tuple((int(rows[i]), int(cols[i]), bool(is_ring[i]), int(alpha[i])) for i in order)


def _inside(px: np.ndarray, py: np.ndarray, area: QtCore.QRectF, margin: float) -> np.ndarray:
    """Indices of the device positions within ``margin`` of ``area``, in data order (the
    stacking order)."""
    return np.flatnonzero(
        (px >= area.left() - margin)
        & (px <= area.right() + margin)
        & (py >= area.top() - margin)
        & (py <= area.bottom() + margin)
    )


def _transform_key(tr: QtGui.QTransform) -> tuple[float, ...]:
    return (tr.m11(), tr.m12(), tr.m21(), tr.m22(), tr.dx(), tr.dy())


def _rect_key(rect: QtCore.QRectF) -> tuple[float, float, float, float]:
    return (rect.x(), rect.y(), rect.width(), rect.height())


def _wrap_argb(pixels: np.ndarray, dpr: float) -> QtGui.QImage:
    """A QImage sharing the memory of a 2-D uint32 premultiplied-ARGB array."""
    height, width = pixels.shape
    image = QtGui.QImage(pixels.data, width, height, pixels.strides[0], _PREMULTIPLIED)
    image.setDevicePixelRatio(dpr)
    return image


def _premultiply(argb: np.ndarray, alpha: int) -> np.ndarray:
    """Opaque colours scaled by ``alpha / 256``, two channels per multiply."""
    red_blue = ((argb & 0x00FF00FF) * np.uint32(alpha) >> 8) & 0x00FF00FF
    alpha_green = (((argb >> 8) & 0x00FF00FF) * np.uint32(alpha)) & 0xFF00FF00
    return red_blue | alpha_green


class _Raster(NamedTuple):
    """Stamped discs, ready to draw: ``source`` of ``image`` goes to ``target``."""

    pixels: np.ndarray  # the memory ``image`` shares
    image: QtGui.QImage
    target: QtCore.QRectF
    source: QtCore.QRectF

    def draw(self, p: QtGui.QPainter) -> None:
        """Draw onto a painter whose transform is the identity (device pixels)."""
        p.drawImage(self.target, self.image, self.source)


def _render_raster(
    px: np.ndarray,
    py: np.ndarray,
    argb: np.ndarray,
    style: _Style,
    area: QtCore.QRectF,
) -> _Raster:
    """Stamp discs at device pixels ``(px, py) * dpr`` into a raster of ``area``."""
    dpr = style.dpr
    size = max(1, round(style.diameter * dpr))
    stamp = _stamp(size, round(style.ring_width * dpr))
    # A margin of one disc on every side lets stamps near the edge write without bounds
    # checks; only the inner part is drawn.
    left, top = math.floor(area.left() * dpr), math.floor(area.top() * dpr)
    width = min(max(1, math.ceil(area.right() * dpr) - left), 16384)
    height = min(max(1, math.ceil(area.bottom() * dpr) - top), 16384)
    stride = width + 2 * size
    col = np.floor(px * dpr + (size - left - size / 2 + 0.5)).astype(np.intp)
    row = np.floor(py * dpr + (size - top - size / 2 + 0.5)).astype(np.intp)
    np.clip(col, 0, width + size, out=col)
    np.clip(row, 0, height + size, out=row)
    corner = row * stride + col
    del row, col
    image = np.zeros((height + 2 * size, stride), dtype=np.uint32)
    flat = image.reshape(-1)
    ring = _ring_argb(argb, style.outline) if style.ring_width else argb
    colours: dict[tuple[bool, int], np.ndarray] = {}
    for dy, dx, is_ring, alpha in stamp:
        if (is_ring, alpha) not in colours:
            base = ring if is_ring else argb
            colours[is_ring, alpha] = base if alpha == 256 else _premultiply(base, alpha)
        # Slicing shifts the whole stamp offset at no cost; the write is one scatter.
        flat[dy * stride + dx :][corner] = colours[is_ring, alpha]
    target = QtCore.QRectF(left / dpr, top / dpr, width / dpr, height / dpr)
    return _Raster(image, _wrap_argb(image, dpr), target, QtCore.QRectF(size, size, width, height))


class PointCloudItem(pg.GraphicsObject):
    """Points of fixed pixel size, each with its own colour, drawn fast enough to recolour
    a million of them after every E-step.

    Up to :data:`SPRITE_MAX_POINTS` visible points are drawn as antialiased sprites in
    one ``drawPixmapFragments`` call, later points on top. More are stamped into a numpy
    ARGB raster at device resolution and drawn as one image, kept on screen until the
    points, their colours, the style or the view change. Points outside the view are
    skipped; the diameter shrinks for large data sets (:func:`auto_diameter`).
    """

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._argb = np.empty(0, dtype=np.uint32)
        self._bounds: list[tuple[float, float] | tuple[None, None]] = [(None, None)] * 2
        self._size = 7.0
        self._outline: QtGui.QColor | None = QtGui.QColor(0, 0, 0, 80)
        self._highlight: int | None = None
        self._atlas = _SpriteAtlas()
        self._fragments = PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)
        #: How the last paint drew the points, "sprite" or "raster" (for tests and benchmarks).
        self.last_strategy: str | None = None
        # Bumped whenever the points or their colours change; a kept raster is valid for
        # one version, style, view transform and view rectangle.
        self._version = 0
        self._raster: tuple[tuple, _Raster] | None = None

    # ----------------------------------------------------------------------- pushed state
    def set_points(self, xy: np.ndarray) -> None:
        """Replace the points.

        Parameters
        ----------
        xy : ndarray of shape (n_points, 2)
            Data coordinates; non-finite rows are never drawn. Colours reset to neutral
            grey when ``n_points`` changes, and an out-of-range highlight is cleared.
        """
        xy = np.asarray(xy, dtype=np.float64)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise ValueError(f"xy must have shape (n_points, 2), not {xy.shape}")
        self.prepareGeometryChange()
        # Separate contiguous columns: every paint streams through them.
        self._x, self._y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
        finite = np.isfinite(self._x) & np.isfinite(self._y)
        self._bounds = [
            (float(v[finite].min()), float(v[finite].max())) if finite.any() else (None, None)
            for v in (self._x, self._y)
        ]
        if len(self._argb) != len(xy):
            self.set_colours(None)
        if self._highlight is not None and self._highlight >= len(xy):
            self._highlight = None
        self._version += 1
        self.informViewBoundsChanged()
        self.update()

    def set_colours(self, rgb: np.ndarray | None) -> None:
        """Colour every point; called after each E-step, so it is a few numpy passes.

        Parameters
        ----------
        rgb : ndarray of shape (n_points, 3), dtype uint8, or None
            None paints every point :data:`~gmmviewer.ui.views.colours.NEUTRAL_GREY`.
        """
        n = len(self._x)
        if rgb is not None:
            rgb = np.asarray(rgb)
        if rgb is None:
            rgb = np.broadcast_to(np.array(NEUTRAL_GREY, dtype=np.uint8), (n, 3))
        elif rgb.shape != (n, 3):
            raise ValueError(f"rgb must have shape ({n}, 3), not {rgb.shape}")
        self._argb = _pack_argb(rgb)
        self._version += 1
        self.update()

    def set_point_size(self, pixels: float) -> None:
        """Diameter in screen pixels up to 2e4 points; larger sets shrink it (auto_diameter)."""
        if not pixels > 0:
            raise ValueError(f"point size must be positive, not {pixels}")
        self.prepareGeometryChange()
        self._size = float(pixels)
        self.update()

    def set_outline(self, colour: QtGui.QColor | None) -> None:
        """Edge of each disc: its own colour mixed with ``colour`` by ``colour``'s alpha.

        A translucent black (the default, alpha 80) gives a darker edge of the same hue
        that separates overlapping points on light and dark backgrounds; None, no edge.
        Edges are drawn on discs of 5 px or more.
        """
        self._outline = None if colour is None else QtGui.QColor(colour)
        self.update()

    def set_highlight(self, index: int | None) -> None:
        """Draw point ``index`` enlarged inside a dark and a light ring (None: no highlight)."""
        if index is not None and not 0 <= index < len(self._x):
            raise IndexError(f"no point {index} among {len(self._x)}")
        self.prepareGeometryChange()
        self._highlight = index
        self.update()

    def positions(self) -> np.ndarray:
        """The points' data coordinates, shape (n_points, 2)."""
        return np.column_stack([self._x, self._y])

    def outline(self) -> QtGui.QColor | None:
        """The outline colour (None for no outline)."""
        return None if self._outline is None else QtGui.QColor(self._outline)

    def colours(self) -> np.ndarray:
        """The colours set, shape (n_points, 3), uint8 (what the view shows, for tests)."""
        argb = self._argb
        return np.column_stack([(argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF]).astype(
            np.uint8
        )

    def point_diameter(self) -> float:
        """The diameter in pixels the points are drawn with now."""
        return auto_diameter(self._size, len(self._x))

    def point_at(
        self, x: float, y: float, view_pixel_size: tuple[float, float], tolerance_px: float = 6
    ) -> int | None:
        """Index of the point nearest to data position ``(x, y)`` in screen distance.

        Parameters
        ----------
        x, y : float
            Data coordinates, e.g. of a mouse click.
        view_pixel_size : tuple of float
            Data units per screen pixel along x and y (``ViewBox.viewPixelSize()``).
        tolerance_px : float
            Farther than this many pixels, there is no point: None. Of equally near
            points the one drawn on top (the later) is returned.
        """
        if len(self._x) == 0:
            return None
        dx = (self._x - x) / abs(view_pixel_size[0])
        dy = (self._y - y) / abs(view_pixel_size[1])
        dist2 = np.nan_to_num(dx * dx + dy * dy, copy=False, nan=np.inf)
        nearest = len(dist2) - 1 - int(np.argmin(dist2[::-1]))
        return nearest if dist2[nearest] <= tolerance_px**2 else None

    # -------------------------------------------------------------------- pyqtgraph API
    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: tuple[float, float] | None = None
    ) -> tuple[float, float] | tuple[None, None]:
        """Range of the points along axis ``ax`` (0: x, 1: y), for ViewBox auto-range."""
        if frac >= 1.0 and orthoRange is None:
            return self._bounds[ax]
        values, other = (self._x, self._y) if ax == 0 else (self._y, self._x)
        keep = np.isfinite(values) & np.isfinite(other)
        if orthoRange is not None:
            keep &= (other >= orthoRange[0]) & (other <= orthoRange[1])
        values = values[keep]
        if values.size == 0:
            return (None, None)
        if frac >= 1.0:
            return (float(values.min()), float(values.max()))
        low, high = np.percentile(values, [50 * (1 - frac), 50 * (1 + frac)])
        return (float(low), float(high))

    def pixelPadding(self) -> float:
        """Pixels the drawing extends beyond the points' centres."""
        return max(self.point_diameter() / 2 + 1, self._highlight_radius() + 4)

    def boundingRect(self) -> QtCore.QRectF:
        (xmin, xmax), (ymin, ymax) = self._bounds
        if xmin is None or ymin is None:
            return QtCore.QRectF()
        px = py = 0.0
        vectors = self.pixelVectors()  # (None, None) before the item is in a view
        if vectors[0] is not None:
            px = vectors[0].length() * self.pixelPadding()
            py = vectors[1].length() * self.pixelPadding()
        return QtCore.QRectF(xmin - px, ymin - py, xmax - xmin + 2 * px, ymax - ymin + 2 * py)

    def viewTransformChanged(self) -> None:
        # The pixel padding is a different data-space margin at every zoom.
        self.prepareGeometryChange()
        super().viewTransformChanged()

    def paint(
        self,
        p: QtGui.QPainter,
        option: QtWidgets.QStyleOptionGraphicsItem | None = None,
        widget: QtWidgets.QWidget | None = None,
    ) -> None:
        if len(self._x) == 0:
            return
        exporting = self._exportOpts is not False
        scale = float(self._exportOpts.get("resolutionScale", 1.0)) if exporting else 1.0
        diameter = self.point_diameter() * scale
        # Edges of one pixel (scaled with exports), only where the disc is big enough.
        edged = self._outline is not None and diameter >= 5 * scale
        style = _Style(
            diameter, scale if edged else 0.0, self._outline, p.device().devicePixelRatioF()
        )
        # Map to device pixels ourselves, as ScatterPlotItem does, so sizes stay in pixels.
        tr = p.transform()
        view = self.viewRect()
        whole = tr.mapRect(self.boundingRect() if view is None else view)
        # On screen a raster is kept: the plot repaints under an ellipse that moves (an
        # M-step, a drag) while the points stay as they were, and a million of them take
        # tens of milliseconds to stamp again. Exports always draw afresh.
        raster_key = None
        if not exporting and widget is not None:
            raster_key = (self._version, style, _transform_key(tr), _rect_key(whole))
            if self._raster is not None and self._raster[0] == raster_key:
                p.resetTransform()
                self.last_strategy = "raster"
                self._raster[1].draw(p)
                self._paint_highlight_mapped(p, tr, scale)
                return
        area = whole
        if p.hasClipping():
            area = area.intersected(tr.mapRect(p.clipBoundingRect()))
        px = tr.m11() * self._x + tr.m21() * self._y + tr.dx()
        py = tr.m12() * self._x + tr.m22() * self._y + tr.dy()
        margin = diameter / 2 + 1
        visible = _inside(px, py, area, margin)
        p.resetTransform()
        self._raster = None
        if len(visible) == 0:
            self.last_strategy = None
        elif len(visible) <= SPRITE_MAX_POINTS:
            self.last_strategy = "sprite"
            self._paint_sprites(p, px[visible], py[visible], self._argb[visible], style)
        else:
            self.last_strategy = "raster"
            if raster_key is not None and area != whole:
                # Kept for later paints, so stamped for the whole view, not just this part.
                area, visible = whole, _inside(px, py, whole, margin)
            raster = _render_raster(px[visible], py[visible], self._argb[visible], style, area)
            raster.draw(p)
            if raster_key is not None:
                self._raster = (raster_key, raster)
        if self._highlight is not None:
            self._paint_highlight(p, px[self._highlight], py[self._highlight], scale)

    def _paint_highlight_mapped(
        self, p: QtGui.QPainter, tr: QtGui.QTransform, scale: float
    ) -> None:
        """The highlight, mapping only its own point to device pixels with ``tr``."""
        if self._highlight is None:
            return
        x, y = self._x[self._highlight], self._y[self._highlight]
        px = tr.m11() * x + tr.m21() * y + tr.dx()
        py = tr.m12() * x + tr.m22() * y + tr.dy()
        self._paint_highlight(p, px, py, scale)

    # ------------------------------------------------------------------------- drawing
    def _paint_sprites(
        self, p: QtGui.QPainter, px: np.ndarray, py: np.ndarray, argb: np.ndarray, style: _Style
    ) -> None:
        slots = self._atlas.slots_for(argb)
        pixmap = self._atlas.pixmap(style)
        cell, dpr = self._atlas.cell, style.dpr
        self._fragments.resize(len(slots))
        fragments = self._fragments.ndarray()  # x, y, sx, sy, sw, sh, scale x/y, angle, alpha
        fragments[:, 0] = px
        fragments[:, 1] = py
        fragments[:, 2] = (slots % _ATLAS_COLUMNS) * cell
        fragments[:, 3] = (slots // _ATLAS_COLUMNS) * cell
        fragments[:, 4:6] = cell
        fragments[:, 6:10] = (1 / dpr, 1 / dpr, 0.0, 1.0)
        p.drawPixmapFragments(*self._fragments.drawargs(), pixmap)

    def _highlight_radius(self) -> float:
        if self._highlight is None:
            return 0.0
        return max(self.point_diameter(), 7.0)

    def _paint_highlight(self, p: QtGui.QPainter, x: float, y: float, scale: float) -> None:
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        word = int(self._argb[self._highlight])
        fill = QtGui.QColor((word >> 16) & 0xFF, (word >> 8) & 0xFF, word & 0xFF)
        radius = self._highlight_radius() * scale
        centre = QtCore.QPointF(x, y)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        # The point itself, enlarged, inside a wide open ring with a gap: unlike the
        # filled mean handles, it reads as "this point" and not as another component.
        p.setPen(QtGui.QPen(QtGui.QColor(20, 20, 20), 1.2 * scale))
        p.setBrush(fill)
        p.drawEllipse(centre, 0.6 * radius, 0.6 * radius)
        ring = 1.9 * radius
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.setPen(QtGui.QPen(QtGui.QColor(255, 255, 255, 230), 4.0 * scale))
        p.drawEllipse(centre, ring, ring)
        p.setPen(QtGui.QPen(QtGui.QColor(20, 20, 20), 2.0 * scale, QtCore.Qt.PenStyle.DashLine))
        p.drawEllipse(centre, ring, ring)
