"""EM > Fast arithmetic (float32): the current run again in a float32 session, and back."""

from __future__ import annotations

import numpy as np
import pytest


def test_fast_arithmetic_starts_the_run_again_in_float32_and_back(window):
    controller = window.controller
    for _ in range(3):
        controller.step()
    exact = controller.session
    start = exact.history[exact.run_bounds()[0]].params
    action = window.actions_by_name["fast_float32"]
    assert not action.isChecked()
    action.trigger()
    fast = controller.session
    assert fast is not exact and fast.dtype == "float32"
    assert action.isChecked()
    assert "float32" in window.status_view.labels["size"].text()
    np.testing.assert_array_equal(fast.params.means, start.means)
    for _ in range(3):
        controller.step()
    assert fast.responsibilities.dtype == np.float32
    # The same three iterations in float64, as the README's accuracy promises.
    assert fast.state.log_likelihood == pytest.approx(exact.state.log_likelihood, rel=1e-6)
    action.trigger()
    assert controller.session.dtype == "float64"
    assert not action.isChecked()
