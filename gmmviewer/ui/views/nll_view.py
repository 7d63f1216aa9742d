"""The NLL view: negative log-likelihood (and optionally the bound) against iteration.

A view: the controller pushes an :class:`NllCurve` built from the session's history;
clicking a point reports the history entry it stands for (the timeline). The view fits
its own ranges to what it draws; the log axis is drawn by transforming the values
(:class:`~gmmviewer.ui.views.axes.LogValueAxis`), so every item, markers and reference
line included, sits where its value is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.ui.views.axes import CachedAxis, LogValueAxis, NumberAxis
from gmmviewer.ui.views.growing_curve import (
    CurveBreaks,
    GrowingCurve,
    SegmentFill,
    break_positions,
    with_gaps,
)
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
    segment : ndarray of shape (n,), int, or None
        Which stretch of unchanged data each point belongs to: the curve breaks where it
        changes (the data were edited), since values across are not comparable.
    """

    xs: np.ndarray
    nll: np.ndarray
    neg_elbo: np.ndarray
    history_indices: np.ndarray
    current: int
    converged_at: int | None = None
    reference_nll: float | None = None
    segment: np.ndarray | None = None


class NllView(QtWidgets.QWidget):
    """NLL against iteration, with the current position and convergence marked.

    Ranges follow the data: a new run, the log axis and :meth:`fit_view` fit both axes;
    after a wheel zoom or pan the y-range stays the user's while the x-range follows
    new points and edits.

    Signals
    -------
    entry_clicked(int)
        The history index of a clicked point.
    """

    entry_clicked = QtCore.Signal(int)

    #: Iterations shown at least, so a run of one point still has a sensible x-axis.
    MIN_X_SPAN = 2.5
    #: Smallest y half-span, relative to the value, when every value is the same.
    MIN_RELATIVE_HALF_SPAN = 1e-4
    #: The same on the log axis, in decades.
    MIN_LOG_HALF_SPAN = math.log10(1 + MIN_RELATIVE_HALF_SPAN)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.y_axis = LogValueAxis("left")
        # No context menus (they would be switched off below): not made at all.
        self.plot_widget = pg.PlotWidget(
            axisItems={
                "left": self.y_axis,
                "bottom": NumberAxis("bottom"),
                # Hidden below; ours, so that range changes skip their titles.
                "top": CachedAxis("top"),
                "right": CachedAxis("right"),
            },
            enableMenu=False,
        )
        self.plot_widget.setObjectName("nll_plot")
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.hideAxis("top")
        self.plot_item.hideAxis("right")
        self.plot_item.setLabel("bottom", "iteration (E-steps at .5)")
        self.plot_item.setLabel("left", "NLL")
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self.plot_item.setMenuEnabled(False)
        self.plot_item.vb.setMenuEnabled(False)
        self.plot_item.vb.setLimits(xMin=-0.5, minXRange=self.MIN_X_SPAN)
        # The view fits its own ranges (pyqtgraph's auto-range knows nothing of the log
        # transform or of which run is new); its small "A" button fits them too.
        self.plot_item.vb.disableAutoRange()
        self.plot_item.vb.sigRangeChangedManually.connect(self._on_range_changed_by_user)
        self.plot_item.autoBtn.clicked.disconnect()
        self.plot_item.autoBtn.clicked.connect(self.fit_view)
        self.readout = QtWidgets.QLabel()
        self.readout.setObjectName("nll_readout")
        self.readout.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        # With the bound and the truth at 1.5x the readout is wider than the plot: cut it at
        # the right rather than let it widen the window past a 1280-pixel screen.
        self.readout.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
        )
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

        # A Run appends one point per half-step: these append instead of redrawing.
        self.past_curve = GrowingCurve(symbol="o", symbol_size=6)
        self.future_curve = GrowingCurve(symbol="o", symbol_size=5)
        self.elbo_curve = GrowingCurve(symbol="t1", symbol_size=6)
        # The shaded gap between NLL and -ELBO, broken where the data changed.
        self.gap_fill = SegmentFill()
        self.current_marker = pg.ScatterPlotItem(size=16, symbol="o")
        self.converged_marker = pg.ScatterPlotItem(size=18, symbol="star")
        self.reference_line = pg.InfiniteLine(angle=0, movable=False)
        self.reference_line.setToolTip("NLL of the true parameters")
        # Where the data were edited: the curve breaks, and a dashed line says why.
        self.breaks = CurveBreaks(self.plot_item)
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
        self._objective = "NLL"
        self._log_scale = False
        self._show_bound = False
        self._theme = Theme.light()
        self._scale = 1.0
        self._reference_shown = False
        self._restart_data: list[tuple[np.ndarray, np.ndarray]] = []
        # The y transform, (log axis, shift), the restart curves were drawn in.
        self._restarts_drawn_for: tuple[bool, float | None] | None = None
        # Range following: True until the user zooms or pans; the run and data last fitted.
        self._follow = True
        self._run_key: tuple | None = None
        self._data_key: tuple | None = None
        self.show_bound(False)

    # ---------------------------------------------------------------- state
    def show_curve(self, curve: NllCurve) -> None:
        """Draw the run; points after the current one (the redo branch) are faded."""
        self._curve = curve
        with QtCore.QSignalBlocker(self.timeline):
            self.timeline.setRange(0, max(0, len(curve.xs) - 1))
            self.timeline.setValue(curve.current)
        self._draw()
        self._update_readout(curve)
        self._follow_data()

    def show_restarts(self, runs: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Faint NLL curves of other runs (restarts), as (iterations, nll) pairs; [] clears."""
        for item in self.restart_curves:
            self.plot_item.removeItem(item)
        self.restart_curves = []
        self._restart_data = [(np.asarray(x, float), np.asarray(y, float)) for x, y in runs]
        for _ in self._restart_data:
            item = pg.PlotDataItem()
            item.setZValue(-5)
            item.setToolTip("Another restart's NLL (the best run is kept)")
            self.plot_item.addItem(item)
            self.restart_curves.append(item)
        self._style_restarts()
        self._draw_restarts()
        self._draw()
        if self._follow:
            self._fit()

    @property
    def restart_data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The restart curves shown, as (iterations, nll) pairs."""
        return list(self._restart_data)

    # ------------------------------------------------------------ transform
    def _lowest(self) -> float:
        """The lowest value drawn: NLL, -ELBO, the true parameters' NLL and restarts."""
        parts = [np.array([np.inf])]
        if self._curve is not None:
            parts += [self._curve.nll, self._curve.neg_elbo]
            if self._curve.reference_nll is not None:
                parts.append(np.array([self._curve.reference_nll], float))
        parts += [nll for _, nll in self._restart_data]
        values = np.concatenate([np.ravel(p) for p in parts])
        values = values[np.isfinite(values)]
        return float(values.min()) if len(values) else math.inf

    def _shift(self) -> float | None:
        """On the log axis with some value <= 0, the lowest value (NLL - lowest + 1 is
        plotted); None otherwise."""
        if not self._log_scale:
            return None
        lowest = self._lowest()
        return lowest if math.isfinite(lowest) and lowest <= 0 else None

    def plotted(self, values: np.ndarray) -> np.ndarray:
        """y coordinates of NLL values as drawn: the values, or on the log axis
        log10 of NLL (or of NLL - lowest + 1 when some value is <= 0)."""
        values = np.asarray(values, dtype=float)
        if not self._log_scale:
            return values
        shift = self._shift()
        shown = values if shift is None else values - shift + 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(shown > 0, np.log10(np.where(shown > 0, shown, 1.0)), np.nan)

    # ----------------------------------------------------------------- draw
    def _draw(self) -> None:
        """Draw the run; a half-step of a Run only appends a point to each curve."""
        if self._restarts_drawn_for != (self._log_scale, self._shift()):
            self._draw_restarts()
        self._relabel()
        curve = self._curve
        if curve is None:
            return
        xs, nll, segment = curve.xs, self.plotted(curve.nll), curve.segment
        past = slice(0, curve.current + 1)
        self.past_curve.setData(*with_gaps(xs[past], nll[past], _part(segment, past)))
        if curve.current + 1 < len(xs):
            future = slice(curve.current, len(xs))
            self.future_curve.setData(*with_gaps(xs[future], nll[future], _part(segment, future)))
        else:
            self.future_curve.setData([], [])
        self.breaks.show(break_positions(xs, segment))
        if self._show_bound:  # hidden, the bound and its gap cost nothing
            self._draw_bound()
        # A state whose components wait for their points has no NLL: no marker either.
        here = nll[curve.current]
        _move_marker(
            self.current_marker, *((xs[curve.current], here) if np.isfinite(here) else (None, None))
        )
        if curve.converged_at is not None:
            at = curve.converged_at
            _move_marker(self.converged_marker, xs[at], nll[at])
            self.converged_marker.setToolTip(f"converged at iteration {xs[at]:g}")
        else:
            _move_marker(self.converged_marker, None, None)
        self._show_reference(curve)

    def _draw_bound(self) -> None:
        """-ELBO of the states up to the current one, and the NLL edge of the shaded gap."""
        curve = self._curve
        if curve is None:
            return
        past = slice(0, curve.current + 1)
        xs, nll, elbo = (
            curve.xs[past],
            self.plotted(curve.nll[past]),
            self.plotted(curve.neg_elbo[past]),
        )
        finite = np.isfinite(elbo) & np.isfinite(nll)
        segment = _part(curve.segment, past)
        segment = None if segment is None else segment[finite]
        self.elbo_curve.setData(*with_gaps(xs[finite], elbo[finite], segment))
        self.gap_fill.set_edges(xs[finite], elbo[finite], nll[finite], segment)

    def _draw_restarts(self) -> None:
        """The restart curves in the current y transform (log or not, shifted or not)."""
        for item, (xs, nll) in zip(self.restart_curves, self._restart_data, strict=True):
            item.setData(xs, self.plotted(nll))
        self._restarts_drawn_for = (self._log_scale, self._shift())

    def _on_timeline_moved(self, value: int) -> None:
        if self._curve is not None and 0 <= value < len(self._curve.history_indices):
            self.entry_clicked.emit(int(self._curve.history_indices[value]))

    def _show_reference(self, curve: NllCurve) -> None:
        wanted = curve.reference_nll is not None
        if wanted:
            value = self.plotted(np.array([curve.reference_nll]))[0]
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
        name = self._objective
        if not np.isfinite(value):
            self.readout.setText(f"{name} \u2014: the components wait for their first points")
            return
        parts = [f"{name} {value:,.4f}"]
        segment = curve.segment
        edited = segment is not None and segment[curve.current] != segment[curve.current - 1]
        if curve.current > 0 and edited:
            parts.append("data changed: not comparable with the entry before")
        elif curve.current > 0:
            change = value - curve.nll[curve.current - 1]
            parts.append("no change" if change == 0 else f"change {change:+,.4g}")
        elbo = curve.neg_elbo[curve.current]
        if self._show_bound and np.isfinite(elbo):
            bound = "-ELBO" if name == "NLL" else "with current q"
            parts.append(f"{bound} {elbo:,.4f}  gap {elbo - value:,.4g}")
        if curve.reference_nll is not None:
            parts.append(f"true parameters {curve.reference_nll:,.4f}")
        shift = self._shift()
        if shift is not None:
            parts.append(f"log axis: {name} \u2212 ({shift:,.4g}) + 1, as some value \u2264 0")
        self.readout.setText("    ".join(parts))

    # ---------------------------------------------------------------- ranges
    def _on_range_changed_by_user(self, *_: object) -> None:
        self._follow = False

    def _follow_data(self) -> None:
        """Fit after new data: everything for a new run (or while following), else x only."""
        curve = self._curve
        if curve is None or not len(curve.xs):
            return
        # Keys compare equal for equal runs, NaN (no NLL before points are drawn) included.
        first, last = repr(float(curve.nll[0])), repr(float(curve.nll[-1]))
        run_key = (int(curve.history_indices[0]), first, float(curve.xs[0]))
        data_key = (run_key, len(curve.xs), float(curve.xs[-1]), last)
        if self._follow or run_key != self._run_key:
            self._follow = True
            self._fit()
        elif data_key != self._data_key:
            self._fit(y=False)
        self._run_key, self._data_key = run_key, data_key

    def _bounds(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """x and y extent of everything drawn (in plot coordinates)."""
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        curve = self._curve
        if curve is not None:
            xs.append(curve.xs)
            ys.append(self.plotted(curve.nll))
            if self._show_bound:
                ys.append(self.plotted(curve.neg_elbo))
            if curve.reference_nll is not None:
                ys.append(self.plotted(np.array([curve.reference_nll])))
        for x, nll in self._restart_data:
            xs.append(x)
            ys.append(self.plotted(nll))
        x_all = np.concatenate([np.ravel(v) for v in xs]) if xs else np.empty(0)
        y_all = np.concatenate([np.ravel(v) for v in ys]) if ys else np.empty(0)
        x_all, y_all = x_all[np.isfinite(x_all)], y_all[np.isfinite(y_all)]
        if not len(x_all) or not len(y_all):
            return None
        return (float(x_all.min()), float(x_all.max())), (float(y_all.min()), float(y_all.max()))

    def _fit(self, x: bool = True, y: bool = True) -> None:
        bounds = self._bounds()
        if bounds is None:
            return
        (x0, x1), (y0, y1) = bounds
        x0, x1 = x0 - 0.25, x1 + 0.25
        if x1 - x0 < self.MIN_X_SPAN:
            x1 = x0 + self.MIN_X_SPAN
        span = y1 - y0
        middle = 0.5 * (y0 + y1)
        if self._log_scale:
            smallest = self.MIN_LOG_HALF_SPAN
        else:
            smallest = max(abs(middle) * self.MIN_RELATIVE_HALF_SPAN, 1e-9)
        half = max(0.5 * span * 1.12, smallest)
        ranges: dict[str, tuple[float, float]] = {}
        if x:
            ranges["xRange"] = (x0, x1)
        if y:
            ranges["yRange"] = (middle - half, middle + half)
        self.plot_item.vb.setRange(padding=0, **ranges)
        # pyqtgraph applies a new range when it next paints, and its items then ask for
        # a second paint of the whole plot; applied now, the one paint has it all.
        self.plot_item.vb.updateMatrix()

    def fit_view(self) -> None:
        """Show everything drawn again (after a wheel zoom or pan), and follow new data."""
        self._follow = True
        self._fit()

    # ---------------------------------------------------------------- options
    def set_log_scale(self, enabled: bool) -> None:
        """Log y-axis (of NLL, or of NLL - lowest + 1 when some value is not positive)."""
        self._log_scale = enabled
        self.y_axis.set_log(enabled)
        self._draw()
        if self._curve is not None:
            self._update_readout(self._curve)
        self.fit_view()

    def show_bound(self, enabled: bool) -> None:
        """Show -ELBO and the shaded gap to the NLL (the KL divergence)."""
        self._show_bound = enabled
        if enabled:
            self._draw_bound()  # not kept up to date while hidden
        self.elbo_curve.setVisible(enabled)
        self.gap_fill.setVisible(enabled)
        if self._curve is not None:
            self._update_readout(self._curve)
            if self._follow:
                self._fit()

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

    @property
    def axis_label(self) -> str:
        """What the y-axis says is plotted."""
        return self.plot_item.getAxis("left").labelText

    def set_objective(self, variational: bool) -> None:
        """Label the curve as the NLL (EM) or as the negative ELBO (variational fits).

        A variational fit has no likelihood to climb: its curve is the negative evidence
        lower bound with the best responsibilities for each state's parameters.
        """
        objective = "\u2212ELBO" if variational else "NLL"
        if objective != self._objective:
            self._objective = objective
            self._relabel()
            if self._curve is not None:
                self._update_readout(self._curve)

    @property
    def objective(self) -> str:
        """What the curve shows: 'NLL' or '\u2212ELBO'."""
        return self._objective

    def _relabel(self) -> None:
        # Short, for a short plot: the readout above says the rest.
        name = self._objective
        if not self._log_scale:
            label = name
        elif self._shift() is not None:
            label = f"{name} \u2212 min + 1"  # the readout adds "log axis" and the min
        else:
            label = f"{name} (log)"
        if label != self.plot_item.getAxis("left").labelText:
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
        self._style_restarts()
        self.breaks.apply_style(qcolor(theme.axis), scale)
        style_axes(self.plot_item, theme, scale)
        readout_font = QtGui.QFont()
        readout_font.setPointSizeF(10.0 * scale)
        readout_font.setFamily("monospace")
        self.readout.setFont(readout_font)

    def _style_restarts(self) -> None:
        pen = pg.mkPen(qcolor(self._theme.faded), width=1.2 * self._scale)
        for item in self.restart_curves:
            item.setPen(pen)

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
        y = self.plotted(self._curve.nll)[i]
        return self.data_to_pixel(float(self._curve.xs[i]), float(y))

    def data_to_pixel(self, x: float, y: float) -> QtCore.QPoint:
        """Widget position of plot coordinates (x, y) (y as :meth:`plotted` gives it)."""
        scene = self.plot_item.vb.mapViewToScene(QtCore.QPointF(x, y))
        return self.plot_widget.mapFromScene(scene)


def _part(segment: np.ndarray | None, part: slice) -> np.ndarray | None:
    """The segment numbers of a slice of the curve (None stays None)."""
    return None if segment is None else segment[part]


def _move_marker(marker: pg.ScatterPlotItem, x: float | None, y: float | None) -> None:
    """Put a one-point marker at (x, y), or hide it for None; untouched when already
    there (``setData`` rebuilds the marker's spot)."""
    xs, ys = ([], []) if x is None else ([float(x)], [float(y)])
    shown_x, shown_y = marker.getData()
    if np.array_equal(shown_x, xs) and np.array_equal(shown_y, ys):
        return
    marker.setData(xs, ys)
