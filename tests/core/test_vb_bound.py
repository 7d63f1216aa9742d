"""The variational lower bound over half-steps: invariants checked by Hypothesis.

The bound of :func:`gmmviewer.core.vb.bound.lower_bound` is one function of
(responsibilities, variational parameters). The checks are about that function, not
about the code that computes the steps:

* the E-step's responsibilities maximise it over responsibilities (any other, random,
  responsibilities give less);
* the M-step's parameters maximise it over parameters (perturbing any of them gives less);
* hence over any sequence of half-steps it never decreases: exactly (to rounding) with
  ``reg_covar = 0`` and for 'tied'; with ``reg_covar > 0`` the E-step, which (as
  scikit-learn's) ignores ``reg_covar``, may lower it by at most
  ``0.5 reg_covar |sum_k dN_k tr(nu_k W_k)|``, and the M-step never does.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from gmmviewer.core.vb.bound import lower_bound, lower_bound_from_resp
from gmmviewer.core.vb.estep import e_step
from gmmviewer.core.vb.initialization import variational_from_resp
from gmmviewer.core.vb.mstep import m_step
from gmmviewer.core.vb.priors import VariationalPriors, resolve_priors
from gmmviewer.core.vb.variational import VariationalParams

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
PRIOR_TYPES = ["dirichlet_process", "dirichlet_distribution"]


@st.composite
def problems(draw, reg_covar=None):
    """Data (clusters at a random scale and offset), priors and starting responsibilities."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_samples = draw(st.integers(4, 80))
    n_features = draw(st.integers(1, 3))
    n_components = draw(st.integers(1, min(5, n_samples)))
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    prior_type = draw(st.sampled_from(PRIOR_TYPES))
    scale = 10.0 ** draw(st.floats(-3, 3))
    offset = 10.0 ** draw(st.floats(-2, 3))
    if reg_covar is None:
        reg_covar = draw(st.sampled_from([0.0, 1e-6, 1e-3]))
    concentration = draw(st.sampled_from([0.05, 0.5, 5.0]))
    rng = np.random.default_rng(seed)
    centres = 4.0 * rng.normal(size=(3, n_features))
    labels = rng.integers(0, 3, size=n_samples)
    X = offset + scale * (centres[labels] + rng.normal(size=(n_samples, n_features)))
    priors = resolve_priors(
        X,
        n_components,
        covariance_type,
        weight_concentration_prior_type=prior_type,
        reg_covar=reg_covar,
    )
    resp = rng.dirichlet(np.full(n_components, concentration), size=n_samples).T
    return X, priors, resp, rng


def tolerance(*values: float) -> float:
    """Rounding allowance: the bound is a sum of terms as large as a few times |bound|."""
    return 1e-11 * max(1.0, *(abs(v) for v in values))


def expected_precision_traces(variational: VariationalParams) -> np.ndarray:
    """``tr(nu_k W_k)`` per component, shape (n_components,)."""
    precisions = variational.precisions
    k, d = variational.n_components, variational.n_features
    if variational.covariance_type == "full":
        return np.trace(precisions, axis1=1, axis2=2)
    if variational.covariance_type == "tied":
        return np.full(k, np.trace(precisions))
    if variational.covariance_type == "diag":
        return precisions.sum(axis=1)
    return d * precisions


def half_step_bounds(X: np.ndarray, priors: VariationalPriors, resp: np.ndarray, n_iter: int):
    """Bounds after every half-step, with the slack each E-step is allowed."""
    variational = variational_from_resp(X, resp, priors)
    counts = resp.sum(axis=1)
    previous = lower_bound_from_resp(X, variational, resp, priors)
    steps = []
    for _ in range(n_iter):
        posterior = e_step(X, variational)
        after_e = posterior.lower_bound(variational, priors)
        change = posterior.statistics.counts - counts
        slack = 0.5 * priors.reg_covar * abs(float(change @ expected_precision_traces(variational)))
        steps.append(("E", previous, after_e, slack))
        variational = m_step(posterior.statistics, priors)
        after_m = posterior.lower_bound(variational, priors)
        steps.append(("M", after_e, after_m, 0.0))
        previous, counts = after_m, posterior.statistics.counts
    return steps


