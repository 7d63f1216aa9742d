"""Membership lines: J draws a line from each point to each mean with r > 0.05.

Driven through the real window: keys toggle and step, a drag moves a mean; what the
lines item draws (read back from its line arrays) is compared with the session's
responsibilities, the data and the means.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore
from uihelpers import mouse_drag

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.ui.overlays.membership_item import ALPHA_LEVELS, MAX_POINTS
from gmmviewer.ui.views.colours import component_colours

Key = QtCore.Qt.Key
#: Pairs with a responsibility above this get a line (the feature's definition).
THRESHOLD = 0.05


def check_lines(window, rows=None):
    """The drawn lines are exactly the pairs with r > 0.05, from the point to the mean,
    with the opacity of the responsibility's bin; ``rows`` the points that have lines."""
    session = window.controller.session
    item = window.responsibility_views.membership
    X, resp, means = session.X, session.responsibilities, session.params.means
    if rows is None:
        rows = np.arange(session.n_samples)
    segments, components, opacities = item.drawn_lines()
    expected = {(int(n), int(k)) for n, k in zip(*np.nonzero(resp[rows] > THRESHOLD), strict=True)}
    # Which row each line starts at: points are distinct, so the start identifies it.
    lookup = {tuple(X[n]): i for i, n in enumerate(rows)}
    drawn = {(lookup[tuple(seg[:2])], int(k)) for seg, k in zip(segments, components, strict=True)}
    assert len(segments) == len(expected)
    assert drawn == expected
    np.testing.assert_array_equal(segments[:, 2:], means[components])
    r = resp[rows][[lookup[tuple(seg[:2])] for seg in segments], components]
    bin_width = (1 - THRESHOLD) / ALPHA_LEVELS
    assert np.all(np.abs(opacities - r) <= bin_width / 2 + 1e-12)
    return len(segments)


def test_j_toggles_the_lines_which_wait_for_the_first_e_step(qtbot, window):
    action = window.actions_by_name["membership"]
    item = window.responsibility_views.membership
    assert not action.isChecked() and item.line_count() == 0
    qtbot.keyClick(window, Key.Key_J)
    assert action.isChecked() and window.view_state.membership
    assert item.line_count() == 0
    assert "after the first E-step" in item.note_text
    qtbot.keyClick(window, Key.Key_E)
    assert window.controller.session.next_step == "M"
    assert check_lines(window) > window.controller.session.n_samples  # some points share
    assert item.note_text == ""
    qtbot.keyClick(window, Key.Key_J)
    assert not action.isChecked() and item.line_count() == 0


def test_lines_follow_e_steps_m_steps_and_a_dragged_mean(qtbot, window):
    qtbot.keyClick(window, Key.Key_J)
    for _ in range(2):
        qtbot.keyClick(window, Key.Key_Space)
    session = window.controller.session
    assert session.iteration == 2
    check_lines(window)  # the M-step's new means, the previous E-step's q
    qtbot.keyClick(window, Key.Key_E)
    check_lines(window)
    before = session.params.means.copy()
    scatter = window.scatter
    start = QtCore.QPointF(scatter.data_to_pixel(*before[0]))
    mouse_drag(scatter.plot_widget, start, start + QtCore.QPointF(50, 40))
    assert session.state.action == "move mean"
    assert not np.allclose(session.params.means[0], before[0])
    check_lines(window)
    segments, components, _ = window.responsibility_views.membership.drawn_lines()
    assert np.all(segments[components == 0, 2:] == session.params.means[0])


def test_lines_are_in_the_component_colours(qtbot, window):
    qtbot.keyClick(window, Key.Key_J)
    qtbot.keyClick(window, Key.Key_E)
    item = window.responsibility_views.membership
    np.testing.assert_array_equal(item._colours, component_colours(3))


def test_above_five_thousand_points_a_fixed_subsample_has_lines_and_a_note(qtbot, window):
    dataset = make_preset("lecture", n_samples=MAX_POINTS + 1_500, seed=4)
    assert window.controller.load_dataset(dataset, 3, "random-means", 0)
    qtbot.keyClick(window, Key.Key_J)
    qtbot.keyClick(window, Key.Key_E)
    views = window.responsibility_views
    rows = views.line_rows(window.controller.session)
    assert rows is not None and len(rows) == MAX_POINTS and len(np.unique(rows)) == MAX_POINTS
    check_lines(window, rows)
    assert "5,000 of 6,500 points" in views.membership.note_text
    assert views.membership.note.isVisible()
    # The same points keep their lines after the next step.
    qtbot.keyClick(window, Key.Key_M)
    qtbot.keyClick(window, Key.Key_E)
    np.testing.assert_array_equal(views.line_rows(window.controller.session), rows)
    check_lines(window, rows)


def test_lines_follow_the_columns_shown(qtbot, window, iris_path):
    from gmmviewer.core.files.csv_reader import load_csv

    assert window.controller.load_dataset(load_csv(iris_path), 3, "kmeans", 0)
    qtbot.keyClick(window, Key.Key_J)
    qtbot.keyClick(window, Key.Key_E)
    window.column_chooser.x_combo.setCurrentIndex(2)
    window.column_chooser.y_combo.setCurrentIndex(3)
    assert window.controller.dims == (2, 3)
    session = window.controller.session
    segments, components, _ = window.responsibility_views.membership.drawn_lines()
    np.testing.assert_array_equal(segments[:, 2:], session.params.means[components][:, [2, 3]])
    starts = {tuple(row) for row in session.X[:, [2, 3]]}
    assert all(tuple(seg[:2]) in starts for seg in segments)


@pytest.mark.parametrize("dims", [(0,)])
def test_one_column_data_has_no_lines_and_says_why(qtbot, window, dims):
    dataset = make_preset("lecture", n_samples=300, seed=1)
    one_column = dataset.X[:, :1]
    from gmmviewer.core.data.dataset import Dataset

    assert window.controller.load_dataset(Dataset(one_column, ("x",)), 2, "kmeans", 0)
    assert window.controller.dims == dims
    qtbot.keyClick(window, Key.Key_J)
    assert "two columns" in window.status_view.note
    qtbot.keyClick(window, Key.Key_E)
    assert window.controller.session.responsibilities is not None
    assert window.responsibility_views.membership.line_count() == 0
