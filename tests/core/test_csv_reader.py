"""Tests of gmmviewer.core.files.csv_reader: real files, messy files, every error, a round trip."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_data_dir
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gmmviewer.core.errors import DataError
from gmmviewer.core.files import csv_numbers, csv_reader
from gmmviewer.core.files.csv_reader import AUTO, CsvPreview, load_csv, sniff_csv
from gmmviewer.core.limits import MAX_DATA_MAGNITUDE
from gmmviewer.core.params import GMMParams

DATA = shared_data_dir()
FAITHFUL = DATA / "faithful.csv"
IRIS = DATA / "iris.csv"
needs_shared_data = pytest.mark.skipif(
    not (FAITHFUL.exists() and IRIS.exists()), reason=f"real data sets not found in {DATA}"
)


@pytest.fixture
def write(tmp_path):
    """Write text (str, encoded UTF-8 as-is, or bytes) to a file and return its path."""

    def _write(content: str | bytes, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return _write


def values(path: Path, **kwargs) -> list[list[float]]:
    return load_csv(path, **kwargs).X.tolist()


# ------------------------------------------------------------------------ real data sets
@needs_shared_data
def test_old_faithful_skips_the_row_names():
    dataset = load_csv(FAITHFUL)
    assert dataset.X.shape == (272, 2)
    assert dataset.columns == ("eruptions", "waiting")
    assert dataset.X[0].tolist() == [3.6, 79.0]
    assert dataset.X[-1].tolist() == [4.467, 74.0]
    np.testing.assert_allclose(dataset.X.mean(axis=0), [3.4877830882352936, 70.8970588235294])
    assert dataset.source == str(FAITHFUL)
    report = dataset.report
    assert report.all_columns == ("rownames", "eruptions", "waiting")
    assert report.delimiter == "," and report.has_header
    assert (report.n_rows_read, report.n_rows_dropped, report.skipped_columns) == (272, 0, ())


@needs_shared_data
def test_old_faithful_row_names_can_still_be_selected():
    dataset = load_csv(FAITHFUL, columns=["rownames", "waiting"])
    assert dataset.X[:3].tolist() == [[1.0, 79.0], [2.0, 54.0], [3.0, 74.0]]


@needs_shared_data
def test_iris_loads_four_numeric_columns_and_skips_species():
    dataset = load_csv(IRIS)
    assert dataset.X.shape == (150, 4)
    assert dataset.columns == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert dataset.X[0].tolist() == [5.1, 3.5, 1.4, 0.2]
    assert dataset.report.skipped_columns == ("species",)
    assert "skipped non-numeric species" in dataset.report.summary()


@needs_shared_data
def test_iris_selecting_species_fails():
    with pytest.raises(DataError, match=r"column 'species' of iris.csv is not numeric .*'setosa'"):
        load_csv(IRIS, columns=["petal_length", "species"])


@needs_shared_data
def test_sniff_real_files():
    faithful = sniff_csv(FAITHFUL)
    assert isinstance(faithful, CsvPreview)
    assert faithful.delimiter == "," and faithful.has_header and faithful.decimal == "."
    assert faithful.columns == ("rownames", "eruptions", "waiting")
    assert faithful.numeric_columns == (0, 1, 2)
    assert faithful.default_columns == (1, 2)
    assert len(faithful.rows) == 20
    assert faithful.rows[0] == ["1", "3.6", "79"]
    iris = sniff_csv(IRIS, n_preview_rows=3)
    assert iris.numeric_columns == iris.default_columns == (0, 1, 2, 3)
    assert iris.rows == [
        ["5.1", "3.5", "1.4", "0.2", "setosa"],
        ["4.9", "3.0", "1.4", "0.2", "setosa"],
        ["4.7", "3.2", "1.3", "0.2", "setosa"],
    ]


# ------------------------------------------------------------------------- delimiters
@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("x,y\n1.5,-2\n3e2,4\n", ","),
        ("x;y\n1.5;-2\n3e2;4\n", ";"),
        ("x\ty\n1.5\t-2\n3e2\t4\n", "\t"),
        ("x|y\n1.5|-2\n3e2|4\n", "|"),
        ("x y\n1.5 -2\n3e2 4\n", None),
        ("  x   y\n  1.5\t -2\n3e2     4   \n", None),
        ("x, y\n1.5, -2\n3e2, 4\n", ","),
    ],
)
def test_delimiters_are_detected(write, text, delimiter):
    dataset = load_csv(write(text))
    assert dataset.X.tolist() == [[1.5, -2.0], [300.0, 4.0]]
    assert dataset.columns == ("x", "y")
    assert dataset.report.delimiter == delimiter
    assert sniff_csv(write(text)).delimiter == delimiter


def test_tab_file_with_spaces_in_text_is_tab_separated(write):
    path = write("x\tcity\ty\n1\tNew York\t2\n3\tSan José\t4\n")
    dataset = load_csv(path)
    assert dataset.report.delimiter == "\t"
    assert dataset.X.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert dataset.report.skipped_columns == ("city",)


def test_explicit_delimiter_overrides_detection(write):
    path = write("a;b,c\n1;2,3\n4;5,6\n")
    dataset = load_csv(path, delimiter=",", decimal=".")
    assert dataset.columns == ("c",) and dataset.report.skipped_columns == ("a;b",)
    assert load_csv(path).X.tolist() == [[1.0, 2.3], [4.0, 5.6]]  # ';' with decimal commas
    assert load_csv(write("1 2\n3 4\n"), delimiter=" ").report.delimiter is None


@pytest.mark.parametrize("delimiter", ["", "ab", '"', "#", "\n", 5])
def test_unusable_delimiter(write, delimiter):
    with pytest.raises(DataError, match="cannot split data.csv with the delimiter"):
        load_csv(write("1,2\n"), delimiter=delimiter)


def test_single_column_with_and_without_header(write):
    assert values(write("1\n2.5\n-3\n")) == [[1.0], [2.5], [-3.0]]
    dataset = load_csv(write("waiting time\n1\n2.5\n"))
    assert dataset.columns == ("waiting time",) and dataset.X.tolist() == [[1.0], [2.5]]


# ----------------------------------------------------------------------- decimal commas
def test_semicolon_file_with_decimal_commas(write):
    path = write("a;b\n1,5;-2,25\n3;4,0e1\n")
    dataset = load_csv(path)
    assert dataset.X.tolist() == [[1.5, -2.25], [3.0, 40.0]]
    assert dataset.report.delimiter == ";"
    preview = sniff_csv(path)
    assert (preview.delimiter, preview.decimal, preview.numeric_columns) == (";", ",", (0, 1))


def test_headerless_semicolon_file_with_decimal_commas(write):
    assert values(write("1,5;2,3\n3,5;4\n")) == [[1.5, 2.3], [3.5, 4.0]]


def test_tab_file_with_decimal_commas(write):
    assert values(write("a\tb\n1,5\t2\n3\t4,75\n")) == [[1.5, 2.0], [3.0, 4.75]]


def test_decimal_points_win_over_commas(write):
    # with a decimal point anywhere, "1,5" is not a number but text
    dataset = load_csv(write("a;b\n1,5;2.5\n3;4.5\n"))
    assert dataset.columns == ("b",) and dataset.report.skipped_columns == ("a",)


def test_explicit_decimal_mark(write):
    path = write("a;b\n1,5;2\n3;4\n")
    assert load_csv(path, decimal=",").X.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert load_csv(path, decimal=".").columns == ("b",)
    with pytest.raises(DataError, match="',' as both delimiter and decimal mark"):
        load_csv(path, delimiter=",", decimal=",")
    with pytest.raises(DataError, match="decimal mark must be"):
        load_csv(path, decimal=";")
    assert load_csv(path, decimal=AUTO, delimiter=AUTO).report.delimiter == ";"


# ----------------------------------------------------------------------------- headers
def test_no_header_gets_generated_names(write):
    dataset = load_csv(write("1,2,3\n4,5,6\n"))
    assert dataset.columns == ("column 1", "column 2", "column 3")
    assert not dataset.report.has_header
    assert dataset.X.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_header_override(write):
    path = write("1,2\n3,4\n")
    dataset = load_csv(path, has_header=True)
    assert dataset.columns == ("1", "2") and dataset.X.tolist() == [[3.0, 4.0]]
    assert load_csv(path, columns=["2"], has_header=True).X.tolist() == [[4.0]]
    with pytest.raises(DataError, match=r"no numeric columns \(column 1, column 2\)"):
        load_csv(write("x,y\n1,2\n"), has_header=False)


def test_header_with_missing_value_in_first_row_is_not_a_header(write):
    dataset = load_csv(write("NA,1\n2,3\n4,5\n"))
    assert not dataset.report.has_header
    assert dataset.X.tolist() == [[2.0, 3.0], [4.0, 5.0]]


def test_quoted_header_names(write):
    dataset = load_csv(write('"length, cm","width"\n1,2\n'))
    assert dataset.columns == ("length, cm", "width")


def test_empty_header_name_gets_a_generated_name(write):
    assert load_csv(write("x,,z\n1,2,3\n")).columns == ("x", "column 2", "z")


# ---------------------------------------------------------- comments, blanks, encodings
def test_comments_and_blank_lines_are_skipped(write):
    text = "# made by hand\n   # indented comment\n\nx,y\n\n1,2\n# between\n  \n\t\n3,4\n\n"
    dataset = load_csv(write(text))
    assert dataset.X.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert dataset.report.n_rows_read == 2
    assert sniff_csv(write(text)).n_comment_lines == 3


def test_line_numbers_in_errors_count_comments_and_blank_lines(write):
    with pytest.raises(DataError, match="data.csv: line 7 has 3 fields, expected 2"):
        load_csv(write("# c\n\nx,y\n1,2\n  # c\n\n3,4,5\n"))


def test_utf8_bom_is_not_part_of_the_first_name(write):
    dataset = load_csv(write("\ufeffx,y\n1,2\n"))
    assert dataset.columns == ("x", "y")


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_ends(write, newline):
    path = write(newline.join(["x,y", "1,2", "", "3,4", ""]))
    dataset = load_csv(path)
    assert dataset.X.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert dataset.columns == ("x", "y")


def test_windows_1252_text_is_read(write):
    path = write("temp °C;µg\n1,5;2\n".encode("cp1252"))
    dataset = load_csv(path)
    assert dataset.columns == ("temp °C", "µg") and dataset.X.tolist() == [[1.5, 2.0]]


def test_latin1_text_with_bytes_undefined_in_windows_1252(write):
    path = write(b"a\x81,b\n1,2\n")
    assert load_csv(path).columns == ("a\x81", "b")


def test_utf16_with_byte_order_mark(write):
    path = write("x\ty\r\n1.5\t2\r\n".encode("utf-16"))
    dataset = load_csv(path)
    assert dataset.columns == ("x", "y") and dataset.X.tolist() == [[1.5, 2.0]]


# ------------------------------------------------------------------ quotes and text
def test_quoted_numbers(write):
    assert values(write('x,y\n"1.5",2\n3,"4"\n')) == [[1.5, 2.0], [3.0, 4.0]]
    assert values(write('"x" "y"\n"1.5" 2\n3 "4"\n')) == [[1.5, 2.0], [3.0, 4.0]]


def test_quoted_text_with_delimiter_and_quotes_inside(write):
    path = write('x,note,y\n1,"a, ""b""",2\n3,plain,4\n')
    dataset = load_csv(path)
    assert dataset.X.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert dataset.report.skipped_columns == ("note",)
    assert sniff_csv(path).rows[0] == ["1", 'a, "b"', "2"]


