"""Performs the session's next half-step, on a worker thread when the data are large.

Small problems step on the GUI thread (a few milliseconds). Above
:data:`ASYNC_WORK` samples x components the half-step is computed with
:meth:`EMSession.prepare` on a worker thread (numpy releases the GIL, so the window
keeps repainting) through a :class:`~gmmviewer.ui.window.background.BackgroundJob`, and
committed with :meth:`EMSession.apply` back on the GUI thread.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from gmmviewer.core.errors import GMMViewerError, SessionError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.transitions import PreparedStep
from gmmviewer.ui.views.present import point_colours
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
        self._colours: tuple[object, np.ndarray] | None = None

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

        n_samples = session.n_samples

        def work(should_stop):
            prepared = session.prepare()
            # The point colours of new responsibilities are an (N, K) x (K, 3) product:
            # blend them here too, so the GUI thread only draws.
            colours = None
            if prepared.resp is not None and (
                prepared.origin is None
                or prepared.state.resp_params is not prepared.origin.resp_params
            ):
                colours = point_colours(prepared.resp.T, n_samples)
            yield prepared, colours

        self._job.start(work)
        self.busy_changed.emit(True)

    def cancel(self) -> None:
        """Drop the half-step in flight: it will not be applied when it arrives."""
        self._job.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the worker is idle (used when closing the window)."""
        return self._job.wait(msecs)

    def colours_for(self, resp_params: object) -> np.ndarray | None:
        """Point colours blended on the worker for these responsibilities, if any."""
        if self._colours is not None and self._colours[0] is resp_params:
            return self._colours[1]
        return None

    def _on_computed(self, computed: tuple[PreparedStep, np.ndarray | None]) -> None:
        prepared, colours = computed
        if self._session is None:
            return
        if colours is not None:
            self._colours = (prepared.state.resp_params, colours)
        try:
            self._session.apply(prepared)
            self._applied = True
        except SessionError:
            self._applied = False  # the session moved on meanwhile (a jump, a new data set)

    def _on_job_finished(self, _completed: bool) -> None:
        self._session = None
        self.busy_changed.emit(False)
        self.finished.emit(self._applied)
