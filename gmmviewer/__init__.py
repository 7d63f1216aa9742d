"""gmmviewer: watch the EM algorithm fit a Gaussian mixture model, one half-step at a time.

The package's public, Qt-free API (importing it never loads Qt)::

    import gmmviewer
    data = gmmviewer.load_csv("faithful.csv")
    result = gmmviewer.fit(data, n_components=2)
    session = gmmviewer.EMSession(data, 2)   # step, undo, edit, observe
"""

from __future__ import annotations

__version__ = "0.1.0"

from gmmviewer.core.csv_reader import CsvPreview, load_csv, sniff_csv
from gmmviewer.core.csv_writer import write_data_csv
from gmmviewer.core.dataset import Dataset, LoadReport
from gmmviewer.core.errors import (
    DataError,
    GMMViewerError,
    ParameterError,
    ParameterFileError,
    SessionError,
)
from gmmviewer.core.fit import FitResult, IterationRecord, fit
from gmmviewer.core.history import SessionState
from gmmviewer.core.initialization import INIT_METHODS, initialize
from gmmviewer.core.kmeans import KMeansResult, kmeans
from gmmviewer.core.objective import aic, bic
from gmmviewer.core.paramfile import ParamFile, load_params, save_params
from gmmviewer.core.params import GMMParams
from gmmviewer.core.session import EMSession
from gmmviewer.core.synthetic import PRESETS, make_preset, make_random_mixture, sample_mixture

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
    "SessionError",
    "SessionState",
    "__version__",
    "aic",
    "bic",
    "fit",
    "initialize",
    "kmeans",
    "load_csv",
    "load_params",
    "make_preset",
    "make_random_mixture",
    "sample_mixture",
    "save_params",
    "sniff_csv",
    "write_data_csv",
]
