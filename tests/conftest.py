"""Shared fixtures. Qt runs offscreen in every test; the real data sets live in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

# Before anything imports Qt: tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]

# Property tests check behaviour, not the machine's speed: no per-example deadline and no
# "generating data is too slow" health check, the two wall-clock limits Hypothesis applies
# by default (a busy machine trips both).
settings.register_profile("gmmviewer", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("gmmviewer")


def shared_data_dir() -> Path:
    """The folder holding faithful.csv and iris.csv: ``GMMVIEWER_SHARED_DATA``, else the
    nearest ``shared/data`` beside the checkout or one of its parents (``../shared/data``
    for the usual layout)."""
    override = os.environ.get("GMMVIEWER_SHARED_DATA")
    if override:
        return Path(override)
    for folder in REPO_ROOT.parents:
        candidate = folder / "shared" / "data"
        if (candidate / "faithful.csv").is_file():
            return candidate
    return REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    folder = shared_data_dir()
    if not (folder / "faithful.csv").is_file():
        pytest.skip(f"the shared data sets are not at {folder} (set GMMVIEWER_SHARED_DATA)")
    return folder


@pytest.fixture(scope="session")
def faithful_path(data_dir: Path) -> Path:
    return data_dir / "faithful.csv"


@pytest.fixture(scope="session")
def iris_path(data_dir: Path) -> Path:
    return data_dir / "iris.csv"


@pytest.fixture(scope="session")
def faithful(faithful_path: Path) -> np.ndarray:
    """Old Faithful as a (272, 2) array, read independently of gmmviewer's CSV reader."""
    return np.loadtxt(faithful_path, delimiter=",", skiprows=1, usecols=(1, 2))
