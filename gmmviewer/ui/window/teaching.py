"""The teaching tools around a session: point inspector, ground truth, k-means beside EM,
restarts and model selection.

:class:`TeachingTools` listens to the :class:`~gmmviewer.ui.window.controller.Controller`
(``refreshed``) and the view state (the inspected point, k-means on or off), and pushes
into the inspector, the Compare tab, the NLL view's restart curves and the plot's k-means
overlay. Its collaborators are narrow: the controller, those views, a reporter and a
parent widget for its dialogs; never the window. Long work runs on worker threads
through :class:`~gmmviewer.ui.window.background.BackgroundJob`. Its dialogs, the restarts
and the model scan are imported when first used: the window's first paint waits for
none of them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from PySide6 import QtCore, QtWidgets

from gmmviewer.core.analysis.comparison import (
    adjusted_rand_index,
    compare_with_truth,
    match_components,
)
from gmmviewer.core.em.estep import explain_point
from gmmviewer.core.em.kmeans import KMeansResult, kmeans
from gmmviewer.core.text import count
from gmmviewer.ui.panels.compare_panel import ComparePanel
from gmmviewer.ui.panels.inspector import PointInspector
from gmmviewer.ui.views.colours import NEUTRAL_GREY, component_colours
from gmmviewer.ui.views.nll_view import NllView
from gmmviewer.ui.views.weights_view import components_in_use
from gmmviewer.ui.window.background import BackgroundJob
from gmmviewer.ui.window.controller import Controller
from gmmviewer.ui.window.reporter import Reporter

if TYPE_CHECKING:
    from gmmviewer.core.analysis.model_selection import ModelScore
    from gmmviewer.core.analysis.restarts import RestartRun
    from gmmviewer.ui.dialogs.model_selection_dialog import ModelSelectionDialog

#: N x K above which k-means runs on a worker thread.
ASYNC_KMEANS_WORK = 200_000

KMEANS_EXPLANATION = (
    "k-means gives every point to its nearest centre (hard, round clusters); "
    "EM shares each point between components by their densities."
)


class TeachingTools(QtCore.QObject):
    """Inspector, comparisons, restarts and model selection for the controller's session.

    Parameters
    ----------
    controller : Controller
    inspector, compare, nll : the Inspect tab, the Compare tab and the NLL view
    reporter : Reporter
    dialog_parent : QWidget
        Parent of the restart count question, the progress dialog and model selection.

    Signals
    -------
    work_started(str, int), work_progressed(int, str), work_finished(str)
        Progress of restarts.
    """

    work_started = QtCore.Signal(str, int)
    work_progressed = QtCore.Signal(int, str)
    work_finished = QtCore.Signal(str)

    def __init__(
        self,
        controller: Controller,
        inspector: PointInspector,
        compare: ComparePanel,
        nll: NllView,
        reporter: Reporter,
        dialog_parent: QtWidgets.QWidget,
    ) -> None:
        super().__init__(controller)
        self.controller = controller
        self.view_state = controller.view_state
        self.inspector = inspector
        self.compare = compare
        self.nll = nll
        self.reporter = reporter
        self._dialog_parent = dialog_parent
        self.model_dialog: ModelSelectionDialog | None = None
        self.progress_dialog: QtWidgets.QProgressDialog | None = None
        self._kmeans: KMeansResult | None = None
        self._kmeans_key: object | None = None
        # What the Compare tab shows, so a half-step recomputes only what it changed:
        # (params, resp_params) of the truth table, resp_params of the agreement with the
        # true labels, and what the k-means overlay and text were drawn from.
        self._comparison_key: tuple[tuple, tuple] | None = None
        self._agreement: tuple[object, float | None] | None = None
        self._kmeans_overlay_key: tuple[tuple, tuple] | None = None
        self._kmeans_text_key: tuple[tuple, tuple] | None = None
        self.restart_runs: list[RestartRun] = []
        self._restart_total = 0
        # (K, covariance type) the restart curves belong to: another model clears them.
        self._restart_model: tuple[int, str] | None = None
        self.kmeans_job = BackgroundJob(self)
        self.kmeans_job.progressed.connect(self._on_kmeans_result)
        self.kmeans_job.failed.connect(self.reporter.error)
        self.restart_job = BackgroundJob(self)
        self.restart_job.progressed.connect(self._on_restart_run)
        self.restart_job.finished.connect(self._on_restarts_finished)
        self.restart_job.failed.connect(self.reporter.error)
        self.work_started.connect(self._open_progress)
        self.work_progressed.connect(self._show_progress)
        self.work_finished.connect(self._close_progress)
        self._session_seen: object | None = None
        controller.refreshed.connect(self.refresh)
        compare.shown.connect(self._on_compare_shown)
        self.view_state.changed.connect(self._on_view_state_changed)

    @property
    def inspected(self) -> int | None:
        """The data point the inspector shows."""
        return self.view_state.inspected

    @property
    def show_kmeans(self) -> bool:
        """True while k-means is drawn beside EM."""
        return self.view_state.kmeans

    def _on_view_state_changed(self, name: str) -> None:
        if self.session is None:
            return
        if name == "inspected":
            self._refresh_inspector()
        elif name == "kmeans":
            self._set_kmeans_visible(self.view_state.kmeans)
        elif name == "dims":
            self.refresh()

    @property
    def session(self):  # noqa: ANN201 - EMSession | None
        """The controller's session."""
        return self.controller.session

    def _forget_previous_session(self) -> None:
        self._kmeans, self._kmeans_key, self._comparison_key = None, None, None
        self._agreement = None
        self._kmeans_overlay_key = self._kmeans_text_key = None
        self.restart_runs = []
        self._restart_model = None
        self.nll.show_restarts([])
        if self.model_dialog is not None:
            self.model_dialog.close()

    def refresh(self) -> None:
        """Bring the inspector, the Compare tab and the k-means overlay up to date."""
        if self.session is None:
            return
        if self.session is not self._session_seen:
            # A new data set: what was inspected or computed belongs to the old one.
            self._session_seen = self.session
            self._forget_previous_session()
        if self._restart_model is not None and self._restart_model != self._model():
            self.restart_runs = []
            self._restart_model = None
            self.nll.show_restarts([])
        self._refresh_inspector()
        self._refresh_comparison()
        if self.show_kmeans:
            self._update_kmeans()

    def _model(self) -> tuple[int, str]:
        return self.session.n_components, self.session.params.covariance_type

    def shutdown(self) -> None:
        """Stop long work and wait for it (before the window closes)."""
        if self.model_dialog is not None:
            self.model_dialog.close()
        self.restart_job.cancel()
        self.kmeans_job.cancel()
        self.restart_job.wait()
        self.kmeans_job.wait()

    # ================================================================= inspector
    def inspect_point(self, index: int) -> None:
        """Show one data point in the inspector (-1 clears the selection)."""
        self.view_state.update(inspected=index)

    def _refresh_inspector(self) -> None:
        session, plot = self.session, self.controller.plot
        index = self.inspected
        if session is None or index is None or not 0 <= index < session.n_samples:
            self.inspector.clear()
            plot.highlight_point(None)
            return
        source = session.state.resp_params
        note = ""
        if source is None:
            source = session.params
            note = "No E-step yet: these are the responsibilities the next E-step will give."
        elif source is not session.params:
            note = (
                "From the parameters of the last E-step; the M-step has moved the components since."
            )
        dataset = session.dataset
        x_display = session.X[index] * dataset.scale + dataset.offset
        terms = explain_point(session.X[index], source)
        colours = component_colours(source.n_components)
        self.inspector.show_point(index, x_display, dataset.columns, terms, colours, note)
        plot.highlight_point(index)

    # ============================================================== ground truth
    def _on_compare_shown(self) -> None:
        """The Compare tab came into view: bring what it shows up to date."""
        if self.session is None:
            return
        self._refresh_comparison()
        if self.show_kmeans:
            self._show_kmeans_text()

    def _refresh_comparison(self) -> None:
        session = self.session
        weights = session.params.weights
        self.compare.show_components_in_use(
            components_in_use(weights), len(weights), session.method == "vb"
        )
        dataset = session.dataset
        truth = dataset.truth
        if truth is None or truth.n_features != session.n_features:
            self._comparison_key = None
            self.compare.show_truth(None, None, None)
            return
        if not self.compare.isVisible():
            return  # worked out when the tab is shown (_on_compare_shown)
        params, resp_params = session.params, session.state.resp_params
        key = ((params, resp_params), ())
        if _same(key, self._comparison_key):
            return
        self._comparison_key = key
        # The agreement of the hard assignment with the true labels is a pass over every
        # point, and only an E-step changes it; an M-step changes the matching and the
        # errors, which cost K x K.
        if self._agreement is None or self._agreement[0] is not resp_params:
            hard = session.hard_assignments()
            labels = dataset.labels
            ari = None if hard is None or labels is None else adjusted_rand_index(labels, hard)
            self._agreement = (resp_params, ari)
        comparison = compare_with_truth(dataset.to_data_units(params), truth)
        comparison = replace(comparison, adjusted_rand_index=self._agreement[1])
        self.compare.show_truth(comparison, session.nll, self.controller.truth_nll)

    # ==================================================================== k-means
    def _set_kmeans_visible(self, visible: bool) -> None:
        """k-means with the same K over the EM result, on or off."""
        if not visible:
            self.controller.plot.show_kmeans(None)
            self.compare.show_kmeans(KMEANS_EXPLANATION)
            self._kmeans_overlay_key = self._kmeans_text_key = None
            return
        self._update_kmeans()

    def _update_kmeans(self) -> None:
        session = self.session
        if session is None:
            return
        seed = session.seed if session.seed is not None else 0
        key = (session.dataset, session.n_components, seed)
        if key == self._kmeans_key:
            self._push_kmeans()
            return
        self._kmeans_key = key
        self._kmeans = None
        X, k = session.X, session.n_components
        if session.n_samples * k < ASYNC_KMEANS_WORK:
            self._on_kmeans_result((key, kmeans(X, k, seed=seed)))
            return
        self.compare.show_kmeans(f"Running k-means on {session.n_samples:,} points...")
        self.kmeans_job.cancel()
        self.kmeans_job.wait()

        def work(should_stop):
            yield key, kmeans(X, k, seed=seed)

        self.kmeans_job.start(work)

    def _on_kmeans_result(self, keyed: tuple[object, KMeansResult]) -> None:
        key, result = keyed
        if key != self._kmeans_key:
            return  # a result for data or a K that is no longer shown
        self._kmeans = result
        if self.show_kmeans:
            self._push_kmeans()

    def _push_kmeans(self) -> None:
        """The k-means overlay on the plot, and its figures in the Compare tab if shown."""
        session, result = self.session, self._kmeans
        if session is None or result is None or len(result.centres) != session.n_components:
            return
        # Colour each k-means cluster like the EM component it corresponds to.
        matching = match_components(result.centres, session.params.means)
        palette = component_colours(session.n_components)
        colours = np.array(
            [palette[m] if m >= 0 else NEUTRAL_GREY for m in matching], dtype=np.uint8
        )
        dims = tuple(self.controller.dims)
        state = self.view_state
        # The cells are a raster of the nearest centre: redrawn only when what they show
        # changes, not on every half-step.
        overlay = (
            (result, self.controller.plot),
            (colours.tobytes(), dims, state.theme, state.scale),
        )
        if not _same(overlay, self._kmeans_overlay_key):
            self._kmeans_overlay_key = overlay
            self.controller.plot.show_kmeans(result.centres[:, list(dims)], colours)
        self._show_kmeans_text(matching)

    def _show_kmeans_text(self, matching: np.ndarray | None = None) -> None:
        """k-means' figures and its agreement with EM, while the Compare tab is shown."""
        session, result = self.session, self._kmeans
        if session is None or result is None or len(result.centres) != session.n_components:
            return
        if not self.compare.isVisible():
            return  # worked out when the tab is shown (_on_compare_shown)
        if matching is None:
            matching = match_components(result.centres, session.params.means)
        dims = self.controller.dims
        key = ((result, session.state.resp_params), (matching.tobytes(), len(dims)))
        if _same(key, self._kmeans_text_key):
            return
        self._kmeans_text_key = key
        text = (
            f"k-means with K = {session.n_components} (seed {session.seed}): inertia "
            f"{result.inertia:,.4g} after {count(result.n_iter, 'iteration')}."
        )
        hard = session.hard_assignments()
        if hard is not None:
            agreement = float(np.mean(matching[result.labels] == hard))
            ari = adjusted_rand_index(hard, result.labels)
            text += (
                f"<br>Against EM's hard assignment: adjusted Rand index <b>{ari:.3f}</b>; "
                f"{100 * agreement:.1f}% of points in corresponding clusters."
            )
        if session.n_features > len(dims):
            text += "<br>Regions are nearest-centre cells in the plane shown."
        self.compare.show_kmeans(text)

    # =================================================================== restarts
    def run_restarts(self, n_restarts: int | None = None) -> bool:
        """EM > Restarts: fit from ``n_restarts`` seeds in the background (asked when None)
        and keep the best, as scikit-learn's ``n_init`` does."""
        from gmmviewer.core.analysis.restarts import run_restarts

        if n_restarts is None:
            value, ok = QtWidgets.QInputDialog.getInt(
                self._dialog_parent,
                "Restarts",
                "Number of runs, each from its own seed (the best is kept):",
                10,
                2,
                200,
            )
            if not ok:
                return False
            n_restarts = value
        session = self.session
        if session is None or self.restart_job.running or not self.controller.idle:
            return False
        first = session.seed if session.seed is not None else 0
        seeds = list(range(first, first + int(n_restarts)))
        X, k = session.X, session.n_components
        settings = session.fit_settings()
        del settings["seed"]  # each restart brings its own
        self.restart_runs = []
        self._restart_total = len(seeds)
        self._restart_model = self._model()
        self.nll.show_restarts([])

        def work(should_stop):
            return run_restarts(X, k, seeds, should_stop=should_stop, **settings)

        self.restart_job.start(work)
        self.work_started.emit("Restarts", len(seeds))
        return True

    def cancel_long_work(self) -> None:
        """Cancel restarts in progress (runs already done are kept)."""
        self.restart_job.cancel()

    def _on_restart_run(self, run: RestartRun) -> None:
        if self.session is None or self._restart_model != self._model():
            return  # the model changed while restarts ran: their curves belong to another
        self.restart_runs.append(run)
        self.nll.show_restarts(
            [
                (
                    np.array([record.iteration for record in r.result.history], dtype=float),
                    np.array([-record.log_likelihood for record in r.result.history]),
                )
                for r in self.restart_runs
            ]
        )
        self.work_progressed.emit(
            len(self.restart_runs),
            f"seed {run.seed}: NLL {-run.result.log_likelihood:,.2f} after "
            f"{count(run.result.n_iter, 'iteration')}",
        )

    def _on_restarts_finished(self, completed: bool) -> None:
        from gmmviewer.core.analysis.restarts import best_run

        best = best_run(self.restart_runs)
        session = self.session
        if best is None or session is None:
            self.work_finished.emit("Restarts cancelled before any run finished.")
            return
        done = len(self.restart_runs)
        outcome = "" if completed else f" (cancelled after {done} of {self._restart_total})"
        self.work_finished.emit(
            f"Kept seed {best.seed}: NLL {-best.result.log_likelihood:,.2f}, the best of "
            f"{count(done, 'run')}{outcome}."
        )
        # The best run becomes the session's own, replayed half-step by half-step.
        if self.controller.guarded(lambda: session.reinitialize(seed=best.seed)):
            self.controller.run()

    # ============================================================ model selection
    def show_model_selection(self) -> ModelSelectionDialog | None:
        """EM > Model selection: a non-modal dialog on the current data."""
        from gmmviewer.ui.dialogs.model_selection_dialog import ModelSelectionDialog

        session = self.session
        if session is None:
            return None
        if self.model_dialog is not None:
            self.model_dialog.close()
            self.model_dialog.deleteLater()
        dialog = ModelSelectionDialog(session, self._dialog_parent)
        dialog.model_chosen.connect(self.use_model)
        dialog.show()
        self.model_dialog = dialog
        return dialog

    def use_model(self, score: ModelScore) -> None:
        """Start from a model chosen by model selection."""
        description = (
            f"model selection: K = {score.n_components}, {score.covariance_type} "
            f"(BIC {score.bic:,.1f})"
        )
        if self.controller.set_params(score.params, description):
            self.restart_runs = []
            self._restart_model = None
            self.nll.show_restarts([])

    # ============================================================ progress
    def _open_progress(self, what: str, total: int) -> None:
        from gmmviewer.ui.dialogs.progress import open_progress

        self.progress_dialog = open_progress(
            self._dialog_parent, what, f"{what}: 0 of {total}", total, self.cancel_long_work
        )

    def _show_progress(self, done: int, text: str) -> None:
        dialog = self.progress_dialog
        if dialog is not None:
            dialog.setValue(done)
            dialog.setLabelText(f"{dialog.windowTitle()}: {done} of {dialog.maximum()} ({text})")

    def _close_progress(self, text: str) -> None:
        from gmmviewer.ui.dialogs.progress import close_progress

        close_progress(self.progress_dialog)
        self.progress_dialog = None
        self.reporter.status(text, 15000)


def _same(key: tuple[tuple, tuple], shown: tuple[tuple, tuple] | None) -> bool:
    """True when ``key`` is what ``shown`` was drawn from: a pair (objects, values) whose
    objects are the same ones (results and parameters have no meaningful ``==``) and
    whose values are equal."""
    if shown is None:
        return False
    (objects, values), (shown_objects, shown_values) = key, shown
    return (
        len(objects) == len(shown_objects)
        and all(a is b for a, b in zip(objects, shown_objects, strict=True))
        and values == shown_values
    )
