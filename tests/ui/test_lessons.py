"""Issue 4's teaching features, driven from the window: timeline, bound, inspector,
ground truth, k-means, restarts, model selection and snapshots."""

from __future__ import annotations

import numpy as np
import pytest
from oracles import sklearn_model
from PySide6 import QtCore, QtGui, QtWidgets
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from uihelpers import WAIT_TIMEOUT_MS, image_colours, mouse_click

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.fit import fit
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
    assert window.teaching.inspected == index
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
    assert window.teaching.inspected is None
    assert len(window.inspector.bars.opts["height"]) == 0


def test_inspector_before_the_first_e_step_explains_what_it_will_compute(qtbot, window):
    window.teaching.inspect_point(5)
    assert "No E-step yet" in window.inspector.formula.text()
    assert window.inspector.responsibilities.sum() == pytest.approx(1.0)


# ======================================================================== ground truth
def test_ground_truth_after_fitting(qtbot, window):
    session = window.controller.session
    window.controller.set_speed(100)
    qtbot.keyClick(window, Key.Key_R)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=WAIT_TIMEOUT_MS)
    # The comparison is worked out while the Compare tab is in view.
    window.controls.tabs.setCurrentWidget(window.compare)
    rows = window.compare.truth_rows()
    assert len(rows) == 3
    assert sorted(row[1] for row in rows) == ["1", "2", "3"]  # a one-to-one matching
    assert all(float(row[3]) < 0.5 for row in rows)
    hard = session.hard_assignments()
    ari = adjusted_rand_score(session.dataset.labels, hard)
    assert f"{ari:.3f}" in window.compare.truth_summary.text()
    truth = session.dataset.truth
    assert truth.covariance_type == "full" and not session.dataset.normalized
    truth_nll = -logsumexp(
        [
            np.log(w) + multivariate_normal(mean, covariance).logpdf(session.X)
            for w, mean, covariance in zip(
                truth.weights, truth.means, truth.covariances, strict=True
            )
        ],
        axis=0,
    ).sum()
    assert window.nll_view.curve.reference_nll == pytest.approx(truth_nll)
    assert window.nll_view.reference_line.value() == pytest.approx(truth_nll)
    qtbot.keyClick(window, Key.Key_T)
    assert len(window.scatter.truth_curves) == 6


def test_no_truth_for_real_data(qtbot, window, faithful):
    window.controller.load_dataset(Dataset(faithful, columns=("eruptions", "waiting")), 2)
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
    window.controller.load_dataset(Dataset(X, source="big"), 3, "random-from-data", 0, "full")
    qtbot.keyClick(window, Key.Key_K)
    assert window.teaching.kmeans_job.running
    qtbot.waitUntil(lambda: window.scatter.kmeans_regions.isVisible(), timeout=WAIT_TIMEOUT_MS)
    assert len(window.scatter.kmeans_centres.getData()[0]) == 3


# =========================================================================== restarts
def test_restarts_draw_every_run_and_keep_the_best(qtbot, window):
    session = window.controller.session
    settings = session.fit_settings()
    del settings["seed"]  # each restart brings its own
    window.controller.set_speed(100)
    progress: list[tuple[int, str]] = []
    window.teaching.work_progressed.connect(lambda done, text: progress.append((done, text)))
    with qtbot.waitSignal(window.teaching.work_finished, timeout=WAIT_TIMEOUT_MS) as finished:
        assert window.teaching.run_restarts(5)
    # The outcome is read when it is announced (a status message expires).
    outcome = finished.args[0]
    assert window.status_view.note == outcome
    runs = window.teaching.restart_runs
    assert [run.seed for run in runs] == [0, 1, 2, 3, 4]
    assert [done for done, _ in progress] == [1, 2, 3, 4, 5]
    assert len(window.nll_view.restart_curves) == 5
    # Every run is the headless fit from its seed; the one kept is n_init's choice (the
    # largest final lower bound, the earliest on a tie).
    headless = [fit(session.X, session.n_components, seed=seed, **settings) for seed in range(5)]
    for seed, (run, expected, (_, text)) in enumerate(zip(runs, headless, progress, strict=True)):
        assert run.result.log_likelihood == pytest.approx(expected.log_likelihood, rel=1e-12)
        assert f"seed {seed}:" in text
    best = max(range(5), key=lambda seed: headless[seed].lower_bound)
    assert f"Kept seed {best}" in outcome
    # The kept run is replayed in the session and ends where the headless run ended.
    qtbot.waitUntil(lambda: not window.controller.running, timeout=WAIT_TIMEOUT_MS)
    assert session.seed == best
    assert session.converged
    np.testing.assert_allclose(session.params.means, headless[best].params.means, rtol=1e-9)


