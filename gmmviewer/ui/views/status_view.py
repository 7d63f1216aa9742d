"""The status bar: iteration, next half-step, NLL and its change, convergence, N, K, status."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.session.em_session import EMSession


class ElidedLabel(QtWidgets.QLabel):
    """A one-line label that ends in "…" where its text is cut (the tool tip has it all).

    It asks for no width of its own: a long note gives way to the status bar's permanent
    fields instead of widening the window. ``text()`` stays the whole text.
    """

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        return QtCore.QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 - Qt override
        return QtCore.QSize(0, super().sizeHint().height())

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QtGui.QPainter(self)
        area = self.contentsRect()
        text = self.fontMetrics().elidedText(
            self.text(), QtCore.Qt.TextElideMode.ElideRight, area.width()
        )
        self.style().drawItemText(
            painter,
            area,
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            text,
            self.foregroundRole(),
        )


class StatusView:
    """Fills a window's QStatusBar with permanent, separately readable fields.

    Passing news (a file written, a choice explained) is shown with :meth:`show_note` in
    the message field for a while, then the state's own message returns. QStatusBar's
    temporary messages are not used: they were drawn over the message field.
    """

    FIELDS = ("iteration", "next", "nll", "converged", "size", "message")

    def __init__(self, status_bar: QtWidgets.QStatusBar) -> None:
        self.status_bar = status_bar
        self.labels: dict[str, QtWidgets.QLabel] = {}
        for name in self.FIELDS:
            label = ElidedLabel() if name == "message" else QtWidgets.QLabel()
            label.setObjectName(f"status_{name}")
            if name == "message":
                label.setWordWrap(False)
                status_bar.addWidget(label, 1)
            else:
                status_bar.addPermanentWidget(label)
            self.labels[name] = label
        self._message = ("", False, "")  # the state's text, warning, tool tip
        self._note = ""
        self._note_timer = QtCore.QTimer(status_bar)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(self._end_note)

    def show_note(self, text: str, msecs: int = 5000) -> None:
        """Show ``text`` in the message field for ``msecs`` milliseconds."""
        self._note = text
        self._note_timer.start(max(1, int(msecs)))
        self._show_message()

    @property
    def note(self) -> str:
        """The passing message on show, or ''."""
        return self._note

    def _end_note(self) -> None:
        self._note = ""
        self._show_message()

    def _show_message(self) -> None:
        label = self.labels["message"]
        text, warning, tip = self._message
        if self._note and not warning:
            text, tip = self._note, self._note
        label.setText(text)
        label.setStyleSheet("color: #d55e00; font-weight: bold;" if warning else "")
        label.setToolTip(tip)

    def show_session(self, session: EMSession, running: bool, busy: bool) -> None:
        """Show the session's current state."""
        state = session.state
        history = session.history
        previous = history[session.position - 1] if session.position > 0 else None
        # Across an edit of the data the two likelihoods are of different data: no change.
        if previous is not None and previous.dataset is state.dataset:
            change = -(state.log_likelihood - previous.log_likelihood)
        else:
            change = math.nan
        self.labels["iteration"].setText(f"Iteration {state.iteration}")
        next_text = "E-step" if state.next_step == "E" else "M-step"
        if busy:
            next_text = f"computing the {next_text}..."
        elif running:
            next_text += " (running)"
        self.labels["next"].setText(f"Next: {next_text}")
        change_text = ""
        if math.isfinite(change):
            change_text = "  (no change)" if change == 0 else f"  (change {change:+.4g})"
        variational = state.variational is not None
        objective = "\u2212ELBO" if variational else "NLL"
        if math.isfinite(state.log_likelihood):
            self.labels["nll"].setText(f"{objective} {-state.log_likelihood:,.4f}{change_text}")
        else:
            self.labels["nll"].setText(f"{objective} \u2014")
        if session.converged and variational:
            converged = f"converged: bound change < tol {session.tol:g} (lower tol to go on)"
        elif session.converged:
            # "Converged" above the truth line confuses a class: say what it means.
            converged = (
                f"converged: mean log-lik. change < tol {session.tol:g} (lower tol to go on)"
            )
        elif not session.can_step:
            converged = f"draw at least {session.n_components} points to fit"
        elif session.done:
            converged = f"stopped at max_iter = {session.max_iter}"
        else:
            converged = "not converged"
        self.labels["converged"].setText(converged)
        self.labels["converged"].setToolTip(
            "EM stops when the mean log-likelihood per point changed by less than tol between "
            "the last two E-steps (scikit-learn's rule). It is not the global optimum: a "
            "smaller tol lets Run and Step continue."
        )
        fast = "  float32" if session.dtype == "float32" else ""
        self.labels["size"].setText(f"N = {session.n_samples:,}  K = {session.n_components}{fast}")
        self._message = (state.status or state.description, bool(state.status), state.status)
        self._show_message()

    def text(self) -> str:
        """Everything shown, in order (for tests)."""
        return " | ".join(self.labels[name].text() for name in self.FIELDS)
