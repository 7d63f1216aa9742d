"""The CSV import dialog: preview a file, adjust how it splits, pick the columns EM fits.

Every choice ends in one call of :func:`~gmmviewer.core.files.csv_reader.load_csv`, so the data
the window fits equal what ``gmmviewer fit --columns ...`` reads. The dialog loads the
file on every change (a "trial load"), so what it reports is what accepting returns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import DataError
from gmmviewer.core.files.csv_reader import AUTO, CsvPreview, head_rows, load_csv, sniff_csv
from gmmviewer.core.text import count
from gmmviewer.ui.dialogs._busy import busy_cursor
from gmmviewer.ui.dialogs.model_choice import DEFAULT_K, ModelChoice, largest_k_message
from gmmviewer.ui.panels.controls import ModelSettings

__all__ = ["DECIMAL_CHOICES", "DELIMITER_CHOICES", "N_PREVIEW_ROWS", "CsvImportDialog"]

#: Data rows the preview table shows.
N_PREVIEW_ROWS = 20

#: Delimiter menu: label and the value :func:`load_csv` takes (None: runs of whitespace).
DELIMITER_CHOICES: tuple[tuple[str, object], ...] = (
    ("auto", AUTO),
    ("comma", ","),
    ("semicolon", ";"),
    ("tab", "\t"),
    ("whitespace", None),
    ("pipe", "|"),
)

#: Decimal-mark menu: label and the value :func:`load_csv` takes.
DECIMAL_CHOICES: tuple[tuple[str, object], ...] = (
    ("auto", AUTO),
    ("point", "."),
    ("comma", ","),
)

_ERROR_STYLE = "color: #c0392b;"
_FORMAT_HINT = "Check the delimiter, decimal mark and header."


@dataclass(frozen=True)
class _FileLayout:
    """How the file splits with the current choices: what the table and column list show."""

    columns: tuple[str, ...]
    numeric: frozenset[int]
    index_column: int | None
    rows: list[list[str]]

    @property
    def default_columns(self) -> list[int]:
        return [j for j in sorted(self.numeric) if j != self.index_column]


class CsvImportDialog(QtWidgets.QDialog):
    """Preview a delimited text file and choose how to load it.

    Create it with :meth:`from_file`, which raises :class:`DataError` (with a one-line
    message for a message box) when the file cannot be read at all, before any widget
    exists. Once open, every problem (a wrong delimiter, a text column selected, ...)
    shows in red in the info line and disables the Import button; nothing raises.

    Parameters
    ----------
    path : str or path-like
    preview : CsvPreview, optional
        What :func:`sniff_csv` found; sniffed here when not given.
    parent : QWidget, optional

    Raises
    ------
    DataError
        When ``preview`` is not given and the file is missing, unreadable, binary or empty.
    """

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], parent: QtWidgets.QWidget | None = None
    ) -> CsvImportDialog:
        """Sniff ``path`` and open the dialog on it.

        Raises
        ------
        DataError
            When the file is missing, unreadable, binary or has no data rows; the
            message is one line, ready for ``QMessageBox.warning``.
        """
        return cls(path, sniff_csv(path, n_preview_rows=N_PREVIEW_ROWS), parent)

    def __init__(
        self,
        path: str | os.PathLike[str],
        preview: CsvPreview | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        # Sniffed before the QDialog exists, so a bad file leaves no half-built window.
        if preview is None:
            preview = sniff_csv(path, n_preview_rows=N_PREVIEW_ROWS)
        super().__init__(parent)
        self._path = Path(path)
        self._preview = preview
        self._layout: _FileLayout | None = None
        self._trial: Dataset | None = None
        self._load_arguments: dict[str, Any] | None = None
        self.setWindowTitle(f"Import {self._path.name}")

        self._build_widgets()
        self._build_layout()
        self._show_detected(preview)
        self._connect()
        self._set_layout(_layout_from_preview(preview))
        self.resize(820, 560)
        # Enter imports; the editable delimiter box would otherwise take the focus.
        self.ok_button.setFocus()

    # ------------------------------------------------------------------ construction
    def _build_widgets(self) -> None:
        self.delimiter_combo = QtWidgets.QComboBox(objectName="delimiter_combo")
        self.delimiter_combo.setEditable(True)
        self.delimiter_combo.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        for label, _ in DELIMITER_CHOICES:
            self.delimiter_combo.addItem(label)
        self.delimiter_combo.setToolTip(
            "What separates the fields; choose one or type a single character"
        )

        self.decimal_combo = QtWidgets.QComboBox(objectName="decimal_combo")
        for label, _ in DECIMAL_CHOICES:
            self.decimal_combo.addItem(label)
        self.decimal_combo.setToolTip("The decimal mark of the numbers (1.5 or 1,5)")

        self.header_checkbox = QtWidgets.QCheckBox(
            "First row is a header", objectName="header_checkbox"
        )

        self.preview_table = QtWidgets.QTableWidget(objectName="preview_table")
        self.preview_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preview_table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.preview_table.setAlternatingRowColors(True)
        self.preview_table.verticalHeader().setDefaultSectionSize(
            self.preview_table.fontMetrics().height() + 6
        )
        self.preview_table.viewport().installEventFilter(self)

        self.column_list = QtWidgets.QListWidget(objectName="column_list")
        self.column_list.setToolTip("The columns EM fits; text columns cannot be fitted")

        self.normalize_checkbox = QtWidgets.QCheckBox(
            "Normalise (z-scores)", objectName="normalize_checkbox"
        )
        self.normalize_checkbox.setToolTip(
            "Fit each column's z-scores, for columns in very different units; "
            "fitted parameters are still saved in the data's own units"
        )

        self.model_choice = ModelChoice()

        self.info_label = QtWidgets.QLabel(objectName="info_label")
        self.info_label.setWordWrap(True)
        self.info_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        self.button_box = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel,
            objectName="button_box",
        )
        self.ok_button.setText("Import")

    def _build_layout(self) -> None:
        format_row = QtWidgets.QHBoxLayout()
        format_row.addWidget(QtWidgets.QLabel("Delimiter:"))
        format_row.addWidget(self.delimiter_combo)
        format_row.addSpacing(16)
        format_row.addWidget(QtWidgets.QLabel("Decimal mark:"))
        format_row.addWidget(self.decimal_combo)
        format_row.addSpacing(16)
        format_row.addWidget(self.header_checkbox)
        format_row.addStretch(1)

        table_box = QtWidgets.QVBoxLayout()
        self.preview_label = QtWidgets.QLabel(objectName="preview_label")
        table_box.addWidget(self.preview_label)
        table_box.addWidget(self.preview_table, 1)

        columns_box = QtWidgets.QVBoxLayout()
        columns_box.addWidget(QtWidgets.QLabel("Columns to fit:"))
        columns_box.addWidget(self.column_list, 1)
        columns_box.addWidget(self.normalize_checkbox)
        columns_box.addWidget(self.model_choice)

        tables = QtWidgets.QHBoxLayout()
        tables.addLayout(table_box, 3)
        tables.addLayout(columns_box, 1)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(format_row)
        layout.addLayout(tables, 1)
        layout.addWidget(self.info_label)
        layout.addWidget(self.button_box)

    def _show_detected(self, preview: CsvPreview) -> None:
        """Put what the sniffer found into the controls, before they are connected."""
        label = next(
            (label for label, value in DELIMITER_CHOICES[1:] if value == preview.delimiter),
            preview.delimiter or "whitespace",
        )
        self.delimiter_combo.setCurrentText(label)
        self.decimal_combo.setCurrentText("comma" if preview.decimal == "," else "point")
        self.header_checkbox.setChecked(preview.has_header)

    def _connect(self) -> None:
        self.delimiter_combo.currentTextChanged.connect(self._on_format_changed)
        self.decimal_combo.currentIndexChanged.connect(self._on_format_changed)
        self.header_checkbox.toggled.connect(self._on_format_changed)
        self.column_list.itemChanged.connect(self._on_columns_changed)
        self.normalize_checkbox.toggled.connect(self._update_info)
        self.model_choice.changed.connect(self._update_info)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)

    # ------------------------------------------------------------------- choices
    @property
    def ok_button(self) -> QtWidgets.QPushButton:
        """The Import button (disabled while the choices do not load)."""
        return self.button_box.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)

    def path(self) -> Path:
        """The file being imported."""
        return self._path

    def delimiter(self) -> object:
        """The delimiter for :func:`load_csv`: a character, None (whitespace) or AUTO.

        Raises
        ------
        DataError
            When the typed text is neither a menu entry nor a single character.
        """
        text = self.delimiter_combo.currentText()
        for label, value in DELIMITER_CHOICES:
            if text.strip().lower() == label:
                return value
        if text == "\\t":
            return "\t"
        if len(text) == 1:
            return None if text.isspace() else text
        raise DataError(
            f"the delimiter must be one character or one of the listed names, not {text!r}"
        )

    def decimal(self) -> object:
        """The decimal mark for :func:`load_csv`: ``'.'``, ``','`` or AUTO."""
        return DECIMAL_CHOICES[self.decimal_combo.currentIndex()][1]

    def has_header(self) -> bool:
        """Whether the first non-comment line names the columns."""
        return self.header_checkbox.isChecked()

    def selected_columns(self) -> list[str]:
        """Names of the checked columns, in the file's order."""
        return [
            item.data(QtCore.Qt.ItemDataRole.UserRole)
            for item in self._column_items()
            if item.checkState() == QtCore.Qt.CheckState.Checked
        ]

    def set_selected_columns(self, names: list[str]) -> None:
        """Check exactly the given columns (text columns cannot be checked)."""
        wanted = set(names)
        with QtCore.QSignalBlocker(self.column_list):
            for item in self._column_items():
                if item.flags() & QtCore.Qt.ItemFlag.ItemIsEnabled:
                    checked = item.data(QtCore.Qt.ItemDataRole.UserRole) in wanted
                    item.setCheckState(_check_state(checked))
        self._on_columns_changed()

    def normalize(self) -> bool:
        """Whether EM fits z-scores rather than raw values."""
        return self.normalize_checkbox.isChecked()

    def load_arguments(self) -> dict[str, Any]:
        """Keyword arguments of :func:`load_csv` (after the path) for the current choices.

        Raises
        ------
        DataError
            When the typed delimiter is not usable.
        """
        return {
            "columns": self.selected_columns(),
            "normalize": self.normalize(),
            "delimiter": self.delimiter(),
            "has_header": self.has_header(),
            "decimal": self.decimal(),
        }

    def is_valid(self) -> bool:
        """True when the current choices load and K fits the rows; the Import button is
        enabled exactly then."""
        return self._trial is not None and self._k_problem() is None

    def model_settings(self) -> ModelSettings:
        """K, covariance type and initialisation for the new session (seed 0)."""
        return self.model_choice.settings(seed=0)

    def _k_problem(self) -> str | None:
        if self._trial is None:
            return None
        k = self.model_choice.settings().n_components
        return largest_k_message(k, self._trial.n_samples, self._path.name)

    # --------------------------------------------------------------------- result
    def dataset(self) -> Dataset:
        """What ``load_csv(path, **load_arguments())`` returns for the accepted choices.

        Raises
        ------
        RuntimeError
            If the dialog has not been accepted.
        """
        if self.result() != QtWidgets.QDialog.DialogCode.Accepted or self._trial is None:
            raise RuntimeError(f"the import of {self._path.name} has not been accepted")
        # load_csv normalises its raw result in exactly this way, so no second read is needed.
        return self._trial.with_normalization(True) if self.normalize() else self._trial

    def accept(self) -> None:
        """Close with the current choices, unless they do not load."""
        if self.is_valid():
            super().accept()

    # ---------------------------------------------------------------- reloading
    def _on_format_changed(self) -> None:
        """Delimiter, decimal mark or header changed: split the file again."""
        try:
            delimiter = self.delimiter()
            with busy_cursor():
                layout = _layout_from_choices(
                    self._path, delimiter, self.has_header(), self.decimal()
                )
        except DataError as error:
            self._show_unsplittable(f"{error}.\n{_FORMAT_HINT}")
            return
        self._set_layout(layout)

    def _on_columns_changed(self) -> None:
        self._trial_load()
        self._grey_unselected_columns()

    def _set_layout(self, layout: _FileLayout) -> None:
        """Show a new split of the file, with the default columns checked."""
        self._layout = layout
        self._fill_table(layout.columns, layout.rows)
        with QtCore.QSignalBlocker(self.column_list):
            self.column_list.clear()
            defaults = set(layout.default_columns)
            for j, name in enumerate(layout.columns):
                item = QtWidgets.QListWidgetItem(name)
                item.setData(QtCore.Qt.ItemDataRole.UserRole, name)
                if j not in layout.numeric:
                    item.setText(f"{name} (text)")
                    item.setFlags(item.flags() & ~QtCore.Qt.ItemFlag.ItemIsEnabled)
                    item.setToolTip("Holds text, so it cannot be fitted")
                elif j == layout.index_column:
                    item.setText(f"{name} (row index)")
                    item.setToolTip("Numbers the rows 1, 2, 3, ...; fitting it is rarely useful")
                item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(_check_state(j in defaults))
                self.column_list.addItem(item)
        self._on_columns_changed()

    def _show_unsplittable(self, message: str) -> None:
        """The file does not split with these choices: show the raw fields and the reason."""
        self._layout = None
        self._trial = None
        rows = head_rows(self._path, self._delimiter_or_sniffed(), N_PREVIEW_ROWS + 1)
        header = rows[0] if rows and self.has_header() else []
        rows = rows[1:] if header else rows[:N_PREVIEW_ROWS]
        width = max(map(len, [header, *rows]), default=0)
        columns = tuple(
            (header[j] if j < len(header) else "") or f"column {j + 1}" for j in range(width)
        )
        self._fill_table(columns, rows)
        with QtCore.QSignalBlocker(self.column_list):
            self.column_list.clear()
        self._set_info(message, error=True)

    def _delimiter_or_sniffed(self) -> str | None:
        try:
            delimiter = self.delimiter()
        except DataError:
            delimiter = AUTO
        return self._preview.delimiter if delimiter is AUTO else delimiter  # type: ignore[return-value]

    def _trial_load(self) -> None:
        """Load the file with the current choices; report the outcome in the info line."""
        self._trial = None
        self._load_arguments = None
        if self._layout is None:
            return
        selected = self.selected_columns()
        if not self._layout.numeric:
            names = ", ".join(self._layout.columns)
            self._set_info(
                f"{self._path.name} has no numeric columns ({names}): check the delimiter, "
                "decimal mark and header.",
                error=True,
            )
            return
        if not selected:
            self._set_info("Choose at least one column to fit.", error=True)
            return
        try:
            arguments = self.load_arguments() | {"normalize": False}
            with busy_cursor():
                self._trial = load_csv(self._path, **arguments)
        except DataError as error:
            self._set_info(str(error), error=True)
            return
        self.model_choice.suggest_k(min(DEFAULT_K, self._trial.n_samples))
        self._update_info()

    def _update_info(self) -> None:
        if self._trial is None or self._layout is None:
            return
        problem = self._k_problem()
        if problem is not None:
            self._set_info(f"{problem}.", error=True)
            return
        self._set_info(_describe(self._trial, self._layout, self.normalize()), error=False)

    def _set_info(self, text: str, *, error: bool) -> None:
        self.info_label.setText(text)
        self.info_label.setProperty("error", error)
        self.info_label.setStyleSheet(_ERROR_STYLE if error else "")
        self.ok_button.setEnabled(not error and self._trial is not None)

    # ----------------------------------------------------------------------- views
    def _column_items(self) -> list[QtWidgets.QListWidgetItem]:
        return [self.column_list.item(row) for row in range(self.column_list.count())]

    def _fill_table(self, columns: tuple[str, ...], rows: list[list[str]]) -> None:
        table = self.preview_table
        table.clear()
        table.setColumnCount(len(columns))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels(list(columns))
        for j, name in enumerate(columns):
            header_item = table.horizontalHeaderItem(j)
            if header_item is not None:
                header_item.setToolTip(name)
        for i, fields in enumerate(rows):
            for j, text in enumerate(fields[: len(columns)]):
                table.setItem(i, j, QtWidgets.QTableWidgetItem(text))
        self.preview_label.setText(
            f"First {N_PREVIEW_ROWS} rows:"
            if len(rows) >= N_PREVIEW_ROWS
            else f"The file's {count(len(rows), 'data row')}:"
        )
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Every column at least as wide as its header and values; spare width shared out.

        Too many to fit keep their natural widths and the table scrolls, so a header is
        never cut short.
        """
        table = self.preview_table
        header = table.horizontalHeader()
        n = header.count()
        if n == 0:
            return
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Interactive)
        table.resizeColumnsToContents()
        natural = [header.sectionSize(j) for j in range(n)]
        spare = table.viewport().width() - sum(natural)
        if spare > 0:
            for j, width in enumerate(natural):
                header.resizeSection(j, width + spare // n)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        # The table's visible width changed: share the spare width out again.
        if watched is self.preview_table.viewport() and event.type() == QtCore.QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _grey_unselected_columns(self) -> None:
        """Dim the table's columns that will not be fitted, so the choice is visible there."""
        if self._layout is None:
            return
        selected = set(self.selected_columns())
        dim = self.palette().brush(
            QtGui.QPalette.ColorGroup.Disabled, QtGui.QPalette.ColorRole.Text
        )
        normal = self.palette().brush(QtGui.QPalette.ColorRole.Text)
        for j, name in enumerate(self._layout.columns):
            brush = normal if name in selected else dim
            for i in range(self.preview_table.rowCount()):
                item = self.preview_table.item(i, j)
                if item is not None:
                    item.setForeground(brush)


