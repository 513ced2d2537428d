"""Harrington: the periacetabular class and the impending-fracture criteria of the femur.

Pure logic, no images: the criteria are those of CLINICAL.md ("Scores"), from the operator's findings
and the lesion's measurements. Sizes in mm, fractions 0-1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from imaging.lesion_model import LesionType
from planning.errors import PlanValidationError
from planning.score_items import SCORES_SOURCE


class HarringtonClass(StrEnum):
    """Harrington's periacetabular classes."""

    I = "I"  # noqa: E741 - the class's published name
    II = "II"
    III = "III"
    IV = "IV"


HARRINGTON_PERCUTANEOUS = frozenset({HarringtonClass.I, HarringtonClass.II, HarringtonClass.III})
IMPENDING_CORTICAL_FRACTION = 0.50
IMPENDING_SIZE_MM = 25.0


@dataclass(frozen=True)
class HarringtonResult:
    """A Harrington class (None when the findings fit no class) with its reasons and treatment note."""

    harrington_class: HarringtonClass | None
    percutaneous_candidate: bool | None
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "score": "Harrington periacetabular",
            "class": self.harrington_class.value if self.harrington_class else None,
            "percutaneous_candidate": self.percutaneous_candidate,
            "reasons": list(self.reasons),
            "source": SCORES_SOURCE,
        }


def harrington_class(
    *,
    medial_wall_deficient: bool,
    lateral_cortex_deficient: bool,
    superior_wall_deficient: bool,
    solitary_resectable_for_cure: bool = False,
) -> HarringtonResult:
    """Harrington's periacetabular class from the operator's findings.

    I: lateral cortices, superior and medial walls intact; II: medial wall deficient; III: medial
    wall plus lateral cortex and superior wall deficient; IV: solitary lesion resectable for cure.
    Classes I-III can be treated percutaneously; IV needs surgery. Findings that fit no class
    (for example a deficient superior wall with an intact medial wall) give no class, with the reason.
    """
    if solitary_resectable_for_cure:
        return HarringtonResult(
            HarringtonClass.IV, False, ("solitary lesion resectable for cure: class IV, surgery",)
        )
    walls = (medial_wall_deficient, lateral_cortex_deficient, superior_wall_deficient)
    if walls == (False, False, False):
        cls, why = HarringtonClass.I, "lateral cortex, superior and medial walls intact"
    elif walls == (True, False, False):
        cls, why = HarringtonClass.II, "medial wall deficient, lateral cortex and superior wall intact"
    elif walls == (True, True, True):
        cls, why = HarringtonClass.III, "medial wall, lateral cortex and superior wall deficient"
    else:
        deficient = [
            n for n, d in zip(("medial wall", "lateral cortex", "superior wall"), walls, strict=True) if d
        ]
        return HarringtonResult(
            None,
            None,
            (f"deficient: {', '.join(deficient)} -- fits no Harrington class; operator to decide",),
        )
    return HarringtonResult(cls, True, (why, f"class {cls.value}: percutaneous treatment possible"))


@dataclass(frozen=True)
class ImpendingFractureResult:
    """Harrington's impending-fracture criteria (femur): which are met, which are unknown."""

    impending: bool | None
    criteria_met: tuple[str, ...]
    criteria_unknown: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "score": "Harrington impending fracture",
            "impending": self.impending,
            "criteria_met": list(self.criteria_met),
            "criteria_unknown": list(self.criteria_unknown),
            "source": SCORES_SOURCE,
        }


def harrington_impending_fracture(
    *,
    lesion_type: LesionType | None,
    cortical_destruction_fraction: float | None,
    size_mm: float | None,
    persistent_pain: bool | None,
    progression_after_radiotherapy: bool | None,
) -> ImpendingFractureResult:
    """Harrington's impending-fracture criteria, read as: a lytic lesion with > 50% cortical
    destruction or > 25 mm; persistent pain; progression after radiotherapy. Any one met means
    an impending fracture (the reading of CLINICAL.md's list stated here). Exactly 50% or 25 mm is
    not "more than".

    Returns
    -------
    ImpendingFractureResult
        ``impending`` is None when no criterion is met and some are unknown.

    Raises
    ------
    PlanValidationError
        If a fraction is outside 0-1 or a size is negative.
    """
    if cortical_destruction_fraction is not None and not 0.0 <= cortical_destruction_fraction <= 1.0:
        raise PlanValidationError("cortical_destruction_fraction", cortical_destruction_fraction, "0-1")
    if size_mm is not None and not (math.isfinite(size_mm) and size_mm >= 0.0):
        raise PlanValidationError("size_mm", size_mm, ">= 0 mm")
    met: list[str] = []
    unknown: list[str] = []
    lytic_name = "lytic lesion with > 50% cortical destruction or > 25 mm"
    if lesion_type is None:
        unknown.append(lytic_name)
    elif lesion_type is LesionType.LYTIC:
        big = size_mm is not None and size_mm > IMPENDING_SIZE_MM
        destroyed = (
            cortical_destruction_fraction is not None
            and cortical_destruction_fraction > IMPENDING_CORTICAL_FRACTION
        )
        if big or destroyed:
            met.append(lytic_name)
        elif size_mm is None or cortical_destruction_fraction is None:
            unknown.append(lytic_name)
    for name, flag in (
        ("persistent pain", persistent_pain),
        ("progression after radiotherapy", progression_after_radiotherapy),
    ):
        if flag is None:
            unknown.append(name)
        elif flag:
            met.append(name)
    impending: bool | None = True if met else (None if unknown else False)
    return ImpendingFractureResult(impending, tuple(met), tuple(unknown))
