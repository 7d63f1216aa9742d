"""A vector SVG of the scatter view, written from what the view shows.

pyqtgraph 0.14's SVGExporter cannot parse the closed paths this Qt writes (pyqtgraph
issue #3495), and Qt's QSvgGenerator misplaces pyqtgraph's clipped view box, so the
drawing is rebuilt here: axes, grid, contours, true and fitted ellipses, means, legend
and points. Up to :data:`VECTOR_POINT_LIMIT` points are written as circles; above it
the point layer is embedded as one PNG image so the file stays a sensible size.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from gmmviewer.ui.theme import qcolor

VECTOR_POINT_LIMIT = 20_000
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 16, 48


class _Frame:
    """Maps data coordinates to SVG coordinates."""

    def __init__(
        self, x_range: tuple[float, float], y_range: tuple[float, float], size: QtCore.QSizeF
    ):
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        self.width, self.height = float(size.width()), float(size.height())

    def x(self, values: np.ndarray) -> np.ndarray:
        return MARGIN_LEFT + (np.asarray(values) - self.x0) / (self.x1 - self.x0) * self.width

    def y(self, values: np.ndarray) -> np.ndarray:
        return MARGIN_TOP + (self.y1 - np.asarray(values)) / (self.y1 - self.y0) * self.height


def _colour(value: QtGui.QColor) -> str:
    return f"rgb({value.red()},{value.green()},{value.blue()})"


def _stroke(pen: QtGui.QPen) -> str:
    colour = pen.color()
    dash = ""
    style = pen.style()
    if style == QtCore.Qt.PenStyle.DashLine:
        dash = ' stroke-dasharray="7 4"'
    elif style == QtCore.Qt.PenStyle.DashDotLine:
        dash = ' stroke-dasharray="8 3 2 3"'
    elif style == QtCore.Qt.PenStyle.DotLine:
        dash = ' stroke-dasharray="2 3"'
    return (
        f'fill="none" stroke="{_colour(colour)}" stroke-opacity="{colour.alphaF():.3f}" '
        f'stroke-width="{max(pen.widthF(), 1.0):.2f}"{dash}'
    )


def _polyline(frame: _Frame, x: np.ndarray, y: np.ndarray, pen: QtGui.QPen) -> str:
    points = " ".join(f"{a:.2f},{b:.2f}" for a, b in zip(frame.x(x), frame.y(y), strict=True))
    return f'<polyline points="{points}" {_stroke(pen)}/>'


def scatter_svg(view: object) -> str:
    """The SVG document of a :class:`~gmmviewer.ui.scatter_view.ScatterView`'s plot."""
    plot_item: pg.PlotItem = view.plot_item  # type: ignore[attr-defined]
    view_box = plot_item.vb
    (x0, x1), (y0, y1) = view_box.viewRange()
    frame = _Frame((x0, x1), (y0, y1), view_box.size())
    width = MARGIN_LEFT + frame.width + MARGIN_RIGHT
    height = MARGIN_TOP + frame.height + MARGIN_BOTTOM
    theme = view.theme  # type: ignore[attr-defined]
    background = qcolor(theme.plot_background)
    ink = qcolor(theme.foreground)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.2f} {height:.2f}" font-family="DejaVu Sans, Arial, sans-serif">',
        "<title>gmmviewer plot</title>",
        f'<rect width="100%" height="100%" fill="{_colour(background)}"/>',
        '<defs><clipPath id="plot-area">'
        f'<rect x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{frame.width:.2f}" '
        f'height="{frame.height:.2f}"/></clipPath></defs>',
    ]
    parts.extend(_axes(plot_item, frame, ink))
    parts.append('<g clip-path="url(#plot-area)">')
    for contour in view.contours:  # type: ignore[attr-defined]
        parts.extend(_contour(contour, frame))
    for curve in view.truth_curves:  # type: ignore[attr-defined]
        x, y = curve.getData()
        parts.append(_polyline(frame, x, y, curve.opts["pen"]))
    parts.extend(_points(view.points, frame))  # type: ignore[attr-defined]
    for curves in view.ellipses:  # type: ignore[attr-defined]
        for curve in curves:
            x, y = curve.getData()
            parts.append(_polyline(frame, x, y, curve.opts["pen"]))
    for handle in view.handles:  # type: ignore[attr-defined]
        position = handle.pos()
        radius = handle.scale / 2
        parts.append(
            f'<circle cx="{frame.x(position.x()):.2f}" cy="{frame.y(position.y()):.2f}" '
            f'r="{radius:.2f}" fill="{_colour(handle.brush.color())}" '
            f'stroke="{_colour(handle.pen.color())}" stroke-width="{handle.pen.widthF():.2f}"/>'
        )
    parts.append("</g>")
    parts.extend(_legend(view, ink, qcolor(theme.legend_background)))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


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
        for spacing, values in axis.tickValues(low, high, length):
            labels = axis.tickStrings(values, 1.0, spacing)
            for value, label in zip(values, labels, strict=True):
                if name == "bottom":
                    x = float(frame.x(value))
                    parts.append(
                        f'<line x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{bottom:.2f}" {grid}/>'
                    )
                    parts.append(
                        f'<line x1="{x:.2f}" y1="{bottom:.2f}" x2="{x:.2f}" y2="{bottom + 5:.2f}" '
                        f'stroke="{_colour(ink)}"/>'
                    )
                    parts.append(
                        f'<text x="{x:.2f}" y="{bottom + 18:.2f}" text-anchor="middle" {text}>'
                        f"{html.escape(label)}</text>"
                    )
                else:
                    y = float(frame.y(value))
                    parts.append(
                        f'<line x1="{left}" y1="{y:.2f}" x2="{right:.2f}" y2="{y:.2f}" {grid}/>'
                    )
                    parts.append(
                        f'<line x1="{left - 5}" y1="{y:.2f}" x2="{left}" y2="{y:.2f}" '
                        f'stroke="{_colour(ink)}"/>'
                    )
                    parts.append(
                        f'<text x="{left - 8}" y="{y + 4:.2f}" text-anchor="end" {text}>'
                        f"{html.escape(label)}</text>"
                    )
            break  # the major ticks only
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


