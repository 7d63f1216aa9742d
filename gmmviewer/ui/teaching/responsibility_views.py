"""Membership lines on the scatter and the Bound tab's slice: two views of q.

:class:`ResponsibilityViews` listens to the
:class:`~gmmviewer.ui.window.controller.Controller` (``refreshed``) and the view state
(membership lines, the lower bound, the columns shown), and pushes into the scatter's
:class:`~gmmviewer.ui.overlays.membership_item.MembershipItem` and the
:class:`~gmmviewer.ui.panels.bound_slice_panel.BoundSlicePanel`. It recomputes only when
what they show changed (parameters, responsibilities, columns, component), and only
while they are on. Its collaborators are narrow: the controller, those two views, the
side panel's tabs and the plot signals that say which mean was last touched.
"""

from __future__ import annotations

from PySide6 import QtCore

from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.text import count
from gmmviewer.ui.overlays.membership_item import MAX_POINTS, MembershipItem, line_subset
from gmmviewer.ui.panels.bound_slice_panel import BoundSlicePanel
from gmmviewer.ui.panels.controls import ControlPanel
from gmmviewer.ui.views.colours import component_colours
from gmmviewer.ui.views.plot_view import PlotView
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.views.theme import Theme, qcolor
from gmmviewer.ui.window.controller import Controller

#: Above this many samples the bound slice is estimated from a fixed random subset.
SLICE_MAX_SAMPLES = 50_000

BEFORE_E_STEP = "after the first E-step"
ONE_COLUMN = "Membership lines need two columns: with one, every line lies on the axis"


