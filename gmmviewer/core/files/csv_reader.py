"""Read delimited text (CSV, TSV, whitespace) into a :class:`Dataset`; sniff it for a preview.

Pure Python and numpy: must not import Qt (the import dialog shows a :class:`CsvPreview`,
then calls :func:`load_csv` with the user's choices). Only the first lines are split to sniff
the layout (:mod:`~gmmviewer.core.files.csv_layout`). Data lines that are nothing but numbers
are then read whole, straight from the file's bytes
(:func:`~gmmviewer.core.files.csv_numbers.read_number_table`); otherwise blocks of rows go
through ``np.loadtxt``, and a block it refuses (missing values, text, ragged rows) is re-read
field by field, which finds what is wrong and on which line. All three give the same values.

Conventions: ``#`` starts a comment only at the beginning of a line (after optional blanks);
blank lines are skipped; a quoted field may not span lines (a line with an odd number of
``"`` is an error); a missing value (empty, NA, NaN, N/A, null, ?, inf, ...) drops its row
when it falls in a selected column. With a delimiter other than ``,``, a decimal comma
(``1,5``) is detected when no field uses a decimal point.
Text that is not UTF-8 is read as Windows-1252 (or Latin-1); a file with NUL bytes or
control characters near its start, other than UTF-16 with a byte-order mark, is refused as
binary. A number is what ``np.loadtxt`` reads: ASCII, no ``_`` digit separators.

Only regular files of at most :data:`~gmmviewer.core.limits.MAX_DATA_FILE_BYTES` are read
(a FIFO or a device is refused before it is opened for reading), and at most
:data:`~gmmviewer.core.limits.MAX_FEATURES` columns are selected. Every pass over the
fields is linear in their number, however wide the file.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gmmviewer.core.data.dataset import Dataset, LoadReport
from gmmviewer.core.errors import DataError
from gmmviewer.core.files.csv_layout import _INDEX_NAMES as _INDEX_NAMES  # re-exported
from gmmviewer.core.files.csv_layout import (
    _SNIFF_ROWS,
    AUTO,
    CsvPreview,
    _analyse,
    _Auto,
    _index_column,
    _is_content,
    _Layout,
    _split,
    _UnmatchedQuote,
)
from gmmviewer.core.files.csv_numbers import parse_number, read_number_table
from gmmviewer.core.files.reading import InputError, read_regular_file
from gmmviewer.core.limits import MAX_DATA_FILE_BYTES, MAX_FEATURES
from gmmviewer.core.text import count

__all__ = ["AUTO", "CsvPreview", "head_rows", "load_csv", "sniff_csv"]

_CHUNK_ROWS = 50_000
_PREVIEW_BYTES = 1 << 20
_BINARY_PROBE = 8192
# Characters text never holds: C0 controls but tab, line ends, form feed and the DOS
# end-of-file mark (Ctrl-Z), DEL, and the C1 controls that undecodable bytes become.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")


def sniff_csv(
    path: str | os.PathLike[str],
    n_preview_rows: int = 20,
    *,
    delimiter: str | None | _Auto = AUTO,
    has_header: bool | None = None,
    decimal: str | _Auto = AUTO,
) -> CsvPreview:
    """Split the first megabyte of a file: delimiter, header and numeric columns.

    Parameters
    ----------
    path : str or path-like
    n_preview_rows : int
        How many data rows to return in ``rows`` (at least 100 are used for guessing).
    delimiter, has_header, decimal
        As in :func:`load_csv`: detected when AUTO / None, used as given otherwise.

    Raises
    ------
    DataError
        If the file is missing, unreadable, binary, has no data rows, or does not split
        with the given choices.
    """
    text = _read_text(path, limit=_PREVIEW_BYTES)
    layout = _analyse(
        text, _name(path), delimiter, has_header, decimal, max(n_preview_rows, _SNIFF_ROWS)
    )
    index = _index_column(layout, [parse_number(row[0], layout.decimal) for row in layout.sample])
    return CsvPreview(
        delimiter=layout.delimiter,
        has_header=layout.has_header,
        columns=layout.columns,
        numeric_columns=layout.numeric,
        default_columns=tuple(j for j in layout.numeric if j != index),
        rows=[[field.strip() for field in row] for row in layout.sample[:n_preview_rows]],
        decimal=layout.decimal,
        n_comment_lines=sum(1 for line in layout.lines if line.lstrip().startswith("#")),
    )


def load_csv(
    path: str | os.PathLike[str],
    columns: Sequence[str | int] | None = None,
    *,
    normalize: bool = False,
    delimiter: str | None | _Auto = AUTO,
    has_header: bool | None = None,
    decimal: str | _Auto = AUTO,
    min_rows: int = 1,
) -> Dataset:
    """Load numeric columns of a delimited text file.

    Parameters
    ----------
    path : str or path-like
    columns : sequence of str or int, optional
        Column names (exact, then case-insensitive) or 0-based indices. By default every
        numeric column except a leading row index (headed ``rownames``, ``index``, ``id`` or
        nothing, holding 1..N or 0..N-1).
    normalize : bool
        Return z-scores (see :meth:`Dataset.with_normalization`).
    delimiter : str, None or AUTO
        Field separator; None (or ``" "``) means runs of whitespace.
    has_header : bool, optional
        Whether the first non-comment line names the columns; detected when None.
    decimal : {'.', ','} or AUTO
        Decimal mark; ``','`` needs a delimiter other than ``','``.
    min_rows : int
        Fewest usable rows accepted (the caller passes its number of components).

    Returns
    -------
    Dataset
        ``X`` of shape (n_usable_rows, n_selected_columns), with a :class:`LoadReport`.

    Raises
    ------
    DataError
        With a one-line message naming the file, for every problem with the file or selection.
    """
    name = _name(path)
    raw, text = _read_file(path)
    layout = _analyse(text, name, delimiter, has_header, decimal, _SNIFF_ROWS)
    if columns is None:
        if not layout.numeric:
            raise DataError(f"{name} has no numeric columns ({_listed(layout.columns)})")
        selected = list(layout.numeric)
    else:
        selected = _select(columns, layout)
    if len(selected) > MAX_FEATURES:
        kind = "numeric column" if columns is None else "selected column"
        raise DataError(
            f"{name} has {count(len(selected), kind)}; at most {MAX_FEATURES:,} columns "
            "are fitted: choose fewer"
        )
    values = _parse(layout, selected, raw)
    index_column = None
    if columns is None and _index_column(layout, values[:, 0]) == 0:
        index_column = layout.columns[0]
        if len(selected) == 1:
            index_name = layout.columns[0]
            raise DataError(f"{name} has no numeric columns besides the row index {index_name!r}")
        selected, values = selected[1:], values[:, 1:]
    usable = np.isfinite(values).all(axis=1)
    n_usable, n_read = int(usable.sum()), len(values)
    if n_usable == 0:
        raise DataError(f"{name} has no usable rows: all {n_read:,} have missing values")
    if n_usable < min_rows:
        raise DataError(
            f"{name} has only {count(n_usable, 'usable row')}, fewer than the {min_rows:,} needed "
            "(one per component)"
        )
    kept = set(layout.numeric).union(selected)
    report = LoadReport(
        delimiter=layout.delimiter,
        has_header=layout.has_header,
        all_columns=layout.columns,
        skipped_columns=tuple(c for j, c in enumerate(layout.columns) if j not in kept),
        n_rows_read=n_read,
        n_rows_dropped=n_read - n_usable,
        index_column=index_column,
        decimal=layout.decimal,
        # Only when rows were dropped: a file read whole has rows 1..N, stored as nothing.
        row_numbers=np.flatnonzero(usable) + 1 if n_usable < n_read else None,
    )
    dataset = Dataset(
        X=values[usable] if n_usable < n_read else values,
        columns=tuple(layout.columns[j] for j in selected),
        source=str(path),
        report=report,
    )
    return dataset.with_normalization(True) if normalize else dataset


# ----------------------------------------------------------------------------- reading
def head_rows(
    path: str | os.PathLike[str], delimiter: str | None, n_rows: int = 20
) -> list[list[str]]:
    """The first non-blank, non-comment lines split by ``delimiter``, as raw text fields.

    For showing a file that does not load with some choices; never raises (an unreadable
    file gives no rows) and tolerates unmatched quotes.
    """
    try:
        text = _read_text(path, limit=_PREVIEW_BYTES)
    except DataError:
        return []
    lines = [line for line in text.split("\n") if _is_content(line)][:n_rows]
    try:
        rows = _split(lines, delimiter)
    except _UnmatchedQuote:
        rows = [line.split(delimiter) for line in lines]
    return [[field.strip() for field in row] for row in rows]


def _name(path: str | os.PathLike[str]) -> str:
    return Path(path).name or str(path)


def _read_text(path: str | os.PathLike[str], limit: int | None = None) -> str:
    """The file's text with ``\\n`` line ends; at most ``limit`` bytes, cut at a line end."""
    return _read_file(path, limit)[1]


