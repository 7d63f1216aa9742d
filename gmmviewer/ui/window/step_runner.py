"""Performs the session's next half-step, on a worker thread when the data are large.

Small problems step on the GUI thread (a few milliseconds). Above
:data:`ASYNC_WORK` samples x components the half-step is computed with
:meth:`EMSession.prepare` on a worker thread (numpy releases the GIL, so the window
keeps repainting) through a :class:`~gmmviewer.ui.window.background.BackgroundJob`, and
committed with :meth:`EMSession.apply` back on the GUI thread.
"""

from __future__ import annotations

from PySide6 import QtCore

from gmmviewer.core.errors import GMMViewerError, SessionError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.transitions import PreparedStep
from gmmviewer.ui.window.background import BackgroundJob

#: N x K above which a half-step runs on a worker thread.
ASYNC_WORK = 250_000


class StepRunner(QtCore.QObject):
    """Runs one half-step at a time and says when it is busy.

    Signals
    -------
    busy_changed(bool)
    finished(bool)
        After every request: True when a half-step was applied.
    failed(str)
        A one-line message when a step could not be computed.
    """

    busy_changed = QtCore.Signal(bool)
    finished = QtCore.Signal(bool)
    failed = QtCore.Signal(str)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._job = BackgroundJob(self)
        self._job.progressed.connect(self._on_computed)
        self._job.failed.connect(self.failed)
        self._job.finished.connect(self._on_job_finished)
        self._session: EMSession | None = None
        self._applied = False

    @property
    def busy(self) -> bool:
        """True while a half-step is being computed on the worker thread."""
        return self._job.running

    def advance(self, session: EMSession, force_async: bool = False) -> None:
        """Start the next half-step of ``session`` (ignored while busy)."""
        if self.busy:
            return
        if session.n_samples * session.n_components < ASYNC_WORK and not force_async:
            try:
                session.advance()
            except GMMViewerError as error:
                self.failed.emit(str(error))
                self.finished.emit(False)
                return
            self.finished.emit(True)
            return
        self._session, self._applied = session, False

        def work(should_stop):
            yield session.prepare()

        self._job.start(work)
        self.busy_changed.emit(True)

    def cancel(self) -> None:
        """Drop the half-step in flight: it will not be applied when it arrives."""
        self._job.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the worker is idle (used when closing the window)."""
        return self._job.wait(msecs)

    def _on_computed(self, prepared: PreparedStep) -> None:
        if self._session is None:
            return
        try:
            self._session.apply(prepared)
            self._applied = True
        except SessionError:
            self._applied = False  # the session moved on meanwhile (a jump, a new data set)

    def _on_job_finished(self, _completed: bool) -> None:
        self._session = None
        self.busy_changed.emit(False)
        self.finished.emit(self._applied)
