"""``gmmviewer fit --method vb``: variational fits from the command line and their files.

The numbers are checked against scikit-learn's ``BayesianGaussianMixture`` started from the
same responsibilities: those of a plain mixture given with ``--init-params``, computed here
with scipy, which is what scikit-learn's ``_initialize`` receives. Files are read back
with the package's reader and, for the layout, with ``json`` and ``numpy`` directly.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from test_cli import gmmviewer

from gmmviewer import cli
from gmmviewer.core.errors import ParameterFileError
from gmmviewer.core.files.paramfile import load_params, save_params
from gmmviewer.core.files.paramfile_variational import VariationalRecord
from gmmviewer.core.params import GMMParams
from gmmviewer.core.vb.fit import fit_variational

RTOL = 1e-6
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
PRIOR_TYPES = ("dirichlet-process", "dirichlet-distribution")
VARIATIONAL_KEYS = ("method", "lower_bound", "units", "offset", "scale", "priors", "variational")

# Three starting components on Old Faithful (minutes, minutes), one per covariance type.
FAITHFUL_MEANS = np.array([[2.0, 55.0], [4.3, 80.0], [3.5, 70.0]])
FAITHFUL_STARTS = {
    "full": np.array([[[0.1, 0.3], [0.3, 30.0]], [[0.2, 0.6], [0.6, 36.0]], [[1, 5], [5, 90.0]]]),
    "tied": np.array([[0.3, 1.0], [1.0, 40.0]]),
    "diag": np.array([[0.1, 30.0], [0.2, 36.0], [1.0, 90.0]]),
    "spherical": np.array([4.0, 9.0, 25.0]),
}
# Explicit priors (for the raw Old Faithful data) in the layout of each covariance type.
COVARIANCE_PRIORS = {
    "full": ("2,0.3,0.3,40", np.array([[2.0, 0.3], [0.3, 40.0]])),
    "tied": ("2,0.3,0.3,40", np.array([[2.0, 0.3], [0.3, 40.0]])),
    "diag": ("2,40", np.array([2.0, 40.0])),
    "spherical": ("7.5", 7.5),
}


# ======================================================================= helpers
def run(*argv: object, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``gmmviewer.cli.main`` in this process: (exit code, stdout, stderr)."""
    try:
        code = cli.main([str(arg) for arg in argv])
    except SystemExit as exit_:  # argparse usage errors
        code = int(exit_.code)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, stderr: str, message: str) -> None:
    assert code == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gmmviewer: error: "), stderr
    assert message in lines[0], stderr


def faithful_start(covariance_type: str) -> GMMParams:
    return GMMParams(
        [0.3, 0.5, 0.2], FAITHFUL_MEANS, FAITHFUL_STARTS[covariance_type], covariance_type
    )


def save_start(path: Path, params: GMMParams, columns: tuple[str, ...]) -> Path:
    save_params(path, params, columns=columns)
    return path


def scipy_responsibilities(X: np.ndarray, params: GMMParams) -> np.ndarray:
    """Responsibilities of ``params`` for the rows of ``X``, from scipy's densities."""
    covariances = params.full_covariances()
    log_joint = np.column_stack(
        [
            np.log(params.weights[k])
            + multivariate_normal(params.means[k], covariances[k]).logpdf(X)
            for k in range(params.n_components)
        ]
    )
    return np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))


def sklearn_fit_from(X: np.ndarray, resp: np.ndarray, **settings) -> BayesianGaussianMixture:
    """scikit-learn's fit whose initialisation is ``_initialize(X, resp)``."""
    model = BayesianGaussianMixture(n_components=resp.shape[1], **settings)

    def start_from_resp(X, random_state, xp=None):
        model._initialize(X, resp.copy())

    model._initialize_parameters = start_from_resp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X)
    return model


def sklearn_bound(model: BayesianGaussianMixture) -> float:
    # scikit-learn's lower_bound_ is a 0-d or 1-element array for some covariance types.
    return float(np.squeeze(model.lower_bound_))


def expanded(covariances: np.ndarray, covariance_type: str, k: int, d: int) -> np.ndarray:
    """scikit-learn's compact covariances as K full D x D matrices."""
    if covariance_type == "full":
        return covariances
    if covariance_type == "tied":
        return np.broadcast_to(covariances, (k, d, d))
    if covariance_type == "diag":
        return np.stack([np.diag(row) for row in covariances])
    return covariances[:, None, None] * np.eye(d)


