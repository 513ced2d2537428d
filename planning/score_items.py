"""Score items shared by SINS, Mirels and Harrington: one item's value, points and where it came from.

Every item records whether it was pre-filled from the images, chosen by the operator, or is still
missing, with the reason, so the report never shows an unexplained number. No units.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SCORES_SOURCE = "CLINICAL.md, Scores (SINS; Mirels; Harrington)"


class ItemSource(StrEnum):
    """Where a score item's value came from."""

    PREFILLED = "prefilled"  # read from the images; the operator still confirms it
    CHOSEN = "chosen"  # given by the operator
    MISSING = "missing"  # not known yet


@dataclass(frozen=True)
class ScoreItem:
    """One item of a score.

    ``value`` is the choice (a StrEnum value) or None when missing; ``points`` is None when missing.
    ``basis`` says how a pre-filled value was found, or why the item is missing.
    """

    name: str
    value: str | None
    points: int | None
    source: ItemSource
    basis: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "name": self.name,
            "value": self.value,
            "points": self.points,
            "source": self.source.value,
            "basis": self.basis,
        }


def missing_item(name: str, basis: str) -> ScoreItem:
    """A missing item (no value, no points) with the reason it is missing."""
    return ScoreItem(name, None, None, ItemSource.MISSING, basis)