def test_quoted_text_in_whitespace_separated_file(write):
    dataset = load_csv(write('x city y\n1 "New York" 2\n3 Paris 4\n'))
    assert dataset.X.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert dataset.report.skipped_columns == ("city",)


def test_text_column_selected_by_name_fails_with_an_example(write):
    path = write("x,label,y\n1,a,2\n3,b,4\n")
    with pytest.raises(
        DataError, match=r"column 'label' of data.csv is not numeric \(e.g. 'a' on line 2\)"
    ):
        load_csv(path, columns=["x", "label"])


def test_text_late_in_a_numeric_column_is_reported_with_its_line(write):
    rows = "\n".join(f"{i},{i * 2}" for i in range(200))
    with pytest.raises(
        DataError, match=r"column 'y' of data.csv is not numeric \(e.g. 'oops' on line 202\)"
    ):
        load_csv(write(f"x,y\n{rows}\n1,oops\n"))


def test_unmatched_quote_names_its_line(write):
    with pytest.raises(DataError, match="data.csv: line 3 has an unmatched quote"):
        load_csv(write('x,y\n1,2\n3,"4\n5,6\n'))


def test_unmatched_quote_after_the_sniffed_rows(write):
    rows = "\n".join(f"{i},{i}" for i in range(150))
    with pytest.raises(DataError, match="data.csv: line 152 has an unmatched quote"):
        load_csv(write(f'x,y\n{rows}\n1,"2\n3,4\n'))


