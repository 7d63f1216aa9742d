"""PointCloudItem drawn in a real PlotWidget: pixels, colours, bounds, picking, export."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from pyqtgraph.exporters import ImageExporter
from pyqtgraph.Qt import QtCore, QtGui
from uihelpers import WAIT_TIMEOUT_MS

from gmmviewer.ui.views.colours import NEUTRAL_GREY
from gmmviewer.ui.views.points_item import (
    SPRITE_MAX_POINTS,
    PointCloudItem,
    auto_diameter,
)

WHITE = (255, 255, 255)
RED = (213, 94, 0)
BLUE = (0, 114, 178)
SVG = "{http://www.w3.org/2000/svg}"
#: SVG elements that can draw a point.
SHAPES = ("circle", "ellipse", "image", "path", "rect", "use")


@pytest.fixture
def plot(qtbot):
    """A 600 x 400 white plot showing data x and y in [0, 10], with no auto-range."""
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(600, 400)
    widget.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)
    widget.show()
    qtbot.waitExposed(widget, timeout=WAIT_TIMEOUT_MS)
    return widget


@pytest.fixture
def item(plot):
    points = PointCloudItem()
    plot.addItem(points)
    return points


def render(widget: pg.PlotWidget) -> np.ndarray:
    """The widget as an (height, width, 3) uint8 RGB array."""
    return to_rgb(widget.grab().toImage())


def to_rgb(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(
        image.height(), image.bytesPerLine()
    )
    return rows[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).copy()


def pixel_of(widget: pg.PlotWidget, x: float, y: float) -> tuple[int, int]:
    """(column, row) in the grabbed widget of data position (x, y)."""
    view_pos = widget.getViewBox().mapViewToDevice(QtCore.QPointF(x, y))
    pos = widget.viewport().mapTo(widget, view_pos.toPoint())
    return pos.x(), pos.y()


def colour_at(rgb: np.ndarray, column: int, row: int) -> np.ndarray:
    return rgb[row, column].astype(int)


def assert_colour(actual: np.ndarray, expected: tuple[int, int, int], tolerance: int = 6) -> None:
    assert np.abs(actual - np.array(expected)).max() <= tolerance, (actual, expected)


def test_point_appears_at_its_position_in_its_colour(plot, item):
    item.set_points(np.array([[2.0, 3.0], [7.0, 6.0]]))
    item.set_colours(np.array([RED, BLUE], dtype=np.uint8))
    rgb = render(plot)
    assert item.last_strategy == "sprite"
    assert_colour(colour_at(rgb, *pixel_of(plot, 2.0, 3.0)), RED)
    assert_colour(colour_at(rgb, *pixel_of(plot, 7.0, 6.0)), BLUE)
    # 7 px discs: 6 px away from a centre is background again.
    column, row = pixel_of(plot, 2.0, 3.0)
    assert_colour(colour_at(rgb, column + 6, row), WHITE, tolerance=0)
    assert_colour(colour_at(rgb, column, row - 6), WHITE, tolerance=0)
    assert_colour(colour_at(rgb, *pixel_of(plot, 5.0, 5.0)), WHITE, tolerance=0)


def test_disc_is_round_and_antialiased(plot, item):
    item.set_points(np.array([[5.0, 5.0]]))
    item.set_colours(np.array([BLUE], dtype=np.uint8))
    rgb = render(plot).astype(int)
    column, row = pixel_of(plot, 5.0, 5.0)
    patch = rgb[row - 6 : row + 7, column - 6 : column + 7]
    covered = (np.abs(patch - WHITE).max(axis=2) > 10).sum()
    assert 30 <= covered <= 60  # about pi * 3.5**2 = 38, plus the soft rim
    distinct = {tuple(c) for c in patch.reshape(-1, 3)}
    assert len(distinct) > 3  # intermediate edge shades: antialiased, not a hard stamp


def test_set_colours_changes_the_drawn_colour(plot, item):
    item.set_points(np.array([[5.0, 5.0]]))
    item.set_colours(np.array([RED], dtype=np.uint8))
    assert_colour(colour_at(render(plot), *pixel_of(plot, 5.0, 5.0)), RED)
    item.set_colours(np.array([BLUE], dtype=np.uint8))
    assert_colour(colour_at(render(plot), *pixel_of(plot, 5.0, 5.0)), BLUE)


def test_outline_darkens_the_rim_in_the_point_s_own_hue(plot, item):
    item.set_points(np.array([[5.0, 5.0]]))
    item.set_colours(np.array([RED], dtype=np.uint8))
    column, row = pixel_of(plot, 5.0, 5.0)

    def darkest() -> np.ndarray:
        patch = render(plot)[row - 6 : row + 7, column - 6 : column + 7].reshape(-1, 3)
        return patch[patch.astype(int).sum(axis=1).argmin()].astype(int)

    item.set_outline(QtGui.QColor(0, 0, 0, 128))
    rim = darkest()
    assert rim.sum() < sum(RED) - 100
    assert rim[0] > rim[1] > rim[2]  # still orange-red, only darker
    item.set_outline(None)
    assert darkest().sum() >= sum(RED) - 8  # edges only blend towards the white background


def test_colours_stay_right_when_the_sprite_atlas_starts_afresh(plot, item):
    rng = np.random.default_rng(5)
    n = 3000
    xy = rng.uniform(0.0, 10.0, size=(n, 2))
    xy[-1] = (5.0, 5.0)  # the last point is drawn on top of any neighbour
    item.set_points(xy)
    for frame in range(4):  # ~3000 new colours a frame: the atlas overflows and restarts
        colours = rng.integers(0, 256, size=(n, 3)).astype(np.uint8)
        colours[-1] = (RED, BLUE)[frame % 2]
        item.set_colours(colours)
        assert_colour(colour_at(render(plot), *pixel_of(plot, 5.0, 5.0)), colours[-1])


def test_none_and_new_points_give_neutral_grey(plot, item):
    item.set_points(np.array([[5.0, 5.0]]))
    assert_colour(colour_at(render(plot), *pixel_of(plot, 5.0, 5.0)), NEUTRAL_GREY)
    item.set_colours(np.array([RED], dtype=np.uint8))
    item.set_colours(None)
    assert_colour(colour_at(render(plot), *pixel_of(plot, 5.0, 5.0)), NEUTRAL_GREY)


def test_later_points_are_drawn_on_top(plot, item):
    item.set_points(np.array([[5.0, 5.0], [5.0, 5.0]]))
    item.set_colours(np.array([RED, BLUE], dtype=np.uint8))
    assert_colour(colour_at(render(plot), *pixel_of(plot, 5.0, 5.0)), BLUE)
    item.set_colours(np.array([BLUE, RED], dtype=np.uint8))
    assert_colour(colour_at(render(plot), *pixel_of(plot, 5.0, 5.0)), RED)


def test_no_points_draws_nothing(plot, item):
    item.set_points(np.empty((0, 2)))
    item.set_colours(None)
    item.set_colours(np.empty((0, 3), dtype=np.uint8))
    rgb = render(plot)
    assert_colour(colour_at(rgb, *pixel_of(plot, 5.0, 5.0)), WHITE, tolerance=0)
    assert item.boundingRect().isEmpty()
    assert item.dataBounds(0) == (None, None)
    assert item.point_at(5.0, 5.0, (0.1, 0.1)) is None


def test_auto_range_fits_all_points(plot, item):
    rng = np.random.default_rng(0)
    xy = rng.normal(loc=(100.0, -40.0), scale=(30.0, 5.0), size=(500, 2))
    item.set_points(xy)
    plot.autoRange()
    (xmin, xmax), (ymin, ymax) = plot.getViewBox().viewRange()
    assert xmin <= xy[:, 0].min() and xy[:, 0].max() <= xmax
    assert ymin <= xy[:, 1].min() and xy[:, 1].max() <= ymax
    # ... tightly: the view is not much larger than the data.
    assert xmax - xmin < 1.3 * np.ptp(xy[:, 0])
    rgb = render(plot)
    extreme = int(np.argmax(xy[:, 0]))
    assert_colour(colour_at(rgb, *pixel_of(plot, *xy[extreme])), NEUTRAL_GREY)


def test_data_bounds_ignore_non_finite_and_honour_ortho_range(item):
    item.set_points(np.array([[0.0, 0.0], [np.nan, 5.0], [4.0, 1.0], [10.0, 9.0]]))
    assert item.dataBounds(0) == (0.0, 10.0)
    assert item.dataBounds(1) == (0.0, 9.0)
    assert item.dataBounds(0, orthoRange=(0.5, 2.0)) == (4.0, 4.0)
    assert item.dataBounds(0, orthoRange=(100.0, 200.0)) == (None, None)
    low, high = item.dataBounds(1, frac=0.5)
    assert 0.0 < low < high < 9.0


def test_point_at_finds_the_nearest_point_within_tolerance(item):
    item.set_points(np.array([[1.0, 1.0], [2.0, 2.0], [2.0, 2.0], [np.nan, 0.0]]))
    pixel = (0.1, 0.05)  # data units per pixel
    assert item.point_at(1.2, 1.1, pixel) == 0
    assert item.point_at(1.9, 2.05, pixel) == 2  # the later of two equal points: on top
    # 0.3 x-units is 3 px; 0.3 y-units is 6 px.
    assert item.point_at(1.3, 1.0, pixel, tolerance_px=3.5) == 0
    assert item.point_at(1.0, 1.3, pixel, tolerance_px=3.5) is None
    assert item.point_at(5.0, 5.0, pixel) is None


def test_highlight_draws_an_enlarged_point(plot, item):
    item.set_points(np.array([[5.0, 5.0]]))
    item.set_colours(np.array([RED], dtype=np.uint8))
    column, row = pixel_of(plot, 5.0, 5.0)
    assert_colour(colour_at(render(plot), column + 5, row), WHITE, tolerance=0)
    item.set_highlight(0)
    rgb = render(plot)
    assert_colour(colour_at(rgb, column, row), RED)
    # A dashed dark ring well outside the point (unlike the filled mean handles).
    ring = 1.9 * max(item.point_diameter(), 7.0)
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    dark = [
        colour_at(
            rgb, int(round(column + ring * np.cos(a))), int(round(row + ring * np.sin(a)))
        ).max()
        < 120
        for a in angles
    ]
    assert 10 < sum(dark) < 72  # dark dashes, with gaps
    item.set_highlight(None)
    assert_colour(colour_at(render(plot), column + 5, row), WHITE, tolerance=0)
    with pytest.raises(IndexError):
        item.set_highlight(1)


def test_rejects_wrong_shapes(item):
    with pytest.raises(ValueError, match="shape"):
        item.set_points(np.zeros((3, 3)))
    item.set_points(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        item.set_colours(np.zeros((2, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="positive"):
        item.set_point_size(0.0)


def test_auto_diameter_shrinks_large_data_sets():
    assert auto_diameter(7.0, 100) == 7.0
    assert auto_diameter(7.0, 20_000) == 7.0
    assert 4.0 < auto_diameter(7.0, 100_000) < 4.5
    assert auto_diameter(7.0, 1_000_000) == pytest.approx(2.0)
    assert auto_diameter(7.0, 10_000_000) == 2.0
    assert auto_diameter(1.5, 10_000_000) == 1.5


@pytest.mark.slow
def test_raster_path_draws_many_points_in_their_colours(plot, item):
    n = 200_000
    rng = np.random.default_rng(1)
    xy = rng.uniform(0.0, 10.0, size=(n, 2))
    rgb = np.where((xy[:, :1] < 5.0), np.array(RED, np.uint8), np.array(BLUE, np.uint8))
    item.set_points(xy)
    item.set_colours(rgb.astype(np.uint8))
    image = render(plot)
    assert item.last_strategy == "raster"
    for x, colour in ((2.5, RED), (7.5, BLUE)):
        column, row = pixel_of(plot, x, 5.0)
        patch = image[row - 20 : row + 20, column - 20 : column + 20].reshape(-1, 3).astype(int)
        matching = (np.abs(patch - colour).max(axis=1) <= 2).mean()
        assert matching > 0.5, (x, matching)
    # A single point of its own far from the crowd keeps its colour too.
    crowd = xy[xy[:, 0] < 5.0]
    item.set_points(np.vstack([crowd, [[8.0, 5.0]]]))
    colours = np.tile(np.array(RED, np.uint8), (len(crowd) + 1, 1))
    colours[-1] = BLUE
    item.set_colours(colours)
    image = render(plot)
    assert item.last_strategy == "raster"
    assert_colour(colour_at(image, *pixel_of(plot, 8.0, 5.0)), BLUE, tolerance=0)


def test_zooming_into_a_large_data_set_switches_to_sprites(plot, item):
    n = SPRITE_MAX_POINTS + 10_000
    xy = np.random.default_rng(2).uniform(0.0, 10.0, size=(n, 2))
    item.set_points(xy)
    render(plot)
    assert item.last_strategy == "raster"
    plot.setRange(xRange=(4.0, 5.0), yRange=(4.0, 5.0), padding=0)
    render(plot)
    assert item.last_strategy == "sprite"


def render_scene(widget: pg.PlotWidget, dpr: float) -> np.ndarray:
    """The scene painted into an image of ``dpr`` device pixels per logical pixel."""
    size = widget.size()
    image = QtGui.QImage(
        round(size.width() * dpr),
        round(size.height() * dpr),
        QtGui.QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.setDevicePixelRatio(dpr)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    target = QtCore.QRectF(0, 0, size.width(), size.height())
    widget.scene().render(painter, target, widget.sceneRect())
    painter.end()
    return to_rgb(image)


@pytest.mark.parametrize("n_crowd", [0, SPRITE_MAX_POINTS], ids=["sprite", "raster"])
def test_high_dpi_screens_get_discs_of_the_same_logical_size(plot, item, n_crowd):
    # A crowd in the lower-left corner decides the path; one blue point stands apart.
    crowd = np.random.default_rng(4).uniform(0.0, 2.0, size=(n_crowd, 2))
    item.set_points(np.vstack([crowd, [[7.0, 7.0]]]))
    colours = np.tile(np.array(RED, np.uint8), (n_crowd + 1, 1))
    colours[-1] = BLUE
    item.set_colours(colours)
    blue = []
    for dpr in (1.0, 2.0):
        image = render_scene(plot, dpr).astype(int)
        blue.append(int(((image[..., 2] - image[..., 0]) > 40).sum()))
        assert item.last_strategy == ("raster" if n_crowd else "sprite")
    assert 3.0 * blue[0] <= blue[1] <= 5.0 * blue[0], blue


def test_image_export_draws_the_points_at_the_export_resolution(plot, item):
    item.set_points(np.array([[2.0, 3.0], [7.0, 6.0]]))
    item.set_colours(np.array([RED, BLUE], dtype=np.uint8))
    render(plot)
    exporter = ImageExporter(plot.plotItem)
    width = int(exporter.parameters()["width"])
    single = to_rgb(exporter.export(toBytes=True))
    exporter.parameters()["width"] = 2 * width
    double = to_rgb(exporter.export(toBytes=True))
    assert double.shape[1] == 2 * single.shape[1]

    def count(image: np.ndarray, colour: tuple[int, int, int]) -> int:
        """Pixels of the disc, rim included: clearly red (or blue) rather than grey."""
        red_minus_blue = image[..., 0].astype(int) - image[..., 2]
        return int((red_minus_blue > 40 if colour == RED else red_minus_blue < -40).sum())

    for colour in (RED, BLUE):
        assert 30 <= count(single, colour) <= 60  # a 7 px disc: pi * 3.5**2 = 38
        # Twice the resolution, twice the diameter: about four times the pixels.
        assert 3.5 * count(single, colour) <= count(double, colour) <= 4.5 * count(single, colour)
    # Where the point is: the export maps the scene onto the image by a plain scale.
    scene_pos = plot.getViewBox().mapViewToScene(QtCore.QPointF(7.0, 6.0))
    source = plot.plotItem.sceneBoundingRect()
    factor = double.shape[1] / source.width()
    column = int((scene_pos.x() - source.left()) * factor)
    row = int((scene_pos.y() - source.top()) * factor)
    assert_colour(colour_at(double, column, row), BLUE)


def test_image_export_of_the_raster_path(plot, item):
    n = SPRITE_MAX_POINTS + 1
    xy = np.random.default_rng(3).uniform(0.0, 10.0, size=(n, 2))
    item.set_points(xy)
    item.set_colours(np.tile(np.array(BLUE, np.uint8), (n, 1)))
    exported = to_rgb(ImageExporter(plot.plotItem).export(toBytes=True))
    assert item.last_strategy == "raster"
    assert (np.abs(exported.astype(int) - BLUE).max(axis=2) <= 2).mean() > 0.3

