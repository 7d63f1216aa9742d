"""The controller: subscribes to the EM session and pushes its state into the views.

User actions arrive here as method calls (from the window's actions and the views'
signals) and become calls on the session; the session's ``changed`` event comes back
and every view is refreshed from the session's state. Views never compute EM and never
talk to the session themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtGui

from gmmviewer.core.comparison import adjusted_rand_index, compare_with_truth, match_components
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.estep import explain_point, weighted_log_prob
from gmmviewer.core.kmeans import KMeansResult, kmeans
from gmmviewer.core.model_selection import ModelScore
from gmmviewer.core.restarts import RestartRun, best_run, run_restarts
from gmmviewer.core.session import EMSession
from gmmviewer.ui.background import BackgroundJob
from gmmviewer.ui.colours import NEUTRAL_GREY, blend, component_colours
from gmmviewer.ui.compare_panel import ComparePanel
from gmmviewer.ui.controls import ControlPanel, ModelSettings
from gmmviewer.ui.geometry import (
    contour_levels,
    density_grid,
    marginal,
    nearest_centre_grid,
    voronoi_edges,
)
from gmmviewer.ui.inspector import PointInspector
from gmmviewer.ui.nll_view import NllCurve, NllView
from gmmviewer.ui.scatter_view import ScatterView
from gmmviewer.ui.status_view import StatusView
from gmmviewer.ui.step_runner import StepRunner

#: Up to this many samples a drag updates the session live; above it, when released.
LIVE_DRAG_SAMPLES = 50_000
#: N x K above which k-means runs on a worker thread.
ASYNC_KMEANS_WORK = 200_000

DEFAULT_SPEED = 4.0

#: Marks view state that has not been shown yet (None is a meaningful value).
_UNSET = object()


@dataclass
class Views:
    """The widgets the controller pushes state into."""

    scatter: ScatterView
    nll: NllView
    controls: ControlPanel
    status: StatusView
    actions: dict[str, QtGui.QAction]
    inspector: PointInspector | None = None
    compare: ComparePanel | None = None


class Controller(QtCore.QObject):
    """Connects one :class:`EMSession` at a time to the views.

    Parameters
    ----------
    views : Views
    report_error : callable
        Shows a one-line message to the user (the window's message box).

    Signals
    -------
    session_replaced()
        A new session (a new data set) is connected.
    running_changed(bool)
    refreshed()
        The views show the session's current state.
    """

    session_replaced = QtCore.Signal()
    running_changed = QtCore.Signal(bool)
    refreshed = QtCore.Signal()
    work_started = QtCore.Signal(str, int)  # what, how many items
    work_progressed = QtCore.Signal(int, str)  # items done, what just finished
    work_finished = QtCore.Signal(str)  # the outcome, one line

    def __init__(
        self,
        views: Views,
        report_error: Callable[[str], None],
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.views = views
        self._report_error = report_error
        self.session: EMSession | None = None
        self.dims: tuple[int, int] = (0, 1)
        self.speed = DEFAULT_SPEED
        self.show_contours = False
        self.show_truth = True
        self._running = False
        self._dragging: int | None = None
        self._shown_resp: object | None = _UNSET
        self._shown_params: object | None = None
        self._contour_params: object | None = None
        self._truth_nll: float | None = None
        self._finish_iteration = False
        self._shut_down = False
        self.runner = StepRunner(self)
        self.runner.finished.connect(self._on_step_finished)
        self.runner.failed.connect(self._on_step_failed)
        self.runner.busy_changed.connect(self._on_busy_changed)
        self.inspected: int | None = None
        self.show_kmeans = False
        self._kmeans: KMeansResult | None = None
        self._kmeans_key: object | None = None
        self._comparison_key: object | None = None
        self.restart_runs: list[RestartRun] = []
        self._restart_total = 0
        self.kmeans_job = BackgroundJob(self)
        self.kmeans_job.progressed.connect(self._on_kmeans_result)
        self.kmeans_job.failed.connect(self._report_error)
        self.restart_job = BackgroundJob(self)
        self.restart_job.progressed.connect(self._on_restart_run)
        self.restart_job.finished.connect(self._on_restarts_finished)
        self.restart_job.failed.connect(self._report_error)
        self._run_timer = QtCore.QTimer(self)
        self._run_timer.setSingleShot(True)
        self._run_timer.timeout.connect(self._run_tick)
        self._connect_views(True)

    # ============================================================ wiring
    def _connect_views(self, connected: bool) -> None:
        """The one place where view signals are wired to the controller."""
        pairs = [
            (self.views.scatter.mean_dragged, self.on_mean_dragged),
            (self.views.scatter.point_clicked, self.inspect_point),
            (self.views.nll.entry_clicked, self.go_to),
            (self.views.controls.model_changed, self.apply_model_settings),
            (self.views.controls.tolerance_changed, self.set_tolerance),
            (self.views.controls.max_iter_changed, self.set_max_iter),
            (self.views.controls.reg_covar_changed, self.set_reg_covar),
            (self.views.controls.speed_changed, self.set_speed),
        ]
        for signal, slot in pairs:
            if connected:
                signal.connect(slot)
            else:
                signal.disconnect(slot)

    def set_session(self, session: EMSession, dims: tuple[int, int] = (0, 1)) -> None:
        """Show a new session (a new data set); the previous one is disconnected."""
        self.pause()
        self.runner.cancel()
        if self.session is not None:
            self.session.changed.disconnect(self._on_session_changed)
        self.session = session
        self.dims = dims
        self._shown_resp = _UNSET
        self._shown_params = None
        self._contour_params = None
        self._truth_nll = self._compute_truth_nll(session)
        self.inspected = None
        self._kmeans, self._kmeans_key, self._comparison_key = None, None, None
        self.restart_runs = []
        self.views.nll.show_restarts([])
        session.changed.connect(self._on_session_changed)
        self.views.controls.set_k_limit(session.n_samples)
        self._show_data()
        self.refresh()
        self.views.scatter.fit_view()
        self.session_replaced.emit()

    def shutdown(self) -> None:
        """Stop running and wait for a step in flight (before the window closes)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.pause()
        self.runner.cancel()
        self.restart_job.cancel()
        self.kmeans_job.cancel()
        self.runner.wait()
        self.restart_job.wait()
        self.kmeans_job.wait()
        if self.session is not None:
            self.session.changed.disconnect(self._on_session_changed)
        self._connect_views(False)

    # ============================================================ state -> views
    def _on_session_changed(self, action: str) -> None:
        self.refresh()

    def _show_data(self) -> None:
        session = self.session
        assert session is not None
        dataset = session.dataset
        x, y = self.dims
        xy = session.X[:, [x, y]]
        self.views.scatter.set_data(xy, dataset.columns[x], dataset.columns[y])
        self._show_data_truth()

    def refresh(self) -> None:
        """Push the session's current state into every view."""
        session = self.session
        if session is None:
            return
        params = session.params
        if params is not self._shown_params:
            self._shown_params = params
            means, covariances = marginal(params, self.dims)
            colours = component_colours(params.n_components)
            self.views.scatter.show_components(means, covariances, colours, params.weights)
        # The responsibilities are identified by the parameters they came from, so the
        # (N, K) blend is only recomputed when they really change.
        resp_source = session.state.resp_params
        if resp_source is not self._shown_resp:
            self._shown_resp = resp_source
            resp = session.responsibilities
            colours = component_colours(params.n_components)
            self.views.scatter.show_colours(
                None if resp is None else blend(resp, colours, session.n_samples)
            )
        self._refresh_contours()
        self._refresh_inspector()
        self._refresh_comparison()
        if self.show_kmeans:
            self._update_kmeans()
        self.views.nll.show_curve(
            NllCurve.from_history(session.history, session.position, self._truth_nll)
        )
        self.views.controls.show_settings(
            ModelSettings(
                n_components=params.n_components,
                covariance_type=params.covariance_type,
                init=session.init,
                seed=session.seed if session.seed is not None else 0,
            ),
            tol=session.tol,
            max_iter=session.max_iter,
            reg_covar=session.reg_covar,
            speed=self.speed,
        )
        self._update_actions()
        self.views.status.show_session(session, self._running, self.runner.busy)
        self.refreshed.emit()

    def _refresh_contours(self, force: bool = False) -> None:
        session = self.session
        if session is None:
            return
        if not self.show_contours:
            if self._contour_params is not None:
                self.views.scatter.show_density(None, None, None)
                self._contour_params = None
            return
        if session.params is self._contour_params and not force:
            return
        self._contour_params = session.params
        (x0, x1), (y0, y1) = self._data_extent()
        xs, ys, log_density = density_grid(session.params, (x0, x1), (y0, y1), dims=self.dims)
        self.views.scatter.show_density(xs, ys, np.exp(log_density), contour_levels(log_density))

    def _refresh_inspector(self) -> None:
        inspector = self.views.inspector
        session = self.session
        if inspector is None or session is None:
            return
        index = self.inspected
        if index is None or not 0 <= index < session.n_samples:
            inspector.clear()
            self.views.scatter.highlight_point(None)
            return
        source = session.state.resp_params
        note = ""
        if source is None:
            source = session.params
            note = "No E-step yet: these are the responsibilities the next E-step will give."
        elif source is not session.params:
            note = (
                "From the parameters of the last E-step; the M-step has moved the components since."
            )
        dataset = session.dataset
        x_display = session.X[index] * dataset.scale + dataset.offset
        terms = explain_point(session.X[index], source)
        colours = component_colours(source.n_components)
        inspector.show_point(index, x_display, dataset.columns, terms, colours, note)
        self.views.scatter.highlight_point(index)

    def _refresh_comparison(self) -> None:
        compare = self.views.compare
        session = self.session
        if compare is None or session is None:
            return
        dataset = session.dataset
        truth = dataset.truth
        if truth is None or truth.n_features != session.n_features:
            compare.show_truth(None, None, None)
            return
        key = (session.params, session.state.resp_params)
        if key == self._comparison_key:
            return
        self._comparison_key = key
        hard = session.hard_assignments()
        comparison = compare_with_truth(
            dataset.to_data_units(session.params), truth, hard, dataset.labels
        )
        compare.show_truth(comparison, session.nll, self._truth_nll)

    def _data_extent(self) -> tuple[tuple[float, float], tuple[float, float]]:
        assert self.session is not None
        xy = self.session.X[:, list(self.dims)]
        low, high = xy.min(axis=0), xy.max(axis=0)
        pad = 0.15 * np.maximum(high - low, 1e-9)
        return (low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1])

    def _update_actions(self) -> None:
        session = self.session
        actions = self.views.actions
        if session is None:
            return
        idle = not self._running and not self.runner.busy
        actions["e_step"].setEnabled(idle and session.next_step == "E")
        actions["m_step"].setEnabled(idle and session.next_step == "M")
        actions["step"].setEnabled(idle)
        actions["run"].setEnabled(self._running or (idle and not session.done))
        actions["run"].setText("Pause" if self._running else "Run")
        actions["run"].setToolTip(
            ("Pause the run" if self._running else "Run EM until it converges")
            + " (R)"
            + ("" if self._running or not session.done else ": converged, nothing left to run")
        )
        actions["back"].setEnabled(idle and session.can_undo)
        actions["forward"].setEnabled(idle and session.can_redo)
        at_start = session.state.action == "initialise"
        actions["reset"].setEnabled(idle and not at_start)
        actions["reinitialize"].setEnabled(idle)

    def _compute_truth_nll(self, session: EMSession) -> float | None:
        truth = session.dataset.truth
        if truth is None:
            return None
        try:
            params = session.dataset.from_data_units(truth)
            if params.n_features != session.n_features:
                return None
            return -weighted_log_prob(session.X, params)[1]
        except GMMViewerError:
            return None

    # ============================================================ actions
    def _guarded(self, call: Callable[[], object]) -> bool:
        """Run a session call; a refused or invalid one becomes a message, not a crash."""
        try:
            call()
        except GMMViewerError as error:
            self._report_error(str(error))
            self.refresh()
            return False
        return True

    def e_step(self) -> None:
        """The E-step button."""
        if self._can_step() and self.session.next_step == "E":
            self.runner.advance(self.session)

    def m_step(self) -> None:
        """The M-step button."""
        if self._can_step() and self.session.next_step == "M":
            self.runner.advance(self.session)

    def step(self) -> None:
        """The Step button: finish the current iteration (E then M, or just M)."""
        if not self._can_step():
            return
        self._finish_iteration = True
        self.runner.advance(self.session)

    def _can_step(self) -> bool:
        return self.session is not None and not self._running and not self.runner.busy

    def _on_step_finished(self, applied: bool) -> None:
        session = self.session
        if session is None:
            return
        if self._finish_iteration:
            # Step = E + M: after the E-step, go on with the M-step.
            if applied and session.next_step == "M" and session.state.action == "e-step":
                self.runner.advance(session)
                return
            self._finish_iteration = False
        if self._running:
            if session.done or not applied:
                self.pause()
                return
            self._run_timer.start(int(1000 / self.speed))
        if not applied:
            self.refresh()
        else:
            # The applied step already refreshed the views through session.changed.
            self._update_actions()
            self.views.status.show_session(session, self._running, self.runner.busy)

    def _on_step_failed(self, message: str) -> None:
        self._finish_iteration = False
        self.pause()
        self._report_error(message)

    def _on_busy_changed(self, busy: bool) -> None:
        self._update_actions()
        if self.session is not None:
            self.views.status.show_session(self.session, self._running, busy)

    # ----------------------------------------------------------- running
    @property
    def running(self) -> bool:
        """True while Run is on."""
        return self._running

    def toggle_run(self) -> None:
        """Run / Pause."""
        if self._running:
            self.pause()
        else:
            self.run()

    def run(self) -> None:
        """Start running half-steps at :attr:`speed` per second until converged."""
        if self.session is None or self._running or self.runner.busy or self.session.done:
            return
        self._running = True
        self.running_changed.emit(True)
        self.refresh()
        self._run_tick()

    def pause(self) -> None:
        """Stop running at once; a half-step in flight is dropped."""
        if not self._running:
            return
        self._running = False
        self._run_timer.stop()
        self.runner.cancel()
        self.running_changed.emit(False)
        self.refresh()

    def _run_tick(self) -> None:
        if not self._running or self.session is None:
            return
        if self.session.done:
            self.pause()
            return
        self.runner.advance(self.session)

    def set_speed(self, steps_per_second: float) -> None:
        """Half-steps per second while running."""
        self.speed = max(0.25, float(steps_per_second))

    # ----------------------------------------------------------- history
    def back(self) -> None:
        """Undo one half-step or edit."""
        if self._can_step() and self.session.can_undo:
            self._guarded(self.session.undo)

    def forward(self) -> None:
        """Redo one half-step or edit."""
        if self._can_step() and self.session.can_redo:
            self._guarded(self.session.redo)

    def reset(self) -> None:
        """Back to the latest initialisation."""
        if self._can_step():
            self._guarded(self.session.reset)

    def go_to(self, history_index: int) -> None:
        """Move to a history entry (the timeline)."""
        if self._can_step():
            self._guarded(lambda: self.session.go_to(history_index))

    def reinitialize(self, seed: int | None = None) -> None:
        """Re-initialise with the panel's settings (and a given seed)."""
        if not self._can_step():
            return
        settings = self.views.controls.model_settings()
        self._guarded(
            lambda: self.session.reinitialize(
                settings.init,
                seed=settings.seed if seed is None else seed,
                n_components=settings.n_components,
                covariance_type=settings.covariance_type,
            )
        )

    # ----------------------------------------------------------- settings
    def apply_model_settings(self, settings: ModelSettings) -> None:
        """K, covariance type, initialisation or seed changed in the panel: start again."""
        if self.session is None:
            return
        self.pause()
        if self.runner.busy:
            self.refresh()
            return
        self._guarded(
            lambda: self.session.reinitialize(
                settings.init,
                seed=settings.seed,
                n_components=settings.n_components,
                covariance_type=settings.covariance_type,
            )
        )

    def set_tolerance(self, tol: float) -> None:
        """The stopping tolerance (no new start needed)."""
        if self.session is not None:
            self._guarded(lambda: setattr(self.session, "tol", tol))

    def set_max_iter(self, max_iter: int) -> None:
        """The iteration limit (no new start needed)."""
        if self.session is not None:
            self._guarded(lambda: setattr(self.session, "max_iter", max_iter))

    def set_reg_covar(self, reg_covar: float) -> None:
        """reg_covar for later M-steps (no new start needed)."""
        if self.session is not None:
            self._guarded(lambda: setattr(self.session, "reg_covar", reg_covar))

    # ----------------------------------------------------------- editing
    def on_mean_dragged(self, component: int, x: float, y: float, finished: bool) -> None:
        """A mean handle moved: an undoable edit (one per drag)."""
        session = self.session
        if session is None or self._running or self.runner.busy:
            self.refresh()  # snap the handle back: the session is busy
            return
        live = session.n_samples <= LIVE_DRAG_SAMPLES
        if not finished and not live:
            return  # the view moves the ellipse itself; the edit lands on release
        mean = np.array(session.params.means[component], dtype=float)
        mean[list(self.dims)] = (x, y)
        merge = self._dragging == component
        self._dragging = None if finished else component
        if np.array_equal(mean, session.params.means[component]) and finished and merge:
            return
        self._guarded(lambda: session.move_mean(component, mean, merge=merge))

    def add_component_at(self, x: float, y: float) -> None:
        """Add a component with its mean at a clicked point."""
        session = self.session
        if session is None or not self._can_step():
            return
        mean = session.params.means.mean(axis=0).copy()
        mean[list(self.dims)] = (x, y)
        self._guarded(lambda: session.add_component(mean))

    def remove_component(self, component: int) -> None:
        """Remove one component."""
        if self.session is not None and self._can_step():
            self._guarded(lambda: self.session.remove_component(component))

    # ----------------------------------------------------------- view options
    def set_contours_visible(self, visible: bool) -> None:
        """Mixture-density contours on or off."""
        self.show_contours = visible
        self._refresh_contours(force=True)

    def set_truth_visible(self, visible: bool) -> None:
        """True ellipses (for generated data) on or off."""
        self.show_truth = visible
        if self.session is not None:
            self._show_data_truth()

    def _show_data_truth(self) -> None:
        session = self.session
        assert session is not None
        truth = session.dataset.truth
        if truth is not None and self.show_truth:
            means, covariances = marginal(session.dataset.from_data_units(truth), self.dims)
            self.views.scatter.show_truth(means, covariances)
        else:
            self.views.scatter.show_truth(None, None)

    # ----------------------------------------------------------- point inspector
    def inspect_point(self, index: int) -> None:
        """Show one data point in the inspector (-1 clears the selection)."""
        self.inspected = None if index < 0 else int(index)
        self._refresh_inspector()

    # ----------------------------------------------------------- k-means
    def set_kmeans_visible(self, visible: bool) -> None:
        """k-means with the same K over the EM result, on or off."""
        self.show_kmeans = visible
        if not visible:
            self.views.scatter.show_kmeans(None)
            if self.views.compare is not None:
                self.views.compare.show_kmeans(
                    "k-means gives every point to its nearest centre (hard, round "
                    "clusters); EM shares each point between components by their densities."
                )
            return
        self._update_kmeans()

    def _update_kmeans(self) -> None:
        session = self.session
        if session is None:
            return
        seed = session.seed if session.seed is not None else 0
        key = (session.dataset, session.n_components, seed)
        if key == self._kmeans_key:
            self._push_kmeans()
            return
        self._kmeans_key = key
        self._kmeans = None
        X, k = session.X, session.n_components
        if session.n_samples * k < ASYNC_KMEANS_WORK:
            self._on_kmeans_result((key, kmeans(X, k, seed=seed)))
            return
        if self.views.compare is not None:
            self.views.compare.show_kmeans(f"Running k-means on {session.n_samples:,} points...")
        self.kmeans_job.cancel()
        self.kmeans_job.wait()

        def work(should_stop):
            yield key, kmeans(X, k, seed=seed)

        self.kmeans_job.start(work)

    def _on_kmeans_result(self, keyed: tuple[object, KMeansResult]) -> None:
        key, result = keyed
        if key != self._kmeans_key:
            return  # a result for data or a K that is no longer shown
        self._kmeans = result
        if self.show_kmeans:
            self._push_kmeans()

    def _push_kmeans(self) -> None:
        session, result = self.session, self._kmeans
        if session is None or result is None or len(result.centres) != session.n_components:
            return
        # Colour each k-means cluster like the EM component it corresponds to.
        matching = match_components(result.centres, session.params.means)
        palette = component_colours(session.n_components)
        colours = np.array(
            [palette[m] if m >= 0 else NEUTRAL_GREY for m in matching], dtype=np.uint8
        )
        (x0, x1), (y0, y1) = self._data_extent()
        # Regions reach well past the data so panning does not show their edge.
        extent = ((2 * x0 - x1, 2 * x1 - x0), (2 * y0 - y1, 2 * y1 - y0))
        centres = result.centres[:, list(self.dims)]
        labels = nearest_centre_grid(centres, extent, resolution=480)
        edges = voronoi_edges(centres, extent)
        self.views.scatter.show_kmeans(centres, labels, extent, colours, edges)
        if self.views.compare is None:
            return
        text = (
            f"k-means with K = {session.n_components} (seed {session.seed}): inertia "
            f"{result.inertia:,.4g} after {result.n_iter} iterations."
        )
        hard = session.hard_assignments()
        if hard is not None:
            agreement = float(np.mean(matching[result.labels] == hard))
            ari = adjusted_rand_index(hard, result.labels)
            text += (
                f"<br>Against EM's hard assignment: adjusted Rand index <b>{ari:.3f}</b>; "
                f"{100 * agreement:.1f}% of points in corresponding clusters."
            )
        if session.n_features > 2:
            text += "<br>Regions are nearest-centre cells in the plane shown."
        self.views.compare.show_kmeans(text)

    # ----------------------------------------------------------- restarts
    @property
    def long_work_running(self) -> bool:
        """True while restarts (or k-means) run in the background."""
        return self.restart_job.running

    def run_restarts(self, n_restarts: int) -> bool:
        """Fit from ``n_restarts`` seeds in the background; keep the best (as ``n_init``)."""
        session = self.session
        if session is None or self.restart_job.running or not self._can_step():
            return False
        first = session.seed if session.seed is not None else 0
        seeds = list(range(first, first + int(n_restarts)))
        X, k = session.X, session.n_components
        settings = session.fit_settings()
        del settings["seed"]  # each restart brings its own
        self.restart_runs = []
        self._restart_total = len(seeds)
        self.views.nll.show_restarts([])

        def work(should_stop):
            return run_restarts(X, k, seeds, should_stop=should_stop, **settings)

        self.restart_job.start(work)
        self.work_started.emit("Restarts", len(seeds))
        return True

    def cancel_long_work(self) -> None:
        """Cancel restarts in progress (runs already done are kept)."""
        self.restart_job.cancel()

    def _on_restart_run(self, run: RestartRun) -> None:
        self.restart_runs.append(run)
        self.views.nll.show_restarts(
            [
                (
                    np.array([record.iteration for record in r.result.history], dtype=float),
                    np.array([-record.log_likelihood for record in r.result.history]),
                )
                for r in self.restart_runs
            ]
        )
        self.work_progressed.emit(
            len(self.restart_runs),
            f"seed {run.seed}: NLL {-run.result.log_likelihood:,.2f} after "
            f"{run.result.n_iter} iterations",
        )

    def _on_restarts_finished(self, completed: bool) -> None:
        best = best_run(self.restart_runs)
        session = self.session
        if best is None or session is None:
            self.work_finished.emit("Restarts cancelled before any run finished.")
            return
        done = len(self.restart_runs)
        outcome = "" if completed else f" (cancelled after {done} of {self._restart_total})"
        self.work_finished.emit(
            f"Kept seed {best.seed}: NLL {-best.result.log_likelihood:,.2f}, the best of "
            f"{done} runs{outcome}."
        )
        # The best run becomes the session's own, replayed half-step by half-step.
        if self._guarded(lambda: session.reinitialize(seed=best.seed)):
            self.run()

    # ----------------------------------------------------------- model selection
    def use_model(self, score: ModelScore) -> None:
        """Start from a model chosen by model selection."""
        if self.session is None or not self._can_step():
            return
        description = (
            f"model selection: K = {score.n_components}, {score.covariance_type} "
            f"(BIC {score.bic:,.1f})"
        )
        self._guarded(lambda: self.session.set_params(score.params, description))
