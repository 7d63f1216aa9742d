"""fit() refuses non-finite and too-large data, and checks them without copying X."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from gmmviewer.core.data.extent import MAX_DATA_MAGNITUDE, check_data_magnitude
from gmmviewer.core.em.fit import fit
from gmmviewer.core.errors import DataError, ParameterError


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", [(0, 0), (-1, 1), (57, 1)])
def test_fit_refuses_a_single_non_finite_value_anywhere(bad, where):
    X = np.random.default_rng(0).normal(size=(200, 2))
    X[where] = bad
    with pytest.raises(ParameterError, match="missing or non-finite"):
        fit(X, 2)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_data_beyond_the_largest_magnitude_are_refused_by_column(sign):
    X = np.zeros((50, 3))
    X[7, 2] = sign * 2 * MAX_DATA_MAGNITUDE
    with pytest.raises(DataError, match="column 'x3'"):
        check_data_magnitude(X)
    X[7, 2] = sign * MAX_DATA_MAGNITUDE
    check_data_magnitude(X)  # at the limit: accepted


def test_the_checks_of_a_fit_make_no_copy_of_the_data():
    X = np.random.default_rng(1).normal(size=(2_000_000, 2))
    start = fit(X[:2000], 2, max_iter=2).params
    tracemalloc.start()
    try:
        fit(X, 2, init_params=start, max_iter=1, tol=0.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Chunk scratch (about 4 MB per pass thread) and small arrays; a copy of X: 32 MB.
    assert peak < X.nbytes / 2
