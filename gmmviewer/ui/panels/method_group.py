"""The Method settings: EM or a variational fit, and the strengths of its priors.

A view: a choice of method, a log-scale slider for the weight concentration (the prior
a class watches switch components off), and the mean precision and degrees of freedom
(blank for scikit-learn's defaults). Changes are reported as a
:class:`~gmmviewer.core.session.variational_state.PriorChoice` (None for EM); the
controller restarts the fit from the current run's start with them.
"""

from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets

from gmmviewer.core.session.variational_state import PriorChoice
from gmmviewer.ui.panels.number_box import NumberSpinBox

#: The choices of the method box: (label, prior type or None for EM).
METHODS: tuple[tuple[str, str | None], ...] = (
    ("EM", None),
    ("Variational (Dirichlet process)", "dirichlet_process"),
    ("Variational (Dirichlet distribution)", "dirichlet_distribution"),
)
#: The concentration slider's range, in decades, and its steps per decade.
CONCENTRATION_DECADES = (-3, 3)
STEPS_PER_DECADE = 10


def concentration_at(position: int) -> float:
    """The weight concentration at a slider position (log scale, 1e-3 to 1e3)."""
    return 10.0 ** (position / STEPS_PER_DECADE)


def position_of(concentration: float) -> int:
    """The slider position nearest to ``concentration``."""
    low, high = (d * STEPS_PER_DECADE for d in CONCENTRATION_DECADES)
    return int(min(high, max(low, round(math.log10(concentration) * STEPS_PER_DECADE))))


class MethodGroup(QtWidgets.QGroupBox):
    """Method and prior strengths.

    Signals
    -------
    method_changed(object, bool)
        The chosen :class:`PriorChoice` (None for EM), and whether the concentration
        slider is still being dragged (so a drag can be one undo step).
    """

    method_changed = QtCore.Signal(object, bool)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Method", parent)
        self.setObjectName("method_group")
        form = QtWidgets.QFormLayout(self)
        self.method_combo = QtWidgets.QComboBox()
        for label, prior_type in METHODS:
            self.method_combo.addItem(label, prior_type)
        # The longest choice must not widen the side panel at large font sizes: the box
        # takes the row's width and elides if it must (the tooltip names every choice).
        self.method_combo.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.method_combo.setMinimumContentsLength(12)
        self.method_combo.setToolTip(
            "EM, or variational Bayes (scikit-learn's BayesianGaussianMixture): priors on\n"
            "the weights, means and precisions; surplus components switch themselves off.\n"
            "Changing it starts again from the current run's start (undoable).\n"
            "Choices: EM; Variational (Dirichlet process); Variational (Dirichlet distribution)."
        )
        self.concentration_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        low, high = (d * STEPS_PER_DECADE for d in CONCENTRATION_DECADES)
        self.concentration_slider.setRange(low, high)
        self.concentration_slider.setPageStep(STEPS_PER_DECADE)
        self.concentration_slider.setToolTip(
            "Weight concentration prior (log scale, 1e-3 to 1e3; default 1/K).\n"
            "Small values let the prior switch surplus components off."
        )
        self.concentration_label = QtWidgets.QLabel()
        self.concentration_label.setMinimumWidth(
            self.concentration_label.fontMetrics().horizontalAdvance("0.0001 ")
        )
        concentration = QtWidgets.QHBoxLayout()
        concentration.setContentsMargins(0, 0, 0, 0)
        concentration.addWidget(self.concentration_slider, 1)
        concentration.addWidget(self.concentration_label)
        self.mean_precision_spin = NumberSpinBox()
        self.mean_precision_spin.setRange(0.0, 1e6)
        self.mean_precision_spin.setSpecialValueText("default (1)")
        self.mean_precision_spin.setToolTip("Mean precision prior (kappa_0); 0 for the default")
        self.dof_spin = NumberSpinBox()
        self.dof_spin.setRange(0.0, 1e6)
        self.dof_spin.setSpecialValueText("default (D)")
        self.dof_spin.setToolTip(
            "Degrees of freedom prior (nu_0, above D - 1); 0 for the default (D)"
        )
        for spin in (self.mean_precision_spin, self.dof_spin):
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(self._emit_released)
        form.addRow(self.method_combo)
        form.addRow("Concentration", concentration)
        form.addRow("Mean precision", self.mean_precision_spin)
        form.addRow("Degrees of freedom", self.dof_spin)
        self.method_combo.currentIndexChanged.connect(self._emit_released)
        self.concentration_slider.valueChanged.connect(self._on_slider_moved)
        self.concentration_slider.sliderReleased.connect(self._emit_released)
        self._concentration_set = False
        self._update_enabled()

    # ----------------------------------------------------------------- state
    def choice(self) -> PriorChoice | None:
        """What the widgets show now: the priors of a variational fit, or None for EM."""
        prior_type = self.method_combo.currentData()
        if prior_type is None:
            return None
        position = self.concentration_slider.value()
        return PriorChoice(
            prior_type=prior_type,
            weight_concentration=concentration_at(position) if self._concentration_set else None,
            mean_precision=self.mean_precision_spin.value() or None,
            degrees_of_freedom=self.dof_spin.value() or None,
        )

    def show_choice(self, choice: PriorChoice | None, concentration: float | None) -> None:
        """Show the session's method without reporting it back as a user edit.

        Parameters
        ----------
        choice : PriorChoice or None
        concentration : float or None
            The weight concentration in effect (the default's value when none was chosen).
        """
        widgets = (self.method_combo, self.concentration_slider, self.mean_precision_spin)
        blockers = [QtCore.QSignalBlocker(w) for w in (*widgets, self.dof_spin)]
        prior_type = None if choice is None else choice.prior_type
        self.method_combo.setCurrentIndex(max(0, self.method_combo.findData(prior_type)))
        self._concentration_set = choice is not None and choice.weight_concentration is not None
        if concentration is not None:
            self.concentration_slider.setValue(position_of(concentration))
            self._show_concentration(concentration)
        self.mean_precision_spin.setValue((choice and choice.mean_precision) or 0.0)
        self.dof_spin.setValue((choice and choice.degrees_of_freedom) or 0.0)
        del blockers
        self._update_enabled()

    # -------------------------------------------------------------- signals
    def _on_slider_moved(self, position: int) -> None:
        self._concentration_set = True
        self._show_concentration(concentration_at(position))
        # Keyboard and page steps arrive with the slider up: each is a finished change.
        self.method_changed.emit(self.choice(), self.concentration_slider.isSliderDown())

    def _emit_released(self, *_: object) -> None:
        self._update_enabled()
        self.method_changed.emit(self.choice(), False)

    def _show_concentration(self, value: float) -> None:
        self.concentration_label.setText(f"{value:.3g}")

    def _update_enabled(self) -> None:
        variational = self.method_combo.currentData() is not None
        for widget in (
            self.concentration_slider,
            self.concentration_label,
            self.mean_precision_spin,
            self.dof_spin,
        ):
            widget.setEnabled(variational)
