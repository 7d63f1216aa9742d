"""A vector SVG of a plot view, written from the items it shows.

pyqtgraph 0.14's SVGExporter cannot parse the closed paths this Qt writes (pyqtgraph
issue #3495), and Qt's QSvgGenerator misplaces pyqtgraph's clipped view box, so the
drawing is rebuilt here: axes and grid, then every visible item of the view box in
z-order (curves, lines, contours, means, markers, the k-means cells), then the legend.
Up to :data:`VECTOR_POINT_LIMIT` data points are written as circles; above it the point
layer is embedded as one PNG image so the file stays a sensible size.
"""

from __future__ import annotations

import base64
import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from gmmviewer.ui.views.points_item import PointCloudItem
from gmmviewer.ui.views.theme import qcolor

VECTOR_POINT_LIMIT = 20_000
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 16, 48


class _Frame:
    """Maps data coordinates to SVG coordinates."""

    def __init__(
        self, x_range: tuple[float, float], y_range: tuple[float, float], size: QtCore.QSizeF
    ) -> None:
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        self.width, self.height = float(size.width()), float(size.height())

    def x(self, values: np.ndarray | float) -> np.ndarray:
        return MARGIN_LEFT + (np.asarray(values) - self.x0) / (self.x1 - self.x0) * self.width

    def y(self, values: np.ndarray | float) -> np.ndarray:
        return MARGIN_TOP + (self.y1 - np.asarray(values)) / (self.y1 - self.y0) * self.height


def _colour(value: QtGui.QColor) -> str:
    return f"rgb({value.red()},{value.green()},{value.blue()})"


def _stroke(pen: QtGui.QPen) -> str:
    colour = pen.color()
    dash = {
        QtCore.Qt.PenStyle.DashLine: ' stroke-dasharray="7 4"',
        QtCore.Qt.PenStyle.DashDotLine: ' stroke-dasharray="8 3 2 3"',
        QtCore.Qt.PenStyle.DotLine: ' stroke-dasharray="2 3"',
    }.get(pen.style(), "")
    if pen.style() == QtCore.Qt.PenStyle.CustomDashLine:
        # Qt measures a custom pattern in pen widths.
        lengths = (length * max(pen.widthF(), 1.0) for length in pen.dashPattern())
        dash = ' stroke-dasharray="' + " ".join(f"{length:.2f}" for length in lengths) + '"'
    if pen.style() == QtCore.Qt.PenStyle.NoPen:
        return 'stroke="none"'
    return (
        f'stroke="{_colour(colour)}" stroke-opacity="{colour.alphaF():.3f}" '
        f'stroke-width="{max(pen.widthF(), 1.0):.2f}"{dash}'
    )


def _points_text(frame: _Frame, x: np.ndarray, y: np.ndarray) -> str:
    return " ".join(f"{a:.2f},{b:.2f}" for a, b in zip(frame.x(x), frame.y(y), strict=True))


