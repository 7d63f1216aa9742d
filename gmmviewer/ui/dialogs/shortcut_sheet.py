"""F1: a sheet of every keyboard shortcut, built from the window's actions."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


class ShortcutSheet(QtWidgets.QDialog):
    """A table of actions and their keys (always in step with the actions themselves)."""

    def __init__(
        self, actions: dict[str, QtGui.QAction], parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("shortcut_sheet")
        self.setWindowTitle("Keyboard shortcuts")
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        rows = [
            (action.text().replace("&", "").rstrip("."), self._keys(action), action.toolTip())
            for action in actions.values()
            if action.shortcuts()
        ]
        self.table = QtWidgets.QTableWidget(len(rows), 2)
        self.table.setObjectName("shortcut_table")
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        for row, (name, keys, tip) in enumerate(rows):
            name_item = QtWidgets.QTableWidgetItem(name)
            name_item.setToolTip(tip)
            keys_item = QtWidgets.QTableWidgetItem(keys)
            font = keys_item.font()
            font.setBold(True)
            keys_item.setFont(font)
            self.table.setItem(row, 0, name_item)
            self.table.setItem(row, 1, keys_item)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(self._fitting_size(buttons))

    def _fitting_size(self, buttons: QtWidgets.QWidget) -> QtCore.QSize:
        """Room for the whole table in the current font, within 90% of the screen."""
        table = self.table
        frame = 2 * table.frameWidth()
        margins = self.layout().contentsMargins()
        width = (
            table.horizontalHeader().length()
            + table.verticalScrollBar().sizeHint().width()
            + frame
            + margins.left()
            + margins.right()
        )
        height = (
            table.verticalHeader().length()
            + table.horizontalHeader().sizeHint().height()
            + frame
            + self.layout().spacing()
            + buttons.sizeHint().height()
            + margins.top()
            + margins.bottom()
        )
        parent = self.parentWidget()
        screen = parent.screen() if parent is not None else self.screen()
        room = screen.availableGeometry().size() * 0.9
        return QtCore.QSize(width, height).boundedTo(room)

    @staticmethod
    def _keys(action: QtGui.QAction) -> str:
        return "  or  ".join(
            key.toString(QtGui.QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()
        )
