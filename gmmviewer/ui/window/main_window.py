"""The main window: layout, and the wiring of actions to the controller.

Behaviour lives elsewhere: the :class:`~gmmviewer.ui.window.controller.Controller` owns
the session (stepping, running, editing, navigation, loading, unsaved changes);
:class:`~gmmviewer.ui.window.teaching.TeachingTools` the inspector, comparisons, restarts
and model selection; :class:`~gmmviewer.ui.window.file_actions.FileActions` the files.
What the window shows is a :class:`~gmmviewer.ui.window.view_state.ViewState`, loaded from
and saved to QSettings. Every button, menu entry and shortcut is one ``QAction`` from
:mod:`gmmviewer.ui.window.actions`, connected in :meth:`MainWindow._connect_actions`.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.ui.panels.bound_slice_panel import BoundSlicePanel
from gmmviewer.ui.panels.column_chooser import ColumnChooser
from gmmviewer.ui.panels.compare_panel import ComparePanel
from gmmviewer.ui.panels.controls import ControlPanel
from gmmviewer.ui.panels.inspector import PointInspector
from gmmviewer.ui.panels.paint_toolbar import PaintToolbar, edit_data_button
from gmmviewer.ui.panels.predict_panel import PredictPanel
from gmmviewer.ui.teaching.landscape_overlay import LandscapeOverlay
from gmmviewer.ui.teaching.mode_notes import ModeNotes
from gmmviewer.ui.teaching.predict_mode import PredictMode
from gmmviewer.ui.teaching.responsibility_views import ResponsibilityViews
from gmmviewer.ui.views.histogram_view import HistogramView
from gmmviewer.ui.views.nll_view import NllView
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.views.status_view import StatusView
from gmmviewer.ui.views.theme import Theme, apply_to_application, scale_application_font
from gmmviewer.ui.views.weights_view import WeightsView
from gmmviewer.ui.window.actions import CommittedBoxKeys, build_menus, create_actions
from gmmviewer.ui.window.context_menu import build_context_menu
from gmmviewer.ui.window.controller import Controller
from gmmviewer.ui.window.file_actions import FileActions
from gmmviewer.ui.window.replay_export import ReplayExport
from gmmviewer.ui.window.reporter import WindowReporter
from gmmviewer.ui.window.session_drawing import Views
from gmmviewer.ui.window.teaching import TeachingTools
from gmmviewer.ui.window.unsaved import UnsavedChangesPrompt
from gmmviewer.ui.window.view_state import ViewState
from gmmviewer.version import __version__

SCALE_STEP = 1.15

#: The first window's size on a screen with room for it; a smaller screen is filled.
PREFERRED_SIZE = QtCore.QSize(1280, 840)
#: What a window manager's frame may add around the window before the real frame is known.
FRAME_ESTIMATE = QtCore.QMargins(8, 40, 8, 8)
#: Height of the NLL view in lines of its tick labels: about seven labelled ticks on the
#: NLL axis, plus the readout above and the iteration axis below.
NLL_VIEW_LINES = 13

#: Check-box actions that mirror a boolean of the view state.
TOGGLES = {
    "contours": "contours",
    "truth": "truth",
    "log_nll": "log_nll",
    "bound": "bound",
    "kmeans": "kmeans",
    "membership": "membership",
    "uncertainty": "uncertainty",
    "landscape": "landscape",
    "equal_aspect": "equal_aspect",
    "embed_data": "embed_data",
}


class MainWindow(QtWidgets.QMainWindow):
    """The gmmviewer window.

    Parameters
    ----------
    settings : QSettings, optional
        Where geometry, the last folder and the view state persist (tests pass a
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
        self.view_state = ViewState()
        self.view_state.load(self.settings)

        self.actions_by_name = create_actions(self)
        self.scatter = ScatterView()
        self.nll_view = NllView()
        # Beside the NLL view, shown for variational fits only.
        self.weights_view = WeightsView()
        self.weights_view.setVisible(False)
        self.column_chooser = ColumnChooser()
        self.paint_toolbar = PaintToolbar(
            self.actions_by_name["edit_data"], self.actions_by_name["clear_data"]
        )
        self.controls = ControlPanel(self.actions_by_name)
        self.inspector = PointInspector()
        self.compare = ComparePanel(self.actions_by_name["kmeans"])
        self.controls.add_tab(self.inspector, "Inspect")
        self.controls.add_tab(self.compare, "Compare")
        self.predict_panel = PredictPanel(
            self.actions_by_name["predict"], self.actions_by_name["reveal"]
        )
        self.controls.add_tab(self.predict_panel, "Predict")
        self.status_view = StatusView(self.statusBar())
        self._create_layout()
        self.menus = build_menus(self.menuBar(), self.actions_by_name)
        self.edit_data_button = edit_data_button(self.actions_by_name["edit_data"])
        self.menuBar().setCornerWidget(self.edit_data_button)
        self.reporter = WindowReporter(self, self.status_view)
        self.controller = Controller(
            Views(
                scatter=self.scatter,
                make_histogram=self._make_histogram,
                nll=self.nll_view,
                weights=self.weights_view,
                controls=self.controls,
                status=self.status_view,
                actions=self.actions_by_name,
            ),
            self.view_state,
            self.reporter,
            parent=self,
        )
        self.teaching = TeachingTools(
            self.controller, self.inspector, self.compare, self.nll_view, self.reporter, self
        )
        # The Bound tab (shown with the lower bound) and the membership lines.
        self.bound_slice = BoundSlicePanel()
        self.responsibility_views = ResponsibilityViews(
            self.controller, self.scatter, self.bound_slice, self.controls
        )
        self.files = FileActions(self.controller, self.reporter, self.settings, self)
        self.replay_export = ReplayExport(self.controller, self.reporter, self.settings, self)
        self.unsaved_prompt = UnsavedChangesPrompt(
            self.files.save_session, self.controller.document_name, self
        )
        self.controller.confirm_discard = self.unsaved_prompt
        self._connect_actions()
        # Wires its own two actions; made after _connect_actions so that its handler of a
        # clicked point runs after the window's and the Predict tab stays in front.
        self.predict_mode = PredictMode(
            self.controller,
            self.predict_panel,
            self.scatter,
            self.controls,
            self.actions_by_name,
            self,
        )
        # View > Likelihood landscape (keys 1-9 choose the mean while it is on).
        self.landscape = LandscapeOverlay(
            self.controller,
            self.scatter,
            self.plot_row,
            self.view_state,
            self,
        )
        # What the status bar says as each teaching mode is switched on or off.
        self.mode_notes = ModeNotes(self.controller, self.actions_by_name["predict"], self)
        # Letters, Space and undo/redo reach the actions from a spin box once it has committed.
        self.box_keys = CommittedBoxKeys(self)
        self.box_keys.watch(
            self.findChildren(QtWidgets.QAbstractSpinBox)
            + [box for box in self.findChildren(QtWidgets.QComboBox) if box.isEditable()]
        )
        self._placed: QtCore.QRect | None = None
        self._fill_screen = False
        self._restore_geometry()
        self._show_view_state()
        self.controller.push_view_state()
        self.apply_style()

    @property
    def histogram(self) -> HistogramView:
        """The one-column plot (made when first asked for: see ``Views``)."""
        return self.controller.views.histogram

    def _make_histogram(self) -> HistogramView:
        """A new histogram view in the plot stack, in the window's style."""
        histogram = HistogramView()
        self.plot_stack.addWidget(histogram)
        histogram.apply_style(self.theme, self.view_state.scale)
        return histogram

    # ================================================================ wiring
    def _connect_actions(self) -> None:
        """The one place where actions and view signals meet their slots."""
        controller, teaching, files = self.controller, self.teaching, self.files
        triggered = {
            "e_step": controller.e_step,
            "m_step": controller.m_step,
            "step": controller.step,
            "run": controller.toggle_run,
            "back": controller.back,
            "forward": controller.forward,
            "reset": controller.reset,
            "reinitialize": controller.reinitialize_with_new_seed,
            "first": controller.go_first,
            "last": controller.go_last,
            "restarts": teaching.run_restarts,
            "model_selection": teaching.show_model_selection,
            "open_csv": files.open_csv,
            "open_session": files.open_session,
            "save_session": files.save_session,
            "save_session_as": files.save_session_as,
            "generate": files.generate_data,
            "demo": controller.load_demo,
            "export_params": files.export_parameters,
            "export_assignments": files.export_assignments,
            "export_plot": files.export_plot,
            "export_nll": files.export_nll_history,
            "export_data": files.export_data,
            "clear_data": controller.painter.clear_data,
            "snapshots": files.export_snapshots,
            "animation": files.export_animation,
            "export_replay": self.replay_export.export_replay_page,
            "quit": self.close,
            "clear_point": self._clear_point,
            "fit_view": self._fit_view,
            "bigger": self.bigger,
            "smaller": self.smaller,
            "normal_size": self.normal_size,
            "shortcuts": self.show_shortcuts,
            "about": self.show_about,
        }
        for name, slot in triggered.items():
            # Actions pass "checked" to their slots; the file dialogs must not read it as a path.
            self.actions_by_name[name].triggered.connect(_without_arguments(slot))
        for name in TOGGLES:
            self.actions_by_name[name].toggled.connect(self._on_toggle)
        self.actions_by_name["full_screen"].toggled.connect(self._set_full_screen)
        self.actions_by_name["dark_theme"].toggled.connect(self._set_dark_theme)
        self.actions_by_name["edit_data"].toggled.connect(controller.painter.set_active)
        self.paint_toolbar.brush_changed.connect(controller.painter.set_brush)
        # triggered, not toggled: only a person's click asks for a new session.
        self.actions_by_name["fast_float32"].triggered.connect(controller.set_fast_arithmetic)
        controller.session_replaced.connect(self._on_session_replaced)
        controller.modified_changed.connect(self._update_title)
        self.view_state.changed.connect(self._on_view_state_changed)
        self.column_chooser.dims_chosen.connect(self._choose_dims)
        self.controller.views.for_each_plot(
            lambda plot: plot.context_requested.connect(self._on_context_requested)
        )

    def _on_toggle(self, checked: bool) -> None:
        names = {action: name for name, action in self.actions_by_name.items()}
        name = names.get(self.sender())
        if name in TOGGLES:
            self.view_state.update(**{TOGGLES[name]: checked})

    def _on_view_state_changed(self, name: str) -> None:
        self._show_view_state()
        if name in ("theme", "scale"):
            self.apply_style()
        elif name == "inspected" and self.view_state.inspected is not None:
            self.controls.show_tab(self.inspector)
        elif name == "kmeans" and self.view_state.kmeans:
            self.controls.show_tab(self.compare)
        elif name == "dims":
            session = self.controller.session
            if session is not None:
                self.column_chooser.show_columns(session.dataset.columns, self.view_state.dims)
                self.plot_stack.setCurrentWidget(self.controller.plot)
                self._choose_aspect()

    def _show_view_state(self) -> None:
        """Check the actions as the view state says, without reporting it back."""
        state = self.view_state
        values = {name: getattr(state, field) for name, field in TOGGLES.items()}
        values["dark_theme"] = state.theme == "dark"
        for name, value in values.items():
            action = self.actions_by_name[name]
            if action.isChecked() != value:
                with QtCore.QSignalBlocker(action):
                    action.setChecked(value)

    def _choose_dims(self, dims: tuple[int, ...]) -> None:
        session = self.controller.session
        if session is None or not all(0 <= d < session.n_features for d in dims):
            return
        if len(set(dims)) == len(dims):
            self.view_state.update(dims=dims)

    # ================================================================= layout
    def _create_layout(self) -> None:
        self.plot_stack = QtWidgets.QStackedWidget()
        self.plot_stack.addWidget(self.scatter)
        plot_area = QtWidgets.QWidget()
        plot_layout = QtWidgets.QVBoxLayout(plot_area)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.setSpacing(0)
        plot_layout.addWidget(self.column_chooser)
        plot_layout.addWidget(self.paint_toolbar)
        # The plots, and beside them the (mean 1, mean 2) landscape of one-column data.
        self.plot_row = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.plot_row.setObjectName("plot_row")
        self.plot_row.addWidget(self.plot_stack)
        self.plot_row.setCollapsible(0, False)
        plot_layout.addWidget(self.plot_row, 1)
        self.column_chooser.setVisible(False)
        plots = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        plots.setObjectName("plot_splitter")
        plots.addWidget(plot_area)
        curves = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        curves.setObjectName("curves_splitter")
        curves.addWidget(self.nll_view)
        curves.addWidget(self.weights_view)
        curves.setStretchFactor(0, 3)
        curves.setStretchFactor(1, 1)
        curves.setCollapsible(0, False)
        plots.addWidget(curves)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 1)
        plots.setSizes([560, 210])
        # The NLL view keeps room for its ticks (apply_style sets its minimum height).
        plots.setCollapsible(1, False)
        # The side panel scrolls up and down, never sideways: it is as wide as its widest
        # control needs (see _fit_side_panel), and the plots give way.
        self.side_panel = QtWidgets.QScrollArea()
        self.side_panel.setObjectName("side_panel")
        self.side_panel.setWidgetResizable(True)
        self.side_panel.setWidget(self.controls)
        self.side_panel.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.controls.installEventFilter(self)
        main = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        main.setObjectName("main_splitter")
        main.addWidget(plots)
        main.addWidget(self.side_panel)
        main.setStretchFactor(0, 1)
        main.setStretchFactor(1, 0)
        main.setCollapsible(1, False)
        main.setSizes([900, 320])
        self.setCentralWidget(main)
        self._fit_side_panel()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if watched is self.controls and event.type() == QtCore.QEvent.Type.LayoutRequest:
            self._fit_side_panel()
        return super().eventFilter(watched, event)

    def _fit_side_panel(self) -> None:
        """Make the side panel as wide as its controls need (at most half the screen)."""
        side = self.side_panel
        needed = (
            self.controls.minimumSizeHint().width()
            + side.verticalScrollBar().sizeHint().width()
            + 2 * side.frameWidth()
        )
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        if screen is not None:
            needed = min(needed, screen.availableGeometry().width() // 2)
        if side.minimumWidth() != needed:
            side.setMinimumWidth(needed)

    # ================================================================ session
    def _on_session_replaced(self) -> None:
        session = self.controller.session
        assert session is not None
        self.plot_stack.setCurrentWidget(self.controller.plot)
        self.column_chooser.show_columns(session.dataset.columns, self.view_state.dims)
        self.actions_by_name["truth"].setEnabled(session.dataset.truth is not None)
        two_columns = len(self.view_state.dims) == 2
        self.actions_by_name["snapshots"].setEnabled(two_columns)
        self.actions_by_name["equal_aspect"].setEnabled(two_columns)
        self._choose_aspect()
        self._update_title()

    def _choose_aspect(self) -> None:
        """Equal axis scales unless the shown columns' ranges are far apart (then say so)."""
        if len(self.view_state.dims) != 2:
            return
        comparable = self.scatter.ranges_comparable()
        self.view_state.update(equal_aspect=comparable)
        if not comparable:
            self.reporter.status(
                "The columns' ranges differ a lot, so the axes have their own scales "
                "(View > Equal axis scales)",
                10000,
            )

    def _update_title(self, *_: object) -> None:
        self.setWindowModified(self.controller.modified)
        name = self.controller.document_name()
        self.setWindowTitle(f"{name}[*] — gmmviewer" if name else "gmmviewer[*]")

    @property
    def last_error_box(self) -> QtWidgets.QMessageBox | None:
        """The error message box on screen, if any."""
        return self.reporter.last_error_box

    # ========================================================== plot editing
    def _on_context_requested(
        self, x: float, y: float, component: int, where: QtCore.QPoint
    ) -> None:
        menu = self.build_context_menu(x, y, component)
        if menu is not None:
            menu.popup(where)

    def build_context_menu(self, x: float, y: float, component: int) -> QtWidgets.QMenu | None:
        """The right-click menu at data (x, y), on component ``component`` (-1: none)."""
        self.context_menu = build_context_menu(self.controller, self, x, y, component)
        return self.context_menu

    # ================================================================ view
    def _clear_point(self) -> None:
        self.view_state.update(inspected=None)

    def _fit_view(self) -> None:
        self.controller.plot.fit_view()
        self.nll_view.fit_view()

    def _set_full_screen(self, full: bool) -> None:
        if full:
            self.showFullScreen()
        else:
            self.showNormal()

    def _set_dark_theme(self, dark: bool) -> None:
        self.view_state.update(theme="dark" if dark else "light")

    def bigger(self) -> None:
        """Ctrl++: scale fonts, points and lines up (for a projector)."""
        self.view_state.update(scale=self.view_state.scale * SCALE_STEP)

    def smaller(self) -> None:
        """Ctrl+-: scale fonts, points and lines down."""
        self.view_state.update(scale=self.view_state.scale / SCALE_STEP)

    def normal_size(self) -> None:
        """Ctrl+0: the normal size."""
        self.view_state.update(scale=1.0)

    @property
    def theme(self) -> Theme:
        """The theme in use."""
        return Theme.named(self.view_state.theme)

    def apply_style(self) -> None:
        """Apply the theme and size factor to the widgets and every plot together."""
        theme, scale = self.theme, self.view_state.scale
        app = QtWidgets.QApplication.instance()
        if app is not None:
            # The window takes the palette at once; the application's reaches dialogs.
            self.setPalette(apply_to_application(theme, app))
            # Menus, tool tips and dialogs are windows of their own: they grow with the
            # application's font; the window takes it at once.
            self.setFont(scale_application_font(app, scale))
        for view in (
            *self.controller.views.plots(),
            self.nll_view,
            self.weights_view,
            self.inspector,
        ):
            view.apply_style(theme, scale)
        self.controls.apply_scale(scale)
        self.responsibility_views.apply_style(theme, scale)
        self.landscape.apply_style(theme, scale)
        tick_font = self.nll_view.plot_item.getAxis("left").style.get("tickFont")
        lines = QtGui.QFontMetrics(tick_font or self.font()).height()
        self.nll_view.setMinimumHeight(NLL_VIEW_LINES * lines)
        self._fit_side_panel()
        self.controller.redraw()

    def show_shortcuts(self) -> None:
        """F1: the shortcut sheet."""
        # Imported when first asked for: the first paint need not wait for any dialog.
        from gmmviewer.ui.dialogs.shortcut_sheet import ShortcutSheet

        ShortcutSheet(self.actions_by_name, self).open()

    def show_about(self) -> None:
        """Help > About."""
        QtWidgets.QMessageBox.about(
            self,
            "About gmmviewer",
            f"<b>gmmviewer {__version__}</b><br>Watch the EM algorithm fit a Gaussian "
            "mixture model, one half-step at a time.",
        )

    # ================================================================ settings
    def _restore_geometry(self) -> None:
        """The saved geometry clamped onto the screen; else a size that fits the screen."""
        geometry = self.settings.value("window/geometry")
        restored = (
            isinstance(geometry, QtCore.QByteArray)
            and not geometry.isEmpty()
            and self.restoreGeometry(geometry)
        )
        if restored and (self.isMaximized() or self.isFullScreen()):
            return
        available = self._available_geometry()
        room = available.marginsRemoved(FRAME_ESTIMATE).size()
        # A screen smaller than the preferred size (a projector at 1280x720) is filled.
        self._fill_screen = not restored and room.expandedTo(PREFERRED_SIZE) != room
        if restored:
            frame = _clamped(self.geometry().marginsAdded(FRAME_ESTIMATE), available)
        elif self._fill_screen:
            frame = available
        else:
            frame = QtCore.QRect(QtCore.QPoint(0, 0), PREFERRED_SIZE.grownBy(FRAME_ESTIMATE))
            frame.moveCenter(available.center())
        self.setGeometry(frame.marginsRemoved(FRAME_ESTIMATE))
        self._placed = self.geometry()

    def _available_geometry(self) -> QtCore.QRect:
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        return screen.availableGeometry()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._placed is not None and self._placed == self.geometry():
            self._fit_frame_onto_screen()
        self._placed = None

    def _fit_frame_onto_screen(self) -> None:
        """Redo the first placement, made with an estimate of the frame, with the real one."""
        frame, inside = self.frameGeometry(), self.geometry()
        margins = QtCore.QMargins(
            inside.left() - frame.left(),
            inside.top() - frame.top(),
            frame.right() - inside.right(),
            frame.bottom() - inside.bottom(),
        )
        available = self._available_geometry()
        wanted = available if self._fill_screen else _clamped(frame, available)
        self.setGeometry(wanted.marginsRemoved(margins))
        if self._fill_screen and margins.isNull():
            # A window manager frames a window only once it is mapped, so no frame may be
            # known yet: ask it to maximise. Without one the geometry above fills the screen.
            self.setWindowState(self.windowState() | QtCore.Qt.WindowState.WindowMaximized)

    def save_settings(self) -> None:
        """Persist geometry and the view state."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.view_state.save(self.settings)
        self.settings.sync()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.controller.may_replace_session():
            event.ignore()  # Cancel: the window and its session stay
            return
        self.save_settings()
        self.files.shutdown()
        self.teaching.shutdown()
        self.landscape.shutdown()
        self.controller.shutdown()
        super().closeEvent(event)


def _without_arguments(slot):  # noqa: ANN001, ANN202 - wraps any zero-argument slot
    """``slot()`` for a signal that passes arguments (QAction.triggered passes ``checked``)."""

    def call(*_: object) -> None:
        slot()

    return call


def _clamped(frame: QtCore.QRect, available: QtCore.QRect) -> QtCore.QRect:
    """``frame`` made no larger than ``available`` and moved inside it."""
    rect = QtCore.QRect(frame.topLeft(), frame.size().boundedTo(available.size()))
    rect.moveLeft(min(max(rect.left(), available.left()), available.right() + 1 - rect.width()))
    rect.moveTop(min(max(rect.top(), available.top()), available.bottom() + 1 - rect.height()))
    return rect
