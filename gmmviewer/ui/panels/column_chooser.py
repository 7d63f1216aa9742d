"""The "Show ... against ..." boxes: which two columns of wider data the scatter draws."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class ColumnChooser(QtWidgets.QWidget):
    """Which two columns the scatter shows, for data with more than two.

    Signals
    -------
    dims_chosen(tuple)
    """

    dims_chosen = QtCore.Signal(tuple)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("column_chooser")
        self.x_combo = QtWidgets.QComboBox()
        self.y_combo = QtWidgets.QComboBox()
        self.x_combo.setObjectName("x_column")
        self.y_combo.setObjectName("y_column")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        label = QtWidgets.QLabel("Show")
        label.setToolTip("EM fits every column; the plot shows two at a time (marginals)")
        layout.addWidget(label)
        layout.addWidget(self.x_combo)
        layout.addWidget(QtWidgets.QLabel("against"))
        layout.addWidget(self.y_combo)
        layout.addStretch(1)
        self.x_combo.currentIndexChanged.connect(self._emit)
        self.y_combo.currentIndexChanged.connect(self._emit)

    def show_columns(self, columns: tuple[str, ...], dims: tuple[int, ...]) -> None:
        """Offer ``columns`` with ``dims`` selected (without reporting it back)."""
        with QtCore.QSignalBlocker(self.x_combo), QtCore.QSignalBlocker(self.y_combo):
            for combo, index in ((self.x_combo, 0), (self.y_combo, 1)):
                combo.clear()
                combo.addItems(list(columns))
                if index < len(dims):
                    combo.setCurrentIndex(dims[index])
        self.setVisible(len(columns) > 2)

    def _emit(self) -> None:
        x, y = self.x_combo.currentIndex(), self.y_combo.currentIndex()
        if x >= 0 and y >= 0 and x != y:
            self.dims_chosen.emit((x, y))
