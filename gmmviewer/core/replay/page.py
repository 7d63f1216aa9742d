"""The replay page: one self-contained HTML file that replays a session's history.

Pure Python; no Qt. The page is ``template.html`` (shipped in this package: its CSS and
hand-written JavaScript) with the title and a JSON payload put in. It loads nothing:
its Content-Security-Policy forbids every fetch, and the arrays it needs (point
coordinates as float32, point colours as RGB bytes) are zlib-compressed and base64
text in the payload, inflated by the browser's own ``DecompressionStream``.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import zlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from gmmviewer.core.colours import NEUTRAL_GREY
from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.files.atomic import atomic_write
from gmmviewer.core.limits import EQUAL_ASPECT_RATIO_LIMIT
from gmmviewer.core.replay.frames import (
    MAX_POINTS,
    ReplayFrame,
    ReplayFrames,
    finite_or_none,
    replay_frames,
)
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.version import __version__

#: Version of the payload's layout, read by the page's script.
PAYLOAD_VERSION = 1
#: The template's placeholders; replaced in one pass, so a title or column name that
#: spells one is never replaced again.
_PLACEHOLDER = re.compile(r"__GMMV_(TITLE|PAYLOAD)__")
#: Characters that must not appear raw inside <script>: "<" ends it ("</script>") or opens
#: a comment; the line separators end a line in old JavaScript parsers.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


class ReplayPageError(GMMViewerError):
    """The replay page cannot be written."""


@dataclass(frozen=True)
class PageSummary:
    """What :func:`write_replay_page` wrote.

    Attributes
    ----------
    path : str
    size : int
        Bytes of the file.
    n_frames : int
        Half-steps and edits the page replays (the history's length).
    n_points : int
        Points shown of the largest data set.
    note : str
        Says when points were subsampled, else ''.
    """

    path: str
    size: int
    n_frames: int
    n_points: int
    note: str


def template_text() -> str:
    """The page's HTML template (package data of :mod:`gmmviewer.core.replay`)."""
    return resources.files("gmmviewer.core.replay").joinpath("template.html").read_text("utf-8")


def replay_payload(frames: ReplayFrames, title: str) -> dict[str, Any]:
    """The JSON the page's script reads: everything the page shows.

    Arrays are packed (:func:`_pack`); numbers that are not finite become null.
    """
    return {
        "version": PAYLOAD_VERSION,
        "title": title,
        "generator": f"gmmviewer {__version__}",
        "columns": list(frames.columns),
        # Equal axis scales when the two columns' ranges are this close, as in the window.
        "equalAspectLimit": EQUAL_ASPECT_RATIO_LIMIT,
        "palette": [_hex(rgb) for rgb in frames.palette],
        "neutral": _hex(NEUTRAL_GREY),
        "position": frames.position,
        "note": frames.note,
        "pointSets": [
            {"n": int(s.rows.size), "total": s.n_total, "coords": _pack(s.coordinates, "<f4")}
            for s in frames.point_sets
        ],
        "colourSets": [{"points": c.points, "rgb": _pack(c.rgb, "u1")} for c in frames.colour_sets],
        "frames": [_frame_json(frame) for frame in frames.frames],
    }


def replay_page(frames: ReplayFrames, title: str) -> str:
    """The page's HTML text."""
    payload = json.dumps(
        replay_payload(frames, title), separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    for character, escape in _SCRIPT_ESCAPES.items():
        payload = payload.replace(character, escape)
    values = {"TITLE": html.escape(title), "PAYLOAD": payload}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template_text())


def write_replay_page(
    path: str | os.PathLike[str],
    session: EMSession,
    *,
    dims: tuple[int, ...] | None = None,
    max_points: int = MAX_POINTS,
    title: str | None = None,
) -> PageSummary:
    """Write the replay page of ``session``'s whole history to ``path``, atomically.

    Parameters
    ----------
    path : str or path-like
    session : EMSession
        Only read.
    dims : tuple of int, optional
        The one or two columns shown; default the first two.
    max_points : int
        Larger data sets are shown as a random sample of this many points.
    title : str, optional
        Default: the data's name.

    Raises
    ------
    ParameterError
        For bad ``dims`` or ``max_points``.
    ReplayPageError
        When the file cannot be written (an existing file is then unchanged).
    """
    frames = replay_frames(session, dims, max_points)
    if title is None:
        title = default_title(session)
    text = replay_page(frames, title).encode("utf-8")
    try:
        with atomic_write(path, "wb") as stream:
            stream.write(text)
    except OSError as error:
        raise ReplayPageError(
            f"cannot write {os.fspath(path)}: {error.strerror or error}"
        ) from None
    shown = max((s.rows.size for s in frames.point_sets), default=0)
    return PageSummary(os.fspath(path), len(text), len(frames.frames), int(shown), frames.note)


def default_title(session: EMSession) -> str:
    """The data's name: its file's, or the preset's ('lecture demo' for the lecture)."""
    source = session.dataset.source or "data"
    if source.startswith("preset:"):
        name = source.split(":", 1)[1]
        return "lecture demo" if name == "lecture" else f"{name} preset"
    return os.path.basename(source) or source


def _frame_json(frame: ReplayFrame) -> dict[str, Any]:
    return {
        "entry": frame.entry,
        "points": frame.points,
        "colours": frame.colours,
        "action": frame.action,
        "description": frame.description,
        "iteration": frame.iteration,
        "next": frame.next_step,
        "nll": finite_or_none(frame.nll),
        "objective": frame.objective,
        "x": finite_or_none(frame.x),
        "run": frame.run,
        "segment": frame.segment,
        "placed": frame.placed,
        "converged": frame.converged,
        "weights": _numbers(frame.weights),
        "means": _numbers(frame.means),
        "covariances": _numbers(frame.covariances),
    }


def _numbers(array: np.ndarray) -> Any:
    """Nested lists of floats, None where not finite."""
    if array.ndim == 0:
        return finite_or_none(float(array))
    return [_numbers(row) for row in array]


def _pack(array: np.ndarray, dtype: str) -> str:
    """``array`` flattened to ``dtype`` bytes (row-major), zlib-compressed, as base64."""
    raw = np.ascontiguousarray(array, dtype=dtype).tobytes()
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def _hex(rgb: Any) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in rgb)
