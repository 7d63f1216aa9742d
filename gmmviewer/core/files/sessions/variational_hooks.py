"""What the EM checks of a session file ask of the variational states' checks. No Qt.

:mod:`~gmmviewer.core.files.sessions.variational_checks` imports the EM checks
(:mod:`~gmmviewer.core.files.sessions.meta_checks`,
:mod:`~gmmviewer.core.files.sessions.state_checks`,
:mod:`~gmmviewer.core.files.sessions.history_checks`), so they cannot import it: it passes
its checks in, in the shapes named here. Without them a variational state is the
caller's mistake (TypeError).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import numpy as np

from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.variational_state import VariationalState

#: Builds a state's variational model from its checked entry (index, entry, parameters,
#: parameters of its responsibilities).
StateLinker = Callable[[int, dict[str, Any], GMMParams, GMMParams | None], VariationalState]

_T = TypeVar("_T")


class VariationalChecks(Protocol):
    """What the checks here ask of the variational states' own checks, whose module
    imports this one (so they are passed in): ``X`` is in float64."""

    def check_tables(self, meta: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]: ...

    def check_links(
        self,
        links: Any,
        where: str,
        state: dict[str, Any],
        n_params: int,
        n_priors: int,
        n_variational: int,
    ) -> dict[str, Any]: ...

    def elbo_slack(self, state: SessionState, n_samples: int) -> float: ...

    def check_half_step(self, index: int, state: SessionState, n_samples: int) -> None: ...

    def bound(self, X: np.ndarray, state: SessionState) -> float: ...

    def elbo(self, X: np.ndarray, state: SessionState) -> float: ...


def _required(checks: _T | None) -> _T:
    """``checks``, which a variational state needs: without them, the caller erred."""
    if checks is None:
        raise TypeError("variational states need the checks of sessions.variational_checks")
    return checks