def _read_file(path: str | os.PathLike[str], limit: int | None = None) -> tuple[bytes, str]:
    """The file's bytes, and its text as :func:`_read_text` returns it."""
    name = _name(path)
    try:
        raw = read_regular_file(
            path, max_bytes=MAX_DATA_FILE_BYTES, what="data files", name=name, head=limit
        )
    except InputError as error:
        raise DataError(str(error)) from None
    except FileNotFoundError:
        raise DataError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise DataError(f"{name} is a directory, not a data file") from None
    except PermissionError:
        raise DataError(f"cannot read {name}: permission denied") from None
    except OSError as error:
        raise DataError(f"cannot read {name}: {error.strerror or error}") from None
    truncated = limit is not None and len(raw) == limit
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, as Excel saves "Unicode text"
        text = raw[: len(raw) // 2 * 2].decode("utf-16", errors="replace")
    elif b"\x00" in raw[:_BINARY_PROBE]:
        raise DataError(f"{name} is not a text file")
    else:
        text = _decode(raw[: raw.rfind(b"\n") + 1] or raw if truncated else raw)
    probe = text[:_BINARY_PROBE]
    if len(_CONTROL.findall(probe)) > max(1, len(probe) // 100):
        raise DataError(f"{name} is not a text file")
    if truncated:
        text = text[: text.rfind("\n") + 1] or text
    if not text or text.isspace():  # not text.strip(), which would copy the whole text
        raise DataError(f"{name} has no data rows (it is empty)")
    return raw, text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, else Latin-1 (which never fails)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


# ----------------------------------------------------------------------------- parsing
def _select(columns: Sequence[str | int], layout: _Layout) -> list[int]:
    """Indices of the requested columns, by name, case-insensitive name or index."""
    names, name = layout.columns, layout.name
    # Dictionaries, so that selecting many of many columns stays linear.
    exact: dict[str, int] = {}
    folded: dict[str, list[int]] = {}
    for j, column in enumerate(names):
        exact.setdefault(column, j)
        folded.setdefault(column.lower(), []).append(j)
    selected: list[int] = []
    chosen: set[int] = set()
    for item in [columns] if isinstance(columns, str | int | np.integer) else columns:
        if isinstance(item, str) and item in exact:
            index = exact[item]
        elif isinstance(item, str) and len(folded.get(item.lower(), ())) == 1:
            index = folded[item.lower()][0]
        elif (isinstance(item, int | np.integer) and not isinstance(item, bool)) or (
            isinstance(item, str) and item.strip().isdigit()
        ):
            index = int(item)
            if not 0 <= index < len(names):
                raise DataError(f"{name} has no column {index} (it has {len(names)}, from 0)")
        else:
            raise DataError(f"{name} has no column {item!r} (columns: {_listed(names)})")
        if index in chosen:
            raise DataError(f"column {names[index]!r} of {name} is selected twice")
        selected.append(index)
        chosen.add(index)
    if not selected:
        raise DataError(f"no columns of {name} are selected")
    return selected


def _listed(names: Sequence[str], shown: int = 12) -> str:
    """Column names for a message, the first ``shown`` of a wide file."""
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f", ... ({len(names):,} in all)"


def _parse(layout: _Layout, selected: list[int], raw: bytes | None = None) -> np.ndarray:
    """Values of the selected columns, NaN where missing, shape (n_data_rows, n_selected).

    A clean file (every field a number) is read whole by :func:`_parse_clean`. Otherwise
    rows go in blocks, so that a few missing values only send their own block the slow way.
    """
    values = _parse_clean(layout, selected, raw)
    if values is not None:
        return values
    blocks = []
    for start in range(0, len(layout.data), _CHUNK_ROWS):
        lines = layout.data[start : start + _CHUNK_ROWS]
        values = _parse_fast(layout, lines, selected)
        blocks.append(_parse_slow(layout, lines, selected, start) if values is None else values)
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def _parse_clean(layout: _Layout, selected: list[int], raw: bytes | None) -> np.ndarray | None:
    """All data lines at once, straight from the file's bytes; None unless the data are
    nothing but numbers, ``width`` to a line (see :func:`read_number_table`)."""
    width = len(layout.columns)
    if layout.quoted or len(layout.numeric) != width or not layout.text.isascii():
        return None
    start = _ascii_offset(raw, layout.text)
    if raw is not None and start is not None:
        body, start = raw, start + layout.data_start
    else:  # a copy, for line ends that were "\r\n" (or a file read as UTF-16)
        body, start = layout.text[layout.data_start :].encode("ascii"), 0
    values = read_number_table(body, width, layout.delimiter, layout.decimal, start=start)
    if values is None or selected == list(range(width)):
        return values
    return values[:, selected]


def _ascii_offset(raw: bytes | None, text: str) -> int | None:
    """Where ``text`` starts in ``raw`` when ``raw`` is ``text`` in ASCII (after a UTF-8
    byte-order mark); None when it holds anything else (such as ``\\r``)."""
    if raw is None or b"\r" in raw:
        return None
    skip = len(raw) - len(text)
    return skip if (skip == 0 or (skip == 3 and raw.startswith(codecs.BOM_UTF8))) else None


def _parse_fast(layout: _Layout, lines: list[str], selected: list[int]) -> np.ndarray | None:
    """``np.loadtxt`` for well-formed numbers; None when the lines need reading field by field."""
    delimiter, width = layout.delimiter, len(layout.columns)
    every_column = len(layout.numeric) == width  # only then does loadtxt check row widths
    if layout.quoted and any('"' in line for line in lines):
        if delimiter is None or not every_column or any(line.count('"') % 2 for line in lines):
            return None
    if not every_column:
        if delimiter is None and any(len(line.split()) != width for line in lines):
            return None
        if delimiter is not None and any(line.count(delimiter) != width - 1 for line in lines):
            return None
    if layout.decimal == ",":
        lines = [line.replace(",", ".") for line in lines]
    usecols = None if every_column else selected
    try:
        values = np.loadtxt(
            lines, delimiter=delimiter, quotechar='"', comments=None, usecols=usecols,
            ndmin=2, dtype=np.float64, encoding=None,
        )  # fmt: skip
    except ValueError:
        return None
    if values.shape != (len(lines), width if every_column else len(selected)):
        return None
    return values[:, selected] if every_column else values


def _parse_slow(
    layout: _Layout, lines: list[str], selected: list[int], first_row: int
) -> np.ndarray:
    """Field by field, missing values as NaN; DataError naming the line of a bad row or value."""
    name, width = layout.name, len(layout.columns)
    try:
        rows = _split(lines, layout.delimiter)
    except _UnmatchedQuote as error:
        line = layout.line_number(first_row + error.row)
        raise DataError(f"{name}: line {line} has an unmatched quote") from None
    except csv.Error as error:
        raise DataError(f"{name} cannot be split into fields: {error}") from None
    if set(map(len, rows)) != {width}:
        row = next(row for row, fields in enumerate(rows) if len(fields) != width)
        count, line = len(rows[row]), layout.line_number(first_row + row)
        fields = "field" if count == 1 else "fields"
        raise DataError(f"{name}: line {line} has {count} {fields}, expected {width}")
    values = np.empty((len(rows), len(selected)))
    for k, column in enumerate(selected):
        numbers = [parse_number(fields[column], layout.decimal) for fields in rows]
        if None in numbers:
            row = numbers.index(None)
            example, line = rows[row][column].strip(), layout.line_number(first_row + row)
            raise DataError(
                f"column {layout.columns[column]!r} of {name} is not numeric "
                f"(e.g. {example!r} on line {line})"
            )
        values[:, k] = numbers
    return values
