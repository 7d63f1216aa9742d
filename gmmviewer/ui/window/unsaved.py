"""The question every editor asks before unsaved work would be dropped: Save, Discard or
Cancel. Cancel (or a Save whose file dialog is cancelled) leaves everything as it was."""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtWidgets

Button = QtWidgets.QMessageBox.StandardButton


class UnsavedChangesPrompt:
    """Asks whether to save a modified session before it is replaced or the window closes.

    Parameters
    ----------
    save : callable
        Saves the session (asking for a file name when it has none); returns False when
        it did not save.
    describe : callable
        The session's name, for the question.
    parent : QWidget
        The window the question belongs to.
    """

    def __init__(
        self,
        save: Callable[[], bool],
        describe: Callable[[], str],
        parent: QtWidgets.QWidget,
    ) -> None:
        self._save = save
        self._describe = describe
        self._parent = parent
        self.box: QtWidgets.QMessageBox | None = None

    def __call__(self) -> bool:
        """True when the caller may go on (saved or discarded), False to stay."""
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Question,
            "Unsaved changes",
            f"Save the changes to {self._describe() or 'this session'}?",
            Button.Save | Button.Discard | Button.Cancel,
            self._parent,
        )
        box.setObjectName("unsaved_box")
        box.setInformativeText("Your steps and edits will be lost if you don't save them.")
        box.setDefaultButton(Button.Save)
        box.setEscapeButton(Button.Cancel)
        self.box = box
        try:
            answer = box.exec()
        finally:
            self.box = None
            box.deleteLater()
        if answer == Button.Save:
            return self._save()
        return answer == Button.Discard
