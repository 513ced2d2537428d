"""Cement, leakage risk, injection protocol and scores for one target, as one JSON-able dict.

Integration point used by ``osteoplan plan`` (and the GUI): it takes what the segmentation and
anatomy steps found and the operator's choices, and returns the ``cement``, ``leakage_risk``,
``scores`` and ``injection`` objects. Units: mL, mm; positions LPS mm; masks on the volume's grid.

Operator choices (``choices``, all optional; every key is listed in ``CHOICE_KEYS``):

- ``fill_fraction`` (0-1): overrides the default fill fraction;
- ``cement_viscosity``: ``"low"`` or ``"standard"`` / ``"high"`` (leak factor, OR 3.32);
- ``intravertebral_cleft``: bool (leak factor, OR 1.40);
- ``treated_levels``: int (2 or more is a leak factor);
- ``vertebral_collapse``: bool, overrides the collapse read from the heights for the leak factor;
- ``reference_height_mm`` or ``adjacent_heights_mm`` (list): the expected body height for the SINS
  collapse item (the mean of the adjacent bodies' heights);
- ``aliquot_policy`` (``"chen"`` / ``"fan"``) and ``near_wall_aliquot_ml``;
- ``band_mm``: the near-wall distance (5 mm by default);
- ``sins``: {item: value} operator values for SINS items (they replace pre-filled ones);
- ``mirels``: {``site``, ``cortical_fraction``, ``nature``, ``pain``};
- ``harrington``: {``medial_wall_deficient``, ``lateral_cortex_deficient``,
  ``superior_wall_deficient``, ``solitary_resectable_for_cure``};
- ``impending``: {``cortical_destruction_fraction``, ``persistent_pain``,
  ``progression_after_radiotherapy``};
- ``posterolateral_min_overlap_ml``: lesion-pedicle overlap that counts as involvement (default
  ``POSTEROLATERAL_MIN_OVERLAP_ML``);
- ``foramen_width_mm``, ``foramen_depth_mm``, ``track_margin_mm``: the leakage-zone approximations
  (:mod:`planning.leakage`);
- ``collapse_threshold_fraction``: height loss below which the body counts as not collapsed.

The values used, with their sources, are returned under ``leakage_risk.defaults``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from imaging.lesion_model import Lesion, LesionType
from imaging.mask import Mask
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume
from planning.cement import CementEstimate, estimate_cement
from planning.errors import PlanValidationError
from planning.injection import DEFAULT_NEAR_WALL_ALIQUOT_ML, InjectionPlan, plan_injection
from planning.leakage import (
    BONE_THRESHOLD_HU,
    FORAMEN_DEPTH_MM,
    FORAMEN_WIDTH_MM,
    MAJOR_ODDS_RATIO,
    NEAR_WALL_KINDS,
    NEAR_WALL_MM,
    NEAR_WALL_SOURCE,
    PEDICLE_HEIGHT_FRACTION,
    TRACK_MARGIN_MM,
    FactorFinding,
    LeakageMap,
    LeakageRisk,
    RiskFactor,
    Trajectory,
    ZoneKind,
    assess_leakage_risk,
    leakage_zones,
)
from planning.scores import (
    COLLAPSE_MIN_FRACTION,
    COLLAPSE_SOURCE,
    ItemSource,
    ScoreItem,
    SinsCollapse,
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

#: Lesion-pedicle overlap (mL) that counts as posterolateral involvement -- *unverified*: 20 mm^3,
#: above a few boundary voxels of segmentation noise at 1 mm; editable (``choices``).
POSTEROLATERAL_MIN_OVERLAP_ML = 0.02

CHOICE_KEYS = frozenset(
    {
        "fill_fraction",
        "cement_viscosity",
        "intravertebral_cleft",
        "treated_levels",
        "vertebral_collapse",
        "reference_height_mm",
        "adjacent_heights_mm",
        "aliquot_policy",
        "near_wall_aliquot_ml",
        "band_mm",
        "sins",
        "mirels",
        "harrington",
        "impending",
        "posterolateral_min_overlap_ml",
        "foramen_width_mm",
        "foramen_depth_mm",
        "track_margin_mm",
        "collapse_threshold_fraction",
    }
)


@dataclass(frozen=True, eq=False)
class TargetAnalysis:
    """The objects behind :func:`cement_risk_scores` (masks included, for display and export)."""

    cement: CementEstimate
    leakage: LeakageMap | None
    risk: LeakageRisk
    injection: InjectionPlan
    scores: dict[str, Any]
    defaults: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The JSON-able dict of :func:`cement_risk_scores`."""
        leak: dict[str, Any] = self.risk.to_json()
        leak["zones"] = [] if self.leakage is None else [z.to_json() for z in self.leakage.zones]
        leak["defaults"] = self.defaults
        if self.leakage is not None:
            leak["band_mm"] = self.leakage.band_mm
            leak["zone_notes"] = list(self.leakage.notes)
        return {
            "cement": self.cement.to_json(),
            "leakage_risk": leak,
            "scores": self.scores,
            "injection": self.injection.to_json(),
        }


