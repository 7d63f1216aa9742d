"""The core never imports Qt: checked statically and in a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gmmviewer

PACKAGE = Path(gmmviewer.__file__).resolve().parent
FORBIDDEN = (
    "PySide6",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "pyqtgraph",
    "qtpy",
    "shiboken6",
    "gmmviewer.ui",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_modules_import_no_qt():
    core_files = sorted((PACKAGE / "core").rglob("*.py"))
    assert len(core_files) > 5
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in core_files
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN)
    }
    assert not offenders


def test_importing_the_core_and_cli_loads_no_qt():
    code = (
        "import sys, gmmviewer, gmmviewer.core, gmmviewer.cli\n"
        "import gmmviewer.core.session.em_session, gmmviewer.core.em.fit\n"
        "import gmmviewer.core.files.csv_reader\n"
        "import gmmviewer.core.files.paramfile, gmmviewer.core.data.synthetic\n"
        f"bad = [m for m in sys.modules if m.startswith({FORBIDDEN!r})]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
