"""Issue 4's teaching features, driven from the window: timeline, bound, inspector,
ground truth, k-means, restarts, model selection and snapshots."""

from __future__ import annotations

import time

import numpy as np
import pytest
from oracles import sklearn_model
from PySide6 import QtCore, QtGui, QtWidgets
from sklearn.metrics import adjusted_rand_score
from uihelpers import image_colours, mouse_click

from gmmviewer.core.analysis.restarts import best_run
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.estep import weighted_log_prob
from gmmviewer.core.em.kmeans import kmeans
from gmmviewer.ui.export.snapshots import tile_size
from gmmviewer.ui.views.nll_view import ELBO_TOOLTIP

Key = QtCore.Qt.Key


def steps(qtbot, window, n: int) -> None:
    for _ in range(n):
        qtbot.keyClick(window, Key.Key_Space)


def ellipse_centres(window) -> np.ndarray:
    return np.array(
        [
            [np.mean(c[0].getData()[0][:-1]), np.mean(c[0].getData()[1][:-1])]
            for c in window.scatter.ellipses
        ]
    )


# =========================================================================== timeline
def test_clicking_the_nll_curve_moves_the_whole_view(qtbot, window):
    session = window.controller.session
    steps(qtbot, window, 3)
    target = 2  # after the first M-step
    position = window.nll_view.point_position(target)
    mouse_click(window.nll_view.plot_widget, QtCore.QPointF(position))
    assert session.position == target
    np.testing.assert_allclose(ellipse_centres(window), session.history[target].params.means)
    assert "Iteration 1" in window.status_view.text()
    assert window.nll_view.timeline.value() == target
    # Stepping from here discards the later branch, as undo does.
    qtbot.keyClick(window, Key.Key_E)
    assert len(session.history) == target + 2
    assert not session.can_redo


def test_the_timeline_slider_and_home_end(qtbot, window):
    session = window.controller.session
    steps(qtbot, window, 4)
    slider = window.nll_view.timeline
    assert slider.maximum() == 8 and slider.value() == 8
    slider.setValue(3)
    assert session.position == 3
    assert session.next_step == "M"
    np.testing.assert_allclose(ellipse_centres(window), session.history[3].params.means)
    qtbot.keyClick(window, Key.Key_Home)
    assert session.position == 0
    qtbot.keyClick(window, Key.Key_End)
    assert session.position == 8


# ========================================================================= lower bound
def test_lower_bound_view_closes_and_raises(qtbot, window):
    session = window.controller.session
    qtbot.keyClick(window, Key.Key_B)
    view = window.nll_view
    assert view.bound_shown and view.elbo_curve.isVisible() and view.gap_fill.isVisible()
    assert "KL(q || p(z | x, theta))" in ELBO_TOOLTIP and view.gap_fill.toolTip() == ELBO_TOOLTIP
    for _ in range(3):
        qtbot.keyClick(window, Key.Key_E)
        xs, neg_elbo = view.elbo_curve.getData()
        # Right after an E-step the bound equals the log-likelihood: the gap is closed.
        assert neg_elbo[-1] == pytest.approx(session.nll, rel=1e-12)
        assert "gap 0" in view.readout.text()
        qtbot.keyClick(window, Key.Key_M)
        xs, neg_elbo = view.elbo_curve.getData()
        # After the M-step the bound lies above the NLL (-ELBO >= NLL) and both fell.
        assert neg_elbo[-1] >= session.nll - 1e-9
        assert neg_elbo[-1] == pytest.approx(-session.elbo)
        assert neg_elbo[-1] <= neg_elbo[-2] + 1e-9


