"""Issue 13, "the window keeps up": each half-step redraws only what it changed.

An M-step moves the ellipses but leaves the point colours (and the point raster) alone;
the legend is rebuilt only when K or the colours change; the NLL curve grows by
appending and still shows exactly the session's values; the axes are drawn again only
when their range changes (not when a dragged point or mean edits the data); the Compare
tab does no work while hidden. Counted by wrapping the real methods (the wrapper calls
through) or by the axes' own count of drawings, never timed.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from PySide6 import QtCore
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.metrics import adjusted_rand_score
from uihelpers import WAIT_TIMEOUT_MS, mouse_drag

import gmmviewer.ui.window.teaching as teaching_module
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.ui.views import points_item

Key = QtCore.Qt.Key


class Calls:
    """Wraps a callable: counts the calls and calls through."""

    def __init__(self, function) -> None:  # noqa: ANN001 - any callable
        self.function = function
        self.count = 0

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204 - passes through
        self.count += 1
        return self.function(*args, **kwargs)

    def __get__(self, instance: object, owner: type | None = None):  # noqa: ANN204
        # Set on a class, it binds like the method it replaces.
        return self if instance is None else functools.partial(self, instance)


def counted(owner: object, name: str, monkeypatch) -> Calls:
    """Replace ``owner.name`` by a counting wrapper of itself for this test."""
    calls = Calls(getattr(owner, name))
    monkeypatch.setattr(owner, name, calls)
    return calls


def wait_idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.controller.idle, timeout=WAIT_TIMEOUT_MS)


def half_step(qtbot, window, key) -> None:
    qtbot.keyClick(window, key)
    wait_idle(qtbot, window)


def repaint(view) -> None:
    """Paint a plot now (whatever the event loop painted already)."""
    view.plot_widget.viewport().repaint()


def nll_of(params, X: np.ndarray) -> float:
    """-log p(X | params), from scipy."""
    return -logsumexp(
        [
            np.log(w) + multivariate_normal(mean, covariance).logpdf(X)
            for w, mean, covariance in zip(
                params.weights, params.means, params.covariances, strict=True
            )
        ],
        axis=0,
    ).sum()


# ============================================================================= points
@pytest.mark.slow
def test_an_m_step_neither_recolours_nor_restamps_a_million_style_raster(
    qtbot, window, monkeypatch
):
    # Enough points in view for the raster path (and for half-steps on the worker).
    rng = np.random.default_rng(5)
    n = points_item.SPRITE_MAX_POINTS + 50_000
    X = rng.normal(size=(n, 2)) + 6.0 * rng.integers(0, 3, size=(n, 1))
    controller = window.controller
    assert controller.load_dataset(Dataset(X, source="big"), 3, "random-from-data", 0, "full")
    points = window.scatter.points
    set_colours = counted(points, "set_colours", monkeypatch)
    stamped = counted(points_item, "_render_raster", monkeypatch)
    drawn = counted(points_item._Raster, "draw", monkeypatch)

    half_step(qtbot, window, Key.Key_E)
    repaint(window.scatter)
    assert points.last_strategy == "raster"
    assert set_colours.count == 1  # the E-step's new responsibilities
    assert stamped.count >= 1
    colours = points._argb

    set_colours.count = stamped.count = drawn.count = 0
    half_step(qtbot, window, Key.Key_M)
    assert controller.session.state.action == "m-step"
    repaint(window.scatter)
    # The ellipses moved, so the plot was painted under them, from the kept raster.
    assert drawn.count >= 1
    assert stamped.count == 0
    assert set_colours.count == 0
    assert points._argb is colours

    # The next E-step changes the colours: the raster is stamped again.
    half_step(qtbot, window, Key.Key_E)
    repaint(window.scatter)
    assert set_colours.count == 1 and stamped.count >= 1
    assert points._argb is not colours


# ============================================================================= legend
def test_the_legend_is_rebuilt_only_when_k_changes(qtbot, window, monkeypatch):
    legend = window.scatter.legend
    added = counted(legend, "addItem", monkeypatch)
    cleared = counted(legend, "clear", monkeypatch)
    session = window.controller.session
    for key in (Key.Key_E, Key.Key_M, Key.Key_E, Key.Key_M):
        half_step(qtbot, window, key)
        labels = [label.text for _, label in legend.items]
        # The weights are the session's, in the entries built before the steps.
        assert labels == [f"{k + 1}: weight {w:.3f}" for k, w in enumerate(session.params.weights)]
    assert added.count == 0 and cleared.count == 0

    window.controller.add_component_at(0.0, 0.0)
    assert session.n_components == 4
    assert cleared.count == 1 and added.count == 4
    assert [sample.item for sample, _ in legend.items] == [e[0] for e in window.scatter.ellipses]
    half_step(qtbot, window, Key.Key_E)
    half_step(qtbot, window, Key.Key_M)
    assert cleared.count == 1 and added.count == 4


# ================================================================================ NLL
def test_the_nll_curve_grows_by_appending_and_shows_the_sessions_values(qtbot, window, monkeypatch):
    session = window.controller.session
    view = window.nll_view
    redrawn = counted(view.past_curve.scatter, "setData", monkeypatch)
    appended = counted(view.past_curve.scatter, "addPoints", monkeypatch)
    window.controller.set_speed(100)
    qtbot.keyClick(window, Key.Key_R)
    qtbot.waitUntil(lambda: session.done and window.controller.idle, timeout=WAIT_TIMEOUT_MS)
    half_steps = len(session.history) - 1
    assert half_steps > 10
    # One point per half-step, each appended: the symbols were never all rebuilt.
    assert appended.count == half_steps and redrawn.count == 0

    def check_past_curve() -> None:
        xs, ys = view.past_curve.getData()
        states = session.history[: session.position + 1]
        expected = [nll_of(state.params, session.X) for state in states]
        np.testing.assert_allclose(ys, expected, rtol=1e-9)
        iterations = [s.iteration + (0.5 if s.action == "e-step" else 0.0) for s in states]
        np.testing.assert_allclose(xs, iterations)
        symbol_x, symbol_y = view.past_curve.scatter.getData()
        np.testing.assert_allclose(symbol_x, xs)
        np.testing.assert_allclose(symbol_y, ys)

    check_past_curve()
    # Back four half-steps: the past is redrawn shorter, the rest is the redo branch.
    for _ in range(4):
        half_step(qtbot, window, Key.Key_Left)
    check_past_curve()
    assert len(view.future_curve.getData()[0]) == 5
    # A half-step from here replaces the redo branch; the run goes on from it.
    half_step(qtbot, window, Key.Key_Space)
    assert len(view.future_curve.getData()[0]) == 0
    check_past_curve()


# =============================================================================== axes
def test_axes_are_drawn_again_only_when_their_range_changes(qtbot, window, monkeypatch):
    scatter_axes = [window.scatter.plot_item.getAxis(name) for name in ("left", "bottom")]
    nll_x_axis = window.nll_view.plot_item.getAxis("bottom")
    scatter_drawn = [counted(axis, "generateDrawSpecs", monkeypatch) for axis in scatter_axes]
    nll_drawn = counted(nll_x_axis, "generateDrawSpecs", monkeypatch)
    x_ranges = set()
    for key in (Key.Key_E, Key.Key_M) * 4:
        half_step(qtbot, window, key)
        repaint(window.scatter)
        repaint(window.nll_view)
        x_ranges.add(tuple(window.nll_view.plot_item.vb.viewRange()[0]))
    # The points and ellipses changed under the scatter plot's grid, not its range.
    assert [calls.count for calls in scatter_drawn] == [0, 0]
    # The NLL plot's iterations outgrew its first x-range: that axis shows new numbers.
    assert len(x_ranges) > 1
    assert nll_drawn.count >= 1

    view_box = window.scatter.plot_item.vb
    (x0, x1), _ = view_box.viewRange()
    view_box.setXRange(x0 - 1.0, x1 + 1.0, padding=0)
    repaint(window.scatter)
    assert scatter_drawn[1].count >= 1


def lone_pixel(view, positions: np.ndarray, avoid: np.ndarray, clearance: float) -> int:
    """Index of a position (data, shape (n, 2)) drawn ``clearance`` pixels from every other
    and from ``avoid`` (pixels, shape (m, 2)), inside the data area, away from the legend."""
    pixels = np.array([(p.x(), p.y()) for p in (view.data_to_pixel(*xy) for xy in positions)])
    area = view.plot_widget.mapFromScene(view.plot_item.vb.sceneBoundingRect()).boundingRect()
    legend = view.plot_widget.mapFromScene(view.legend.sceneBoundingRect()).boundingRect()
    for index, (x, y) in enumerate(pixels):
        if not area.adjusted(40, 40, -40, -40).contains(int(x), int(y)):
            continue
        if legend.adjusted(-20, -20, 20, 20).contains(int(x), int(y)):
            continue
        near = np.concatenate([np.delete(pixels, index, axis=0), avoid.reshape(-1, 2)])
        if np.hypot(*(near - (x, y)).T).min() > clearance:
            return index
    raise AssertionError("no lone point")


def start_editing(qtbot, window) -> None:
    """Data-edit mode, entered with the D key."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_TIMEOUT_MS)
    qtbot.keyClick(window, Key.Key_D)
    assert window.controller.painter.active


