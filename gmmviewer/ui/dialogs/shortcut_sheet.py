"""F1: a sheet of every keyboard shortcut, built from the window's actions and shortcuts."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

NATIVE = QtGui.QKeySequence.SequenceFormat.NativeText


def key_text(keys: list[str]) -> str:
    """Keys as the sheet shows them: alternatives joined by "or", a run of single digits
    written as a range ("1–9")."""
    digits = [key for key in keys if len(key) == 1 and key.isdigit()]
    if len(digits) > 2 and digits == [str(d) for d in range(int(digits[0]), int(digits[-1]) + 1)]:
        others = [key for key in keys if key not in digits]
        keys = [f"{digits[0]}\u2013{digits[-1]}", *others]
    return " or ".join(key for key in keys if key)


def shortcut_rows(actions: dict[str, QtGui.QAction], widget: QtWidgets.QWidget | None):
    """(name, keys, tip) for every action with keys, then for the widget's own
    ``QShortcut`` objects that say what they do (their "what's this"), one row per text.

    Returns
    -------
    list of (str, str, str)
    """
    rows = [
        (
            action.text().replace("&", "").rstrip("."),
            key_text([key.toString(NATIVE) for key in action.shortcuts()]),
            action.toolTip(),
        )
        for action in actions.values()
        if action.shortcuts()
    ]
    rows = [row for row in rows if row[1]]  # a standard key this platform does not define
    grouped: dict[str, list[str]] = {}
    for shortcut in widget.findChildren(QtGui.QShortcut) if widget is not None else []:
        if shortcut.whatsThis() and not shortcut.key().isEmpty():
            grouped.setdefault(shortcut.whatsThis(), []).append(shortcut.key().toString(NATIVE))
    rows += [(name, key_text(keys), name) for name, keys in grouped.items()]
    return rows


class ShortcutSheet(QtWidgets.QDialog):
    """A table of actions and their keys (always in step with the actions themselves).

    Where the rows would not fit the screen's height, they are laid out in up to
    :attr:`MAX_PAIRS` pairs of columns side by side (read down, then across), so that a
    projector's 1280x720 screen shows every key at once.
    """

    MAX_PAIRS = 3

    def __init__(
        self, actions: dict[str, QtGui.QAction], parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("shortcut_sheet")
        self.setWindowTitle("Keyboard shortcuts")
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self._rows = shortcut_rows(actions, parent)
        self.table = QtWidgets.QTableWidget()
        self.table.setObjectName("shortcut_table")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        # A sheet to read: no cell looks picked (Esc still closes it).
        self.table.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        room = self._room()
        chosen = 1
        for pairs in range(1, self.MAX_PAIRS + 1):
            self._fill(pairs)
            size = self._needed_size(buttons)
            if pairs > 1 and size.width() > room.width():
                break  # too wide: the fewer pairs scroll instead
            chosen = pairs
            if size.height() <= room.height():
                break
        if self.pairs != chosen:
            self._fill(chosen)
            size = self._needed_size(buttons)
        self.resize(size.boundedTo(room))

    def rows(self) -> dict[str, str]:
        """What the sheet lists: keys by action name."""
        return {name: keys for name, keys, _ in self._rows}

    @property
    def pairs(self) -> int:
        """How many (action, keys) column pairs stand side by side."""
        return self.table.columnCount() // 2

    def _fill(self, pairs: int) -> None:
        table = self.table
        per_column = math.ceil(len(self._rows) / pairs)
        table.clear()
        table.setColumnCount(2 * pairs)
        table.setRowCount(per_column)
        table.setHorizontalHeaderLabels(["Action", "Keys"] * pairs)
        for index, (name, keys, tip) in enumerate(self._rows):
            row, column = index % per_column, 2 * (index // per_column)
            name_item = QtWidgets.QTableWidgetItem(name)
            name_item.setToolTip(tip)
            keys_item = QtWidgets.QTableWidgetItem(keys)
            font = keys_item.font()
            font.setBold(True)
            keys_item.setFont(font)
            table.setItem(row, column, name_item)
            table.setItem(row, column + 1, keys_item)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        table.resizeColumnsToContents()
        table.resizeRowsToContents()
        for column in range(1, 2 * pairs - 1, 2):
            # A gap after each pair's keys, so the next pair's names read apart.
            gap = round(1.5 * table.fontMetrics().height())
            header.resizeSection(column, header.sectionSize(column) + gap)
        header.setStretchLastSection(True)

    def _needed_size(self, buttons: QtWidgets.QWidget) -> QtCore.QSize:
        """Room for the whole table in the current font."""
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
        return QtCore.QSize(width, height)

    def _room(self) -> QtCore.QSize:
        """90% of the screen the sheet opens on."""
        parent = self.parentWidget()
        screen = parent.screen() if parent is not None else self.screen()
        return screen.availableGeometry().size() * 0.9
