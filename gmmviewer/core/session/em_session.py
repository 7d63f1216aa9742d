"""The stateful EM session the window drives one half-step at a time.

Pure Python and numpy; no Qt. Views subscribe to :attr:`EMSession.changed`, a plain
callback list, and read the session's state when it fires; user actions are calls on
the session. Every half-step and edit becomes a
:class:`~gmmviewer.core.session.history.SessionState` in an undoable history; how one
state leads to the next is in :mod:`gmmviewer.core.session.transitions`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from gmmviewer.core.analysis.prediction_log import PredictionLog
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.em.estep import Posterior
from gmmviewer.core.em.gaussian import check_covariance_type
from gmmviewer.core.em.initialization import check_init_method, check_n_components
from gmmviewer.core.em.objective import (
    DEFAULT_MAX_ITER,
    DEFAULT_REG_COVAR,
    DEFAULT_TOL,
    check_max_iter,
    check_reg_covar,
    check_tol,
    has_converged,
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
from gmmviewer.core.session.history import History, HistoryTrace, HistoryView, SessionState
from gmmviewer.core.session.session_edits import SessionEdits
from gmmviewer.core.session.session_starts import SessionStarts
from gmmviewer.core.session.starts import prepare_start, start_description
from gmmviewer.core.session.transitions import PreparedStep, prepare_half_step
from gmmviewer.core.session.variational_state import PriorChoice
from gmmviewer.core.session.variational_steps import prepare_variational_half_step


class EMSession(SessionStarts, SessionEdits):
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
        description = start_description(variational, start, seed, n_components)
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
        """A session continuing a saved history (see :mod:`gmmviewer.core.files.session_file`).

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

    # ================================================================ reading
    @property
    def dataset(self) -> Dataset:
        """The data set the current state fits (it changes with edits, undo and redo)."""
        dataset = self._history.current.dataset
        assert dataset is not None, "every state of a session records its data"
        return dataset

    @property
    def X(self) -> np.ndarray:
        """The data matrix EM fits, shape (n_samples, n_features): the current state's."""
        return self.dataset.X

    @property
    def n_samples(self) -> int:
        """N (0 on an empty canvas)."""
        return self.dataset.n_samples

    @property
    def n_features(self) -> int:
        """D."""
        return self.dataset.n_features

    @property
    def placed(self) -> bool:
        """False while the components wait for points to be drawn (see :meth:`clear_data`)."""
        return self.state.placed

    @property
    def can_step(self) -> bool:
        """True when EM can take a step: the components are placed and N >= K.

        After the data are cleared, or points deleted below K, half-steps refuse
        ("draw at least K points first") until enough points are drawn.
        """
        return can_step_from(self.state)

    @property
    def _context(self) -> DataContext:
        """The current data set's context (the owner thread only)."""
        return self._contexts.get(self.dataset)

    @property
    def state(self) -> SessionState:
        """The current state."""
        return self._history.current

    @property
    def params(self) -> GMMParams:
        """The current parameters."""
        return self.state.params

    @property
    def n_components(self) -> int:
        """K."""
        return self.params.n_components

    @property
    def covariance_type(self) -> str:
        """Covariance type of the current parameters."""
        return self.params.covariance_type

    @property
    def history(self) -> HistoryView:
        """Every state, oldest first: a read-only, live sequence (indexing, slicing to a
        tuple, ``len``, iteration) that copies nothing."""
        return self._history.view()

    @property
    def position(self) -> int:
        """Index of the current state in :attr:`history`."""
        return self._history.position

    @property
    def can_undo(self) -> bool:
        """True when :meth:`undo` would do something."""
        return self._history.can_undo

    @property
    def can_redo(self) -> bool:
        """True when :meth:`redo` would do something."""
        return self._history.can_redo

    @property
    def next_step(self) -> str:
        """'E' or 'M': the only half-step allowed next."""
        return self.state.next_step

    @property
    def iteration(self) -> int:
        """Completed M-steps since the last initialisation."""
        return self.state.iteration

    @property
    def converged(self) -> bool:
        """True when scikit-learn's convergence rule holds under the current ``tol``.

        The rule compares the mean log-likelihoods of the last two E-steps (see
        :mod:`~gmmviewer.core.em.objective`). It is judged against the tolerance in force
        now, so lowering ``tol`` after convergence lets :meth:`run` continue.
        """
        state = self.state
        if state.next_step != "E":
            return state.converged
        return has_converged(state.previous_lower_bound, state.lower_bound, self._tol)

    @property
    def done(self) -> bool:
        """True when :meth:`run` has nothing left to do: converged, ``max_iter`` reached, or
        no step is possible (:attr:`can_step` False)."""
        state = self.state
        if not can_step_from(state):
            return True
        return state.next_step == "E" and (
            self.converged or state.iterations_in_run >= self._max_iter
        )

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood of the current parameters."""
        return self.state.log_likelihood

    @property
    def mean_log_likelihood(self) -> float:
        """Log-likelihood per sample of the current parameters (NaN without data)."""
        n_samples = self.n_samples
        return self.state.log_likelihood / n_samples if n_samples else math.nan

    @property
    def nll(self) -> float:
        """Negative log-likelihood (total) of the current parameters."""
        return -self.state.log_likelihood

    @property
    def elbo(self) -> float | None:
        """Evidence lower bound L(q, theta) of the current responsibilities and parameters."""
        return self.state.elbo

    @property
    def status(self) -> str:
        """A degenerate situation found by the last step, or ''."""
        return self.state.status

    @property
    def responsibilities(self) -> np.ndarray | None:
        """Current responsibilities, shape (n_samples, n_components), or None before an E-step.

        A read-only transposed view of the cached (n_components, n_samples) array;
        recomputed from the history when the session moves to an uncached state.
        """
        q = self._current_q()
        return None if q is None else q.resp.T

    def hard_assignments(self) -> np.ndarray | None:
        """Most responsible component of each sample, shape (n_samples,), int, or None.

        Read-only and cached with the responsibilities (computed with them, on the
        worker thread when the window prepares a step there), so asking again is free.
        """
        q = self._current_q()
        return None if q is None else q.hard

    # ================================================================ history queries
    def run_bounds(self, position: int | None = None) -> tuple[int, int]:
        """Half-open ``(start, stop)`` of the run holding history entry ``position``.

        Parameters
        ----------
        position : int, optional
            A history index (negative counts from the end); default the current one.

        Returns
        -------
        start : int
            The latest 'initialise' entry at or before ``position``.
        stop : int
            The next 'initialise' entry after ``position``, or ``len(history)``.

        Raises
        ------
        SessionError
            When ``position`` is outside the history.
        """
        index = self.position if position is None else self._history_index(position)
        return self._history.run_bounds(index)

    def trace(self, start: int, stop: int) -> HistoryTrace:
        """The NLL curve of history entries ``start`` to ``stop - 1`` (what the NLL plot draws).

        Costs O(stop - start) array slicing, however long the history.

        Raises
        ------
        SessionError
            Unless ``0 <= start <= stop <= len(history)``.
        """
        try:
            return self._history.trace(int(start), int(stop))
        except IndexError as error:
            raise SessionError(str(error)) from None

    # =============================================================== settings
    @property
    def tol(self) -> float:
        """Convergence threshold on the change of the mean per-sample log-likelihood."""
        return self._tol

    @tol.setter
    def tol(self, value: float) -> None:
        self._tol = check_tol(value)
        self.changed.emit("settings")

    @property
    def max_iter(self) -> int:
        """Iterations :meth:`run` may perform from the last initialisation or edit."""
        return self._max_iter

    @max_iter.setter
    def max_iter(self, value: int) -> None:
        self._max_iter = check_max_iter(value)
        self.changed.emit("settings")

    @property
    def reg_covar(self) -> float:
        """Added to covariance diagonals in every M-step."""
        return self._reg_covar

    @reg_covar.setter
    def reg_covar(self, value: float) -> None:
        self._reg_covar = check_reg_covar(value)
        self.changed.emit("settings")

    @property
    def init(self) -> str:
        """The initialisation method of the last :meth:`reinitialize`."""
        return self._init

    @property
    def seed(self) -> int | None:
        """The seed of the last :meth:`reinitialize`."""
        return self._seed

    def fit_settings(self) -> dict[str, object]:
        """The settings a headless fit needs to behave like this session.

        Returns
        -------
        dict
            ``covariance_type``, ``init``, ``seed``, ``tol``, ``max_iter``, ``reg_covar``,
            ``dtype``: keyword arguments for :func:`gmmviewer.fit` and the scans built on it.
        """
        return {
            "covariance_type": self.covariance_type,
            "init": self._init,
            "seed": self._seed,
            "tol": self._tol,
            "max_iter": self._max_iter,
            "reg_covar": self._reg_covar,
            "dtype": self._dtype,
        }

    @property
    def dtype(self) -> str:
        """The type the E-step computes in: 'float64' (exact) or 'float32' (fast)."""
        return self._dtype

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

    def _history_index(self, index: int) -> int:
        """``index`` as a non-negative history index (negative counts from the end)."""
        length = len(self._history)
        if not -length <= index < length:
            raise SessionError(f"the history has no entry {index}")
        return index + length if index < 0 else int(index)

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

    def _current_q(self) -> Posterior | None:
        """The posterior behind the current responsibilities, or None before an E-step."""
        state = self.state
        if state.resp_params is None:
            return None
        return self._context.posteriors.get(state.resp_params, state)

    def _check_params(self, params: GMMParams, context: DataContext | None = None) -> GMMParams:
        context = self._context if context is None else context
        n_features = context.X.shape[1]
        if params.n_features != n_features:
            raise ParameterError(
                f"the parameters have {params.n_features} features but the data have {n_features}"
            )
        check_n_components(params.n_components, context.n_samples)
        return context.extent.check_params(params.validate())