def test_dragging_a_point_or_a_mean_keeps_the_axes_until_the_range_changes(qtbot, window):
    """A live point drag edits the data at every mouse move (the data set is small): the
    axes keep their pictures through it, a mean drag and half-steps, and draw again when
    A fits the view to the moved point."""
    view, session = window.scatter, window.controller.session
    start_editing(qtbot, window)
    axes = [view.plot_item.getAxis(name) for name in ("left", "bottom")]
    repaint(view)
    drawn = [axis.drawings for axis in axes]
    assert min(drawn) >= 1  # the axes paint from their pixmaps
    shown = view.view_range()

    # The point farthest from the middle that is clear of the others, dragged outwards to
    # the data area's corner on its side: live edits (one E-step each) at every move.
    handles = np.array([(h.pos().x(), h.pos().y()) for h in view.handles])
    handle_pixels = np.array([(p.x(), p.y()) for p in map(view.data_to_pixel, *handles.T)])
    order = np.argsort(-np.hypot(*(session.X - session.X.mean(axis=0)).T))
    index = order[lone_pixel(view, session.X[order], handle_pixels, clearance=15)]
    start = QtCore.QPointF(view.data_to_pixel(*session.X[index]))
    area = view.plot_widget.mapFromScene(view.plot_item.vb.sceneBoundingRect()).boundingRect()
    middle = area.center()
    corner = QtCore.QPointF(
        area.right() - 12 if start.x() > middle.x() else area.left() + 12,
        area.bottom() - 12 if start.y() > middle.y() else area.top() + 12,
    )
    mouse_drag(view.plot_widget, start, corner, steps=8)
    assert session.state.action == "move point" and session.state.point == index
    assert session.X[index] == pytest.approx(view.pixel_to_data(corner).toTuple(), abs=1e-2)
    repaint(view)
    assert view.view_range() == shown
    assert [axis.drawings for axis in axes] == drawn

    # A mean dragged, then an E- and an M-step: the components move, the range stays.
    mean = QtCore.QPointF(view.data_to_pixel(*session.params.means[1]))
    mouse_drag(view.plot_widget, mean, mean + QtCore.QPointF(30, 30))
    assert session.state.action == "move mean"
    repaint(view)
    for key in (Key.Key_E, Key.Key_M):
        half_step(qtbot, window, key)
        repaint(view)
    assert view.view_range() == shown
    assert [axis.drawings for axis in axes] == drawn

    # A fits the view to the data, the moved point now at its edge: new ranges, new axes.
    qtbot.keyClick(window, Key.Key_A)
    repaint(view)
    fitted = view.view_range()
    assert fitted[0] != shown[0] and fitted[1] != shown[1]
    for (low, high), value in zip(fitted, session.X[index], strict=True):
        assert low < value < high
    assert all(axis.drawings > count for axis, count in zip(axes, drawn, strict=True))


