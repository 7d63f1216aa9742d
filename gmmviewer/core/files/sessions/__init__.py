"""Session files (``.gmmv``): saving and opening a whole session, and the checks of every
field read back. Pure numpy; no Qt. The format is described in
:mod:`~gmmviewer.core.files.sessions.session_file`."""

#: The extension of session files; here, not in ``session_file``, so the window can tell a
#: session from a CSV file by its name without importing the reader and its checks.
SESSION_EXTENSION = ".gmmv"
