"""A lecturer's keyboard and a projector's screen.

Keys go to the focused widget, as a person's key presses arrive: a spin box that has
committed its value lets the stepping keys through, while digits and arrows typed into it
stay its own. At 1280x720 and every Ctrl++ step up to 1.5, the side panel's buttons show
their whole text, every control can be reached, the NLL plot keeps room for its ticks, and
menus, tool tips and dialogs grow with the rest.
"""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from uihelpers import WAIT_TIMEOUT_MS

from gmmviewer.ui.window.main_window import MainWindow

Key = QtCore.Qt.Key
Ctrl = QtCore.Qt.KeyboardModifier.ControlModifier
CtrlShift = Ctrl | QtCore.Qt.KeyboardModifier.ShiftModifier
LEFT = QtCore.Qt.MouseButton.LeftButton
PM = QtWidgets.QStyle.PixelMetric


def focused() -> QtWidgets.QWidget:
    widget = QtWidgets.QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def press(qtbot, key, modifier=QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    """One key press as a person's arrives: at whatever widget has the focus."""
    qtbot.keyClick(focused(), key, modifier)


def settle() -> None:
    """Let the layouts catch up with a change, as they do before the next paint."""
    for _ in range(3):
        QtCore.QCoreApplication.sendPostedEvents()
        QtWidgets.QApplication.processEvents()


@pytest.fixture
def active(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_TIMEOUT_MS)
    return window


def click_into(qtbot, box: QtWidgets.QAbstractSpinBox) -> None:
    """Click the text of a spin box, as a person does to give it the focus."""
    qtbot.mouseClick(box.lineEdit(), LEFT)
    assert focused() is box


# ====================================================================== keyboard
@pytest.mark.parametrize(
    "keys, check",
    [
        ([Key.Key_Space], lambda w: w.controller.session.iteration == 1),
        ([Key.Key_E], lambda w: w.controller.session.next_step == "M"),
        ([Key.Key_E, Key.Key_M], lambda w: w.controller.session.iteration == 1),
        ([Key.Key_R], lambda w: w.controller.running),
        ([Key.Key_B], lambda w: w.view_state.bound),
        ([Key.Key_L], lambda w: w.view_state.log_nll),
    ],
    ids=["space", "e", "e-m", "r", "b", "l"],
)
def test_after_k_changes_with_up_the_stepping_keys_step(qtbot, active, keys, check):
    session = active.controller.session
    k_spin = active.controls.k_spin
    click_into(qtbot, k_spin)
    press(qtbot, Key.Key_Up)
    assert session.n_components == 4 and session.iteration == 0
    for key in keys:
        press(qtbot, key)
    assert check(active)
    assert k_spin.text() == "4"
    assert session.n_components == 4
    active.controller.pause()


def test_after_enter_in_a_spin_box_space_steps(qtbot, active):
    session = active.controller.session
    k_spin = active.controls.k_spin
    click_into(qtbot, k_spin)
    press(qtbot, Key.Key_A, Ctrl)
    qtbot.keyClicks(focused(), "5")
    assert session.n_components == 3, "typing alone must not re-initialise"
    press(qtbot, Key.Key_Return)
    assert session.n_components == 5
    press(qtbot, Key.Key_Space)
    assert session.iteration == 1 and session.n_components == 5
    assert k_spin.text() == "5"


def test_after_focus_leaves_a_spin_box_the_combo_box_lets_keys_step(qtbot, active):
    session = active.controller.session
    click_into(qtbot, active.controls.k_spin)
    press(qtbot, Key.Key_A, Ctrl)
    qtbot.keyClicks(focused(), "2")
    press(qtbot, Key.Key_Tab)
    assert focused() is active.controls.covariance_combo
    assert session.n_components == 2
    press(qtbot, Key.Key_Down)
    assert session.params.covariance_type == active.controls.covariance_combo.currentData()
    press(qtbot, Key.Key_E)
    press(qtbot, Key.Key_M)
    assert session.iteration == 1
    press(qtbot, Key.Key_Left)
    assert session.iteration == 0 and session.next_step == "M"


def test_digits_and_arrows_typed_into_a_box_stay_the_box_s(qtbot, active):
    session = active.controller.session
    seed_spin = active.controls.seed_spin
    click_into(qtbot, seed_spin)
    press(qtbot, Key.Key_Space)
    assert session.iteration == 1, "a committed box lets Space step"
    press(qtbot, Key.Key_End)
    qtbot.keyClicks(focused(), "12")
    for key in (Key.Key_Left, Key.Key_Right, Key.Key_Left, Key.Key_Home, Key.Key_End):
        press(qtbot, key)
    # Mid-edit, letters and Space are the box's too: nothing steps and nothing is committed.
    press(qtbot, Key.Key_E)
    assert session.iteration == 1 and session.next_step == "E"
    assert seed_spin.text().endswith("12")
    assert session.seed != int(seed_spin.text())


def test_ctrl_z_undoes_and_ctrl_shift_z_or_ctrl_y_redo(qtbot, active):
    session = active.controller.session
    for _ in range(3):
        press(qtbot, Key.Key_Space)
    assert session.iteration == 3
    press(qtbot, Key.Key_Z, Ctrl)
    assert session.iteration == 2 and session.next_step == "M"
    press(qtbot, Key.Key_Z, Ctrl)
    press(qtbot, Key.Key_Z, CtrlShift)
    assert session.iteration == 2 and session.next_step == "M"
    press(qtbot, Key.Key_Y, Ctrl)
    assert session.iteration == 3 and session.next_step == "E"
    # In a committed spin box the keys still undo the EM steps...
    click_into(qtbot, active.controls.seed_spin)
    press(qtbot, Key.Key_Z, Ctrl)
    assert session.iteration == 2
    press(qtbot, Key.Key_Y, Ctrl)
    assert session.iteration == 3
    # ...while text is being typed they undo the typing, as in any text field.
    press(qtbot, Key.Key_End)
    qtbot.keyClicks(focused(), "7")
    typed = active.controls.seed_spin.text()
    press(qtbot, Key.Key_Z, Ctrl)
    assert session.iteration == 3
    assert active.controls.seed_spin.text() == typed[:-1]


def test_the_shortcut_sheet_lists_the_undo_and_redo_keys(qtbot, active):
    press(qtbot, Key.Key_F1)
    sheet = active.findChild(QtWidgets.QDialog, "shortcut_sheet")
    assert sheet is not None and sheet.isVisible()
    table = sheet.table
    rows = {  # every (action, keys) pair of columns, side by side where the screen is low
        table.item(r, c).text(): table.item(r, c + 1).text()
        for r in range(table.rowCount())
        for c in range(0, table.columnCount(), 2)
        if table.item(r, c) is not None
    }
    for key in ("Left", "Ctrl+Z"):
        assert key in rows["Back"]
    for key in ("Right", "Ctrl+Shift+Z", "Ctrl+Y"):
        assert key in rows["Forward"]


# ====================================================================== screens
#: What Ctrl++ gives from 1.0, three times (1.15 per step).
SCALE_STEPS = (1.0, 1.15, 1.3225, 1.520875)


def _padding(button: QtWidgets.QAbstractButton) -> int:
    """Room a button's style needs beside its text (frame, margins, check indicator)."""
    style = button.style()
    if isinstance(button, QtWidgets.QCheckBox | QtWidgets.QRadioButton):
        return style.pixelMetric(PM.PM_IndicatorWidth, None, button) + style.pixelMetric(
            PM.PM_CheckBoxLabelSpacing, None, button
        )
    return 2 * style.pixelMetric(PM.PM_ButtonMargin, None, button) + 2 * style.pixelMetric(
        PM.PM_DefaultFrameWidth, None, button
    )


def _rect_in(widget: QtWidgets.QWidget, ancestor: QtWidgets.QWidget) -> QtCore.QRect:
    return QtCore.QRect(widget.mapTo(ancestor, QtCore.QPoint(0, 0)), widget.size())


def _label(control: QtWidgets.QWidget) -> str:
    text = control.text() if hasattr(control, "text") else ""
    return text or control.objectName() or type(control).__name__


def layout_problems(qtbot, window: MainWindow) -> list[str]:
    """Every clipped text and unreachable control in the window, as readable lines."""
    problems = []
    side = window.findChild(QtWidgets.QScrollArea, "side_panel")
    panel = side.widget()
    whole = window.rect()
    for part in (side, window.plot_stack, window.nll_view, window.statusBar(), window.menuBar()):
        if not whole.contains(_rect_in(part, window)):
            problems.append(f"{part.objectName() or type(part).__name__} leaves the window")
    if side.horizontalScrollBar().maximum() > 0:
        problems.append(f"the side panel scrolls sideways ({panel.width()} > viewport)")
    tabs = window.controls.tabs
    bar = tabs.tabBar()
    for index in range(tabs.count()):
        text = tabs.tabText(index)
        need = bar.fontMetrics().horizontalAdvance(text)
        if bar.tabRect(index).width() < need or not bar.rect().contains(bar.tabRect(index)):
            problems.append(f"tab {text!r} is clipped")
    for index in range(tabs.count()):
        qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(index).center())
        assert tabs.currentIndex() == index
        controls = (
            panel.findChildren(QtWidgets.QAbstractButton)
            + panel.findChildren(QtWidgets.QAbstractSpinBox)
            + panel.findChildren(QtWidgets.QComboBox)
        )
        for control in controls:
            if not control.isVisibleTo(panel) or control.parent() is bar:
                continue
            name = _label(control)
            if isinstance(control, QtWidgets.QAbstractButton) and control.text():
                text = control.text().replace("&", "")
                need = control.fontMetrics().horizontalAdvance(text) + _padding(control)
                if control.contentsRect().width() < need:
                    problems.append(f"{text!r} clipped: {control.contentsRect().width()} < {need}")
            if isinstance(control, QtWidgets.QAbstractSpinBox):
                edit = control.lineEdit()
                need = edit.fontMetrics().horizontalAdvance(control.text())
                if edit.contentsRect().width() < need:
                    problems.append(f"spin box {control.text()!r} clipped")
            if isinstance(control, QtWidgets.QComboBox):
                option = QtWidgets.QStyleOptionComboBox()
                control.initStyleOption(option)
                field = control.style().subControlRect(
                    QtWidgets.QStyle.ComplexControl.CC_ComboBox,
                    option,
                    QtWidgets.QStyle.SubControl.SC_ComboBoxEditField,
                    control,
                )
                if field.width() < control.fontMetrics().horizontalAdvance(control.currentText()):
                    problems.append(f"combo box {control.currentText()!r} clipped")
            if not panel.rect().contains(_rect_in(control, panel)):
                problems.append(f"{name!r} lies outside the side panel")
                continue
            centre = _rect_in(control, panel).center()
            margins = (control.width() // 2 + 1, control.height() // 2 + 1)
            side.ensureVisible(centre.x(), centre.y(), *margins)
            if not side.viewport().rect().contains(_rect_in(control, side.viewport())):
                problems.append(f"{name!r} cannot be scrolled into view")
    qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(0).center())
    return problems


