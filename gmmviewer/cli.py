"""The ``gmmviewer`` command: open the window, or ``fit`` / ``generate`` headless.

``fit`` and ``generate`` use :mod:`gmmviewer.core` only and never import Qt; the
window is imported only when it is asked for. Each path imports only what it needs:
the headless commands live in :mod:`gmmviewer.cli_commands`, which opening the window
never imports. Bad input ends with a one-line message on stderr and exit code 1 (usage
errors: 2), never a traceback; set ``GMMVIEWER_DEBUG=1`` to see the traceback of an
unexpected error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gmmviewer.cli_arguments import PROG, CommandError, _add_data_options, _add_model_options
from gmmviewer.cli_replay import COMMAND as EXPORT_HTML
from gmmviewer.cli_replay import run_export_html
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.version import __version__

if TYPE_CHECKING:
    from gmmviewer.cli_commands import build_parser, format_summary, run_fit, run_generate
    from gmmviewer.cli_variational import (
        FIT_METHODS,
        IN_USE_WEIGHT,
        PRIOR_TYPES,
        VARIATIONAL_OPTIONS,
        format_variational_summary,
    )

#: Names this module held before the headless commands, their argument types, progress
#: and variational fit moved to their own modules; still importable from here, each
#: imported from its module when first asked for (PEP 562).
_MOVED = {
    "build_parser": "gmmviewer.cli_commands",
    "format_summary": "gmmviewer.cli_commands",
    "run_fit": "gmmviewer.cli_commands",
    "run_generate": "gmmviewer.cli_commands",
    "FIT_METHODS": "gmmviewer.cli_variational",
    "IN_USE_WEIGHT": "gmmviewer.cli_variational",
    "PRIOR_TYPES": "gmmviewer.cli_variational",
    "VARIATIONAL_OPTIONS": "gmmviewer.cli_variational",
    "format_variational_summary": "gmmviewer.cli_variational",
}

__all__ = [
    "FIT_METHODS",
    "IN_USE_WEIGHT",
    "PRIOR_TYPES",
    "PROG",
    "SUBCOMMANDS",
    "VARIATIONAL_OPTIONS",
    "CommandError",
    "build_parser",
    "format_summary",
    "format_variational_summary",
    "main",
    "run_fit",
    "run_generate",
    "run_window",
    "window_parser",
]

SUBCOMMANDS = ("fit", "generate", EXPORT_HTML)


def __getattr__(name: str) -> object:
    """A name that moved to another module, imported from there on first use."""
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module 'gmmviewer.cli' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


# ======================================================================= parsers
def window_parser() -> argparse.ArgumentParser:
    """The parser for ``gmmviewer [DATA.csv] [options]``, which opens the window."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Open the gmmviewer window: the built-in lecture demo, or DATA.csv. "
        "Headless commands: 'gmmviewer fit --help', 'gmmviewer generate --help'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "data", nargs="?", metavar="DATA.csv", help="a CSV file or a saved session (.gmmv)"
    )
    _add_model_options(parser, k_required=False)
    _add_data_options(parser)
    return parser


# ====================================================================== commands
def run_window(args: argparse.Namespace) -> int:
    """Open the window (imports Qt only now)."""
    from gmmviewer.ui.app import run_app

    return run_app(args)


# ======================================================================= entry
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gmmviewer`` command. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    headless = bool(argv) and argv[0] in SUBCOMMANDS
    if headless:
        from gmmviewer import cli_commands

        parser = cli_commands.build_parser()
    elif argv[:1] in (["-h"], ["--help"]):
        parser = _combined_help_parser()
    else:
        parser = window_parser()
    args = parser.parse_args(argv)  # exits with code 2 on usage errors
    try:
        if not headless:
            return run_window(args)
        if args.command == "fit":
            return cli_commands.run_fit(args, sys.stdout, sys.stderr)
        if args.command == EXPORT_HTML:
            return run_export_html(args, sys.stdout, sys.stderr)
        return cli_commands.run_generate(args, sys.stdout, sys.stderr)
    except (GMMViewerError, OSError) as error:
        sys.stderr.write(f"{PROG}: error: {_one_line(error)}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except Exception as error:  # a bug: still no traceback unless asked for
        if os.environ.get("GMMVIEWER_DEBUG"):
            raise
        sys.stderr.write(
            f"{PROG}: internal error: {type(error).__name__}: {_one_line(error)} "
            "(set GMMVIEWER_DEBUG=1 for details)\n"
        )
        return 1


def _combined_help_parser() -> argparse.ArgumentParser:
    """``gmmviewer --help``: the window's options plus the headless commands."""
    parser = window_parser()
    parser.epilog = (
        "headless commands:\n"
        "  gmmviewer fit DATA.csv -k K -o OUT.json   fit and write parameters\n"
        "  gmmviewer generate --preset lecture -n 600 -o DATA.csv\n"
        "                                            sample a synthetic mixture\n"
        "  gmmviewer export-html SESSION.gmmv -o OUT.html\n"
        "                                            a saved session as an HTML replay page\n"
        "Run 'gmmviewer COMMAND --help' (fit, generate, export-html) for their options."
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror or error}"
    text = str(error) or type(error).__name__
    return " ".join(text.split())
