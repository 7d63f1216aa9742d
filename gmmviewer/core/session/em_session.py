"""The stateful EM session the window drives one half-step at a time.

Pure Python and numpy; no Qt. Views subscribe to :attr:`EMSession.changed`, a plain
callback list, and read the session's state when it fires; user actions are calls on
the session. Every half-step and edit becomes a
:class:`~gmmviewer.core.session.history.SessionState` in an undoable history; how one
state leads to the next is in :mod:`gmmviewer.core.session.transitions`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.extent import DataExtent
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
from gmmviewer.core.em.passes import check_pass_dtype, feature_variance, pass_data
from gmmviewer.core.errors import ParameterError, SessionError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.events import Signal
from gmmviewer.core.session.history import History, HistoryTrace, HistoryView, SessionState
from gmmviewer.core.session.posteriors import PosteriorCache
from gmmviewer.core.session.starts import StartData, prepare_start, start_description
from gmmviewer.core.session.transitions import (
    PreparedStep,
    edit_transition,
    prepare_half_step,
)
from gmmviewer.core.session.variational_state import PriorChoice
from gmmviewer.core.session.variational_steps import prepare_variational_half_step

#: Default of :meth:`EMSession.reinitialize`'s ``seed``: keep the current seed.
_KEEP = object()


class EMSession:
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
        ``action`` is one of 'e-step', 'm-step', 'edit', 'initialise', 'undo', 'redo',
        'jump' or 'settings'.
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
        self._setup(dataset, tol, max_iter, reg_covar, init, seed, dtype)
        start: str | GMMParams = self._init
        if params is not None:
            start = self._check_params(params)
            n_components = start.n_components
        else:
            check_covariance_type(covariance_type)
            check_n_components(n_components, self.n_samples)
        description = start_description(variational, start, seed, n_components)
        first = prepare_start(
            None,
            self._start_data(),
            start,
            variational,
            description,
            n_components=n_components,
            covariance_type=covariance_type,
            seed=seed,
        )
        self._history = History(first.state)
        self._posteriors.keep(first.state, first.next_posterior)

    def _setup(
        self,
        dataset: Dataset,
        tol: float,
        max_iter: int,
        reg_covar: float,
        init: str,
        seed: int | None,
        dtype: str = "float64",
    ) -> None:
        """Everything but the history, shared by a new and a restored session."""
        self._dataset = dataset
        self._X = dataset.X
        self._dtype = check_pass_dtype(dtype)
        self._pass_X = pass_data(self._X, self._dtype)
        self._data_variance = float(np.mean(feature_variance(self._X)))
        self._extent = DataExtent.of(self._X, self._data_variance)
        self.changed = Signal()
        self._tol = check_tol(tol)
        self._max_iter = check_max_iter(max_iter)
        self._reg_covar = check_reg_covar(reg_covar)
        self._init = check_init_method(init)
        self._seed = None if seed is None else int(seed)
        # Posteriors of the parameters the current state needs, recomputed on demand.
        self._posteriors = PosteriorCache(self._pass_X, self._X)

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
            If a state's parameters do not fit the data or the settings are invalid.
        """
        session = cls.__new__(cls)
        session._setup(
            dataset,
            settings["tol"],  # type: ignore[arg-type]
            settings["max_iter"],  # type: ignore[arg-type]
            settings["reg_covar"],  # type: ignore[arg-type]
            str(settings["init"]),
            settings["seed"],  # type: ignore[arg-type]
            str(settings.get("dtype", "float64")),
        )
        for state in states:
            session._check_params(state.params)
        session._history = History.from_states(states, position)
        return session

    # ================================================================ reading
    @property
    def dataset(self) -> Dataset:
        """The data set being fitted."""
        return self._dataset

    @property
    def X(self) -> np.ndarray:
        """The data matrix EM fits, shape (n_samples, n_features)."""
        return self._X

    @property
    def n_samples(self) -> int:
        """N."""
        return int(self._X.shape[0])

    @property
    def n_features(self) -> int:
        """D."""
        return int(self._X.shape[1])

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
        """True when :meth:`run` has nothing left to do: converged, or ``max_iter`` reached."""
        state = self.state
        return state.next_step == "E" and (
            self.converged or state.iterations_in_run >= self._max_iter
        )

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood of the current parameters."""
        return self.state.log_likelihood

    @property
    def mean_log_likelihood(self) -> float:
        """Log-likelihood per sample of the current parameters."""
        return self.state.log_likelihood / self.n_samples

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
        state = self._history.current
        if state.variational is not None:
            return prepare_variational_half_step(
                state, self._X, self._posteriors.snapshot(), tol=self._tol
            )
        return prepare_half_step(
            self._history.current,
            self._pass_X,
            self._posteriors.snapshot(),
            reg_covar=self._reg_covar,
            tol=self._tol,
            data_variance=self._data_variance,
            arrays=self._posteriors.arrays,
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
        self.changed.emit(action)
        return state

    # ========================================================= initialisation
    def reinitialize(
        self,
        method: str | None = None,
        seed: int | None | object = _KEEP,
        n_components: int | None = None,
        covariance_type: str | None = None,
    ) -> SessionState:
        """Start again from new initial parameters (an undoable history entry).

        Parameters default to the current ones; ``seed=None`` draws fresh entropy.

        Raises
        ------
        ParameterError
            For an unknown method or covariance type, or K larger than N; the
            session is unchanged.
        """
        method = check_init_method(method or self._init)
        seed = self._seed if seed is _KEEP else seed
        n_components = self.n_components if n_components is None else n_components
        covariance_type = check_covariance_type(covariance_type or self.covariance_type)
        check_n_components(n_components, self.n_samples)
        choice = self.prior_choice
        prepared = prepare_start(
            self.state,
            self._start_data(),
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
        first = self._history[self.run_bounds()[0]]
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
        """
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

    def _start_data(self) -> StartData:
        return StartData(self._X, self._pass_X, self._reg_covar, self._posteriors.arrays)

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

    # ================================================================== edits
    def move_mean(self, component: int, mean: np.ndarray, merge: bool = False) -> SessionState:
        """Move one component's mean (what dragging its handle calls).

        Parameters
        ----------
        component : int
            0-based index.
        mean : ndarray of shape (n_features,)
        merge : bool
            When the current state is already a move of this component, replace it
            instead of adding another entry, so one drag is one undo step.
        """
        params = self.params.with_mean(component, mean)
        self._extent.check_means(params.means)
        state = self.state
        merging = merge and state.action == "move mean" and state.component == component
        description = f"moved the mean of component {component + 1}"
        return self._edit(params, "move mean", description, component, replace=merging)

    def add_component(
        self,
        mean: np.ndarray,
        covariance: np.ndarray | None = None,
        weight: float | None = None,
    ) -> SessionState:
        """Add a component at ``mean`` (weights renormalised).

        Parameters
        ----------
        mean : ndarray of shape (n_features,)
        covariance : ndarray of shape (n_features, n_features), optional
            Defaults to the weight-averaged covariance of the existing components.
        weight : float, optional
            Defaults to 1 / (K + 1).
        """
        params = self.params
        if covariance is None:
            covariance = np.einsum("k,kij->ij", params.weights, params.full_covariances())
        # _check_params also refuses more components than data points.
        new_params = self._check_params(params.with_component(mean, covariance, weight))
        return self._edit(
            new_params,
            "add component",
            f"added component {new_params.n_components}",
            new_params.n_components - 1,
        )

    def remove_component(self, component: int) -> SessionState:
        """Remove one component (weights renormalised)."""
        params = self.params.without_component(component)
        return self._edit(
            params, "remove component", f"removed component {component + 1}", component
        )

    def _edit(
        self,
        params: GMMParams,
        action: str,
        description: str,
        component: int | None,
        replace: bool = False,
    ) -> SessionState:
        state = self.state
        if state.variational is not None:
            # A variational edit starts again from the edited expected mixture.
            prepared = self._prepare_start(
                params,
                state.variational.choice,
                description,
                action=action,
                iteration=state.iteration,
                component=component,
            )
            return self._commit(prepared, "edit", replace=replace)
        # Responsibilities survive an edit only when K stays the same.
        q = self._current_q() if params.n_components == self.n_components else None
        prepared = edit_transition(
            state, q, self._pass_X, params, action, description, component, self._posteriors.arrays
        )
        return self._commit(prepared, "edit", replace=replace)

    # ================================================================ commits
    def _commit(self, prepared: PreparedStep, action: str, replace: bool = False) -> SessionState:
        """Make ``prepared.state`` current, keep its posteriors, and tell the observers."""
        if replace:
            self._history.replace_current(prepared.state)
        else:
            self._history.push(prepared.state)
        computed = [prepared.next_posterior]
        if prepared.posterior is not None:
            computed.append(prepared.posterior)
        self._posteriors.keep(prepared.state, *computed)
        self.changed.emit(action)
        return prepared.state

    def _current_q(self) -> Posterior | None:
        """The posterior behind the current responsibilities, or None before an E-step."""
        state = self.state
        if state.resp_params is None:
            return None
        return self._posteriors.get(state.resp_params, state)

    def _check_params(self, params: GMMParams) -> GMMParams:
        if params.n_features != self.n_features:
            raise ParameterError(
                f"the parameters have {params.n_features} features but the data have "
                f"{self.n_features}"
            )
        check_n_components(params.n_components, self.n_samples)
        return self._extent.check_params(params.validate())
