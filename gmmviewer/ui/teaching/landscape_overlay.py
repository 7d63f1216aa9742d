"""View > Likelihood landscape: the NLL the mixture would have if a mean were elsewhere.

:class:`LandscapeOverlay` follows the controller (``refreshed``), the view state, the
plot's visible range and the mean the user picked (clicked or dragged, or keys 1-9),
and keeps that mean's landscape on screen: over the scatter plot for two columns, or
over the positions of two means in a
:class:`~gmmviewer.ui.overlays.landscape_item.PairLandscapeView` beside the histogram for
one column. A worker thread (:class:`~gmmviewer.ui.window.background.BackgroundJob`)
computes a coarse grid, then a fine one; a newer request cancels an older one.

A mean's landscape depends on the data and on every other parameter, but not on that
mean's own position: dragging the mean shown moves only its path and ring, without
a recomputation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.session.em_session import EMSession
from gmmviewer.ui.views.colours import component_colours
from gmmviewer.ui.views.histogram_view import HistogramView, MeanLine
from gmmviewer.ui.views.plot_view import PlotView
from gmmviewer.ui.views.scatter_view import MeanHandle, ScatterView
from gmmviewer.ui.views.theme import Theme
from gmmviewer.ui.window.background import BackgroundJob
from gmmviewer.ui.window.controller import Controller
from gmmviewer.ui.window.view_state import ViewState

if TYPE_CHECKING:
    # The landscape's computation and items are imported when it is first turned on:
    # the window's first paint waits for neither.
    from gmmviewer.core.analysis.landscape import LandscapeSpec
    from gmmviewer.ui.overlays.landscape_item import (
        LandscapeFrame,
        LandscapeLayer,
        PairLandscapeView,
    )

#: Milliseconds between a change of the session or of the view and the recomputation:
#: a run or a pan asks again and again, the worker takes the latest.
SESSION_DELAY_MS = 60
RANGE_DELAY_MS = 120
#: The grid reaches this fraction of the visible width beyond each side, so a small pan
#: needs no new grid; a zoom into less than :data:`ZOOM_LIMIT` of it asks for a finer one.
MARGIN = 0.05
ZOOM_LIMIT = 0.5

Range = tuple[float, float]
#: What keys 1-9 do, as the shortcut sheet lists them.
KEYS_WHATS_THIS = "Choose the landscape's mean"
ONE_COLUMN_NEEDS_TWO = "The landscape of one column shows two means at once: it needs K >= 2"


def landscape_work(
    spec: LandscapeSpec,
) -> Callable[[Callable[[], bool]], Iterator[LandscapeFrame]]:
    """The worker's job for ``spec``: its frames, coarse then fine, contours included."""
    from gmmviewer.ui.overlays.landscape_item import frame_of

    def work(should_stop: Callable[[], bool]) -> Iterator[LandscapeFrame]:
        for landscape in spec.passes(should_stop):
            yield frame_of(landscape, spec)

    return work


def covering_range(visible: Range, current: Range | None) -> Range:
    """``current`` if it still covers ``visible`` finely enough, else ``visible`` widened."""
    low, high = visible
    if current is not None:
        span = current[1] - current[0]
        if current[0] <= low and high <= current[1] and (high - low) >= ZOOM_LIMIT * span:
            return current
    pad = MARGIN * (high - low)
    return (float(low - pad), float(high + pad))


