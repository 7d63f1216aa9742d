"""Tests of reading clean CSV files whole: csv_numbers.read_number_table, and load_csv's
use of it, which must give exactly what reading the file field by field gives.

The oracle for a body of numbers is Python: ``str.split`` for lines and fields, a regular
expression for what a number is, and ``float`` for its value.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import scipy
import scipy.io
from hypothesis import given, settings
from hypothesis import strategies as st

from gmmviewer.core.errors import DataError
from gmmviewer.core.files import csv_numbers, csv_reader
from gmmviewer.core.files.csv_numbers import read_number_table
from gmmviewer.core.files.csv_reader import load_csv

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@pytest.fixture
def every_size(monkeypatch):
    """Read clean bodies whole however small they are (the tests' files are small)."""
    monkeypatch.setattr(csv_numbers, "_MIN_PARALLEL_BYTES", 0)


@pytest.fixture
def write(tmp_path):
    """Write text (str, encoded UTF-8 as-is, or bytes) to a file and return its path."""

    def _write(content: str | bytes, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write


def expected_table(text: str, width: int, delimiter: str, decimal: str = ".") -> list | None:
    """The rows of numbers in ``text`` by Python's reading, or None if it is not clean."""
    lines = text.split("\n")
    while len(lines) > 1 and lines[-1] == "":  # a last line end, and blank lines after it
        lines.pop()
    rows = []
    for line in lines:
        fields = [field.replace(decimal, ".") for field in line.split(delimiter)]
        if len(fields) != width or not all(NUMBER.fullmatch(field) for field in fields):
            return None
        rows.append([float(field) for field in fields])
    return rows


def assert_same_table(actual: np.ndarray | None, expected: list | None) -> None:
    if expected is None:
        assert actual is None
        return
    assert actual is not None
    np.testing.assert_array_equal(actual, np.array(expected, dtype=float).reshape(actual.shape))
    np.testing.assert_array_equal(np.signbit(actual), np.signbit(np.array(expected)))


def read(text: str, width: int, delimiter: str | None = ",", decimal: str = ".", prefix=""):
    """read_number_table on ``text`` placed after ``prefix`` (a header, say)."""
    body = (prefix + text).encode("ascii")
    return read_number_table(body, width, delimiter, decimal, start=len(prefix))


# ----------------------------------------------------------------- every short body
@pytest.mark.parametrize(
    ("alphabet", "width", "delimiter", "decimal"),
    [("1.e-+,\n", 2, ",", "."), ("0.E-+\n", 1, ",", "."), ("1,.e-;\n", 2, ";", ","),
     ("1. e+\n", 2, " ", ".")],
)  # fmt: skip
def test_every_short_block_is_checked_as_python_reads_it(alphabet, width, delimiter, decimal):
    # The check alone, without the reader behind it, which refuses some bad numbers too.
    tables = csv_numbers._byte_tables(delimiter, decimal, width)
    for length in range(7):  # from a blank line on
        for letters in itertools.product(alphabet, repeat=length):
            text = "".join(letters)
            lines = text.split("\n")
            rows = [[f.replace(decimal, ".") for f in line.split(delimiter)] for line in lines]
            clean = all(len(row) == width and all(map(NUMBER.fullmatch, row)) for row in rows)
            expected = len(lines) if clean else None
            assert csv_numbers._clean_lines((text + "\n").encode(), tables) == expected, text


@pytest.mark.usefixtures("every_size")
@pytest.mark.parametrize(
    ("alphabet", "width", "delimiter", "decimal", "longest"),
    [
        ("1.e-+,\n", 2, ",", ".", 5),  # 19,607 bodies
        ("0.e-,\n", 2, ",", ".", 5),  # zeros, and the sign of zero
        ("1.E-+\n", 1, ",", ".", 5),
        ("1,.e-;\n", 2, ";", ",", 4),
        ("1. e-\n", 2, None, ".", 5),
    ],
)
def test_every_short_body_is_read_as_python_reads_it(alphabet, width, delimiter, decimal, longest):
    separator = " " if delimiter is None else delimiter
    for length in range(1, longest + 1):
        for letters in itertools.product(alphabet, repeat=length):
            text = "".join(letters)
            expected = expected_table(text, width, separator, decimal)
            actual = read(text, width, delimiter, decimal, prefix="x,y\n")
            assert_same_table(actual, expected)


# -------------------------------------------------------------------- random bodies
_DIGITS = st.text("0123456789", max_size=25)
_EXPONENTS = st.one_of(st.integers(-400, 400).map(str), _DIGITS.filter(bool))  # 1e0000000005


@st.composite
def numbers(draw) -> str:
    """A number as text: any mix of sign, digits, point and exponent float accepts."""
    whole, fraction = draw(_DIGITS), draw(_DIGITS)
    if not whole and not fraction:
        whole = "0"
    point = draw(st.booleans()) or not whole
    text = draw(st.sampled_from(["", "-", "+"])) + whole + ("." + fraction if point else "")
    if draw(st.booleans()):
        exponent = draw(_EXPONENTS)
        text += draw(st.sampled_from("eE")) + ("+" if draw(st.booleans()) else "") + exponent
        text = text.replace("+-", "-")
    return text


_FLOATS = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True).map(repr)
_TROUBLE = ["", "x", ".", "e", "-", "+", ",", ";", "\n", " ", '"', "#", "NA", "1.2.3", "1e5x",
            "--1", "1e", "e5", "1-2", "\t", "nan", "inf", "1_0", "١"]  # fmt: skip


@st.composite
def bodies(draw) -> tuple[str, int, str | None, str]:
    """Lines of numbers, sometimes with one field spoiled."""
    delimiter, decimal = draw(st.sampled_from([(",", "."), (";", "."), (";", ","),
                                               ("\t", ","), (None, ".")]))  # fmt: skip
    width = draw(st.integers(1, 4))
    n_rows = draw(st.integers(1, 30))
    fields = draw(
        st.lists(st.one_of(numbers(), _FLOATS), min_size=width * n_rows, max_size=width * n_rows)
    )
    if decimal == ",":
        fields = [field.replace(".", ",") if draw(st.booleans()) else field for field in fields]
    separator = " " if delimiter is None else delimiter
    rows = [separator.join(fields[k : k + width]) for k in range(0, len(fields), width)]
    text = "\n".join(rows) + draw(st.sampled_from(["", "\n", "\n\n\n"]))
    if draw(st.booleans()):  # one character or field spoiled
        position = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:position] + draw(st.sampled_from(_TROUBLE)) + text[position + cut :]
    return text, width, delimiter, decimal


