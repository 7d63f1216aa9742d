"""Component colours and responsibility-blended point colours (numpy; no Qt).

The window and the replay page (:mod:`gmmviewer.core.replay`) both colour components
and points with these, so a page shows exactly what the window showed.

The palette starts with Okabe & Ito's colour-blind-safe set (2008), ordered so the first
components are the most distinguishable; further components get the colours farthest
(by CIEDE2000) from every colour already used, from white, near-black and the neutral grey,
so even 20 or more components stay pairwise distinct.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

#: Okabe-Ito, without black and grey: blue, vermillion, bluish green, orange, reddish
#: purple, sky blue, yellow. Components 8 and on are chosen by :func:`component_colours`.
OKABE_ITO: tuple[tuple[int, int, int], ...] = (
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (230, 159, 0),
    (204, 121, 167),
    (86, 180, 233),
    (240, 228, 66),
)

#: Points before the first E-step: a neutral grey that reads on light and dark themes.
NEUTRAL_GREY: tuple[int, int, int] = (150, 150, 150)

#: Colours a further component must stand apart from: the light and dark plot
#: backgrounds and the neutral grey of unassigned points.
_AVOID: tuple[tuple[int, int, int], ...] = ((255, 255, 255), (18, 19, 20), NEUTRAL_GREY)
#: Further components come from an RGB grid with this step, keeping lightness and
#: chroma (CIELAB) where a colour reads on white and on near-black.
_GRID_STEP = 15
_LIGHTNESS = (35.0, 75.0)
_MIN_CHROMA = 30.0


def component_colours(n_components: int) -> np.ndarray:
    """RGB colours for K components, pairwise distinct for any K.

    Returns
    -------
    colours : ndarray of shape (n_components, 3), dtype uint8
        The first seven are Okabe-Ito's; each further one is, of a grid of readable
        colours, the farthest (CIEDE2000) from all before it (greedy max-min).
    """
    palette = _palette(max(n_components, len(OKABE_ITO)))
    return np.array(palette[:n_components], dtype=np.uint8).reshape(n_components, 3)


@functools.cache
def _palette(n_colours: int) -> tuple[tuple[int, int, int], ...]:
    colours = list(OKABE_ITO)
    if n_colours <= len(colours):
        return tuple(colours)
    levels = np.arange(0, 256, _GRID_STEP)
    candidates = np.array(list(itertools.product(levels, levels, levels)), dtype=float)
    lab = srgb_to_lab(candidates)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    readable = (lab[:, 0] >= _LIGHTNESS[0]) & (lab[:, 0] <= _LIGHTNESS[1])
    readable &= chroma >= _MIN_CHROMA
    candidates, lab = candidates[readable], lab[readable]
    taken = srgb_to_lab(np.array([*_AVOID, *colours], dtype=float))
    nearest = np.min(delta_e_2000(lab[:, None, :], taken[None, :, :]), axis=1)
    while len(colours) < n_colours:
        best = int(np.argmax(nearest))
        colours.append(tuple(int(v) for v in candidates[best]))
        nearest = np.minimum(nearest, delta_e_2000(lab, lab[best]))
    return tuple(colours)


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """The CIEDE2000 colour difference (Sharma, Wu & Dalal 2005) of CIELAB colours.

    Unlike the plain distance in CIELAB it does not overrate differences of saturated
    blues, so two blues are not taken for distinct components.

    Parameters
    ----------
    lab1, lab2 : ndarray of shape (..., 3)
        Broadcast against each other.

    Returns
    -------
    difference : ndarray of the broadcast shape without the last axis
    """
    l1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=float), -1, 0)
    l2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=float), -1, 0)
    chroma_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(chroma_mean**7 / (chroma_mean**7 + 25.0**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1 = np.degrees(np.arctan2(b1, a1)) % 360
    h2 = np.degrees(np.arctan2(b2, a2)) % 360
    grey = c1 * c2 == 0
    dh = h2 - h1
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(grey, 0.0, dh)
    d_hue = 2 * np.sqrt(c1 * c2) * np.sin(np.radians(dh) / 2)
    l_mean, c_mean = (l1 + l2) / 2, (c1 + c2) / 2
    h_sum = h1 + h2
    h_mean = np.where(
        grey,
        h_sum,
        np.where(
            np.abs(h1 - h2) <= 180,
            h_sum / 2,
            np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2),
        ),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    rotation = 30 * np.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * c_mean
    s_h = 1 + 0.015 * c_mean * t
    r_t = -np.sin(np.radians(2 * rotation)) * r_c
    dl, dc, dhue = (l2 - l1) / s_l, (c2 - c1) / s_c, d_hue / s_h
    return np.sqrt(dl**2 + dc**2 + dhue**2 + r_t * dc * dhue)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) coordinates of sRGB colours.

    Parameters
    ----------
    rgb : ndarray of shape (..., 3)
        Channels from 0 to 255.

    Returns
    -------
    lab : ndarray of shape (..., 3)
        L* from 0 (black) to 100 (white), then a* and b*.
    """
    c = np.asarray(rgb, dtype=float) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    epsilon = (6.0 / 29.0) ** 3
    f = np.where(xyz > epsilon, np.cbrt(xyz), xyz / (3 * (6.0 / 29.0) ** 2) + 4.0 / 29.0)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


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
