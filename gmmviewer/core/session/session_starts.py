"""Starting a run again: re-initialising, changing the method or priors, explicit
parameters. No Qt.

:class:`SessionStarts` is a part of :class:`~gmmviewer.core.session.em_session.EMSession`
(its base class), kept apart so that the session module holds stepping and moves along
the history. How a start is computed is in :mod:`~gmmviewer.core.session.starts`; a start
with more components than points (an empty canvas) is an unplaced one
(:func:`~gmmviewer.core.session.data_edits.unplaced_start`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from gmmviewer.core.em.gaussian import check_covariance_type
from gmmviewer.core.em.initialization import check_init_method, check_n_components
from gmmviewer.core.errors import ParameterError, SessionError
from gmmviewer.core.limits import MAX_COMPONENTS, MAX_COVARIANCE_ENTRIES, covariance_entries
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.data_context import DataContext
from gmmviewer.core.session.data_edits import draw_first, unplaced_description, unplaced_start
from gmmviewer.core.session.history import History, SessionState
from gmmviewer.core.session.starts import StartData, prepare_start, start_description
from gmmviewer.core.session.transitions import PreparedStep
from gmmviewer.core.session.variational_state import PriorChoice

#: Default of :meth:`SessionStarts.reinitialize`'s ``seed``: keep the current seed.
_KEEP = object()


class SessionStarts:
    """The methods of :class:`~gmmviewer.core.session.em_session.EMSession` that start a run."""

    if TYPE_CHECKING:  # provided by EMSession
        _history: History
        _init: str
        _seed: int | None
        _reg_covar: float

        @property
        def state(self) -> SessionState: ...

        @property
        def position(self) -> int: ...

        @property
        def n_components(self) -> int: ...

        @property
        def n_features(self) -> int: ...

        @property
        def covariance_type(self) -> str: ...

        @property
        def _context(self) -> DataContext: ...

        def run_bounds(self, position: int | None = None) -> tuple[int, int]: ...

        def _commit(
            self, prepared: PreparedStep, action: str, replace: bool = False
        ) -> SessionState: ...

        def _check_params(
            self, params: GMMParams, context: DataContext | None = None
        ) -> GMMParams: ...

        def _require_placed(self) -> None: ...

    # ========================================================= initialisation
    def reinitialize(
        self,
        method: str | None = None,
        seed: int | None | object = _KEEP,
        n_components: int | None = None,
        covariance_type: str | None = None,
    ) -> SessionState:
        """Start again from new initial parameters (an undoable history entry).

        Parameters default to the current ones; ``seed=None`` draws fresh entropy. While
        the components are not placed (after :meth:`clear_data`), a K larger than N is
        allowed: the entry holds K unplaced components, placed when the K-th point is
        drawn (so K can be chosen before drawing).

        Raises
        ------
        ParameterError
            For an unknown method or covariance type, or K larger than N while the
            components are placed; the session is unchanged.
        """
        method = check_init_method(method or self._init)
        seed = self._seed if seed is _KEEP else seed
        n_components = self.n_components if n_components is None else n_components
        covariance_type = check_covariance_type(covariance_type or self.covariance_type)
        context = self._context
        if self.state.placed:
            check_n_components(n_components, context.n_samples)
        elif context.n_samples < n_components:
            self._check_k(n_components, self.n_features, covariance_type)
            prepared = unplaced_start(
                self.state,
                context,
                int(n_components),
                covariance_type,
                unplaced_description(int(n_components)),
            )
            self._init, self._seed = method, seed
            return self._commit(prepared, "initialise")
        choice = self.prior_choice
        prepared = prepare_start(
            self.state,
            self._start_data(context),
            method,
            choice,
            start_description(choice, method, seed, n_components),
            n_components=n_components,
            covariance_type=covariance_type,
            seed=seed,
        )
        self._init, self._seed = method, seed
        return self._commit(prepared, "initialise")

    # ============================================================== method
    @property
    def method(self) -> str:
        """'em', or 'vb' when the current state is a variational fit."""
        return self.state.method

    @property
    def prior_choice(self) -> PriorChoice | None:
        """The priors chosen for the current variational fit, or None for EM."""
        model = self.state.variational
        return None if model is None else model.choice

    def run_start_params(self) -> GMMParams:
        """The mixture the current run began from.

        The run's first state's parameters; when that state is a variational start from
        explicit parameters, those parameters (not their variational expectations), so
        that changing the method or the priors again starts from the same mixture.
        """
        start, _ = self.run_bounds()
        first = self._history[start]
        if not first.placed:  # a run begun before the points: from where they were placed
            placed = [i for i in range(start, self.position + 1) if self._history[i].placed]
            if not placed:
                raise SessionError(draw_first(self.state))
            first = self._history[placed[0]]
        model = first.variational
        return model.origin if model is not None and model.origin is not None else first.params

    def switch_method(self, variational: PriorChoice | None, replace: bool = False) -> SessionState:
        """Start again from the current run's start with another method or priors (undoable).

        Parameters
        ----------
        variational : PriorChoice or None
            The priors of a variational fit, or None for EM. The run's start mixture
            becomes the new start (for a variational fit, through its plain-mixture
            responsibilities, as dragging means before a first step does); when the run
            itself began with a change of method, the mixture that change began from.
        replace : bool
            Replace the current state instead of adding an entry (a slider drag is one
            undo step).

        Raises
        ------
        ParameterError
            For priors out of range; the session is unchanged.
        SessionError
            While the components are not placed.
        """
        self._require_placed()
        start = self.run_start_params()
        if variational is None:
            # A copy: the session caches posteriors by parameter identity, and a variational
            # start's expected mixture must not share its EM posterior with the EM start.
            start = dataclasses.replace(start)
            description = "switched to EM from the run's start"
        else:
            description = f"switched to variational ({variational.label}) from the run's start"
        prepared = self._prepare_start(start, variational, description)
        return self._commit(prepared, "initialise", replace=replace)

    def _start_data(self, context: DataContext | None = None) -> StartData:
        context = self._context if context is None else context
        arrays = context.posteriors.arrays
        return StartData(context.X, context.pass_X, self._reg_covar, arrays, context.dataset)

    def _prepare_start(
        self, params: GMMParams, choice: PriorChoice | None, description: str, **edit: Any
    ) -> PreparedStep:
        """A start from explicit parameters, by EM or with ``choice``'s priors."""
        return prepare_start(
            self.state,
            self._start_data(),
            params,
            choice,
            description,
            n_components=params.n_components,
            covariance_type=params.covariance_type,
            **edit,
        )

    def set_params(self, params: GMMParams, description: str = "") -> SessionState:
        """Start again from explicit parameters (an undoable history entry).

        Raises
        ------
        ParameterError
            If the parameters are invalid or have the wrong number of features.
        """
        params = self._check_params(params)
        return self._push_start(params, description or "initialised from given parameters")

    def _push_start(self, params: GMMParams, description: str) -> SessionState:
        prepared = self._prepare_start(params, self.prior_choice, description)
        return self._commit(prepared, "initialise")

    @staticmethod
    def _check_k(n_components: int, n_features: int, covariance_type: str) -> None:
        """Refuse a K that is not a whole number from 1, or too many components to hold."""
        check_n_components(n_components, math.inf)  # type: ignore[arg-type]
        entries = covariance_entries(int(n_components), n_features, covariance_type)
        if n_components > MAX_COMPONENTS or entries > MAX_COVARIANCE_ENTRIES:
            raise ParameterError(
                f"K = {n_components} is too many components: at most {MAX_COMPONENTS:,}, "
                f"and {MAX_COVARIANCE_ENTRIES:,} covariance entries"
            )
