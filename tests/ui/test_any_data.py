"""Issue 5 from the window: one-column and many-column data, editing components, saved
sessions, animation export and themes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6 import QtCore
from scipy.stats import norm
from uihelpers import WAIT_TIMEOUT_MS, image_colours, mouse_click, mouse_drag, shown_title

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.em.fit import fit
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.ui.export.animation import AnimationSettings
from gmmviewer.ui.views.colours import component_colours
from gmmviewer.ui.views.theme import Theme, qcolor

Key = QtCore.Qt.Key


def wait_recorded(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.files.recorder.running, timeout=WAIT_TIMEOUT_MS)


# =========================================================================== one column
@pytest.fixture
def one_column(window):
    data = make_preset("bimodal-1d", 400, seed=1)
    assert window.controller.load_dataset(data, 2, "random-means", 2)
    return window


def test_one_column_data_shows_a_histogram_with_densities(qtbot, one_column):
    window = one_column
    session = window.controller.session
    assert window.controller.plot is window.histogram
    assert window.plot_stack.currentWidget() is window.histogram
    assert window.actions_by_name["contours"].isEnabled()  # 1-D: the density curve
    view = window.histogram
    edges, heights = view.histogram.getData()
    # A density histogram of the data over the drawn bins (numpy's, independently).
    np.testing.assert_allclose(heights, np.histogram(session.X[:, 0], edges, density=True)[0])
    for _ in range(3):
        qtbot.keyClick(window, Key.Key_Space)
    params = session.params
    grid, mixture = view.mixture_curve.getData()
    assert grid.min() <= session.X.min() and grid.max() >= session.X.max()
    # Each curve is w_k N(x | mu_k, sigma_k^2), evaluated by scipy on the drawn grid.
    expected = np.array(
        [
            w * norm.pdf(grid, loc=mean, scale=np.sqrt(variance))
            for w, mean, variance in zip(
                params.weights, params.means[:, 0], params.covariances.reshape(-1), strict=True
            )
        ]
    )
    np.testing.assert_allclose(mixture, expected.sum(axis=0), rtol=1e-10, atol=1e-300)
    assert len(view.component_curves) == len(expected)
    for k, curve in enumerate(view.component_curves):
        curve_x, curve_y = curve.getData()
        np.testing.assert_array_equal(curve_x, grid)
        np.testing.assert_allclose(curve_y, expected[k], rtol=1e-10, atol=1e-300)
    np.testing.assert_allclose([line.value() for line in view.mean_lines], params.means[:, 0])
    # Every control works as in 2-D: run to convergence like the headless fit.
    window.controller.set_speed(100)
    qtbot.keyClick(window, Key.Key_R)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=WAIT_TIMEOUT_MS)
    headless = fit(session.dataset, init_params=session.history[0].params)
    assert session.iteration == headless.n_iter
    np.testing.assert_allclose(session.params.means, headless.params.means, rtol=1e-9)


def test_dragging_a_mean_line_moves_the_mean_along_the_axis(qtbot, one_column):
    window = one_column
    session = window.controller.session
    view = window.histogram
    before = session.params.means.copy()
    line = view.mean_lines[0]
    start = QtCore.QPointF(view.data_to_pixel(float(line.value()), 0.0))
    end = start + QtCore.QPointF(80, 0)
    mouse_drag(view.plot_widget, start, end)
    shift = view.pixel_to_data(end).x() - view.pixel_to_data(start).x()
    assert session.state.action == "move mean"
    assert session.params.means[0, 0] == pytest.approx(before[0, 0] + shift, abs=1e-6)
    assert session.params.means[1, 0] == before[1, 0]
    qtbot.keyClick(window, Key.Key_Left)
    np.testing.assert_array_equal(session.params.means, before)


def test_clicking_a_rug_point_inspects_it(qtbot, one_column):
    window = one_column
    qtbot.keyClick(window, Key.Key_E)
    index = 17
    x, y = window.histogram.rug_position(index)
    mouse_click(window.histogram.plot_widget, QtCore.QPointF(window.histogram.data_to_pixel(x, y)))
    assert window.teaching.inspected == index
    np.testing.assert_allclose(
        window.inspector.responsibilities, window.controller.session.responsibilities[index]
    )


# ========================================================================= four columns
def test_four_columns_fit_all_and_show_a_chosen_pair(qtbot, window, iris_path):
    dataset = load_csv(iris_path)
    assert window.controller.load_dataset(dataset, 3, "kmeans", 0)
    session = window.controller.session
    assert session.n_features == 4
    chooser = window.column_chooser
    assert chooser.isVisible() and chooser.x_combo.count() == 4
    chooser.x_combo.setCurrentIndex(2)
    chooser.y_combo.setCurrentIndex(3)
    assert window.controller.dims == (2, 3)
    assert window.scatter.plot_item.getAxis("bottom").labelText == "petal_length"
    np.testing.assert_array_equal(window.scatter.points.positions(), session.X[:, [2, 3]])
    for _ in range(2):
        qtbot.keyClick(window, Key.Key_Space)
    # The ellipses are the marginal covariances of the pair shown.
    full = session.params.full_covariances()
    for k, curves in enumerate(window.scatter.ellipses):
        x, y = curves[0].getData()
        outline = np.column_stack([x, y]) - session.params.means[k, [2, 3]]
        inverse = np.linalg.inv(full[k][np.ix_([2, 3], [2, 3])])
        radii = np.einsum("ni,ij,nj->n", outline, inverse, outline)
        np.testing.assert_allclose(radii, 1.0, rtol=1e-9)  # the 1-sd ellipse
    # Dragging edits just the two coordinates shown.
    before = session.params.means.copy()
    start = QtCore.QPointF(window.scatter.data_to_pixel(*before[0, [2, 3]]))
    mouse_drag(window.scatter.plot_widget, start, start + QtCore.QPointF(40, 30))
    after = session.params.means
    np.testing.assert_array_equal(after[0, [0, 1]], before[0, [0, 1]])
    assert not np.allclose(after[0, [2, 3]], before[0, [2, 3]])


# ====================================================================== add and remove
def test_add_and_remove_components_from_the_plot_menu(qtbot, window):
    session = window.controller.session
    menu = window.build_context_menu(2.0, 3.0, -1)
    add = menu.findChild(QtCore.QObject, "add_component")
    add.trigger()
    assert session.n_components == 4
    np.testing.assert_allclose(session.params.means[3], [2.0, 3.0])
    assert session.params.weights.sum() == pytest.approx(1.0)
    assert window.controls.k_spin.value() == 4
    assert len(window.scatter.handles) == 4
    menu = window.build_context_menu(0.0, 0.0, 1)
    remove = menu.findChild(QtCore.QObject, "remove_component")
    assert remove.text() == "Remove component 2"
    remove.trigger()
    assert session.n_components == 3
    assert window.controls.k_spin.value() == 3
    qtbot.keyClick(window, Key.Key_Left)
    assert session.n_components == 4
    qtbot.keyClick(window, Key.Key_Left)
    assert session.n_components == 3 and session.state.action == "initialise"
    qtbot.keyClick(window, Key.Key_Space)  # EM goes on with the edited model
    assert np.all(np.isfinite(session.params.means))


def test_right_clicking_a_mean_offers_to_remove_it(qtbot, window):
    scatter = window.scatter
    mean = window.controller.session.params.means[2]
    mouse_click(
        scatter.plot_widget,
        QtCore.QPointF(scatter.data_to_pixel(*mean)),
        QtCore.Qt.MouseButton.RightButton,
    )
    menu = window.context_menu
    assert menu is not None and menu.isVisible()
    assert menu.findChild(QtCore.QObject, "remove_component").text() == "Remove component 3"
    menu.close()


# =========================================================================== sessions
def test_a_saved_session_reopens_identical(qtbot, window, tmp_path):
    session = window.controller.session
    for _ in range(3):
        qtbot.keyClick(window, Key.Key_Space)
    session.move_mean(0, [0.0, 0.0])
    qtbot.keyClick(window, Key.Key_Space)
    qtbot.keyClick(window, Key.Key_Left)
    window.controls.tol_spin.setValue(0.0005)
    assert shown_title(window) == "lecture demo* — gmmviewer"  # unsaved changes
    path = tmp_path / "lesson.gmmv"
    assert window.files.save_session(str(path))
    assert not window.isWindowModified()
    assert shown_title(window) == "lesson.gmmv — gmmviewer"
    window.controller.load_demo()
    assert window.files.open_session(str(path))
    restored = window.controller.session
    assert restored is not session
    assert len(restored.history) == len(session.history)
    assert restored.position == session.position
    for a, b in zip(restored.history, session.history, strict=True):
        assert a.params.equals(b.params) and a.action == b.action
        assert a.log_likelihood == b.log_likelihood
    assert restored.tol == pytest.approx(0.0005)
    np.testing.assert_allclose(
        window.nll_view.curve.nll, [-s.log_likelihood for s in restored.history]
    )
    qtbot.keyClick(window, Key.Key_Right)  # the redo branch came back too
    assert restored.position == len(restored.history) - 1
    assert window.isWindowModified()


def test_opening_a_corrupt_session_keeps_the_one_on_screen(qtbot, window, tmp_path):
    path = tmp_path / "broken.gmmv"
    path.write_bytes(b"PK\x03\x04 not a zip at all")
    session = window.controller.session
    qtbot.keyClick(window, Key.Key_Space)
    state = session.state
    assert not window.files.open_session(str(path))
    assert "not a gmmviewer session" in window.last_error_box.text()
    assert window.controller.session is session and session.state is state


def test_saving_to_an_unwritable_place_is_an_error(qtbot, window, tmp_path):
    assert not window.files.save_session(str(tmp_path / "missing" / "s.gmmv"))
    assert "cannot write" in window.last_error_box.text()


def test_the_command_line_opens_a_session(qtbot, window, tmp_path):
    from test_app import launch

    qtbot.keyClick(window, Key.Key_Space)
    path = tmp_path / "cli.gmmv"
    assert window.files.save_session(str(path))
    result = launch(tmp_path, str(path))
    assert result.returncode == 0, result.stderr
    assert "title: cli.gmmv — gmmviewer N = 600" in result.stdout


# ========================================================================== animation
def test_animation_has_one_frame_per_half_step(qtbot, window, tmp_path):
    session = window.controller.session
    qtbot.keyClick(window, Key.Key_Space)
    before = (session.state, len(session.history))
    gif = tmp_path / "em.gif"
    frames = tmp_path / "frames"
    settings = AnimationSettings(str(gif), str(frames), fps=5, width=480, height=360)
    assert window.files.export_animation(settings) is not None
    wait_recorded(qtbot, window)
    # The recording ran on a copy: the session on screen did not move.
    assert (session.state, len(session.history)) == before
    copy_run = fit(session.X, init_params=session.params, tol=session.tol)
    half_steps = 2 * copy_run.n_iter
    with Image.open(gif) as image:
        assert image.size == (480, 360)
        assert image.n_frames == half_steps + 1  # the current state, then each half-step
        assert image.info["duration"] == 200
    pngs = sorted(frames.glob("frame_*.png"))
    assert len(pngs) == half_steps + 1
    with Image.open(pngs[1]) as first_e_step:
        assert first_e_step.size == (480, 360)
    assert "Wrote" in window.status_view.note


def test_animation_of_a_history_range(qtbot, window, tmp_path):
    for _ in range(3):
        qtbot.keyClick(window, Key.Key_Space)
    gif = tmp_path / "range.gif"
    settings = AnimationSettings(str(gif), "", fps=2, width=320, height=240)
    window.files.export_animation(settings, (1, 5))
    wait_recorded(qtbot, window)
    with Image.open(gif) as image:
        assert image.n_frames == 5 and image.size == (320, 240)


@pytest.mark.parametrize(
    "outputs, message",
    [
        (AnimationSettings("{tmp}/missing/em.gif"), "folder does not exist"),
        (AnimationSettings("{tmp}/em.png"), "must end in .gif"),
        (AnimationSettings("", ""), "choose a GIF file"),
        (AnimationSettings("{tmp}/em.gif", fps=500), "frame rate"),
    ],
)
def test_bad_animation_outputs_are_refused(qtbot, window, tmp_path, outputs, message):
    bad = AnimationSettings(
        outputs.gif_path.format(tmp=tmp_path),
        outputs.frames_dir,
        outputs.fps,
        outputs.width,
        outputs.height,
    )
    state = window.controller.session.state
    assert window.files.export_animation(bad) is None
    assert message in window.last_error_box.text()
    assert window.controller.session.state is state


# ============================================================================= themes
def test_dark_and_light_themes_restyle_plots_and_widgets(qtbot, window):
    def plot_corner() -> np.ndarray:
        pixels = image_colours(window.scatter.plot_widget.grab().toImage())
        return pixels[5, -5, :3][::-1]  # RGB of a background pixel

    assert tuple(plot_corner()) == (255, 255, 255)  # light by default, for projectors
    window.actions_by_name["dark_theme"].trigger()
    dark = Theme.dark()
    background = qcolor(dark.plot_background)
    assert tuple(plot_corner()) == (background.red(), background.green(), background.blue())
    palette_window = window.palette().color(window.palette().ColorRole.Window)
    assert palette_window == qcolor(dark.window)
    nll_pixels = image_colours(window.nll_view.plot_widget.grab().toImage())
    assert tuple(nll_pixels[5, -5, :3][::-1]) == tuple(plot_corner())
    window.actions_by_name["dark_theme"].trigger()
    assert tuple(plot_corner()) == (255, 255, 255)


def test_theme_persists(qtbot, settings):
    from gmmviewer.ui.window.main_window import MainWindow

    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.actions_by_name["dark_theme"].setChecked(True)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert second.theme.name == "dark"
    assert second.actions_by_name["dark_theme"].isChecked()
    second.actions_by_name["dark_theme"].setChecked(False)


def test_component_colours_are_the_legend_colours(window):
    colours = component_colours(3)
    for curves, colour in zip(window.scatter.ellipses, colours, strict=True):
        pen = curves[0].opts["pen"]
        assert (pen.color().red(), pen.color().green(), pen.color().blue()) == tuple(colour)
