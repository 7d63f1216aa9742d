"""Every command of the window as one table: name, label, keys, tooltip; and the menus.

A button, its menu entry and its shortcut are one ``QAction``. The window connects each
action to its slot in one place (``MainWindow._connect_actions``).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

Key = QtGui.QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    """One command."""

    name: str
    text: str
    keys: tuple[str | QtGui.QKeySequence.StandardKey, ...] = ()
    tip: str = ""
    checkable: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    # EM
    ActionSpec("e_step", "E-step", ("E",), "Compute responsibilities from the current parameters"),
    ActionSpec(
        "m_step", "M-step", ("M",),
        "Re-estimate weights, means and covariances from the responsibilities",
    ),
    ActionSpec("step", "Step (E+M)", ("Space",), "One full iteration: E-step then M-step"),
    ActionSpec("run", "Run", ("R",), "Run EM until it converges"),
    ActionSpec(
        "predict", "Predict the next step", ("P",),
        "Guess the next half-step before it happens: drag ghost means before an M-step, "
        "guess a clicked point's responsibilities before an E-step",
        checkable=True,
    ),
    ActionSpec(
        "reveal", "Reveal", ("V",),
        "Perform the predicted half-step and show how close the guess came",
    ),
    ActionSpec("back", "Back", ("Left", "Ctrl+Z"), "Undo the last half-step or edit"),
    ActionSpec(
        "fast_float32", "Fast arithmetic (float32)", (),
        "For large data: E-steps in float32, up to twice as fast; log-likelihoods agree "
        "with float64 to about 1e-7. Starts the current run again in a new session.",
        checkable=True,
    ),
    ActionSpec(
        "forward", "Forward", ("Right", "Ctrl+Shift+Z", "Ctrl+Y"),
        "Redo the next half-step or edit",
    ),
    ActionSpec("reset", "Reset", ("Ctrl+R",), "Back to the parameters of the latest start"),
    ActionSpec(
        "reinitialize", "Re-initialise", ("Ctrl+I",),
        "Start again from a fresh initialisation with a new seed",
    ),
    ActionSpec("first", "First half-step", ("Home",), "Go to the start of this run"),
    ActionSpec("last", "Last half-step", ("End",), "Go to the end of this run"),
    ActionSpec(
        "restarts", "Restarts...", ("Ctrl+Shift+R",),
        "Fit from several seeds, show every run's NLL and keep the best (n_init)",
    ),
    ActionSpec(
        "model_selection", "Model selection...", ("Ctrl+M",),
        "Fit K = 1..Kmax for each covariance type and compare BIC and AIC",
    ),
    # files
    ActionSpec("open_csv", "Open CSV...", (Key.Open,), "Load a data file"),
    ActionSpec("open_session", "Open session...", ("Ctrl+Shift+O",),
               "Open a saved session: data, parameters, settings and history"),
    ActionSpec("save_session", "Save session", (Key.Save,),
               "Save the data, parameters, settings and the whole history"),
    ActionSpec("save_session_as", "Save session as...", ("Ctrl+Shift+A",),
               "Save the session under a new name"),
    ActionSpec("generate", "Generate data...", ("Ctrl+G",), "Sample a synthetic Gaussian mixture"),
    ActionSpec("demo", "Lecture demo", (), "The built-in lecture demo"),
    ActionSpec(
        "export_params", "Export parameters...", ("Ctrl+E",),
        "Write the current parameters as JSON, NPZ or CSV",
    ),
    ActionSpec(
        "export_assignments", "Export assignments...", (),
        "Write every point's data row, component, responsibilities and uncertainty as CSV",
    ),
    ActionSpec("export_plot", "Export plot...", ("Ctrl+P",), "Save the plot as PNG or SVG"),
    ActionSpec(
        "export_data", "Export data as CSV...", (),
        "Write the data as they are now (painted, moved and deleted points included) as CSV",
    ),
    ActionSpec(
        "export_nll", "Export NLL history...", (),
        "Save the negative log-likelihood of every half-step as CSV",
    ),
    ActionSpec(
        "snapshots", "Export snapshots...", ("Ctrl+Shift+S",),
        "Save small views after chosen iterations (0, 1, 2, 5, 20) as one PNG",
    ),
    ActionSpec(
        "animation", "Export animation...", ("Ctrl+Shift+G",),
        "Record the run as an animated GIF and numbered PNG frames, one per half-step",
    ),
    ActionSpec(
        "export_replay", "Export replay page...", (),
        "Save the whole history as one HTML page that replays it in any browser, offline",
    ),
    ActionSpec(
        "embed_data", "Embed data in saved sessions", (),
        "Off: a session saved from a CSV file refers to the file and checks it has not changed",
        checkable=True,
    ),
    ActionSpec("quit", "Quit", (Key.Quit,)),
    # view
    ActionSpec("contours", "Density contours", ("C",), "Show contours of the mixture density",
               checkable=True),
    ActionSpec("truth", "True components", ("T",),
               "Show the true components of generated data (dashed)", checkable=True),
    ActionSpec("log_nll", "Log NLL axis", ("L",), "Logarithmic y-axis for the NLL curve",
               checkable=True),
    ActionSpec(
        "bound", "Lower bound (ELBO)", ("B",),
        "Show -ELBO beside the NLL: the E-step closes the gap, the M-step lowers both",
        checkable=True,
    ),
    ActionSpec(
        "kmeans", "k-means beside EM", ("K",),
        "Show k-means with the same K: its hard partition and nearest-centre regions",
        checkable=True,
    ),
    ActionSpec(
        "membership", "Membership lines", ("J",),
        "A line from each point to each mean, as opaque as its responsibility (r > 0.05)",
        checkable=True,
    ),
    ActionSpec(
        "uncertainty", "Uncertainty colouring", ("U",),
        "Colour points by their uncertainty 1 - max r instead of blending component colours",
        checkable=True,
    ),
    ActionSpec(
        "landscape", "Likelihood landscape", ("G",),
        "Colour the plane by the NLL the mixture would have if the chosen mean were there "
        "(click a mean or press 1-9 to choose), with the path the mean took",
        checkable=True,
    ),
    ActionSpec("clear_point", "Clear the inspected point", ("Escape",)),
    ActionSpec("fit_view", "Fit data in view", ("A",), "Zoom to show all the data"),
    ActionSpec(
        "equal_aspect", "Equal axis scales", ("Ctrl+L",),
        "One unit is as long on both axes (off by itself when the columns' ranges differ "
        "more than 4-fold)",
        checkable=True,
    ),
    ActionSpec("full_screen", "Full screen", ("F11",), checkable=True),
    ActionSpec("bigger", "Bigger", ("Ctrl++", "Ctrl+="),
               "Bigger fonts, points and lines (for a projector)"),
    ActionSpec("smaller", "Smaller", ("Ctrl+-",), "Smaller fonts, points and lines"),
    ActionSpec("normal_size", "Normal size", ("Ctrl+0",)),
    ActionSpec("dark_theme", "Dark theme", ("Ctrl+D",), "Light ink on a dark background",
               checkable=True),
    # data
    ActionSpec(
        "edit_data", "Edit data", ("D",),
        "Paint the data: click adds a point, drag sprays, drag a point moves it, "
        "right-click deletes it",
        checkable=True,
    ),
    ActionSpec(
        "clear_data", "Clear data", (),
        "Remove every point and draw your own data set (undoable)",
    ),
    # help
    ActionSpec("shortcuts", "Keyboard shortcuts", ("F1",)),
    ActionSpec("about", "About gmmviewer"),
)  # fmt: skip

MENUS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    ("&File", (
        "open_csv", "generate", "demo", None,
        "open_session", "save_session", "save_session_as", "embed_data", None,
        "export_params", "export_assignments", "export_plot", "export_data", "export_nll",
        "snapshots", "animation", "export_replay", None,
        "quit",
    )),
    ("&EM", (
        "e_step", "m_step", "step", "run", None,
        "predict", "reveal", None,
        "back", "forward", "reset", "reinitialize", None,
        "first", "last", None,
        "restarts", "model_selection", None,
        "fast_float32",
    )),
    ("&View", (
        "contours", "truth", "log_nll", "bound", "kmeans", "membership", "uncertainty",
        "landscape", "clear_point", None,
        "fit_view", "equal_aspect", "full_screen", None,
        "bigger", "smaller", "normal_size", None,
        "dark_theme",
    )),
    ("&Data", ("edit_data", "clear_data", None, "export_data")),
    ("&Help", ("shortcuts", "about")),
)  # fmt: skip


def create_actions(parent: QtWidgets.QWidget) -> dict[str, QtGui.QAction]:
    """One QAction per :data:`ACTIONS` entry, added to ``parent`` so its keys work anywhere."""
    actions = {}
    for spec in ACTIONS:
        action = QtGui.QAction(spec.text, parent)
        action.setObjectName(f"{spec.name}_action")
        tip = spec.tip
        if spec.keys:
            action.setShortcuts([QtGui.QKeySequence(key) for key in spec.keys])
            keys = ", ".join(
                QtGui.QKeySequence(key).toString(QtGui.QKeySequence.SequenceFormat.NativeText)
                for key in spec.keys
            )
            tip = f"{tip} ({keys})" if tip else keys
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.setCheckable(spec.checkable)
        # Window-wide, so the keys work wherever the focus is (a spin box being typed in
        # keeps its own keys: see CommittedBoxKeys).
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        parent.addAction(action)
        actions[spec.name] = action
    return actions


def build_menus(
    menu_bar: QtWidgets.QMenuBar, actions: dict[str, QtGui.QAction]
) -> dict[str, QtWidgets.QMenu]:
    """The menu bar of :data:`MENUS`."""
    menus = {}
    for title, names in MENUS:
        menu = menu_bar.addMenu(title)
        menus[title.replace("&", "").lower()] = menu
        for name in names:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(actions[name])
    return menus


class CommittedBoxKeys(QtCore.QObject):
    """Lets the window's letter shortcuts through a spin box that is not being typed in.

    A spin box claims every printable key (and Ctrl+Z) through Qt's shortcut override, so
    after K changed with Up, Space went into the box, blanking it, instead of stepping.
    Once a box shows its committed value (after Up/Down, Enter or focus out), letters,
    Space and Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y go to the window's actions; while typed text
    is not yet committed, every key stays the box's. Digits, arrows, Home and End always
    stay the box's.
    """

    def watch(self, boxes: list[QtWidgets.QWidget]) -> None:
        """Filter the keys of these spin boxes and editable combo boxes."""
        for box in boxes:
            box.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind not in (QtCore.QEvent.Type.ShortcutOverride, QtCore.QEvent.Type.KeyPress):
            return False
        assert isinstance(event, QtGui.QKeyEvent)
        if not isinstance(watched, QtWidgets.QWidget) or _being_typed_in(watched):
            return False
        if not _window_key(event):
            return False
        if kind == QtCore.QEvent.Type.ShortcutOverride:
            event.ignore()  # the box does not claim it, so the window's shortcut fires
        else:
            # No enabled action took it: the box would reject it, or go blank (Space).
            event.accept()
        return True


def _window_key(event: QtGui.QKeyEvent) -> bool:
    """A letter or Space (never part of a number), or undo/redo."""
    modifiers = event.modifiers() & ~QtCore.Qt.KeyboardModifier.KeypadModifier
    key = event.key()
    Mod = QtCore.Qt.KeyboardModifier  # noqa: N806
    if modifiers in (Mod.NoModifier, Mod.ShiftModifier):
        return key == QtCore.Qt.Key.Key_Space or QtCore.Qt.Key.Key_A <= key <= QtCore.Qt.Key.Key_Z
    return modifiers in (Mod.ControlModifier, Mod.ControlModifier | Mod.ShiftModifier) and key in (
        QtCore.Qt.Key.Key_Z,
        QtCore.Qt.Key.Key_Y,
    )


def _being_typed_in(box: QtWidgets.QWidget) -> bool:
    """Whether the box holds typed text it has not committed yet."""
    if isinstance(box, QtWidgets.QSpinBox | QtWidgets.QDoubleSpinBox):
        committed = box.prefix() + box.textFromValue(box.value()) + box.suffix()
        return box.text() != committed
    if isinstance(box, QtWidgets.QAbstractSpinBox):
        return box.lineEdit().isModified()
    if isinstance(box, QtWidgets.QComboBox) and box.lineEdit() is not None:
        return box.lineEdit().text() != box.currentText()
    return False
