"""Recording a run as an animated GIF and numbered PNG frames, one frame per half-step.

:class:`AnimationRecorder` draws one frame per timer tick (so the window keeps
repainting and Cancel works), with an offscreen plot like the window's, and writes the
GIF with Pillow at the end. :class:`AnimationDialog` asks what to record and where.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.errors import GMMViewerError
from gmmviewer.core.files.atomic import atomic_path
from gmmviewer.core.session.em_session import EMSession
from gmmviewer.core.session.history import SessionState
from gmmviewer.core.session.recording import Frame
from gmmviewer.core.text import count
from gmmviewer.ui.views.histogram_view import HistogramView
from gmmviewer.ui.views.plot_view import PlotView
from gmmviewer.ui.views.present import point_colours, present
from gmmviewer.ui.views.scatter_view import ScatterView
from gmmviewer.ui.views.theme import Theme, qcolor

if TYPE_CHECKING:  # Pillow is imported when a GIF is first written, not at start-up
    from PIL import Image


class AnimationError(GMMViewerError):
    """An animation could not be written."""


@dataclass(frozen=True)
class AnimationSettings:
    """What to record and where.

    Attributes
    ----------
    gif_path : str
        The animated GIF to write ('' for none).
    frames_dir : str
        A folder for numbered PNG frames ('' for none).
    fps : float
        Frames per second of the GIF.
    width, height : int
        Frame size in pixels.
    hold_last : float
        Seconds the GIF shows its last frame, so a looping GIF rests on the converged
        fit before it starts again.
    """

    gif_path: str = ""
    frames_dir: str = ""
    fps: float = 4.0
    width: int = 800
    height: int = 600
    hold_last: float = 2.0

    def check(self) -> None:
        """Raise AnimationError with a one-line reason when the outputs cannot be written."""
        if not self.gif_path and not self.frames_dir:
            raise AnimationError("choose a GIF file, a folder for PNG frames, or both")
        if self.gif_path:
            folder = os.path.dirname(os.path.abspath(self.gif_path))
            if not os.path.isdir(folder):
                raise AnimationError(f"cannot write {self.gif_path}: the folder does not exist")
            if not os.access(folder, os.W_OK):
                raise AnimationError(f"cannot write {self.gif_path}: permission denied")
            if not self.gif_path.lower().endswith(".gif"):
                raise AnimationError(f"the animation file must end in .gif: {self.gif_path}")
        if self.frames_dir:
            parent = os.path.dirname(os.path.abspath(self.frames_dir)) or "."
            if os.path.exists(self.frames_dir) and not os.path.isdir(self.frames_dir):
                raise AnimationError(f"{self.frames_dir} is a file, not a folder")
            if not os.path.isdir(self.frames_dir) and not os.path.isdir(parent):
                raise AnimationError(
                    f"cannot create {self.frames_dir}: the folder above it is missing"
                )
        if not (1 <= self.fps <= 60):
            raise AnimationError("the frame rate must be between 1 and 60 frames per second")
        if not (0 <= self.hold_last <= 60):
            raise AnimationError("the last frame must be held for 0 to 60 seconds")
        if not (160 <= self.width <= 4000 and 120 <= self.height <= 4000):
            raise AnimationError("frames must be 160 to 4000 pixels wide and 120 to 4000 high")


def frame_title(state: SessionState, index: int) -> str:
    """The caption of one frame: which half-step, and the NLL."""
    step = {"e-step": "E-step", "m-step": "M-step", "initialise": "start"}.get(
        state.action, state.action
    )
    return (
        f"frame {index + 1} · iteration {state.iteration} · {step} · "
        f"{'NLL' if state.variational is None else '-ELBO'} {-state.log_likelihood:,.2f}"
    )


class AnimationRecorder(QtCore.QObject):
    """Draws frames from a sequence of states and writes them out.

    Signals
    -------
    progressed(int)
        Frames drawn so far.
    finished(str)
        A one-line summary when everything is written.
    failed(str)
        A one-line reason when recording stopped with an error.
    """

    progressed = QtCore.Signal(int)
    finished = QtCore.Signal(str)
    failed = QtCore.Signal(str)

    def __init__(
        self,
        session: EMSession,
        frames: Iterator[Frame],
        settings: AnimationSettings,
        dims: tuple[int, ...],
        theme: Theme,
        view_range: tuple[tuple[float, float], tuple[float, float]] | None = None,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        settings.check()
        self._session = session
        self._states = frames
        self._settings = settings
        self._dims = tuple(dims)
        self._theme = theme
        self._view_range = view_range
        self.frames: list[Image.Image] = []
        self._cancelled = False
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._next_frame)
        self._shown_data = session.dataset
        self._view = self._make_view()

    def _make_view(self) -> PlotView:
        view: PlotView = HistogramView() if len(self._dims) == 1 else ScatterView()
        view.resize(self._settings.width, self._settings.height)
        view.apply_style(self._theme, 1.0)
        self._show_data(view)
        return view

    def _show_data(self, view: PlotView) -> None:
        """The points of ``self._shown_data`` (frames across an edit of the data change them)."""
        dataset = self._shown_data
        columns = list(self._dims)
        view.set_data(dataset.X[:, columns], tuple(dataset.columns[d] for d in columns))
        if self._view_range is not None and len(self._dims) == 2:
            (x0, x1), (y0, y1) = self._view_range
            view.plot_item.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def start(self) -> None:
        """Begin drawing frames (one per event-loop turn)."""
        if self._settings.frames_dir:
            os.makedirs(self._settings.frames_dir, exist_ok=True)
        self._timer.start()

    def cancel(self) -> None:
        """Stop; nothing more is written."""
        if self._cancelled:
            return
        self._cancelled = True
        self._timer.stop()
        self._view.deleteLater()

    @property
    def running(self) -> bool:
        """True while frames are being drawn."""
        return self._timer.isActive()

    def _next_frame(self) -> None:
        try:
            frame = next(self._states)
        except StopIteration:
            self._timer.stop()
            self._write_gif()
            return
        except GMMViewerError as error:
            self._timer.stop()
            self.failed.emit(str(error))
            return
        try:
            image = self._render(frame, len(self.frames))
            if self._settings.frames_dir:
                name = os.path.join(self._settings.frames_dir, f"frame_{len(self.frames):04d}.png")
                with atomic_path(name) as temporary:
                    if not image.save(temporary, "PNG"):
                        raise AnimationError(f"cannot write {name}")
        except (AnimationError, OSError) as error:
            self._timer.stop()
            self.failed.emit(str(error))
            return
        self.frames.append(_to_pillow(image))
        self.progressed.emit(len(self.frames))

    def _render(self, frame: Frame, index: int) -> QtGui.QImage:
        view, state = self._view, frame.state
        if state.dataset is not None and state.dataset is not self._shown_data:
            self._shown_data = state.dataset
            self._show_data(view)
        colours = point_colours(frame.responsibilities, self._shown_data.n_samples)
        present(view, state.params, self._dims, colours, fade=state.variational is not None)
        view.plot_item.setTitle(
            frame_title(state, index), color=qcolor(self._theme.foreground), size="12pt"
        )
        image = view.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
        if image.width() != self._settings.width or image.height() != self._settings.height:
            image = image.scaled(
                self._settings.width,
                self._settings.height,
                QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
                QtCore.Qt.TransformationMode.SmoothTransformation,
            )
        return image

    def _write_gif(self) -> None:
        settings = self._settings
        if not self.frames:
            self.failed.emit("there was nothing to record")
            return
        if settings.gif_path:
            duration = int(round(1000 / settings.fps))
            # Each frame for 1/fps; the last (the converged fit) at least hold_last.
            durations = [duration] * len(self.frames)
            durations[-1] = max(duration, int(round(1000 * settings.hold_last)))
            try:
                first, *rest = self.frames
                # Written beside the target and renamed over it: a GIF is never half there.
                with atomic_path(settings.gif_path) as temporary:
                    first.save(
                        temporary,
                        format="GIF",
                        save_all=True,
                        append_images=rest,
                        duration=durations,
                        loop=0,
                        disposal=1,
                        optimize=False,
                    )
            except OSError as error:
                self.failed.emit(f"cannot write {settings.gif_path}: {error.strerror or error}")
                return
        written = [p for p in (settings.gif_path, settings.frames_dir) if p]
        self._cancelled = True  # done: a late Cancel has nothing to stop
        self._view.deleteLater()
        self.finished.emit(f"Wrote {count(len(self.frames), 'frame')} to {' and '.join(written)}")


def _to_pillow(image: QtGui.QImage) -> Image.Image:
    from PIL import Image

    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    picture = Image.open(io.BytesIO(bytes(buffer.data())))
    return picture.convert("RGB")


class AnimationDialog(QtWidgets.QDialog):
    """What to record (to convergence, or a range of the history) and where to write it."""

    def __init__(
        self, n_entries: int, folder: str, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("animation_dialog")
        self.setWindowTitle("Export animation")
        self.to_convergence = QtWidgets.QRadioButton("From the current half-step to convergence")
        self.to_convergence.setChecked(True)
        self.history_range = QtWidgets.QRadioButton("History entries")
        self.start_spin = QtWidgets.QSpinBox()
        self.stop_spin = QtWidgets.QSpinBox()
        for spin in (self.start_spin, self.stop_spin):
            spin.setRange(0, max(0, n_entries - 1))
        self.start_spin.setValue(0)
        self.stop_spin.setValue(max(0, n_entries - 1))
        self.fps_spin = QtWidgets.QDoubleSpinBox()
        self.fps_spin.setRange(1.0, 60.0)
        self.fps_spin.setValue(4.0)
        self.fps_spin.setSuffix(" frames/s")
        self.hold_spin = QtWidgets.QDoubleSpinBox()
        self.hold_spin.setObjectName("hold_spin")
        self.hold_spin.setRange(0.0, 60.0)
        self.hold_spin.setSingleStep(0.5)
        self.hold_spin.setValue(AnimationSettings.hold_last)
        self.hold_spin.setSuffix(" s")
        self.hold_spin.setToolTip("How long a looping GIF rests on the converged fit")
        self.width_spin = QtWidgets.QSpinBox()
        self.width_spin.setRange(160, 4000)
        self.width_spin.setValue(800)
        self.height_spin = QtWidgets.QSpinBox()
        self.height_spin.setRange(120, 4000)
        self.height_spin.setValue(600)
        self.gif_edit = QtWidgets.QLineEdit(os.path.join(folder, "em.gif"))
        self.frames_check = QtWidgets.QCheckBox("Also save numbered PNG frames in")
        self.frames_edit = QtWidgets.QLineEdit(os.path.join(folder, "em_frames"))
        self.frames_edit.setEnabled(False)
        self.frames_check.toggled.connect(self.frames_edit.setEnabled)

        range_row = QtWidgets.QHBoxLayout()
        range_row.addWidget(self.history_range)
        range_row.addWidget(self.start_spin)
        range_row.addWidget(QtWidgets.QLabel("to"))
        range_row.addWidget(self.stop_spin)
        range_row.addStretch(1)
        size_row = QtWidgets.QHBoxLayout()
        size_row.addWidget(self.width_spin)
        size_row.addWidget(QtWidgets.QLabel("x"))
        size_row.addWidget(self.height_spin)
        size_row.addStretch(1)
        form = QtWidgets.QFormLayout()
        form.addRow("Frame rate", self.fps_spin)
        form.addRow("Hold the last frame", self.hold_spin)
        form.addRow("Frame size", size_row)
        form.addRow("Animated GIF", self.gif_edit)
        form.addRow(self.frames_check, self.frames_edit)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Record")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(
            QtWidgets.QLabel("One frame per half-step, so E-steps and M-steps both show.")
        )
        layout.addWidget(self.to_convergence)
        layout.addLayout(range_row)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def settings(self) -> AnimationSettings:
        """The outputs chosen."""
        return AnimationSettings(
            gif_path=self.gif_edit.text().strip(),
            frames_dir=self.frames_edit.text().strip() if self.frames_check.isChecked() else "",
            fps=self.fps_spin.value(),
            hold_last=self.hold_spin.value(),
            width=self.width_spin.value(),
            height=self.height_spin.value(),
        )

    def entry_range(self) -> tuple[int, int] | None:
        """The history range chosen, or None for "to convergence"."""
        if self.to_convergence.isChecked():
            return None
        return self.start_spin.value(), self.stop_spin.value()
