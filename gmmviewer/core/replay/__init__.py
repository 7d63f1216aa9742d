"""The replay page: a session's history as one self-contained HTML file (no Qt).

:mod:`~gmmviewer.core.replay.frames` computes what each history entry shows;
:mod:`~gmmviewer.core.replay.page` writes the page from ``template.html``.
"""

from gmmviewer.core.replay.frames import MAX_POINTS, ReplayFrames, replay_frames
from gmmviewer.core.replay.page import PageSummary, replay_page, write_replay_page

__all__ = [
    "MAX_POINTS",
    "PageSummary",
    "ReplayFrames",
    "replay_frames",
    "replay_page",
    "write_replay_page",
]