def plot_svg(view: object) -> str:
    """The SVG document of a scatter or histogram view's plot."""
    plot_item: pg.PlotItem = view.plot_item  # type: ignore[attr-defined]
    view_box = plot_item.vb
    (x0, x1), (y0, y1) = view_box.viewRange()
    frame = _Frame((x0, x1), (y0, y1), view_box.size())
    width = MARGIN_LEFT + frame.width + MARGIN_RIGHT
    height = MARGIN_TOP + frame.height + MARGIN_BOTTOM
    theme = view.theme  # type: ignore[attr-defined]
    ink = qcolor(theme.foreground)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.2f} {height:.2f}" font-family="DejaVu Sans, Arial, sans-serif">',
        "<title>gmmviewer plot</title>",
        f'<rect width="100%" height="100%" fill="{_colour(qcolor(theme.plot_background))}"/>',
        '<defs><clipPath id="plot-area">'
        f'<rect x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{frame.width:.2f}" '
        f'height="{frame.height:.2f}"/></clipPath></defs>',
    ]
    parts.extend(_axes(plot_item, frame, ink))
    parts.append('<g clip-path="url(#plot-area)">')
    items = [item for item in view_box.addedItems if item.isVisible()]
    for item in sorted(items, key=lambda item: item.zValue()):
        parts.extend(_item(item, frame))
    parts.append("</g>")
    parts.extend(_legend(view.legend, ink, qcolor(theme.legend_background)))  # type: ignore[attr-defined]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _item(item: object, frame: _Frame) -> list[str]:
    if isinstance(item, PointCloudItem):
        return _points(item, frame)
    if isinstance(item, pg.TargetItem):
        position = item.pos()
        return [
            f'<circle cx="{float(frame.x(position.x())):.2f}" '
            f'cy="{float(frame.y(position.y())):.2f}" r="{item.scale / 2:.2f}" '
            f'fill="{_colour(item.brush.color())}" {_stroke(item.pen)}/>'
        ]
    if isinstance(item, pg.InfiniteLine):
        value = float(item.value())
        if abs(item.angle % 180) == 90:
            x = float(frame.x(value))
            ends = (x, MARGIN_TOP, x, MARGIN_TOP + frame.height)
        else:
            y = float(frame.y(value))
            ends = (MARGIN_LEFT, y, MARGIN_LEFT + frame.width, y)
        return [
            f'<line x1="{ends[0]:.2f}" y1="{ends[1]:.2f}" x2="{ends[2]:.2f}" y2="{ends[3]:.2f}" '
            f"{_stroke(item.pen)}/>"
        ]
    if isinstance(item, pg.IsocurveItem):
        return _contour(item, frame)
    if isinstance(item, pg.PlotCurveItem):
        return _curve(item, frame)
    if isinstance(item, pg.ScatterPlotItem):
        return _markers(item, frame)
    if isinstance(item, pg.ImageItem):
        return _image(item, frame)
    return []


def _curve(curve: pg.PlotCurveItem, frame: _Frame) -> list[str]:
    x, y = curve.getData()
    if x is None or len(x) == 0:
        return []
    x, y = np.asarray(x, float), np.asarray(y, float)
    if curve.opts.get("stepMode") in ("center", True) and len(x) == len(y) + 1:
        x = np.repeat(x, 2)[1:-1]
        y = np.repeat(y, 2)
    pen = curve.opts["pen"]
    parts = []
    brush = curve.opts.get("brush")
    level = curve.opts.get("fillLevel")
    if brush is not None and level is not None:
        fill = pg.mkBrush(brush).color()
        outline = np.concatenate([[x[0]], x, [x[-1]]]), np.concatenate([[level], y, [level]])
        parts.append(
            f'<polygon points="{_points_text(frame, *outline)}" fill="{_colour(fill)}" '
            f'fill-opacity="{fill.alphaF():.3f}" stroke="none"/>'
        )
    connect = curve.opts.get("connect")
    if connect == "pairs":
        for i in range(0, len(x) - 1, 2):
            parts.append(
                f'<polyline points="{_points_text(frame, x[i : i + 2], y[i : i + 2])}" '
                f'fill="none" {_stroke(pen)}/>'
            )
        return parts
    shadow = curve.opts.get("shadowPen")
    if shadow is not None:
        parts.append(
            f'<polyline points="{_points_text(frame, x, y)}" fill="none" '
            f"{_stroke(pg.mkPen(shadow))}/>"
        )
    parts.append(f'<polyline points="{_points_text(frame, x, y)}" fill="none" {_stroke(pen)}/>')
    return parts


def _contour(contour: pg.IsocurveItem, frame: _Frame) -> list[str]:
    if contour.path is None:
        contour.generatePath()
    if contour.path is None:
        return []
    lines = []
    for polygon in contour.path.toSubpathPolygons(contour.transform()):
        points = np.array([[p.x(), p.y()] for p in polygon])
        if len(points) > 1:
            lines.append(
                f'<polyline points="{_points_text(frame, points[:, 0], points[:, 1])}" '
                f'fill="none" {_stroke(contour.pen)}/>'
            )
    return lines


