"""EM never lowers the log-likelihood: property-based, over many random data sets."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gmmviewer.core.em.fit import fit
from gmmviewer.core.session.em_session import EMSession

COVARIANCE_TYPES = ["full", "diag", "spherical", "tied"]


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n_features = draw(st.integers(1, 3))
    n_components = draw(st.integers(1, 4))
    n_samples = draw(st.integers(10 * n_components * n_features, 300))
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=draw(st.floats(0.5, 5.0)), size=(n_components, n_features))
    labels = rng.integers(n_components, size=n_samples)
    X = centres[labels] + rng.normal(size=(n_samples, n_features)) * rng.uniform(0.2, 2.0)
    X = X * rng.uniform(0.01, 100.0) + rng.uniform(-1e3, 1e3)
    return {
        "X": X,
        "n_components": n_components,
        "covariance_type": draw(st.sampled_from(COVARIANCE_TYPES)),
        "init": draw(st.sampled_from(["kmeans", "random", "random-means", "k-means++"])),
        "seed": seed,
    }


def tolerance(value: float) -> float:
    return 1e-9 * max(1.0, abs(value))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_log_likelihood_never_decreases(problem):
    result = fit(
        problem["X"],
        problem["n_components"],
        covariance_type=problem["covariance_type"],
        init=problem["init"],
        seed=problem["seed"],
        reg_covar=0.0,
        tol=0.0,
        max_iter=30,
    )
    # A step that had to repair a singular covariance is not an EM step; none expected here.
    assume(not result.status)
    values = [record.log_likelihood for record in result.history]
    # The k-means++ start has zero covariances repaired before the first step.
    start = 1 if problem["init"] == "k-means++" else 0
    for before, after in zip(values[start:], values[start + 1 :], strict=False):
        assert after >= before - tolerance(before)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_session_bound_sandwich(problem):
    """After every M-step: previous log-likelihood <= ELBO <= new log-likelihood."""
    session = EMSession(
        problem["X"],
        problem["n_components"],
        covariance_type=problem["covariance_type"],
        init=problem["init"],
        seed=problem["seed"],
        reg_covar=0.0,
    )
    for _ in range(8):
        previous = session.log_likelihood
        session.e_step()
        assert session.elbo == session.log_likelihood
        session.m_step()
        assume(not session.status)
        assert session.elbo >= previous - tolerance(previous)
        assert session.log_likelihood >= session.elbo - tolerance(session.elbo)
