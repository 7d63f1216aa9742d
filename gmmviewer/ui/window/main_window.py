"""The main window: layout, the wiring of actions to slots, style and persisted settings.

The window owns the views, the :class:`~gmmviewer.ui.window.controller.Controller` (session to
views), the :class:`~gmmviewer.ui.window.analysis.AnalysisController` (inspector, comparisons,
restarts, model selection) and :class:`~gmmviewer.ui.window.file_actions.FileActions` (files).
Every button, menu entry and shortcut is one ``QAction`` from :mod:`gmmviewer.ui.window.actions`,
connected in :meth:`MainWindow._connect_actions`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer import __version__
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.em.objective import DEFAULT_MAX_ITER, DEFAULT_REG_COVAR, DEFAULT_TOL
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.ui.dialogs.model_selection_dialog import ModelSelectionDialog
from gmmviewer.ui.dialogs.progress import close_progress, open_progress
from gmmviewer.ui.dialogs.shortcut_sheet import ShortcutSheet
from gmmviewer.ui.panels.column_chooser import ColumnChooser
from gmmviewer.ui.panels.compare_panel import ComparePanel
from gmmviewer.ui.panels.controls import ControlPanel
from gmmviewer.ui.panels.inspector import PointInspector
from gmmviewer.ui.views.histogram_view import HistogramView
from gmmviewer.ui.views.nll_view import NllView
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.views.status_view import StatusView
from gmmviewer.ui.views.theme import Theme, apply_to_application
from gmmviewer.ui.window.actions import build_menus, create_actions
from gmmviewer.ui.window.analysis import AnalysisController
from gmmviewer.ui.window.controller import DEFAULT_SPEED, Controller, Views
from gmmviewer.ui.window.file_actions import FileActions

#: The built-in demo: the classic lecture mixture, fixed seeds, ready for the first Step.
DEMO_PRESET = "lecture"
DEMO_SAMPLES = 600
DEMO_DATA_SEED = 0
DEMO_INIT = "random-means"
DEMO_INIT_SEED = 0

#: Settings of the first session, before there is one to take them from.
NEW_SESSION = {
    "covariance_type": "full",
    "init": "kmeans",
    "seed": 0,
    "tol": DEFAULT_TOL,
    "max_iter": DEFAULT_MAX_ITER,
    "reg_covar": DEFAULT_REG_COVAR,
}

SCALE_STEP = 1.15
SCALE_RANGE = (0.6, 3.0)


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
        self.setWindowTitle("gmmviewer[*]")
        self.last_error_box: QtWidgets.QMessageBox | None = None
        self.model_dialog: ModelSelectionDialog | None = None
        self.progress_dialog: QtWidgets.QProgressDialog | None = None
        self.context_menu: QtWidgets.QMenu | None = None
        self.theme = Theme.named(str(self.settings.value("view/theme", "light")))
        self.scale = _float(self.settings.value("view/scale", 1.0), 1.0)
        self._base_font_size = QtWidgets.QApplication.font().pointSizeF()
        self._saved_state: object | None = None
        self._saved_length = 0

        self.actions_by_name = create_actions(self)
        self.scatter = ScatterView()
        self.histogram = HistogramView()
        self.nll_view = NllView()
        self.column_chooser = ColumnChooser()
        self.controls = ControlPanel(self.actions_by_name)
        self.inspector = PointInspector()
        self.compare = ComparePanel(self.actions_by_name["kmeans"])
        self.controls.add_tab(self.inspector, "Inspect")
        self.controls.add_tab(self.compare, "Compare")
        self.status_view = StatusView(self.statusBar())
        self._create_layout()
        self.menus = build_menus(self.menuBar(), self.actions_by_name)
        self.controller = Controller(
            Views(
                scatter=self.scatter,
                nll=self.nll_view,
                controls=self.controls,
                status=self.status_view,
                actions=self.actions_by_name,
                histogram=self.histogram,
            ),
            report_error=self.show_error,
            parent=self,
        )
        self.analysis = AnalysisController(
            self.controller, self.inspector, self.compare, self.show_error, self
        )
        self.files = FileActions(self)
        self._connect_actions()
        self._restore_settings()
        self.apply_style()

    # ================================================================ wiring
    def _connect_actions(self) -> None:
        """The one place where actions and view signals meet their slots."""
        controller, analysis, files = self.controller, self.analysis, self.files
        triggered = {
            "e_step": controller.e_step,
            "m_step": controller.m_step,
            "step": controller.step,
            "run": controller.toggle_run,
            "back": controller.back,
            "forward": controller.forward,
            "reset": controller.reset,
            "reinitialize": self.reinitialize_with_new_seed,
            "first": self._go_first,
            "last": self._go_last,
            "restarts": self.run_restarts,
            "model_selection": self.show_model_selection,
            "open_csv": files.open_csv,
            "open_session": files.open_session,
            "save_session": files.save_session,
            "save_session_as": files.save_session_as,
            "generate": files.generate_data,
            "demo": self.load_demo,
            "export_params": files.export_parameters,
            "export_plot": files.export_plot,
            "export_nll": files.export_nll_history,
            "snapshots": files.export_snapshots,
            "animation": files.export_animation,
            "quit": self.close,
            "clear_point": self._clear_point,
            "fit_view": self._fit_view,
            "bigger": self.bigger,
            "smaller": self.smaller,
            "normal_size": self.normal_size,
            "shortcuts": self.show_shortcuts,
            "about": self.show_about,
        }
        toggled = {
            "contours": controller.set_contours_visible,
            "truth": controller.set_truth_visible,
            "log_nll": self.nll_view.set_log_scale,
            "bound": self.nll_view.show_bound,
            "kmeans": self._set_kmeans,
            "full_screen": self._set_full_screen,
            "equal_aspect": self.scatter.set_equal_aspect,
            "dark_theme": self._set_dark_theme,
        }
        for name, slot in triggered.items():
            # Actions pass "checked" to their slots; the file dialogs must not read it as a path.
            self.actions_by_name[name].triggered.connect(_without_arguments(slot))
        for name, slot in toggled.items():
            self.actions_by_name[name].toggled.connect(slot)
        controller.session_replaced.connect(self._on_session_replaced)
        controller.refreshed.connect(self._update_modified)
        controller.dims_changed.connect(self._on_dims_changed)
        analysis.work_started.connect(self._on_work_started)
        analysis.work_progressed.connect(self._on_work_progressed)
        analysis.work_finished.connect(self._on_work_finished)
        controller.point_clicked.connect(self._on_point_clicked)
        self.column_chooser.dims_chosen.connect(controller.set_dims)
        for plot in (self.scatter, self.histogram):
            plot.context_requested.connect(self._on_context_requested)

    # ================================================================= layout
    def _create_layout(self) -> None:
        self.plot_stack = QtWidgets.QStackedWidget()
        self.plot_stack.addWidget(self.scatter)
        self.plot_stack.addWidget(self.histogram)
        plot_area = QtWidgets.QWidget()
        plot_layout = QtWidgets.QVBoxLayout(plot_area)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.setSpacing(0)
        plot_layout.addWidget(self.column_chooser)
        plot_layout.addWidget(self.plot_stack, 1)
        self.column_chooser.setVisible(False)
        plots = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        plots.setObjectName("plot_splitter")
        plots.addWidget(plot_area)
        plots.addWidget(self.nll_view)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 1)
        plots.setSizes([560, 210])
        side = QtWidgets.QScrollArea()
        side.setObjectName("side_panel")
        side.setWidgetResizable(True)
        side.setWidget(self.controls)
        side.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        side.setMinimumWidth(280)
        main = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        main.setObjectName("main_splitter")
        main.addWidget(plots)
        main.addWidget(side)
        main.setStretchFactor(0, 1)
        main.setStretchFactor(1, 0)
        main.setSizes([900, 320])
        self.setCentralWidget(main)
        self.resize(1280, 840)

    # =================================================================== data
    def load_dataset(
        self,
        dataset: Dataset,
        n_components: int | None = None,
        init: str | None = None,
        seed: int | None = None,
        covariance_type: str | None = None,
    ) -> bool:
        """Start a new session on ``dataset``; on failure the current session stays.

        Unset choices keep the current session's (K, covariance type, initialisation,
        seed, stopping rule).
        """
        current = self.controller.session
        settings = current.fit_settings() if current is not None else dict(NEW_SESSION)
        chosen = {"covariance_type": covariance_type, "init": init, "seed": seed}
        settings.update({key: value for key, value in chosen.items() if value is not None})
        k = n_components or (current.n_components if current is not None else 3)
        try:
            session = EMSession(dataset, k, **settings)
        except GMMViewerError as error:
            self.show_error(str(error))
            return False
        self.show_session(session)
        self.files.session_path = ""
        return True

    def show_session(self, session: EMSession, view: dict[str, Any] | None = None) -> None:
        """Show a session (new or opened), with the view settings saved with it."""
        view = view or {}
        dims = tuple(int(d) for d in view.get("dims", ())) or None
        self.controller.set_session(session, dims)
        if "theme" in view:
            self.theme = Theme.named(str(view["theme"]))
            self.apply_style()
        self.mark_saved()

    def load_demo(self) -> bool:
        """The built-in lecture demo: 600 points, K = 3, a fixed reproducible start."""
        dataset = make_preset(DEMO_PRESET, n_samples=DEMO_SAMPLES, seed=DEMO_DATA_SEED)
        return self.load_dataset(
            dataset, n_components=3, init=DEMO_INIT, seed=DEMO_INIT_SEED, covariance_type="full"
        )

    def _on_session_replaced(self) -> None:
        session = self.controller.session
        assert session is not None
        self.plot_stack.setCurrentWidget(self.controller.plot)
        self.column_chooser.show_columns(session.dataset.columns, self.controller.dims)
        self.actions_by_name["truth"].setEnabled(session.dataset.truth is not None)
        two_columns = len(self.controller.dims) == 2
        self.actions_by_name["contours"].setEnabled(two_columns)
        self.actions_by_name["snapshots"].setEnabled(two_columns)
        self.actions_by_name["equal_aspect"].setEnabled(two_columns)
        self._choose_aspect()
        self._update_title()

    def _choose_aspect(self) -> None:
        """Equal axis scales unless the shown columns' ranges are far apart (then say so)."""
        if len(self.controller.dims) != 2:
            return
        comparable = self.scatter.ranges_comparable()
        action = self.actions_by_name["equal_aspect"]
        if action.isChecked() != comparable:
            action.setChecked(comparable)
        if not comparable:
            self.statusBar().showMessage(
                "The columns' ranges differ a lot, so the axes have their own scales "
                "(View > Equal axis scales)",
                10000,
            )

    def _on_dims_changed(self) -> None:
        session = self.controller.session
        if session is not None:
            self.column_chooser.show_columns(session.dataset.columns, self.controller.dims)
            self._choose_aspect()
            self.analysis.refresh()

    # ================================================================ title
    def mark_saved(self) -> None:
        """The session on screen is what was last saved or opened."""
        session = self.controller.session
        self._saved_state = session.state if session is not None else None
        self._saved_length = len(session.history) if session is not None else 0
        self._update_modified()

    @property
    def modified(self) -> bool:
        """True when the session changed since it was opened, created or saved."""
        session = self.controller.session
        if session is None:
            return False
        return session.state is not self._saved_state or len(session.history) != self._saved_length

    def _update_modified(self) -> None:
        self.setWindowModified(self.modified)
        self._update_title()

    def _update_title(self) -> None:
        session = self.controller.session
        if session is None:
            return
        if self.files.session_path:
            name = QtCore.QFileInfo(self.files.session_path).fileName()
        else:
            source = session.dataset.source or "data"
            name = source if source.startswith("preset:") else QtCore.QFileInfo(source).fileName()
        self.setWindowTitle(f"gmmviewer - {name}[*]")

    def view_settings(self) -> dict[str, Any]:
        """What a saved session remembers of the view."""
        return {"dims": list(self.controller.dims), "theme": self.theme.name}

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

    # ========================================================== plot editing
    def _on_context_requested(
        self, x: float, y: float, component: int, where: QtCore.QPoint
    ) -> None:
        menu = self.build_context_menu(x, y, component)
        if menu is not None:
            menu.popup(where)

    def build_context_menu(self, x: float, y: float, component: int) -> QtWidgets.QMenu | None:
        """The right-click menu at data (x, y), on component ``component`` (-1: none)."""
        session = self.controller.session
        if session is None or not self.controller.idle:
            return None
        menu = QtWidgets.QMenu(self)
        menu.setObjectName("plot_context_menu")
        if component >= 0:
            remove = menu.addAction(f"Remove component {component + 1}")
            remove.setObjectName("remove_component")
            remove.setEnabled(session.n_components > 1)
            remove.setData(component)
            remove.triggered.connect(self._remove_from_menu)
        add = menu.addAction("Add component here")
        add.setObjectName("add_component")
        add.setData((x, y))
        add.setEnabled(session.n_components < session.n_samples)
        add.triggered.connect(self._add_from_menu)
        self.context_menu = menu
        return menu

    def _remove_from_menu(self) -> None:
        action = self.sender()
        self.controller.remove_component(int(action.data()))

    def _add_from_menu(self) -> None:
        x, y = self.sender().data()
        self.controller.add_component_at(float(x), float(y))

    # ================================================================ view
    def _fit_view(self) -> None:
        self.controller.plot.fit_view()

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
        """Apply the theme and size factor to the widgets and every plot together."""
        app = QtWidgets.QApplication.instance()
        if app is not None:
            # The window takes the palette at once; the application's reaches dialogs.
            self.setPalette(apply_to_application(self.theme, app))
        font = QtGui.QFont(self.font())
        font.setPointSizeF(self._base_font_size * self.scale)
        self.setFont(font)
        for view in (self.scatter, self.histogram, self.nll_view, self.inspector):
            view.apply_style(self.theme, self.scale)
        for button in self.controls.buttons.values():
            button.setMinimumHeight(int(34 * self.scale))
        with QtCore.QSignalBlocker(self.actions_by_name["dark_theme"]):
            self.actions_by_name["dark_theme"].setChecked(self.theme.name == "dark")
        self.controller.redraw()

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

    # =============================================================== lessons
    def reinitialize_with_new_seed(self) -> None:
        """Re-initialise button: a new seed each press shows how much the start matters."""
        session = self.controller.session
        if session is not None:
            self.controller.reinitialize(seed=(session.seed or 0) + 1)

    def _set_kmeans(self, visible: bool) -> None:
        self.analysis.set_kmeans_visible(visible)
        if visible:
            self.controls.show_tab(self.compare)

    def _on_point_clicked(self, index: int) -> None:
        if index >= 0:
            self.controls.show_tab(self.inspector)

    def _clear_point(self) -> None:
        self.analysis.inspect_point(-1)

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
        return self.analysis.run_restarts(n_restarts)

    def _on_work_started(self, what: str, total: int) -> None:
        self.progress_dialog = open_progress(
            self, what, f"{what}: 0 of {total}", total, self.analysis.cancel_long_work
        )

    def _on_work_progressed(self, done: int, text: str) -> None:
        dialog = self.progress_dialog
        if dialog is not None:
            dialog.setValue(done)
            dialog.setLabelText(f"{dialog.windowTitle()}: {done} of {dialog.maximum()} ({text})")

    def _on_work_finished(self, text: str) -> None:
        close_progress(self.progress_dialog)
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
        dialog.model_chosen.connect(self.analysis.use_model)
        dialog.show()
        self.model_dialog = dialog
        return dialog

    # ================================================================ settings
    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QtCore.QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        self.actions_by_name["equal_aspect"].setChecked(True)
        for name, key, default in [
            ("contours", "view/contours", False),
            ("truth", "view/truth", False),
            ("log_nll", "view/log_nll", False),
            ("bound", "view/bound", False),
            ("embed_data", "files/embed_data", True),
        ]:
            self.actions_by_name[name].setChecked(_bool(self.settings.value(key, default)))
        # Unchanged check states emit nothing, so the controller is told explicitly.
        self.controller.set_truth_visible(self.actions_by_name["truth"].isChecked())
        self.controller.set_contours_visible(self.actions_by_name["contours"].isChecked())
        self.controller.set_speed(_float(self.settings.value("run/speed", DEFAULT_SPEED), 4.0))

    def save_settings(self) -> None:
        """Persist geometry, the last directory and view settings."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        for name, key in [
            ("contours", "view/contours"),
            ("truth", "view/truth"),
            ("log_nll", "view/log_nll"),
            ("bound", "view/bound"),
            ("embed_data", "files/embed_data"),
        ]:
            self.settings.setValue(key, self.actions_by_name[name].isChecked())
        self.settings.setValue("view/scale", self.scale)
        self.settings.setValue("view/theme", self.theme.name)
        self.settings.setValue("run/speed", self.controller.speed)
        self.settings.sync()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_settings()
        if self.model_dialog is not None:
            self.model_dialog.close()
        self.files.shutdown()
        self.analysis.shutdown()
        self.controller.shutdown()
        super().closeEvent(event)


def _without_arguments(slot):  # noqa: ANN001, ANN202 - wraps any zero-argument slot
    """``slot()`` for a signal that passes arguments (QAction.triggered passes ``checked``)."""

    def call(*_: object) -> None:
        slot()

    return call


def _bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


def _float(value: object, default: float) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
