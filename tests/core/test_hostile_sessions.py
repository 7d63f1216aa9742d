"""Hostile session files: every field checked before anything is built, histories that do
not belong to their data refused, bombs never unpacked (issue 14, "Files")."""

from __future__ import annotations

import math
import zipfile

import numpy as np
import pytest
from hostile import SavedSession, npy_bytes, npy_header, rewrite_zip

from gmmviewer.core.em.estep import mixture_log_density
from gmmviewer.core.errors import SessionFileError
from gmmviewer.core.files.sessions import session_file
from gmmviewer.core.files.sessions.fields import SessionCheckError
from gmmviewer.core.files.sessions.history_checks import verify_history
from gmmviewer.core.files.sessions.session_file import load_session, save_session


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> SavedSession:
    return SavedSession(tmp_path_factory.mktemp("sessions"))


def refused(path, *fragments: str) -> str:
    with pytest.raises(SessionFileError) as info:
        load_session(path)
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def state(key, value, index=-1):
    def change(meta):
        meta["states"][index][key] = value

    return change


def setting(key, value):
    def change(meta):
        meta["settings"][key] = value

    return change


def test_the_untampered_file_loads(saved):
    opened = load_session(saved.path)
    assert len(opened.session.history) == len(saved.session.history)
    assert opened.view == {"dims": [0, 1], "theme": "dark"}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (state("status", 12345), "states[{last}].status must be text, got 12345"),
        (state("description", 3.5), "states[{last}].description must be text, got 3.5"),
        (setting("max_iter", 1e30), "settings.max_iter must be a whole number, got 1e+30"),
        (setting("max_iter", 10**30), "settings.max_iter must be from 0 to 2,147,483,647"),
        (setting("tol", -1), "settings.tol must be a finite number >= 0"),
        (setting("reg_covar", "big"), "settings.reg_covar must be a number"),
        (setting("init", "magic"), "settings.init must be one of"),
        (setting("seed", -3), "settings.seed must be from 0 to 2,147,483,647, got -3"),
        (setting("seed", True), "settings.seed must be a whole number, got True"),
        (state("elbo", "abc"), "states[{last}].elbo must be a number, got 'abc'"),
        (state("action", "teleport"), "states[{last}].action must be one of"),
        (state("next_step", "X"), "states[{last}].next_step must be 'E' or 'M'"),
        (state("params", 99), "states[{last}].params must be from 0 to"),
        (state("params", -1), "states[{last}].params must be from 0 to"),
        (state("iteration", -1), "states[{last}].iteration must be from 0"),
        (state("run_start", 10**6), "states[{last}].run_start must be from 0 to"),
        (state("converged", "yes"), "states[{last}].converged must be true or false"),
        (state("component", 7), "states[{last}].component is 7, but there are 3 components"),
        (lambda meta: meta.__setitem__("view", [1, 2]), "view must be an object, got [1, 2]"),
        (lambda meta: meta["view"].__setitem__("dims", ["a"]), "view.dims[0] must be a whole"),
        (lambda meta: meta["view"].__setitem__("dims", [0, 5]), "view.dims[1] must be from 0 to 1"),
        (lambda meta: meta["view"].__setitem__("dims", [1, 1]), "view.dims must list different"),
        (lambda meta: meta["view"].__setitem__("theme", 3), "view.theme must be text"),
        (lambda meta: meta.__setitem__("position", 1000), "position must be from 0 to {last}"),
        (lambda meta: meta.__setitem__("position", "last"), "position must be a whole number"),
        (lambda meta: meta.__setitem__("states", []), "the history has no states"),
        (lambda meta: meta.__setitem__("states", {}), "states must be a list"),
        (lambda meta: meta.__setitem__("settings", None), "settings must be an object"),
        (lambda meta: meta.__setitem__("params", ["banded"] * 5), "params[0] must be one of"),
        (lambda meta: meta["data"].__setitem__("columns", list("abc")), "X have 2 columns but 3"),
        (lambda meta: meta["data"].__setitem__("columns", [1, 2]), "data.columns[0] must be text"),
        (lambda meta: meta["data"].__setitem__("mode", "cloud"), "data.mode must be 'embedded'"),
        (lambda meta: meta["data"].__setitem__("normalized", 2), "data.normalized must be true"),
        (lambda meta: meta["data"].__setitem__("source", None), "data.source must be text"),
        (lambda meta: meta["states"][1].pop("action"), "states[1] has no field 'action'"),
    ],
)
def test_a_bad_field_is_refused_naming_it(saved, tmp_path, change, fragment):
    path = saved.write(tmp_path / "bad.gmmv", meta=change)
    last = len(saved.meta["states"]) - 1
    message = refused(path, "bad.gmmv is damaged: ", fragment.format(last=last))
    assert len(message) < 300