def _markers(scatter: pg.ScatterPlotItem, frame: _Frame) -> list[str]:
    x, y = scatter.getData()
    parts = []
    for point, px, py in zip(scatter.points(), frame.x(x), frame.y(y), strict=False):
        size = point.size() / 2
        colour = point.brush().color()
        outline = point.pen()
        if point.symbol() == "x":
            for dx in (-1, 1):
                parts.append(
                    f'<line x1="{px - size:.2f}" y1="{py - dx * size:.2f}" x2="{px + size:.2f}" '
                    f'y2="{py + dx * size:.2f}" stroke="{_colour(outline.color())}" '
                    f'stroke-width="5"/>'
                )
                parts.append(
                    f'<line x1="{px - size:.2f}" y1="{py - dx * size:.2f}" x2="{px + size:.2f}" '
                    f'y2="{py + dx * size:.2f}" stroke="{_colour(colour)}" stroke-width="3"/>'
                )
        else:
            parts.append(
                f'<circle cx="{px:.2f}" cy="{py:.2f}" r="{size:.2f}" fill="{_colour(colour)}" '
                f"{_stroke(outline)}/>"
            )
    return parts


def _png(image: QtGui.QImage) -> str:
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return base64.b64encode(bytes(buffer.data())).decode("ascii")


def _image(item: pg.ImageItem, frame: _Frame) -> list[str]:
    if item.qimage is None:
        item.render()  # pyqtgraph renders the image lazily, on first paint
    qimage = item.qimage
    if qimage is None:
        return []
    rect = item.mapRectToParent(item.boundingRect())
    left, right = frame.x(rect.left()), frame.x(rect.right())
    top, bottom = frame.y(rect.bottom()), frame.y(rect.top())
    # Row 0 of the image is at the bottom of the plot: flip it for SVG's downward y.
    flipped = qimage.mirrored(False, True)
    return [
        f'<image x="{min(left, right):.2f}" y="{min(top, bottom):.2f}" '
        f'width="{abs(right - left):.2f}" height="{abs(bottom - top):.2f}" '
        f'preserveAspectRatio="none" href="data:image/png;base64,{_png(flipped)}"/>'
    ]


def _axes(plot_item: pg.PlotItem, frame: _Frame, ink: QtGui.QColor) -> list[str]:
    parts = []
    grid = 'stroke="rgb(128,128,128)" stroke-opacity="0.18" stroke-width="1"'
    text = f'fill="{_colour(ink)}" font-size="11"'
    left, top = MARGIN_LEFT, MARGIN_TOP
    right, bottom = left + frame.width, top + frame.height
    for name, low, high, length in (
        ("bottom", frame.x0, frame.x1, frame.width),
        ("left", frame.y0, frame.y1, frame.height),
    ):
        axis = plot_item.getAxis(name)
        levels = axis.tickValues(low, high, length)
        if not levels:
            continue
        spacing, values = levels[0]  # the major ticks only
        labels = axis.tickStrings(values, 1.0, spacing)
        for value, label in zip(values, labels, strict=True):
            if name == "bottom":
                x = float(frame.x(value))
                parts += [
                    f'<line x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{bottom:.2f}" {grid}/>',
                    f'<line x1="{x:.2f}" y1="{bottom:.2f}" x2="{x:.2f}" y2="{bottom + 5:.2f}" '
                    f'stroke="{_colour(ink)}"/>',
                    f'<text x="{x:.2f}" y="{bottom + 18:.2f}" text-anchor="middle" {text}>'
                    f"{html.escape(label)}</text>",
                ]
            else:
                y = float(frame.y(value))
                parts += [
                    f'<line x1="{left}" y1="{y:.2f}" x2="{right:.2f}" y2="{y:.2f}" {grid}/>',
                    f'<line x1="{left - 5}" y1="{y:.2f}" x2="{left}" y2="{y:.2f}" '
                    f'stroke="{_colour(ink)}"/>',
                    f'<text x="{left - 8}" y="{y + 4:.2f}" text-anchor="end" {text}>'
                    f"{html.escape(label)}</text>",
                ]
    parts.append(
        f'<rect x="{left}" y="{top}" width="{frame.width:.2f}" height="{frame.height:.2f}" '
        f'fill="none" stroke="{_colour(ink)}" stroke-width="1"/>'
    )
    x_label = plot_item.getAxis("bottom").labelText
    y_label = plot_item.getAxis("left").labelText
    parts.append(
        f'<text x="{left + frame.width / 2:.2f}" y="{bottom + 40:.2f}" text-anchor="middle" '
        f'fill="{_colour(ink)}" font-size="13">{html.escape(x_label)}</text>'
    )
    parts.append(
        f'<text transform="translate(16,{top + frame.height / 2:.2f}) rotate(-90)" '
        f'text-anchor="middle" fill="{_colour(ink)}" font-size="13">{html.escape(y_label)}</text>'
    )
    return parts


