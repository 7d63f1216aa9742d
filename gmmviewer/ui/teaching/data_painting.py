"""Data-edit ("paint") mode: gestures on the plot become undoable edits of the data.

The plots' :class:`~gmmviewer.ui.overlays.brush.PaintSurface` report what the mouse did (a
point added, a stroke sprayed, a point dragged or deleted) in the coordinates of the
columns shown; :class:`DataPainter` completes the hidden columns, makes the one session
call each gesture stands for, and says in the status bar what happened. The
:class:`~gmmviewer.ui.window.controller.Controller` owns one and hands it itself as the
:class:`PainterHost`; this module never imports the controller or the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from PySide6 import QtCore

from gmmviewer.core.data.editing import complete_points, completion_note
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.text import count
from gmmviewer.ui.views.plot_view import PlotView
from gmmviewer.ui.window.reporter import Reporter
from gmmviewer.ui.window.session_drawing import Views
from gmmviewer.ui.window.view_state import ViewState

#: Up to this many samples times components a dragged point refits live at every mouse
#: move (one E-step each); above it, once when the drag ends.
LIVE_MOVE_WORK = 200_000
#: How long the status bar shows what an edit did, in milliseconds.
NOTE_MSECS = 8000
#: How a note begins when the edit paused a run.
RUN_PAUSED = "Run paused to edit the data (R runs on)"


class PainterHost(Protocol):
    """What the painter needs of its owner (the controller)."""

    session: EMSession | None
    views: Views
    view_state: ViewState
    reporter: Reporter

    @property
    def running(self) -> bool: ...

    def pause(self) -> None: ...

    def refresh(self) -> None: ...

    def guarded(self, call: Callable[[], object]) -> bool: ...


class DataPainter(QtCore.QObject):
    """Turns data-edit gestures into session calls: one undoable entry per gesture.

    Parameters
    ----------
    host : PainterHost
        The controller: the session, the views, the view state and the reporter.
    """

    def __init__(self, host: PainterHost, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._host = host
        self._active = False
        # The point being dragged, once its first move is in the history (later moves merge).
        self._moving: int | None = None
        # An edit paused a run: the next note says so.
        self._paused_run = False
        #: The brush last set (radius, density); None for the surfaces' own.
        self._brush: tuple[float, float] | None = None
        host.views.for_each_plot(self._on_plot_made)

    # ------------------------------------------------------------------- mode
    @property
    def active(self) -> bool:
        """True while data-edit mode is on."""
        return self._active

    def _on_plot_made(self, plot: PlotView) -> None:
        """A plot made later (the histogram) starts in the mode and with the brush."""
        plot.paint_surface.set_active(self._active)
        if self._brush is not None:
            plot.paint_surface.set_brush(*self._brush)

    def set_active(self, active: bool) -> None:
        """Data-edit mode on or off, on both plots (and the Edit data action checked so)."""
        if bool(active) == self._active:
            return
        self._active = bool(active)
        self._moving = None
        views = self._host.views
        for plot in views.plots():
            plot.paint_surface.set_active(self._active)
        action = views.actions.get("edit_data")
        if action is not None and action.isChecked() != self._active:
            # Not blocked: the row and the menu bar's toggle follow the action.
            action.setChecked(self._active)
        if self._active:
            self._note(
                "Data-edit mode (D to leave): click to add a point, drag to spray, drag a "
                "point to move it, right-click a point to delete it"
            )
        else:
            self._note("Left data-edit mode")

    def set_brush(self, radius: float, density: float) -> None:
        """Brush radius in pixels and points sprayed per radius of stroke, on both plots."""
        self._brush = (radius, density)
        for plot in self._host.views.plots():
            plot.paint_surface.set_brush(radius, density)

    # ---------------------------------------------------------------- gestures
    def add_points(self, drawn: np.ndarray, sprayed: bool) -> None:
        """Add points drawn at data coordinates ``drawn``, shape (m, 2) (x only on a rug)."""
        session = self._ready()
        if session is None:
            return
        dims = self._host.view_state.dims
        drawn = np.asarray(drawn, dtype=float).reshape(-1, 2)[:, : len(dims)]
        fallback = session.params.weights @ session.params.means
        points = complete_points(drawn, dims, session.X, fallback_means=fallback)
        note = completion_note(dims, session.X, session.dataset.columns, fallback_means=fallback)
        was_placed = session.state.placed
        if not self._edit(lambda: session.add_points(points)):
            return
        if sprayed:
            what = f"added {count(len(points), 'point')} (spray)"
        else:
            where = ", ".join(f"{value:.4g}" for value in drawn[0])
            what = f"added a point at ({where})"
        self._note(_sentence([what, self._placement_news(session, was_placed), note]))

    def move_point(self, index: int, x: float, y: float, finished: bool) -> None:
        """Point ``index`` dragged to data coordinates (x, y): one undoable move per drag.

        Small fits follow every mouse move (the moves of one drag merge into one entry);
        large ones move the point once, when the drag ends.
        """
        session = self._ready()
        if session is None:
            return
        live = session.n_samples * max(session.n_components, 1) <= LIVE_MOVE_WORK
        if not finished and not live:
            return  # the surface shows where the point goes; the edit lands on release
        if not 0 <= index < session.n_samples:
            self._moving = None
            self._host.refresh()
            return
        dims = list(self._host.view_state.dims)
        position = np.array(session.X[index], dtype=float)
        position[dims] = (x, y)[: len(dims)]
        merge = self._moving == index
        self._moving = None if finished else index
        if not np.all(np.isfinite(position)):
            self._host.refresh()
            return
        if np.array_equal(position, session.X[index]):
            if finished and merge:
                self._note(f"Moved point {index + 1}")
            return
        if self._edit(lambda: session.move_point(index, position, merge=merge)):
            if finished:
                self._note(f"Moved point {index + 1}")
        else:
            self._moving = None

    def delete_point(self, index: int) -> None:
        """Delete point ``index``."""
        session = self._ready()
        if session is None:
            return
        was_placed = session.state.placed
        if self._edit(lambda: session.delete_points([index])):
            news = self._placement_news(session, was_placed)
            self._note(_sentence([f"deleted point {index + 1}", news]))

    def clear_data(self) -> None:
        """Remove every point (undoable) and start data-edit mode on the empty canvas."""
        session = self._ready()
        if session is None:
            return
        if not self._edit(session.clear_data):
            return
        if not self._active:
            self.set_active(True)
        k = session.n_components
        self._note(
            f"Cleared the data: click {k} points to place the {count(k, 'component')}, "
            "then add more or spray clusters (Ctrl+Z brings the data back)",
            15000,
        )

    # ----------------------------------------------------------------- helpers
    def _ready(self) -> EMSession | None:
        """The session, with a run paused first (an edit is never lost to a running step).

        The run stays paused after the edit, and the edit's note says so: EM on the new
        data goes on only when the user presses Run again.
        """
        host = self._host
        if host.session is None:
            return None
        if host.running:
            host.pause()
            self._paused_run = True
        return host.session

    def _edit(self, call: Callable[[], object]) -> bool:
        """Make one session call; a refused one is a message (and no run was paused for it)."""
        if self._host.guarded(call):
            return True
        self._paused_run = False
        return False

    def _placement_news(self, session: EMSession, was_placed: bool) -> str:
        k, n = session.n_components, session.n_samples
        if session.state.placed and not was_placed:
            return f"the {count(k, 'component')} start on the first {k} points; Step to fit"
        if not session.state.placed:
            return f"{n} of {k} points: add {k - n} more to place the components"
        return ""

    def _note(self, message: str, msecs: int = NOTE_MSECS) -> None:
        if self._paused_run:
            self._paused_run = False
            message = f"{RUN_PAUSED}: {message[:1].lower()}{message[1:]}"
        self._host.reporter.status(message, msecs)


def _sentence(parts: list[str]) -> str:
    """The non-empty parts joined into one status line, capitalised."""
    text = "; ".join(part for part in parts if part)
    return text[:1].upper() + text[1:]
