"""The Compare tab: the fit against the ground truth, and k-means beside EM.

A view: the controller pushes the numbers (from :mod:`gmmviewer.core.analysis.comparison`) and
hears the k-means toggle. It says when it comes into view (``shown``), so the numbers,
which cost a pass over every point at a million, are computed only while someone can
read them.
"""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.analysis.comparison import TruthComparison


class ComparePanel(QtWidgets.QWidget):
    """Ground-truth errors and k-means figures (the k-means button is the window's action).

    Signals
    -------
    shown()
        The tab came into view (its page was chosen, or the window was shown).
    """

    shown = QtCore.Signal()

    def __init__(
        self, kmeans_action: QtGui.QAction, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("compare_panel")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        self.components_summary = QtWidgets.QLabel()
        self.components_summary.setObjectName("components_summary")
        self.components_summary.setWordWrap(True)
        layout.addWidget(self.components_summary)

        self.truth_group = QtWidgets.QGroupBox("Ground truth")
        truth_layout = QtWidgets.QVBoxLayout(self.truth_group)
        self.truth_summary = QtWidgets.QLabel()
        self.truth_summary.setObjectName("truth_summary")
        self.truth_summary.setWordWrap(True)
        self.truth_table = QtWidgets.QTableWidget(0, 4)
        self.truth_table.setObjectName("truth_table")
        self.truth_table.setHorizontalHeaderLabels(["fitted", "true", "weight error", "mean error"])
        self.truth_table.verticalHeader().setVisible(False)
        self.truth_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.truth_table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.truth_table.horizontalHeader().setSectionResizeMode(
            QtWidgets.QHeaderView.ResizeMode.ResizeToContents
        )
        self.truth_table.setMinimumHeight(120)
        truth_layout.addWidget(self.truth_summary)
        truth_layout.addWidget(self.truth_table)
        layout.addWidget(self.truth_group)

        self.kmeans_group = QtWidgets.QGroupBox("k-means beside EM")
        kmeans_layout = QtWidgets.QVBoxLayout(self.kmeans_group)
        self.kmeans_button = QtWidgets.QToolButton()
        self.kmeans_button.setObjectName("kmeans_button")
        self.kmeans_button.setDefaultAction(kmeans_action)
        self.kmeans_button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.kmeans_button.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed
        )
        self.kmeans_summary = QtWidgets.QLabel(
            "k-means gives every point to its nearest centre (hard, round clusters); "
            "EM shares each point between components by their densities."
        )
        self.kmeans_summary.setObjectName("kmeans_summary")
        self.kmeans_summary.setWordWrap(True)
        kmeans_layout.addWidget(self.kmeans_button)
        kmeans_layout.addWidget(self.kmeans_summary)
        layout.addWidget(self.kmeans_group)
        layout.addStretch(1)
        self.show_truth(None, None, None)

    def show_truth(
        self,
        comparison: TruthComparison | None,
        fitted_nll: float | None,
        true_nll: float | None,
    ) -> None:
        """The fit against the truth (None when the data have no known truth)."""
        self.truth_group.setEnabled(comparison is not None)
        if comparison is None:
            self.truth_summary.setText(
                "Generated data carry their true parameters; this data set has none."
            )
            self.truth_table.setRowCount(0)
            return
        lines = []
        if comparison.adjusted_rand_index is not None:
            lines.append(
                f"Adjusted Rand index of the hard assignment: "
                f"<b>{comparison.adjusted_rand_index:.3f}</b> (1 = the true partition)"
            )
        else:
            lines.append("Run an E-step to compare the hard assignment with the true labels.")
        if fitted_nll is not None and true_nll is not None:
            lines.append(f"NLL {fitted_nll:,.2f} (true parameters: {true_nll:,.2f})")
        self.truth_summary.setText("<br>".join(lines))
        k = len(comparison.matching)
        self.truth_table.setRowCount(k)
        for row in range(k):
            match = comparison.matching[row]
            cells = [
                str(row + 1),
                "-" if match < 0 else str(match + 1),
                _format(comparison.weight_errors[row]),
                _format(comparison.mean_errors[row]),
            ]
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
                self.truth_table.setItem(row, column, item)

    def show_components_in_use(self, in_use: int, total: int, variational: bool) -> None:
        """How many components carry weight: the answer a variational fit gives for K."""
        if variational:
            text = (
                f"<b>{in_use} of {total} components in use</b> (expected weight at least "
                "1%); the prior has switched the others off."
            )
        else:
            text = f"<b>{in_use} of {total} components</b> have a weight of at least 1%."
        self.components_summary.setText(text)

    def show_kmeans(self, text: str) -> None:
        """The k-means figures (inertia, agreement with EM), or the explanation."""
        self.kmeans_summary.setText(text)

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.shown.emit()

    def truth_rows(self) -> list[list[str]]:
        """The table's text (for tests)."""
        return [
            [self.truth_table.item(r, c).text() for c in range(self.truth_table.columnCount())]
            for r in range(self.truth_table.rowCount())
        ]


def _format(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.4f}"
