"""The window's structure: the view-state model, the plot-view interface, the one presenter,
navigation answered by the core, and the controller as the one owner of behaviour."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from PySide6 import QtCore
from scipy import stats

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.session.recording import history_states
from gmmviewer.ui.views.colours import component_colours
from gmmviewer.ui.views.histogram_view import HistogramView
from gmmviewer.ui.views.plot_view import PlotView
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.window.view_state import ViewState

Key = QtCore.Qt.Key


# ====================================================================== view state
class DictSettings:
    """A QSettings stand-in with INI semantics: every value comes back as a string."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def value(self, key, default=None):
        return self.values.get(key, default)

    def setValue(self, key, value):  # noqa: N802 - QSettings' name
        self.values[key] = str(value).lower() if isinstance(value, bool) else str(value)


def test_view_state_emits_each_real_change_once():
    state = ViewState()
    seen: list[str] = []
    state.changed.connect(seen.append)
    assert state.update(contours=True, log_nll=False) == ["contours"]
    assert state.update(contours=True) == []
    state.update(scale=99.0, speed=-1.0, theme="neon", inspected=-1)
    assert state.scale == 3.0 and state.speed == 0.25 and state.theme == "light"
    assert state.inspected is None
    assert seen == ["contours", "scale", "speed"]
    with pytest.raises(AttributeError):
        state.update(colour="red")


def test_view_state_round_trips_through_ini_style_settings():
    store = DictSettings()
    first = ViewState()
    first.update(contours=True, truth=True, theme="dark", scale=1.5, speed=9.0, embed_data=False)
    first.save(store)
    assert store.values["view/contours"] == "true"  # what an INI file hands back
    second = ViewState()
    second.load(store)
    for name in ("contours", "truth", "theme", "scale", "speed", "embed_data", "log_nll"):
        assert getattr(second, name) == getattr(first, name), name
    store.values["view/scale"] = "not a number"
    third = ViewState()
    third.load(store)
    assert third.scale == 1.0  # a bad value keeps the default


def test_actions_and_view_state_agree_both_ways(qtbot, window):
    qtbot.keyClick(window, Key.Key_C)
    assert window.view_state.contours
    window.view_state.update(contours=False, bound=True)
    assert not window.actions_by_name["contours"].isChecked()
    assert window.actions_by_name["bound"].isChecked()
    assert window.nll_view.bound_shown
    qtbot.keyClick(window, Key.Key_D, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.view_state.theme == "dark" and window.scatter.theme.name == "dark"


# ================================================================ plot interface
INTERFACE = [
    name
    for name, member in vars(PlotView).items()
    if inspect.isfunction(member) and "raise NotImplementedError" in inspect.getsource(member)
]


@pytest.mark.parametrize("view_class", [ScatterView, HistogramView])
def test_both_plot_views_implement_the_whole_interface(view_class):
    assert {"set_data", "show_components", "show_density", "show_truth", "show_kmeans"} <= set(
        INTERFACE
    )
    for name in INTERFACE:
        assert getattr(view_class, name) is not getattr(PlotView, name), name


def test_one_column_density_curve_is_the_scipy_mixture(qtbot, window):
    assert window.controller.load_dataset(make_preset("bimodal-1d", 300, seed=4), 2, "kmeans", 0)
    qtbot.keyClick(window, Key.Key_Space)
    qtbot.keyClick(window, Key.Key_C)
    params = window.controller.session.params
    xs, density = window.histogram.density_curve.getData()
    components = zip(
        params.weights, params.means[:, 0], params.covariances.reshape(-1), strict=True
    )
    expected = sum(w * stats.norm.pdf(xs, m, np.sqrt(v)) for w, m, v in components)
    np.testing.assert_allclose(density, expected, rtol=1e-10)
    qtbot.keyClick(window, Key.Key_C)
    assert not window.histogram.density_curve.isVisible()


# ===================================================================== navigation
def test_home_and_end_go_to_the_ends_of_the_current_run(qtbot, window):
    session = window.controller.session
    for _ in range(3):
        qtbot.keyClick(window, Key.Key_Space)
    first_run_end = session.position
    window.controller.reinitialize(seed=5)
    for _ in range(2):
        qtbot.keyClick(window, Key.Key_Space)
    second_start = first_run_end + 1
    # Into the first run, then Home and End stay inside it.
    window.controller.go_to(2)
    qtbot.keyClick(window, Key.Key_End)
    assert session.position == first_run_end
    qtbot.keyClick(window, Key.Key_Home)
    assert session.position == 0
    window.controller.go_to(second_start + 1)
    qtbot.keyClick(window, Key.Key_End)
    assert session.position == len(session.history) - 1
    qtbot.keyClick(window, Key.Key_Home)
    assert session.position == second_start
    assert session.history[session.position].action == "initialise"
    # The NLL view shows exactly that run.
    curve = window.nll_view.curve
    assert list(curve.history_indices) == list(range(second_start, len(session.history)))


# =================================================================== one presenter
def test_recorded_frames_carry_the_posterior_the_window_draws(qtbot, window):
    from sklearn.mixture import GaussianMixture

    session = window.controller.session
    for _ in range(2):
        qtbot.keyClick(window, Key.Key_Space)
    qtbot.keyClick(window, Key.Key_E)
    (frame,) = history_states(session, session.position, session.position)
    source = frame.state.resp_params
    oracle = GaussianMixture(source.n_components, covariance_type="full")
    oracle.weights_, oracle.means_, oracle.covariances_ = (
        source.weights,
        source.means,
        source.covariances,
    )
    oracle.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(source.covariances))
    expected = oracle.predict_proba(session.X)
    np.testing.assert_allclose(frame.responsibilities, expected, atol=1e-12)
    # The window's points are those responsibilities blended, drawn by the same presenter.
    colours = window.scatter.points.colours()
    palette = component_colours(source.n_components).astype(float)
    np.testing.assert_allclose(colours, expected @ palette, atol=1.0)
