"""Helpers for driving several teaching modes at once through the real window
(``test_modes_together.py``): where to click, real mouse and key events, and checks of
what the overlays draw against scipy."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from uihelpers import NO_BUTTON, WAIT_TIMEOUT_MS, mouse_drag

from gmmviewer.core.analysis.uncertainty import UNCERTAINTY_STOPS

Kind = QtCore.QEvent.Type
THRESHOLD = 0.05  # membership lines: pairs with r above this get one


def focused() -> QtWidgets.QWidget:
    widget = QtWidgets.QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(qtbot, window, key) -> None:
    """A key press where a person's arrives: at the focused widget (else the window)."""
    qtbot.keyClick(QtWidgets.QApplication.focusWidget() or window, key)


def hover(view, pos: QtCore.QPointF) -> None:
    viewport = view.plot_widget.viewport()
    global_pos = QtCore.QPointF(viewport.mapToGlobal(pos.toPoint()))
    event = QtGui.QMouseEvent(
        Kind.MouseMove, pos, global_pos, NO_BUTTON, NO_BUTTON, QtCore.Qt.KeyboardModifier(0)
    )
    QtWidgets.QApplication.sendEvent(viewport, event)


def pixel(view, x: float, y: float) -> QtCore.QPointF:
    return QtCore.QPointF(view.data_to_pixel(float(x), float(y)))


def pixels_of(view, xy) -> np.ndarray:
    points = [pixel(view, x, y) for x, y in np.asarray(xy, float).reshape(-1, 2)]
    return np.array([(p.x(), p.y()) for p in points]).reshape(-1, 2)


def taken_pixels(view) -> np.ndarray:
    """Pixels of the points, the mean handles and any ghosts."""
    items = view.plot_item.vb.childGroup.childItems()
    handles = [h for h in items if isinstance(h, pg.TargetItem) and h.isVisible()]
    centres = [(h.pos().x(), h.pos().y()) for h in handles]
    return np.concatenate([pixels_of(view, view.points.positions()), pixels_of(view, centres)])


def plot_area(view) -> QtCore.QRect:
    return view.plot_widget.mapFromScene(view.plot_item.vb.sceneBoundingRect()).boundingRect()


def empty_spot(view, clearance: float = 30.0) -> QtCore.QPointF:
    """A pixel of the data area far from every point, handle and the legend."""
    taken = taken_pixels(view)
    area = plot_area(view)
    legend = view.plot_widget.mapFromScene(view.legend.sceneBoundingRect()).boundingRect()
    for y in np.linspace(area.top() + 40, area.bottom() - 40, 15):
        for x in np.linspace(area.left() + 40, area.right() - 40, 21):
            if legend.adjusted(-20, -20, 20, 20).contains(int(x), int(y)):
                continue
            if not len(taken) or np.hypot(*(taken - (x, y)).T).min() > clearance:
                return QtCore.QPointF(x, y)
    raise AssertionError("no empty space in the plot")


def lone_point(view, clearance: float = 25.0) -> int:
    """A point with no other point or handle within ``clearance`` pixels."""
    pixels = pixels_of(view, view.points.positions())
    taken = taken_pixels(view)
    area = plot_area(view)
    for index, (x, y) in enumerate(pixels):
        if not area.adjusted(60, 60, -60, -60).contains(int(x), int(y)):
            continue
        distances = np.hypot(*(taken - (x, y)).T)
        if np.sort(distances)[1] > clearance:  # [0] is the point itself
            return index
    raise AssertionError("no lone point")


def point_pixel(view, index: int) -> QtCore.QPointF:
    x, y = view.points.positions()[index]
    return pixel(view, x, y)


def half_step(qtbot, window, key) -> None:
    session = window.controller.session
    length = len(session.history)
    press(qtbot, window, key)
    qtbot.waitUntil(lambda: len(session.history) == length + 1, timeout=WAIT_TIMEOUT_MS)


def spray(view, start: QtCore.QPointF) -> None:
    """A spray stroke of about 120 pixels from ``start``, inside the plot."""
    area = plot_area(view)
    step = 120 if start.x() + 140 < area.right() else -120
    mouse_drag(view.plot_widget, start, start + QtCore.QPointF(step, 20), steps=12)