# ========================================================================= inspector
def test_clicking_a_point_shows_its_responsibilities(qtbot, window):
    session = window.controller.session
    steps(qtbot, window, 2)
    qtbot.keyClick(window, Key.Key_E)
    index = 123
    x, y = session.X[index]
    mouse_click(window.scatter.plot_widget, QtCore.QPointF(window.scatter.data_to_pixel(x, y)))
    assert window.analysis.inspected == index
    assert window.controls.tabs.currentWidget() is window.inspector
    bars = window.inspector.bars.opts["height"]
    np.testing.assert_allclose(bars, session.responsibilities[index], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(window.inspector.responsibilities, bars)
    text = window.inspector.formula.text()
    for value in session.responsibilities[index]:
        assert f"{value:.4f}" in text
    assert f"Point {index + 1}" in window.inspector.title.text()
    assert window.scatter.points._highlight == index
    qtbot.keyClick(window, Key.Key_Escape)
    assert window.analysis.inspected is None
    assert len(window.inspector.bars.opts["height"]) == 0


def test_inspector_before_the_first_e_step_explains_what_it_will_compute(qtbot, window):
    window.analysis.inspect_point(5)
    assert "No E-step yet" in window.inspector.formula.text()
    assert window.inspector.responsibilities.sum() == pytest.approx(1.0)


# ======================================================================== ground truth
def test_ground_truth_after_fitting(qtbot, window):
    session = window.controller.session
    window.controller.set_speed(100)
    qtbot.keyClick(window, Key.Key_R)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=30_000)
    rows = window.compare.truth_rows()
    assert len(rows) == 3
    assert sorted(row[1] for row in rows) == ["1", "2", "3"]  # a one-to-one matching
    assert all(float(row[3]) < 0.5 for row in rows)
    hard = session.hard_assignments()
    ari = adjusted_rand_score(session.dataset.labels, hard)
    assert f"{ari:.3f}" in window.compare.truth_summary.text()
    truth_nll = -weighted_log_prob(session.X, session.dataset.truth)[1]
    assert window.nll_view.curve.reference_nll == pytest.approx(truth_nll)
    assert window.nll_view.reference_line.value() == pytest.approx(truth_nll)
    qtbot.keyClick(window, Key.Key_T)
    assert len(window.scatter.truth_curves) == 6


def test_no_truth_for_real_data(qtbot, window, faithful):
    window.load_dataset(Dataset(faithful, columns=("eruptions", "waiting")), 2)
    assert not window.compare.truth_group.isEnabled()
    assert window.nll_view.curve.reference_nll is None


# ============================================================================ k-means
def test_kmeans_beside_em(qtbot, window):
    session = window.controller.session
    steps(qtbot, window, 3)
    qtbot.keyClick(window, Key.Key_K)
    expected = kmeans(session.X, 3, seed=session.seed)
    x, y = window.scatter.kmeans_centres.getData()
    np.testing.assert_allclose(np.column_stack([x, y]), expected.centres)
    assert window.scatter.kmeans_regions.isVisible()
    assert len(window.scatter.kmeans_edges.getData()[0]) >= 4
    ari = adjusted_rand_score(session.hard_assignments(), expected.labels)
    assert f"{ari:.3f}" in window.compare.kmeans_summary.text()
    qtbot.keyClick(window, Key.Key_K)
    assert not window.scatter.kmeans_regions.isVisible()


def test_kmeans_on_large_data_runs_in_the_background(qtbot, window):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100_000, 2)) + 6 * rng.integers(0, 3, size=(100_000, 1))
    window.load_dataset(Dataset(X, source="big"), 3, "random-from-data", 0, "full")
    qtbot.keyClick(window, Key.Key_K)
    assert window.analysis.kmeans_job.running
    qtbot.waitUntil(lambda: window.scatter.kmeans_regions.isVisible(), timeout=30_000)
    assert len(window.scatter.kmeans_centres.getData()[0]) == 3


# =========================================================================== restarts
def test_restarts_draw_every_run_and_keep_the_best(qtbot, window):
    session = window.controller.session
    window.controller.set_speed(100)
    assert window.run_restarts(5)
    qtbot.waitUntil(lambda: not window.analysis.restart_job.running, timeout=60_000)
    runs = window.analysis.restart_runs
    assert [run.seed for run in runs] == [0, 1, 2, 3, 4]
    assert len(window.nll_view.restart_curves) == 5
    best = best_run(runs)
    assert session.seed == best.seed
    qtbot.waitUntil(lambda: not window.controller.running, timeout=30_000)
    assert session.converged
    # The kept run, replayed in the session, ends where the headless run ended.
    np.testing.assert_allclose(session.params.means, best.result.params.means, rtol=1e-9)
    assert "Kept seed" in window.statusBar().currentMessage()