# ------------------------------------------------------------------- missing values
@pytest.mark.parametrize(
    "token", ["", "NA", "na", "NaN", "nan", "N/A", "null", "NULL", "None", "?", "inf", "-inf",
              "Infinity", " NA ", "1e999"],
)  # fmt: skip
def test_missing_or_non_finite_values_drop_their_row(write, token):
    dataset = load_csv(write(f"x,y\n1,2\n3,{token}\n5,6\n"))
    assert dataset.X.tolist() == [[1.0, 2.0], [5.0, 6.0]]
    assert (dataset.report.n_rows_read, dataset.report.n_rows_dropped) == (3, 1)
    assert dataset.report.summary() == "2 rows; 1 dropped for missing or non-finite values"


def test_only_selected_columns_drop_rows(write):
    path = write("x,y,label\n1,NA,\n3,4,b\n,6,c\n")
    assert load_csv(path, columns=["y"]).X.tolist() == [[4.0], [6.0]]
    assert load_csv(path, columns=["x"]).X.tolist() == [[1.0], [3.0]]
    assert load_csv(path).X.tolist() == [[3.0, 4.0]]


def test_missing_values_in_a_whitespace_file(write):
    assert values(write("x y\n1 NA\n3 4\n")) == [[3.0, 4.0]]


