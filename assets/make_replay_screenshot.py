"""Screenshot the replay page of the lecture demo: ``python assets/make_replay_screenshot.py``.

Builds the demo session as the window does (three Steps, then Run), writes its replay
page with ``gmmviewer export-html``'s writer, opens it in the system Chromium through
Playwright and saves ``assets/replay.png`` (1280 x 720) at a chosen half-step. Needs
the test extra (``pip install -e ".[test]"``) and Debian's ``chromium``.

Options: ``--dark`` for the dark scheme, ``--width``/``--height``, ``--half-step N``,
``--output PATH``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.replay import write_replay_page
from gmmviewer.core.session.em_session import EMSession

HERE = Path(__file__).resolve().parent


def demo_session() -> EMSession:
    """The window's lecture demo (see ``Controller.load_demo``), stepped and run."""
    dataset = make_preset("lecture", n_samples=600, seed=0)
    session = EMSession(dataset, 3, init="random-means", seed=0, covariance_type="full")
    for _ in range(3):
        session.step()
    session.run()
    return session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(HERE / "replay.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--half-step", type=int, default=7)
    parser.add_argument("--dark", action="store_true")
    args = parser.parse_args()
    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser_path is None:
        raise SystemExit("install Chromium first: apt-get install chromium")
    with tempfile.TemporaryDirectory() as folder:
        page_path = Path(folder) / "lecture.html"
        write_replay_page(page_path, demo_session())
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path)
            page = browser.new_page(
                viewport={"width": args.width, "height": args.height},
                color_scheme="dark" if args.dark else "light",
            )
            page.goto(page_path.as_uri())
            page.wait_for_selector("body[data-ready=true]")
            page.locator("#slider").fill(str(args.half_step))
            page.locator("#slider").blur()
            page.screenshot(path=args.output)
            browser.close()
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