def test_an_m_step_without_responsibilities(saved, tmp_path):
    def change(meta):
        meta["states"][0]["next_step"] = "M"
        meta["states"][0]["resp_params"] = None

    path = saved.write(tmp_path / "m.gmmv", meta=change)
    refused(path, "states[0] expects an M-step but has no responsibilities")


def test_an_e_step_with_other_responsibilities(saved, tmp_path):
    e_step = next(i for i, s in enumerate(saved.meta["states"]) if s["action"] == "e-step")
    path = saved.write(tmp_path / "e.gmmv", meta=state("resp_params", None, e_step))
    refused(path, f"states[{e_step}]")


def test_responsibilities_with_another_number_of_components(saved, tmp_path):
    session = SavedSession(tmp_path, session=_session_with_added_component())
    index = len(session.meta["states"]) - 1
    path = session.write(tmp_path / "k.gmmv", meta=state("resp_params", 0, index))
    refused(path, f"states[{index}] has responsibilities of 3 components for 4")


def _session_with_added_component():
    from hostile import small_session

    session = small_session()
    session.add_component([0.0, 3.0])
    session.step()
    return session


def test_ground_truth_with_nan(saved, tmp_path):
    def poison(arrays):
        means = np.array(arrays["truth_means"])
        means[0, 0] = np.nan
        arrays["truth_means"] = means

    refused(saved.write(tmp_path / "t.gmmv", arrays=poison), "the true parameters: means")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda a: a.__setitem__("X", np.full_like(a["X"], np.inf)), "X hold NaN or infinity"),
        (lambda a: a.__setitem__("X", a["X"].astype(str)), "the array X must be"),
        (lambda a: a.__setitem__("X", a["X"][:, :1]), "X have 1 columns but 2 names"),
        (lambda a: a.__setitem__("scale", -a["scale"]), "scale must be positive"),
        (lambda a: a.__setitem__("labels", a["labels"] + 7), "labels must be components 0 to 2"),
        (lambda a: a.pop("p0_means"), "the array p0_means is missing"),
        (lambda a: a.__setitem__("p0_weights", a["p0_weights"] * 2), "parameter set 0: weights"),
        (lambda a: a.__setitem__("p0_covariances", -a["p0_covariances"]), "parameter set 0"),
        (lambda a: a.update(X=a["X"][:2], labels=a["labels"][:2]), "more than the 2 data points"),
    ],
)
def test_bad_arrays_are_refused(saved, tmp_path, change, fragment):
    refused(saved.write(tmp_path / "a.gmmv", arrays=change), fragment)


# ================================================================ the history
def test_data_times_ten_with_the_history_unchanged(saved, tmp_path):
    path = saved.write(tmp_path / "x10.gmmv", arrays=lambda a: a.__setitem__("X", a["X"] * 10))
    message = refused(path, "x10.gmmv does not match its data: entry ")
    assert "records a log-likelihood of" in message and "the data give" in message


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (12345, "all.gmmv does not match its data: entry 2 records a log-likelihood of 12,345"),
        (None, "all.gmmv does not match its data: entry 2 records a log-likelihood of none"),
        (-1e9, "all.gmmv is damaged: entry 2 records an ELBO above its log-likelihood"),
    ],
)
def test_a_log_likelihood_that_is_not_the_datas(saved, tmp_path, value, reason):
    # Changed on one entry: it disagrees with the entries sharing its parameters.
    path = saved.write(tmp_path / "one.gmmv", meta=state("log_likelihood", value, 3))
    refused(path, "record different log-likelihoods for the same parameters")

    # Changed on every entry with those parameters: recomputing from the data catches it.
    def everywhere(meta):
        target = meta["states"][3]["params"]
        for entry in meta["states"]:
            if entry["params"] == target:
                entry["log_likelihood"] = value
                if entry["action"] == "e-step":
                    entry["elbo"] = value
                    entry["lower_bound"] = None if value is None else value / 120

    path = saved.write(tmp_path / "all.gmmv", meta=everywhere)
    refused(path, reason)


def test_an_elbo_above_the_log_likelihood(saved, tmp_path):
    index = next(i for i, s in enumerate(saved.meta["states"]) if s["action"] == "m-step")
    value = saved.meta["states"][index]["log_likelihood"] + 50.0
    path = saved.write(tmp_path / "elbo.gmmv", meta=state("elbo", value, index))
    refused(path, f"entry {index} records an ELBO above its log-likelihood")