def test_every_row_missing(write):
    with pytest.raises(DataError, match="data.csv has no usable rows: all 2 have missing values"):
        load_csv(write("x,y\n1,NA\n,4\n"))


def test_blocks_mix_fast_and_slow_reading(write, monkeypatch):
    monkeypatch.setattr(csv_reader, "_CHUNK_ROWS", 7)
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(60, 3))
    lines = [",".join(repr(v) for v in row) for row in matrix.tolist()]
    lines[20] = "NA," + lines[20].split(",", 1)[1]
    lines[41] = ",".join(f'"{field}"' for field in lines[41].split(","))
    lines[50] = lines[50].replace(",", ", ")
    path = write("a,b,c\n" + "\n".join(lines) + "\n")
    dataset = load_csv(path)
    np.testing.assert_array_equal(dataset.X, np.delete(matrix, 20, axis=0))
    assert dataset.report.n_rows_dropped == 1


def test_ragged_row_in_a_later_block(write, monkeypatch):
    monkeypatch.setattr(csv_reader, "_CHUNK_ROWS", 5)
    rows = [f"{i},{i}" for i in range(30)]
    rows[23] = "1,2,3"
    with pytest.raises(DataError, match="data.csv: line 25 has 3 fields, expected 2"):
        load_csv(write("x,y\n" + "\n".join(rows)))
    rows[23] = "1"
    with pytest.raises(DataError, match="data.csv: line 25 has 1 field, expected 2"):
        load_csv(write("x,y\n" + "\n".join(rows)))


def test_whole_block_of_wider_rows_is_ragged(write, monkeypatch):
    monkeypatch.setattr(csv_reader, "_CHUNK_ROWS", 4)
    rows = [f"{i},{i}" for i in range(4)] + [f"{i},{i},{i}" for i in range(4)]
    with pytest.raises(DataError, match="line 6 has 3 fields, expected 2"):
        load_csv(write("x,y\n" + "\n".join(rows)))


@pytest.mark.parametrize(
    "text",
    ["x,y,label\n1,2,a\n3,4\n", "x,y,label\n1,2,a\n3,4,b,c\n", "x y label\n1 2 a\n3 4\n"],
)
def test_ragged_rows_around_a_text_column(write, text):
    with pytest.raises(DataError, match=r"data.csv: line 3 has \d fields, expected 3"):
        load_csv(write(text))


