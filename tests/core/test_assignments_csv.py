"""The assignments file and the data rows it names: which rows of a file were used."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.errors import DataError
from gmmviewer.core.files.assignments_csv import file_rows, write_assignments_csv
from gmmviewer.core.files.csv_reader import load_csv


def test_the_rows_kept_are_numbered_as_data_rows_of_the_file(tmp_path):
    # Data rows 1..7 (counted by hand); comments, blank lines and the header are not rows.
    text = "\n".join([
        "# made by hand", "a;b",
        "1;2",        # 1
        "NA;3",       # 2 dropped
        "", "  # a note",
        "4;5",        # 3
        "6;",         # 4 dropped
        "7;8",        # 5
        "9;nan",      # 6 dropped
        "10;11",      # 7
    ]) + "\n"  # fmt: skip
    path = tmp_path / "rows.csv"
    path.write_text(text)
    for normalize in (False, True):
        dataset = load_csv(path, normalize=normalize)
        assert dataset.report.n_rows_read == 7 and dataset.report.n_rows_dropped == 3
        assert file_rows(dataset).tolist() == [1, 3, 5, 7]
        np.testing.assert_array_equal(dataset.raw[:, 0], [1, 4, 7, 10])


def test_a_file_read_whole_stores_no_numbers_and_counts_one_to_n(faithful_path):
    dataset = load_csv(faithful_path)
    assert dataset.report.row_numbers is None
    assert file_rows(dataset).tolist() == list(range(1, 273))
    assert file_rows(Dataset(np.zeros((3, 2)))).tolist() == [1, 2, 3]


def test_the_file_reads_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=20, size=(50, 3))
    resp = np.exp(logits - logits.max(axis=1, keepdims=True))
    resp /= resp.sum(axis=1, keepdims=True)
    rows = np.arange(50) * 2 + 5
    path = tmp_path / "a.csv"
    write_assignments_csv(path, resp, rows)
    with open(path, newline="") as stream:
        lines = list(csv.reader(stream))
    assert lines[0] == ["row", "label", "r1", "r2", "r3", "uncertainty"]
    body = np.array(lines[1:], dtype=float)
    np.testing.assert_array_equal(body[:, 0], rows)
    np.testing.assert_array_equal(body[:, 1], np.argmax(resp, axis=1) + 1)
    np.testing.assert_array_equal(body[:, 2:5], resp)
    # 1 - max r, to the digits of the small responsibilities (math.fsum as the oracle).
    others = [sorted(row)[:-1] for row in resp.tolist()]
    expected = [math.fsum(values) for values in others]
    np.testing.assert_allclose(body[:, 5], expected, rtol=1e-15)
    np.testing.assert_allclose(body[:, 5], 1.0 - resp.max(axis=1), rtol=1e-6, atol=1e-15)


def test_given_labels_win_and_float32_is_written_as_its_doubles(tmp_path):
    resp = np.array([[0.5, 0.5], [0.25, 0.75]], dtype=np.float32)
    path = tmp_path / "a.csv"
    write_assignments_csv(path, resp, labels=np.array([1, 1]))
    assert path.read_text().splitlines()[1:] == ["1,2,0.5,0.5,0.5", "2,2,0.25,0.75,0.25"]


def test_a_failed_write_keeps_the_old_file_and_says_so_in_one_line(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("old\n")
    with pytest.raises(ValueError, match="one entry per row"):
        write_assignments_csv(path, np.ones((2, 1)), rows=np.arange(3))
    with pytest.raises(DataError) as caught:
        write_assignments_csv(tmp_path / "missing" / "a.csv", np.ones((2, 1)))
    assert str(caught.value).startswith("cannot write") and "\n" not in str(caught.value)
    assert path.read_text() == "old\n"
