"""Predict mode: students guess the next half-step, Reveal performs it and scores the guess.

Before an M-step, ghost means (:mod:`gmmviewer.ui.overlays.ghosts`) start on the current
means; students drag them (and may widen their ellipses) to where they expect the
M-step to put the components. Before an E-step they click a point and guess its
responsibilities on the Predict tab's sliders. Reveal performs the half-step through the
controller (the normal, undoable step), scores the guess
(:mod:`gmmviewer.core.analysis.prediction`) and adds it to the session's log of
predictions. Any other step, edit or jump discards an unrevealed guess and clears what
was revealed from the plot; an edit of the data (or undo or redo across one) says so,
since the guess was about other data. In data-edit mode a click adds a point, so the
E-step's point is picked outside it (the tab says so).

:class:`PredictMode` listens to the controller (``refreshed``, ``session_replaced``,
``running_changed``), the view state (the clicked point, the columns, theme and size)
and its two actions; its collaborators are the controller, the Predict tab, the scatter
view's ghost layer and the tab bar, never the window.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui

from gmmviewer.core.analysis.prediction import (
    MeanPrediction,
    ResponsibilityPrediction,
    data_spread,
)
from gmmviewer.core.analysis.prediction_log import mean_record, responsibility_record
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.session.history import SessionState
from gmmviewer.ui.overlays.ghosts import GhostLayer
from gmmviewer.ui.panels.controls import ControlPanel
from gmmviewer.ui.panels.predict_panel import PredictPanel
from gmmviewer.ui.views.colours import component_colours
from gmmviewer.ui.views.geometry import marginal
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.views.theme import Theme
from gmmviewer.ui.window.controller import Controller

OFF_TEXT = (
    "Turn on <b>Predict the next step</b> (P): before each half-step, guess what it will "
    "do, then press <b>Reveal</b> (V) to perform it and see how close you came."
)
M_TEXT = (
    "<b>Next: the M-step.</b> Drag the dashed ghost means to where you expect the M-step "
    "to move each component; turn the mouse wheel over a ghost to widen or narrow its "
    "ellipse. Then press <b>Reveal</b> (V)."
)
E_TEXT = (
    "<b>Next: the E-step.</b> Click a data point, then guess its responsibilities after "
    "the E-step with the sliders. Then press <b>Reveal</b> (V)."
)
ONE_COLUMN_TEXT = (
    "<b>Next: the M-step.</b> Show two columns to predict where the means go; Reveal "
    "performs the step without a guess."
)
RUNNING_TEXT = "Pause the run to predict the next half-step."
#: Added to the E-step text in data-edit mode, where a click adds a point instead.
EDITING_TEXT = (
    "<br><i>In data-edit mode a click adds a point: press D to leave it, then click the "
    "point to guess.</i>"
)
#: Put before the new exercise when an edit of the data discarded a guess.
DISCARDED_TEXT = (
    "<b>The data changed, so your guess was discarded</b> (it was about the old data). "
)
DISCARDED_NOTE = "Predict: the data changed, so your guess was discarded; guess again"
#: How long the status bar says so, in milliseconds.
NOTE_MSECS = 8000


class PredictMode(QtCore.QObject):
    """The "Predict the next step" exercise for the controller's session.

    Parameters
    ----------
    controller : Controller
    panel : PredictPanel
        The Predict tab.
    scatter : ScatterView
        Where the ghosts are drawn.
    controls : ControlPanel
        Brings the Predict tab to the front.
    actions : dict of QAction
        ``predict`` (checkable) and ``reveal`` are connected here.
    """

    def __init__(
        self,
        controller: Controller,
        panel: PredictPanel,
        scatter: ScatterView,
        controls: ControlPanel,
        actions: dict[str, QtGui.QAction],
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.view_state = controller.view_state
        self.panel = panel
        self.controls = controls
        self.ghosts = GhostLayer(scatter, self)
        self.predict_action = actions["predict"]
        self.reveal_action = actions["reveal"]
        self.edit_action = actions["edit_data"]
        #: The user moved or resized a ghost, or picked a point, since the exercise began.
        self._guessed = False
        # The status note to post after an edit's own, and the note before that edit.
        self._notice = ""
        self._note_before = ""
        #: The state the exercise on screen belongs to; another one starts a new exercise.
        self._state: SessionState | None = None
        #: A revealed guess waiting for its half-step: (prediction, the state it was made at).
        self._pending: tuple[MeanPrediction | ResponsibilityPrediction, SessionState] | None
        self._pending = None
        self._guess_point: int | None = None
        self.predict_action.toggled.connect(self.set_active)
        self.reveal_action.triggered.connect(self.reveal)
        self.edit_action.toggled.connect(self._on_editing_toggled)
        self.ghosts.changed.connect(self._on_ghost_changed)
        controller.refreshed.connect(self._on_refreshed)
        controller.session_replaced.connect(self._on_session_replaced)
        controller.running_changed.connect(self._on_running_changed)
        controller.runner.busy_changed.connect(self._on_busy_changed)
        # Connected after the window's own handler (the window is built first), so a
        # clicked point brings this tab, not the inspector's, to the front.
        self.view_state.changed.connect(self._on_view_state_changed)
        self._apply_style()
        self._start_exercise()

    @property
    def active(self) -> bool:
        """True while Predict mode is on."""
        return self.predict_action.isChecked()

    # ================================================================ exercise
    def set_active(self, active: bool) -> None:
        """Turn Predict mode on or off (the checkable action calls this)."""
        if self.predict_action.isChecked() != active:
            with QtCore.QSignalBlocker(self.predict_action):
                self.predict_action.setChecked(active)
        self._pending = None
        if active:
            self.controls.show_tab(self.panel)
        self._start_exercise()

    def _start_exercise(self) -> None:
        """A fresh exercise for the current state: ghosts before an M-step, a guess before
        an E-step."""
        session = self.controller.session
        self.ghosts.clear()
        self._state = None if session is None else session.state
        self._guess_point = None
        self._guessed = False
        self.panel.show_guess(None, np.zeros((0, 3)))
        if session is None or not self.active:
            self.panel.show_instructions(OFF_TEXT)
        elif self.controller.running:
            self.panel.show_instructions(RUNNING_TEXT)
        elif session.next_step == "M":
            dims = self.view_state.dims
            if len(dims) == 2:
                means, covariances = marginal(session.params, tuple(dims))
                self.ghosts.show_ghosts(means, covariances, component_colours(session.n_components))
                self.panel.show_instructions(M_TEXT)
            else:
                self.panel.show_instructions(ONE_COLUMN_TEXT)
        else:
            self.panel.show_instructions(self._e_text())
            self._show_guess()
        self._update_reveal()

    def _e_text(self) -> str:
        """What to do before an E-step (a click adds a point in data-edit mode)."""
        return E_TEXT + (EDITING_TEXT if self.edit_action.isChecked() else "")

    def _show_guess(self) -> None:
        """Sliders for the clicked point, before an E-step."""
        session = self.controller.session
        point = self.view_state.inspected
        if session is None or point is None or not 0 <= point < session.n_samples:
            self._guess_point = None
            self.panel.show_guess(None, np.zeros((0, 3)))
            return
        self._guess_point = point
        self.panel.show_guess(
            f"Point {point + 1}: how much will each component take of it?",
            component_colours(session.n_components),
        )

    def _ready(self) -> bool:
        session = self.controller.session
        if not self.active or session is None or not self.controller.idle:
            return False
        if session.state is not self._state or self._pending is not None:
            return False
        if session.next_step == "M":
            return self.ghosts.movable or len(self.view_state.dims) != 2
        return self._guess_point is not None

    def _update_reveal(self) -> None:
        self.reveal_action.setEnabled(self._ready())

    # ================================================================== reveal
    def reveal(self) -> None:
        """Perform the predicted half-step; the guess is scored when it has been applied."""
        if not self._ready():
            return
        session = self.controller.session
        prediction: MeanPrediction | ResponsibilityPrediction | None = None
        try:
            if session.next_step == "M":
                prediction = self._mean_prediction()
            else:
                prediction = ResponsibilityPrediction(
                    self._guess_point, self.panel.guess(), session.position
                )
        except GMMViewerError as error:
            self.controller.reporter.error(str(error))
            return
        if prediction is not None:
            self._pending = (prediction, session.state)
        self._update_reveal()
        if session.next_step == "M":
            self.controller.m_step()
        else:
            self.controller.e_step()

    def _mean_prediction(self) -> MeanPrediction | None:
        """The ghosts as a prediction over the shown columns (None without ghosts)."""
        session = self.controller.session
        if not self.ghosts.shown:
            return None
        dims = tuple(self.view_state.dims)
        means = np.array(session.params.means)
        means[:, list(dims)] = self.ghosts.ghost_means()
        resized = not np.allclose(self.ghosts.size_factors(), 1.0)
        return MeanPrediction(
            means,
            session.position,
            dims=dims,
            covariances=self.ghosts.ghost_covariances() if resized else None,
        )

    def _score(
        self, prediction: MeanPrediction | ResponsibilityPrediction, origin: SessionState
    ) -> None:
        """Score a revealed guess against the state its half-step produced, and log it."""
        session = self.controller.session
        iteration = origin.iteration + 1
        colours = component_colours(session.n_components)
        if isinstance(prediction, MeanPrediction):
            score = prediction.score(session.params, data_spread(session.X, prediction.dims))
            record = mean_record(prediction, score, iteration)
            actual = session.params.means[:, list(prediction.columns)]
            self.ghosts.show_result(actual, [f"{d:.3g}" for d in score.distances])
            self.panel.show_mean_result(f"M-step {iteration}", score, colours)
        else:
            actual = np.asarray(session.responsibilities[prediction.point])
            score = prediction.score(actual)
            record = responsibility_record(prediction, score, iteration)
            self.panel.show_responsibility_result(
                f"E-step {iteration}, point {prediction.point + 1}", score, colours
            )
        session.predictions.add(record)
        self.panel.show_log(session.predictions.records)

    # ================================================================== events
    def _on_refreshed(self) -> None:
        session = self.controller.session
        if session is None or session.state is self._state:
            self._update_reveal()
            return
        # An edit of the data (or undo or redo across one) makes a guess about other data.
        discarded = self._guess_in_progress() and (
            self._state is None or session.state.dataset is not self._state.dataset
        )
        pending, self._pending = self._pending, None
        if pending is not None and self._follows(pending[1]):
            self._score(*pending)
            revealed_means = isinstance(pending[0], MeanPrediction)
        else:
            revealed_means = False
        # Revealed ghosts stay in sight until the next action; their state's exercise
        # (an E-step guess) goes on beside them.
        ghosts_on_screen = revealed_means and self.ghosts.shown
        if ghosts_on_screen:
            self._state = session.state
            self.panel.show_instructions(self._e_text() if self.active else OFF_TEXT)
            self._show_guess()
            self._update_reveal()
        else:
            self._start_exercise()
        if discarded:
            self._say_discarded()

    def _guess_in_progress(self) -> bool:
        """True when the user has begun a guess that has not been scored."""
        return self.active and (
            self._pending is not None or self._guessed or self._guess_point is not None
        )

    def _say_discarded(self) -> None:
        """Say in the tab, and in the status bar, that an edit discarded the guess."""
        self.panel.show_instructions(DISCARDED_TEXT + self.panel.instructions.text())
        self._notice = DISCARDED_NOTE
        self._note_before = self.controller.views.status.note
        # After the edit's own note (the painter reports what it did once the session
        # has refreshed): the two are shown together.
        QtCore.QTimer.singleShot(0, self, self._post_notice)

    def _post_notice(self) -> None:
        notice, self._notice = self._notice, ""
        if not notice:
            return
        shown = self.controller.views.status.note
        if shown and shown != self._note_before:
            notice = f"{shown.rstrip('.')}. {notice}"  # the edit's own note, then this
        self.controller.reporter.status(notice, NOTE_MSECS)

    def _on_ghost_changed(self, _component: int) -> None:
        self._guessed = True

    def _on_editing_toggled(self, _editing: bool) -> None:
        session = self.controller.session
        if session is None or not self.active or self.controller.running:
            return
        if session.next_step == "E":
            self.panel.show_instructions(self._e_text())

    def _follows(self, origin: SessionState) -> bool:
        """True when the current state is the half-step performed from ``origin``."""
        session = self.controller.session
        position = session.position
        expected = "m-step" if origin.next_step == "M" else "e-step"
        return (
            position >= 1
            and session.history[position - 1] is origin
            and session.state.action == expected
        )

    def _on_session_replaced(self) -> None:
        self._pending = None
        self.panel.clear_result()
        self.panel.show_log(self.controller.session.predictions.records)
        self._start_exercise()

    def _on_running_changed(self, _running: bool) -> None:
        # Run discards guesses; a pause starts an exercise where the run stopped.
        if self.controller.session is not None and self.active:
            self._start_exercise()

    def _on_busy_changed(self, _busy: bool) -> None:
        self._update_reveal()

    def _on_view_state_changed(self, name: str) -> None:
        if name in ("theme", "scale"):
            self._apply_style()
        elif self.controller.session is None or not self.active:
            return
        elif name == "dims":
            self._pending = None
            self._start_exercise()
        elif name == "inspected" and self.controller.session.next_step == "E":
            # A point the user picked is a guess begun (an edit's reset of it is not).
            self._guessed = self._guessed or self.view_state.inspected is not None
            self._show_guess()
            self.controls.show_tab(self.panel)
            self._update_reveal()

    def _apply_style(self) -> None:
        theme, scale = Theme.named(self.view_state.theme), self.view_state.scale
        self.ghosts.apply_style(theme, scale)
        self.panel.apply_style(theme, scale)
