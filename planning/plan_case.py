"""Building and saving a :class:`planning.case.Case` from a plan run's result.

The case holds the plan's image reference, masks (lesion, body, canal, posterior wall, pedicles, neural
foramina, predicted zones) on the planning CT's grid, targets (with the bone the spec states, and what the
segmentation keeps: :mod:`planning.lesion_extra`) and needles
(LPS mm), and the plan's settings (margin, heat-warning distance, least needle depth of a chosen route,
pedicle safety margin).
Derived figures (coverage, distances, risk) are not stored: they are recomputed from the case.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from imaging.mask import Mask
from imaging.vertebra_model import VertebraAnatomy
from planning.lesion_extra import with_segmentation
from planning.plan_results import PlanResult
from planning.score_site import BONE_KEY

if TYPE_CHECKING:
    from planning.case import Case


def build_case(result: PlanResult, *, series_uid: str = "", source_path: str = "") -> Case:
    """A :class:`planning.case.Case` holding the plan's image reference, masks, targets and needles.

    Derived figures (coverage, distances, risk) are not stored: they are recomputed from the case.
    """
    from planning.case import Case, Section
    from planning.image_identity import planning_image
    from planning.model import (
        WHOLE_HEIGHT_CANAL_COLOR,
        AblationSpec,
        LayerKind,
        MaskLayer,
        PlanSettings,
        Target,
        TargetKind,
        Trajectory,
    )

    vol = result.volume
    uid = series_uid or vol.metadata.series_uid or "planning-volume"
    case = Case()
    # the series id, grid and voxel digest, to reopen on exactly these images (planning.image_identity)
    case.add(Section.IMAGES, planning_image(vol, source_path, key=uid))
    case.set_settings(
        PlanSettings(
            margin_mm=result.margin_mm,
            heat_warn_distance_mm=result.warn_distance_mm,
            min_needle_depth_mm=result.min_needle_depth_mm,
            pedicle_safety_margin_mm=result.pedicle_safety_margin_mm,
        )
    )
    for t in result.targets:
        lesion_layer = f"{t.name} lesion"
        case.add(Section.LAYERS, MaskLayer.new(lesion_layer, LayerKind.LESION, t.lesion.mask, uid))
        if t.anatomy is not None:
            a = t.anatomy
            for suffix, kind, mask in (
                ("body", LayerKind.BODY, a.body),
                ("canal", LayerKind.CANAL, a.canal),
                # what zone and needle distances were measured against (imaging.canal_tube)
                ("canal, whole height", LayerKind.CANAL, a.safety_canal),
                ("posterior wall", LayerKind.POSTERIOR_WALL, a.posterior_wall),
            ):
                if mask.any():
                    layer = MaskLayer.new(f"{t.name} {suffix}", kind, mask, uid)
                    if suffix == "canal, whole height":
                        layer = dataclasses.replace(layer, color_rgb=WHOLE_HEIGHT_CANAL_COLOR)
                    case.add(Section.LAYERS, layer)
            for side, axis in a.pedicles.items():
                if axis.mask is not None and axis.mask.any():
                    case.add(
                        Section.LAYERS,
                        MaskLayer.new(f"{t.name} pedicle {side.value}", LayerKind.PEDICLE, axis.mask, uid),
                    )
            foramina = foramina_mask(a)
            if foramina is not None:
                case.add(
                    Section.LAYERS,
                    MaskLayer.new(f"{t.name} neural foramina", LayerKind.FORAMEN, foramina, uid),
                )
        if t.zones_mask is not None and t.zones_mask.any():
            case.add(
                Section.LAYERS, MaskLayer.new(f"{t.name} predicted zones", LayerKind.ZONE, t.zones_mask, uid)
            )
        les = t.lesion
        case.add(
            Section.TARGETS,
            # where the reference bone HU was measured, the shares behind the type and the warnings, as a
            # click with the Lesion tool keeps them (planning.lesion_extra)
            with_segmentation(
                Target(
                    t.name,
                    kind=TargetKind.SPINE if t.anatomy is not None else TargetKind.EXTRASPINAL,
                    level=t.level or "",
                    lesion_seed_lps=les.seed_lps,
                    vertebra_lps=t.anatomy.click_lps if t.anatomy is not None else None,
                    lesion_layer=lesion_layer,
                    lesion_type=les.type,
                    measures={
                        "volume_ml": les.volume_ml,
                        "max_diameter_mm": les.max_diameter_mm,
                        "mean_hu": les.mean_hu,
                        "reference_bone_hu": les.reference_bone_hu,
                    },
                    # the Scores dock shows the bone the spec stated and scores by it (planning.score_site)
                    extra={BONE_KEY: t.bone.value} if t.bone is not None else {},
                ),
                les,
            ),
        )
    zm = result.zone_model
    if zm.profile:
        spec = AblationSpec(
            profile=zm.profile,
            width_mm=zm.width_mm,
            length_mm=zm.length_mm,
            center_behind_tip_mm=zm.center_behind_tip_mm,
        )
    else:
        spec = AblationSpec(
            width_mm=zm.width_mm, length_mm=zm.length_mm, center_behind_tip_mm=zm.center_behind_tip_mm
        )
    for k, tj in enumerate(result.trajectories):
        case.add(
            Section.TRAJECTORIES,
            Trajectory(
                tj.case_name(k),
                tj.target,
                tj.approach,
                tj.geometry.entry_lps,
                tj.geometry.target_lps,
                needle_gauge=tj.needle.gauge,
                needle_length_mm=tj.needle.length_mm,
                antenna_extension_mm=tj.needle.antenna_extension_mm,
                ablation_positions_mm=tj.pullback_mm,
                ablation=spec,
                # the GUI's needle panel warns about a route built without a traced pedicle
                extra={"pedicle_traced": False} if tj.pedicle_traced is False else {},
            ),
        )
    return case


def save_plan_case(result: PlanResult, path: str, *, series_uid: str = "", source_path: str = "") -> str:
    """Build the case (:func:`build_case`) and write it atomically with ``planning.case_io``."""
    from planning.case_io import save_case

    case = build_case(result, series_uid=series_uid, source_path=source_path)
    return str(save_case(case, path))


def foramina_mask(anatomy: VertebraAnatomy | None) -> Mask | None:
    """The union of the anatomy's segmented foramina, None when none was found."""
    if anatomy is None or anatomy.foramina is None:
        return None
    return anatomy.foramina.union()
