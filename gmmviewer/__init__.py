"""gmmviewer: watch the EM algorithm fit a Gaussian mixture model, one half-step at a time.

The package's public, Qt-free API (importing it never loads Qt)::

    import gmmviewer
    data = gmmviewer.load_csv("faithful.csv")
    result = gmmviewer.fit(data, n_components=2)
    session = gmmviewer.EMSession(data, 2)   # step, undo, edit, observe
    vb = gmmviewer.fit_variational(data.X, n_components=8)   # variational Bayes

``gmmviewer.show(X, n_components=3)`` opens the window on an array, a Dataset or a
session from a script or a notebook and returns the live session (Qt loads only then).

Each name is imported from its module when first used (PEP 562), not with the package:
every ``gmmviewer.*`` module, the window's included, imports this package first, and the
CSV reader, parameter files, ``fit`` and variational fits are no part of the window's
first paint.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from gmmviewer.version import __version__

if TYPE_CHECKING:
    from gmmviewer.core.data.dataset import Dataset, LoadReport
    from gmmviewer.core.data.synthetic import (
        PRESETS,
        make_preset,
        make_random_mixture,
        sample_mixture,
    )
    from gmmviewer.core.em.fit import FitResult, IterationRecord, fit
    from gmmviewer.core.em.initialization import INIT_METHODS, initialize
    from gmmviewer.core.em.kmeans import KMeansResult, kmeans
    from gmmviewer.core.em.objective import aic, bic
    from gmmviewer.core.errors import (
        DataError,
        GMMViewerError,
        ParameterError,
        ParameterFileError,
        SessionError,
    )
    from gmmviewer.core.files.csv_reader import CsvPreview, load_csv, sniff_csv
    from gmmviewer.core.files.csv_writer import write_data_csv
    from gmmviewer.core.files.paramfile import ParamFile, load_params, save_params
    from gmmviewer.core.params import GMMParams
    from gmmviewer.core.session.em_session import EMSession
    from gmmviewer.core.session.history import SessionState
    from gmmviewer.core.session.variational_state import PriorChoice
    from gmmviewer.core.vb.fit import VariationalFitResult, fit_variational
    from gmmviewer.interactive import show

#: Where each public name lives (the ``TYPE_CHECKING`` imports above, for type checkers).
_MODULES = {
    "gmmviewer.core.data.dataset": ("Dataset", "LoadReport"),
    "gmmviewer.core.data.synthetic": (
        "PRESETS",
        "make_preset",
        "make_random_mixture",
        "sample_mixture",
    ),
    "gmmviewer.core.em.fit": ("FitResult", "IterationRecord", "fit"),
    "gmmviewer.core.em.initialization": ("INIT_METHODS", "initialize"),
    "gmmviewer.core.em.kmeans": ("KMeansResult", "kmeans"),
    "gmmviewer.core.em.objective": ("aic", "bic"),
    "gmmviewer.core.errors": (
        "DataError",
        "GMMViewerError",
        "ParameterError",
        "ParameterFileError",
        "SessionError",
    ),
    "gmmviewer.core.files.csv_reader": ("CsvPreview", "load_csv", "sniff_csv"),
    "gmmviewer.core.files.csv_writer": ("write_data_csv",),
    "gmmviewer.core.files.paramfile": ("ParamFile", "load_params", "save_params"),
    "gmmviewer.core.params": ("GMMParams",),
    "gmmviewer.core.session.em_session": ("EMSession",),
    "gmmviewer.core.session.history": ("SessionState",),
    "gmmviewer.core.session.variational_state": ("PriorChoice",),
    "gmmviewer.core.vb.fit": ("VariationalFitResult", "fit_variational"),
    "gmmviewer.interactive": ("show",),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "INIT_METHODS",
    "PRESETS",
    "CsvPreview",
    "DataError",
    "Dataset",
    "EMSession",
    "FitResult",
    "GMMParams",
    "GMMViewerError",
    "IterationRecord",
    "KMeansResult",
    "LoadReport",
    "ParamFile",
    "ParameterError",
    "ParameterFileError",
    "PriorChoice",
    "SessionError",
    "SessionState",
    "VariationalFitResult",
    "__version__",
    "aic",
    "bic",
    "fit",
    "fit_variational",
    "initialize",
    "kmeans",
    "load_csv",
    "load_params",
    "make_preset",
    "make_random_mixture",
    "sample_mixture",
    "save_params",
    "show",
    "sniff_csv",
    "write_data_csv",
]


def __getattr__(name: str) -> object:
    """Import a public name from its module on first use and keep it here."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'gmmviewer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
