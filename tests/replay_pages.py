"""Helpers for the replay page's tests: the lecture demo's session and reading a page back.

The page is read with the standard library only (re, json, base64, zlib), not with the
writer's own functions, so a test of the writer checks it against an independent reader.
"""

from __future__ import annotations

import base64
import json
import re
import zlib

import numpy as np

from gmmviewer.core.data.synthetic import make_preset
from gmmviewer.core.session.em_session import EMSession

_PAYLOAD = re.compile(r'<script id="payload" type="application/json">(.*?)</script>', re.DOTALL)


def demo_session(n_samples: int = 600, steps: int = 3, run: bool = True) -> EMSession:
    """The window's lecture demo (``Controller.load_demo``): a few Steps, then Run."""
    dataset = make_preset("lecture", n_samples=n_samples, seed=0)
    session = EMSession(dataset, 3, init="random-means", seed=0, covariance_type="full")
    for _ in range(steps):
        session.step()
    if run:
        session.run()
    return session


def page_payload(text: str) -> dict:
    """The JSON payload of a replay page's HTML."""
    found = _PAYLOAD.findall(text)
    assert len(found) == 1, "the page must hold exactly one payload"
    return json.loads(found[0])


def unpack(packed: str, dtype: str, columns: int) -> np.ndarray:
    """A packed array of the payload (base64 of zlib-compressed bytes) as (rows, columns)."""
    raw = zlib.decompress(base64.b64decode(packed))
    return np.frombuffer(raw, dtype=dtype).reshape(-1, columns)
