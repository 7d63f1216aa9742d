"""How CSV fields become numbers: missing values, decimal marks, and which columns are
numeric. Numbers are what ``np.loadtxt`` reads (no ``1_000``, no non-ASCII digits). No Qt."""

from __future__ import annotations

import math
import re

import numpy as np

_MISSING = frozenset(
    ["", "na", "n/a", "#n/a", "nan", "-nan", "null", "none", "?", "inf", "+inf", "-inf",
     "infinity", "+infinity", "-infinity"]
)  # fmt: skip

_COMMA_NUMBER = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
_POINT_NUMBER = re.compile(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?")


def parse_number(field: str, decimal: str) -> float | None:
    """The value of a field: NaN when missing, None when it is not a number.

    Python's ``float`` also takes ``1_000`` and non-ASCII digits, which are not CSV
    numbers (``np.loadtxt`` refuses them too).
    """
    if "_" in field or not field.isascii():
        return None
    try:
        return float(field if decimal == "." else field.replace(",", "."))
    except ValueError:
        return math.nan if field.strip().lower() in _MISSING else None


def row_numbers(fields: list[str], decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Values of a row's fields (NaN when missing) and where a field is not a number.

    Returns
    -------
    values : ndarray of shape (n_fields,), float
    not_number : ndarray of shape (n_fields,), bool
    """
    joined = "\n".join(fields)  # no field holds a line break
    if joined.isascii() and "_" not in joined:
        plain = joined.replace(",", ".").split("\n") if decimal == "," else fields
        try:  # the common case, a row of numbers, converted in C
            return np.array(list(map(float, plain)), dtype=float), np.zeros(len(fields), bool)
        except ValueError:
            pass
    numbers = [parse_number(field, decimal) for field in fields]
    not_number = np.array([value is None for value in numbers], dtype=bool)
    values = np.array([math.nan if value is None else value for value in numbers], dtype=float)
    return values.reshape(len(fields)), not_number.reshape(len(fields))


def numeric_columns(rows: list[list[str]], width: int, decimal: str) -> np.ndarray:
    """For each of the first ``width`` columns: its values are numbers or missing, and not
    all missing (in the rows long enough to have it). Shape (width,), bool; one pass."""
    not_number = np.zeros(width, dtype=bool)
    has_value = np.zeros(width, dtype=bool)
    for row in rows:
        fields = row[:width]
        values, bad = row_numbers(fields, decimal)
        not_number[: len(fields)] |= bad
        has_value[: len(fields)] |= ~bad & ~np.isnan(values)
    return has_value & ~not_number


def guess_decimal(rows: list[list[str]], delimiter: str | None) -> str:
    """',' when the fields hold decimal commas (and the delimiter is not a comma), else '.'."""
    if delimiter == ",":
        return "."
    fields = [field.strip() for row in rows for field in row]
    commas = any(_COMMA_NUMBER.fullmatch(field) for field in fields)
    return "," if commas and not any(_POINT_NUMBER.fullmatch(field) for field in fields) else "."
