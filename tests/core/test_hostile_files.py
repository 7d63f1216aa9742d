"""Hostile data and parameter files: special files, sizes, shapes that hang, parser bombs.

Every case ends in one line of the library's own error class, quickly, without reading
what it should not; regressions for the reproductions of issue 14 ("Files", "Smaller").
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hostile import fifo, npy_bytes, npy_header, rewrite_zip

from gmmviewer.core.errors import DataError, GMMViewerError, ParameterFileError
from gmmviewer.core.files import csv_reader, paramfile
from gmmviewer.core.files.csv_reader import load_csv, sniff_csv
from gmmviewer.core.files.paramfile import load_params, save_params
from gmmviewer.core.files.reading import (
    SizeLimitError,
    parse_json,
    read_npz,
    read_regular_file,
)
from gmmviewer.core.files.sessions.session_file import load_session
from gmmviewer.core.limits import MAX_COMPONENTS, MAX_FEATURES, byte_size
from gmmviewer.core.params import GMMParams

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
DEVICES = [device for device in ("/dev/zero", "/dev/urandom") if os.path.exists(device)]

PARAMS = GMMParams(
    [0.3, 0.7], [[0.0, 1.0], [2.0, -1.0]], [np.eye(2), [[2.0, 0.5], [0.5, 1.0]]], "full"
)


def one_line(error: BaseException) -> str:
    message = str(error)
    assert message and "\n" not in message and "\r" not in message
    assert isinstance(error, GMMViewerError)
    return message


def every_loader(path: Path):
    """Each reader of the core, with the error class it must raise."""
    return [
        (lambda: load_csv(path), DataError),
        (lambda: sniff_csv(path), DataError),
        (lambda: load_params(path, format="json"), ParameterFileError),
        (lambda: load_params(path, format="npz"), ParameterFileError),
        (lambda: load_session(path), GMMViewerError),
    ]


# ============================================================== special files
@needs_fifo
def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    with fifo(tmp_path / "pipe.csv") as path:
        for load, error in every_loader(path):
            with pytest.raises(error) as info:
                load()
            assert "named pipe (FIFO), not a regular file" in one_line(info.value)


@pytest.mark.parametrize("device", DEVICES)
def test_devices_are_refused_before_reading(device):
    for load, error in every_loader(Path(device)):
        with pytest.raises(error) as info:
            load()
        assert "is a device, not a regular file" in one_line(info.value)


def test_a_directory_is_refused_by_every_reader(tmp_path):
    for load, error in every_loader(tmp_path):
        with pytest.raises(error) as info:
            load()
        assert "directory" in one_line(info.value)


def test_a_file_over_the_size_limit_is_refused_and_the_limit_named(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("x,y\n" + "1.5,2.5\n" * 400)
    monkeypatch.setattr(csv_reader, "MAX_DATA_FILE_BYTES", 1024)
    for load in (lambda: load_csv(path), lambda: sniff_csv(path)):
        with pytest.raises(DataError) as info:
            load()
        message = one_line(info.value)
        assert message == "big.csv is too large (3.1 KiB): data files may be at most 1 KiB"


def test_a_parameter_file_over_the_limit_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save_params(path, PARAMS)
    monkeypatch.setattr(paramfile, "MAX_PARAM_FILE_BYTES", 100)
    with pytest.raises(ParameterFileError, match="parameter files may be at most 100 bytes"):
        load_params(path)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="no /proc here")
def test_a_file_that_reads_longer_than_its_size_is_still_bounded():
    # /proc files report size 0; reading one byte over the limit catches them.
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(SizeLimitError, match="is too large \\(over 16 bytes\\)"):
        read_regular_file("/proc/self/status", max_bytes=16, what="test files")


def test_byte_sizes_read_naturally():
    assert byte_size(100) == "100 bytes"
    assert byte_size(1 << 30) == "1 GiB"
    assert byte_size(256 << 20) == "256 MiB"
    assert byte_size(3 * 1024 + 100) == "3.1 KiB"


# =========================================================== shapes that hang
def test_a_200000_column_csv_is_read_linearly_and_refused_by_name(tmp_path):
    n_columns = 200_000
    header = ",".join(f"c{j}" for j in range(n_columns))
    rows = "\n".join(",".join(str((j + r) % 9) for j in range(n_columns)) for r in range(2))
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n" + rows + "\n")
    with pytest.raises(DataError) as info:
        load_csv(path)
    assert one_line(info.value) == (
        "wide.csv has 200,000 numeric columns; at most 1,000 columns are fitted: choose fewer"
    )
    # Choosing a few of them works, by name and by index, and the report lists the rest
    # without quadratic bookkeeping.
    dataset = load_csv(path, ["c3", "c199999", 5])
    assert dataset.columns == ("c3", "c199999", "c5")
    np.testing.assert_array_equal(dataset.X, [[3, 199_999 % 9, 5], [4, 200_000 % 9, 6]])
    assert len(dataset.report.all_columns) == n_columns


@pytest.mark.slow
def test_one_12_megabyte_line_of_3_million_fields(tmp_path):
    path = tmp_path / "line.csv"
    path.write_text(",".join(["1.5"] * 3_000_000) + "\n")
    assert path.stat().st_size == 12_000_000
    with pytest.raises(DataError) as info:
        load_csv(path)
    assert "3,000,000 numeric columns; at most 1,000 columns are fitted" in one_line(info.value)


def test_too_many_selected_columns_name_the_limit(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("\n".join(",".join(["1"] * (MAX_FEATURES + 1)) for _ in range(2)) + "\n")
    with pytest.raises(DataError, match="has 1,001 selected columns; at most 1,000"):
        load_csv(path, list(range(MAX_FEATURES + 1)))
    assert load_csv(path, list(range(MAX_FEATURES))).n_features == MAX_FEATURES


def test_an_error_listing_the_columns_of_a_wide_file_stays_short(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text(",".join(f"name{j}" for j in range(5000)) + "\n" + ",".join("a" * 5000) + "\n")
    with pytest.raises(DataError) as info:
        load_csv(path)
    message = one_line(info.value)
    assert message.endswith("... (5,000 in all))") and len(message) < 300


# ============================================================== CSV: smaller
def test_digit_separators_are_not_csv_numbers(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,y\n1_000,2\n3,4\n5,6\n")
    dataset = load_csv(path)  # x is text: skipped and reported, never read as 1000
    assert dataset.columns == ("y",)
    assert dataset.report.skipped_columns == ("x",)
    with pytest.raises(DataError) as info:
        load_csv(path, ["x"])
    assert one_line(info.value) == "column 'x' of data.csv is not numeric (e.g. '1_000' on line 2)"
    assert np.loadtxt(["1000"], ndmin=1)[0] == 1000  # what a number is: what loadtxt reads
    with pytest.raises(ValueError):
        np.loadtxt(["1_000"])


def test_non_ascii_digits_are_not_numbers(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x,y\n\u0661\u0662,2\n3,4\n", encoding="utf-8")
    assert load_csv(path).columns == ("y",)


@pytest.mark.parametrize("seed", range(5))
def test_binary_junk_without_nul_bytes_is_not_text(tmp_path, seed):
    junk = np.random.default_rng(seed).integers(1, 256, 3000, dtype=np.uint8).tobytes()
    assert b"\x00" not in junk
    path = tmp_path / "junk.bin"
    path.write_bytes(junk)
    for load in (lambda: load_csv(path), lambda: sniff_csv(path)):
        with pytest.raises(DataError) as info:
            load()
        assert one_line(info.value) == "junk.bin is not a text file"


def test_text_with_a_stray_control_character_still_loads(tmp_path):
    path = tmp_path / "names.csv"
    path.write_bytes(b"name,x\r\nan\x01n,1\r\nbob,2\r\n\x0ccid,3\r\n")
    dataset = load_csv(path)
    assert dataset.columns == ("x",) and dataset.n_samples == 3


# ============================================================ parameter files
def assert_param_error(path: Path, *fragments: str, format: str | None = None) -> str:
    with pytest.raises(ParameterFileError) as info:
        load_params(path, format=format)
    message = one_line(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.fixture
def npz_file(tmp_path) -> Path:
    path = tmp_path / "p.npz"
    save_params(path, PARAMS, log_likelihood=-12.5)
    return path


def test_a_truncated_npz(tmp_path, npz_file):
    data = npz_file.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        path = tmp_path / f"cut{cut}.npz"
        path.write_bytes(data[:cut])
        assert_param_error(path, "is not a NumPy .npz archive, or one cut short")


def test_an_npz_entry_that_is_not_an_array(tmp_path, npz_file):
    def rename(name: str, data: bytes) -> tuple[str, bytes]:
        return ("weights" if name == "weights.npy" else name), data

    path = rewrite_zip(npz_file, tmp_path / "bad.npz", rename)
    assert_param_error(path, "has an entry 'weights' that is not a NumPy array")


def test_an_npy_header_claiming_ten_trillion_values_allocates_nothing(tmp_path, npz_file):
    def lie(name: str, data: bytes) -> tuple[str, bytes]:
        return name, (npy_header((10**13,)) + b"\0" * 16 if name == "means.npy" else data)

    path = rewrite_zip(npz_file, tmp_path / "lie.npz", lie)
    assert_param_error(path, "entry 'means' whose header claims 10,000,000,000,000 values")


def test_an_npz_that_unpacks_beyond_the_limit(tmp_path, npz_file, monkeypatch):
    def padded(name: str, data: bytes) -> tuple[str, bytes]:
        return name, (npy_bytes(np.zeros(100_000)) if name == "source.npy" else data)

    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(npz_file) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            new.writestr(*padded(name, old.read(name)))
        new.writestr("padding.npy", npy_bytes(np.zeros(200_000)))
    assert path.stat().st_size < 10_000
    monkeypatch.setattr(paramfile, "MAX_PARAM_FILE_BYTES", 1 << 20)
    assert_param_error(path, "unpacks to 1.5 MiB: a parameter file may unpack to at most 1 MiB")


def test_an_npz_with_an_unsupported_npy_version(tmp_path, npz_file):
    def future(name: str, data: bytes) -> tuple[str, bytes]:
        return name, (data[:6] + b"\x09\x00" + data[8:] if name == "weights.npy" else data)

    path = rewrite_zip(npz_file, tmp_path / "v9.npz", future)
    assert_param_error(path, "unreadable entry 'weights'")


def test_json_nested_100000_deep(tmp_path):
    for nested in ("[" * 100_000 + "]" * 100_000, "[" * 100_000):
        path = tmp_path / "deep.json"
        path.write_text('{"format": "gmmviewer-params", "weights": ' + nested + "}")
        assert_param_error(path, "is nested more than 32 levels deep")


def test_csv_source_line_nested_100000_deep(tmp_path):
    path = tmp_path / "p.csv"
    save_params(path, PARAMS, source="data.csv")
    text = path.read_text().replace('# source="data.csv"', "# source=" + "[" * 100_000)
    path.write_text(text)
    message = assert_param_error(path, "cannot read the value of source", "nested more than 32")
    assert len(message) < 250


def test_a_5000_digit_integer(tmp_path):
    path = tmp_path / "p.json"
    save_params(path, PARAMS)
    document = path.read_text().replace('"n_iter": null', '"n_iter": ' + "7" * 5000)
    path.write_text(document)
    assert_param_error(path, "has a number with 5,000 digits, more than the 300")


def test_a_number_beyond_the_doubles(tmp_path):
    path = tmp_path / "p.json"
    save_params(path, PARAMS)
    path.write_text(path.read_text().replace('"weights": [0.3', '"weights": [1e999'))
    assert_param_error(path, "has the number 1e999, which is out of range")


def test_a_csv_version_of_5000_digits(tmp_path):
    path = tmp_path / "p.csv"
    save_params(path, PARAMS)
    path.write_text(path.read_text().replace(" v1 ", " v" + "9" * 5000 + " ", 1))
    assert_param_error(path, "is not a gmmviewer parameter file")


def test_100000_components_are_refused_before_any_work(tmp_path):
    k = 100_000
    document = {
        "format": "gmmviewer-params",
        "version": 1,
        "covariance_type": "full",
        "weights": [1 / k] * k,
        "means": [[float(i), 0.0] for i in range(k)],
        "covariances": [[[1.0, 0.0], [0.0, 1.0]]] * k,
    }
    path = tmp_path / "k.json"
    path.write_text(json.dumps(document))
    assert_param_error(path, f"100,000 components; at most {MAX_COMPONENTS:,} are supported")


@pytest.mark.parametrize("file_format", ["json", "npz", "csv"])
def test_too_many_features_in_a_parameter_file(tmp_path, file_format):
    d = MAX_FEATURES + 1
    wide = GMMParams([1.0], np.zeros((1, d)), np.ones((1, d)), "diag")
    path = tmp_path / f"wide.{file_format}"
    save_params(path, wide)
    assert_param_error(path, f"1,001 features; at most {MAX_FEATURES:,} columns are fitted")


def test_parse_json_refuses_what_json_loads_would_crash_on():
    for text in ("[" * 10_000, "[" * 40 + "]" * 40, '{"a":' * 40 + "1" + "}" * 40):
        with pytest.raises(ValueError, match="nested more than 32 levels"):
            parse_json(text)
    # Brackets inside strings do not count, escaped quotes included.
    assert parse_json('["' + "[" * 100 + '\\"' + "{" * 100 + '"]') == ["[" * 100 + '"' + "{" * 100]
    assert parse_json("[" * 32 + "]" * 32) is not None
    with pytest.raises(ValueError, match="has NaN, which is not allowed"):
        parse_json("[NaN]")
    with pytest.raises(ValueError, match="is not valid JSON \\(line 1"):
        parse_json("[1,")
    # An unterminated string full of escaped quotes is scanned once, not once per quote
    # (quadratic scanning would take hours here).
    with pytest.raises(ValueError):
        parse_json("[" * 33 + '"' + '\\"' * 200_000)


def test_json_io_round_trip_is_unchanged_by_the_guards(tmp_path):
    path = tmp_path / "p.json"
    save_params(path, PARAMS, log_likelihood=-12.5, n_iter=3, n_samples=10, source="x")
    loaded = load_params(path)
    assert loaded.params.equals(PARAMS)
    assert (loaded.log_likelihood, loaded.n_iter, loaded.n_samples) == (-12.5, 3, 10)


def test_the_guarded_npz_reader_gives_what_np_load_gives(npz_file):
    with np.load(npz_file, allow_pickle=False) as archive:
        expected = {key: archive[key] for key in archive.files}
    arrays = read_npz(npz_file.read_bytes(), max_bytes=1 << 20, what="a test")
    assert arrays.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_array_equal(arrays[key], value)
        assert arrays[key].dtype == value.dtype and arrays[key].flags.writeable