@settings(max_examples=200, deadline=None)
@given(body=bodies())
def test_random_bodies_are_read_as_python_reads_them(body):
    text, width, delimiter, decimal = body
    separator = " " if delimiter is None else delimiter
    expected = None if not text.isascii() else expected_table(text, width, separator, decimal)
    with mock.patch.object(csv_numbers, "_MIN_PARALLEL_BYTES", 0):
        actual = read(text, width, delimiter, decimal) if text.isascii() else None
    assert_same_table(actual, expected)


# ------------------------------------------------------------------------ details
@pytest.mark.usefixtures("every_size")
@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("-0,0\n", [[-0.0, 0.0]]),
        ("-0.0e5,-1e-400\n", [[-0.0, -0.0]]),
        ("+0,-4.9e-324\n", [[0.0, -5e-324]]),
        ("+1.5,+.5e+1\n", [[1.5, 5.0]]),
        ("5.,5.e3\n", [[5.0, 5000.0]]),
        ("1e999,-1e999\n", [[np.inf, -np.inf]]),
        ("1e-999,2.4703282292062328e-324\n", [[0.0, 5e-324]]),
        ("0." + "0" * 400 + "1e401,1\n", [[1.0, 1.0]]),
        ("9007199254740993,0.1000000000000000055511151231257827\n",
         [[9007199254740992.0, 0.1]]),
        ("1,2", [[1.0, 2.0]]),  # no last line end
        ("1,2\n3,4\n\n\n", [[1.0, 2.0], [3.0, 4.0]]),
    ],
)  # fmt: skip
def test_edge_numbers(text, values):
    assert_same_table(read(text, 2), values)


@pytest.mark.usefixtures("every_size")
@pytest.mark.parametrize(
    "text",
    ["1,2\n\n3,4\n", "\n1,2\n", "1,2\n3\n", "1,2,3\n", "1,,2\n", "1, 2\n", "1,2 \n",
     "1,2\r\n", '1,"2"\n', "1,2\n#c\n", "1,NA\n", "1,2.3.4\n", "1,2e5e1\n", "1,.\n"],
)  # fmt: skip
def test_anything_but_numbers_is_left_to_the_careful_reader(text):
    assert read(text, 2) is None


@pytest.mark.usefixtures("every_size")
@pytest.mark.parametrize("delimiter", [".", "e", "-", "1", "§"])
def test_delimiters_that_are_part_of_numbers_are_left_to_the_careful_reader(delimiter):
    assert read("1\n2\n", 1, delimiter) is None


