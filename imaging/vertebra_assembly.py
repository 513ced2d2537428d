"""The last steps of :func:`imaging.vertebra.find_vertebra`: both pedicles traced, and every finding put
together as one :class:`imaging.vertebra_model.VertebraAnatomy` on the source volume's grid.

:func:`both_pedicles` runs :func:`imaging.vertebra_pedicles.find_pedicle` on each side, in bone whose coronal
fill stops at the canal (:mod:`imaging.pedicle_solid`); :func:`assemble_anatomy` maps the region's masks back
to the source grid (:func:`imaging.vertebra_roi.roi_mask_to_source`), fits the end plate planes to the CT's
own edge (:mod:`imaging.endplate_fit`) and gives the pedicle axes their tilt uncertainty
(:mod:`imaging.pedicle_tilt`). Positions LPS mm, areas mm^2, volumes mL; the region is the search's 1 mm
LPS-aligned grid (:class:`imaging.vertebra_roi.LpsRoi`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.endplate_fit import TiltNotMeasured, fit_endplate
from imaging.endplate_plane import EndplatePlane
from imaging.mask import Mask
from imaging.pedicle_solid import without_canal_fill
from imaging.pedicle_tilt import with_tilt_uncertainty
from imaging.pedicle_waist import WaistPlanes
from imaging.vertebra_body import BodyResult, BonyMasks
from imaging.vertebra_canal import CanalResult
from imaging.vertebra_metal import MetalFinding
from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy
from imaging.vertebra_pedicles import VertebraFrame, find_pedicle
from imaging.vertebra_roi import LpsRoi, roi_mask_to_source
from imaging.vertebra_wall import WallResult
from imaging.volume import Volume

__all__ = ["assemble_anatomy", "both_pedicles"]

FloatArray = npt.NDArray[np.float64]
Point = tuple[float, float, float]


def both_pedicles(
    volume: Volume,
    roi: LpsRoi,
    *,
    masks: BonyMasks,
    body: BodyResult,
    canal: CanalResult,
    frame: VertebraFrame,
    notes: list[str],
    near_metal: dict[str, npt.NDArray[np.bool_]],
) -> dict[Side, PedicleAxis]:
    """Both pedicles (:func:`imaging.vertebra_pedicles.find_pedicle`); a pedicle not traced is said in
    ``notes`` and each one found is added to ``near_metal``."""
    pedicles: dict[Side, PedicleAxis] = {}
    contrast = max(body.cortex_hu - body.trabecular_hu, 1.0)
    fraction = np.clip((masks.sharp - body.trabecular_hu) / contrast, 0.0, 1.0).astype(np.float32)
    # the pedicles are looked for in bone whose coronal fill stops at the canal (imaging.pedicle_solid);
    # both pedicles' waists in the same planes through the canal: sampled once
    pedicle_bone = without_canal_fill(
        masks.arch_bone, masks.closed, canal.mask, body.body, spacing_mm=roi.spacing_mm
    )
    waist_planes = WaistPlanes(roi, pedicle_bone, frame)
    for side in (Side.LEFT, Side.RIGHT):
        why_not: list[str] = []
        found = find_pedicle(
            side,
            volume,
            roi,
            solid=pedicle_bone,
            body=body.body,
            frame=frame,
            bone_fraction=fraction,
            waist_planes=waist_planes,
            refusals=why_not,
            unknown=masks.unknown,
        )
        if found is None:
            notes.append(f"{side.value} pedicle not traced" + (f": {why_not[0]}" if why_not else ""))
            continue
        if found.note is not None:
            notes.append(found.note)
        near_metal[f"{side.value} pedicle"] = found.mask
        pedicles[side] = PedicleAxis(
            side=side,
            axis_entry_lps=_point(found.entry_lps),
            axis_target_lps=_point(found.target_lps),
            min_width_mm=found.min_width_mm,
            min_width_uncertainty_mm=found.width_uncertainty_mm,
            isthmus_lps=_point(found.isthmus_lps),
            mask=roi_mask_to_source(roi, found.mask, volume),
        )
    return pedicles


def _z_span(roi: LpsRoi, mask: npt.NDArray[np.bool_]) -> tuple[float, float] | None:
    """Lowest and highest LPS z (mm) of a ROI mask's voxel centres (None when empty)."""
    z = roi.voxel_points_lps(mask)[:, 2]
    return (float(z.min()), float(z.max())) if len(z) else None


