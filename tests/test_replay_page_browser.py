"""The replay page in a real browser: headless Chromium (Debian's) driven by Playwright.

The page is opened from a file:// address, stepped with its buttons, keys and slider,
and the NLL it shows is compared with the session's. Without Chromium the tests skip on
a developer's machine but fail under CI (``CI`` set), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from replay_pages import demo_session

from gmmviewer.core.replay.page import write_replay_page

#: Most bytes the lecture demo's page may take.
MAX_PAGE_BYTES = 5_000_000
#: How long the page may take to react (ms): generous for a busy machine.
WAIT_MS = 60_000


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Chromium for the replay page's tests: apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        # The system browser: Playwright downloads none of its own.
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def demo():
    return demo_session()


@pytest.fixture(scope="module")
def demo_page(demo, tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "lecture.html"
    summary = write_replay_page(path, demo)
    assert summary.size == path.stat().st_size < MAX_PAGE_BYTES
    return path


class Opened:
    """A page opened in the browser, with every request and script error it made."""

    def __init__(self, browser, path, **options) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(**options)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        # Anything but the file itself would be a fetch: refuse it (and it is recorded).
        self.page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file://") else route.abort()
            ),
        )
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-ready=true]", timeout=WAIT_MS)

    def index(self) -> int:
        return int(self.page.get_attribute("#caption", "data-index"))

    def nll(self) -> float:
        return float(self.page.get_attribute("#caption", "data-nll"))

    def wait_for_index(self, index: int) -> None:
        # Functions, not expressions: the page's Content-Security-Policy forbids eval.
        self.page.wait_for_function(
            "index => document.getElementById('caption').dataset.index === String(index)",
            arg=index,
            timeout=WAIT_MS,
        )

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def opened(browser, demo_page):
    page = Opened(browser, demo_page, viewport={"width": 1280, "height": 720})
    yield page
    page.close()


def check_shows(opened: Opened, index: int, session) -> None:
    """The caption shows history entry ``index``: its NLL exactly and as the window writes it."""
    assert opened.index() == index
    state = session.history[index]
    assert opened.nll() == -state.log_likelihood
    assert opened.page.text_content("#nll-value") == f"NLL {-state.log_likelihood:,.4f}"
    assert state.description in opened.page.text_content("#caption")
    assert f"Iteration {state.iteration}" in opened.page.text_content("#caption")


def test_step_back_keys_and_slider_show_each_half_steps_nll(opened, demo):
    page, last = opened.page, len(demo.history) - 1
    check_shows(opened, 0, demo)
    assert page.get_by_role("button", name="Back").is_disabled()
    page.get_by_role("button", name="Step").click()
    check_shows(opened, 1, demo)
    assert "E-step" in page.text_content("#caption")
    page.keyboard.press("ArrowRight")
    check_shows(opened, 2, demo)
    assert "M-step" in page.text_content("#caption")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    check_shows(opened, 2, demo)
    page.get_by_role("button", name="Back").click()
    check_shows(opened, 1, demo)
    slider = page.get_by_role("slider", name="Half-step")
    assert slider.get_attribute("max") == str(last)
    for index in (5, 20, last, 0):
        slider.fill(str(index))
        check_shows(opened, index, demo)
    # A real drag of the slider's thumb to the far right end: the last half-step.
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 4, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, y, steps=4)
    page.mouse.move(box["x"] + box["width"] + 40, y, steps=4)
    page.mouse.up()
    check_shows(opened, last, demo)
    assert page.get_by_role("button", name="Step").is_disabled()
    page.keyboard.press("Home")
    check_shows(opened, 0, demo)
    page.keyboard.press("End")
    check_shows(opened, last, demo)
    assert opened.errors == []
    assert all(url.startswith("file://") for url in opened.requests), opened.requests


def test_the_drawing_changes_with_the_half_step(opened):
    page = opened.page
    scatter = "document.getElementById('scatter').toDataURL()"
    nll = "document.getElementById('nll').toDataURL()"
    before = page.evaluate(scatter), page.evaluate(nll)
    page.get_by_role("button", name="Step").click()  # the E-step colours the points
    after_e = page.evaluate(scatter), page.evaluate(nll)
    page.get_by_role("button", name="Step").click()  # the M-step moves the ellipses
    after_m = page.evaluate(scatter), page.evaluate(nll)
    assert before[0] != after_e[0] != after_m[0]
    assert before[1] != after_e[1] != after_m[1]  # the ring moves along the curve


def test_play_advances_and_stops_at_the_end(opened, demo):
    page, last = opened.page, len(demo.history) - 1
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Space")
    assert page.get_attribute("body", "data-playing") == "true"
    play = page.get_by_role("button", name="Pause")
    assert play.get_attribute("aria-pressed") == "true"
    page.wait_for_function(
        "() => Number(document.getElementById('caption').dataset.index) >= 2", timeout=WAIT_MS
    )
    play.click()
    assert page.get_attribute("body", "data-playing") == "false"
    stopped = opened.index()
    assert stopped >= 2
    check_shows(opened, stopped, demo)
    page.get_by_label("Play speed").select_option(label="fastest")
    page.get_by_role("button", name="Play").click()
    opened.wait_for_index(last)
    page.wait_for_selector("body[data-playing=false]", timeout=WAIT_MS)
    check_shows(opened, last, demo)
    assert opened.errors == []
    assert all(url.startswith("file://") for url in opened.requests), opened.requests


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (390, 844)])
def test_the_page_fits_a_laptop_and_a_phone(browser, demo_page, width, height):
    opened = Opened(browser, demo_page, viewport={"width": width, "height": height})
    page = opened.page
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if width >= 1000:
            assert page.evaluate("document.documentElement.scrollHeight") <= height
        for name in ("Back", "Play", "Step"):
            button = page.get_by_role("button", name=name)
            box = button.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        canvas = page.locator("#scatter").bounding_box()
        assert canvas["width"] > 0.6 * min(width, 800) and canvas["height"] > 250
        assert opened.errors == []
    finally:
        opened.close()


def test_the_page_follows_the_readers_dark_scheme(browser, demo_page):
    opened = Opened(browser, demo_page, color_scheme="dark")
    try:
        background = opened.page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(18, 19, 20)"
    finally:
        opened.close()
    opened = Opened(browser, demo_page, color_scheme="light")
    try:
        background = opened.page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(255, 255, 255)"
    finally:
        opened.close()


def test_one_column_and_sampled_pages_replay_too(browser, tmp_path):
    session = demo_session(n_samples=25_000, steps=2, run=False)
    path = tmp_path / "big.html"
    summary = write_replay_page(path, session, dims=(1,))
    assert summary.size < MAX_PAGE_BYTES and summary.n_points == 20_000
    opened = Opened(browser, path, viewport={"width": 1280, "height": 720})
    try:
        page = opened.page
        note = page.locator("#note")
        assert note.is_visible()
        assert "random sample of 20,000 of the 25,000 points" in note.text_content()
        page.keyboard.press("End")
        check_shows(opened, len(session.history) - 1, session)
        assert opened.errors == []
    finally:
        opened.close()


def units_per_pixel(opened: Opened) -> tuple[float, float]:
    text = opened.page.get_attribute("#scatter", "data-units-per-pixel")
    x, y = (float(v) for v in text.split(","))
    return x, y


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (390, 844)])
def test_comparable_columns_get_equal_axis_scales_as_in_the_window(
    browser, demo_page, width, height
):
    opened = Opened(browser, demo_page, viewport={"width": width, "height": height})
    try:
        x, y = units_per_pixel(opened)
        assert x == pytest.approx(y, rel=1e-9)  # a circle is drawn round
        assert opened.errors == []
    finally:
        opened.close()


def test_columns_with_far_apart_ranges_fill_the_plot_instead(browser, tmp_path):
    from gmmviewer.core.session.em_session import EMSession

    rng = np.random.default_rng(2)
    X = np.column_stack([rng.normal(0.0, 1.0, 300), rng.normal(0.0, 100.0, 300)])
    session = EMSession(X, 2, seed=0)
    session.step()
    path = tmp_path / "wide.html"
    write_replay_page(path, session)
    opened = Opened(browser, path, viewport={"width": 1280, "height": 720})
    try:
        x, y = units_per_pixel(opened)
        # Each axis spans its own data (with the page's 8% margins): far from equal.
        assert y / x > 10
        assert opened.errors == []
    finally:
        opened.close()
