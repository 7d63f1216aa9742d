"""Saving and loading parameter files: exact round trips, the documented layouts, and errors."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gmmviewer.core.em.gaussian import COVARIANCE_TYPES
from gmmviewer.core.errors import ParameterError, ParameterFileError
from gmmviewer.core.files.paramfile import ParamFile, load_params, save_params
from gmmviewer.core.params import GMMParams

FORMATS = ("json", "npz", "csv")

LECTURE = GMMParams(
    weights=[0.3, 0.2, 0.5],
    means=[[1.2, 0.4], [-4.4, 1.0], [4.1, -0.3]],
    covariances=[
        [[0.8, -0.4], [-0.4, 1.0]],
        [[1.2, -0.8], [-0.8, 1.0]],
        [[1.2, 0.6], [0.6, 3.0]],
    ],
)

LECTURE_JSON = """\
{
  "format": "gmmviewer-params",
  "version": 1,
  "covariance_type": "full",
  "n_components": 3,
  "n_features": 2,
  "columns": ["x1", "x2"],
  "weights": [0.3, 0.2, 0.5],
  "means": [
    [1.2, 0.4],
    [-4.4, 1.0],
    [4.1, -0.3]
  ],
  "covariances": [
    [[0.8, -0.4], [-0.4, 1.0]],
    [[1.2, -0.8], [-0.8, 1.0]],
    [[1.2, 0.6], [0.6, 3.0]]
  ],
  "log_likelihood": -2466.6,
  "n_iter": 12,
  "converged": true,
  "n_samples": 600,
  "source": "preset:lecture"
}
"""

LECTURE_CSV = """\
# gmmviewer-params v1 covariance_type=full
# log_likelihood=-2466.6
# n_iter=12
# converged=true
# n_samples=600
# source="preset:lecture"
component,weight,mean_x1,mean_x2,cov_x1_x1,cov_x1_x2,cov_x2_x1,cov_x2_x2
1,0.3,1.2,0.4,0.8,-0.4,-0.4,1.0
2,0.2,-4.4,1.0,1.2,-0.8,-0.8,1.0
3,0.5,4.1,-0.3,1.2,0.6,0.6,3.0
"""

LECTURE_METADATA = {
    "log_likelihood": -2466.6,
    "n_iter": 12,
    "converged": True,
    "n_samples": 600,
    "source": "preset:lecture",
}


def example_params(covariance_type: str) -> GMMParams:
    """Lecture parameters reduced to ``covariance_type`` (tied uses the weighted mean)."""
    return LECTURE.as_covariance_type(covariance_type)


def write_json(path: Path, **changes: object) -> Path:
    """A valid lecture JSON file with some fields replaced (None deletes a field)."""
    document = json.loads(LECTURE_JSON)
    for key, value in changes.items():
        if value is None:
            del document[key]
        else:
            document[key] = value
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def write_npz(path: Path, **changes: object) -> Path:
    save_params(path, LECTURE, **LECTURE_METADATA)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = np.asarray(value)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def assert_load_error(path: Path, *fragments: str, format: str | None = None) -> str:
    with pytest.raises(ParameterFileError) as info:
        load_params(path, format=format)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message
    return message


# ================================================================ round trips
@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_round_trip_fixed_examples(tmp_path, file_format, covariance_type):
    params = example_params(covariance_type)
    path = tmp_path / f"params.{file_format}"
    save_params(path, params, columns=("height", "weight"), **LECTURE_METADATA)
    loaded = load_params(path)
    assert isinstance(loaded, ParamFile)
    assert loaded.params.equals(params)
    assert loaded.params.covariance_type == covariance_type
    assert loaded.columns == ("height", "weight")
    assert loaded.log_likelihood == -2466.6
    assert loaded.n_iter == 12
    assert loaded.converged is True
    assert loaded.n_samples == 600
    assert loaded.source == "preset:lecture"


@pytest.mark.parametrize("file_format", FORMATS)
def test_metadata_defaults_to_none_and_default_columns(tmp_path, file_format):
    path = tmp_path / f"params.{file_format}"
    save_params(path, LECTURE)
    loaded = load_params(path)
    assert loaded.params.equals(LECTURE)
    assert loaded.columns == ("x1", "x2")
    assert loaded.log_likelihood is None
    assert loaded.n_iter is None
    assert loaded.converged is None
    assert loaded.n_samples is None
    assert loaded.source is None


@pytest.mark.parametrize("file_format", FORMATS)
def test_one_feature_one_component(tmp_path, file_format):
    params = GMMParams([1.0], [[-0.1]], [[[2.5]]])
    path = tmp_path / f"p.{file_format}"
    save_params(path, params, columns=["x"], converged=False, n_iter=0)
    loaded = load_params(path)
    assert loaded.params.equals(params)
    assert loaded.columns == ("x",)
    assert loaded.converged is False
    assert loaded.n_iter == 0


@pytest.mark.parametrize("file_format", FORMATS)
def test_awkward_column_names_round_trip(tmp_path, file_format):
    columns = ('a,b "quoted"', "line\nbreak", "ünï_cödé")
    params = GMMParams([0.5, 0.5], np.zeros((2, 3)), np.stack([np.eye(3), 2 * np.eye(3)]))
    path = tmp_path / f"p.{file_format}"
    save_params(path, params, columns=columns, source="dir, with\nnewline/data.csv")
    loaded = load_params(path)
    assert loaded.columns == columns
    assert loaded.source == "dir, with\nnewline/data.csv"
    assert loaded.params.equals(params)


@st.composite
def mixtures(draw: st.DrawFn) -> GMMParams:
    """Valid random mixtures of every covariance type, with awkward but finite floats."""
    k = draw(st.integers(1, 5))
    d = draw(st.integers(1, 4))
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    raw_weights = draw(hnp.arrays(np.float64, k, elements=st.floats(0.0, 1.0)))
    weights = (raw_weights + 1e-3) / (raw_weights + 1e-3).sum()
    means = draw(
        hnp.arrays(np.float64, (k, d), elements=st.floats(allow_nan=False, allow_infinity=False))
    )
    factors = draw(hnp.arrays(np.float64, (k, d, d), elements=st.floats(-3.0, 3.0)))
    ridge = draw(st.floats(1e-3, 10.0))
    magnitude = 10.0 ** draw(st.integers(-3, 3))
    full = magnitude * (factors @ np.swapaxes(factors, 1, 2) + ridge * np.eye(d))
    full = (full + np.swapaxes(full, 1, 2)) / 2.0
    variances = draw(hnp.arrays(np.float64, (k, d), elements=st.floats(1e-3, 1e3)))
    covariances = {
        "full": full,
        "tied": full[0],
        "diag": variances,
        "spherical": variances[:, 0],
    }[covariance_type]
    return GMMParams(weights, means, covariances, covariance_type).validate()


@settings(max_examples=150, deadline=None)
@given(
    params=mixtures(),
    file_format=st.sampled_from(FORMATS),
    log_likelihood=st.floats(allow_nan=False, allow_infinity=False),
)
def test_round_trip_is_exact_for_random_mixtures(params, file_format, log_likelihood):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, f"params.{file_format}")
        save_params(path, params, log_likelihood=log_likelihood)
        loaded = load_params(path)
    assert loaded.params.equals(params)
    assert loaded.log_likelihood == log_likelihood
    assert loaded.params.covariance_type == params.covariance_type


# ============================================================ documented layouts
def test_json_layout_is_the_documented_one(tmp_path):
    path = tmp_path / "lecture.json"
    save_params(path, LECTURE, **LECTURE_METADATA)
    assert path.read_text(encoding="utf-8") == LECTURE_JSON


def test_csv_layout_is_the_documented_one(tmp_path):
    path = tmp_path / "lecture.csv"
    save_params(path, LECTURE, **LECTURE_METADATA)
    assert path.read_text(encoding="utf-8") == LECTURE_CSV


def test_module_docstring_shows_the_real_layouts():
    from gmmviewer.core.files import paramfile

    doc = paramfile.__doc__
    for line in LECTURE_JSON.splitlines() + LECTURE_CSV.splitlines():
        assert line.strip() in doc, line


def test_npz_layout(tmp_path):
    path = tmp_path / "lecture.npz"
    save_params(path, example_params("diag"), columns=("a", "b"), log_likelihood=-3.5)
    with np.load(path, allow_pickle=False) as archive:
        assert set(archive.files) == {
            "format",
            "version",
            "covariance_type",
            "columns",
            "weights",
            "means",
            "covariances",
            "log_likelihood",
        }
        assert archive["format"].shape == () and str(archive["format"]) == "gmmviewer-params"
        assert int(archive["version"]) == 1
        assert str(archive["covariance_type"]) == "diag"
        assert archive["columns"].tolist() == ["a", "b"]
        assert archive["weights"].shape == (3,)
        assert archive["means"].shape == (3, 2)
        # Always full matrices, whatever the covariance type.
        np.testing.assert_array_equal(
            archive["covariances"], example_params("diag").full_covariances()
        )
        assert float(archive["log_likelihood"]) == -3.5


def test_files_store_full_matrices_for_every_type(tmp_path):
    for covariance_type in COVARIANCE_TYPES:
        params = example_params(covariance_type)
        path = tmp_path / f"{covariance_type}.json"
        save_params(path, params)
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["covariance_type"] == covariance_type
        assert np.array(document["covariances"]).shape == (3, 2, 2)
        np.testing.assert_array_equal(document["covariances"], params.full_covariances())


def test_hand_written_minimal_json_loads(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(
        '{"format": "gmmviewer-params", "version": 1, "covariance_type": "spherical",'
        ' "weights": [1], "means": [[0, 1]], "covariances": [[[2, 0], [0, 2]]],'
        ' "comment": "unknown fields are ignored"}',
        encoding="utf-8",
    )
    loaded = load_params(path)
    assert loaded.params.equals(GMMParams([1.0], [[0.0, 1.0]], [2.0], "spherical"))
    assert loaded.columns == ("x1", "x2")


def test_hand_edited_csv_with_extra_comments_and_blank_lines(tmp_path):
    text = LECTURE_CSV.replace(
        "# n_iter=12\n", "# n_iter=12\n# fitted on Tuesday\n# colour=blue\n"
    ).replace("\n2,", "\n\n2,")
    path = tmp_path / "edited.csv"
    path.write_text(text + "\n\n", encoding="utf-8")
    loaded = load_params(path)
    assert loaded.params.equals(LECTURE)
    assert loaded.n_iter == 12


# ============================================================ choosing a format
def test_format_comes_from_extension_case_insensitively(tmp_path):
    path = tmp_path / "PARAMS.JSON"
    save_params(path, LECTURE)
    assert path.read_text(encoding="utf-8").startswith("{")
    assert load_params(path).params.equals(LECTURE)


def test_explicit_format_overrides_extension(tmp_path):
    path = tmp_path / "params.json"
    save_params(path, LECTURE, format="csv")
    assert path.read_text(encoding="utf-8").startswith("# gmmviewer-params")
    assert load_params(path, format="csv").params.equals(LECTURE)


def test_npz_is_written_to_the_exact_path(tmp_path):
    path = tmp_path / "params.bin"
    save_params(path, LECTURE, format="npz")
    assert path.exists() and not (tmp_path / "params.bin.npz").exists()


@pytest.mark.parametrize("file_format", FORMATS)
def test_unknown_extension_is_sniffed_on_load(tmp_path, file_format):
    path = tmp_path / "params.dat"
    save_params(path, LECTURE, format=file_format)
    assert load_params(path).params.equals(LECTURE)


def test_unknown_extension_on_save_is_an_error(tmp_path):
    path = tmp_path / "params.txt"
    with pytest.raises(ParameterFileError, match=r"\.json, \.npz or \.csv"):
        save_params(path, LECTURE)
    assert not path.exists()


def test_unknown_format_name(tmp_path):
    with pytest.raises(ParameterFileError, match="unknown parameter file format 'xml'"):
        save_params(tmp_path / "p.json", LECTURE, format="xml")
    with pytest.raises(ParameterFileError, match="json, npz, csv"):
        load_params(tmp_path / "p.json", format="xml")


def test_unsniffable_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    assert_load_error(path, "not a gmmviewer parameter file")


# ================================================================ save errors
def test_unwritable_path(tmp_path):
    path = tmp_path / "missing-directory" / "params.json"
    message = str(pytest.raises(ParameterFileError, save_params, path, LECTURE).value)
    assert message.startswith(f"cannot write {path}: ")
    assert "No such file or directory" in message


def test_directory_as_save_target(tmp_path):
    target = tmp_path / "folder.json"
    target.mkdir()
    with pytest.raises(ParameterFileError, match="cannot write"):
        save_params(target, LECTURE)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (GMMParams([0.5, 0.5], [[0.0], [np.nan]], [[[1.0]], [[1.0]]]), "means must be finite"),
        (GMMParams([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[np.inf]]]), "finite"),
        (GMMParams([0.6, 0.6], [[0.0], [1.0]], [[[1.0]], [[1.0]]]), "sum to 1"),
        (GMMParams([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[-1.0]]]), "component 2"),
    ],
)
def test_invalid_parameters_are_not_written(tmp_path, params, reason):
    path = tmp_path / "bad.json"
    with pytest.raises(ParameterFileError, match=reason):
        save_params(path, params)
    assert not path.exists()


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"columns": ["only-one"]}, "1 column names for 2 features"),
        ({"columns": "ab"}, "columns must be a list of strings"),
        ({"columns": [1, 2]}, "columns must be a list of strings"),
        ({"log_likelihood": float("nan")}, "log_likelihood must be finite"),
        ({"log_likelihood": -float("inf")}, "log_likelihood must be finite"),
        ({"log_likelihood": "high"}, "log_likelihood must be a number"),
        ({"n_iter": -1}, "n_iter must be a non-negative integer"),
        ({"n_iter": 2.0}, "n_iter must be a non-negative integer"),
        ({"converged": 1}, "converged must be True or False"),
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"source": 3}, "source must be a string"),
    ],
)
def test_invalid_metadata_is_not_written(tmp_path, metadata, reason):
    path = tmp_path / "bad.csv"
    with pytest.raises(ParameterFileError, match=reason):
        save_params(path, LECTURE, **metadata)
    assert not path.exists()


def test_numpy_scalars_are_accepted_as_metadata(tmp_path):
    path = tmp_path / "p.json"
    save_params(
        path,
        LECTURE,
        log_likelihood=np.float64(-1.25),
        n_iter=np.int64(7),
        converged=np.bool_(True),
        n_samples=np.int32(600),
    )
    loaded = load_params(path)
    assert (loaded.log_likelihood, loaded.n_iter, loaded.converged, loaded.n_samples) == (
        -1.25,
        7,
        True,
        600,
    )
    assert type(loaded.log_likelihood) is float and type(loaded.n_iter) is int


# ================================================================ load errors
def test_errors_are_parameter_errors():
    assert issubclass(ParameterFileError, ParameterError)


def test_missing_file(tmp_path):
    assert_load_error(tmp_path / "nope.json", "does not exist")


def test_directory_is_not_a_file(tmp_path):
    assert_load_error(tmp_path, "is a directory", format="json")


def test_not_json(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{not json", encoding="utf-8")
    assert_load_error(path, "is not valid JSON", "line 1")


def test_not_utf8(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(b"\xff\xfe{}")
    assert_load_error(path, "not UTF-8 text")


@pytest.mark.parametrize("document", ["[1, 2, 3]", '"text"', "3"])
def test_json_that_is_not_an_object(tmp_path, document):
    path = tmp_path / "p.json"
    path.write_text(document, encoding="utf-8")
    assert_load_error(path, "not a gmmviewer parameter file")


def test_json_from_another_program(tmp_path):
    assert_load_error(write_json(tmp_path / "p.json", format=None), "not a gmmviewer")
    assert_load_error(write_json(tmp_path / "q.json", format="sklearn"), "not a gmmviewer")


def test_newer_version(tmp_path):
    assert_load_error(write_json(tmp_path / "p.json", version=2), "newer gmmviewer", "upgrade")


@pytest.mark.parametrize("version", [0, "1", 1.0, True])
def test_bad_version(tmp_path, version):
    assert_load_error(write_json(tmp_path / "p.json", version=version), "version")


def test_missing_version(tmp_path):
    assert_load_error(write_json(tmp_path / "p.json", version=None), 'missing the field "version"')


@pytest.mark.parametrize("field", ["covariance_type", "weights", "means", "covariances"])
def test_missing_required_field(tmp_path, field):
    assert_load_error(write_json(tmp_path / "p.json", **{field: None}), f'"{field}"')


def test_several_missing_fields_are_named(tmp_path):
    path = write_json(tmp_path / "p.json", means=None, covariances=None)
    assert_load_error(path, 'the fields "means" and "covariances"')


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"means": [[1.2, 0.4], [-4.4, 1.0]]}, "means has 2 rows but there are 3 weights"),
        ({"weights": [0.5, 0.5]}, "means has 3 rows but there are 2 weights"),
        (
            {"covariances": [[[1.0, 0.0], [0.0, 1.0]]] * 2},
            "covariances has 2 matrices but there are 3 weights",
        ),
        (
            {"covariances": [np.eye(3).tolist()] * 3},
            "covariances must be 2 x 2 matrices for 2 features, got 3 x 3",
        ),
        ({"weights": []}, "weights is empty"),
        ({"weights": [[0.3, 0.2, 0.5]]}, "weights must be a list of numbers"),
        ({"means": [1.2, 0.4, 4.1]}, "means must be a list of rows of numbers"),
        ({"means": [[1.2, 0.4], [-4.4], [4.1, -0.3]]}, "all of the same length"),
        ({"means": [[1.2, "0.4"], [-4.4, 1.0], [4.1, -0.3]]}, "means must be a list of rows"),
        ({"weights": [0.3, True, 0.5]}, "weights must be a list of numbers"),
        ({"covariances": [[0.8, -0.4], [-0.4, 1.0]]}, "a list of square matrices"),
        ({"n_components": 4}, "n_components is 4 but the arrays have 3"),
        ({"n_features": 3}, "n_features is 3 but the arrays have 2"),
        ({"columns": ["a", "b", "c"]}, "columns has 3 names but the means have 2 features"),
        ({"columns": ["a", 2]}, "columns must be a list of strings"),
        ({"columns": "ab"}, "columns must be a list of strings"),
        ({"covariance_type": 3}, "covariance_type must be a string"),
        ({"covariance_type": "banana"}, "unknown covariance type 'banana'"),
    ],
)
def test_json_shape_and_type_errors(tmp_path, changes, fragment):
    assert_load_error(write_json(tmp_path / "p.json", **changes), fragment)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"weights": [0.3, -0.2, 0.9]}, "weights must not be negative"),
        ({"weights": [0.3, 0.2, 0.4]}, "weights must sum to 1, they sum to 0.9"),
        (
            {
                "covariances": [
                    [[0.8, -0.4], [-0.4, 1.0]],
                    [[1.2, -0.8], [0.8, 1.0]],
                    np.eye(2).tolist(),
                ]
            },
            "the covariance of component 2 is not symmetric",
        ),
        (
            {
                "covariances": [
                    [[0.8, -0.4], [-0.4, 1.0]],
                    np.eye(2).tolist(),
                    [[1.0, 2.0], [2.0, 1.0]],
                ]
            },
            "component 3's covariance is not positive definite",
        ),
        ({"covariance_type": "diag"}, "diag covariances must be diagonal matrices"),
        ({"covariance_type": "tied"}, "tied covariances must be the same matrix"),
        (
            {"covariance_type": "spherical", "covariances": [np.diag([1.0, 2.0]).tolist()] * 3},
            "spherical covariances must be multiples of the identity",
        ),
        (
            {"covariance_type": "diag", "covariances": [np.diag([1.0, 0.0]).tolist()] * 3},
            "component 1 has a non-positive or non-finite variance",
        ),
    ],
)
def test_json_value_errors(tmp_path, changes, fragment):
    assert_load_error(write_json(tmp_path / "p.json", **changes), fragment)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_rejected(tmp_path, token):
    path = tmp_path / "p.json"
    path.write_text(LECTURE_JSON.replace("[0.3, 0.2, 0.5]", f"[0.3, {token}, 0.5]"), "utf-8")
    assert_load_error(path, token, "finite")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"log_likelihood": "low"}, "log_likelihood must be a number"),
        ({"log_likelihood": True}, "log_likelihood must be a number"),
        ({"n_iter": -3}, "n_iter must be a non-negative integer"),
        ({"n_iter": 2.5}, "n_iter must be a non-negative integer"),
        ({"converged": "yes"}, "converged must be true or false"),
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"source": ["a"]}, "source must be a string"),
    ],
)
def test_json_metadata_errors(tmp_path, changes, fragment):
    assert_load_error(write_json(tmp_path / "p.json", **changes), fragment)


def test_json_null_metadata_is_unknown(tmp_path):
    path = tmp_path / "p.json"
    document = json.loads(LECTURE_JSON)
    document.update(log_likelihood=None, n_iter=None, converged=None, source=None)
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = load_params(path)
    assert loaded.log_likelihood is None and loaded.n_iter is None
    assert loaded.converged is None and loaded.source is None


# -------------------------------------------------------------------- CSV errors
def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("# gmmviewer-params v1 covariance_type=full\n", "", "first line should be"),
        ("v1 covariance_type=full", "v2 covariance_type=full", "newer gmmviewer"),
        ("covariance_type=full", "covariance_type=diag", "diag covariances must be diagonal"),
        ("covariance_type=full", "covariance_type=cube", "unknown covariance type 'cube'"),
        ("# n_iter=12", "# n_iter=twelve", "cannot read the value of n_iter"),
        ("# n_iter=12", "# n_iter=1.5", "n_iter must be a non-negative integer"),
        ("# log_likelihood=-2466.6", "# log_likelihood=NaN", "log_likelihood"),
        ("component,weight", "comp,weight", "the header should be"),
        (",cov_x2_x2", "", "the header should be"),
        ("cov_x1_x2,cov_x2_x1", "cov_x2_x1,cov_x1_x2", "header column 6 should be 'cov_x1_x2'"),
        ("mean_x1", "mu_x1", "header column 3 should be mean_<column>"),
        ("\n2,0.2,-4.4,1.0,", "\n2,0.2,-4.4,", "data row 2 has 7 fields, the header has 8"),
        ("\n3,0.5,", "\n4,0.5,", "data row 3 should be component 3, found '4'"),
        ("\n2,0.2,-4.4", "\n2,0.2,minus", "data row 2, mean_x1: 'minus' is not a number"),
        ("\n2,0.2,", "\n2,nan,", "weights contain NaN or infinity"),
        ("1.2,0.6,0.6,3.0", "1.2,0.6,0.6,inf", "covariances contain NaN or infinity"),
        ("-0.8,-0.8,1.0", "-0.8,0.8,1.0", "the covariance of component 2 is not symmetric"),
    ],
)
def test_csv_errors(tmp_path, old, new, fragment):
    assert old in LECTURE_CSV
    path = write_csv(tmp_path / "p.csv", LECTURE_CSV.replace(old, new))
    assert_load_error(path, fragment)


def test_csv_without_rows(tmp_path):
    header_only = LECTURE_CSV.split("1,0.3")[0]
    assert_load_error(write_csv(tmp_path / "p.csv", header_only), "has no component rows")
    comments_only = header_only.split("component,")[0]
    assert_load_error(write_csv(tmp_path / "q.csv", comments_only), "has no header line")


def test_csv_header_must_match_column_names(tmp_path):
    text = LECTURE_CSV.replace("cov_x1_x1", "cov_x_x")
    assert_load_error(write_csv(tmp_path / "p.csv", text), "should be 'cov_x1_x1'")


# -------------------------------------------------------------------- NPZ errors
def test_npz_that_is_not_an_archive(tmp_path):
    path = tmp_path / "p.npz"
    path.write_bytes(b"not a zip file at all")
    assert_load_error(path, "is not a NumPy .npz archive")


def test_npy_instead_of_npz(tmp_path):
    path = tmp_path / "p.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros(3))
    assert_load_error(path, "single .npy array")


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "p.npz"
    with open(path, "wb") as handle:
        np.savez(handle, format=np.array("gmmviewer-params"), evil=np.array([{}], dtype=object))
    assert_load_error(path, "unreadable entry")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"format": None}, "not a gmmviewer parameter file"),
        ({"format": "other"}, "not a gmmviewer parameter file"),
        ({"format": np.array(["gmmviewer-params"])}, "format must be a string"),
        ({"version": 2}, "newer gmmviewer"),
        ({"version": 1.0}, "version must be an integer"),
        ({"means": None}, 'missing the field "means"'),
        ({"weights": np.array(["a", "b", "c"])}, "weights must be a numeric array"),
        ({"weights": [0.3, np.nan, 0.5]}, "weights contain NaN or infinity"),
        ({"means": np.zeros((2, 2))}, "means has 2 rows but there are 3 weights"),
        ({"covariances": np.zeros((3, 2))}, "covariances must be a list of matrices"),
        ({"columns": np.array([[1.0, 2.0]])}, "columns must be a 1-D array of strings"),
        ({"covariance_type": np.array(["full"])}, "covariance_type must be a string"),
        ({"log_likelihood": "x"}, "log_likelihood must be a number"),
        ({"log_likelihood": np.inf}, "log_likelihood must be finite"),
        ({"converged": 1}, "converged must be a boolean"),
        ({"n_iter": -1}, "n_iter must be a non-negative integer"),
    ],
)
def test_npz_errors(tmp_path, changes, fragment):
    assert_load_error(write_npz(tmp_path / "p.npz", **changes), fragment)


def test_load_never_modifies_or_needs_write_access(tmp_path):
    path = tmp_path / "p.json"
    save_params(path, LECTURE)
    path.chmod(0o444)
    try:
        assert load_params(path).params.equals(LECTURE)
    finally:
        path.chmod(0o644)
