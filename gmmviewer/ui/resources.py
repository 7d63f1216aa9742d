"""Files the window needs at run time (shipped inside the package)."""

from __future__ import annotations

from importlib.resources import files

from PySide6 import QtGui


def icon_path(name: str = "gmmviewer.svg") -> str:
    """Path of an icon shipped in ``gmmviewer/ui/icons``."""
    return str(files("gmmviewer.ui").joinpath("icons", name))


def app_icon() -> QtGui.QIcon:
    """The application icon."""
    return QtGui.QIcon(icon_path())
