"""Uncertainty colouring: U colours points by 1 - max r on a ramp, with a colour bar.

The expected colours come from pyqtgraph's own ColorMap interpolation of the ramp's stops
(an implementation independent of gmmviewer's lookup table) applied to ``1 - max r``
computed here from the session's responsibilities; they are compared with the colour
array the points item really holds.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from gmmviewer.core.analysis.uncertainty import UNCERTAINTY_STOPS
from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.ui.views.colours import NEUTRAL_GREY, blend, component_colours

Key = QtCore.Qt.Key


def expected_colours(resp: np.ndarray) -> np.ndarray:
    k = resp.shape[1]
    values = (1.0 - resp.max(axis=1)) / (1.0 - 1.0 / k)
    ramp = pg.ColorMap(
        [stop for stop, _ in UNCERTAINTY_STOPS], [colour for _, colour in UNCERTAINTY_STOPS]
    )
    return ramp.map(values, mode="byte")[:, :3]


def assert_on_ramp(window) -> None:
    resp = window.controller.session.responsibilities
    shown = window.scatter.points.colours().astype(int)
    # One 256-entry table step, and rounding, away from the exact interpolation.
    assert np.abs(shown - expected_colours(resp).astype(int)).max() <= 2


def test_u_colours_points_by_uncertainty_and_back(qtbot, window):
    action = window.actions_by_name["uncertainty"]
    qtbot.keyClick(window, Key.Key_E)
    resp = window.controller.session.responsibilities
    blended = blend(resp, component_colours(3), len(resp))
    np.testing.assert_array_equal(window.scatter.points.colours(), blended)
    qtbot.keyClick(window, Key.Key_U)
    assert action.isChecked() and window.view_state.uncertainty
    assert_on_ramp(window)
    # The most certain point is the ramp's pale grey; the least certain one is redder.
    u = 1 - resp.max(axis=1)
    shown = window.scatter.points.colours().astype(int)
    assert u.min() < 0.05
    assert np.abs(shown[np.argmin(u)] - UNCERTAINTY_STOPS[0][1]).max() <= 15
    assert shown[np.argmax(u), 1] < shown[np.argmin(u), 1] - 100
    qtbot.keyClick(window, Key.Key_U)
    assert not action.isChecked()
    np.testing.assert_array_equal(window.scatter.points.colours(), blended)
    assert window.scatter.colour_bar is None or window.scatter.colour_bar.scene() is None


def test_colours_follow_every_e_step(qtbot, window):
    qtbot.keyClick(window, Key.Key_U)
    for _ in range(3):
        qtbot.keyClick(window, Key.Key_Space)
    qtbot.keyClick(window, Key.Key_E)
    assert window.controller.session.iteration == 3
    assert_on_ramp(window)


def test_before_the_first_e_step_points_are_grey_and_the_bar_says_so(qtbot, window):
    qtbot.keyClick(window, Key.Key_U)
    colours = window.scatter.points.colours()
    assert np.all(colours == np.array(NEUTRAL_GREY, dtype=np.uint8))
    bar = window.scatter.colour_bar
    assert bar is not None and bar.scene() is window.scatter.plot_item.scene()
    assert "after" in bar.getAxis("left").labelText and "E-step" in bar.getAxis("left").labelText
    qtbot.keyClick(window, Key.Key_E)
    assert bar.getAxis("left").labelText == "uncertainty 1 \u2212 max r"
    assert bar.levels() == (0.0, 1.0 - 1.0 / 3)
    assert_on_ramp(window)


def test_the_ramp_reaches_its_top_at_an_even_share(qtbot, window):
    """With K = 2 the top of the bar is 0.5, where a point is shared half and half."""
    dataset = make_preset("lecture", n_samples=400, seed=2)
    assert window.controller.load_dataset(dataset, 2, "random-means", 0)
    qtbot.keyClick(window, Key.Key_U)
    qtbot.keyClick(window, Key.Key_E)
    assert window.scatter.colour_bar.levels() == (0.0, 0.5)
    assert_on_ramp(window)


def test_the_toggle_persists_between_runs(qtbot, window, settings):
    qtbot.keyClick(window, Key.Key_U)
    qtbot.keyClick(window, Key.Key_J)
    window.save_settings()
    assert settings.value("view/uncertainty") in (True, "true")
    assert settings.value("view/membership") in (True, "true")
