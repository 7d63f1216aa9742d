"""Session files keep variational fits: the method, the priors, the variational parameters
and the whole mixed EM/variational history reopen identical, and carry on identically
(issue 10). Tampered variational fields are refused with one line naming them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hostile import SavedSession, small_session
from sklearn.mixture import BayesianGaussianMixture

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.em.estep import e_step as mixture_e_step
from gmmviewer.core.errors import SessionFileError
from gmmviewer.core.files.sessions.session_file import load_session, save_session
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.variational_state import PriorChoice

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
PRIOR_TYPES = ["dirichlet_process", "dirichlet_distribution"]
#: The metadata of a session file before variational states existed, in order.
EM_META_KEYS = ["format", "version", "settings", "params", "states", "position", "data", "view"]
EM_STATE_KEYS = [
    "action",
    "description",
    "params",
    "resp_params",
    "next_step",
    "iteration",
    "run_start",
    "log_likelihood",
    "elbo",
    "lower_bound",
    "previous_lower_bound",
    "converged",
    "status",
    "component",
]


def mixed_session(kind: str = "full", prior_type: str = "dirichlet_process") -> EMSession:
    """EM, a switch to a variational fit, steps, an edit, more steps, one undo (so the
    current state is an M-step with responsibilities and redo has something to do)."""
    session = EMSession(make_preset("lecture", 240, seed=3), 3, covariance_type=kind, seed=2)
    session.step()
    session.step()
    session.switch_method(PriorChoice(prior_type, weight_concentration=0.3))
    for _ in range(3):
        session.step()
    session.move_mean(0, [0.5, 0.5])
    session.step()
    session.step()
    session.e_step()
    session.undo()
    assert session.state.action == "m-step" and session.method == "vb"
    return session


def assert_same_variational(left: SessionState, right: SessionState) -> None:
    assert left.method == right.method
    if left.variational is None:
        return
    a, b = left.variational, right.variational
    assert a.choice == b.choice
    for name in (
        "n_components",
        "covariance_type",
        "weight_concentration_prior_type",
        "weight_concentration_prior",
        "mean_precision_prior",
        "degrees_of_freedom_prior",
        "reg_covar",
    ):
        assert getattr(a.priors, name) == getattr(b.priors, name), name
    np.testing.assert_array_equal(a.priors.mean_prior, b.priors.mean_prior)
    np.testing.assert_array_equal(a.priors.covariance_prior, b.priors.covariance_prior)
    assert_same_variational_params(a.current, b.current)
    assert (a.responsibilities is None) == (b.responsibilities is None)
    if a.responsibilities is not None:
        assert_same_variational_params(a.responsibilities, b.responsibilities)
    assert (a.origin is None) == (b.origin is None)
    if a.origin is not None:
        assert a.origin.equals(b.origin)


def assert_same_variational_params(a, b) -> None:
    assert a.covariance_type == b.covariance_type
    assert a.is_dirichlet_process == b.is_dirichlet_process
    np.testing.assert_array_equal(
        np.vstack(a.weight_concentration) if a.is_dirichlet_process else a.weight_concentration,
        np.vstack(b.weight_concentration) if b.is_dirichlet_process else b.weight_concentration,
    )
    for name in ("mean_precision", "means", "degrees_of_freedom", "covariances"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def assert_same_session(a: EMSession, b: EMSession) -> None:
    assert len(a.history) == len(b.history)
    assert a.position == b.position
    assert a.method == b.method and a.prior_choice == b.prior_choice
    for left, right in zip(a.history, b.history, strict=True):
        assert left.params.equals(right.params)
        assert (left.resp_params is None) == (right.resp_params is None)
        if left.resp_params is not None:
            assert left.resp_params.equals(right.resp_params)
        for name in ("action", "description", "next_step", "iteration", "run_start", "component"):
            assert getattr(left, name) == getattr(right, name), name
        # Bit-identical numbers, not approximately equal ones.
        for name in ("log_likelihood", "elbo", "lower_bound", "previous_lower_bound"):
            assert getattr(left, name) == getattr(right, name), name
        assert left.converged == right.converged
        assert_same_variational(left, right)
    assert a.fit_settings() == b.fit_settings()


def sharing(session: EMSession) -> list[tuple[int, ...]]:
    """Which states share parameters and variational parameters (by identity), as indices."""
    states = list(session.history)

    def first(value):
        return next(i for i, s in enumerate(states) if value is s.params or value is s.resp_params)

    def first_variational(value):
        return next(
            i
            for i, s in enumerate(states)
            if s.variational is not None
            and (value is s.variational.current or value is s.variational.responsibilities)
        )

    rows = []
    for state in states:
        model = state.variational
        rows.append(
            (
                first(state.params),
                -1 if state.resp_params is None else first(state.resp_params),
                -1 if model is None else first_variational(model.current),
            )
        )
    return rows


# ================================================================= round trips
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_a_mixed_history_reopens_identical_and_carries_on_identically(tmp_path, kind, prior_type):
    session = mixed_session(kind, prior_type)
    path = tmp_path / "vb.gmmv"
    save_session(path, session, view={"dims": [0, 1]})
    restored = load_session(path).session
    assert_same_session(session, restored)
    assert sharing(restored) == sharing(session)
    np.testing.assert_array_equal(restored.responsibilities, session.responsibilities)

    # Redo, then run on: the same half-steps, bit for bit.
    session.redo()
    restored.redo()
    for _ in range(5):
        assert restored.advance().elbo == session.advance().elbo
        assert restored.params.equals(session.params)
        assert_same_variational(restored.state, session.state)
    np.testing.assert_array_equal(restored.responsibilities, session.responsibilities)


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
def test_undo_across_the_switch_after_reopening(tmp_path, prior_type):
    session = mixed_session("full", prior_type)
    path = tmp_path / "vb.gmmv"
    save_session(path, session)
    restored = load_session(path).session
    while session.method == "vb":
        session.undo()
        restored.undo()
    assert restored.method == "em" and restored.position == session.position
    assert restored.prior_choice is None
    np.testing.assert_array_equal(restored.responsibilities, session.responsibilities)
    # Redo into the variational fit and step it, in both.
    restored.redo()
    session.redo()
    assert restored.method == session.method == "vb"
    assert restored.prior_choice == session.prior_choice
    assert restored.step().elbo == session.step().elbo
    assert_same_variational(restored.state, session.state)
    # Back across the switch again, and on with EM.
    for _ in range(3):
        restored.undo()
        session.undo()
    assert restored.method == "em"
    assert restored.step().log_likelihood == session.step().log_likelihood
    assert restored.params.equals(session.params)
    np.testing.assert_array_equal(restored.responsibilities, session.responsibilities)


def test_switching_priors_after_reopening_starts_from_the_same_mixture(tmp_path):
    session = mixed_session("diag", "dirichlet_process")
    save_session(tmp_path / "vb.gmmv", session)
    restored = load_session(tmp_path / "vb.gmmv").session
    choice = PriorChoice("dirichlet_distribution", mean_precision=2.0)
    ours, theirs = restored.switch_method(choice), session.switch_method(choice)
    assert ours.params.equals(theirs.params) and ours.log_likelihood == theirs.log_likelihood
    assert_same_variational(ours, theirs)


def test_the_stored_variational_parameters_are_scikit_learns(tmp_path):
    # An independent reading of the file: its arrays are BayesianGaussianMixture's
    # attributes after the same iteration from the same start.
    X = make_preset("lecture", 240, seed=3).X
    start = EMSession(X, 3, seed=2).params
    session = EMSession(X, params=start, variational=PriorChoice(), tol=1e-3)
    session.step()
    path = tmp_path / "vb.gmmv"
    save_session(path, session)
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(str(arrays["meta"]))
    current = meta["states"][meta["position"]]["variational"]
    model = BayesianGaussianMixture(n_components=3, reg_covar=1e-6, tol=1e-3, max_iter=1)
    model._check_parameters(X)
    model._initialize(X, mixture_e_step(X, start).resp.T.copy())
    _, log_resp = model._e_step(X)
    model._m_step(X, log_resp)
    v = f"v{current['current']}"
    np.testing.assert_allclose(arrays[f"{v}_weight_concentration"], model.weight_concentration_)
    np.testing.assert_allclose(arrays[f"{v}_mean_precision"], model.mean_precision_)
    np.testing.assert_allclose(arrays[f"{v}_means"], model.means_)
    np.testing.assert_allclose(arrays[f"{v}_degrees_of_freedom"], model.degrees_of_freedom_)
    np.testing.assert_allclose(arrays[f"{v}_covariances"], model.covariances_)
    prior = f"prior{current['priors']}"
    np.testing.assert_allclose(arrays[f"{prior}_mean_prior"], model.mean_prior_)
    np.testing.assert_allclose(arrays[f"{prior}_covariance_prior"], model.covariance_prior_)
    entry = meta["priors"][current["priors"]]
    assert entry["weight_concentration_prior"] == pytest.approx(model.weight_concentration_prior_)
    assert entry["degrees_of_freedom_prior"] == pytest.approx(model.degrees_of_freedom_prior_)


def test_an_em_file_is_what_it_was_before_variational_fits(tmp_path):
    session = small_session()
    path = tmp_path / "em.gmmv"
    save_session(path, session, view={"dims": [0, 1]})
    with np.load(path) as archive:
        names = set(archive.files)
        meta = json.loads(str(archive["meta"]))
    assert list(meta) == EM_META_KEYS
    assert all(list(entry) == EM_STATE_KEYS for entry in meta["states"])
    table = {f"p{i}_{name}" for i in range(len(meta["params"])) for name in ("weights", "means")}
    table |= {f"p{i}_covariances" for i in range(len(meta["params"]))}
    assert names == table | {"meta", "X", "offset", "scale", "labels"} | {
        "truth_weights",
        "truth_means",
        "truth_covariances",
    }


def test_a_variational_file_adds_only_its_tables(tmp_path):
    session = mixed_session()
    path = tmp_path / "vb.gmmv"
    save_session(path, session)
    with np.load(path) as archive:
        meta = json.loads(str(archive["meta"]))
    extra = ["priors", "variational_params"]
    assert list(meta) == EM_META_KEYS[:4] + extra + EM_META_KEYS[4:]
    for entry, state in zip(meta["states"], session.history, strict=True):
        expected = EM_STATE_KEYS + (["variational"] if state.method == "vb" else [])
        assert list(entry) == expected
    # Every start and edit resolves its own priors; equal ones are stored once.
    assert len(meta["priors"]) == 1


# ================================================================== tampering
@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> SavedSession:
    return SavedSession(tmp_path_factory.mktemp("variational"), mixed_session("full"))


def refused(path, *fragments: str) -> str:
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def current_links(saved: SavedSession) -> dict:
    return saved.meta["states"][saved.meta["position"]]["variational"]


def test_the_untampered_variational_file_loads(saved):
    restored = load_session(saved.path).session
    assert_same_session(saved.session, restored)


def test_a_changed_mean_is_not_the_expected_mixture(saved, tmp_path):
    name = f"v{current_links(saved)['current']}_means"

    def change(arrays):
        arrays[name] = arrays[name] + 0.25

    refused(
        saved.write(tmp_path / "bad.gmmv", arrays=change),
        "bad.gmmv is damaged: ",
        "is not the expected mixture of variational parameter set",
    )


def test_a_changed_mean_precision_does_not_match_the_data(saved, tmp_path):
    # The expected mixture does not depend on it: the recomputed bound catches it.
    name = f"v{current_links(saved)['current']}_mean_precision"

    def change(arrays):
        arrays[name] = arrays[name] * 3.0

    message = refused(
        saved.write(tmp_path / "bad.gmmv", arrays=change), "bad.gmmv does not match its data: "
    )
    assert "records a variational bound of" in message or "records an ELBO of" in message


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            lambda a: a.__setitem__("v0_degrees_of_freedom", -a["v0_degrees_of_freedom"]),
            "the array v0_degrees_of_freedom must be greater than 1",
        ),
        (
            lambda a: a.__setitem__("v0_weight_concentration", -a["v0_weight_concentration"]),
            "the array v0_weight_concentration must be positive",
        ),
        (
            lambda a: a.__setitem__("v0_mean_precision", a["v0_mean_precision"] * 0),
            "the array v0_mean_precision must be positive",
        ),
        (
            lambda a: a.__setitem__("v0_covariances", a["v0_covariances"][:2]),
            "the array v0_covariances must have shape (3, 2, 2), got (2, 2, 2)",
        ),
        (
            lambda a: a.__setitem__("v0_weight_concentration", a["v0_weight_concentration"][0]),
            "the array v0_weight_concentration must have shape (2, 3), got (3,)",
        ),
        (
            lambda a: a.__setitem__("v0_means", np.zeros((3, 5))),
            "variational parameter set 0 has 5 features but the data have 2",
        ),
        (
            lambda a: a.__setitem__("v0_covariances", a["v0_covariances"] * np.nan),
            "the array v0_covariances holds NaN or infinity",
        ),
        (
            lambda a: a.__setitem__("v0_covariances", -a["v0_covariances"]),
            "variational parameter set 0: ",
        ),
        (lambda a: a.pop("v1_means"), "the array v1_means is missing"),
        (
            lambda a: a.__setitem__("prior0_mean_prior", np.zeros(3)),
            "the array prior0_mean_prior must have shape (2,), got (3,)",
        ),
        (
            lambda a: a.__setitem__("prior0_covariance_prior", -a["prior0_covariance_prior"]),
            "the array prior0_covariance_prior must be symmetric positive definite",
        ),
        (
            lambda a: a.__setitem__("prior0_mean_prior", np.array(["a", "b"])),
            "the array prior0_mean_prior must be numbers",
        ),
    ],
)
def test_bad_variational_arrays_are_refused(saved, tmp_path, change, fragment):
    refused(saved.write(tmp_path / "bad.gmmv", arrays=change), "bad.gmmv is damaged: ", fragment)


def state_links(key, value):
    def change(meta):
        meta["states"][meta["position"]]["variational"][key] = value

    return change


def prior_field(key, value):
    def change(meta):
        meta["priors"][0][key] = value

    return change


def choice_field(key, value):
    def change(meta):
        meta["priors"][0]["choice"][key] = value

    return change


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (state_links("priors", 5), "states[{now}].variational.priors must be from 0 to 0, got 5"),
        (state_links("priors", -1), "states[{now}].variational.priors must be from 0 to 0"),
        (state_links("priors", "0"), "states[{now}].variational.priors must be a whole number"),
        (state_links("current", 99), "states[{now}].variational.current must be from 0 to"),
        (
            state_links("responsibilities", None),
            "states[{now}].variational.responsibilities must be given exactly when",
        ),
        (state_links("origin", 999), "states[{now}].variational.origin must be from 0 to"),
        (
            lambda meta: meta["states"][meta["position"]]["variational"].pop("current"),
            "states[{now}].variational has no field 'current'",
        ),
        (
            lambda meta: meta["states"][meta["position"]].__setitem__("variational", [1]),
            "states[{now}].variational must be an object, got [1]",
        ),
        (
            lambda meta: meta.pop("priors"),
            "states[{first}].variational.priors is 0, but there is nothing to refer to",
        ),
        (
            prior_field("degrees_of_freedom_prior", -2.0),
            "priors[0].degrees_of_freedom_prior must be greater than 1, got -2.0",
        ),
        (
            prior_field("weight_concentration_prior", 0),
            "priors[0].weight_concentration_prior must be a positive number, got 0",
        ),
        (prior_field("mean_precision_prior", "1"), "priors[0].mean_precision_prior must be a"),
        (prior_field("reg_covar", -1e-6), "priors[0].reg_covar must be a finite number >= 0"),
        (prior_field("covariance_type", "banded"), "priors[0].covariance_type must be one of"),
        (prior_field("n_components", 0), "priors[0].n_components must be from 1"),
        (
            prior_field("weight_concentration_prior_type", "uniform"),
            "priors[0].weight_concentration_prior_type must be one of",
        ),
        (choice_field("prior_type", "dirichlet_distribution"), "priors[0].choice.prior_type must"),
        (
            choice_field("weight_concentration", -0.3),
            "priors[0].choice.weight_concentration must be a positive number, got -0.3",
        ),
        (
            choice_field("degrees_of_freedom", 0.5),
            "priors[0].choice.degrees_of_freedom must be greater than 1, got 0.5",
        ),
        (
            lambda meta: meta["variational_params"][0].__setitem__("prior_type", "x"),
            "variational_params[0].prior_type must be one of",
        ),
        (
            lambda meta: meta["variational_params"][0].__setitem__("covariance_type", "diag"),
            "the array v0_covariances must have shape (3, 2), got (3, 2, 2)",
        ),
        (lambda meta: meta.__setitem__("priors", {}), "priors must be a list, got {}"),
    ],
)
def test_bad_variational_fields_are_refused_naming_them(saved, tmp_path, change, fragment):
    meta = saved.meta
    now = meta["position"]
    first = next(i for i, entry in enumerate(meta["states"]) if "variational" in entry)
    path = saved.write(tmp_path / "bad.gmmv", meta=change)
    refused(
        path,
        "bad.gmmv is damaged: ",
        fragment.replace("{now}", str(now)).replace("{first}", str(first)),
    )


def test_priors_that_do_not_fit_the_state(saved, tmp_path):
    def change(meta):
        meta["priors"][0]["n_components"] = 2

    refused(
        saved.write(tmp_path / "bad.gmmv", meta=change),
        "bad.gmmv is damaged: ",
        ".variational.priors are for 2 full components, the state has 3 full",
    )


def test_a_state_paired_with_other_variational_parameters(saved, tmp_path):
    links = current_links(saved)
    other = links["current"] - 1

    def change(meta):
        meta["states"][meta["position"]]["variational"]["current"] = other

    message = refused(saved.write(tmp_path / "bad.gmmv", meta=change), "bad.gmmv is damaged: ")
    assert "pairs parameter set" in message or "is not the expected mixture" in message


def test_priors_that_are_not_the_choices(saved, tmp_path):
    # The choice asked for a concentration of 0.3; the priors claim 0.7.
    def change(meta):
        meta["priors"][0]["weight_concentration_prior"] = 0.7

    message = refused(
        saved.write(tmp_path / "bad.gmmv", meta=change), "bad.gmmv does not match its data: "
    )
    assert "variational bound" in message or "not what its choice gives" in message


def test_priors_that_agree_with_the_bounds_but_not_with_the_choice(saved, tmp_path):
    # Every bound agrees with the stored priors, but they are not what the recorded
    # choice gives for these data.
    assert saved.session.prior_choice.weight_concentration == 0.3

    def change(meta):
        meta["priors"][0]["choice"]["weight_concentration"] = 0.5

    message = refused(saved.write(tmp_path / "bad.gmmv", meta=change))
    assert "bad.gmmv does not match its data: the priors of entry" in message
    assert "are not what its choice gives for these data" in message


def test_an_elbo_that_is_not_the_datas(saved, tmp_path):
    position = saved.meta["position"]
    current = saved.meta["states"][position]
    assert current["action"] == "m-step" and current["elbo"] is not None

    # A variational M-step's ELBO is its lower bound: change both, as a forger would.
    def change(meta):
        meta["states"][position]["elbo"] = current["elbo"] - 3.0
        meta["states"][position]["lower_bound"] = current["elbo"] - 3.0

    refused(
        saved.write(tmp_path / "elbo.gmmv", meta=change),
        f"elbo.gmmv does not match its data: entry {position} records an ELBO of",
    )

    def alone(meta):
        meta["states"][position]["elbo"] = current["elbo"] - 3.0

    refused(
        saved.write(tmp_path / "alone.gmmv", meta=alone),
        f"alone.gmmv is damaged: entry {position} is a variational M-step whose ELBO is not",
    )


def test_a_bound_that_is_not_the_datas(saved, tmp_path):
    position = saved.meta["position"]
    target = saved.meta["states"][position]["params"]

    def change(meta):
        for entry in meta["states"]:
            if entry["params"] == target:
                entry["log_likelihood"] += 40.0
                if entry["action"] == "e-step":
                    entry["elbo"] += 40.0

    refused(
        saved.write(tmp_path / "ll.gmmv", meta=change),
        "ll.gmmv does not match its data: entry ",
        "records a variational bound of",
    )


def test_data_that_are_not_the_sessions(saved, tmp_path):
    path = saved.write(tmp_path / "x.gmmv", arrays=lambda a: a.__setitem__("X", a["X"] * 1.5))
    refused(path, "x.gmmv does not match its data: ")
