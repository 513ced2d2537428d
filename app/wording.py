"""Small wording helpers for messages shown to the operator (no Qt; plain English counts)."""

from __future__ import annotations

import unicodedata


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


#: characters a line of text shown to the operator must not hold as they are: line breaks (a new line in
#: a (0008,103E) Series Description broke `osteoplan info`'s lines, QA s32 D), terminal escapes and other
#: controls, and the format characters that reorder or hide text (bidirectional overrides, zero widths)
_ESCAPED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: their Unicode categories: controls, format characters, line and paragraph separators, lone surrogates
_ACTING = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def printable(text: str) -> str:
    """``text`` as one line safe to print or show: every control character (C0, DEL, C1), line or paragraph
    separator and invisible format character written as its escape (``\\n``, ``\\x1b``, ``\\u202e``), so
    that the operator sees something was there and no line is broken or terminal driven by it. Plain text
    comes back unchanged.

    Parameters
    ----------
    text
        A string read from a file (a DICOM description, a file name) or built around one.

    Returns
    -------
    str
        The same text on one line, without characters that act rather than show.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if unicodedata.category(ch) not in _ACTING:  # spaces of every width show as spaces
            out.append(ch)
        elif ch in _ESCAPED:
            out.append(_ESCAPED[ch])
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return "".join(out)
