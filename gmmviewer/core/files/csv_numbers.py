"""How CSV fields become numbers: missing values, decimal marks, which columns are
numeric, and whole tables of clean numbers read at once (:func:`read_number_table`).
Numbers are what ``np.loadtxt`` reads (no ``1_000``, no non-ASCII digits). No Qt."""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

_MISSING = frozenset(
    ["", "na", "n/a", "#n/a", "nan", "-nan", "null", "none", "?", "inf", "+inf", "-inf",
     "infinity", "+infinity", "-infinity"]
)  # fmt: skip

_COMMA_NUMBER = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
_POINT_NUMBER = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")


def parse_number(field: str, decimal: str) -> float | None:
    """The value of a field: NaN when missing, None when it is not a number.

    Python's ``float`` also takes ``1_000`` and non-ASCII digits, which are not CSV
    numbers (``np.loadtxt`` refuses them too).
    """
    if "_" in field or not field.isascii():
        return None
    try:
        return float(field if decimal == "." else field.replace(",", "."))
    except ValueError:
        return math.nan if field.strip().lower() in _MISSING else None


def row_numbers(fields: list[str], decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Values of a row's fields (NaN when missing) and where a field is not a number.

    Returns
    -------
    values : ndarray of shape (n_fields,), float
    not_number : ndarray of shape (n_fields,), bool
    """
    joined = "\n".join(fields)  # no field holds a line break
    if joined.isascii() and "_" not in joined:
        plain = joined.replace(",", ".").split("\n") if decimal == "," else fields
        try:  # the common case, a row of numbers, converted in C
            return np.array(list(map(float, plain)), dtype=float), np.zeros(len(fields), bool)
        except ValueError:
            pass
    numbers = [parse_number(field, decimal) for field in fields]
    not_number = np.array([value is None for value in numbers], dtype=bool)
    values = np.array([math.nan if value is None else value for value in numbers], dtype=float)
    return values.reshape(len(fields)), not_number.reshape(len(fields))


def numeric_columns(rows: list[list[str]], width: int, decimal: str) -> np.ndarray:
    """For each of the first ``width`` columns: its values are numbers or missing, and not
    all missing (in the rows long enough to have it). Shape (width,), bool; one pass."""
    not_number = np.zeros(width, dtype=bool)
    has_value = np.zeros(width, dtype=bool)
    for row in rows:
        fields = row[:width]
        values, bad = row_numbers(fields, decimal)
        not_number[: len(fields)] |= bad
        has_value[: len(fields)] |= ~bad & ~np.isnan(values)
    return has_value & ~not_number


def guess_decimal(rows: list[list[str]], delimiter: str | None) -> str:
    """',' when the fields hold decimal commas (and the delimiter is not a comma), else '.'."""
    if delimiter == ",":
        return "."
    fields = [field.strip() for row in rows for field in row]
    commas = any(_COMMA_NUMBER.fullmatch(field) for field in fields)
    return "," if commas and not any(_POINT_NUMBER.fullmatch(field) for field in fields) else "."


# ------------------------------------------------------------------ clean number tables
# A clean body is checked byte class by byte class with ``bytes.translate`` and numpy,
# never split into Python strings. A trigram of classes (a, b, c) has the code
# 36 a + 6 b + c, below 256, so that one ``bytes.translate`` looks every trigram up.
_NEWLINE, _DELIMITER, _DIGIT, _POINT, _EXPONENT, _SIGN = range(6)
_N_CLASSES = 6
_OTHER = 6  # any other byte; its presence ends the check before trigrams are coded
#: What may follow what in lines of numbers ``[+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?``.
_FOLLOWERS = {
    _NEWLINE: (_DIGIT, _POINT, _SIGN),
    _DELIMITER: (_DIGIT, _POINT, _SIGN),
    _SIGN: (_DIGIT, _POINT),
    _DIGIT: (_NEWLINE, _DELIMITER, _DIGIT, _POINT, _EXPONENT),
    _POINT: (_NEWLINE, _DELIMITER, _DIGIT, _EXPONENT),
    _EXPONENT: (_DIGIT, _SIGN),
}
_BAD = 0xFF
_NUMBER_BYTES = "0123456789.eE+-"  # a delimiter among them is left to the careful reader
#: Bytes checked at a time: whole lines, small enough for the CPU cache.
_BLOCK_BYTES = 1 << 17
#: Smallest body for which starting the parallel reader pays off.
_MIN_PARALLEL_BYTES = 1 << 16


def _trigram_is_valid(first: int, middle: int, last: int) -> bool:
    """Whether three consecutive byte classes can occur in lines of numbers."""
    if middle not in _FOLLOWERS[first] or last not in _FOLLOWERS[middle]:
        return False
    # ".", "-.", ".e5": a mantissa needs a digit. (A point after an exponent, as in
    # "1e-.5", is refused in the skeleton.)
    return not (middle == _POINT and _DIGIT not in (first, last))


def _skeleton_tables() -> tuple[bytes, bytes]:
    """``bytes.translate`` arguments that turn trigram codes into a body's skeleton.

    The skeleton keeps the class of each trigram's middle byte when it is a separator,
    a decimal point or an exponent mark, deletes digits and signs, and marks an
    impossible trigram with ``_BAD``.
    """
    table = bytearray([_BAD]) * 256
    delete = bytearray()
    for first in range(_N_CLASSES):
        for middle in range(_N_CLASSES):
            for last in range(_N_CLASSES):
                code = (first * _N_CLASSES + middle) * _N_CLASSES + last
                if not _trigram_is_valid(first, middle, last):
                    pass
                elif middle in (_DIGIT, _SIGN):
                    delete.append(code)
                else:
                    table[code] = middle
    return bytes(table), bytes(delete)


_SKELETON, _SKELETON_DELETE = _skeleton_tables()
_MARKS = bytes([_POINT, _EXPONENT])


def _two_marks(skeleton: bytes) -> bool:
    """Whether a number of the skeleton has two decimal points or exponents, or a point
    after its exponent (only a point then an exponent, as in ``5.e3``, is a number)."""
    codes = np.frombuffer(skeleton, dtype=np.uint8)
    marks = codes >= _POINT  # with digits and signs gone, a number's marks are adjacent
    pairs = marks[:-1] & marks[1:]
    if not pairs.any():
        return False
    return bool(np.any(pairs & ((codes[:-1] != _POINT) | (codes[1:] != _EXPONENT))))


@dataclass(frozen=True)
class _Tables:
    """What checking and converting lines of ``width`` numbers needs.

    Attributes
    ----------
    classes : bytes
        ``bytes.translate`` table: each byte's class.
    one_per_line : bytes
        ``bytes.translate`` table: delimiters to line ends, the decimal mark to a point.
    line : bytes
        The classes of a line's separators: ``width - 1`` delimiters, then a line end.
    """

    classes: bytes
    one_per_line: bytes
    line: bytes

    @property
    def width(self) -> int:
        """Numbers on a line."""
        return len(self.line)


@functools.lru_cache(maxsize=16)
def _byte_tables(delimiter: str, decimal: str, width: int) -> _Tables:
    """The tables for a delimiter, a decimal mark and a width."""
    classes = bytearray([_OTHER]) * 256
    classes[ord("\n")] = _NEWLINE
    classes[ord(delimiter)] = _DELIMITER
    for digit in b"0123456789":
        classes[digit] = _DIGIT
    # With a decimal comma a point is read too, as parse_number reads it.
    classes[ord(".")] = classes[ord(decimal)] = _POINT
    classes[ord("e")] = classes[ord("E")] = _EXPONENT
    classes[ord("+")] = classes[ord("-")] = _SIGN
    one_per_line = bytearray(range(256))
    one_per_line[ord(delimiter)] = ord("\n")
    one_per_line[ord(decimal)] = ord(".")
    line = bytes([_DELIMITER]) * (width - 1) + bytes([_NEWLINE])
    return _Tables(bytes(classes), bytes(one_per_line), line)


@functools.cache
def _parallel_reader() -> Callable[[Any], Any] | None:
    """scipy's Matrix Market reader when it is the parallel C++ one (scipy 1.12+)."""
    import scipy

    if tuple(int(part) for part in re.findall(r"\d+", scipy.__version__)[:2]) < (1, 12):
        return None
    from scipy.io import mmread

    return mmread


def _blocks(body: bytes, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of blocks of whole lines of ``body[start:end]``, about
    _BLOCK_BYTES each."""
    while start < end:
        stop = body.rfind(b"\n", start, min(start + _BLOCK_BYTES, end)) + 1
        if stop == 0:  # no line end in the block: a long line, or the last one
            stop = body.find(b"\n", start, end) + 1 or end
        yield start, stop
        start = stop


def _clean_lines(piece: bytes, tables: _Tables) -> int | None:
    """How many lines ``piece`` holds (whole lines, each ending ``\\n``) if each is
    ``tables.width`` numbers, else None."""
    if len(piece) < 2:  # a blank line, which no trigram below would hold
        return None
    classes = bytes([_NEWLINE]) + piece.translate(tables.classes)  # a line end comes before
    if bytes([_OTHER]) in classes:
        return None
    codes = np.frombuffer(classes, dtype=np.uint8)
    trigrams = codes[:-2] * np.uint8(_N_CLASSES * _N_CLASSES)
    trigrams += codes[1:-1] * np.uint8(_N_CLASSES)
    trigrams += codes[2:]
    skeleton = trigrams.tobytes().translate(_SKELETON, _SKELETON_DELETE)
    if bytes([_BAD]) in skeleton or _two_marks(skeleton):
        return None
    separators = skeleton.translate(None, _MARKS) + bytes([_NEWLINE])  # the last one too
    n_lines = len(separators) // len(tables.line)
    return n_lines if separators == tables.line * n_lines else None


class _NotClean(Exception):
    """A block of lines is not nothing but numbers."""


class _CheckedLines(io.RawIOBase):
    """Lines of numbers as a stream of one number per line, checked block by block.

    The Matrix Market reader pulls blocks from here while its threads parse the blocks
    already read, so checking overlaps parsing and the body is never copied whole. A
    block that fails the check raises :class:`_NotClean` through the reader.
    """

    def __init__(self, body: bytes, start: int, end: int, header: bytes, tables: _Tables) -> None:
        super().__init__()
        self._body = body
        self._blocks = _blocks(body, start, end)
        self._tables = tables
        self._pending = memoryview(header)
        self._spans: list[tuple[int, int, int]] = []  # first byte, stop, first value
        self.n_lines = 0
        self.finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """Copy the next bytes into ``buffer``; 0 at the end."""
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                self.finished = True
                return 0
            self._pending = memoryview(self._next_block(*block))
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _next_block(self, first: int, stop: int) -> bytes:
        piece = self._whole_lines(first, stop)
        lines = _clean_lines(piece, self._tables)
        if lines is None:
            raise _NotClean
        self._spans.append((first, stop, self.n_lines * self._tables.width))
        self.n_lines += lines
        # '+' is never needed in a checked number, and the reader refuses a leading one.
        return piece.translate(self._tables.one_per_line, b"+" if b"+" in piece else b"")

    def _whole_lines(self, first: int, stop: int) -> bytes:
        """``body[first:stop]``, with a line end after the last line if it has none."""
        piece = self._body[first:stop]
        return piece if piece.endswith(b"\n") else piece + b"\n"

    def restore_negative_zeros(self, values: np.ndarray) -> None:
        """Make the zeros written with a minus sign -0.0, as ``float`` reads them.

        The Matrix Market reader reads ``-0``, ``-0.0e5`` or ``-1e-400`` as +0.0. Only
        the blocks that hold a zero are looked at again.

        Parameters
        ----------
        values : ndarray of shape (n_values,)
            The numbers read, in the order of the lines; changed in place.
        """
        zeros = np.flatnonzero(values == 0.0)
        if not zeros.size:
            return
        firsts = np.array([value for _, _, value in self._spans])
        bounds = np.searchsorted(zeros, np.append(firsts, values.size))
        for k in np.flatnonzero(np.diff(bounds)):
            first, stop, first_value = self._spans[k]
            piece = self._whole_lines(first, stop).translate(self._tables.one_per_line)
            codes = np.frombuffer(piece, dtype=np.uint8)
            starts = np.flatnonzero(codes[:-1] == ord("\n")) + 1
            here = zeros[bounds[k] : bounds[k + 1]]
            first_bytes = codes[np.append(0, starts)[here - first_value]]
            values[here] = np.where(first_bytes == ord("-"), -0.0, 0.0)


def read_number_table(
    body: bytes, width: int, delimiter: str | None, decimal: str, *, start: int = 0
) -> np.ndarray | None:
    """The values of lines of ``width`` numbers; None unless every field is a number.

    Every line must hold ``width`` numbers as ``float`` reads them (ASCII
    ``[+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?``) separated by single ``delimiter`` characters:
    no blanks, quotes, comments, missing values or blank lines (but at the end). On
    anything else this returns None, for the caller to read the lines field by field,
    which reports what is wrong and where.

    The numbers are read by scipy's Matrix Market reader (C++, correctly rounded, on
    every core), several times as fast as ``np.loadtxt``. That reader takes the longest
    number at the start of each line and ignores the rest of the line, which is why
    the lines are checked first (see :class:`_CheckedLines`), and given to it one number
    per line.

    Parameters
    ----------
    body : bytes
        ASCII text with ``\\n`` line ends.
    width : int
        Fields per line.
    delimiter : str or None
        The field separator; None stands for single spaces.
    decimal : {'.', ','}
        The decimal mark (a point is read too, as :func:`parse_number` does).
    start : int
        Where the first line starts in ``body`` (the body is not copied to skip a header).

    Returns
    -------
    ndarray of shape (n_lines, width), float, or None
    """
    delimiter = " " if delimiter is None else delimiter
    if not delimiter.isascii() or delimiter in _NUMBER_BYTES or delimiter == decimal:
        return None  # it would be read as part of a number, or never occur
    reader = _parallel_reader() if len(body) - start >= _MIN_PARALLEL_BYTES else None
    if reader is None:
        return None
    # Blank lines at the end are dropped (rare, and a copy), and a last line end supplied.
    end = len(body.rstrip(b"\n")) + 1 if body.endswith(b"\n\n") else len(body)
    if end <= start:
        return None
    n_lines = body.count(b"\n", start, end) + (body[end - 1] != ord("\n"))
    header = b"%%%%MatrixMarket matrix array real general\n%d 1\n" % (n_lines * width)
    lines = _CheckedLines(body, start, end, header, _byte_tables(delimiter, decimal, width))
    try:
        values = reader(io.BufferedReader(lines, buffer_size=_BLOCK_BYTES))
    except (_NotClean, ValueError):
        return None
    if not (lines.finished and lines.n_lines == n_lines and isinstance(values, np.ndarray)):
        return None
    values = values.reshape(-1)
    lines.restore_negative_zeros(values)
    return values.reshape(n_lines, width)