def test_restarts_can_be_cancelled_and_the_window_stays_responsive(qtbot, window):
    teaching = window.teaching
    window.controller.session.tol = 0.0  # every run takes all max_iter iterations
    ticks_while_fitting: list[int] = []
    kept_at_cancel: list[int] = []

    # A 20 ms timer on the GUI thread: it fires while the fits run on the worker thread,
    # and once a run has arrived it presses the progress dialog's Cancel.
    def tick() -> None:
        if not teaching.restart_job.running or kept_at_cancel:
            return
        ticks_while_fitting.append(len(teaching.restart_runs))
        if len(ticks_while_fitting) >= 3 and teaching.restart_runs:
            kept_at_cancel.append(len(teaching.restart_runs))
            dialog = window.findChild(QtWidgets.QProgressDialog, "progress_dialog")
            cancel = dialog.findChild(QtWidgets.QPushButton)
            qtbot.mouseClick(cancel, QtCore.Qt.MouseButton.LeftButton)

    timer = QtCore.QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    try:
        with qtbot.waitSignal(teaching.work_finished, timeout=WAIT_TIMEOUT_MS) as finished:
            assert teaching.run_restarts(50)
        (kept,) = kept_at_cancel
        assert 1 <= kept < 50
        # The runs that arrived before Cancel are kept; any computed after it are dropped.
        assert len(teaching.restart_runs) == kept
        assert len(window.nll_view.restart_curves) == kept
        assert f"cancelled after {kept} of 50" in finished.args[0]
        assert not teaching.restart_job.running
    finally:
        timer.stop()
        window.controller.pause()


# ==================================================================== model selection
def test_model_selection_plots_bic_and_aic_and_uses_a_model(qtbot, window):
    session = window.controller.session
    dialog = window.teaching.show_model_selection()
    qtbot.addWidget(dialog)
    dialog.k_max_spin.setValue(4)
    qtbot.mouseClick(dialog.start_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=WAIT_TIMEOUT_MS)
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
    dialog = window.teaching.show_model_selection()
    qtbot.addWidget(dialog)
    dialog.k_max_spin.setValue(10)
    dialog.start()
    qtbot.waitUntil(lambda: len(dialog.scores) >= 2, timeout=WAIT_TIMEOUT_MS)
    qtbot.mouseClick(dialog.cancel_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.job.running, timeout=WAIT_TIMEOUT_MS)
    assert len(dialog.scores) < 40
    assert "Stopped" in dialog.status.text()


# ========================================================================== snapshots
def test_snapshot_strip(qtbot, window, tmp_path):
    """Tiles of different parameters differ; a tile asked for after EM converged shows the
    converged parameters, so it matches the tile of the converged iteration (titles aside).
    scikit-learn, from the same start, says when EM converges."""
    session = window.controller.session
    start = session.history[0].params
    model = GaussianMixture(
        start.n_components,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=np.linalg.inv(start.covariances),
        tol=session.tol,
        reg_covar=session.reg_covar,
    ).fit(session.X)
    assert model.converged_ and model.n_iter_ > 3
    last = model.n_iter_
    path = tmp_path / "strip.png"
    assert window.files.export_snapshots(str(path), f"0, 1, 2, {last}, {last + 5}")
    qtbot.waitUntil(path.exists, timeout=WAIT_TIMEOUT_MS)
    image = QtGui.QImage(str(path))
    expected = tile_size(window.scatter.view_range())
    assert image.width() == 5 * 380 and image.height() == expected.height()
    pixels = image_colours(image)[:, :, :3]
    tiles = [pixels[:, tile * 380 : (tile + 1) * 380] for tile in range(5)]
    for tile in tiles:
        assert len(np.unique(tile.reshape(-1, 3), axis=0)) > 50  # points, ellipses and axes
    # Only the titles of the last two tiles differ ("... (converged at N)"): a thin band on top.
    differ = np.flatnonzero(np.any(tiles[3] != tiles[4], axis=2).any(axis=1))
    assert 0 < len(differ) and differ.max() < 0.15 * image.height()
    plot = slice(differ.max() + 1, None)
    np.testing.assert_array_equal(tiles[3][plot], tiles[4][plot])
    area = tiles[0][plot].shape[0] * 380
    for a in range(4):
        for b in range(a + 1, 4):
            changed = np.any(tiles[a][plot] != tiles[b][plot], axis=2).sum()
            assert changed > 0.01 * area, (a, b)  # other parameters: other ellipses and colours


def test_snapshot_iterations_are_validated(qtbot, window, tmp_path):
    assert not window.files.export_snapshots(str(tmp_path / "s.png"), "0, two")
    assert "whole numbers" in window.last_error_box.text()
    assert not window.files.export_snapshots(str(tmp_path / "missing" / "s.png"), "0, 1")
    assert "does not exist" in window.last_error_box.text()
