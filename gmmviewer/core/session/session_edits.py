"""Edits by hand: of the parameters (drag a mean, add or remove a component) and of the
data (paint, move, delete or clear points). No Qt.

:class:`SessionEdits` is a part of :class:`~gmmviewer.core.session.em_session.EMSession`
(its base class), kept apart so that the session module holds stepping and moves along
the history. Every edit is one undoable history entry and emits ``changed``: 'edit' for the
parameters, 'data' for the data. How the new state follows is in
:mod:`~gmmviewer.core.session.transitions` and :mod:`~gmmviewer.core.session.data_edits`.

Points are given in the units of the session's ``X`` (what the scatter plot shows:
z-scores when the data are normalised).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gmmviewer.core.data.editing import (
    added_rows,
    checked_index,
    checked_points,
    deleted_rows,
    moved_row,
)
from gmmviewer.core.errors import SessionError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.data_context import DataContext
from gmmviewer.core.session.data_edits import data_edit_transition, draw_first
from gmmviewer.core.session.history import DATA_ACTIONS, SessionState
from gmmviewer.core.session.transitions import PreparedStep, edit_transition
from gmmviewer.core.text import count

if TYPE_CHECKING:
    from gmmviewer.core.em.estep import Posterior
    from gmmviewer.core.session.data_context import DataContexts
    from gmmviewer.core.session.variational_state import PriorChoice


class SessionEdits:
    """The edit methods of :class:`~gmmviewer.core.session.em_session.EMSession`."""

    if TYPE_CHECKING:  # provided by EMSession
        _contexts: DataContexts
        _reg_covar: float

        @property
        def state(self) -> SessionState: ...

        @property
        def params(self) -> GMMParams: ...

        @property
        def n_components(self) -> int: ...

        @property
        def _context(self) -> DataContext: ...

        def _commit(
            self, prepared: PreparedStep, action: str, replace: bool = False
        ) -> SessionState: ...

        def _check_params(self, params: GMMParams) -> GMMParams: ...

        def _current_q(self) -> Posterior | None: ...

        def _prepare_start(
            self, params: GMMParams, choice: PriorChoice | None, description: str, **edit: Any
        ) -> PreparedStep: ...

    # ======================================================= the parameters
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
        self._require_placed()
        params = self.params.with_mean(component, mean)
        self._context.extent.check_means(params.means)
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
        self._require_placed()
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
        self._require_placed()
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
        context = self._context
        prepared = edit_transition(
            state, q, context.pass_X, params, action, description, component,
            context.posteriors.arrays,
        )  # fmt: skip
        return self._commit(prepared, "edit", replace=replace)

    def _require_placed(self) -> None:
        """Refuse an edit of the parameters while they are placeholders."""
        if not self.state.placed:
            raise SessionError(draw_first(self.state))

    # ============================================================== the data
    def add_points(self, points: np.ndarray) -> SessionState:
        """Add points (a click adds one, a spray stroke many: one undo step either way).

        Parameters
        ----------
        points : ndarray of shape (n_points, n_features)
            At least one; in the units of ``X``. A single point may be given as shape
            (n_features,).

        Raises
        ------
        DataError
            For the wrong number of coordinates, a non-finite value, a value too large,
            or a point too far from the data; the session is unchanged.
        """
        context = self._context
        points = checked_points(points, context.X.shape[1])
        if context.n_samples:  # an empty canvas has no extent yet: any finite point will do
            context.extent.check_points(points)
        new_X = added_rows(context.X, points)
        return self.edit_data(new_X, "add points", f"added {count(len(points), 'point')}")

    def move_point(self, index: int, position: np.ndarray, merge: bool = False) -> SessionState:
        """Move data point ``index`` to ``position`` (what dragging a point calls).

        Parameters
        ----------
        index : int
            The row of ``X``.
        position : ndarray of shape (n_features,)
        merge : bool
            When the current state is already a move of this point, replace it instead
            of adding another entry, so one drag is one undo step.

        Raises
        ------
        ParameterError
            For an index that is not a row.
        DataError
            For a bad position, as :meth:`add_points`.
        """
        X = self._context.X
        row = checked_index(index, X.shape[0])
        new_X = moved_row(X, row, position)
        self._context.extent.check_points(new_X[row : row + 1])
        state = self.state
        merging = merge and state.action == "move point" and state.point == row
        return self.edit_data(
            new_X, "move point", f"moved point {row + 1}", point=row, replace=merging
        )

    def delete_points(self, indices: Sequence[int] | np.ndarray) -> SessionState:
        """Delete the points at rows ``indices`` (distinct; the others keep their order).

        Raises
        ------
        ParameterError
            For no index, a repeated one or one that is not a row; the session is
            unchanged.
        """
        X = self._context.X
        new_X = deleted_rows(X, indices)
        removed = X.shape[0] - new_X.shape[0]
        return self.edit_data(new_X, "delete points", f"deleted {count(removed, 'point')}")

    def clear_data(self) -> SessionState:
        """Remove every point: an empty canvas whose components wait for new points.

        The components become placeholders (not drawn, nothing can step) until K
        points have been drawn; the edit that draws the K-th places them on the first K
        points. Undo brings the data and the fit back.
        """
        X = self._context.X
        return self.edit_data(X[:0], "clear data", "cleared the data")

    def edit_data(
        self,
        X: np.ndarray,
        action: str,
        description: str,
        *,
        point: int | None = None,
        replace: bool = False,
    ) -> SessionState:
        """Continue from the current parameters on new data ``X`` (one history entry).

        The parameters stay; the log-likelihood, the ELBO and the responsibilities are
        those of the new data; the next half-step and the iteration stay, and
        convergence tracking starts again. A variational fit starts again from its
        expected mixture. See :mod:`~gmmviewer.core.session.data_edits`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The new data, in the units of the current ``X``; may be empty.
        action : {'add points', 'move point', 'delete points', 'clear data'}
        description : str
        point : int or None
            The row a 'move point' moved (for merging a drag).
        replace : bool
            Replace the current state instead of adding an entry.

        Raises
        ------
        DataError or ParameterError
            When the data or the current parameters on them are out of range; the
            session is unchanged.
        """
        if action not in DATA_ACTIONS:
            raise SessionError(f"{action!r} is not an edit of the data")
        state = self.state
        dataset = self._context.dataset.with_rows(X)
        context = DataContext.of(dataset, self._contexts.dtype)
        prepared = data_edit_transition(
            state, context, action, description, reg_covar=self._reg_covar, point=point
        )
        self._contexts.add(context)
        return self._commit(prepared, "data", replace=replace)
