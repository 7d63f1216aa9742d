"""A minimal plain-Python signal, so views can subscribe to the session without Qt.

Callbacks are held weakly when they are bound methods, so a view that is deleted
without disconnecting does not keep itself alive through the session.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any


class Signal:
    """A list of callbacks called in connection order by :meth:`emit`.

    Bound methods are stored as weak references (a garbage-collected view simply
    drops out); plain functions are stored strongly.
    """

    def __init__(self) -> None:
        self._slots: list[Callable[[], Callable[..., Any] | None]] = []

    def connect(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """Call ``callback(*args)`` on every emit. Returns the callback (usable as a decorator)."""
        if self._find(callback) is None:
            if hasattr(callback, "__self__") and hasattr(callback, "__func__"):
                self._slots.append(weakref.WeakMethod(callback))
            else:
                self._slots.append(_strong(callback))
        return callback

    def disconnect(self, callback: Callable[..., Any] | None = None) -> None:
        """Remove ``callback``, or every callback when it is None. Unknown callbacks are ignored."""
        if callback is None:
            self._slots.clear()
            return
        index = self._find(callback)
        if index is not None:
            del self._slots[index]

    def emit(self, *args: Any) -> None:
        """Call every live callback with ``args``; dead weak references are pruned."""
        alive = []
        for ref in list(self._slots):
            slot = ref()
            if slot is None:
                continue
            alive.append(ref)
            slot(*args)
        if len(alive) != len(self._slots):
            self._slots = [ref for ref in self._slots if ref() is not None]

    def __len__(self) -> int:
        return sum(1 for ref in self._slots if ref() is not None)

    def _find(self, callback: Callable[..., Any]) -> int | None:
        for index, ref in enumerate(self._slots):
            if ref() == callback:
                return index
        return None


def _strong(callback: Callable[..., Any]) -> Callable[[], Callable[..., Any]]:
    def ref() -> Callable[..., Any]:
        return callback

    return ref
