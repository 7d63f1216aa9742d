"""Editing a session's parameters by hand: move a mean, add or remove a component (no Qt).

:class:`SessionEdits` is the editing part of :class:`~gmmviewer.core.session.em_session.EMSession`:
every edit becomes an undoable history entry whose next half-step is the E-step.
"""

from __future__ import annotations

import numpy as np

from gmmviewer.core.em.estep import expected_complete_log_likelihood, weighted_log_prob
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.transitions import edited_state


class SessionEdits:
    """Edits for :class:`~gmmviewer.core.session.em_session.EMSession` (which provides the state,
    the history, the caches and ``changed``)."""

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
        state = self.state
        description = f"moved the mean of component {component + 1}"
        if merge and state.action == "move mean" and state.component == component:
            new = self._edited_state(state, params, "move mean", description, component)
            self._history.replace_current(new)
            self.changed.emit("edit")
            return new
        return self._push_edit(params, "move mean", description, component)

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
        return self._push_edit(
            new_params,
            "add component",
            f"added component {new_params.n_components}",
            new_params.n_components - 1,
        )

    def remove_component(self, component: int) -> SessionState:
        """Remove one component (weights renormalised)."""
        params = self.params.without_component(component)
        return self._push_edit(
            params, "remove component", f"removed component {component + 1}", component
        )

    def _push_edit(
        self, params: GMMParams, action: str, description: str, component: int | None
    ) -> SessionState:
        new = self._edited_state(self.state, params, action, description, component)
        self._history.push(new)
        self.changed.emit("edit")
        return new

    def _edited_state(
        self,
        base: SessionState,
        params: GMMParams,
        action: str,
        description: str,
        component: int | None,
    ) -> SessionState:
        weighted, log_likelihood = weighted_log_prob(self._X, params)
        resp_params = base.resp_params
        elbo = None
        if resp_params is not None and resp_params.n_components == params.n_components:
            self._sync_responsibilities(resp_params)
            assert self._resp is not None
            elbo = expected_complete_log_likelihood(self._resp, weighted) + self._entropy
        self._weighted, self._weighted_for = weighted, params
        return edited_state(base, params, action, description, component, log_likelihood, elbo)
