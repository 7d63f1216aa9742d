"""Long work (restarts, model selection, k-means) on a worker thread, with progress and Cancel.

The work is a plain generator from the core; each item it yields is delivered to the
GUI thread as a ``progressed`` signal. Cancel sets a flag the generator's
``should_stop`` reads, so even a long single fit stops within one iteration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from PySide6 import QtCore

from gmmviewer.core.errors import Cancelled, GMMViewerError


class _Relay(QtCore.QObject):
    item = QtCore.Signal(object, object)  # token, item
    done = QtCore.Signal(object, bool)  # token, completed
    error = QtCore.Signal(object, str)  # token, message


class _Task(QtCore.QRunnable):
    def __init__(
        self,
        work: Callable[[Callable[[], bool]], Iterator[object]],
        stop: threading.Event,
        token: object,
        relay: _Relay,
    ) -> None:
        super().__init__()
        self._work = work
        self._stop = stop
        self._token = token
        self._relay = relay

    def run(self) -> None:
        completed = False
        try:
            for item in self._work(self._stop.is_set):
                if self._stop.is_set():
                    break
                self._emit(self._relay.item, item)
            else:
                completed = True
        except Cancelled:
            completed = False
        except GMMViewerError as error:
            self._emit(self._relay.error, str(error))
        except Exception as error:  # never lose a failure inside a thread
            self._emit(self._relay.error, f"{type(error).__name__}: {error}")
        self._emit(self._relay.done, completed and not self._stop.is_set())

    def _emit(self, signal: QtCore.SignalInstance, payload: object) -> None:
        try:
            signal.emit(self._token, payload)
        except RuntimeError:
            pass  # the receiver was deleted (the window closed): nobody is waiting


class BackgroundJob(QtCore.QObject):
    """Runs one generator at a time off the GUI thread.

    Signals
    -------
    progressed(object)
        Each item the generator yields, on the GUI thread.
    finished(bool)
        True when the generator ran to its end, False when cancelled or failed.
    failed(str)
        A one-line message when the work raised.
    """

    progressed = QtCore.Signal(object)
    finished = QtCore.Signal(bool)
    failed = QtCore.Signal(str)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._relay = _Relay(self)
        self._relay.item.connect(self._on_item)
        self._relay.done.connect(self._on_done)
        self._relay.error.connect(self._on_error)
        self._pool = QtCore.QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._token: object | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        """True while work is in progress."""
        return self._token is not None

    def start(self, work: Callable[[Callable[[], bool]], Iterator[object]]) -> bool:
        """Start ``work(should_stop)``; refused (False) while another job runs."""
        if self.running:
            return False
        self._token = object()
        self._stop = threading.Event()
        self._pool.start(_Task(work, self._stop, self._token, self._relay))
        return True

    def cancel(self) -> None:
        """Ask the work to stop; ``finished(False)`` follows when it has."""
        self._stop.set()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the worker is idle (when closing)."""
        return self._pool.waitForDone(msecs)

    def _on_item(self, token: object, item: object) -> None:
        if token is self._token and not self._stop.is_set():
            self.progressed.emit(item)

    def _on_error(self, token: object, message: str) -> None:
        if token is self._token:
            self.failed.emit(message)

    def _on_done(self, token: object, completed: bool) -> None:
        if token is self._token:
            self._token = None
            self.finished.emit(completed)
