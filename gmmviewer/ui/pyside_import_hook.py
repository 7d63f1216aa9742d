"""A faster answer to the question PySide6 asks of every module imported after it.

PySide6 watches imports for its ``from __feature__ import ...`` switches: for every module
imported once PySide6 is loaded, ``shibokensupport.feature._mod_uses_pyside`` reads the
module's whole source through :func:`inspect.getsource` (``linecache``, split into lines
and joined again) to look for the word "PySide6". About 250 modules follow PySide6 into
the window (pyqtgraph's and ours), and those reads cost the first paint about 8 ms.
:func:`install` answers the same question by searching the file's bytes, and leaves every
module that is not a plain ``.py`` file (or any failure) to PySide6's own function, so
the answer is the same for every UTF-8 source. Nothing changes when PySide6 no longer has
the function (a later version).
"""

from __future__ import annotations

import sys
from types import ModuleType

#: Where PySide6 keeps the function, once PySide6 is imported.
FEATURE_MODULE = "shibokensupport.feature"


def install() -> bool:
    """Replace PySide6's source search with a byte search; True when installed.

    Call after importing PySide6, before the modules whose import it should speed up.
    """
    feature = sys.modules.get(FEATURE_MODULE)
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original) or getattr(original, "bytes_search", False):
        return False

    def mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return original(module)

    mod_uses_pyside.bytes_search = True  # type: ignore[attr-defined]
    mod_uses_pyside.original = original  # type: ignore[attr-defined]
    feature._mod_uses_pyside = mod_uses_pyside  # type: ignore[union-attr]
    return True
