"""Light and dark themes that restyle widgets and plots together.

The light theme is the default: it projects well in a lit lecture room. A theme is a
plain set of colours; :func:`apply_to_application` sets the Qt palette, and each view's
``apply_style`` reads the plot colours.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtGui, QtWidgets


@dataclass(frozen=True)
class Theme:
    """The colours of one theme, CSS-style: ``#RRGGBB``, or ``#RRGGBBAA`` with alpha.

    Read them with :func:`qcolor`: Qt itself would take eight digits as ``#AARRGGBB``.
    """

    name: str
    window: str
    base: str
    text: str
    button: str
    highlight: str
    plot_background: str
    foreground: str
    axis: str
    point_outline: str
    handle_outline: str
    truth: str
    contour: str
    legend_background: str
    nll_curve: str
    elbo_curve: str
    gap_fill: str
    current_marker: str
    faded: str
    ellipse_edge: str

    @classmethod
    def light(cls) -> Theme:
        """Dark ink on white: the projector default."""
        return cls(
            name="light",
            window="#f4f4f2",
            base="#ffffff",
            text="#1d1d1d",
            button="#e8e8e6",
            highlight="#0072b2",
            plot_background="#ffffff",
            foreground="#222222",
            axis="#555555",
            point_outline="#00000060",
            handle_outline="#111111",
            truth="#333333",
            contour="#7a7a7a",
            legend_background="#ffffffd8",
            nll_curve="#1d1d1d",
            elbo_curve="#009e73",
            gap_fill="#009e7340",
            current_marker="#d55e00",
            faded="#b0b0b0",
            ellipse_edge="#111111c0",
        )

    @classmethod
    def dark(cls) -> Theme:
        """Light ink on near-black, for dim rooms and screens."""
        return cls(
            name="dark",
            window="#1f2124",
            base="#16181a",
            text="#e6e6e6",
            button="#2c2f33",
            highlight="#56b4e9",
            plot_background="#121314",
            foreground="#e0e0e0",
            axis="#a0a0a0",
            point_outline="#ffffff40",
            handle_outline="#f5f5f5",
            truth="#dddddd",
            contour="#9a9a9a",
            legend_background="#1f2124d8",
            nll_curve="#f0f0f0",
            elbo_curve="#3fd6a6",
            gap_fill="#3fd6a640",
            current_marker="#ff9a4d",
            faded="#5a5a5a",
            ellipse_edge="#000000d0",
        )

    @classmethod
    def named(cls, name: str) -> Theme:
        """'light' or 'dark' (anything else gives light)."""
        return cls.dark() if name == "dark" else cls.light()


def qcolor(value: str) -> QtGui.QColor:
    """A ``#RRGGBB`` or ``#RRGGBBAA`` string as a QColor."""
    text = value.lstrip("#")
    if len(text) == 8:
        return QtGui.QColor(
            int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16), int(text[6:8], 16)
        )
    return QtGui.QColor(f"#{text}")


def apply_to_application(theme: Theme, app: QtWidgets.QApplication) -> QtGui.QPalette:
    """Set (and return) the application palette for ``theme``."""
    palette = QtGui.QPalette()
    role = QtGui.QPalette.ColorRole
    colour = qcolor
    palette.setColor(role.Window, colour(theme.window))
    palette.setColor(role.WindowText, colour(theme.text))
    palette.setColor(role.Base, colour(theme.base))
    palette.setColor(role.AlternateBase, colour(theme.button))
    palette.setColor(role.Text, colour(theme.text))
    palette.setColor(role.Button, colour(theme.button))
    palette.setColor(role.ButtonText, colour(theme.text))
    palette.setColor(role.Highlight, colour(theme.highlight))
    palette.setColor(role.HighlightedText, QtGui.QColor("#ffffff"))
    palette.setColor(role.ToolTipBase, colour(theme.base))
    palette.setColor(role.ToolTipText, colour(theme.text))
    palette.setColor(role.PlaceholderText, colour(theme.faded))
    disabled = QtGui.QPalette.ColorGroup.Disabled
    for muted in (role.ButtonText, role.WindowText, role.Text):
        palette.setColor(disabled, muted, colour(theme.faded))
    app.setPalette(palette)
    return palette


#: Where the application's unscaled font is kept (a dynamic property of the application).
_BASE_FONT_PROPERTY = "gmmviewer_base_font"


def scale_application_font(app: QtWidgets.QApplication, scale: float) -> QtGui.QFont:
    """Set (and return) the application font at ``scale`` times its unscaled size.

    Menus, tool tips and dialogs are windows of their own and take the application's
    font, not the main window's. The unscaled font is the application's at the first call.
    """
    base = app.property(_BASE_FONT_PROPERTY)
    if not isinstance(base, QtGui.QFont):
        base = QtGui.QFont(app.font())
        app.setProperty(_BASE_FONT_PROPERTY, base)
    font = QtGui.QFont(base)
    if base.pointSizeF() > 0:
        font.setPointSizeF(base.pointSizeF() * scale)
    else:
        font.setPixelSize(max(1, round(base.pixelSize() * scale)))
    app.setFont(font)
    return font
