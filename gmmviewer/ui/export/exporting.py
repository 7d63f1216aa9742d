"""Exporting the scatter plot: PNG through pyqtgraph's ImageExporter, SVG written by
:mod:`gmmviewer.ui.export.svg_export` (pyqtgraph's SVG exporter fails on this Qt)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6 import QtWidgets

from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.files.atomic import atomic_path, atomic_write
from gmmviewer.ui.export.svg_export import plot_svg


class ExportError(GMMViewerError):
    """A plot could not be written."""


def export_plot(view: object, path: str | os.PathLike[str], width: int = 1600) -> None:
    """Write a plot view (scatter or histogram) as PNG (``width`` pixels
    wide) or SVG, chosen by the extension.

    Raises
    ------
    ExportError
        For another extension, or when the file cannot be written.
    """
    path = os.fspath(path)
    extension = os.path.splitext(path)[1].lower()
    directory = os.path.dirname(os.path.abspath(path))
    if extension not in (".png", ".svg"):
        raise ExportError(
            f"cannot export a plot as {extension or 'a file without an extension'}: "
            "use .png or .svg"
        )
    if not os.path.isdir(directory):
        raise ExportError(f"cannot write {path}: the folder does not exist")
    if extension == ".png":
        plot_item = view.plot_item  # type: ignore[attr-defined]
        exporter = ImageExporter(plot_item)
        exporter.parameters()["width"] = int(width)
        exporter.parameters()["antialias"] = True
        with _legends_scaled(plot_item):
            image = exporter.export(toBytes=True)
        if image is None:
            raise ExportError(f"cannot write {path}")
        try:
            # Written beside the target and renamed over it: a failure never leaves half a file.
            with atomic_path(path) as temporary:
                if not image.save(temporary, "PNG"):
                    raise ExportError(f"cannot write {path}")
        except OSError as error:
            raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
        return
    try:
        with atomic_write(path, "w", encoding="utf-8") as stream:
            stream.write(plot_svg(view))
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None


@contextlib.contextmanager
def _legends_scaled(plot_item: pg.PlotItem) -> Iterator[None]:
    """Let the plot's legends scale with the rest of an image larger than the screen.

    pyqtgraph draws a legend ignoring transformations (a fixed size on screen), so an
    export 1600 pixels wide would show it smaller than the tick labels beside it.
    """
    flag = QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
    legends = [
        item
        for item in plot_item.scene().items()
        if isinstance(item, pg.LegendItem) and plot_item.isAncestorOf(item)
    ]
    fixed = [legend for legend in legends if legend.flags() & flag]
    for legend in fixed:
        legend.setFlag(flag, False)
    try:
        yield
    finally:
        for legend in fixed:
            legend.setFlag(flag, True)
