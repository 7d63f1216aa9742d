"""The data matrix EM fits, with column names, provenance and optional z-score normalisation.

Pure numpy; no Qt. A :class:`Dataset` is immutable: normalising returns a new one.
Parameters fitted on normalised data are mapped back with :meth:`Dataset.to_data_units`
so that exported parameters are always in the data's own units.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from gmmviewer.core.data.extent import check_data_magnitude
from gmmviewer.core.errors import DataError
from gmmviewer.core.params import GMMParams
from gmmviewer.core.text import count


@dataclass(frozen=True)
class LoadReport:
    """What loading a file kept, skipped and dropped, for the user to read.

    Attributes
    ----------
    delimiter : str or None
        The field separator used (None means runs of whitespace).
    has_header : bool
    all_columns : tuple of str
        Every column of the file, in order.
    skipped_columns : tuple of str
        Non-numeric columns that were left out.
    n_rows_read : int
        Data rows in the file (after comments and the header).
    n_rows_dropped : int
        Rows dropped for missing or non-finite values in the selected columns.
    index_column : str or None
        A leading row-index column that was not fitted.
    decimal : str
        The decimal mark the numbers used.
    row_numbers : ndarray of shape (n_rows_kept,), int, or None
        The 1-based data row in the file of every row kept, counting every data row
        (dropped ones too) but not the header, comment or blank lines. None when no row
        was dropped: the rows are then 1..N.
    """

    delimiter: str | None = ","
    has_header: bool = True
    all_columns: tuple[str, ...] = ()
    skipped_columns: tuple[str, ...] = ()
    n_rows_read: int = 0
    n_rows_dropped: int = 0
    index_column: str | None = None
    decimal: str = "."
    row_numbers: np.ndarray | None = field(default=None, compare=False, repr=False)

    def summary(self) -> str:
        """One line: rows kept, rows dropped, columns skipped."""
        kept = self.n_rows_read - self.n_rows_dropped
        parts = [count(kept, "row")]
        if self.n_rows_dropped:
            parts.append(f"{self.n_rows_dropped:,} dropped for missing or non-finite values")
        if self.index_column is not None:
            parts.append(f"skipped the row index {self.index_column!r}")
        if self.skipped_columns:
            parts.append("skipped non-numeric " + ", ".join(self.skipped_columns))
        return "; ".join(parts)


def _frozen(array: np.ndarray | None) -> np.ndarray | None:
    if array is None:
        return None
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data matrix and what is known about it.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The values EM fits: z-scores when ``normalized``, raw values otherwise.
    columns : tuple of str
        One name per feature.
    source : str
        Where the data came from (a path or a preset name), for titles and files.
    offset, scale : ndarray of shape (n_features,)
        ``X = (raw - offset) / scale``; zeros and ones when not normalised.
    labels : ndarray of shape (n_samples,), optional
        True component of each sample, for generated data.
    truth : GMMParams, optional
        The true parameters (in data units), for generated data.
    report : LoadReport, optional
        What loading a file kept and dropped.
    edited : bool
        True for data changed by hand (points painted, moved or deleted; see
        :meth:`with_rows`). Only an edited data set may have no rows: loaders and
        generators never make one.
    """

    X: np.ndarray
    columns: tuple[str, ...] = ()
    source: str = ""
    offset: np.ndarray | None = None
    scale: np.ndarray | None = None
    labels: np.ndarray | None = None
    truth: GMMParams | None = None
    report: LoadReport | None = field(default=None, compare=False)
    edited: bool = False

    def __post_init__(self) -> None:
        X = np.asarray(self.X, dtype=float)
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2:
            raise DataError(f"data must be a 2-D array (samples x features), got {X.ndim}-D")
        if X.shape[0] == 0 and not self.edited:
            raise DataError("the data set has no rows")
        if X.shape[1] == 0:
            raise DataError("the data set has no columns")
        if not np.all(np.isfinite(X)):
            raise DataError("the data contain missing or non-finite values")
        d = X.shape[1]
        columns = tuple(self.columns) if self.columns else tuple(f"x{i + 1}" for i in range(d))
        if len(columns) != d:
            raise DataError(f"{len(columns)} column names for {d} columns")
        offset = np.zeros(d) if self.offset is None else np.asarray(self.offset, float)
        scale = np.ones(d) if self.scale is None else np.asarray(self.scale, float)
        check_data_magnitude(X, columns)
        if (self.offset is not None or self.scale is not None) and X.shape[0]:
            # The data's own units must be representable too (parameters are exported in them).
            with np.errstate(over="ignore", invalid="ignore"):
                raw_bound = np.abs(offset) + np.abs(scale) * np.max(np.abs(X), axis=0)
            check_data_magnitude(raw_bound[None, :], columns)
        object.__setattr__(self, "X", _frozen(np.ascontiguousarray(X)))
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "offset", _frozen(offset))
        object.__setattr__(self, "scale", _frozen(scale))
        object.__setattr__(self, "labels", _frozen(self.labels))

    @property
    def n_samples(self) -> int:
        """Number of rows N."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of columns D."""
        return int(self.X.shape[1])

    @property
    def normalized(self) -> bool:
        """True when ``X`` holds z-scores rather than raw values."""
        return bool(np.any(self.offset != 0.0) or np.any(self.scale != 1.0))

    @property
    def raw(self) -> np.ndarray:
        """The data in its own units, shape (n_samples, n_features)."""
        if not self.normalized:
            return self.X
        return self.X * self.scale + self.offset

    def with_rows(self, X: np.ndarray) -> Dataset:
        """The same columns holding other rows: what editing the data by hand makes.

        Columns, source, normalisation (``offset``, ``scale``) and the true parameters
        are kept; the true labels are dropped (painted points have none, and moved ones
        no longer came from their component), and so is the load report (it describes a
        file these rows are no longer). The result is :attr:`edited` and may be empty.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            In the units of :attr:`X` (z-scores when normalised); ``n_rows`` may be 0.

        Raises
        ------
        DataError
            For another number of columns, a non-finite value, or a value too large
            (in ``X`` or in the data's own units).
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            shape = "x".join(str(n) for n in X.shape) or "a scalar"
            raise DataError(
                f"the new rows must have {self.n_features} columns, got an array of shape {shape}"
            )
        return replace(self, X=X, labels=None, report=None, edited=True)

    @classmethod
    def empty(cls, columns: tuple[str, ...] | int = 2, source: str = "") -> Dataset:
        """An edited data set with no rows (an empty canvas to draw points on).

        Parameters
        ----------
        columns : tuple of str or int
            The column names, or how many columns (named ``x1``, ``x2``, ...).
        source : str
        """
        names = tuple(f"x{i + 1}" for i in range(columns)) if isinstance(columns, int) else columns
        return cls(np.zeros((0, len(names))), names, source, edited=True)

    def with_normalization(self, normalize: bool) -> Dataset:
        """A copy whose ``X`` is z-scored (``normalize=True``) or raw.

        Columns with zero spread keep scale 1 so they do not divide by zero.
        """
        raw = self.raw
        if not normalize:
            return replace(self, X=raw, offset=None, scale=None)
        offset = raw.mean(axis=0)
        scale = raw.std(axis=0)
        scale[scale == 0.0] = 1.0
        return replace(self, X=(raw - offset) / scale, offset=offset, scale=scale)

    def to_data_units(self, params: GMMParams) -> GMMParams:
        """Map parameters fitted on ``X`` to the data's own units.

        A spherical fit on z-scores with unequal column scales is diagonal in data
        units, so it comes back as 'diag'; every other type keeps its type.
        """
        if not self.normalized:
            return params
        return _affine_params(params, self.scale, self.offset)

    def from_data_units(self, params: GMMParams) -> GMMParams:
        """Map parameters in the data's own units to the scale of ``X``."""
        if not self.normalized:
            return params
        return _affine_params(params, 1.0 / self.scale, -self.offset / self.scale)


def _affine_params(params: GMMParams, scale: np.ndarray, offset: np.ndarray) -> GMMParams:
    """Parameters of ``y = x * scale + offset`` when ``x`` follows ``params``."""
    scale = np.asarray(scale, dtype=float)
    means = params.means * scale + offset
    kind = params.covariance_type
    if kind == "full":
        covariances = params.covariances * np.outer(scale, scale)[None]
    elif kind == "tied":
        covariances = params.covariances * np.outer(scale, scale)
    elif kind == "diag":
        covariances = params.covariances * scale**2
    elif np.all(scale == scale[0]):
        covariances = params.covariances * scale[0] ** 2
    else:
        covariances = params.covariances[:, None] * scale[None, :] ** 2
        kind = "diag"
    return GMMParams(params.weights, means, covariances, kind)
