"""BIC/AIC scans against scikit-learn, and restarts keeping the best run."""

from __future__ import annotations

import numpy as np
import pytest
from oracles import sklearn_model

from gmmviewer.core.analysis.model_selection import best_model, scan_models
from gmmviewer.core.analysis.restarts import best_run, run_restarts
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.errors import Cancelled


def test_bic_and_aic_agree_with_sklearn(faithful):
    scores = list(scan_models(faithful, [1, 2, 3], ["full", "diag", "spherical", "tied"]))
    assert len(scores) == 12
    for score in scores:
        model = sklearn_model(score.params, faithful.shape[1])
        assert score.bic == pytest.approx(model.bic(faithful), rel=1e-10)
        assert score.aic == pytest.approx(model.aic(faithful), rel=1e-10)
        assert score.n_parameters == model._n_parameters()


def test_bic_picks_the_true_number_of_components():
    dataset = make_preset("lecture", n_samples=2000, seed=0)
    scores = list(scan_models(dataset.X, range(1, 7), ["full"]))
    assert best_model(scores, "bic").n_components == 3
    assert [s.n_components for s in scores] == [1, 2, 3, 4, 5, 6]


def test_scan_skips_k_larger_than_n_and_can_be_cancelled():
    X = np.random.default_rng(0).normal(size=(4, 2))
    scores = list(scan_models(X, [1, 2, 5], ["spherical"]))
    assert [s.n_components for s in scores] == [1, 2]
    calls = []

    def stop_after_two() -> bool:
        calls.append(1)
        return len(calls) > 2

    dataset = make_preset("lecture", n_samples=300, seed=0)
    with pytest.raises(Cancelled):
        list(scan_models(dataset.X, range(1, 6), ["full"], should_stop=stop_after_two))


def test_restarts_keep_the_run_with_the_largest_lower_bound():
    dataset = make_preset("lecture", n_samples=600, seed=0)
    runs = list(run_restarts(dataset.X, 3, range(12), init="random-means"))
    assert [run.seed for run in runs] == list(range(12))
    best = best_run(runs)
    assert best.result.lower_bound == max(run.result.lower_bound for run in runs)
    # Different seeds really reach different local optima on this data.
    finals = {round(run.result.log_likelihood, 3) for run in runs}
    assert len(finals) > 1
    assert best.result.log_likelihood >= np.median([r.result.log_likelihood for r in runs])


def test_best_run_of_nothing_is_none():
    assert best_run([]) is None
    assert best_model([]) is None
