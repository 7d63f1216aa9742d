"""File > Export assignments: the window writes the responsibilities it shows, row by row."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from gmmviewer.core.files.csv_reader import load_csv

Key = QtCore.Qt.Key


@pytest.fixture
def save_to(monkeypatch):
    """Answer the save dialog with a path (Qt's dialog, not ours, is replaced)."""
    answer: list[str] = []
    monkeypatch.setattr(
        QtWidgets.QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *args, **kwargs: (answer[0], "CSV (*.csv)")),
    )
    return answer


def export_through_the_menu(window, save_to: list[str], path: Path) -> None:
    save_to[:] = [str(path)]
    action = window.actions_by_name["export_assignments"]
    file_menu = next(
        menu for menu in window.menuBar().findChildren(QtWidgets.QMenu) if action in menu.actions()
    )
    assert file_menu.title() == "&File" and action.isEnabled()
    action.trigger()


def read_back(path: Path) -> tuple[list[str], np.ndarray]:
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    return rows[0], np.array(rows[1:], dtype=float)


def test_export_writes_the_current_responsibilities(qtbot, window, tmp_path, save_to):
    for key in (Key.Key_Space, Key.Key_Space, Key.Key_E):
        qtbot.keyClick(window, key)
    session = window.controller.session
    assert session.next_step == "M"
    path = tmp_path / "assignments.csv"
    export_through_the_menu(window, save_to, path)
    header, body = read_back(path)
    k = session.n_components
    assert header == ["row", "label", *(f"r{j + 1}" for j in range(k)), "uncertainty"]
    resp = session.responsibilities
    np.testing.assert_array_equal(body[:, 2 : 2 + k], resp)  # repr reads back exactly
    np.testing.assert_array_equal(body[:, 0], np.arange(1, session.n_samples + 1))
    np.testing.assert_array_equal(body[:, 1], session.hard_assignments() + 1)
    np.testing.assert_allclose(body[:, -1], 1.0 - resp.max(axis=1), rtol=1e-12, atol=1e-15)
    assert window.reporter.last_status == f"Wrote {path}"


def test_before_an_e_step_it_writes_the_next_e_steps_without_taking_it(
    qtbot, window, tmp_path, save_to, faithful_path
):
    # Old Faithful with waiting times lost on data rows 2 and 5: the rows must skip them.
    lines = faithful_path.read_text().splitlines()
    for row in (2, 5):
        lines[row] = lines[row].rsplit(",", 1)[0] + ",NA"
    data = tmp_path / "holey.csv"
    data.write_text("\n".join(lines) + "\n")
    assert window.controller.load_dataset(load_csv(data), n_components=2)
    session = window.controller.session
    assert session.responsibilities is None and session.next_step == "E"
    entries = len(session.history)

    path = tmp_path / "assignments.csv"
    export_through_the_menu(window, save_to, path)
    assert "no E-step yet" in window.reporter.last_status
    assert len(session.history) == entries and session.responsibilities is None
    _, body = read_back(path)
    expected_rows = [row for row in range(1, 273) if row not in (2, 5)]
    assert body[:, 0].astype(int).tolist() == expected_rows

    qtbot.keyClick(window, Key.Key_E)
    np.testing.assert_array_equal(body[:, 2:4], session.responsibilities)
    np.testing.assert_array_equal(body[:, 1], session.hard_assignments() + 1)


def test_a_bad_path_is_a_one_line_error_and_the_session_stays(qtbot, window, tmp_path, save_to):
    qtbot.keyClick(window, Key.Key_Space)
    session = window.controller.session
    entries = len(session.history)
    export_through_the_menu(window, save_to, tmp_path / "missing" / "assignments.csv")
    qtbot.waitUntil(lambda: window.last_error_box is not None)
    text = window.last_error_box.text()
    assert text.startswith("cannot write") and "\n" not in text
    assert window.controller.session is session and len(session.history) == entries