def nll_plot_lines(window: MainWindow) -> float:
    """Height of the NLL plot's data area in lines of its tick labels."""
    axis = window.nll_view.plot_item.getAxis("left")
    font = axis.style.get("tickFont") or axis.font()
    return window.nll_view.plot_item.vb.height() / QtGui.QFontMetrics(font).height()


def test_the_first_window_fits_the_screen(qtbot, settings):
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.controller.load_demo()
    window.show()
    qtbot.waitExposed(window, timeout=WAIT_TIMEOUT_MS)
    available = window.screen().availableGeometry()
    assert available.contains(window.frameGeometry()), (window.frameGeometry(), available)


def test_restored_geometry_is_clamped_onto_the_screen(qtbot, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.setGeometry(3000, 2500, 2400, 1600)
    first.save_settings()
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second, timeout=WAIT_TIMEOUT_MS)
    available = second.screen().availableGeometry()
    assert available.contains(second.frameGeometry()), (second.frameGeometry(), available)


def test_every_scale_step_fits_1280x720(qtbot, active):
    active.resize(1280, 720)
    qtbot.waitUntil(lambda: active.size() == QtCore.QSize(1280, 720), timeout=WAIT_TIMEOUT_MS)
    base = QtWidgets.QApplication.font().pointSizeF()
    for step, scale in enumerate(SCALE_STEPS):
        if step:
            press(qtbot, Key.Key_Plus, Ctrl)
        settle()
        assert active.view_state.scale == pytest.approx(scale)
        assert active.size() == QtCore.QSize(1280, 720), "the window must not outgrow the screen"
        problems = layout_problems(qtbot, active)
        assert problems == [], f"at scale {scale:.2f}"
        assert nll_plot_lines(active) >= 7, f"NLL plot squeezed at scale {scale:.2f}"
        size = base * scale
        assert QtWidgets.QApplication.font().pointSizeF() == pytest.approx(size, rel=0.02)
        for menu in active.menus.values():
            assert menu.font().pointSizeF() == pytest.approx(size, rel=0.02)
        assert QtWidgets.QToolTip.font().pointSizeF() == pytest.approx(size, rel=0.02)
    press(qtbot, Key.Key_F1)
    sheet = active.findChild(QtWidgets.QDialog, "shortcut_sheet")
    assert sheet.font().pointSizeF() == pytest.approx(base * SCALE_STEPS[-1], rel=0.02)
    settle()
    assert sheet.table.horizontalScrollBar().maximum() == 0, "the shortcut sheet is too narrow"
    available = active.screen().availableGeometry().size()
    assert sheet.frameGeometry().size().boundedTo(available) == sheet.frameGeometry().size()
    with qtbot.waitSignal(sheet.finished, timeout=WAIT_TIMEOUT_MS):
        press(qtbot, Key.Key_Escape)
    active.activateWindow()
    qtbot.waitUntil(
        lambda: QtWidgets.QApplication.focusWidget() is not None, timeout=WAIT_TIMEOUT_MS
    )
    press(qtbot, Key.Key_0, Ctrl)
    assert QtWidgets.QApplication.font().pointSizeF() == pytest.approx(base)
