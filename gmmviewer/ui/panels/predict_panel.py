"""The Predict tab: what to do, the responsibility guess, the revealed result and the log.

A view: :class:`~gmmviewer.ui.teaching.predict_mode.PredictMode` pushes the instructions,
the sliders for a point's guessed responsibilities, the scores and the session's log of
predictions; the panel reports nothing but its sliders (the Predict and Reveal buttons
are the window's actions).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.analysis.prediction import PredictionScore, ResponsibilityScore
from gmmviewer.core.analysis.prediction_log import PredictionRecord
from gmmviewer.core.text import escape_html
from gmmviewer.ui.views.plot_view import style_axes
from gmmviewer.ui.views.theme import Theme, qcolor

#: Keys a focused slider keeps (the window's shortcuts would otherwise undo or jump).
_SLIDER_KEYS = {
    QtCore.Qt.Key.Key_Left,
    QtCore.Qt.Key.Key_Right,
    QtCore.Qt.Key.Key_Up,
    QtCore.Qt.Key.Key_Down,
    QtCore.Qt.Key.Key_Home,
    QtCore.Qt.Key.Key_End,
    QtCore.Qt.Key.Key_PageUp,
    QtCore.Qt.Key.Key_PageDown,
}
SLIDER_STEPS = 100
#: Rows the result table and the log show before they scroll.
MOST_RESULT_ROWS = 12
MOST_LOG_ROWS = 8


class _SliderKeys(QtCore.QObject):
    """Lets a focused guess slider keep its arrow, Home/End and Page keys."""

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.Type.ShortcutOverride:
            assert isinstance(event, QtGui.QKeyEvent)
            if event.key() in _SLIDER_KEYS:
                event.accept()  # the slider takes the key; the window's shortcut does not fire
                return True
        return False


def _swatch(colour: np.ndarray) -> str:
    return "#{:02x}{:02x}{:02x}".format(*map(int, colour))


def _table(columns: list[str], name: str) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(columns)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
    table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


def _fit_height(table: QtWidgets.QTableWidget, most_rows: int) -> None:
    """As tall as the header and up to ``most_rows`` rows (more scroll), however large the font."""
    table.resizeRowsToContents()
    rows = min(table.rowCount(), most_rows)
    height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
    if rows:
        height += sum(table.rowHeight(row) for row in range(rows))
    else:
        height += table.verticalHeader().defaultSectionSize()
    table.setFixedHeight(height)


class PredictPanel(QtWidgets.QWidget):
    """Predict and Reveal buttons, instructions, guess sliders, result and past predictions.

    Parameters
    ----------
    predict_action, reveal_action : QAction
        The window's "Predict the next step" (checkable) and "Reveal" actions.

    Signals
    -------
    guess_changed()
        A guess slider moved.
    """

    guess_changed = QtCore.Signal()

    def __init__(
        self,
        predict_action: QtGui.QAction,
        reveal_action: QtGui.QAction,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("predict_panel")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        buttons = QtWidgets.QHBoxLayout()
        self.predict_button = self._button(predict_action, "predict_button")
        self.reveal_button = self._button(reveal_action, "reveal_button")
        buttons.addWidget(self.predict_button)
        buttons.addWidget(self.reveal_button)
        layout.addLayout(buttons)
        self.instructions = QtWidgets.QLabel()
        self.instructions.setObjectName("predict_instructions")
        self.instructions.setWordWrap(True)
        layout.addWidget(self.instructions)

        self.guess_group = QtWidgets.QGroupBox("Your guess")
        guess_layout = QtWidgets.QVBoxLayout(self.guess_group)
        self.guess_title = QtWidgets.QLabel()
        self.guess_title.setWordWrap(True)
        guess_layout.addWidget(self.guess_title)
        self.slider_grid = QtWidgets.QGridLayout()
        guess_layout.addLayout(self.slider_grid)
        self.sliders: list[QtWidgets.QSlider] = []
        self.slider_labels: list[QtWidgets.QLabel] = []
        self._slider_keys = _SliderKeys(self)
        layout.addWidget(self.guess_group)

        self.result_group = QtWidgets.QGroupBox("Revealed")
        result_layout = QtWidgets.QVBoxLayout(self.result_group)
        self.result_summary = QtWidgets.QLabel()
        self.result_summary.setObjectName("predict_result_summary")
        self.result_summary.setWordWrap(True)
        self.result_table = _table(["k", "off by", "% of spread"], "predict_result_table")
        result_layout.addWidget(self.result_summary)
        result_layout.addWidget(self.result_table)
        # The bar chart of a revealed E-step guess goes below them when first needed
        # (see bars_widget): a plot costs the window's first paint several milliseconds.
        self._result_layout = result_layout
        self._bars_widget: pg.PlotWidget | None = None
        self.guess_bars: pg.BarGraphItem | None = None
        self.actual_bars: pg.BarGraphItem | None = None
        layout.addWidget(self.result_group)

        self.log_group = QtWidgets.QGroupBox("Past predictions")
        log_layout = QtWidgets.QVBoxLayout(self.log_group)
        self.log_table = _table(["#", "step", "score"], "predict_log_table")
        self.log_summary = QtWidgets.QLabel()
        self.log_summary.setObjectName("predict_log_summary")
        self.log_summary.setWordWrap(True)
        log_layout.addWidget(self.log_table)
        log_layout.addWidget(self.log_summary)
        layout.addWidget(self.log_group)
        layout.addStretch(1)
        self._theme = Theme.light()
        #: The last theme and size factor applied, for a bar chart made after them.
        self._style: tuple[Theme, float] | None = None
        self._colours = np.zeros((0, 3), np.uint8)
        self.show_guess(None, np.zeros((0, 3), np.uint8))
        self.clear_result()
        self.show_log(())

    @property
    def bars_widget(self) -> pg.PlotWidget:
        """The bar chart of a revealed E-step guess, made when first asked for."""
        if self._bars_widget is None:
            widget = pg.PlotWidget()
            widget.setObjectName("predict_bars")
            widget.setMinimumHeight(140)
            widget.setMaximumHeight(200)
            widget.setMenuEnabled(False)
            widget.setMouseEnabled(x=False, y=False)
            widget.hideButtons()
            bars_plot = widget.getPlotItem()
            bars_plot.setYRange(0, 1.05, padding=0)
            bars_plot.setLabel("left", "responsibility")
            self.guess_bars = pg.BarGraphItem(x=[], height=[], width=0.36)
            self.actual_bars = pg.BarGraphItem(x=[], height=[], width=0.36)
            bars_plot.addItem(self.guess_bars)
            bars_plot.addItem(self.actual_bars)
            self._result_layout.addWidget(widget)
            self._bars_widget = widget
            if self._style is not None:
                self._style_bars(*self._style)
        return self._bars_widget

    @staticmethod
    def _button(action: QtGui.QAction, name: str) -> QtWidgets.QToolButton:
        button = QtWidgets.QToolButton()
        button.setObjectName(name)
        button.setDefaultAction(action)
        button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed
        )
        button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        return button

    # ----------------------------------------------------------------- guess
    def show_instructions(self, text: str) -> None:
        """What to do now (one short paragraph)."""
        self.instructions.setText(text)

    def show_guess(self, title: str | None, colours: np.ndarray) -> None:
        """Sliders for a point's responsibilities, one per colour (K, 3), starting equal;
        None hides the guess."""
        self.guess_group.setVisible(title is not None)
        if title is None:
            return
        self.guess_title.setText(title)
        self._colours = np.asarray(colours)
        k = len(colours)
        while len(self.sliders) > k:
            self.slider_grid.removeWidget(self.sliders[-1])
            self.slider_grid.removeWidget(self.slider_labels[-1])
            self.sliders.pop().deleteLater()
            self.slider_labels.pop().deleteLater()
        while len(self.sliders) < k:
            row = len(self.sliders)
            slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
            slider.setObjectName(f"guess_slider_{row}")
            slider.setRange(0, SLIDER_STEPS)
            slider.setPageStep(10)
            slider.installEventFilter(self._slider_keys)
            slider.valueChanged.connect(self._on_slider_moved)
            label = QtWidgets.QLabel()
            label.setObjectName(f"guess_label_{row}")
            label.setTextFormat(QtCore.Qt.TextFormat.RichText)
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance("■ 10: 100%"))
            self.slider_grid.addWidget(label, row, 0)
            self.slider_grid.addWidget(slider, row, 1)
            self.sliders.append(slider)
            self.slider_labels.append(label)
        for slider in self.sliders:
            with QtCore.QSignalBlocker(slider):
                slider.setValue(SLIDER_STEPS // 2)
        self._show_percentages()

    def guess(self) -> np.ndarray:
        """The sliders' values, shape (K,), not normalised."""
        return np.array([slider.value() for slider in self.sliders], dtype=float)

    def normalised_guess(self) -> np.ndarray:
        """The guess as shown: shares summing to one (equal when every slider is at 0)."""
        values = self.guess()
        total = values.sum()
        return values / total if total > 0 else np.full(len(values), 1.0 / max(len(values), 1))

    def _on_slider_moved(self) -> None:
        self._show_percentages()
        self.guess_changed.emit()

    def _show_percentages(self) -> None:
        shares = self.normalised_guess()
        for index, (label, share) in enumerate(zip(self.slider_labels, shares, strict=True)):
            swatch = _swatch(self._colours[index])
            label.setText(
                f'<span style="color:{swatch}">&#9632;</span> {index + 1}: {100 * share:.0f}%'
            )

    # ---------------------------------------------------------------- result
    def clear_result(self) -> None:
        """Nothing revealed yet."""
        self.result_group.setVisible(False)

    def show_mean_result(self, title: str, score: PredictionScore, colours: np.ndarray) -> None:
        """The distances of the ghosts from the actual means, per component."""
        self.result_group.setVisible(True)
        if self._bars_widget is not None:
            self._bars_widget.setVisible(False)
        self.result_table.setVisible(True)
        sizes = score.size_ratios
        columns = ["k", "off by", "% of spread"] + ([] if sizes is None else ["size ×"])
        table = self.result_table
        table.setColumnCount(len(columns))
        table.setHorizontalHeaderLabels(columns)
        table.setRowCount(len(score.distances) + 1)
        for row, distance in enumerate(score.distances):
            cells = [f"{row + 1}", f"{distance:.3g}", f"{100 * distance / score.data_scale:.1f}%"]
            if sizes is not None:
                cells.append(f"{sizes[row]:.2f}")
            self._fill_row(row, cells, colours[row])
        mean = ["mean", f"{score.mean_error:.3g}", f"{100 * score.relative_error:.1f}%"]
        self._fill_row(len(score.distances), mean + ([""] if sizes is not None else []), None)
        _fit_height(table, MOST_RESULT_ROWS)
        self.result_summary.setText(
            f"<b>{escape_html(title)}</b>: the means moved as the lines show; your ghosts "
            f"were off by <b>{100 * score.relative_error:.1f}%</b> of the data spread "
            f"({score.data_scale:.3g}) on average."
        )

    def _fill_row(self, row: int, cells: list[str], colour: np.ndarray | None) -> None:
        for column, text in enumerate(cells):
            item = QtWidgets.QTableWidgetItem(text)
            if column == 0 and colour is not None:
                item.setForeground(QtGui.QBrush(QtGui.QColor(*map(int, colour))))
                item.setText(f"■ {text}")
            if column > 0:
                item.setTextAlignment(
                    QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
                )
            self.result_table.setItem(row, column, item)

    def show_responsibility_result(
        self, title: str, score: ResponsibilityScore, colours: np.ndarray
    ) -> None:
        """The guessed (hollow) and actual (filled) responsibilities side by side."""
        self.result_group.setVisible(True)
        self.result_table.setVisible(False)
        self.bars_widget.setVisible(True)  # made here the first time
        k = len(score.actual)
        positions = np.arange(1, k + 1, dtype=float)
        brushes = [pg.mkBrush(QtGui.QColor(*map(int, c))) for c in colours]
        pens = [pg.mkPen(QtGui.QColor(*map(int, c)), width=2.5) for c in colours]
        self.guess_bars.setOpts(
            x=positions - 0.19,
            height=score.guess,
            width=0.36,
            brush=QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush),
            pens=pens,
        )
        self.actual_bars.setOpts(
            x=positions + 0.19, height=score.actual, width=0.36, brushes=brushes, pens=pens
        )
        self.bars_widget.getPlotItem().setXRange(0.5, k + 0.5, padding=0)
        self.bars_widget.getPlotItem().getAxis("bottom").setTicks(
            [[(float(p), str(int(p))) for p in positions]]
        )
        self.result_summary.setText(
            f"<b>{escape_html(title)}</b>: hollow bars your guess, filled the E-step's "
            f"responsibilities. <b>{100 * score.total_variation:.1f}%</b> of the point's "
            "membership was given to the wrong components (total variation distance)."
        )

    @property
    def guess_heights(self) -> np.ndarray:
        """The hollow bars' heights (the guess shown), shape (K,)."""
        if self.guess_bars is None:
            return np.zeros(0)
        return np.asarray(self.guess_bars.opts["height"], dtype=float)

    @property
    def actual_heights(self) -> np.ndarray:
        """The filled bars' heights (the E-step's responsibilities), shape (K,)."""
        if self.actual_bars is None:
            return np.zeros(0)
        return np.asarray(self.actual_bars.opts["height"], dtype=float)

    # ------------------------------------------------------------------- log
    def show_log(self, records: tuple[PredictionRecord, ...] | list[PredictionRecord]) -> None:
        """Every scored prediction of the session, newest first."""
        table = self.log_table
        table.setRowCount(len(records))
        for row, (number, record) in enumerate(reversed(list(enumerate(records, 1)))):
            what = "means" if record.kind == "means" else f"point {(record.point or 0) + 1}"
            unit = "of spread" if record.kind == "means" else "misplaced"
            cells = [
                str(number),
                f"{record.half_step}-step {record.iteration}: {what}",
                f"{record.score_percent:.1f}% {unit}",
            ]
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setToolTip(record.summary)
                table.setItem(row, column, item)
        _fit_height(table, MOST_LOG_ROWS)
        parts = []
        for kind, unit in (("means", "of the data spread"), ("responsibilities", "misplaced")):
            scores = [r.score for r in records if r.kind == kind]
            if scores:
                parts.append(
                    f"{kind}: {100 * float(np.mean(scores)):.1f}% {unit} on average ({len(scores)})"
                )
        self.log_summary.setText(
            "; ".join(parts) if parts else "No predictions yet: they are kept with the session."
        )

    # ----------------------------------------------------------------- style
    def apply_style(self, theme: Theme, scale: float) -> None:
        """Restyle the bar chart for a theme and size factor."""
        self._theme = theme
        self._style = (theme, scale)
        if self._bars_widget is not None:
            self._style_bars(theme, scale)
        for button in (self.predict_button, self.reveal_button):
            button.setMinimumHeight(round(34 * scale))
        # Rows follow the application's font, which the window scales with the size.
        _fit_height(self.result_table, MOST_RESULT_ROWS)
        _fit_height(self.log_table, MOST_LOG_ROWS)

    def _style_bars(self, theme: Theme, scale: float) -> None:
        widget = self.bars_widget
        widget.setBackground(qcolor(theme.plot_background))
        style_axes(widget.getPlotItem(), theme, scale)
