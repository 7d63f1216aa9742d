"""Counted nouns for messages: "1 row", "2 rows", "1,000 points". No Qt."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for one (``count(1, "row") == "1 row"``).

    Parameters
    ----------
    n : int
    noun : str
        The singular.
    plural : str, optional
        The plural when it is not ``noun + "s"`` (``count(2, "entry", "entries")``).
    """
    word = noun if n == 1 else (plural if plural is not None else noun + "s")
    return f"{n:,} {word}"
