"""The stateful EM session the window drives one half-step at a time.

Pure Python and numpy; no Qt. Views subscribe to :attr:`EMSession.changed`, a plain
callback list, and read the session's state when it fires; user actions are calls on
the session. Every half-step and edit becomes a
:class:`~gmmviewer.core.session.history.SessionState` in an undoable history; how one
state leads to the next is in :mod:`gmmviewer.core.session.transitions`.

This module holds what makes a session and what changes its current state: the
constructors, half-steps, moves along the history and commits. The rest of
:class:`EMSession` comes from its base classes, one part each: reading the current
state (:mod:`~gmmviewer.core.session.session_view`), the settings
(:mod:`~gmmviewer.core.session.session_settings`), new starts
(:mod:`~gmmviewer.core.session.session_starts`) and edits
(:mod:`~gmmviewer.core.session.session_edits`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from gmmviewer.core.analysis.prediction_log import PredictionLog
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.gaussian import check_covariance_type
from gmmviewer.core.em.initialization import check_init_method, check_n_components
from gmmviewer.core.em.objective import (
    DEFAULT_MAX_ITER,
    DEFAULT_REG_COVAR,
    DEFAULT_TOL,
    check_max_iter,
    check_reg_covar,
    check_tol,
)
from gmmviewer.core.errors import ParameterError, SessionError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.data_context import DataContext, DataContexts, extent_of
from gmmviewer.core.session.data_edits import (
    can_step_from,
    draw_first,
    unplaced_description,
    unplaced_start,
)
from gmmviewer.core.session.events import Signal
from gmmviewer.core.session.history import History, SessionState
from gmmviewer.core.session.session_edits import SessionEdits
from gmmviewer.core.session.session_settings import SessionSettings
from gmmviewer.core.session.session_starts import SessionStarts
from gmmviewer.core.session.session_view import SessionView
from gmmviewer.core.session.starts import prepare_start, start_description
from gmmviewer.core.session.transitions import PreparedStep, prepare_half_step
from gmmviewer.core.session.variational_state import PriorChoice
from gmmviewer.core.session.variational_steps import prepare_variational_half_step


class EMSession(SessionView, SessionSettings, SessionStarts, SessionEdits):
    """EM on one data set, one half-step at a time, with history and editing.

    **Threads.** A session belongs to the thread that drives it (the GUI thread in the
    window): every method that changes it, :meth:`apply` included, must be called
    there. :meth:`prepare` is the one exception: it may run on a worker thread while
    the owner keeps reading and even changing the session, because it writes nothing.
    It reads the current state (immutable) and a snapshot of the cached posteriors (an
    immutable tuple that the owner replaces, never mutates), hands them to the pure
    functions of :mod:`~gmmviewer.core.session.transitions`, and returns a
    :class:`~gmmviewer.core.session.transitions.PreparedStep` that carries everything
    computed: the new state, its responsibilities and hard assignments, and the next
    E-step's posterior. :meth:`apply`, on the owner thread, commits it without
    computing anything, or refuses it if the session has moved on.

    **The data** can be edited (:meth:`add_points`, :meth:`move_point`,
    :meth:`delete_points`, :meth:`clear_data`): every state records its data set, and
    :attr:`dataset`, :attr:`X` and :attr:`n_samples` are the current state's, so undo
    and redo bring the data back too. What is computed from a data set lives in its
    :class:`~gmmviewer.core.session.data_context.DataContext`; :meth:`prepare` takes the
    context of the state it read, never the session's "current" one.

    **Responsibilities** are cached per parameters (:class:`~gmmviewer.core.em.estep.Posterior`,
    component-major inside the core) and recomputed from ``resp_params`` when the
    session moves to a state whose posterior is not cached; :attr:`responsibilities`
    shows them as (n_samples, n_components).

    Parameters
    ----------
    data : Dataset or array-like of shape (n_samples, n_features)
    n_components : int
        K, used unless ``params`` is given.
    params : GMMParams, optional
        Explicit initial parameters (their covariance type wins).
    description : str, optional
        How the history names the start; by default from how it was made
        ("initialised by kmeans, seed 0, K = 3", "initialised from given parameters").
    covariance_type : {'full', 'diag', 'spherical', 'tied'}
    init : str
        Initialisation method (see :mod:`gmmviewer.core.em.initialization`).
    seed : int or None
    tol, max_iter, reg_covar
        As in scikit-learn's ``GaussianMixture``.

    Attributes
    ----------
    changed : Signal
        Emitted with ``(action,)`` after every change of the current state, where
        ``action`` is one of 'e-step', 'm-step', 'edit', 'data' (an edit of the data),
        'initialise', 'undo', 'redo', 'jump' or 'settings'. Undo, redo and jumps may
        change the data too: compare :attr:`dataset` by identity.
    """

    def __init__(
        self,
        data: Dataset | np.ndarray,
        n_components: int = 3,
        *,
        params: GMMParams | None = None,
        description: str = "",
        covariance_type: str = "full",
        init: str = "kmeans",
        seed: int | None = 0,
        tol: float = DEFAULT_TOL,
        max_iter: int = DEFAULT_MAX_ITER,
        reg_covar: float = DEFAULT_REG_COVAR,
        dtype: str = "float64",
        variational: PriorChoice | None = None,
    ) -> None:
        dataset = data if isinstance(data, Dataset) else Dataset(np.asarray(data, float))
        self._setup(tol, max_iter, reg_covar, init, seed, dtype)
        context = self._contexts.get(dataset)
        start: str | GMMParams = self._init
        if params is not None:
            start = self._check_params(params, context)
            n_components = start.n_components
        else:
            check_covariance_type(covariance_type)
            check_n_components(n_components, dataset.n_samples)
        description = description or start_description(variational, start, seed, n_components)
        first = prepare_start(
            None,
            self._start_data(context),
            start,
            variational,
            description,
            n_components=n_components,
            covariance_type=covariance_type,
            seed=seed,
        )
        self._history = History(first.state)
        self._keep(first)

    @classmethod
    def empty(
        cls,
        columns: tuple[str, ...] | int = 2,
        n_components: int = 3,
        *,
        covariance_type: str = "full",
        source: str = "",
        **settings: Any,
    ) -> EMSession:
        """A session on an empty canvas: K components wait for points to be drawn.

        The first state is an unplaced start (see :meth:`clear_data`); the edit that
        draws the K-th point places the components on the first K points.

        Parameters
        ----------
        columns : tuple of str or int
            The column names, or how many columns.
        n_components : int
        covariance_type : str
        source : str
            What the window shows as the data's name.
        **settings
            ``init``, ``seed``, ``tol``, ``max_iter``, ``reg_covar``, ``dtype`` as for
            the constructor.
        """
        session = cls.__new__(cls)
        defaults: dict[str, Any] = {
            "tol": DEFAULT_TOL,
            "max_iter": DEFAULT_MAX_ITER,
            "reg_covar": DEFAULT_REG_COVAR,
            "init": "kmeans",
            "seed": 0,
            "dtype": "float64",
        }
        defaults.update(settings)
        session._setup(**defaults)
        context = session._contexts.get(Dataset.empty(columns, source))
        check_covariance_type(covariance_type)
        session._check_k(n_components, context.X.shape[1], covariance_type)
        first = unplaced_start(
            None, context, n_components, covariance_type, unplaced_description(n_components)
        )
        session._history = History(first.state)
        return session

    def _setup(
        self,
        tol: float,
        max_iter: int,
        reg_covar: float,
        init: str,
        seed: int | None,
        dtype: str = "float64",
    ) -> None:
        """Everything but the history, shared by a new and a restored session."""
        # What is computed from each data set of the history, the current one's first.
        self._contexts = DataContexts(dtype)
        self._dtype = self._contexts.dtype
        self.changed = Signal()
        self._tol = check_tol(tol)
        self._max_iter = check_max_iter(max_iter)
        self._reg_covar = check_reg_covar(reg_covar)
        self._init = check_init_method(init)
        self._seed = None if seed is None else int(seed)
        #: Students' scored predictions; outside the history, so undo never erases them.
        self.predictions = PredictionLog()

    @classmethod
    def restore(
        cls,
        dataset: Dataset,
        states: list[SessionState],
        position: int,
        settings: dict[str, object],
    ) -> EMSession:
        """A session continuing a saved history (see
        :mod:`gmmviewer.core.files.sessions.session_file`).

        Parameters
        ----------
        dataset : Dataset
            The data of states that record none (states of a session all do).
        states : list of SessionState
            The whole history, oldest first.
        position : int
            Index of the current state.
        settings : dict
            ``init``, ``seed``, ``tol``, ``max_iter``, ``reg_covar`` and optionally
            ``dtype``.

        Raises
        ------
        ParameterError
            If a state's parameters do not fit its data or the settings are invalid.
        """
        session = cls.__new__(cls)
        session._setup(
            settings["tol"],  # type: ignore[arg-type]
            settings["max_iter"],  # type: ignore[arg-type]
            settings["reg_covar"],  # type: ignore[arg-type]
            str(settings["init"]),
            settings["seed"],  # type: ignore[arg-type]
            str(settings.get("dtype", "float64")),
        )
        states = [state if state.dataset else state.evolve(dataset=dataset) for state in states]
        extents: dict[int, Any] = {}
        for state in states:
            data = state.dataset
            assert data is not None
            if state.params.n_features != data.n_features:
                raise ParameterError(
                    f"the parameters have {state.params.n_features} features but the data "
                    f"have {data.n_features}"
                )
            if state.placed:
                if id(data) not in extents:
                    extents[id(data)] = extent_of(data)
                extents[id(data)].check_params(state.params.validate())
        session._history = History.from_states(states, position)
        return session

    # ============================================================= half-steps
    def prepare(self) -> PreparedStep:
        """Compute the next half-step without committing it (safe on a worker thread).

        Writes nothing: the session's state, history and caches are untouched whatever
        happens to the result (see "Threads" in the class docstring).
        """
        # The state is read once: the owner may make another current meanwhile, and the
        # data, caches and all come from this one (a stale result is refused by apply).
        state = self._history.current
        if not can_step_from(state):
            raise SessionError(draw_first(state))
        assert state.dataset is not None
        context = self._contexts.find(state.dataset)
        posteriors = context.posteriors
        if state.variational is not None:
            return prepare_variational_half_step(
                state, context.X, posteriors.snapshot(), tol=self._tol
            )
        return prepare_half_step(
            state,
            context.pass_X,
            posteriors.snapshot(),
            reg_covar=self._reg_covar,
            tol=self._tol,
            data_variance=context.variance,
            arrays=posteriors.arrays,
        )

    def apply(self, prepared: PreparedStep) -> SessionState:
        """Commit a half-step computed by :meth:`prepare` (on the session's own thread).

        Raises
        ------
        SessionError
            If the session has changed since the step was prepared.
        """
        if prepared.origin is not self.state:
            raise SessionError("the session changed while the step was being computed")
        return self._commit(prepared, prepared.state.action)

    def e_step(self) -> SessionState:
        """Compute responsibilities from the current parameters.

        Raises
        ------
        SessionError
            If the next half-step is the M-step.
        """
        if self.next_step != "E":
            raise SessionError("the next half-step is the M-step: call m_step() or step()")
        return self.apply(self.prepare())

    def m_step(self) -> SessionState:
        """Re-estimate the parameters from the current responsibilities.

        Raises
        ------
        SessionError
            If the next half-step is the E-step.
        """
        if self.next_step != "M":
            raise SessionError("the next half-step is the E-step: call e_step() or step()")
        return self.apply(self.prepare())

    def advance(self) -> SessionState:
        """Perform whichever half-step comes next."""
        return self.apply(self.prepare())

    def step(self) -> SessionState:
        """Finish the current iteration: E-step then M-step (only the M-step if E is done)."""
        if self.next_step == "E":
            self.advance()
        return self.advance()

    def iter_run(self) -> Iterator[SessionState]:
        """Yield after every half-step until :attr:`done`; stop iterating to pause."""
        while not self.done:
            yield self.advance()

    def run(
        self,
        max_half_steps: int | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> int:
        """Run half-steps until converged or ``max_iter`` is reached.

        Parameters
        ----------
        max_half_steps : int, optional
            Pause after this many half-steps.
        should_stop : callable, optional
            Checked before every half-step; returning True pauses the run.

        Returns
        -------
        int
            Half-steps performed.
        """
        count = 0
        for _ in self.iter_run():
            count += 1
            if max_half_steps is not None and count >= max_half_steps:
                break
            if should_stop is not None and should_stop():
                break
        return count

    # ================================================================ history
    def undo(self) -> SessionState:
        """Go back one history entry (a half-step or an edit)."""
        if not self.can_undo:
            raise SessionError("nothing to undo")
        return self._move(self.position - 1, "undo")

    def redo(self) -> SessionState:
        """Go forward one history entry."""
        if not self.can_redo:
            raise SessionError("nothing to redo")
        return self._move(self.position + 1, "redo")

    def go_to(self, index: int) -> SessionState:
        """Make history entry ``index`` current (a timeline jump; later entries stay for redo)."""
        return self._move(self._history_index(index), "jump")

    def reset(self) -> SessionState:
        """Return to the parameters of the latest initialisation (redo comes back)."""
        return self._move(self.run_bounds()[0], "jump")

    def _move(self, index: int, action: str) -> SessionState:
        state = self._history.move_to(index)
        assert state.dataset is not None
        self._contexts.get(state.dataset)  # so a worker's prepare() finds it
        self.changed.emit(action)
        return state

    # ================================================================ commits
    def _commit(self, prepared: PreparedStep, action: str, replace: bool = False) -> SessionState:
        """Make ``prepared.state`` current, keep its posteriors, and tell the observers."""
        if replace:
            self._history.replace_current(prepared.state)
        else:
            self._history.push(prepared.state)
        self._keep(prepared)
        self.changed.emit(action)
        return prepared.state

    def _keep(self, prepared: PreparedStep) -> None:
        """Cache the posteriors ``prepared`` computed, with its state's data."""
        state = prepared.state
        assert state.dataset is not None
        computed = [q for q in (prepared.next_posterior, prepared.posterior) if q is not None]
        self._contexts.get(state.dataset).posteriors.keep(state, *computed)

    def _check_params(self, params: GMMParams, context: DataContext | None = None) -> GMMParams:
        context = self._context if context is None else context
        n_features = context.X.shape[1]
        if params.n_features != n_features:
            raise ParameterError(
                f"the parameters have {params.n_features} features but the data have {n_features}"
            )
        check_n_components(params.n_components, context.n_samples)
        return context.extent.check_params(params.validate())
