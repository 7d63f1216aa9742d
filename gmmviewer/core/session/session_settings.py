"""A session's settings: the convergence rule, the M-step's regularisation, the start
method and the type the E-step computes in. No Qt.

:class:`SessionSettings` is a part of :class:`~gmmviewer.core.session.em_session.EMSession`
(its base class), kept apart so that the session module holds what changes the current
state. ``tol``, ``max_iter`` and ``reg_covar`` are set here and emit ``changed`` with
'settings'; ``init`` and ``seed`` are those of the last start. None of them is part of
the history, so undo and redo leave them as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gmmviewer.core.em.objective import check_max_iter, check_reg_covar, check_tol

if TYPE_CHECKING:
    from gmmviewer.core.session.events import Signal


class SessionSettings:
    """The settings of :class:`~gmmviewer.core.session.em_session.EMSession`."""

    if TYPE_CHECKING:  # provided by EMSession
        changed: Signal
        _tol: float
        _max_iter: int
        _reg_covar: float
        _init: str
        _seed: int | None
        _dtype: str

        @property
        def covariance_type(self) -> str: ...

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
