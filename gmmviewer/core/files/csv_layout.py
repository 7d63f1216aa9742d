"""The layout of delimited text: delimiter, decimal mark, header, column types, row index.

Split out of :mod:`~gmmviewer.core.files.csv_reader`, which reads the file and parses its
values. Only the first content lines are split here (:func:`_analyse`); the result is a
:class:`_Layout`, which splits the rest only when asked. :class:`CsvPreview` is what
:func:`~gmmviewer.core.files.csv_reader.sniff_csv` returns for an import dialog.

Conventions are those of :mod:`~gmmviewer.core.files.csv_reader`: ``#`` starts a comment
only at the beginning of a line, blank lines are skipped, and a quoted field may not span
lines (a line with an odd number of ``"`` raises :class:`_UnmatchedQuote`).
"""

from __future__ import annotations

import csv
import enum
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gmmviewer.core.errors import DataError
from gmmviewer.core.files.csv_numbers import guess_decimal, numeric_columns, row_numbers

__all__ = ["AUTO", "CsvPreview"]


class _Auto(enum.Enum):
    AUTO = "auto"


#: Ask for the delimiter or decimal mark to be detected.
AUTO = _Auto.AUTO

_INDEX_NAMES = frozenset(["", "rownames", "row.names", "row_names", "index", "id", "unnamed: 0"])
_DELIMITERS: tuple[str | None, ...] = ("\t", ";", ",", "|", None)  # ties go to the earlier one
_SNIFF_ROWS = 100
_QUOTED_WORD = re.compile(r'"((?:[^"]|"")*)"|([^\s"]\S*)')


@dataclass(frozen=True)
class CsvPreview:
    """What :func:`~gmmviewer.core.files.csv_reader.sniff_csv` found at the top of a file.

    For an import dialog.

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
        What :func:`~gmmviewer.core.files.csv_reader.load_csv` selects by default: the
        numeric columns but a row index.
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