def _points(points: PointCloudItem, frame: _Frame) -> list[str]:
    xy = points.positions()
    if len(xy) == 0:
        return []
    if len(xy) > VECTOR_POINT_LIMIT:
        return [_raster_points(points, frame)]
    rgb = points.colours()
    radius = points.point_diameter() / 2
    outline = points.outline()
    stroke = ""
    if outline is not None and outline.alpha() > 0:
        stroke = (
            f' stroke="{_colour(outline)}" stroke-opacity="{outline.alphaF():.3f}" '
            'stroke-width="0.8"'
        )
    cx, cy = frame.x(xy[:, 0]), frame.y(xy[:, 1])
    return [
        f"<g{stroke}>",
        *(
            f'<circle cx="{a:.2f}" cy="{b:.2f}" r="{radius:.2f}" fill="rgb({r},{g},{bl})"/>'
            for a, b, (r, g, bl) in zip(cx, cy, rgb.tolist(), strict=True)
        ),
        "</g>",
    ]


def _raster_points(points: PointCloudItem, frame: _Frame) -> str:
    """The point layer alone, painted by the item into a transparent PNG."""
    image = QtGui.QImage(
        int(frame.width), int(frame.height), QtGui.QImage.Format.Format_ARGB32_Premultiplied
    )
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    transform = QtGui.QTransform()
    transform.scale(frame.width / (frame.x1 - frame.x0), -frame.height / (frame.y1 - frame.y0))
    transform.translate(-frame.x0, -frame.y1)
    painter.setTransform(transform)
    points.paint(painter, None, None)
    painter.end()
    return (
        f'<image x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{frame.width:.2f}" '
        f'height="{frame.height:.2f}" href="data:image/png;base64,{_png(image)}"/>'
    )


def _legend(legend: pg.LegendItem, ink: QtGui.QColor, background: QtGui.QColor) -> list[str]:
    entries = []
    for sample, label in legend.items:
        item = sample.item
        pen = item.opts.get("pen") if hasattr(item, "opts") else None
        entries.append((pg.mkPen(pen).color(), label.text))
    if not entries:
        return []
    x, y, row = MARGIN_LEFT + 12, MARGIN_TOP + 12, 20
    width = 40 + 8 * max(len(text) for _, text in entries)
    parts = [
        f'<rect x="{x}" y="{y}" width="{width}" height="{row * len(entries) + 10}" '
        f'fill="{_colour(background)}" fill-opacity="{background.alphaF():.3f}" '
        f'stroke="rgb(120,120,120)"/>'
    ]
    for index, (colour, text) in enumerate(entries):
        line_y = y + 15 + index * row
        parts.append(
            f'<line x1="{x + 8}" y1="{line_y}" x2="{x + 28}" y2="{line_y}" '
            f'stroke="{_colour(colour)}" stroke-width="2.5"/>'
        )
        parts.append(
            f'<text x="{x + 34}" y="{line_y + 4}" fill="{_colour(ink)}" font-size="12">'
            f"{html.escape(text)}</text>"
        )
    return parts
