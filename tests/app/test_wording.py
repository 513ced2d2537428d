"""The operator-facing count wording shared by the autosave notice and the scores panel."""

from __future__ import annotations

import pytest

from app.wording import count_of, printable


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (0, "needle", "0 needles"),
        (1, "lesion", "1 lesion"),
        (2, "layer", "2 layers"),
        (1, "point", "1 point"),
    ],
)
def test_count_of_plural_unless_one(n: int, noun: str, expected: str) -> None:
    assert count_of(n, noun) == expected


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Thorax 1,0 B70f Wirbelsäule 胸部", "Thorax 1,0 B70f Wirbelsäule 胸部"),  # plain text unchanged
        ("a\u00a0b\u2009c", "a\u00a0b\u2009c"),  # spaces of other widths stay spaces
        ("AX\nBONE\r\tx", "AX\\nBONE\\r\\tx"),
        ("red\x1b[31m bell\x07 del\x7f c1\x85", "red\\x1b[31m bell\\x07 del\\x7f c1\\x85"),
        ("evil\u202eexe.fdp zw\u200bj \u2028\u2029", "evil\\u202eexe.fdp zw\\u200bj \\u2028\\u2029"),
    ],
)
def test_printable_escapes_what_acts_and_keeps_what_shows(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(text).isprintable() or "\u00a0" in text
