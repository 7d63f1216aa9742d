"""The control panel: step buttons and the model and run settings.

A view: buttons are bound to the window's actions (so a button, its menu entry and its
shortcut are one thing), and settings changes are reported as signals; the controller
pushes the session's settings back with signals blocked.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.em.initialization import INIT_METHODS
from gmmviewer.ui.panels.method_group import MethodGroup
from gmmviewer.ui.panels.number_box import NumberSpinBox

INIT_DESCRIPTIONS = {
    "kmeans": "Responsibilities from a k-means partition (scikit-learn's default)",
    "k-means++": "Each component starts on a k-means++ seed point, with a tiny covariance",
    "random": "Uniform random responsibilities: components start almost identical",
    "random-from-data": "Each component starts on a random data point, with a tiny covariance",
    "random-means": "Means at random data points, every covariance the data's covariance",
}

COVARIANCE_DESCRIPTIONS = {
    "full": "Each component has its own covariance matrix (any ellipse)",
    "diag": "Each component has its own axis-aligned ellipse",
    "spherical": "Each component has its own circle",
    "tied": "All components share one covariance matrix",
}


@dataclass(frozen=True)
class ModelSettings:
    """The settings that need a new initialisation when they change."""

    n_components: int
    covariance_type: str
    init: str
    seed: int


class ActionButton(QtWidgets.QToolButton):
    """A large button showing one QAction (text, tooltip with shortcut, enabled state)."""

    def __init__(self, action: QtGui.QAction, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDefaultAction(action)
        self.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed
        )
        self.setMinimumHeight(34)
        # Space and the arrow keys belong to the stepping shortcuts, not to a focused button.
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)


class ControlPanel(QtWidgets.QWidget):
    """Step buttons, model settings, stopping rule and run speed.

    Signals
    -------
    model_changed(ModelSettings)
        K, covariance type, initialisation or seed changed (needs a new start).
    tolerance_changed(float), max_iter_changed(int), speed_changed(float), reg_covar_changed(float)
    """

    model_changed = QtCore.Signal(object)
    tolerance_changed = QtCore.Signal(float)
    max_iter_changed = QtCore.Signal(int)
    reg_covar_changed = QtCore.Signal(float)
    speed_changed = QtCore.Signal(float)

    def __init__(
        self, actions: dict[str, QtGui.QAction], parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("control_panel")
        self.buttons: dict[str, ActionButton] = {}
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self._step_group(actions))
        # The step buttons stay in sight; settings, inspector and comparisons share tabs.
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setObjectName("side_tabs")
        # Every tab in sight: the side panel widens for them instead of hiding some
        # behind scroll arrows (its width follows this minimum; see MainWindow).
        self.tabs.setUsesScrollButtons(False)
        settings = QtWidgets.QWidget()
        settings_layout = QtWidgets.QVBoxLayout(settings)
        settings_layout.setContentsMargins(0, 4, 0, 0)
        settings_layout.addWidget(self._model_group())
        #: EM or variational, and the priors (its ``method_changed`` reaches the controller).
        self.method = MethodGroup()
        settings_layout.addWidget(self.method)
        settings_layout.addWidget(self._run_group())
        settings_layout.addStretch(1)
        self.tabs.addTab(settings, "Model")
        layout.addWidget(self.tabs, 1)

    # ---------------------------------------------------------------- layout
    def _step_group(self, actions: dict[str, QtGui.QAction]) -> QtWidgets.QGroupBox:
        group = QtWidgets.QGroupBox("EM")
        grid = QtWidgets.QGridLayout(group)
        rows = [
            ("e_step", "m_step"),
            ("step", "run"),
            ("back", "forward"),
            ("reset", "reinitialize"),
        ]
        for row, names in enumerate(rows):
            for column, name in enumerate(names):
                button = ActionButton(actions[name])
                button.setObjectName(f"{name}_button")
                self.buttons[name] = button
                grid.addWidget(button, row, column)
        return group

    def _model_group(self) -> QtWidgets.QGroupBox:
        group = QtWidgets.QGroupBox("Model")
        form = QtWidgets.QFormLayout(group)
        self.k_spin = QtWidgets.QSpinBox()
        self.k_spin.setRange(1, 50)
        self.k_spin.setToolTip("Number of components K (re-initialises)")
        self.covariance_combo = QtWidgets.QComboBox()
        for kind in COVARIANCE_TYPES:
            self.covariance_combo.addItem(kind, kind)
            self.covariance_combo.setItemData(
                self.covariance_combo.count() - 1,
                COVARIANCE_DESCRIPTIONS[kind],
                QtCore.Qt.ItemDataRole.ToolTipRole,
            )
        self.covariance_combo.setToolTip("Covariance type (re-initialises)")
        self.init_combo = QtWidgets.QComboBox()
        for method in INIT_METHODS:
            self.init_combo.addItem(method, method)
            self.init_combo.setItemData(
                self.init_combo.count() - 1,
                INIT_DESCRIPTIONS[method],
                QtCore.Qt.ItemDataRole.ToolTipRole,
            )
        self.init_combo.setToolTip("How the parameters start (re-initialises)")
        self.seed_spin = QtWidgets.QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("Seed of the initialisation (re-initialises)")
        form.addRow("Components K", self.k_spin)
        form.addRow("Covariance", self.covariance_combo)
        form.addRow("Initialisation", self.init_combo)
        form.addRow("Seed", self.seed_spin)
        # A spin box reports every keystroke; re-initialise once editing settles.
        self.k_spin.setKeyboardTracking(False)
        self.seed_spin.setKeyboardTracking(False)
        self.k_spin.valueChanged.connect(self._emit_model)
        self.seed_spin.valueChanged.connect(self._emit_model)
        self.covariance_combo.currentIndexChanged.connect(self._emit_model)
        self.init_combo.currentIndexChanged.connect(self._emit_model)
        return group

    def _run_group(self) -> QtWidgets.QGroupBox:
        group = QtWidgets.QGroupBox("Stopping and speed")
        form = QtWidgets.QFormLayout(group)
        self.tol_spin = NumberSpinBox()
        self.tol_spin.setRange(0.0, 10.0)
        self.tol_spin.setSingleStep(1e-4)
        self.tol_spin.setToolTip(
            "Stop when the mean log-likelihood per point changes by less than this "
            "(scikit-learn's rule)"
        )
        self.max_iter_spin = QtWidgets.QSpinBox()
        self.max_iter_spin.setRange(1, 100_000)
        self.max_iter_spin.setToolTip("Most iterations Run performs from the last start or edit")
        self.reg_spin = NumberSpinBox()
        self.reg_spin.setRange(0.0, 1e6)
        self.reg_spin.setSingleStep(1e-6)
        self.reg_spin.setToolTip("reg_covar: added to every covariance diagonal in the M-step")
        self.speed_spin = QtWidgets.QDoubleSpinBox()
        self.speed_spin.setRange(0.25, 100.0)
        self.speed_spin.setDecimals(2)
        self.speed_spin.setSuffix(" steps/s")
        self.speed_spin.setToolTip("Half-steps per second while running")
        for spin in (self.tol_spin, self.max_iter_spin, self.reg_spin, self.speed_spin):
            spin.setKeyboardTracking(False)
        form.addRow("Tolerance", self.tol_spin)
        form.addRow("Max iterations", self.max_iter_spin)
        form.addRow("reg_covar", self.reg_spin)
        form.addRow("Run speed", self.speed_spin)
        self.tol_spin.valueChanged.connect(self.tolerance_changed)
        self.max_iter_spin.valueChanged.connect(self.max_iter_changed)
        self.reg_spin.valueChanged.connect(self.reg_covar_changed)
        self.speed_spin.valueChanged.connect(self.speed_changed)
        return group

    # ----------------------------------------------------------------- state
    def model_settings(self) -> ModelSettings:
        """What the model widgets show now."""
        return ModelSettings(
            n_components=self.k_spin.value(),
            covariance_type=self.covariance_combo.currentData(),
            init=self.init_combo.currentData(),
            seed=self.seed_spin.value(),
        )

    def show_settings(
        self,
        model: ModelSettings,
        tol: float,
        max_iter: int,
        reg_covar: float,
        speed: float,
    ) -> None:
        """Show the session's settings without reporting them back as user edits."""
        widgets = (
            self.k_spin,
            self.covariance_combo,
            self.init_combo,
            self.seed_spin,
            self.tol_spin,
            self.max_iter_spin,
            self.reg_spin,
            self.speed_spin,
        )
        blockers = [QtCore.QSignalBlocker(widget) for widget in widgets]
        self.k_spin.setValue(model.n_components)
        self.covariance_combo.setCurrentIndex(self.covariance_combo.findData(model.covariance_type))
        self.init_combo.setCurrentIndex(self.init_combo.findData(model.init))
        self.seed_spin.setValue(model.seed)
        self.tol_spin.setValue(tol)
        self.max_iter_spin.setValue(max_iter)
        self.reg_spin.setValue(reg_covar)
        self.speed_spin.setValue(speed)
        del blockers

    def apply_scale(self, scale: float) -> None:
        """Size the step buttons for the size factor (fonts come from the application)."""
        for button in self.buttons.values():
            button.setMinimumHeight(round(34 * scale))

    def add_tab(self, widget: QtWidgets.QWidget, title: str) -> None:
        """Add a page beside the Model settings."""
        self.tabs.addTab(widget, title)

    def show_tab(self, widget: QtWidgets.QWidget) -> None:
        """Bring a page to the front."""
        self.tabs.setCurrentWidget(widget)

    def set_k_limit(self, n_samples: int) -> None:
        """K can be at most the number of data points."""
        self.k_spin.setMaximum(max(1, min(50, n_samples)))

    def _emit_model(self) -> None:
        self.model_changed.emit(self.model_settings())
