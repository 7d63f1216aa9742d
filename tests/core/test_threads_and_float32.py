"""Passes on several threads give the same bits; float32 passes stay within their tolerance."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_info

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import make_random_mixture
from gmmviewer.core.em import diagonal, quadratic
from gmmviewer.core.em.estep import e_step, e_step_streaming
from gmmviewer.core.em.fit import fit
from gmmviewer.core.em.initialization import initialize
from gmmviewer.core.errors import ParameterError
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.core.files.sessions.session_file import load_session, save_session
from gmmviewer.core.parallel import threads
from gmmviewer.core.session.em_session import EMSession

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
DATA = __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "data"


def mixture(n_samples=10_500, n_features=3, n_components=4, seed=0):
    return make_random_mixture(n_components, n_samples, n_features, separation=2.5, seed=seed).X


def scipy_log_likelihood(X, params):
    densities = np.column_stack(
        [
            np.log(w) + multivariate_normal(mean=m, cov=c).logpdf(X)
            for w, m, c in zip(params.weights, params.means, params.full_covariances(), strict=True)
        ]
    )
    peak = densities.max(axis=1, keepdims=True)
    return float(np.sum(np.log(np.exp(densities - peak).sum(axis=1)) + peak[:, 0]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_the_number_of_threads_changes_no_bit(kind, dtype, monkeypatch):
    X = mixture()
    params = initialize(X, 4, "random-means", kind, 3, 1e-6)
    # Every covariance type takes its expansion here (diagonal or quadratic): the chunks'
    # sums are added in chunk order and their moments accepted.
    accepted = []
    for expansion in (diagonal.DiagonalExpansion, quadratic.QuadraticExpansion):
        monkeypatch.setattr(expansion, "moments", _recording(expansion.moments, accepted))
    results = [e_step(X, params, chunk_size=1000, threads=n, dtype=dtype) for n in (1, 2, 3)]
    assert accepted == [True, True, True]
    first = results[0]
    for other in results[1:]:
        assert np.array_equal(first.resp, other.resp)
        assert np.array_equal(first.hard, other.hard)
        assert first.log_likelihood == other.log_likelihood
        assert first.entropy == other.entropy
        for name in ("counts", "first", "second"):
            assert np.array_equal(getattr(first.statistics, name), getattr(other.statistics, name))


def _recording(method, accepted):
    def recording(self, *args):
        result = method(self, *args)
        accepted.append(result is not None)
        return result

    return recording


def test_a_fit_on_two_threads_is_the_fit_on_one():
    X = mixture(n_samples=30_000, n_features=2, n_components=3)
    one = fit(X, 3, seed=1, threads=1)
    two = fit(X, 3, seed=1, threads=2)
    assert one.n_iter == two.n_iter
    assert one.log_likelihood == two.log_likelihood
    assert np.array_equal(one.params.means, two.params.means)
    assert np.array_equal(one.params.covariances, two.params.covariances)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_the_threaded_pass_agrees_with_scipy(kind):
    X = mixture(n_samples=5_000, n_features=2)
    params = initialize(X, 4, "random-means", kind, 5, 1e-6)
    total, _ = e_step_streaming(X, params, chunk_size=700, threads=2)
    assert total == pytest.approx(scipy_log_likelihood(X, params), rel=1e-12)


def test_blas_is_held_to_one_thread_inside_a_pass_and_released_after():
    before = [entry["num_threads"] for entry in threadpool_info() if entry["user_api"] == "blas"]
    seen = []
    with threads.single_threaded_blas():
        with threads.single_threaded_blas():  # nested: still one thread
            seen.append([e["num_threads"] for e in threadpool_info() if e["user_api"] == "blas"])
        seen.append([e["num_threads"] for e in threadpool_info() if e["user_api"] == "blas"])
    after = [entry["num_threads"] for entry in threadpool_info() if entry["user_api"] == "blas"]
    assert all(n == 1 for counts in seen for n in counts)
    assert after == before


def blas_threads() -> list[int]:
    return [entry["num_threads"] for entry in threadpool_info() if entry["user_api"] == "blas"]


def test_a_pass_too_small_for_blas_to_split_leaves_blas_alone():
    before = blas_threads()
    pieces = [slice(0, 300), slice(300, 600)]
    held = threads.map_in_order(lambda piece: blas_threads(), pieces, threads=1)
    alone = threads.map_in_order(lambda piece: blas_threads(), pieces, threads=1, small_blas=True)
    assert held == [[1] * len(before)] * 2
    assert alone == [before] * 2
    # The lecture demo's pass is small; a pass a BLAS would split is not.
    assert threads.pass_blas_is_small(600, 3, 2)
    assert not threads.pass_blas_is_small(1_000_000, 10, 10)
    assert not threads.pass_blas_is_small(50, 3, 100)  # its 100 x 100 precisions


def test_the_window_s_first_pass_never_asks_threadpoolctl():
    # Setting the limit the first time makes threadpoolctl look at every loaded library:
    # the demo's first E-step (and its precision factors) must not wait for that, and a
    # fit of large data must still hold BLAS to one thread.
    code = (
        "import sys\n"
        "from gmmviewer.core.data.synthetic import make_preset\n"
        "from gmmviewer.core.em.estep import e_step\n"
        "from gmmviewer.core.em.initialization import initialize\n"
        "X = make_preset('lecture', seed=0).X\n"
        "e_step(X, initialize(X, 3, 'random-means', 'full', 0, 1e-6))\n"
        "print('threadpoolctl' in sys.modules)\n"
        "X = make_preset('lecture', n_samples=20_000, seed=0).X\n"
        "e_step(X, initialize(X, 3, 'random-means', 'full', 0, 1e-6))\n"
        "print('threadpoolctl' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_the_thread_count_setting(monkeypatch):
    monkeypatch.setenv(threads.THREADS_VARIABLE, "3")
    assert threads.pass_threads() == 3
    monkeypatch.setenv(threads.THREADS_VARIABLE, "500")
    assert threads.pass_threads() == threads.MAX_THREADS
    monkeypatch.setenv(threads.THREADS_VARIABLE, "zero")
    with pytest.raises(ParameterError, match="GMMVIEWER_THREADS"):
        threads.pass_threads()
    monkeypatch.delenv(threads.THREADS_VARIABLE)
    assert 1 <= threads.pass_threads() <= threads.MAX_THREADS


# ------------------------------------------------------------------------- float32
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_float32_fits_agree_with_scikit_learn_within_their_tolerance(kind):
    X = load_csv(DATA / "faithful.csv").X
    start = initialize(X, 2, "kmeans", kind, 0, 1e-6)
    ours = fit(X, init_params=start, dtype="float32", tol=0.0, max_iter=30)
    reference = fit(X, init_params=start, tol=0.0, max_iter=30)
    model = GaussianMixture(
        2,
        covariance_type=kind,
        tol=0.0,
        max_iter=30,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=_precisions(start),
    ).fit(X)
    spread = X.std(axis=0)
    # The README's float32 accuracy: log-likelihoods to 1e-6 relative, means to 1e-5 of
    # the data's spread, after 30 iterations.
    assert ours.log_likelihood == pytest.approx(reference.log_likelihood, rel=1e-6)
    assert ours.log_likelihood / len(X) == pytest.approx(model.score(X), rel=1e-6)
    assert np.max(np.abs(ours.params.means - model.means_) / spread) < 1e-5
    assert np.max(np.abs(ours.params.weights - model.weights_)) < 1e-5


def _precisions(params):
    if params.covariance_type in ("diag", "spherical"):
        return 1.0 / params.covariances
    return np.linalg.inv(params.covariances)


def test_float32_sessions_keep_float32_responsibilities_that_sum_to_one():
    X = load_csv(DATA / "iris.csv").X
    session = EMSession(Dataset(X), 3, seed=2, dtype="float32")
    twin = EMSession(Dataset(X), 3, seed=2)
    for _ in range(10):
        session.step()
        twin.step()
    resp = session.responsibilities
    assert resp.dtype == np.float32
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(resp, twin.responsibilities, atol=1e-4)
    assert session.state.log_likelihood == pytest.approx(twin.state.log_likelihood, rel=1e-6)
    assert session.dtype == "float32"
    assert session.fit_settings()["dtype"] == "float32"


def test_a_float32_session_is_saved_and_opened_as_float32(tmp_path):
    session = EMSession(mixture(n_samples=2_000, n_features=2), 3, seed=4, dtype="float32")
    for _ in range(4):
        session.step()
    path = tmp_path / "fast.gmmv"
    save_session(path, session)
    opened = load_session(path).session
    assert opened.dtype == "float32"
    assert opened.state.log_likelihood == session.state.log_likelihood
    opened.step()
    session.step()
    assert opened.state.log_likelihood == session.state.log_likelihood


def test_float32_refuses_data_it_cannot_square():
    X = mixture(n_samples=200, n_features=2) * 1e17
    with pytest.raises(ParameterError, match="float32"):
        fit(X, 2, dtype="float32")
    with pytest.raises(ParameterError, match="float32"):
        EMSession(X, 2, dtype="float32")
    with pytest.raises(ParameterError, match="dtype"):
        fit(X / 1e17, 2, dtype="float16")


# ------------------------------------------------------- the diagonal expansion
@pytest.mark.parametrize("kind", ["diag", "spherical"])
def test_diagonal_components_use_the_expansion_and_agree_with_scipy(kind, monkeypatch):
    X = mixture(n_samples=4_000, n_features=10, n_components=5)
    params = initialize(X, 5, "random-means", kind, 1, 1e-6)
    used = []
    original = diagonal.DiagonalExpansion.fill

    def counting(self, *args):
        used.append(True)
        return original(self, *args)

    monkeypatch.setattr(diagonal.DiagonalExpansion, "fill", counting)
    result = e_step(X, params)
    assert used, "the expansion was not used on well-scaled data"
    assert result.log_likelihood == pytest.approx(scipy_log_likelihood(X, params), rel=1e-12)
    # Its moments against a direct computation from the responsibilities.
    resp = result.resp
    centres = result.statistics.centres
    expected = np.einsum("kn,knd->kd", resp, (X[None] - centres[:, None]) ** 2)
    np.testing.assert_allclose(result.statistics.second, expected, rtol=1e-10)


def test_tight_components_far_from_the_centre_take_the_exact_path(monkeypatch):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0.0, 1e-4, size=(300, 2)), rng.normal(1e4, 1e-4, size=(300, 2))])
    params = fit(X, 2, covariance_type="diag", seed=0).params
    monkeypatch.setattr(
        diagonal.DiagonalExpansion, "fill", lambda *a: pytest.fail("expansion used")
    )
    result = e_step(X, params)
    assert result.log_likelihood == pytest.approx(scipy_log_likelihood(X, params), rel=1e-10)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_the_variational_pass_gives_the_same_bits_on_any_number_of_threads(kind, monkeypatch):
    from gmmviewer.core.vb.estep import e_step as variational_e_step
    from gmmviewer.core.vb.initialization import initial_variational
    from gmmviewer.core.vb.priors import resolve_priors

    X = mixture()
    priors = resolve_priors(X, 4, kind)
    start = initial_variational(X, "kmeans", priors, 0)
    results = []
    for n in ("1", "2", "3"):
        monkeypatch.setenv(threads.THREADS_VARIABLE, n)
        results.append(variational_e_step(X, start, chunk_size=1000))
    for other in results[1:]:
        assert np.array_equal(results[0].resp, other.resp)
        assert results[0].log_prob_norm == other.log_prob_norm
        assert results[0].entropy == other.entropy
        assert np.array_equal(results[0].statistics.second, other.statistics.second)
