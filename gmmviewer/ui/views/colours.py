"""Component colours and responsibility-blended point colours, as the views use them.

They live in :mod:`gmmviewer.core.colours` (numpy only), where the replay page's writer
finds them too; this module keeps the views' imports where they were.
"""

from __future__ import annotations

from gmmviewer.core.colours import (
    NEUTRAL_GREY,
    OKABE_ITO,
    blend,
    component_colours,
    delta_e_2000,
    srgb_to_lab,
)

__all__ = [
    "NEUTRAL_GREY",
    "OKABE_ITO",
    "blend",
    "component_colours",
    "delta_e_2000",
    "srgb_to_lab",
]
