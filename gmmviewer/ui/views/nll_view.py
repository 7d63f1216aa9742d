"""The NLL view: negative log-likelihood (and optionally the bound) against iteration.

A view: the controller pushes an :class:`NllCurve` built from the session's history;
clicking a point reports the history entry it stands for (the timeline).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.session.history import SessionState
from gmmviewer.ui.views.plot_view import style_axes
from gmmviewer.ui.views.theme import Theme, qcolor

ELBO_TOOLTIP = (
    "Shaded: the gap between -ELBO and the NLL, which is\n"
    "KL(q || p(z | x, theta)) = log p(X | theta) - L(q, theta) >= 0,\n"
    "with L(q, theta) = sum_n sum_k q_nk [log pi_k + log N(x_n | mu_k, Sigma_k) - log q_nk].\n"
    "The E-step closes it (q becomes the posterior); the M-step raises L."
)


@dataclass(frozen=True)
class NllCurve:
    """The part of the history the NLL view shows: the current run, with its redo branch.

    Attributes
    ----------
    xs : ndarray of shape (n,)
        Iteration of each point: ``n`` after the n-th M-step, ``n + 0.5`` after an E-step.
    nll : ndarray of shape (n,)
    neg_elbo : ndarray of shape (n,)
        -ELBO, NaN where there are no responsibilities yet.
    history_indices : ndarray of shape (n,)
        The history entry of each point.
    current : int
        Index (into these arrays) of the current state.
    converged_at : int or None
        Index of the first converged state.
    reference_nll : float or None
        NLL of the true parameters, for generated data.
    """

    xs: np.ndarray
    nll: np.ndarray
    neg_elbo: np.ndarray
    history_indices: np.ndarray
    current: int
    converged_at: int | None = None
    reference_nll: float | None = None

    @classmethod
    def from_history(
        cls,
        history: tuple[SessionState, ...],
        position: int,
        reference_nll: float | None = None,
    ) -> NllCurve:
        """The states of the run the current one belongs to: from its initialisation to the
        next initialisation (exclusive) or the end of the history."""
        start = position
        while start > 0 and history[start].action != "initialise":
            start -= 1
        stop = position + 1
        while stop < len(history) and history[stop].action != "initialise":
            stop += 1
        states = history[start:stop]
        xs = np.array([s.iteration + (0.5 if s.next_step == "M" else 0.0) for s in states])
        nll = np.array([-s.log_likelihood for s in states])
        neg_elbo = np.array([math.nan if s.elbo is None else -s.elbo for s in states])
        converged = [i for i, s in enumerate(states) if s.converged]
        return cls(
            xs=xs,
            nll=nll,
            neg_elbo=neg_elbo,
            history_indices=np.arange(start, stop),
            current=position - start,
            converged_at=converged[0] if converged else None,
            reference_nll=reference_nll,
        )


class NllView(QtWidgets.QWidget):
    """NLL against iteration, with the current position and convergence marked.

    Signals
    -------
    entry_clicked(int)
        The history index of a clicked point.
    """

    entry_clicked = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setObjectName("nll_plot")
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setLabel("bottom", "iteration (E-steps at .5)")
        self.plot_item.setLabel("left", "NLL")
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self.plot_item.setMenuEnabled(False)
        self.plot_item.vb.setMenuEnabled(False)
        # Iterations start at 0 and a run of one point should still show a sensible axis.
        self.plot_item.vb.setLimits(xMin=-0.5, minXRange=2.5)
        self.readout = QtWidgets.QLabel()
        self.readout.setObjectName("nll_readout")
        self.readout.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.readout)
        layout.addWidget(self.plot_widget, 1)
        self.timeline = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.timeline.setObjectName("timeline")
        self.timeline.setToolTip(
            "Timeline: drag to move the whole view to any half-step of this run"
        )
        self.timeline.setPageStep(2)
        # The arrow keys already step back and forward window-wide.
        self.timeline.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.timeline.valueChanged.connect(self._on_timeline_moved)
        layout.addWidget(self.timeline)
        self.restart_curves: list[pg.PlotDataItem] = []

        self.past_curve = pg.PlotDataItem(symbol="o", symbolSize=6)
        self.future_curve = pg.PlotDataItem(symbol="o", symbolSize=5)
        self.elbo_curve = pg.PlotDataItem(symbol="t1", symbolSize=6)
        # An unplotted copy of the NLL, the other edge of the shaded gap.
        self.nll_for_fill = pg.PlotDataItem()
        self.gap_fill = pg.FillBetweenItem(self.nll_for_fill.curve, self.elbo_curve.curve)
        self.current_marker = pg.ScatterPlotItem(size=16, symbol="o")
        self.converged_marker = pg.ScatterPlotItem(size=18, symbol="star")
        self.reference_line = pg.InfiniteLine(angle=0, movable=False)
        self.reference_line.setToolTip("NLL of the true parameters")
        for item in (
            self.gap_fill,
            self.future_curve,
            self.past_curve,
            self.elbo_curve,
            self.current_marker,
            self.converged_marker,
        ):
            self.plot_item.addItem(item)
        self.gap_fill.setToolTip(ELBO_TOOLTIP)
        self.elbo_curve.setToolTip(ELBO_TOOLTIP)
        for item in (self.past_curve, self.future_curve, self.elbo_curve):
            item.sigPointsClicked.connect(self._on_points_clicked)
        self._curve: NllCurve | None = None
        self._log_scale = False
        self._show_bound = False
        self._theme = Theme.light()
        self._scale = 1.0
        self._reference_shown = False
        self._restart_data: list[tuple[np.ndarray, np.ndarray]] = []
        self.show_bound(False)

    # ---------------------------------------------------------------- state
    def show_curve(self, curve: NllCurve) -> None:
        """Draw the run; points after the current one (the redo branch) are faded."""
        self._curve = curve
        with QtCore.QSignalBlocker(self.timeline):
            self.timeline.setRange(0, max(0, len(curve.xs) - 1))
            self.timeline.setValue(curve.current)
        xs, nll = curve.xs, self._transform(curve.nll, curve)
        past = slice(0, curve.current + 1)
        self.past_curve.setData(xs[past], nll[past])
        if curve.current + 1 < len(xs):
            future = slice(curve.current, len(xs))
            self.future_curve.setData(xs[future], nll[future])
        else:
            self.future_curve.setData([], [])
        elbo = self._transform(curve.neg_elbo, curve)
        finite = np.isfinite(elbo[past])
        self.elbo_curve.setData(xs[past][finite], elbo[past][finite])
        self.nll_for_fill.setData(xs[past][finite], nll[past][finite])
        self.current_marker.setData([xs[curve.current]], [nll[curve.current]])
        if curve.converged_at is not None:
            at = curve.converged_at
            self.converged_marker.setData([xs[at]], [nll[at]])
            self.converged_marker.setToolTip(f"converged at iteration {xs[at]:g}")
        else:
            self.converged_marker.setData([], [])
        self._show_reference(curve)
        self._update_readout(curve)

    def show_restarts(self, runs: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Faint NLL curves of other runs (restarts), as (iterations, nll) pairs."""
        for item in self.restart_curves:
            self.plot_item.removeItem(item)
        self.restart_curves = []
        pen = pg.mkPen(qcolor(self._theme.faded), width=1.2 * self._scale)
        for xs, nll in runs:
            values = self._transform_any(np.asarray(nll, float))
            item = pg.PlotDataItem(np.asarray(xs, float), values, pen=pen)
            item.setZValue(-5)
            item.setToolTip("Another restart's NLL (the best run is kept)")
            self.plot_item.addItem(item)
            self.restart_curves.append(item)
        self._restart_data = [(np.asarray(x, float), np.asarray(y, float)) for x, y in runs]

    def _transform_any(self, values: np.ndarray) -> np.ndarray:
        return values if self._curve is None else self._transform(values, self._curve)

    def _on_timeline_moved(self, value: int) -> None:
        if self._curve is not None and 0 <= value < len(self._curve.history_indices):
            self.entry_clicked.emit(int(self._curve.history_indices[value]))

    def _show_reference(self, curve: NllCurve) -> None:
        wanted = curve.reference_nll is not None
        if wanted:
            value = self._transform(np.array([curve.reference_nll]), curve)[0]
            if np.isfinite(value):
                self.reference_line.setValue(float(value))
            else:
                wanted = False
        if wanted and not self._reference_shown:
            self.plot_item.addItem(self.reference_line)
        elif not wanted and self._reference_shown:
            self.plot_item.removeItem(self.reference_line)
        self._reference_shown = wanted

    def _update_readout(self, curve: NllCurve) -> None:
        value = curve.nll[curve.current]
        parts = [f"NLL {value:,.4f}"]
        if curve.current > 0:
            change = value - curve.nll[curve.current - 1]
            parts.append("no change" if change == 0 else f"change {change:+,.4g}")
        elbo = curve.neg_elbo[curve.current]
        if self._show_bound and np.isfinite(elbo):
            parts.append(f"-ELBO {elbo:,.4f}  gap {elbo - value:,.4g}")
        if curve.reference_nll is not None:
            parts.append(f"true parameters {curve.reference_nll:,.4f}")
        self.readout.setText("    ".join(parts))

    def _transform(self, values: np.ndarray, curve: NllCurve) -> np.ndarray:
        """Values as plotted: NLL itself, or for the log axis NLL - min + 1 when NLL can be <= 0."""
        if not self._log_scale:
            return values
        candidates = [curve.nll, curve.neg_elbo]
        if curve.reference_nll is not None:
            candidates.append(np.array([curve.reference_nll]))
        lowest = np.nanmin(np.concatenate(candidates))
        return values if lowest > 0 else values - lowest + 1.0

    # ---------------------------------------------------------------- options
    def set_log_scale(self, enabled: bool) -> None:
        """Log y-axis (of NLL, or of NLL - min + 1 when some NLL is not positive)."""
        self._log_scale = enabled
        self.plot_item.setLogMode(y=enabled)
        self.nll_for_fill.setLogMode(False, enabled)
        self._relabel()
        if self._curve is not None:
            self.show_curve(self._curve)
        if self._restart_data:
            self.show_restarts(self._restart_data)

    def show_bound(self, enabled: bool) -> None:
        """Show -ELBO and the shaded gap to the NLL (the KL divergence)."""
        self._show_bound = enabled
        self.elbo_curve.setVisible(enabled)
        self.gap_fill.setVisible(enabled)
        if self._curve is not None:
            self._update_readout(self._curve)

    @property
    def curve(self) -> NllCurve | None:
        """The run shown."""
        return self._curve

    @property
    def bound_shown(self) -> bool:
        """True when -ELBO and the gap are drawn."""
        return self._show_bound

    @property
    def log_scale(self) -> bool:
        """True when the y-axis is logarithmic."""
        return self._log_scale

    def _relabel(self) -> None:
        shifted = False
        if self._log_scale and self._curve is not None:
            shifted = bool(np.nanmin(self._curve.nll) <= 0)
        label = (
            "NLL - min NLL + 1 (log)" if shifted else ("NLL (log)" if self._log_scale else "NLL")
        )
        self.plot_item.setLabel("left", label)

    def apply_style(self, theme: Theme, scale: float) -> None:
        """Restyle for a theme and size factor."""
        self._theme, self._scale = theme, scale
        self.plot_widget.setBackground(qcolor(theme.plot_background))
        ink = qcolor(theme.nll_curve)
        faded = qcolor(theme.faded)
        self.past_curve.setPen(pg.mkPen(ink, width=2 * scale))
        self.past_curve.setSymbolBrush(pg.mkBrush(ink))
        self.past_curve.setSymbolPen(pg.mkPen(ink))
        self.past_curve.setSymbolSize(6 * scale)
        self.future_curve.setPen(
            pg.mkPen(faded, width=1.5 * scale, style=QtCore.Qt.PenStyle.DashLine)
        )
        self.future_curve.setSymbolBrush(pg.mkBrush(faded))
        self.future_curve.setSymbolPen(pg.mkPen(faded))
        elbo = qcolor(theme.elbo_curve)
        self.elbo_curve.setPen(pg.mkPen(elbo, width=2 * scale))
        self.elbo_curve.setSymbolBrush(pg.mkBrush(elbo))
        self.elbo_curve.setSymbolPen(pg.mkPen(elbo))
        self.gap_fill.setBrush(pg.mkBrush(qcolor(theme.gap_fill)))
        marker = qcolor(theme.current_marker)
        self.current_marker.setPen(pg.mkPen(marker, width=2.5 * scale))
        self.current_marker.setBrush(pg.mkBrush(None))
        self.current_marker.setSize(16 * scale)
        self.converged_marker.setPen(pg.mkPen(qcolor(theme.foreground)))
        self.converged_marker.setBrush(pg.mkBrush("#e69f00"))
        self.converged_marker.setSize(18 * scale)
        self.reference_line.setPen(
            pg.mkPen(qcolor(theme.truth), width=1.5 * scale, style=QtCore.Qt.PenStyle.DashDotLine)
        )
        style_axes(self.plot_item, theme, scale)
        readout_font = QtGui.QFont()
        readout_font.setPointSizeF(10.0 * scale)
        readout_font.setFamily("monospace")
        self.readout.setFont(readout_font)

    # ---------------------------------------------------------------- events
    def _on_points_clicked(self, item: pg.PlotDataItem, points: list, event: object) -> None:
        if self._curve is None or not len(points):
            return
        x = points[0].pos().x()
        # Several entries can share an x (an edit sits on its step): take the nearest in order.
        candidates = np.flatnonzero(np.isclose(self._curve.xs, x))
        if not len(candidates):
            return
        if item is self.future_curve:
            chosen = candidates[-1]
        else:
            chosen = candidates[candidates <= self._curve.current]
            chosen = chosen[-1] if len(chosen) else candidates[0]
        self.entry_clicked.emit(int(self._curve.history_indices[chosen]))

    def point_position(self, history_index: int) -> QtCore.QPoint | None:
        """Widget position of the point of a history entry (for tests and tooltips)."""
        if self._curve is None:
            return None
        where = np.flatnonzero(self._curve.history_indices == history_index)
        if not len(where):
            return None
        i = int(where[0])
        y = self._transform(self._curve.nll, self._curve)[i]
        if self._log_scale:
            y = math.log10(y)
        scene = self.plot_item.vb.mapViewToScene(QtCore.QPointF(self._curve.xs[i], y))
        return self.plot_widget.mapFromScene(scene)