# -------------------------------------------------------------------- column choice
def test_select_by_name_case_insensitive_name_index_and_digit_string(write):
    path = write("Alpha,beta,gamma\n1,2,3\n4,5,6\n")
    assert load_csv(path, columns=["gamma", "Alpha"]).X.tolist() == [[3.0, 1.0], [6.0, 4.0]]
    assert load_csv(path, columns=["ALPHA"]).columns == ("Alpha",)
    assert load_csv(path, columns=[2, np.int64(0)]).columns == ("gamma", "Alpha")
    assert load_csv(path, columns=["1"]).columns == ("beta",)
    assert load_csv(path, columns="beta").columns == ("beta",)
    assert load_csv(path, columns=np.int64(2)).columns == ("gamma",)


def test_trailing_delimiter_makes_an_empty_column_that_is_skipped(write):
    dataset = load_csv(write("x,y,\n1,2,\n3,4,\n"))
    assert dataset.X.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert dataset.report.skipped_columns == ("column 3",)


def test_a_column_named_with_digits_wins_over_the_index(write):
    assert load_csv(write("0,1\n5,6\n"), columns=["0"], has_header=True).X.tolist() == [[5.0]]


def test_unknown_column_lists_the_columns(write):
    with pytest.raises(DataError, match=r"data.csv has no column 'delta' \(columns: a, b\)"):
        load_csv(write("a,b\n1,2\n"), columns=["delta"])


@pytest.mark.parametrize("index", [2, "7", -1])
def test_column_index_out_of_range(write, index):
    with pytest.raises(DataError, match="data.csv has no column"):
        load_csv(write("a,b\n1,2\n"), columns=[index])


def test_column_selected_twice_or_none_selected(write):
    path = write("a,b\n1,2\n")
    with pytest.raises(DataError, match="column 'a' of data.csv is selected twice"):
        load_csv(path, columns=["a", 0])
    with pytest.raises(DataError, match="no columns of data.csv are selected"):
        load_csv(path, columns=[])


# -------------------------------------------------------------------------- row index
@pytest.mark.parametrize(
    ("header", "first"),
    [("rownames", 1), ("", 1), ('""', 1), ("index", 0), ("ID", 1), ("Unnamed: 0", 0)],
)
def test_leading_row_index_is_not_fitted(write, header, first):
    rows = "\n".join(f"{first + i},{i * 1.5},{10 - i}" for i in range(5))
    dataset = load_csv(write(f"{header},x,y\n{rows}\n"))
    assert dataset.columns == ("x", "y")
    assert dataset.X[:, 0].tolist() == [0.0, 1.5, 3.0, 4.5, 6.0]
    assert dataset.report.skipped_columns == ()
    assert sniff_csv(write(f"{header},x,y\n{rows}\n")).default_columns == (1, 2)


def test_r_write_csv_quoted_row_names(write):
    dataset = load_csv(write('"","eruptions","waiting"\n"1",3.6,79\n"2",1.8,54\n'))
    assert dataset.columns == ("eruptions", "waiting")
    assert dataset.X.tolist() == [[3.6, 79.0], [1.8, 54.0]]


def test_r_write_table_header_without_row_names(write):
    dataset = load_csv(write('"eruptions" "waiting"\n"1" 3.6 79\n"2" 1.8 54\n'))
    assert dataset.columns == ("eruptions", "waiting")
    assert dataset.report.all_columns == ("column 1", "eruptions", "waiting")
    assert dataset.X.tolist() == [[3.6, 79.0], [1.8, 54.0]]


@pytest.mark.parametrize(
    "text",
    [
        "count,y\n1,5\n2,6\n3,7\n",  # not an index name
        "id,y\n1,5\n3,6\n4,7\n",  # not consecutive
        "id,y\n2,5\n3,6\n4,7\n",  # does not start at 0 or 1
        "y,id\n5,1\n6,2\n7,3\n",  # not the first column
        "1,5\n2,6\n3,7\n",  # no header
    ],
)
def test_columns_that_only_look_like_a_row_index_are_kept(write, text):
    assert load_csv(write(text)).n_features == 2


def test_row_index_with_nothing_else(write):
    with pytest.raises(DataError, match="no numeric columns besides the row index 'id'"):
        load_csv(write("id,name\n1,a\n2,b\n"))


# ---------------------------------------------------------------------------- errors
def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    with pytest.raises(DataError, match=f"^no such file: {path}$"):
        load_csv(path)
    with pytest.raises(DataError, match="no such file"):
        sniff_csv(str(path))


