"""Variational fits in the window: the method choice, the fading components, the weights
view, the ELBO curve and the concentration slider, driven through the real widgets."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore
from sklearn.mixture import BayesianGaussianMixture
from uihelpers import WAIT_TIMEOUT_MS

from gmmviewer.core.em.estep import e_step
from gmmviewer.ui.panels.method_group import concentration_at, position_of
from gmmviewer.ui.views.plot_view import IN_USE_WEIGHT, OFF_ALPHA


def choose(window, label_start: str) -> None:
    combo = window.controls.method.method_combo
    index = next(i for i in range(combo.count()) if combo.itemText(i).startswith(label_start))
    combo.setCurrentIndex(index)


def run_to_the_end(qtbot, window) -> None:
    window.controller.set_speed(100.0)
    window.actions_by_name["run"].trigger()
    qtbot.waitUntil(lambda: window.controller.session.done, timeout=WAIT_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=WAIT_TIMEOUT_MS)


def test_choosing_variational_restarts_from_the_runs_start_and_undo_brings_em_back(window):
    session = window.controller.session
    start = session.params
    choose(window, "Variational (Dirichlet process)")
    assert session.method == "vb"
    assert window.nll_view.objective == "\u2212ELBO"
    assert window.nll_view.axis_label.startswith("\u2212ELBO")
    assert window.weights_view.isVisible()
    np.testing.assert_array_equal(window.weights_view.weights, session.params.weights)
    # The start is scikit-learn's _initialize from the EM start's responsibilities.
    model = BayesianGaussianMixture(n_components=start.n_components)
    model._check_parameters(session.X)
    model._initialize(session.X, e_step(session.X, start).resp.T.copy())
    model._set_parameters(model._get_parameters())
    np.testing.assert_allclose(session.params.means, model.means_, rtol=1e-10)
    window.actions_by_name["back"].trigger()
    assert session.method == "em"
    assert not window.weights_view.isVisible()
    assert window.nll_view.objective == "NLL"
    assert window.controls.method.method_combo.currentData() is None


def test_a_dirichlet_process_switches_components_off_and_the_window_says_so(qtbot, window):
    window.controls.k_spin.setValue(8)
    choose(window, "Variational (Dirichlet process)")
    run_to_the_end(qtbot, window)
    session = window.controller.session
    weights = session.params.weights
    off = np.flatnonzero(weights < IN_USE_WEIGHT)
    assert off.size > 0, "the lecture demo has 3 clusters: some of 8 components switch off"
    texts = [label.text for _, label in window.scatter.legend.items]
    for index in range(8):
        assert ("off" in texts[index]) == (index in off)
    for index in off:
        pen = window.scatter.ellipses[index][0].opts["pen"]
        assert abs(pen.color().alphaF() - OFF_ALPHA) < 0.01
    used = int(np.sum(weights >= IN_USE_WEIGHT))
    assert window.weights_view.summary.textItem.toPlainText() == f"{used} of 8 in use"
    np.testing.assert_array_equal(window.weights_view.weights, weights)
    window.controls.show_tab(window.compare)
    qtbot.waitUntil(lambda: window.compare.isVisible(), timeout=WAIT_TIMEOUT_MS)
    assert f"{used} of 8 components in use" in window.compare.components_summary.text()


def test_one_slider_drag_is_one_undo_step_with_the_last_concentration(qtbot, window):
    session = window.controller.session
    start = session.params
    choose(window, "Variational (Dirichlet process)")
    length = len(session.history)
    slider = window.controls.method.concentration_slider
    slider.setSliderDown(True)
    for concentration in (0.01, 0.1, 10.0, 100.0):
        slider.setValue(position_of(concentration))
    slider.setSliderDown(False)
    assert len(session.history) == length + 1  # the whole drag: one entry
    chosen = session.prior_choice.weight_concentration
    assert chosen == concentration_at(position_of(100.0))
    assert window.controls.method.concentration_label.text() == f"{chosen:.3g}"
    model = BayesianGaussianMixture(
        n_components=start.n_components, weight_concentration_prior=chosen
    )
    model._check_parameters(session.X)
    model._initialize(session.X, e_step(session.X, start).resp.T.copy())
    model._set_parameters(model._get_parameters())
    np.testing.assert_allclose(session.params.weights, model.weights_, rtol=1e-10)
    window.actions_by_name["back"].trigger()
    assert session.method == "vb" and session.prior_choice.weight_concentration is None


def test_a_bad_prior_gets_a_message_and_the_session_stays(window):
    session = window.controller.session
    choose(window, "Variational (Dirichlet distribution)")
    state = session.state
    # Degrees of freedom must exceed D - 1 = 1 for the two-column demo.
    window.controls.method.dof_spin.setValue(0.5)
    assert session.state is state
    box = window.last_error_box
    assert box is not None and "degrees" in box.text().lower()
    assert "\n" not in box.text()
    box.close()


def test_keys_step_a_variational_fit_and_the_elbo_never_falls(qtbot, window):
    choose(window, "Variational (Dirichlet process)")
    session = window.controller.session
    for _ in range(10):
        qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: window.controller.idle, timeout=WAIT_TIMEOUT_MS)
    bounds = [state.elbo for state in session.history if state.elbo is not None]
    assert len(bounds) >= 10
    assert np.all(np.diff(bounds) >= -1e-9 * np.abs(bounds[1:]))
    np.testing.assert_allclose(
        window.nll_view.curve.nll[window.nll_view.curve.current], -session.state.log_likelihood
    )