def test_a_wrong_elbo_of_the_current_state(saved, tmp_path):
    position = saved.meta["position"]
    current = saved.meta["states"][position]
    assert current["action"] == "m-step" and current["elbo"] is not None
    path = saved.write(tmp_path / "elbo.gmmv", meta=state("elbo", current["elbo"] - 5.0, position))
    refused(path, f"does not match its data: entry {position} records an ELBO of")


def test_the_current_state_is_verified_whatever_the_budget(saved):
    session = load_session(saved.path).session
    states = list(session.history)
    X = session.X
    verify_history(states, session.position, X, budget=0)  # the real history passes
    # An independent log-likelihood: scipy-free log-sum-exp of the mixture density.
    total = float(mixture_log_density(X, session.params).sum())
    assert math.isclose(total, session.state.log_likelihood, rel_tol=1e-10)
    wrong = session.state.evolve(log_likelihood=session.state.log_likelihood + 1.0)
    tampered = [wrong if s.params is session.params else s for s in states]
    tampered = [
        s.evolve(log_likelihood=wrong.log_likelihood) if s.params is session.params else s
        for s in tampered
    ]
    with pytest.raises(SessionCheckError, match="does not match its data"):
        verify_history(tampered, session.position, X, budget=0)


# ================================================================ containers
def test_metadata_nested_100000_deep(saved, tmp_path):
    deep = '{"format": "gmmviewer-session", "version": 1, "view": ' + "[" * 100_000 + "}"
    path = saved.write(tmp_path / "deep.gmmv", meta_text=deep)
    refused(path, "deep.gmmv is damaged: its metadata is nested more than 32 levels deep")


def test_metadata_with_a_5000_digit_number(saved, tmp_path):
    text = '{"format": "gmmviewer-session", "version": ' + "1" * 5000 + "}"
    refused(saved.write(tmp_path / "n.gmmv", meta_text=text), "a number with 5,000 digits")


def test_metadata_that_is_not_text(saved, tmp_path):
    path = saved.write(tmp_path / "m.gmmv", arrays=lambda a: a.__setitem__("meta", np.zeros(3)))
    # The writer puts meta back as text: replace it after writing.
    rewrite_zip(
        path,
        tmp_path / "n.gmmv",
        lambda name, data: (name, npy_bytes(np.zeros(3)) if name == "meta.npy" else data),
    )
    refused(tmp_path / "n.gmmv", "is not a gmmviewer session file")


def test_a_version_that_is_true(saved, tmp_path):
    refused(
        saved.write(tmp_path / "v.gmmv", meta=lambda m: m.__setitem__("version", True)),
        "is a version unknown session",
    )


def test_a_zip_bomb_is_never_unpacked(saved, tmp_path, monkeypatch):
    # 1.5 MiB of zeros compress to a few kilobytes; the limit is lowered to show it bites
    # on what the archive declares, before anything is unpacked.
    path = saved.write(
        tmp_path / "bomb.gmmv", arrays=lambda a: a.__setitem__("pad", np.zeros(200_000))
    )
    assert path.stat().st_size < 50_000
    monkeypatch.setattr(session_file, "MAX_SESSION_FILE_BYTES", 1 << 20)
    refused(path, "bomb.gmmv unpacks to", ": a session file may unpack to at most 1 MiB")


def test_an_x_whose_header_claims_ten_trillion_rows(saved, tmp_path):
    def lie(name: str, data: bytes) -> tuple[str, bytes]:
        return name, (npy_header((10**13, 2)) + b"\0" * 64 if name == "X.npy" else data)

    path = rewrite_zip(saved.path, tmp_path / "lie.gmmv", lie)
    refused(path, "entry 'X' whose header claims 20,000,000,000,000 values")


def test_an_archive_cut_short(saved, tmp_path):
    data = saved.path.read_bytes()
    path = tmp_path / "cut.gmmv"
    path.write_bytes(data[: len(data) // 2])
    refused(path, "cut.gmmv is not a gmmviewer session file")


def test_an_entry_with_a_bad_crc(saved, tmp_path):
    path = tmp_path / "crc.gmmv"
    with zipfile.ZipFile(saved.path) as old, zipfile.ZipFile(path, "w") as new:
        for name in old.namelist():
            new.writestr(name, old.read(name))
    data = bytearray(path.read_bytes())
    offset = data.index(b"X.npy") + 200  # inside X's stored bytes
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    refused(path, "unreadable entry 'X'")


def test_a_session_round_trips_after_all_the_checks(saved, tmp_path):
    opened = load_session(saved.path)
    again = tmp_path / "again.gmmv"
    save_session(again, opened.session, view=opened.view)
    reopened = load_session(again)
    assert reopened.session.params.equals(saved.session.params)
    assert reopened.session.state.log_likelihood == saved.session.state.log_likelihood
