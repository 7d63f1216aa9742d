"""The special functions the variational bound needs, loaded from scipy on first use.

A session module imports the variational engine, and the window imports the session
before its first paint; ``scipy.special`` costs a noticeable part of start-up and only a
variational fit needs it, so it is imported when a variational fit first calls it.
"""

from __future__ import annotations

import numpy as np


def digamma(x: np.ndarray | float) -> np.ndarray:
    """``scipy.special.digamma``."""
    from scipy.special import digamma as function

    return function(x)


def gammaln(x: np.ndarray | float) -> np.ndarray:
    """``scipy.special.gammaln``."""
    from scipy.special import gammaln as function

    return function(x)


def betaln(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """``scipy.special.betaln``."""
    from scipy.special import betaln as function

    return function(a, b)