def oracle_responsibilities(X: np.ndarray, params) -> np.ndarray:
    """Responsibilities of full-covariance ``params`` for ``X``, from scipy."""
    log = np.column_stack(
        [
            np.log(w) + np.atleast_1d(multivariate_normal(m, c).logpdf(X))
            for w, m, c in zip(params.weights, params.means, params.covariances, strict=True)
        ]
    )
    return np.exp(log - logsumexp(log, axis=1, keepdims=True))


def oracle_nll(X: np.ndarray, params, component: int, dims, at) -> float:
    """NLL of the mixture with mean ``component`` moved to ``at`` in columns ``dims``."""
    means = np.array(params.means, dtype=float)
    means[component, list(dims)] = at
    log = np.column_stack(
        [
            np.log(w) + np.atleast_1d(multivariate_normal(m, c).logpdf(X))
            for w, m, c in zip(params.weights, means, params.covariances, strict=True)
        ]
    )
    return float(-logsumexp(log, axis=1).sum())


def check_lines(window) -> None:
    """The membership lines are exactly the pairs with r > 0.05 of the current data."""
    session = window.controller.session
    resp = session.responsibilities
    np.testing.assert_allclose(
        resp, oracle_responsibilities(session.X, session.state.resp_params), atol=1e-9
    )
    segments, components, _ = window.responsibility_views.membership.drawn_lines()
    rows = {tuple(x): n for n, x in enumerate(session.X)}
    drawn = {(rows[tuple(seg[:2])], int(k)) for seg, k in zip(segments, components, strict=True)}
    expected = {(int(n), int(k)) for n, k in zip(*np.nonzero(resp > THRESHOLD), strict=True)}
    assert len(segments) == len(expected) and drawn == expected
    np.testing.assert_array_equal(segments[:, 2:], session.params.means[components])


def expected_uncertainty_colours(resp: np.ndarray) -> np.ndarray:
    values = (1.0 - resp.max(axis=1)) / (1.0 - 1.0 / resp.shape[1])
    ramp = pg.ColorMap(
        [stop for stop, _ in UNCERTAINTY_STOPS], [colour for _, colour in UNCERTAINTY_STOPS]
    )
    return ramp.map(values, mode="byte")[:, :3]


def check_uncertainty(window) -> None:
    session = window.controller.session
    shown = window.scatter.points.colours()
    assert shown.shape == (session.n_samples, 3)
    resp = oracle_responsibilities(session.X, session.state.resp_params)
    expected = expected_uncertainty_colours(resp)
    assert np.abs(shown.astype(int) - expected.astype(int)).max() <= 2


def wait_for_landscape_of_current_data(qtbot, window, component: int = 0):
    """Wait for the fine landscape of ``component`` on the data the session holds now."""

    def current():
        frame = window.landscape.frame
        session = window.controller.session
        assert frame is not None and frame.token.X is session.X
        assert frame.token.params is session.params
        assert frame.landscape.components == (component,)
        assert frame.landscape.nll.shape == (160, 160)

    qtbot.waitUntil(current, timeout=WAIT_TIMEOUT_MS)
    return window.landscape.frame


def check_landscape(window, frame) -> None:
    """A few cells of the shown landscape against scipy on the current data."""
    session = window.controller.session
    landscape = frame.landscape
    assert landscape.n_samples == session.n_samples
    k, dims = landscape.components[0], landscape.dims
    for i, j in ((10, 20), (80, 80), (150, 40)):
        at = (landscape.xs[i], landscape.ys[j])
        expected = oracle_nll(session.X, session.params, k, dims, at)
        assert landscape.nll[j, i] == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose(window.landscape.layer.image.image, landscape.nll)


def ghost_pixel(window, component: int) -> QtCore.QPointF:
    handle = window.predict_mode.ghosts.handles[component]
    return pixel(window.scatter, handle.pos().x(), handle.pos().y())


def ghosts_on_the_means(window) -> bool:
    session = window.controller.session
    ghosts = window.predict_mode.ghosts
    return ghosts.shown and np.allclose(ghosts.ghost_means(), session.params.means[:, :2])
