"""What a session derives from one data set, computed once per data set (no Qt).

The data can change along a session's history (points painted, moved, deleted), so what
is computed from them, the copy the passes read, the mean variance the M-step measures
against, the extent parameters are checked against and the cache of posteriors, lives in
a :class:`DataContext` per data set, looked up by the current state's data set.
:class:`DataContexts` keeps the few most recent, so undo and redo across an edit find
theirs again without recomputing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.extent import DataExtent
from gmmviewer.core.em.passes import check_pass_dtype, feature_variance, pass_data
from gmmviewer.core.session.posteriors import PosteriorCache

#: Contexts a session keeps: the current data set's, and those an undo or redo reaches.
CONTEXTS_KEPT = 3


@dataclass(frozen=True, eq=False)
class DataContext:
    """Everything computed from one data set for one pass type.

    Attributes
    ----------
    dataset : Dataset
    X : ndarray of shape (n_samples, n_features)
        ``dataset.X`` (float64): initialisation and variational passes read it.
    pass_X : ndarray of shape (n_samples, n_features)
        The data the EM passes read (a float32 copy in a float32 session).
    variance : float
        The data's mean per-feature variance (NaN without rows).
    extent : DataExtent
        Where parameters stay representable for these data.
    posteriors : PosteriorCache
        Posteriors computed on these data, by parameter identity.
    """

    dataset: Dataset
    X: np.ndarray
    pass_X: np.ndarray
    variance: float
    extent: DataExtent
    posteriors: PosteriorCache

    @classmethod
    def of(cls, dataset: Dataset, dtype: str) -> DataContext:
        """The context of ``dataset`` for passes in ``dtype`` ('float64' or 'float32').

        Raises
        ------
        ParameterError
            For an unknown ``dtype``, or data too large for float32 passes.
        """
        X = dataset.X
        pass_X = pass_data(X, check_pass_dtype(dtype))
        # An empty canvas has nothing to measure yet (and nothing is fitted to it).
        variance = float(np.mean(feature_variance(X))) if X.shape[0] else float("nan")
        extent = DataExtent.of(X, variance) if X.shape[0] else extent_of(dataset)
        return cls(dataset, X, pass_X, variance, extent, PosteriorCache(pass_X, X))

    @property
    def n_samples(self) -> int:
        """N."""
        return int(self.X.shape[0])


def extent_of(dataset: Dataset) -> DataExtent:
    """Where parameters stay representable for ``dataset`` (what :meth:`DataContext.of`
    computes, without the rest)."""
    X = dataset.X
    if not X.shape[0]:
        return DataExtent(np.zeros(X.shape[1]), 1.0, 1.0)
    return DataExtent.of(X, float(np.mean(feature_variance(X))))


class DataContexts:
    """The contexts of the most recently used data sets, by the data set's identity.

    Only the session's own thread calls :meth:`get`; a worker thread calls :meth:`find`,
    which reads an immutable tuple the owner replaces (never mutates), and builds a
    context of its own, unstored, when the one it needs has been dropped.

    Parameters
    ----------
    dtype : str
        'float64' or 'float32'.
    kept : int
        How many contexts to keep.
    """

    def __init__(self, dtype: str, kept: int = CONTEXTS_KEPT) -> None:
        self.dtype = check_pass_dtype(dtype)
        self._kept = kept
        self._entries: tuple[DataContext, ...] = ()

    def find(self, dataset: Dataset) -> DataContext:
        """The context of ``dataset``: kept, or a new one that is not kept (any thread)."""
        for context in self._entries:
            if context.dataset is dataset:
                return context
        return DataContext.of(dataset, self.dtype)

    def get(self, dataset: Dataset) -> DataContext:
        """The context of ``dataset``, kept as the most recent (the owner thread only)."""
        context = self.find(dataset)
        others = tuple(entry for entry in self._entries if entry is not context)
        self._entries = (context, *others)[: self._kept]
        return context

    def add(self, context: DataContext) -> None:
        """Keep ``context`` (built before an edit is committed) as the most recent."""
        if context.dataset.X is not context.X:
            raise ValueError("a context must be built from its own data set")
        others = tuple(entry for entry in self._entries if entry.dataset is not context.dataset)
        self._entries = (context, *others)[: self._kept]

    def __len__(self) -> int:
        return len(self._entries)