def test_directory(tmp_path):
    with pytest.raises(DataError, match=f"{tmp_path.name} is a directory"):
        load_csv(tmp_path)


def refuse_to_open(monkeypatch, path: Path, error: OSError) -> None:
    """Make opening ``path`` (and only it) raise ``error``: root may read any file."""
    real_open = os.open

    def fake_open(file, flags, *args, **kwargs):
        if os.fspath(file) == os.fspath(path):
            raise error
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)


def test_unreadable_file(write, monkeypatch):
    path = write("x\n1\n")
    refuse_to_open(monkeypatch, path, PermissionError(13, "Permission denied", str(path)))
    with pytest.raises(DataError, match="cannot read data.csv: permission denied"):
        load_csv(path)


def test_other_os_errors(write, monkeypatch):
    path = write("x\n1\n")
    refuse_to_open(monkeypatch, path, OSError(5, "Input/output error"))
    with pytest.raises(DataError, match="cannot read data.csv: Input/output error"):
        load_csv(path)


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ("", "it is empty"),
        ("\n  \n\t\n", "it is empty"),
        ("# a comment\n  # another\n\n", "only comments"),
        ("x,y\n", "only a header"),
        ("x,y\n# nothing here\n\n", "only a header"),
    ],
)
def test_no_data_rows(write, content, detail):
    with pytest.raises(DataError, match=rf"^data.csv has no data rows \({detail}\)$"):
        load_csv(write(content))
    with pytest.raises(DataError, match="has no data rows"):
        sniff_csv(write(content))


def test_no_numeric_column(write):
    with pytest.raises(DataError, match=r"data.csv has no numeric columns \(name, city\)"):
        load_csv(write("name,city\nAnn,Oslo\nBo,Rome\n"))


@pytest.mark.parametrize(
    "content",
    [
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03x,y\n",
        b"PK\x03\x04\x14\x00\x00\x00",
        b"1,2\n\x00\n",
    ],
)
def test_binary_file(write, content):
    with pytest.raises(DataError, match="^data.csv is not a text file$"):
        load_csv(write(content))


def test_too_few_usable_rows(write):
    path = write("x,y\n1,2\n3,NA\n5,6\n")
    with pytest.raises(
        DataError,
        match=r"data.csv has only 2 usable rows, fewer than the 3 needed \(one per component\)$",
    ):
        load_csv(path, min_rows=3)
    assert load_csv(path, min_rows=2).n_samples == 2


@pytest.mark.parametrize(
    "content",
    ["x,y\n1,2\n3,4,5\n", "x,y\n1,2\n3\n", 'x,y\n1,"2\n', "\x00", "x;y\n1;2\n3\n", "a\n" * 3],
)
def test_every_error_is_one_line_and_names_the_file(write, content):
    try:
        load_csv(write(content, name="measurements.csv"), columns=["x"])
    except DataError as error:
        message = str(error)
        assert "\n" not in message and "measurements.csv" in message
    else:
        pytest.fail("no DataError")


# ---------------------------------------------------------------------------- preview
def test_preview_of_a_messy_file(write):
    path = write("# exported\nid;value;label\n1;1,5;a\n2;NA;b\n3;2,5;c\n")
    preview = sniff_csv(path, n_preview_rows=2)
    assert preview == CsvPreview(
        delimiter=";",
        has_header=True,
        columns=("id", "value", "label"),
        numeric_columns=(0, 1),
        default_columns=(1,),
        rows=[["1", "1,5", "a"], ["2", "NA", "b"]],
        decimal=",",
        n_comment_lines=1,
    )
    dataset = load_csv(path, delimiter=preview.delimiter, has_header=preview.has_header)
    assert dataset.columns == ("value",) and dataset.X.tolist() == [[1.5], [2.5]]


def test_preview_reads_only_the_start_of_a_large_file(write, monkeypatch):
    monkeypatch.setattr(csv_reader, "_PREVIEW_BYTES", 64)
    rows = "\n".join(f"{i},{i / 7!r}" for i in range(1000))
    preview = sniff_csv(write("é,y\n" + rows + "\n"), n_preview_rows=1000)
    assert preview.columns == ("é", "y")
    assert 0 < len(preview.rows) < 10
    assert all(len(row) == 2 and float(row[1]) == int(row[0]) / 7 for row in preview.rows)


