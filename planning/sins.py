"""SINS (Spinal Instability Neoplastic Score): its six items, their points, the total and category.

Pure logic, no images: the table is that of CLINICAL.md ("Scores"). The items that can be read from
the images are converted here from measurements (:func:`collapse_from_heights`,
:func:`bone_lesion_from_type`, :func:`posterolateral_from_sides`) and pre-filled by
:mod:`planning.target_scores` (for :mod:`planning.target_report`); the others are chosen by the
operator. Lengths in mm, fractions 0-1.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from imaging.lesion_model import LesionType
from planning.errors import PlanValidationError
from planning.score_items import SCORES_SOURCE, ItemSource, ScoreItem, missing_item


class SinsLocation(StrEnum):
    """SINS location classes."""

    JUNCTIONAL = "junctional"  # occiput-C2, C7-T2, T11-L1, L5-S1
    MOBILE = "mobile"  # C3-C6, L2-L4
    SEMI_RIGID = "semi-rigid"  # T3-T10
    RIGID = "rigid"  # S2-S5


class SinsPain(StrEnum):
    """SINS pain item."""

    MECHANICAL = "mechanical"
    OCCASIONAL_NON_MECHANICAL = "occasional-non-mechanical"
    PAIN_FREE = "pain-free"


class SinsBoneLesion(StrEnum):
    """SINS bone-lesion item."""

    LYTIC = "lytic"
    MIXED = "mixed"
    BLASTIC = "blastic"


class SinsAlignment(StrEnum):
    """SINS radiographic spinal alignment item."""

    SUBLUXATION_TRANSLATION = "subluxation-translation"
    DE_NOVO_DEFORMITY = "de-novo-deformity"
    NORMAL = "normal"


class SinsCollapse(StrEnum):
    """SINS vertebral body collapse item."""

    OVER_50 = "collapse-over-50"
    UNDER_50 = "collapse-under-50"
    NONE_OVER_50_INVOLVED = "no-collapse-over-50-involved"
    NONE = "none"


class SinsPosterolateral(StrEnum):
    """SINS posterolateral involvement (facet, pedicle or costovertebral joint)."""

    BILATERAL = "bilateral"
    UNILATERAL = "unilateral"
    NONE = "none"


class SinsCategory(StrEnum):
    """SINS stability categories."""

    STABLE = "stable"  # 0-6
    POTENTIALLY_UNSTABLE = "potentially unstable"  # 7-12
    UNSTABLE = "unstable"  # 13-18


SINS_LOCATION_POINTS: dict[SinsLocation, int] = {
    SinsLocation.JUNCTIONAL: 3,
    SinsLocation.MOBILE: 2,
    SinsLocation.SEMI_RIGID: 1,
    SinsLocation.RIGID: 0,
}
SINS_PAIN_POINTS: dict[SinsPain, int] = {
    SinsPain.MECHANICAL: 3,
    SinsPain.OCCASIONAL_NON_MECHANICAL: 1,
    SinsPain.PAIN_FREE: 0,
}
SINS_BONE_LESION_POINTS: dict[SinsBoneLesion, int] = {
    SinsBoneLesion.LYTIC: 2,
    SinsBoneLesion.MIXED: 1,
    SinsBoneLesion.BLASTIC: 0,
}
SINS_ALIGNMENT_POINTS: dict[SinsAlignment, int] = {
    SinsAlignment.SUBLUXATION_TRANSLATION: 4,
    SinsAlignment.DE_NOVO_DEFORMITY: 2,
    SinsAlignment.NORMAL: 0,
}
SINS_COLLAPSE_POINTS: dict[SinsCollapse, int] = {
    SinsCollapse.OVER_50: 3,
    SinsCollapse.UNDER_50: 2,
    SinsCollapse.NONE_OVER_50_INVOLVED: 1,
    SinsCollapse.NONE: 0,
}
SINS_POSTEROLATERAL_POINTS: dict[SinsPosterolateral, int] = {
    SinsPosterolateral.BILATERAL: 3,
    SinsPosterolateral.UNILATERAL: 1,
    SinsPosterolateral.NONE: 0,
}
SINS_STABLE_MAX = 6
SINS_POTENTIALLY_UNSTABLE_MAX = 12
SINS_MAX = 18
SINS_SURGICAL_CONSULTATION_MIN = 7
SINS_ITEMS = ("location", "pain", "bone_lesion", "alignment", "collapse", "posterolateral")

#: Height loss (fraction of the reference height) below which the body is called "not collapsed".
#: Genant's semiquantitative grade 1 starts at 20-25 % height loss (Genant et al. 1993, J Bone Miner
#: Res 8:1137) -- *unverified* in CLINICAL.md; smaller differences are within measurement and
#: normal level-to-level variation. Editable through ``collapse_threshold_fraction``.
COLLAPSE_MIN_FRACTION = 0.20
COLLAPSE_SOURCE = "Genant 1993 grade 1 threshold (20%), *unverified*"
#: SINS: "no collapse with > 50% of the body involved".
BODY_INVOLVED_FRACTION = 0.50

_LEVEL_RE = re.compile(r"^\s*(C|T|L|S)\s*(\d{1,2})\s*$", re.IGNORECASE)
_LEVEL_COUNT = {"C": 7, "T": 12, "L": 5, "S": 5}


def parse_level(level: str) -> tuple[str, int]:
    """Split a vertebral level such as ``"T11"`` into ``("T", 11)``.

    ``"occiput"`` / ``"C0"`` is returned as ``("C", 0)``.

    Raises
    ------
    PlanValidationError
        If the text is not a level C0/occiput-C7, T1-T12, L1-L5 or S1-S5.
    """
    text = level.strip()
    if text.lower() in {"occiput", "oc", "c0"}:
        return ("C", 0)
    match = _LEVEL_RE.match(text)
    if match is None:
        raise PlanValidationError("level", level, "C1-C7, T1-T12, L1-L5, S1-S5 or occiput")
    region = match.group(1).upper()
    number = int(match.group(2))
    if not 1 <= number <= _LEVEL_COUNT[region]:
        raise PlanValidationError("level", level, f"{region}1-{region}{_LEVEL_COUNT[region]}")
    return (region, number)


def sins_location(level: str) -> SinsLocation:
    """The SINS location class of a level (CLINICAL.md table).

    Junctional: occiput-C2, C7-T2, T11-L1, L5-S1; mobile: C3-C6, L2-L4; semi-rigid: T3-T10;
    rigid: S2-S5.
    """
    region, n = parse_level(level)
    if region == "C":
        if n <= 2 or n == 7:
            return SinsLocation.JUNCTIONAL
        return SinsLocation.MOBILE
    if region == "T":
        if n <= 2 or n >= 11:
            return SinsLocation.JUNCTIONAL
        return SinsLocation.SEMI_RIGID
    if region == "L":
        if n in (1, 5):
            return SinsLocation.JUNCTIONAL
        return SinsLocation.MOBILE
    if n == 1:
        return SinsLocation.JUNCTIONAL
    return SinsLocation.RIGID


def sins_category(total: int) -> SinsCategory:
    """Category of a SINS total: 0-6 stable, 7-12 potentially unstable, 13-18 unstable.

    Raises
    ------
    PlanValidationError
        If ``total`` is outside 0-18.
    """
    if not 0 <= total <= SINS_MAX:
        raise PlanValidationError("sins_total", total, "0-18")
    if total <= SINS_STABLE_MAX:
        return SinsCategory.STABLE
    if total <= SINS_POTENTIALLY_UNSTABLE_MAX:
        return SinsCategory.POTENTIALLY_UNSTABLE
    return SinsCategory.UNSTABLE


def collapse_from_heights(
    body_height_mm: float,
    reference_height_mm: float,
    *,
    body_involved_fraction: float | None = None,
    collapse_threshold_fraction: float = COLLAPSE_MIN_FRACTION,
) -> tuple[SinsCollapse, str]:
    """The SINS collapse item from the body's height against a reference height.

    Parameters
    ----------
    body_height_mm
        Height of the treated body (its smallest anterior/middle/posterior height is what the
        caller should pass when available).
    reference_height_mm
        The expected height: the mean of the adjacent bodies' heights (stated by the caller).
    body_involved_fraction
        Fraction (0-1) of the body occupied by the lesion, or None when unknown.
    collapse_threshold_fraction
        Height loss below which the body counts as not collapsed (see ``COLLAPSE_MIN_FRACTION``).

    Returns
    -------
    tuple
        The item value and a sentence giving the measured height loss.

    Raises
    ------
    PlanValidationError
        If a height is not positive or a fraction is outside 0-1.
    """
    if not (math.isfinite(body_height_mm) and body_height_mm > 0):
        raise PlanValidationError("body_height_mm", body_height_mm, "> 0 mm")
    if not (math.isfinite(reference_height_mm) and reference_height_mm > 0):
        raise PlanValidationError("reference_height_mm", reference_height_mm, "> 0 mm")
    if not 0.0 <= collapse_threshold_fraction < 0.5:
        raise PlanValidationError("collapse_threshold_fraction", collapse_threshold_fraction, "0-0.5")
    loss = max(0.0, 1.0 - body_height_mm / reference_height_mm)
    basis = (
        f"height {body_height_mm:.1f} mm against {reference_height_mm:.1f} mm expected: "
        f"{100.0 * loss:.0f}% loss"
    )
    if loss > 0.5:
        return SinsCollapse.OVER_50, basis
    if loss >= collapse_threshold_fraction - 1e-9:  # a height given at the threshold counts
        return SinsCollapse.UNDER_50, basis
    basis += f" (< {100.0 * collapse_threshold_fraction:.0f}%: {COLLAPSE_SOURCE})"
    if body_involved_fraction is not None:
        if not 0.0 <= body_involved_fraction <= 1.0:
            raise PlanValidationError("body_involved_fraction", body_involved_fraction, "0-1")
        basis += f"; lesion fills {100.0 * body_involved_fraction:.0f}% of the body"
        if body_involved_fraction > BODY_INVOLVED_FRACTION:
            return SinsCollapse.NONE_OVER_50_INVOLVED, basis
    return SinsCollapse.NONE, basis


def bone_lesion_from_type(lesion_type: LesionType) -> SinsBoneLesion:
    """The SINS bone-lesion item from the segmented lesion's type."""
    return SinsBoneLesion(lesion_type.value)


