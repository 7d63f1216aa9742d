"""The Bound tab: B shows the slice of the log-likelihood and L(q, theta) along one mean.

Driven through the real window (keys, the component box, a drag of a mean); the drawn
curves are compared with scipy.stats computing both quantities directly.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from uihelpers import WAIT_TIMEOUT_MS, mouse_drag

from gmmviewer.core.analysis.bound_slice import bound_slice

Key = QtCore.Qt.Key


def scipy_curves(session, k, ts, direction):
    """Log-likelihood and bound at each t, with mean k at mu_k + t d, by scipy.stats."""
    params, q_params, X = session.params, session.state.resp_params, session.X
    covariances = params.full_covariances()

    def terms(p, mean_k):
        cov = p.full_covariances()
        return np.column_stack(
            [
                np.log(p.weights[j])
                + multivariate_normal(mean_k if j == k else p.means[j], cov[j]).logpdf(X)
                for j in range(p.n_components)
            ]
        )

    q_terms = terms(q_params, q_params.means[k])
    r = np.exp(q_terms - logsumexp(q_terms, axis=1, keepdims=True))
    log_r = np.log(np.where(r > 0, r, 1.0))
    likelihood, bound = [], []
    for t in ts:
        t_terms = terms(params, params.means[k] + t * direction)
        likelihood.append(logsumexp(t_terms, axis=1).sum())
        bound.append(np.sum(r * (t_terms - log_r)))
    assert covariances is not None
    return np.array(likelihood), np.array(bound)


def tab_shown(window) -> bool:
    return window.controls.tabs.indexOf(window.bound_slice) >= 0


def test_b_shows_the_bound_tab_which_waits_for_q(qtbot, window):
    panel = window.bound_slice
    assert not tab_shown(window)
    qtbot.keyClick(window, Key.Key_B)
    assert tab_shown(window) and window.controls.tabs.currentWidget() is panel
    assert panel.shown_slice is None and "after the first E-step" in panel.note_text
    qtbot.keyClick(window, Key.Key_B)
    assert not tab_shown(window)


def test_after_an_e_step_the_curves_are_scipy_s_and_touch_at_now(qtbot, window):
    qtbot.keyClick(window, Key.Key_B)
    qtbot.keyClick(window, Key.Key_Space)
    qtbot.keyClick(window, Key.Key_E)
    session = window.controller.session
    panel = window.bound_slice
    result = panel.shown_slice
    assert result is not None and result.component == 0
    (t1, likelihood), (t2, bound) = panel.curves()
    np.testing.assert_array_equal(t1, result.ts)
    np.testing.assert_array_equal(likelihood, result.log_likelihood)
    np.testing.assert_array_equal(bound, result.bound)
    picks = [0, 12, 24, 36, 60]  # t = -0.5, 0, 0.5, 1, 2
    oracle_ll, oracle_bound = scipy_curves(session, 0, t1[picks], result.direction)
    np.testing.assert_allclose(likelihood[picks], oracle_ll, rtol=1e-9)
    np.testing.assert_allclose(bound[picks], oracle_bound, rtol=1e-9)
    assert t1[12] == 0.0 and t1[36] == 1.0
    assert bound[12] == pytest.approx(likelihood[12], rel=1e-9)
    assert np.argmax(bound) == 36  # the M-step's mean
    assert panel.now_line.isVisible() and panel.m_step_line.isVisible()
    assert panel.plot_item.getAxis("bottom").labelText == "t along mean 1's next M-step move"
    # The M-step puts mean 1 exactly at t = 1.
    qtbot.keyClick(window, Key.Key_M)
    np.testing.assert_allclose(session.params.means[0], result.origin + result.direction, atol=1e-9)


def test_the_slice_updates_after_every_step_and_says_when_the_mean_is_at_the_top(qtbot, window):
    qtbot.keyClick(window, Key.Key_B)
    qtbot.keyClick(window, Key.Key_E)
    panel = window.bound_slice
    first = panel.shown_slice
    qtbot.keyClick(window, Key.Key_M)
    after_m = panel.shown_slice
    assert after_m is not first
    # q is the previous parameters' posterior and the mean is already at its bound's top.
    assert after_m.direction_kind == "largest variance"
    assert not panel.m_step_line.isVisible()
    assert "Press E" in panel.note_text
    assert np.all(after_m.gap > 0)
    qtbot.keyClick(window, Key.Key_E)
    again = panel.shown_slice
    assert again.direction_kind == "m-step"
    (_, likelihood), (_, bound) = panel.curves()
    assert bound[12] == pytest.approx(likelihood[12], rel=1e-9)


def test_the_component_box_and_a_dragged_mean_choose_the_moving_mean(qtbot, window):
    qtbot.keyClick(window, Key.Key_B)
    qtbot.keyClick(window, Key.Key_E)
    panel = window.bound_slice
    box = panel.component_box
    assert box.count() == 3 and box.currentIndex() == 0
    # Choose component 3 in the box with the keys, as a person does.
    box.setFocus()
    qtbot.keyClick(box, Key.Key_Down)
    qtbot.keyClick(box, Key.Key_Down)
    assert box.currentIndex() == 2
    assert panel.shown_slice.component == 2
    # Dragging mean 2 makes it the moving mean (and q stays, so it is off the top).
    session = window.controller.session
    start = QtCore.QPointF(window.scatter.data_to_pixel(*session.params.means[1]))
    mouse_drag(window.scatter.plot_widget, start, start + QtCore.QPointF(40, 30))
    assert session.state.action == "move mean"
    assert box.currentIndex() == 1 and panel.shown_slice.component == 1
    result = panel.shown_slice
    assert result.direction_kind == "m-step"
    assert np.argmax(result.bound) == 36
    # Off the top: q no longer the posterior, so the bound lies strictly below at t = 0.
    assert result.gap[12] > 0


def test_the_slice_is_computed_while_its_tab_is_in_view(qtbot, window):
    qtbot.keyClick(window, Key.Key_B)
    qtbot.keyClick(window, Key.Key_E)
    panel = window.bound_slice
    tabs = window.controls.tabs
    bar = tabs.tabBar()
    before = panel.shown_slice
    qtbot.mouseClick(bar, QtCore.Qt.MouseButton.LeftButton, pos=bar.tabRect(0).center())
    assert tabs.currentIndex() == 0 and not panel.isVisible()
    qtbot.keyClick(window, Key.Key_M)
    qtbot.keyClick(window, Key.Key_E)
    assert panel.shown_slice is before  # nobody could see it: not computed
    index = tabs.indexOf(panel)

    # A narrow tab bar scrolls: press its right arrow until the Bound tab is in view.
    def in_view() -> bool:
        return bar.rect().contains(bar.tabRect(index))

    def arrows() -> list[QtWidgets.QToolButton]:
        return [b for b in bar.findChildren(QtWidgets.QToolButton) if b.isVisible()]

    qtbot.waitUntil(lambda: in_view() or len(arrows()) == 2, timeout=WAIT_TIMEOUT_MS)
    for _ in range(tabs.count()):
        if in_view():
            break
        qtbot.mouseClick(arrows()[-1], QtCore.Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar, QtCore.Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert tabs.currentWidget() is panel
    session = window.controller.session
    expected = bound_slice(session.X, session.params, session.state.resp_params, 0)
    (_, likelihood), (_, bound) = panel.curves()
    np.testing.assert_allclose(likelihood, expected.log_likelihood, rtol=1e-12)
    np.testing.assert_allclose(bound, expected.bound, rtol=1e-12)
