"""gmmviewer's Qt user interface: the main window, plot views, controls and dialogs.

Views are pushed state by :class:`~gmmviewer.ui.window.controller.Controller`, which subscribes
to the core's :class:`~gmmviewer.core.session.em_session.EMSession`; nothing here computes EM.
"""

# Before pyqtgraph and the rest of the window are imported: see pyside_import_hook.
import PySide6.QtCore  # noqa: E402, F401

from gmmviewer.ui import pyside_import_hook  # noqa: E402

pyside_import_hook.install()
