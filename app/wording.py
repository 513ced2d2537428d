"""Small wording helpers for messages shown to the operator (no Qt; plain English counts)."""

from __future__ import annotations


def count_of(n: int, noun: str) -> str:
    """``n`` and a regular English noun, plural unless ``n`` is 1: ``"1 lesion"``, ``"0 needles"``.

    Parameters
    ----------
    n
        How many.
    noun
        The singular noun; its plural adds an "s" (every noun counted in the program's messages does).

    Returns
    -------
    str
        The count and the noun.
    """
    return f"{n} {noun}" + ("" if n == 1 else "s")
