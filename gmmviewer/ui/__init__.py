"""gmmviewer's Qt user interface: the main window, plot views, controls and dialogs.

Views are pushed state by :class:`~gmmviewer.ui.window.controller.Controller`, which subscribes
to the core's :class:`~gmmviewer.core.session.em_session.EMSession`; nothing here computes EM.
"""
