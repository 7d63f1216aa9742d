"""The controller: the one owner of the window's behaviour.

It holds the EM session and everything that happens to it: loading a data set or a
saved session, stepping, running, editing, navigating the history, and whether the
session has unsaved changes; new starts and edits go through the
:class:`~gmmviewer.ui.window.editing.SessionEditor` it owns. User actions arrive as
method calls (the window wires its actions here); the session's ``changed`` event and
the :class:`ViewState`'s come back, and the views are pushed the new state through the
one presenter (:func:`~gmmviewer.ui.views.present.present`). Views never compute EM and
never talk to the session themselves; collaborators (file operations, teaching tools)
talk to this object and to a :class:`~gmmviewer.ui.window.reporter.Reporter`, never to
the window.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

from gmmviewer.core.data import lecture_demo as demo
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.objective import DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.ui.teaching.data_painting import DataPainter
from gmmviewer.ui.views.plot_view import PlotView
from gmmviewer.ui.window.editing import SessionEditor
from gmmviewer.ui.window.reporter import Reporter
from gmmviewer.ui.window.session_drawing import SessionDrawer, Views
from gmmviewer.ui.window.step_runner import StepRunner
from gmmviewer.ui.window.view_state import ViewState

#: Settings of the first session, before there is one to take them from.
NEW_SESSION: dict[str, Any] = {
    "covariance_type": "full",
    "init": "kmeans",
    "seed": 0,
    "tol": DEFAULT_TOL,
    "max_iter": DEFAULT_MAX_ITER,
    "reg_covar": DEFAULT_REG_COVAR,
}


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
        self.drawer = SessionDrawer(views, view_state)
        self.session_path = ""
        self._running = False
        self._finish_iteration = False
        self._shut_down = False
        self._saved_state: object | None = None
        self._saved_length = 0
        #: Asked before a modified session is replaced or closed; True lets it go.
        self.confirm_discard: Callable[[], bool] = _allow
        self.runner = StepRunner(self)
        self.runner.finished.connect(self._on_step_finished)
        self.runner.failed.connect(self._on_step_failed)
        self.runner.busy_changed.connect(self._on_busy_changed)
        self._run_timer = QtCore.QTimer(self)
        self._run_timer.setSingleShot(True)
        self._run_timer.timeout.connect(self._run_tick)
        # Since the current half-step of a run began: its time counts towards the wait.
        self._tick_clock = QtCore.QElapsedTimer()
        #: New starts (model settings, method, arithmetic) and edits (means, components).
        self.editor = SessionEditor(self)
        #: Data-edit mode: painted, moved and deleted points.
        self.painter = DataPainter(self, self)
        self._set_views_connected(True)
        # The scatter now, the histogram when it is made.
        views.for_each_plot(self._connect_plot)

    # ================================================================ wiring
    def _set_views_connected(self, connected: bool) -> None:
        """The one place where view signals are wired to the controller (and unwired).

        A plot's own signals are wired by :meth:`_connect_plot` as the plot is made.
        """
        views, editor = self.views, self.editor
        pairs: list[tuple[Any, Callable[..., Any]]] = [
            (views.nll.entry_clicked, self.go_to),
            (views.controls.model_changed, editor.apply_model_settings),
            (views.controls.tolerance_changed, editor.set_tolerance),
            (views.controls.max_iter_changed, editor.set_max_iter),
            (views.controls.reg_covar_changed, editor.set_reg_covar),
            (views.controls.speed_changed, self.set_speed),
            (views.controls.method.method_changed, editor.set_method),
        ]
        if not connected:  # each plot's own were connected as it was made
            for plot in views.plots():
                pairs += self._plot_pairs(plot)
        for signal, slot in pairs:
            if connected:
                signal.connect(slot)
            else:
                signal.disconnect(slot)
        if connected:
            self.view_state.changed.connect(self._on_view_state_changed)
        else:
            self.view_state.changed.disconnect(self._on_view_state_changed)

    def _plot_pairs(self, plot: PlotView) -> list[tuple[Any, Callable[..., Any]]]:
        """A plot's signals and the slots they reach."""
        editor, painter = self.editor, self.painter
        return [
            (plot.mean_dragged, editor.on_mean_dragged),
            (plot.point_clicked, self._on_point_clicked),
            (plot.paint_surface.points_painted, painter.add_points),
            (plot.paint_surface.point_moved, painter.move_point),
            (plot.paint_surface.point_deleted, painter.delete_point),
        ]

    def _connect_plot(self, plot: PlotView) -> None:
        """Wire a plot as it is made (none after shutdown, which unwires them all)."""
        if not self._shut_down:
            for signal, slot in self._plot_pairs(plot):
                signal.connect(slot)

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
        self.drawer.new_session(session)
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
        *,
        start: GMMParams | None = None,
        description: str = "",
    ) -> bool:
        """Start a new session on ``dataset``; on failure the current session stays.

        Unset choices keep the current session's (K, covariance type, initialisation,
        seed, stopping rule). ``start`` gives the first parameters outright (the session
        keeps ``init`` and ``seed`` for a reset), named ``description`` in the history.
        """
        current = self.session
        settings = current.fit_settings() if current is not None else dict(NEW_SESSION)
        chosen = {"covariance_type": covariance_type, "init": init, "seed": seed}
        settings.update({key: value for key, value in chosen.items() if value is not None})
        k = n_components or (current.n_components if current is not None else 3)
        try:
            session = EMSession(dataset, k, params=start, description=description, **settings)
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
        # Stored rather than drawn: numpy.random would hold up the first paint.
        dataset, start = demo.lecture_demo()
        return self.load_dataset(
            dataset,
            n_components=demo.N_COMPONENTS,
            init=demo.INIT,
            seed=demo.INIT_SEED,
            covariance_type="full",
            start=start,
            description=demo.START_DESCRIPTION,
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
        if source == f"preset:{demo.PRESET}":
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
        return self.drawer.truth_nll

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

    def _can_fit(self) -> bool:
        """Idle, and the components are placed on enough points to take a half-step."""
        return self._can_step() and self.session.can_step

    # ========================================================== state -> views
    @property
    def plot(self) -> PlotView:
        """The plot in use: the scatter, or the histogram for one column."""
        return self.drawer.plot

    def _on_session_changed(self, action: str) -> None:
        self.refresh()

    def _on_view_state_changed(self, name: str) -> None:
        if self.session is None:
            return
        if name == "dims":
            self._show_data()
            self.plot.fit_view()
        elif name == "speed":
            self.refresh()
        else:
            self.drawer.apply_view_setting(name, self.session)

    def push_view_state(self) -> None:
        """Give the views every setting of the view state (at start-up)."""
        self.views.nll.set_log_scale(self.view_state.log_nll)
        self.views.nll.show_bound(self.view_state.bound)
        self.views.scatter.set_equal_aspect(self.view_state.equal_aspect)
        self.redraw()

    def _show_data(self) -> None:
        assert self.session is not None
        self.drawer.show_data(self.session)
        self.redraw()

    def redraw(self) -> None:
        """Draw everything again (new data, columns, theme or size)."""
        if self.session is None:
            return
        self.drawer.forget_shown()
        self.drawer.show_truth(self.session)
        self.refresh()

    def refresh(self) -> None:
        """Push the session's current state into every view."""
        session = self.session
        if session is None:
            return
        if session.dataset is not self.drawer.shown_dataset:
            self._follow_edited_data()
        self.drawer.draw(session, self.runner.colours_for, self._running, self.runner.busy)
        self._update_modified()
        self.refreshed.emit()

    def _follow_edited_data(self) -> None:
        """The data changed (an edit, or undo and redo across one): show the new points
        where the view is, and forget the inspected point (rows may have moved)."""
        with _quietly(self):
            self.view_state.update(inspected=None)
        self.drawer.show_data(self.session, fit=False)
        self.drawer.forget_shown()
        self.drawer.show_truth(self.session)

    def _show_activity(self) -> None:
        if self.session is not None:
            self.drawer.show_activity(self.session, self._running, self.runner.busy)

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
        if self._can_fit() and self.session.next_step == "E":
            self.runner.advance(self.session)

    def m_step(self) -> None:
        """The M-step button."""
        if self._can_fit() and self.session.next_step == "M":
            self.runner.advance(self.session)

    def step(self) -> None:
        """The Step button: finish the current iteration (E then M, or just M)."""
        if not self._can_fit():
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
            # The speed is a rate: the time this half-step took (computing, drawing) is
            # part of its period, not added to it.
            period = 1000 / self.view_state.speed
            self._run_timer.start(max(0, int(period - self._tick_clock.elapsed())))
        if not applied:
            self.refresh()
        else:
            # The applied step already refreshed the views through session.changed.
            self._show_activity()

    def _on_step_failed(self, message: str) -> None:
        self._finish_iteration = False
        self.pause()
        self.reporter.error(message)

    def _on_busy_changed(self, busy: bool) -> None:
        self._show_activity()

    # ----------------------------------------------------------------- running
    def toggle_run(self) -> None:
        """Run / Pause."""
        if self._running:
            self.pause()
        else:
            self.run()

    def run(self) -> None:
        """Start running half-steps at the view state's speed until converged."""
        if not self._can_fit() or self.session.done:
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
        self._tick_clock.start()
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

    # ------------------------------------------------- new starts and edits
    def reinitialize(self, seed: int | None = None) -> None:
        """Re-initialise with the panel's settings (and a given seed)."""
        self.editor.reinitialize(seed)

    def reinitialize_with_new_seed(self) -> None:
        """Re-initialise button: a new seed each press."""
        self.editor.reinitialize_with_new_seed()

    def set_fast_arithmetic(self, fast: bool) -> None:
        """EM > Fast arithmetic: the current run again, in a new session."""
        self.editor.set_fast_arithmetic(fast)

    def set_params(self, params: Any, description: str) -> bool:
        """Start again from explicit parameters (model selection, restarts)."""
        return self.editor.set_params(params, description)

    def add_component_at(self, x: float, y: float) -> None:
        """Add a component with its mean at a clicked point."""
        self.editor.add_component_at(x, y)

    def remove_component(self, component: int) -> None:
        """Remove one component."""
        self.editor.remove_component(component)

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
