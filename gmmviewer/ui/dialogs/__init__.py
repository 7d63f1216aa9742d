"""Modal dialogs that produce a :class:`~gmmviewer.core.data.dataset.Dataset` for the main window.

Each dialog only gathers choices and builds the data with the core's public functions; it
remembers nothing between uses (the main window persists settings).
"""

from gmmviewer.ui.dialogs.csv_import_dialog import CsvImportDialog
from gmmviewer.ui.dialogs.generate_dialog import RANDOM_SOURCE, GenerateDialog

__all__ = ["RANDOM_SOURCE", "CsvImportDialog", "GenerateDialog"]