def test_preview_cut_inside_a_multibyte_character_stays_utf8(write, monkeypatch):
    monkeypatch.setattr(csv_reader, "_PREVIEW_BYTES", len("x,ü\n1,2\nü".encode()) + 1)
    preview = sniff_csv(write("x,ü\n1,2\nüü,3\n"))
    assert preview.columns == ("x", "ü") and preview.rows == [["1", "2"]]


def test_preview_is_frozen(write):
    preview = sniff_csv(write("1,2\n"))
    with pytest.raises(AttributeError):
        preview.delimiter = ";"  # type: ignore[misc]


# ---------------------------------------------------------------------- normalisation
def test_normalised_load_and_round_trip_to_data_units(write):
    rng = np.random.default_rng(7)
    raw = rng.normal([10.0, -3.0], [4.0, 0.5], size=(200, 2))
    path = write("a,b\n" + "\n".join(f"{x!r},{y!r}" for x, y in raw.tolist()) + "\n")
    dataset = load_csv(path, normalize=True)
    assert dataset.normalized
    np.testing.assert_allclose(dataset.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(dataset.X.std(axis=0), 1.0)
    np.testing.assert_allclose(dataset.raw, raw)
    np.testing.assert_allclose(dataset.offset, raw.mean(axis=0))
    np.testing.assert_allclose(dataset.scale, raw.std(axis=0))
    fitted = GMMParams(np.array([1.0]), np.zeros((1, 2)), np.eye(2)[None], "full")
    in_data_units = dataset.to_data_units(fitted)
    np.testing.assert_allclose(in_data_units.means[0], raw.mean(axis=0))
    np.testing.assert_allclose(in_data_units.covariances[0], np.diag(raw.var(axis=0)))
    back = dataset.from_data_units(in_data_units)
    np.testing.assert_allclose(back.means, fitted.means, atol=1e-12)
    np.testing.assert_allclose(back.covariances, fitted.covariances)
    assert not load_csv(path).normalized


# --------------------------------------------------------------------- property test
_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,7}", fullmatch=True).filter(
    lambda name: (
        csv_numbers.parse_number(name, ".") is None and name.lower() not in csv_reader._INDEX_NAMES
    )
)
_SEPARATORS = [",", ";", "\t", "|", " ", "   ", " \t "]


@st.composite
def _tables(draw):
    n_rows, n_columns = draw(st.integers(1, 12)), draw(st.integers(1, 5))
    matrix = draw(
        hnp.arrays(
            np.float64,
            (n_rows, n_columns),
            # Every double text can hold that gmmviewer fits (larger ones are refused).
            elements=st.floats(
                -MAX_DATA_MAGNITUDE, MAX_DATA_MAGNITUDE, allow_nan=False, allow_subnormal=True
            ),
        )
    )
    header = draw(st.one_of(st.none(), st.lists(_NAME, min_size=n_columns, max_size=n_columns,
                                                 unique_by=str.lower)))  # fmt: skip
    quoted = draw(hnp.arrays(np.bool_, (n_rows + 1, n_columns)))
    return matrix, header, quoted


@settings(max_examples=200, deadline=None)
@given(
    table=_tables(),
    separator=st.sampled_from(_SEPARATORS),
    newline=st.sampled_from(["\n", "\r\n"]),
    comment=st.booleans(),
    final_newline=st.booleans(),
)
def test_written_tables_load_back_exactly(
    tmp_path_factory, table, separator, newline, comment, final_newline
):
    matrix, header, quoted = table
    rows = ([header] if header else []) + [[repr(v) for v in row] for row in matrix.tolist()]
    marks = quoted[1:] if not header else quoted
    lines = [
        separator.join(
            f'"{field}"' if mark else field for field, mark in zip(row, row_marks, strict=True)
        )
        for row, row_marks in zip(rows, marks, strict=True)
    ]
    text = ("# written by a property test" + newline if comment else "") + newline.join(lines)
    path = tmp_path_factory.getbasetemp() / "property.csv"
    path.write_bytes((text + (newline if final_newline else "")).encode())

    dataset = load_csv(path)

    np.testing.assert_array_equal(dataset.X, matrix)
    np.testing.assert_array_equal(np.signbit(dataset.X), np.signbit(matrix))
    assert dataset.report.has_header == bool(header)
    if header:
        assert dataset.columns == tuple(header)
