"""``gmmviewer fit --assignments``: each used row's data row, label, responsibilities, uncertainty.

The responsibilities are checked against scikit-learn's ``predict_proba`` on the parameters
the same command wrote, for rows read here with numpy; the data file has rows dropped for
missing values (and a comment and a blank line), so the row numbers must skip.
"""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from oracles import sklearn_model
from sklearn.mixture import BayesianGaussianMixture
from test_cli import assert_clean_failure, gmmviewer
from test_cli_vb import assert_one_line_error, run

from gmmviewer.core.files.paramfile import load_params

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: Data rows (1-based) of Old Faithful given a missing value in the copy the tests fit.
DROPPED = (3, 10, 11, 150, 272)
TOL = 1e-9


@pytest.fixture(scope="module")
def holey(tmp_path_factory, faithful_path) -> tuple[Path, np.ndarray, np.ndarray]:
    """Old Faithful with missing values on the rows in DROPPED, a comment and a blank line.

    Returns the file, the rows kept (as numpy reads them) and their data-row numbers.
    """
    lines = faithful_path.read_text().splitlines()
    header, data = lines[0], lines[1:]
    for row in DROPPED:
        index, eruptions, _ = data[row - 1].split(",")
        data[row - 1] = f"{index},{eruptions},{'NA' if row % 2 else ''}"
    text = [header, "# Old Faithful, some waiting times lost", *data[:100], "", *data[100:]]
    path = tmp_path_factory.mktemp("holey") / "holey.csv"
    path.write_text("\n".join(text) + "\n")
    values = np.array([[float(v) if v not in ("", "NA") else np.nan for v in line.split(",")]
                       for line in data])  # fmt: skip
    kept = np.isfinite(values).all(axis=1)
    return path, values[kept, 1:], np.flatnonzero(kept) + 1


