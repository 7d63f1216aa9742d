"""The main window: actions, menus, layout, file dialogs, exports and persisted settings.

The window owns the views and the :class:`~gmmviewer.ui.controller.Controller`; every
button, menu entry and shortcut is one ``QAction`` whose ``triggered`` signal calls the
controller (or a file operation here).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer import __version__
from gmmviewer.core.csv_writer import write_history_csv
from gmmviewer.core.dataset import Dataset
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.objective import DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL
from gmmviewer.core.paramfile import save_params
from gmmviewer.core.session import EMSession
from gmmviewer.core.snapshots import parse_iterations, snapshots
from gmmviewer.core.synthetic import make_preset
from gmmviewer.ui.background import BackgroundJob
from gmmviewer.ui.compare_panel import ComparePanel
from gmmviewer.ui.controller import DEFAULT_SPEED, Controller, Views
from gmmviewer.ui.controls import ControlPanel
from gmmviewer.ui.dialogs import CsvImportDialog, GenerateDialog
from gmmviewer.ui.exporting import export_plot
from gmmviewer.ui.inspector import PointInspector
from gmmviewer.ui.model_selection_dialog import ModelSelectionDialog
from gmmviewer.ui.nll_view import NllView
from gmmviewer.ui.scatter_view import ScatterView
from gmmviewer.ui.shortcut_sheet import ShortcutSheet
from gmmviewer.ui.snapshots import render_strip
from gmmviewer.ui.status_view import StatusView
from gmmviewer.ui.theme import Theme, apply_to_application

#: The built-in demo: the classic lecture mixture, fixed seeds, ready for the first Step.
DEMO_PRESET = "lecture"
DEMO_SAMPLES = 600
DEMO_DATA_SEED = 0
DEMO_INIT = "random-means"
DEMO_INIT_SEED = 0

SCALE_STEP = 1.15
SCALE_RANGE = (0.6, 3.0)

PARAM_FILTERS = "JSON (*.json);;NumPy archive (*.npz);;CSV (*.csv)"
PLOT_FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"


class MainWindow(QtWidgets.QMainWindow):
    """The gmmviewer window.

    Parameters
    ----------
    settings : QSettings, optional
        Where geometry, the last directory and view settings persist (tests pass a
        temporary one); the application's default settings when None.
    """

    def __init__(
        self,
        settings: QtCore.QSettings | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else QtCore.QSettings()
        self.setObjectName("main_window")
        self.setWindowTitle("gmmviewer")
        self.actions_by_name: dict[str, QtGui.QAction] = {}
        self.last_error_box: QtWidgets.QMessageBox | None = None
        self.theme = Theme.named(str(self.settings.value("view/theme", "light")))
        self.scale = _float(self.settings.value("view/scale", 1.0), 1.0)
        self._base_font_size = QtWidgets.QApplication.font().pointSizeF()

        self.scatter = ScatterView()
        self.nll_view = NllView()
        self._create_actions()
        self.controls = ControlPanel(self.actions_by_name)
        self.inspector = PointInspector()
        self.compare = ComparePanel(self.actions_by_name["kmeans"])
        self.controls.add_tab(self.inspector, "Inspect")
        self.controls.add_tab(self.compare, "Compare")
        self.status_view = StatusView(self.statusBar())
        self.model_dialog: ModelSelectionDialog | None = None
        self.progress_dialog: QtWidgets.QProgressDialog | None = None
        self.snapshot_job = BackgroundJob(self)
        self.snapshot_job.progressed.connect(self._on_snapshots_ready)
        self.snapshot_job.failed.connect(self.show_error)
        self._snapshot_path = ""
        self._create_layout()
        self._create_menus()
        self.controller = Controller(
            Views(
                scatter=self.scatter,
                nll=self.nll_view,
                controls=self.controls,
                status=self.status_view,
                actions=self.actions_by_name,
                inspector=self.inspector,
                compare=self.compare,
            ),
            report_error=self.show_error,
            parent=self,
        )
        self.controller.session_replaced.connect(self._on_session_replaced)
        self.controller.work_started.connect(self._on_work_started)
        self.controller.work_progressed.connect(self._on_work_progressed)
        self.controller.work_finished.connect(self._on_work_finished)
        self.scatter.point_clicked.connect(self._on_point_clicked)
        self._connect_em_actions()
        self._restore_settings()
        self.apply_style()

    # ================================================================ actions
    def _action(
        self,
        name: str,
        text: str,
        slot: object | None,
        shortcuts: tuple[str | QtGui.QKeySequence.StandardKey, ...] = (),
        tip: str = "",
        checkable: bool = False,
    ) -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        action.setObjectName(f"{name}_action")
        if shortcuts:
            action.setShortcuts([QtGui.QKeySequence(s) for s in shortcuts])
            keys = ", ".join(
                QtGui.QKeySequence(s).toString(QtGui.QKeySequence.SequenceFormat.NativeText)
                for s in shortcuts[:2]
            )
            tip = f"{tip} ({keys})" if tip else keys
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        # Window-wide, so the keys work wherever the focus is (spin boxes keep their
        # own keys through Qt's shortcut override).
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        self.addAction(action)
        self.actions_by_name[name] = action
        return action

    def _create_actions(self) -> None:
        # The EM actions are connected to the controller once it exists (_connect_em_actions).
        self._action(
            "e_step", "E-step", None, ("E",), "Compute responsibilities from the current parameters"
        )
        self._action(
            "m_step",
            "M-step",
            None,
            ("M",),
            "Re-estimate weights, means and covariances from the responsibilities",
        )
        self._action(
            "step", "Step (E+M)", None, ("Space",), "One full iteration: E-step then M-step"
        )
        self._action("run", "Run", None, ("R",), "Run EM until it converges")
        self._action("back", "Back", None, ("Left",), "Undo the last half-step or edit")
        self._action("forward", "Forward", None, ("Right",), "Redo the next half-step or edit")
        self._action(
            "reset",
            "Reset",
            None,
            ("Ctrl+R",),
            "Back to the parameters of the latest initialisation",
        )
        self._action(
            "reinitialize",
            "Re-initialise",
            self.reinitialize_with_new_seed,
            ("Ctrl+I",),
            "Start again from a fresh initialisation with a new seed",
        )
        self._action(
            "open_csv",
            "Open CSV...",
            self.open_csv,
            (QtGui.QKeySequence.StandardKey.Open,),
            "Load a data file",
        )
        self._action(
            "generate",
            "Generate data...",
            self.generate_data,
            ("Ctrl+G",),
            "Sample a synthetic Gaussian mixture",
        )
        self._action("demo", "Lecture demo", self.load_demo, (), "The built-in lecture demo")
        self._action(
            "export_params",
            "Export parameters...",
            self.export_parameters,
            ("Ctrl+S",),
            "Write the current parameters as JSON, NPZ or CSV",
        )
        self._action(
            "export_plot",
            "Export plot...",
            self.export_plot,
            ("Ctrl+P",),
            "Save the scatter plot as PNG or SVG",
        )
        self._action(
            "export_nll",
            "Export NLL history...",
            self.export_nll_history,
            (),
            "Save the negative log-likelihood of every half-step as CSV",
        )
        self._action("quit", "Quit", self.close, (QtGui.QKeySequence.StandardKey.Quit,))
        self._action(
            "contours",
            "Density contours",
            self._set_contours,
            ("C",),
            "Show contours of the mixture density",
            checkable=True,
        )
        self._action(
            "truth",
            "True ellipses",
            self._set_truth,
            ("T",),
            "Show the true components of generated data (dashed)",
            checkable=True,
        )
        self._action(
            "log_nll",
            "Log NLL axis",
            self.nll_view.set_log_scale,
            ("L",),
            "Logarithmic y-axis for the NLL curve",
            checkable=True,
        )
        self._action("full_screen", "Full screen", self._set_full_screen, ("F11",), checkable=True)
        self._action(
            "bigger",
            "Bigger",
            self.bigger,
            ("Ctrl++", "Ctrl+="),
            "Bigger fonts, points and lines (for a projector)",
        )
        self._action(
            "smaller", "Smaller", self.smaller, ("Ctrl+-",), "Smaller fonts, points and lines"
        )
        self._action("normal_size", "Normal size", self.normal_size, ("Ctrl+0",))
        self._action(
            "fit_view", "Fit data in view", self._fit_view, ("A",), "Zoom to show all the data"
        )
        self._action(
            "dark_theme",
            "Dark theme",
            self._set_dark_theme,
            (),
            "Light ink on a dark background",
            checkable=True,
        )
        self._action(
            "bound",
            "Lower bound (ELBO)",
            self.nll_view.show_bound,
            ("B",),
            "Show -ELBO beside the NLL: the E-step closes the gap, the M-step lowers both",
            checkable=True,
        )
        self._action(
            "kmeans",
            "k-means beside EM",
            self._set_kmeans,
            ("K",),
            "Show k-means with the same K: its hard partition and nearest-centre regions",
            checkable=True,
        )
        self._action(
            "first",
            "First half-step",
            self._go_first,
            ("Home",),
            "Go to the start of this run on the timeline",
        )
        self._action("last", "Last half-step", self._go_last, ("End",), "Go to the end of this run")
        self._action(
            "clear_point",
            "Clear the inspected point",
            self._clear_point,
            ("Escape",),
        )
        self._action(
            "restarts",
            "Restarts...",
            self.run_restarts,
            ("Ctrl+Shift+R",),
            "Fit from several seeds, show every run's NLL and keep the best (n_init)",
        )
        self._action(
            "model_selection",
            "Model selection...",
            self.show_model_selection,
            ("Ctrl+M",),
            "Fit K = 1..Kmax for each covariance type and compare BIC and AIC",
        )
        self._action(
            "snapshots",
            "Export snapshots...",
            self.export_snapshots,
            ("Ctrl+Shift+S",),
            "Save small views after chosen iterations (0, 1, 2, 5, 20) as one PNG",
        )
        self._action("shortcuts", "Keyboard shortcuts", self.show_shortcuts, ("F1",))
        self._action("about", "About gmmviewer", self.show_about)

    def _connect_em_actions(self) -> None:
        controller = self.controller
        for name, slot in [
            ("e_step", controller.e_step),
            ("m_step", controller.m_step),
            ("step", controller.step),
            ("run", controller.toggle_run),
            ("back", controller.back),
            ("forward", controller.forward),
            ("reset", controller.reset),
        ]:
            self.actions_by_name[name].triggered.connect(slot)

    # ================================================================= layout
    def _create_layout(self) -> None:
        plots = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        plots.setObjectName("plot_splitter")
        plots.addWidget(self.scatter)
        plots.addWidget(self.nll_view)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 1)
        plots.setSizes([560, 210])
        side = QtWidgets.QScrollArea()
        side.setObjectName("side_panel")
        side.setWidgetResizable(True)
        side.setWidget(self.controls)
        side.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        side.setMinimumWidth(260)
        main = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        main.setObjectName("main_splitter")
        main.addWidget(plots)
        main.addWidget(side)
        main.setStretchFactor(0, 1)
        main.setStretchFactor(1, 0)
        main.setSizes([900, 300])
        self.main_splitter = main
        self.plot_splitter = plots
        self.setCentralWidget(main)
        self.resize(1280, 840)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        a = self.actions_by_name
        sections = [
            (
                "&File",
                [
                    "open_csv",
                    "generate",
                    "demo",
                    None,
                    "export_params",
                    "export_plot",
                    "export_nll",
                    "snapshots",
                    None,
                    "quit",
                ],
            ),
            (
                "&EM",
                [
                    "e_step",
                    "m_step",
                    "step",
                    "run",
                    None,
                    "back",
                    "forward",
                    "reset",
                    "reinitialize",
                    None,
                    "first",
                    "last",
                    None,
                    "restarts",
                    "model_selection",
                ],
            ),
            (
                "&View",
                [
                    "contours",
                    "truth",
                    "log_nll",
                    "bound",
                    "kmeans",
                    "clear_point",
                    None,
                    "fit_view",
                    "full_screen",
                    None,
                    "bigger",
                    "smaller",
                    "normal_size",
                    None,
                    "dark_theme",
                ],
            ),
            ("&Help", ["shortcuts", "about"]),
        ]
        self.menus: dict[str, QtWidgets.QMenu] = {}
        for title, names in sections:
            menu = bar.addMenu(title)
            self.menus[title.replace("&", "").lower()] = menu
            for name in names:
                if name is None:
                    menu.addSeparator()
                else:
                    menu.addAction(a[name])

    # ================================================================= data
    def load_dataset(
        self,
        dataset: Dataset,
        n_components: int | None = None,
        init: str | None = None,
        seed: int | None = None,
        covariance_type: str | None = None,
    ) -> bool:
        """Start a new session on ``dataset``; on failure the current session stays.

        Returns
        -------
        bool
            True when the new session is shown.
        """
        panel = self.controls.model_settings()
        current = self.controller.session
        try:
            session = EMSession(
                dataset,
                n_components or (current.n_components if current else 3),
                covariance_type=covariance_type or (current.covariance_type if current else "full"),
                init=init or (current.init if current else "kmeans"),
                seed=panel.seed if seed is None else seed,
                tol=current.tol if current else DEFAULT_TOL,
                max_iter=current.max_iter if current else DEFAULT_MAX_ITER,
                reg_covar=current.reg_covar if current else DEFAULT_REG_COVAR,
            )
        except GMMViewerError as error:
            self.show_error(str(error))
            return False
        self.controller.set_session(session)
        return True

    def load_demo(self) -> bool:
        """The built-in lecture demo: 600 points, K = 3, a fixed reproducible start."""
        dataset = make_preset(DEMO_PRESET, n_samples=DEMO_SAMPLES, seed=DEMO_DATA_SEED)
        return self.load_dataset(
            dataset,
            n_components=3,
            init=DEMO_INIT,
            seed=DEMO_INIT_SEED,
            covariance_type="full",
        )

    def open_csv(self, path: str | None = None) -> bool:
        """File > Open CSV: pick a file, then the import dialog, then a new session."""
        if not path:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(
                self,
                "Open data",
                self._last_directory(),
                "Data files (*.csv *.tsv *.txt *.dat);;All files (*)",
            )
            if not path:
                return False
        self._remember_directory(path)
        try:
            dialog = CsvImportDialog.from_file(path, self)
        except GMMViewerError as error:
            self.show_error(str(error))
            return False
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return False
        return self.load_dataset(dialog.dataset())

    def import_csv(self, dialog: CsvImportDialog) -> bool:
        """Load what an accepted import dialog chose (the path ``open_csv`` takes after exec)."""
        try:
            dataset = dialog.dataset()
        except GMMViewerError as error:
            self.show_error(str(error))
            return False
        return self.load_dataset(dataset)

    def generate_data(self) -> bool:
        """File > Generate data: the synthetic data dialog, then a new session."""
        dialog = GenerateDialog(self)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return False
        dataset = dialog.dataset()
        k = dataset.truth.n_components if dataset.truth is not None else None
        return self.load_dataset(dataset, n_components=k)

    def _on_session_replaced(self) -> None:
        session = self.controller.session
        assert session is not None
        source = session.dataset.source or "data"
        name = source if source.startswith("preset:") else os.path.basename(source)
        self.setWindowTitle(f"gmmviewer - {name}")
        has_truth = session.dataset.truth is not None
        self.actions_by_name["truth"].setEnabled(has_truth)

    # ================================================================ exports
    def export_parameters(self, path: str | None = None) -> bool:
        """Write the current parameters, in the data's own units."""
        session = self.controller.session
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
            self.show_error(str(error))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    def export_plot(self, path: str | None = None) -> bool:
        """Save the scatter plot as PNG or SVG (by the extension)."""
        if not path:
            path = self._save_path("Export plot", "gmm.png", PLOT_FILTERS)
            if not path:
                return False
        try:
            export_plot(self.scatter, path)
        except GMMViewerError as error:
            self.show_error(str(error))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    def export_nll_history(self, path: str | None = None) -> bool:
        """Save every history entry's NLL (and ELBO) as CSV."""
        session = self.controller.session
        if session is None:
            return False
        if not path:
            path = self._save_path("Export NLL history", "nll.csv", "CSV (*.csv)")
            if not path:
                return False
        try:
            write_history_csv(path, session.history)
        except GMMViewerError as error:
            self.show_error(str(error))
            return False
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    def _save_path(self, title: str, default_name: str, filters: str) -> str:
        suggested = str(Path(self._last_directory()) / default_name)
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, title, suggested, filters)
        if path:
            self._remember_directory(path)
        return path

    # ================================================================ errors
    def show_error(self, message: str) -> None:
        """Tell the user what went wrong in one line (a non-blocking message box)."""
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Warning,
            "gmmviewer",
            message,
            QtWidgets.QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("error_box")
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_error_box = box
        box.finished.connect(self._forget_error_box)
        box.open()

    def _forget_error_box(self) -> None:
        self.last_error_box = None

    # ================================================================ view
    def _set_contours(self, visible: bool) -> None:
        self.controller.set_contours_visible(visible)

    def _set_truth(self, visible: bool) -> None:
        self.controller.set_truth_visible(visible)

    def _fit_view(self) -> None:
        self.scatter.fit_view()

    def _set_full_screen(self, full: bool) -> None:
        if full:
            self.showFullScreen()
        else:
            self.showNormal()

    def _set_dark_theme(self, dark: bool) -> None:
        self.theme = Theme.dark() if dark else Theme.light()
        self.apply_style()

    def bigger(self) -> None:
        """Ctrl++: scale fonts, points and lines up (for a projector)."""
        self.set_scale(self.scale * SCALE_STEP)

    def smaller(self) -> None:
        """Ctrl+-: scale fonts, points and lines down."""
        self.set_scale(self.scale / SCALE_STEP)

    def normal_size(self) -> None:
        """Ctrl+0: the normal size."""
        self.set_scale(1.0)

    def set_scale(self, scale: float) -> None:
        """Set the size factor of fonts, points and lines."""
        self.scale = float(np.clip(scale, *SCALE_RANGE))
        self.apply_style()

    def apply_style(self) -> None:
        """Apply the theme and size factor to the widgets and every plot."""
        app = QtWidgets.QApplication.instance()
        if app is not None:
            apply_to_application(self.theme, app)
        font = QtGui.QFont(self.font())
        font.setPointSizeF(self._base_font_size * self.scale)
        self.setFont(font)
        self.scatter.apply_style(self.theme, self.scale)
        self.nll_view.apply_style(self.theme, self.scale)
        self.inspector.apply_style(self.theme, self.scale)
        for button in self.controls.buttons.values():
            button.setMinimumHeight(int(34 * self.scale))
        with QtCore.QSignalBlocker(self.actions_by_name["dark_theme"]):
            self.actions_by_name["dark_theme"].setChecked(self.theme.name == "dark")
        if self.controller.session is not None:
            self.controller._shown_params = None  # ellipse pens depend on the scale
            self.controller.refresh()

    def show_shortcuts(self) -> None:
        """F1: the shortcut sheet."""
        ShortcutSheet(self.actions_by_name, self).open()

    def show_about(self) -> None:
        """Help > About."""
        QtWidgets.QMessageBox.about(
            self,
            "About gmmviewer",
            f"<b>gmmviewer {__version__}</b><br>Watch the EM algorithm fit a Gaussian "
            "mixture model, one half-step at a time.",
        )

    # ================================================================ commands
    def reinitialize_with_new_seed(self) -> None:
        """Re-initialise button: a new seed each press shows how much the start matters."""
        session = self.controller.session
        if session is None:
            return
        seed = (session.seed or 0) + 1
        self.controller.reinitialize(seed=seed)

    # ================================================================ lessons
    def _set_kmeans(self, visible: bool) -> None:
        self.controller.set_kmeans_visible(visible)
        if visible:
            self.controls.show_tab(self.compare)

    def _on_point_clicked(self, index: int) -> None:
        if index >= 0:
            self.controls.show_tab(self.inspector)

    def _clear_point(self) -> None:
        self.controller.inspect_point(-1)

    def _go_first(self) -> None:
        curve = self.nll_view.curve
        if curve is not None:
            self.controller.go_to(int(curve.history_indices[0]))

    def _go_last(self) -> None:
        curve = self.nll_view.curve
        if curve is not None:
            self.controller.go_to(int(curve.history_indices[-1]))

    def run_restarts(self, n_restarts: int | None = None) -> bool:
        """EM > Restarts: ask how many, then fit them in the background."""
        if n_restarts is None:
            value, ok = QtWidgets.QInputDialog.getInt(
                self,
                "Restarts",
                "Number of runs, each from its own seed (the best is kept):",
                10,
                2,
                200,
            )
            if not ok:
                return False
            n_restarts = value
        return self.controller.run_restarts(n_restarts)

    def _on_work_started(self, what: str, total: int) -> None:
        dialog = QtWidgets.QProgressDialog(f"{what}: 0 of {total}", "Cancel", 0, total, self)
        dialog.setObjectName("progress_dialog")
        dialog.setWindowTitle(what)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.controller.cancel_long_work)
        dialog.setWindowModality(QtCore.Qt.WindowModality.NonModal)
        dialog.show()
        self.progress_dialog = dialog

    def _on_work_progressed(self, done: int, text: str) -> None:
        dialog = self.progress_dialog
        if dialog is not None:
            dialog.setValue(done)
            dialog.setLabelText(f"{dialog.windowTitle()}: {done} of {dialog.maximum()} ({text})")

    def _on_work_finished(self, text: str) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None
        self.statusBar().showMessage(text, 15000)

    def show_model_selection(self) -> ModelSelectionDialog | None:
        """EM > Model selection: a non-modal dialog on the current data."""
        session = self.controller.session
        if session is None:
            return None
        if self.model_dialog is not None:
            self.model_dialog.close()
            self.model_dialog.deleteLater()
        dialog = ModelSelectionDialog(session, self)
        dialog.model_chosen.connect(self.controller.use_model)
        dialog.show()
        self.model_dialog = dialog
        return dialog

    def export_snapshots(self, path: str | None = None, iterations: str | None = None) -> bool:
        """File > Export snapshots: small views after chosen iterations, as one PNG."""
        session = self.controller.session
        if session is None or self.snapshot_job.running:
            return False
        if iterations is None:
            text, ok = QtWidgets.QInputDialog.getText(
                self, "Export snapshots", "After these iterations:", text="0, 1, 2, 5, 20"
            )
            if not ok:
                return False
            iterations = text
        try:
            wanted = parse_iterations(iterations)
        except ValueError as error:
            self.show_error(str(error))
            return False
        if not path:
            path = self._save_path("Export snapshots", "snapshots.png", "PNG image (*.png)")
            if not path:
                return False
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            self.show_error(f"cannot write {path}: the folder does not exist")
            return False
        curve = self.nll_view.curve
        start = session.history[int(curve.history_indices[0])].params if curve else session.params
        X, tol, reg_covar = session.X, session.tol, session.reg_covar
        self._snapshot_path = path

        def work(should_stop):
            yield snapshots(X, start, wanted, tol=tol, reg_covar=reg_covar)

        self.snapshot_job.start(work)
        return True

    def _on_snapshots_ready(self, shots: list) -> None:
        session = self.controller.session
        if session is None:
            return
        dims = self.controller.dims
        labels = (session.dataset.columns[dims[0]], session.dataset.columns[dims[1]])
        image = render_strip(session.X, shots, dims, labels, self.scatter.view_range(), self.theme)
        if image.save(self._snapshot_path, "PNG"):
            self.statusBar().showMessage(f"Wrote {self._snapshot_path}", 5000)
        else:
            self.show_error(f"cannot write {self._snapshot_path}")

    # ================================================================ settings
    def _last_directory(self) -> str:
        return str(self.settings.value("files/last_directory", str(Path.home())))

    def _remember_directory(self, path: str) -> None:
        self.settings.setValue("files/last_directory", str(Path(path).resolve().parent))

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QtCore.QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        for name, key, default in [
            ("contours", "view/contours", False),
            ("truth", "view/truth", False),
            ("log_nll", "view/log_nll", False),
            ("bound", "view/bound", False),
        ]:
            self.actions_by_name[name].setChecked(_bool(self.settings.value(key, default)))
        self.controller.set_truth_visible(self.actions_by_name["truth"].isChecked())
        self.controller.set_speed(_float(self.settings.value("run/speed", DEFAULT_SPEED), 4.0))

    def save_settings(self) -> None:
        """Persist geometry, the last directory and view settings."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("view/contours", self.actions_by_name["contours"].isChecked())
        self.settings.setValue("view/truth", self.actions_by_name["truth"].isChecked())
        self.settings.setValue("view/log_nll", self.actions_by_name["log_nll"].isChecked())
        self.settings.setValue("view/bound", self.actions_by_name["bound"].isChecked())
        self.settings.setValue("view/scale", self.scale)
        self.settings.setValue("view/theme", self.theme.name)
        self.settings.setValue("run/speed", self.controller.speed)
        self.settings.sync()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_settings()
        if self.model_dialog is not None:
            self.model_dialog.close()
        self.snapshot_job.cancel()
        self.snapshot_job.wait()
        self.controller.shutdown()
        super().closeEvent(event)


def _bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


def _float(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