def close(actual, desired, rtol: float = RTOL) -> None:
    actual, desired = np.asarray(actual, float), np.asarray(desired, float)
    assert actual.shape == desired.shape
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=rtol * np.max(np.abs(desired)))


def assert_matches_sklearn(loaded, model: BayesianGaussianMixture, covariance_type: str) -> None:
    """The file's expected mixture and variational parameters are scikit-learn's."""
    k, d = model.means_.shape
    assert loaded.method == "variational"
    assert loaded.n_iter == model.n_iter_
    assert loaded.converged == model.converged_
    assert loaded.lower_bound == pytest.approx(sklearn_bound(model), rel=RTOL)
    close(loaded.params.weights, model.weights_)
    close(loaded.params.means, model.means_)
    close(loaded.params.full_covariances(), expanded(model.covariances_, covariance_type, k, d))
    variational = loaded.variational.params
    if variational.is_dirichlet_process:
        close(np.vstack(variational.weight_concentration), np.vstack(model.weight_concentration_))
    else:
        close(variational.weight_concentration, model.weight_concentration_)
    close(variational.mean_precision, model.mean_precision_)
    close(variational.means, model.means_)
    close(variational.degrees_of_freedom, model.degrees_of_freedom_)
    close(variational.covariances, model.covariances_)