# ------------------------------------------------------------------------- helpers
def _check_state(checked: bool) -> QtCore.Qt.CheckState:
    return QtCore.Qt.CheckState.Checked if checked else QtCore.Qt.CheckState.Unchecked


def _layout_from_preview(preview: CsvPreview) -> _FileLayout:
    numeric = frozenset(preview.numeric_columns)
    # The sniffer leaves a leading row index out of its defaults and says no more.
    index = 0 if 0 in numeric and 0 not in preview.default_columns else None
    return _FileLayout(preview.columns, numeric, index, preview.rows)


def _layout_from_choices(
    path: Path, delimiter: object, has_header: bool, decimal: object
) -> _FileLayout:
    """The split of ``path`` with explicit choices, by the reader that will load it.

    Raises
    ------
    DataError
        When the file does not split with these choices.
    """
    preview = sniff_csv(
        path, N_PREVIEW_ROWS, delimiter=delimiter, has_header=has_header, decimal=decimal
    )
    return _layout_from_preview(preview)


def _describe(trial: Dataset, layout: _FileLayout, normalize: bool) -> str:
    """Two lines: what loading kept and left out; what the window shows and EM fits."""
    report = trial.report
    selected = set(trial.columns)
    index_name = layout.columns[layout.index_column] if layout.index_column is not None else None
    if report is not None:
        # An explicit column list never reports the index as skipped, but the user
        # should still read that it was left out.
        index_skipped = None if index_name in selected else index_name
        summary = replace(report, index_column=index_skipped).summary()
    else:
        summary = count(trial.n_samples, "row")
    left_out = [
        name
        for j, name in enumerate(layout.columns)
        if j in layout.numeric and j != layout.index_column and name not in selected
    ]
    if left_out:
        summary += "; left out " + ", ".join(left_out)

    names = trial.columns
    if len(names) == 1:
        shown = f"Showing a histogram of {names[0]}; EM fits 1 column"
    else:
        shown = f"Showing {names[0]} vs {names[1]}; EM fits all {len(names)} selected columns"
    if normalize:
        shown += " as z-scores"
    return f"{summary}.\n{shown}."
