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

from gmmviewer.core.em.estep import weighted_log_prob
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.ui.panels.controls import ControlPanel, ModelSettings
from gmmviewer.ui.views.colours import blend, component_colours
from gmmviewer.ui.views.geometry import contour_levels, data_extent, density_grid, marginal
from gmmviewer.ui.views.histogram_view import HistogramView
from gmmviewer.ui.views.nll_view import NllCurve, NllView
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.views.status_view import StatusView
from gmmviewer.ui.window.step_runner import StepRunner

#: Up to this many samples a drag updates the session live; above it, when released.
LIVE_DRAG_SAMPLES = 50_000

DEFAULT_SPEED = 4.0

#: Marks view state that has not been shown yet (None is a meaningful value).
_UNSET = object()


@dataclass
class Views:
    """The widgets the controller pushes state into.

    ``scatter`` shows two columns at a time; ``histogram`` shows one-column data. Both
    offer the same methods and signals, and :attr:`Controller.plot` is the one in use.
    """

    scatter: ScatterView
    nll: NllView
    controls: ControlPanel
    status: StatusView
    actions: dict[str, QtGui.QAction]
    histogram: HistogramView | None = None


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
    dims_changed()
        Other columns are shown.
    point_clicked(int)
        A data point was clicked in the plot in use (-1: empty space).
    """

    session_replaced = QtCore.Signal()
    running_changed = QtCore.Signal(bool)
    refreshed = QtCore.Signal()
    dims_changed = QtCore.Signal()
    point_clicked = QtCore.Signal(int)

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
        self.dims: tuple[int, ...] = (0, 1)
        self.plot: ScatterView | HistogramView = views.scatter
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
        self._run_timer = QtCore.QTimer(self)
        self._run_timer.setSingleShot(True)
        self._run_timer.timeout.connect(self._run_tick)
        self._connect_views(True)

    # ============================================================ wiring
    def _connect_views(self, connected: bool) -> None:
        """The one place where view signals are wired to the controller."""
        pairs = [
            (self.views.nll.entry_clicked, self.go_to),
            (self.views.controls.model_changed, self.apply_model_settings),
            (self.views.controls.tolerance_changed, self.set_tolerance),
            (self.views.controls.max_iter_changed, self.set_max_iter),
            (self.views.controls.reg_covar_changed, self.set_reg_covar),
            (self.views.controls.speed_changed, self.set_speed),
        ]
        for plot in self._plots():
            pairs += [
                (plot.mean_dragged, self.on_mean_dragged),
                (plot.point_clicked, self._on_point_clicked),
            ]
        for signal, slot in pairs:
            if connected:
                signal.connect(slot)
            else:
                signal.disconnect(slot)

    def _plots(self) -> list[ScatterView | HistogramView]:
        plots: list[ScatterView | HistogramView] = [self.views.scatter]
        if self.views.histogram is not None:
            plots.append(self.views.histogram)
        return plots

    def _on_point_clicked(self, index: int) -> None:
        if self.sender() is self.plot:
            self.point_clicked.emit(index)

    def set_session(self, session: EMSession, dims: tuple[int, ...] | None = None) -> None:
        """Show a new session (a new data set); the previous one is disconnected."""
        self.pause()
        self.runner.cancel()
        if self.session is not None:
            self.session.changed.disconnect(self._on_session_changed)
        self.session = session
        if dims is None or any(d >= session.n_features for d in dims):
            dims = (0,) if session.n_features == 1 else (0, 1)
        self.dims = tuple(dims)
        one_column = len(self.dims) == 1 and self.views.histogram is not None
        self.plot = self.views.histogram if one_column else self.views.scatter
        self._truth_nll = self._compute_truth_nll(session)
        session.changed.connect(self._on_session_changed)
        self.views.controls.set_k_limit(session.n_samples)
        self._show_data()
        self.plot.fit_view()
        self.session_replaced.emit()

    def set_dims(self, dims: tuple[int, ...]) -> None:
        """Show other columns of the data (EM still fits all of them)."""
        session = self.session
        if session is None or tuple(dims) == self.dims:
            return
        if any(not 0 <= d < session.n_features for d in dims) or len(set(dims)) != len(dims):
            return
        self.dims = tuple(dims)
        self._show_data()
        self.plot.fit_view()
        self.dims_changed.emit()

    @property
    def truth_nll(self) -> float | None:
        """NLL of the true parameters of generated data (None otherwise)."""
        return self._truth_nll

    @property
    def idle(self) -> bool:
        """True when nothing runs and no step is being computed."""
        return self._can_step()

    def shutdown(self) -> None:
        """Stop running and wait for a step in flight (before the window closes)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.pause()
        self.runner.cancel()
        self.runner.wait()
        if self.session is not None:
            self.session.changed.disconnect(self._on_session_changed)
        self._connect_views(False)

    # ============================================================ state -> views
    def _on_session_changed(self, action: str) -> None:
        self.refresh()

    def _show_data(self) -> None:
        """Give the plot in use the shown columns, then everything drawn over them."""
        session = self.session
        assert session is not None
        dataset = session.dataset
        columns = list(self.dims)
        self.plot.set_data(session.X[:, columns], tuple(dataset.columns[d] for d in columns))
        self._shown_resp = _UNSET
        self._shown_params = None
        self._contour_params = None
        self._show_data_truth()
        self.refresh()

    def redraw(self) -> None:
        """Draw everything again (after a theme or size change restyled the views)."""
        if self.session is None:
            return
        self._shown_params = None
        self._shown_resp = _UNSET
        self._contour_params = None
        self._show_data_truth()
        self.refresh()

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
            self.plot.show_components(means, covariances, colours, params.weights)
        # The responsibilities are identified by the parameters they came from, so the
        # (N, K) blend is only recomputed when they really change.
        resp_source = session.state.resp_params
        if resp_source is not self._shown_resp:
            self._shown_resp = resp_source
            resp = session.responsibilities
            colours = component_colours(params.n_components)
            self.plot.show_colours(
                None if resp is None else blend(resp, colours, session.n_samples)
            )
        self._refresh_contours()
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
        if not self.show_contours or len(self.dims) != 2:
            # One column shows the mixture density as a curve already.
            if self._contour_params is not None:
                self.plot.show_density(None, None, None)
                self._contour_params = None
            return
        if session.params is self._contour_params and not force:
            return
        self._contour_params = session.params
        (x0, x1), (y0, y1) = data_extent(session.X[:, list(self.dims)])
        xs, ys, log_density = density_grid(session.params, (x0, x1), (y0, y1), dims=self.dims)
        self.plot.show_density(xs, ys, np.exp(log_density), contour_levels(log_density))

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
    def guarded(self, call: Callable[[], object]) -> bool:
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
            self.guarded(self.session.undo)

    def forward(self) -> None:
        """Redo one half-step or edit."""
        if self._can_step() and self.session.can_redo:
            self.guarded(self.session.redo)

    def reset(self) -> None:
        """Back to the latest initialisation."""
        if self._can_step():
            self.guarded(self.session.reset)

    def go_to(self, history_index: int) -> None:
        """Move to a history entry (the timeline)."""
        if self._can_step():
            self.guarded(lambda: self.session.go_to(history_index))

    def reinitialize(self, seed: int | None = None) -> None:
        """Re-initialise with the panel's settings (and a given seed)."""
        if not self._can_step():
            return
        settings = self.views.controls.model_settings()
        self.guarded(
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
        self.guarded(
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
            self.guarded(lambda: setattr(self.session, "tol", tol))

    def set_max_iter(self, max_iter: int) -> None:
        """The iteration limit (no new start needed)."""
        if self.session is not None:
            self.guarded(lambda: setattr(self.session, "max_iter", max_iter))

    def set_reg_covar(self, reg_covar: float) -> None:
        """reg_covar for later M-steps (no new start needed)."""
        if self.session is not None:
            self.guarded(lambda: setattr(self.session, "reg_covar", reg_covar))

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
        mean[list(self.dims)] = (x, y)[: len(self.dims)]
        merge = self._dragging == component
        self._dragging = None if finished else component
        if np.array_equal(mean, session.params.means[component]) and finished and merge:
            return
        self.guarded(lambda: session.move_mean(component, mean, merge=merge))

    def add_component_at(self, x: float, y: float) -> None:
        """Add a component with its mean at a clicked point."""
        session = self.session
        if session is None or not self._can_step():
            return
        mean = session.params.means.mean(axis=0).copy()
        mean[list(self.dims)] = (x, y)[: len(self.dims)]
        self.guarded(lambda: session.add_component(mean))

    def remove_component(self, component: int) -> None:
        """Remove one component."""
        if self.session is not None and self._can_step():
            self.guarded(lambda: self.session.remove_component(component))

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
        if truth is not None and self.show_truth and truth.n_features == session.n_features:
            truth = session.dataset.from_data_units(truth)
            means, covariances = marginal(truth, self.dims)
            self.plot.show_truth(means, covariances, truth.weights)
        else:
            self.plot.show_truth(None, None, None)
