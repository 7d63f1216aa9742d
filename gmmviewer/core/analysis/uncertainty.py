"""Classification uncertainty ``1 - max_k r_nk`` and its colour ramp (numpy; no Qt).

As mclust's uncertainty plot: a point its most responsible component fully owns has
uncertainty 0; a point shared evenly by K components has the largest, ``1 - 1/K``. The
window colours points by it (View > Uncertainty colouring) on a sequential ramp from a
pale grey to a strong red, which reads on the light and the dark plot background.
"""

from __future__ import annotations

import numpy as np

#: The ramp's colour stops: position in [0, 1] and sRGB colour (pale grey, then reds).
UNCERTAINTY_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (205, 205, 205)),
    (0.3, (252, 146, 114)),
    (0.65, (239, 59, 44)),
    (1.0, (175, 0, 30)),
)
#: Entries of the lookup table the ramp is applied through.
RAMP_SIZE = 256
#: What the colour bar is called.
UNCERTAINTY_LABEL = "uncertainty 1 \u2212 max r"


def uncertainty(responsibilities: np.ndarray) -> np.ndarray:
    """``1 - max_k r_nk`` of every point.

    Parameters
    ----------
    responsibilities : ndarray of shape (n_points, n_components)

    Returns
    -------
    uncertainty : ndarray of shape (n_points,), float32
        From 0 (certain) to ``1 - 1/K`` (shared evenly).
    """
    largest = np.max(responsibilities, axis=1).astype(np.float32, copy=False)
    return np.clip(1.0 - largest, 0.0, 1.0)


def uncertainty_top(n_components: int) -> float:
    """The largest possible uncertainty, ``1 - 1/K``: the top of the ramp (1 for K = 1)."""
    return 1.0 - 1.0 / n_components if n_components > 1 else 1.0


def ramp_table(size: int = RAMP_SIZE) -> np.ndarray:
    """The ramp as a lookup table, linear in sRGB between :data:`UNCERTAINTY_STOPS`.

    Returns
    -------
    table : ndarray of shape (size, 3), dtype uint8
        Entry ``i`` is the colour at ``i / (size - 1)``.
    """
    positions = np.array([stop for stop, _ in UNCERTAINTY_STOPS])
    colours = np.array([colour for _, colour in UNCERTAINTY_STOPS], dtype=float)
    where = np.linspace(0.0, 1.0, size)
    channels = [np.interp(where, positions, colours[:, c]) for c in range(3)]
    return (np.stack(channels, axis=1) + 0.5).astype(np.uint8)


_TABLE = ramp_table()


def uncertainty_colours(responsibilities: np.ndarray) -> np.ndarray:
    """Each point's colour on the ramp, 0 at its start and ``1 - 1/K`` at its end.

    Parameters
    ----------
    responsibilities : ndarray of shape (n_points, n_components)

    Returns
    -------
    rgb : ndarray of shape (n_points, 3), dtype uint8
        One (N, K) max and one table lookup: milliseconds at a million points.
    """
    values = uncertainty(responsibilities)
    values *= (RAMP_SIZE - 1) / uncertainty_top(responsibilities.shape[1])
    values += 0.5
    index = np.clip(values, 0, RAMP_SIZE - 1).astype(np.intp)
    return _TABLE[index]
