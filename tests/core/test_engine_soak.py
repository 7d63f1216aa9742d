"""Engine soak: seeded random operations on an EMSession, invariants after every one.

Every operation either succeeds or raises a :class:`GMMViewerError` (the suite turns
warnings into errors, so a numpy RuntimeWarning fails too). After each, the current state
must hold finite parameters, weights forming a distribution, symmetric positive definite
covariances (checked with scipy, not the engine's own helpers), a finite log-likelihood,
an ELBO no higher than the log-likelihood, and undo/redo must restore states bit for bit.
A plain M-step never lowers the log-likelihood.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession

COVARIANCE_TYPES = ("full", "diag", "spherical", "tied")
INIT_METHODS = ("kmeans", "k-means++", "random", "random-from-data", "random-means")
OPERATIONS_PER_RUN = 200
# ELBO <= log-likelihood and the M-step's ascent hold exactly in real arithmetic; in
# floating point they hold to rounding of sums of N terms.
RELATIVE_TOLERANCE = 1e-9


def _same(a: GMMParams, b: GMMParams) -> bool:
    return a.equals(b)


def _check_invariants(session: EMSession) -> None:
    params = session.params
    for array in (params.weights, params.means, params.covariances):
        assert np.all(np.isfinite(array))
    assert np.all(params.weights >= 0.0)
    assert abs(params.weights.sum() - 1.0) < 1e-9
    condition = 1.0
    for matrix in params.full_covariances():
        assert np.array_equal(matrix, matrix.T)
        eigenvalues = scipy.linalg.eigvalsh(matrix)
        assert eigenvalues[0] > 0.0
        scipy.linalg.cholesky(matrix, lower=True)
        condition = max(condition, eigenvalues[-1] / eigenvalues[0])
    log_likelihood = session.log_likelihood
    assert np.isfinite(log_likelihood)
    elbo = session.elbo
    if elbo is not None:
        assert np.isfinite(elbo)
        # Mahalanobis sums through a covariance of condition c carry rounding of about
        # c * eps per sample (a component flattened onto a line reaches c ~ 1e12).
        rounding = 10.0 * session.n_samples * np.finfo(float).eps * condition
        tolerance = RELATIVE_TOLERANCE * max(1.0, abs(log_likelihood)) + rounding
        assert elbo <= log_likelihood + tolerance


def _far_position(rng: np.random.Generator, session: EMSession) -> np.ndarray:
    X = session.X
    centre = X.mean(axis=0)
    exponent = rng.choice([0.0, 1.0, 3.0, 5.0, 6.5, 7.0, 7.1, 10.0, 100.0, 155.0, 300.0])
    direction = rng.normal(size=X.shape[1])
    return centre + direction * 10.0**exponent


def _operation(rng: np.random.Generator, session: EMSession) -> str:
    """Perform one random operation; return its name."""
    name = str(
        rng.choice(
            [
                "step",
                "step",
                "step",
                "advance",
                "undo",
                "redo",
                "go_to",
                "reinitialize",
                "move_mean",
                "move_mean",
                "add_component",
                "remove_component",
                "reg_covar",
                "set_params",
            ]
        )
    )
    k = session.n_components
    if name in ("step", "advance"):
        if name == "step" and session.next_step == "E":
            session.e_step()
        before = session.state
        if before.next_step == "M" and before.resp_params is not None:
            resp_log_likelihood = before.log_likelihood
            session.m_step()
            after = session.log_likelihood
            scale = max(1.0, abs(resp_log_likelihood))
            # Right after an E-step q is the posterior, so an exact M-step cannot lower the
            # likelihood; reg_covar > 0 and the M-step's repairs (empty or collapsed
            # components) leave the maximiser, so only plain steps are checked.
            if (
                before.resp_params is before.params
                and session.reg_covar == 0.0
                and not session.status
            ):
                assert after >= resp_log_likelihood - RELATIVE_TOLERANCE * scale
                return "plain m-step"
        else:
            session.advance()
    elif name == "undo":
        if session.can_undo:
            here = session.state
            session.undo()
            session.redo()
            assert session.state is here
            assert _same(session.params, here.params)
            session.undo()
    elif name == "redo":
        if session.can_redo:
            session.redo()
    elif name == "go_to":
        target = int(rng.integers(-len(session.history), len(session.history) + 2))
        session.go_to(target)
    elif name == "reinitialize":
        session.reinitialize(
            method=str(rng.choice(INIT_METHODS)),
            seed=int(rng.integers(0, 1000)),
            n_components=int(rng.integers(1, 6)),
            covariance_type=str(rng.choice(COVARIANCE_TYPES)),
        )
    elif name == "move_mean":
        session.move_mean(
            int(rng.integers(0, k)), _far_position(rng, session), merge=bool(rng.random() < 0.3)
        )
    elif name == "add_component":
        session.add_component(_far_position(rng, session))
    elif name == "remove_component":
        session.remove_component(int(rng.integers(0, k)))
    elif name == "reg_covar":
        session.reg_covar = float(rng.choice([0.0, 0.0, 0.0, 1e-12, 1e-6, 1e-3, 1.0]))
    elif name == "set_params":
        params = session.params
        means = params.means + rng.normal(size=params.means.shape) * 10.0 ** rng.integers(-3, 8)
        scale = 10.0 ** float(rng.choice([-20.0, -3.0, 0.0, 3.0, 20.0]))
        session.set_params(
            GMMParams(params.weights, means, params.covariances * scale, params.covariance_type)
        )
    return name


def _soak(seed: int, covariance_type: str) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    data = make_preset(str(rng.choice(["lecture", "overlapping", "elongated"])), 150, seed)
    session = EMSession(
        data, int(rng.integers(1, 5)), covariance_type=covariance_type, seed=seed, reg_covar=0.0
    )
    counts: dict[str, int] = {}
    for _ in range(OPERATIONS_PER_RUN):
        state, history_length = session.state, len(session.history)
        try:
            name = _operation(rng, session)
        except GMMViewerError as error:
            name = type(error).__name__
            # A refusal changes nothing (undo's redo check aside, which restores it).
            if name != "SessionError":
                assert session.state is state
                assert len(session.history) == history_length
        counts[name] = counts.get(name, 0) + 1
        _check_invariants(session)
        if session.can_undo and rng.random() < 0.2:
            here = session.state
            session.undo()
            _check_invariants(session)
            session.redo()
            assert session.state is here
    return counts


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_operations_keep_every_invariant(seed, covariance_type):
    counts = _soak(seed * 101 + COVARIANCE_TYPES.index(covariance_type), covariance_type)
    # The mix exercised both sides: refusals of far edits and plain EM ascent.
    assert counts.get("ParameterError", 0) > 0
    assert counts.get("plain m-step", 0) > 0


def test_undo_redo_is_bit_identical_over_a_long_history():
    session = EMSession(make_preset("lecture", n_samples=200, seed=3), 3, covariance_type="full")
    session.reg_covar = 0.0
    for _ in range(15):
        session.step()
    snapshot = [(s.params, s.log_likelihood, s.elbo) for s in session.history]
    session.go_to(0)
    while session.can_redo:
        session.redo()
    for (params, log_likelihood, elbo), state in zip(snapshot, session.history, strict=True):
        assert state.params is params
        assert state.log_likelihood == log_likelihood
        assert state.elbo == elbo
