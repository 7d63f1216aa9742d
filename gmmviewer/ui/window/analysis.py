"""The teaching tools around a session: point inspector, ground truth, k-means beside EM,
restarts and model selection.

:class:`AnalysisController` listens to the main :class:`~gmmviewer.ui.window.controller.Controller`
(``refreshed``, ``session_replaced``) and pushes into the inspector, the Compare tab and the
plot's k-means overlay. Long work runs on worker threads through
:class:`~gmmviewer.ui.window.background.BackgroundJob`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6 import QtCore

from gmmviewer.core.analysis.comparison import (
    adjusted_rand_index,
    compare_with_truth,
    match_components,
)
from gmmviewer.core.analysis.model_selection import ModelScore
from gmmviewer.core.analysis.restarts import RestartRun, best_run, run_restarts
from gmmviewer.core.em.estep import explain_point
from gmmviewer.core.em.kmeans import KMeansResult, kmeans
from gmmviewer.ui.panels.compare_panel import ComparePanel
from gmmviewer.ui.panels.inspector import PointInspector
from gmmviewer.ui.views.colours import NEUTRAL_GREY, component_colours
from gmmviewer.ui.window.background import BackgroundJob
from gmmviewer.ui.window.controller import Controller

#: N x K above which k-means runs on a worker thread.
ASYNC_KMEANS_WORK = 200_000

KMEANS_EXPLANATION = (
    "k-means gives every point to its nearest centre (hard, round clusters); "
    "EM shares each point between components by their densities."
)


class AnalysisController(QtCore.QObject):
    """Inspector, comparisons, restarts and model selection for the controller's session.

    Signals
    -------
    work_started(str, int), work_progressed(int, str), work_finished(str)
        Progress of restarts, for a progress dialog.
    """

    work_started = QtCore.Signal(str, int)
    work_progressed = QtCore.Signal(int, str)
    work_finished = QtCore.Signal(str)

    def __init__(
        self,
        controller: Controller,
        inspector: PointInspector,
        compare: ComparePanel,
        report_error: Callable[[str], None],
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.inspector = inspector
        self.compare = compare
        self._report_error = report_error
        self.inspected: int | None = None
        self.show_kmeans = False
        self._kmeans: KMeansResult | None = None
        self._kmeans_key: object | None = None
        self._comparison_key: object | None = None
        self.restart_runs: list[RestartRun] = []
        self._restart_total = 0
        self.kmeans_job = BackgroundJob(self)
        self.kmeans_job.progressed.connect(self._on_kmeans_result)
        self.kmeans_job.failed.connect(self._report_error)
        self.restart_job = BackgroundJob(self)
        self.restart_job.progressed.connect(self._on_restart_run)
        self.restart_job.finished.connect(self._on_restarts_finished)
        self.restart_job.failed.connect(self._report_error)
        self._session_seen: object | None = None
        controller.refreshed.connect(self.refresh)
        controller.point_clicked.connect(self.inspect_point)

    @property
    def session(self):  # noqa: ANN201 - EMSession | None
        """The controller's session."""
        return self.controller.session

    def _forget_previous_session(self) -> None:
        self.inspected = None
        self._kmeans, self._kmeans_key, self._comparison_key = None, None, None
        self.restart_runs = []
        self.controller.views.nll.show_restarts([])

    def refresh(self) -> None:
        """Bring the inspector, the Compare tab and the k-means overlay up to date."""
        if self.session is None:
            return
        if self.session is not self._session_seen:
            # A new data set: what was inspected or computed belongs to the old one.
            self._session_seen = self.session
            self._forget_previous_session()
        self._refresh_inspector()
        self._refresh_comparison()
        if self.show_kmeans:
            self._update_kmeans()

    def shutdown(self) -> None:
        """Stop long work and wait for it (before the window closes)."""
        self.restart_job.cancel()
        self.kmeans_job.cancel()
        self.restart_job.wait()
        self.kmeans_job.wait()

    # ================================================================= inspector
    def inspect_point(self, index: int) -> None:
        """Show one data point in the inspector (-1 clears the selection)."""
        self.inspected = None if index < 0 else int(index)
        self._refresh_inspector()

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
    def _refresh_comparison(self) -> None:
        session = self.session
        dataset = session.dataset
        truth = dataset.truth
        if truth is None or truth.n_features != session.n_features:
            self.compare.show_truth(None, None, None)
            return
        key = (session.params, session.state.resp_params)
        if key == self._comparison_key:
            return
        self._comparison_key = key
        comparison = compare_with_truth(
            dataset.to_data_units(session.params),
            truth,
            session.hard_assignments(),
            dataset.labels,
        )
        self.compare.show_truth(comparison, session.nll, self.controller.truth_nll)

    # ==================================================================== k-means
    def set_kmeans_visible(self, visible: bool) -> None:
        """k-means with the same K over the EM result, on or off."""
        self.show_kmeans = visible
        if not visible:
            self.controller.plot.show_kmeans(None)
            self.compare.show_kmeans(KMEANS_EXPLANATION)
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
        session, result = self.session, self._kmeans
        if session is None or result is None or len(result.centres) != session.n_components:
            return
        # Colour each k-means cluster like the EM component it corresponds to.
        matching = match_components(result.centres, session.params.means)
        palette = component_colours(session.n_components)
        colours = np.array(
            [palette[m] if m >= 0 else NEUTRAL_GREY for m in matching], dtype=np.uint8
        )
        dims = list(self.controller.dims)
        self.controller.plot.show_kmeans(result.centres[:, dims], colours)
        text = (
            f"k-means with K = {session.n_components} (seed {session.seed}): inertia "
            f"{result.inertia:,.4g} after {result.n_iter} iterations."
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
    def run_restarts(self, n_restarts: int) -> bool:
        """Fit from ``n_restarts`` seeds in the background; keep the best (as ``n_init``)."""
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
        self.controller.views.nll.show_restarts([])

        def work(should_stop):
            return run_restarts(X, k, seeds, should_stop=should_stop, **settings)

        self.restart_job.start(work)
        self.work_started.emit("Restarts", len(seeds))
        return True

    def cancel_long_work(self) -> None:
        """Cancel restarts in progress (runs already done are kept)."""
        self.restart_job.cancel()

    def _on_restart_run(self, run: RestartRun) -> None:
        self.restart_runs.append(run)
        self.controller.views.nll.show_restarts(
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
            f"{run.result.n_iter} iterations",
        )

    def _on_restarts_finished(self, completed: bool) -> None:
        best = best_run(self.restart_runs)
        session = self.session
        if best is None or session is None:
            self.work_finished.emit("Restarts cancelled before any run finished.")
            return
        done = len(self.restart_runs)
        outcome = "" if completed else f" (cancelled after {done} of {self._restart_total})"
        self.work_finished.emit(
            f"Kept seed {best.seed}: NLL {-best.result.log_likelihood:,.2f}, the best of "
            f"{done} runs{outcome}."
        )
        # The best run becomes the session's own, replayed half-step by half-step.
        if self.controller.guarded(lambda: session.reinitialize(seed=best.seed)):
            self.controller.run()

    # ============================================================ model selection
    def use_model(self, score: ModelScore) -> None:
        """Start from a model chosen by model selection."""
        session = self.session
        if session is None or not self.controller.idle:
            return
        description = (
            f"model selection: K = {score.n_components}, {score.covariance_type} "
            f"(BIC {score.bic:,.1f})"
        )
        self.controller.guarded(lambda: session.set_params(score.params, description))
