"""What a variational session state holds beside the expected mixture (no Qt).

See :mod:`gmmviewer.core.session.variational_steps` for how the states follow each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.params import GMMParams
from gmmviewer.core.vb.priors import VariationalPriors, resolve_priors
from gmmviewer.core.vb.variational import VariationalParams

#: The two weight priors, by the names scikit-learn uses.
PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")


@dataclass(frozen=True)
class PriorChoice:
    """The priors a person chose; the rest take scikit-learn's defaults for the data.

    Resolved again for every start, since the defaults depend on K and the covariance
    type (the weight concentration defaults to 1 / K).

    Attributes
    ----------
    prior_type : {'dirichlet_process', 'dirichlet_distribution'}
    weight_concentration, mean_precision, degrees_of_freedom : float or None
        None takes scikit-learn's default.
    """

    prior_type: str = "dirichlet_process"
    weight_concentration: float | None = None
    mean_precision: float | None = None
    degrees_of_freedom: float | None = None

    def resolve(
        self, X: np.ndarray, n_components: int, covariance_type: str, reg_covar: float
    ) -> VariationalPriors:
        """The priors for these data, K and covariance type.

        Raises
        ------
        ParameterError
            For a prior out of its range (the engine's checks).
        """
        return resolve_priors(
            X,
            n_components,
            covariance_type,
            weight_concentration_prior_type=self.prior_type.replace("-", "_"),
            weight_concentration_prior=self.weight_concentration,
            mean_precision_prior=self.mean_precision,
            degrees_of_freedom_prior=self.degrees_of_freedom,
            reg_covar=reg_covar,
        )

    @property
    def label(self) -> str:
        """'Dirichlet process' or 'Dirichlet distribution'."""
        return (
            "Dirichlet process"
            if self.prior_type == "dirichlet_process"
            else ("Dirichlet distribution")
        )


@dataclass(frozen=True, eq=False)
class VariationalState:
    """The variational side of a session state.

    Attributes
    ----------
    choice : PriorChoice
    priors : VariationalPriors
        ``choice`` resolved for the data, K and covariance type.
    current : VariationalParams
        The state's variational parameters (``state.params`` are their expectations).
    responsibilities : VariationalParams or None
        The parameters whose E-step gave the current responsibilities (those of
        ``state.resp_params``), or None before the first E-step.
    origin : GMMParams or None
        The mixture a start or edit began from (None for a start by a method), so that
        changing the priors again starts from the same mixture, not from this start's
        expectations.
    """

    choice: PriorChoice
    priors: VariationalPriors
    current: VariationalParams
    responsibilities: VariationalParams | None = None
    origin: GMMParams | None = None

    def source_of(
        self, params: GMMParams, state_params: GMMParams, resp_params: GMMParams | None
    ) -> VariationalParams | None:
        """The variational parameters behind ``params``, or None.

        ``state_params`` and ``resp_params`` are the state's ``params`` and
        ``resp_params``: the expectations of :attr:`current` and of
        :attr:`responsibilities`.
        """
        if params is state_params:
            return self.current
        if params is resp_params:
            return self.responsibilities
        return None
