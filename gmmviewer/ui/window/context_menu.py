"""The plot's right-click menu: add a component at the click, remove the one clicked."""

from __future__ import annotations

from PySide6 import QtWidgets

from gmmviewer.ui.window.controller import Controller


def build_context_menu(
    controller: Controller,
    parent: QtWidgets.QWidget,
    x: float,
    y: float,
    component: int,
) -> QtWidgets.QMenu | None:
    """The menu for a right-click at data (x, y) on ``component`` (-1: none); None when busy."""
    session = controller.session
    if session is None or not controller.idle:
        return None
    menu = QtWidgets.QMenu(parent)
    menu.setObjectName("plot_context_menu")
    if component >= 0:
        remove = menu.addAction(f"Remove component {component + 1}")
        remove.setObjectName("remove_component")
        remove.setEnabled(session.n_components > 1)
        remove.triggered.connect(_Call(controller.remove_component, component))
    add = menu.addAction("Add component here")
    add.setObjectName("add_component")
    add.setEnabled(session.n_components < session.n_samples)
    add.triggered.connect(_Call(controller.add_component_at, x, y))
    return menu


class _Call:
    """A slot bound to arguments, owned by the menu's lifetime rather than capturing a widget."""

    def __init__(self, function, *args: object) -> None:  # noqa: ANN001
        self._function = function
        self._args = args

    def __call__(self, *_: object) -> None:
        self._function(*self._args)
