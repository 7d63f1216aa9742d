"""What the window shows, as one plain-Python model that emits its changes.

Which columns are drawn, the overlays, the NLL axis, theme, size, the inspected point
and the run speed live here instead of in controller attributes, QAction check states
and QSettings calls spread about. The controller and the window subscribe to
:attr:`ViewState.changed`; QSettings loads and saves it (:meth:`ViewState.load`,
:meth:`ViewState.save`). No Qt import: the object is tested headless.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from gmmviewer.core.session.events import Signal

SCALE_RANGE = (0.6, 3.0)
SPEED_RANGE = (0.25, 60.0)
THEMES = ("light", "dark")


class SettingsStore(Protocol):
    """What :meth:`ViewState.load` and :meth:`ViewState.save` need (``QSettings`` has it)."""

    def value(self, key: str, default: Any = None) -> Any: ...  # noqa: D102

    def setValue(self, key: str, value: Any) -> None: ...  # noqa: D102, N802


@dataclass(eq=False)
class ViewState:
    """The window's view settings.

    Attributes
    ----------
    dims : tuple of int
        The data columns drawn: one (a histogram) or two (a scatter).
    contours, truth, log_nll, bound, kmeans, equal_aspect : bool
        Density contours; true ellipses of generated data; a log NLL axis; the
        lower-bound curve; k-means beside EM; equal axis scales.
    membership, uncertainty : bool
        Lines from points to means (opacity = responsibility); points coloured by
        ``1 - max r`` instead of blended component colours.
    landscape : bool
        The likelihood landscape of a chosen mean (not kept between runs: it keeps a
        worker busy).
    theme : {'light', 'dark'}
    scale : float
        Size factor of fonts, points and lines (projector mode).
    inspected : int or None
        The data point shown in the inspector.
    speed : float
        Half-steps per second while running.
    embed_data : bool
        Whether saved sessions embed the data.
    changed : Signal
        Emitted with the name of each field that changed.
    """

    dims: tuple[int, ...] = (0, 1)
    contours: bool = False
    truth: bool = False
    log_nll: bool = False
    bound: bool = False
    kmeans: bool = False
    equal_aspect: bool = True
    membership: bool = False
    uncertainty: bool = False
    landscape: bool = False
    theme: str = "light"
    scale: float = 1.0
    inspected: int | None = None
    speed: float = 4.0
    embed_data: bool = True
    changed: Signal = field(default_factory=Signal, repr=False)

    #: Fields persisted between runs, with their QSettings keys.
    PERSISTED = {
        "contours": "view/contours",
        "truth": "view/truth",
        "log_nll": "view/log_nll",
        "bound": "view/bound",
        "membership": "view/membership",
        "uncertainty": "view/uncertainty",
        "theme": "view/theme",
        "scale": "view/scale",
        "speed": "run/speed",
        "embed_data": "files/embed_data",
    }

    def update(self, **changes: Any) -> list[str]:
        """Set fields; emit ``changed(name)`` for each one whose value really changed.

        Values are checked and clamped (scale and speed to their ranges, an unknown
        theme to light). Returns the names that changed.
        """
        names = {f.name for f in fields(self)} - {"changed"}
        changed = []
        for name, value in changes.items():
            if name not in names:
                raise AttributeError(f"ViewState has no field {name!r}")
            value = _clean(name, value)
            if getattr(self, name) != value:
                object.__setattr__(self, name, value)
                changed.append(name)
        for name in changed:
            self.changed.emit(name)
        return changed

    def load(self, settings: SettingsStore) -> None:
        """Take the persisted fields from ``settings`` (missing or bad values keep defaults)."""
        changes = {}
        for name, key in self.PERSISTED.items():
            raw = settings.value(key, None)
            if raw is None:
                continue
            try:
                changes[name] = _from_setting(getattr(self, name), raw)
            except (TypeError, ValueError):
                continue
        self.update(**changes)

    def save(self, settings: SettingsStore) -> None:
        """Write the persisted fields to ``settings``."""
        for name, key in self.PERSISTED.items():
            settings.setValue(key, getattr(self, name))


def _clean(name: str, value: Any) -> Any:
    if name == "dims":
        return tuple(int(d) for d in value)
    if name == "scale":
        return min(max(float(value), SCALE_RANGE[0]), SCALE_RANGE[1])
    if name == "speed":
        return min(max(float(value), SPEED_RANGE[0]), SPEED_RANGE[1])
    if name == "theme":
        return value if value in THEMES else "light"
    if name == "inspected":
        return None if value is None or int(value) < 0 else int(value)
    return bool(value)


def _from_setting(default: Any, raw: Any) -> Any:
    """QSettings returns strings from INI files; turn them back into the field's type."""
    if isinstance(default, bool):
        if isinstance(raw, str):
            if raw.lower() in ("true", "1", "yes"):
                return True
            if raw.lower() in ("false", "0", "no"):
                return False
            raise ValueError(raw)
        return bool(raw)
    if isinstance(default, float):
        return float(raw)
    return str(raw)
