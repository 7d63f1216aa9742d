"""Read delimited text (CSV, TSV, whitespace) into a :class:`Dataset`; sniff it for a preview.

Pure Python and numpy: must not import Qt (the import dialog shows a :class:`CsvPreview`,
then calls :func:`load_csv` with the user's choices). Only the first lines are split to sniff
the layout. Data lines that are nothing but numbers are then read whole, straight from the
file's bytes (:func:`~gmmviewer.core.files.csv_numbers.read_number_table`); otherwise blocks
of rows go through ``np.loadtxt``, and a block it refuses (missing values, text, ragged rows)
is re-read field by field, which finds what is wrong and on which line. All three give the
same values.

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
import enum
import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gmmviewer.core.data.dataset import Dataset, LoadReport
from gmmviewer.core.errors import DataError
from gmmviewer.core.files.csv_numbers import (
    guess_decimal,
    numeric_columns,
    parse_number,
    read_number_table,
    row_numbers,
)
from gmmviewer.core.files.reading import InputError, read_regular_file
from gmmviewer.core.limits import MAX_DATA_FILE_BYTES, MAX_FEATURES
from gmmviewer.core.text import count

__all__ = ["AUTO", "CsvPreview", "head_rows", "load_csv", "sniff_csv"]


class _Auto(enum.Enum):
    AUTO = "auto"


#: Ask for the delimiter or decimal mark to be detected.
AUTO = _Auto.AUTO

_INDEX_NAMES = frozenset(["", "rownames", "row.names", "row_names", "index", "id", "unnamed: 0"])
_DELIMITERS: tuple[str | None, ...] = ("\t", ";", ",", "|", None)  # ties go to the earlier one
_SNIFF_ROWS = 100
_CHUNK_ROWS = 50_000
_PREVIEW_BYTES = 1 << 20
_BINARY_PROBE = 8192
# Characters text never holds: C0 controls but tab, line ends, form feed and the DOS
# end-of-file mark (Ctrl-Z), DEL, and the C1 controls that undecodable bytes become.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")
_QUOTED_WORD = re.compile(r'"((?:[^"]|"")*)"|([^\s"]\S*)')


@dataclass(frozen=True)
class CsvPreview:
    """What :func:`sniff_csv` found at the top of a file, for an import dialog.

    Attributes
    ----------
    delimiter : str or None
        Field separator (None means runs of whitespace).
    has_header : bool
    columns : tuple of str
        Header names, or ``"column 1"``, ``"column 2"``, ... without a header.
    numeric_columns : tuple of int
        Columns whose non-missing preview values are all numbers.
    default_columns : tuple of int
        What :func:`load_csv` selects by default: the numeric columns but a row index.
    rows : list of list of str
        The first data rows, field by field.
    decimal : {'.', ','}
        The decimal mark.
    n_comment_lines : int
        ``#`` lines in the part of the file read for the preview.
    """

    delimiter: str | None
    has_header: bool
    columns: tuple[str, ...]
    numeric_columns: tuple[int, ...]
    default_columns: tuple[int, ...]
    rows: list[list[str]]
    decimal: str = "."
    n_comment_lines: int = 0


@dataclass(frozen=True)
class _Layout:
    """How a file splits into fields, and where its data lines are.

    The lines are split only when asked for (``lines``, ``data``): a clean file is read
    from ``text[data_start:]`` without ever being split into Python strings.
    """

    name: str
    delimiter: str | None
    decimal: str
    has_header: bool
    raw_header: tuple[str, ...]
    columns: tuple[str, ...]
    numeric: tuple[int, ...]
    sample: list[list[str]]
    text: str
    data_start: int
    quoted: bool
    careful: bool  # whether comments or indented lines may occur (see _is_content)

    @functools.cached_property
    def lines(self) -> list[str]:
        """Every line of the text, comments and blank ones included."""
        return self.text.split("\n")

    @functools.cached_property
    def data(self) -> list[str]:
        """The data lines: neither blank, nor comments, nor the header."""
        if self.careful:
            content = [line for line in self.lines if _is_content(line)]
        else:  # the only lines to skip are empty ones
            content = list(filter(None, self.lines))
        return content[1:] if self.has_header else content

    def line_number(self, row: int) -> int:
        """1-based line in the file of data row ``row`` (0-based)."""
        return _line_number(self.lines, row + self.has_header)


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


# ---------------------------------------------------------------------------- sniffing
def _analyse(
    text: str,
    name: str,
    delimiter: str | None | _Auto,
    has_header: bool | None,
    decimal: str | _Auto,
    n_sample: int,
) -> _Layout:
    """Settle delimiter, decimal mark, header and column types from the first lines."""
    delimiter = None if delimiter == " " else delimiter
    if (
        delimiter is not AUTO
        and delimiter is not None
        and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"#\n\r')
    ):
        raise DataError(f"cannot split {name} with the delimiter {delimiter!r}")
    if decimal not in (AUTO, ".", ","):
        raise DataError(f"the decimal mark must be '.' or ',', not {decimal!r}")
    # Single characters first: a two-character search costs as much as a copy of the text.
    careful = (
        "#" in text
        or text[0].isspace()
        or (" " in text and "\n " in text)
        or ("\t" in text and "\n\t" in text)
    )
    starts, head = _head(text, careful, n_sample + 1)
    if not head:
        raise DataError(f"{name} has no data rows (only comments)")
    if delimiter is AUTO:
        delimiter = _guess_delimiter(head, decimal)
    if decimal == "," and delimiter == ",":
        raise DataError(f"cannot read {name} with ',' as both delimiter and decimal mark")
    try:
        rows = _split(head, delimiter)
    except _UnmatchedQuote as error:
        line = _line_number(text.split("\n"), error.row)
        raise DataError(f"{name}: line {line} has an unmatched quote") from None
    except csv.Error as error:
        raise DataError(f"{name} cannot be split into fields: {error}") from None
    body = rows[1:] or rows
    if decimal is AUTO:
        decimal = guess_decimal(body, delimiter)
    widths = [len(row) for row in body]
    width = max(set(widths), key=widths.count)
    if has_header is None:
        has_header = _guess_header(rows[0], rows[1:], width, decimal)
    raw_header = tuple(field.strip() for field in rows[0]) if has_header else ()
    if has_header and len(raw_header) == width - 1:  # R's write.table leaves out the row names
        raw_header = ("", *raw_header)
    if has_header and len(head) == 1:  # head holds at least two lines when the file does
        raise DataError(f"{name} has no data rows (only a header)")
    width = len(raw_header) if has_header else width
    sample = rows[1:] if has_header else rows[:n_sample]
    columns = tuple(
        (raw_header[j] if j < len(raw_header) else "") or f"column {j + 1}" for j in range(width)
    )
    numeric = tuple(np.flatnonzero(numeric_columns(sample, width, decimal)).tolist())
    return _Layout(
        name, delimiter, decimal, has_header, raw_header, columns, numeric, sample, text,
        data_start=starts[1] if has_header else starts[0], quoted='"' in text, careful=careful,
    )  # fmt: skip


def _head(text: str, careful: bool, n_lines: int) -> tuple[list[int], list[str]]:
    """Offsets and text of the first ``n_lines`` content lines, without splitting the rest.

    Content lines are those :attr:`_Layout.data` keeps (and the header): with ``careful``,
    neither blank nor comments; otherwise, not empty.
    """
    starts: list[int] = []
    head: list[str] = []
    start = 0
    while len(head) < n_lines and start <= len(text):
        stop = text.find("\n", start)
        stop = len(text) if stop < 0 else stop
        line = text[start:stop]
        if _is_content(line) if careful else line:
            starts.append(start)
            head.append(line)
        start = stop + 1
    return starts, head


def _is_content(line: str) -> bool:
    stripped = line.lstrip()
    return bool(stripped) and stripped[0] != "#"


def _line_number(lines: list[str], content_row: int) -> int:
    """1-based line in the file of the ``content_row``-th (0-based) non-comment line."""
    numbers = (number for number, line in enumerate(lines, start=1) if _is_content(line))
    return next((n for k, n in enumerate(numbers) if k == content_row), len(lines))


class _UnmatchedQuote(Exception):
    def __init__(self, row: int) -> None:
        self.row = row


def _split(lines: list[str], delimiter: str | None) -> list[list[str]]:
    """Fields of each line; a line with an odd number of quotes raises _UnmatchedQuote."""
    if not any('"' in line for line in lines):
        return [line.split(delimiter) for line in lines]
    odd = next((row for row, line in enumerate(lines) if line.count('"') % 2), None)
    if odd is not None:  # a field would run on into the next line, which is not supported
        raise _UnmatchedQuote(odd)
    if delimiter is None:
        return [_split_quoted(line) for line in lines]
    return list(csv.reader(lines, delimiter=delimiter, quotechar='"', skipinitialspace=True))


def _split_quoted(line: str) -> list[str]:
    """Whitespace-separated fields, some of them in double quotes."""
    return [bare or quoted.replace('""', '"') for quoted, bare in _QUOTED_WORD.findall(line)]


def _guess_delimiter(lines: list[str], decimal: str | _Auto) -> str | None:
    """The candidate giving consistent rows, the most numeric columns and the fewest others."""
    best: tuple[tuple[int, ...], str | None] = ((0,), ",")
    for priority, candidate in enumerate(_DELIMITERS):
        try:
            rows = _split(lines, candidate)
        except (_UnmatchedQuote, csv.Error):
            continue
        body = rows[1:] or rows
        widths = [len(row) for row in body]
        width = max(set(widths), key=widths.count)
        if width < 2:
            continue
        consistent = set(widths) == {width} and len(rows[0]) in (width, width - 1)
        mark = guess_decimal(body, candidate) if decimal is AUTO else decimal
        numeric = int(np.count_nonzero(numeric_columns(body, width, mark)))
        score = (1, consistent, numeric, numeric - width, -priority)
        if score > best[0]:
            best = (score, candidate)
    return best[1]


def _guess_header(first: list[str], below: list[list[str]], width: int, decimal: str) -> bool:
    """A header has a non-number where the rows below hold numbers."""
    _, first_text = row_numbers(first, decimal)
    if below and len(first) == width - 1 and first_text.any():
        return True
    numeric_below = numeric_columns(below, len(first), decimal) if below else None
    if numeric_below is not None and numeric_below.any():
        return bool(first_text[numeric_below].any())
    return bool(first_text.all())


def _index_column(layout: _Layout, first: Sequence[float | None]) -> int | None:
    """0 if the first column is a row index (by its header and ``first``, its values)."""
    if not (layout.has_header and layout.numeric[:1] == (0,) and len(first) > 0):
        return None
    if layout.raw_header[0].lower() not in _INDEX_NAMES or first[0] not in (0.0, 1.0):
        return None
    return 0 if np.array_equal(first, np.arange(len(first)) + first[0]) else None


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
