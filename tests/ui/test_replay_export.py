"""File > Export replay page: the session on screen, unsaved, as one HTML page."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets
from replay_pages import page_payload, unpack

Key = QtCore.Qt.Key


def menu_action(window, menu: str, text: str):
    for action in window.menus[menu].actions():
        if action.text() == text:
            return action
    raise AssertionError(f"no {text!r} in the {menu} menu")


def test_the_file_menu_exports_the_unsaved_session_with_the_shown_columns(
    qtbot, window, tmp_path, monkeypatch
):
    session = window.controller.session
    for _ in range(3):
        qtbot.keyClick(window, Key.Key_Space)
    assert len(session.history) == 7 and window.controller.session_path == ""
    target = tmp_path / "lesson"  # the extension is added
    asked = []

    def choose(parent, title, suggested, filters):
        asked.append((title, suggested, filters))
        return str(target), filters

    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", choose)
    menu_action(window, "file", "Export replay page...").trigger()
    assert asked[0][0] == "Export replay page" and asked[0][1].endswith("lecture demo.html")
    written = tmp_path / "lesson.html"
    payload = page_payload(written.read_text(encoding="utf-8"))
    assert len(payload["frames"]) == len(session.history)
    assert [f["nll"] for f in payload["frames"]] == [-s.log_likelihood for s in session.history]
    assert payload["title"] == "lecture demo" and payload["columns"] == ["x1", "x2"]
    assert payload["position"] == session.position
    np.testing.assert_array_equal(
        unpack(payload["pointSets"][0]["coords"], "<f4", 2), session.X.astype(np.float32)
    )
    assert "Wrote" in window.reporter.last_status and "lesson.html" in window.reporter.last_status
    assert window.isWindowModified()  # exporting is not saving


def test_exporting_where_it_cannot_write_is_a_one_line_error(qtbot, window, tmp_path):
    session = window.controller.session
    qtbot.keyClick(window, Key.Key_Space)
    state = session.state
    target = tmp_path / "missing" / "page.html"
    assert not window.replay_export.export_replay_page(str(target))
    text = window.last_error_box.text()
    assert text.startswith("cannot write") and "\n" not in text
    assert not target.exists()
    assert window.controller.session is session and session.state is state