# ===================================================== against scikit-learn
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fit_from_init_params_matches_sklearn(
    tmp_path, capsys, faithful_path, faithful, covariance_type, prior_type
):
    start = faithful_start(covariance_type)
    init = save_start(tmp_path / "start.json", start, ("eruptions", "waiting"))
    out = tmp_path / "vb.json"
    code, stdout, stderr = run(
        "fit", faithful_path, "--method", "vb", "--prior-type", prior_type,
        "--init-params", init, "--tol", "1e-6", "--max-iter", "400", "-o", out,
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    model = sklearn_fit_from(
        faithful,
        scipy_responsibilities(faithful, start),
        covariance_type=covariance_type,
        weight_concentration_prior_type=prior_type.replace("-", "_"),
        tol=1e-6,
        max_iter=400,
    )
    loaded = load_params(out)
    assert_matches_sklearn(loaded, model, covariance_type)
    assert loaded.variational.units == "data"
    assert loaded.log_likelihood is None
    # The summary: method, components in use (expected weight >= 1%), lower bound.
    in_use = int(np.sum(model.weights_ >= 0.01))
    name = "Dirichlet process" if prior_type == "dirichlet-process" else "Dirichlet distribution"
    assert f"variational ({name}): {in_use} of 3 components in use" in stdout
    assert f"lower bound {sklearn_bound(model):.6g}" in stdout
    assert f"after {model.n_iter_} iterations" in stdout


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_explicit_priors_match_sklearn(tmp_path, capsys, faithful_path, faithful, covariance_type):
    start = faithful_start(covariance_type)
    init = save_start(tmp_path / "start.csv", start, ("eruptions", "waiting"))
    text, covariance_prior = COVARIANCE_PRIORS[covariance_type]
    out = tmp_path / "vb.npz"
    code, _, stderr = run(
        "fit", faithful_path, "--method", "vb", "--init-params", init,
        "--weight-concentration", "0.05", "--mean-precision", "0.3",
        "--mean-prior", "3,60", "--degrees-of-freedom", "4.5",
        "--covariance-prior", text, "--reg-covar", "1e-4", "-o", out, "-q",
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    model = sklearn_fit_from(
        faithful,
        scipy_responsibilities(faithful, start),
        covariance_type=covariance_type,
        weight_concentration_prior=0.05,
        mean_precision_prior=0.3,
        mean_prior=np.array([3.0, 60.0]),
        degrees_of_freedom_prior=4.5,
        covariance_prior=covariance_prior,
        reg_covar=1e-4,
    )
    loaded = load_params(out)
    assert_matches_sklearn(loaded, model, covariance_type)
    priors = loaded.variational.priors
    assert priors.weight_concentration_prior == 0.05
    assert priors.mean_precision_prior == 0.3
    assert priors.degrees_of_freedom_prior == 4.5
    assert priors.reg_covar == 1e-4
    np.testing.assert_array_equal(priors.mean_prior, [3.0, 60.0])
    np.testing.assert_array_equal(priors.covariance_prior, covariance_prior)


def test_default_priors_are_sklearns(tmp_path, capsys, faithful_path, faithful):
    out = tmp_path / "vb.json"
    code, _, stderr = run(
        "fit", faithful_path, "--method", "vb", "-k", "5", "--covariance-type", "diag",
        "-o", out, "-q", capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    model = BayesianGaussianMixture(n_components=5, covariance_type="diag")
    model._check_parameters(faithful)
    priors = load_params(out).variational.priors
    assert priors.weight_concentration_prior == pytest.approx(model.weight_concentration_prior_)
    assert priors.mean_precision_prior == pytest.approx(model.mean_precision_prior_)
    assert priors.degrees_of_freedom_prior == pytest.approx(model.degrees_of_freedom_prior_)
    close(priors.mean_prior, model.mean_prior_, 1e-12)
    close(priors.covariance_prior, model.covariance_prior_, 1e-12)


def test_columns_of_iris_match_sklearn(tmp_path, capsys, iris_path):
    columns = ("sepal_width", "petal_length", "petal_width")
    X = np.loadtxt(iris_path, delimiter=",", skiprows=1, usecols=(1, 2, 3))
    start = GMMParams(
        np.full(4, 0.25),
        [[3.4, 1.5, 0.2], [2.8, 4.2, 1.3], [3.0, 5.5, 2.0], [3.0, 3.5, 1.0]],
        [0.2, 0.3, 0.3, 1.0],
        "spherical",
    )
    init = save_start(tmp_path / "start.json", start, columns)
    out = tmp_path / "iris.json"
    code, stdout, stderr = run(
        "fit", iris_path, "--method", "vb", "--columns", ",".join(columns),
        "--prior-type", "dirichlet-distribution", "--weight-concentration", "0.01",
        "--init-params", init, "--covariance-type", "spherical", "-o", out,
        capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    model = sklearn_fit_from(
        X,
        scipy_responsibilities(X, start),
        covariance_type="spherical",
        weight_concentration_prior_type="dirichlet_distribution",
        weight_concentration_prior=0.01,
    )
    loaded = load_params(out)
    assert loaded.columns == columns
    assert_matches_sklearn(loaded, model, "spherical")
    assert "150 rows x 3 columns (sepal_width, petal_length, petal_width)" in stdout


def test_normalised_fit_writes_expected_parameters_in_data_units_and_the_rest_on_z_scores(
    tmp_path, capsys, faithful_path, faithful
):
    """--normalize: the variational parameters and priors (given and written) are for
    z-scores, which the file says; its weights, means and covariances are in minutes."""
    start = faithful_start("full")
    init = save_start(tmp_path / "start.json", start, ("eruptions", "waiting"))
    out = tmp_path / "vb.json"
    code, stdout, stderr = run(
        "fit", faithful_path, "--method", "vb", "--normalize", "--init-params", init,
        "--mean-prior=-0.5,0.5", "-o", out, capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    offset, scale = faithful.mean(axis=0), faithful.std(axis=0)
    Z = (faithful - offset) / scale
    # Responsibilities do not change under a change of units.
    model = sklearn_fit_from(
        Z, scipy_responsibilities(faithful, start), mean_prior=np.array([-0.5, 0.5])
    )
    loaded = load_params(out)
    record = loaded.variational
    assert record.units == "z-scores"
    close(record.offset, offset, 1e-12)
    close(record.scale, scale, 1e-12)
    close(record.params.means, model.means_)
    close(record.params.covariances, model.covariances_)
    np.testing.assert_array_equal(record.priors.mean_prior, [-0.5, 0.5])
    close(record.priors.covariance_prior, np.cov(Z.T), 1e-9)
    close(loaded.params.weights, model.weights_)
    close(loaded.params.means, model.means_ * scale + offset)
    close(loaded.params.covariances, model.covariances_ * np.outer(scale, scale))
    assert loaded.lower_bound == pytest.approx(sklearn_bound(model), rel=RTOL)
    assert "normalised" in stdout and "(of the fit on z-scores)" in stdout
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["units"] == "z-scores"
    assert len(document["offset"]) == len(document["scale"]) == 2


def test_a_spherical_fit_on_z_scores_is_diag_in_data_units(tmp_path, capsys, faithful_path):
    out = tmp_path / "vb.json"
    code, stdout, stderr = run(
        "fit", faithful_path, "--method", "vb", "-k", "3", "--normalize",
        "--covariance-type", "spherical", "-o", out, capsys=capsys,
    )  # fmt: skip
    assert code == 0, stderr
    loaded = load_params(out)
    assert loaded.params.covariance_type == "diag"
    assert loaded.variational.priors.covariance_type == "spherical"
    assert loaded.variational.params.covariances.shape == (3,)
    assert "spherical (on z-scores; diag in data units) covariances" in stdout


# ======================================================================== files
@pytest.fixture(scope="module")
def vb_files(tmp_path_factory, faithful_path) -> dict[str, Path]:
    """One variational fit written as JSON, NPZ and CSV."""
    folder = tmp_path_factory.mktemp("vb")
    files = {}
    for extension in ("json", "npz", "csv"):
        files[extension] = folder / f"vb.{extension}"
        code = cli.main(
            ["fit", str(faithful_path), "--method", "vb", "-k", "6", "--seed", "3",
             "-o", str(files[extension]), "-q"]
        )  # fmt: skip
        assert code == 0
    return files


def test_json_npz_and_csv_hold_the_same_numbers(vb_files):
    loaded = {name: load_params(path) for name, path in vb_files.items()}
    reference = loaded["json"]
    assert reference.method == "variational" and reference.variational is not None
    for other in (loaded["npz"], loaded["csv"]):
        assert other.params.equals(reference.params)
        assert other.columns == reference.columns
        assert (other.n_iter, other.converged, other.n_samples, other.source) == (
            reference.n_iter,
            reference.converged,
            reference.n_samples,
            reference.source,
        )
        assert other.lower_bound == reference.lower_bound
        assert_same_record(other.variational, reference.variational)


def assert_same_record(actual: VariationalRecord, expected: VariationalRecord) -> None:
    """Bit for bit."""
    assert actual.units == expected.units
    for name in ("offset", "scale"):
        a, e = getattr(actual, name), getattr(expected, name)
        assert (a is None) == (e is None)
        if e is not None:
            np.testing.assert_array_equal(a, e)
    for name in (
        "covariance_type",
        "weight_concentration_prior_type",
        "weight_concentration_prior",
        "mean_precision_prior",
        "degrees_of_freedom_prior",
        "reg_covar",
        "n_components",
    ):
        assert getattr(actual.priors, name) == getattr(expected.priors, name), name
    np.testing.assert_array_equal(actual.priors.mean_prior, expected.priors.mean_prior)
    np.testing.assert_array_equal(actual.priors.covariance_prior, expected.priors.covariance_prior)
    a, e = actual.params, expected.params
    assert a.covariance_type == e.covariance_type
    assert a.is_dirichlet_process == e.is_dirichlet_process
    np.testing.assert_array_equal(
        np.vstack(np.atleast_2d(*a.weight_concentration))
        if a.is_dirichlet_process
        else a.weight_concentration,
        np.vstack(np.atleast_2d(*e.weight_concentration))
        if e.is_dirichlet_process
        else e.weight_concentration,
    )
    for name in ("mean_precision", "means", "degrees_of_freedom", "covariances"):
        np.testing.assert_array_equal(getattr(a, name), getattr(e, name), err_msg=name)


def test_the_file_layouts(vb_files):
    document = json.loads(vb_files["json"].read_text(encoding="utf-8"))
    assert document["format"] == "gmmviewer-params" and document["version"] == 1
    assert list(document)[-len(VARIATIONAL_KEYS) + 2 :] == [
        "method",
        "lower_bound",
        "units",
        "priors",
        "variational",
    ]
    assert np.array(document["covariances"]).shape == (6, 2, 2)
    assert np.array(document["variational"]["weight_concentration"]).shape == (2, 6)
    assert document["priors"]["weight_concentration_prior_type"] == "dirichlet_process"
    with np.load(vb_files["npz"], allow_pickle=False) as archive:
        names = set(archive.files)
        assert {"method", "lower_bound", "units", "variational/means", "priors/mean_prior"} <= names
        assert archive["variational/covariances"].shape == (6, 2, 2)
        assert str(archive["method"]) == "variational"
    text = vb_files["csv"].read_text(encoding="utf-8")
    assert '\n# method="variational"\n' in text
    assert "\n# priors={" in text and "\n# variational={" in text


def test_the_numbers_are_those_of_the_engine(vb_files, faithful):
    """The file holds exactly what fit_variational returns for these settings."""
    loaded = load_params(vb_files["json"])
    result = fit_variational(faithful, 6, random_state=3)
    np.testing.assert_array_equal(loaded.params.weights, result.params.weights)
    np.testing.assert_array_equal(loaded.params.means, result.params.means)
    np.testing.assert_array_equal(loaded.variational.params.means, result.variational.means)
    assert loaded.lower_bound == result.lower_bound


@pytest.mark.parametrize("extension", ["json", "npz", "csv"])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("prior_type", ["dirichlet_process", "dirichlet_distribution"])
@pytest.mark.parametrize("units", ["data", "z-scores"])
def test_save_and_load_round_trip_is_exact(
    tmp_path, faithful, extension, covariance_type, prior_type, units
):
    result = fit_variational(
        faithful, 3, covariance_type, weight_concentration_prior_type=prior_type, max_iter=5
    )
    normalisation = (
        {"offset": np.array([3.5, 71.0]), "scale": np.array([1.1, 13.6])}
        if units == "z-scores"
        else {}
    )
    record = VariationalRecord(result.priors, result.variational, units, **normalisation)
    path = tmp_path / f"p.{extension}"
    save_params(
        path,
        result.params,
        columns=("a", "b"),
        n_iter=result.n_iter,
        method="variational",
        lower_bound=result.lower_bound,
        variational=record,
    )
    loaded = load_params(path)
    assert loaded.params.equals(result.params)
    assert loaded.lower_bound == result.lower_bound
    assert_same_record(loaded.variational, record)


def test_em_files_have_no_variational_fields(tmp_path, capsys, faithful_path):
    for extension in ("json", "npz", "csv"):
        out = tmp_path / f"em.{extension}"
        code, _, stderr = run("fit", faithful_path, "-k", "2", "-o", out, "-q", capsys=capsys)
        assert code == 0, stderr
        loaded = load_params(out)
        assert (loaded.method, loaded.lower_bound, loaded.variational) == (None, None, None)
    document = json.loads((tmp_path / "em.json").read_text(encoding="utf-8"))
    assert not set(VARIATIONAL_KEYS) & set(document)
    with np.load(tmp_path / "em.npz", allow_pickle=False) as archive:
        assert not set(VARIATIONAL_KEYS) & set(archive.files)
    assert "method" not in (tmp_path / "em.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("normalize", [False, True])
def test_a_variational_file_starts_an_em_fit(tmp_path, capsys, faithful_path, faithful, normalize):
    vb = tmp_path / "vb.json"
    extra = ["--normalize"] if normalize else []
    code, _, stderr = run(
        "fit", faithful_path, "--method", "vb", "-k", "3", *extra, "-o", vb, "-q", capsys=capsys
    )
    assert code == 0, stderr
    start = load_params(vb).params
    out = tmp_path / "em.json"
    code, _, stderr = run("fit", faithful_path, "--init-params", vb, "-o", out, capsys=capsys)
    assert code == 0, stderr
    model = GaussianMixture(
        3,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=np.linalg.inv(start.covariances),
    ).fit(faithful)
    fitted = load_params(out)
    assert fitted.method is None
    assert fitted.n_iter == model.n_iter_
    close(fitted.params.means, model.means_)
    close(fitted.params.covariances, model.covariances_)


def test_a_variational_file_starts_a_variational_fit(tmp_path, capsys, faithful_path, faithful):
    vb = tmp_path / "vb.npz"
    run("fit", faithful_path, "--method", "vb", "-k", "3", "-o", vb, "-q", capsys=capsys)
    start = load_params(vb).params
    out = tmp_path / "again.json"
    code, _, stderr = run(
        "fit", faithful_path, "--method", "vb", "--init-params", vb, "-o", out, capsys=capsys
    )
    assert code == 0, stderr
    model = sklearn_fit_from(faithful, scipy_responsibilities(faithful, start))
    assert_matches_sklearn(load_params(out), model, "full")


# ==================================================================== progress
def test_progress_reports_the_lower_bound(tmp_path, capsys, faithful_path):
    code, _, stderr = run(
        "fit", faithful_path, "--method", "vb", "-k", "4", "--progress", "-o",
        tmp_path / "p.json", capsys=capsys,
    )  # fmt: skip
    assert code == 0
    assert "iteration    1  lower bound " in stderr
    assert "log-likelihood" not in stderr


def test_same_seed_same_file(tmp_path, capsys, faithful_path):
    paths = [tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"]
    for path, seed in zip(paths, ("5", "5", "6"), strict=True):
        code, _, _ = run(
            "fit", faithful_path, "--method", "vb", "-k", "4", "--init", "random",
            "--seed", seed, "--max-iter", "3", "-o", path, "-q", capsys=capsys,
        )  # fmt: skip
        assert code == 0
    assert paths[0].read_bytes() == paths[1].read_bytes() != paths[2].read_bytes()


# ====================================================================== errors
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--weight-concentration", "-1"], "--weight-concentration must be a positive number"),
        (
            ["--weight-concentration", "0"],
            "--weight-concentration must be a positive number, got 0",
        ),
        (["--weight-concentration", "nan"], "--weight-concentration must be a positive number"),
        (["--weight-concentration=-inf"], "--weight-concentration must be a positive number"),
        (["--mean-precision", "inf"], "--mean-precision must be a positive number, got inf"),
        (["--mean-precision", "0"], "--mean-precision must be a positive number"),
        (["--degrees-of-freedom", "1"], "--degrees-of-freedom must be greater than 1"),
        (["--degrees-of-freedom", "nan"], "--degrees-of-freedom must be greater than 1"),
        (["--mean-prior", "1,2,3"], "--mean-prior needs 2 numbers (one per column), got 3"),
        (["--mean-prior", "1"], "--mean-prior needs 2 numbers"),
        (["--mean-prior", "1,nan"], "--mean-prior must be finite"),
        (["--covariance-prior", "1,2,3"], "needs 4 numbers, a 2 x 2 matrix, got 3"),
        (["--covariance-prior", "1,2,2,1"], "must be a symmetric positive definite matrix"),
        (["--covariance-prior", "1,0,0.5,1"], "must be a symmetric positive definite matrix"),
        (["--covariance-prior", "1,0,0,inf"], "--covariance-prior must be finite"),
        (
            ["--covariance-type", "diag", "--covariance-prior=-1,1"],
            "--covariance-prior must be positive",
        ),
        (["--covariance-type", "diag", "--covariance-prior", "1"], "needs 2 numbers"),
        (["--covariance-type", "spherical", "--covariance-prior", "0"], "must be positive"),
        (["--covariance-type", "spherical", "--covariance-prior", "1,1"], "needs one number"),
        (["--dtype", "float32"], "--dtype float32 is for EM fits"),
    ],
)
def test_bad_priors_are_one_line_errors(tmp_path, capsys, faithful_path, args, message):
    out = tmp_path / "out.json"
    code, stdout, stderr = run(
        "fit", faithful_path, "--method", "vb", "-k", "2", *args, "-o", out, capsys=capsys
    )
    assert_one_line_error(code, stderr, message)
    assert stdout == ""
    assert not out.exists()


@pytest.mark.parametrize(
    "option",
    [
        ["--prior-type", "dirichlet-distribution"],
        ["--weight-concentration", "0.1"],
        ["--mean-precision", "1"],
        ["--mean-prior", "3,70"],
        ["--degrees-of-freedom", "3"],
        ["--covariance-prior", "1,0,0,1"],
    ],
)
def test_priors_with_em_are_one_line_errors(tmp_path, capsys, faithful_path, option):
    out = tmp_path / "out.json"
    code, _, stderr = run("fit", faithful_path, "-k", "2", *option, "-o", out, capsys=capsys)
    assert_one_line_error(code, stderr, f"{option[0]} is for variational fits: add --method vb")
    assert not out.exists()


def test_a_bad_prior_as_a_real_process(tmp_path, faithful_path):
    result = gmmviewer(
        "fit", faithful_path, "--method", "vb", "-k", "2", "--weight-concentration", "-0.5",
        "-o", tmp_path / "out.json",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == (
        "gmmviewer: error: --weight-concentration must be a positive number, got -0.5\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "bayes"], "argument --method: invalid choice: 'bayes'"),
        (["--method", "vb", "--prior-type", "pitman-yor"], "unknown prior type 'pitman-yor'"),
        (["--method", "vb", "--weight-concentration", "lots"], "expected a number, got 'lots'"),
        (["--method", "vb", "--mean-prior", "1,x"], "expected numbers separated by commas"),
    ],
)
def test_unreadable_options_are_usage_errors(tmp_path, capsys, faithful_path, args, message):
    code, _, stderr = run(
        "fit", faithful_path, "-k", "2", *args, "-o", tmp_path / "o.json", capsys=capsys
    )
    assert code == 2
    assert message in stderr.splitlines()[-1]


# ======================================================== hostile variational files
def vb_document(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(method="gibbs"), "method must be 'em' or 'variational'"),
        (lambda d: d.update(method="em"), 'need "method": "variational"'),
        (lambda d: d.pop("priors"), '"priors" is missing'),
        (lambda d: d.update(priors=[1, 2]), "priors must be an object"),
        (lambda d: d["priors"].pop("mean_prior"), "priors is missing mean_prior"),
        (lambda d: d["priors"].update(mean_precision_prior=-1), "mean_precision_prior must be"),
        (lambda d: d["priors"].update(degrees_of_freedom_prior=0.5), "greater than 1"),
        (lambda d: d["priors"].update(covariance_type="banded"), "priors.covariance_type"),
        (lambda d: d["priors"].update(mean_prior=[1, 2, 3]), "must have shape (2,), got (3,)"),
        (lambda d: d["priors"].update(covariance_prior=[[1, 2], [2, 1]]), "positive definite"),
        (lambda d: d["variational"].update(means=[[1, 2]]), "variational.means must have shape"),
        (lambda d: d["variational"].update(means="x"), "variational.means must be nested lists"),
        (lambda d: d["variational"].update(mean_precision=[-1] * 6), "mean_precision must be"),
        (
            lambda d: d["variational"].update(weight_concentration=[1.0] * 6),
            "weight_concentration must be nested lists of numbers of shape (2, 6)",
        ),
        (lambda d: d.update(lower_bound="high"), "lower_bound must be a number"),
        (lambda d: d.update(units="furlongs"), "units must be 'data' or 'z-scores'"),
        (lambda d: d.update(units="z-scores"), 'needs "offset" and "scale"'),
        (lambda d: d.update(offset=[0, 0], scale=[1, 1]), "offset and scale belong to"),
    ],
)
def test_broken_variational_sections_are_refused(
    tmp_path, capsys, vb_files, faithful_path, change, message
):
    document = vb_document(vb_files["json"])
    change(document)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ParameterFileError) as info:
        load_params(path)
    assert message in str(info.value) and str(path) in str(info.value)
    code, _, stderr = run(
        "fit", faithful_path, "--init-params", path, "-o", tmp_path / "o.json", capsys=capsys
    )
    assert_one_line_error(code, stderr, message)


def test_npz_with_nan_in_a_variational_array_is_refused(tmp_path, vb_files):
    with np.load(vb_files["npz"], allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["variational/covariances"] = arrays["variational/covariances"].copy()
    arrays["variational/covariances"][0, 0, 0] = np.nan
    path = tmp_path / "nan.npz"
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    with pytest.raises(ParameterFileError, match="variational.covariances contains NaN"):
        load_params(path)


def test_a_plain_reader_sees_plain_parameters_in_a_variational_csv(vb_files):
    """The extra lines are '# key=value' comments a spreadsheet or pandas skips."""
    lines = vb_files["csv"].read_text(encoding="utf-8").splitlines()
    table = [line for line in lines if not line.startswith("#")]
    assert table[0].startswith("component,weight,mean_eruptions")
    assert len(table) == 7
