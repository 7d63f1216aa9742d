"""Session files (``.gmmv``): saving and opening a whole session, and the checks of every
field read back. Pure numpy; no Qt. The format is described in
:mod:`~gmmviewer.core.files.sessions.session_file`."""
