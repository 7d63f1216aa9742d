"""Predict the step: scores against hand-computed values, invariants, an M-step and an
E-step predicted exactly (checked against numpy and scikit-learn), and the session's log
through undo, redo and session files."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from oracles import sklearn_model
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters

from gmmviewer.core.analysis.prediction import (
    MeanPrediction,
    ResponsibilityPrediction,
    data_spread,
    score_mean_prediction,
    score_responsibility_prediction,
)
from gmmviewer.core.analysis.prediction_log import (
    PredictionLog,
    PredictionRecord,
    mean_record,
    responsibility_record,
)
from gmmviewer.core.errors import ParameterError, SessionFileError
from gmmviewer.core.files.sessions.session_file import load_session, save_session
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession


def two_components(means) -> GMMParams:
    return GMMParams(
        weights=[0.5, 0.5],
        means=np.asarray(means, float),
        covariances=np.array([np.eye(2), [[4.0, 1.0], [1.0, 2.0]]]),
    )


# ----------------------------------------------------------------- mean scores
def test_data_spread_is_the_root_mean_column_variance():
    # Columns with population variances 4 and 16: spread sqrt((4 + 16) / 2).
    X = np.array([[-2.0, -4.0], [2.0, 4.0], [-2.0, 4.0], [2.0, -4.0]])
    assert data_spread(X) == pytest.approx(math.sqrt(10.0))
    assert data_spread(X, dims=(1,)) == pytest.approx(4.0)
    # Constant data have no spread to divide by: the error is taken as it is.
    assert data_spread(np.ones((5, 2))) == 1.0


def test_a_mean_prediction_scores_the_distances_worked_out_by_hand():
    actual = two_components([[0.0, 0.0], [4.0, 0.0]])
    # Component 1 guessed 3 right and 4 up of its mean (distance 5), component 2 exactly.
    score = score_mean_prediction([[3.0, 4.0], [4.0, 0.0]], actual, data_scale=5.0)
    np.testing.assert_allclose(score.distances, [5.0, 0.0])
    assert score.mean_error == pytest.approx(2.5)
    assert score.relative_error == pytest.approx(0.5)
    assert score.covariance_errors is None and score.size_ratios is None


def test_only_the_predicted_columns_count():
    actual = GMMParams([1.0], [[0.0, 0.0, 0.0]], [np.eye(3)])
    prediction = MeanPrediction([[1.0, 0.0, 100.0]], history_index=3, dims=(0, 1))
    score = prediction.score(actual, data_scale=2.0)
    np.testing.assert_allclose(score.distances, [1.0])
    assert score.relative_error == pytest.approx(0.5)


def test_a_perfect_prediction_scores_zero_and_components_are_not_relabelled():
    actual = two_components([[0.0, 0.0], [4.0, 0.0]])
    assert score_mean_prediction(actual.means, actual, 1.0).relative_error == 0.0
    # The right means under the wrong labels: each ghost is 4 from its own component.
    swapped = score_mean_prediction(actual.means[::-1], actual, 1.0)
    np.testing.assert_allclose(swapped.distances, [4.0, 4.0])


def test_covariance_scores_worked_out_by_hand():
    actual = two_components([[0.0, 0.0], [4.0, 0.0]])
    covariances = actual.full_covariances()
    exact = score_mean_prediction(actual.means, actual, 1.0, predicted_covariances=covariances)
    np.testing.assert_allclose(exact.covariance_errors, [0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(exact.size_ratios, [1.0, 1.0])
    # Twice as wide: four times the covariance, |4S - S| / |S| = 3, size ratio 2.
    wide = score_mean_prediction(actual.means, actual, 1.0, predicted_covariances=4 * covariances)
    np.testing.assert_allclose(wide.covariance_errors, [3.0, 3.0])
    np.testing.assert_allclose(wide.size_ratios, [2.0, 2.0])


def test_bad_predictions_are_refused():
    actual = two_components([[0.0, 0.0], [4.0, 0.0]])
    with pytest.raises(ParameterError):
        score_mean_prediction([[0.0, 0.0]], actual, 1.0)
    with pytest.raises(ParameterError):
        score_mean_prediction(actual.means, actual, 0.0)
    with pytest.raises(ParameterError):
        MeanPrediction([[np.nan, 0.0]], 0)
    with pytest.raises(ParameterError):
        MeanPrediction([[0.0, 0.0]], 0, dims=(2,))


# ------------------------------------------------------- responsibility scores
def test_a_responsibility_guess_scores_its_total_variation_distance():
    score = score_responsibility_prediction([0.5, 0.5, 0.0], [0.2, 0.3, 0.5])
    # Half of |0.3| + |0.2| + |-0.5|: half the point's membership went to the wrong place.
    assert score.total_variation == pytest.approx(0.5)
    np.testing.assert_allclose(score.errors, [0.3, 0.2, -0.5])
    assert score_responsibility_prediction([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]).total_variation == 0


def test_a_guess_is_normalised_and_all_zeros_means_no_preference():
    np.testing.assert_allclose(
        ResponsibilityPrediction(4, [2, 2, 0], 0).responsibilities, [0.5, 0.5, 0.0]
    )
    np.testing.assert_allclose(ResponsibilityPrediction(4, [0, 0], 0).responsibilities, [0.5, 0.5])
    with pytest.raises(ParameterError):
        ResponsibilityPrediction(4, [-1, 2], 0)
    with pytest.raises(ParameterError):
        score_responsibility_prediction([1.0, 0.0], [0.2, 0.3, 0.5])


# -------------------------------------------------- the real half-steps, exactly
@pytest.fixture
def faithful_session(faithful):
    session = EMSession(faithful, 2, init="random-means", seed=3)
    session.step()
    session.e_step()  # next: the M-step of iteration 2
    return session


def test_predicting_the_m_step_exactly_scores_zero(faithful_session):
    session = faithful_session
    X, resp = session.X, np.array(session.responsibilities)
    # The M-step's means by hand: responsibility-weighted averages of the points.
    by_hand = (resp.T @ X) / resp.sum(axis=0)[:, None]
    _, sk_means, sk_covariances = _estimate_gaussian_parameters(X, resp, session.reg_covar, "full")
    np.testing.assert_allclose(by_hand, sk_means, rtol=1e-12)
    prediction = MeanPrediction(by_hand, session.position, covariances=sk_covariances)
    before = session.params.means.copy()
    session.m_step()
    score = prediction.score(session.params, data_spread(X))
    assert score.relative_error < 1e-10
    np.testing.assert_allclose(score.covariance_errors, 0.0, atol=1e-10)
    np.testing.assert_allclose(score.size_ratios, 1.0, rtol=1e-10)
    # Guessing that nothing moves does score: the M-step moved the means.
    stay = MeanPrediction(before, session.position - 1).score(session.params, data_spread(X))
    assert stay.relative_error > 1e-3


def test_predicting_the_e_step_exactly_scores_zero(faithful_session):
    session = faithful_session
    session.m_step()
    point = 17
    # scikit-learn's posterior for the parameters the E-step will use.
    oracle = sklearn_model(session.params, session.n_features).predict_proba(
        session.X[point : point + 1]
    )[0]
    guess = ResponsibilityPrediction(point, oracle, session.position)
    session.e_step()
    actual = session.responsibilities[point]
    assert guess.score(actual).total_variation < 1e-10
    uniform = ResponsibilityPrediction(point, [1, 1], session.position - 1).score(actual)
    assert uniform.total_variation == pytest.approx(0.5 * np.abs(0.5 - actual).sum())


# ------------------------------------------------------------------- the log
def some_records() -> list[PredictionRecord]:
    actual = two_components([[0.0, 0.0], [4.0, 0.0]])
    prediction = MeanPrediction([[3.0, 4.0], [4.0, 0.0]], 5)
    means = mean_record(prediction, prediction.score(actual, 5.0), iteration=3)
    guess = ResponsibilityPrediction(11, [0.5, 0.5, 0.0], 6)
    responsibilities = responsibility_record(guess, guess.score([0.2, 0.3, 0.5]), iteration=4)
    return [means, responsibilities]


def test_records_say_what_was_predicted_and_how_close_it_came():
    means, responsibilities = some_records()
    assert (means.kind, means.half_step, means.history_index, means.iteration) == (
        "means",
        "M",
        5,
        3,
    )
    assert means.component_errors == (5.0, 0.0)
    assert means.score_percent == pytest.approx(50.0)
    assert "50.0% of the data spread" in means.summary
    assert responsibilities.point == 11 and responsibilities.half_step == "E"
    assert responsibilities.score == pytest.approx(0.5)
    assert "point 12" in responsibilities.summary
    log = PredictionLog(some_records())
    assert log.mean_score("means") == pytest.approx(0.5)
    assert log.mean_score("responsibilities") == pytest.approx(0.5)
    assert PredictionLog().mean_score("means") is None


def test_the_log_survives_undo_redo_and_jumps(faithful_session):
    session = faithful_session
    seen = []
    session.predictions.changed.connect(seen.append)
    for record in some_records():
        session.predictions.add(record)
    kept = session.predictions.records
    session.m_step()
    session.undo()
    session.undo()
    session.redo()
    session.go_to(0)
    session.reinitialize(seed=9)
    assert session.predictions.records == kept
    assert seen == list(kept)
    # Each session keeps its own log.
    assert len(EMSession(session.X, 2).predictions) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"score": float("inf")}, "score"),
        ({"history_index": True}, "history_index"),
        ({"kind": "weights"}, "kind"),
        ({"component_errors": [-1.0, 0.0]}, "component_errors"),
        ({"extra": 1}, "unknown field"),
        ({"summary": 3}, "summary"),
    ],
)
def test_records_from_json_refuse_bad_fields(change, message):
    entry = {**some_records()[0].to_json(), **change}
    with pytest.raises(ValueError, match=message):
        PredictionRecord.from_json(entry, "predictions[0]")


def test_the_log_is_saved_and_opened_with_the_session(tmp_path, faithful_session):
    session = faithful_session
    path = tmp_path / "plain.gmmv"
    save_session(path, session)
    assert "predictions" not in _meta(path)  # nothing predicted: the file is as before
    for record in some_records():
        session.predictions.add(record)
    save_session(path, session)
    opened = load_session(path).session
    assert opened.predictions.records == session.predictions.records
    assert opened.predictions is not session.predictions


def test_a_damaged_log_makes_the_file_damaged(tmp_path, faithful_session):
    session = faithful_session
    session.predictions.add(some_records()[0])
    path = tmp_path / "damaged.gmmv"
    save_session(path, session)
    meta = _meta(path)
    meta["predictions"][0]["score"] = -1
    _write_meta(path, meta)
    with pytest.raises(SessionFileError, match=r"is damaged: predictions\[0\]\.score"):
        load_session(path)


def _meta(path) -> dict:
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(str(archive["meta"].item()))


def _write_meta(path, meta: dict) -> None:
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["meta"] = np.array(json.dumps(meta))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.write_bytes(buffer.getvalue())
