"""The model a new data set starts with: K, covariance type and initialisation.

Shown in the import and generate dialogs so that a new data set never inherits the
settings of the one before it (a K of 8 refused for a one-row file, a diagonal model
left over from model selection). Widgets only; the window passes the choice on to the
controller.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.em.initialization import INIT_METHODS
from gmmviewer.core.text import count
from gmmviewer.ui.panels.controls import (
    COVARIANCE_DESCRIPTIONS,
    INIT_DESCRIPTIONS,
    ModelSettings,
)

__all__ = ["DEFAULT_K", "ModelChoice", "largest_k_message"]

#: K for data that say nothing about it, at most one component per row.
DEFAULT_K = 3
MAX_K = 50


def largest_k_message(k: int, n_rows: int, name: str = "the data") -> str | None:
    """One line saying why K is too large for ``n_rows`` rows (None when it is not)."""
    if k <= n_rows:
        return None
    return (
        f"K = {k} needs at least {k} data points, but {name} has {count(n_rows, 'row')}: "
        f"the largest K possible is {n_rows}"
    )


class ModelChoice(QtWidgets.QGroupBox):
    """K, covariance type and initialisation for the session a new data set starts.

    Defaults: full covariances, k-means initialisation, and K from :meth:`suggest_k`
    (the dialog's suggestion for the data, capped by the rows) until the user sets K.

    Signals
    -------
    changed()
        The user changed a choice.
    """

    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Model to fit", parent)
        self.setObjectName("model_choice")
        self.k_spin = QtWidgets.QSpinBox(objectName="fit_k_spin")
        self.k_spin.setRange(1, MAX_K)
        self.k_spin.setValue(DEFAULT_K)
        self.k_spin.setToolTip("Number of components K the new session fits")
        self.covariance_combo = QtWidgets.QComboBox(objectName="fit_covariance_combo")
        for kind in COVARIANCE_TYPES:
            self.covariance_combo.addItem(kind, kind)
            self.covariance_combo.setItemData(
                self.covariance_combo.count() - 1,
                COVARIANCE_DESCRIPTIONS[kind],
                QtCore.Qt.ItemDataRole.ToolTipRole,
            )
        self.init_combo = QtWidgets.QComboBox(objectName="fit_init_combo")
        for method in INIT_METHODS:
            self.init_combo.addItem(method, method)
            self.init_combo.setItemData(
                self.init_combo.count() - 1,
                INIT_DESCRIPTIONS[method],
                QtCore.Qt.ItemDataRole.ToolTipRole,
            )
        self.covariance_combo.setCurrentIndex(self.covariance_combo.findData("full"))
        self.init_combo.setCurrentIndex(self.init_combo.findData("kmeans"))
        form = QtWidgets.QFormLayout(self)
        form.addRow("Components K:", self.k_spin)
        form.addRow("Covariance:", self.covariance_combo)
        form.addRow("Initialisation:", self.init_combo)
        self._k_chosen = False
        self.k_spin.valueChanged.connect(self._on_k_edited)
        self.covariance_combo.currentIndexChanged.connect(self.changed)
        self.init_combo.currentIndexChanged.connect(self.changed)

    def _on_k_edited(self) -> None:
        self._k_chosen = True
        self.changed.emit()

    def suggest_k(self, k: int) -> None:
        """Show ``k`` unless the user has chosen K already."""
        if not self._k_chosen:
            with QtCore.QSignalBlocker(self.k_spin):
                self.k_spin.setValue(max(1, min(int(k), MAX_K)))
            self.changed.emit()

    def settings(self, seed: int = 0) -> ModelSettings:
        """The choice, with the initialisation seed given."""
        return ModelSettings(
            n_components=self.k_spin.value(),
            covariance_type=str(self.covariance_combo.currentData()),
            init=str(self.init_combo.currentData()),
            seed=seed,
        )
