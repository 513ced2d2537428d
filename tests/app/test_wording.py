"""The operator-facing count wording shared by the autosave notice and the scores panel."""

from __future__ import annotations

import pytest

from app.wording import count_of


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
