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


def escape_html(text: str) -> str:
    """``html.escape(text)``, with :mod:`html` imported when first needed.

    The window's panels escape text only once something is shown in them; importing
    :mod:`html` up front cost the first paint about 1 ms.
    """
    from html import escape

    return escape(text)
