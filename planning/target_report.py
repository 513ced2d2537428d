"""Cement, leakage risk, injection protocol and scores for one target, as one JSON-able dict.

Integration point used by ``osteoplan plan`` (and the GUI): it takes what the segmentation and
anatomy steps found and the operator's choices, and returns the ``cement``, ``leakage_risk``,
``scores`` and ``injection`` objects. Units: mL, mm; positions LPS mm; masks on the volume's grid.

Operator choices (``choices``, all optional; every key is listed in ``CHOICE_KEYS``):

- ``fill_fraction`` (0-1): overrides the default fill fraction;
- ``cement_volume_ml``: the operator's planned cement volume, replacing the estimate (still placed
  against the published series, and the injection protocol is planned for it);
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

This module assembles the result; the parts live by concept: the choices' keys and readers in
:mod:`planning.target_choices` (``CHOICE_KEYS`` and ``POSTEROLATERAL_MIN_OVERLAP_ML`` are
re-exported here), the pre-filled scores in :mod:`planning.target_scores`, the leakage risk factors
in :mod:`planning.target_findings`, the voxel overlap of two masks is :func:`imaging.mask.overlap_count`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from imaging.lesion_model import Lesion
from imaging.mask import Mask, overlap_count
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from planning.cement import CementDefaults, CementEstimate, estimate_cement
from planning.errors import PlanValidationError
from planning.injection import DEFAULT_NEAR_WALL_ALIQUOT_ML, AliquotPolicy, InjectionPlan, plan_injection
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
    LeakageMap,
    LeakageRisk,
    Trajectory,
    assess_leakage_risk,
    leakage_zones,
)
from planning.scores import COLLAPSE_MIN_FRACTION, COLLAPSE_SOURCE
from planning.target_choices import (
    CHOICE_KEYS,
    POSTEROLATERAL_MIN_OVERLAP_ML,
    choice_float,
    opt_float,
    posterolateral_threshold,
    unknown_keys_error,
)
from planning.target_findings import leakage_findings
from planning.target_scores import target_scores

__all__ = [
    "CHOICE_KEYS",
    "POSTEROLATERAL_MIN_OVERLAP_ML",
    "TargetAnalysis",
    "analyse_target",
    "cement_risk_scores",
    "extraspinal_cement_defaults",
]


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
        The union of the predicted ablation zones, or None (not counted in the cement volume: where the
        cement is expected to spread, for the near-wall share of the injection protocol).
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
        raise unknown_keys_error("choices", unknown, CHOICE_KEYS)
    if lesion.mask.grid_shape != volume.shape:
        raise PlanValidationError("lesion.mask", lesion.mask.grid_shape, f"the volume's grid {volume.shape}")
    spinal = anatomy is not None or bool(level)  # a level named without a vertebra found is spinal too
    level = level if level is not None else (anatomy.level if anatomy is not None else None)
    band_mm = choice_float(ch, "band_mm", NEAR_WALL_MM)

    if anatomy is not None:
        fill_within: Mask | None = anatomy.body
    elif zones_mask is not None and zones_mask.any():
        fill_within = bone_around(volume, lesion.mask, zones_mask)
    else:
        fill_within = None
    cement = estimate_cement(
        lesion.mask,
        volume.voxel_volume_ml,
        ablation_mask=zones_mask,
        bone_mask=fill_within,
        spinal=spinal,
        lesion_type=lesion.type,
        max_diameter_mm=lesion.max_diameter_mm,
        cap_ml=anatomy.body_volume_ml if anatomy is not None and anatomy.body_volume_ml > 0 else None,
        fill_fraction=opt_float(ch, "fill_fraction"),
        planned_ml=opt_float(ch, "cement_volume_ml"),
        defaults=None if spinal else extraspinal_cement_defaults(),
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
            foramen_width_mm=choice_float(ch, "foramen_width_mm", FORAMEN_WIDTH_MM),
            foramen_depth_mm=choice_float(ch, "foramen_depth_mm", FORAMEN_DEPTH_MM),
            track_margin_mm=choice_float(ch, "track_margin_mm", TRACK_MARGIN_MM),
        )

    scores, collapse_item = target_scores(lesion, anatomy, level, ch, volume.voxel_volume_ml)
    findings = leakage_findings(
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
        policy=_aliquot_policy(ch),
        near_wall_aliquot_ml=choice_float(ch, "near_wall_aliquot_ml", DEFAULT_NEAR_WALL_ALIQUOT_ML),
        posterior_quarter_depth_mm=quarter_mm,
        posterior_quarter_share=quarter_share,
        spinal=spinal,
    )
    defaults = {
        "band_mm": {"value": band_mm, "source": NEAR_WALL_SOURCE},
        "foramen_width_mm": {
            "value": choice_float(ch, "foramen_width_mm", FORAMEN_WIDTH_MM),
            "source": "approximation of the foramen, *unverified*",
        },
        "foramen_depth_mm": {
            "value": choice_float(ch, "foramen_depth_mm", FORAMEN_DEPTH_MM),
            "source": "approximation of the foramen, *unverified*",
        },
        "pedicle_height_fraction": {
            "value": PEDICLE_HEIGHT_FRACTION,
            "source": "used only without a pedicle mask, *unverified*",
        },
        "track_margin_mm": {
            "value": choice_float(ch, "track_margin_mm", TRACK_MARGIN_MM),
            "source": "margin around the needle, *unverified*",
        },
        "bone_threshold_hu": {"value": BONE_THRESHOLD_HU, "source": "CLINICAL.md generic bone threshold"},
        "major_odds_ratio": {"value": MAJOR_ODDS_RATIO, "source": "this program's risk rule, *unverified*"},
        "posterolateral_min_overlap_ml": {
            "value": posterolateral_threshold(ch),
            "source": "segmentation-noise floor, *unverified*",
        },
        "collapse_threshold_fraction": {"value": _collapse_threshold(ch), "source": COLLAPSE_SOURCE},
    }
    return TargetAnalysis(cement, leak_map, risk, injection, scores, defaults)


def extraspinal_cement_defaults() -> CementDefaults:
    """The cement defaults outside the spine: CLINICAL.md gives lesion filling only for vertebrae (Chen
    2022), so the fill fraction and its range are the vertebral figures, borrowed and marked unverified."""
    base = CementDefaults()
    borrowed = "borrowed from vertebrae: CLINICAL.md gives no filling for extraspinal bone, *unverified* here"
    return CementDefaults(
        fill_fraction=base.fill_fraction,
        fill_fraction_source=f"{base.fill_fraction_source} -- {borrowed}",
        fill_fraction_range=base.fill_fraction_range,
        fill_fraction_range_source=f"{base.fill_fraction_range_source} -- {borrowed}",
    )


def _share_in(lesion: Mask, ablation: Mask | None, anatomy: VertebraAnatomy | None, region: Mask) -> float:
    """Share of where cement spreads (the lesion and the ablated bone around it, inside the body) that
    lies in ``region`` (a body part)."""
    if anatomy is None or not region.any():
        return 0.0
    fill = Mask.union([lesion, ablation], lesion.grid_shape)
    fill_n = overlap_count(fill, anatomy.body)
    if fill_n == 0:
        return 0.0
    # the regions passed here lie inside the body already
    return min(1.0, overlap_count(fill, region) / fill_n)


def bone_around(volume: Volume, lesion: Mask, zones: Mask) -> Mask:
    """Where cement can go outside the spine: the bone (:func:`imaging.bone.bone_mask`) in the box of
    the lesion and its ablation zones, plus the lesion itself (a lytic lesion is a hole in the bone
    that the bone mask may leave open). The zones' lung, fat and muscle are not bone."""
    from imaging.bone import bone_mask

    union = Mask.union([lesion, zones], lesion.grid_shape)
    pad = 2  # voxels: the cortex at the box's edge is seen whole
    shape = lesion.grid_shape
    lo = [max(0, sl.start - pad) for sl in union.slices]
    hi = [min(n, sl.stop + pad) for sl, n in zip(union.slices, shape, strict=True)]
    box = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    bone = bone_mask(volume, roi_index=box)
    return Mask.union([bone, lesion], shape)


def _aliquot_policy(ch: Mapping[str, Any]) -> AliquotPolicy:
    """The ``aliquot_policy`` chosen (default Chen's); another value ended in an internal error (QA s32 D)."""
    raw = ch.get("aliquot_policy", AliquotPolicy.CHEN.value)
    names = [p.value for p in AliquotPolicy]
    if not isinstance(raw, str) or raw not in names:
        raise PlanValidationError("aliquot_policy", raw, " or ".join(f'"{n}"' for n in names))
    return AliquotPolicy(raw)


def _collapse_threshold(ch: Mapping[str, Any]) -> float:
    """The ``collapse_threshold_fraction`` chosen, checked as :func:`planning.sins.collapse_from_heights`
    checks it: 3 was kept and shown as the plan's setting when no height was given to use it (QA s32 D)."""
    value = choice_float(ch, "collapse_threshold_fraction", COLLAPSE_MIN_FRACTION)
    if not 0.0 <= value < 0.5:
        raise PlanValidationError("collapse_threshold_fraction", value, "0-0.5")
    return value
