"""Component colours and responsibility-blended point colours (numpy; no widgets).

The palette is Okabe & Ito's colour-blind-safe set (2008), ordered so the first
components are the most distinguishable; beyond eight it continues with further
hues of matching lightness.
"""

from __future__ import annotations

import numpy as np

#: Okabe-Ito, without black: blue, vermillion, bluish green, orange, reddish purple,
#: sky blue, yellow, then grey-blue and brown for K > 7, then generated hues.
OKABE_ITO: tuple[tuple[int, int, int], ...] = (
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (230, 159, 0),
    (204, 121, 167),
    (86, 180, 233),
    (240, 228, 66),
    (102, 119, 153),
    (153, 102, 51),
)

#: Points before the first E-step: a neutral grey that reads on light and dark themes.
NEUTRAL_GREY: tuple[int, int, int] = (150, 150, 150)


def component_colours(n_components: int) -> np.ndarray:
    """RGB colours for K components.

    Returns
    -------
    colours : ndarray of shape (n_components, 3), dtype uint8
    """
    colours = list(OKABE_ITO[:n_components])
    extra = n_components - len(colours)
    if extra > 0:
        # Golden-angle hues at medium lightness keep further components apart.
        hues = (np.arange(extra) * 137.508 + 20.0) % 360.0
        colours.extend(_hsl_to_rgb(h, 0.65, 0.5) for h in hues)
    return np.array(colours, dtype=np.uint8).reshape(n_components, 3)


def blend(responsibilities: np.ndarray | None, colours: np.ndarray, n_points: int) -> np.ndarray:
    """Each point's colour: the responsibility-weighted mix of the component colours.

    Parameters
    ----------
    responsibilities : ndarray of shape (n_points, n_components), or None
        None gives every point the neutral grey.
    colours : ndarray of shape (n_components, 3)
    n_points : int

    Returns
    -------
    rgb : ndarray of shape (n_points, 3), dtype uint8
    """
    if responsibilities is None:
        return np.broadcast_to(np.array(NEUTRAL_GREY, dtype=np.uint8), (n_points, 3)).copy()
    # float32 halves the memory traffic of the (N, K) x (K, 3) product at a million points.
    mixed = responsibilities.astype(np.float32, copy=False) @ colours.astype(np.float32)
    np.clip(mixed, 0.0, 255.0, out=mixed)
    mixed += 0.5
    return mixed.astype(np.uint8)


def _hsl_to_rgb(hue: float, saturation: float, lightness: float) -> tuple[int, int, int]:
    chroma = (1 - abs(2 * lightness - 1)) * saturation
    x = chroma * (1 - abs((hue / 60.0) % 2 - 1))
    m = lightness - chroma / 2
    sector = int(hue // 60) % 6
    r, g, b = [
        (chroma, x, 0),
        (x, chroma, 0),
        (0, chroma, x),
        (0, x, chroma),
        (x, 0, chroma),
        (chroma, 0, x),
    ][sector]
    return (round((r + m) * 255), round((g + m) * 255), round((b + m) * 255))
