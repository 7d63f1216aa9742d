"""``gmmviewer export-html``: a saved session's history as one self-contained HTML page.

The page replays every half-step (see :mod:`gmmviewer.core.replay`). Like the other
headless commands it never imports Qt; bad input ends with a one-line error.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from gmmviewer.cli_arguments import CommandError, _column_list, _int_at_least
from gmmviewer.core.text import count

COMMAND = "export-html"
PAGE_EXTENSIONS = (".html", ".htm")


def add_export_html_parser(commands: argparse._SubParsersAction) -> None:
    """Add ``export-html`` to the command's subparsers."""
    # Imported here: the window starts through this module and needs no replay.
    from gmmviewer.core.replay.frames import MAX_POINTS

    parser = commands.add_parser(
        COMMAND,
        help="write a saved session's history as a self-contained HTML replay page",
        description="Write one HTML file that replays a saved session half-step by half-step "
        "(points coloured by responsibilities, ellipses, the NLL curve, Step/Back/Play and a "
        "slider). It loads nothing from the network and opens in any current browser.",
    )
    parser.add_argument("session", metavar="SESSION.gmmv", help="a session saved by the window")
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT.html", help="the page to write"
    )
    parser.add_argument(
        "--columns",
        type=_column_list,
        metavar="A,B",
        help="the one or two columns to show, by name or 0-based index (default the first two)",
    )
    parser.add_argument(
        "--max-points",
        type=_int_at_least(1, "a positive number"),
        default=MAX_POINTS,
        metavar="N",
        help=f"show a random sample of N points of larger data (default {MAX_POINTS:,}; "
        "the page grows by about 100 kB per 1,000 points on a 100-step history)",
    )
    parser.add_argument("--title", help="the page's title (default the data's name)")


def run_export_html(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``gmmviewer export-html``: open the session, write its replay page, say how big."""
    # Imported here: the window starts through the command's module and needs neither.
    from gmmviewer.core.files.sessions.session_file import load_session
    from gmmviewer.core.replay.page import write_replay_page

    if not str(args.output).lower().endswith(PAGE_EXTENSIONS):
        raise CommandError(f"the page must end in .html, got {args.output!r}")
    session = load_session(args.session).session
    dims = None
    if args.columns is not None:
        dims = column_indices(args.columns, session.dataset.columns)
    summary = write_replay_page(
        args.output, session, dims=dims, max_points=args.max_points, title=args.title
    )
    out.write(
        f"wrote {args.output}: {count(summary.n_frames - 1, 'half-step')} and edits after the "
        f"start, {count(summary.n_points, 'point')}, {summary.size / 1e6:.2f} MB\n"
    )
    if summary.note:
        out.write(f"{summary.note}\n")
    return 0


def column_indices(wanted: list[str | int], columns: tuple[str, ...]) -> tuple[int, ...]:
    """``--columns`` as indices: each item a column's name, else a 0-based index.

    Raises
    ------
    CommandError
        For an unknown column, more than two, or one named twice.
    """
    indices = []
    for item in wanted:
        text = str(item)
        if text in columns:
            indices.append(columns.index(text))
            continue
        try:
            index = int(text)
        except ValueError:
            raise CommandError(
                f"--columns: no column {text!r} (the data have {', '.join(columns)})"
            ) from None
        if not 0 <= index < len(columns):
            raise CommandError(
                f"--columns: no column {index} (indices run from 0 to {len(columns) - 1})"
            )
        indices.append(index)
    if len(indices) > 2:
        raise CommandError(f"--columns: the page shows one or two columns, got {len(indices)}")
    if len(set(indices)) != len(indices):
        raise CommandError("--columns: a column is named twice")
    return tuple(indices)
