"""Fit progress of ``gmmviewer fit`` on stderr, shared by the EM and variational fits."""

from __future__ import annotations

import math
import time
from typing import TextIO


class Progress:
    """Prints fit progress to stderr: every iteration, or only once a fit runs over a second."""

    def __init__(
        self,
        stream: TextIO,
        always: bool,
        quiet: bool,
        quantity: str = "mean log-likelihood",
    ) -> None:
        self._stream = stream
        self._always = always
        self._quiet = quiet
        self._quantity = quantity
        self._start = time.perf_counter()
        self._last_print = self._start
        self._previous = -math.inf

    def __call__(self, iteration: int, lower_bound: float) -> None:
        change = lower_bound - self._previous
        self._previous = lower_bound
        now = time.perf_counter()
        if self._quiet:
            return
        if self._always or (now - self._start > 1.0 and now - self._last_print > 1.0):
            self._last_print = now
            shown = f"{change:.3g}" if math.isfinite(change) else "-"
            self._stream.write(
                f"iteration {iteration:4d}  {self._quantity} {lower_bound:.8g}  change {shown}\n"
            )
            self._stream.flush()
