"""The M-step's repair of covariances that will not factorise, checked with numpy's Cholesky.

A huge rank-one scatter is singular in floating point in a way raising its smallest
eigenvalue to the floor cannot fix (the floor is far below the matrix's rounding
error), so ``m_step`` must add ten times more to the diagonal, again and again, until
the matrix factorises. The statistics are built so that the covariance the M-step
starts from is exactly the matrix chosen here.
"""

from __future__ import annotations

import numpy as np
import pytest

from gmmviewer.core.em.mstep import MIN_RELATIVE_VARIANCE, m_step
from gmmviewer.core.em.statistics import SufficientStatistics

# With counts of 1 - 10 eps, the M-step's guarded count is exactly 1, so its covariance
# is exactly the "second" statistic below (first moments are zero and reg_covar is 0).
ONE_MINUS_GUARD = 1.0 - 10 * np.finfo(float).eps
SINGULAR = np.array([[1e16, 1e16], [1e16, 1e16]])
HEALTHY = np.array([[2.0, 0.5], [0.5, 1.0]])


def statistics(kind: str, scatters: list[np.ndarray]) -> SufficientStatistics:
    k, d = len(scatters), scatters[0].shape[0]
    stats = SufficientStatistics(np.zeros((k, d)), kind)
    stats.counts = np.full(k, ONE_MINUS_GUARD)
    stats.first = np.zeros((k, d))
    stats.second = np.stack(scatters)
    return stats


def cholesky_fails(matrix: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return True
    return False


def test_the_eigenvalue_floor_alone_cannot_fix_this_matrix():
    """The precondition that makes the repair loop run more than once."""
    floor = MIN_RELATIVE_VARIANCE * 1.0
    assert cholesky_fails(SINGULAR + floor * np.eye(2))
    assert cholesky_fails(SINGULAR + 1e3 * floor * np.eye(2))


def test_repeated_repair_of_one_full_covariance():
    result = m_step(statistics("full", [HEALTHY, SINGULAR]), reg_covar=0.0, data_variance=1.0)
    repaired = result.params.covariances[1]
    # Only the diagonal moved, by the same positive amount on every entry.
    assert repaired[0, 1] == SINGULAR[0, 1] and repaired[1, 0] == SINGULAR[1, 0]
    added = np.diag(repaired) - np.diag(SINGULAR)
    assert added[0] == added[1] > 0
    # numpy factorises the result, and a tenth of the amount would not have done.
    assert np.all(np.diag(np.linalg.cholesky(repaired)) > 0)
    assert cholesky_fails(SINGULAR + added[0] / 10 * np.eye(2))
    # The healthy component is untouched, and the user is told which one was repaired.
    np.testing.assert_array_equal(result.params.covariances[0], HEALTHY)
    regularised = [issue for issue in result.issues if issue.kind == "regularised"]
    assert [issue.component for issue in regularised] == [1]
    assert "component 2's covariance was singular" in regularised[0].message
    assert "reg_covar" in regularised[0].message
    reported = float(regularised[0].message.split(" so ")[1].split(" was added")[0])
    assert reported == pytest.approx(added[0], rel=0.5)
    assert result.params.validate() is result.params


def test_repeated_repair_of_the_tied_covariance():
    stats = statistics("tied", [SINGULAR])
    result = m_step(stats, reg_covar=0.0, data_variance=1.0)
    repaired = result.params.covariances
    assert repaired.shape == (2, 2) and repaired[0, 1] == SINGULAR[0, 1]
    added = np.diag(repaired) - np.diag(SINGULAR)
    assert added[0] == added[1] > 0
    assert not cholesky_fails(repaired)
    assert cholesky_fails(SINGULAR + added[0] / 10 * np.eye(2))
    (issue,) = [issue for issue in result.issues if issue.kind == "regularised"]
    assert issue.component is None and "the tied covariance was singular" in issue.message


def test_a_reg_covar_large_enough_needs_no_repair():
    result = m_step(statistics("full", [SINGULAR]), reg_covar=100.0, data_variance=1.0)
    assert not [issue for issue in result.issues if issue.kind == "regularised"]
    np.testing.assert_array_equal(result.params.covariances[0], SINGULAR + 100.0 * np.eye(2))
