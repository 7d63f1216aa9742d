"""The project's promises about itself: the README's commands and CI agree."""

from __future__ import annotations

import re

from conftest import REPO_ROOT


def readme_commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_shows_an_install_and_run_and_an_install_and_test_command():
    run, test = readme_commands()
    assert "pip install" in run and run.rstrip().endswith("gmmviewer")
    assert "pip install" in test and '".[test]"' in test and "pytest" in test


def test_ci_runs_exactly_the_readme_test_command():
    _, test = readme_commands()
    script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [
        line
        for line in script.splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    # Before it, only the Debian packages the tests drive (Chromium for the replay page).
    assert commands == ["bash .ci/system-packages", test]