@pytest.mark.usefixtures("every_size")
def test_long_lines_and_many_blocks(monkeypatch):
    monkeypatch.setattr(csv_numbers, "_BLOCK_BYTES", 64)
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(500, 7)) * 10.0 ** rng.integers(-30, 30, size=(500, 7))
    text = "\n".join(",".join(map(repr, row)) for row in matrix.tolist())
    text += "\n" + "1" * 300 + ".5" + ",1" * 6  # longer than a block
    actual = read(text, 7)
    np.testing.assert_array_equal(actual[:500], matrix)
    assert actual[500, 0] == float("1" * 300 + ".5")


@pytest.mark.usefixtures("every_size")
def test_a_blank_line_alone_in_a_block(monkeypatch):
    monkeypatch.setattr(csv_numbers, "_BLOCK_BYTES", 64)
    text = "1" * 100 + "\n\n" + "2" * 100 + "\n"  # the second block is the blank line
    assert read(text, 1) is None
    assert_same_table(read(text.replace("\n\n", "\n"), 1), [[float("1" * 100)], [float("2" * 100)]])


def test_small_bodies_are_left_to_loadtxt():
    assert read("1,2\n", 2) is None


def test_the_parallel_reader_needs_scipy_1_12(monkeypatch):
    monkeypatch.setattr(scipy, "__version__", "1.11.4")
    assert csv_numbers._parallel_reader.__wrapped__() is None
    monkeypatch.setattr(scipy, "__version__", "1.12.0rc1")
    assert csv_numbers._parallel_reader.__wrapped__() is scipy.io.mmread


# --------------------------------------------------------------- through load_csv
def careful_only():
    """Make load_csv read every file field by field, as before the clean path."""
    return mock.patch.object(csv_reader, "read_number_table", return_value=None)


def load_both_ways(path: Path, **kwargs):
    """load_csv's result or error message, read whole and read field by field."""
    outcomes = []
    for patch in (mock.patch.object(csv_numbers, "_MIN_PARALLEL_BYTES", 0), careful_only()):
        with patch:
            try:
                dataset = load_csv(path, **kwargs)
            except DataError as error:
                outcomes.append(str(error))
            else:
                outcomes.append(dataset)
    return outcomes


def assert_same_outcome(whole, careful) -> None:
    if isinstance(careful, str):
        assert whole == careful
        return
    assert not isinstance(whole, str), whole
    np.testing.assert_array_equal(whole.X, careful.X)
    np.testing.assert_array_equal(np.signbit(whole.X), np.signbit(careful.X))
    assert whole.columns == careful.columns
    assert whole.report == careful.report


def spy_on_clean_reads(monkeypatch) -> list[bool]:
    """Record, for each load, whether the file was read whole."""
    results: list[bool] = []
    real = csv_reader.read_number_table

    def spy(*args, **kwargs):
        values = real(*args, **kwargs)
        results.append(values is not None)
        return values

    monkeypatch.setattr(csv_reader, "read_number_table", spy)
    return results


def clean_text(matrix: np.ndarray, header: str = "x,y", newline: str = "\n") -> str:
    lines = [header] if header else []
    lines += [",".join(map(repr, row)) for row in matrix.tolist()]
    return newline.join(lines) + newline


@pytest.mark.parametrize(
    ("prefix", "newline", "encoding"),
    [("", "\n", "ascii"), ("# made by hand\n\n", "\n", "ascii"), ("", "\r\n", "ascii"),
     ("", "\n", "utf-8-sig"), ("", "\r\n", "utf-16")],
)  # fmt: skip
def test_clean_files_are_read_whole(write, monkeypatch, prefix, newline, encoding):
    read_whole = spy_on_clean_reads(monkeypatch)
    monkeypatch.setattr(csv_reader, "_parse_fast", None)  # never called: the file is clean
    matrix = np.random.default_rng(5).normal(size=(5_000, 2))
    path = write((prefix + clean_text(matrix, newline=newline)).encode(encoding))
    dataset = load_csv(path)
    assert read_whole == [True]
    np.testing.assert_array_equal(dataset.X, matrix)
    assert dataset.columns == ("x", "y")
    assert (dataset.report.n_rows_read, dataset.report.n_rows_dropped) == (5_000, 0)


def test_row_index_and_selected_columns_when_read_whole(write, monkeypatch):
    read_whole = spy_on_clean_reads(monkeypatch)
    matrix = np.random.default_rng(6).normal(size=(5_000, 3))
    rows = "\n".join(f"{i + 1},{a!r},{b!r},{c!r}" for i, (a, b, c) in enumerate(matrix.tolist()))
    path = write("id,a,b,c\n" + rows + "\n")
    dataset = load_csv(path)
    assert dataset.columns == ("a", "b", "c") and dataset.report.index_column == "id"
    np.testing.assert_array_equal(dataset.X, matrix)
    np.testing.assert_array_equal(load_csv(path, columns=["c", "a"]).X, matrix[:, [2, 0]])
    assert read_whole == [True, True]