@settings(max_examples=150)
@given(problems(reg_covar=0.0), st.integers(1, 12))
def test_bound_never_decreases_without_reg_covar(problem, n_iter):
    X, priors, resp, _ = problem
    for half, before, after, _ in half_step_bounds(X, priors, resp, n_iter):
        assert after >= before - tolerance(before, after), (half, before, after)


@settings(max_examples=150)
@given(problems(), st.integers(1, 12))
def test_with_reg_covar_m_steps_never_decrease_and_e_steps_stay_within_the_slack(problem, n_iter):
    X, priors, resp, _ = problem
    for half, before, after, slack in half_step_bounds(X, priors, resp, n_iter):
        if priors.covariance_type == "tied":
            # One precision for all: the reg_covar term does not depend on the counts.
            assert slack <= tolerance(before, after)
        assert after >= before - slack - tolerance(before, after), (half, before, after, slack)


@settings(max_examples=100)
@given(problems(reg_covar=0.0), st.floats(0.05, 5.0))
def test_e_step_maximises_the_bound_over_responsibilities(problem, concentration):
    X, priors, resp, rng = problem
    variational = variational_from_resp(X, resp, priors)
    posterior = e_step(X, variational)
    best = posterior.lower_bound(variational, priors)
    for _ in range(3):
        other = rng.dirichlet(np.full(priors.n_components, concentration), size=X.shape[0]).T
        value = lower_bound_from_resp(X, variational, other, priors)
        assert value <= best + tolerance(best, value)
    # The same responsibilities through the array path give the same bound.
    again = lower_bound_from_resp(X, variational, posterior.resp, priors)
    assert abs(again - best) <= tolerance(best)


def perturbed(variational: VariationalParams, rng: np.random.Generator, size: float):
    """The parameters with every one of them moved a little at random."""

    def jiggle(array: np.ndarray) -> np.ndarray:
        return array * np.exp(size * rng.normal(size=np.shape(array)))

    concentration = variational.weight_concentration
    if isinstance(concentration, tuple):
        concentration = (jiggle(concentration[0]), jiggle(concentration[1]))
    else:
        concentration = jiggle(concentration)
    d = variational.n_features
    covariances = variational.covariances
    if variational.covariance_type in ("full", "tied"):
        # A congruence by an invertible matrix keeps them symmetric positive definite.
        mix = expm(size * rng.normal(size=(d, d)))
        covariances = mix @ covariances @ mix.T
    else:
        covariances = jiggle(covariances)
    spread = np.sqrt(np.max(np.abs(variational.covariances)))
    dof = variational.degrees_of_freedom
    return VariationalParams(
        variational.covariance_type,
        concentration,
        jiggle(variational.mean_precision),
        variational.means + size * spread * rng.normal(size=variational.means.shape),
        (d - 1) + (dof - (d - 1)) * np.exp(size * rng.normal(size=np.shape(dof))),
        covariances,
    )


@settings(max_examples=100)
@given(problems(), st.sampled_from([1e-4, 1e-2, 0.3]))
def test_m_step_maximises_the_bound_over_parameters(problem, size):
    X, priors, resp, rng = problem
    stats = e_step(X, variational_from_resp(X, resp, priors)).statistics
    entropy = 0.0  # the same responsibilities throughout: their entropy cancels
    best_params = m_step(stats, priors)
    best = lower_bound(best_params, stats, entropy, priors)
    for _ in range(3):
        value = lower_bound(perturbed(best_params, rng, size), stats, entropy, priors)
        assert value <= best + tolerance(best, value)
