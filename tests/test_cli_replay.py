"""``gmmviewer export-html``: a saved session as a self-contained replay page."""

from __future__ import annotations

import re

import numpy as np
import pytest
from replay_pages import demo_session, page_payload, unpack
from test_cli import assert_clean_failure, gmmviewer

from gmmviewer.core.files.sessions.session_file import save_session


@pytest.fixture(scope="module")
def saved_demo(tmp_path_factory):
    session = demo_session()
    path = tmp_path_factory.mktemp("sessions") / "lecture.gmmv"
    save_session(path, session)
    return path, session


def test_export_html_writes_a_page_of_the_whole_history(tmp_path, saved_demo):
    path, session = saved_demo
    out = tmp_path / "lecture.html"
    result = gmmviewer("export-html", path, "-o", out)
    assert result.returncode == 0, result.stderr
    size = out.stat().st_size
    assert result.stdout == (
        f"wrote {out}: {len(session.history) - 1} half-steps and edits after the start, "
        f"600 points, {size / 1e6:.2f} MB\n"
    )
    text = out.read_text(encoding="utf-8")
    payload = page_payload(text)
    assert len(payload["frames"]) == len(session.history)
    assert [f["nll"] for f in payload["frames"]] == [-s.log_likelihood for s in session.history]
    assert payload["columns"] == ["x1", "x2"] and payload["title"] == "lecture demo"
    np.testing.assert_array_equal(
        unpack(payload["pointSets"][0]["coords"], "<f4", 2), session.X.astype(np.float32)
    )
    assert "<title>lecture demo · EM replay</title>" in text


def test_the_page_loads_nothing_from_outside(tmp_path, saved_demo):
    out = tmp_path / "page.html"
    assert gmmviewer("export-html", saved_demo[0], "-o", out).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=", text, re.IGNORECASE)
    assert "@import" not in text and "url(" not in text
    assert "http://" not in text and "https://" not in text
    assert "default-src 'none'" in text  # the Content-Security-Policy forbids every fetch


def test_a_title_cannot_break_out_of_the_page(tmp_path, saved_demo):
    out = tmp_path / "page.html"
    title = "</script><script>alert(1)</script> & <b>"
    assert gmmviewer("export-html", saved_demo[0], "-o", out, "--title", title).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert text.lower().count("</script") == 2  # the payload's and the program's own
    assert "<script>alert" not in text and "<b>" not in text
    assert page_payload(text)["title"] == title


def test_columns_and_max_points_choose_what_is_shown(tmp_path, saved_demo):
    out = tmp_path / "one.html"
    result = gmmviewer(
        "export-html", saved_demo[0], "-o", out, "--columns", "x2", "--max-points", "100"
    )
    assert result.returncode == 0, result.stderr
    assert "Showing a random sample of 100 of the 600 points" in result.stdout
    payload = page_payload(out.read_text(encoding="utf-8"))
    assert payload["columns"] == ["x2"] and payload["pointSets"][0]["n"] == 100
    assert len(payload["frames"][0]["means"][0]) == 1
    assert gmmviewer("export-html", saved_demo[0], "-o", out, "--columns", "1,0").returncode == 0
    assert page_payload(out.read_text(encoding="utf-8"))["columns"] == ["x2", "x1"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--columns", "x1,nope"], "--columns: no column 'nope' (the data have x1, x2)"),
        (["--columns", "0,7"], "--columns: no column 7"),
        (["--columns", "x1,x1"], "--columns: a column is named twice"),
    ],
)
def test_bad_columns_are_one_line_errors(tmp_path, saved_demo, extra, message):
    out = tmp_path / "page.html"
    assert_clean_failure(gmmviewer("export-html", saved_demo[0], "-o", out, *extra), 1, message)
    assert not out.exists()


def test_bad_files_are_one_line_errors_and_leave_the_old_page(tmp_path, saved_demo):
    missing = tmp_path / "missing.gmmv"
    assert_clean_failure(
        gmmviewer("export-html", missing, "-o", tmp_path / "a.html"), 1, "missing.gmmv"
    )
    not_session = tmp_path / "data.gmmv"
    not_session.write_text("x,y\n1,2\n")
    assert_clean_failure(
        gmmviewer("export-html", not_session, "-o", tmp_path / "a.html"),
        1,
        "is not a gmmviewer session",
    )
    assert_clean_failure(
        gmmviewer("export-html", saved_demo[0], "-o", tmp_path / "page.txt"),
        1,
        "the page must end in .html",
    )
    assert_clean_failure(
        gmmviewer("export-html", saved_demo[0], "-o", tmp_path / "no" / "page.html"),
        1,
        "cannot write",
    )
    old = tmp_path / "old.html"
    old.write_text("the old page")
    assert_clean_failure(gmmviewer("export-html", not_session, "-o", old), 1, "data.gmmv")
    assert old.read_text() == "the old page"
    assert not list(tmp_path.glob(".*.tmp*"))  # no temporary file left behind
    assert_clean_failure(
        gmmviewer("export-html", saved_demo[0], "-o", old, "--max-points", "0"),
        2,
        "--max-points: expected a positive number",
    )
