"""``random-means`` draws its means from the data's distinct rows, found without
``np.unique`` (whose first call imports ``numpy.ma`` before the window's first paint):
the same rows in the same order as ``np.unique(X, axis=0)``, so the same seed still
gives the same start."""

from __future__ import annotations

import numpy as np
import pytest

from gmmviewer.core.em.initialization import distinct_rows, initialize


def with_repeats(rng: np.random.Generator, n: int, d: int, dtype=float) -> np.ndarray:
    """Rows on a coarse grid (ties in every column) with whole rows repeated."""
    X = rng.integers(-3, 4, size=(n, d)).astype(dtype) / 2
    return np.concatenate([X, X[rng.integers(0, n, size=n // 2)]])[rng.permutation(n + n // 2)]


@pytest.mark.parametrize("d", [1, 2, 3, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_distinct_rows_are_numpy_s_unique_rows(d, dtype):
    rng = np.random.default_rng(d)
    for X in (with_repeats(rng, 200, d, dtype), rng.normal(size=(50, d)).astype(dtype)):
        rows = distinct_rows(X)
        expected = np.unique(X, axis=0)
        assert rows.dtype == expected.dtype
        np.testing.assert_array_equal(rows, expected)


def test_distinct_rows_of_no_rows_and_of_one_row():
    assert distinct_rows(np.zeros((0, 2))).shape == (0, 2)
    np.testing.assert_array_equal(distinct_rows(np.array([[1.0, 2.0]])), [[1.0, 2.0]])
    np.testing.assert_array_equal(distinct_rows(np.ones((4, 3))), np.ones((1, 3)))


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_random_means_start_where_numpy_s_unique_rows_would_put_them(seed):
    rng = np.random.default_rng(100 + seed)
    X = with_repeats(rng, 300, 2)
    k = 4
    params = initialize(X, k, "random-means", seed=seed)
    # The method as documented, with np.unique: K distinct rows drawn by the seed's rng.
    pool = np.unique(X, axis=0)
    expected = pool[np.random.default_rng(seed).choice(len(pool), size=k, replace=False)]
    np.testing.assert_array_equal(params.means, expected)
