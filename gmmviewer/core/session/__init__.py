"""The stateful, undoable EM session, its history, transitions, posterior cache and events.

No Qt here; ``EMSession`` lives in :mod:`gmmviewer.core.session.em_session`."""
