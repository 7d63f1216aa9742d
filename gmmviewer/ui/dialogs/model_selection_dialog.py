"""Model selection: fit K = 1..Kmax for each covariance type, plot BIC and AIC, pick one.

The fits run on a worker thread (:class:`~gmmviewer.ui.window.background.BackgroundJob`) with a
progress bar and Cancel; curves grow as results arrive. "Use this model" hands the chosen
:class:`~gmmviewer.core.analysis.model_selection.ModelScore` to the window.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.analysis.model_selection import ModelScore, best_model, scan_models
from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.text import count
from gmmviewer.ui.views.colours import component_colours
from gmmviewer.ui.window.background import BackgroundJob

TYPE_COLOURS = dict(zip(COVARIANCE_TYPES, component_colours(len(COVARIANCE_TYPES)), strict=True))
COLUMNS = ["K", "covariance", "log-likelihood", "BIC", "AIC", "iterations"]


class ModelSelectionDialog(QtWidgets.QDialog):
    """Fit a grid of models to the session's data and compare them by BIC and AIC.

    Signals
    -------
    model_chosen(ModelScore)
    """

    model_chosen = QtCore.Signal(object)

    def __init__(self, session: EMSession, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("model_selection_dialog")
        self.setWindowTitle("Model selection")
        self._session = session
        self.scores: list[ModelScore] = []
        self.job = BackgroundJob(self)
        self.job.progressed.connect(self._on_score)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)

        self.k_max_spin = QtWidgets.QSpinBox()
        self.k_max_spin.setRange(1, max(1, min(20, session.n_samples)))
        self.k_max_spin.setValue(min(8, session.n_samples))
        self.type_checks: dict[str, QtWidgets.QCheckBox] = {}
        types_row = QtWidgets.QHBoxLayout()
        for kind in COVARIANCE_TYPES:
            check = QtWidgets.QCheckBox(kind)
            check.setChecked(True)
            self.type_checks[kind] = check
            types_row.addWidget(check)
        self.criterion_combo = QtWidgets.QComboBox()
        self.criterion_combo.addItem("BIC (lower is better)", "bic")
        self.criterion_combo.addItem("AIC (lower is better)", "aic")
        self.criterion_combo.currentIndexChanged.connect(self._select_best)
        self.start_button = QtWidgets.QPushButton("Fit all")
        self.start_button.setObjectName("start_button")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setObjectName("progress")
        self.status = QtWidgets.QLabel(
            f"Fits every model to the {count(session.n_samples, 'point')} with the session's "
            f"initialisation ({session.init}, seed {session.seed})."
        )
        self.status.setWordWrap(True)

        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setObjectName("criteria_plot")
        self.plot_widget.setBackground("w")
        plot = self.plot_widget.getPlotItem()
        plot.setLabel("bottom", "components K")
        plot.setLabel("left", "criterion (lower is better)")
        plot.showGrid(x=True, y=True, alpha=0.2)
        self.legend = plot.addLegend(offset=(-10, 10))
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        for kind in COVARIANCE_TYPES:
            colour = QtGui.QColor(*map(int, TYPE_COLOURS[kind]))
            for criterion, style in (
                ("bic", QtCore.Qt.PenStyle.SolidLine),
                ("aic", QtCore.Qt.PenStyle.DashLine),
            ):
                curve = plot.plot(
                    [],
                    [],
                    pen=pg.mkPen(colour, width=2, style=style),
                    symbol="o" if criterion == "bic" else "t",
                    symbolSize=7,
                    symbolBrush=colour,
                    name=f"{criterion.upper()} {kind}",
                )
                self.curves[kind, criterion] = curve
        self.best_marker = pg.ScatterPlotItem(
            size=20, symbol="o", pen=pg.mkPen("k", width=2), brush=None
        )
        plot.addItem(self.best_marker)

        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("scores_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_selection)

        self.use_button = QtWidgets.QPushButton("Use this model")
        self.use_button.setObjectName("use_button")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use_selected)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.close)

        form = QtWidgets.QFormLayout()
        form.addRow("Largest K", self.k_max_spin)
        form.addRow("Covariance types", types_row)
        form.addRow("Best by", self.criterion_combo)
        run_row = QtWidgets.QHBoxLayout()
        run_row.addWidget(self.start_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.use_button)
        bottom.addWidget(close)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        splitter.addWidget(self.plot_widget)
        splitter.addWidget(self.table)
        splitter.setSizes([320, 200])
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self.resize(760, 720)

    # ---------------------------------------------------------------- running
    def selected_types(self) -> list[str]:
        """The covariance types ticked."""
        return [kind for kind, check in self.type_checks.items() if check.isChecked()]

    def start(self) -> None:
        """Fit every chosen model on the worker thread."""
        types = self.selected_types()
        if not types or self.job.running:
            return
        self.scores = []
        self.table.setRowCount(0)
        for curve in self.curves.values():
            curve.setData([], [])
        self.best_marker.setData([], [])
        k_values = list(range(1, self.k_max_spin.value() + 1))
        self.progress.setRange(0, len(k_values) * len(types))
        self.progress.setValue(0)
        session = self._session
        X = session.X
        settings = session.fit_settings()
        del settings["covariance_type"]  # the scan sets its own

        def work(should_stop):
            return scan_models(X, k_values, types, should_stop=should_stop, **settings)

        self.job.start(work)
        self._set_running(True)

    def cancel(self) -> None:
        """Stop the fits (the ones done stay)."""
        self.job.cancel()

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.k_max_spin.setEnabled(not running)
        for check in self.type_checks.values():
            check.setEnabled(not running)

    def _on_score(self, score: ModelScore) -> None:
        self.scores.append(score)
        self.progress.setValue(len(self.scores))
        row = self.table.rowCount()
        self.table.insertRow(row)
        cells = [
            str(score.n_components),
            score.covariance_type,
            f"{score.log_likelihood:,.2f}",
            f"{score.bic:,.2f}",
            f"{score.aic:,.2f}",
            f"{score.n_iter}" + ("" if score.converged else " (not converged)"),
        ]
        for column, text in enumerate(cells):
            self.table.setItem(row, column, QtWidgets.QTableWidgetItem(text))
        for criterion in ("bic", "aic"):
            mine = [s for s in self.scores if s.covariance_type == score.covariance_type]
            self.curves[score.covariance_type, criterion].setData(
                [s.n_components for s in mine], [getattr(s, criterion) for s in mine]
            )
        self.status.setText(
            f"Fitted K = {score.n_components}, {score.covariance_type} "
            f"({len(self.scores)} of {self.progress.maximum()})"
        )

    def _on_finished(self, completed: bool) -> None:
        self._set_running(False)
        done = count(len(self.scores), "model")
        self.status.setText(f"Fitted all {done}." if completed else f"Stopped after {done}.")
        self._select_best()

    def _on_failed(self, message: str) -> None:
        self.status.setText(f"<span style='color:#c0392b'>{message}</span>")

    # -------------------------------------------------------------- choosing
    def criterion(self) -> str:
        """'bic' or 'aic'."""
        return self.criterion_combo.currentData()

    def best(self) -> ModelScore | None:
        """The best model so far by the chosen criterion."""
        return best_model(self.scores, self.criterion())

    def _select_best(self) -> None:
        best = self.best()
        if best is None:
            return
        self.best_marker.setData([best.n_components], [getattr(best, self.criterion())])
        row = self.scores.index(best)
        self.table.selectRow(row)

    def selected_score(self) -> ModelScore | None:
        """The model selected in the table."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.scores[rows[0].row()]

    def _on_selection(self) -> None:
        self.use_button.setEnabled(self.selected_score() is not None)

    def use_selected(self) -> None:
        """Hand the selected model to the window."""
        score = self.selected_score()
        if score is not None:
            self.model_chosen.emit(score)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.job.cancel()
        self.job.wait()
        super().closeEvent(event)
