"""Everything the window reads and writes: data, sessions, parameters, plots, histories,
snapshots and animations.

Each operation takes an optional path (a file dialog asks when it is omitted, tests
pass one) and returns whether it succeeded; a failure becomes a one-line message box
and leaves the session on screen as it was. Collaborators are narrow: the controller
(the session, loading, the saved state), the view state, a reporter, the QSettings that
remember the last folder and a parent widget for dialogs; never the window.

The file readers and writers, the dialogs and the exporters are imported by the
operation that needs them, not with this module: the window's first paint waits for
none of them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtWidgets

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.files.sessions import SESSION_EXTENSION
from gmmviewer.core.text import count as counted
from gmmviewer.ui.panels.controls import ModelSettings
from gmmviewer.ui.views.theme import Theme
from gmmviewer.ui.window.background import BackgroundJob
from gmmviewer.ui.window.controller import Controller
from gmmviewer.ui.window.reporter import Reporter

if TYPE_CHECKING:
    from gmmviewer.ui.dialogs import CsvImportDialog
    from gmmviewer.ui.export.animation import AnimationRecorder, AnimationSettings

PARAM_FILTERS = "JSON (*.json);;NumPy archive (*.npz);;CSV (*.csv)"
PLOT_FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"
SESSION_FILTER = f"gmmviewer session (*{SESSION_EXTENSION})"


class FileActions(QtCore.QObject):
    """The window's file operations.

    Parameters
    ----------
    controller : Controller
    reporter : Reporter
    settings : QSettings
        Remembers the last folder used.
    dialog_parent : QWidget
        Parent of file dialogs and progress dialogs.
    """

    def __init__(
        self,
        controller: Controller,
        reporter: Reporter,
        settings: QtCore.QSettings,
        dialog_parent: QtWidgets.QWidget,
    ) -> None:
        super().__init__(controller)
        self.controller = controller
        self.view_state = controller.view_state
        self.reporter = reporter
        self.settings = settings
        self._parent = dialog_parent
        self.snapshot_job = BackgroundJob(self)
        self.snapshot_job.progressed.connect(self._on_snapshots_ready)
        self.snapshot_job.failed.connect(reporter.error)
        self._snapshot_path = ""
        self.recorder: AnimationRecorder | None = None
        self.progress: QtWidgets.QProgressDialog | None = None

    @property
    def _session(self):  # noqa: ANN202 - EMSession | None
        return self.controller.session

    @property
    def session_path(self) -> str:
        """The session file on screen ('' before it is saved)."""
        return self.controller.session_path

    # =================================================================== data
    def open_csv(self, path: str | None = None) -> bool:
        """File > Open CSV: pick a file, then the import dialog, then a new session."""
        if not self.controller.may_replace_session():
            return False
        if not path:
            path = self._open_path(
                "Open data", "Data files (*.csv *.tsv *.txt *.dat);;All files (*)"
            )
            if not path:
                return False
        from gmmviewer.ui.dialogs import CsvImportDialog

        try:
            dialog = CsvImportDialog.from_file(path, self._parent)
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return False
        return self.import_csv(dialog)

    def import_csv(self, dialog: CsvImportDialog) -> bool:
        """Load what an accepted import dialog chose."""
        try:
            dataset = dialog.dataset()
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        return self._start(dataset, dialog.model_settings())

    def generate_data(self) -> bool:
        """File > Generate data: the synthetic data dialog, then a new session."""
        if not self.controller.may_replace_session():
            return False
        from gmmviewer.ui.dialogs import GenerateDialog

        dialog = GenerateDialog(self._parent)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return False
        return self._start(dialog.dataset(), dialog.model_settings())

    def _start(self, dataset: Dataset, model: ModelSettings) -> bool:
        """A new session on ``dataset`` with the model its dialog showed, never the
        settings of the data before; a K the data cannot take is refused in one line."""
        from gmmviewer.ui.dialogs.model_choice import largest_k_message

        name = os.path.basename(dataset.source) if dataset.source else "the data"
        problem = largest_k_message(model.n_components, dataset.n_samples, name)
        if problem is not None:
            self.reporter.error(problem)
            return False
        return self.controller.load_dataset(
            dataset,
            n_components=model.n_components,
            init=model.init,
            seed=model.seed,
            covariance_type=model.covariance_type,
        )

    # =============================================================== sessions
    def save_session(self, path: str | None = None) -> bool:
        """File > Save session (as the file it came from, or a new one)."""
        return self.save_session_as(path or self.session_path or None)

    def save_session_as(self, path: str | None = None) -> bool:
        """File > Save session as: data, parameters, settings and the whole history."""
        from gmmviewer.core.files.sessions.session_file import save_session

        session = self._session
        if session is None:
            return False
        if not path:
            path = self._save_path("Save session", f"session{SESSION_EXTENSION}", SESSION_FILTER)
            if not path:
                return False
        if not path.lower().endswith(SESSION_EXTENSION):
            path += SESSION_EXTENSION
        embed = self.view_state.embed_data
        try:
            save_session(path, session, embed_data=embed, view=self.controller.view_settings())
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        self.controller.mark_saved(path)
        self.reporter.status(f"Saved {path}", 5000)
        return True

    def open_session(self, path: str | None = None) -> bool:
        """File > Open session: restores data, parameters, settings and history."""
        from gmmviewer.core.files.sessions.session_file import load_session

        if not self.controller.may_replace_session():
            return False
        if not path:
            path = self._open_path("Open session", SESSION_FILTER)
            if not path:
                return False
        try:
            opened = load_session(path)
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        self.controller.show_session(opened.session, opened.view, path)
        return True

    # ================================================================ exports
    def export_parameters(self, path: str | None = None) -> bool:
        """Write the current parameters, in the data's own units."""
        from gmmviewer.core.files.paramfile import save_params

        session = self._session
        if session is None:
            return False
        if not path:
            path = self._save_path("Export parameters", "parameters.json", PARAM_FILTERS)
            if not path:
                return False
        dataset = session.dataset
        log_likelihood = session.log_likelihood
        if dataset.normalized:
            log_likelihood -= dataset.n_samples * float(np.sum(np.log(dataset.scale)))
        try:
            save_params(
                path,
                dataset.to_data_units(session.params),
                columns=dataset.columns,
                log_likelihood=log_likelihood,
                n_iter=session.iteration,
                converged=session.converged,
                n_samples=dataset.n_samples,
                source=os.path.basename(dataset.source) if dataset.source else None,
            )
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        self.reporter.status(f"Wrote {path}", 5000)
        return True

    def export_plot(self, path: str | None = None) -> bool:
        """Save the plot as PNG or SVG (by the extension)."""
        if not path:
            path = self._save_path("Export plot", "gmm.png", PLOT_FILTERS)
            if not path:
                return False
        from gmmviewer.ui.export.exporting import export_plot

        try:
            export_plot(self.controller.plot, path)
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        self.reporter.status(f"Wrote {path}", 5000)
        return True

    def export_nll_history(self, path: str | None = None) -> bool:
        """Save every history entry's NLL (and ELBO) as CSV."""
        from gmmviewer.core.files.csv_writer import write_history_csv

        session = self._session
        if session is None:
            return False
        if not path:
            path = self._save_path("Export NLL history", "nll.csv", "CSV (*.csv)")
            if not path:
                return False
        try:
            write_history_csv(path, session.history)
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        self.reporter.status(f"Wrote {path}", 5000)
        return True

    def export_data(self, path: str | None = None) -> bool:
        """File > Export data as CSV: the data as they are now (edits included), in their
        own units, written atomically."""
        from gmmviewer.core.files.csv_writer import write_data_csv

        session = self._session
        if session is None:
            return False
        if not path:
            stem = Path(session.dataset.source.split(":")[-1] or "data").stem or "data"
            name = f"{stem}-edited.csv" if session.dataset.edited else f"{stem}.csv"
            path = self._save_path("Export data as CSV", name, "CSV (*.csv)")
            if not path:
                return False
        try:
            write_data_csv(path, session.dataset)
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        self.reporter.status(f"Wrote {counted(session.n_samples, 'row')} to {path}", 5000)
        return True

    def export_assignments(self, path: str | None = None) -> bool:
        """File > Export assignments: each point's data row, component, responsibilities and
        uncertainty (:mod:`gmmviewer.core.files.assignments_csv`)."""
        from gmmviewer.core.files.assignments_csv import write_session_assignments

        session = self._session
        if session is None:
            return False
        if not path:
            path = self._save_path("Export assignments", "assignments.csv", "CSV (*.csv)")
            if not path:
                return False
        try:
            pending = write_session_assignments(path, session)
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        note = " (no E-step yet: the responsibilities the next E-step computes)" if pending else ""
        self.reporter.status(f"Wrote {path}{note}", 8000 if pending else 5000)
        return True

    # ============================================================== snapshots
    def export_snapshots(self, path: str | None = None, iterations: str | None = None) -> bool:
        """File > Export snapshots: small views after chosen iterations, as one PNG."""
        from gmmviewer.core.analysis.snapshots import parse_iterations, snapshots

        session = self._session
        if session is None or self.snapshot_job.running:
            return False
        if iterations is None:
            text, ok = QtWidgets.QInputDialog.getText(
                self._parent, "Export snapshots", "After these iterations:", text="0, 1, 2, 5, 20"
            )
            if not ok:
                return False
            iterations = text
        try:
            wanted = parse_iterations(iterations)
        except ValueError as error:
            self.reporter.error(str(error))
            return False
        if not path:
            path = self._save_path("Export snapshots", "snapshots.png", "PNG image (*.png)")
            if not path:
                return False
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            self.reporter.error(f"cannot write {path}: the folder does not exist")
            return False
        run_start, _ = session.run_bounds()
        start = session.history[run_start].params
        X, tol, reg_covar = session.X, session.tol, session.reg_covar
        self._snapshot_path = path

        def work(should_stop):
            yield snapshots(X, start, wanted, tol=tol, reg_covar=reg_covar)

        self.snapshot_job.start(work)
        return True

    def _on_snapshots_ready(self, shots: list) -> None:
        from gmmviewer.core.files.atomic import atomic_path
        from gmmviewer.ui.export.snapshots import render_strip

        session = self._session
        if session is None:
            return
        dims = self.controller.dims
        if len(dims) != 2:
            self.reporter.error("snapshots need two columns to show")
            return
        labels = tuple(session.dataset.columns[d] for d in dims)
        image = render_strip(
            session.X, shots, dims, labels, self.controller.plot.view_range(), self._theme()
        )
        try:
            with atomic_path(self._snapshot_path) as temporary:
                if not image.save(temporary, "PNG"):
                    raise OSError(f"cannot write {self._snapshot_path}")
        except OSError as error:
            self.reporter.error(str(error) or f"cannot write {self._snapshot_path}")
            return
        self.reporter.status(f"Wrote {self._snapshot_path}", 5000)

    # ============================================================== animation
    def export_animation(
        self,
        settings: AnimationSettings | None = None,
        entry_range: tuple[int, int] | None = None,
    ) -> AnimationRecorder | None:
        """File > Export animation: record to convergence (or a history range) as GIF/PNGs."""
        from gmmviewer.core.session.recording import history_states, states_to_convergence
        from gmmviewer.ui.dialogs.progress import open_progress
        from gmmviewer.ui.export.animation import AnimationDialog, AnimationRecorder

        session = self._session
        if session is None or (self.recorder is not None and self.recorder.running):
            return None
        if settings is None:
            dialog = AnimationDialog(len(session.history), self._last_directory(), self._parent)
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return None
            settings, entry_range = dialog.settings(), dialog.entry_range()
        try:
            states = (
                states_to_convergence(session)
                if entry_range is None
                else history_states(session, *entry_range)
            )
            recorder = AnimationRecorder(
                session,
                states,
                settings,
                self.controller.dims,
                self._theme(),
                self.controller.plot.view_range(),
                self,
            )
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return None
        total = 0 if entry_range is None else abs(entry_range[1] - entry_range[0]) + 1
        self.progress = open_progress(
            self._parent, "Export animation", "Recording...", total, self._cancel_recording
        )
        recorder.progressed.connect(self._on_frame)
        recorder.finished.connect(self._on_recorded)
        recorder.failed.connect(self._on_record_failed)
        self.recorder = recorder
        recorder.start()
        return recorder

    def _on_frame(self, count: int) -> None:
        if self.progress is not None:
            if self.progress.maximum() and count <= self.progress.maximum():
                self.progress.setValue(count)
            self.progress.setLabelText(f"Recorded {counted(count, 'frame')}")

    def _on_recorded(self, summary: str) -> None:
        self._close_progress()
        self.reporter.status(summary, 8000)

    def _on_record_failed(self, message: str) -> None:
        self._close_progress()
        self.reporter.error(message)

    def _cancel_recording(self) -> None:
        if self.recorder is not None:
            self.recorder.cancel()
        self._close_progress()

    def _close_progress(self) -> None:
        from gmmviewer.ui.dialogs.progress import close_progress

        close_progress(self.progress)
        self.progress = None

    # ================================================================ dialogs
    def _theme(self) -> Theme:
        return Theme.named(self.view_state.theme)

    def _last_directory(self) -> str:
        return str(self.settings.value("files/last_directory", str(Path.home())))

    def _remember_directory(self, path: str) -> None:
        self.settings.setValue("files/last_directory", str(Path(path).resolve().parent))

    def _open_path(self, title: str, filters: str) -> str:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self._parent, title, self._last_directory(), filters
        )
        if path:
            self._remember_directory(path)
        return path

    def _save_path(self, title: str, default_name: str, filters: str) -> str:
        suggested = str(Path(self._last_directory()) / default_name)
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self._parent, title, suggested, filters)
        if path:
            self._remember_directory(path)
        return path

    def shutdown(self) -> None:
        """Stop background work (before the window closes)."""
        self.snapshot_job.cancel()
        self.snapshot_job.wait()
        if self.recorder is not None and self.recorder.running:
            self.recorder.cancel()
