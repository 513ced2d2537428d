"""Mirels' score (impending fracture of a long bone): site, size, nature and pain, the total and risk band.

Pure logic, no images: the table is that of CLINICAL.md ("Scores"). Size is the lesion's share (0-1) of
the cortical thickness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from planning.errors import PlanValidationError
from planning.score_items import SCORES_SOURCE, ItemSource, ScoreItem, missing_item


class MirelsSite(StrEnum):
    """Mirels site item."""

    UPPER_LIMB = "upper-limb"
    LOWER_LIMB = "lower-limb"
    PERITROCHANTERIC = "peritrochanteric"


class MirelsNature(StrEnum):
    """Mirels lesion nature item."""

    BLASTIC = "blastic"
    MIXED = "mixed"
    LYTIC = "lytic"


class MirelsPain(StrEnum):
    """Mirels pain item."""

    MILD = "mild"
    MODERATE = "moderate"
    FUNCTIONAL = "functional"


class MirelsRisk(StrEnum):
    """Mirels risk bands."""

    LOW = "low risk (0-4%)"  # <= 7
    BORDERLINE = "borderline (15%)"  # 8
    FIXATION = "prophylactic fixation (> 33%)"  # >= 9


MIRELS_SITE_POINTS = {MirelsSite.UPPER_LIMB: 1, MirelsSite.LOWER_LIMB: 2, MirelsSite.PERITROCHANTERIC: 3}
MIRELS_NATURE_POINTS = {MirelsNature.BLASTIC: 1, MirelsNature.MIXED: 2, MirelsNature.LYTIC: 3}
MIRELS_PAIN_POINTS = {MirelsPain.MILD: 1, MirelsPain.MODERATE: 2, MirelsPain.FUNCTIONAL: 3}
MIRELS_LOW_MAX = 7
MIRELS_BORDERLINE = 8
MIRELS_ITEMS = ("site", "size", "nature", "pain")


def mirels_size_points(cortical_fraction: float) -> int:
    """Mirels size item from the lesion's share of the cortical thickness (0-1).

    < 1/3 scores 1, 1/3-2/3 (both ends included) scores 2, > 2/3 scores 3.

    Raises
    ------
    PlanValidationError
        If the fraction is outside 0-1.
    """
    if not (math.isfinite(cortical_fraction) and 0.0 <= cortical_fraction <= 1.0):
        raise PlanValidationError("cortical_fraction", cortical_fraction, "0-1")
    # Compare in thirds with a tiny tolerance so that 1/3 and 2/3 given as decimals land on the band edge.
    thirds = 3.0 * cortical_fraction
    if thirds < 1.0 - 1e-9:
        return 1
    if thirds <= 2.0 + 1e-9:
        return 2
    return 3


def mirels_risk(total: int) -> MirelsRisk:
    """Risk band of a Mirels total (4-12): <= 7 low, 8 borderline, >= 9 prophylactic fixation.

    Raises
    ------
    PlanValidationError
        If ``total`` is outside 4-12.
    """
    if not 4 <= total <= 12:
        raise PlanValidationError("mirels_total", total, "4-12")
    if total <= MIRELS_LOW_MAX:
        return MirelsRisk.LOW
    if total == MIRELS_BORDERLINE:
        return MirelsRisk.BORDERLINE
    return MirelsRisk.FIXATION


@dataclass(frozen=True)
class MirelsResult:
    """A Mirels score; ``risk`` is None until every item is known (``total_range`` then spans)."""

    items: tuple[ScoreItem, ...]
    total: int
    total_range: tuple[int, int]
    complete: bool
    risk: MirelsRisk | None

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "score": "Mirels",
            "items": [i.to_json() for i in self.items],
            "total": self.total,
            "total_range": list(self.total_range),
            "complete": self.complete,
            "risk": self.risk.value if self.risk else None,
            "source": SCORES_SOURCE,
        }


def mirels_score(
    *,
    site: MirelsSite | str | None = None,
    cortical_fraction: float | None = None,
    nature: MirelsNature | str | None = None,
    pain: MirelsPain | str | None = None,
    prefilled: frozenset[str] = frozenset(),
    bases: dict[str, str] | None = None,
) -> MirelsResult:
    """Mirels' score from its four items (each 1-3; None = missing).

    Parameters
    ----------
    site, cortical_fraction, nature, pain
        Item values; ``cortical_fraction`` is the lesion's share (0-1) of the cortical thickness.
    prefilled
        Names of the items that were read from the images (the rest given are operator choices).
    bases
        Optional explanation per item name.

    Raises
    ------
    PlanValidationError
        If a value is not in the table.
    """
    bases = bases or {}

    def src(name: str) -> ItemSource:
        return ItemSource.PREFILLED if name in prefilled else ItemSource.CHOSEN

    def basis(name: str) -> str:
        return bases.get(name, "read from the images" if name in prefilled else "chosen by the operator")

    items: list[ScoreItem] = []
    for name, enum_type, table, value in (
        ("site", MirelsSite, MIRELS_SITE_POINTS, site),
        ("nature", MirelsNature, MIRELS_NATURE_POINTS, nature),
        ("pain", MirelsPain, MIRELS_PAIN_POINTS, pain),
    ):
        if value is None:
            items.append(missing_item(name, "not given; to be chosen by the operator"))
            continue
        try:
            choice = enum_type(str(value))
        except ValueError as exc:
            raise PlanValidationError(f"mirels {name}", value, ", ".join(e.value for e in enum_type)) from exc
        items.append(ScoreItem(name, choice.value, table[choice], src(name), basis(name)))  # type: ignore[index]
    if cortical_fraction is None:
        items.insert(1, missing_item("size", "not given; to be chosen by the operator"))
    else:
        pts = mirels_size_points(cortical_fraction)
        items.insert(1, ScoreItem("size", f"{cortical_fraction:.3f}", pts, src("size"), basis("size")))
    known = sum(i.points for i in items if i.points is not None)
    n_missing = sum(1 for i in items if i.points is None)
    complete = n_missing == 0
    total_range = (known + n_missing * 1, known + n_missing * 3)
    return MirelsResult(tuple(items), known, total_range, complete, mirels_risk(known) if complete else None)