def posterolateral_from_sides(left: bool, right: bool) -> SinsPosterolateral:
    """The SINS posterolateral item from involvement of each side's pedicle / posterior elements."""
    if left and right:
        return SinsPosterolateral.BILATERAL
    if left or right:
        return SinsPosterolateral.UNILATERAL
    return SinsPosterolateral.NONE


@dataclass(frozen=True)
class SinsResult:
    """A SINS score: its items, the total of the known items and, when complete, the category.

    When items are missing, ``total_range`` gives the smallest and largest totals still possible
    and ``categories_possible`` the categories they span; ``category`` is None.
    """

    items: tuple[ScoreItem, ...]
    total: int
    total_range: tuple[int, int]
    complete: bool
    category: SinsCategory | None
    categories_possible: tuple[SinsCategory, ...]
    surgical_consultation: bool | None
    note: str

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "score": "SINS",
            "items": [i.to_json() for i in self.items],
            "total": self.total,
            "total_range": list(self.total_range),
            "complete": self.complete,
            "category": self.category.value if self.category else None,
            "categories_possible": [c.value for c in self.categories_possible],
            "surgical_consultation": self.surgical_consultation,
            "note": self.note,
            "source": SCORES_SOURCE,
        }


_SINS_TABLES: dict[str, dict[Any, int]] = {
    "location": SINS_LOCATION_POINTS,
    "pain": SINS_PAIN_POINTS,
    "bone_lesion": SINS_BONE_LESION_POINTS,
    "alignment": SINS_ALIGNMENT_POINTS,
    "collapse": SINS_COLLAPSE_POINTS,
    "posterolateral": SINS_POSTEROLATERAL_POINTS,
}
_SINS_ENUMS: dict[str, type[StrEnum]] = {
    "location": SinsLocation,
    "pain": SinsPain,
    "bone_lesion": SinsBoneLesion,
    "alignment": SinsAlignment,
    "collapse": SinsCollapse,
    "posterolateral": SinsPosterolateral,
}