def cement_risk_scores(  # noqa: PLR0917 - positional signature fixed by the plan runner's contract
    volume: Volume,
    lesion: Lesion,
    anatomy: VertebraAnatomy | None,
    trajectories: Sequence[Trajectory],
    zones_mask: Mask | None,
    level: str | None,
    *,
    choices: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Cement estimate, leakage risk (with zones), injection protocol and scores for one target.

    Parameters
    ----------
    volume
        The planning CT.
    lesion
        The segmented lesion.
    anatomy
        The vertebra (None for an extraspinal target).
    trajectories
        ``(entry_lps, target_lps, outer_diameter_mm)`` of each needle.
    zones_mask
        The union of the predicted ablation zones (the cavity), or None.
    level
        The vertebral level (``"L1"``), or None (then ``anatomy.level`` is used when known).
    choices
        Operator choices (see the module docstring).

    Returns
    -------
    dict
        JSON-able: ``cement`` {``estimate_ml``, ``range_ml``, ...}, ``leakage_risk`` {``level``,
        ``reasons``, ``zones``, ...}, ``scores`` {...}, ``injection`` {...}.

    Raises
    ------
    PlanValidationError
        If a choice is unknown or out of range, or masks lie on another grid.
    """
    return analyse_target(volume, lesion, anatomy, trajectories, zones_mask, level, choices=choices).to_json()


def analyse_target(  # noqa: PLR0917 - same signature as cement_risk_scores
    volume: Volume,
    lesion: Lesion,
    anatomy: VertebraAnatomy | None,
    trajectories: Sequence[Trajectory],
    zones_mask: Mask | None,
    level: str | None,
    *,
    choices: Mapping[str, Any] | None = None,
) -> TargetAnalysis:
    """As :func:`cement_risk_scores`, returning the objects (masks included)."""
    ch = dict(choices or {})
    unknown = set(ch) - CHOICE_KEYS
    if unknown:
        raise PlanValidationError("choices", sorted(unknown), f"keys among {sorted(CHOICE_KEYS)}")
    if lesion.mask.grid_shape != volume.shape:
        raise PlanValidationError("lesion.mask", lesion.mask.grid_shape, f"the volume's grid {volume.shape}")
    spinal = anatomy is not None
    level = level if level is not None else (anatomy.level if anatomy is not None else None)
    band_mm = _choice_float(ch, "band_mm", NEAR_WALL_MM)

    cement = estimate_cement(
        lesion.mask,
        volume.voxel_volume_ml,
        cavity_mask=zones_mask,
        bone_mask=anatomy.body if anatomy is not None else None,
        spinal=spinal,
        lesion_type=lesion.type,
        max_diameter_mm=lesion.max_diameter_mm,
        cap_ml=anatomy.body_volume_ml if anatomy is not None and anatomy.body_volume_ml > 0 else None,
        fill_fraction=_opt_float(ch, "fill_fraction"),
    )

    leak_map: LeakageMap | None = None
    if anatomy is not None:
        leak_map = leakage_zones(
            volume,
            anatomy,
            lesion_mask=lesion.mask,
            cortical_breach_lps=lesion.cortical_breach_lps,
            trajectories=trajectories,
            band_mm=band_mm,
            foramen_width_mm=_choice_float(ch, "foramen_width_mm", FORAMEN_WIDTH_MM),
            foramen_depth_mm=_choice_float(ch, "foramen_depth_mm", FORAMEN_DEPTH_MM),
            track_margin_mm=_choice_float(ch, "track_margin_mm", TRACK_MARGIN_MM),
        )

    scores, collapse_item = _scores(lesion, anatomy, level, ch, volume.voxel_volume_ml)
    findings = _findings(
        lesion, anatomy=anatomy, leak=leak_map, cement=cement, collapse_item=collapse_item, ch=ch
    )
    risk = assess_leakage_risk(findings)

    near_share = quarter_share = 0.0
    quarter_mm: float | None = None
    if leak_map is not None:
        near_share = _share_in(lesion.mask, zones_mask, anatomy, leak_map.union(NEAR_WALL_KINDS))
        quarter_share = _share_in(lesion.mask, zones_mask, anatomy, leak_map.posterior_quarter)
        quarter_mm = leak_map.body_depth_mm / 4.0
    injection = plan_injection(
        cement.estimate_ml,
        near_wall_share=near_share,
        policy=str(ch.get("aliquot_policy", "chen")),
        near_wall_aliquot_ml=_choice_float(ch, "near_wall_aliquot_ml", DEFAULT_NEAR_WALL_ALIQUOT_ML),
        posterior_quarter_depth_mm=quarter_mm,
        posterior_quarter_share=quarter_share,
        spinal=spinal,
    )
    defaults = {
        "band_mm": {"value": band_mm, "source": NEAR_WALL_SOURCE},
        "foramen_width_mm": {
            "value": _choice_float(ch, "foramen_width_mm", FORAMEN_WIDTH_MM),
            "source": "approximation of the foramen, *unverified*",
        },
        "foramen_depth_mm": {
            "value": _choice_float(ch, "foramen_depth_mm", FORAMEN_DEPTH_MM),
            "source": "approximation of the foramen, *unverified*",
        },
        "pedicle_height_fraction": {
            "value": PEDICLE_HEIGHT_FRACTION,
            "source": "used only without a pedicle mask, *unverified*",
        },
        "track_margin_mm": {
            "value": _choice_float(ch, "track_margin_mm", TRACK_MARGIN_MM),
            "source": "margin around the needle, *unverified*",
        },
        "bone_threshold_hu": {"value": BONE_THRESHOLD_HU, "source": "CLINICAL.md generic bone threshold"},
        "major_odds_ratio": {"value": MAJOR_ODDS_RATIO, "source": "this program's risk rule, *unverified*"},
        "posterolateral_min_overlap_ml": {
            "value": _posterolateral_threshold(ch),
            "source": "segmentation-noise floor, *unverified*",
        },
        "collapse_threshold_fraction": {
            "value": _choice_float(ch, "collapse_threshold_fraction", COLLAPSE_MIN_FRACTION),
            "source": COLLAPSE_SOURCE,
        },
    }
    return TargetAnalysis(cement, leak_map, risk, injection, scores, defaults)


# ------------------------------------------------------------------------------------------------
def _opt_float(ch: Mapping[str, Any], key: str) -> float | None:
    if key not in ch or ch[key] is None:
        return None
    try:
        value = float(ch[key])
    except (TypeError, ValueError) as exc:
        raise PlanValidationError(key, ch[key], "a number") from exc
    if not math.isfinite(value):
        raise PlanValidationError(key, ch[key], "a finite number")
    return value


def _choice_float(ch: Mapping[str, Any], key: str, default: float) -> float:
    value = _opt_float(ch, key)
    return default if value is None else value


def _opt_bool(ch: Mapping[str, Any], key: str) -> bool | None:
    if key not in ch or ch[key] is None:
        return None
    if not isinstance(ch[key], bool):
        raise PlanValidationError(key, ch[key], "true or false")
    return bool(ch[key])


def _posterolateral_threshold(ch: Mapping[str, Any]) -> float:
    value = _opt_float(ch, "posterolateral_min_overlap_ml")
    if value is None:
        return POSTEROLATERAL_MIN_OVERLAP_ML
    if value < 0:
        raise PlanValidationError("posterolateral_min_overlap_ml", value, ">= 0 mL")
    return value


def _overlap_count(a: Mask, b: Mask) -> int:
    lo = [max(x, y) for x, y in zip(a.offset_index, b.offset_index, strict=True)]
    hi = [
        min(x + n, y + m)
        for x, n, y, m in zip(a.offset_index, a.array.shape, b.offset_index, b.array.shape, strict=True)
    ]
    if any(h <= lo_ for lo_, h in zip(lo, hi, strict=True)):
        return 0
    sa = tuple(slice(p - o, q - o) for p, q, o in zip(lo, hi, a.offset_index, strict=True))
    sb = tuple(slice(p - o, q - o) for p, q, o in zip(lo, hi, b.offset_index, strict=True))
    return int(np.count_nonzero(a.array[sa] & b.array[sb]))


def _share_in(lesion: Mask, cavity: Mask | None, anatomy: VertebraAnatomy | None, region: Mask) -> float:
    """Share of the fill region (lesion + cavity, inside the body) that lies in ``region`` (a body part)."""
    if anatomy is None or not region.any():
        return 0.0
    fill = Mask.union([lesion, cavity], lesion.grid_shape)
    fill_n = _overlap_count(fill, anatomy.body)
    if fill_n == 0:
        return 0.0
    # the regions passed here lie inside the body already
    return min(1.0, _overlap_count(fill, region) / fill_n)


def _scores(
    lesion: Lesion, anatomy: VertebraAnatomy | None, level: str | None, ch: Mapping[str, Any], vox_ml: float
) -> tuple[dict[str, Any], ScoreItem | None]:
    out: dict[str, Any] = {}
    collapse_item: ScoreItem | None = None
    if anatomy is not None:
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
            cortical_fraction=_opt_float(mirels, "cortical_fraction"),
            nature=mirels.get("nature"),
            pain=mirels.get("pain"),
            prefilled=frozenset(prefilled),
            bases={"nature": f"segmented lesion classed {lesion.type.value}"},
        ).to_json()
        imp = dict(ch.get("impending") or {})
        out["impending_fracture"] = harrington_impending_fracture(
            lesion_type=lesion.type,
            cortical_destruction_fraction=_opt_float(imp, "cortical_destruction_fraction"),
            size_mm=lesion.max_diameter_mm,
            persistent_pain=_opt_bool(imp, "persistent_pain"),
            progression_after_radiotherapy=_opt_bool(imp, "progression_after_radiotherapy"),
        ).to_json()
        out["impending_fracture"]["size_mm_from_images"] = round(lesion.max_diameter_mm, 1)
        harr = ch.get("harrington")
        if harr:
            out["harrington"] = harrington_class(
                medial_wall_deficient=bool(harr.get("medial_wall_deficient", False)),
                lateral_cortex_deficient=bool(harr.get("lateral_cortex_deficient", False)),
                superior_wall_deficient=bool(harr.get("superior_wall_deficient", False)),
                solitary_resectable_for_cure=bool(harr.get("solitary_resectable_for_cure", False)),
            ).to_json()
    return out, collapse_item


def _collapse_item(lesion: Lesion, anatomy: VertebraAnatomy, ch: Mapping[str, Any]) -> ScoreItem | None:
    reference = _opt_float(ch, "reference_height_mm")
    how = "the operator's reference height"
    if reference is None and ch.get("adjacent_heights_mm"):
        heights = [float(h) for h in ch["adjacent_heights_mm"]]
        if not heights or any(not (math.isfinite(h) and h > 0) for h in heights):
            raise PlanValidationError("adjacent_heights_mm", heights, "positive heights in mm")
        reference = sum(heights) / len(heights)
        how = f"the mean height of {len(heights)} adjacent bodies"
    if reference is None or anatomy.body_height_mm <= 0:
        return None
    body_n = anatomy.body.count()
    involved = _overlap_count(lesion.mask, anatomy.body) / body_n if body_n else None
    threshold = _opt_float(ch, "collapse_threshold_fraction")
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
    threshold_ml = _posterolateral_threshold(ch)
    involved: dict[Side, float] = {}
    for side, m in masks.items():
        involved[side] = _overlap_count(lesion.mask, m) * vox_ml
    value = posterolateral_from_sides(
        involved[Side.LEFT] >= threshold_ml, involved[Side.RIGHT] >= threshold_ml
    )
    basis = (
        f"lesion in the left pedicle {involved[Side.LEFT]:.2f} mL, right {involved[Side.RIGHT]:.2f} mL "
        f"(involved from {threshold_ml:g} mL, *unverified* threshold); facets and costovertebral joints "
        "not assessed from the images"
    )
    return sins_item("posterolateral", value, ItemSource.PREFILLED, basis)


def _findings(
    lesion: Lesion,
    *,
    anatomy: VertebraAnatomy | None,
    leak: LeakageMap | None,
    cement: CementEstimate,
    collapse_item: ScoreItem | None,
    ch: Mapping[str, Any],
) -> list[FactorFinding]:
    f: list[FactorFinding] = []
    if anatomy is not None:
        destroyed = (not anatomy.posterior_wall_intact) or bool(anatomy.posterior_wall_defects)
        sizes = ", ".join(f"{d.size_mm:.1f} mm" for d in anatomy.posterior_wall_defects)
        ev = (
            f"posterior-wall defect(s) {sizes}"
            if sizes
            else ("wall not intact" if destroyed else "wall intact")
        )
        if lesion.posterior_wall_involved and not destroyed:
            ev += "; the lesion reaches the posterior wall (involved, not destroyed)"
        f.append(FactorFinding(RiskFactor.POSTERIOR_WALL_DESTRUCTION, destroyed, "images", ev))
    endplate = leak.zones_of(ZoneKind.ENDPLATE_DEFECT) if leak is not None else ()
    cortical = lesion.cortical_breach or bool(endplate)
    parts = []
    if lesion.cortical_breach:
        parts.append(f"lesion breaks the cortex at {max(1, len(lesion.cortical_breach_lps))} place(s)")
    parts += [z.name for z in endplate]
    f.append(
        FactorFinding(
            RiskFactor.CORTICAL_DISRUPTION, cortical, "images", "; ".join(parts) or "no cortical break found"
        )
    )
    visc = ch.get("cement_viscosity")
    if visc is None:
        f.append(FactorFinding(RiskFactor.LOW_VISCOSITY_CEMENT, None, "operator", "cement not chosen"))
    else:
        if str(visc) not in {"low", "standard", "high"}:
            raise PlanValidationError("cement_viscosity", visc, "low, standard or high")
        f.append(
            FactorFinding(
                RiskFactor.LOW_VISCOSITY_CEMENT, str(visc) == "low", "operator", f"{visc} viscosity"
            )
        )
    cleft = _opt_bool(ch, "intravertebral_cleft")
    if anatomy is not None:
        f.append(FactorFinding(RiskFactor.INTRAVERTEBRAL_CLEFT, cleft, "operator"))
    f.append(
        FactorFinding(
            RiskFactor.LYTIC_LESION,
            lesion.type is LesionType.LYTIC,
            "images",
            f"lesion classed {lesion.type.value}",
        )
    )
    levels = ch.get("treated_levels")
    if levels is None:
        f.append(FactorFinding(RiskFactor.MULTIPLE_LEVELS, None, "operator"))
    else:
        if not isinstance(levels, int) or isinstance(levels, bool) or levels < 1:
            raise PlanValidationError("treated_levels", levels, "an integer >= 1")
        f.append(
            FactorFinding(RiskFactor.MULTIPLE_LEVELS, levels >= 2, "operator", f"{levels} level(s) treated")
        )
    if anatomy is not None:
        op = _opt_bool(ch, "vertebral_collapse")
        if op is not None:
            f.append(FactorFinding(RiskFactor.VERTEBRAL_COLLAPSE, op, "operator"))
        elif collapse_item is not None and collapse_item.value is not None:
            collapsed = collapse_item.value in (SinsCollapse.OVER_50.value, SinsCollapse.UNDER_50.value)
            src = "images" if collapse_item.source is ItemSource.PREFILLED else "operator"
            f.append(FactorFinding(RiskFactor.VERTEBRAL_COLLAPSE, collapsed, src, collapse_item.basis))
        else:
            f.append(
                FactorFinding(RiskFactor.VERTEBRAL_COLLAPSE, None, "images", "no reference height given")
            )
    pub = cement.published
    larger = cement.estimate_ml > pub.mean_ml
    f.append(
        FactorFinding(
            RiskFactor.LARGER_VOLUME,
            larger,
            "plan",
            f"estimate {cement.estimate_ml:.1f} mL {'>' if larger else '<='} "
            f"published mean {pub.mean_ml:g} mL",
        )
    )
    return f