def _contour(contour: pg.IsocurveItem, frame: _Frame) -> Iterable[str]:
    if contour.path is None:
        contour.generatePath()
    if contour.path is None:
        return []
    transform = contour.transform()
    pen = contour.pen
    lines = []
    for polygon in contour.path.toSubpathPolygons(transform):
        points = np.array([[p.x(), p.y()] for p in polygon])
        if len(points) > 1:
            lines.append(_polyline(frame, points[:, 0], points[:, 1], pen))
    return lines


def _points(points: object, frame: _Frame) -> list[str]:
    xy = points.positions()  # type: ignore[attr-defined]
    x, y = xy[:, 0], xy[:, 1]
    if len(x) == 0:
        return []
    if len(x) > VECTOR_POINT_LIMIT:
        return [_raster_points(points, frame)]
    rgb = points.colours()  # type: ignore[attr-defined]
    radius = points.point_diameter() / 2  # type: ignore[attr-defined]
    outline = points.outline()  # type: ignore[attr-defined]
    stroke = ""
    if outline is not None and outline.alpha() > 0:
        stroke = (
            f' stroke="{_colour(outline)}" stroke-opacity="{outline.alphaF():.3f}" '
            'stroke-width="0.8"'
        )
    cx, cy = frame.x(x), frame.y(y)
    return [
        f"<g{stroke}>",
        *(
            f'<circle cx="{a:.2f}" cy="{b:.2f}" r="{radius:.2f}" fill="rgb({r},{g},{bb})"/>'
            for a, b, (r, g, bb) in zip(cx, cy, rgb.tolist(), strict=True)
        ),
        "</g>",
    ]


def _raster_points(points: object, frame: _Frame) -> str:
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
    points.paint(painter, None, None)  # type: ignore[attr-defined]
    painter.end()
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    encoded = base64.b64encode(bytes(buffer.data())).decode("ascii")
    return (
        f'<image x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{frame.width:.2f}" '
        f'height="{frame.height:.2f}" href="data:image/png;base64,{encoded}"/>'
    )


def _legend(view: object, ink: QtGui.QColor, background: QtGui.QColor) -> list[str]:
    entries = [
        (curves[0].opts["pen"], label.text)
        for curves, (_, label) in zip(view.ellipses, view.legend.items, strict=False)  # type: ignore[attr-defined]
    ]
    if not entries:
        return []
    x, y, row = MARGIN_LEFT + 12, MARGIN_TOP + 12, 20
    width = 40 + 8 * max(len(text) for _, text in entries)
    parts = [
        f'<rect x="{x}" y="{y}" width="{width}" height="{row * len(entries) + 10}" '
        f'fill="{_colour(background)}" fill-opacity="{background.alphaF():.3f}" '
        f'stroke="rgb(120,120,120)"/>'
    ]
    for index, (pen, text) in enumerate(entries):
        line_y = y + 15 + index * row
        parts.append(
            f'<line x1="{x + 8}" y1="{line_y}" x2="{x + 28}" y2="{line_y}" '
            f'stroke="{_colour(pen.color())}" stroke-width="2.5"/>'
        )
        parts.append(
            f'<text x="{x + 34}" y="{line_y + 4}" fill="{_colour(ink)}" font-size="12">'
            f"{html.escape(text)}</text>"
        )
    return parts