def test_dragging_a_rug_point_keeps_the_histograms_x_axis(qtbot, window):
    """One column: an edit keeps the x-range (its axis keeps its picture); the height
    fits the new histogram, and the density axis is drawn again only if it changed."""
    data = make_preset("bimodal-1d", 300, seed=1)
    assert window.controller.load_dataset(data, 2, "random-means", 2)
    view, session = window.histogram, window.controller.session
    view.plot_widget.scene().minDragTime = 0
    start_editing(qtbot, window)
    left, bottom = (view.plot_item.getAxis(name) for name in ("left", "bottom"))
    repaint(view)
    drawn = (left.drawings, bottom.drawings)
    (x_range, y_range) = view.view_range()

    rug = np.array([view.rug_position(i) for i in range(session.n_samples)])
    # Mean lines span the plot's height: keep clear of them by x.
    lines = [view.data_to_pixel(line.value(), 0.0).x() for line in view.mean_lines]
    avoid = np.array([(x, y) for x in lines for y in range(0, view.height(), 4)], float)
    index = lone_pixel(view, rug, avoid, clearance=8)
    start = QtCore.QPointF(view.data_to_pixel(*rug[index]))
    mouse_drag(view.plot_widget, start, start + QtCore.QPointF(25, 0))
    assert session.state.action == "move point" and session.state.point == index
    assert session.X[index, 0] != data.X[index, 0]
    repaint(view)
    assert view.view_range()[0] == x_range
    assert bottom.drawings == drawn[1]
    assert (left.drawings > drawn[0]) == (view.view_range()[1] != y_range)