def read_assignments(path: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    header, body = rows[0], np.array(rows[1:], dtype=float)
    return header, {name: body[:, j] for j, name in enumerate(header)}


def assert_assignments(path: Path, rows: np.ndarray, expected_resp: np.ndarray) -> None:
    """The file holds ``rows`` and responsibilities ``expected_resp`` (scikit-learn's)."""
    k = expected_resp.shape[1]
    header, columns = read_assignments(path)
    assert header == ["row", "label", *(f"r{j + 1}" for j in range(k)), "uncertainty"]
    np.testing.assert_array_equal(columns["row"], rows)
    resp = np.column_stack([columns[f"r{j + 1}"] for j in range(k)])
    np.testing.assert_allclose(resp, expected_resp, rtol=TOL, atol=1e-15)
    np.testing.assert_array_equal(columns["label"], np.argmax(expected_resp, axis=1) + 1)
    np.testing.assert_allclose(
        columns["uncertainty"], 1.0 - expected_resp.max(axis=1), rtol=TOL, atol=1e-15
    )


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_em_assignments_are_sklearns_for_the_rows_used(tmp_path, capsys, holey, covariance_type):
    data, X, rows = holey
    out, assignments = tmp_path / "p.json", tmp_path / "a.csv"
    code, stdout, stderr = run(
        "fit", data, "-k", 3, "--covariance-type", covariance_type, "-o", out,
        "--assignments", assignments, capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    assert f"wrote {assignments}" in stdout
    assert len(rows) == 272 - len(DROPPED) and rows[2] == 4 and rows[-1] == 271
    params = load_params(out).params
    assert_assignments(assignments, rows, sklearn_model(params, 2).predict_proba(X))


def test_the_row_is_the_files_own_index_column(tmp_path, capsys, holey):
    # Old Faithful's first column numbers its data rows 1..272: an independent witness.
    data, _, _ = holey
    assignments = tmp_path / "a.csv"
    code, _, stderr = run(
        "fit", data, "-k", 2, "-o", tmp_path / "p.json", "--assignments", assignments, "-q",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    index = [line.split(",")[0] for line in data.read_text().splitlines()]
    kept = [int(i) for i, line in zip(index, data.read_text().splitlines(), strict=True)
            if i.isdigit() and not line.endswith((",", "NA"))]  # fmt: skip
    _, columns = read_assignments(assignments)
    assert columns["row"].astype(int).tolist() == kept


def test_normalised_fit_gives_the_responsibilities_of_its_data_unit_parameters(
    tmp_path, capsys, holey
):
    data, X, rows = holey
    out, assignments = tmp_path / "p.json", tmp_path / "a.csv"
    code, _, stderr = run(
        "fit", data, "-k", 2, "--normalize", "-o", out, "--assignments", assignments,
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    params = load_params(out).params  # in data units
    assert_assignments(assignments, rows, sklearn_model(params, 2).predict_proba(X))


def sklearn_variational(loaded) -> BayesianGaussianMixture:
    """A BayesianGaussianMixture holding the variational parameters of a fit's file."""
    variational = loaded.variational.params
    kind = variational.covariance_type
    prior = "dirichlet_process" if variational.is_dirichlet_process else "dirichlet_distribution"
    model = BayesianGaussianMixture(
        n_components=variational.n_components,
        covariance_type=kind,
        weight_concentration_prior_type=prior,
    )
    model.weight_concentration_ = variational.weight_concentration
    model.mean_precision_ = np.array(variational.mean_precision)
    model.means_ = np.array(variational.means)
    model.degrees_of_freedom_ = np.array(variational.degrees_of_freedom)
    model.covariances_ = covariances = np.array(variational.covariances)
    if kind in ("full", "tied"):
        # U with U U^T = inverse covariance: numpy's Cholesky factor and inverse.
        lower = np.linalg.cholesky(covariances)
        model.precisions_cholesky_ = np.swapaxes(np.linalg.inv(lower), -1, -2)
    else:
        model.precisions_cholesky_ = 1.0 / np.sqrt(covariances)
    model.n_features_in_ = variational.n_features
    return model


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_variational_assignments_are_the_variational_posteriors(
    tmp_path, capsys, holey, covariance_type
):
    data, X, rows = holey
    out, assignments = tmp_path / "v.json", tmp_path / "a.csv"
    code, _, stderr = run(
        "fit", data, "-k", 4, "--method", "vb", "--covariance-type", covariance_type,
        "-o", out, "--assignments", assignments, capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    model = sklearn_variational(load_params(out))
    assert_assignments(assignments, rows, model.predict_proba(X))


def test_quiet_writes_the_file_and_says_nothing(tmp_path, capsys, faithful_path, faithful):
    assignments = tmp_path / "a.csv"
    code, stdout, stderr = run(
        "fit", faithful_path, "-k", 2, "-o", tmp_path / "p.json", "--assignments",
        assignments, "-q", capsys=capsys,
    )  # fmt: skip
    assert (code, stdout, stderr) == (0, "", "")
    params = load_params(tmp_path / "p.json").params
    rows = np.arange(1, 273)
    assert_assignments(assignments, rows, sklearn_model(params, 2).predict_proba(faithful))


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing/a.csv", "the folder"),
        ("folder.csv", "is a folder"),
        ("a.json", "must end in .csv"),
    ],
)
def test_a_bad_assignments_path_fails_before_fitting(
    tmp_path, capsys, faithful_path, target, message
):
    (tmp_path / "folder.csv").mkdir()
    out = tmp_path / "p.json"
    code, _, stderr = run(
        "fit", faithful_path, "-k", 2, "-o", out, "--assignments", tmp_path / target,
        capsys=capsys,
    )  # fmt: skip
    assert_one_line_error(code, stderr, message)
    assert not out.exists()


def test_an_unwritable_assignments_file_is_one_line_as_a_real_process(tmp_path, faithful_path):
    # A FIFO is found only when the file is written: atomic writes refuse to replace it.
    fifo = tmp_path / "a.csv"
    os.mkfifo(fifo)
    result = gmmviewer(
        "fit", faithful_path, "-k", "2", "-o", tmp_path / "p.json", "--assignments", fifo
    )
    assert_clean_failure(result, 1, f"cannot write {fifo}")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    result = gmmviewer(
        "fit", faithful_path, "-k", "2", "-o", tmp_path / "p.json",
        "--assignments", tmp_path / "no" / "a.csv",
    )  # fmt: skip
    assert_clean_failure(result, 1, "the folder")