def test_restarts_can_be_cancelled_and_the_window_stays_responsive(qtbot, window):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200_000, 2)) + 4 * rng.integers(0, 4, size=(200_000, 1))
    window.load_dataset(Dataset(X, source="big"), 4, "random-from-data", 0, "full")
    qtbot.wait(500)  # the first paint of the new data
    window.controller.session.tol = 0.0  # every run takes all max_iter iterations
    ticks: list[float] = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(20)
    assert window.run_restarts(50)
    qtbot.wait(1000)
    # The GUI thread keeps turning while the fits run on the worker thread.
    assert len(ticks) >= 15
    assert np.median(np.diff(ticks)) < 0.06
    cancel = window.progress_dialog.findChild(QtWidgets.QPushButton)
    qtbot.mouseClick(cancel, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.analysis.restart_job.running, timeout=30_000)
    assert len(window.analysis.restart_runs) < 50
    timer.stop()
    window.controller.pause()


# ==================================================================== model selection
def test_model_selection_plots_bic_and_aic_and_uses_a_model(qtbot, window):
    session = window.controller.session
    dialog = window.show_model_selection()
    qtbot.addWidget(dialog)
    dialog.k_max_spin.setValue(4)
    qtbot.mouseClick(dialog.start_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=60_000)
    assert len(dialog.scores) == 16
    assert dialog.progress.value() == 16
    for score in dialog.scores:
        model = sklearn_model(score.params, session.n_features)
        assert score.bic == pytest.approx(model.bic(session.X), rel=1e-10)
        assert score.aic == pytest.approx(model.aic(session.X), rel=1e-10)
    xs, ys = dialog.curves["full", "bic"].getData()
    assert list(xs) == [1, 2, 3, 4]
    best = dialog.best()
    assert best.n_components == 3  # the lecture mixture has three components
    assert dialog.selected_score() is best
    qtbot.mouseClick(dialog.use_button, QtCore.Qt.MouseButton.LeftButton)
    assert session.params is best.params
    assert window.controls.k_spin.value() == best.n_components
    assert "model selection" in session.state.description


def test_model_selection_cancel(qtbot, window):
    dialog = window.show_model_selection()
    qtbot.addWidget(dialog)
    dialog.k_max_spin.setValue(10)
    dialog.start()
    qtbot.waitUntil(lambda: len(dialog.scores) >= 2, timeout=30_000)
    qtbot.mouseClick(dialog.cancel_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=30_000)
    assert len(dialog.scores) < 40
    assert "Stopped" in dialog.status.text()


# ========================================================================== snapshots
def test_snapshot_strip(qtbot, window, tmp_path):
    path = tmp_path / "strip.png"
    assert window.files.export_snapshots(str(path), "0, 1, 2, 5, 20")
    qtbot.waitUntil(path.exists, timeout=30_000)
    image = QtGui.QImage(str(path))
    expected = tile_size(window.scatter.view_range())
    assert image.width() == 5 * 380 and image.height() == expected.height()
    pixels = image_colours(image)
    for tile in range(5):
        block = pixels[:, tile * 380 : (tile + 1) * 380, :3].reshape(-1, 3)
        assert len(np.unique(block, axis=0)) > 50  # points, ellipses and axes drawn


def test_snapshot_iterations_are_validated(qtbot, window, tmp_path):
    assert not window.files.export_snapshots(str(tmp_path / "s.png"), "0, two")
    assert "whole numbers" in window.last_error_box.text()
    assert not window.files.export_snapshots(str(tmp_path / "missing" / "s.png"), "0, 1")
    assert "does not exist" in window.last_error_box.text()
