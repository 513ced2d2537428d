"""The scores of one target, pre-filled from the images and completed by the operator's choices.

For a vertebra: SINS (location from the level, bone lesion from the lesion's type, collapse from the
body height against a reference height, posterolateral involvement from the lesion's overlap with
each pedicle), with the operator's SINS values replacing pre-filled ones. For other bone: Mirels
(nature pre-filled from the lesion's type), Harrington's impending-fracture criteria, and the
Harrington acetabular class when the operator gives its findings. Lengths mm, volumes mL; masks on
the volume's grid. The scoring rules themselves are in :mod:`planning.scores`; the choices' keys in
:mod:`planning.target_report`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from imaging.lesion_model import Lesion
from imaging.mask import overlap_count
from imaging.vertebra_model import Side, VertebraAnatomy
from planning.errors import PlanValidationError
from planning.scores import (
    COLLAPSE_MIN_FRACTION,
    ItemSource,
    ScoreItem,
    bone_lesion_from_type,
    collapse_from_heights,
    harrington_class,
    harrington_impending_fracture,
    mirels_score,
    posterolateral_from_sides,
    sins_item,
    sins_location,
    sins_score,
)
from planning.target_choices import (
    IMPENDING_KEYS,
    harrington_findings,
    nested_choices,
    opt_bool,
    opt_float,
    posterolateral_threshold,
)


def target_scores(
    lesion: Lesion, anatomy: VertebraAnatomy | None, level: str | None, ch: Mapping[str, Any], vox_ml: float
) -> tuple[dict[str, Any], ScoreItem | None]:
    """The score objects of one target and the SINS collapse item (used again as a leak factor).

    Parameters
    ----------
    lesion
        The segmented lesion.
    anatomy
        The vertebra, or None when none was found (then the SINS items measured on it, collapse and
        posterolateral involvement, are left to the operator).
    level
        The vertebral level (``"L1"``), or None (no SINS location item then). With neither anatomy nor
        level the target is extraspinal: Mirels and Harrington, not SINS.
    ch
        The operator's choices (``sins``, ``mirels``, ``impending``, ``harrington``,
        ``reference_height_mm`` / ``adjacent_heights_mm``, ``collapse_threshold_fraction``,
        ``posterolateral_min_overlap_ml``).
    vox_ml
        Volume of one voxel (mL).

    Returns
    -------
    tuple
        The JSON-able scores by name (``sins``, or ``mirels``, ``impending_fracture`` and
        ``harrington``), and the SINS collapse item (None when it could not be filled).

    Raises
    ------
    PlanValidationError
        If a choice is of the wrong kind or out of range.
    """
    out: dict[str, Any] = {}
    collapse_item: ScoreItem | None = None
    if anatomy is not None or level:
        items: dict[str, ScoreItem] = {}
        if level:
            items["location"] = sins_item(
                "location", sins_location(level), ItemSource.PREFILLED, f"level {level}"
            )
        items["bone_lesion"] = sins_item(
            "bone_lesion",
            bone_lesion_from_type(lesion.type),
            ItemSource.PREFILLED,
            f"segmented lesion classed {lesion.type.value}",
        )
        if anatomy is not None:
            collapse_item = _collapse_item(lesion, anatomy, ch)
            if collapse_item is not None:
                items["collapse"] = collapse_item
            posterolateral = _posterolateral_item(lesion, anatomy, ch, vox_ml)
            if posterolateral is not None:
                items["posterolateral"] = posterolateral
        sins_choices = ch.get("sins") or {}
        if not isinstance(sins_choices, Mapping):
            raise PlanValidationError("sins", sins_choices, "a mapping of item to value")
        for name, value in sins_choices.items():
            items[str(name)] = sins_item(str(name), str(value), ItemSource.CHOSEN)
        collapse_item = items.get("collapse", collapse_item)
        out["sins"] = sins_score(items).to_json()
    else:
        mirels = dict(ch.get("mirels") or {})
        prefilled: set[str] = set()
        if "nature" not in mirels:
            mirels["nature"] = lesion.type.value
            prefilled.add("nature")
        unknown = set(mirels) - {"site", "cortical_fraction", "nature", "pain"}
        if unknown:
            raise PlanValidationError("mirels", sorted(unknown), "site, cortical_fraction, nature, pain")
        out["mirels"] = mirels_score(
            site=mirels.get("site"),
            cortical_fraction=opt_float(mirels, "cortical_fraction"),
            nature=mirels.get("nature"),
            pain=mirels.get("pain"),
            prefilled=frozenset(prefilled),
            bases={"nature": f"segmented lesion classed {lesion.type.value}"},
        ).to_json()
        imp = nested_choices(ch, "impending", IMPENDING_KEYS)
        out["impending_fracture"] = harrington_impending_fracture(
            lesion_type=lesion.type,
            cortical_destruction_fraction=opt_float(imp, "cortical_destruction_fraction"),
            size_mm=lesion.max_diameter_mm,
            persistent_pain=opt_bool(imp, "persistent_pain"),
            progression_after_radiotherapy=opt_bool(imp, "progression_after_radiotherapy"),
        ).to_json()
        out["impending_fracture"]["size_mm_from_images"] = round(lesion.max_diameter_mm, 1)
        harr = harrington_findings(ch)
        if harr is not None:
            out["harrington"] = harrington_class(**harr).to_json()
    return out, collapse_item


def _collapse_item(lesion: Lesion, anatomy: VertebraAnatomy, ch: Mapping[str, Any]) -> ScoreItem | None:
    reference = opt_float(ch, "reference_height_mm")
    how = "the operator's reference height"
    if reference is None and ch.get("adjacent_heights_mm"):
        raw = ch["adjacent_heights_mm"]
        # "x" ended in an internal error, and "12" was read as the heights 1 and 2 mm (QA s32 D)
        if not isinstance(raw, list) or any(
            isinstance(h, bool) or not isinstance(h, (int, float)) for h in raw
        ):
            raise PlanValidationError("adjacent_heights_mm", raw, "a list of positive heights in mm")
        heights = [float(h) for h in raw]
        if not heights or any(not (math.isfinite(h) and h > 0) for h in heights):
            raise PlanValidationError("adjacent_heights_mm", heights, "positive heights in mm")
        reference = sum(heights) / len(heights)
        how = f"the mean height of {len(heights)} adjacent bodies"
    if reference is None or anatomy.body_height_mm <= 0:
        return None
    body_n = anatomy.body.count()
    involved = overlap_count(lesion.mask, anatomy.body) / body_n if body_n else None
    threshold = opt_float(ch, "collapse_threshold_fraction")
    value, basis = collapse_from_heights(
        anatomy.body_height_mm,
        reference,
        body_involved_fraction=involved,
        collapse_threshold_fraction=COLLAPSE_MIN_FRACTION if threshold is None else threshold,
    )
    return sins_item("collapse", value, ItemSource.PREFILLED, f"{basis}; expected height from {how}")


def _posterolateral_item(
    lesion: Lesion, anatomy: VertebraAnatomy, ch: Mapping[str, Any], vox_ml: float
) -> ScoreItem | None:
    masks = {side: p.mask for side, p in anatomy.pedicles.items() if p.mask is not None}
    if Side.LEFT not in masks or Side.RIGHT not in masks:
        return None
    threshold_ml = posterolateral_threshold(ch)
    involved: dict[Side, float] = {}
    for side, m in masks.items():
        involved[side] = overlap_count(lesion.mask, m) * vox_ml
    value = posterolateral_from_sides(
        involved[Side.LEFT] >= threshold_ml, involved[Side.RIGHT] >= threshold_ml
    )
    basis = (
        f"lesion in the left pedicle {involved[Side.LEFT]:.2f} mL, right {involved[Side.RIGHT]:.2f} mL "
        f"(involved from {threshold_ml:g} mL, *unverified* threshold); facets and costovertebral joints "
        "not assessed from the images"
    )
    return sins_item("posterolateral", value, ItemSource.PREFILLED, basis)
