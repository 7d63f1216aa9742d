"""Plot axes whose tick labels read as one consistent set of numbers.

pyqtgraph labels each tick on its own (``%g`` beyond 1e4 and below 1e-3), so one axis can
show "9e-05" beside "0.0001", or "552067" five times over a narrow range. Here a level of
ticks shares one format with as many decimals as its spacing needs, and
:class:`LogValueAxis` draws a logarithmic axis without pyqtgraph's log mode: its
positions are ``log10`` of the values, and its labels the values themselves.
:class:`CachedAxis`, the base of both, replays its drawing from a pixmap between changes.
Imports Qt through pyqtgraph only; knows nothing of EM.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

#: Magnitudes in [FIXED_LOW, FIXED_HIGH) are written out ("0.25", "12,345"); others share
#: one power of ten ("1.5e-4", "2.0e-4").
FIXED_LOW = 1e-3
FIXED_HIGH = 1e9

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _decimals(step: float) -> int:
    """Decimals that tell apart numbers ``step`` apart."""
    if not step > 0 or not math.isfinite(step):
        return 0
    return max(0, math.ceil(-math.log10(step) - 1e-9))


def format_ticks(
    values: list[float] | np.ndarray, spacing: float, largest: float | None = None
) -> list[str]:
    """Labels for ticks ``spacing`` apart, all in one format.

    Written out with thousands separators when the largest magnitude (of ``values``, or
    ``largest`` when given: that of every tick on the axis) lies in
    [:data:`FIXED_LOW`, :data:`FIXED_HIGH`) (or is 0); otherwise every label is a mantissa
    with the same number of decimals and the same exponent (``"1.5e-4"``).
    """
    values = [float(v) for v in values]
    if not values:
        return []
    if largest is None:
        largest = max(abs(v) for v in values)
    if largest == 0 or FIXED_LOW <= largest < FIXED_HIGH:
        decimals = _decimals(spacing)
        return [f"{_clean_zero(v, decimals):,.{decimals}f}" for v in values]
    exponent = math.floor(math.log10(largest))
    unit = 10.0**exponent
    decimals = _decimals(spacing / unit)
    return [
        "0" if abs(v) < spacing * 1e-6 else f"{v / unit:.{decimals}f}e{exponent}" for v in values
    ]


def _clean_zero(value: float, decimals: int) -> float:
    """0.0 for a value that would print as "-0"."""
    return 0.0 if abs(value) < 0.5 * 10.0**-decimals else value


def power_of_ten(exponent: int) -> str:
    """``10ⁿ`` with a superscript exponent."""
    return "10" + str(exponent).translate(_SUPERSCRIPTS)


class CachedAxis(pg.AxisItem):
    """A pyqtgraph axis that paints from a pixmap until its drawing changes.

    pyqtgraph records an axis (line, ticks, labels and, with a grid, the grid lines across
    the whole plot) as a ``QPicture`` and replays it on every paint. The grid makes the
    axis overlap everything in the plot, so it is replayed whenever any item there
    changes; and the first replay of each new picture (the NLL axis gets one per
    half-step of a Run) costs several milliseconds, its fonts being resolved again.
    Here the axis is drawn straight into a pixmap, which is drawn until pyqtgraph asks
    for a new drawing (``picture = None``: range, size, ticks, style changed) or the axis
    lands on other device pixels. Exports draw the picture as pyqtgraph does, so they
    stay vector and at their own resolution.

    Attributes
    ----------
    drawings : int
        How many times the axis has drawn itself into its pixmap (tests count the
        redraws a change of the data or the components causes: none when the range
        stays).
    """

    #: The HTML the title was last given; None while a hidden title's lags behind its text
    #: (written when the title is shown).
    _title_html: str | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._pixmap: QtGui.QPixmap | None = None
        self._pixmap_place: tuple | None = None  # where it was drawn, in device pixels
        self.drawings = 0

    def _updateLabel(self) -> None:  # noqa: N802 (pyqtgraph's name)
        # pyqtgraph rewrites the title's HTML (QGraphicsTextItem.setHtml, which lays the
        # text out again) whenever the range, a pen or the SI prefix changes, hidden or
        # not, and mostly to the same HTML: about 150 times while the first window was
        # built. Here the HTML is written only when it changes, and a hidden title's waits
        # until it is shown (showLabel); the size and the drawing follow every call.
        if self.label.isVisible():
            html = self.labelString()
            if html != self._title_html:
                self.label.setHtml(html)
                self._title_html = html
        else:
            self._title_html = None
        self._adjustSize()
        self.picture = None
        self.update()

    def showLabel(self, show: bool = True) -> None:  # noqa: N802 (pyqtgraph's name)
        super().showLabel(show)
        if show and self._title_html is None:
            self._updateLabel()

    def paint(
        self,
        p: QtGui.QPainter,
        opt: QtWidgets.QStyleOptionGraphicsItem,
        widget: QtWidgets.QWidget | None,
    ) -> None:
        device = p.transform()
        if (
            self._exportOpts is not False
            or widget is None
            or device.isScaling()
            or device.isRotating()
        ):
            if self.picture is _IN_PIXMAP:
                self.picture = None  # pyqtgraph records and replays its own
            super().paint(p, opt, widget)
            return
        # A pixel spare all round: the axis line's ends reach past the bounding rectangle.
        rect = device.mapRect(self.boundingRect()).toAlignedRect().adjusted(-1, -1, 1, 1)
        dpr = p.device().devicePixelRatioF()
        # The fractional offset matters too: text and lines land on other pixel
        # boundaries when the axis moves by part of a pixel.
        offset = (device.dx() - rect.x(), device.dy() - rect.y())
        place = (rect, offset, dpr)
        if self.picture is not _IN_PIXMAP or self._pixmap_place != place:
            pixmap = QtGui.QPixmap(math.ceil(rect.width() * dpr), math.ceil(rect.height() * dpr))
            pixmap.setDevicePixelRatio(dpr)
            pixmap.fill(QtCore.Qt.GlobalColor.transparent)
            painter = QtGui.QPainter(pixmap)
            try:
                painter.setRenderHints(p.renderHints())
                painter.setTransform(QtGui.QTransform.fromTranslate(*offset))
                if self.style["tickFont"]:
                    painter.setFont(self.style["tickFont"])
                # What AxisItem.paint records into its picture, drawn here directly.
                specs = self.generateDrawSpecs(painter)
                if specs is not None:
                    self._draw_into_pixmap(painter, *specs)
            finally:
                painter.end()
            # pyqtgraph sets ``picture = None`` whenever the axis must be drawn again.
            self.picture = _IN_PIXMAP
            self._pixmap, self._pixmap_place = pixmap, place
            self.drawings += 1
        p.save()
        p.resetTransform()
        p.drawPixmap(rect.topLeft(), self._pixmap)
        p.restore()

    def _draw_into_pixmap(
        self, painter: QtGui.QPainter, axis_spec: tuple, tick_specs: list, text_specs: list
    ) -> None:
        """:meth:`drawPicture` into the transparent pixmap, the tick and grid lines first.

        Qt's raster engine blends a semi-transparent line (the grid's) about 30 times
        slower than it fills an opaque one: 3 ms for 20 lines across a plot, which the
        four axes of the first window paid on every redrawing. Onto transparent pixels,
        the ``Source`` composition gives exactly the pixels ``SourceOver`` does, at the
        speed of opaque lines. The lines of one axis run parallel, so none lands on
        another, and they go in first: the axis line and the labels are then drawn over
        them with pyqtgraph's own code (``tests/ui/test_axis_pixels.py`` compares the
        pixels with pyqtgraph's axis).
        """
        painter.save()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, False)
        painter.setCompositionMode(QtGui.QPainter.CompositionMode.CompositionMode_Source)
        for pen, start, end in tick_specs:
            painter.setPen(pen)
            painter.drawLine(start, end)
        painter.restore()
        self.drawPicture(painter, axis_spec, [], text_specs)


#: The ``picture`` of a :class:`CachedAxis` whose drawing is in its pixmap.
_IN_PIXMAP = QtGui.QPicture()


class NumberAxis(CachedAxis):
    """An axis whose tick labels share one format (:func:`format_ticks`).

    Parameters
    ----------
    orientation : str
        'left', 'bottom', 'right' or 'top'.
    lowest : float, optional
        No ticks below this value (a density axis has none under its rug).
    """

    def __init__(self, orientation: str, lowest: float | None = None, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self._lowest = lowest
        # The largest magnitude of every level of ticks, so that major and minor labels
        # share one style and exponent ("1e-4" beside "1.5e-4", never "0.0001").
        self._largest = 0.0

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803
        levels = super().tickValues(minVal, maxVal, size)
        if self._lowest is not None:
            floor = self._lowest - 1e-9 * max(abs(maxVal - minVal), 1e-300)
            levels = [(spacing, [v for v in values if v >= floor]) for spacing, values in levels]
        self._largest = max((abs(v) for _, values in levels for v in values), default=0.0)
        return levels

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        largest = max([self._largest, *map(abs, values)])
        return format_ticks([v * scale for v in values], spacing * scale, largest * scale)


def log_tick_levels(low: float, high: float, size: float) -> list[tuple[float, list[float]]]:
    """Tick levels for a log axis showing ``10**low`` to ``10**high`` over ``size`` pixels.

    Positions are ``log10`` of the tick values. Decades (1, 10, 100, ...) when at least
    two are in view, with 2 and 5 times each as a minor level; within a decade the
    1-2-5 or 1..9 multiples of a power of ten; in a narrow range, evenly spaced values
    (2,350, 2,400, ...), placed at their logarithms.

    Returns
    -------
    levels : list of (spacing, positions)
        As :meth:`pyqtgraph.AxisItem.tickValues` returns them, major level first.
    """
    low, high = sorted((low, high))
    if not (math.isfinite(low) and math.isfinite(high)) or high - low <= 0:
        return []
    most = max(2, int(size / 22))  # labels need about 22 px each
    decades = np.arange(math.ceil(low), math.floor(high) + 1)
    if len(decades) >= 2:
        stride = 1
        while len(decades[::stride]) > most:
            stride = {1: 2, 2: 5}.get(stride, stride * 2)
        major = decades[decades % stride == 0] if stride > 1 else decades
        levels = [(float(stride), [float(p) for p in major])]
        if stride == 1 and 3 * len(decades) <= most:
            minor = [
                math.log10(m) + d
                for d in range(math.floor(low), math.floor(high) + 1)
                for m in (2, 5)
                if low <= math.log10(m) + d <= high
            ]
            levels.append((math.log10(2), minor))
        return levels
    for multiples in ((1, 2, 5), tuple(range(1, 10))):
        positions = [
            math.log10(m) + d
            for d in range(math.floor(low), math.floor(high) + 1)
            for m in multiples
            if low <= math.log10(m) + d <= high
        ]
        if 3 <= len(positions) <= most:
            return [(float(np.min(np.diff(positions))), positions)]
    return [_linear_level(10.0**low, 10.0**high, max(3, min(most, int(size / 50))))]


def _linear_level(low: float, high: float, count: int) -> tuple[float, list[float]]:
    """Evenly spaced round values between ``low`` and ``high``, as log10 positions."""
    raw = (high - low) / count
    power = 10.0 ** math.floor(math.log10(raw))
    # The largest round step that still gives ``count`` ticks or more.
    step = max(m * power for m in (1, 2, 2.5, 5) if m * power <= raw)
    values = np.arange(math.ceil(low / step), math.floor(high / step) + 1) * step
    values = values[values > 0]
    return float(np.log10(1 + step / max(high, 1e-300))), [float(math.log10(v)) for v in values]


class LogValueAxis(NumberAxis):
    """A y-axis that can be logarithmic without pyqtgraph's log mode.

    In log mode the plot's y coordinates are ``log10`` of the plotted values (the view
    transforms its data); ticks are placed by :func:`log_tick_levels` and labelled with
    the values, all at one precision. In linear mode it is a :class:`NumberAxis`.
    """

    def __init__(self, orientation: str = "left", **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self._log = False

    def set_log(self, enabled: bool) -> None:
        """Positions are log10 of the values (True) or the values themselves."""
        self._log = bool(enabled)
        self.picture = None
        self.update()

    @property
    def log(self) -> bool:
        """True in log mode."""
        return self._log

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803
        if not self._log:
            return super().tickValues(minVal, maxVal, size)
        return log_tick_levels(minVal, maxVal, size)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if not self._log:
            return super().tickStrings(values, scale, spacing)
        return log_labels(values)


def log_labels(positions: list[float]) -> list[str]:
    """Labels of log-axis ticks at ``positions`` (log10 of the values)."""
    if not positions:
        return []
    values = np.power(10.0, np.asarray(positions, dtype=float))
    decades = np.isclose(positions, np.round(positions), atol=1e-9)
    if decades.all():
        if values.max() >= 1e5 or values.min() < FIXED_LOW:
            return [power_of_ten(round(p)) for p in positions]
        return [f"{v:,.{max(0, -round(p))}f}" for v, p in zip(values, positions, strict=True)]
    # The coarsest power of ten that writes every value exactly (199.99999 reads 200,
    # and 637,500 keeps its 500).
    step = _exact_step(values)
    return format_ticks(np.round(values / step) * step, step)


def _exact_step(values: np.ndarray) -> float:
    """The largest power of ten that all ``values`` are multiples of, to 1e-9."""
    top = math.floor(math.log10(float(np.max(np.abs(values)))))
    tolerance = 1e-9 * np.abs(values)
    for exponent in range(top, top - 16, -1):
        step = 10.0**exponent
        if np.all(np.abs(np.round(values / step) * step - values) <= tolerance):
            return step
    return 10.0 ** (top - 15)