class LandscapeOverlay(QtCore.QObject):
    """Keeps the landscape of the chosen mean on screen while View > Likelihood landscape is on.

    Parameters
    ----------
    controller : Controller
        Its views hold the plots (the histogram made when first asked for).
    scatter : ScatterView
    plot_row : QSplitter
        Holds the plots; the pair view joins it when first needed for one column.
    view_state : ViewState
    key_parent : QWidget
        Where keys 1-9 choose the mean (while it is off they say how to show it).

    Signals
    -------
    frame_shown(object)
        A :class:`LandscapeFrame` was drawn.
    """

    frame_shown = QtCore.Signal(object)

    def __init__(
        self,
        controller: Controller,
        scatter: ScatterView,
        plot_row: QtWidgets.QSplitter,
        view_state: ViewState,
        key_parent: QtWidgets.QWidget,
    ) -> None:
        super().__init__(key_parent)
        self.controller = controller
        self.scatter = scatter
        self.plot_row = plot_row
        self.view_state = view_state
        # Made when first shown: the window's first paint waits for neither.
        self._layer: LandscapeLayer | None = None
        self._pair_view: PairLandscapeView | None = None
        self._style: tuple[Theme, float] = (Theme.light(), 1.0)
        #: The mean whose landscape is shown (0-based).
        self.component = 0
        self._session: EMSession | None = None
        self._pair_fitted: EMSession | None = None
        self._pending: LandscapeSpec | None = None
        self._wanted: LandscapeSpec | None = None
        self._started: LandscapeSpec | None = None
        self._complete = False
        self._reported: EMSession | None = None
        self.job = BackgroundJob(self)
        self.job.progressed.connect(self._on_frame)
        self.job.finished.connect(self._on_job_finished)
        self.job.failed.connect(self._on_job_failed)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._launch)
        # Enabled while the overlay is off too (a key then says how to show it). F1 lists
        # them by their "what's this"; a focused spin box keeps its digits.
        self._keys = []
        for number in range(1, 10):
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(str(number)), key_parent)
            shortcut.setObjectName(f"landscape_mean_{number}")
            shortcut.setWhatsThis(KEYS_WHATS_THIS)
            shortcut.activated.connect(self._on_number_key)
            self._keys.append(shortcut)
        controller.refreshed.connect(self._on_refreshed)
        view_state.changed.connect(self._on_view_state_changed)
        scatter.plot_item.vb.sigRangeChanged.connect(self._on_range_changed)
        controller.views.for_each_plot(self._wire_plot)

    def _wire_plot(self, plot: PlotView) -> None:
        plot.mean_dragged.connect(self._on_mean_dragged)
        plot.plot_item.scene().sigMouseClicked.connect(self._on_scene_clicked)

    @property
    def histogram(self) -> HistogramView:
        """The one-column plot (made now if it was not yet)."""
        return self.controller.views.histogram

    # ================================================================ reading
    @property
    def layer(self) -> LandscapeLayer:
        """The scatter plot's landscape layer (made on first use)."""
        if self._layer is None:
            from gmmviewer.ui.overlays.landscape_item import LandscapeLayer

            self._layer = LandscapeLayer(self.scatter.plot_item)
            self._layer.apply_style(*self._style)
        return self._layer

    @property
    def pair_view(self) -> PairLandscapeView:
        """The (mean a, mean b) plot beside the histogram (made on first use)."""
        if self._pair_view is None:
            from gmmviewer.ui.overlays.landscape_item import PairLandscapeView

            view = PairLandscapeView()
            view.setVisible(False)
            view.apply_style(*self._style)
            view.range_changed.connect(self._on_range_changed)
            self.plot_row.addWidget(view)
            self.plot_row.setStretchFactor(0, 3)
            self.plot_row.setStretchFactor(1, 2)
            self._pair_view = view
        return self._pair_view

    def _made_layers(self) -> list[LandscapeLayer]:
        pair = [self._pair_view.layer] if self._pair_view is not None else []
        return ([self._layer] if self._layer is not None else []) + pair

    @property
    def on(self) -> bool:
        """True while the overlay is switched on."""
        return self.view_state.landscape

    @property
    def frame(self) -> LandscapeFrame | None:
        """The frame on screen (scatter or pair view), or None."""
        layer = self.pair_view.layer if self._pair_mode() else self.layer
        return layer.frame

    def _pair_mode(self) -> bool:
        return len(self.view_state.dims) == 1

    # ================================================================ choosing
    def select(self, component: int) -> None:
        """Show the landscape of mean ``component`` (0-based)."""
        session = self.controller.session
        if session is None or not 0 <= component < session.n_components:
            return
        if component != self.component:
            self.component = component
            self.update(0)

    def _on_number_key(self) -> None:
        component, session = self._keys.index(self.sender()), self.controller.session
        if session is None:
            return
        if component >= session.n_components:
            note = f"There is no mean {component + 1}: K = {session.n_components}"
        else:
            self.select(component)  # remembered while the overlay is off
            note = "" if self.on else f"Landscape of mean {component + 1} chosen: G shows it"
        if note:
            self.controller.reporter.status(note, 5000)

    def _on_mean_dragged(self, component: int, *_: object) -> None:
        if self.on:
            self.select(component)

    def _on_scene_clicked(self, event: object) -> None:
        if not self.on or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        # The mean that took the click (not one that a click in data-edit mode placed
        # under the cursor: the signal comes after the click's edit).
        item = event.currentItem
        if event.isAccepted() and isinstance(item, MeanHandle | MeanLine):
            self.select(item.component)

    # ================================================================ following
    def _on_view_state_changed(self, name: str) -> None:
        if name == "landscape":
            self._set_on(self.on)
        elif name == "dims" and self.on:
            self._show_mode()
            self.update(0)

    def _set_on(self, on: bool) -> None:
        self._show_mode()
        if on:
            self.update(0)
        else:
            self._timer.stop()
            self._pending = None
            if not self._complete:
                self._wanted = None
            self.job.cancel()

    def _show_mode(self) -> None:
        pair, on = self._pair_mode(), self.on
        if on or self._layer is not None:
            self.layer.set_visible(on and not pair)
        if (on and pair) or self._pair_view is not None:
            self.pair_view.setVisible(on and pair)
        if on and pair and self._pair_fitted is not self._session:
            self._fit_pair_view()

    def _on_refreshed(self) -> None:
        if self.controller.session is not self._session:
            self._forget_session()
        if self.on:
            self.update(SESSION_DELAY_MS)

    def _forget_session(self) -> None:
        """A new session: nothing of the old one's landscape stays on screen."""
        self._session = self.controller.session
        self._timer.stop()
        self.job.cancel()
        self._pending = self._wanted = None
        self._complete = False
        self.component = 0
        for layer in self._made_layers():
            layer.clear()
        self._pair_fitted = None
        self._show_mode()

    def _fit_pair_view(self) -> None:
        """Both means over the column's range, padded (once per session)."""
        session = self._session
        if session is None or session.n_samples == 0 or len(self.view_state.dims) != 1:
            return
        self._pair_fitted = session
        column = session.X[:, self.view_state.dims[0]]
        low, high = float(column.min()), float(column.max())
        pad = 0.15 * max(high - low, 1e-9)
        self.pair_view.show_range(low - pad, high + pad)

    def _on_range_changed(self, *_: object) -> None:
        self.update(RANGE_DELAY_MS)

    # ================================================================ computing
    def update(self, delay_ms: int = SESSION_DELAY_MS) -> None:
        """Draw the path now, and ask for the landscape if it changed (after ``delay_ms``)."""
        session = self.controller.session
        if not self.on or session is None:
            return
        request = self._request(session)
        if request is None:
            for layer in self._made_layers():
                layer.clear()
            if self._pair_mode() and session.n_components < 2:
                self.controller.reporter.status(ONE_COLUMN_NEEDS_TWO, 8000)
            return
        self._show_path(session, request)
        latest = self._pending or self._wanted
        if request.same_landscape(latest):
            return
        self._pending = request
        if delay_ms <= 0:
            self._timer.stop()
            self._launch()
        elif not self._timer.isActive():
            # Not restarted by every change: a run or a pan still sees a new grid at
            # this pace instead of none until it stops.
            self._timer.start(delay_ms)

    def _request(self, session: EMSession) -> LandscapeSpec | None:
        from gmmviewer.core.analysis.landscape import LandscapeSpec

        dims = tuple(self.view_state.dims)
        k = session.n_components
        if session.n_samples == 0 or not session.state.placed:
            return None
        if self.component >= k:
            self.component = 0  # a component was removed
        if len(dims) == 1:
            if k < 2:
                return None
            components: tuple[int, ...] = (self.component, (self.component + 1) % k)
            if k == 2:
                components = (0, 1)
            visible = self.pair_view.view_range()
        else:
            components = (self.component,)
            visible = self.scatter.view_range()
        # The grid in use is kept while it still covers the view.
        latest = self._pending or self._wanted
        kept = latest if latest is not None and latest.dims == dims else None
        return LandscapeSpec(
            X=session.X,
            params=session.params,
            components=components,
            dims=dims,
            x_range=covering_range(visible[0], kept.x_range if kept else None),
            y_range=covering_range(visible[1], kept.y_range if kept else None),
        )

    def _launch(self) -> None:
        request, self._pending = self._pending, None
        if request is None:
            return
        self._wanted, self._complete = request, False
        if self.job.running:
            self.job.cancel()  # _on_job_finished starts the wanted one
            return
        self._start(request)

    def _start(self, request: LandscapeSpec) -> None:
        self._started = request
        self.job.start(landscape_work(request))

    def _on_job_finished(self, completed: bool) -> None:
        wanted = self._wanted
        if completed and wanted is self._started:
            self._complete = True
        elif wanted is not None and wanted is not self._started and self.on:
            self._start(wanted)

    def _on_job_failed(self, message: str) -> None:
        self.controller.reporter.status(f"Likelihood landscape: {message}", 8000)

    def _on_frame(self, frame: LandscapeFrame) -> None:
        request = frame.token
        if request is not self._wanted or not self.on:
            return
        session = self.controller.session
        names = ", ".join(str(c + 1) for c in request.components)
        label = f"NLL if mean{'s' if request.is_pair else ''} {names} were here"
        if request.is_pair:
            self.pair_view.set_components(request.components)  # type: ignore[arg-type]
            self.pair_view.layer.show_frame(frame, label)
        else:
            self.layer.show_frame(frame, label)
        subsampled = frame.landscape.subsampled
        if subsampled is not None and session is not None and self._reported is not session:
            self._reported = session  # once a session, not at every step of a run
            self.controller.reporter.status(
                f"Likelihood landscape from a fixed random {subsampled:,} of "
                f"{session.n_samples:,} points (scaled up)",
                6000,
            )
        self.frame_shown.emit(frame)

    def _show_path(self, session: EMSession, request: LandscapeSpec) -> None:
        from gmmviewer.core.analysis.landscape_path import mean_path, pair_path

        colours = component_colours(session.n_components)
        if request.is_pair:
            a, b = request.components
            path = pair_path(session, (a, b), request.dims[0])
            self.pair_view.layer.show_path(path.points, path.after_m_step, colours[a])
            return
        k = request.components[0]
        path = mean_path(session, k)
        self.layer.show_path(path.points[:, list(request.dims)], path.after_m_step, colours[k])

    # ================================================================ style and end
    def apply_style(self, theme: Theme, scale: float) -> None:
        """The window's theme and size factor."""
        self._style = (theme, scale)
        if self._layer is not None:
            self._layer.apply_style(theme, scale)
        if self._pair_view is not None:
            self._pair_view.apply_style(theme, scale)

    def shutdown(self) -> None:
        """Stop the worker (before the window closes)."""
        self._timer.stop()
        self.job.cancel()
        self.job.wait()
