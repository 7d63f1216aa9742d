"""The command line against hostile input: exit 1 or 2, one error line, no traceback, no
"internal error", never a hang (issue 14: files, shapes, seeds)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hostile import fifo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli import gmmviewer

from gmmviewer import cli
from gmmviewer.core.files.paramfile import save_params
from gmmviewer.core.params import GMMParams


def assert_refused(result, code: int, message: str) -> None:
    """Exit ``code``; the error is the last line of stderr (usage errors put the usage
    above it); for exit 1 it is the only line."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and message in lines[-1], result.stderr
    assert lines[-1].startswith("gmmviewer")
    if code == 1:
        assert len(lines) == 1, result.stderr


@pytest.fixture
def faithful_copy(tmp_path, faithful_path) -> Path:
    path = tmp_path / "faithful.csv"
    path.write_bytes(faithful_path.read_bytes())
    return path


# ================================================================= seeds
@pytest.mark.parametrize("seed", ["-1", "2147483648", "1e3", "x"])
def test_bad_seeds_are_usage_errors_for_fit(tmp_path, faithful_copy, seed):
    result = gmmviewer("fit", faithful_copy, "-k", "2", "-o", tmp_path / "o.json", "--seed", seed)
    assert_refused(result, 2, "argument --seed: expected a whole number")
    assert not (tmp_path / "o.json").exists()


def test_a_negative_seed_for_the_window_is_refused_before_any_window(faithful_copy):
    result = gmmviewer(faithful_copy, "--seed", "-1")
    assert_refused(result, 2, "argument --seed: expected a whole number from 0 to 2,147,483,647")


def test_the_largest_seed_is_accepted(tmp_path, faithful_copy):
    out = tmp_path / "o.json"
    result = gmmviewer("fit", faithful_copy, "-k", "2", "-o", out, "--seed", "2147483647", "-q")
    assert result.returncode == 0, result.stderr


# ============================================================ shapes that hang
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--dim", "5000", "-k", "3"], 2, "argument --dim: at most 100 columns are generated"),
        (["-k", "100000"], 2, "argument -k/--components: at most 1,000 components are supported"),
        (["-k", "3", "-n", "100000000"], 2, "at most 10,000,000 samples are generated"),
        (["-k", "3", "--dim", "50", "-n", "5000000"], 1, "at most 100,000,000 are generated"),
    ],
)
def test_generate_refuses_sizes_it_cannot_finish(tmp_path, args, code, message):
    full = [*args] if "-n" in args else [*args, "-n", "10"]
    result = gmmviewer("generate", *full, "-o", tmp_path / "g.csv")
    assert_refused(result, code, message)
    assert not (tmp_path / "g.csv").exists()


def test_8000_columns_of_2_rows_with_one_component(tmp_path):
    path = tmp_path / "wide.csv"
    rows = np.random.default_rng(0).normal(size=(2, 8000))
    path.write_text("\n".join(",".join(repr(float(v)) for v in row) for row in rows) + "\n")
    result = gmmviewer("fit", path, "-k", "1", "-o", tmp_path / "o.json")
    assert_refused(result, 1, "has 8,000 numeric columns; at most 1,000 columns are fitted")


def test_fit_refuses_more_components_than_it_supports(tmp_path, faithful_copy):
    result = gmmviewer("fit", faithful_copy, "-k", "5000", "-o", tmp_path / "o.json")
    assert_refused(result, 2, "at most 1,000 components are supported, got 5,000")


def test_fit_refuses_covariances_too_large_to_hold(tmp_path):
    path = tmp_path / "d.csv"
    rows = np.random.default_rng(0).normal(size=(300, 600))
    np.savetxt(path, rows, delimiter=",")
    result = gmmviewer("fit", path, "-k", "100", "-o", tmp_path / "o.json")
    assert_refused(result, 1, "100 full covariances of 600 columns hold 36,000,000 numbers")


