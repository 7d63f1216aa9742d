"""The data-edit row over the plot: brush radius and density, Clear data, and what the
mouse does, shown while data-edit mode is on."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.ui.overlays.brush import (
    DEFAULT_DENSITY,
    DEFAULT_RADIUS_PX,
    DENSITY_RANGE,
    RADIUS_RANGE_PX,
)

#: What the mouse does in data-edit mode, in the row (as many as fit) and its tool tip.
GESTURES = ("click: add", "drag: spray", "drag a point: move", "right-click a point: delete")
SEPARATOR = "  \u00b7  "
GESTURES_TIP = (
    "Click on empty space to add a point; drag there to spray a cluster along the stroke.\n"
    "Drag a point to move it; right-click or Shift+click a point to delete it.\n"
    "Mean handles still drag; the wheel and right-drag zoom, middle-drag pans.\n"
    "Every stroke, move and deletion is one undoable step (Ctrl+Z)."
)


class PaintToolbar(QtWidgets.QFrame):
    """Brush settings and data commands for data-edit mode.

    Parameters
    ----------
    edit_action, clear_action : QAction
        "Edit data" (checkable: the row's Done button unchecks it) and "Clear data".

    Signals
    -------
    brush_changed(float, float)
        Brush radius in pixels and points sprayed per radius of stroke.
    """

    brush_changed = QtCore.Signal(float, float)

    def __init__(
        self,
        edit_action: QtGui.QAction,
        clear_action: QtGui.QAction,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("paint_toolbar")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        title = QtWidgets.QLabel("<b>Editing data</b>")
        title.setToolTip(GESTURES_TIP)
        layout.addWidget(title)
        self.radius_spin = QtWidgets.QSpinBox()
        self.radius_spin.setObjectName("brush_radius")
        self.radius_spin.setRange(*RADIUS_RANGE_PX)
        self.radius_spin.setValue(DEFAULT_RADIUS_PX)
        self.radius_spin.setSuffix(" px")
        self.radius_spin.setToolTip("Brush radius: a spray lands within this circle")
        self.density_spin = QtWidgets.QSpinBox()
        self.density_spin.setObjectName("brush_density")
        self.density_spin.setRange(*DENSITY_RANGE)
        self.density_spin.setValue(DEFAULT_DENSITY)
        self.density_spin.setToolTip(
            "Spray density: points added for each brush radius the stroke travels"
        )
        for text, box in (("Brush", self.radius_spin), ("Density", self.density_spin)):
            label = QtWidgets.QLabel(text)
            label.setBuddy(box)
            label.setToolTip(box.toolTip())
            layout.addWidget(label)
            layout.addWidget(box)
            box.valueChanged.connect(self._emit_brush)
        self.clear_button = QtWidgets.QToolButton()
        self.clear_button.setObjectName("clear_data_button")
        self.clear_button.setDefaultAction(clear_action)
        layout.addWidget(self.clear_button)
        self.gestures = PhraseLabel(GESTURES)
        self.gestures.setObjectName("paint_gestures")
        self.gestures.setToolTip(GESTURES_TIP)
        layout.addWidget(self.gestures, 1)
        self.done_button = QtWidgets.QToolButton()
        self.done_button.setObjectName("paint_done_button")
        self.done_button.setText("Done")
        self.done_button.setToolTip("Leave data-edit mode (D)")
        self.done_button.clicked.connect(edit_action.trigger)
        layout.addWidget(self.done_button)
        self._edit_action = edit_action
        edit_action.toggled.connect(self.setVisible)
        self.setVisible(edit_action.isChecked())

    def brush(self) -> tuple[float, float]:
        """(radius in pixels, density) as set."""
        return float(self.radius_spin.value()), float(self.density_spin.value())

    def _emit_brush(self) -> None:
        self.brush_changed.emit(*self.brush())


def edit_data_button(edit_action: QtGui.QAction) -> QtWidgets.QToolButton:
    """A toggle for data-edit mode, for the menu bar's corner (it takes no height)."""
    button = QtWidgets.QToolButton()
    button.setObjectName("edit_data_button")
    button.setDefaultAction(edit_action)
    button.setAutoRaise(True)
    button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class PhraseLabel(QtWidgets.QLabel):
    """A label showing as many whole phrases as its width holds (never a cut word).

    The row never widens the window for it: on a projector's small screen the gesture
    summary gives way first, and its tool tip still says everything.
    """

    def __init__(self, phrases: tuple[str, ...], parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._phrases = phrases
        self.setMinimumWidth(0)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
        )

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange:
            self._fit()

    def _fit(self) -> None:
        metrics = QtGui.QFontMetrics(self.font())
        for n in range(len(self._phrases), -1, -1):
            text = SEPARATOR.join(self._phrases[:n])
            if metrics.horizontalAdvance(text) <= self.width():
                break
        if text != self.text():
            self.setText(text)
