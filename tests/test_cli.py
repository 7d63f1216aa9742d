"""The ``gmmviewer`` command line, run as a real subprocess: output, files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from gmmviewer.core.files.paramfile import load_params, save_params
from gmmviewer.core.params import GMMParams


def gmmviewer(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="error")
    env.pop("GMMVIEWER_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "gmmviewer", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def assert_clean_failure(result: subprocess.CompletedProcess, code: int, message: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    if code == 1:
        assert result.stderr.count("\n") == 1, result.stderr  # one line


def test_fit_faithful_writes_parameters_and_a_summary(tmp_path, faithful_path, faithful):
    out = tmp_path / "faithful.json"
    result = gmmviewer("fit", faithful_path, "-k", "2", "--seed", "1", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "272 rows x 2 columns (eruptions, waiting)" in result.stdout
    assert "converged after" in result.stdout
    assert f"wrote {out}" in result.stdout
    loaded = load_params(out)
    assert loaded.columns == ("eruptions", "waiting")
    assert loaded.converged is True
    # Independent check: scikit-learn started from the same point lands on the same optimum.
    model = GaussianMixture(2, random_state=0, n_init=5).fit(faithful)
    order = np.argsort(loaded.params.means[:, 0])
    np.testing.assert_allclose(
        loaded.params.means[order], model.means_[np.argsort(model.means_[:, 0])], rtol=1e-3
    )
    assert loaded.log_likelihood == pytest.approx(model.score(faithful) * 272, rel=1e-5)


@pytest.mark.parametrize("extension", ["json", "npz", "csv"])
def test_fit_writes_every_format(tmp_path, faithful_path, extension):
    out = tmp_path / f"params.{extension}"
    result = gmmviewer("fit", faithful_path, "-k", "2", "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert load_params(out).params.n_components == 2


def test_fit_from_init_params_file_matches_sklearn(tmp_path, faithful_path, faithful):
    start = GMMParams([0.5, 0.5], [[2.0, 55.0], [4.5, 80.0]], np.stack([np.diag([1.0, 30.0])] * 2))
    init_file = tmp_path / "start.json"
    save_params(init_file, start, columns=("eruptions", "waiting"))
    out = tmp_path / "fitted.npz"
    result = gmmviewer("fit", faithful_path, "--init-params", init_file, "-o", out)
    assert result.returncode == 0, result.stderr
    model = GaussianMixture(
        2,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=np.linalg.inv(start.covariances),
    ).fit(faithful)
    fitted = load_params(out)
    assert fitted.n_iter == model.n_iter_
    np.testing.assert_allclose(fitted.params.means, model.means_, rtol=1e-6)
    np.testing.assert_allclose(fitted.params.covariances, model.covariances_, rtol=1e-6)


def test_normalised_fit_is_exported_in_data_units(tmp_path, faithful_path, faithful):
    out = tmp_path / "normalised.json"
    result = gmmviewer("fit", faithful_path, "-k", "2", "--normalize", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "normalised" in result.stdout
    params = load_params(out).params
    # The heavier component's mean is in minutes, not z-scores.
    assert params.means[:, 1].max() > 70
    raw = GaussianMixture(2, random_state=0, n_init=3).fit(faithful)
    assert load_params(out).log_likelihood == pytest.approx(raw.score(faithful) * 272, rel=1e-4)


def test_fit_selects_columns_by_name_and_index(tmp_path, iris_path):
    out = tmp_path / "iris.json"
    result = gmmviewer("fit", iris_path, "-k", "3", "--columns", "petal_length,3", "-o", out)
    assert result.returncode == 0, result.stderr
    assert load_params(out).columns == ("petal_length", "petal_width")


def test_fit_shows_progress_when_asked(tmp_path, faithful_path):
    result = gmmviewer(
        "fit",
        faithful_path,
        "-k",
        "3",
        "--progress",
        "--tol",
        "1e-8",
        "-o",
        tmp_path / "p.json",
    )
    assert result.returncode == 0
    assert "iteration    1" in result.stderr
    assert "inf" not in result.stderr
    assert result.stderr.count("iteration") >= 3


def test_generate_preset_and_truth(tmp_path):
    data = tmp_path / "lecture.csv"
    truth = tmp_path / "truth.json"
    result = gmmviewer(
        "generate",
        "--preset",
        "lecture",
        "-n",
        "600",
        "--seed",
        "3",
        "-o",
        data,
        "--truth",
        truth,
    )
    assert result.returncode == 0, result.stderr
    X = np.loadtxt(data, delimiter=",", skiprows=1)
    assert X.shape == (600, 2)
    document = json.loads(truth.read_text())
    assert document["means"] == [[1.2, 0.4], [-4.4, 1.0], [4.1, -0.3]]
    again = tmp_path / "again.csv"
    gmmviewer("generate", "--preset", "lecture", "-n", "600", "--seed", "3", "-o", again)
    assert data.read_bytes() == again.read_bytes()


def test_generate_random_mixture_then_fit_recovers_it(tmp_path):
    data = tmp_path / "random.csv"
    truth = tmp_path / "truth.json"
    result = gmmviewer(
        "generate",
        "-k",
        "4",
        "-n",
        "4000",
        "--dim",
        "3",
        "--separation",
        "6",
        "--seed",
        "2",
        "-o",
        data,
        "--truth",
        truth,
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "fit.json"
    assert gmmviewer("fit", data, "-k", "4", "-o", out, "-q").returncode == 0
    fitted, true = load_params(out).params, load_params(truth).params
    gaps = np.linalg.norm(true.means[:, None] - true.means[None], axis=2)
    closest_pair = gaps[np.triu_indices(4, 1)].min()
    for k, mean in enumerate(true.means):
        # Each true mean is found, to a small fraction of the distance between components.
        standard_error = np.sqrt(np.trace(true.covariances[k]) / (4000 * true.weights[k]))
        assert np.min(np.linalg.norm(fitted.means - mean, axis=1)) < 5 * standard_error
        assert 5 * standard_error < 0.1 * closest_pair


def test_generate_with_labels(tmp_path):
    data = tmp_path / "labelled.csv"
    result = gmmviewer("generate", "--preset", "unbalanced", "-n", "100", "-o", data, "--labels")
    assert result.returncode == 0, result.stderr
    header = data.read_text().splitlines()[0]
    assert header.endswith(",component")


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit", "{missing}", "-k", "2", "-o", "{out}"], "no such file"),
        (["fit", "{faithful}", "-o", "{out}"], "give the number of components"),
        (["fit", "{faithful}", "-k", "2", "-o", "{tmp}/p.txt"], "cannot tell the format"),
        (["fit", "{faithful}", "-k", "300", "-o", "{out}"], "fewer than the 300 needed"),
        (["fit", "{iris}", "-k", "2", "--columns", "species", "-o", "{out}"], "not numeric"),
        (["fit", "{iris}", "-k", "2", "--columns", "petals", "-o", "{out}"], "petals"),
        (["fit", "{faithful}", "-k", "2", "-o", "{tmp}/no/such/dir/p.json"], "cannot write"),
        (["fit", "{faithful}", "--init-params", "{faithful}", "-o", "{out}"], "faithful.csv"),
        (["fit", "{binary}", "-k", "2", "-o", "{out}"], "not a text file"),
        (["fit", "{empty}", "-k", "2", "-o", "{out}"], "empty.csv"),
        (["fit", "{tmp}", "-k", "2", "-o", "{out}"], "directory"),
        (["generate", "--preset", "lecture", "-n", "10", "-o", "{tmp}/data.json"], "must end in"),
    ],
)
def test_bad_input_gives_one_line_and_exit_code_1(tmp_path, data_dir, args, message):
    (tmp_path / "binary.csv").write_bytes(b"\x00\x01\x02\xff" * 100)
    (tmp_path / "empty.csv").write_text("")
    places = {
        "missing": tmp_path / "missing.csv",
        "faithful": data_dir / "faithful.csv",
        "iris": data_dir / "iris.csv",
        "binary": tmp_path / "binary.csv",
        "empty": tmp_path / "empty.csv",
        "out": tmp_path / "out.json",
        "tmp": tmp_path,
    }
    result = gmmviewer(*[arg.format(**places) for arg in args])
    assert_clean_failure(result, 1, message)
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit"], "required"),
        (["fit", "data.csv", "-k", "zero", "-o", "x.json"], "expected a whole number"),
        (["fit", "data.csv", "-k", "0", "-o", "x.json"], "expected a positive number"),
        (["fit", "data.csv", "-k", "2", "-o", "x.json", "--covariance-type", "banded"], "banded"),
        (["fit", "data.csv", "-k", "2", "-o", "x.json", "--init", "spectral"], "spectral"),
        (["fit", "data.csv", "-k", "2", "-o", "x.json", "--tol", "-1"], "non-negative"),
        (["generate", "-n", "10", "-o", "x.csv"], "one of the arguments"),
        (["generate", "--preset", "nope", "-n", "10", "-o", "x.csv"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    result = gmmviewer(*args, cwd=tmp_path)
    assert_clean_failure(result, 2, message)


def test_help_lists_the_headless_commands():
    result = gmmviewer("--help")
    assert result.returncode == 0
    assert "gmmviewer fit DATA.csv" in result.stdout
    assert "generate" in result.stdout
    assert gmmviewer("fit", "--help").returncode == 0


def test_version():
    result = gmmviewer("--version")
    assert result.returncode == 0 and result.stdout.startswith("gmmviewer ")


def test_a_bad_thread_count_is_one_line(tmp_path, faithful_path, monkeypatch):
    monkeypatch.setenv("GMMVIEWER_THREADS", "zero")
    result = gmmviewer("fit", faithful_path, "-k", "2", "-o", tmp_path / "out.json")
    assert_clean_failure(result, 1, "GMMVIEWER_THREADS must be a positive integer")
    assert not (tmp_path / "out.json").exists()


def test_float32_fits_write_parameters_close_to_float64(tmp_path, faithful_path):
    exact, fast = tmp_path / "exact.json", tmp_path / "fast.json"
    assert gmmviewer("fit", faithful_path, "-k", "2", "-o", exact).returncode == 0
    result = gmmviewer("fit", faithful_path, "-k", "2", "--dtype", "float32", "-o", fast)
    assert result.returncode == 0, result.stderr
    a, b = load_params(exact).params, load_params(fast).params
    np.testing.assert_allclose(b.means, a.means, rtol=1e-5)
    np.testing.assert_allclose(b.weights, a.weights, atol=1e-5)
