"""The structure the README's map promises: layered folders, no import cycles, and only the
window and the app start import the window."""

from __future__ import annotations

import ast
from pathlib import Path

import gmmviewer

PACKAGE = Path(gmmviewer.__file__).resolve().parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_imports() -> dict[str, set[str]]:
    """Every gmmviewer module and the gmmviewer modules it imports (TYPE_CHECKING ones too)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            found.update(t for t in targets if t in modules and t != name)
        graph[name] = found
    return graph


def test_the_package_is_grouped_into_the_folders_the_readme_names():
    folders = {
        p.name for p in (PACKAGE / "core").iterdir() if p.is_dir() and p.name != "__pycache__"
    }
    assert folders == {"em", "vb", "session", "data", "files", "analysis", "replay", "parallel"}
    folders = {p.name for p in (PACKAGE / "ui").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert {"window", "views", "panels", "dialogs", "export"} <= folders
    for folder in PACKAGE.rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__":
            assert len(list(folder.glob("*.py"))) <= 16, f"{folder} holds too many modules"
    assert (PACKAGE / "core" / "em" / "mstep.py").exists()
    assert (PACKAGE / "core" / "em" / "estep.py").exists()


def test_no_import_cycles():
    graph = package_imports()
    # Packages' __init__ modules are imported implicitly; the cycles that matter are
    # between modules that name each other.
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert cycles == []


def test_only_the_app_start_imports_the_window():
    graph = package_imports()
    importers = {
        name for name, targets in graph.items() if "gmmviewer.ui.window.main_window" in targets
    }
    assert importers == {"gmmviewer.ui.app"}


def test_the_core_imports_nothing_from_the_ui():
    graph = package_imports()
    offenders = {
        (name, target)
        for name, targets in graph.items()
        if name.startswith("gmmviewer.core")
        for target in targets
        if target.startswith("gmmviewer.ui")
    }
    assert offenders == set()


#: Modules the first window does not need, so that opening it never waits for them:
#: scipy's optimize and special (component matching and the adjusted Rand index do
#: without them for a lecture's K), linalg (Cholesky factors come from numpy) and sparse
#: (k-means loads it when it runs), the dialogs, the exporters (pyqtgraph's too) and
#: what only they use; the likelihood landscape, the bound slice and the replay page,
#: until they are asked for; numpy.ma, which ``np.unique``'s first call imports (the
#: demo's start and the first drawing find distinct values without it); the file readers
#: and writers, ``fit``, snapshots, restarts, the model scan, recordings and the headless
#: commands, which the package, the command and the window import where they are used;
#: threadpoolctl, which the first pass of the demo (too small for BLAS to split) never
#: asks to hold BLAS to one thread.
#: ``tests/ui/test_app.py`` checks the same list at the real first paint, demo included
#: (by prefix: "numpy.ma.core", since "numpy.ma" would match numpy.matrixlib).
LATE_MODULES = (
    "scipy.optimize",
    "scipy.special",
    "scipy.linalg",
    "scipy.sparse",
    "sklearn",
    "PIL.Image",
    "pyqtgraph.exporters",
    "gmmviewer.ui.dialogs",
    "gmmviewer.ui.export",
    "gmmviewer.core.analysis.landscape",
    "gmmviewer.core.analysis.landscape_grid",
    "gmmviewer.core.analysis.landscape_pair",
    "gmmviewer.core.analysis.landscape_path",
    "gmmviewer.ui.overlays.landscape_item",
    "gmmviewer.core.analysis.bound_slice",
    "gmmviewer.core.replay",
    "numpy.ma.core",
    # About 10 ms: the demo is stored (gmmviewer/core/data/lecture_demo.py), the brush
    # makes its random numbers at the first stroke.
    "numpy.random",
    # About 3 ms: the pass threads' pool is made at the first pass that needs it.
    "concurrent.futures",
    # About 1 ms: text is escaped once a panel shows some.
    "html",
    "csv",
    "threadpoolctl",
    "gmmviewer.interactive",
    "gmmviewer.cli_commands",
    "gmmviewer.cli_assignments",
    "gmmviewer.cli_variational",
    "gmmviewer.core.em.fit",
    "gmmviewer.core.files.atomic",
    "gmmviewer.core.files.assignments_csv",
    "gmmviewer.core.files.csv_reader",
    "gmmviewer.core.files.csv_writer",
    "gmmviewer.core.files.paramfile",
    "gmmviewer.core.files.sessions.session_file",
    "gmmviewer.core.analysis.snapshots",
    "gmmviewer.core.analysis.model_selection",
    "gmmviewer.core.analysis.restarts",
    "gmmviewer.core.session.recording",
)


def test_opening_the_window_module_does_not_import_what_the_first_paint_does_not_need():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import gmmviewer.cli, gmmviewer.ui.app, gmmviewer.ui.window.main_window\n"
        f"late = [m for m in {LATE_MODULES!r} if m in sys.modules]\n"
        "print(late)\n"
        "sys.exit(1 if late else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_public_api_imports_each_name_when_first_used():
    # ``import gmmviewer`` runs before every gmmviewer module, the window's included, so it
    # imports nothing itself; each public name (and each name ``gmmviewer.cli`` kept when
    # the headless commands moved out) is imported from its module on first use.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import gmmviewer\n"
        "print(sorted(m for m in sys.modules if m.startswith('gmmviewer')))\n"
        "from gmmviewer import *\n"
        "from gmmviewer.core.files.csv_reader import load_csv as reader\n"
        "from gmmviewer.core.session.em_session import EMSession as session\n"
        "assert load_csv is reader and EMSession is session and gmmviewer.fit is fit\n"
        "assert sorted(n for n in gmmviewer.__all__ if n not in globals()) == []\n"
        "from gmmviewer import cli, cli_commands, cli_variational\n"
        "assert cli.build_parser is cli_commands.build_parser\n"
        "assert cli.FIT_METHODS is cli_variational.FIT_METHODS\n"
        "assert all(hasattr(cli, name) for name in cli.__all__)\n"
        "print(hasattr(gmmviewer, 'no_such_name'), hasattr(cli, 'no_such_name'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["['gmmviewer', 'gmmviewer.version']", "False False"]