class ResponsibilityViews(QtCore.QObject):
    """Draws membership lines and the bound slice for the controller's session.

    Parameters
    ----------
    controller : Controller
    scatter : ScatterView
        Gets the membership lines (the 1-D histogram has none).
    panel : BoundSlicePanel
        The Bound tab.
    controls : ControlPanel
        Holds the Bound tab, there only while the lower bound is shown.
    """

    def __init__(
        self,
        controller: Controller,
        scatter: ScatterView,
        panel: BoundSlicePanel,
        controls: ControlPanel,
    ) -> None:
        super().__init__(controller)
        self.controller = controller
        self.view_state = controller.view_state
        self.scatter = scatter
        self.panel = panel
        self.controls = controls
        self.membership = MembershipItem()
        self.membership.attach(scatter.plot_item)
        self.component = 0
        # What each view was last drawn from, so a refresh that changed nothing is free.
        self._lines_key: tuple | None = None
        self._slice_key: tuple | None = None
        self._subset: tuple[object, object] | None = None
        self._show_tab(self.view_state.bound)
        controller.refreshed.connect(self.refresh)
        controller.session_replaced.connect(self._on_session_replaced)
        self.view_state.changed.connect(self._on_view_state_changed)
        panel.component_chosen.connect(self.choose_component)
        panel.shown.connect(self._draw_slice)
        controller.views.for_each_plot(self._wire_plot)

    def _wire_plot(self, plot: PlotView) -> None:
        plot.mean_dragged.connect(self._on_mean_dragged)
        plot.context_requested.connect(self._on_context_requested)

    @property
    def session(self) -> EMSession | None:
        """The controller's session."""
        return self.controller.session

    # ---------------------------------------------------------------- events
    def _on_view_state_changed(self, name: str) -> None:
        if name == "bound":
            self._show_tab(self.view_state.bound)
            if self.view_state.bound:
                self.controls.show_tab(self.panel)
        if name in ("bound", "membership", "dims"):
            self.refresh()
        if name in ("membership", "dims") and self._lines_need_two_columns():
            self.controller.reporter.status(ONE_COLUMN, 10000)

    def _on_session_replaced(self) -> None:
        self.component = 0
        self._lines_key = self._slice_key = None
        self.refresh()

    def _on_mean_dragged(self, component: int, *_: object) -> None:
        self.choose_component(component)

    def _on_context_requested(self, x: float, y: float, component: int, *_: object) -> None:
        if component >= 0:
            self.choose_component(component)

    def choose_component(self, component: int) -> None:
        """Slice along this component's mean (0-based): the one last dragged or chosen."""
        if component != self.component:
            self.component = int(component)
            self._draw_slice()

    def _lines_need_two_columns(self) -> bool:
        """Membership lines are on but the plot shows one column (they would all overlap)."""
        return self.view_state.membership and len(self.view_state.dims) != 2

    def _show_tab(self, shown: bool) -> None:
        # Added and removed rather than hidden: a hidden tab still counts in the tab bar.
        index = self.controls.tabs.indexOf(self.panel)
        if shown and index < 0:
            self.controls.add_tab(self.panel, "Bound")
        elif not shown and index >= 0:
            self.controls.tabs.removeTab(index)

    # ------------------------------------------------------------------ draw
    def refresh(self) -> None:
        """Draw what changed since the last refresh (only the views that are on)."""
        self._draw_lines()
        self._draw_slice()

    def apply_style(self, theme: Theme, scale: float) -> None:
        """Restyle the lines' note and width, and the Bound tab."""
        self.membership.apply_style(qcolor(theme.foreground), scale)
        self.panel.apply_style(theme, scale)
        self._slice_key = None  # its axis label depends on the size: drawn again
        self._draw_slice()

    def _draw_lines(self) -> None:
        session = self.session
        item = self.membership
        dims = self.view_state.dims
        if session is None or not self.view_state.membership or len(dims) != 2:
            self._lines_key = None
            item.clear()
            item.set_note("")
            return
        state = session.state
        key = (session, session.X, state.params, state.resp_params, dims)
        if _same(key, self._lines_key):
            return
        self._lines_key = key
        resp = session.responsibilities
        if resp is None:
            item.clear()
            item.set_note(f"Membership lines: {BEFORE_E_STEP}")
            return
        rows = self.line_rows(session)
        columns = list(dims)
        X = session.X if rows is None else session.X[rows]
        item.set_lines(
            X[:, columns],
            state.params.means[:, columns],
            resp if rows is None else resp[rows],
            component_colours(session.n_components),
        )
        if rows is None:
            item.set_note("")
        else:
            item.set_note(
                f"Membership lines: a random {len(rows):,} of {count(session.n_samples, 'point')}"
            )

    def line_rows(self, session: EMSession) -> object:
        """The rows with membership lines: None for every row, else a fixed random subset."""
        if self._subset is None or self._subset[0] is not session.X:
            self._subset = (session.X, line_subset(session.n_samples, MAX_POINTS))
        return self._subset[1]

    def _draw_slice(self) -> None:
        session = self.session
        panel = self.panel
        if session is None or not self.view_state.bound:
            self._slice_key = None
            return
        if not self.panel.isVisible():
            return  # another tab is in front: drawn when the Bound tab comes back
        state = session.state
        k = min(self.component, session.n_components - 1)
        panel.set_components(session.n_components, component_colours(session.n_components), k)
        key = (session, session.X, state.params, state.resp_params, k)
        if _same(key, self._slice_key):
            return
        self._slice_key = key
        if session.method == "vb":
            panel.show_slice(None, "The bound slice shows EM's bound; this is a variational fit.")
            return
        if state.resp_params is None:
            panel.show_slice(None, f"The bound needs responsibilities q: {BEFORE_E_STEP}.")
            return
        # Imported once the Bound tab is in sight: the window's first paint needs no slice.
        from gmmviewer.core.analysis.bound_slice import LARGEST_VARIANCE_DIRECTION, bound_slice

        try:
            # The session's responsibilities are q already: nothing is recomputed.
            result = bound_slice(
                session.X,
                state.params,
                session.responsibilities,
                k,
                max_samples=SLICE_MAX_SAMPLES,
            )
        except GMMViewerError as error:
            panel.show_slice(None, str(error))
            return
        notes = []
        if result.direction_kind == LARGEST_VARIANCE_DIRECTION:
            notes.append(
                f"Mean {k + 1} is already at the top of this q's bound (the M-step put it "
                "there): the slice runs along its longest axis, t in standard deviations (SDs). "
                "Press E for a new q."
            )
        if state.resp_params is state.params:
            notes.append("q is the posterior of these parameters: the curves touch at t = 0.")
        if result.subsampled:
            notes.append(
                f"Estimated from a random {result.n_used:,} of "
                f"{count(result.n_samples, 'point')}, scaled to all."
            )
        panel.show_slice(result, " ".join(notes))


def _same(key: tuple, shown: tuple | None) -> bool:
    """Whether a view was drawn from exactly these objects (by identity, not value)."""
    return (
        shown is not None
        and len(key) == len(shown)
        and all(a is b for a, b in zip(key, shown, strict=True))
    )