def sins_item(name: str, value: str | StrEnum, source: ItemSource, basis: str = "") -> ScoreItem:
    """A SINS item with its points from the table.

    Raises
    ------
    PlanValidationError
        If the item name or its value is not in the SINS table.
    """
    if name not in _SINS_TABLES:
        raise PlanValidationError("sins item", name, f"one of {', '.join(SINS_ITEMS)}")
    enum_type = _SINS_ENUMS[name]
    try:
        choice = enum_type(str(value))
    except ValueError as exc:
        allowed = ", ".join(e.value for e in enum_type)
        raise PlanValidationError(f"sins {name}", value, allowed) from exc
    points = _SINS_TABLES[name][choice]
    if source is ItemSource.CHOSEN and not basis:
        basis = "chosen by the operator"
    return ScoreItem(name, choice.value, points, source, basis)


def sins_score(items: dict[str, ScoreItem]) -> SinsResult:
    """Total and category of SINS from its items (missing ones allowed).

    Parameters
    ----------
    items
        Item name (``SINS_ITEMS``) to item; absent names count as missing.

    Returns
    -------
    SinsResult
    """
    ordered: list[ScoreItem] = []
    lo = hi = 0
    for name in SINS_ITEMS:
        item = items.get(name) or missing_item(name, "not given; to be chosen by the operator")
        ordered.append(item)
        if item.points is None:
            hi += max(_SINS_TABLES[name].values())
        else:
            lo += item.points
            hi += item.points
    complete = lo == hi and all(i.points is not None for i in ordered)
    possible = tuple(dict.fromkeys(sins_category(t) for t in range(lo, hi + 1)))
    category = sins_category(lo) if complete else None
    consult: bool | None
    if lo >= SINS_SURGICAL_CONSULTATION_MIN:
        consult = True
    elif hi < SINS_SURGICAL_CONSULTATION_MIN:
        consult = False
    else:
        consult = None
    if consult is True:
        note = f"SINS >= {SINS_SURGICAL_CONSULTATION_MIN}: surgical consultation warranted"
    elif consult is False:
        note = f"SINS < {SINS_SURGICAL_CONSULTATION_MIN}: stable"
    else:
        note = (
            f"SINS between {lo} and {hi} until the missing items are chosen; "
            f">= {SINS_SURGICAL_CONSULTATION_MIN} warrants surgical consultation"
        )
    return SinsResult(tuple(ordered), lo, (lo, hi), complete, category, possible, consult, note)
