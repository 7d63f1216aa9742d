"""File > Export replay page: the session on screen as one self-contained HTML page.

The page (see :mod:`gmmviewer.core.replay`) replays the whole history with the columns
the window shows; the session need not be saved first. The writer is imported when the
command runs, not with the window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from gmmviewer.core.errors import GMMViewerError
from gmmviewer.ui.window.controller import Controller
from gmmviewer.ui.window.reporter import Reporter

PAGE_FILTER = "Web page (*.html *.htm)"


class ReplayExport(QtCore.QObject):
    """Writes the replay page of the controller's session.

    Parameters
    ----------
    controller : Controller
        Its session, shown columns and document name.
    reporter : Reporter
    settings : QSettings
        Remembers the last folder used (the key the other file commands share).
    dialog_parent : QWidget
    """

    def __init__(
        self,
        controller: Controller,
        reporter: Reporter,
        settings: QtCore.QSettings,
        dialog_parent: QtWidgets.QWidget,
    ) -> None:
        super().__init__(controller)
        self.controller = controller
        self.reporter = reporter
        self.settings = settings
        self._parent = dialog_parent

    def export_replay_page(self, path: str | None = None) -> bool:
        """Write the page to ``path`` (asked for when omitted); False if nothing was written.

        A failure is a one-line message box; an existing file is then unchanged.
        """
        session = self.controller.session
        if session is None:
            return False
        name = self.controller.document_name() or "replay"
        if not path:
            path = self._ask_path(f"{Path(name).stem or 'replay'}.html")
            if not path:
                return False
        if not path.lower().endswith((".html", ".htm")):
            path += ".html"
        from gmmviewer.core.replay.page import write_replay_page

        try:
            summary = write_replay_page(path, session, dims=self.controller.dims, title=name)
        except GMMViewerError as error:
            self.reporter.error(str(error))
            return False
        self.reporter.status(f"Wrote {path} ({summary.size / 1e6:.2f} MB)", 5000)
        return True

    def _ask_path(self, default_name: str) -> str:
        folder = str(self.settings.value("files/last_directory", str(Path.home())))
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self._parent, "Export replay page", str(Path(folder) / default_name), PAGE_FILTER
        )
        if path:
            self.settings.setValue("files/last_directory", str(Path(path).resolve().parent))
        return path
