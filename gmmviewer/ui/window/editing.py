"""What the user changes in the fit besides stepping: new starts and edits.

Model settings (K, covariance type, initialisation, seed), the method and its priors, the
arithmetic type and explicit parameters start the fit again; the stopping rule and
reg_covar change in place; mean drags and added or removed components are undoable
edits. The :class:`~gmmviewer.ui.window.controller.Controller` owns one
:class:`SessionEditor` and hands it itself as the :class:`EditorHost`; this module never
imports the controller or the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.variational_state import PriorChoice
from gmmviewer.ui.panels.controls import ModelSettings
from gmmviewer.ui.window.reporter import Reporter
from gmmviewer.ui.window.session_drawing import Views
from gmmviewer.ui.window.step_runner import StepRunner
from gmmviewer.ui.window.view_state import ViewState

#: Up to this many samples a drag updates the session live; above it, when released.
LIVE_DRAG_SAMPLES = 50_000


class EditorHost(Protocol):
    """What the editor needs of its owner (the controller)."""

    session: EMSession | None
    views: Views
    view_state: ViewState
    reporter: Reporter
    runner: StepRunner

    @property
    def idle(self) -> bool: ...

    @property
    def running(self) -> bool: ...

    def pause(self) -> None: ...

    def refresh(self) -> None: ...

    def guarded(self, call: Callable[[], object]) -> bool: ...

    def may_replace_session(self) -> bool: ...

    def show_session(
        self, session: EMSession, view: dict[str, Any] | None = None, path: str = ""
    ) -> None: ...


class SessionEditor:
    """New starts and edits of the host's current session."""

    def __init__(self, host: EditorHost) -> None:
        self._host = host
        self._dragging: int | None = None
        # The state the concentration slider's drag last made, which the next one replaces.
        self._method_drag: SessionState | None = None

    # ---------------------------------------------------------- initialisation
    def reinitialize(self, seed: int | None = None) -> None:
        """Re-initialise with the panel's settings (and a given seed)."""
        host = self._host
        if not host.idle:
            return
        settings = host.views.controls.model_settings()
        host.guarded(
            lambda: host.session.reinitialize(
                settings.init,
                seed=settings.seed if seed is None else seed,
                n_components=settings.n_components,
                covariance_type=settings.covariance_type,
            )
        )

    def reinitialize_with_new_seed(self) -> None:
        """Re-initialise button: a new seed each press shows how much the start matters."""
        if self._host.session is not None:
            self.reinitialize(seed=(self._host.session.seed or 0) + 1)

    def apply_model_settings(self, settings: ModelSettings) -> None:
        """K, covariance type, initialisation or seed changed in the panel: start again."""
        host = self._host
        if host.session is None:
            return
        host.pause()
        if host.runner.busy:
            host.refresh()
            return
        host.guarded(
            lambda: host.session.reinitialize(
                settings.init,
                seed=settings.seed,
                n_components=settings.n_components,
                covariance_type=settings.covariance_type,
            )
        )

    def set_method(self, choice: PriorChoice | None, dragging: bool = False) -> None:
        """EM or variational, or the priors, changed in the panel: start again (undoable).

        The fit restarts from the mixture the current run began with. The entries of one
        slider drag replace each other, so the drag is one undo step.
        """
        host = self._host
        session = host.session
        if session is None:
            return
        host.pause()
        if host.runner.busy:
            host.refresh()
            return
        merge = self._method_drag is not None and session.state is self._method_drag
        if host.guarded(lambda: session.switch_method(choice, replace=merge)):
            self._method_drag = session.state if dragging else None
        else:
            self._method_drag = None

    def set_fast_arithmetic(self, fast: bool) -> None:
        """EM > Fast arithmetic: the current run again, in a new float32 (or float64) session.

        The arithmetic type belongs to a session (its saved numbers were computed in it),
        so switching starts a new session from the current run's start, after asking
        about unsaved work like any other replacement.
        """
        host = self._host
        session = host.session
        dtype = "float32" if fast else "float64"
        if session is None or session.dtype == dtype:
            return
        host.pause()
        if host.runner.busy or not host.may_replace_session():
            host.refresh()  # the check mark shows the session's type again
            return
        start = session.run_start_params()
        settings = session.fit_settings()
        settings["dtype"] = dtype
        try:
            replacement = EMSession(
                session.dataset, params=start, variational=session.prior_choice, **settings
            )
        except GMMViewerError as error:
            host.reporter.error(str(error))
            host.refresh()
            return
        host.show_session(replacement)

    def set_params(self, params: Any, description: str) -> bool:
        """Start again from explicit parameters (model selection, restarts)."""
        host = self._host
        session = host.session
        if session is None or not host.idle:
            return False
        return host.guarded(lambda: session.set_params(params, description))

    def set_tolerance(self, tol: float) -> None:
        """The stopping tolerance (no new start needed)."""
        host = self._host
        if host.session is not None:
            host.guarded(lambda: setattr(host.session, "tol", tol))

    def set_max_iter(self, max_iter: int) -> None:
        """The iteration limit (no new start needed)."""
        host = self._host
        if host.session is not None:
            host.guarded(lambda: setattr(host.session, "max_iter", max_iter))

    def set_reg_covar(self, reg_covar: float) -> None:
        """reg_covar for later M-steps (no new start needed)."""
        host = self._host
        if host.session is not None:
            host.guarded(lambda: setattr(host.session, "reg_covar", reg_covar))

    # ----------------------------------------------------------------- editing
    def on_mean_dragged(self, component: int, x: float, y: float, finished: bool) -> None:
        """A mean handle moved: an undoable edit (one per drag).

        A drag during Run pauses the run first (the step in flight is dropped), so the
        edit is never lost; Run then continues from the edited means.
        """
        host = self._host
        session = host.session
        if session is None:
            return
        if host.running:
            host.pause()
        live = session.n_samples <= LIVE_DRAG_SAMPLES
        if not finished and not live:
            return  # the view moves the ellipse itself; the edit lands on release
        if component >= session.n_components:
            host.refresh()
            return
        dims = list(host.view_state.dims)
        mean = np.array(session.params.means[component], dtype=float)
        mean[dims] = (x, y)[: len(dims)]
        if not np.all(np.isfinite(mean)):
            host.refresh()
            return
        merge = self._dragging == component
        self._dragging = None if finished else component
        if np.array_equal(mean, session.params.means[component]) and finished and merge:
            return
        host.guarded(lambda: session.move_mean(component, mean, merge=merge))

    def add_component_at(self, x: float, y: float) -> None:
        """Add a component with its mean at a clicked point."""
        host = self._host
        session = host.session
        if session is None or not host.idle:
            return
        mean = session.params.means.mean(axis=0).copy()
        mean[list(host.view_state.dims)] = (x, y)[: len(host.view_state.dims)]
        host.guarded(lambda: session.add_component(mean))

    def remove_component(self, component: int) -> None:
        """Remove one component."""
        host = self._host
        if host.session is not None and host.idle:
            host.guarded(lambda: host.session.remove_component(component))
