"""What the status bar says when a teaching mode is switched on or off.

Entering a mode says what it shows or what the mouse and keys now do, and which key
leaves it; leaving says so, which also replaces whatever the mode said last (no note of
a mode that is gone stays on screen). Data-edit mode says its own
(:class:`~gmmviewer.ui.teaching.data_painting.DataPainter`); this covers predict mode,
the likelihood landscape, membership lines and uncertainty colouring. A mode that has
something more precise to say when switched on (membership lines of one column, the
landscape of one column with K = 1) says it itself, and this stays quiet.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from gmmviewer.ui.window.controller import Controller

#: How long a note stays, in milliseconds.
NOTE_MSECS = 8000

NOTES = {
    ("predict", True): (
        "Predict mode (P to leave): guess each half-step before it happens, then Reveal (V) "
        "to see how close you came"
    ),
    ("predict", False): "Left predict mode",
    ("landscape", True): (
        "Likelihood landscape (G to hide): the NLL if the chosen mean were elsewhere; click "
        "a mean or press 1-9 to choose it"
    ),
    ("landscape", False): "Likelihood landscape hidden",
    ("membership", True): (
        "Membership lines (J to hide): each point joined to each mean, as opaque as its "
        "responsibility"
    ),
    ("membership", False): "Membership lines hidden",
    ("uncertainty", True): (
        "Uncertainty colouring (U to leave): points coloured by 1 \u2212 max r, from certain "
        "to evenly shared"
    ),
    ("uncertainty", False): "Points coloured by their components again",
}


class ModeNotes(QtCore.QObject):
    """Posts a status note whenever a teaching mode is switched on or off.

    Parameters
    ----------
    controller : Controller
        Its view state (the overlays), its session (K) and its reporter.
    predict_action : QAction
        The checkable "Predict the next step".
    """

    def __init__(
        self,
        controller: Controller,
        predict_action: QtGui.QAction,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.view_state = controller.view_state
        self.view_state.changed.connect(self._on_view_state_changed)
        predict_action.toggled.connect(self._on_predict_toggled)

    def _on_view_state_changed(self, name: str) -> None:
        if name in ("landscape", "membership", "uncertainty"):
            on = bool(getattr(self.view_state, name))
            if not (on and self._says_its_own(name)):
                self._note(name, on)

    def _on_predict_toggled(self, on: bool) -> None:
        self._note("predict", on)

    def _says_its_own(self, name: str) -> bool:
        """Whether the mode, switched on now, posts a more precise note of its own."""
        one_column = len(self.view_state.dims) != 2
        session = self.controller.session
        if name == "membership":
            return one_column
        if name == "landscape":
            return one_column and session is not None and session.n_components < 2
        return False

    def _note(self, name: str, on: bool) -> None:
        if self.controller.session is not None:
            self.controller.reporter.status(NOTES[name, on], NOTE_MSECS)