def test_a_parameter_file_of_100000_components(tmp_path, faithful_copy):
    k = 100_000
    document = {
        "format": "gmmviewer-params",
        "version": 1,
        "covariance_type": "full",
        "weights": [1 / k] * k,
        "means": [[2.0, 60.0]] * k,
        "covariances": [[[1.0, 0.0], [0.0, 1.0]]] * k,
    }
    start = tmp_path / "k.json"
    start.write_text(json.dumps(document))
    result = gmmviewer("fit", faithful_copy, "--init-params", start, "-o", tmp_path / "o.json")
    assert_refused(result, 1, "k.json: 100,000 components; at most 1,000 are supported")


# ================================================================ special files
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_as_data_or_parameters(tmp_path, faithful_copy):
    with fifo(tmp_path / "pipe.csv") as pipe:
        result = gmmviewer("fit", pipe, "-k", "2", "-o", tmp_path / "o.json")
        assert_refused(result, 1, "pipe.csv is a named pipe (FIFO), not a regular file")
        result = gmmviewer("fit", faithful_copy, "--init-params", pipe, "-o", tmp_path / "o.json")
        assert_refused(result, 1, "is a named pipe (FIFO), not a regular file")


@pytest.mark.parametrize("device", [d for d in ("/dev/zero", "/dev/urandom") if os.path.exists(d)])
def test_devices_as_data_or_parameters(tmp_path, faithful_copy, device):
    result = gmmviewer("fit", device, "-k", "2", "-o", tmp_path / "o.json")
    assert_refused(result, 1, "is a device, not a regular file")
    result = gmmviewer("fit", faithful_copy, "--init-params", device, "-o", tmp_path / "o.json")
    assert_refused(result, 1, "is a device, not a regular file")


def test_binary_junk_and_digit_separators(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(np.random.default_rng(3).integers(1, 256, 4000, dtype=np.uint8).tobytes())
    assert_refused(gmmviewer("fit", junk, "-k", "1", "-o", tmp_path / "o.json"), 1, "not a text")
    data = tmp_path / "sep.csv"
    data.write_text("x,y\n1_000,1\n2,2\n3,3.5\n")
    result = gmmviewer("fit", data, "-k", "1", "--columns", "x", "-o", tmp_path / "o.json")
    assert_refused(result, 1, "column 'x' of sep.csv is not numeric (e.g. '1_000' on line 2)")


# ======================================================= in-process fuzzing
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Fields of moderate size (the far-float range is another part of issue 14).
fields = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    st.sampled_from(["", "NA", "nan", "inf", "1_000", "x", '"3"', "1e5", " 2 ", "\u0661"]),
)
csv_text = st.lists(
    st.lists(fields, min_size=1, max_size=4).map(",".join), min_size=0, max_size=12
).map("\n".join)


def run_main(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.main([str(arg) for arg in argv])
        except SystemExit as exit_:  # argparse usage errors
            code = int(exit_.code)
    return code, err.getvalue()


def assert_clean(code: int, stderr: str) -> None:
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr
    if code == 1:
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("gmmviewer: error: "), stderr
    else:
        assert code == 0, stderr


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@FUZZ
@given(text=csv_text, k=st.integers(1, 3))
def test_fit_on_any_csv_text_ends_cleanly(work, text, k):
    data = work / "fuzz.csv"
    data.write_text(text, encoding="utf-8")
    assert_clean(*run_main("fit", data, "-k", str(k), "-o", work / "out.json", "-q"))


@FUZZ
@given(
    key=st.sampled_from(["weights", "means", "covariances", "covariance_type", "version"]),
    value=st.recursive(
        st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(-1e3, 1e3),
        lambda children: st.lists(children, max_size=3),
        max_leaves=10,
    ),
)
def test_fit_from_any_parameter_json_ends_cleanly(work, faithful_path, key, value):
    start = work / "start.json"
    save_params(start, GMMParams([0.5, 0.5], [[2.0, 55.0], [4.3, 80.0]], [np.eye(2)] * 2))
    document = json.loads(start.read_text())
    document[key] = value
    start.write_text(json.dumps(document))
    code, stderr = run_main(
        "fit", faithful_path, "--init-params", start, "-o", work / "out.json", "-q"
    )
    assert_clean(code, stderr)
