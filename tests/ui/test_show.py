"""``gmmviewer.show``: the window on an array, a data frame, a Dataset or a session, from a
script (blocking, in a subprocess) or a notebook (non-blocking: IPython's ``%gui qt`` or
a running event loop), returning the live session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import shiboken6
from PySide6 import QtCore, QtWidgets
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from uihelpers import WAIT_TIMEOUT_MS, shown_title

import gmmviewer
from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import DataError, ParameterError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.interactive import session_from
from gmmviewer.ui.show import event_loop_running, ipython_runs_qt, open_windows

LEFT = QtCore.Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def settings_store(tmp_path, qapp):
    """The windows' settings go to a temporary folder, never the user's."""
    formats = (QtCore.QSettings.Format.NativeFormat, QtCore.QSettings.Format.IniFormat)
    user = QtCore.QSettings.Scope.UserScope
    for kind in formats:
        QtCore.QSettings.setPath(kind, user, str(tmp_path / "settings"))
    yield tmp_path / "settings"
    default = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    for kind in formats:
        QtCore.QSettings.setPath(kind, user, default)


@pytest.fixture(autouse=True)
def close_shown_windows(qtbot):
    """Whatever a test left open is closed (without questions) and deleted."""
    yield
    for window in main_windows():
        window.controller.mark_saved()
        window.close()
        window.deleteLater()
    qtbot.waitUntil(lambda: not main_windows() and not open_windows(), timeout=WAIT_TIMEOUT_MS)


def main_windows() -> list[QtWidgets.QMainWindow]:
    """gmmviewer windows that exist now."""
    return [
        widget
        for widget in QtWidgets.QApplication.topLevelWidgets()
        if shiboken6.isValid(widget) and widget.objectName() == "main_window"
    ]


def window_showing(session: EMSession) -> QtWidgets.QMainWindow:
    (window,) = [w for w in main_windows() if w.controller.session is session]
    return window


def test_show_opens_a_window_on_an_array_and_returns_its_live_session(
    qtbot, faithful, unsaved_answers
):
    session = gmmviewer.show(faithful, n_components=2, block=False, title="Old Faithful")
    assert isinstance(session, EMSession)
    np.testing.assert_array_equal(session.X, faithful)
    window = window_showing(session)
    qtbot.waitExposed(window, timeout=WAIT_TIMEOUT_MS)
    assert window.isVisible()
    assert shown_title(window) == "Old Faithful — gmmviewer"
    unsaved_answers.window = window

    qtbot.mouseClick(window.controls.buttons["step"], LEFT)
    assert session.iteration == 1
    assert [state.action for state in session.history] == ["initialise", "e-step", "m-step"]
    assert shown_title(window) == "Old Faithful* — gmmviewer"  # modified, yet...

    window.close()  # ...closing asks nothing: the caller holds the session
    qtbot.waitUntil(lambda: not main_windows(), timeout=WAIT_TIMEOUT_MS)
    assert unsaved_answers.answered == 0
    assert session.iteration == 1 and len(session.history) == 3
    # The closed window no longer listens: the session steps on without it.
    session.step()
    assert session.iteration == 2


def test_show_of_a_session_shows_that_very_session_both_ways(qtbot, faithful):
    session = EMSession(faithful, 2, init="random-from-data", seed=4)
    assert gmmviewer.show(session, block=False) is session
    window = window_showing(session)
    qtbot.waitExposed(window, timeout=WAIT_TIMEOUT_MS)
    # The notebook steps the session: the window follows.
    session.step()
    assert "Iteration 1" in window.status_view.text()
    # The window steps it: the notebook's reference sees it.
    qtbot.mouseClick(window.controls.buttons["step"], LEFT)
    assert session.iteration == 2
    assert "Iteration 2" in window.status_view.text()


def test_every_call_opens_its_own_window(qtbot, faithful):
    first = gmmviewer.show(faithful, n_components=2, block=False)
    second = gmmviewer.show(faithful[:, :1], n_components=3, block=False)
    assert first is not second
    assert {id(w) for w in main_windows()} == {id(window_showing(s)) for s in (first, second)}
    assert len(main_windows()) == 2
    qtbot.mouseClick(window_showing(second).controls.buttons["step"], LEFT)
    assert (first.iteration, second.iteration) == (0, 1)


def test_replacing_the_callers_session_asks_nothing_but_later_work_is_asked_about(
    qtbot, faithful, unsaved_answers
):
    session = gmmviewer.show(faithful, n_components=2, block=False)
    window = window_showing(session)
    unsaved_answers.window = window
    qtbot.mouseClick(window.controls.buttons["step"], LEFT)
    window.actions_by_name["demo"].trigger()
    assert window.controller.session is not session
    assert unsaved_answers.answered == 0
    # The demo exists only in the window: stepping it and closing asks (Discard here).
    qtbot.mouseClick(window.controls.buttons["step"], LEFT)
    window.close()
    qtbot.waitUntil(lambda: not main_windows(), timeout=WAIT_TIMEOUT_MS)
    assert unsaved_answers.answered == 1
    assert session.iteration == 1


BAD_CALLS = [
    ("missing values", lambda X, s: gmmviewer.show([[1.0, np.nan], [2.0, 3.0]]), DataError),
    ("text", lambda X, s: gmmviewer.show("not numbers"), DataError),
    ("ragged rows", lambda X, s: gmmviewer.show([[1.0, 2.0], [3.0]]), DataError),
    ("complex", lambda X, s: gmmviewer.show(X + 1j), DataError),
    ("no rows", lambda X, s: gmmviewer.show(np.zeros((0, 2))), DataError),
    ("3-D", lambda X, s: gmmviewer.show(np.zeros((4, 2, 2))), DataError),
    ("names", lambda X, s: gmmviewer.show(X, columns=["eruptions"]), DataError),
    ("K = 0", lambda X, s: gmmviewer.show(X, n_components=0), ParameterError),
    ("K > N", lambda X, s: gmmviewer.show(X[:3], n_components=4), ParameterError),
    ("K text", lambda X, s: gmmviewer.show(X, n_components="2"), ParameterError),
    ("covariance", lambda X, s: gmmviewer.show(X, covariance_type="bogus"), ParameterError),
    ("init", lambda X, s: gmmviewer.show(X, init="bogus"), ParameterError),
    ("seed", lambda X, s: gmmviewer.show(X, seed="one"), ParameterError),
    ("method", lambda X, s: gmmviewer.show(X, method="bayes"), ParameterError),
    ("block", lambda X, s: gmmviewer.show(X, block="yes"), ParameterError),
    (
        "params features",
        lambda X, s: gmmviewer.show(
            X, params=GMMParams(np.ones(1), np.zeros((1, 3)), np.ones((1, 3)), "diag")
        ),
        ParameterError,
    ),
    ("session and K", lambda X, s: gmmviewer.show(s, n_components=5), ParameterError),
    ("session and title", lambda X, s: gmmviewer.show(s, title="mine"), ParameterError),
]


@pytest.mark.parametrize(
    ("call", "error"), [(c, e) for _, c, e in BAD_CALLS], ids=[n for n, _, _ in BAD_CALLS]
)
def test_bad_input_raises_a_one_line_error_before_any_window_opens(qtbot, faithful, call, error):
    session = EMSession(faithful, 2)
    with pytest.raises(error) as raised:
        call(faithful, session)
    assert "\n" not in str(raised.value) and str(raised.value)
    assert main_windows() == []
    assert session.iteration == 0 and len(session.history) == 1


def test_bad_input_fails_before_qt_is_even_imported():
    code = (
        "import sys, gmmviewer\n"
        "try:\n"
        "    gmmviewer.show([[1.0, float('nan')], [2.0, 3.0]])\n"
        "except gmmviewer.DataError as error:\n"
        "    print('DataError:', error)\n"
        "print('Qt loaded:', 'PySide6' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "DataError: the data contain missing or non-finite values" in result.stdout
    assert "Qt loaded: False" in result.stdout


class FrameLike:
    """Stands in for a pandas DataFrame (not installed here): ``to_numpy()`` and ``columns``."""

    def __init__(self, values: np.ndarray, columns: list[str]) -> None:
        self._values, self.columns = values, columns

    def to_numpy(self) -> np.ndarray:
        return self._values


def test_a_data_frame_and_a_dataset_keep_or_take_column_names(faithful):
    frame = session_from(FrameLike(faithful, ["eruptions", "waiting"]), 2)
    assert frame.dataset.columns == ("eruptions", "waiting")
    np.testing.assert_array_equal(frame.X, faithful)
    series = SimpleNamespace(to_numpy=lambda: faithful[:, 1], name="waiting")
    assert session_from(series, 2).dataset.columns == ("waiting",)
    dataset = Dataset(faithful, columns=("a", "b"), source="faithful.csv")
    assert session_from(dataset, 2).dataset is dataset
    renamed = session_from(dataset, 2, columns=["eruptions", "waiting"]).dataset
    assert renamed.columns == ("eruptions", "waiting") and renamed.source == "faithful.csv"
    # params win over K; "vb" makes a variational session.
    start = EMSession(faithful, 3, seed=2).params
    assert session_from(faithful, params=start).params is not None
    assert session_from(faithful, params=start).n_components == 3
    assert session_from(faithful, 2, method="vb").state.variational is not None
    assert session_from(faithful, 2).state.variational is None


def close_if_blocked(shown: list[EMSession]) -> None:
    """Scheduled just before a show() that must not block: it runs after that call has
    returned, unless show() is blocking in a loop of its own; then it closes the window
    so that show() returns (and the test fails instead of hanging)."""
    if not shown:
        for window in main_windows():
            window.close()


def test_block_none_returns_at_once_inside_a_running_event_loop(qtbot, faithful):
    assert not event_loop_running()  # the test body runs outside any event loop
    shown: list[EMSession] = []

    def call_show() -> None:
        QtCore.QTimer.singleShot(0, lambda: close_if_blocked(shown))
        shown.append(gmmviewer.show(faithful, n_components=2))

    QtCore.QTimer.singleShot(0, call_show)
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_TIMEOUT_MS)
    assert window_showing(shown[0]).isVisible()


def test_ipythons_qt_integration_means_show_does_not_block(qtbot, faithful, monkeypatch):
    # A stand-in for IPython's shell after "%gui qt" (IPython is not installed here).
    assert ipython_runs_qt(SimpleNamespace(active_eventloop="qt6"))
    assert ipython_runs_qt(SimpleNamespace(active_eventloop="qt"))
    assert not ipython_runs_qt(SimpleNamespace(active_eventloop="inline"))
    assert not ipython_runs_qt(SimpleNamespace(active_eventloop=None))
    assert not ipython_runs_qt(None)
    shell = SimpleNamespace(active_eventloop=None)
    monkeypatch.setitem(sys.modules, "IPython", SimpleNamespace(get_ipython=lambda: shell))
    assert not event_loop_running()  # IPython without %gui qt: show() would block
    shell.active_eventloop = "qt"
    assert event_loop_running()
    shown: list[EMSession] = []
    QtCore.QTimer.singleShot(0, lambda: close_if_blocked(shown))
    shown.append(gmmviewer.show(faithful, n_components=2))  # returns: the notebook goes on
    assert window_showing(shown[0]).isVisible()


SCRIPT = """
import json, sys
import numpy as np
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest
import gmmviewer

X = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, usecols=(1, 2))
had_application = QtWidgets.QApplication.instance() is not None

def step_then_close():
    (window,) = [w for w in QtWidgets.QApplication.topLevelWidgets()
                 if w.objectName() == "main_window"]
    QTest.mouseClick(window.controls.buttons["step"], QtCore.Qt.MouseButton.LeftButton)
    window.close()

QtCore.QTimer.singleShot(0, step_then_close)
session = gmmviewer.show(X, n_components=2)
start = session.history[0].params
print(json.dumps({
    "had_application": had_application,
    "application": QtWidgets.QApplication.applicationName(),
    "windows_left": [w.objectName() for w in QtWidgets.QApplication.topLevelWidgets()
                     if w.objectName() == "main_window"],
    "iteration": session.iteration,
    "start": [start.weights.tolist(), start.means.tolist(), start.covariances.tolist()],
    "weights": session.params.weights.tolist(),
    "means": session.params.means.tolist(),
    "covariances": session.params.covariances.tolist(),
}))
"""


def test_a_script_blocks_until_the_window_closes_and_gets_the_stepped_session(
    tmp_path, faithful_path, faithful
):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(faithful_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,  # a guard against a hang, not a speed requirement
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # show() made the application, ran the window until the script closed it, deleted it.
    assert not report["had_application"] and report["application"] == "gmmviewer"
    assert report["windows_left"] == []
    assert report["iteration"] == 1
    # The start is what a session with the same arguments starts from...
    weights, means, covariances = (np.array(a) for a in report["start"])
    same_start = EMSession(faithful, 2).params
    np.testing.assert_allclose(means, same_start.means, rtol=1e-12)
    # ...and one EM iteration from it agrees with scikit-learn's from the same start.
    model = GaussianMixture(
        2,
        covariance_type="full",
        weights_init=weights,
        means_init=means,
        precisions_init=np.linalg.inv(covariances),
        max_iter=1,
        tol=0.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(faithful)
    np.testing.assert_allclose(report["means"], model.means_, rtol=1e-9)
    np.testing.assert_allclose(report["weights"], model.weights_, rtol=1e-9)
    np.testing.assert_allclose(report["covariances"], model.covariances_, rtol=1e-7)
    # The window kept its settings where the application keeps them.
    assert list(Path(tmp_path).rglob("gmmviewer.conf"))
