"""Drawing the controller's session into the window's views, redrawing only what changed.

:class:`SessionDrawer` is the controller's hand for the "state -> views" direction: which
plot is in use, the ellipses and point colours (through the one presenter), density,
truth, the NLL curve, the settings panel, the status bar and which actions are enabled.
It remembers what each view shows, so a refresh after an M-step does not re-blend a
million point colours. It decides nothing about the session; the controller does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui

from gmmviewer.core.analysis.uncertainty import (
    UNCERTAINTY_LABEL,
    ramp_table,
    uncertainty_colours,
    uncertainty_top,
)
from gmmviewer.core.em.estep import weighted_log_prob
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.ui.overlays.brush import placement_hint
from gmmviewer.ui.panels.controls import ControlPanel, ModelSettings
from gmmviewer.ui.views.colours import component_colours
from gmmviewer.ui.views.geometry import (
    contour_levels,
    data_extent,
    density_curve,
    density_grid,
    marginal,
)
from gmmviewer.ui.views.histogram_view import HistogramView
from gmmviewer.ui.views.nll_view import NllCurve, NllView
from gmmviewer.ui.views.plot_view import PlotView
from gmmviewer.ui.views.present import UNCHANGED, point_colours, present
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.views.status_view import StatusView
from gmmviewer.ui.views.weights_view import WeightsView
from gmmviewer.ui.window.view_state import ViewState


@dataclass
class Views:
    """The widgets the controller pushes state into.

    ``scatter`` shows two columns at a time; ``histogram`` one-column data. Both
    implement :class:`~gmmviewer.ui.views.plot_view.PlotView`, and
    :attr:`SessionDrawer.plot` is the one in use. The histogram is made by
    ``make_histogram`` when first asked for: the demo and most data sets never show it,
    and a plot costs the first window about 9 ms. Whoever wires something to every
    plot does so through :meth:`for_each_plot`.
    """

    scatter: ScatterView
    make_histogram: Callable[[], HistogramView]
    nll: NllView
    weights: WeightsView
    controls: ControlPanel
    status: StatusView
    actions: dict[str, QtGui.QAction]
    _histogram: HistogramView | None = field(default=None, init=False, repr=False)
    _plot_hooks: list[Callable[[PlotView], None]] = field(
        default_factory=list, init=False, repr=False
    )

    @property
    def histogram(self) -> HistogramView:
        """The one-column plot (made now if it was not yet, and given every plot hook)."""
        if self._histogram is None:
            self._histogram = self.make_histogram()
            for hook in self._plot_hooks:
                hook(self._histogram)
        return self._histogram

    def plots(self) -> tuple[PlotView, ...]:
        """The plots made so far: the scatter, and the histogram once made."""
        return (self.scatter,) if self._histogram is None else (self.scatter, self._histogram)

    def for_each_plot(self, hook: Callable[[PlotView], None]) -> None:
        """Call ``hook`` with every plot made so far, and with the histogram when made."""
        self._plot_hooks.append(hook)
        for plot in self.plots():
            hook(plot)


class SessionDrawer:
    """Pushes one session's state into the views.

    Parameters
    ----------
    views : Views
    view_state : ViewState
        Which columns and overlays are shown.
    """

    def __init__(self, views: Views, view_state: ViewState) -> None:
        self.views = views
        self.view_state = view_state
        self.plot: PlotView = views.scatter
        self.truth_nll: float | None = None
        self._shown_params: object | None = None
        self._shown_resp: object | None = UNCHANGED
        self._density_params: object | None = None
        #: The data set the plot shows (an edit or an undo across one changes the session's).
        self.shown_dataset: object | None = None

    def new_session(self, session: EMSession) -> None:
        """Forget what belonged to the previous session; compute the truth's NLL once."""
        self.truth_nll = _truth_nll(session)

    def show_data(self, session: EMSession, fit: bool = True) -> None:
        """Give the plot for the shown columns the data, then everything drawn over them.

        ``fit`` zooms to them; an edit of the data keeps the view where the user put it.
        """
        dims = self.view_state.dims
        self.plot = self.views.histogram if len(dims) == 1 else self.views.scatter
        columns = list(dims)
        self.plot.set_data(
            session.X[:, columns], tuple(session.dataset.columns[d] for d in columns), fit=fit
        )
        if self.shown_dataset is not None and self.shown_dataset is not session.dataset:
            self.truth_nll = _truth_nll(session)  # the true parameters' NLL on these data
        self.shown_dataset = session.dataset

    def forget_shown(self) -> None:
        """Everything is drawn again on the next :meth:`draw` (new data, theme or size)."""
        self._shown_params = None
        self._shown_resp = UNCHANGED
        self._density_params = None

    def apply_view_setting(self, name: str, session: EMSession) -> None:
        """Follow one changed field of the view state (not the columns: see show_data)."""
        state = self.view_state
        if name == "contours":
            self.show_density(session, force=True)
        elif name == "truth":
            self.show_truth(session)
        elif name == "log_nll":
            self.views.nll.set_log_scale(state.log_nll)
        elif name == "bound":
            self.views.nll.show_bound(state.bound)
        elif name == "equal_aspect":
            self.views.scatter.set_equal_aspect(state.equal_aspect)
        elif name == "uncertainty":
            if not state.uncertainty:
                for plot in self.views.plots():
                    plot.show_colour_bar(None)
            if session.state.placed:
                self._shown_resp = session.state.resp_params
                self.plot.show_colours(self._point_colours(session, _no_colours))

    def _point_colours(self, session: EMSession, colours_for: Any) -> np.ndarray | None:
        """Blended component colours, or the uncertainty ramp's (with its colour bar)."""
        if self.view_state.uncertainty:
            resp = session.responsibilities
            label = UNCERTAINTY_LABEL if resp is not None else "uncertainty: after an E-step"
            self.plot.show_colour_bar(RAMP, uncertainty_top(session.n_components), label)
            return None if resp is None else uncertainty_colours(resp)
        colours = colours_for(session.state.resp_params)
        # Colours blended for the same parameters on other data (before an edit) won't do.
        if colours is None or len(colours) != session.n_samples:
            colours = point_colours(session.responsibilities, session.n_samples)
        return colours

    def draw(self, session: EMSession, colours_for: Any, running: bool, busy: bool) -> None:
        """Push the session's current state into every view.

        ``colours_for(resp_params)`` returns point colours already blended on a worker,
        or None.
        """
        params = session.params
        resp_source = session.state.resp_params
        # The responsibilities are identified by the parameters they came from, so the
        # (N, K) blend is only recomputed when they really change.
        colours: Any = UNCHANGED
        if resp_source is not self._shown_resp:
            self._shown_resp = resp_source
            colours = self._point_colours(session, colours_for)
        variational = session.state.variational
        if session.state.placed:
            present(
                self.plot,
                params if params is not self._shown_params else UNCHANGED,
                self.view_state.dims,
                colours,
                fade=variational is not None,
            )
            self.plot.hint.show_text(None)
        else:
            # Placeholder components are not drawn: the canvas waits for its first K points.
            d = len(self.view_state.dims)
            self.plot.show_components(
                np.zeros((0, d)), np.zeros((0, d, d)), np.zeros((0, 3), np.uint8), np.zeros(0)
            )
            self.plot.show_colours(None)
            self.plot.hint.show_text(placement_hint(session.n_samples, session.n_components))
        self._shown_params = params if session.state.placed else None
        self.show_density(session)
        self.views.nll.set_objective(variational is not None)
        self.views.nll.show_curve(self._nll_curve(session))
        self.views.weights.setVisible(variational is not None)
        if variational is not None:
            self.views.weights.show_weights(params.weights, component_colours(params.n_components))
        self.views.controls.method.show_choice(
            session.prior_choice,
            None if variational is None else variational.priors.weight_concentration_prior,
        )
        self.views.controls.show_settings(
            ModelSettings(
                n_components=params.n_components,
                covariance_type=params.covariance_type,
                init=session.init,
                seed=session.seed if session.seed is not None else 0,
            ),
            tol=session.tol,
            max_iter=session.max_iter,
            reg_covar=session.reg_covar,
            speed=self.view_state.speed,
        )
        self.show_activity(session, running, busy)

    def show_activity(self, session: EMSession, running: bool, busy: bool) -> None:
        """The enabled actions and the status bar, for running / computing / idle."""
        self._update_actions(session, running, busy)
        self.views.status.show_session(session, running, busy)

    def _nll_curve(self, session: EMSession) -> NllCurve:
        start, stop = session.run_bounds()
        trace = session.trace(start, stop)
        converged = np.flatnonzero(trace.converged)
        return NllCurve(
            xs=trace.x,
            nll=trace.nll,
            neg_elbo=trace.neg_elbo,
            history_indices=trace.indices,
            current=session.position - start,
            converged_at=int(converged[0]) if len(converged) else None,
            segment=trace.segment,
            # The true parameters' NLL is no reference for a bound of another model.
            reference_nll=None if session.method == "vb" else self.truth_nll,
        )

    def show_density(self, session: EMSession, force: bool = False) -> None:
        """Density contours (2-D) or curve (1-D) of the current parameters, if shown."""
        dims = self.view_state.dims
        if not self.view_state.contours or not session.state.placed:
            if self._density_params is not None or force:
                self.plot.show_density(None, None, None)
                self._density_params = None
            return
        if session.params is self._density_params and not force:
            return
        self._density_params = session.params
        extent = data_extent(session.X[:, list(dims)])
        if len(dims) == 1:
            xs, log_density = density_curve(session.params, extent[0], dim=dims[0])
            self.plot.show_density(xs, None, np.exp(log_density))
            return
        xs, ys, log_density = density_grid(session.params, extent[0], extent[1], dims=dims)
        self.plot.show_density(xs, ys, np.exp(log_density), contour_levels(log_density))

    def show_truth(self, session: EMSession) -> None:
        """The true components of generated data, if shown."""
        truth = session.dataset.truth
        if truth is not None and self.view_state.truth and truth.n_features == session.n_features:
            truth = session.dataset.from_data_units(truth)
            means, covariances = marginal(truth, self.view_state.dims)
            self.plot.show_truth(means, covariances, truth.weights)
        else:
            self.plot.show_truth(None, None, None)

    def _update_actions(self, session: EMSession, running: bool, busy: bool) -> None:
        actions = self.views.actions
        idle = not running and not busy
        fast = actions["fast_float32"]
        with QtCore.QSignalBlocker(fast):
            fast.setChecked(session.dtype == "float32")
        fast.setEnabled(idle)
        # Nothing steps while the components wait for their first K points.
        stepping = idle and session.can_step
        actions["e_step"].setEnabled(stepping and session.next_step == "E")
        actions["m_step"].setEnabled(stepping and session.next_step == "M")
        actions["step"].setEnabled(stepping)
        actions["run"].setEnabled(running or (stepping and not session.done))
        actions["run"].setText("Pause" if running else "Run")
        actions["run"].setToolTip(
            ("Pause the run" if running else "Run EM until it converges")
            + " (R)"
            + ("" if running or not session.done else ": converged, nothing left to run")
        )
        actions["back"].setEnabled(idle and session.can_undo)
        actions["forward"].setEnabled(idle and session.can_redo)
        start, stop = session.run_bounds()
        actions["first"].setEnabled(idle and session.position != start)
        actions["last"].setEnabled(idle and session.position != stop - 1)
        actions["reset"].setEnabled(idle and session.state.action != "initialise")
        actions["reinitialize"].setEnabled(idle)


#: The uncertainty colour ramp, as the colour bar draws it.
RAMP = ramp_table()


def _no_colours(_resp_params: object) -> None:
    """No colours blended on a worker: blend them here."""
    return None


def _truth_nll(session: EMSession) -> float | None:
    """NLL of the true parameters of generated data, or None."""
    truth = session.dataset.truth
    # Points drawn by hand did not come from the true mixture: no reference for them.
    if truth is None or session.n_samples == 0 or session.dataset.edited:
        return None
    try:
        params = session.dataset.from_data_units(truth)
        if params.n_features != session.n_features:
            return None
        return -weighted_log_prob(session.X, params)[1]
    except GMMViewerError:
        return None