# One odd row deep inside an otherwise clean file: what it is, what load_csv then says
# (``{line}`` is the row's line in the file) or which values the row then holds, and
# whether the file is still read whole.
_DEEP = 20_000
_ODD_ROWS = [
    ("1,2,3", "data.csv: line {line} has 3 fields, expected 2", False),
    ("1", "data.csv: line {line} has 1 field, expected 2", False),
    ("1,1.2.3", "column 'y' of data.csv is not numeric (e.g. '1.2.3' on line {line})", False),
    ("1,1e5x", "column 'y' of data.csv is not numeric (e.g. '1e5x' on line {line})", False),
    ("-,1", "column 'x' of data.csv is not numeric (e.g. '-' on line {line})", False),
    ('1,"2', "data.csv: line {line} has an unmatched quote", False),
    ("1,NA", None, False),  # a missing value: the row is dropped
    ("1,", None, False),
    ("1e999,1", None, True),  # a number, but not finite
    (" 1.5 , 2", [1.5, 2.0], False),  # numbers after all: the row is kept
    ('"1.5",2', [1.5, 2.0], False),
    ("+1.5,-0", [1.5, -0.0], True),
]


@pytest.mark.parametrize(("row", "outcome", "whole"), _ODD_ROWS)
def test_one_odd_row_deep_inside_a_clean_file(write, monkeypatch, row, outcome, whole):
    read_whole = spy_on_clean_reads(monkeypatch)
    matrix = np.random.default_rng(7).normal(size=(2 * _DEEP, 2))
    lines = clean_text(matrix).split("\n")
    lines[1 + _DEEP] = row  # the header is line 1, so this is line _DEEP + 2
    path = write("\n".join(lines))
    if isinstance(outcome, str):
        with pytest.raises(DataError) as error:
            load_csv(path)
        assert str(error.value) == outcome.format(line=_DEEP + 2)
    elif outcome is None:
        dataset = load_csv(path)
        np.testing.assert_array_equal(dataset.X, np.delete(matrix, _DEEP, axis=0))
        assert (dataset.report.n_rows_read, dataset.report.n_rows_dropped) == (2 * _DEEP, 1)
    else:
        dataset = load_csv(path)
        matrix[_DEEP] = outcome
        np.testing.assert_array_equal(dataset.X, matrix)
        np.testing.assert_array_equal(np.signbit(dataset.X), np.signbit(matrix))
        assert dataset.report.n_rows_dropped == 0
    if whole:
        assert read_whole == [True]
    else:  # tried and refused, or (with quotes in the file) never tried
        assert True not in read_whole


@pytest.mark.parametrize(
    "text",
    ["x,y\n1,2\n3,4\n", "x;y\n1,5;2\n3;4,25\n", "1 2\n3 4\n", "x\ty\n1\t2\n\n\n",
     "id,x,y\n1,5,6\n2,7,8\n", "# c\nx,y\n1,2\n# c\n3,4\n", "x,y\n1,2\n3,4,5\n",
     "x,y\n1,NA\n3,4\n", "x,y,\n1,2,\n", "x\n1\n-2.5e3\n", "x,y\n+1,-.5\n", "a,b\n1,2"],
)  # fmt: skip
def test_read_whole_or_field_by_field_the_same(write, text):
    whole, careful = load_both_ways(write(text))
    assert_same_outcome(whole, careful)


@st.composite
def files(draw) -> tuple[str, dict]:
    """A CSV file: a header or not, numbers of any form, now and then a spoiled field."""
    body, width, delimiter, decimal = draw(bodies())
    separator = " " if delimiter is None else delimiter
    header = separator.join(f"c{j}" for j in range(width)) + "\n"
    text = (header if draw(st.booleans()) else "") + body
    kwargs = draw(st.sampled_from([{}, {"delimiter": delimiter, "decimal": decimal}]))
    return text, kwargs


@settings(max_examples=200, deadline=None)
@given(file=files())
def test_random_files_read_whole_or_field_by_field_the_same(tmp_path_factory, file):
    text, kwargs = file
    path = tmp_path_factory.getbasetemp() / "random.csv"
    path.write_bytes(text.encode("utf-8"))
    whole, careful = load_both_ways(path, **kwargs)
    assert_same_outcome(whole, careful)


def test_without_the_parallel_reader_files_are_read_field_by_field(write, monkeypatch):
    monkeypatch.setattr(csv_numbers, "_parallel_reader", lambda: None)
    read_whole = spy_on_clean_reads(monkeypatch)
    matrix = np.random.default_rng(8).normal(size=(5_000, 2))
    np.testing.assert_array_equal(load_csv(write(clean_text(matrix))).X, matrix)
    assert read_whole == [False]
