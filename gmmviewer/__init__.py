"""gmmviewer: watch the EM algorithm fit a Gaussian mixture model, one half-step at a time.

The package's public, Qt-free API (importing it never loads Qt)::

    import gmmviewer
    data = gmmviewer.load_csv("faithful.csv")
    result = gmmviewer.fit(data, n_components=2)
    session = gmmviewer.EMSession(data, 2)   # step, undo, edit, observe
    vb = gmmviewer.fit_variational(data.X, n_components=8)   # variational Bayes

``gmmviewer.show(X, n_components=3)`` opens the window on an array, a Dataset or a
session from a script or a notebook and returns the live session (Qt loads only then).
"""

from __future__ import annotations

from gmmviewer.core.data.dataset import Dataset, LoadReport
from gmmviewer.core.data.synthetic import PRESETS, make_preset, make_random_mixture, sample_mixture
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
from gmmviewer.version import __version__

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
