"""Non-modal progress dialogs for long work (restarts, animation export)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets


def open_progress(
    parent: QtWidgets.QWidget,
    title: str,
    text: str,
    total: int,
    on_cancel: Callable[[], None],
) -> QtWidgets.QProgressDialog:
    """Show a progress dialog at once; its Cancel button calls ``on_cancel``.

    ``total`` 0 shows a busy bar for work of unknown length.
    """
    dialog = QtWidgets.QProgressDialog(text, "Cancel", 0, total, parent)
    dialog.setObjectName("progress_dialog")
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setWindowModality(QtCore.Qt.WindowModality.NonModal)
    dialog.canceled.connect(on_cancel)
    dialog.show()
    return dialog


def close_progress(dialog: QtWidgets.QProgressDialog | None) -> None:
    """Close a progress dialog without it reporting a Cancel.

    Closing a QProgressDialog emits ``canceled``, which must not cancel finished work.
    """
    if dialog is None:
        return
    dialog.canceled.disconnect()
    dialog.close()
    dialog.deleteLater()
