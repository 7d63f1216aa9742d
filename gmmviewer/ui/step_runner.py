"""Performs the session's next half-step, on a worker thread when the data are large.

Small problems step on the GUI thread (a few milliseconds). Above
:data:`ASYNC_WORK` samples x components the half-step is computed with
:meth:`EMSession.prepare` on a pool thread (numpy releases the GIL, so the window keeps
repainting) and committed with :meth:`EMSession.apply` back on the GUI thread.
"""

from __future__ import annotations

from PySide6 import QtCore

from gmmviewer.core.errors import GMMViewerError, SessionError
from gmmviewer.core.session import EMSession, PreparedStep

#: N x K above which a half-step runs on a worker thread.
ASYNC_WORK = 250_000


class _Relay(QtCore.QObject):
    """Carries a worker's result to the GUI thread (it lives there, so emits are queued)."""

    computed = QtCore.Signal(object, object)  # token, PreparedStep
    failed = QtCore.Signal(object, str)  # token, message


class _PrepareTask(QtCore.QRunnable):
    def __init__(self, session: EMSession, token: object, relay: _Relay) -> None:
        super().__init__()
        self._session = session
        self._token = token
        self._relay = relay

    def run(self) -> None:
        try:
            prepared = self._session.prepare()
        except Exception as error:  # reported on the GUI thread, never lost in a thread
            self._deliver(self._relay.failed, f"{type(error).__name__}: {error}")
            return
        self._deliver(self._relay.computed, prepared)

    def _deliver(self, signal: QtCore.SignalInstance, payload: object) -> None:
        try:
            signal.emit(self._token, payload)
        except RuntimeError:
            pass  # the window closed while this step was computed: nobody is waiting


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
        self._relay = _Relay(self)
        self._relay.computed.connect(self._on_computed)
        self._relay.failed.connect(self._on_failed)
        self._pool = QtCore.QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._token: object | None = None
        self._session: EMSession | None = None
        self._discard = False

    @property
    def busy(self) -> bool:
        """True while a half-step is being computed on the worker thread."""
        return self._token is not None

    def advance(self, session: EMSession, force_async: bool = False) -> None:
        """Start the next half-step of ``session`` (ignored while busy)."""
        if self.busy:
            return
        work = session.n_samples * session.n_components
        if work < ASYNC_WORK and not force_async:
            try:
                session.advance()
            except GMMViewerError as error:
                self.failed.emit(str(error))
                self.finished.emit(False)
                return
            self.finished.emit(True)
            return
        self._token = object()
        self._session = session
        self._discard = False
        self.busy_changed.emit(True)
        self._pool.start(_PrepareTask(session, self._token, self._relay))

    def cancel(self) -> None:
        """Drop the half-step in flight: it will not be applied when it arrives."""
        if self.busy:
            self._discard = True

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the worker is idle (used when closing the window)."""
        return self._pool.waitForDone(msecs)

    def _on_computed(self, token: object, prepared: PreparedStep) -> None:
        if token is not self._token:
            return
        session, discard = self._session, self._discard
        self._token, self._session = None, None
        self.busy_changed.emit(False)
        applied = False
        if not discard and session is not None:
            try:
                session.apply(prepared)
                applied = True
            except SessionError:
                applied = False  # the session moved on meanwhile (a jump, a new data set)
        self.finished.emit(applied)

    def _on_failed(self, token: object, message: str) -> None:
        if token is not self._token:
            return
        self._token, self._session = None, None
        self.busy_changed.emit(False)
        self.failed.emit(message)
        self.finished.emit(False)
