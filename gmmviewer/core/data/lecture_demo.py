"""The window's lecture demo, stored: 600 points of the 'lecture' preset and their start.

Pure numpy; no Qt. The demo is ``make_preset("lecture", 600, seed=0)`` started by
``initialize(X, 3, "random-means", "full", seed=0)``. Both draw from ``numpy.random``,
whose import (about 10 ms) the window's first paint would wait for, so the points, their
labels and the start are kept in ``lecture_demo.npz`` beside this module (16 kB) and
read from there; ``tests/core/test_lecture_demo.py`` checks that they are exactly what
those calls give. After a change to either, rewrite the file with::

    python -m gmmviewer.core.data.lecture_demo
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import PRESETS, make_preset
from gmmviewer.core.em.objective import DEFAULT_REG_COVAR
from gmmviewer.core.params import GMMParams

PRESET = "lecture"
N_SAMPLES = 600
DATA_SEED = 0
N_COMPONENTS = 3
INIT = "random-means"
INIT_SEED = 0
#: How the history names the demo's start (as a session made with INIT and INIT_SEED).
START_DESCRIPTION = f"initialised by {INIT}, seed {INIT_SEED}, K = {N_COMPONENTS}"
STORED = Path(__file__).with_name("lecture_demo.npz")


def lecture_demo() -> tuple[Dataset, GMMParams]:
    """The demo's data set (truth and labels included) and its full-covariance start."""
    with np.load(STORED) as stored:
        X, labels = stored["X"], stored["labels"]
        start = GMMParams(stored["weights"], stored["means"], stored["covariances"], "full")
    dataset = Dataset(
        X=X,
        columns=tuple(f"x{i + 1}" for i in range(X.shape[1])),
        source=f"preset:{PRESET}",
        labels=labels,
        truth=PRESETS[PRESET].build(),
    )
    return dataset, start


def computed_demo() -> tuple[Dataset, GMMParams]:
    """What :func:`lecture_demo` stores, computed (imports numpy.random)."""
    from gmmviewer.core.em.initialization import initialize

    dataset = make_preset(PRESET, n_samples=N_SAMPLES, seed=DATA_SEED)
    start = initialize(dataset.X, N_COMPONENTS, INIT, "full", INIT_SEED, DEFAULT_REG_COVAR)
    return dataset, start


def write_stored_demo(path: Path = STORED) -> None:
    """Compute the demo and store it at ``path`` (written to a temporary name, then renamed)."""
    dataset, start = computed_demo()
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez(
        temporary,
        X=dataset.X,
        labels=dataset.labels,
        weights=start.weights,
        means=start.means,
        covariances=start.covariances,
    )
    temporary.replace(path)


if __name__ == "__main__":
    write_stored_demo()
    print(f"wrote {STORED}")
