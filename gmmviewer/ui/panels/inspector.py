"""The point inspector: one point's responsibilities as bars, and its E-step in numbers.

A view: the controller pushes the point, its responsibilities and the E-step terms
(computed by :func:`gmmviewer.core.em.estep.explain_point`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.text import escape_html
from gmmviewer.ui.views.plot_view import style_axes
from gmmviewer.ui.views.theme import Theme, qcolor

FORMULA = (
    "r<sub>nk</sub> = &pi;<sub>k</sub> N(x<sub>n</sub> | &mu;<sub>k</sub>, &Sigma;<sub>k</sub>)"
    " / &Sigma;<sub>j</sub> &pi;<sub>j</sub> "
    "N(x<sub>n</sub> | &mu;<sub>j</sub>, &Sigma;<sub>j</sub>)"
)


def _number(value: float) -> str:
    if value == 0.0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.4f}"
    return f"{value:.3e}"


class PointInspector(QtWidgets.QWidget):
    """Bars of one point's responsibilities in the component colours, and the E-step formula."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("point_inspector")
        self.title = QtWidgets.QLabel()
        self.title.setObjectName("inspector_title")
        self.title.setWordWrap(True)
        # The bar chart is made when the tab is first shown or a point is (see _make_bars):
        # the window's first paint need not wait for a plot on a hidden tab.
        self.bars_widget: pg.PlotWidget | None = None
        self.bars: pg.BarGraphItem | None = None
        self.value_labels: list[pg.TextItem] = []
        self.formula = QtWidgets.QLabel()
        self.formula.setObjectName("inspector_formula")
        self.formula.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula.setAlignment(
            QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft
        )
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.formula, 1)
        self._layout = layout
        self._responsibilities = np.zeros(0)
        self._theme = Theme.light()
        self._style: tuple[Theme, float] | None = None  # for bars made after apply_style
        self.clear()

    def _make_bars(self) -> None:
        """Make the bar chart (once) between the title and the formula, styled as the panel."""
        if self.bars_widget is not None:
            return
        self.bars_widget = pg.PlotWidget()
        self.bars_widget.setObjectName("inspector_bars")
        self.bars_widget.setMinimumHeight(150)
        self.bars_widget.setMaximumHeight(220)
        self.bars_widget.setMenuEnabled(False)
        self.bars_widget.setMouseEnabled(x=False, y=False)
        self.bars_widget.hideButtons()
        plot = self.bars_widget.getPlotItem()
        plot.setYRange(0, 1.15, padding=0)
        plot.setLabel("left", "responsibility")
        plot.setLabel("bottom", "component")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        plot.addItem(self.bars)
        self._layout.insertWidget(1, self.bars_widget)
        if self.isVisible():
            self.bars_widget.show()  # at once: the layout would show it only after this paint
        if self._style is not None:
            self._style_bars(*self._style)

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        self._make_bars()
        super().showEvent(event)

    @property
    def responsibilities(self) -> np.ndarray:
        """The bar heights shown, shape (K,)."""
        return self._responsibilities

    def clear(self) -> None:
        """No point selected."""
        self._responsibilities = np.zeros(0)
        self.title.setText("Click a data point to see its responsibilities and E-step.")
        if self.bars is not None:  # bars not made yet show nothing already
            self.bars.setOpts(x=[], height=[])
            self._set_value_labels([], [])
        self.formula.setText(f"<p>{FORMULA}</p>")

    def show_point(
        self,
        index: int,
        x: np.ndarray,
        columns: tuple[str, ...],
        terms: dict[str, np.ndarray],
        colours: np.ndarray,
        note: str = "",
    ) -> None:
        """Show point ``index``.

        Parameters
        ----------
        index : int
        x : ndarray of shape (n_features,)
            The point, in the units EM fits.
        columns : tuple of str
        terms : dict of ndarray of shape (n_components,)
            ``weights``, ``log_density``, ``weighted``, ``responsibilities`` (explain_point).
        colours : ndarray of shape (n_components, 3)
        note : str
            Where the numbers come from (for instance "before the first E-step").
        """
        resp = np.asarray(terms["responsibilities"], dtype=float)
        self._responsibilities = resp
        k = len(resp)
        coordinates = ", ".join(
            f"{name} = {value:.4g}" for name, value in zip(columns, x, strict=True)
        )
        self.title.setText(f"<b>Point {index + 1}</b>: {escape_html(coordinates)}")
        brushes = [pg.mkBrush(QtGui.QColor(*map(int, colour))) for colour in colours]
        positions = np.arange(1, k + 1)
        self._make_bars()
        self.bars.setOpts(x=positions, height=resp, brushes=brushes, width=0.7)
        self.bars_widget.getPlotItem().setXRange(0.4, k + 0.6, padding=0)
        self._set_value_labels(positions, resp)
        rows = []
        for j in range(k):
            swatch = "#{:02x}{:02x}{:02x}".format(*map(int, colours[j]))
            rows.append(
                "<tr>"
                f'<td><span style="color:{swatch}">&#9632;</span> {j + 1}</td>'
                f"<td align='right'>{_number(terms['weights'][j])}</td>"
                f"<td align='right'>{_number(float(np.exp(terms['log_density'][j])))}</td>"
                f"<td align='right'>{_number(terms['weighted'][j])}</td>"
                f"<td align='right'><b>{_number(resp[j])}</b></td>"
                "</tr>"
            )
        total = float(np.sum(terms["weighted"]))
        self.formula.setText(
            f"<p>{FORMULA}</p>"
            "<table cellspacing='0' cellpadding='3'>"
            "<tr><th>k</th><th>&pi;<sub>k</sub></th><th>N(x<sub>n</sub>|k)</th>"
            "<th>&pi;<sub>k</sub>N</th><th>r<sub>nk</sub></th></tr>"
            + "".join(rows)
            + f"<tr><td colspan='3'>sum over j</td><td align='right'>{_number(total)}</td>"
            "<td align='right'>1</td></tr></table>"
            + (f"<p><i>{escape_html(note)}</i></p>" if note else "")
        )

    def _set_value_labels(self, positions: np.ndarray, heights: np.ndarray) -> None:
        plot = self.bars_widget.getPlotItem()
        for label in self.value_labels:
            plot.removeItem(label)
        self.value_labels = []
        for x, height in zip(positions, heights, strict=True):
            label = pg.TextItem(
                f"{height:.3f}", anchor=(0.5, 1.0), color=qcolor(self._theme.foreground)
            )
            label.setPos(float(x), float(height) + 0.02)
            plot.addItem(label)
            self.value_labels.append(label)

    def apply_style(self, theme: Theme, scale: float) -> None:
        """Restyle for a theme and size factor."""
        self._theme = theme
        self._style = (theme, scale)
        if self.bars_widget is not None:
            self._style_bars(theme, scale)

    def _style_bars(self, theme: Theme, scale: float) -> None:
        self.bars_widget.setBackground(qcolor(theme.plot_background))
        plot = self.bars_widget.getPlotItem()
        style_axes(plot, theme, scale)
        for label in self.value_labels:
            label.setColor(qcolor(theme.foreground))
