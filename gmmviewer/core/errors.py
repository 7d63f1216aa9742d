"""Exceptions raised by gmmviewer's core. Imports nothing from Qt.

Every message is a single sentence a user can act on; the command line prints it
as-is and the window shows it in a message box.
"""

from __future__ import annotations


class GMMViewerError(Exception):
    """Base class of every error gmmviewer raises on purpose."""


class DataError(GMMViewerError, ValueError):
    """A data file or data array cannot be used (unreadable, empty, not numeric, ...)."""


class ParameterError(GMMViewerError, ValueError):
    """Mixture parameters are malformed: wrong shapes, not symmetric, not positive definite, ..."""


class ParameterFileError(ParameterError):
    """A parameter file cannot be read or written."""


class SessionFileError(GMMViewerError, ValueError):
    """A saved session cannot be read or written, or its data file is missing or changed."""


class SessionError(GMMViewerError, RuntimeError):
    """An operation on an :class:`~gmmviewer.core.session.em_session.EMSession` is not valid now."""


class Cancelled(GMMViewerError):
    """Long work was stopped on request (not an error to show the user)."""


class MissingDependencyError(GMMViewerError, ImportError):
    """An optional dependency (such as scikit-learn) is not installed."""
