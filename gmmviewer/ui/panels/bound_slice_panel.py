"""The Bound tab: the log-likelihood and the lower bound as one mean moves.

A view: the controller's helper pushes a
:class:`~gmmviewer.core.analysis.bound_slice.BoundSlice` (or a note saying why there is
none) and hears which component the user chose. Both curves are drawn over ``t`` with
the gap between them shaded, ``t = 0`` marked "now" and ``t = 1`` "M-step".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.ui.views.axes import NumberAxis
from gmmviewer.ui.views.plot_view import style_axes
from gmmviewer.ui.views.theme import Theme, qcolor

if TYPE_CHECKING:
    # Computing a slice needs the analysis; the window's start, with the bound off, doesn't.
    from gmmviewer.core.analysis.bound_slice import BoundSlice

EXPLANATION = (
    "Only mean k moves, to \u03bc\u2096 + t\u00b7d; q, the weights and covariances stay. "
    "The bound L(q, \u03b8) touches the log-likelihood where q was computed and is "
    "highest at t = 1, where the M-step puts the mean."
)
LEGEND_BOUND = "lower bound L(q, \u03b8)"
BOUND_TOOLTIP = (
    "Shaded: the gap log p(X | \u03b8) \u2212 L(q, \u03b8)"
    " = KL(q \u2016 p(z | x, \u03b8)) \u2265 0.\n"
    "The bound is a concave quadratic in t (the covariance is fixed), highest at the\n"
    "responsibility-weighted mean: the M-step's new mean, t = 1."
)


class BoundSlicePanel(QtWidgets.QWidget):
    """Log-likelihood and ``L(q, theta)`` along one mean's next M-step move.

    Signals
    -------
    component_chosen(int)
        The user chose a component (0-based) in the combo box.
    shown()
        The tab came into view, so the slice (which costs a pass over up to 50,000
        points) is computed only while someone can see it.
    """

    component_chosen = QtCore.Signal(int)
    shown = QtCore.Signal()

    #: Height of the plot in pixels, at every scale: bigger fonts take room from the
    #: plot's inside, so at 1280 x 720 and 1.5x the whole plot is still in view.
    PLOT_HEIGHT = 250

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bound_slice_panel")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Moving mean"))
        self.component_box = QtWidgets.QComboBox()
        self.component_box.setObjectName("bound_slice_component")
        self.component_box.setToolTip(
            "The component whose mean moves (follows the mean you last dragged)"
        )
        self.component_box.activated.connect(self._on_component_chosen)
        row.addWidget(self.component_box, 1)
        layout.addLayout(row)
        # The legend sits above the plot: inside, a narrow plot has no corner to spare.
        self.legend = QtWidgets.QLabel()
        self.legend.setObjectName("bound_slice_legend")
        self.legend.setToolTip(EXPLANATION)
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        # The plot goes here when the tab is first shown (see _make_plot): the window's
        # first paint need not wait for a plot that is hidden until the bound is on.
        self._layout, self._plot_index = layout, layout.count()
        self.plot_widget: pg.PlotWidget | None = None
        self.plot_item: pg.PlotItem | None = None
        self.likelihood_curve: pg.PlotDataItem | None = None
        self.bound_curve: pg.PlotDataItem | None = None
        self.gap_fill: pg.FillBetweenItem | None = None
        self.now_line: pg.InfiniteLine | None = None
        self.m_step_line: pg.InfiniteLine | None = None

        self.note = QtWidgets.QLabel()
        self.note.setObjectName("bound_slice_note")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.readout = QtWidgets.QLabel()
        self.readout.setObjectName("bound_slice_readout")
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.readout)
        # The tabs share the tallest page's height; the rest of this one stays blank, so
        # at 1280 x 720 the whole slice, its axis and its notes fit without scrolling.
        layout.addStretch(1)
        self._slice: BoundSlice | None = None
        self._theme = Theme.light()
        self._scale = 1.0
        self._styled = False  # apply_style was called: a plot made later takes its style
        self.show_slice(None, "")

    def _make_plot(self) -> None:
        """Make the plot of both curves (once), styled as the panel is."""
        if self.plot_widget is not None:
            return
        self.plot_widget = pg.PlotWidget(
            axisItems={"left": NumberAxis("left"), "bottom": NumberAxis("bottom")}
        )
        self.plot_widget.setObjectName("bound_slice_plot")
        self.plot_widget.setFixedHeight(self.PLOT_HEIGHT)
        self.plot_widget.setToolTip(EXPLANATION)
        self.plot_item = self.plot_widget.getPlotItem()
        self.plot_item.setMenuEnabled(False)
        self.plot_item.vb.setMenuEnabled(False)
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self.plot_item.setLabel("left", "log-likelihood")
        self.plot_item.setLabel("bottom", "t along mean 1's next M-step move")
        self.likelihood_curve = pg.PlotDataItem()
        self.bound_curve = pg.PlotDataItem()
        self.gap_fill = pg.FillBetweenItem(self.likelihood_curve.curve, self.bound_curve.curve)
        self.gap_fill.setToolTip(BOUND_TOOLTIP)
        # "now" left of its line and "M-step" right of its, so they never run together.
        self.now_line = pg.InfiniteLine(
            0.0, angle=90, movable=False, label="now ", labelOpts={"anchors": [(1, 0), (1, 0)]}
        )
        self.m_step_line = pg.InfiniteLine(
            1.0, angle=90, movable=False, label=" M-step", labelOpts={"anchors": [(0, 0), (0, 0)]}
        )
        # As show_slice(None) leaves them: no curves, no lines, until a slice is drawn.
        self.now_line.setVisible(False)
        self.m_step_line.setVisible(False)
        for item in (self.gap_fill, self.now_line, self.m_step_line):
            self.plot_item.addItem(item)
        self.plot_item.addItem(self.likelihood_curve)
        self.plot_item.addItem(self.bound_curve)
        self._layout.insertWidget(self._plot_index, self.plot_widget)
        if self.isVisible():
            self.plot_widget.show()  # at once: the layout would show it only after this paint
        if self._styled:
            self._style_plot()

    # ---------------------------------------------------------------- state
    def set_components(self, n_components: int, colours: np.ndarray, chosen: int) -> None:
        """Offer components 1..K (their colours as icons), ``chosen`` (0-based) selected."""
        box = self.component_box
        key = (n_components, np.asarray(colours).tobytes())
        if box.property("components_key") != key:
            with QtCore.QSignalBlocker(box):
                box.clear()
                for k in range(n_components):
                    swatch = QtGui.QPixmap(12, 12)
                    swatch.fill(QtGui.QColor(*map(int, colours[k])))
                    box.addItem(QtGui.QIcon(swatch), f"component {k + 1}")
            box.setProperty("components_key", key)
        if box.currentIndex() != chosen:
            with QtCore.QSignalBlocker(box):
                box.setCurrentIndex(chosen)

    def show_slice(self, result: BoundSlice | None, note: str) -> None:
        """Draw both curves of ``result`` (None draws nothing) and a note below them."""
        self._slice = result
        self.note.setText(note)
        self.note.setVisible(bool(note))
        if result is None:
            if self.plot_widget is not None:  # a plot not made yet shows nothing already
                for curve in (self.likelihood_curve, self.bound_curve):
                    curve.setData([], [])
                self.now_line.setVisible(False)
                self.m_step_line.setVisible(False)
            self.readout.setText("")
            return
        from gmmviewer.core.analysis.bound_slice import LARGEST_VARIANCE_DIRECTION

        self._make_plot()
        self.likelihood_curve.setData(result.ts, result.log_likelihood)
        self.bound_curve.setData(result.ts, result.bound)
        k = result.component + 1
        along_axis = result.direction_kind == LARGEST_VARIANCE_DIRECTION
        self.now_line.setVisible(True)
        self.m_step_line.setVisible(not along_axis)
        label = (
            f"t (SDs along mean {k}'s longest axis)"
            if along_axis
            else f"t along mean {k}'s next M-step move"
        )
        if self._scale > 1.2:  # big fonts: two lines, or the label runs past the plot
            label = label.replace(" next", "<br>next").replace("SDs along", "SDs<br>along")
        if self.plot_item.getAxis("bottom").labelText != label:
            self.plot_item.setLabel("bottom", label)
        at_zero = np.flatnonzero(result.ts == 0.0)
        if len(at_zero):
            i = int(at_zero[0])
            likelihood = result.log_likelihood[i]
            gap = likelihood - result.bound[i]
            touching = abs(gap) <= 1e-9 * max(1.0, abs(likelihood))
            self.readout.setText(
                f"at t = 0: log-likelihood {likelihood:,.4f}, bound {result.bound[i]:,.4f}, "
                + ("gap 0 (they touch)" if touching else f"gap {gap:,.4g}")
            )
        else:
            self.readout.setText("")
        self.plot_item.vb.autoRange(padding=0.05)

    @property
    def shown_slice(self) -> BoundSlice | None:
        """The slice drawn (None when there is none)."""
        return self._slice

    @property
    def chosen_component(self) -> int:
        """The component (0-based) the combo box shows."""
        return max(0, self.component_box.currentIndex())

    @property
    def note_text(self) -> str:
        """The note below the plot ('' when there is none)."""
        return self.note.text()

    def curves(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The drawn (t, log-likelihood) and (t, bound) data (for tests)."""
        self._make_plot()
        return self.likelihood_curve.getData(), self.bound_curve.getData()

    # ---------------------------------------------------------------- style
    def apply_style(self, theme: Theme, scale: float) -> None:
        """Restyle for a theme and size factor."""
        self._theme, self._scale = theme, scale
        self._styled = True
        self.legend.setText(
            _legend_html(((theme.nll_curve, "log-likelihood"), (theme.elbo_curve, LEGEND_BOUND)))
        )
        if self.plot_widget is not None:
            self._style_plot()

    def _style_plot(self) -> None:
        theme, scale = self._theme, self._scale
        self.plot_widget.setBackground(qcolor(theme.plot_background))
        self.likelihood_curve.setPen(pg.mkPen(qcolor(theme.nll_curve), width=2 * scale))
        self.bound_curve.setPen(pg.mkPen(qcolor(theme.elbo_curve), width=2 * scale))
        self.gap_fill.setBrush(pg.mkBrush(qcolor(theme.gap_fill)))
        marker = qcolor(theme.current_marker)
        self.now_line.setPen(pg.mkPen(marker, width=1.5 * scale, style=QtCore.Qt.PenStyle.DashLine))
        self.m_step_line.setPen(
            pg.mkPen(qcolor(theme.faded), width=1.5 * scale, style=QtCore.Qt.PenStyle.DashLine)
        )
        font = QtGui.QFont()
        font.setPointSizeF(9.0 * scale)
        for line in (self.now_line, self.m_step_line):
            line.label.setColor(qcolor(theme.foreground))
            line.label.setFont(font)
            line.label.setPosition(0.92)
        style_axes(self.plot_item, theme, scale)

    # ---------------------------------------------------------------- events
    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        self._make_plot()
        super().showEvent(event)
        self.shown.emit()

    def _on_component_chosen(self, index: int) -> None:
        if index >= 0:
            self.component_chosen.emit(index)


def _legend_html(entries: tuple[tuple[str, str], ...]) -> str:
    """A legend as rich text: a thick line in each colour, then its name."""
    parts = [
        f'<span style="color:{colour[:7]}; font-weight:bold">\u2501\u2501</span> {name}'
        for colour, name in entries
    ]
    return "&nbsp;&nbsp;&nbsp;".join(parts)
