"""A spin box for numbers that span decades (tolerance, reg_covar, prior strengths)."""

from __future__ import annotations

import math
import re

from PySide6 import QtGui, QtWidgets

#: What a number being typed may look like on its way to being one: "1e", "-", ".5e-".
_PARTIAL_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d*)?([eE][+-]?\d*)?")


class NumberSpinBox(QtWidgets.QDoubleSpinBox):
    """A spin box for numbers that span decades (tolerance, reg_covar).

    Shows ``0.001`` and ``1e-06`` rather than a fixed count of decimals, so a value keeps
    its digits however small, the box stays narrow at any font size, and typed scientific
    notation is taken.
    """

    SIGNIFICANT_DIGITS = 6

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        # The most Qt allows: values are never rounded to a fixed number of decimals.
        self.setDecimals(323)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:.{self.SIGNIFICANT_DIGITS}g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(self._number_text(text))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QtGui.QValidator.State, str, int]:
        State = QtGui.QValidator.State  # noqa: N806
        core = self._number_text(text)
        try:
            value = float(core)
        except ValueError:
            state = State.Intermediate if _PARTIAL_NUMBER.fullmatch(core) else State.Invalid
            return state, text, pos
        if not math.isfinite(value) or not _PARTIAL_NUMBER.fullmatch(core):
            return State.Invalid, text, pos
        inside = self.minimum() <= value <= self.maximum()
        return (State.Acceptable if inside else State.Intermediate), text, pos

    def _number_text(self, text: str) -> str:
        text = text.removeprefix(self.prefix()).removesuffix(self.suffix())
        return text.strip()
