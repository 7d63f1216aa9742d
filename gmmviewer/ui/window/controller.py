"""The controller: the one owner of the window's behaviour.

It holds the EM session and everything that happens to it: loading a data set or a
saved session, stepping, running, editing, navigating the history, and whether the
session has unsaved changes. User actions arrive as method calls (the window wires its
actions here); the session's ``changed`` event and the :class:`ViewState`'s come back,
and the views are pushed the new state through the one presenter
(:func:`~gmmviewer.ui.views.present.present`). Views never compute EM and never talk to
the session themselves; collaborators (file operations, teaching tools) talk to this
object and to a :class:`~gmmviewer.ui.window.reporter.Reporter`, never to the window.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.em.estep import weighted_log_prob
from gmmviewer.core.em.objective import DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.ui.panels.controls import ControlPanel, ModelSettings
from gmmviewer.ui.views.geometry import (
    contour_levels,
    data_extent,
    density_curve,
    density_grid,
    marginal,
)
from gmmviewer.ui.views.histogram_view import HistogramView
from gmmviewer.ui.views.nll_view import NllCurve, NllView
from gmmviewer.ui.views.plot_view import PlotView
from gmmviewer.ui.views.present import UNCHANGED, point_colours, present
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.views.status_view import StatusView
from gmmviewer.ui.window.reporter import Reporter
from gmmviewer.ui.window.step_runner import StepRunner
from gmmviewer.ui.window.view_state import ViewState

#: Up to this many samples a drag updates the session live; above it, when released.
LIVE_DRAG_SAMPLES = 50_000

#: The built-in demo: the classic lecture mixture, fixed seeds, ready for the first Step.
DEMO_PRESET = "lecture"
DEMO_SAMPLES = 600
DEMO_DATA_SEED = 0
DEMO_INIT = "random-means"
DEMO_INIT_SEED = 0

#: Settings of the first session, before there is one to take them from.
NEW_SESSION: dict[str, Any] = {
    "covariance_type": "full",
    "init": "kmeans",
    "seed": 0,
    "tol": DEFAULT_TOL,
    "max_iter": DEFAULT_MAX_ITER,
    "reg_covar": DEFAULT_REG_COVAR,
}


@dataclass
class Views:
    """The widgets the controller pushes state into.

    ``scatter`` shows two columns at a time; ``histogram`` one-column data. Both
    implement :class:`~gmmviewer.ui.views.plot_view.PlotView`, and
    :attr:`Controller.plot` is the one in use.
    """

    scatter: ScatterView
    histogram: HistogramView
    nll: NllView
    controls: ControlPanel
    status: StatusView
    actions: dict[str, QtGui.QAction]


class Controller(QtCore.QObject):
    """Owns one :class:`EMSession` at a time and everything the user does to it.

    Parameters
    ----------
    views : Views
    view_state : ViewState
        What the window shows; the controller follows its changes.
    reporter : Reporter
        Shows one-line errors and status messages.

    Signals
    -------
    session_replaced()
        A new session (a new data set or an opened file) is shown.
    refreshed()
        The views show the session's current state.
    running_changed(bool)
    modified_changed(bool)
        Whether the session has unsaved changes, after every refresh and save.
    """

    session_replaced = QtCore.Signal()
    refreshed = QtCore.Signal()
    running_changed = QtCore.Signal(bool)
    modified_changed = QtCore.Signal(bool)

    def __init__(
        self,
        views: Views,
        view_state: ViewState,
        reporter: Reporter,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.views = views
        self.view_state = view_state
        self.reporter = reporter
        self.session: EMSession | None = None
        self.plot: PlotView = views.scatter
        self.session_path = ""
        self._running = False
        self._dragging: int | None = None
        self._finish_iteration = False
        self._shut_down = False
        self._truth_nll: float | None = None
        self._saved_state: object | None = None
        self._saved_length = 0
        #: Asked before a modified session is replaced or closed; True lets it go.
        self.confirm_discard: Callable[[], bool] = _allow
        # What the views show, so a refresh redraws only what changed.
        self._shown_params: object | None = None
        self._shown_resp: object | None = UNCHANGED
        self._density_params: object | None = None
        self.runner = StepRunner(self)
        self.runner.finished.connect(self._on_step_finished)
        self.runner.failed.connect(self._on_step_failed)
        self.runner.busy_changed.connect(self._on_busy_changed)
        self._run_timer = QtCore.QTimer(self)
        self._run_timer.setSingleShot(True)
        self._run_timer.timeout.connect(self._run_tick)
        self._set_views_connected(True)

    # ================================================================ wiring
    def _set_views_connected(self, connected: bool) -> None:
        """The one place where view signals are wired to the controller (and unwired)."""
        views = self.views
        pairs: list[tuple[Any, Callable[..., Any]]] = [
            (views.nll.entry_clicked, self.go_to),
            (views.controls.model_changed, self.apply_model_settings),
            (views.controls.tolerance_changed, self.set_tolerance),
            (views.controls.max_iter_changed, self.set_max_iter),
            (views.controls.reg_covar_changed, self.set_reg_covar),
            (views.controls.speed_changed, self.set_speed),
        ]
        for plot in (views.scatter, views.histogram):
            pairs += [
                (plot.mean_dragged, self.on_mean_dragged),
                (plot.point_clicked, self._on_point_clicked),
            ]
        for signal, slot in pairs:
            if connected:
                signal.connect(slot)
            else:
                signal.disconnect(slot)
        if connected:
            self.view_state.changed.connect(self._on_view_state_changed)
        else:
            self.view_state.changed.disconnect(self._on_view_state_changed)

    def _set_session_connected(self, connected: bool) -> None:
        if self.session is None:
            return
        if connected:
            self.session.changed.connect(self._on_session_changed)
        else:
            self.session.changed.disconnect(self._on_session_changed)

    def shutdown(self) -> None:
        """Stop running and wait for a step in flight (before the window closes)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.pause()
        self.runner.cancel()
        self.runner.wait()
        self._set_session_connected(False)
        self._set_views_connected(False)

    # ================================================================ loading
    def show_session(
        self, session: EMSession, view: dict[str, Any] | None = None, path: str = ""
    ) -> None:
        """Show a session (new or opened) with the view settings saved with it."""
        view = view or {}
        self.pause()
        self.runner.cancel()
        self._set_session_connected(False)
        self.session = session
        self.session_path = path
        dims = tuple(int(d) for d in view.get("dims", ()))
        if not dims or any(d >= session.n_features for d in dims) or len(set(dims)) != len(dims):
            dims = (0,) if session.n_features == 1 else (0, 1)
        self.plot = self.views.histogram if len(dims) == 1 else self.views.scatter
        self._truth_nll = self._compute_truth_nll(session)
        self._set_session_connected(True)
        self.views.controls.set_k_limit(session.n_samples)
        with _quietly(self):
            self.view_state.update(dims=dims, inspected=None)
        self._show_data()
        self.plot.fit_view()
        if "theme" in view:
            # After the new data are shown: restyling redraws the session on screen.
            self.view_state.update(theme=str(view["theme"]))
        self.mark_saved()
        self.session_replaced.emit()

    def load_dataset(
        self,
        dataset: Dataset,
        n_components: int | None = None,
        init: str | None = None,
        seed: int | None = None,
        covariance_type: str | None = None,
    ) -> bool:
        """Start a new session on ``dataset``; on failure the current session stays.

        Unset choices keep the current session's (K, covariance type, initialisation,
        seed, stopping rule).
        """
        current = self.session
        settings = current.fit_settings() if current is not None else dict(NEW_SESSION)
        chosen = {"covariance_type": covariance_type, "init": init, "seed": seed}
        settings.update({key: value for key, value in chosen.items() if value is not None})
        k = n_components or (current.n_components if current is not None else 3)
        try:
            session = EMSession(dataset, k, **settings)
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        self.show_session(session)
        return True

    def may_replace_session(self) -> bool:
        """True when the session on screen may go: unmodified, saved or discarded.

        Every path that replaces or closes the session asks this first, so a modified
        session is never dropped silently.
        """
        return not self.modified or self.confirm_discard()

    def load_demo(self) -> bool:
        """The built-in lecture demo: 600 points, K = 3, a fixed reproducible start."""
        if not self.may_replace_session():
            return False
        dataset = make_preset(DEMO_PRESET, n_samples=DEMO_SAMPLES, seed=DEMO_DATA_SEED)
        return self.load_dataset(
            dataset, n_components=3, init=DEMO_INIT, seed=DEMO_INIT_SEED, covariance_type="full"
        )

    # =============================================================== modified
    def mark_saved(self, path: str | None = None) -> None:
        """The session on screen is what was last saved (to ``path``) or opened."""
        if path is not None:
            self.session_path = path
        session = self.session
        self._saved_state = session.state if session is not None else None
        self._saved_length = len(session.history) if session is not None else 0
        self._update_modified()

    @property
    def modified(self) -> bool:
        """True when the session changed since it was opened, created or saved."""
        session = self.session
        if session is None:
            return False
        return session.state is not self._saved_state or len(session.history) != self._saved_length

    def _update_modified(self) -> None:
        # Emitted on every refresh: the title also shows the document's name, which
        # changes with a save even when "modified" does not.
        self.modified_changed.emit(self.modified)

    def document_name(self) -> str:
        """What the title bar calls the session: its file, its data file or the demo."""
        session = self.session
        if session is None:
            return ""
        if self.session_path:
            return os.path.basename(self.session_path)
        source = session.dataset.source or "data"
        if source == f"preset:{DEMO_PRESET}":
            return "lecture demo"
        if source.startswith("preset:"):
            return f"{source.split(':', 1)[1]} preset"
        return os.path.basename(source)

    def view_settings(self) -> dict[str, Any]:
        """What a saved session remembers of the view."""
        return {"dims": list(self.view_state.dims), "theme": self.view_state.theme}

    # ================================================================ reading
    @property
    def dims(self) -> tuple[int, ...]:
        """The data columns shown."""
        return self.view_state.dims

    @property
    def truth_nll(self) -> float | None:
        """NLL of the true parameters of generated data (None otherwise)."""
        return self._truth_nll

    @property
    def idle(self) -> bool:
        """True when nothing runs and no step is being computed."""
        return self._can_step()

    @property
    def running(self) -> bool:
        """True while Run is on."""
        return self._running

    def _can_step(self) -> bool:
        return self.session is not None and not self._running and not self.runner.busy

    # ========================================================== state -> views
    def _on_session_changed(self, action: str) -> None:
        self.refresh()

    def _on_view_state_changed(self, name: str) -> None:
        if self.session is None:
            return
        if name == "dims":
            self._show_data()
            self.plot.fit_view()
        elif name == "contours":
            self._refresh_density(force=True)
        elif name == "truth":
            self._show_truth()
        elif name == "log_nll":
            self.views.nll.set_log_scale(self.view_state.log_nll)
        elif name == "bound":
            self.views.nll.show_bound(self.view_state.bound)
        elif name == "equal_aspect":
            self.views.scatter.set_equal_aspect(self.view_state.equal_aspect)
        elif name == "speed":
            self.refresh()

    def push_view_state(self) -> None:
        """Give the views every setting of the view state (at start-up)."""
        self.views.nll.set_log_scale(self.view_state.log_nll)
        self.views.nll.show_bound(self.view_state.bound)
        self.views.scatter.set_equal_aspect(self.view_state.equal_aspect)
        self.redraw()

    def _show_data(self) -> None:
        """Give the plot for the shown columns the data, then everything drawn over them."""
        session = self.session
        assert session is not None
        dims = self.view_state.dims
        self.plot = self.views.histogram if len(dims) == 1 else self.views.scatter
        columns = list(dims)
        self.plot.set_data(
            session.X[:, columns], tuple(session.dataset.columns[d] for d in columns)
        )
        self.redraw()

    def redraw(self) -> None:
        """Draw everything again (new data, columns, theme or size)."""
        if self.session is None:
            return
        self._shown_params = None
        self._shown_resp = UNCHANGED
        self._density_params = None
        self._show_truth()
        self.refresh()

    def refresh(self) -> None:
        """Push the session's current state into every view."""
        session = self.session
        if session is None:
            return
        params = session.params
        resp_source = session.state.resp_params
        # The responsibilities are identified by the parameters they came from, so the
        # (N, K) blend is only recomputed when they really change.
        colours: Any = UNCHANGED
        if resp_source is not self._shown_resp:
            self._shown_resp = resp_source
            colours = self.runner.colours_for(resp_source)
            if colours is None:
                colours = point_colours(session.responsibilities, session.n_samples)
        present(
            self.plot,
            params if params is not self._shown_params else UNCHANGED,
            self.view_state.dims,
            colours,
        )
        self._shown_params = params
        self._refresh_density()
        self.views.nll.show_curve(self._nll_curve(session))
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
            speed=self.view_state.speed,
        )
        self._update_actions()
        self.views.status.show_session(session, self._running, self.runner.busy)
        self._update_modified()
        self.refreshed.emit()

    def _nll_curve(self, session: EMSession) -> NllCurve:
        start, stop = session.run_bounds()
        trace = session.trace(start, stop)
        converged = np.flatnonzero(trace.converged)
        return NllCurve(
            xs=trace.x,
            nll=trace.nll,
            neg_elbo=trace.neg_elbo,
            history_indices=trace.indices,
            current=session.position - start,
            converged_at=int(converged[0]) if len(converged) else None,
            reference_nll=self._truth_nll,
        )

    def _refresh_density(self, force: bool = False) -> None:
        session = self.session
        if session is None:
            return
        dims = self.view_state.dims
        if not self.view_state.contours:
            if self._density_params is not None or force:
                self.plot.show_density(None, None, None)
                self._density_params = None
            return
        if session.params is self._density_params and not force:
            return
        self._density_params = session.params
        extent = data_extent(session.X[:, list(dims)])
        if len(dims) == 1:
            xs, log_density = density_curve(session.params, extent[0], dim=dims[0])
            self.plot.show_density(xs, None, np.exp(log_density))
            return
        xs, ys, log_density = density_grid(session.params, extent[0], extent[1], dims=dims)
        self.plot.show_density(xs, ys, np.exp(log_density), contour_levels(log_density))

    def _show_truth(self) -> None:
        session = self.session
        assert session is not None
        truth = session.dataset.truth
        if truth is not None and self.view_state.truth and truth.n_features == session.n_features:
            truth = session.dataset.from_data_units(truth)
            means, covariances = marginal(truth, self.view_state.dims)
            self.plot.show_truth(means, covariances, truth.weights)
        else:
            self.plot.show_truth(None, None, None)

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
        start, stop = session.run_bounds()
        actions["first"].setEnabled(idle and session.position != start)
        actions["last"].setEnabled(idle and session.position != stop - 1)
        actions["reset"].setEnabled(idle and session.state.action != "initialise")
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

    # ================================================================ stepping
    def guarded(self, call: Callable[[], object]) -> bool:
        """Run a session call; a refused or invalid one becomes a message, not a crash."""
        try:
            call()
        except GMMViewerError as error:
            self.reporter.error(str(error))
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
            self._run_timer.start(int(1000 / self.view_state.speed))
        if not applied:
            self.refresh()
        else:
            # The applied step already refreshed the views through session.changed.
            self._update_actions()
            self.views.status.show_session(session, self._running, self.runner.busy)

    def _on_step_failed(self, message: str) -> None:
        self._finish_iteration = False
        self.pause()
        self.reporter.error(message)

    def _on_busy_changed(self, busy: bool) -> None:
        self._update_actions()
        if self.session is not None:
            self.views.status.show_session(self.session, self._running, busy)

    # ----------------------------------------------------------------- running
    def toggle_run(self) -> None:
        """Run / Pause."""
        if self._running:
            self.pause()
        else:
            self.run()

    def run(self) -> None:
        """Start running half-steps at the view state's speed until converged."""
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
        self._finish_iteration = False
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
        self.view_state.update(speed=steps_per_second)

    # ----------------------------------------------------------------- history
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

    def go_first(self) -> None:
        """Home: the start of the current run."""
        if self._can_step():
            start, _ = self.session.run_bounds()
            self.go_to(start)

    def go_last(self) -> None:
        """End: the end of the current run (its redo branch included)."""
        if self._can_step():
            _, stop = self.session.run_bounds()
            self.go_to(stop - 1)
            self.views.nll.fit_view()  # after a wheel zoom, End shows the whole run again

    # ---------------------------------------------------------- initialisation
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

    def reinitialize_with_new_seed(self) -> None:
        """Re-initialise button: a new seed each press shows how much the start matters."""
        if self.session is not None:
            self.reinitialize(seed=(self.session.seed or 0) + 1)

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

    def set_params(self, params: Any, description: str) -> bool:
        """Start again from explicit parameters (model selection, restarts)."""
        session = self.session
        if session is None or not self._can_step():
            return False
        return self.guarded(lambda: session.set_params(params, description))

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

    # ----------------------------------------------------------------- editing
    def on_mean_dragged(self, component: int, x: float, y: float, finished: bool) -> None:
        """A mean handle moved: an undoable edit (one per drag).

        A drag during Run pauses the run first (the step in flight is dropped), so the
        edit is never lost; Run then continues from the edited means.
        """
        session = self.session
        if session is None:
            return
        if self._running:
            self.pause()
        live = session.n_samples <= LIVE_DRAG_SAMPLES
        if not finished and not live:
            return  # the view moves the ellipse itself; the edit lands on release
        if component >= session.n_components:
            self.refresh()
            return
        dims = list(self.view_state.dims)
        mean = np.array(session.params.means[component], dtype=float)
        mean[dims] = (x, y)[: len(dims)]
        if not np.all(np.isfinite(mean)):
            self.refresh()
            return
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
        mean[list(self.view_state.dims)] = (x, y)[: len(self.view_state.dims)]
        self.guarded(lambda: session.add_component(mean))

    def remove_component(self, component: int) -> None:
        """Remove one component."""
        if self.session is not None and self._can_step():
            self.guarded(lambda: self.session.remove_component(component))

    def _on_point_clicked(self, index: int) -> None:
        if self.sender() is self.plot:
            self.view_state.update(inspected=index)


class _quietly:
    """Apply view-state changes without the controller redrawing for each one."""

    def __init__(self, controller: Controller) -> None:
        self._controller = controller

    def __enter__(self) -> None:
        self._controller.view_state.changed.disconnect(self._controller._on_view_state_changed)

    def __exit__(self, *_: object) -> None:
        self._controller.view_state.changed.connect(self._controller._on_view_state_changed)


def _allow() -> bool:
    return True
