"""The field checks every part of a session file's checks uses, and their error.
Pure Python and numpy; no Qt.

Each check returns the value, typed, or raises a :class:`SessionCheckError` whose
message names the field ("states[3].status must be text, got 12345").
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Largest iteration count or ``max_iter`` read (what the window's number boxes hold).
MAX_COUNT = 2**31 - 1


class SessionCheckError(ValueError):
    """What is wrong in a session file, naming the field."""


def _field(container: dict[str, Any], key: str, where: str) -> Any:
    if key not in container:
        raise SessionCheckError(f"{where} has no field {key!r}")
    return container[key]


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SessionCheckError(f"{where} must be an object, got {_shown(value)}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SessionCheckError(f"{where} must be a list, got {_shown(value)}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise SessionCheckError(f"{where} must be text, got {_shown(value)}")
    return value


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SessionCheckError(f"{where} must be true or false, got {_shown(value)}")
    return value


def _integer(
    value: Any,
    where: str,
    minimum: int,
    maximum: int | None = MAX_COUNT,
    *,
    none: bool = False,
) -> Any:
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SessionCheckError(f"{where} must be a whole number, got {_shown(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" to {maximum:,}"
        if maximum is not None and maximum < minimum:
            raise SessionCheckError(f"{where} is {_shown(value)}, but there is nothing to refer to")
        raise SessionCheckError(f"{where} must be from {minimum:,}{upper}, got {_shown(value)}")
    return value


def _number(value: Any, where: str, *, minimum: float | None = None, none: bool = False) -> Any:
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SessionCheckError(f"{where} must be a number, got {_shown(value)}")
    number = float(value)
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        bound = "" if minimum is None else f" >= {minimum:g}"
        raise SessionCheckError(f"{where} must be a finite number{bound}, got {_shown(value)}")
    return number


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _float_array(arrays: dict[str, np.ndarray], name: str, ndim: int | None) -> np.ndarray:
    if name not in arrays:
        raise SessionCheckError(f"the array {name} is missing")
    array = arrays[name]
    if array.dtype.kind not in "fiu" or (ndim is not None and array.ndim != ndim):
        shape = "numbers" if ndim is None else f"a {ndim}-D array of numbers"
        raise SessionCheckError(f"the array {name} must be {shape}")
    return array.astype(float, copy=False)


def _or_minus_inf(value: float | None) -> float:
    return -math.inf if value is None else float(value)
