"""The "Generate synthetic data" dialog: pick a preset or random mixture, see a live preview.

Builds data only through :func:`~gmmviewer.core.data.synthetic.make_preset` and
:func:`~gmmviewer.core.data.synthetic.make_random_mixture`, so the window's data equal what
``gmmviewer generate`` writes for the same choices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from gmmviewer.core.data.dataset import Dataset
from gmmviewer.core.data.synthetic import PRESETS, make_preset, make_random_mixture
from gmmviewer.core.errors import DataError, GMMViewerError
from gmmviewer.ui.dialogs._busy import busy_cursor
from gmmviewer.ui.dialogs.model_choice import ModelChoice, largest_k_message
from gmmviewer.ui.panels.controls import ModelSettings
from gmmviewer.ui.views.colours import component_colours

__all__ = ["PREVIEW_LIMIT", "RANDOM_SOURCE", "GenerateDialog"]

#: The source name of a random well-separated mixture (every other source is a preset name).
RANDOM_SOURCE = "random"

#: Most points the preview draws; larger samples are previewed with this many.
PREVIEW_LIMIT = 5_000

#: Wait after the last change before redrawing, so that holding a spin box arrow stays smooth.
PREVIEW_DELAY_MS = 100

DEFAULT_N_SAMPLES = 600
MIN_N_SAMPLES = 10
MAX_N_SAMPLES = 10_000_000
MAX_SEED = 2**31 - 1

# Names a menu can show; a preset missing here gets its key with spaces and a capital.
_READABLE_NAMES = {
    "lecture": "Lecture example",
    "overlapping": "Overlapping",
    "elongated": "Elongated",
    "unbalanced": "Unbalanced weights",
    "bimodal-1d": "Bimodal (1-D)",
    "well-separated": "Well separated",
}
_RANDOM_LABEL = "Random well-separated mixture"
_POINT_SIZE = 4
_POINT_ALPHA = 200


def readable_name(preset: str) -> str:
    """The name a menu shows for a preset key, e.g. ``'bimodal-1d'`` -> ``'Bimodal (1-D)'``."""
    return _READABLE_NAMES.get(preset) or preset.replace("-", " ").capitalize()


class GenerateDialog(QtWidgets.QDialog):
    """Choose a synthetic mixture and sample size; preview it; return the full sample.

    Parameters
    ----------
    parent : QWidget, optional
    rng : numpy.random.Generator, optional
        Where the "New seed" button draws seeds from; pass a seeded one to make it
        predictable (tests). Fresh entropy by default.

    Notes
    -----
    Use it modally: ``if dialog.exec() == QDialog.Accepted: data = dialog.dataset()``.
    Accepting generates the whole sample; if that fails (e.g. not enough memory) a
    warning explains why and the dialog stays open with every choice intact.
    """

    def __init__(
        self,
        parent: QtWidgets.QWidget | None = None,
        *,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Generate synthetic data")
        self._rng = rng if rng is not None else np.random.default_rng()
        self._dataset: Dataset | None = None
        self._preview: Dataset | None = None
        self._histogram_bars: list[pg.BarGraphItem] = []

        self._build_controls()
        self._build_preview()
        self._build_layout()
        self._connect()
        self._update_enabled()
        # Drawn at once, not after the debounce, so the dialog never opens on a blank plot.
        self.update_preview()

    # ------------------------------------------------------------------ construction
    def _build_controls(self) -> None:
        self.preset_combo = QtWidgets.QComboBox(objectName="preset_combo")
        for name, preset in PRESETS.items():
            self.preset_combo.addItem(readable_name(name), name)
            self.preset_combo.setItemData(
                self.preset_combo.count() - 1,
                preset.description,
                QtCore.Qt.ItemDataRole.ToolTipRole,
            )
        self.preset_combo.addItem(_RANDOM_LABEL, RANDOM_SOURCE)
        self.preset_combo.setItemData(
            self.preset_combo.count() - 1,
            "Components with random shapes, every pair at least the chosen separation apart",
            QtCore.Qt.ItemDataRole.ToolTipRole,
        )

        self.description_label = QtWidgets.QLabel(objectName="description_label")
        self.description_label.setWordWrap(True)
        self.description_label.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        # Wraps at the width of the widest control rather than stretching the column.
        self.description_label.setFixedWidth(300)

        self.n_components_spin = QtWidgets.QSpinBox(objectName="n_components_spin")
        self.n_components_spin.setRange(1, 20)
        self.n_components_spin.setValue(3)
        self.n_components_spin.setToolTip("Number of mixture components K")

        self.n_features_spin = QtWidgets.QSpinBox(objectName="n_features_spin")
        self.n_features_spin.setRange(1, 10)
        self.n_features_spin.setValue(2)
        self.n_features_spin.setToolTip("Number of dimensions D (the preview shows the first two)")

        self.separation_spin = QtWidgets.QDoubleSpinBox(objectName="separation_spin")
        self.separation_spin.setRange(0.0, 20.0)
        self.separation_spin.setSingleStep(0.5)
        self.separation_spin.setDecimals(1)
        self.separation_spin.setValue(3.0)
        self.separation_spin.setToolTip(
            "Smallest distance between two component means, in standard deviations "
            "along the line joining them (0: no constraint)"
        )

        self.n_samples_spin = QtWidgets.QSpinBox(objectName="n_samples_spin")
        self.n_samples_spin.setRange(MIN_N_SAMPLES, MAX_N_SAMPLES)
        self.n_samples_spin.setValue(DEFAULT_N_SAMPLES)
        self.n_samples_spin.setGroupSeparatorShown(True)
        self.n_samples_spin.setSingleStep(100)
        self.n_samples_spin.setToolTip("Number of points N to sample")

        self.seed_spin = QtWidgets.QSpinBox(objectName="seed_spin")
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setValue(0)
        self.seed_spin.setToolTip("The same seed always gives the same points")

        self.new_seed_button = QtWidgets.QPushButton("New seed", objectName="new_seed_button")
        self.new_seed_button.setToolTip("Draw a different random seed")

        # What the new session fits: K follows the mixture's own until the user sets it.
        self.model_choice = ModelChoice()

        self.button_box = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel,
            objectName="button_box",
        )
        self.button_box.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Generate")

    def _build_preview(self) -> None:
        self.preview_plot = pg.PlotWidget(objectName="preview_plot")
        self.preview_plot.setMinimumSize(360, 300)
        self.preview_plot.setMenuEnabled(False)
        self.preview_plot.hideButtons()
        # Blend into the dialog rather than pyqtgraph's black default; the palette's
        # own base and text colours keep it readable on light and dark themes alike.
        palette = self.palette()
        self.preview_plot.setBackground(palette.color(QtGui.QPalette.ColorRole.Base))
        text_pen = pg.mkPen(palette.color(QtGui.QPalette.ColorRole.Text))
        for side in ("left", "bottom"):
            axis = self.preview_plot.getAxis(side)
            axis.setPen(text_pen)
            axis.setTextPen(text_pen)
        self.preview_scatter = pg.ScatterPlotItem(size=_POINT_SIZE, pen=None)
        self.preview_plot.addItem(self.preview_scatter)

        self.preview_caption = QtWidgets.QLabel(objectName="preview_caption")
        self.preview_caption.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.preview_caption.setWordWrap(True)

    def _build_layout(self) -> None:
        seed_row = QtWidgets.QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.new_seed_button)

        # The random mixture's own settings sit in one box that is greyed out as a
        # whole for a preset, so nobody reads its numbers as the preset's.
        random_form = QtWidgets.QFormLayout()
        random_form.addRow("Components (K):", self.n_components_spin)
        random_form.addRow("Dimensions (D):", self.n_features_spin)
        random_form.addRow("Separation:", self.separation_spin)
        self.random_group = QtWidgets.QGroupBox("Random mixture", objectName="random_group")
        self.random_group.setLayout(random_form)

        form = QtWidgets.QFormLayout()
        form.addRow("Source:", self.preset_combo)
        form.addRow(self.description_label)
        form.addRow(self.random_group)
        form.addRow("Points (N):", self.n_samples_spin)
        form.addRow("Seed:", seed_row)

        controls = QtWidgets.QVBoxLayout()
        controls.addLayout(form)
        controls.addWidget(self.model_choice)
        controls.addStretch(1)

        preview = QtWidgets.QVBoxLayout()
        preview.addWidget(self.preview_plot, 1)
        preview.addWidget(self.preview_caption)

        body = QtWidgets.QHBoxLayout()
        body.addLayout(controls, 0)
        body.addSpacing(8)
        body.addLayout(preview, 1)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.button_box)

    def _connect(self) -> None:
        self._preview_timer = QtCore.QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.update_preview)

        self.preset_combo.currentIndexChanged.connect(self._on_source_changed)
        for spin in (
            self.n_components_spin,
            self.n_features_spin,
            self.separation_spin,
            self.n_samples_spin,
            self.seed_spin,
        ):
            spin.valueChanged.connect(self._schedule_preview)
        self.new_seed_button.clicked.connect(self.new_seed)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)

    # ------------------------------------------------------------------- choices
    def source(self) -> str:
        """The chosen preset name, or :data:`RANDOM_SOURCE`."""
        return str(self.preset_combo.currentData())

    def is_random(self) -> bool:
        """True when a random well-separated mixture is chosen rather than a preset."""
        return self.source() == RANDOM_SOURCE

    def n_samples(self) -> int:
        """Number of points N of the full sample."""
        return self.n_samples_spin.value()

    def seed(self) -> int:
        """Seed of the sample (and, for a random mixture, of its parameters)."""
        return self.seed_spin.value()

    def n_components(self) -> int:
        """Components K of a random mixture (presets have their own)."""
        return self.n_components_spin.value()

    def n_features(self) -> int:
        """Dimensions D of a random mixture (presets have their own)."""
        return self.n_features_spin.value()

    def separation(self) -> float:
        """Smallest separation of a random mixture's components, in standard deviations."""
        return self.separation_spin.value()

    def values(self) -> dict[str, Any]:
        """Every choice, as keyword arguments of :meth:`set_values` (for saving settings)."""
        return {
            "preset": self.source(),
            "n_samples": self.n_samples(),
            "seed": self.seed(),
            "n_components": self.n_components(),
            "n_features": self.n_features(),
            "separation": self.separation(),
        }

    def set_values(
        self,
        *,
        preset: str | None = None,
        n_samples: int | None = None,
        seed: int | None = None,
        n_components: int | None = None,
        n_features: int | None = None,
        separation: float | None = None,
    ) -> None:
        """Preset the choices; None leaves one as it is.

        Numbers outside a control's range are clamped to it, as the spin boxes do.

        Parameters
        ----------
        preset : str, optional
            A key of :data:`~gmmviewer.core.data.synthetic.PRESETS` or :data:`RANDOM_SOURCE`.
        n_samples, seed, n_components, n_features : int, optional
        separation : float, optional

        Raises
        ------
        DataError
            For an unknown preset name (e.g. one saved by another version).
        """
        if preset is not None:
            index = self.preset_combo.findData(preset)
            if index < 0:
                choices = ", ".join([*PRESETS, RANDOM_SOURCE])
                raise DataError(f"unknown preset {preset!r}: choose one of {choices}")
            self.preset_combo.setCurrentIndex(index)
        for spin, value in (
            (self.n_samples_spin, n_samples),
            (self.seed_spin, seed),
            (self.n_components_spin, n_components),
            (self.n_features_spin, n_features),
        ):
            if value is not None:
                spin.setValue(int(value))
        if separation is not None:
            self.separation_spin.setValue(float(separation))

    def new_seed(self) -> int:
        """Draw a seed different from the current one, show it and return it."""
        current = self.seed()
        seed = current
        while seed == current:
            seed = int(self._rng.integers(0, MAX_SEED, endpoint=True))
        self.seed_spin.setValue(seed)
        return seed

    # --------------------------------------------------------------------- result
    def dataset(self) -> Dataset:
        """The full sample, with its true parameters and labels, generated on accept.

        Raises
        ------
        RuntimeError
            If the dialog has not been accepted.
        """
        if self._dataset is None:
            raise RuntimeError("the Generate dialog has not been accepted")
        return self._dataset

    def model_settings(self) -> ModelSettings:
        """K, covariance type and initialisation for the new session (seed 0)."""
        return self.model_choice.settings(seed=0)

    def accept(self) -> None:
        """Generate the full sample; on failure (or a K the sample cannot take) warn and
        stay open, else close."""
        try:
            with busy_cursor():
                dataset = self._generate(self.n_samples())
        except GMMViewerError as error:
            self._warn(str(error))
            return
        except MemoryError:
            self._warn(f"not enough memory for {self.n_samples():,} points; choose fewer points")
            return
        if dataset.truth is not None:
            # The preview may not have caught up with the last change yet.
            self.model_choice.suggest_k(min(dataset.truth.n_components, dataset.n_samples))
        problem = largest_k_message(self.model_settings().n_components, dataset.n_samples)
        if problem is not None:
            self._warn(problem)
            return
        self._dataset = dataset
        super().accept()

    def _warn(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self, "Cannot generate data", message)

    def _generate(self, n_samples: int) -> Dataset:
        if self.is_random():
            return make_random_mixture(
                self.n_components(),
                n_samples,
                n_features=self.n_features(),
                separation=self.separation(),
                seed=self.seed(),
            )
        return make_preset(self.source(), n_samples=n_samples, seed=self.seed())

    # -------------------------------------------------------------------- preview
    def preview_sample(self) -> Dataset | None:
        """The capped sample the preview shows (None after a preview error)."""
        return self._preview

    def update_preview(self) -> None:
        """Redraw the preview now from at most :data:`PREVIEW_LIMIT` points."""
        self._preview_timer.stop()
        n_total = self.n_samples()
        n_shown = min(n_total, PREVIEW_LIMIT)
        try:
            preview = self._generate(n_shown)
        except GMMViewerError as error:
            self._preview = None
            self._clear_plot()
            self._set_caption(f"Cannot preview: {error}", error=True)
            return
        self._preview = preview
        if preview.truth is not None:
            self.model_choice.suggest_k(min(preview.truth.n_components, n_total))
        self._plot(preview)
        self._set_caption(_caption(n_shown, n_total, preview.n_features), error=False)

    def _schedule_preview(self) -> None:
        self._preview_timer.start()

    def _on_source_changed(self) -> None:
        self._update_enabled()
        self._schedule_preview()

    def _update_enabled(self) -> None:
        random = self.is_random()
        self.random_group.setEnabled(random)
        if random:
            self.description_label.setText(
                "Components with random shapes and weights, every pair at least "
                "the separation apart."
            )
        else:
            description = PRESETS[self.source()].description
            self.description_label.setText(description[:1].upper() + description[1:] + ".")

    def _set_caption(self, text: str, *, error: bool) -> None:
        self.preview_caption.setText(text)
        self.preview_caption.setProperty("error", error)
        self.preview_caption.setStyleSheet("color: #c0392b;" if error else "")

    def _clear_plot(self) -> None:
        self.preview_scatter.clear()
        for bars in self._histogram_bars:
            self.preview_plot.removeItem(bars)
        self._histogram_bars = []

    def _plot(self, preview: Dataset) -> None:
        self._clear_plot()
        # Synthetic data always carry their labels and truth; colour by the true component.
        labels, truth = preview.labels, preview.truth
        assert labels is not None and truth is not None
        colours = component_colours(truth.n_components)
        n_components = truth.n_components
        if preview.n_features == 1:
            self.preview_plot.setAspectLocked(False)
            self._plot_histogram(preview.X[:, 0], labels, colours)
        else:
            # Equal axes show the components' true shapes (the elongated preset stays thin).
            self.preview_plot.setAspectLocked(True)
            brushes = np.empty(n_components, dtype=object)
            brushes[:] = [pg.mkBrush(*colour, _POINT_ALPHA) for colour in colours]
            self.preview_scatter.setData(
                x=preview.X[:, 0], y=preview.X[:, 1], brush=brushes[labels]
            )
        self.preview_plot.getPlotItem().enableAutoRange()

    def _plot_histogram(self, x: np.ndarray, labels: np.ndarray, colours: np.ndarray) -> None:
        """Stacked per-component histograms, so the bar heights add up to the sample's."""
        edges = np.histogram_bin_edges(x, bins=int(np.clip(np.sqrt(x.size), 10, 60)))
        bottom = np.zeros(edges.size - 1)
        for k, colour in enumerate(colours):
            counts, _ = np.histogram(x[labels == k], bins=edges)
            bars = pg.BarGraphItem(
                x0=edges[:-1],
                width=np.diff(edges),
                y0=bottom.copy(),
                height=counts,
                brush=pg.mkBrush(*colour, _POINT_ALPHA),
                pen=pg.mkPen(None),
            )
            self.preview_plot.addItem(bars)
            self._histogram_bars.append(bars)
            bottom += counts

    def histogram_bars(self) -> list[pg.BarGraphItem]:
        """The stacked bars of a 1-D preview, one item per component (empty in 2-D)."""
        return list(self._histogram_bars)


def _caption(n_shown: int, n_total: int, n_features: int) -> str:
    """What the preview shows, e.g. 'Preview of 5,000 of 1,000,000 points'."""
    text = (
        f"Preview of {n_shown:,} of {n_total:,} points"
        if n_shown < n_total
        else f"All {n_total:,} points"
    )
    if n_features == 1:
        return f"{text} (histogram)"
    if n_features > 2:
        return f"{text}\nx1 vs x2 of {n_features} dimensions"
    return text
