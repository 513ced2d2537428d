"""The neural foramina of a vertebra as values: which foramen, its mask, and why it was not found.

Values only, no algorithm: :func:`imaging.vertebra_foramina.find_foramina` builds them. Positions LPS mm,
lengths mm, volumes mL; masks lie on the source volume's grid (cropped). ``left`` and ``right`` are the
patient's (:class:`imaging.vertebra_model.Side`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from imaging.mask import Mask
from imaging.vertebra_model import Side

__all__ = ["Foramen", "ForamenLevel", "VertebraForamina"]

Point = tuple[float, float, float]


class ForamenLevel(StrEnum):
    """Which foramen of a pedicle: the one above it or the one below it."""

    UPPER = "upper"
    LOWER = "lower"


@dataclass(frozen=True, eq=False)
class Foramen:
    """One neural foramen (one side, above or below the pedicle), or why it was not found.

    ``mask`` is on the source volume's grid (cropped) and None when not found; ``gap_mm`` is the
    craniocaudal distance between the two pedicles' edges along the body axis; ``note`` says how it
    was found or why not.
    """

    side: Side
    level: ForamenLevel
    name: str
    mask: Mask | None
    centroid_lps: Point | None
    volume_ml: float
    gap_mm: float | None
    note: str
    cut_by_view: bool = False

    @property
    def found(self) -> bool:
        """True when a mask with at least one voxel was found."""
        return self.mask is not None and self.mask.any()

    def to_json(self) -> dict[str, Any]:
        """JSON-able summary (no mask)."""
        return {
            "side": self.side.value,
            "level": self.level.value,
            "name": self.name,
            "found": self.found,
            "centroid_lps": None if self.centroid_lps is None else [round(v, 2) for v in self.centroid_lps],
            "volume_ml": round(self.volume_ml, 3),
            "gap_mm": None if self.gap_mm is None else round(self.gap_mm, 1),
            "note": self.note,
            "cut_by_view": self.cut_by_view,
        }


@dataclass(frozen=True, eq=False)
class VertebraForamina:
    """The four foramina of a vertebra (left/right, upper/lower), found or not."""

    foramina: tuple[Foramen, ...]
    grid_shape: tuple[int, int, int]

    def found(self) -> tuple[Foramen, ...]:
        """The foramina that were found."""
        return tuple(f for f in self.foramina if f.found)

    def get(self, side: Side, level: ForamenLevel) -> Foramen | None:
        """The foramen of one side and level."""
        for f in self.foramina:
            if f.side is side and f.level is level:
                return f
        return None

    def of_side(self, side: Side) -> Mask | None:
        """The union of the found foramina of one side, None when none was found."""
        return _union(
            [f.mask for f in self.found() if f.side is side and f.mask is not None], self.grid_shape
        )

    def union(self) -> Mask | None:
        """The union of every found foramen, None when none was found."""
        return _union([f.mask for f in self.found() if f.mask is not None], self.grid_shape)

    def missing_notes(self) -> tuple[str, ...]:
        """One line per foramen not found, with the reason."""
        return tuple(f"{f.name} foramen not found: {f.note}" for f in self.foramina if not f.found)

    def to_json(self) -> dict[str, Any]:
        """JSON-able summary (no masks)."""
        return {"foramina": [f.to_json() for f in self.foramina]}


def _union(masks: list[Mask], grid: tuple[int, int, int]) -> Mask | None:
    """The union of ``masks``, None when none is set."""
    union = Mask.union(masks, grid)
    return union if union.any() else None
