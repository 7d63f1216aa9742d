"""Uncertainty 1 - max r and its colour ramp, checked by hand and at the ramp's stops."""

from __future__ import annotations

import numpy as np
import pytest

from gmmviewer.core.analysis.uncertainty import (
    UNCERTAINTY_STOPS,
    uncertainty,
    uncertainty_colours,
    uncertainty_top,
)


def test_uncertainty_is_one_minus_the_largest_responsibility():
    resp = np.array([[1.0, 0.0, 0.0], [0.5, 0.3, 0.2], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(uncertainty(resp), [0.0, 0.5, 2 / 3], atol=1e-7)


@pytest.mark.parametrize("k, top", [(1, 1.0), (2, 0.5), (3, 2 / 3), (10, 0.9)])
def test_the_ramp_tops_out_at_an_even_share(k, top):
    assert uncertainty_top(k) == pytest.approx(top)


def test_certain_points_take_the_first_stop_and_even_shares_the_last():
    first, last = UNCERTAINTY_STOPS[0][1], UNCERTAINTY_STOPS[-1][1]
    resp = np.array([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    np.testing.assert_array_equal(uncertainty_colours(resp), np.array([first, last], np.uint8))


def test_colours_lose_green_steadily_along_the_ramp():
    values = np.linspace(0.0, 0.5, 51)
    resp = np.column_stack([1 - values, values])
    colours = uncertainty_colours(resp).astype(int)
    assert np.all(np.diff(colours[:, 1]) <= 0)  # ever less green: paler to redder
