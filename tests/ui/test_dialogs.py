"""The Generate and CSV import dialogs, driven through their real widgets (never exec())."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets
from uihelpers import WAIT_TIMEOUT_MS

from gmmviewer.core.data.synthetic import PRESETS, make_preset, make_random_mixture
from gmmviewer.core.errors import DataError
from gmmviewer.core.files.csv_reader import load_csv
from gmmviewer.ui.dialogs import RANDOM_SOURCE, CsvImportDialog, GenerateDialog
from gmmviewer.ui.dialogs.generate_dialog import PREVIEW_LIMIT

OK = QtWidgets.QDialogButtonBox.StandardButton.Ok
LEFT = QtCore.Qt.MouseButton.LeftButton
CHECKED = QtCore.Qt.CheckState.Checked
UNCHECKED = QtCore.Qt.CheckState.Unchecked


def click_ok(qtbot, dialog: QtWidgets.QDialog) -> None:
    qtbot.mouseClick(dialog.button_box.button(OK), LEFT)


def assert_same_data(actual, expected) -> None:
    np.testing.assert_array_equal(actual.X, expected.X)
    assert actual.columns == expected.columns
    if expected.labels is None:
        assert actual.labels is None
    else:
        np.testing.assert_array_equal(actual.labels, expected.labels)


# ======================================================================== generate
@pytest.fixture
def generate_dialog(qtbot) -> GenerateDialog:
    dialog = GenerateDialog(rng=np.random.default_rng(12345))
    qtbot.addWidget(dialog)
    return dialog


def scatter_xy(dialog: GenerateDialog) -> tuple[np.ndarray, np.ndarray]:
    x, y = dialog.preview_scatter.getData()
    return np.asarray(x), np.asarray(y)


def test_generate_defaults_give_the_lecture_preset(qtbot, generate_dialog):
    dialog = generate_dialog
    assert dialog.windowTitle() == "Generate synthetic data"
    assert dialog.source() == "lecture"
    assert dialog.n_samples() == 600
    # Every preset is offered, with its description as tooltip, plus the random mixture.
    combo = dialog.preset_combo
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert offered == [*PRESETS, RANDOM_SOURCE]
    tooltip = combo.itemData(0, QtCore.Qt.ItemDataRole.ToolTipRole)
    assert tooltip == PRESETS["lecture"].description
    assert not dialog.random_group.isEnabled()
    assert not dialog.n_components_spin.isEnabled()

    click_ok(qtbot, dialog)

    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    data = dialog.dataset()
    expected = make_preset("lecture", 600, seed=dialog.seed())
    assert_same_data(data, expected)
    assert data.source == "preset:lecture"
    np.testing.assert_array_equal(data.truth.means, expected.truth.means)


def test_generate_random_mixture(qtbot, generate_dialog):
    dialog = generate_dialog
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(RANDOM_SOURCE))
    assert dialog.n_components_spin.isEnabled() and dialog.separation_spin.isEnabled()
    dialog.n_components_spin.setValue(4)
    dialog.n_features_spin.setValue(3)
    dialog.separation_spin.setValue(4.5)
    dialog.n_samples_spin.setValue(1234)
    dialog.seed_spin.setValue(7)

    dialog.accept()

    data = dialog.dataset()
    assert data.n_features == 3 and data.n_samples == 1234
    assert data.truth.n_components == 4
    assert_same_data(data, make_random_mixture(4, 1234, n_features=3, separation=4.5, seed=7))


def test_dataset_before_accept_is_an_error(generate_dialog):
    with pytest.raises(RuntimeError, match="not been accepted"):
        generate_dialog.dataset()


def test_preview_shows_the_sample_and_follows_the_controls(qtbot, generate_dialog):
    dialog = generate_dialog
    x, y = scatter_xy(dialog)
    expected = make_preset("lecture", 600, seed=0)
    np.testing.assert_array_equal(x, expected.X[:, 0])
    np.testing.assert_array_equal(y, expected.X[:, 1])
    assert dialog.preview_caption.text() == "All 600 points"

    # Debounced: nothing changes at once, the redraw follows shortly.
    dialog.n_samples_spin.setValue(150)
    assert len(scatter_xy(dialog)[0]) == 600
    qtbot.waitUntil(lambda: len(scatter_xy(dialog)[0]) == 150, timeout=WAIT_TIMEOUT_MS)

    dialog.set_values(preset=RANDOM_SOURCE, n_components=4, n_features=3, seed=5)
    qtbot.waitUntil(lambda: dialog.preview_sample().n_features == 3, timeout=WAIT_TIMEOUT_MS)
    shown = make_random_mixture(4, 150, n_features=3, seed=5)
    x, y = scatter_xy(dialog)
    np.testing.assert_array_equal(x, shown.X[:, 0])
    np.testing.assert_array_equal(y, shown.X[:, 1])
    assert "x1 vs x2 of 3 dimensions" in dialog.preview_caption.text()


def test_preview_of_a_large_sample_is_capped(generate_dialog):
    dialog = generate_dialog
    dialog.set_values(n_samples=1_000_000, seed=3)
    dialog.update_preview()
    assert len(scatter_xy(dialog)[0]) == PREVIEW_LIMIT
    np.testing.assert_array_equal(
        dialog.preview_sample().X, make_preset("lecture", PREVIEW_LIMIT, seed=3).X
    )
    assert dialog.preview_caption.text() == "Preview of 5,000 of 1,000,000 points"


def test_preview_of_one_dimensional_data_is_a_histogram(generate_dialog):
    dialog = generate_dialog
    dialog.set_values(preset="bimodal-1d", n_samples=800)
    dialog.update_preview()
    bars = dialog.histogram_bars()
    assert len(bars) == 2  # one stack per component
    total = sum(float(np.sum(item.opts["height"])) for item in bars)
    assert total == 800
    assert len(scatter_xy(dialog)[0]) == 0
    assert "histogram" in dialog.preview_caption.text()

    # Back to 2-D: the bars go, the points come back.
    dialog.set_values(preset="lecture")
    dialog.update_preview()
    assert dialog.histogram_bars() == []
    assert len(scatter_xy(dialog)[0]) == 800


def test_new_seed_draws_a_different_seed(qtbot, generate_dialog):
    dialog = generate_dialog
    before = dialog.seed()
    qtbot.mouseClick(dialog.new_seed_button, LEFT)
    first = dialog.seed()
    assert first != before
    assert 0 <= first <= 2**31 - 1
    # Seeded by the test, so the draw is reproducible.
    assert first == int(np.random.default_rng(12345).integers(0, 2**31 - 1, endpoint=True))
    assert dialog.new_seed() != first


def test_values_round_trip_and_unknown_preset(qtbot, generate_dialog):
    dialog = generate_dialog
    dialog.set_values(preset="elongated", n_samples=2000, seed=99, separation=2.5)
    values = dialog.values()
    assert values["preset"] == "elongated" and values["n_samples"] == 2000
    other = GenerateDialog()
    qtbot.addWidget(other)
    other.set_values(**values)
    assert other.values() == values
    with pytest.raises(DataError, match="unknown preset"):
        dialog.set_values(preset="no-such-preset")


def test_generation_error_warns_and_keeps_the_dialog_open(monkeypatch, generate_dialog):
    dialog = generate_dialog
    warnings: list[str] = []

    def fail(*args, **kwargs):
        raise DataError("something went wrong")

    def record(parent, title, text, *args):
        warnings.append(text)
        return QtWidgets.QMessageBox.StandardButton.Ok

    monkeypatch.setattr("gmmviewer.ui.dialogs.generate_dialog.make_preset", fail)
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", record)
    dialog.set_values(seed=42)
    dialog.accept()

    assert warnings == ["something went wrong"]
    assert dialog.result() != QtWidgets.QDialog.DialogCode.Accepted
    assert dialog.seed() == 42  # nothing lost
    with pytest.raises(RuntimeError):
        dialog.dataset()


# ====================================================================== CSV import
def open_csv(qtbot, path: Path) -> CsvImportDialog:
    dialog = CsvImportDialog.from_file(path)
    qtbot.addWidget(dialog)
    return dialog


def column_states(dialog: CsvImportDialog) -> dict[str, tuple[bool, bool]]:
    """Column name -> (checked, enabled) in the column list."""
    states = {}
    for row in range(dialog.column_list.count()):
        item = dialog.column_list.item(row)
        name = item.data(QtCore.Qt.ItemDataRole.UserRole)
        enabled = bool(item.flags() & QtCore.Qt.ItemFlag.ItemIsEnabled)
        states[name] = (item.checkState() == CHECKED, enabled)
    return states


def test_faithful_is_detected_and_loads_as_load_csv(qtbot, faithful_path):
    dialog = open_csv(qtbot, faithful_path)
    assert dialog.windowTitle() == "Import faithful.csv"
    assert dialog.delimiter_combo.currentText() == "comma"
    assert dialog.delimiter() == ","
    assert dialog.header_checkbox.isChecked()
    assert column_states(dialog) == {
        "rownames": (False, True),
        "eruptions": (True, True),
        "waiting": (True, True),
    }
    table = dialog.preview_table
    assert table.rowCount() == 20
    headers = [table.horizontalHeaderItem(j).text() for j in range(table.columnCount())]
    assert headers == ["rownames", "eruptions", "waiting"]
    assert [table.item(0, j).text() for j in range(3)] == ["1", "3.6", "79"]
    info = dialog.info_label.text()
    assert "272 rows; skipped the row index 'rownames'" in info
    assert "Showing eruptions vs waiting; EM fits all 2 selected columns" in info
    assert dialog.button_box.button(OK).isEnabled()

    click_ok(qtbot, dialog)

    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    assert dialog.selected_columns() == ["eruptions", "waiting"]
    assert not dialog.normalize()
    data = dialog.dataset()
    assert_same_data(data, load_csv(faithful_path))
    assert not data.normalized
    assert_same_data(data, load_csv(faithful_path, **dialog.load_arguments()))


def test_iris_text_column_is_disabled_and_two_columns_can_be_chosen(qtbot, iris_path):
    dialog = open_csv(qtbot, iris_path)
    states = column_states(dialog)
    assert states["species"] == (False, False)
    assert all(states[name] == (True, True) for name in list(states)[:4])
    species = dialog.column_list.item(4)
    assert species.text() == "species (text)"

    # Uncheck two columns the way a user does: click their check boxes.
    for row in (1, 2):
        item = dialog.column_list.item(row)
        item.setCheckState(UNCHECKED)
    assert dialog.selected_columns() == ["sepal_length", "petal_width"]
    assert "left out sepal_width, petal_length" in dialog.info_label.text()
    assert "Showing sepal_length vs petal_width" in dialog.info_label.text()

    dialog.accept()

    data = dialog.dataset()
    assert data.columns == ("sepal_length", "petal_width")
    assert data.n_features == 2
    assert_same_data(data, load_csv(iris_path, columns=["sepal_length", "petal_width"]))


def test_no_column_selected_disables_import(qtbot, iris_path):
    dialog = open_csv(qtbot, iris_path)
    dialog.set_selected_columns([])
    assert not dialog.button_box.button(OK).isEnabled()
    assert dialog.info_label.property("error")
    dialog.accept()
    assert dialog.result() != QtWidgets.QDialog.DialogCode.Accepted
    dialog.set_selected_columns(["petal_length"])
    assert "histogram of petal_length" in dialog.info_label.text()
    assert dialog.button_box.button(OK).isEnabled()


def test_semicolon_file_with_decimal_commas(qtbot, tmp_path):
    path = tmp_path / "european.csv"
    path.write_text("label;height;weight\na;1,5;70,25\nb;1,75;80\nc;1,6;65,5\nd;1,8;90\n")
    dialog = open_csv(qtbot, path)
    assert dialog.delimiter_combo.currentText() == "semicolon"
    assert dialog.decimal_combo.currentText() == "comma"
    assert column_states(dialog)["label"] == (False, False)

    dialog.accept()

    data = dialog.dataset()
    assert data.columns == ("height", "weight")
    np.testing.assert_allclose(data.X, [[1.5, 70.25], [1.75, 80], [1.6, 65.5], [1.8, 90]])


def test_wrong_delimiter_shows_an_error_and_disables_import(qtbot, faithful_path):
    dialog = open_csv(qtbot, faithful_path)
    ok = dialog.button_box.button(OK)

    dialog.delimiter_combo.setCurrentText("semicolon")

    assert not ok.isEnabled()
    assert dialog.info_label.property("error")
    assert "color" in dialog.info_label.styleSheet()
    assert "no numeric columns" in dialog.info_label.text()
    # The whole line is one text column, listed but not selectable.
    assert dialog.column_list.count() == 1
    only = dialog.column_list.item(0)
    assert not only.flags() & QtCore.Qt.ItemFlag.ItemIsEnabled
    # The table shows the lines as they split, one field each, so the cause is visible.
    assert dialog.preview_table.columnCount() == 1
    dialog.accept()
    assert dialog.result() != QtWidgets.QDialog.DialogCode.Accepted

    # A typed delimiter that is not one character is an error too, not an exception.
    dialog.delimiter_combo.setCurrentText("::")
    assert not ok.isEnabled()
    assert "one character" in dialog.info_label.text()

    dialog.delimiter_combo.setCurrentText("comma")
    assert ok.isEnabled()
    assert not dialog.info_label.property("error")
    assert dialog.selected_columns() == ["eruptions", "waiting"]


def test_auto_delimiter_and_header_choice(qtbot, faithful_path):
    dialog = open_csv(qtbot, faithful_path)
    dialog.delimiter_combo.setCurrentText("auto")
    assert dialog.delimiter() is not None and dialog.button_box.button(OK).isEnabled()
    assert dialog.selected_columns() == ["eruptions", "waiting"]

    # Without a header the names become data: nothing is numeric any more.
    dialog.header_checkbox.setChecked(False)
    assert not dialog.button_box.button(OK).isEnabled()
    dialog.header_checkbox.setChecked(True)
    assert dialog.button_box.button(OK).isEnabled()


def test_headerless_file_gets_numbered_columns(qtbot, tmp_path):
    path = tmp_path / "plain.txt"
    rows = np.random.default_rng(0).normal(size=(30, 3))
    np.savetxt(path, rows, fmt="%.5f")
    dialog = open_csv(qtbot, path)
    assert dialog.delimiter_combo.currentText() == "whitespace"
    assert not dialog.header_checkbox.isChecked()
    assert dialog.selected_columns() == ["column 1", "column 2", "column 3"]
    dialog.accept()
    np.testing.assert_allclose(dialog.dataset().X, rows, atol=1e-5)


def test_normalise_checkbox_gives_z_scores(qtbot, faithful_path):
    dialog = open_csv(qtbot, faithful_path)
    dialog.normalize_checkbox.setChecked(True)
    assert "as z-scores" in dialog.info_label.text()

    click_ok(qtbot, dialog)

    data = dialog.dataset()
    expected = load_csv(faithful_path, normalize=True)
    assert data.normalized
    np.testing.assert_array_equal(data.X, expected.X)
    np.testing.assert_array_equal(data.offset, expected.offset)
    np.testing.assert_array_equal(data.scale, expected.scale)


def test_factory_refuses_a_binary_file(qtbot, tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DataError) as caught:
        CsvImportDialog.from_file(path)
    message = str(caught.value)
    assert "not a text file" in message and "\n" not in message


def test_factory_refuses_a_missing_file(qtbot, tmp_path):
    with pytest.raises(DataError) as caught:
        CsvImportDialog.from_file(tmp_path / "nowhere.csv")
    message = str(caught.value)
    assert "no such file" in message and "\n" not in message


def test_factory_refuses_an_empty_file(qtbot, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError, match="empty"):
        CsvImportDialog.from_file(path)


def test_dataset_before_accept_is_an_error_for_csv(qtbot, faithful_path):
    dialog = open_csv(qtbot, faithful_path)
    with pytest.raises(RuntimeError, match="not been accepted"):
        dialog.dataset()


# ===================================================================== screenshots
# Showing a top-level window on the offscreen platform logs this harmless warning.
@pytest.mark.qt_log_ignore("does not support propagateSizeHints")
def test_dialogs_render(qtbot, faithful_path, tmp_path):
    """Both dialogs paint without warnings at their natural size (images for review)."""
    generate = GenerateDialog()
    csv_dialog = open_csv(qtbot, faithful_path)
    qtbot.addWidget(generate)
    for dialog, name in ((generate, "generate_dialog"), (csv_dialog, "csv_import_dialog")):
        dialog.show()
        qtbot.waitExposed(dialog, timeout=WAIT_TIMEOUT_MS)
        image = dialog.grab()
        assert image.width() > 400 and image.height() > 300
        assert image.save(str(tmp_path / f"{name}.png"))
