"""The byte search that replaces PySide6's source search gives PySide6's answers."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import gmmviewer.ui.app  # the window's modules: pyqtgraph's, ours, numpy's, the stdlib's
feature = sys.modules["shibokensupport.feature"]
fast = feature._mod_uses_pyside
assert getattr(fast, "bytes_search", False), "not installed"
original = fast.original
modules = [m for m in list(sys.modules.values()) if m is not None]
differ = [m.__name__ for m in modules if fast(m) != original(m)]
using = sum(1 for m in modules if original(m))
print(len(modules), using, differ)
from gmmviewer.ui import pyside_import_hook
print(pyside_import_hook.install())
"""


def test_the_byte_search_answers_as_pyside_does_for_every_module_of_the_window():
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    counts, again = result.stdout.splitlines()
    n_modules, n_using, differ = counts.split(" ", 2)
    assert int(n_modules) > 300 and int(n_using) >= 10  # both answers occur
    assert differ == "[]"
    assert again == "False"  # installed once