# ============================================================================ compare
def test_the_compare_tab_works_only_while_shown(qtbot, window, monkeypatch):
    session = window.controller.session
    compared = counted(teaching_module, "compare_with_truth", monkeypatch)
    agreement = counted(teaching_module, "adjusted_rand_index", monkeypatch)
    assert not window.compare.isVisible()
    for key in (Key.Key_E, Key.Key_M, Key.Key_E):
        half_step(qtbot, window, key)
    assert compared.count == 0 and agreement.count == 0

    window.controls.tabs.setCurrentWidget(window.compare)
    assert window.compare.isVisible()
    assert compared.count == 1 and agreement.count == 1

    def shown_agreement() -> None:
        expected = adjusted_rand_score(session.dataset.labels, session.hard_assignments())
        assert f"<b>{expected:.3f}</b>" in window.compare.truth_summary.text()

    shown_agreement()
    # An M-step moves the components (the table) but not the hard assignment.
    half_step(qtbot, window, Key.Key_M)
    assert compared.count == 2 and agreement.count == 1
    half_step(qtbot, window, Key.Key_E)
    assert compared.count == 3 and agreement.count == 2
    shown_agreement()

    # Hidden again: half-steps leave it alone; shown, it catches up.
    window.controls.tabs.setCurrentIndex(0)
    half_step(qtbot, window, Key.Key_M)
    half_step(qtbot, window, Key.Key_E)
    assert compared.count == 3 and agreement.count == 2
    window.controls.tabs.setCurrentWidget(window.compare)
    assert compared.count == 4 and agreement.count == 3
    shown_agreement()


def test_a_new_size_and_theme_reach_every_legend_entry(window):
    """Entries whose text an M-step leaves alone must take a new style too."""
    window.controller.step()
    window.actions_by_name["bigger"].trigger()
    window.actions_by_name["dark_theme"].trigger()
    window.controller.step()
    size = f"{10 * window.view_state.scale:.0f}pt"
    colour = window.scatter.theme.foreground.lower()
    for _, label in window.scatter.legend.items:
        html = label.item.toHtml().lower()
        assert label.text and label.text.split(":")[0] in html
        assert size in html
        assert colour in html