def assemble_anatomy(
    roi: LpsRoi,
    volume: Volume,
    *,
    body: BodyResult,
    canal: CanalResult,
    tube: npt.NDArray[np.bool_],
    wall: WallResult,
    pedicles: dict[Side, PedicleAxis],
    canal_centroid: FloatArray,
    click: FloatArray,
    level: str | None,
    notes: list[str],
    metal: MetalFinding | None,
    noise_warning: str | None,
) -> VertebraAnatomy:
    """The anatomy from the search's findings in the region ``roi``: masks mapped to ``volume``'s grid, the
    end plate planes fitted and the pedicles' tilt uncertainty added; ``canal_centroid`` is the canal's
    centroid at the body's mid-height, ``tube`` the canal's tube along the body
    (:func:`imaging.canal_tube.body_canal_tube`)."""
    sp3 = roi.spacing_mm**3

    def to_src(mask: npt.NDArray[np.bool_]) -> Mask:
        return roi_mask_to_source(roi, mask, volume)

    sup: Mask | None = to_src(body.superior_endplate) if body.superior_endplate.any() else None
    inf: Mask | None = to_src(body.inferior_endplate) if body.inferior_endplate.any() else None
    planes: dict[str, EndplatePlane] = {}
    not_measured: dict[str, str] = {}
    for name, layer in (("superior", body.superior_endplate), ("inferior", body.inferior_endplate)):
        if not layer.any():  # not found, or cut by the scan's edge
            continue
        # the plane through the CT's own edge over the body's middle, with its tilt's uncertainty; the
        # layer's voxel centres when no edge shows, unless the CT's edge shows the layer is not the end
        # plate (imaging.endplate_fit)
        plane = fit_endplate(volume, roi, body.body, layer, body.axis_lps, superior=name == "superior")
        if isinstance(plane, TiltNotMeasured):
            not_measured[name] = plane.reason
        elif plane is not None:
            planes[name] = plane
    return VertebraAnatomy(
        body=to_src(body.body),
        canal=to_src(canal.mask),
        canal_tube=to_src(tube),
        canal_tube_z_lps=_z_span(roi, tube),
        posterior_wall=to_src(wall.band),
        body_volume_ml=float(body.body.sum() * sp3 / 1000.0),
        body_centroid_lps=_point(body.centroid_lps),
        body_height_mm=body.height_mm,
        canal_centroid_lps=_point(canal_centroid),
        canal_area_mm2=canal.area_near(float(canal_centroid[2])),
        posterior_wall_points_lps=wall.points_lps,
        posterior_wall_intact=wall.assessed and not wall.defects,
        posterior_wall_assessed=wall.assessed,
        posterior_wall_smallest_gap_mm=wall.smallest_gap_mm,
        posterior_wall_defects=wall.defects,
        basivertebral_foramina=wall.foramina,
        # the axes' tilts are read in the body's frame: how far it is off the end plates is said with them
        pedicles=with_tilt_uncertainty(
            pedicles, body.axis_lps, planes, voxel_mm=float(max(volume.spacing_mm))
        ),
        superior_endplate=sup,
        inferior_endplate=inf,
        level=level,
        click_lps=_point(click),
        notes=tuple(notes),
        body_cut_by_view=body.cut_by_view,
        endplate_planes=planes,
        endplate_tilt_not_measured=not_measured,
        metal=metal,
        noise_warning=noise_warning,
    )


def _point(v: FloatArray) -> Point:
    return (float(v[0]), float(v[1]), float(v[2]))
